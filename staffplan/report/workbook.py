"""The one workbook writer used by every command: print-ready, deterministic, safe to open.

Each data sheet: a title cell (district, 学年, sheet name) with a 单位 line under it (data/sheet_notes.csv),
a bold filled header row, frozen panes below the header, autofilter, A4 landscape, header row repeated on
every printed page, "内部资料" and the title in the page header, "第 &P 页 共 &N 页" in the footer. Text is
宋体 11 pt; a sheet is scaled down to fit the page width only as far as 9 pt printed, beyond that it prints
several pages wide with its key columns (学校代码, 学校名称 …) repeated. Long text wraps in columns at most
40 characters wide and each row's height is set from its text (not every reader grows rows itself).
Column widths are fitted (CJK counted double), numbers written as numbers with a sensible format, a final
合计 row in bold with a top border; in 编制测算 a school's per-stage rows under its 全校 row are grey italic.
Charts go below their table. Strings that a spreadsheet would evaluate (=, +, -, @, tab, CR) are stored as
plain text (inline strings, never formulas, with Excel's quote prefix). The 说明 sheet is written last and
the package's timestamps and core properties are fixed, so two runs differ only in the 说明 sheet.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, MultiLevelStrRef
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Font as DrawingFont, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..errors import OutputError
from ..io.atomic import atomic_path
from ..paths import data_table
from .meta import META_SHEET, RunMeta, meta_for_people, parameter_names  # noqa: F401 (re-exported)
from ..forecast.tables import TOTAL_LABEL
from ..rules.standards import SCHOOL_ROW as SCHOOL_ROW_STAGE

FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_INJECTION_RE = r"^[=+\-@\t\r]"
_WIDE_RE = (r"[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF"
            r"\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]")
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

MIN_WIDTH = 6.0
MAX_WIDTH = 40.0  # wider text wraps
NOTE_WIDTH = 90.0  # a sheet of one text column (the plain 说明 of a sent workbook) uses the page width
TEXT_FLOOR = 20.0  # text columns are narrowed (and wrap) down to this width to keep a sheet one page wide

#: a Chinese font every Windows / WPS machine has; 11 pt on screen, never below 9 pt on paper
FONT_NAME = "宋体"
BODY_PT = 11.0
TITLE_PT = 14.0
MIN_PRINT_PT = 9.0
MIN_SCALE = int(np.ceil(100 * MIN_PRINT_PT / BODY_PT)) + 1  # 83 %: LibreOffice rounds 82 % down to 8.99 pt
CJK_UNITS_EXTRA = 0.8  # a CJK glyph is 1.8 width units on paper (counted 2 when fitting column widths)
LINE_PT = 16.0  # height of one line of 11 pt CJK text (the font's ascent + descent, about 1.45 em)
#: A4 landscape width (297 mm) less the left and right margins, in points
_MARGIN_IN = 0.4
PRINT_WIDTH_PT = 297 / 25.4 * 72 - 2 * _MARGIN_IN * 72
_PX_PER_UNIT = 9.5  # measured in LibreOffice with a CJK default font (Excel with 宋体: about 8)
#: A4 landscape height (210 mm) less the top and bottom margins (0.7 in), in points
PRINT_HEIGHT_PT = 210 / 25.4 * 72 - 2 * 0.7 * 72
ROW_PT = 15.5  # a one-line row at its default height (measured in LibreOffice: 31 rows + the header per page)
WIDOW_ROWS = 2  # a last page holding no more rows than this is pulled back onto the pages before it
#: leading key columns repeated on every page of a sheet printed several pages wide (up to the name column)
KEY_COLUMNS = ("学校代码", "学校名称", "教师编号", "姓名", "学段", "指标", "类别", "项目", "本校", "原学校")
_NAME_COLUMNS = ("学校名称", "姓名", "指标", "项目", "本校", "原学校")
INTERNAL_MARK = "内部资料"

_BASE_FONT = Font(name=FONT_NAME, sz=BODY_PT, family=3)
_HEADER_FONT = Font(name=FONT_NAME, sz=BODY_PT, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")
_HEADER_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_TOTAL_BORDER = Border(top=Side(style="thin", color="000000"))
_TITLE_FONT = Font(name=FONT_NAME, sz=TITLE_PT, bold=True)
_DETAIL_FONT = Font(name=FONT_NAME, sz=BODY_PT, italic=True, color="595959")


@dataclass
class ChartSpec:
    """A native Excel chart over columns of a written sheet (rows above the 合计 row)."""

    sheet: str
    kind: str  # 'bar' (horizontal) | 'col' (vertical bars) | 'line'
    title: str
    category_col: str
    value_cols: list[str] = field(default_factory=list)
    anchor: str | None = None  # top-left cell, default: column A, two rows below the table
    y_title: str = ""
    max_categories: int | None = None  # only the first N data rows
    group_col: str | None = None  # the column left of category_col naming the group (学段): two-level labels


# --------------------------------------------------------------------------- helpers shared with tables.py

def needs_neutralising(value: Any) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: Any) -> Any:
    """CSV form: prefix a single quote so no spreadsheet evaluates the text."""
    return "'" + value if needs_neutralising(value) else value


def display_width(values: pd.Series) -> pd.Series:
    """Display width of strings, East-Asian wide characters counted double."""
    s = values.astype(object).astype(str).astype(object)
    return s.str.len() + s.str.count(_WIDE_RE)


def max_display_width(values: pd.Series) -> float:
    uniq = pd.Series(pd.unique(values.dropna().astype(object)), dtype=object)
    return float(display_width(uniq).max()) if len(uniq) else 0.0


_WIDE = re.compile(_WIDE_RE)


def text_width(text: str) -> int:
    """The same count as :func:`display_width` for one string (no Series for a single header)."""
    text = str(text)
    return len(text) + len(_WIDE.findall(text))


def has_total_row(df: pd.DataFrame) -> bool:
    if df.empty:
        return False
    last = df.iloc[-1]
    return any(isinstance(v, str) and v.strip() == TOTAL_LABEL for v in last.tolist())


def safe_sheet_name(name: str) -> str:
    name = _INVALID_SHEET_CHARS.sub("_", str(name)).strip("'") or "Sheet"
    return name[:31]


_PEOPLE_LIKE = ("人数", "编制", "课时", "教师", "退休", "缺编", "缺口", "FTE", "班数")
_YEARLIKE = ("年份", "学年", "年度", "代码", "编号", "年级")


def _is_yearlike(name: str) -> bool:
    return any(k in name for k in _YEARLIKE)


def _float_decimals(name: str, finite: np.ndarray) -> int:
    if "公里" in name or "元" in name:
        return 2
    if any(k in name for k in _PEOPLE_LIKE):
        return 1
    small = finite[np.abs(finite) < 1]
    if small.size and not np.allclose(np.round(small, 1), small, atol=1e-9):
        return 2
    return 1


@dataclass
class _Col:
    name: str
    kind: str  # int | float | text | date | mixed
    values: pd.Series  # cleaned values (object; None = empty cell)
    number_format: str = "General"
    width: float = MIN_WIDTH
    wrap: bool = False
    unsafe: np.ndarray | None = None  # bool mask: strings a spreadsheet would evaluate


_NUMBER_TYPES = [int, float, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                 np.float16, np.float32, np.float64]


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _analyse(name: str, s: pd.Series, override: str | None) -> _Col:
    """Decide the kind, number format and width of one column (vectorised)."""
    s = s.reset_index(drop=True)
    header_w = text_width(name)
    if pd.api.types.is_bool_dtype(s):
        s = s.map({True: "是", False: "否"}).astype(object)
    if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
        s = s.astype(object).where(s.notna(), None)
        nonnull = s.dropna()
        if len(nonnull) and bool(nonnull.map(type).isin([bool, np.bool_]).all()):
            s = s.map(lambda v: None if v is None else ("是" if v else "否"))
            nonnull = s.dropna()
        types = nonnull.map(type)
        is_num = types.isin(_NUMBER_TYPES)
        if len(nonnull) and bool(is_num.all()):
            s = pd.to_numeric(s, errors="coerce")
        elif len(nonnull) and bool(is_num.any()):
            vals = s.map(lambda v: v.item() if hasattr(v, "item") else v)
            vals = vals.map(lambda v: None if (isinstance(v, float) and not np.isfinite(v)) or v == "" else v)
            w = display_width(vals.map(lambda v: "" if v is None else (f"{v:.2f}" if isinstance(v, float) else v)))
            width = max(float(w.max()), header_w) + 2
            return _Col(name, "mixed", vals, override or "General", min(max(width, MIN_WIDTH), MAX_WIDTH),
                        width > MAX_WIDTH, _unsafe_mask(vals))
    if pd.api.types.is_datetime64_any_dtype(s):
        return _Col(name, "date", s, override or "yyyy-mm-dd", max(12.0, header_w + 2.0))
    if pd.api.types.is_numeric_dtype(s):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        finite = arr[np.isfinite(arr)]
        big = bool(finite.size) and float(np.abs(finite).max()) >= 1000
        integral = bool(np.all(finite == np.round(finite)))
        if integral:
            fmt = override or ("0" if _is_yearlike(name) else ("#,##0" if big else "0"))
            extremes = [int(finite.max()), int(finite.min())] if finite.size else []
            texts = [(f"{v:,}" if "," in fmt else str(v)) for v in extremes]
            kind = "int"
        else:
            if override:
                fmt, dec = override, 2
            elif any(k in name for k in ("率", "比例", "占比")) and np.abs(finite).max() <= 1.5:
                fmt, dec = "0.0%", 1
            else:
                dec = _float_decimals(name, finite)
                fmt = ("#,##0." if big else "0.") + "0" * dec
            extremes = [float(finite.max()), float(finite.min())]
            if fmt.endswith("%"):
                texts = [f"{v * 100:.{dec}f}%" for v in extremes]
            else:
                texts = [f"{v:,.{dec}f}" if "," in fmt else f"{v:.{dec}f}" for v in extremes]
            kind = "float"
        width = max([len(t) for t in texts] + [header_w]) + 2
        return _Col(name, kind, pd.Series(arr), fmt, max(float(width), MIN_WIDTH))
    # text
    txt = s.astype(object).where(s.notna(), None)
    notna = txt.notna()
    txt = txt.where(~notna, txt.astype(str)).where(notna, None)
    txt = txt.where(txt != "", None)
    width = max(max_display_width(txt), header_w) + 2
    return _Col(name, "text", txt, override or "General", min(max(width, MIN_WIDTH), MAX_WIDTH),
                width > MAX_WIDTH, _unsafe_mask(txt))


def _unsafe_mask(s: pd.Series) -> np.ndarray | None:
    is_str = s.map(type).to_numpy() == str
    if not is_str.any():
        return None
    as_str = s.where(is_str, "").astype(object)
    mask = as_str.str.contains(_INJECTION_RE, regex=True).to_numpy(dtype=bool)
    return mask if mask.any() else None


# --------------------------------------------------------------------------- cell XML (vectorised)
# Cells are written as XML directly (inline strings, never <f> formulas): openpyxl's per-cell writer
# takes ~30 s for 100,000 rows x 12 columns; this takes ~2 s. openpyxl still writes everything else.

_ILLEGAL_XML_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_EXCEL_EPOCH = np.datetime64("1899-12-30")


_NEEDS_ESCAPE_RE = r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"


def _esc(s: pd.Series) -> pd.Series:
    s = s.astype(object)
    need = s.str.contains(_NEEDS_ESCAPE_RE, regex=True).fillna(False).to_numpy(dtype=bool)
    if not need.any():
        return s
    part = s[need]      # only the texts that need it (a column of 5,000 reasons may hold a few with "<")
    s = s.copy()
    s[need] = (part.str.replace(_ILLEGAL_XML_RE, "", regex=True).str.replace("&", "&amp;", regex=False)
               .str.replace("<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False)
               .str.replace("\r", "&#13;", regex=False))
    return s


def _esc1(text: str) -> str:
    return _esc(pd.Series([text], dtype=object)).iloc[0]


def _s_attr(style_id: int) -> str:
    return f' s="{style_id}"' if style_id else ""


def _str_cell(ref: str, text: str, style_id: int) -> str:
    return f'<c r="{ref}"{_s_attr(style_id)} t="inlineStr"><is><t xml:space="preserve">{_esc1(text)}</t></is></c>'


def _num_text(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def _obj(a) -> np.ndarray:
    return np.asarray(a, dtype=object)


def _fragments(col: _Col, refs: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """One XML fragment per row of this column ('' for an empty cell), as an object array."""
    uniq, inv = np.unique(sid, return_inverse=True)
    sattr = _obj([_s_attr(int(u)) for u in uniq])[inv]
    head = '<c r="' + refs + '"' + sattr
    if col.kind in ("int", "float"):
        arr = col.values.to_numpy(dtype=float)
        ok = np.isfinite(arr)
        if col.kind == "int":
            vtxt = _obj(np.where(ok, arr, 0).astype(np.int64).astype(str))
        else:
            vtxt = _obj(np.where(ok, arr, 0.0).astype(str))
        return np.where(ok, head + "><v>" + vtxt + "</v></c>", "")
    if col.kind == "date":
        ts = pd.to_datetime(col.values)
        ok = ts.notna().to_numpy()
        serial = ((ts.to_numpy() - _EXCEL_EPOCH) / np.timedelta64(1, "D")).astype(float)
        vtxt = _obj(np.where(ok, serial, 0.0).astype(str))
        return np.where(ok, head + "><v>" + vtxt + "</v></c>", "")
    vals = col.values
    if col.kind == "text":
        is_str = vals.notna().to_numpy()
        text = _esc(vals.fillna("")).to_numpy(dtype=object)
        return np.where(is_str, head + ' t="inlineStr"><is><t xml:space="preserve">' + text + "</t></is></c>", "")
    # mixed numbers and text: rare and small, element by element
    is_str = vals.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_num = vals.map(_is_number).to_numpy(dtype=bool)
    text = _esc(vals.map(lambda v: v if isinstance(v, str) else "")).to_numpy(dtype=object)
    num = vals.map(lambda v: _num_text(v) if _is_number(v) else "").to_numpy(dtype=object)
    out = np.where(is_str, head + ' t="inlineStr"><is><t xml:space="preserve">' + text + "</t></is></c>", "")
    return np.where(is_num, head + "><v>" + num + "</v></c>", out)


class _Styles:
    """Cell formats registered in the workbook's style table; returns their style ids."""

    def __init__(self, wb: Workbook):
        # the workbook's default font (cells without a style, the Normal style) is the Chinese body font
        wb._fonts = IndexedList([_BASE_FONT])
        wb._named_styles["Normal"].font = _BASE_FONT
        self.ws = wb.create_sheet("__styles__")  # a scratch sheet, removed before saving
        self._cache: dict[tuple, int] = {}

    def id(self, number_format: str = "General", *, total=False, header=False, wrap=False, text=False,
           title=False, indent=False, detail=False) -> int:
        key = (number_format, total, header, wrap, text, title, indent, detail)
        if key not in self._cache:
            c = WriteOnlyCell(self.ws)
            if number_format != "General":
                c.number_format = number_format
            if header:
                c.font = _HEADER_FONT
                c.fill = _HEADER_FILL
                c.border = _HEADER_BORDER
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if title:
                c.font = _TITLE_FONT
                c.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
            if detail:
                c.font = _DETAIL_FONT
            if total:
                c.font = Font(name=FONT_NAME, sz=BODY_PT, bold=True)
                c.border = _TOTAL_BORDER
            if wrap and not header:
                c.alignment = Alignment(horizontal="left" if indent else None, wrap_text=True, vertical="center",
                                        indent=1 if indent else 0)
            elif indent and not header and not title:  # text after a right-aligned number column keeps a gap
                c.alignment = Alignment(horizontal="left", vertical="center", indent=1)
            elif not header and not title:  # beside a wrapped cell of several lines, one-line cells sit centred
                c.alignment = Alignment(vertical="center")
            if text:
                c.quotePrefix = True
            self._cache[key] = c.style_id if c.has_style else 0
        return self._cache[key]


