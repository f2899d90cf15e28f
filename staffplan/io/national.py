"""Exports of the national systems, read as exported.

- :func:`read_statistics` — 教育事业统计 workbooks (教基3112 小学 / 3115 初级中学 / 3118 高级中学; older
  基础基312/313/314), one workbook per school (usually ``在校生/2025学年/<学校名称>.xlsx``) → canonical
  enrollment (school_id, year, grade, students, classes, src_file, src_sheet, src_row).
- :func:`join_parts` — a roster from the teacher-management system split over two sheets or files, each part
  already header-mapped to canonical column names, joined on id_number (身份证件号).
- :func:`apply_substitute_teachers` — 教职工类别 55 代课教师 count as 专任教师 but are 临聘.

The statistics tables are forms, not lists: a row of column letters above and a column of row numbers left
of the table, a title, a table-number line ending ``单位：人``, merged 2–3 row headers, a code row
``甲, 乙, 1, 2 …``, numbers stored as text, ``*`` in cells that must stay empty, padded labels (``总  计``).
We take the 总计 row only (never the #女 / #少数民族 / #寄宿生 breakdowns); the stage comes from the table
number, so the junior table's 一年级 is grade 7. Table numbers live in ``data/codes/statistics_tables.csv``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import InputError, Issues
from . import codes
from .normalize import grade_name
from staffplan.paths import data_rows

ENROLLMENT_OUT = ["school_id", "year", "grade", "students", "classes", "src_file", "src_sheet", "src_row"]

_TABLE_NO = re.compile(r"(教基|基础基)(\d{3,4})")
_YEAR_SPAN = re.compile(r"(\d{4})\s*[/／\-－—–~～至]\s*(\d{4})\s*学年")
_YEAR_ONE = re.compile(r"(\d{4})\s*学年")
_YEAR_ANY = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ID10 = re.compile(r"^\d{10}$")
_BREAKDOWN = ("女", "少数民族", "寄宿", "随迁", "残疾", "其中", "#", "留守", "外籍", "港澳台", "进城务工")
_EMPTY = {"", "*", "-", "—", "－", "/", "／", "--", "——", "×", "x", "X"}


# --------------------------------------------------------------------------------------------- helpers
def _txt(v: object) -> str:
    """Cell → text without any whitespace, NFKC (full-width digits/letters → half-width)."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        if v.is_integer():
            v = int(v)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v)))


@dataclass(frozen=True)
class Problem:
    """A finding of the table parser: refused (``error``) or only reported, with the sheet row and column."""

    error: bool
    message: str
    row: int | None = None
    column: str | None = None


def _num(v: object) -> tuple[float, bool]:
    """(value, ok): blank / * / - are (NaN, True); text that is no number is (NaN, False)."""
    if v is None:
        return np.nan, True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (float(v), True) if v == v else (np.nan, True)
    t = _txt(v).replace(",", "")
    if t in _EMPTY:
        return np.nan, True
    try:
        return float(t), True
    except ValueError:
        return np.nan, False


@functools.lru_cache(maxsize=None)
def statistics_tables() -> dict[str, dict[str, str]]:
    """Table number → {kind, stage, first_grade, description} from data/codes/statistics_tables.csv."""
    return {r["table"].strip(): r for r in data_rows("codes", "statistics_tables.csv")}


def _known_tables() -> str:
    """The enrollment table numbers we read, for messages: 教基3111/3112/… 或基础基312/…"""
    nos = [t for t, r in statistics_tables().items() if r["kind"] == "enrollment"]
    new = [t for t in nos if len(t) == 4]
    old = [t for t in nos if len(t) == 3]
    return "教基" + "/".join(new) + ("，或基础基" + "/".join(old) if old else "")


