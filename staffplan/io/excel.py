"""Raw reading of spreadsheet files: every sheet as a list of rows, values as stored.

The file type comes from the bytes, not the extension: workbooks (.xlsx/.xlsm/.xls/.ods, WPS .et, an .xls
that is really an .xlsx or the reverse) are read with python-calamine (cached values of formula cells);
CSV text (also when named .xls) is decoded as UTF-8 (with or without BOM) or GB18030 (a superset of GBK);
an HTML table saved as .xls is read with pandas/lxml; Excel 2003 XML through LibreOffice when installed.
Merged ranges are filled with their value; error cells and formulas without a value become
:class:`CellError`. Files are opened read-only. Problems raise :class:`InputError` with one Chinese sentence
naming the file and what it really is.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Issue, ERROR
from .limits import check_archive, check_file

if TYPE_CHECKING:      # pandas is loaded where the cells are read, not at import
    import pandas as pd

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett"}
SPREADSHEET_SUFFIXES = WORKBOOK_SUFFIXES | {".csv"}
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class CellError(str):
    """A cell that holds no value but an error: ``#N/A``, ``#REF!`` …, or a formula without a cached value
    (text ``#无计算结果``). Kept as such through reading, so validation reports it instead of calling it empty."""


UNCACHED = "#无计算结果"
MERGED = "#合并单元格"  # a count merged over several rows: its lower cells
_CELL_ERROR_TEXT = {
    UNCACHED: "单元格是没有计算结果的公式（程序生成、未在 Excel 中保存过），请在 Excel 中打开该文件、保存后再读取",
    MERGED: "单元格与上方的单元格合并，数量不能跨行合并填写（否则会按每行重复计算）；请取消合并，每行填写各自的数值",
}


def is_cell_error(col) -> pd.Series:
    """Mask of the :class:`CellError` cells of a column (one quick pass, no pandas map)."""
    import numpy as np
    import pandas as pd

    arr = col.to_numpy(dtype=object)
    return pd.Series(np.fromiter((v.__class__ is CellError for v in arr), bool, len(arr)), index=col.index)


def cell_error_text(value: str) -> str:
    """The sentence for an error cell: what it holds and what to do."""
    return _CELL_ERROR_TEXT.get(value, f"单元格是错误值「{value}」（公式出错），应填写实际内容")


@dataclass
class RawSheet:
    """One sheet as read. ``rows[0]`` is Excel row 1; ``hidden_rows`` holds 1-based Excel row numbers."""

    file: str
    path: Path
    sheet: str
    rows: list[list[object]]
    hidden_rows: set[int] = field(default_factory=set)
    uncached_formulas: list[str] = field(default_factory=list)  # cells (A1 refs) holding a formula without a value
    note: str = ""  # how the file was read when its content does not match its extension
    merged: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) 0-based filled from a merge above → top row
    sha256: str = ""  # SHA-256 of the file's bytes, computed from the one read that parsed it


def _limits(max_rows: int | None, max_file_mb: float | None) -> tuple[int, float]:
    if max_rows is None or max_file_mb is None:
        from ..config import default_config

        cfg = default_config()
        max_rows = cfg.get("input.max_rows", 200000) if max_rows is None else max_rows
        max_file_mb = cfg.get("input.max_file_mb", 100) if max_file_mb is None else max_file_mb
    return int(max_rows), float(max_file_mb)


def _fail(name: str, message: str, sheet: str = "") -> InputError:
    return InputError(Issue(ERROR, message, file=name, sheet=sheet))


_EXCEL_TEXT = re.compile(r'^\s*="(.*)"\s*$', re.S)
_WRAP_FIRST = frozenset("= '")  # first characters of a cell _unwrap may change
_APOSTROPHE_NUMBER = re.compile(r"^'\s*\d[\dXx]*\s*$")


def _unwrap(cell: str) -> str:
    """``="3623210001"`` or ``'3623210001`` (how web systems keep leading zeros in CSV exports) → ``3623210001``."""
    if cell.startswith(("=", " =")):
        m = _EXCEL_TEXT.match(cell)
        if m:
            return m.group(1).replace('""', '"')
    if cell.startswith("'") and _APOSTROPHE_NUMBER.match(cell):  # '4415210001: the other way to keep text
        return cell[1:]
    return cell


def _clean_row(row: list) -> list:
    return [None if (v == "" or (v.__class__ is str and not v.strip())) else v for v in row]


_UNCACHED_FORMULA = re.compile(rb'<c\b([^>]*)>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')


_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(?:\s*<f\b[^>]*(?:/>|>[^<]*</f>))?\s*<v>([^<]*)</v>')


