"""Write the example district as valid-but-messy and broken variants (issue 14).

Written from the public format descriptions only (docs: contract.md §1, domain.md, the issue text, the
`staffplan template` output and the example district's data files) - not from the reader's source.

Each *valid* variant is a folder (or one workbook) holding the same schools, enrollment numbers and people
as ``examples/示例区``, written the way real bureaus and the national systems write them; the expected
result of ``check`` and ``forecast`` is exactly the clean example's.  Each *broken* variant is the example
(roster cut to its first rows, to keep the test fast) with one defect; the manifest names the file, sheet,
row number as seen in Excel (CSV: line number) and the column header the error must name.

Usage::

    python tests/variants/make_variants.py OUT_DIR [--seed N] [--only NAME ...]

writes OUT_DIR/<name>/... and OUT_DIR/manifest.json.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import json
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import openpyxl
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "examples" / "示例区"
CLEAN_NATIONAL = ROOT / "examples" / "示例区-国家系统格式"
SEED = 20261
BROKEN_ROSTER_ROWS = 400          # broken variants keep the first rows of the roster (speed)
PLAN_YEAR = 2026

# ---------------------------------------------------------------------------------------------
# vocabularies of the national systems used to *write* variants (public code tables, see contract.md)
# title level of every title word found in the clean example (domain.md §6 title ladder)
TITLE_LEVEL = {
    "正高级教师": "正高级", "高级教师": "副高级", "中学高级教师": "副高级",
    "一级教师": "中级", "中学一级教师": "中级", "小学高级教师": "中级",
    "二级教师": "初级", "中学二级教师": "初级", "小学一级教师": "初级",
    "三级教师": "员级", "中学三级教师": "员级", "小学二级教师": "员级", "小学三级教师": "员级",
    "未定级": "未定级", "试用期": "未定级",
}
# how the teacher-management system writes each level (issue 14, class 1)
TITLE_TMS = {"正高级": ["中小学正高级教师"], "副高级": ["中小学高级教师"], "中级": ["中小学一级教师"],
             "初级": ["中小学二级教师"], "员级": ["中小学三级教师"], "未定级": ["未定职级"]}
# GB/T 8561 codes (contract.md: 052/053/054 中学高级/一级/二级, 413/414/415 小学高级/一级/二级)
TITLE_CODED_SECONDARY = {"副高级": ["052-高级教师（中学）", "052-中学高级教师", "052"],
                         "中级": ["053-一级教师（中学）", "053-中学一级教师", "053"],
                         "初级": ["054-二级教师（中学）", "054-中学二级教师", "054"],
                         "员级": ["三级教师", "中学三级教师"],
                         "正高级": ["正高级教师", "中小学正高级教师"], "未定级": ["未定职级", "未定级"]}
TITLE_CODED_PRIMARY = {"副高级": ["中小学高级教师", "高级教师"],
                       "中级": ["413-小学高级教师", "413", "一级教师"],
                       "初级": ["414-小学一级教师", "414", "二级教师"],
                       "员级": ["415-小学二级教师", "415"],
                       "正高级": ["正高级教师"], "未定级": ["未定职级", "试用期"]}
# employment words (issue 14 class 3): the unambiguous 编外 words, and 编制内 for 在编
EMPLOY_ON = ["在编", "编制内"]
EMPLOY_OFF = ["编外聘用", "编外人员", "外聘", "临时聘用", "合同工", "自聘", "政府购买服务", "代课"]
# statistics system 办学类型 / 城乡 codes (contract.md §1 national exports)
TYPE_CODE = {"幼儿园": "111", "小学": "211", "小学教学点": "218", "初级中学": "311",
             "九年一贯制学校": "312", "完全中学": "341", "高级中学": "342"}
URBAN_CODES = {"城区": [("111", "主城区"), ("112", "城乡结合区")],
               "镇区": [("121", "镇中心区"), ("122", "镇乡结合区")],
               "乡村": [("210", "乡中心区"), ("220", "村庄")]}
# GB/T 4658 学历 codes (contract.md): only those named there
DEGREE_CODED = {"本科": ["21-大学本科毕业", "21", "大学本科毕业"], "大学本科": ["21-大学本科毕业", "大学本科毕业"],
                "专科": ["31-大学专科毕业", "31", "大学专科毕业"], "大专": ["31-大学专科毕业", "大学专科毕业"],
                "硕士": ["14-硕士研究生毕业", "14"], "硕士研究生": ["14-硕士研究生毕业", "硕士研究生毕业"]}
POST_CODED = {"专任教师": ["A1-专任教师", "A1", "专任教师"], "教辅": ["A2-教辅人员", "A2"],
              "行政": ["A3-行政人员", "A3"], "工勤": ["A4-工勤人员", "A4"]}
SEX_CODED = {"男": ["1-男", "1", "男"], "女": ["2-女", "2", "女"]}
YESNO_CODED = {"是": ["1-是", "1", "是"], "否": ["0-否", "0", "否"]}

GRADES = ["小班", "中班", "大班", "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
          "七年级", "八年级", "九年级", "高一", "高二", "高三"]
JUNIOR_OLD = {"七年级": "初一", "八年级": "初二", "九年级": "初三"}
GRADE_ALIASES = {**{v: k for k, v in JUNIOR_OLD.items()}}
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# ---------------------------------------------------------------------------------------------
# the clean example, in memory
@dataclass
class Table:
    header: list
    rows: list                      # list of lists of cell values (str / int / float / datetime / None)

    def col(self, name: str) -> int:
        return self.header.index(name)

    def copy(self) -> "Table":
        return Table(list(self.header), [list(r) for r in self.rows])

    def drop(self, *names: str) -> "Table":
        keep = [i for i, h in enumerate(self.header) if h not in names]
        return Table([self.header[i] for i in keep], [[r[i] for i in keep] for r in self.rows])

    def rename(self, mapping: dict) -> "Table":
        return Table([mapping.get(h, h) for h in self.header], self.rows)

    def map_col(self, name: str, fn: Callable) -> "Table":
        i = self.col(name)
        for r in self.rows:
            r[i] = fn(r[i], r)
        return self


@dataclass
class Clean:
    schools: Table
    teachers: Table
    births: Table
    feeders: Table
    enrollment: list                # dicts: code, name, year, grade (canonical), classes, students
    school_name: dict               # code -> name
    school_type: dict               # code -> 办学类型


def _sheet_rows(ws) -> list:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _table(path: Path) -> Table:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = _sheet_rows(wb.worksheets[0])
    wb.close()
    width = len(rows[0])
    return Table(rows[0], [r + [None] * (width - len(r)) for r in rows[1:]])


def _int(v):
    if v is None or v == "":
        return None
    return int(str(v).translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}))


def load_clean(folder: Path = CLEAN) -> Clean:
    schools = _table(folder / "学校.xlsx")
    teachers = _table(folder / "教师.xlsx")
    births = _table(folder / "出生人口.xlsx")
    feeders = _table(folder / "对口.xlsx")
    enrollment = []
    wb = openpyxl.load_workbook(folder / "在校生.xlsx", read_only=True)
    for ws in wb.worksheets:
        year = int(re.match(r"(\d{4})", ws.title).group(1))
        rows = _sheet_rows(ws)
        top = rows[1]
        for r in rows[3:]:
            if not r or not (isinstance(r[0], str) and r[0].isdigit()):
                continue
            for j in range(2, len(top), 2):
                label = top[j]
                if label in (None, "总计", "合计"):
                    continue
                grade = GRADE_ALIASES.get(label, label)
                cls, stu = (r[j] if j < len(r) else None), (r[j + 1] if j + 1 < len(r) else None)
                if cls is None and stu is None:
                    continue
                enrollment.append(dict(code=r[0], name=r[1], year=year, grade=grade,
                                       classes=_int(cls), students=_int(stu)))
    wb.close()
    sc, sn, st = schools.col("学校标识码"), schools.col("学校名称"), schools.col("办学类型")
    return Clean(schools, teachers, births, feeders, enrollment,
                 {r[sc]: r[sn] for r in schools.rows}, {r[sc]: r[st] for r in schools.rows})


# ---------------------------------------------------------------------------------------------
# writers
@dataclass
class Sheet:
    name: str
    rows: list
    merges: list = field(default_factory=list)     # "A2:A5"
    text_cols: tuple = ()                          # column indexes forced to text format "@"


def write_xlsx(path: Path, sheets: list) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh.name)
        for r in sh.rows:
            ws.append(list(r))
        for m in sh.merges:
            ws.merge_cells(m)
        for c in sh.text_cols:
            for cell in ws.iter_cols(min_col=c + 1, max_col=c + 1, min_row=1):
                for x in cell:
                    if isinstance(x.value, str):
                        x.number_format = "@"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def table_sheet(name: str, t: Table, title: list | None = None, footer: list | None = None) -> Sheet:
    rows = [[x] for x in (title or [])] + [t.header] + t.rows + [[x] for x in (footer or [])]
    return Sheet(name, rows)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def write_csv(path: Path, t: Table, encoding: str = "utf-8-sig", wrap_cols: tuple = ()) -> Path:
    """CSV as a web system exports it; ``wrap_cols`` are written ="...", the Excel text trick."""
    path.parent.mkdir(parents=True, exist_ok=True)
    idx = {t.col(c) for c in wrap_cols if c in t.header}
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(t.header)
        for r in t.rows:
            w.writerow([f'="{_text(v)}"' if i in idx and v not in (None, "") else _text(v)
                        for i, v in enumerate(r)])
    return path


def write_html_xls(path: Path, t: Table, title: str | None = None) -> Path:
    """An HTML table saved as .xls, as many web systems 'export to Excel'."""
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head>'
           '<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><table border="1">']
    if title:
        out.append(f'<tr><td colspan="{len(t.header)}">{html.escape(title)}</td></tr>')
    out.append("<tr>" + "".join(f"<th>{html.escape(_text(h))}</th>" for h in t.header) + "</tr>")
    for r in t.rows:
        out.append("<tr>" + "".join(f'<td style="mso-number-format:\'\\@\'">{html.escape(_text(v))}</td>'
                                    for v in r) + "</tr>")
    out.append("</table></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def write_spreadsheetml(path: Path, sheets: list) -> Path:
    """Excel 2003 XML (SpreadsheetML), saved with the .xls extension."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<?mso-application progid="Excel.Sheet"?>',
           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">']
    for sh in sheets:
        out.append(f'<Worksheet ss:Name="{html.escape(sh.name)}"><Table>')
        for r in sh.rows:
            cells = []
            for v in r:
                if v is None:
                    cells.append("<Cell/>")
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    cells.append(f'<Cell><Data ss:Type="Number">{v}</Data></Cell>')
                else:
                    cells.append(f'<Cell><Data ss:Type="String">{html.escape(_text(v))}</Data></Cell>')
            out.append("<Row>" + "".join(cells) + "</Row>")
        out.append("</Table></Worksheet>")
    out.append("</Workbook>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


class XlsConverter:
    """Collects .xlsx files to turn into real BIFF8 .xls with one LibreOffice run at the end."""

    def __init__(self):
        self.jobs: list = []        # (source xlsx, final path)
        self.available = shutil.which("soffice") is not None

    def add(self, src: Path, final: Path):
        self.jobs.append((src, final))

    def run(self):
        if not self.jobs:
            return
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            staged = []
            for k, (src, final) in enumerate(self.jobs):
                s = tmp / f"f{k}.xlsx"
                shutil.move(str(src), s)
                staged.append((s, final))
            subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                            "--convert-to", "xls", "--outdir", str(tmp / "out")] + [str(s) for s, _ in staged],
                           check=True, capture_output=True, timeout=300)
            for s, final in staged:
                final.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(tmp / "out" / (s.stem + ".xls")), final)
        self.jobs = []