CHUNK_ROWS = 20_000


def _title_xml(title: str, note: str, style_id: int, note_ref: str | None = None) -> str:
    """The A1 cell: the title in bold 14 pt and, on a second line, the 单位 note in 11 pt (rich inline text).
    With ``note_ref`` the note goes to that cell instead (a sheet printed several pages wide: the title
    stays within the repeated key columns, so continuation pages show it whole)."""
    runs = (f'<r><rPr><rFont val="{FONT_NAME}"/><b/><sz val="{TITLE_PT:g}"/></rPr>'
            f'<t xml:space="preserve">{_esc1(title)}</t></r>')
    note_runs = (f'<r><rPr><rFont val="{FONT_NAME}"/><sz val="{BODY_PT:g}"/></rPr>'
                 f'<t xml:space="preserve">{"" if note_ref else chr(10)}{_esc1(note)}</t></r>') if note else ""
    if note_ref is None:
        return f'<c r="A1"{_s_attr(style_id)} t="inlineStr"><is>{runs}{note_runs}</is></c>'
    out = f'<c r="A1"{_s_attr(style_id)} t="inlineStr"><is>{runs}</is></c>'
    return out + (f'<c r="{note_ref}"{_s_attr(style_id)} t="inlineStr"><is>{note_runs}</is></c>' if note else "")


