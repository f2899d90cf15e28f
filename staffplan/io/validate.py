"""Cross-field and cross-table checks on a loaded Dataset. Returns Issues (never raises for data problems).

Messages never carry ID numbers or birth dates; they name the file, sheet, row and column instead.
"""
from __future__ import annotations

import datetime as _dt

import pandas as pd

from .. import schema
from ..config import Config, default_config
from ..errors import InputError, Issues
from ..rules import idcard
from .dataset import report_cells


def _ref_date(ds: schema.Dataset, cfg: Config) -> pd.Timestamp:
    month = int(cfg.get("retirement.plan_date_month", 9))
    day = int(cfg.get("retirement.plan_date_day", 1))
    if len(ds.enrollment) and ds.enrollment["year"].notna().any():
        return pd.Timestamp(int(ds.enrollment["year"].max()) + 1, month, day)
    today = _dt.date.today()
    return pd.Timestamp(today.year, month, day)


def _years_between(a: pd.Series, b: pd.Timestamp | pd.Series) -> pd.Series:
    """Whole years from a to b."""
    by = b.year if isinstance(b, pd.Timestamp) else b.dt.year
    bm = b.month if isinstance(b, pd.Timestamp) else b.dt.month
    bd = b.day if isinstance(b, pd.Timestamp) else b.dt.day
    years = by - a.dt.year
    before = (bm < a.dt.month) | ((bm == a.dt.month) & (bd < a.dt.day))
    return years - before.astype(int)


def _duplicates(issues: Issues, df: pd.DataFrame, keys: list[str], column: str, what: str) -> None:
    if not len(df):
        return
    dup = df.duplicated(keys, keep="first")
    if not dup.any():
        return
    first_rows = df.drop_duplicates(keys, keep="first").set_index(keys)["src_row"]
    for r in df.index[dup][:20]:
        key = tuple(df.loc[r, keys]) if len(keys) > 1 else df.loc[r, keys[0]]
        try:
            orig = int(first_rows.loc[key])
        except (KeyError, TypeError, ValueError):
            orig = None
        tail = f"（与第 {orig} 行重复）" if orig else ""
        issues.error(f"{what}重复{tail}，每个{what}只能出现一次", file=str(df.at[r, "src_file"]),
                     sheet=str(df.at[r, "src_sheet"]), row=int(df.at[r, "src_row"]), column=column)
    if dup.sum() > 20:
        issues.error(f"另有 {int(dup.sum()) - 20} 行{what}重复未逐一列出", column=column)