def _read_grids(path: Path, display: str, sheets: dict | None = None) -> list[tuple[str, list[list[object]]]]:
    """Every sheet as (name, rows) with rows[0] = Excel row 1 (A's generic reader), or as the caller already
    read them (``sheets``: path → RawSheets), so that no file is read twice."""
    from .excel import read_sheets

    got = (sheets or {}).get(path)
    return [(s.sheet, s.rows) for s in (got if got is not None else read_sheets(path, display))]


def _table_number(sheet: str, rows: list[list[object]]) -> str | None:
    known = statistics_tables()
    m = _TABLE_NO.search(_txt(sheet))
    if m and m.group(2) in known:
        return m.group(2)
    for row in rows[:8]:
        for v in row:
            m = _TABLE_NO.search(_txt(v))
            if m and m.group(2) in known:
                return m.group(2)
    return None


def _grade_key(label: str) -> tuple[bool, int] | None:
    """(absolute, grade) of a grade name from the grade vocabulary every reader uses (data/aliases/values_grade.csv):
    absolute for names that are a schema grade outright (七年级, 初一, 高一, 小班 −2 …), else the n-th grade inside the
    table (一年级…六年级: the junior table's 一年级 is its first grade)."""
    hit = grade_name(label)
    return None if hit is None else (not hit[1], hit[0])


def _is_breakdown(text: str) -> bool:
    return any(w in text for w in _BREAKDOWN)


def _is_total(label: str) -> bool:
    return label in ("总计", "合计") or label.startswith("总计")


def _is_classes(label: str) -> bool:
    return "班数" in label or "班级数" in label or label == "班级"


# --------------------------------------------------------------------------------------------- one table
@dataclass
class _Cell:
    grade: int  # the n-th grade inside the table (一年级 = 1), or a schema grade named outright (初一, 高一, 小班)
    absolute: bool  # grade is a schema grade (七年级, 初一, 高一, 小班 …), not a position in the table
    students: float
    classes: float
    row: int  # Excel row of the students figure


def _header_paths(rows: list[list[object]], top: int, bottom: int, width: int) -> list[list[str]]:
    """Label path (top → bottom) of each column from header rows top..bottom (0-based, inclusive).

    Merged cells hold text only in their first cell: a label is carried to the right only while the
    parent label above stays the same and the cell is empty (so ``预计毕业生数`` never inherits 六年级).
    """
    paths: list[list[str]] = [[] for _ in range(width)]
    parent = [""] * width
    for r in range(top, bottom + 1):
        row = rows[r] if r < len(rows) else []
        cur = [_txt(row[j]) if j < len(row) else "" for j in range(width)]
        filled = [""] * width
        for j in range(width):
            if cur[j]:
                filled[j] = cur[j]
            elif j > 0 and filled[j - 1] and parent[j] == parent[j - 1] and (r == top or parent[j]):
                filled[j] = filled[j - 1]
        for j in range(width):
            if filled[j]:
                paths[j].append(filled[j])
        parent = ["/".join(p) for p in paths]
    return paths


def _header_top(rows: list[list[object]], bottom: int, table_no: str | None) -> int:
    """First header row above ``bottom``: stop at the title / table-number line (at most 4 rows)."""
    top = bottom
    for r in range(bottom - 1, max(-1, bottom - 4), -1):
        cells = [_txt(v) for v in rows[r] if _txt(v)]
        joined = "".join(cells)
        if len(cells) <= 1 or "单位" in joined or (table_no and table_no in joined) or _TABLE_NO.search(joined):
            break
        if all(len(c) == 1 and c.isalpha() and c.isascii() for c in cells):  # row of column letters
            break
        top = r
    return top