def line_count(values: pd.Series, width: float) -> np.ndarray:
    """Printed lines of each text in a wrapping column ``width`` units wide (at least 1). A CJK glyph takes
    about 1.8 units in Excel with 宋体 (1.6 in LibreOffice), other characters one unit at most."""
    per_line = max(width - 1.5, 1.0)
    text = values.astype(object).where(values.notna(), "").astype(str).reset_index(drop=True)
    parts = text.str.split("\n").explode().astype(str)
    units = parts.str.len() + CJK_UNITS_EXTRA * parts.str.count(_WIDE_RE)
    lines = np.maximum(np.ceil(units.to_numpy(dtype=float) / per_line), 1.0)
    return pd.Series(lines, index=parts.index).groupby(level=0).sum().reindex(range(len(text)), fill_value=1.0).to_numpy()


def _sheet_rows(cols: list[_Col], styles: _Styles, title: str | None, note: str, total: bool, n: int,
                heights: np.ndarray, detail: np.ndarray | None, title_height: float, note_ref: str | None = None):
    """Generator of UTF-8 chunks: the <row> elements of one sheet."""
    header_row = 2 if title else 1
    letters = [get_column_letter(i) for i in range(1, len(cols) + 1)]
    head = []
    if title:
        head.append(f'<row r="1" ht="{title_height:.1f}" customHeight="1">'
                    f'{_title_xml(title, note, styles.id(title=True), note_ref)}</row>')
    hid = styles.id(header=True)
    head.append(f'<row r="{header_row}">'
                + "".join(_str_cell(f"{L}{header_row}", c.name, hid) for L, c in zip(letters, cols)) + "</row>")
    yield "".join(head).encode("utf-8")
    indent = [c.kind == "text" for c in cols]
    body_ids = [styles.id(c.number_format, wrap=c.wrap, indent=i) for c, i in zip(cols, indent)]
    quote_ids = [styles.id(c.number_format, wrap=c.wrap, text=True, indent=i) for c, i in zip(cols, indent)]
    detail_ids = [styles.id(c.number_format, wrap=c.wrap, indent=i, detail=True) for c, i in zip(cols, indent)]
    total_ids = [styles.id(c.number_format, total=True, indent=i) for c, i in zip(cols, indent)]
    total_quote_ids = [styles.id(c.number_format, total=True, text=True, indent=i) for c, i in zip(cols, indent)]
    ht_attr = np.where(heights > 1, _obj(np.char.add(np.char.add(' ht="', np.char.mod("%.1f", heights * LINE_PT + 3)),
                                                     '" customHeight="1"')), "")
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        rownum = _obj((np.arange(start, stop) + header_row + 1).astype(str))
        acc = '<row r="' + rownum + '"' + _obj(ht_attr[start:stop]) + '>'
        for j, (L, col) in enumerate(zip(letters, cols)):
            sid = np.full(stop - start, body_ids[j], dtype=np.int64)
            if detail is not None:
                sid = np.where(detail[start:stop], detail_ids[j], sid)
            if col.unsafe is not None:
                sid = np.where(col.unsafe[start:stop], quote_ids[j], sid)
            if total and stop == n:
                sid[-1] = total_quote_ids[j] if col.unsafe is not None and col.unsafe[-1] else total_ids[j]
            part = _Col(col.name, col.kind, col.values.iloc[start:stop].reset_index(drop=True))
            frag = _fragments(part, L + rownum, sid)
            if total and stop == n and frag[-1] == "":  # empty 合计 cells still get the top border
                frag[-1] = f'<c r="{L}{rownum[-1]}" s="{total_ids[j]}"/>'
            acc = acc + frag
        acc = acc + "</row>"
        yield "".join(acc.tolist()).encode("utf-8")