def _sheet_flags_xlsx(data: bytes) -> tuple[dict[str, set[int]], dict[str, list[str]], dict[str, dict[str, str]]]:
    """(hidden rows, formula cells without a cached value, error cells ref → text) per sheet name, from the
    sheet XML in one pass.

    A formula without a cached value is what a program (openpyxl …) writes; calamine reads it, and error
    cells (``#N/A``), as blank.
    """
    out: dict[str, set[int]] = {}
    uncached: dict[str, list[str]] = {}
    errors: dict[str, dict[str, str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = {}
            for m in re.finditer(r"<Relationship\b[^>]*>", rels):
                tag = m.group(0)
                rid = re.search(r'\bId="([^"]+)"', tag)
                tgt = re.search(r'\bTarget="([^"]+)"', tag)
                if rid and tgt:
                    t = tgt.group(1).lstrip("/")
                    targets[rid.group(1)] = t if t.startswith("xl/") else "xl/" + t
            for m in re.finditer(r"<sheet\b[^>]*>", wb):
                tag = m.group(0)
                name = re.search(r'\bname="([^"]*)"', tag)
                rid = re.search(r'\br:id="([^"]+)"', tag) or re.search(r'\bid="([^"]+)"', tag)
                if not name or not rid or rid.group(1) not in targets:
                    continue
                sheet_name = (name.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                              .replace("&quot;", '"').replace("&apos;", "'"))
                try:
                    xml = zf.read(targets[rid.group(1)])
                except KeyError:
                    continue
                if b"<f" in xml:
                    refs = []
                    for fm in _UNCACHED_FORMULA.finditer(xml):
                        ref = re.search(rb'\br="([A-Z]+\d+)"', fm.group(1))
                        if ref:
                            refs.append(ref.group(1).decode())
                    if refs:
                        uncached[sheet_name] = refs
                if b't="e"' in xml:
                    errs = {}
                    for em in _ERROR_CELL.finditer(xml):
                        ref = re.search(rb'\br="([A-Z]+\d+)"', em.group(1))
                        if ref:
                            errs[ref.group(1).decode()] = em.group(2).decode("utf-8", "replace")
                    if errs:
                        errors[sheet_name] = errs
                if b'hidden="1"' not in xml and b'hidden="true"' not in xml:
                    continue
                hidden = set()
                for rm in re.finditer(rb'<row\b[^>]*\bhidden="(?:1|true)"[^>]*>', xml):
                    r = re.search(rb'\br="(\d+)"', rm.group(0))
                    if r:
                        hidden.add(int(r.group(1)))
                out[sheet_name] = hidden
    except (zipfile.BadZipFile, KeyError, OSError):
        return {}, {}, {}
    return out, uncached, errors


def _sniff(data: bytes) -> str:
    """What the file really is, from its bytes: xlsx, ods, xls (OLE: .xls, WPS .et), encrypted, html,
    spreadsheetml, text, pdf, zip (another Office document), or unknown. The extension is not trusted."""
    head = data[:4096]
    if head.startswith(_OLE_MAGIC):
        return "encrypted" if "EncryptionInfo".encode("utf-16-le") in data else "xls"
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "unknown"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            return "ods"
        return "zip"
    if head.startswith(b"%PDF"):
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if b"\x00" in head[:512]:
        return "unknown"
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower():
        return "spreadsheetml"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<table" in text[:2048]:
        return "html"
    if text.startswith(b"<?xml") and b"<html" in text:
        return "html"
    return "text"


def _looks_tabular(data: bytes) -> bool:
    """A text file saved under a workbook name is read as CSV only when its first line has separators."""
    first = data[:4096].split(b"\n", 1)[0]
    return any(sep in first for sep in (b",", b"\t", b";"))


_KIND_TEXT = {"text": "文本（CSV）", "html": "网页（HTML）表格", "xlsx": " .xlsx 工作簿", "xls": " .xls 工作簿",
              "ods": " .ods 工作簿", "spreadsheetml": " Excel 2003 XML 表格"}
_KIND_NAMES = {"pdf": "PDF 文件", "zip": "压缩包或其他 Office 文档（不是工作簿）", "unknown": "无法识别的二进制文件",
               "spreadsheetml": "Excel 2003 XML 表格（SpreadsheetML）"}


def _calamine_sheets(wb, path: Path, name: str, max_rows: int, flags) -> list[RawSheet]:
    hidden, uncached, errors = flags
    sheets: list[RawSheet] = []
    try:
        for meta in wb.sheets_metadata:
            if getattr(meta.typ, "name", str(meta.typ)) not in ("WorkSheet", "SheetTypeEnum.WorkSheet") and \
                    "WorkSheet" not in str(meta.typ):
                continue
            sh = wb.get_sheet_by_name(meta.name)
            if sh.height > max_rows:
                raise _fail(name, f"工作表有 {sh.height} 行，超过上限 {max_rows} 行（配置项 input.max_rows）",
                            sheet=meta.name)
            rows = [_clean_row(r) for r in sh.to_python(skip_empty_area=False)]
            _mark_cells(rows, errors.get(meta.name, {}), uncached.get(meta.name, []))
            merged = _fill_merged(rows, getattr(sh, "merged_cell_ranges", None) or [])
            sheets.append(RawSheet(name, path, meta.name, rows, hidden.get(meta.name, set()),
                                   uncached.get(meta.name, []), merged=merged))
    except InputError:
        raise
    except Exception:
        raise _fail(name, "工作簿内容无法读取（文件已损坏），请在 Excel 中打开后另存为 .xlsx") from None
    return sheets


def _mark_cells(rows: list[list], errors: dict[str, str], uncached: list[str]) -> None:
    """Put :class:`CellError` markers where the sheet XML has error cells or formulas without a value."""
    marks = [(ref, text) for ref, text in errors.items()] + [(ref, UNCACHED) for ref in uncached]
    if not marks:
        return
    from openpyxl.utils.cell import coordinate_to_tuple  # imported only when needed (openpyxl loads slowly)

    for ref, text in marks:
        r, c = coordinate_to_tuple(ref)
        if r - 1 < len(rows):
            row = rows[r - 1]
            if c - 1 >= len(row):
                row.extend([None] * (c - len(row)))
            if row[c - 1] is None:
                row[c - 1] = CellError(text)


def _fill_merged(rows: list[list], ranges) -> dict[tuple[int, int], int]:
    """Every cell of a merged range gets the range's value (a school code merged down its grade rows).

    Returns the cells filled from a range above them (cell → the range's top row), so that a count merged over
    several rows can be refused instead of being counted once per row."""
    below: dict[tuple[int, int], int] = {}
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows):
            continue
        top = rows[r0]
        value = top[c0] if c0 < len(top) else None
        if value is None:
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] is None:
                    row[c] = value
                    if r > r0:
                        below[(r, c)] = r0
    return below


