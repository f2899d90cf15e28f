"""National-system code tables (GB/T codes, 教职工类别, 办学类型 …), kept as data in data/codes/.

``decode(field, raw)`` turns a coded cell into the canonical value for ``field``, or returns None when the
value is not a code (nor a coded name) of that field. Three forms are accepted, field by field:

- ``代码-名称`` as the national systems export it: ``1-男``, ``A1-专任教师``, ``205-暂未在本单位任职-交流轮岗``
  (also with ``：``, ``—``, a space or nothing between code and name: ``21大学本科毕业``);
- the bare name: ``男``, ``大学本科毕业``, ``中学高级教师`` (the canonical words themselves are names too);
- the bare code: ``1``, ``A1``, ``052`` (a number cell ``52`` matches ``052``).

When code and name are both given and both known, the name wins (in 中职 ``A2`` means 行政, and the export
then says ``A2-行政人员``). In an *open* field (status, title) an unknown ``代码-名称`` keeps its name.

Tables: ``data/codes/<field>.csv`` with columns code, name, canonical (extra columns allowed, e.g. post's
employment); ``data/codes/_fields.csv`` says which fields are open. Decoding is memoised; use
:func:`decode_series` for whole columns.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
from staffplan.paths import data_rows

_CODE_NAME = re.compile(r"^[\[(（【]?([A-Za-z]?\d{1,4}|[A-Za-z])[\])）】]?\s*[-－—–_:：.、\s]*\s*(\D.*)$")
_SPACES = re.compile(r"\s+")


@dataclass
class CodeTable:
    field: str
    open: bool = False
    by_code: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    # code with leading zeros stripped → code (only when unambiguous)
    by_short_code: dict[str, str] = field(default_factory=dict)
    extra: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical name → extra columns


def _norm(raw: object) -> str | None:
    """Cell → comparable text: NFKC (full-width → half-width), no spaces; integral floats lose '.0'."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if raw != raw:  # NaN
            return None
        if raw.is_integer():
            raw = int(raw)
    try:
        if pd.isna(raw):
            return None
    except (TypeError, ValueError):
        pass
    text = unicodedata.normalize("NFKC", str(raw))
    text = _SPACES.sub("", text)
    return text or None


def _norm_name(text: str) -> str:
    return text.replace("－", "-").replace("—", "-").replace("–", "-")


@functools.lru_cache(maxsize=None)
def _fields_meta() -> dict[str, bool]:
    return {r["field"]: r["open"].strip() == "yes" for r in data_rows("codes", "_fields.csv")}


@functools.lru_cache(maxsize=None)
def table(field_name: str) -> CodeTable:
    """The code table of ``field_name`` (KeyError naming the known fields when absent)."""
    meta = _fields_meta()
    if field_name not in meta:
        raise KeyError(f"没有代码表「{field_name}」；已有：{'、'.join(sorted(meta))}")
    tab = CodeTable(field_name, open=meta[field_name])
    rows = data_rows("codes", f"{field_name}.csv")
    short: dict[str, set[str]] = {}
    for r in rows:
        code = (r.get("code") or "").strip().upper()
        name = _norm_name(_norm(r.get("name")) or "")
        canon = (r.get("canonical") or "").strip()
        if code and code not in tab.by_code:
            tab.by_code[code] = canon
            short.setdefault(code.lstrip("0") or "0", set()).add(code)
        if name:
            tab.by_name.setdefault(name, canon)
        extras = {k: (v or "").strip() for k, v in r.items() if k not in ("code", "name", "canonical")}
        if any(extras.values()):
            tab.extra[name or code] = extras
            if code:
                tab.extra[code] = extras
    for r in rows:  # canonical words are names too
        canon = (r.get("canonical") or "").strip()
        if canon:
            tab.by_name.setdefault(_norm_name(_norm(canon) or ""), canon)
    tab.by_short_code = {s: next(iter(c)) for s, c in short.items() if len(c) == 1}
    return tab


def fields() -> list[str]:
    return sorted(_fields_meta())


def _lookup_code(tab: CodeTable, code: str) -> str | None:
    code = code.upper()
    if code in tab.by_code:
        return tab.by_code[code]
    full = tab.by_short_code.get(code.lstrip("0") or "0")
    return tab.by_code[full] if full is not None else None


@functools.lru_cache(maxsize=65536)
def _decode_text(field_name: str, text: str) -> str | None:
    tab = table(field_name)
    name = _norm_name(text)
    if name in tab.by_name:
        return tab.by_name[name]
    hit = _lookup_code(tab, text)
    if hit is not None:
        return hit
    m = _CODE_NAME.match(text)
    if m:
        code, rest = m.group(1), _norm_name(m.group(2)).lstrip("-")
        if rest in tab.by_name:
            return tab.by_name[rest]
        hit = _lookup_code(tab, code)
        if hit is not None:
            return hit
        if tab.open and rest:
            return rest
    return None


def decode(field: str, raw: object) -> str | None:
    """Canonical value of ``raw`` in ``field``'s code table, or None when it is not one of its codes/names."""
    text = _norm(raw)
    if text is None:
        return None
    return _decode_text(field, text)


def decode_series(field: str, series: pd.Series) -> pd.Series:
    """Vectorised :func:`decode`: decodes each distinct value once; undecodable cells become None."""
    values = pd.unique(series.astype(object))
    mapping = {v: decode(field, v) for v in values if not _is_missing(v)}
    out = series.astype(object).map(mapping).astype(object)
    out[out.isna()] = None
    return out


def decode_or_keep(field: str, series: pd.Series) -> pd.Series:
    """Decoded value where ``series`` holds a code of ``field``, else the raw cell unchanged."""
    dec = decode_series(field, series)
    return dec.where(dec.notna(), series)


def implied_employment(post_raw: object) -> str | None:
    """用工类型 implied by a 教职工类别 cell (55 代课教师 → 临聘), else None."""
    text = _norm(post_raw)
    if text is None:
        return None
    tab = table("post")
    name = _norm_name(text)
    candidates = [name]
    m = _CODE_NAME.match(text)
    if m:
        candidates += [_norm_name(m.group(2)).lstrip("-"), m.group(1).upper()]
    candidates.append(text.upper())
    if text.upper() not in tab.by_code:
        full = tab.by_short_code.get(text.upper().lstrip("0") or "0")
        if full:
            candidates.append(full)
    for c in candidates:
        extra = tab.extra.get(c)
        if extra and extra.get("employment"):
            return extra["employment"]
    return None


def _is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