def detail_rows(df: pd.DataFrame) -> np.ndarray | None:
    """Per-stage rows listed under their school's 全校 row (编制测算): True where a row is such a sub-row."""
    if not {"学校代码", "学段"} <= set(df.columns):
        return None
    stage = df["学段"].astype(object)
    schools = set(df.loc[stage == SCHOOL_ROW_STAGE, "学校代码"])
    if not schools:
        return None
    return (df["学校代码"].isin(schools) & (stage != SCHOOL_ROW_STAGE)).to_numpy(dtype=bool)


def _key_columns(names: list[str]) -> int:
    """How many leading columns to repeat on every page of a sheet printed several pages wide."""
    n = 0
    for name in names:
        if name not in KEY_COLUMNS:
            break
        n += 1
        if name in _NAME_COLUMNS:
            break
    return n


def _width_pt(widths: list[float]) -> float:
    return sum(w * _PX_PER_UNIT + 5 for w in widths) * 72 / 96


def _narrow_to_page(cols: list[_Col]) -> None:
    """A sheet too wide for one page at the smallest scale first narrows its widest text columns (they wrap),
    never below TEXT_FLOOR units; only if that is not enough does it print several pages wide."""
    allowed = PRINT_WIDTH_PT * 100 / MIN_SCALE
    if _width_pt([c.width for c in cols]) <= allowed:
        return
    text = [c for c in cols if c.kind in ("text", "mixed") and c.width > TEXT_FLOOR]
    if not text:
        return
    fixed = _width_pt([c.width for c in cols if c not in text])

    def fits(cap: float) -> bool:
        return fixed + _width_pt([min(c.width, cap) for c in text]) <= allowed

    cap = next((w for w in np.arange(MAX_WIDTH, TEXT_FLOOR - 0.5, -1.0) if fits(w)), None)
    if cap is None:  # it will print several pages wide anyway: keep the text columns wide (fewer lines)
        return
    for c in text:
        if c.width > cap:
            c.width, c.wrap = float(cap), True


