"""The same tables as CSV (one UTF-8-BOM file per sheet, Excel-friendly) or one JSON file.

CSV: ``预测.csv/`` holds ``学生预测.csv``, ``编制测算.csv`` … and ``说明.csv``; text a spreadsheet would
evaluate (=, +, -, @, tab, CR at the start) gets a leading single quote. JSON: one file
``{"说明": {...}, "sheets": {name: [records]}}`` (UTF-8, not ASCII-escaped; NaN → null).
Both are written atomically: nothing is left behind when writing fails.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import OutputError
from ..io.atomic import atomic_path, is_protected
from .meta import META_SHEET, RunMeta, meta_dict, meta_for_people
from .workbook import needs_neutralising, safe_sheet_name

FLOAT_DECIMALS = 6  # rounding that removes binary noise (0.30000000000000004) without losing data


def _clean(df: pd.DataFrame, neutralise: bool) -> pd.DataFrame:
    out = df.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.map({True: "是", False: "否"})
        elif pd.api.types.is_float_dtype(s):
            finite = s[np.isfinite(s)]
            if len(finite) and bool((finite == finite.round()).all()) and finite.abs().max() < 2**53:
                out[c] = s.round().astype("Int64")  # whole numbers stay whole (3, not 3.0)
            else:
                out[c] = s.round(FLOAT_DECIMALS)
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").where(s.notna(), None)
        elif neutralise and (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            mask = s.map(needs_neutralising).astype(bool)
            if mask.any():
                s = s.astype(object)
                s[mask] = "'" + s[mask]
                out[c] = s
    return out


def csv_dir_for(path: Path | str) -> Path:
    """预测.xlsx or 预测 → 预测.csv (a folder); 预测.csv stays."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return path
    return path.with_suffix(".csv") if path.suffix else path.with_name(path.name + ".csv")


def json_path_for(path: Path | str) -> Path:
    path = Path(path)
    return path if path.suffix.lower() == ".json" else path.with_suffix(".json")


def _looks_like_our_output(folder: Path) -> bool:
    files = list(folder.iterdir())
    return all(f.is_file() and f.suffix.lower() == ".csv" for f in files) and (folder / f"{META_SHEET}.csv").exists()


@contextlib.contextmanager
def atomic_dir(target: Path, force: bool = False) -> Iterator[Path]:
    """Like atomic_path, for a folder of outputs: build a temporary folder, then swap it in.

    An existing folder is replaced only with ``force`` and only if it holds nothing but an earlier
    staffplan CSV output (CSV files and 说明.csv) — never a folder with inputs or anything else.
    """
    target = Path(target)
    if is_protected(target):
        raise OutputError(f"输出路径「{target}」是输入文件，拒绝覆盖；请用 --out 指定其他路径。")
    if target.exists():
        if not force:
            raise OutputError(f"输出文件夹「{target}」已存在；如需覆盖请加 --force，或用 --out 指定其他路径。")
        if not target.is_dir() or not _looks_like_our_output(target):
            raise OutputError(f"「{target}」不是 staffplan 之前输出的 CSV 文件夹，拒绝覆盖；请用 --out 指定其他路径。")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".~" + target.name + ".", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".~old." + target.name + ".", dir=target.parent))
            os.replace(target, old / "x")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for f in tmp.iterdir():
            os.chmod(f, 0o666 & ~umask)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _records(df: pd.DataFrame) -> list[dict]:
    clean = _clean(df, neutralise=False)
    text = clean.to_json(orient="records", force_ascii=False, date_format="iso", double_precision=10)
    return json.loads(text)


def write_tables(path_or_dir: Path | str, sheets: dict[str, pd.DataFrame], meta: RunMeta, fmt: str,
                 force: bool = False) -> list[Path]:
    """Write the sheets as CSV files in a folder (``fmt='csv'``) or one JSON file (``fmt='json'``).

    Returns the paths written. Raises OutputError on an unknown format, an existing output without
    ``force`` or an input path.
    """
    if META_SHEET in sheets:
        raise OutputError(f"表名「{META_SHEET}」保留给运行说明，请换一个名称。")
    if fmt == "csv":
        folder = csv_dir_for(path_or_dir)
        names = [safe_sheet_name(n) for n in sheets] + [META_SHEET]
        if len(set(names)) != len(names):
            raise OutputError("表名称重复：" + "、".join(names))
        with atomic_dir(folder, force) as tmp:
            for name, df in list(sheets.items()) + [(META_SHEET, meta_for_people(meta))]:
                _clean(df, neutralise=True).to_csv(tmp / f"{safe_sheet_name(name)}.csv", index=False,
                                                   encoding="utf-8-sig", lineterminator="\r\n")
        return [folder / f"{n}.csv" for n in names]
    if fmt == "json":
        target = json_path_for(path_or_dir)
        doc = {META_SHEET: meta_dict(meta), "sheets": {name: _records(df) for name, df in sheets.items()}}
        with atomic_path(target, force) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=1, allow_nan=False)
                fh.write("\n")
        return [target]
    raise OutputError(f"输出格式「{fmt}」无效，应为 xlsx、csv 或 json。")