def validate_schools(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    s = ds.schools
    if not len(s):
        return
    lab = lambda f, d: ds.label("schools", f, d)  # noqa: E731
    _duplicates(issues, s[s["school_id"] != ""], ["school_id"], lab("school_id", "学校代码"), "学校代码")
    names = s[s["school_name"] != ""]
    dup = names.duplicated("school_name", keep="first")
    report_cells(issues, names, dup, lab("school_name", "学校名称"), "学校名称与上面某行重复：按名称引用这所学校时会有歧义", severity="警告")
    for c, label in (("quota_approved", lab("quota_approved", "核定编制")), ("boarders", lab("boarders", "寄宿生数"))):
        report_cells(issues, s.assign(_v=s[c]), s[c] < 0, label, lambda v, l=label: f"{l}「{v}」不能为负数", value_col="_v")
    bad_lon = s["lon"].notna() & ((s["lon"] < -180) | (s["lon"] > 180))
    bad_lat = s["lat"].notna() & ((s["lat"] < -90) | (s["lat"] > 90))
    report_cells(issues, s.assign(_v=s["lon"]), bad_lon, "经度", lambda v: f"经度「{v}」超出 -180～180 度", value_col="_v")
    report_cells(issues, s.assign(_v=s["lat"]), bad_lat, "纬度", lambda v: f"纬度「{v}」超出 -90～90 度", value_col="_v")


def validate_enrollment(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    e = ds.enrollment
    if not len(e):
        return
    lab = lambda f, d: ds.label("enrollment", f, d)  # noqa: E731
    school_col = lab("school_id", "") or lab("school_name", "") or lab("school_ref", "学校代码")
    ids = set(ds.schools["school_id"])
    unknown = ~e["school_id"].isin(ids) & (e["school_id"] != "") & bool(len(ds.schools))
    report_cells(issues, e, unknown, school_col,
                 lambda v: f"学校「{v}」不在学校表中（按学校代码和学校名称都找不到）", value_col="school_id")
    stage = e["school_id"].map(dict(zip(ds.schools["school_id"], ds.schools["stage"])))
    allowed = {k: set(v) for k, v in schema.STAGE_GRADES.items()}
    # a school whose 学段 was not understood (already an error) is not checked grade by grade
    ok_grade = [(g in allowed.get(st, set())) if isinstance(st, str) and st else True for g, st in zip(e["grade"], stage)]
    bad_grade = pd.Series(ok_grade, index=e.index) == False  # noqa: E712
    names = schema.GRADE_NAMES
    report_cells(issues, e.assign(_v=[f"{names.get(g, g)}（学段 {st}）" for g, st in zip(e["grade"], stage)]),
                 bad_grade & ~unknown, lab("grade", "年级"), lambda v: f"年级与学校学段不符：{v}", value_col="_v")
    # a code that two schools share (said once, at 学校) makes their 在校生 rows look duplicated: not said again here
    shared = ds.schools["school_id"][ds.schools["school_id"].duplicated(keep=False)]
    _duplicates(issues, e[~e["school_id"].isin(set(shared))], ["school_id", "year", "grade"], lab("grade", "年级"),
                "同一学校同一学年同一年级的在校生数")
    max_students = cfg.get("input.max_students_per_grade", 5000)
    st_col, cl_col = lab("students", "学生数"), lab("classes", "班数")
    report_cells(issues, e.assign(_v=e["students"]), e["students"] < 0, st_col,
                 lambda v: f"学生数「{v}」不能为负数", value_col="_v")
    report_cells(issues, e.assign(_v=e["students"]), e["students"] > max_students, st_col,
                 lambda v: f"学生数「{v}」超过 {max_students}（配置项 input.max_students_per_grade），请核对", value_col="_v")
    cls = e["classes"]
    report_cells(issues, e.assign(_v=cls), cls < 0, cl_col, lambda v: f"班数「{v}」不能为负数", value_col="_v")
    report_cells(issues, e.assign(_v=cls), cls.notna() & (cls % 1 != 0), cl_col,
                 lambda v: f"班数「{v}」不是整数", value_col="_v")
    report_cells(issues, e.assign(_v=cls), (cls == 0) & (e["students"] > 0), cl_col,
                 lambda v: "有学生但班数为 0", value_col="_v")
    size = e["students"] / cls.where(cls > 0)
    hard = cfg.get("input.max_class_size_error", 80)
    soft = cfg.get("classes.super_large_class", 66)
    txt = e.assign(_v=size.round(1))
    report_cells(issues, txt, size > hard, cl_col,
                 lambda v: f"平均班额 {v} 人超过 {hard} 人，学生数或班数可能填错", value_col="_v")
    report_cells(issues, txt, (size > soft) & (size <= hard), cl_col,
                 lambda v: f"平均班额 {v} 人，属超大班额（超过 {soft} 人）", severity="警告", value_col="_v")


def validate_history(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    """Schools without enrollment history (no projection possible) or with a single year (a guess)."""
    s, e = ds.schools, ds.enrollment
    if not len(s) or not len(e):
        return
    years = e.groupby("school_id")["year"].agg(["nunique", "max"])
    n = s["school_id"].map(years["nunique"]).fillna(0)
    last = s["school_id"].map(years["max"])
    col = ds.label("schools", "school_id", "学校代码")
    report_cells(issues, s, n == 0, col,
                 "这所学校没有任何学年的在校生数，无法预测其学生数和编制；请在在校生表中补上", severity="警告")
    last = last.map(lambda y: "" if pd.isna(y) else str(int(y)))
    report_cells(issues, s.assign(_v=last), n == 1, col,
                 lambda v: f"这所学校只有一个学年（{v}）的在校生数，无法按本校升级率推算，预测只是估计，请补充往年数据",
                 severity="警告", value_col="_v")


def validate_size(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    """A large data set without 区县: exchange is then planned as one county (slow, probably not intended)."""
    max_s, max_t = cfg.get("input.large_schools", 300), cfg.get("input.large_teachers", 20000)
    s, t = ds.schools, ds.teachers
    if not (len(s) > max_s or len(t) > max_t):
        return
    if len(s) and (s["county"].fillna("").astype(str) != "").any():
        return
    used = [x for x in ds.sources if x.get("table") == "schools"]
    issues.warning(f"数据有 {len(s)} 所学校、{len(t)} 名教师（超过 {max_s} 所或 {max_t} 人），但学校表没有「区县」列："
                   "交流轮岗将把全部学校当作一个区县求解，既慢也可能不符合实际；请在学校表加「区县」列",
                   file=str(used[0].get("file", "")) if used else "", sheet=str(used[0].get("sheet", "")) if used else "",
                   column="区县")


def validate_teachers(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    t = ds.teachers
    if not len(t):
        return
    lab = lambda f, d: ds.label("teachers", f, d)  # noqa: E731
    key_col = lab("teacher_id", "") or lab("id_number", "教师编号")
    school_col = lab("school_id", "") or lab("school_name", "") or lab("school_ref", "学校代码")
    ids = t["id_number"].fillna("")
    has_id = ids != ""
    # 身份证号 saved as numbers: Excel keeps 15 significant digits, so an 18-digit number ends in 000 (or is shown as
    # 4.40301E+17) — the cause, said once, instead of thousands of rows "not a valid number" and "duplicate"
    # (the reader has already dropped such numbers where each row has its own 教师编号, 性别 and 出生日期)
    lost = has_id & idcard.number_stored_column(ids)    # a few such rows: reported one by one below
    if lost.any():
        first = t.index[lost.to_numpy()][0]
        issues.error(f"「{lab('id_number', '身份证号')}」列有 {int(lost.sum())} 个号码以数字格式保存，末尾几位已经失真（Excel "
                     "的数字只保留 15 位有效数字），号码已无法恢复，而有的教师没有教师编号、性别或出生日期，只能靠身份证号："
                     "请在原系统中把该列设为文本格式后重新导出，或补上「教师编号」「性别」「出生日期」列",
                     file=str(t.at[first, "src_file"]), sheet=str(t.at[first, "src_sheet"]),
                     row=int(t.at[first, "src_row"]), column=lab("id_number", "身份证号"), code="id_as_number")
        has_id = has_id & ~lost
        ids = ids.where(~lost, "")
    keyed = t[(t["teacher_id"] != "") & ~(lost & (t["teacher_id"] == t["id_number"]))]
    _duplicates(issues, keyed, ["teacher_id"], key_col, "教师编号（或身份证号）")
    # the same person under two 教师编号 (rows already reported as duplicate 教师编号 are left out)
    dup_key = keyed["teacher_id"].duplicated(keep=False).reindex(t.index, fill_value=False)
    _duplicates(issues, t[has_id & ~dup_key], ["id_number"], lab("id_number", "身份证号"), "身份证号")
    chk = idcard.validate_ids(ids)
    bad = has_id & ~chk["valid"]

    def masked(mask):  # masked IDs of the flagged rows only
        out = pd.Series([""] * len(t), index=t.index, dtype=object)
        if mask.any():
            out[mask] = idcard.mask_ids(ids[mask]).to_numpy(dtype=object)
        return t.assign(_v=out)

    report_cells(issues, masked(bad), bad, lab("id_number", "身份证号"),
                 "身份证号不是有效的 18 位号码（位数、出生日期或校验位不对），请核对本行", value_col="_v")
    valid = has_id & chk["valid"]
    sex_diff = valid & (t["sex"] != "") & (t["sex"] != chk["sex"])
    report_cells(issues, masked(sex_diff), sex_diff, lab("sex", "性别"),
                 "性别与身份证号不一致，请核对本行", value_col="_v")
    bd = t["birth_date"]
    ib = chk["birth_date"]
    month_only = bd.dt.day == 1
    same = (bd.dt.year == ib.dt.year) & (bd.dt.month == ib.dt.month) & (month_only | (bd.dt.day == ib.dt.day))
    birth_diff = valid & bd.notna() & ~same
    report_cells(issues, masked(birth_diff), birth_diff, lab("birth_date", "出生日期"),
                 "出生日期与身份证号不一致，请核对本行", value_col="_v")
    ids_ok = set(ds.schools["school_id"])
    unknown = (t["school_id"] != "") & ~t["school_id"].isin(ids_ok) & bool(len(ds.schools))
    report_cells(issues, t, unknown, school_col,
                 lambda v: f"学校「{v}」不在学校表中（按学校代码和学校名称都找不到）", value_col="school_id")
    ref = _ref_date(ds, cfg)
    age = _years_between(bd, ref)
    lo, hi = cfg.get("input.min_teacher_age", 18), cfg.get("input.max_teacher_age", 70)
    report_cells(issues, t, bd.notna() & (age < lo), lab("birth_date", "出生日期"),
                 f"按出生日期算，到 {ref:%Y-%m-%d} 时不满 {lo} 岁，出生日期可能填错")
    report_cells(issues, t, bd.notna() & (age > hi), lab("birth_date", "出生日期"),
                 f"按出生日期算，到 {ref:%Y-%m-%d} 时已超过 {hi} 岁，出生日期可能填错")
    for col, label in (("arrival_date", lab("arrival_date", "到本校时间")), ("work_start", lab("work_start", "参加工作时间"))):
        d = t[col]
        early = d.notna() & bd.notna() & (_years_between(bd, d) < 18)
        report_cells(issues, t, early, label, f"{label}早于本人满 18 岁，请核对{label}和出生日期")
        future = d.notna() & (d > ref)
        # a teacher cannot have arrived after the plan date: an error for 到本校时间 (exchange eligibility rests
        # on it), a warning for 参加工作时间
        report_cells(issues, t.assign(_v=d.dt.strftime("%Y-%m-%d")), future, label,
                     lambda v, l=label: f"{l}「{v}」晚于计划日期 {ref:%Y-%m-%d}，应为已经发生的日期",
                     severity="错误" if col == "arrival_date" else "警告", value_col="_v")
    before = t["arrival_date"].notna() & t["work_start"].notna() & (t["arrival_date"] < t["work_start"])
    report_cells(issues, t, before, lab("arrival_date", "到本校时间"), "到本校时间早于参加工作时间，请核对", severity="警告")
    grp = t["retirement_group"]
    report_cells(issues, t.assign(_v=grp), grp.notna() & ~grp.isin([50, 55, 60]), lab("retirement_group", "退休年龄组"),
                 lambda v: f"退休年龄组「{v}」应为 60、55 或 50", value_col="_v")
    _retirement_warnings(t, ref, cfg, issues, lab)
    _pending_special_warning(t, issues, lab)
    per = t["periods"]
    report_cells(issues, t.assign(_v=per), per.notna() & ((per < 0) | (per > 40)), lab("periods", "周课时"),
                 lambda v: f"周课时「{v}」不在 0～40 之间，请核对", value_col="_v")
    if "periods2" in t.columns:
        per2 = pd.to_numeric(t["periods2"], errors="coerce")
        lab2 = lab("periods2", "兼任课时")
        report_cells(issues, t.assign(_v=per2), per2.notna() & ((per2 < 0) | (per2 > 40)), lab2,
                     lambda v: f"兼任课时「{v}」不在 0～40 之间，请核对", value_col="_v")
        report_cells(issues, t.assign(_v=per2), per2.notna() & per.notna() & (per2 > per) & (per2 <= 40), lab2,
                     lambda v: f"兼任课时「{v}」大于周课时（周课时是全部周课时，含兼任学科）；按兼任课时等于周课时计算",
                     severity="警告", value_col="_v")
        no2 = per2.notna() & (per2 > 0) & (t["subject2"].fillna("").astype(str) == "")
        report_cells(issues, t.assign(_v=per2), no2, lab2, "填了兼任课时但没有兼任学科，兼任课时不计入供给",
                     severity="警告", value_col="_v")
    if "teach_stage" in t.columns and len(ds.schools):
        # 任教学段 given for a stage the school does not teach (高中 at a 九年一贯制): ignored, the stage is inferred
        from ..rules.standards import stage_taught

        kind = t["school_id"].map(ds.schools.drop_duplicates("school_id").set_index("school_id")["stage"])
        given = t["teach_stage"].fillna("").astype(str)
        wrong = (given != "") & kind.notna() & ~stage_taught(kind.to_numpy(dtype=object), given.to_numpy(dtype=object))
        report_cells(issues, t.assign(_k=kind.fillna("")), wrong, lab("teach_stage", "任教学段"),
                     lambda v: f"任教学段「{v}」不是本校（学校表中的学段）所设的学段，已不采用，按本校各学段课时需求推定",
                     severity="警告", value_col="teach_stage")
    sub_ok = t["subject"].isin(schema.SUBJECTS + [""])
    report_cells(issues, t, ~sub_ok, lab("subject", "任教学科"), lambda v: f"任教学科「{v}」不在学科表中", value_col="subject")


def _pending_special_warning(t: pd.DataFrame, issues: Issues, lab) -> None:
    """domain §6: a 特殊情况 (孕期/哺乳期/重大疾病) filed but not approved is listed as 待审批 and not selected,
    with a warning: one line for all such teachers on quota (the situation itself is not printed)."""
    special = t["special"].fillna("").astype(str) != ""
    approved = t["special_approved"].fillna(False).astype(bool)
    on_quota = t["employment"].fillna("").astype(str) != "临聘"
    pending = special & ~approved & on_quota
    if not pending.any():
        return
    r = pending[pending].index[0]
    ap = lab("special_approved", "特殊情况已批准")
    issues.warning(f"{int(pending.sum())} 名教师的「{lab('special', '特殊情况')}」已备案但未注明批准：其中其他条件都符合"
                   f"交流的，交流资格列为「待审批」，本轮不安排交流；批准后请在「{ap}」列填「是」并重算", file=str(t.at[r, "src_file"]),
                   sheet=str(t.at[r, "src_sheet"]), row=int(t.at[r, "src_row"]), column=ap)


def _retirement_warnings(t: pd.DataFrame, ref: pd.Timestamp, cfg: Config, issues: Issues, lab) -> None:
    """Roster rows past their retirement date on the plan date, and agreed dates outside the legal bounds
    (rules.retirement.roster_retirement; no date is printed); columns named by the user's own headers (``lab``)."""
    from ..rules.retirement import roster_retirement

    r = roster_retirement(t, ref.year, cfg)
    report_cells(issues, t, r["past"], lab("birth_date", "出生日期"),
                 f"按出生日期（及约定退休日期）计算，已在 {ref:%Y-%m-%d} 前达到退休日期，花名册仍列此人：请核实是否已退休"
                 "（不计入供给、不参加交流）", severity="警告", show_value=False)
    flex = cfg["retirement.flexible_years"]
    report_cells(issues, t.assign(_v=r["agreed_problem"]), r["agreed_problem"] != "",
                 lab("agreed_retirement", "约定退休日期"),
                 lambda v: f"{v}（法律允许最多提前或推迟 {flex:g} 年，且不得低于原法定退休年龄），按法定退休日期计算",
                 severity="警告", value_col="_v", show_value=False)


def validate_optional(ds: schema.Dataset, cfg: Config, issues: Issues) -> None:
    ids = set(ds.schools["school_id"])
    if not ids:  # the school table itself failed: its error is enough, no cascade of unknown schools
        return
    f = ds.feeders
    if len(f):
        for c, label in (("school_id", "学校代码"), ("feeder_id", "生源学校代码")):
            unknown = (f[c] != "") & ~f[c].isin(ids)
            report_cells(issues, f, unknown, label, lambda v: f"学校代码「{v}」不在学校表中", value_col=c)
        share = f["share"]
        report_cells(issues, f.assign(_v=share), share.notna() & ((share < 0) | (share > 1.0 + 1e-9)), "比例",
                     lambda v: f"比例「{v}」应在 0～1 之间（或 0%～100%）", value_col="_v")
    d = ds.distances
    if len(d):
        for c, label in (("a", "学校代码A"), ("b", "学校代码B")):
            unknown = (d[c] != "") & ~d[c].isin(ids)
            report_cells(issues, d, unknown, label, lambda v: f"学校代码「{v}」不在学校表中", value_col=c)
        report_cells(issues, d.assign(_v=d["km"]), d["km"] < 0, "距离公里", lambda v: f"距离「{v}」不能为负数",
                     value_col="_v")
    b = ds.births
    if len(b):
        report_cells(issues, b.assign(_v=b["births"]), b["births"] < 0, "出生人数",
                     lambda v: f"出生人数「{v}」不能为负数", value_col="_v")
        _duplicates(issues, b, ["town", "birth_year"], "出生年份", "同一镇街同一年份的出生人数")


EMPTY_ROSTER = "教师名册为空：供给按 0 计算"
EMPTY_ROSTER_NOTE = EMPTY_ROSTER + "，各校各学科缺口即全部需求，招聘计划为预排方案；名册收齐后请重新测算"
EMPTY_ROSTER_CODE = "empty_roster"


def roster_is_empty(ds: schema.Dataset) -> bool:
    """The roster was found and read but holds no teacher rows (only its header)."""
    return len(ds.teachers) == 0 and any(s.get("table") == "teachers" for s in ds.sources)


def require_roster(ds: schema.Dataset, what: str) -> None:
    """Raise InputError when the roster is empty: ``what`` (交流轮岗方案 …) needs teachers to work with."""
    if len(ds.teachers):
        return
    src = next((s for s in ds.sources if s.get("table") == "teachers"), {})
    raise InputError(f"教师名册为空（只有表头，没有教师）：没有可安排的教师，无法编制{what}；请填写教师名册后再运行",
                     file=str(src.get("file", "")), sheet=str(src.get("sheet", "")), code=EMPTY_ROSTER_CODE)


def validate(ds: schema.Dataset, config: Config | None = None) -> Issues:
    """All checks on a loaded data set; returns the findings (errors, warnings)."""
    cfg = config or default_config()
    issues = Issues()
    for table, frame, label in (("schools", ds.schools, "学校"), ("enrollment", ds.enrollment, "在校生"),
                                ("teachers", ds.teachers, "教师")):
        used = [s for s in ds.sources if s.get("table") == table]
        failed = {(i.file, i.sheet) for i in (ds.issues or []) if i.severity == "错误"}
        if len(frame) == 0 and used and (str(used[0].get("file", "")), str(used[0].get("sheet", ""))) not in failed:
            where = dict(file=str(used[0].get("file", "")), sheet=str(used[0].get("sheet", "")))
            if table == "teachers":  # a roster still being collected: forecast with zero supply, nothing to rotate
                issues.warning(EMPTY_ROSTER_NOTE, code=EMPTY_ROSTER_CODE, **where)
            else:
                issues.error(f"「{label}」表只有表头，没有数据行", **where)
    validate_schools(ds, cfg, issues)
    validate_enrollment(ds, cfg, issues)
    validate_teachers(ds, cfg, issues)
    validate_optional(ds, cfg, issues)
    validate_history(ds, cfg, issues)
    validate_size(ds, cfg, issues)
    return issues
