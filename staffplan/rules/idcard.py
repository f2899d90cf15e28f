"""身份证号 (18-character resident ID number): checksum, birth date, sex, masking.

Checksum: ISO 7064 MOD 11-2 as used by GB 11643-1999. Nothing here logs or returns the number itself
except :func:`mask_id`, which keeps the first 6 (region) and last 4 characters.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_RE = re.compile(r"^\d{17}[\dX]$")


def _clean(s) -> str:
    if s is None or (isinstance(s, float) and s != s):
        return ""
    t = str(s).strip().upper().translate({i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)})
    return t


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def is_valid(s) -> bool:
    """18 characters, digits (last may be X), valid checksum and a real birth date."""
    t = _clean(s)
    if not _RE.match(t):
        return False
    if check_digit(t[:17]) != t[17]:
        return False
    return birth_date(t) is not pd.NaT


def birth_date(s):
    """Birth date encoded in positions 7–14 (Timestamp, NaT if not a valid date or not 18 chars)."""
    t = _clean(s)
    if not _RE.match(t):
        return pd.NaT
    try:
        ts = pd.Timestamp(year=int(t[6:10]), month=int(t[10:12]), day=int(t[12:14]))
    except ValueError:
        return pd.NaT
    if not (1900 <= ts.year <= 2100):
        return pd.NaT
    return ts


def sex(s) -> str:
    """男 when the 17th character is odd, 女 when even ('' if not an 18-char number)."""
    t = _clean(s)
    if not _RE.match(t):
        return ""
    return "男" if int(t[16]) % 2 == 1 else "女"


def mask_id(s) -> str:
    """440301********123X: keep the first 6 and the last 4 characters."""
    t = _clean(s)
    if len(t) <= 10:
        return "*" * len(t)
    return t[:6] + "*" * (len(t) - 10) + t[-4:]


def mask_ids(series: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id` ('' stays '')."""
    s = series.fillna("").astype(str).str.strip().str.upper()
    n = s.str.len()
    out = pd.Series([""] * len(s), index=series.index, dtype=object)
    for length in sorted(set(n.tolist())):
        if length == 0:
            continue
        sel = n == length
        if length <= 10:
            out[sel] = "*" * length
        else:
            part = s[sel]
            out[sel] = (part.str[:6] + "*" * (length - 10) + part.str[-4:]).to_numpy(dtype=object)
    return out


def number_stored(ids: pd.Series) -> pd.Series:
    """IDs that went through a number cell: shown as 4.40301E+17, or 15–18 digits ending in 000 (Excel keeps 15
    significant digits), or 18 digits that are exactly a double (a number cell read back as an integer:
    441521199308279168, or 440301198503011008 for a typed 440301198503011000).  A genuine ID is exactly a double by
    chance once in 32–64, so :func:`number_stored_column` asks it of a fifth of the roster."""
    s = ids.fillna("").astype(str).str.strip()
    out = s.str.fullmatch(r"\d(\.\d+)?[eE]\+?\d+") | (s.str.fullmatch(r"\d{15,18}") & s.str.endswith("000"))
    d18 = s.str.fullmatch(r"\d{18}")
    if d18.any():
        out[d18] = out[d18] | pd.Series([int(float(v)) == int(v) for v in s[d18]], index=s[d18].index)
    return out.fillna(False).astype(bool)


def number_stored_birth_dates(ids: pd.Series) -> pd.Series:
    """Birth dates still readable in IDs that went through a number cell (NaT where not): such a number holds the ID
    to 15 significant digits (Excel's precision; a double read back as 18 digits is rounded to 15 first:
    441521198503129984 is 441521198503130), which leaves the date digits 7–14 whole unless rounding carried into
    them — then the 15th digit is 0, and the date is not used."""
    text = ids.fillna("").astype(str).str.strip()
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d{15,18}|\d\.\d+[eE]\+?17")), errors="coerce")
    digits = number.map(lambda v: "" if v != v else (lambda m: m[0] + m[2:16])(f"{v:.14e}"))
    ok = (number >= 1e17) & (digits.str[14:15] != "0")
    return pd.to_datetime(digits.str[6:14].where(ok), format="%Y%m%d", errors="coerce")


def number_stored_column(ids: pd.Series) -> pd.Series:
    """:func:`number_stored` when the column as a whole went through number cells (at least 3 such IDs and a fifth
    of the filled ones), else all False (a few such rows are reported one by one as invalid numbers)."""
    lost = number_stored(ids)
    filled = int((ids.fillna("").astype(str).str.strip() != "").sum())
    if lost.sum() >= max(3, 0.2 * filled):
        return lost
    return pd.Series(False, index=ids.index)


def validate_ids(series: pd.Series) -> pd.DataFrame:
    """Vectorised checks: columns valid (bool), birth_date (datetime64), sex ('男'/'女'/'')."""
    s = series.fillna("").astype(str).str.strip().str.upper()
    fmt = s.str.match(r"^\d{17}[\dX]$")
    out = pd.DataFrame({"valid": False, "birth_date": pd.NaT, "sex": ""}, index=series.index)
    out["birth_date"] = pd.to_datetime(out["birth_date"])
    if not fmt.any():
        return out
    f = s[fmt]
    raw = np.frombuffer("".join(f.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - ord("0")
    total = digits @ np.array(_WEIGHTS, dtype=np.int64)
    expected = np.frombuffer(_CHECK.encode("ascii"), dtype=np.uint8)[total % 11]
    ok = expected == raw[:, 17]
    bd = pd.to_datetime(f.str[6:14], format="%Y%m%d", errors="coerce")
    ok &= bd.notna().to_numpy() & (bd.dt.year >= 1900).to_numpy()
    out.loc[fmt, "valid"] = ok
    out.loc[fmt, "birth_date"] = bd.where(bd.notna(), pd.NaT)
    out.loc[fmt, "sex"] = np.where(digits[:, 16] % 2 == 1, "男", "女")
    return out
