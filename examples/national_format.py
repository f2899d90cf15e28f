"""Write a district in the formats the national systems export (for tests and the bundled example).

``write_national_format(frames, out_dir, seed=0)`` takes canonical frames (schools, enrollment, teachers,
optionally births / feeders / distances) and writes:

- ``学校.xlsx`` — school list keyed by the 10-digit 学校标识码, 办学类型 and 城乡 as statistics codes
  (``211``, ``312-九年一贯制学校``, ``121-镇中心区`` …);
- ``教师.xlsx`` — a roster as exported by the teacher-management system (全国教师管理信息系统), split over
  two sheets: ``基本信息`` (``*省 *市 *区县 *学校名称``, ``*姓名``, ``*身份证件号``, ``*性别`` as ``1-男``,
  ``*出生日期`` + line break + ``(yyyy-MM-dd)``, coded 是否在编 / 教职工类别 / 人员状态 / 学历 …) and
  ``岗位信息`` keyed by 身份证件号 (任教学科, 专业技术职务 as old/new names or GB/T 8561 codes, 考核,
  特殊情况, 本人意愿 …);
- ``在校生/<year>学年/<学校名称>.xlsx`` — one 教育事业统计 workbook per school and year: cover with
  ``（2025 /2026 学年初）``, school card 教基1001 with the 学校标识码, and 教基3112_小学 / 教基3115_初级中学 /
  教基3118_高级中学 with the real layout (column letters, row numbers, title, table-number line ending
  ``单位：人``, merged headers, code row 甲/乙/1/2…, numbers as text, ``*`` cells, #女 breakdown rows);
- ``出生人口.xlsx`` / ``对口.xlsx`` / ``距离.xlsx`` in the plain contract format when given.

Returns a dict: ``school_ids`` (canonical school_id → 学校标识码 written), ``teacher_ids`` (teacher_id →
身份证件号 written), ``skipped`` (what the national formats cannot hold, e.g. kindergarten grades).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_CN = "一二三四五六七八九"

STAGE_CODES = {"幼儿园": ("111", "幼儿园"), "小学": ("211", "小学"), "教学点": ("218", "小学教学点"),
               "初中": ("311", "初级中学"), "九年一贯制": ("312", "九年一贯制学校"), "完全中学": ("341", "完全中学"),
               "高中": ("342", "高级中学"), "十二年一贯制": ("345", "十二年一贯制学校"), "中职": ("364", "职业高中学校"),
               "特殊教育": ("514", "特殊教育学校")}
LOCALITY_CODES = {"城区": ("111", "主城区"), "镇区": ("121", "镇中心区"), "乡村": ("220", "村庄")}
DEGREE_CODES = {"研究生": ("14", "硕士研究生毕业"), "本科": ("21", "大学本科毕业"), "专科": ("31", "大学专科毕业"),
                "高中及以下": ("41", "中等专科毕业")}
POST_CODES = {"专任教师": "A1", "教辅": "A2", "行政": "A3", "工勤": "A4"}
POST_CODES_VOCATIONAL = {"专任教师": "A1", "行政": "A2", "教辅": "A3", "工勤": "A4"}
POST_NAMES = {"专任教师": "专任教师", "教辅": "教辅人员", "行政": "行政人员", "工勤": "工勤人员"}
STATUS_CODES = {"在本单位任职": "100", "长病假": "203", "暂未在本单位任职-交流轮岗": "205", "待退休": "209"}
TITLE_CODES = {"中学高级教师": "052", "中学一级教师": "053", "中学二级教师": "054", "小学高级教师": "413",
               "小学一级教师": "414", "小学二级教师": "415"}
# statistics tables: (table number, old number, sheet, title, first grade, last grade)
TABLES = [("3112", "312", "教基3112_小学", "小学学生情况", 1, 6),
          ("3115", "313", "教基3115_初级中学", "初级中学学生情况", 7, 9),
          ("3118", "314", "教基3118_高级中学", "高级中学学生情况", 10, 12)]


# ------------------------------------------------------------------------------------------- id numbers
try:
    from staffplan.rules.idcard import check_digit as _check_digit
except ImportError:  # pragma: no cover - the package's own helper is preferred
    def _check_digit(first17: str) -> str:
        return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def make_id_number(birth: pd.Timestamp, male: bool, seq: int, region: str = "330102",
                   used: set[str] | None = None) -> str:
    """A valid 18-digit 身份证号 for ``birth`` and sex (odd 17th digit = 男), deterministic in ``seq``;
    with ``used`` the next free sequence number is taken so that no number is given twice."""
    for k in range(500):
        order = ((seq + k) % 500) * 2 + (1 if male else 0)
        first17 = f"{region}{birth:%Y%m%d}{order:03d}"
        idn = first17 + _check_digit(first17)
        if used is None or idn not in used:
            if used is not None:
                used.add(idn)
            return idn
    raise ValueError("more than 500 people of one sex born on the same day")


def _school_code(seed: int, i: int) -> str:
    return f"31{seed % 10}{(i + 1):07d}"


# ------------------------------------------------------------------------------------------- helpers
def _s(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, pd.Timestamp) or isinstance(v, np.datetime64):
        return "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"
    if pd.isna(v) if not isinstance(v, (list, tuple, dict)) else False:
        return ""
    return str(v)


def _date(v) -> str:
    return "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


def _coded(code: str, name: str, form: int) -> str:
    """form 0 → 代码-名称, 1 → bare code, 2 → bare name."""
    return f"{code}-{name}" if form == 0 else (code if form == 1 else name)


def _write_rows(path: Path, sheets: list[tuple[str, list[list]]], finish=None) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if finish is not None:
            finish(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _frame_rows(df: pd.DataFrame) -> list[list]:
    out = [list(df.columns)]
    for row in df.itertuples(index=False):
        out.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    return out


# ------------------------------------------------------------------------------------------- schools
def _write_schools(schools: pd.DataFrame, out: Path, ids: dict[str, str], rng) -> None:
    rows = [["学校标识码", "学校名称", "办学类型", "镇街", "城乡", "办学水平", "教育集团", "核定编制", "寄宿生数",
             "经度", "纬度", "区县", "学区"]]
    for i, s in enumerate(schools.itertuples(index=False)):
        sc, sn = STAGE_CODES[s.stage]
        lc, ln = LOCALITY_CODES[s.locality]
        rows.append([ids[str(s.school_id)], s.school_name, _coded(sc, sn, i % 3), s.town,
                     _coded(lc, ln, (i + 1) % 3), getattr(s, "tier", "一般") or "一般", getattr(s, "group", "") or "",
                     _num(getattr(s, "quota_approved", np.nan)), _num(getattr(s, "boarders", 0.0)),
                     _num(getattr(s, "lon", np.nan)), _num(getattr(s, "lat", np.nan)), getattr(s, "county", "") or "",
                     getattr(s, "zone", "") or ""])
    _write_rows(out / "学校.xlsx", [("学校名单", rows)])


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if np.isnan(f):
        return None
    return int(f) if f.is_integer() else f


# ------------------------------------------------------------------------------------------- teachers
SHEET1 = ["*省", "*市", "*区县", "*学校名称", "*姓名", "*身份证件类型", "*身份证件号", "*性别", "*出生日期\n(yyyy-MM-dd)",
          "*参加工作年月(yyyy-MM-dd)", "*进本校年月(yyyy-MM-dd)", "*是否在编", "*教职工类别",
          "是否是县级及以上骨干教师", "*人员状态", "*学历"]


def _write_teachers(teachers: pd.DataFrame, schools: pd.DataFrame, out: Path, rng) -> dict[str, str]:
    name_of = dict(zip(schools["school_id"].astype(str), schools["school_name"]))
    stage_of = dict(zip(schools["school_id"].astype(str), schools["stage"]))
    county_of = dict(zip(schools["school_id"].astype(str), schools.get("county", pd.Series("", index=schools.index))))
    t = teachers.reset_index(drop=True)
    id_map: dict[str, str] = {}
    ids = []
    used = {str(v).strip() for v in t.get("id_number", pd.Series(dtype=object)).dropna() if str(v).strip()}
    for i, r in t.iterrows():
        idn = _s(r.get("id_number", "")).strip()
        if not idn:
            birth = r.get("birth_date")
            birth = pd.Timestamp(birth) if not pd.isna(birth) else pd.Timestamp(1980, 1, 1) + pd.Timedelta(days=i * 37)
            idn = make_id_number(birth, r.get("sex", "男") == "男", i, used=used)
        ids.append(idn)
        id_map[str(r["teacher_id"])] = idn
    need_teacher_id = any(str(tid) != idn for tid, idn in zip(t["teacher_id"], ids))
    rows1 = [SHEET1]
    rows2 = [["*身份证件号", "姓名"] + (["教师编号"] if need_teacher_id else []) +
             ["任教学科", "兼任学科", "周课时", "专业技术职务", "年度考核", "上年度考核", "特殊情况", "特殊情况已批准",
              "本人意愿", "约定退休日期", "退休年龄组"]]
    forms = rng.integers(0, 3, size=len(t))
    for i, r in t.iterrows():
        sid = str(r["school_id"])
        form = int(forms[i])
        sex_code = "1" if r["sex"] == "男" else "2"
        post = r.get("post", "专任教师") or "专任教师"
        vocational = stage_of.get(sid) == "中职"
        pcode = (POST_CODES_VOCATIONAL if vocational else POST_CODES)[post]
        status = r.get("status", "在本单位任职") or "在本单位任职"
        st = f"{STATUS_CODES[status]}-{status}" if status in STATUS_CODES else status
        dc, dn = DEGREE_CODES[r["degree"]]
        rows1.append([
            "浙江省", "杭州市", county_of.get(sid, "") or "某区", name_of[sid], r["name"], "1-居民身份证", ids[i],
            _coded(sex_code, r["sex"], form), _date(r["birth_date"]), _date(r.get("work_start")),
            _date(r["arrival_date"]),
            _coded("1" if r["employment"] == "在编" else "0", "是" if r["employment"] == "在编" else "否", form),
            # a named post keeps its 中职 meaning; a bare code only in ordinary schools
            # a 临聘 专任教师 is sometimes exported with the statistics code 55 代课教师
            "55-代课教师" if (post == "专任教师" and r["employment"] == "临聘" and i % 2 == 1) else
            _coded(pcode, POST_NAMES[post], 0 if vocational else form),
            _coded("1" if bool(r.get("backbone", False)) else "0", "是" if bool(r.get("backbone", False)) else "否",
                   form),
            st, _coded(dc, dn, form)])
        title = _s(r.get("title", ""))
        if title in TITLE_CODES and form != 2:
            title = _coded(TITLE_CODES[title], title, form)
        rows2.append([ids[i], r["name"]] + ([str(r["teacher_id"])] if need_teacher_id else []) + [
            r["subject"], _s(r.get("subject2", "")), _num(r.get("periods", np.nan)), title,
            _s(r.get("appraisal", "")), _s(r.get("appraisal_prev", "")), _s(r.get("special", "")),
            "是" if bool(r.get("special_approved", False)) else "", _s(r.get("willingness", "")),
            _date(r.get("agreed_retirement", pd.NaT)), _num(r.get("retirement_group", np.nan))])
    # the second sheet in another order, as exports from another screen come
    body = rows2[1:]
    order = rng.permutation(len(body))
    rows2 = [rows2[0]] + [body[k] for k in order]
    _write_rows(out / "教师.xlsx", [("基本信息", rows1), ("岗位信息", rows2)])
    return id_map


# ------------------------------------------------------------------------------------------- statistics
def _stats_sheet(table: tuple, counts: dict[int, tuple[int, float]], year: int, rng, three_rows: bool) -> list[list]:
    """One statistics table in its exported layout (rows of cells; text numbers)."""
    tno, old, _sheet, title, g0, g1 = table
    number = f"教基{tno}" if year >= 2012 else f"基础基{old}"
    grades = list(range(g0, g1 + 1))
    per = 2 if three_rows else 1
    # columns: A row numbers | B 甲 | C 乙 | D 毕业生数 | E 招生数 | F 合计 (or F,G) | grades … | 预计毕业生数
    ncols = 3 + 2 + per * (1 + len(grades)) + 1
    letters = [""] + [get_column_letter(k) for k in range(1, ncols)]
    pad = [""] * ncols

    def line(*cells_at):
        row = list(pad)
        for k, v in cells_at:
            row[k] = v
        return row

    rows = [letters, line((1, title)), line((1, f"{number}"), (ncols - 1, "单位：人"))]
    head1 = line((1, "项  目"), (2, "编号"), (3, "毕业生数"), (4, "招生数"), (5, "在校学生数"), (ncols - 1, "预计毕业生数"))
    head2 = list(pad)
    head3 = list(pad)
    for k, name in enumerate(["合计"] + [f"{_CN[g - g0]}年级" for g in grades]):
        head2[5 + per * k] = name
        if three_rows:
            head3[5 + per * k], head3[6 + per * k] = "计", "其中：女"
    rows += [head1, head2] + ([head3] if three_rows else [])
    code = line((1, "甲"), (2, "乙"))
    for k in range(3, ncols):
        code[k] = str(k - 2)
    rows.append(code)
    total = sum(counts.get(g, (0, np.nan))[0] for g in grades)
    first = counts.get(g0, (0, np.nan))[0]
    last = counts.get(g1, (0, np.nan))[0]

    def data_row(label, code_no, factor, classes=False):
        row = list(pad)
        row[1], row[2] = label, code_no
        if classes:
            row[3] = row[4] = "*"
            row[ncols - 1] = "*"
            vals = [counts.get(g, (0, np.nan))[1] for g in grades]
            known = [v for v in vals if v == v]
            cells = [str(int(sum(known)))] + [("" if v != v else str(int(v))) for v in vals] if known else \
                ["*"] * (1 + len(grades))
            for k, c in enumerate(cells):
                row[5 + per * k] = c
                if three_rows:
                    row[6 + per * k] = "*"
            return row
        def f(n):
            return str(int(round(n * factor)))
        row[3], row[4] = f(last * 0.98), f(first)
        row[ncols - 1] = f(last)
        for k, g in enumerate([None] + grades):
            n = total if g is None else counts.get(g, (None, np.nan))[0]
            row[5 + per * k] = "" if n is None else f(n)
            if three_rows:
                row[6 + per * k] = "" if n is None else f(n * 0.48)
        return row

    body = [data_row("总  计", "01", 1.0), data_row("#女", "02", 0.48), data_row("#少数民族", "03", 0.05),
            data_row("#寄宿生", "04", 0.2), data_row("班  数", "05", 1.0, classes=True)]
    for k, row in enumerate(body, start=1):
        row[0] = k
    rows += body
    rows.append(line((1, "注：本表由学校填报，#为其中数。")))
    return rows


def _write_statistics(schools: pd.DataFrame, enrollment: pd.DataFrame, ids: dict[str, str], out: Path, rng,
                      skipped: list[str]) -> None:
    info = schools.set_index(schools["school_id"].astype(str))
    e = enrollment.copy()
    e["school_id"] = e["school_id"].astype(str)
    low = e[e["grade"] < 1]
    if len(low):
        skipped.append(f"幼儿园年级 {len(low)} 行（统计报表写法只支持教基3112/3115/3118）")
    e = e[e["grade"] >= 1]
    for (sid, year), grp in e.groupby(["school_id", "year"], sort=True):
        s = info.loc[sid]
        counts = {int(g): (int(n), float(c) if c == c else np.nan)
                  for g, n, c in zip(grp["grade"], grp["students"], grp.get("classes", pd.Series(np.nan, index=grp.index)))}
        sc, sn = STAGE_CODES[s["stage"]]
        lc, ln = LOCALITY_CODES[s["locality"]]
        cover = [["教育事业统计基层报表"], [""], [f"（{year} /{year + 1} 学年初）"], [""],
                 [f"填报单位（盖章）：{s['school_name']}"], ["单位负责人：", "", "填表人："]]
        card = [[""] + [get_column_letter(k) for k in range(1, 5)],
                ["", "学校（机构）基本情况"],
                ["", "教基1001" if year >= 2012 else "基础基111"],
                ["", "学校（机构）标识码", ids[sid]],
                ["", "学校（机构）名称", s["school_name"]],
                ["", "办学类型", f"{sc}-{sn}"],
                ["", "城乡分类", f"{lc}-{ln}"],
                ["", "所在地区", s.get("town", "")]]
        sheets = [("封面", cover), ("教基1001" if year >= 2012 else "基础基111", card)]
        for table in TABLES:
            tcounts = {g: v for g, v in counts.items() if table[4] <= g <= table[5]}
            if not tcounts:
                continue
            three = table[0] == "3118"
            name = table[2] if year >= 2012 else f"基础基{table[1]}_{table[2].split('_')[1]}"
            sheets.append((name, _stats_sheet(table, tcounts, year, rng, three)))
        path = out / "在校生" / f"{year}学年" / f"{s['school_name']}.xlsx"
        _write_rows(path, sheets, finish=_merge_headers)


def _merge_headers(ws) -> None:
    """Merge the header cells as the exported form does (title across, 在校学生数 over the grades …)."""
    if ws.title.startswith(("教基31", "基础基31")):
        ncols = ws.max_column
        ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=ncols)
        ws.cell(2, 2).alignment = Alignment(horizontal="center")
        three = ws.cell(6, 6).value == "计"
        hb = 6 if three else 5
        for col in (2, 3, 4, 5, ncols):
            ws.merge_cells(start_row=4, start_column=col, end_row=hb, end_column=col)
        ws.merge_cells(start_row=4, start_column=6, end_row=4, end_column=ncols - 1)
        if three:
            for col in range(6, ncols - 1, 2):
                ws.merge_cells(start_row=5, start_column=col, end_row=5, end_column=col + 1)


# ------------------------------------------------------------------------------------------- entry point
def write_national_format(frames: dict[str, pd.DataFrame], out_dir: Path, seed: int = 0) -> dict:
    """Write ``frames`` (canonical) as national-system exports under ``out_dir`` (see module docstring)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    schools = frames["schools"].copy()
    schools["school_id"] = schools["school_id"].astype(str)
    ids = {sid: (sid if sid.isdigit() and len(sid) == 10 else _school_code(seed, i))
           for i, sid in enumerate(schools["school_id"])}
    skipped: list[str] = []
    _write_schools(schools, out, ids, rng)
    result = {"school_ids": ids, "teacher_ids": {}, "skipped": skipped}
    if "teachers" in frames and frames["teachers"] is not None and len(frames["teachers"]):
        result["teacher_ids"] = _write_teachers(frames["teachers"], schools, out, rng)
    if "enrollment" in frames and frames["enrollment"] is not None and len(frames["enrollment"]):
        _write_statistics(schools, frames["enrollment"], ids, out, rng, skipped)
    plain = {"births": ("出生人口.xlsx", {"town": "镇街", "birth_year": "出生年份", "births": "出生人数"}),
             "feeders": ("对口.xlsx", {"school_id": "学校代码", "feeder_id": "生源学校代码", "share": "比例"}),
             "distances": ("距离.xlsx", {"a": "学校代码A", "b": "学校代码B", "km": "距离公里"})}
    for key, (fname, cols) in plain.items():
        df = frames.get(key)
        if df is None or not len(df):
            continue
        df = df[[c for c in cols if c in df.columns]].copy()
        for c in ("school_id", "feeder_id", "a", "b"):
            if c in df:
                df[c] = df[c].astype(str).map(lambda v: ids.get(v, v))
        _write_rows(out / fname, [(fname[:-5], _frame_rows(df.rename(columns=cols)))])
    return result


if __name__ == "__main__":  # pragma: no cover - manual use: python examples/national_format.py OUT_DIR
    import sys

    try:
        from staffplan.synth import build_district
    except ImportError:
        sys.exit("staffplan.synth is not available")
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "national-example")
    print(write_national_format(build_district(0), target)["skipped"])