def _parse_table(rows: list[list[object]], table_no: str | None) -> tuple[list[_Cell], list[str], int | None]:
    """Grade figures of one statistics table → (cells, problems, grades_in_table)."""
    width = max((len(r) for r in rows), default=0)
    texts = [[_txt(v) for v in r] for r in rows]
    problems: list[Problem] = []
    # the code row 甲, 乙, 1, 2 … (its 甲 marks the label column)
    code_row, label_col = None, None
    for i, row in enumerate(texts):
        if "甲" in row:
            j = row.index("甲")
            rest = [c for c in row[j + 1:] if c]
            if rest and (rest[0] == "乙" or rest[0].isdigit()):
                code_row, label_col = i, j
                break
    if code_row is None:  # no code row: the header ends with the row holding the grade names
        for i, row in enumerate(texts):
            if sum(1 for c in row if c and _grade_key(c)) >= 2:
                header_bottom, data_start = i, i + 1
                break
            if any(c and _grade_key(c) for c in row):  # grades as rows
                header_bottom, data_start = i - 1, i
                break
        else:
            return [], ["没有找到年级（一年级、二年级 …）"], None
        for row in texts[data_start:]:
            for j, c in enumerate(row):
                if _is_total(c) or (c and _grade_key(c)):
                    label_col = j
                    break
            if label_col is not None:
                break
        if label_col is None:
            label_col = 0
    else:
        header_bottom = code_row - 1
        data_start = code_row + 1
    top = _header_top(rows, header_bottom + 1, table_no) if header_bottom >= 0 else 0
    paths = _header_paths(rows, top, header_bottom, width) if header_bottom >= top else [[] for _ in range(width)]

    # orientation A: grades as columns — the 在校学生数 block, and beside it the 班数 block of the same grades
    grade_cols: dict[tuple[bool, int], int] = {}
    class_cols: dict[tuple[bool, int], int] = {}
    others: list[int] = []
    any_enrolled = any(any("在校" in p for p in path) for path in paths)
    for j, path in enumerate(paths):
        if j == label_col or not path:
            continue
        joined = "/".join(path)
        if _is_breakdown(joined) or "招生" in joined or "毕业" in joined:
            continue
        hits = [g for g in (_grade_key(p) for p in path) if g]
        if not hits:
            # a column of the pupils' or classes' block that is no grade and no total (托班, 混龄班): not counted, said
            if any_enrolled and ("在校" in joined or _is_classes(joined)) and len(path) > 1 \
                    and not (path[-1] == "计" or any(w in path[-1] for w in ("合计", "总计", "小计"))):
                others.append(j)
            continue
        key = hits[-1]
        if _is_classes(joined) and "在校" not in joined:
            class_cols.setdefault(key, j)
        elif (not any_enrolled or "在校" in joined) and key not in grade_cols:
            grade_cols[key] = j
    cells: list[_Cell] = []
    if grade_cols:
        total_row = class_row = None
        for i in range(data_start, len(texts)):
            label = texts[i][label_col] if label_col < len(texts[i]) else ""
            if total_row is None and _is_total(label):
                total_row = i
            elif class_row is None and _is_classes(label) and not _is_breakdown(label):
                class_row = i
        if total_row is None:
            return [], [Problem(False, "没有找到「总计」行，此表未读取")], None
        for key, j in sorted(grade_cols.items()):
            raw = rows[total_row][j] if j < len(rows[total_row]) else None
            s, ok = _num(raw)
            label = paths[j][-1] if paths[j] else f"{key[1]}年级"
            if not ok:   # a count that is no number is refused, as in the long and wide tables
                problems.append(Problem(True, f"{label}的在校学生数「{_txt(raw)}」不是数字，应为 45 这样的整数",
                                        total_row + 1, label))
            c = np.nan
            # classes: the 班数 column of the grade in the 总计 row, else a 班数 row under the grade's column
            where = ((total_row, class_cols[key]) if key in class_cols
                     else (class_row, j) if class_row is not None else None)
            if where is not None:
                r, cj = where
                raw_c = rows[r][cj] if cj < len(rows[r]) else None
                c, ok2 = _num(raw_c)
                if not ok2:
                    problems.append(Problem(False, f"{label}的班数「{_txt(raw_c)}」不是数字，已按空值处理（班数由人数推算）",
                                            r + 1, paths[cj][-1] if paths[cj] else label))
            if s == s:
                cells.append(_Cell(key[1], key[0], s, c, total_row + 1))
        for j in others:
            v, ok = _num(rows[total_row][j] if j < len(rows[total_row]) else None)
            if ok and v == v and v > 0:
                what = "班" if _is_classes("/".join(paths[j])) and "在校" not in "/".join(paths[j]) else "人"
                problems.append(Problem(False, f"「{paths[j][-1]}」不是年级，{v:g} {what}未计入（托班、混龄班等没有对应的年级；"
                                               "需要时请按年级拆分后填入在校生表）", total_row + 1, paths[j][-1]))
        return cells, problems, len(grade_cols)

    # orientation B: grades as rows; pick the students and classes columns by header
    stud_col = class_col = None
    for j, path in enumerate(paths):
        joined = "/".join(path)
        if j == label_col or _is_breakdown(joined):
            continue
        if class_col is None and _is_classes(joined):
            class_col = j
        elif stud_col is None and ("在校" in joined or "学生数" in joined or "人数" in joined) and "招生" not in joined \
                and "毕业" not in joined:
            stud_col = j
    if stud_col is None:
        return [], [Problem(False, "没有找到在校学生数所在的列，此表未读取")], None
    seen: set[tuple[bool, int]] = set()
    for i in range(data_start, len(texts)):
        label = texts[i][label_col] if label_col < len(texts[i]) else ""
        g = _grade_key(label) if label else None
        if not g or _is_breakdown(label):
            continue
        key = g
        if key in seen:
            continue
        seen.add(key)
        raw = rows[i][stud_col] if stud_col < len(rows[i]) else None
        s, ok = _num(raw)
        if not ok:
            col = paths[stud_col][-1] if paths[stud_col] else "在校学生数"
            problems.append(Problem(True, f"{label}的在校学生数「{_txt(raw)}」不是数字，应为 45 这样的整数", i + 1, col))
        c = np.nan
        if class_col is not None:
            c, _ = _num(rows[i][class_col] if class_col < len(rows[i]) else None)
        if s == s:
            cells.append(_Cell(key[1], key[0], s, c, i + 1))
    return cells, problems, len(seen)


