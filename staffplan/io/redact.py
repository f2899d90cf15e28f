"""A shareable copy of a data set (for support): people made anonymous, everything else kept.

``redact_dataset(src, dst)`` reads ``src`` with the reading layer and writes the contract's plain format
(学校.xlsx, 在校生.xlsx, 教师.xlsx, and 出生人口/对口/距离 when present, plus the data folder's
staffplan.toml) into the folder ``dst``:

- 姓名 → 教师0001, 教师0002 … in roster order;
- 身份证号 → a fake but valid number (fixed region 110101, the kept birth month, a sequence digit of the
  same sex, correct check digit) — deterministic, so redacting twice gives the same files; a 教师编号 that
  is itself an ID number is replaced the same way;
- 出生日期 → kept to the month (the 1st of the month; the fake ID carries the same date);
- 特殊情况 (health) → 已脱敏 where a situation was given (the rules only need to know that one was filed);
- schools, enrollment, titles, dates of arrival, appraisals, willingness … unchanged; unknown extra columns
  of the original files are not copied (they may hold phone numbers or addresses).

Files are written atomically (:func:`staffplan.io.atomic.atomic_path`); existing files are not replaced
without ``force``, and ``dst`` may not be the source.
"""
from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ..errors import OutputError
from .atomic import atomic_path, check_target, protect_inputs

REDACTED = "已脱敏"
FAKE_REGION = "110101"
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = np.array(list("10X98765432"))
_ID_RE = re.compile(r"^[1-9]\d{16}[\dXx]$|^[1-9]\d{14}$")

# Columns written for each table: canonical field → contract header (derived fields left out).
_TEACHER_FIELDS = [f for f in schema.TEACHER_COLUMNS if f != "title_level"]
_TABLES = {
    "schools": ("学校", schema.SCHOOL_COLUMNS, list(schema.SCHOOL_COLUMNS)),
    "enrollment": ("在校生", schema.ENROLLMENT_COLUMNS, list(schema.ENROLLMENT_COLUMNS)),
    "teachers": ("教师", schema.TEACHER_COLUMNS, _TEACHER_FIELDS),
    "births": ("出生人口", schema.BIRTH_COLUMNS, list(schema.BIRTH_COLUMNS)),
    "feeders": ("对口", schema.FEEDER_COLUMNS, list(schema.FEEDER_COLUMNS)),
    "distances": ("距离", schema.DISTANCE_COLUMNS, list(schema.DISTANCE_COLUMNS)),
}
_BOOL_FIELDS = {"backbone", "special_approved"}


def fake_ids(birth: pd.Series, sex: pd.Series, present: pd.Series) -> pd.Series:
    """Fake valid 18-character ID numbers for rows where ``present``: same birth date and sex, unique.

    The sequence number counts rows of the same birth date and sex in order (odd for 男, even for 女).
    Rows without a usable birth date or sex, or not ``present``, get "".
    """
    birth = pd.to_datetime(birth, errors="coerce")
    male = sex.astype(object) == "男"
    female = sex.astype(object) == "女"
    ok = present.astype(bool) & birth.notna() & (male | female) & birth.dt.year.between(1900, 2099)
    out = pd.Series("", index=birth.index, dtype=object)
    if not ok.any():
        return out
    b = birth[ok]
    m = male[ok]
    k = pd.DataFrame({"d": b.dt.strftime("%Y%m%d"), "m": m}).groupby(["d", "m"], sort=False).cumcount()
    seq = (k % 499) * 2 + np.where(m, 1, 2)
    body = FAKE_REGION + b.dt.strftime("%Y%m%d") + pd.Series(seq, index=b.index).map("{:03d}".format)
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(-1, 17).astype(int) - 48
    check = _CHECK[(digits @ _WEIGHTS) % 11]
    out[ok] = (body + pd.Series(check, index=b.index)).to_numpy(dtype=object)
    return out


