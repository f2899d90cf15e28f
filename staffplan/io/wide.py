"""Wide enrollment sheets → long canonical rows.

A wide sheet has one row per school and grades as columns (一年级 … 九年级, 初一 …, 高一 …, 小班 …), usually
with a two-row merged header (grade on top, 班数 / 人数 / 学生数 / 在校生数 below), a title above, a 合计 row
or column and notes below. The school year is a 学年 column, else the sheet name (``2025学年``, ``2024年秋季``),
else the title rows above the header.
"""
from __future__ import annotations

import pandas as pd

from ..errors import Issues
from . import normalize as nz
from .excel import CellError, RawSheet, cell_error_text, is_cell_error
from .headers import (Header, SCAN_ROWS, aliases, clean_header, forward_fill, is_total_label,
                      table_body)

KEY_FIELDS = ("school_id", "school_name", "school_ref", "year")


_STAGE_OFFSET = {"初中": 6, "高中": 9}  # a junior (senior) table numbers its grades 一年级…三年级 within the stage


def _grade_of(label: str, sub_map, offset: int = 0) -> tuple[int | None, str | None]:
    """(grade, kind) of a single-row label such as 一年级, 初一, 一年级班数, 高一人数."""
    k = clean_header(label)
    if not k or is_total_label(k):
        return None, None
    g = nz.parse_grade(k, offset)
    if g is not None:
        return g, None
    for alias_key, fld in sorted(sub_map.exact.items(), key=lambda kv: -len(kv[0])):
        if k.lower().endswith(alias_key) and len(k) > len(alias_key):
            g = nz.parse_grade(k[: -len(alias_key)], offset)
            if g is not None:
                return g, fld
    return None, None


def detect_wide(rows: list[list], scan: int = SCAN_ROWS):
    """(header row index, two_row) of a wide sheet: the first row naming at least two grades, else None."""
    sub = aliases("wide")
    for i in range(min(scan, len(rows))):
        cells = [v for v in rows[i] if v is not None]
        grades = {g for g, _ in (_grade_of(str(v), sub) for v in cells) if g is not None}
        if len(grades) >= 2:
            two = i + 1 < len(rows) and sum(1 for v in rows[i + 1] if v is not None and sub.match(v)[0]) >= 1
            return i, two
    return None


def _year_from_text(rows: list[list], upto: int) -> int | None:
    for r in rows[:upto]:
        for v in r:
            if isinstance(v, str):
                y = nz.parse_school_year(v)
                if y is not None:
                    return y
    return None


