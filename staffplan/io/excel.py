"""Raw reading of spreadsheet files: every sheet as a list of rows, values as stored.

Workbooks (.xlsx/.xlsm/.xls/.ods) are read with python-calamine, which returns the cached values of
formula cells; CSV files are decoded as UTF-8 (with or without BOM) or GB18030 (a superset of GBK).
Files are opened read-only. Problems raise :class:`InputError` with one Chinese sentence naming the file.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Issue, ERROR
from .limits import check_archive, check_file

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
SPREADSHEET_SUFFIXES = WORKBOOK_SUFFIXES | {".csv"}
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class RawSheet:
    """One sheet as read. ``rows[0]`` is Excel row 1; ``hidden_rows`` holds 1-based Excel row numbers."""

    file: str
    path: Path
    sheet: str
    rows: list[list[object]]
    hidden_rows: set[int] = field(default_factory=set)
    uncached_formulas: list[str] = field(default_factory=list)  # cells (A1 refs) holding a formula without a value


def _limits(max_rows: int | None, max_file_mb: float | None) -> tuple[int, float]:
    if max_rows is None or max_file_mb is None:
        from ..config import default_config

        cfg = default_config()
        max_rows = cfg.get("input.max_rows", 200000) if max_rows is None else max_rows
        max_file_mb = cfg.get("input.max_file_mb", 100) if max_file_mb is None else max_file_mb
    return int(max_rows), float(max_file_mb)


def _fail(name: str, message: str, sheet: str = "") -> InputError:
    return InputError(Issue(ERROR, message, file=name, sheet=sheet))


def _clean_row(row: list) -> list:
    return [None if (v == "" or (v.__class__ is str and not v.strip())) else v for v in row]


_UNCACHED_FORMULA = re.compile(rb'<c\b([^>]*)>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')


def _hidden_rows_xlsx(path: Path) -> dict[str, set[int]]:
    """Hidden rows per sheet name of an .xlsx/.xlsm (from the sheet XML; calamine does not report them)."""
    return _sheet_flags_xlsx(path)[0]


def _sheet_flags_xlsx(path: Path) -> tuple[dict[str, set[int]], dict[str, list[str]]]:
    """(hidden rows, formula cells without a cached value) per sheet name, from the sheet XML in one pass.

    A formula without a cached value is what a program (openpyxl …) writes; calamine reads it as blank.
    """
    out: dict[str, set[int]] = {}
    uncached: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
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
                if b'hidden="1"' not in xml and b'hidden="true"' not in xml:
                    continue
                hidden = set()
                for rm in re.finditer(rb'<row\b[^>]*\bhidden="(?:1|true)"[^>]*>', xml):
                    r = re.search(rb'\br="(\d+)"', rm.group(0))
                    if r:
                        hidden.add(int(r.group(1)))
                out[sheet_name] = hidden
    except (zipfile.BadZipFile, KeyError, OSError):
        return {}, {}
    return out, uncached


def _read_workbook(path: Path, name: str, max_rows: int, max_uncompressed_mb: float | None = None) -> list[RawSheet]:
    import python_calamine as pc

    with open(path, "rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"} and head.startswith(_OLE_MAGIC):
        raise _fail(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再试")
    if suffix in {".xlsx", ".xlsm", ".ods"} and not head.startswith(_ZIP_MAGIC):
        raise _fail(name, f"文件不是有效的 {suffix[1:]} 工作簿（可能是改了扩展名的其他文件），请在 Excel 中打开后另存为 .xlsx")
    if suffix == ".xls" and not head.startswith(_OLE_MAGIC):
        raise _fail(name, "文件不是有效的 .xls 工作簿（可能是改了扩展名的其他文件），请在 Excel 中打开后另存为 .xlsx")
    if suffix in {".xlsx", ".xlsm", ".ods"}:  # zip bombs: sizes from the zip directory, before any parsing
        check_archive(path, max_uncompressed_mb, display_name=name)
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types (ZipError, XmlError, PasswordError, CalamineError)
        kind = type(exc).__name__
        if "Password" in kind or "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise _fail(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再试") from None
        raise _fail(name, "文件无法作为工作簿读取（文件已损坏或不是电子表格），请在 Excel 中打开后另存为 .xlsx") from None
    hidden, uncached = _sheet_flags_xlsx(path) if suffix in {".xlsx", ".xlsm"} else ({}, {})
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
            sheets.append(RawSheet(name, path, meta.name, rows, hidden.get(meta.name, set()),
                                   uncached.get(meta.name, [])))
    except InputError:
        raise
    except Exception:
        raise _fail(name, "工作簿内容无法读取（文件已损坏），请在 Excel 中打开后另存为 .xlsx") from None
    finally:
        try:
            wb.close()
        except Exception:
            pass
    return sheets


def _read_csv(path: Path, name: str, max_rows: int) -> list[RawSheet]:
    data = path.read_bytes()
    text = None
    for enc in CSV_ENCODINGS:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
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
        rows.append([None if c.strip() == "" else c for c in row])
    return [RawSheet(name, path, "", rows, set())]


def read_sheets(path: Path, display_name: str | None = None, *, max_rows: int | None = None,
                max_file_mb: float | None = None, max_uncompressed_mb: float | None = None) -> list[RawSheet]:
    """Read every worksheet of ``path`` (or the one table of a CSV). Raises InputError naming the file."""
    path = Path(path)
    name = display_name or path.name
    max_rows, max_file_mb = _limits(max_rows, max_file_mb)
    # exists, not empty, size (one place: limits.py); the archive is checked after the file-type sniffing below
    check_file(path, max_file_mb=max_file_mb, display_name=name, archive=False)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, name, max_rows)
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(path, name, max_rows, max_uncompressed_mb)
    raise _fail(name, f"不支持的文件类型「{path.suffix}」，应为 .xlsx、.xls 或 .csv")