# --------------------------------------------------------------------------------------------- school/year
def _school_card(grids: list[tuple[str, list[list[object]]]]) -> tuple[str | None, str | None, str]:
    """(学校标识码, 学校名称, sheet) from the school-card sheet (教基1001 / 基础基111)."""
    tables = statistics_tables()
    for sheet, rows in grids:
        tno = _table_number(sheet, rows)
        if not (tno and tables[tno]["kind"] == "card") and "基本情况" not in _txt(sheet):
            continue
        code = name = None
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                t = _txt(v)
                if code is None and "标识码" in t:
                    m = re.search(r"\d{10}", t)
                    cand = [m.group(0)] if m else []
                    cand += [_txt(x) for x in row[j + 1:]]
                    if i + 1 < len(rows) and j < len(rows[i + 1]):
                        cand.append(_txt(rows[i + 1][j]))
                    code = next((c for c in cand if _ID10.match(c)), None)
                if name is None and ("学校名称" in t or "机构名称" in t or "单位名称" in t):
                    rest = [_txt(x) for x in row[j + 1:] if _txt(x)]
                    name = rest[0] if rest else None
        if code or name:
            return code, name, sheet
    return None, None, ""


def _year_from_text(text: str) -> int | None:
    t = unicodedata.normalize("NFKC", text)
    m = _YEAR_SPAN.search(t)
    if m and int(m.group(2)) == int(m.group(1)) + 1:
        return int(m.group(1))
    m = _YEAR_ONE.search(t)
    return int(m.group(1)) if m else None