def _read_workbook(path: Path, data: bytes, name: str, max_rows: int, max_uncompressed_mb: float | None = None,
                   kind: str | None = None) -> list[RawSheet]:
    import python_calamine as pc

    kind = kind or _sniff(data)
    if kind == "encrypted":
        raise _fail(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再试")
    if kind in ("xlsx", "ods"):  # zip bombs: sizes from the zip directory, before any parsing
        check_archive(data, max_uncompressed_mb, display_name=name)
    try:  # by content, not by extension (.xls bytes named .xlsx, WPS .et …)
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several types (ZipError, XmlError, PasswordError, CalamineError)
        kind_ = type(exc).__name__
        if "Password" in kind_ or "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise _fail(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再试") from None
        raise _fail(name, "文件无法作为工作簿读取（文件已损坏或不是电子表格），请在 Excel 中打开后另存为 .xlsx") from None
    flags = _sheet_flags_xlsx(data) if kind == "xlsx" else ({}, {}, {})
    try:
        return _calamine_sheets(wb, path, name, max_rows, flags)
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _decode(data: bytes) -> str | None:
    """Text of a CSV or HTML export: UTF-8 (with or without BOM) or GB18030 (a superset of GBK); None if neither."""
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _read_html(path: Path, data: bytes, name: str, max_rows: int) -> list[RawSheet]:
    """A web page saved as .xls (what many web systems export): every <table> is a sheet, spans filled."""
    import pandas as pd

    text = _decode(data)
    if text is None:
        raise _fail(name, "文件实际是网页（HTML）表格，但编码无法识别；请在 Excel 中打开后另存为 .xlsx")
    try:
        first = pd.read_html(io.StringIO(text), header=None, flavor="lxml")
        widths = [t.shape[1] for t in first]
        tables = [pd.read_html(io.StringIO(text), header=None, flavor="lxml", keep_default_na=False,
                               converters={j: str for j in range(w)})[i] for i, w in enumerate(widths)]
    except (ValueError, ImportError):
        raise _fail(name, "文件实际是网页（HTML），其中没有可读取的表格；请在 Excel 中打开后另存为 .xlsx") from None
    sheets = []
    for i, t in enumerate(tables):
        if len(t) > max_rows:
            raise _fail(name, f"表格有 {len(t)} 行，超过上限 {max_rows} 行（配置项 input.max_rows）")
        head = []  # header cells (<th>) become pandas column names: put them back as rows
        if not isinstance(t.columns, pd.RangeIndex):
            levels = t.columns.nlevels
            for lv in range(levels):
                cells = [c[lv] if levels > 1 else c for c in t.columns]
                head.append([None if str(c).startswith("Unnamed:") else str(c) for c in cells])
        rows = head + [[None if v is None else str(v) for v in r] for r in t.itertuples(index=False)]
        rows = [_clean_row(r) for r in rows]
        sheets.append(RawSheet(name, path, "" if len(tables) == 1 else f"表{i + 1}", rows, set()))
    return sheets