# ---------------------------------------------------------------------------------------------
# renderers for enrollment
def enroll_long(clean: Clean, year_fmt: Callable = lambda y, rng: y, with_name: bool = True,
                grade_fmt: Callable = lambda g, rng: g, rng=None) -> Table:
    header = ["学校代码"] + (["学校名称"] if with_name else []) + ["学年", "年级", "学生数", "班数"]
    rows = []
    for e in clean.enrollment:
        rows.append([e["code"]] + ([e["name"]] if with_name else []) +
                    [year_fmt(e["year"], rng), grade_fmt(e["grade"], rng), e["students"], e["classes"]])
    return Table(header, rows)


def _school_order(clean: Clean) -> list:
    return [r[clean.schools.col("学校标识码")] for r in clean.schools.rows]


def enroll_wide(clean: Clean, years: list, *, grade_label: Callable = lambda g, y: g,
                sub=("班数", "学生数"), title: str | None = "示例区{y}—{y1}学年中小学、幼儿园在校生统计表",
                year_col: Callable | None = None, total_row: bool = True, total_col: bool = True,
                notes: bool = True, merge_school: bool = False, text_numbers: Callable | None = None) -> Sheet:
    """Wide table: one row per school (and year when ``year_col`` is given), grade pairs as columns under a
    two-row merged header.  Returns the sheet with its merges."""
    by = {}
    for e in clean.enrollment:
        if e["year"] in years:
            by.setdefault((e["code"], e["year"]), {})[e["grade"]] = (e["classes"], e["students"])
    present = [g for g in GRADES if any(g in v for v in by.values())]
    lead = ["学校标识码", "学校名称"] + (["学年"] if year_col else [])
    top = list(lead)
    second = [None] * len(lead)
    for g in present + (["合计"] if total_col else []):
        top += [grade_label(g, years[0]) if g != "合计" else "合计", None]
        second += list(sub)
    rows, merges = [], []
    if title:
        rows.append([title.format(y=years[0], y1=years[0] + 1)])
        merges.append(f"A1:{get_column_letter(len(top))}1")
    h = len(rows) + 1
    rows += [top, second]
    for i in range(len(lead)):
        merges.append(f"{get_column_letter(i + 1)}{h}:{get_column_letter(i + 1)}{h + 1}")
    for k in range(len(lead), len(top), 2):
        merges.append(f"{get_column_letter(k + 1)}{h}:{get_column_letter(k + 2)}{h}")
    order = _school_order(clean)
    keys = [(c, y) for c in order for y in years if (c, y) in by] if merge_school else \
           [(c, y) for y in years for c in order if (c, y) in by]
    first_data = len(rows) + 1
    tot = [0, 0] * (len(present) + 1)
    for c, y in keys:
        cells = by[(c, y)]
        r = [c, clean.school_name[c]] + ([year_col(y)] if year_col else [])
        sc = ss = 0
        for gi, g in enumerate(present):
            v = cells.get(g)
            if v is None:
                r += [None, None]
            else:
                sc += v[0] or 0
                ss += v[1] or 0
                tot[2 * gi] += v[0] or 0
                tot[2 * gi + 1] += v[1] or 0
                r += [text_numbers(v[0]) if text_numbers else v[0], text_numbers(v[1]) if text_numbers else v[1]]
        if total_col:
            r += [sc, ss]
        rows.append(r)
    if merge_school:     # code and name merged down over the school's year rows
        start = first_data
        for c in order:
            n = sum(1 for k in keys if k[0] == c)
            if n > 1:
                merges += [f"A{start}:A{start + n - 1}", f"B{start}:B{start + n - 1}"]
            start += n
    if total_row:
        tot[-2:] = [sum(tot[0:-2:2]), sum(tot[1:-2:2])]
        rows.append([None, "总计"] + ([None] if year_col else []) + (tot if total_col else tot[:-2]))
    if notes:
        rows.append(["说明：1. 本表据教育事业统计报表整理；2. 班数含复式班；3. 空白表示该校无此年级。"])
        rows.append(["填表人：张某某\u3000\u3000审核人：李某某"])
    return Sheet("在校生", rows, merges)


def years_of(clean: Clean) -> list:
    return sorted({e["year"] for e in clean.enrollment})


