"""Run metadata shown in the 说明 sheet of every output (and in the memo's closing note).

The generation time appears only here, so that data sheets are identical from run to run.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

META_SHEET = "说明"
META_COLUMNS = ["类别", "项目", "内容", "来源或说明"]
DEADLINE_NOTE = "交流人选经双向选择确定，于 9 月 1 日前到岗"
#: commands whose outputs concern the exchange calendar
DEADLINE_COMMANDS = {"rotate", "report", "explain", "demo"}


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


ATTACHMENT_KIND, NOTICE_KIND = "附表", "公示名单"   # the public outputs (RunMeta.public)


@dataclass
class RunMeta:
    """What produced an output: command, plan year, parameters (name, value, source), inputs."""

    command: str
    plan_year: int
    parameters: list[tuple[str, object, str]] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)  # {table, file, sheet, sha256}
    solver: dict | None = None  # e.g. {name, status, objective, gap, runtime}
    options: dict = field(default_factory=dict)  # e.g. {show_id: False, horizon: 1}
    generated_at: str = field(default_factory=_now)
    notes: list[str] = field(default_factory=list)  # extra lines (e.g. warnings worth keeping)
    public: str = ""  # "" a working file; else what the public output is — ATTACHMENT_KIND (附表, sent with the
    # memo) or NOTICE_KIND (公示名单, posted at schools): 说明 in plain words, no internals

    @property
    def school_year(self) -> str:
        return f"{self.plan_year}—{self.plan_year + 1}学年"

    @property
    def plan_year_text(self) -> str:
        return f"{self.plan_year}（{self.school_year}）"

    def parameter(self, name: str, default=None):
        for key, value, _source in self.parameters:
            if key == name:
                return value
        return default

    @property
    def title_years(self) -> str:
        """The years an output is about: the plan's 学年, or for a backtest the tested 学年
        (options ``tested_years``), e.g. 「2024—2025、2025—2026学年」."""
        tested = self.options.get("tested_years")
        return years_text(tested) if tested else self.school_year

    def changed_parameters(self) -> list[tuple[str, object, str]]:
        return [p for p in self.parameters if p[2] != "默认"]


def years_text(years) -> str:
    """[2024, 2025] → 「2024—2025、2025—2026学年」 (a 学年 starts in September of its first year)."""
    return "、".join(f"{int(y)}—{int(y) + 1}" for y in years) + "学年"


def _source_table() -> pd.DataFrame:
    from ..paths import data_table

    return data_table("report_sources.csv")


def source_names(meta: RunMeta) -> list[str]:
    """What was read, as a memo names its sources ("区教育局教职工花名册", "2025 学年教育事业统计"),
    in the order of data/report_sources.csv, each once; tables without a name there are left out."""
    table = _source_table()
    read = {str(i.get("table", "")) for i in meta.inputs}
    hit = table[table["table"].isin(read) | table["label"].isin(read)]
    return list(dict.fromkeys(s.replace("{year}", str(meta.plan_year - 1)) for s in hit["source"]))


def source_line(meta: RunMeta) -> str:
    """"资料来源：区教育局教职工花名册、2025 学年教育事业统计。" from the tables that were read."""
    names = source_names(meta)
    return "资料来源：" + ("、".join(names) if names else "区教育局提供的学校、学生和教职工资料") + "。"


def _num_text(x) -> str:
    v = float(x)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def public_notes(meta: RunMeta, sheets=None) -> list[str]:
    """What an attachment says about how it was made, in plain words: plan year, sources, the standards and rules
    behind its figures (编制, 学科缺口 and how the two differ, 招聘, 走教补贴 — each only when its sheet is among
    ``sheets``, default ``meta.options["sheets"]``, else all). No file names, checksums, parameter keys, program or
    solver details (those stay in the working files' 说明 sheet)."""
    p = meta.parameter
    if meta.public == NOTICE_KIND:
        return notice_notes(meta)
    names = sheets if sheets is not None else meta.options.get("sheets")
    has = (lambda name: True) if names is None else (lambda name: name in set(names))
    notes = [f"计划年度：{meta.school_year}（学年自 {meta.plan_year} 年 9 月 1 日起）。", source_line(meta)]
    ratios = [(label, p(key)) for label, key in (("小学", "quota.ratio_primary"), ("初中", "quota.ratio_junior"),
                                                ("高中", "quota.ratio_senior")) if p(key)]
    if ratios and has("编制测算"):
        notes.append("标准编制按城乡统一的中小学教职工编制标准测算（学生与教职工之比"
                     + "、".join(f"{a}{_num_text(b)}∶1" for a, b in ratios) + "），各校分学段计算后相加。"
                     + small_school_note(meta) + kindergarten_note(meta))
    if has("学科缺口"):
        notes.append("学科缺口按课程方案的周课时和教师标准周课时折算为人数：" + load_note(meta)
                     + f"某校某学科缺口达到 {_num_text(p('shortage.threshold', 0.5) or 0.5)} 人为该校紧缺；正文所列学科"
                     "为各校缺口合计较大的学科，其他学校同学科的富余可以调剂，招聘按扣除富余后的全区净缺口计算。")
    if has("编制测算") and has("学科缺口"):
        notes.append("缺编与学科缺口口径不同：缺编是标准编制与在编教师（扣除 9 月 1 日前到龄退休）之差；学科缺口是各学科"
                     "周课时需求与在岗专任教师（含临聘教师）所授课时之差。临聘教师计入学科供给而不占编制，行政等非任课"
                     "人员占编制而不计入学科供给，因此同一学校两者可以不同。")
    if has("招聘计划"):
        notes.append(recruitment_note(meta))
    if has("走教安排"):
        notes.append(zoujiao_note(meta))
    return notes


def small_school_note(meta: RunMeta) -> str:
    """The class floor of small schools in words (quota.small_school_*), '' when it is off."""
    p = meta.parameter
    ratio, avg = p("quota.small_school_class_ratio"), p("quota.small_school_max_avg_class")
    types = [str(t) for t in (p("quota.small_school_types") or [])]
    if not ratio or not avg or not types:
        return ""
    rural = [t for t in types if t != "教学点"]
    who = "、".join(["乡村" + ("小学" if t == "小学" else f"{t}学校小学部") for t in rural]
                   + (["教学点"] if "教学点" in types else []))
    parts = "" if {"九年一贯制", "十二年一贯制"} & set(types) else "（九年一贯制、十二年一贯制学校的小学部不适用）"
    return (f"{who}{parts}平均班额低于 {_num_text(avg)} 人的，按每班 {_num_text(ratio)} 名的下限测算（取两种算法中"
            "较多者）。")


def load_note(meta: RunMeta) -> str:
    """The standard weekly loads used (load.*), and whether they are the shipped defaults."""
    p = meta.parameter
    vals = [p(f"load.{k}") for k in ("primary_core", "primary_other", "junior_core", "junior_other", "senior")]
    if any(v is None for v in vals):
        return ""
    pc, po, jc, jo, se = (_num_text(v) for v in vals)
    core_p = "、".join(p("load.core_primary") or ["语文", "数学"])
    core_j = "、".join(p("load.core_junior") or ["语文", "数学", "英语"])
    default = all(src == "默认" for key, _v, src in meta.parameters if key.startswith("load."))
    return (f"标准周课时小学{core_p} {pc} 节、其他学科 {po} 节，初中{core_j} {jc} 节、其他学科 {jo} 节，高中 {se} 节"
            + ("（本区未另行规定时的默认值）" if default else "") + "；")


def kindergarten_note(meta: RunMeta) -> str:
    p = meta.parameter
    per_class, boarding = p("quota.kg_teachers_per_class"), p("quota.kg_boarding_per_class")
    if not per_class:
        return ""
    return (f"幼儿园按每班 {_num_text(per_class)} 名专任教师测算"
            + (f"（寄宿制幼儿园每班加 {_num_text(boarding)} 名）" if boarding else "") + "。")


def recruitment_note(meta: RunMeta) -> str:
    p = meta.parameter
    thr = _num_text(p("shortage.threshold", 0.5) or 0.5)
    need = ("全区净缺口（各校缺口扣除其他学校同学段同学科富余教师可统筹调剂的部分）" if p("recruitment.net_of_surplus", True)
            else "各校缺口之和")
    cap = "；招聘总数以全区统筹后的空编为上限" if p("recruitment.cap_by_vacancies", True) else ""
    return (f"建议招聘人数按学段、学科计算：{need}达到 {thr} 人的，按向上取整的人数招聘{cap}。招聘名额逐个分配到该学科"
            "缺口最大的学校（缺口相同时按学校代码顺序），分到超编学校的，所需编制由全区统筹调剂；未分到名额的学校，其缺口通过交流轮岗、走教和校际调剂解决。新招聘教师均为编制内岗位，"
            "不增加临聘教师。")


def zoujiao_note(meta: RunMeta) -> str:
    p = meta.parameter
    trip, per_period = float(p("zoujiao.subsidy_per_trip", 0) or 0), float(p("zoujiao.subsidy_per_period", 0) or 0)
    ppt, weeks = p("zoujiao.periods_per_trip", 2), p("zoujiao.weeks_per_month", 4)
    parts = []
    if trip:
        parts.append(f"每往返一次 {_num_text(trip)} 元（每名教师到每所走教学校每周往返次数 = 在该校的周课时 ÷ "
                     f"{_num_text(ppt)}，不足一次按一次计）")
    if per_period:
        parts.append(f"每课时 {_num_text(per_period)} 元")
    if not parts:
        return "走教教师不另发补贴。"
    return f"走教补贴按{'，另加'.join(parts)}计算，每月按 {_num_text(weeks)} 周计。"


def notice_notes(meta: RunMeta) -> list[str]:
    """The 说明 of the 公示 list, posted at the schools concerned: what it lists, what the columns mean, how the
    teacher numbers are shown — nothing about files, parameters or the program."""
    start = f"{meta.plan_year} 年 9 月 1 日"
    ids = ""
    if meta.options.get("id_numbers"):    # only when some 教师编号 is an ID number
        ids = ("教师编号完整显示。" if meta.options.get("show_id")
               else "以身份证号作为教师编号的，只显示前 6 位和后 4 位，中间以 * 代替。")
    days = int(meta.parameter("output.notice_days", 5) or 5)
    contact = str(meta.parameter("output.notice_contact", "") or "").strip() or "区教育局"
    return [f"计划年度：{meta.school_year}（学年自 {start}起）。",
            "「交流公示名单」按原学校列出本学年参加交流轮岗的教师：交流学校、到校任教学科（到交流学校后任教的学科）、交流类型和交流年限（自 "
            f"{start}起在交流学校任教的年数）。",
            "「走教公示名单」按本校列出本学年到其他学校走教的教师：走教学校和每周在该校上的课时；走教教师仍在"
            "本校任教。",
            ids + "名单不含考核、健康等个人情况。",
            f"公示期为 {days} 个工作日，自在学校张贴之日起计算。对名单有异议的，请在公示期内向{contact}实名反映。"]


def format_value(value) -> str:
    """A parameter or option value as the planner reads it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)) and not value:
        return "（无）"
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(v) for v in value)
    if isinstance(value, dict):     # a vocabulary: 本地写法 → 标准写法
        return "；".join(f"{k} → {format_value(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


_SOLVER_LABELS = {"name": "求解器", "status": "求解状态", "objective": "目标函数值", "gap": "相对间隙",
                  "runtime": "求解用时（秒）", "time_limit": "时间上限（秒）", "seed": "随机种子",
                  "threads": "线程数", "message": "说明"}
_OPTION_LABELS = {"show_id": "显示完整证件号/编号", "horizon": "预测年数", "format": "输出格式",
                  "top_n": "图表显示学校数", "backtest_years": "回测年数", "years": "回测年数",
                  "tested_years": "回测学年"}


def meta_rows(meta: RunMeta) -> list[tuple[str, str, str, str]]:
    if meta.public:
        return [("说明", "", line, "") for line in public_notes(meta)]
    rows: list[tuple[str, str, str, str]] = [
        ("运行", "命令", f"staffplan {meta.command}", ""),
        ("运行", "计划年度", meta.plan_year_text, "学年自当年 9 月 1 日起"),
    ]
    if meta.command in DEADLINE_COMMANDS:
        rows.append(("运行", "时间要求", DEADLINE_NOTE, "政策要求"))
    for name, value, source in meta.parameters:
        rows.append(("参数", str(name), format_value(value), str(source)))
    if not meta.inputs:
        rows.append(("输入文件", "（无）", "", ""))
    for item in meta.inputs:
        file = str(item.get("file", ""))
        sheet = str(item.get("sheet", "") or "")
        where = f"{file}（工作表 {sheet}）" if sheet else file
        sha = item.get("sha256", "")
        rows.append(("输入文件", str(item.get("table", "")), where, f"SHA-256 {sha}" if sha else ""))
    if meta.solver:
        for key, value in meta.solver.items():
            rows.append(("求解", _SOLVER_LABELS.get(key, str(key)), format_value(value), ""))
    else:
        rows.append(("求解", "求解器", "未使用", ""))
    for key, value in meta.options.items():
        rows.append(("选项", _OPTION_LABELS.get(key, str(key)), format_value(value), ""))
    for note in meta.notes:
        rows.append(("备注", "", str(note), ""))
    rows.append(("运行", "生成时间", meta.generated_at, "本表以外各表内容与生成时间无关"))
    return rows


def meta_sheet(meta: RunMeta) -> pd.DataFrame:
    """The 说明 sheet: one row per fact, columns 类别 / 项目 / 内容 / 来源或说明 (all text)."""
    return pd.DataFrame(meta_rows(meta), columns=META_COLUMNS, dtype=object)


@functools.lru_cache(maxsize=1)
def parameter_names() -> dict[str, str]:
    """Parameter key → its Chinese name (data/parameter_names.csv)."""
    from ..paths import data_table

    table = data_table("parameter_names.csv")
    return dict(zip(table["key"], table["name"]))


def meta_for_people(meta: RunMeta) -> pd.DataFrame:
    """The 说明 sheet as a reader wants it (workbook and CSV alike): parameters by their Chinese names (the
    key in a side column 参数键), input tables by their Chinese names, checksums labelled 校验值, defaults
    called 默认值. A public output (``meta.public``) gets the plain notes only, without 参数键."""
    from ..io.dataset import TABLE_NAMES

    df = meta_sheet(meta)
    if meta.public:
        return df[["内容"]]
    is_param = (df["类别"] == "参数").to_numpy()
    keys = df["项目"].where(is_param, "")
    names = parameter_names()
    df["项目"] = df["项目"].where(~is_param, keys.map(names).fillna(keys))
    is_input = (df["类别"] == "输入文件").to_numpy()
    df["项目"] = df["项目"].where(~is_input, df["项目"].map(TABLE_NAMES).fillna(df["项目"]))
    source = df["来源或说明"].astype(object)
    source = source.where(~(is_param & (source == "默认").to_numpy()), "默认值")
    source = source.str.replace(r"^SHA-256 ", "校验值（SHA-256）：", regex=True)
    df["来源或说明"] = source
    df["参数键"] = keys
    return df


def meta_dict(meta: RunMeta) -> dict:
    """The same facts as a JSON-friendly dict (for --format json)."""
    out = {
        "命令": f"staffplan {meta.command}",
        "计划年度": meta.plan_year,
        "学年": meta.school_year,
        "参数": [{"参数": parameter_names().get(n, n), "参数键": n, "值": v, "来源": "默认值" if s == "默认" else s}
               for n, v, s in meta.parameters],
        "输入文件": [{"表": i.get("table", ""), "文件": i.get("file", ""), "工作表": i.get("sheet", "") or "",
                   "SHA-256": i.get("sha256", "")} for i in meta.inputs],
        "求解": meta.solver or None,
        "选项": dict(meta.options),
        "生成时间": meta.generated_at,
    }
    if meta.command in DEADLINE_COMMANDS:
        out["时间要求"] = DEADLINE_NOTE
    if meta.notes:
        out["备注"] = list(meta.notes)
    return json.loads(json.dumps(out, ensure_ascii=False, default=str))