def _read_via_office(path: Path, data: bytes, name: str, max_rows: int,
                     max_uncompressed_mb: float | None) -> list[RawSheet] | None:
    """Convert with LibreOffice (when installed) into a temporary .xlsx and read that; None when it is not
    available or cannot convert. The temporary folder is removed afterwards."""
    import shutil
    import subprocess
    import tempfile

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    out_dir = Path(tempfile.mkdtemp(prefix="staffplan-"))
    try:
        src = out_dir / "input.xml"
        src.write_bytes(data)
        profile = (out_dir / "profile").as_uri()  # own profile: several conversions may run at once
        try:
            subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                            "--outdir", str(out_dir), str(src)], capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        out = out_dir / "input.xlsx"
        if not out.exists():
            return None
        sheets = _read_workbook(out, out.read_bytes(), name, max_rows, max_uncompressed_mb, "xlsx")
        for sh in sheets:
            sh.path = path
        return sheets
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def _read_csv(path: Path, data: bytes, name: str, max_rows: int) -> list[RawSheet]:
    text = _decode(data)
    if text is None:
        raise _fail(name, "CSV 文件的编码无法识别（应为 UTF-8、带 BOM 的 UTF-8 或 GBK），请用 Excel 另存为「CSV UTF-8」")
    if "\x00" in text:
        raise _fail(name, "文件含有二进制内容，不是 CSV 文本文件，请检查文件类型")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
        if i >= max_rows:
            raise _fail(name, f"CSV 文件超过 {max_rows} 行的上限（配置项 input.max_rows）")
        # blank (only whitespace) → None; only cells starting like ="…" or '… can need unwrapping
        rows.append([None if not c or c.isspace() else _unwrap(c) if c[0] in _WRAP_FIRST else c for c in row])
    return [RawSheet(name, path, "", rows, set())]


def read_sheets(path: Path, display_name: str | None = None, *, max_rows: int | None = None,
                max_file_mb: float | None = None, max_uncompressed_mb: float | None = None) -> list[RawSheet]:
    """Read every worksheet of ``path`` (or the one table of a CSV). Raises InputError naming the file.

    The file is opened and read once: its bytes are sniffed, checked, parsed and hashed (``RawSheet.sha256``,
    the checksum the 说明 sheet records) from that one read."""
    path = Path(path)
    name = display_name or path.name
    max_rows, max_file_mb = _limits(max_rows, max_file_mb)
    # exists, not empty, size (one place: limits.py); the archive is checked after the file-type sniffing below
    check_file(path, max_file_mb=max_file_mb, display_name=name, archive=False)
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise _fail(name, f"不支持的文件类型「{path.suffix}」，应为 .xlsx、.xls 或 .csv")
    try:
        data = path.read_bytes()
    except OSError:
        raise _fail(name, "文件无法打开（可能被其他程序占用或没有读取权限）") from None
    kind = _sniff(data)
    sheets = None
    if kind == "text" or (kind == "unknown" and suffix == ".csv"):  # the CSV reader names the encoding problem
        if suffix != ".csv" and not _looks_tabular(data):
            raise _fail(name, f"文件扩展名是 {suffix}，但内容是普通文本，不是工作簿或表格；请在 Excel 中打开后另存为 .xlsx")
        sheets = _read_csv(path, data, name, max_rows)
    elif kind == "html":
        sheets = _read_html(path, data, name, max_rows)
    elif kind in ("xlsx", "ods", "xls", "encrypted"):
        sheets = _read_workbook(path, data, name, max_rows, max_uncompressed_mb, kind)
    elif kind == "spreadsheetml":
        sheets = _read_via_office(path, data, name, max_rows, max_uncompressed_mb)
    if sheets is not None:
        sha = hashlib.sha256(data).hexdigest()
        for sh in sheets:
            sh.sha256 = sha
        expected = {".csv": "text", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".et": "xls", ".ett": "xls",
                    ".ods": "ods"}[suffix]
        if kind != expected and kind != "unknown":
            note = (f"文件扩展名是 {suffix}，内容实际是{_KIND_TEXT.get(kind, kind)}，已按实际内容读取")
            for sh in sheets:
                sh.note = note
        return sheets
    raise _fail(name, f"文件实际是{_KIND_NAMES.get(kind, '其他类型的文件')}，不是可读取的工作簿；"
                      "请在 Excel 或 WPS 中打开后另存为 .xlsx")