# ---------------------------------------------------------------------------------------------
# value renderers
def parse_date(v):
    """(y, m, d or None) of a clean date cell."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return (v.year, v.month, v.day)
    s = str(v).strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?", s)
    if not m:
        raise ValueError(s)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)


def render_date(v, rng: random.Random, allow_cell: bool = True):
    """The same date (same precision) in another common form."""
    p = parse_date(v)
    if p is None:
        return None
    y, m, d = p
    if d is None:
        forms = [f"{y}年{m}月", f"{y}.{m:02d}", f"{y}-{m:02d}", f"{y}/{m}", f"{y}{m:02d}", f"{y}.{m}"]
        return rng.choice(forms)
    forms = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}{m:02d}{d:02d}",
             f"{y}.{m}.{d}", f"{y}.{m:02d}.{d:02d}"]
    if allow_cell:
        forms += ["cell", "cell", "serial"]
    f = rng.choice(forms)
    if f == "cell":
        return dt.datetime(y, m, d)
    if f == "serial":
        return (dt.date(y, m, d) - dt.date(1899, 12, 30)).days
    return f


def title_level(word: str) -> str:
    return TITLE_LEVEL[word]


def _primary(clean: Clean, code, name) -> bool:
    if code is None:
        code = next((c for c, n in clean.school_name.items() if n == name), None)
    return clean.school_type.get(code) in ("幼儿园", "小学", "小学教学点")


def fill_codes(clean: Clean, t: Table) -> Table:
    """Fill an empty 学校代码 from 单位名称 (same school, written differently)."""
    by_name = {n: c for c, n in clean.school_name.items()}
    ci, ni = t.col("学校代码"), t.col("单位名称")
    for r in t.rows:
        if r[ci] in (None, ""):
            r[ci] = by_name[r[ni]]
    return t


# ---------------------------------------------------------------------------------------------
# the variants
@dataclass
class Ctx:
    clean: Clean
    out: Path                       # the variant's folder
    rng: random.Random
    xls: XlsConverter

    def copy(self, *names: str, ext_map: dict | None = None):
        for n in names:
            target = self.out / ((ext_map or {}).get(n, n + ".xlsx"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(CLEAN / (n + ".xlsx"), target)

    def copy_all_but(self, *names: str):
        self.copy(*[n for n in ("学校", "在校生", "教师", "出生人口", "对口") if n not in names])


@dataclass
class Variant:
    name: str
    classes: tuple
    description: str
    build: Callable                 # (Ctx) -> dataset path relative to the variant folder ("." = folder)
    needs_soffice: bool = False
    baseline: str = "plain"         # the clean data set whose results it must reproduce: plain / national


@dataclass
class Broken:
    name: str
    description: str
    build: Callable                 # (Ctx) -> dict(path=..., file=, sheet=, row=, columns=[...])


VALID: list = []
BROKEN: list = []


def valid(name, classes, description, needs_soffice=False, baseline="plain"):
    def deco(fn):
        VALID.append(Variant(name, tuple(classes), description, fn, needs_soffice, baseline))
        return fn
    return deco


def broken(name, description):
    def deco(fn):
        BROKEN.append(Broken(name, description, fn))
        return fn
    return deco


def only(ctx: Ctx, name: str, sheets: list) -> str:
    """Write table ``name`` as one workbook of ``sheets``; copy the other tables from the clean example."""
    write_xlsx(ctx.out / f"{name}.xlsx", sheets)
    ctx.copy_all_but(name)
    return "."


def teachers(ctx: Ctx) -> Table:
    return ctx.clean.teachers.copy()


def schools(ctx: Ctx) -> Table:
    return ctx.clean.schools.copy()


def _tms_title(ctx, word, row):
    return ctx.rng.choice(TITLE_TMS[title_level(word)]) if ctx.rng.random() < 0.8 else word


# ---- class 1: titles ---------------------------------------------------------------------------
@valid("v01_titles_tms", ["titles"], "职称 as the teacher-management system writes it: 中小学一级教师, 中小学高级教师, "
       "中小学二级教师, 中小学三级教师, 中小学正高级教师, 未定职级 (80 % of rows), old/new names for the rest")
def _(ctx):
    t = teachers(ctx).map_col("专业技术职务", lambda v, r: _tms_title(ctx, v, r))
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


def _coded_title(ctx, v, r, t):
    table = TITLE_CODED_PRIMARY if _primary(ctx.clean, r[t.col("学校代码")], r[t.col("单位名称")]) \
        else TITLE_CODED_SECONDARY
    return ctx.rng.choice(table[title_level(v)])


@valid("v02_titles_gbt8561", ["titles", "codes"], "职称 as GB/T 8561 code-name (054-二级教师（中学）, 413-小学高级教师), "
       "bare code (053, 414) or name; header 现任专业技术职务 → kept as 专业技术职务 with * marker")
def _(ctx):
    t = teachers(ctx)
    t.map_col("专业技术职务", lambda v, r: _coded_title(ctx, v, r, t))
    t = t.rename({"专业技术职务": "*专业技术职务"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


@valid("v03_titles_spacing", ["titles"], "职称 with stray spaces, full-width brackets and stage suffixes: "
       "' 一级教师 ', '一级教师（中学）', '二级教师(小学)', '中小学高级教师'")
def _(ctx):
    def f(v, r):
        lvl = title_level(v)
        k = ctx.rng.random()
        if lvl in ("副高级", "中级", "初级") and v in ("高级教师", "一级教师", "二级教师") and k < 0.4:
            stage = "（小学）" if _primary(ctx.clean, r[t.col("学校代码")], r[t.col("单位名称")]) else "（中学）"
            return v + (stage if ctx.rng.random() < 0.5 else stage.replace("（", "(").replace("）", ")"))
        if k < 0.6:
            return f" {v} " if ctx.rng.random() < 0.5 else f"{v}\u3000"
        if k < 0.8:
            return ctx.rng.choice(TITLE_TMS[lvl])
        return v
    t = teachers(ctx)
    t.map_col("专业技术职务", f)
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


# ---- class 2: school-list headers ---------------------------------------------------------------
STATS_HEADERS = {"学校标识码": "学校（机构）标识码", "学校名称": "学校（机构）名称", "办学类型": "学校（机构）办学类型",
                 "镇街": "所在乡镇（街道）", "城乡": "学校（机构）所在地城乡类型"}


@valid("v04_school_stats_headers", ["school_headers"], "学校 headers of the statistics system: 学校（机构）标识码, "
       "学校（机构）名称, 学校（机构）办学类型, 所在乡镇（街道）, 学校（机构）所在地城乡类型")
def _(ctx):
    return only(ctx, "学校", [table_sheet("学校", schools(ctx).rename(STATS_HEADERS))])


@valid("v05_school_header_markers", ["school_headers"], "学校 headers with * markers, line breaks + format hints, "
       "half-width brackets, （盖章） suffix, 所在乡镇 / 所在地城乡类型, units in brackets; a title row above")
def _(ctx):
    t = schools(ctx).rename({"学校标识码": "*学校(机构)标识码", "学校名称": "*学校名称（盖章）",
                             "办学类型": "*办学类型\n(请从下拉列表选择)", "镇街": "所在乡镇", "城乡": "*所在地城乡类型",
                             "办学水平": "办学水平\n（优质/一般/薄弱）", "核定编制": "核定编制（人）",
                             "寄宿生数": "寄宿生数(人)", "经度": "经度（°）", "纬度": "纬度（°）"})
    return only(ctx, "学校", [table_sheet("学校名单", t, title=["示例区中小学、幼儿园名单"])])


@valid("v06_school_coded_values", ["school_headers", "codes"], "办学类型 and 城乡 as 代码-名称, bare code or name "
       "(211-小学, 342, 九年一贯制学校; 121-镇中心区, 220, 乡村), statistics-system headers")
def _(ctx):
    def typ(v, r):
        code = TYPE_CODE[v]
        return ctx.rng.choice([f"{code}-{v}", code, v])

    def urb(v, r):
        code, name = ctx.rng.choice(URBAN_CODES[v])
        return ctx.rng.choice([f"{code}-{name}", code, v])
    t = schools(ctx).map_col("办学类型", typ).map_col("城乡", urb).rename(STATS_HEADERS)
    return only(ctx, "学校", [table_sheet("学校", t)])


# ---- class 3: employment words -----------------------------------------------------------------
def _employ(ctx, v):
    return ctx.rng.choice(EMPLOY_ON) if v in ("在编", "编制内") else ctx.rng.choice(EMPLOY_OFF)


@valid("v07_employment_words", ["employment"], "用工类型 written 编外聘用, 编外人员, 外聘, 临时聘用, 合同工, 自聘, "
       "政府购买服务, 代课 (临聘) and 编制内/在编; header 用工类型")
def _(ctx):
    t = teachers(ctx).map_col("编制情况", lambda v, r: _employ(ctx, v)).rename({"编制情况": "用工类型"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


@valid("v08_employment_is_quota", ["employment", "codes"], "是否在编 column (1-是 / 0-否 / 是 / 否 / 1 / 0) "
       "instead of 编制情况")
def _(ctx):
    t = teachers(ctx).map_col("编制情况", lambda v, r: ctx.rng.choice(YESNO_CODED["是" if v in EMPLOY_ON else "否"]))
    t = t.rename({"编制情况": "是否在编"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


BUREAU_WORDS_ON = ["人事代理", "员额制", "备案制"]
BUREAU_WORDS_OFF = ["特岗教师"]
# the mapping a bureau writes itself; the key is the one `staffplan check` names for an unknown word
BUREAU_TOML = """# 本区的用工类型写法（示例区教育局人事股确认）
[vocabulary]
employment = { "人事代理" = "在编", "员额制" = "在编", "备案制" = "在编", "特岗教师" = "临聘" }
"""


@valid("v36_employment_bureau_mapped", ["employment", "layout"], "用工类型 words a bureau must map itself "
       "(人事代理, 员额制, 备案制 → 在编; 特岗教师 → 临聘) with the mapping in the folder's staffplan.toml "
       "[vocabulary] employment")
def _(ctx):
    def f(v, r):
        words = BUREAU_WORDS_ON if v in EMPLOY_ON else BUREAU_WORDS_OFF
        return ctx.rng.choice(words) if ctx.rng.random() < 0.3 else v
    t = teachers(ctx).map_col("编制情况", f)
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教职工花名册", t)])
    (ctx.out / "staffplan.toml").write_text(BUREAU_TOML, encoding="utf-8")
    ctx.copy_all_but("教师")
    return "."


# ---- class 4: rosters split into sheets --------------------------------------------------------
def _split(t: Table, key: Callable) -> dict:
    parts: dict = {}
    for r in t.rows:
        parts.setdefault(key(r), []).append(r)
    return parts


@valid("v09_roster_split_by_kind", ["split_sheets"], "roster in two sheets 在编教师 / 临聘教师 with the same header "
       "and no 用工类型 column")
def _(ctx):
    t = teachers(ctx)
    e = t.col("编制情况")
    parts = _split(t, lambda r: "在编教师" if r[e] in EMPLOY_ON else "临聘教师")
    t2 = t.drop("编制情况")
    e_drop = lambda rows: [[v for i, v in enumerate(r) if i != e] for r in rows]
    return only(ctx, "教师", [Sheet(n, [t2.header] + e_drop(parts[n])) for n in ("在编教师", "临聘教师")])


@valid("v10_roster_split_by_school", ["split_sheets"], "roster in one sheet per school (sheet named after the "
       "school), same header, 序号 restarting at 1 in each sheet")
def _(ctx):
    t = fill_codes(ctx.clean, teachers(ctx))
    parts = _split(t, lambda r: r[t.col("单位名称")])
    sheets = []
    for name, rows in parts.items():
        rows = [list(r) for r in rows]
        for k, r in enumerate(rows):
            r[0] = k + 1
        sheets.append(Sheet(name, [t.header] + rows))
    return only(ctx, "教师", sheets)


JOIN_SECOND = ["主教学科", "兼任学科", "周课时", "专业技术职务", "学历", "骨干教师", "2025年考核", "2024年考核",
               "特殊情况", "特殊情况已批准", "本人意愿", "约定退休日期", "退休年龄组"]


@valid("v11_roster_two_sheets_joined", ["split_sheets"], "roster as 基本信息 + 岗位信息 sheets with complementary "
       "columns keyed by 身份证号码, second sheet in another row order")
def _(ctx):
    t = teachers(ctx)
    first = t.drop(*JOIN_SECOND, "备注")
    second = Table(["身份证号码", "姓名"] + JOIN_SECOND,
                   [[r[t.col("身份证号码")], r[t.col("姓名")]] + [r[t.col(c)] for c in JOIN_SECOND] for r in t.rows])
    ctx.rng.shuffle(second.rows)
    return only(ctx, "教师", [table_sheet("基本信息", first), table_sheet("岗位信息", second)])


# ---- class 5: merged cells ---------------------------------------------------------------------
def merge_runs(t: Table, names: list, first_row: int) -> list:
    """Merge ranges over runs of equal non-empty values in the given columns; blank the covered cells."""
    merges = []
    for name in names:
        c = t.col(name)
        col = get_column_letter(c + 1)
        i = 0
        while i < len(t.rows):
            j = i
            while j + 1 < len(t.rows) and t.rows[j + 1][c] == t.rows[i][c] and t.rows[i][c] not in (None, ""):
                j += 1
            if j > i:
                merges.append(f"{col}{first_row + i}:{col}{first_row + j}")
                for k in range(i + 1, j + 1):
                    t.rows[k][c] = None
            i = j + 1
    return merges


@valid("v12_roster_merged_school", ["merged"], "roster with 学校代码 and 单位名称 merged down over each school's rows")
def _(ctx):
    t = teachers(ctx)
    merges = merge_runs(t, ["学校代码", "单位名称"], 2)
    return only(ctx, "教师", [Sheet("教职工花名册", [t.header] + t.rows, merges)])


@valid("v13_enroll_long_merged", ["merged", "enrollment"], "long enrollment table, 学校代码 and 学校名称 merged over "
       "the school's rows, 学年 merged over the grades of a year")
def _(ctx):
    t = enroll_long(ctx.clean)
    order = _school_order(ctx.clean)
    t.rows.sort(key=lambda r: (order.index(r[0]), r[2], GRADES.index(r[3])))
    # 学年 merged over the grade rows of one school and year (computed before the code cells are blanked)
    yi, yc = t.col("学年"), get_column_letter(t.col("学年") + 1)
    merges, i = [], 0
    while i < len(t.rows):
        j = i
        while j + 1 < len(t.rows) and t.rows[j + 1][0] == t.rows[i][0] and t.rows[j + 1][yi] == t.rows[i][yi]:
            j += 1
        if j > i:
            merges.append(f"{yc}{2 + i}:{yc}{2 + j}")
        i = j + 1
    for m in merges:
        a, b = (int(x[1:]) for x in m.split(":"))
        for k in range(a + 1, b + 1):
            t.rows[k - 2][yi] = None
    merges += merge_runs(t, ["学校代码", "学校名称"], 2)
    return only(ctx, "在校生", [Sheet("在校生", [t.header] + t.rows, merges)])


@valid("v14_enroll_wide_merged_code", ["merged", "enrollment", "school_year"], "wide enrollment in one sheet with "
       "a 学年 column (2025—2026学年), rows grouped by school, 学校标识码/学校名称 merged over the school's years")
def _(ctx):
    sh = enroll_wide(ctx.clean, years_of(ctx.clean), year_col=lambda y: f"{y}—{y + 1}学年", merge_school=True,
                     title="示例区2021—2025学年在校生统计表")
    return only(ctx, "在校生", [sh])


# ---- class 6: file formats ---------------------------------------------------------------------
CODE_COLS = ("学校标识码", "学校代码", "生源学校代码", "身份证号码", "工号")


def _csv_all(ctx, encoding, wrap):
    c = ctx.clean
    write_csv(ctx.out / "学校.csv", c.schools, encoding, wrap)
    write_csv(ctx.out / "教师.csv", c.teachers, encoding, wrap)
    write_csv(ctx.out / "出生人口.csv", c.births, encoding, wrap)
    write_csv(ctx.out / "对口.csv", c.feeders, encoding, wrap)
    write_csv(ctx.out / "在校生.csv", enroll_long(c), encoding, wrap)


@valid("v15_csv_web_export", ["formats", "enrollment"], "every table as UTF-8-BOM CSV from a web system, codes and "
       "ID numbers written =\"4415210001\"; enrollment long")
def _(ctx):
    _csv_all(ctx, "utf-8-sig", CODE_COLS)
    return "."


@valid("v16_csv_gbk", ["formats", "enrollment"], "every table as GBK CSV (no BOM), enrollment long")
def _(ctx):
    _csv_all(ctx, "gbk", ())
    return "."


@valid("v17_xlsx_named_xls", ["formats"], "all workbooks are .xlsx content saved with the .xls extension")
def _(ctx):
    ctx.copy("学校", "在校生", "教师", "出生人口", "对口",
             ext_map={n: n + ".xls" for n in ("学校", "在校生", "教师", "出生人口", "对口")})
    return "."


@valid("v18_real_xls", ["formats"], "all workbooks as real Excel 97-2003 .xls (BIFF8, via LibreOffice)",
       needs_soffice=True)
def _(ctx):
    for n in ("学校", "在校生", "教师", "出生人口", "对口"):
        tmp = ctx.out / f"_{n}.xlsx"
        shutil.copy(CLEAN / (n + ".xlsx"), tmp)
        ctx.xls.add(tmp, ctx.out / (n + ".xls"))
    return "."


@valid("v19_xls_named_xlsx", ["formats"], "real .xls (BIFF8) content saved with the .xlsx extension (教师, 学校)",
       needs_soffice=True)
def _(ctx):
    for n in ("学校", "教师"):
        tmp = ctx.out / f"_{n}.xlsx"
        shutil.copy(CLEAN / (n + ".xlsx"), tmp)
        ctx.xls.add(tmp, ctx.out / (n + ".xlsx"))
    ctx.copy_all_but("学校", "教师")
    return "."


@valid("v20_html_as_xls", ["formats"], "教师 and 学校 as an HTML table saved as .xls (web-system 'export to Excel'), "
       "a title row above the roster")
def _(ctx):
    write_html_xls(ctx.out / "教师.xls", ctx.clean.teachers, title="示例区教职工花名册")
    write_html_xls(ctx.out / "学校.xls", ctx.clean.schools)
    ctx.copy_all_but("教师", "学校")
    return "."


@valid("v21_spreadsheetml_and_et", ["formats"], "学校 and 对口 as Excel 2003 XML (SpreadsheetML) named .xls; "
       "出生人口 as a WPS .et file (xls content)", needs_soffice=True)
def _(ctx):
    write_spreadsheetml(ctx.out / "学校.xls", [table_sheet("学校", ctx.clean.schools)])
    write_spreadsheetml(ctx.out / "对口.xls", [table_sheet("对口", ctx.clean.feeders)])
    tmp = ctx.out / "_出生人口.xlsx"
    shutil.copy(CLEAN / "出生人口.xlsx", tmp)
    ctx.xls.add(tmp, ctx.out / "出生人口.et")
    ctx.copy("在校生", "教师")
    return "."


# ---- 学年, dates, codes ---------------------------------------------------------------------------
YEAR_FORMS = [lambda y: y, lambda y: f"{y}学年", lambda y: f"{y}-{y + 1}", lambda y: f"{y}—{y + 1}学年",
              lambda y: f"{y}/{y + 1}", lambda y: f"{y}-{y + 1}学年", lambda y: str(y)]


@valid("v22_school_year_forms", ["school_year", "enrollment"], "long enrollment, 学年 written 2025, 2025学年, "
       "2025-2026, 2025—2026学年, 2025/2026 (mixed row by row); 七年级/初一 mixed; numbers as text")
def _(ctx):
    t = enroll_long(ctx.clean, year_fmt=lambda y, rng: rng.choice(YEAR_FORMS)(y),
                    grade_fmt=lambda g, rng: JUNIOR_OLD[g] if g in JUNIOR_OLD and rng.random() < 0.5 else g,
                    rng=ctx.rng)
    for r in t.rows:
        if ctx.rng.random() < 0.3:
            r[-2], r[-1] = str(r[-2]), (str(r[-1]) if r[-1] is not None else None)
    return only(ctx, "在校生", [table_sheet("在校生", t)])


@valid("v23_year_sheet_names", ["school_year", "enrollment"], "wide enrollment, one sheet per year named "
       "2021-2022学年, 2022—2023学年, 2023-2024, 2024/2025学年, 2025学年; 七年级 headers; full-width digits")
def _(ctx):
    names = ["{y}-{y1}学年", "{y}—{y1}学年", "{y}-{y1}", "{y}/{y1}学年", "{y}学年"]
    sheets = []
    for k, y in enumerate(years_of(ctx.clean)):
        sh = enroll_wide(ctx.clean, [y], text_numbers=lambda v: (str(v).translate(FULLWIDTH)
                                                                  if v is not None and ctx.rng.random() < 0.1 else v))
        sh.name = names[k % len(names)].format(y=y, y1=y + 1).replace("/", "／")
        sheets.append(sh)
    return only(ctx, "在校生", sheets)


@valid("v24_date_forms", ["dates"], "出生年月, 调入本校时间, 参加工作时间, 约定退休日期 in every common form, same "
       "precision as the clean file (2017-09-01, 2017/9/1, 2017年9月1日, 20170901, 2017.9.1, date cells, Excel "
       "serial numbers; month-only 1993年8月, 1993.08, 1993-08, 1993/8, 199308)")
def _(ctx):
    t = teachers(ctx)
    for c in ("出生年月", "调入本校时间", "参加工作时间", "约定退休日期"):
        t.map_col(c, lambda v, r: render_date(v, ctx.rng))
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


@valid("v25_roster_school_name_only", ["codes"], "roster names the school by name only (学校名称 column, no code)")
def _(ctx):
    t = teachers(ctx).drop("学校代码").rename({"单位名称": "学校名称"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


@valid("v26_coded_fields", ["codes"], "coded teacher fields as 代码-名称 / bare code / name: 性别 1-男, 骨干教师 "
       "1-是/0-否, 教职工类别 A1-专任教师…A4, 学历 GB/T 4658 (21-大学本科毕业, 31, 14-硕士研究生毕业)")
def _(ctx):
    t = teachers(ctx)
    t.map_col("性别", lambda v, r: ctx.rng.choice(SEX_CODED[v]))
    t.map_col("骨干教师", lambda v, r: None if v is None else ctx.rng.choice(YESNO_CODED["否" if v == "否" else "是"]))
    t.map_col("岗位类型", lambda v, r: ctx.rng.choice(POST_CODED[v]))
    t.map_col("学历", lambda v, r: ctx.rng.choice(DEGREE_CODED[v]) if v in DEGREE_CODED else v)
    t = t.rename({"岗位类型": "教职工类别"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


# ---- layouts of the data set -------------------------------------------------------------------
@valid("v27_one_workbook", ["layout", "enrollment"], "the whole data set in one workbook: sheets 学校名单, "
       "在校生 (long), 教职工花名册, 出生人口, 对口关系 and a 填表说明 sheet")
def _(ctx):
    c = ctx.clean
    write_xlsx(ctx.out / "示例区数据.xlsx", [
        Sheet("填表说明", [["填表说明"], ["本工作簿包含学校、在校生、教师、出生人口、对口五张表。"]]),
        table_sheet("学校名单", c.schools), table_sheet("在校生", enroll_long(c)),
        table_sheet("教职工花名册", c.teachers), table_sheet("出生人口", c.births), table_sheet("对口关系", c.feeders)])
    return "示例区数据.xlsx"


@valid("v28_prefixed_file_names", ["layout"], "file names with prefixes/suffixes: 2026年教师花名册.xlsx, "
       "示例区学校基本信息表.xlsx, 示例区在校生统计（2021-2025学年）.xlsx, 各镇街出生人口.xlsx, 初中对口小学名单.xlsx")
def _(ctx):
    ctx.copy("学校", "在校生", "教师", "出生人口", "对口", ext_map={
        "教师": "2026年教师花名册.xlsx", "学校": "示例区学校基本信息表.xlsx",
        "在校生": "示例区在校生统计（2021-2025学年）.xlsx", "出生人口": "各镇街出生人口.xlsx", "对口": "初中对口小学名单.xlsx"})
    return "."


@valid("v29_enroll_year_files", ["layout", "enrollment", "school_year"], "enrollment as a folder 在校生/ with one "
       "wide workbook per year (2021学年.xlsx … 2025—2026学年.xlsx)")
def _(ctx):
    for k, y in enumerate(years_of(ctx.clean)):
        name = f"{y}学年.xlsx" if k % 2 == 0 else f"{y}—{y + 1}学年.xlsx"
        write_xlsx(ctx.out / "在校生" / name, [enroll_wide(ctx.clean, [y])])
    ctx.copy_all_but("在校生")
    return "."


TEMPLATE_TEACHER = ["教师编号", "身份证号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "兼任学科", "周课时",
                    "职称", "最高学历", "用工类型", "岗位类型", "到本校时间", "参加工作时间", "骨干教师", "考核", "上年考核",
                    "特殊情况", "特殊情况已批准", "本人意愿", "约定退休日期", "退休年龄组", "人员状态"]
TEMPLATE_FROM = {"教师编号": "工号", "身份证号": "身份证号码", "出生日期": "出生年月", "任教学科": "主教学科",
                 "职称": "专业技术职务", "最高学历": "学历", "用工类型": "编制情况", "到本校时间": "调入本校时间",
                 "考核": "2025年考核", "上年考核": "2024年考核"}
TEMPLATE_NOTE = [["填表说明"], ["表头名称请勿修改（也可使用常见别名，如 校名、学科、工号）；橙色表头为必填列，蓝色为可选列。"],
                 ["示例行（第 2–3 行）仅供参考，填写时请删除或覆盖。"]]
TEMPLATE_EXAMPLE_ROWS = [
    ["T0001", None, "张老师", "女", "1985-03-01", "4415210001", "语文", None, 12, "一级教师", "本科", "在编", "专任教师",
     "2015-09-01", "2008-09-01", "否", "合格", "合格", None, None, None, None, None, "在本单位任职"],
    ["T0002", None, "李老师", "男", "1979-10-15", "4415210003", "数学", "信息科技", 14, "高级教师", "研究生", "在编",
     "专任教师", "2012-09-01", "2003-09-01", "是", "优秀", "合格", None, None, "愿意交流", None, None, "在本单位任职"]]


def template_teachers(ctx) -> Table:
    t = fill_codes(ctx.clean, teachers(ctx))
    rows = []
    for r in t.rows:
        rows.append([("在本单位任职" if h == "人员状态" else r[t.col(TEMPLATE_FROM.get(h, h))]) for h in TEMPLATE_TEACHER])
    return Table(list(TEMPLATE_TEACHER), rows)


@valid("v30_filled_template", ["layout"], "the staffplan template filled in: template headers (教师编号, 身份证号, "
       "职称, 最高学历, 用工类型, 到本校时间, 考核/上年考核, 人员状态 …) and the 填表说明 sheets kept")
def _(ctx):
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教师", template_teachers(ctx)), Sheet("填表说明", TEMPLATE_NOTE)])
    s = schools(ctx).rename({"学校标识码": "学校代码", "办学类型": "学段"})
    write_xlsx(ctx.out / "学校.xlsx", [table_sheet("学校", s), Sheet("填表说明", TEMPLATE_NOTE)])
    write_xlsx(ctx.out / "在校生.xlsx", [table_sheet("在校生", enroll_long(ctx.clean, with_name=False)),
                                       Sheet("填表说明", TEMPLATE_NOTE)])
    ctx.copy("出生人口", "对口")
    return "."


@valid("v31_roster_title_and_footer", ["layout"], "roster with two title lines above the header (title, 单位：人) "
       "and a signature line under the table")
def _(ctx):
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet(
        "教职工花名册", ctx.clean.teachers, title=["示例区2025年教职工花名册", "填报单位（盖章）：示例区教育局\u3000\u3000单位：人"],
        footer=["填表人：张某某\u3000\u3000审核人：李某某\u3000\u3000填报日期：2025年10月"])])
    ctx.copy_all_but("教师")
    return "."


# ---- combinations ------------------------------------------------------------------------------
@valid("v32_combo_tms_gbk", ["titles", "employment", "formats", "school_headers"], "TMS titles + 编外 employment "
       "words in a GBK CSV roster; school list with statistics headers as a real .xls", needs_soffice=True)
def _(ctx):
    t = teachers(ctx)
    t.map_col("专业技术职务", lambda v, r: _tms_title(ctx, v, r))
    t.map_col("编制情况", lambda v, r: _employ(ctx, v))
    write_csv(ctx.out / "教师花名册.csv", t, "gbk")
    tmp = write_xlsx(ctx.out / "_学校.xlsx", [table_sheet("学校", schools(ctx).rename(STATS_HEADERS))])
    ctx.xls.add(tmp, ctx.out / "学校.xls")
    ctx.copy("在校生", "出生人口", "对口")
    return "."


@valid("v33_combo_split_kind_markers", ["split_sheets", "titles", "codes", "school_headers"],
       "roster split 在编教师/临聘教师 with *-marked, line-broken headers and GB/T 8561 titles; school list coded "
       "values in a web CSV")
def _(ctx):
    t = teachers(ctx)
    t.map_col("专业技术职务", lambda v, r: _coded_title(ctx, v, r, t))
    e = t.col("编制情况")
    parts = _split(t, lambda r: "在编教师" if r[e] in EMPLOY_ON else "临聘教师")
    t2 = t.drop("编制情况").rename({"姓名": "*姓名", "身份证号码": "*身份证号码", "出生年月": "*出生年月\n(yyyy-MM)",
                                   "专业技术职务": "*专业技术职务", "调入本校时间": "*调入本校时间\n(yyyy-MM-dd)"})
    drop_e = lambda rows: [[v for i, v in enumerate(r) if i != e] for r in rows]
    write_xlsx(ctx.out / "教师.xlsx", [Sheet(n, [t2.header] + drop_e(parts[n])) for n in ("在编教师", "临聘教师")])

    s = schools(ctx)
    s.map_col("办学类型", lambda v, r: f"{TYPE_CODE[v]}-{v}")
    s.map_col("城乡", lambda v, r: URBAN_CODES[v][0][0])
    write_csv(ctx.out / "学校.csv", s.rename(STATS_HEADERS), "utf-8-sig", CODE_COLS + ("学校（机构）标识码",))
    ctx.copy("在校生", "出生人口", "对口")
    return "."


@valid("v34_combo_national_style_roster", ["codes", "employment", "dates", "titles"], "plain roster with the "
       "teacher-system's headers and codes: *姓名, *身份证件号, *性别 (1-男), *出生日期\\n(yyyy-MM-dd), "
       "*进本校年月(yyyy-MM-dd), *参加工作年月(yyyy-MM-dd), *是否在编 (1-是), *教职工类别 (A1-专任教师), "
       "是否是县级及以上骨干教师 (0-否), 任教学科, 专业技术职务 (TMS words)")
def _(ctx):
    t = teachers(ctx)
    t.map_col("性别", lambda v, r: ctx.rng.choice(SEX_CODED[v]))
    t.map_col("编制情况", lambda v, r: ctx.rng.choice(YESNO_CODED["是" if v in EMPLOY_ON else "否"]))
    t.map_col("岗位类型", lambda v, r: ctx.rng.choice(POST_CODED[v]))
    t.map_col("骨干教师", lambda v, r: None if v is None else ctx.rng.choice(YESNO_CODED["否" if v == "否" else "是"]))
    t.map_col("专业技术职务", lambda v, r: _tms_title(ctx, v, r))
    t = t.rename({"姓名": "*姓名", "身份证号码": "*身份证件号", "性别": "*性别", "出生年月": "*出生日期\n(yyyy-MM-dd)",
                  "调入本校时间": "*进本校年月(yyyy-MM-dd)", "参加工作时间": "*参加工作年月(yyyy-MM-dd)",
                  "编制情况": "*是否在编", "岗位类型": "*教职工类别", "骨干教师": "是否是县级及以上骨干教师",
                  "单位名称": "*学校名称"})
    return only(ctx, "教师", [table_sheet("基本信息", t)])


@valid("v35_combo_everything_xls", ["formats", "merged", "school_year", "school_headers", "employment"],
       "real .xls everywhere: wide enrollment in one sheet with 学年 column 2025-2026 and merged school cells, "
       "school list with markers, roster merged by school with 编外 words", needs_soffice=True)
def _(ctx):
    sh = enroll_wide(ctx.clean, years_of(ctx.clean), year_col=lambda y: f"{y}-{y + 1}", merge_school=True)
    ctx.xls.add(write_xlsx(ctx.out / "_在校生.xlsx", [sh]), ctx.out / "在校生.xls")
    s = schools(ctx).rename({"学校标识码": "*学校标识码", "学校名称": "*学校名称", "镇街": "所在乡镇（街道）",
                             "城乡": "所在地城乡类型", "办学类型": "学校（机构）办学类型"})
    ctx.xls.add(write_xlsx(ctx.out / "_学校.xlsx", [table_sheet("学校", s)]), ctx.out / "学校.xls")
    t = teachers(ctx)
    t.map_col("编制情况", lambda v, r: _employ(ctx, v))
    merges = merge_runs(t, ["学校代码", "单位名称"], 2)
    ctx.xls.add(write_xlsx(ctx.out / "_教师.xlsx", [Sheet("花名册", [t.header] + t.rows, merges)]), ctx.out / "教师.xls")
    ctx.copy("出生人口", "对口")
    return "."


# ---- more layouts seen in bureau files --------------------------------------------------------
@valid("v37_roster_id_only", ["codes", "dates"], "roster without 性别 and 出生年月 columns (both derivable from the "
       "身份证号码), header 公民身份号码")
def _(ctx):
    t = teachers(ctx).drop("性别", "出生年月").rename({"身份证号码": "公民身份号码"})
    return only(ctx, "教师", [table_sheet("教职工花名册", t)])


def _wide_flat(clean: Clean, order: str) -> Table:
    """Wide enrollment with a one-row header: 一年级班数, 一年级人数 … (order "grade") or all 学生数 columns
    then all 班数 columns under a merged top row (order "block")."""
    by = {}
    for e in clean.enrollment:
        by.setdefault((e["code"], e["year"]), {})[e["grade"]] = (e["classes"], e["students"])
    grades = [g for g in GRADES if any(g in v for v in by.values())]
    rows = []
    for y in years_of(clean):
        for c in _school_order(clean):
            if (c, y) not in by:
                continue
            v = by[(c, y)]
            if order == "grade":
                cells = [x for g in grades for x in (v.get(g, (None, None))[0], v.get(g, (None, None))[1])]
            else:
                cells = [v.get(g, (None, None))[1] for g in grades] + [v.get(g, (None, None))[0] for g in grades]
            rows.append([c, clean.school_name[c], f"{y}-{y + 1}学年"] + cells)
    if order == "grade":
        header = ["学校代码", "学校名称", "学年"] + [f"{g}{k}" for g in grades for k in ("班数", "人数")]
    else:
        header = ["学校代码", "学校名称", "学年"] + grades + grades
    return Table(header, rows)


@valid("v38_enroll_wide_one_row_header", ["enrollment", "school_year"], "wide enrollment with a one-row header "
       "(一年级班数, 一年级人数, …, 高三人数) and a 学年 column 2025-2026学年")
def _(ctx):
    return only(ctx, "在校生", [table_sheet("在校生", _wide_flat(ctx.clean, "grade"))])


@valid("v39_enroll_wide_blocks", ["enrollment", "merged"], "wide enrollment with the measure on top: 在校学生数 "
       "merged over all grades, then 班数 merged over all grades, grade names in the second header row")
def _(ctx):
    t = _wide_flat(ctx.clean, "block")
    n = (len(t.header) - 3) // 2
    top = ["学校代码", "学校名称", "学年"] + ["在校学生数"] + [None] * (n - 1) + ["班数"] + [None] * (n - 1)
    second = [None, None, None] + t.header[3:]
    merges = ["A1:A2", "B1:B2", "C1:C2", f"D1:{get_column_letter(3 + n)}1",
              f"{get_column_letter(4 + n)}1:{get_column_letter(3 + 2 * n)}1"]
    return only(ctx, "在校生", [Sheet("在校生", [top, second] + t.rows, merges)])


@valid("v40_codes_as_numbers_and_spaces", ["codes", "layout"], "school codes stored as number cells in every "
       "table, names with trailing / full-width spaces, blank rows between the roster's school blocks")
def _(ctx):
    c = ctx.clean
    s = schools(ctx).map_col("学校标识码", lambda v, r: int(v)).map_col("学校名称", lambda v, r: v + ctx.rng.choice([" ", "\u3000", ""]))
    write_xlsx(ctx.out / "学校.xlsx", [table_sheet("学校", s)])
    f = c.feeders.copy().map_col("学校代码", lambda v, r: int(v)).map_col("生源学校代码", lambda v, r: int(v))
    write_xlsx(ctx.out / "对口.xlsx", [table_sheet("对口", f)])
    e = enroll_long(c)
    e.map_col("学校代码", lambda v, r: int(v))
    write_xlsx(ctx.out / "在校生.xlsx", [table_sheet("在校生", e)])
    t = teachers(ctx)
    t.map_col("学校代码", lambda v, r: int(v) if v else v)
    t.map_col("单位名称", lambda v, r: (" " + v) if ctx.rng.random() < 0.2 else v)
    rows, prev = [], None
    ni = t.col("单位名称")
    for r in t.rows:
        if prev is not None and r[ni].strip() != prev:
            rows.append([None] * len(t.header))
        prev = r[ni].strip()
        rows.append(r)
    t.rows = rows
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教职工花名册", t)])
    ctx.copy("出生人口")
    return "."


@valid("v41_instructions_sheet_first", ["layout", "split_sheets"], "every workbook starts with a 填表说明 sheet "
       "(and the roster workbook has a hidden-looking 数据字典 sheet of allowed values after the data)")
def _(ctx):
    note = Sheet("填表说明", [["填表说明"], ["1. 请勿修改表头；2. 学校代码填写10位学校标识码；3. 日期格式为 yyyy-mm-dd。"]])
    c = ctx.clean
    write_xlsx(ctx.out / "学校.xlsx", [note, table_sheet("学校", c.schools)])
    write_xlsx(ctx.out / "教师.xlsx", [note, table_sheet("教职工花名册", c.teachers),
                                     Sheet("数据字典", [["字段", "可选值"], ["编制情况", "在编、临聘"],
                                                       ["专业技术职务", "正高级教师、高级教师、一级教师、二级教师、三级教师、未定级"]])])
    write_xlsx(ctx.out / "在校生.xlsx", [note, table_sheet("在校生", enroll_long(c))])
    ctx.copy("出生人口", "对口")
    return "."


STAT_GRADE = {"小班": "幼儿园小班", "中班": "幼儿园中班", "大班": "幼儿园大班", "七年级": "初中一年级",
              "八年级": "初中二年级", "九年级": "初中三年级", "高一": "高中一年级", "高二": "高中二年级",
              "高三": "高中三年级"}
YEAR_FORMS_MORE = [lambda y: f"{y}-{str(y + 1)[2:]}学年", lambda y: f"{y}～{y + 1}学年", lambda y: f"{y}至{y + 1}学年",
                   lambda y: f"{y}-{str(y + 1)[2:]}", lambda y: f"{y}学年度"]


@valid("v42_enroll_stage_grade_names", ["enrollment", "school_year"], "long enrollment with stage-qualified grade "
       "names (幼儿园小班, 初中一年级, 高中三年级) and 学年 as 2025-26学年, 2025～2026学年, 2025至2026学年, 2025学年度")
def _(ctx):
    t = enroll_long(ctx.clean, year_fmt=lambda y, rng: rng.choice(YEAR_FORMS_MORE)(y),
                    grade_fmt=lambda g, rng: STAT_GRADE.get(g, g), rng=ctx.rng)
    return only(ctx, "在校生", [table_sheet("在校生", t)])


@valid("v43_html_gbk_as_xls", ["formats"], "roster as an HTML table in GBK (meta charset=gbk) saved as .xls, "
       "as older Chinese web systems export it")
def _(ctx):
    path = write_html_xls(ctx.out / "教师.xls", ctx.clean.teachers)
    text = path.read_text(encoding="utf-8").replace("charset=utf-8", "charset=gbk")
    path.write_bytes(text.encode("gbk"))
    ctx.copy_all_but("教师")
    return "."


def offset_sheet(name: str, t: Table, col0: int, title: str) -> Sheet:
    """The table placed at column ``col0`` (0-based) below a title and an empty row."""
    pad = [None] * col0
    return Sheet(name, [pad + [title], []] + [pad + list(r) for r in [t.header] + t.rows])


@valid("v44_table_not_at_a1", ["layout"], "roster and school list not starting at A1: a title in B1, an empty "
       "row, the table from B3 (column A empty)")
def _(ctx):
    write_xlsx(ctx.out / "教师.xlsx", [offset_sheet("教职工花名册", ctx.clean.teachers, 1, "示例区教职工花名册")])
    write_xlsx(ctx.out / "学校.xlsx", [offset_sheet("学校", ctx.clean.schools, 1, "示例区学校名单")])
    ctx.copy_all_but("教师", "学校")
    return "."


ROSTER_GROUPS = [("基本信息", ["序号", "工号", "姓名", "性别", "身份证号码", "出生年月"]),
                 ("任职信息", ["学校代码", "单位名称", "主教学科", "兼任学科", "周课时", "专业技术职务", "学历",
                           "编制情况", "岗位类型", "调入本校时间", "参加工作时间"]),
                 ("考核与意愿", ["骨干教师", "2025年考核", "2024年考核", "特殊情况", "特殊情况已批准", "本人意愿",
                            "约定退休日期", "退休年龄组", "备注"])]


def grouped_header_sheet(name: str, t: Table) -> Sheet:
    """A roster with a merged group row above the real header (基本信息 | 任职信息 | 考核与意愿)."""
    top, merges, k = [], [], 0
    for group, cols in ROSTER_GROUPS:
        assert t.header[k:k + len(cols)] == cols, (t.header[k:k + len(cols)], cols)
        top += [group] + [None] * (len(cols) - 1)
        merges.append(f"{get_column_letter(k + 1)}1:{get_column_letter(k + len(cols))}1")
        k += len(cols)
    return Sheet(name, [top, t.header] + t.rows, merges)


@valid("v45_roster_grouped_header", ["layout", "merged"], "roster with a merged group row (基本信息 / 任职信息 / "
       "考核与意愿) above the real header")
def _(ctx):
    return only(ctx, "教师", [grouped_header_sheet("教职工花名册", ctx.clean.teachers)])


STAGE_SHEETS = [("幼儿园", ["小班", "中班", "大班"], ["小班", "中班", "大班"]),
                ("小学", GRADES[3:9], GRADES[3:9]),
                ("初中", ["七年级", "八年级", "九年级"], ["一年级", "二年级", "三年级"]),
                ("高中", ["高一", "高二", "高三"], ["一年级", "二年级", "三年级"])]


@valid("v46_enroll_sheets_by_stage", ["enrollment", "school_year"], "wide enrollment in one sheet per year and "
       "stage (2025学年初中 …), junior and senior grades numbered 一年级…三年级 inside their stage's sheet; a "
       "九年一贯制 school appears in both the 小学 and the 初中 sheet")
def _(ctx):
    by = {}
    for e in ctx.clean.enrollment:
        by.setdefault((e["code"], e["year"]), {})[e["grade"]] = (e["classes"], e["students"])
    sheets = []
    for y in years_of(ctx.clean):
        for stage, grades, labels in STAGE_SHEETS:
            top = ["学校代码", "学校名称"] + [x for lab in labels for x in (lab, None)]
            second = [None, None] + ["班数", "学生数"] * len(labels)
            merges = ["A1:A2", "B1:B2"] + [f"{get_column_letter(3 + 2 * k)}1:{get_column_letter(4 + 2 * k)}1"
                                           for k in range(len(labels))]
            rows = []
            for c in _school_order(ctx.clean):
                v = by.get((c, y), {})
                if any(g in v for g in grades):
                    rows.append([c, ctx.clean.school_name[c]] +
                                [x for g in grades for x in (v.get(g) or (None, None))])
            sheets.append(Sheet(f"{y}学年{stage}", [top, second] + rows, merges))
    return only(ctx, "在校生", sheets)


def _web_text(v):
    """How some web systems keep a number as text in CSV: a leading tab."""
    return None if v in (None, "") else "\t" + str(v)


@valid("v47_id_noise_and_total_row", ["codes", "formats", "layout"], "UTF-8 CSV roster with tab-prefixed codes and "
       "ID numbers (\\t441521…), lower-case x check digits, a trailing space after some IDs, and a 合计 row at the end")
def _(ctx):
    t = teachers(ctx)
    t.map_col("身份证号码", lambda v, r: v.replace("X", "x") if v.endswith("X") else (v + " " if ctx.rng.random() < 0.1 else v))
    for c in ("学校代码", "身份证号码"):
        t.map_col(c, lambda v, r: _web_text(v))
    t.rows.append(["合计", f"共 {len(t.rows)} 人"] + [None] * (len(t.header) - 2))
    write_csv(ctx.out / "教师.csv", t, "utf-8-sig")
    ctx.copy_all_but("教师")
    return "."


@valid("v48_school_list_total_row", ["layout"], "school list with a 合计 row at the bottom (sum of 核定编制 and "
       "寄宿生数) and a note line under it")
def _(ctx):
    s = schools(ctx)
    total = [None] * len(s.header)
    total[s.col("学校名称")] = "合计"
    for c in ("核定编制", "寄宿生数"):
        total[s.col(c)] = sum(r[s.col(c)] or 0 for r in s.rows)
    return only(ctx, "学校", [table_sheet("学校", Table(s.header, s.rows + [total]),
                                          footer=["注：核定编制以区委编办2025年核定数为准。"])])


@valid("v50_feeders_by_name", ["codes"], "对口 table naming schools by name only: 初中学校名称, 对口小学名称")
def _(ctx):
    f = ctx.clean.feeders
    rows = [[ctx.clean.school_name[r[0]], ctx.clean.school_name[r[1]], r[2]] for r in f.rows]
    return only(ctx, "对口", [table_sheet("对口", Table(["初中学校名称", "对口小学名称", "比例"], rows))])


# ---- variants of the national-format example (baseline: examples/示例区-国家系统格式) ----------------
def _national_copy(ctx, *skip: str):
    """Copy the national-format example into the variant folder, leaving out the given top-level names."""
    for f in CLEAN_NATIONAL.iterdir():
        if f.name in skip:
            continue
        if f.is_dir():
            shutil.copytree(f, ctx.out / f.name)
        else:
            shutil.copy(f, ctx.out / f.name)


@valid("n01_national_post_info_file", ["national", "split_sheets"], "national roster with 岗位信息 (subject, title) "
       "in its own file 教师岗位信息.xlsx next to 教师基本信息.xlsx, joined by 身份证件号", baseline="national")
def _(ctx):
    _national_copy(ctx, "教师.xlsx")
    wb = openpyxl.load_workbook(CLEAN_NATIONAL / "教师.xlsx", read_only=True)
    for ws, fname in zip(wb.worksheets, ("教师基本信息.xlsx", "教师岗位信息.xlsx")):
        write_xlsx(ctx.out / fname, [Sheet(ws.title, _sheet_rows(ws))])
    wb.close()
    return "."


@valid("n02_national_xls_and_stats_headers", ["national", "formats", "school_headers"], "national example with the "
       "school list under statistics headers (学校（机构）标识码, 所在乡镇（街道）, 学校（机构）所在地城乡类型 …) and the "
       "2025学年 statistics workbooks as real .xls", needs_soffice=True, baseline="national")
def _(ctx):
    _national_copy(ctx, "学校.xlsx")
    t = _table(CLEAN_NATIONAL / "学校.xlsx").rename(STATS_HEADERS)
    write_xlsx(ctx.out / "学校.xlsx", [table_sheet("学校名单", t)])
    folder = ctx.out / "在校生" / "2025学年"
    for f in sorted(folder.glob("*.xlsx")):
        ctx.xls.add(f, f.with_suffix(".xls"))
    return "."


# ---------------------------------------------------------------------------------------------
# broken variants: the roster cut to its first BROKEN_ROSTER_ROWS rows, one defect each
def short_teachers(ctx) -> Table:
    t = teachers(ctx)
    t.rows = t.rows[:BROKEN_ROSTER_ROWS]
    return t


def _pick(ctx, t: Table, pred=lambda r: True) -> int:
    """A seeded row index (0-based in t.rows) whose row satisfies pred."""
    return ctx.rng.choice([i for i, r in enumerate(t.rows) if pred(r)])


def _roster_defect(ctx, changes: dict, *, file: str = "教师.xlsx", columns: list | None = None) -> dict:
    """The short roster with ``changes`` (column -> value) applied to one seeded row, written as ``file``
    (.xlsx, GBK .csv, or real .xls when LibreOffice is there); the other tables copied."""
    t = short_teachers(ctx)
    i = _pick(ctx, t)
    for column, value in changes.items():
        t.rows[i][t.col(column)] = value
    path = ctx.out / file
    if path.suffix == ".csv":
        write_csv(path, t, "gbk")
    elif path.suffix == ".xls":
        ctx.xls.add(write_xlsx(ctx.out / "_教师.xlsx", [table_sheet("教职工花名册", t)]), path)
    else:
        write_xlsx(path, [table_sheet("教职工花名册", t)])
    ctx.copy_all_but("教师")
    return dict(path=".", file=file, sheet="" if path.suffix == ".csv" else "教职工花名册", row=i + 2,
                columns=columns or list(changes)[:1])


def _other_tables_defect(ctx, name: str, sheets: list, expect: dict) -> dict:
    """Write table ``name`` (学校 or 在校生) with a defect, the short roster and copies of the rest."""
    write_xlsx(ctx.out / f"{name}.xlsx", sheets)
    ctx.copy(*[n for n in ("学校", "在校生", "出生人口", "对口") if n != name])
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教职工花名册", short_teachers(ctx))])
    return dict(path=".", file=f"{name}.xlsx", **expect)


def _school_defect(ctx, i: int, column: str, value) -> dict:
    s = schools(ctx)
    s.rows[i][s.col(column)] = value
    return _other_tables_defect(ctx, "学校", [table_sheet("学校", s)], dict(sheet="学校", row=i + 2, columns=[column]))


def _last_year_wide(ctx) -> Sheet:
    y = years_of(ctx.clean)[-1]
    sh = enroll_wide(ctx.clean, [y])
    sh.name = f"{y}学年"
    return sh


@broken("b01_unknown_title", "职称 word no vocabulary knows (特级教练)")
def _(ctx):
    return _roster_defect(ctx, {"专业技术职务": "特级教练"})


@broken("b02_school_code_name_clash", "a roster row whose 学校代码 and 单位名称 name two different schools")
def _(ctx):
    t = short_teachers(ctx)
    ci, ni = t.col("学校代码"), t.col("单位名称")
    i = _pick(ctx, t, lambda r: r[ci] not in (None, ""))
    other = next(n for c, n in ctx.clean.school_name.items() if c != t.rows[i][ci] and "中学" in n)
    t.rows[i][ni] = other
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教职工花名册", t)])
    ctx.copy_all_but("教师")
    return dict(path=".", file="教师.xlsx", sheet="教职工花名册", row=i + 2, columns=["学校代码", "单位名称"])


@broken("b03_arrival_after_plan_date", "调入本校时间 2026-10-08, after the plan date 1 Sep 2026")
def _(ctx):
    return _roster_defect(ctx, {"调入本校时间": "2026-10-08"})


@broken("b04_template_example_rows", "filled template with the example rows 张老师/李老师 (rows 2–3) left in")
def _(ctx):
    t = template_teachers(ctx)
    t.rows = [list(r) for r in TEMPLATE_EXAMPLE_ROWS] + t.rows[:BROKEN_ROSTER_ROWS]
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教师", t), Sheet("填表说明", TEMPLATE_NOTE)])
    ctx.copy_all_but("教师")
    # a row-level defect: the sentence names the example row by its 姓名 or by the example value itself
    return dict(path=".", file="教师.xlsx", sheet="教师", row=2, columns=["姓名", "教师编号", "张老师"])


@broken("b05_ref_error_cell", "#REF! error cell in the required 主教学科 column")
def _(ctx):
    return _roster_defect(ctx, {"主教学科": "#REF!"})


@broken("b06_formula_no_cached_value", "a formula with no cached value in the required 专业技术职务 column")
def _(ctx):
    return _roster_defect(ctx, {"专业技术职务": '=VLOOKUP(C2,职称表!A:B,2,FALSE)'})


@broken("b07_unmatched_header", "学校 header 城乡 written 地域属性 (no alias)")
def _(ctx):
    s = schools(ctx).rename({"城乡": "地域属性"})
    return _other_tables_defect(ctx, "学校", [table_sheet("学校", s)],
                                dict(sheet="学校", row=1, columns=["城乡", "地域属性"]))


@broken("b08_unknown_employment_word", "用工类型 人事代理 (a word the bureau must map in staffplan.toml)")
def _(ctx):
    return _roster_defect(ctx, {"编制情况": "人事代理"})


@broken("b09_unknown_school_type", "学校 办学类型 培训学校 (no vocabulary)")
def _(ctx):
    return _school_defect(ctx, 20, "办学类型", "培训学校")


@broken("b10_duplicate_teacher", "the same teacher (工号 and 身份证号码) on two rows")
def _(ctx):
    t = short_teachers(ctx)
    i = _pick(ctx, t, lambda r: True)
    t.rows.insert(i + 5, list(t.rows[i]))
    write_xlsx(ctx.out / "教师.xlsx", [table_sheet("教职工花名册", t)])
    ctx.copy_all_but("教师")
    return dict(path=".", file="教师.xlsx", sheet="教职工花名册", row=i + 5 + 2, columns=["工号", "身份证号码"])


@broken("b11_unknown_school_code", "roster row with 学校代码 4415219999 (no such school) and no 单位名称")
def _(ctx):
    return _roster_defect(ctx, {"学校代码": "4415219999", "单位名称": None})


@broken("b12_na_error_in_enrollment", "#N/A in a 学生数 cell of the wide enrollment table (2025学年, 三年级)")
def _(ctx):
    sh = _last_year_wide(ctx)
    j = sh.rows[1].index("三年级") + 1
    i = next(k for k, r in enumerate(sh.rows) if k >= 3 and r[j] is not None)
    sh.rows[i][j] = "#N/A"
    return _other_tables_defect(ctx, "在校生", [sh], dict(sheet=sh.name, row=i + 1, columns=["三年级"]))


@broken("b13_gbk_csv_unknown_employment", "GBK CSV roster with the employment word 借用 (unknown)")
def _(ctx):
    return _roster_defect(ctx, {"编制情况": "借用"}, file="教师.csv")


@broken("b14_ref_error_school_name", "#REF! in the required 学校名称 column of 学校")
def _(ctx):
    return _school_defect(ctx, 30, "学校名称", "#REF!")


@broken("b15_enroll_code_name_clash", "wide enrollment row whose 学校标识码 and 学校名称 name two different schools")
def _(ctx):
    sh = _last_year_wide(ctx)
    i = 3 + 12
    sh.rows[i][1] = sh.rows[i + 3][1]
    return _other_tables_defect(ctx, "在校生", [sh], dict(sheet=sh.name, row=i + 1, columns=["学校标识码", "学校名称"]))


@broken("b16_split_sheet_unknown_title", "roster split 在编教师/临聘教师; an unknown title (特级教练) in the "
        "second sheet")
def _(ctx):
    t = short_teachers(ctx)
    e = t.col("编制情况")
    parts = _split(t, lambda r: "在编教师" if r[e] in EMPLOY_ON else "临聘教师")
    t2 = t.drop("编制情况")
    rows = [[v for i, v in enumerate(r) if i != e] for r in parts["临聘教师"]]
    i = ctx.rng.randrange(len(rows))
    rows[i][t2.col("专业技术职务")] = "特级教练"
    kept = [[v for i, v in enumerate(r) if i != e] for r in parts["在编教师"]]
    write_xlsx(ctx.out / "教师.xlsx", [Sheet("在编教师", [t2.header] + kept), Sheet("临聘教师", [t2.header] + rows)])
    ctx.copy_all_but("教师")
    return dict(path=".", file="教师.xlsx", sheet="临聘教师", row=i + 2, columns=["专业技术职务"])


@broken("b17_csv_month_arrival_after_plan", "GBK CSV roster, 调入本校时间 written 2026年10月 (after 1 Sep 2026)")
def _(ctx):
    return _roster_defect(ctx, {"调入本校时间": "2026年10月"}, file="教师.csv")


@broken("b18_enroll_formula_no_cache", "long enrollment, a 学生数 cell holding a formula with no cached value")
def _(ctx):
    t = enroll_long(ctx.clean)
    i = ctx.rng.randrange(len(t.rows))
    t.rows[i][t.col("学生数")] = f"=SUM(F{i + 2}*45)"
    return _other_tables_defect(ctx, "在校生", [table_sheet("在校生", t)],
                                dict(sheet="在校生", row=i + 2, columns=["学生数"]))


@broken("b19_grouped_header_unknown_title", "roster with a merged group row above the header; unknown title "
        "特级教练 (Excel row = index + 3)")
def _(ctx):
    t = short_teachers(ctx)
    i = _pick(ctx, t)
    t.rows[i][t.col("专业技术职务")] = "特级教练"
    write_xlsx(ctx.out / "教师.xlsx", [grouped_header_sheet("教职工花名册", t)])
    ctx.copy_all_but("教师")
    return dict(path=".", file="教师.xlsx", sheet="教职工花名册", row=i + 3, columns=["专业技术职务"])


@broken("b20_real_xls_unknown_employment", "roster as a real .xls (BIFF8) with the employment word 借调 (unknown); "
        ".xlsx when LibreOffice is missing")
def _(ctx):
    return _roster_defect(ctx, {"编制情况": "借调"}, file="教师.xls" if ctx.xls.available else "教师.xlsx")


@broken("b21_national_unknown_quota_word", "national-format example; one roster row's *是否在编 written 2-不详")
def _(ctx):
    _national_copy(ctx, "教师.xlsx")
    wb = openpyxl.load_workbook(CLEAN_NATIONAL / "教师.xlsx", read_only=True)
    sheets = [Sheet(ws.title, _sheet_rows(ws)) for ws in wb.worksheets]
    wb.close()
    rows = sheets[0].rows
    col = rows[0].index("*是否在编")
    i = ctx.rng.randrange(1, len(rows))
    rows[i][col] = "2-不详"
    write_xlsx(ctx.out / "教师.xlsx", sheets)
    return dict(path=".", file="教师.xlsx", sheet=sheets[0].name, row=i + 1, columns=["是否在编"])


# ---------------------------------------------------------------------------------------------
def generate(out: Path, seed: int = SEED, only: list | None = None) -> dict:
    """Write every variant under ``out`` and return (and write) the manifest."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clean = load_clean()
    xls = XlsConverter()
    manifest = {"seed": seed, "baselines": {"plain": str(CLEAN), "national": str(CLEAN_NATIONAL)},
                "valid": [], "broken": []}
    for v in VALID:
        if only and v.name not in only:
            continue
        entry = {"name": v.name, "classes": list(v.classes), "description": v.description,
                 "baseline": v.baseline}
        if v.needs_soffice and not xls.available:
            entry["skipped"] = "LibreOffice (soffice) is not installed: real .xls files cannot be written"
        else:
            ctx = Ctx(clean, out / v.name, random.Random(f"{seed}:{v.name}"), xls)
            ctx.out.mkdir(parents=True, exist_ok=True)
            entry["path"] = str(Path(v.name) / v.build(ctx))
        manifest["valid"].append(entry)
    for b in BROKEN:
        if only and b.name not in only:
            continue
        ctx = Ctx(clean, out / b.name, random.Random(f"{seed}:{b.name}"), xls)
        ctx.out.mkdir(parents=True, exist_ok=True)
        exp = b.build(ctx)
        exp["path"] = str(Path(b.name) / exp["path"])
        manifest["broken"].append({"name": b.name, "description": b.description, **exp})
    xls.run()
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args(argv)
    m = generate(a.out, a.seed, a.only)
    print(f"{len(m['valid'])} valid and {len(m['broken'])} broken variants written to {a.out}")


if __name__ == "__main__":
    main()