def redact_teachers(teachers: pd.DataFrame) -> pd.DataFrame:
    """The canonical teacher frame with names, ID numbers, birth days and health situations replaced."""
    t = teachers.copy()
    n = len(t)
    width = max(4, len(str(n)))
    t["name"] = [f"教师{i:0{width}d}" for i in range(1, n + 1)]
    birth = pd.to_datetime(t.get("birth_date", pd.Series(pd.NaT, index=t.index)), errors="coerce")
    month = birth.dt.to_period("M").dt.to_timestamp()
    t["birth_date"] = month
    old_id = t.get("id_number", pd.Series("", index=t.index)).fillna("").astype(str)
    new_id = fake_ids(month, t.get("sex", pd.Series("", index=t.index)).fillna(""), old_id != "")
    t["id_number"] = new_id
    tid = t["teacher_id"].fillna("").astype(str)
    is_id = (tid == old_id) & (old_id != "") | tid.str.match(_ID_RE)
    # a 教师编号 that is an ID number: the fake ID when there is one, else a neutral number
    neutral = pd.Series([f"T{i:0{width}d}" for i in range(1, n + 1)], index=t.index)
    t["teacher_id"] = tid.where(~is_id, new_id.where(new_id != "", neutral))
    if "special" in t.columns:
        special = t["special"].fillna("").astype(str)
        t["special"] = special.where(special == "", REDACTED)
    return t


def _cell(value: Any, field: str) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if field in _BOOL_FIELDS:
        return "是" if bool(value) else "否"
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return int(f) if f.is_integer() else f
    if isinstance(value, (np.bool_, bool)):
        return "是" if bool(value) else "否"
    return value


def _write_table(target: Path, sheet: str, df: pd.DataFrame, headers: dict[str, str], fields: list[str],
                 force: bool) -> Path:
    from openpyxl import Workbook

    fields = [f for f in fields if f in df.columns]
    if "grade" in fields:
        df = df.assign(grade=df["grade"].map(lambda g: schema.GRADE_NAMES.get(int(g), g) if pd.notna(g) else None))
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([headers[f] for f in fields])
    date_fields = {f for f in fields if pd.api.types.is_datetime64_any_dtype(df[f])}
    for row in df[fields].itertuples(index=False, name=None):
        values = [_cell(v, f) for v, f in zip(row, fields)]
        ws.append(values)
        r = ws.max_row
        for j, v in enumerate(values, start=1):
            c = ws.cell(r, j)
            if isinstance(v, str) and v[:1] in ("=",):  # text, never a formula
                c.data_type = "s"
            if fields[j - 1] in date_fields and v is not None:
                c.number_format = "yyyy-mm-dd"
            if fields[j - 1] in ("school_id", "teacher_id", "id_number", "feeder_id", "a", "b"):
                c.number_format = "@"
    with atomic_path(target, force=force) as tmp:
        wb.save(tmp)
    return target


def redact_dataset(src: Path, dst: Path, force: bool = False, config=None) -> list[Path]:
    """Write an anonymised copy of the data set ``src`` into the folder ``dst``; return the files written.

    Raises InputError when ``src`` cannot be read (the reading layer's errors), OutputError when ``dst``
    is the source or a file in it exists (without ``force``).
    """
    from .dataset import load_dataset

    src, dst = Path(src), Path(dst)
    if dst.exists() and not dst.is_dir():
        raise OutputError(f"「{dst}」是一个文件；脱敏数据要写到一个文件夹中。")
    src_dir = src if src.is_dir() else src.parent
    if dst.resolve() == src_dir.resolve() or (src.is_dir() and dst.resolve().is_relative_to(src.resolve())):
        raise OutputError(f"脱敏数据不能写到原数据文件夹「{src_dir}」中，请换一个文件夹。")
    ds = load_dataset(src, config)
    protect_inputs([src] + ([p for p in src.rglob("*") if p.is_file()] if src.is_dir() else []))
    frames = {"schools": ds.schools, "enrollment": ds.enrollment, "teachers": redact_teachers(ds.teachers),
              "births": ds.births, "feeders": ds.feeders, "distances": ds.distances}
    plan = [(name, dst / f"{_TABLES[name][0]}.xlsx") for name, df in frames.items()
            if name in ("schools", "enrollment", "teachers") or (df is not None and len(df))]
    toml = src / "staffplan.toml" if src.is_dir() else None
    for _, target in plan:  # refuse before writing anything
        check_target(target, force)
    if toml is not None and toml.exists():
        check_target(dst / "staffplan.toml", force)
    dst.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, target in plan:
        sheet, headers, fields = _TABLES[name]
        written.append(_write_table(target, sheet, frames[name], headers, fields, force))
    if toml is not None and toml.exists():
        with atomic_path(dst / "staffplan.toml", force=force) as tmp:
            shutil.copyfile(toml, tmp)
        written.append(dst / "staffplan.toml")
    return written
