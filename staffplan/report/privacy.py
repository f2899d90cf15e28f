"""Privacy for circulated outputs: 身份证号 masked unless the planner asks (--show-id)."""
from __future__ import annotations

import re

import pandas as pd

# 18-digit resident ID (last char may be X) or old 15-digit ID, anywhere in a cell.
_ID18 = r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])"
_ID15 = r"(?<![0-9])([1-9][0-9]{5})[0-9]{5}([0-9]{4})(?![0-9])"  # 6 kept, 5 masked, last 4 kept (as mask_id)
ID_COLUMNS = ("教师编号", "身份证号", "身份证件号")


_DIGITS15 = re.compile(r"[0-9]{15}")     # every ID number (15 or 18 characters) holds 15 digits in a row
_MASKED = r"[1-9][0-9]{5}\*{8}[0-9]{3}[0-9Xx]|[1-9][0-9]{5}\*{5}[0-9]{4}"   # what mask_series writes for them


def shows_id_numbers(values: pd.Series) -> bool:
    """True when some cell holds an ID number, whole or as mask_series masked it (the 公示 说明 then says how)."""
    s = values.dropna().astype(str)
    return bool(s.str.contains(_DIGITS15).any() or s.str.contains(_MASKED, regex=True).any())


def mask_series(values: pd.Series) -> pd.Series:
    """Replace the middle of every ID number in a text column by asterisks (first 6, last 4 kept)."""
    uniq = pd.unique(values.dropna().to_numpy(dtype=object))
    if all(isinstance(v, str) for v in uniq) and not any(_DIGITS15.search(v) for v in uniq):
        return values.astype(object)      # plain text without an ID number: nothing to mask
    s = values.astype("string")
    s = s.str.replace(_ID18, r"\1********\2", regex=True)
    s = s.str.replace(_ID15, r"\1*****\2", regex=True)
    return s.astype(object).where(values.notna(), values)


def mask_sheets(sheets: dict[str, pd.DataFrame], show_id: bool = False) -> dict[str, pd.DataFrame]:
    """Mask ID numbers in every text column of every sheet (unless show_id)."""
    if show_id:
        return sheets
    out = {}
    for name, df in sheets.items():
        df = df.copy()
        for col in df.columns:
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                df[col] = mask_series(df[col])
        out[name] = df
    return out