def _cover_year(grids: list[tuple[str, list[list[object]]]]) -> tuple[int | None, str]:
    """Year from the cover (封面), else from the title lines of the card and statistics sheets."""
    ordered = [g for g in grids if "封面" in g[0]] + [g for g in grids if "封面" not in g[0]
                                                    and _table_number(g[0], g[1])]
    for sheet, rows in ordered:
        for row in rows[:40]:
            for v in row:
                if isinstance(v, str) and "学年" in v:
                    y = _year_from_text(v)
                    if y:
                        return y, sheet
    return None, ""


def _path_year(path: Path, root: Path) -> tuple[int | None, str]:
    try:
        parts = list(path.relative_to(root).parts)
    except ValueError:
        parts = [path.name]
    parts[-1] = path.stem
    for part in reversed(parts):
        y = _year_from_text(part)
        if y:
            return y, part
    for part in reversed(parts):
        m = _YEAR_ANY.search(unicodedata.normalize("NFKC", part))
        if m:
            return int(m.group(1)), part
    return None, ""


def _norm_name(s: object) -> str:
    return re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", str(s)))


def _match_name(name: str, schools: pd.DataFrame) -> str | None:
    if not name or schools is None or schools.empty or "school_name" not in schools:
        return None
    names = schools["school_name"].map(_norm_name)
    key = _norm_name(name)
    exact = schools.loc[names == key, "school_id"]
    if len(exact) == 1:
        return str(exact.iloc[0])
    key = re.sub(r"\d{4}(?:[-/—]\d{4})?(?:学年)?(?:初)?", "", key).strip("_-")
    exact = schools.loc[names == key, "school_id"]
    if len(exact) == 1:
        return str(exact.iloc[0])
    inside = schools.loc[names.map(lambda n: bool(n) and (n in key or key in n)), "school_id"]
    return str(inside.iloc[0]) if len(inside) == 1 else None