def read_wide(sheet: RawSheet, issues: Issues, table_label: str = "在校生") -> pd.DataFrame | None:
    """Long rows (school_id/school_name/school_ref raw text, year, grade, students, classes, src_*) or None
    when the sheet is not a wide enrollment table."""
    found = detect_wide(sheet.rows)
    if found is None:
        return None
    i, two = found
    rows = sheet.rows
    width = max(len(r) for r in rows[i: i + 2])
    upper = list(rows[i]) + [None] * (width - len(rows[i]))
    lower = (list(rows[i + 1]) + [None] * (width - len(rows[i + 1]))) if two else [None] * width
    filled = forward_fill(upper)
    sub = aliases("wide")
    amap = aliases("enrollment")
    stage = nz.normalize_stage(sheet.sheet) if sheet.sheet else None  # 2025学年初中: grades within the stage
    offset = _STAGE_OFFSET.get(stage or "", 0)
    if offset:
        issues.info(f"工作表名称表明是{stage}表，表中的一年级、二年级、三年级按{stage}年级读取",
                    file=sheet.file, sheet=sheet.sheet)
    # the measure on top (在校学生数 over all grades, then 班数 over all grades), grades in the row below it
    above = forward_fill(list(rows[i - 1]) + [None] * (width - len(rows[i - 1]))) if i > 0 else [None] * width
    measure = [sub.match(v)[0] if v is not None else None for v in above]
    if not any(measure):
        measure = [None] * width
    keys: dict[str, int] = {}
    grade_cols: dict[int, dict[str, int]] = {}
    labels: list[str] = []
    for j in range(width):
        up = "" if filled[j] is None else str(filled[j]).strip()
        lo = "" if lower[j] is None else str(lower[j]).strip()
        own = "" if upper[j] is None else str(upper[j]).strip()
        labels.append(up + lo if lo and up else (lo or own))
        if upper[j] is not None:
            fld, _ = amap.match(own)
            if fld in KEY_FIELDS and fld not in keys and nz.parse_grade(clean_header(own)) is None:
                keys[fld] = j
                continue
        if not up or is_total_label(up):
            continue
        g, kind = _grade_of(up, sub, offset)
        if g is None:
            continue
        if two and lo:
            kind = sub.match(lo)[0]
            if kind is None:
                continue
        kind = kind or measure[j] or "students"
        grade_cols.setdefault(g, {}).setdefault(kind, j)
    if not grade_cols or not any(k in keys for k in ("school_id", "school_name", "school_ref")):
        return None
    header = Header(i, i + 1 if two else i, labels, dict(keys))
    key_cols = [keys[k] for k in ("school_id", "school_name", "school_ref") if k in keys]
    body = table_body(rows, header, key_cols)
    frame = body.frame
    if body.totals:
        issues.info(f"已跳过合计行（第 {'、'.join(map(str, body.totals))} 行）", file=sheet.file, sheet=sheet.sheet)
    if body.trailing:
        issues.warning(f"表格在连续空行处结束，下方第 {body.trailing[0]} 行起的 {len(body.trailing)} 行内容未读取",
                       file=sheet.file, sheet=sheet.sheet, row=body.trailing[0])
    # school year
    if "year" in keys:
        year = nz.parse_school_year(frame[keys["year"]])
    else:
        y = nz.parse_school_year(sheet.sheet) if sheet.sheet else None
        if y is None:
            y = _year_from_text(rows, i)
        if y is None:
            y = nz.parse_school_year(sheet.path.stem)
        if y is None:
            issues.error(f"{table_label}表无法确定学年：请增加「学年」列，或把工作表命名为「2025学年」这样的名称",
                         file=sheet.file, sheet=sheet.sheet, row=i + 1)
            return pd.DataFrame()
        year = pd.Series(y, index=frame.index, dtype=object)
    has_errors = any(v.__class__ is CellError for row in rows for v in row)
    base = pd.DataFrame(index=frame.index)
    for k in ("school_id", "school_name", "school_ref"):
        if k in keys:
            base[k] = frame[keys[k]]
    base["year"] = year
    parts = []
    for g in sorted(grade_cols):
        cols = grade_cols[g]
        part = base.copy()
        part["grade"] = g
        for kind in ("students", "classes"):
            if kind in cols:
                raw = frame[cols[kind]]
                err = is_cell_error(raw) if has_errors else pd.Series(False, index=raw.index)
                if err.any():  # #N/A, #REF!, a formula without a value: said as such, then no value
                    for r in err[err].index:
                        issues.error(cell_error_text(raw[r]), file=sheet.file, sheet=sheet.sheet, row=int(r),
                                     column=labels[cols[kind]], value=str(raw[r]))
                    raw = raw.where(~err, None)
                val = nz.parse_number(raw)
                bad = nz.bad_number(raw, val)
                for r in bad[bad].index[:20]:
                    issues.error(f"「{raw[r]}」不是数字，{labels[cols[kind]]}应填写数字",
                                 file=sheet.file, sheet=sheet.sheet, row=int(r), column=labels[cols[kind]],
                                 value=str(raw[r]))
                neg = val < 0     # said here, where the grade's own column is known (「一年级在校生数」, not 「学生数」)
                for r in neg[neg].index[:20]:
                    issues.error(f"「{val[r]:g}」不能为负数，{labels[cols[kind]]}应填写 0 或正整数",
                                 file=sheet.file, sheet=sheet.sheet, row=int(r), column=labels[cols[kind]],
                                 value=f"{val[r]:g}")
                val = val.where(~neg)
                bad = bad | neg
                part[kind] = val
                part[f"_bad_{kind}"] = bad | err
                part[f"{kind}__raw_blank"] = ~(bad | err)  # reported above: not also "empty"
            else:
                part[kind] = float("nan")
                part[f"_bad_{kind}"] = False
        for kind in ("students", "classes"):
            if f"{kind}__raw_blank" not in part:
                part[f"{kind}__raw_blank"] = True
        # a grade kept only because its 班数 cell was wrong (already said, naming that cell): its empty 学生数 is not a
        # second error about a 「学生数」 column the sheet does not have
        part["students__raw_blank"] = part["students__raw_blank"] & ~part["_bad_classes"]
        keep = part["students"].notna() | part["classes"].notna() | part["_bad_students"] | part["_bad_classes"]
        parts.append(part[keep].drop(columns=["_bad_students", "_bad_classes"]))
    out = pd.concat(parts) if parts else base.iloc[0:0]
    out["src_file"] = sheet.file
    out["src_sheet"] = sheet.sheet
    out["src_row"] = out.index.astype(int)
    out = out.reset_index(drop=True)
    out.attrs["labels"] = {k: labels[j] for k, j in keys.items() if labels[j]}
    return out
