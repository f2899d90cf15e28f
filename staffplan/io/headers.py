"""Header handling: clean header text, find the header row, map headers to canonical fields.

Aliases are data (``staffplan/data/aliases/headers_<table>.csv``: field, alias; an alias starting with ``re:`` is a
regular expression whose first group is a year, e.g. ``2025年考核`` — the latest year gets the field, the one
before it ``<field>_prev``). Words that mark totals and notes are in ``markers.csv``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from .normalize import load_alias_csv, to_halfwidth

SCAN_ROWS = 30

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>|〔[^〔〕]*〕|（[^（）]*）")
_BRACKET_CHARS = re.compile(r"[()\[\]【】<>〔〕（）]")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=65536)
def clean_header(text, keep_brackets: bool = False) -> str:
    """Header cell → comparable text: half-width, no ``*`` markers, line breaks, spaces or bracketed hints.

    ``*出生日期\\n(yyyy-MM-dd)`` → ``出生日期``; ``学校名称（必填）`` → ``学校名称``; ``镇(街)`` → ``镇``.
    ``keep_brackets``: the text inside brackets (and every line) is kept, only the brackets go — for the year
    patterns: ``年度考核结果\\n（2025年）`` → ``年度考核结果2025年``.
    """
    if text is None:
        return ""
    if isinstance(text, float):
        if text != text:
            return ""
        text = str(int(text)) if text.is_integer() else str(text)
    t = to_halfwidth(str(text))
    lines = [x for x in re.split(r"[\r\n]+", t) if x.strip()]
    if not keep_brackets and len(lines) > 1 and any(_CJK.search(x) for x in lines):
        t = "".join(x for x in lines if _CJK.search(x))   # 出生日期\n yyyy-MM-dd: the hint line goes
    t = t.replace("*", "").replace("※", "")
    t = _SPACES.sub("", t)
    if keep_brackets:
        t = _BRACKET_CHARS.sub("", t)
    prev = None
    while prev != t:
        prev = t
        t = _BRACKETS.sub("", t)
    t = t.strip(":：")
    return t


@lru_cache(maxsize=65536)
def header_key(text, keep_brackets: bool = False) -> str:
    return clean_header(text, keep_brackets).lower()


# --- alias data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AliasMap:
    table: str
    exact: dict[str, str]
    patterns: tuple[tuple[re.Pattern, str], ...]
    tried: dict[str, tuple[str, ...]]  # field → aliases as written (for messages)

    def match(self, label) -> tuple[str | None, int | None]:
        """(field, year-or-None) for one header label: exact alias, then with prefixes such as 学校（机构）/所在地
        taken off (``header_prefixes.csv``), then the year patterns."""
        k = header_key(label)
        if not k:
            return None, None
        # a year in brackets is part of the label: 年度考核结果（2025年） and （2024年） are two years, not twice
        # 年度考核结果
        yk = header_key(label, keep_brackets=True)
        if yk != k and re.search(r"\d{4}", yk):
            fld, year = self._pattern(yk)
            if year is not None:
                return fld, year
        f = self.exact.get(k)
        if f:
            return f, None
        for short in _without_prefixes(k):
            f = self.exact.get(short)
            if f:
                return f, None
        return self._pattern(k)

    def _pattern(self, key: str) -> tuple[str | None, int | None]:
        """(field, year) of the first year pattern ``key`` matches (year None when its group is not a number)."""
        for rx, fld in self.patterns:
            m = rx.match(key)
            if m:
                try:
                    return fld, int(m.group(1))
                except (IndexError, TypeError, ValueError):
                    return fld, None
        return None, None

    def fields(self) -> list[str]:
        return list(self.tried)

    def contained(self, label, wanted: set[str]) -> str | None:
        """The one field of ``wanted`` whose longest alias is contained in ``label`` (None if none or ambiguous).

        ``所属学校编号`` → school_id (contains 学校编号, longer than 学校). Aliases of one character are not used.
        """
        k = header_key(label)
        if not k or len(k) > 30:
            return None
        best_len, best = 0, set()
        for alias, fld in self.exact.items():
            if fld in wanted and len(alias) >= 2 and alias in k:
                if len(alias) > best_len:
                    best_len, best = len(alias), {fld}
                elif len(alias) == best_len:
                    best.add(fld)
        return next(iter(best)) if len(best) == 1 else None


@lru_cache(maxsize=None)
def _prefix_keys() -> tuple[tuple[str, int], ...]:
    return tuple((header_key(r["prefix"]), int(r["min_rest"])) for r in load_alias_csv("header_prefixes.csv"))


def _without_prefixes(k: str) -> list[str]:
    """``学校所在地城乡类型`` → [``所在地城乡类型``, ``城乡类型``]: the key with leading prefixes taken off one by one."""
    out = []
    changed = True
    while changed:
        changed = False
        for p, min_rest in _prefix_keys():
            if k.startswith(p) and len(k) - len(p) >= min_rest:
                k = k[len(p):]
                out.append(k)
                changed = True
                break
    return out


@lru_cache(maxsize=None)
def aliases(table: str) -> AliasMap:
    exact: dict[str, str] = {}
    patterns = []
    tried: dict[str, list[str]] = {}
    for r in load_alias_csv(f"headers_{table}.csv"):
        fld, alias = r["field"].strip(), r["alias"].strip()
        if alias.startswith("re:"):
            patterns.append((re.compile(alias[3:]), fld))
            tried.setdefault(fld, []).append(alias[3:].replace("^", "").replace("$", ""))
            continue
        exact.setdefault(header_key(alias), fld)
        tried.setdefault(fld, []).append(alias)
    return AliasMap(table, exact, tuple(patterns), {k: tuple(v) for k, v in tried.items()})


@lru_cache(maxsize=None)
def markers(kind: str) -> tuple[str, ...]:
    return tuple(r["word"] for r in load_alias_csv("markers.csv") if r["kind"] == kind)


def is_total_label(value) -> bool:
    """合计 / 总计 / 小计 (also '总  计', '全区合计')."""
    k = header_key(value)
    if not k or len(k) > 8:
        return False
    return any(k == w or k.endswith(w) for w in markers("total"))


@lru_cache(maxsize=None)
def _note_initials() -> tuple[str, ...]:
    return tuple({w[0] for w in markers("note")} | {to_halfwidth(w[0]) for w in markers("note")})


def is_note_text(value) -> bool:
    if not isinstance(value, str):
        return False
    k = clean_header(value) if len(value) < 200 else to_halfwidth(value).strip()
    return any(k.startswith(w) for w in markers("note"))


# --- header detection ---------------------------------------------------------------------------------

def forward_fill(row: list) -> list:
    """Upper row of a merged header: carry a label rightwards over blank cells."""
    out, last = [], None
    for v in row:
        if v is not None and str(v).strip() != "":
            last = v
        out.append(last)
    return out


@dataclass
class Header:
    first: int                 # 0-based index of the first header row
    last: int                  # 0-based index of the last header row (data start below it)
    labels: list[str]          # per column: header as the user sees it (upper+lower joined)
    columns: dict[str, int]    # field → column index
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # field → other columns mapped to it
    score: int = 0


def _row_labels(rows: list[list], i: int, two_row: bool, width: int) -> list[str]:
    upper = list(rows[i]) + [None] * (width - len(rows[i]))
    if not two_row:
        return ["" if v is None else str(v).strip() for v in upper]
    lower = list(rows[i + 1]) + [None] * (width - len(rows[i + 1]))
    filled = forward_fill(upper)
    labels = []
    for j in range(width):
        lo = "" if lower[j] is None else str(lower[j]).strip()
        if lo:
            up = "" if filled[j] is None else str(filled[j]).strip()
            labels.append(up + lo if up and up != lo else lo)
        else:
            labels.append("" if upper[j] is None else str(upper[j]).strip())
    return labels


def map_labels(labels: list[str], amap: AliasMap, alternates: list[str] | None = None
               ) -> tuple[dict[str, int], dict[str, list[int]]]:
    """field → column for header labels; ``alternates`` (the lower row of a two-row header) are tried when the
    combined label does not match."""
    columns: dict[str, int] = {}
    dups: dict[str, list[int]] = {}
    ranked: dict[str, list[tuple[int, int]]] = {}
    for j, lab in enumerate(labels):
        if not lab or is_total_label(lab):
            continue
        fld, year = amap.match(lab)
        if fld is None and alternates and j < len(alternates) and alternates[j]:
            fld, year = amap.match(alternates[j])
        if fld is None:
            continue
        if year is not None:
            ranked.setdefault(fld, []).append((year, j))
            continue
        if fld in columns:
            dups.setdefault(fld, []).append(j)
        else:
            columns[fld] = j
    known = set(amap.tried)
    for fld, items in ranked.items():
        items.sort(reverse=True)
        targets = [fld, f"{fld}_prev"]
        for (year, j), target in zip(items, targets):
            if target in known and target not in columns:
                columns[target] = j
    return columns, dups


def _is_sub_header_row(row: list, sub: AliasMap) -> bool:
    hits = sum(1 for v in row if v is not None and sub.match(v)[0] is not None)
    return hits >= 2


def detect_header(rows: list[list], table: str, scan: int = SCAN_ROWS) -> Header | None:
    """Find the header row(s): the row (or merged two-row pair) whose labels match most aliases of ``table``."""
    amap = aliases(table)
    sub = aliases("wide")
    width = max((len(r) for r in rows[: scan + 2]), default=0)
    best: Header | None = None
    for i in range(min(scan, len(rows))):
        row = rows[i]
        if not any(v is not None for v in row):
            continue
        candidates = [False]
        if i + 1 < len(rows) and _is_sub_header_row(rows[i + 1], sub):
            candidates.append(True)
        for two in candidates:
            labels = _row_labels(rows, i, two, width)
            lower = None
            if two:
                lower = ["" if v is None else str(v).strip() for v in rows[i + 1]]
                if any(is_total_label(v) for v in forward_fill(list(rows[i]))):
                    ff = forward_fill(list(rows[i]))
                    lower = [("" if (j < len(ff) and is_total_label(ff[j])) else v) for j, v in enumerate(lower)]
            cols, dups = map_labels(labels, amap, lower)
            score = len(cols)
            if score and (best is None or score > best.score or (two and best.first == i and score >= best.score)):
                best = Header(i, i + 1 if two else i, labels, cols, dups, score)
    return best


# --- data rows below the header -------------------------------------------------------------------------

@dataclass
class Body:
    frame: pd.DataFrame          # raw values, one column per sheet column (0..width-1), index = Excel row number
    totals: list[int]            # Excel rows dropped as 合计/总计/小计
    trailing: list[int]          # non-blank Excel rows below the end of the table (not read)
    end_reason: str = ""


def table_body(rows: list[list], header: Header, key_columns: list[int] | None = None) -> Body:
    """Rows below the header until notes (注/说明/备注/填表…) or two blank rows; 合计 rows dropped."""
    start = header.last + 1
    width = len(header.labels)
    data = rows[start:]
    if not data:
        return Body(pd.DataFrame(columns=range(width)), [], [], "")
    frame = pd.DataFrame(data, dtype=object)
    if frame.shape[1] < width:
        for j in range(frame.shape[1], width):
            frame[j] = None
    frame.index = pd.RangeIndex(start + 1, start + 1 + len(frame))  # Excel row numbers
    str_frame = frame
    blank = str_frame.isna().all(axis=1)
    first = str_frame.bfill(axis=1).iloc[:, 0]
    first_s = first[first.map(type) == str]
    cand = first_s[first_s.str.lstrip().str[:1].isin(_note_initials())]
    note = pd.Series(False, index=frame.index)
    if len(cand):
        note.loc[cand.index] = cand.map(is_note_text).astype(bool)
    note &= ~blank
    stop = len(frame)
    reason = ""
    note_pos = note.to_numpy().nonzero()[0]
    if len(note_pos):
        stop, reason = int(note_pos[0]), "note"
    b = blank.to_numpy()
    pair = (b[:-1] & b[1:]).nonzero()[0] if len(b) > 1 else []
    if len(pair) and int(pair[0]) < stop:
        stop, reason = int(pair[0]), "blank"
    body = frame.iloc[:stop]
    trailing = [int(r) for r in frame.index[stop:][~blank.iloc[stop:].to_numpy()]] if reason == "blank" else []
    body = body[~blank.iloc[:stop].to_numpy()]
    # 合计 rows: a total word in a key column or in one of the first three columns
    cols = list(dict.fromkeys((key_columns or []) + list(range(min(3, width)))))
    is_total = pd.Series(False, index=body.index)
    for j in cols:
        if j < body.shape[1]:
            col = body.iloc[:, j]
            strs = col[col.map(type) == str]
            strs = strs[strs.str.contains("计", regex=False)]
            if len(strs):
                hit = strs.map(is_total_label).astype(bool)
                is_total.loc[hit[hit].index] = True
    totals = [int(r) for r in body.index[is_total.to_numpy()]]
    body = body[~is_total.to_numpy()]
    return Body(body, totals, trailing, reason)