def _display(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
        return rel.as_posix() if str(rel) != "." else path.name
    except ValueError:
        return path.name


# --------------------------------------------------------------------------------------------- hook 1
def read_statistics(paths: list[Path], root: Path, schools: pd.DataFrame, issues: Issues,
                    sheets: dict | None = None) -> pd.DataFrame:
    """教育事业统计 workbooks → canonical enrollment (one workbook = one school and one school year).

    The school is the 学校标识码 on the school-card sheet (教基1001 / 基础基111), else the card's or the
    file's name matched to ``schools.school_name``; the year is the cover's ``（2025 /2026 学年初）``, else
    the folder or file name. Each file gets an info issue saying which school and year it gave; two files
    for the same school and year are an error.  ``sheets`` (path → RawSheets) are workbooks the caller has
    already read.
    """
    root = Path(root)
    if root.is_file():
        root = root.parent
    ids = set(schools["school_id"].astype(str)) if schools is not None and "school_id" in schools else set()
    id_name = dict(zip(schools["school_id"].astype(str), schools["school_name"].astype(str))) \
        if schools is not None and {"school_id", "school_name"} <= set(schools.columns) else {}
    tables = statistics_tables()
    frames: list[pd.DataFrame] = []
    seen: dict[tuple[str, int], str] = {}
    for path in sorted((Path(p) for p in paths), key=lambda p: _display(p, root)):
        disp = _display(path, root)
        try:
            grids = _read_grids(path, disp, sheets)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        stat_sheets = [(sheet, rows, tno) for sheet, rows in grids
                       for tno in [_table_number(sheet, rows)] if tno and tables[tno]["kind"] == "enrollment"]
        if not stat_sheets:
            issues.warning(f"文件中没有找到在校生统计表（{_known_tables()}），已忽略", file=disp)
            continue
        # --- school
        code, card_name, card_sheet = _school_card(grids)
        school_id, how = None, ""
        if code and code in ids:
            school_id, how = code, f"学校标识码 {code}"
        else:
            if code:
                issues.warning(f"学校标识码 {code} 不在学校表中，改按学校名称匹配", file=disp, sheet=card_sheet)
            for cand, what in ((card_name, "基表中的学校名称"), (path.stem, "文件名")):
                sid = _match_name(cand, schools) if cand else None
                if sid:
                    school_id, how = sid, f"{what}「{cand}」"
                    break
        if school_id is None:
            issues.error("无法确定这份统计报表属于哪所学校：基表中没有学校表里的学校标识码，文件名也对不上学校名称",
                         file=disp, code="statistics_school")
            continue
        # --- year
        year, ysheet = _cover_year(grids)
        ywhere = f"封面「{ysheet}」" if year else ""
        if year is None:
            year, ypart = _path_year(path, root)
            ywhere = f"文件夹或文件名「{ypart}」" if year else ""
        if year is None:
            issues.error("无法确定这份统计报表的学年：封面没有「（2025/2026 学年初）」，文件夹和文件名中也没有年份",
                         file=disp, code="statistics_year")
            continue
        key = (school_id, year)
        if key in seen:
            issues.error(f"与文件「{seen[key]}」是同一所学校（{id_name.get(school_id, school_id)}）同一学年"
                         f"（{year} 学年）的统计报表，只能保留一份", file=disp, code="statistics_duplicate")
            continue
        seen[key] = disp
        # --- tables
        out_rows: list[dict] = []
        used: list[str] = []
        for sheet, rows, tno in stat_sheets:
            stage, first = tables[tno]["stage"], int(tables[tno]["first_grade"])
            cells, problems, ngrades = _parse_table(rows, tno)
            for p in problems:
                (issues.error if p.error else issues.warning)(f"{tables[tno]['description']}：{p.message}", file=disp,
                                                              sheet=sheet, row=p.row, column=p.column)
            if not cells:
                continue
            four_year = stage == "初中" and any(c.grade == 4 and not c.absolute and c.students > 0 for c in cells)
            if stage == "初中" and not four_year:  # an empty 四年级 column of the form: no five-four system
                cells = [c for c in cells if c.grade != 4 or c.absolute]
            if four_year:
                issues.warning("初级中学表有四年级（五四制初中）：初中一至四年级按 6–9 年级计", file=disp, sheet=sheet)
            for c in cells:
                if c.absolute:     # 七年级, 初一, 高一, 小班: already the schema grade
                    grade = c.grade
                else:
                    grade = (5 + c.grade) if four_year else first - 1 + c.grade
                    limit = {"幼儿园": 0, "小学": 6, "初中": 9, "高中": 12}.get(stage, 12)
                    if grade > limit:
                        issues.warning(f"{stage}表中的{c.grade}年级超出{stage}学段，已忽略", file=disp, sheet=sheet,
                                       row=c.row)
                        continue
                if c.students != int(c.students) or c.students < 0:
                    issues.warning("学生数不是非负整数，已取整", file=disp, sheet=sheet, row=c.row)
                out_rows.append({"school_id": school_id, "year": year, "grade": grade,
                                 "students": int(round(abs(c.students))), "classes": c.classes,
                                 "src_file": disp, "src_sheet": sheet, "src_row": c.row})
            used.append(sheet)
        if not out_rows:
            issues.warning("统计表中没有读到任何年级的在校学生数", file=disp)
            continue
        issues.info(f"统计报表：学校「{id_name.get(school_id, school_id)}」（代码 {school_id}，按{how}确定），"
                    f"{year} 学年（取自{ywhere}），读取工作表 {'、'.join(used)}", file=disp, code="statistics_file")
        df = pd.DataFrame(out_rows)
        dup = df.duplicated(["grade"], keep="first")
        if dup.any():
            for _, r in df[dup].iterrows():
                issues.error(f"{int(r['grade'])} 年级在两张表中都有人数", file=disp, sheet=r["src_sheet"],
                             row=int(r["src_row"]))
            df = df[~dup]
        frames.append(df)
    if not frames:
        return _empty_enrollment()
    out = pd.concat(frames, ignore_index=True)
    out["school_id"] = out["school_id"].astype(str)
    out["year"] = out["year"].astype(int)
    out["grade"] = out["grade"].astype(int)
    out["students"] = out["students"].astype(int)
    out["classes"] = out["classes"].astype(float)
    out["src_row"] = out["src_row"].astype(int)
    return out.sort_values(["school_id", "year", "grade"], kind="stable").reset_index(drop=True)[ENROLLMENT_OUT]


def _empty_enrollment() -> pd.DataFrame:
    return pd.DataFrame({"school_id": pd.Series(dtype=str), "year": pd.Series(dtype=int),
                         "grade": pd.Series(dtype=int), "students": pd.Series(dtype=int),
                         "classes": pd.Series(dtype=float), "src_file": pd.Series(dtype=str),
                         "src_sheet": pd.Series(dtype=str), "src_row": pd.Series(dtype=int)})


# --------------------------------------------------------------------------------------------- hook 2
_SRC = ["src_file", "src_sheet", "src_row"]


def _key(series: pd.Series) -> pd.Series:
    return series.map(lambda v: _txt(v).upper())


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype(str).str.strip().isin(["", "nan", "None", "NaT"])


def _where(row: pd.Series) -> dict:
    out = {"file": str(row.get("src_file", "") or ""), "sheet": str(row.get("src_sheet", "") or "")}
    r = row.get("src_row")
    if r is not None and r == r:
        out["row"] = int(r)
    return out


def _part_label(part: pd.DataFrame) -> str:
    files = part["src_file"].dropna().astype(str).unique() if "src_file" in part else []
    sheets = part["src_sheet"].dropna().astype(str).unique() if "src_sheet" in part else []
    f = files[0] if len(files) else ""
    s = sheets[0] if len(sheets) else ""
    return f"「{f}」" + (f"工作表「{s}」" if s else "")


def join_parts(parts: list[pd.DataFrame], issues: Issues) -> pd.DataFrame:
    """Outer-join roster parts on id_number (身份证件号).

    The base is the part with the most of a roster's own columns (姓名, 学校, 性别, 出生日期, 到本校时间 …), then
    the most rows, then the first. Columns of later parts fill
    columns the base lacks, and blank cells of columns both have (a conflict keeps the base's value, with a
    warning naming the column). A blank key or a key twice on one side is an error naming file, sheet
    and row. A row on one side only is *reported* (contract §1: "join them, and report rows that do not
    match") by a warning naming file, sheet and row: a base row stays (its missing columns are then checked
    like any blank cell); a row of a later part is left out — it is nobody on the roster. Row order: the
    base's.
    """
    parts = [p for p in parts if p is not None]
    if not parts:
        return pd.DataFrame()
    if len(parts) == 1:
        return apply_substitute_teachers(parts[0].copy(), issues)
    # the base is the part with the most of a roster's own columns (who, where, since when), then the most rows: a
    # 任教学科及职称 file that also lists 姓名 is not the base because its name sorts first
    core = ("name", "school_id", "school_name", "sex", "birth_date", "arrival_date", "work_start", "employment",
            "post", "status")
    score = [(sum(c in p.columns for c in core), len(p), -i) for i, p in enumerate(parts)]
    base_i = max(range(len(parts)), key=lambda i: score[i])
    order = [base_i] + [i for i in range(len(parts)) if i != base_i]
    prepared = []
    for i in order:
        p = parts[i].copy().reset_index(drop=True)
        for c in _SRC:
            if c not in p:
                p[c] = "" if c != "src_row" else np.nan
        if "id_number" not in p:
            issues.error(f"名册的这一部分没有「身份证件号」列，无法与其他部分对应", file=_part_label(p).strip("「」"))
            continue
        p["_key"] = _key(p["id_number"])
        blank = p["_key"] == ""
        for _, r in p[blank].iterrows():
            issues.error("缺少身份证件号，无法与名册的其他部分对应", column="身份证件号", **_where(r))
        dup = p["_key"].duplicated(keep="first") & ~blank
        for _, r in p[dup].iterrows():
            first = p[(p["_key"] == r["_key"])].iloc[0]
            issues.error(f"同一身份证件号在本表中出现两次（另见第 {_where(first).get('row', '?')} 行）",
                         column="身份证件号", **_where(r))
        keep = ~dup
        prepared.append(p[keep].copy())
    if not prepared:
        return apply_substitute_teachers(parts[0].copy(), issues)
    out = prepared[0]
    base_label = _part_label(out)
    for p in prepared[1:]:
        label = _part_label(p)
        pk = set(p.loc[p["_key"] != "", "_key"])
        bk = set(out.loc[out["_key"] != "", "_key"])
        # rows on one side only
        for _, r in out[(out["_key"] != "") & ~out["_key"].isin(pk)].iterrows():
            issues.warning(f"身份证件号在名册的另一部分{label}中找不到对应行（不匹配），该教师只有本表的信息",
                           column="身份证件号", **_where(r), code="roster_unmatched")
        extra = p[(p["_key"] != "") & ~p["_key"].isin(bk)]
        for _, r in extra.iterrows():
            issues.warning(f"身份证件号在名册的另一部分{base_label}中找不到对应行（不匹配），此行不计入教师",
                           column="身份证件号", **_where(r), code="roster_unmatched")
        data_cols = [c for c in p.columns if c not in _SRC and c not in ("_key", "id_number")]
        new_cols = [c for c in data_cols if c not in out.columns]
        common = [c for c in data_cols if c in out.columns]
        matched = p[(p["_key"] != "") & p["_key"].isin(bk)].set_index("_key")
        if new_cols:
            add = matched[new_cols]
            out = out.join(add, on="_key")
        for c in common:
            other = out["_key"].map(matched[c]) if len(matched) else pd.Series(np.nan, index=out.index)
            ob, pb = _blank(out[c]), _blank(other)
            conflict = ~ob & ~pb & (out[c].astype(str).str.strip() != other.astype(str).str.strip())
            if conflict.any():
                r = out[conflict].iloc[0]
                name = schema.TEACHER_COLUMNS.get(c, c)
                issues.warning(f"「{name}」在名册两部分中不一致（{int(conflict.sum())} 人），以{base_label}为准",
                               **_where(r))
            fill = ob & ~pb
            if fill.any():
                out[c] = out[c].astype(object).where(~fill, other)
    out = out.drop(columns=["_key"]).reset_index(drop=True)
    return apply_substitute_teachers(out, issues)


def apply_substitute_teachers(df: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    """教职工类别 55 代课教师 → post 专任教师 (by codes.decode) and employment 临聘, with one info issue.

    Works on raw or normalised values; a 代课教师 marked 在编 gets a warning and is counted 临聘.
    """
    if "post" not in df.columns or df.empty:
        return df
    post = df["post"]
    uniq = pd.unique(post.astype(object))  # decode each distinct 教职工类别 once
    implied = post.astype(object).map({v: codes.implied_employment(v) for v in uniq}).astype(object)
    mask = implied.notna()
    if not mask.any():
        return df
    df = df.copy()
    if "employment" in df.columns:
        current = codes.decode_series("employment", df["employment"])
        clash = mask & current.notna() & (current != implied)
        for _, r in df[clash].iterrows():
            issues.warning("教职工类别为代课教师，但是否在编填写为在编；按临聘计", column="是否在编", **_where(r))
        df["employment"] = df["employment"].astype(object).where(~mask, implied)
    else:
        df["employment"] = implied.where(mask, None)
    df["post"] = df["post"].astype(object).where(~mask, "专任教师")
    issues.info(f"{int(mask.sum())} 名代课教师（教职工类别 55）按专任教师、临聘计", code="substitute_teachers")
    return df