EXCEL_CELL_CHARS = 32_767    # the most characters an Excel cell holds; a longer text makes Excel refuse the file


def _fit_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Text longer than a cell holds is cut, and says so (a 40,000-character school name listed in 涉及学校)."""
    out = df
    for c in df.columns:
        col = df[c]
        if col.dtype != object and not pd.api.types.is_string_dtype(col):
            continue
        try:
            long_ = (col.str.len() > EXCEL_CELL_CHARS).fillna(False).astype(bool)   # non-text cells: NaN → False
        except AttributeError:       # an object column without text
            continue
        if long_.any():
            mark = "……（超出单元格长度，已截断）"
            out = out.copy() if out is df else out
            out[c] = col.where(~long_, col[long_].map(lambda v: v[:EXCEL_CELL_CHARS - len(mark)] + mark))
    return out


def _write_sheet(wb: Workbook, styles: _Styles, name: str, df: pd.DataFrame, title: str | None,
                 formats: dict[str, str] | None, note: str = "", internal: bool = True) -> dict:
    ws = wb.create_sheet(safe_sheet_name(name))
    df = _fit_cells(df.reset_index(drop=True))
    df.columns = [str(c) for c in df.columns]
    formats = formats or {}
    cols = [_analyse(c, df[c], formats.get(c)) for c in df.columns]
    if len(cols) == 1 and cols[0].kind == "text" and cols[0].wrap:  # one column of sentences: use the page
        full = max_display_width(cols[0].values) + 2
        cols[0].width, cols[0].wrap = min(full, NOTE_WIDTH), full > NOTE_WIDTH
    ncols = max(len(cols), 1)
    total = has_total_row(df)
    header_row = 2 if title else 1
    first_data = header_row + 1
    last_row = header_row + len(df)

    _narrow_to_page(cols)
    heights = np.ones(len(df))
    for col in cols:
        if col.wrap:
            heights = np.maximum(heights, line_count(col.values, col.width))
    for i, col in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = round(col.width, 1)
    widths = [c.width for c in cols] or [MIN_WIDTH]
    content_pt = _width_pt(widths)
    scale = int(min(100, max(MIN_SCALE, np.floor(100 * PRINT_WIDTH_PT / content_pt))))
    last_col = get_column_letter(ncols)
    title_height = 0.0
    keys = _key_columns([c.name for c in cols])
    several_pages = content_pt * scale / 100 > PRINT_WIDTH_PT and 0 < keys < ncols
    note_ref = None
    if title:  # the title cell spans the columns printed on the first page
        first_page = max(int(np.searchsorted(np.cumsum([_width_pt([w]) for w in widths]),
                                             PRINT_WIDTH_PT * 100 / scale, side="right")), 1)
        if several_pages and first_page > keys:
            # continuation pages repeat the key columns, row 1 included: the title fits in them (wrapped),
            # the 单位 note takes the rest of the first page
            ws.merged_cells.add(f"A1:{get_column_letter(keys)}1")
            title_span, note_span = sum(widths[:keys]), sum(widths[keys:first_page])
            if note:
                note_ref = f"{get_column_letter(keys + 1)}1"
                ws.merged_cells.add(f"{note_ref}:{get_column_letter(first_page)}1")
            title_lines = line_count(pd.Series([title]), title_span * BODY_PT / TITLE_PT)[0]
            note_lines = line_count(pd.Series([note]), note_span)[0] if note else 0
            title_height = max(title_lines * LINE_PT * TITLE_PT / BODY_PT, note_lines * LINE_PT) + 4
        else:
            ws.merged_cells.add(f"A1:{get_column_letter(first_page)}1")
            span = sum(widths[:first_page])
            note_lines = line_count(pd.Series([note]), span)[0] if note else 0
            title_lines = line_count(pd.Series([title]), span * BODY_PT / TITLE_PT)[0]
            title_height = title_lines * LINE_PT * TITLE_PT / BODY_PT + note_lines * LINE_PT + 4
    if not several_pages:
        scale = _no_widow_scale(np.where(heights > 1, heights * LINE_PT + 3, ROW_PT), title_height, scale)
    ws.freeze_panes = f"A{first_data}"
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    filter_last = last_row - 1 if total else last_row
    ws.auto_filter.ref = f"A{header_row}:{last_col}{max(filter_last, header_row)}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    if several_pages:
        ws.print_title_cols = f"A:{get_column_letter(keys)}"
        ws.page_setup.pageOrder = "overThenDown"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.scale = scale
    ws.print_options.horizontalCentered = content_pt * scale / 100 <= PRINT_WIDTH_PT
    ws.page_margins.left = ws.page_margins.right = _MARGIN_IN
    ws.page_margins.top = 0.7
    ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    for part, text in ((ws.oddHeader.left, title or name), (ws.oddHeader.right, INTERNAL_MARK if internal else ""),
                       (ws.oddFooter.center, "第 &P 页 共 &N 页")):
        part.text = text
        part.font = f"{FONT_NAME},常规"
        part.size = int(BODY_PT)
    rows = _sheet_rows(cols, styles, title, note, total, len(df), heights, detail_rows(df), title_height,
                       note_ref)
    return {"ws": ws, "rows": rows, "columns": [c.name for c in cols], "header_row": header_row,
            "first_data": first_data, "last_data": filter_last, "last_row": last_row, "ncols": ncols}


def _pages(rows_pt: np.ndarray, title_pt: float, scale: int) -> tuple[int, int]:
    """(pages, rows on the last page) of a sheet printed at ``scale`` %: the title on the first page, the header row
    repeated on every page (the estimate LibreOffice's pagination follows to about a row)."""
    room = PRINT_HEIGHT_PT * 100 / scale
    pages, used, last = 1, title_pt + ROW_PT, 0
    for h in rows_pt:
        if used + h > room:
            pages, used, last = pages + 1, ROW_PT, 0
        used += h
        last += 1
    return pages, last


def _no_widow_scale(rows_pt: np.ndarray, title_pt: float, scale: int) -> int:
    """The print scale, a few points smaller when that saves a last page holding only ``WIDOW_ROWS`` rows or fewer
    (the 合计 row alone on page 2 of a one-page list): the smallest step that does it with a row to spare, never
    below ``MIN_SCALE`` nor 90 % of the scale the width asked for; else unchanged."""
    pages, last = _pages(rows_pt, title_pt, scale)
    if pages < 2 or last > WIDOW_ROWS:
        return scale
    spare = np.r_[rows_pt, ROW_PT]
    for s in range(scale - 1, max(MIN_SCALE, int(np.ceil(0.9 * scale))) - 1, -1):
        if _pages(spare, title_pt, s)[0] < pages:
            return s
    return scale


def _chart_text() -> RichText:
    props = CharacterProperties(sz=int(BODY_PT * 100), latin=DrawingFont(typeface=FONT_NAME),
                                ea=DrawingFont(typeface=FONT_NAME))
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _add_chart(info: dict, spec: ChartSpec) -> None:
    ws = info["ws"]
    columns = info["columns"]
    if spec.category_col not in columns:
        raise OutputError(f"图表「{spec.title}」：工作表「{spec.sheet}」没有「{spec.category_col}」列。")
    first, last = info["first_data"], info["last_data"]
    if spec.max_categories:
        last = min(last, first + spec.max_categories - 1)
    if last < first:
        return
    chart = {"bar": BarChart, "col": BarChart, "line": LineChart}.get(spec.kind)
    if chart is None:
        raise OutputError(f"图表类型「{spec.kind}」无效，应为 bar、col 或 line。")
    ch = chart()
    if spec.kind == "bar":
        ch.type = "bar"
    elif spec.kind == "col":
        ch.type = "col"
    ch.title = spec.title
    if spec.y_title:
        ch.y_axis.title = spec.y_title
    ch.height = 9
    ch.width = 18
    for vc in spec.value_cols:
        if vc not in columns:
            raise OutputError(f"图表「{spec.title}」：工作表「{spec.sheet}」没有「{vc}」列。")
        idx = columns.index(vc) + 1
        ref = Reference(ws, min_col=idx, min_row=info["header_row"], max_row=last)
        ch.add_data(ref, titles_from_data=True)
    cat = columns.index(spec.category_col) + 1
    if spec.group_col and columns.index(spec.group_col) + 2 == cat:  # 学段 under 学科: 劳动 is never shown twice bare
        labels = Reference(ws, min_col=cat - 1, max_col=cat, min_row=first, max_row=last)
        for series in ch.ser:
            series.cat = AxDataSource(multiLvlStrRef=MultiLevelStrRef(f=str(labels)))
    else:
        ch.set_categories(Reference(ws, min_col=cat, min_row=first, max_row=last))
    if len(spec.value_cols) == 1:
        ch.legend = None  # the title names the one series
    # axis and legend text in the body font and size, so it prints at 9 pt or more when the sheet is scaled
    text = _chart_text()
    for axis in (ch.x_axis, ch.y_axis):
        axis.txPr = text
    if ch.legend is not None:
        ch.legend.txPr = text
        ch.legend.position = "b"  # below the plot, never over the bars
    # below the table (beside it, the chart would widen the print area and shrink the table on paper)
    ws.add_chart(ch, spec.anchor or f"A{info['last_row'] + 3}")


def forecast_charts(sheets: dict[str, pd.DataFrame]) -> list[ChartSpec]:
    """Native charts for the forecast workbook: recruitment by subject; standard quota vs on-quota
    teachers by school when 编制测算 has school rows only (stage rows would repeat the school)."""
    specs = []
    rc = sheets.get("招聘计划")
    if rc is not None and len(rc) > (2 if has_total_row(rc) else 1) and {"学科", "建议招聘人数"} <= set(rc.columns):
        specs.append(ChartSpec("招聘计划", "col", "建议招聘人数（按学段、学科）", "学科", ["建议招聘人数"],
                               group_col="学段" if "学段" in rc.columns else None))
    q = sheets.get("编制测算")
    if q is not None and len(q) and {"学校名称", "标准编制", "在编教师"} <= set(q.columns):
        stage_rows = "学段" in q.columns and bool((~q["学段"].isin(["全校", ""]) & q["学段"].notna()).any())
        if not stage_rows:
            specs.append(ChartSpec("编制测算", "bar", "标准编制与在编教师", "学校名称", ["标准编制", "在编教师"],
                                   max_categories=40))
    return specs


class _FixedTimeZip(zipfile.ZipFile):
    """ZipFile whose members all carry one fixed timestamp (reproducible packages); worksheet
    members listed in ``rows`` get their <sheetData> filled from the given chunk generators."""

    pending_rows: Iterable[bytes] | None = None  # set by _Writer for the next worksheet member

    def _info(self, arcname: str) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
        zi.compress_type = self.compression
        zi._compresslevel = self.compresslevel  # Python 3.11/3.12 name (a property alias in 3.13)
        zi.external_attr = 0o600 << 16
        return zi

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        arcname = arcname or Path(filename).name
        chunks, self.pending_rows = self.pending_rows, None
        with open(filename, "rb") as src, self.open(self._info(arcname), "w", force_zip64=True) as dst:
            if chunks is None:
                shutil.copyfileobj(src, dst, 1 << 20)
                return
            xml = src.read()
            for empty in (b"<sheetData></sheetData>", b"<sheetData />", b"<sheetData/>"):
                if empty in xml:
                    head, tail = xml.split(empty, 1)
                    break
            else:  # pragma: no cover - openpyxl always writes an empty sheetData here
                raise OutputError(f"内部错误：工作表 {arcname} 的结构不符合预期。")
            dst.write(head + b"<sheetData>")
            for chunk in chunks:
                dst.write(chunk)
            dst.write(b"</sheetData>" + tail)


@dataclass
class _Book:
    wb: Workbook
    rows: dict  # id(worksheet) -> generator of <row> chunks


def sheet_title(name: str, meta: RunMeta) -> str:
    """「某某区2026—2027学年学科缺口」: district (parameter output.district), school year, sheet name."""
    district = str(meta.parameter("output.district", "") or "").strip()
    return f"{district}{meta.title_years}{name}"


def _notes() -> dict[str, str]:
    table = data_table("sheet_notes.csv")
    return dict(zip(table["sheet"], table["note"]))


_PARAM_RE = re.compile(r"\{([a-z_]+\.[a-z_]+)(%?)\}")


def sheet_note(name: str, meta: RunMeta) -> str:
    """The 单位 line under a sheet's title (data/sheet_notes.csv), parameters filled in from this run."""
    note = _notes().get(name, "")

    def value(m: re.Match) -> str:
        v = meta.parameter(m.group(1))
        if v is None:  # a run that recorded no parameters: the shipped default
            from ..config import default_config

            v = default_config().get(m.group(1))
        if m.group(2) and isinstance(v, (int, float)):
            return f"{v:.0%}"
        return "" if v is None else str(v)

    return _PARAM_RE.sub(value, note)


# what a working workbook is about (its document title, shown by a PDF reader), by the command that wrote it
WORKBOOK_SUBJECTS = {"forecast": "学生、编制与学科缺口预测", "rotate": "交流轮岗与走教安排", "backtest": "预测回测",
                     "report": "教师编制测算与交流轮岗汇总"}


def build_workbook(sheets: dict[str, pd.DataFrame], meta: RunMeta, *, titles: dict[str, str] | None = None,
                   notes: dict[str, str] | None = None, charts: Iterable[ChartSpec] | None = None,
                   number_formats: dict[str, dict[str, str]] | None = None) -> _Book:
    """The workbook, ready for :func:`save_workbook` (cells are generated while saving)."""
    titles, notes = dict(titles or {}), dict(notes or {})
    number_formats = number_formats or {}
    if META_SHEET in sheets:
        raise OutputError(f"工作表名「{META_SHEET}」保留给运行说明，请换一个名称。")
    names = [safe_sheet_name(n) for n in sheets]
    if len(set(names)) != len(names):
        raise OutputError("工作表名称重复（Excel 工作表名最长 31 个字符）：" + "、".join(names))
    wb = Workbook(write_only=True)
    styles = _Styles(wb)
    written = {}
    for name, df in sheets.items():
        title = titles.get(name, sheet_title(name, meta))
        note = notes.get(name, sheet_note(name, meta))
        written[name] = _write_sheet(wb, styles, name, df, title, number_formats.get(name), note,
                                     internal=not meta.public)
    for spec in charts or []:
        if spec.sheet not in written:
            raise OutputError(f"图表「{spec.title}」引用的工作表「{spec.sheet}」不存在。")
        _add_chart(written[spec.sheet], spec)
    if meta.public:  # sent with the memo: plain notes, no program, checksum or solver facts
        meta_title, meta_note, author = META_SHEET, "", str(meta.parameter("output.district", "") or "")
        doc_title = sheet_title(meta.public, meta)
    else:
        meta_title = sheet_title(f"运行说明（staffplan {meta.command}）", meta)
        meta_note = "本表列出本工作簿所用的参数及其来源、读入的文件及其校验值（SHA-256）、求解情况和生成时间。"
        author = "staffplan"
        doc_title = sheet_title(f"{WORKBOOK_SUBJECTS.get(meta.command, meta.command)}（staffplan {meta.command}）", meta)
    people = meta_for_people(meta)
    if "来源或说明" in people:   # the 64 hex digits on a line of their own: the row height counts that line break
        people["来源或说明"] = people["来源或说明"].astype(object).str.replace("校验值（SHA-256）：", "校验值（SHA-256）：\n",
                                                                             regex=False)
    written[META_SHEET] = _write_sheet(wb, styles, META_SHEET, people, meta_title, None, meta_note,
                                       internal=not meta.public)
    wb.remove(styles.ws)
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    wb.properties.title = doc_title
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return _Book(wb, {id(info["ws"]): info["rows"] for info in written.values()})


class _Writer(ExcelWriter):
    def __init__(self, workbook, archive, rows):
        super().__init__(workbook, archive)
        self._rows = rows

    def write_worksheet(self, ws):
        self._archive.pending_rows = self._rows.get(id(ws))
        super().write_worksheet(ws)


def save_workbook(book: _Book, path: Path) -> None:
    with _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=3) as archive:
        _Writer(book.wb, archive, book.rows).save()


def write_workbook(path: Path | str, sheets: dict[str, pd.DataFrame], meta: RunMeta, *,
                   titles: dict[str, str] | None = None, charts: list[ChartSpec] | None = None,
                   force: bool = False, number_formats: dict[str, dict[str, str]] | None = None,
                   notes: dict[str, str] | None = None) -> Path:
    """Write ``sheets`` (in order) and the 说明 sheet (last) to ``path`` atomically.

    ``titles``: sheet → title row text (default "<plan year> 年<sheet>"); ``notes``: sheet → the line under
    the title (default the 单位 line of data/sheet_notes.csv). ``number_formats``: sheet →
    column → Excel number format, overriding the automatic choice. A caller-supplied final row whose
    label is 合计 is styled as a total row and kept out of the autofilter range.
    Raises OutputError (exists without force, input file, bad sheet name or chart spec).
    """
    path = Path(path)
    with atomic_path(path, force) as tmp:
        book = build_workbook(sheets, meta, titles=titles, notes=notes, charts=charts, number_formats=number_formats)
        save_workbook(book, tmp)
    return path
