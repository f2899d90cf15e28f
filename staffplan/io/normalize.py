"""Value normalisers: messy cell values → canonical values.

Every spelling lives in ``staffplan/data/aliases/values_<field>.csv`` (columns raw, value, match; ``match`` is
empty for an exact match of the cleaned text or ``contains`` for a substring rule tried in file order).
Each normaliser takes a scalar or a pandas Series; Series are handled through their unique values (one Python
call per distinct value, then a vectorised map), so 100 000 rows cost what their few distinct values cost.
Coded fields first ask :func:`staffplan.io.codes.decode` (national code tables) and use its answer when given.

Unknown values become ``None`` (NaN/NaT for numbers and dates): callers report them, never drop them.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import codes
from staffplan.paths import data_rows

# --- data tables ------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def load_alias_csv(name: str) -> tuple[dict, ...]:
    """Rows of ``data/aliases/<name>`` as dicts (cached)."""
    return tuple(data_rows("aliases", name))


# --- width and blanks -------------------------------------------------------------------------------

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_FULLWIDTH.update({0x3002: ord("."), 0x2014: ord("-"), 0x2013: ord("-"), 0x2015: ord("-"), 0x2212: ord("-"),
                   0xFF0D: ord("-"), 0x00A0: 0x20})
_FW_ONLY = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FW_ONLY[0x3000] = 0x20
_FW_ONLY[0x00A0] = 0x20
BLANK_TOKENS = {"", "-", "--", "—", "——", "/", "－", "／", "nan", "none", "null", "n/a", "#n/a"}


def to_halfwidth(x):
    """Full-width letters, digits, punctuation and the ideographic space → ASCII (scalar or Series)."""
    if isinstance(x, pd.Series):
        return x.astype("string").str.translate(_FW_ONLY).astype(object).where(x.notna(), None)
    if isinstance(x, str):
        return x.translate(_FW_ONLY)
    return x


def _text(x: Any) -> str:
    """Cell → stripped half-width text ('' for blank). Floats like 1.0 → '1'."""
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer():
            return str(int(x))
        return repr(x)
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return str(x).translate(_FW_ONLY).strip()


def _key(x: Any) -> str:
    """Lookup key: half-width, no whitespace, lower case."""
    return re.sub(r"\s+", "", _text(x)).lower()


def is_blank(x):
    """True for empty cells and the 'no value' marks '-', '—', '/' (scalar or Series)."""
    if isinstance(x, pd.Series):
        return _by_unique(x, lambda v: _key(v) in BLANK_TOKENS, na=True).astype(bool)
    return _key(x) in BLANK_TOKENS


def _by_unique(s: pd.Series, func: Callable[[Any], Any], na: Any = None) -> pd.Series:
    """Apply ``func`` once per distinct value of ``s`` and map the results back (NaN/None → ``na``)."""
    if len(s) == 0:
        return pd.Series([], index=s.index, dtype=object)
    arr = s.to_numpy(dtype=object)
    notna = ~pd.isna(arr)
    vals = arr[notna] if not notna.all() else arr
    out = np.empty(len(arr), dtype=object)
    out[:] = [na]  # object fill that keeps ``na`` itself (NaT/NaN/None/True) in every cell
    if len(vals):
        try:  # one hash pass: codes into the distinct values (equal values share a code, as dict keys do)
            codes_, uniq = pd.factorize(vals, sort=False)
        except TypeError:
            uniq = list(dict.fromkeys(vals.tolist()))
            pos = {u: i for i, u in enumerate(uniq)}
            codes_ = np.fromiter((pos[v] for v in vals), dtype=np.intp, count=len(vals))
        results = np.empty(len(uniq), dtype=object)
        for i, u in enumerate(uniq):
            try:
                results[i] = func(u)
            except TypeError:
                results[i] = na
        out[notna] = results[codes_]
    return pd.Series(out, index=s.index, dtype=object)


def _vectorize(func: Callable, na: Any = None):
    def wrapper(x, *args, **kwargs):
        if isinstance(x, pd.Series):
            return _by_unique(x, lambda v: func(v, *args, **kwargs), na=na)
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return na
        return func(x, *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


# --- numbers ----------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _parse_number(x: Any) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, (_dt.date, _dt.datetime)):
        return math.nan
    t = _key(x).replace(",", "").replace("，", "")
    if t in BLANK_TOKENS:
        return math.nan
    for unit in ("人", "个", "班", "公里", "km", "节", "课时"):
        if t.endswith(unit) and len(t) > len(unit):
            t = t[: -len(unit)]
            break
    if t.endswith("%") and _NUM_RE.match(t[:-1]):
        return float(t[:-1]) / 100.0
    if _NUM_RE.match(t):
        return float(t)
    return math.nan


def parse_number(x):
    """Number or number-as-text ('1,234', full-width digits) → float; blank, '-', '—', '/' → NaN."""
    if isinstance(x, pd.Series):
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            return x.astype(float)
        return _by_unique(x, _parse_number, na=np.nan).astype(float)
    if x is None:
        return math.nan
    return _parse_number(x)


def bad_number(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Cells that hold something but did not parse as a number."""
    return parsed.isna() & ~is_blank(raw)


# --- dates ------------------------------------------------------------------------------------------

_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ t]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"), "ymd"),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:份)?$"), "ym"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})$"), "ym"),
    (re.compile(r"^(\d{4})年?$"), "y"),
]


def _mk(y: int, m: int, d: int):
    try:
        if not (1900 <= y <= 2100):
            return pd.NaT
        return pd.Timestamp(_dt.datetime(y, m, d))
    except ValueError:
        return pd.NaT


def _from_number(n: float, year_only_month: int, padded: bool = False):
    if not math.isfinite(n):
        return pd.NaT
    if 1900 < n < 2101 and not n.is_integer():  # 1985.03 typed into a number cell → March 1985
        y = int(n)
        digits = repr(n).split(".")[1]
        month = int(digits[:2]) if len(digits) >= 2 else int(digits)
        if padded and digits == "1":   # a column that writes 2015.03 for March shows October as 2015.10 = 2015.1
            month = 10
        return _mk(y, month, 1) if 1 <= month <= 12 else pd.NaT
    if n.is_integer():
        i = int(n)
        if 1900 <= i <= 2100:
            return _mk(i, year_only_month, 1)
        if 19000101 <= i <= 21001231:
            return _mk(i // 10000, (i // 100) % 100, i % 100)
        if 190001 <= i <= 210012:
            return _mk(i // 100, i % 100, 1)
    if 1 <= n < 100000:  # Excel serial day number
        d = _EXCEL_EPOCH + _dt.timedelta(days=int(n))
        return _mk(d.year, d.month, d.day)
    return pd.NaT


def _parse_date(x: Any, year_only_month: int = 1, padded: bool = False):
    if isinstance(x, (_dt.date, _dt.datetime, pd.Timestamp)):  # same 1900–2100 range as text dates
        return _mk(x.year, x.month, x.day)
    if isinstance(x, bool):
        return pd.NaT
    if isinstance(x, (int, float, np.integer, np.floating)):
        return _from_number(float(x), year_only_month, padded)
    t = _key(x)
    if t in BLANK_TOKENS:
        return pd.NaT
    t = t.replace("—", "-").replace("–", "-")
    for rx, kind in _DATE_PATTERNS:
        m = rx.match(t)
        if m:
            g = [int(v) for v in m.groups()]
            if kind == "ymd":
                return _mk(g[0], g[1], g[2])
            if kind == "ym":
                return _mk(g[0], g[1], 1) if 1 <= g[1] <= 12 else pd.NaT
            return _mk(g[0], year_only_month, 1)
    m = re.match(r"^(\d+)(\.0+)?$", t)
    if m:
        return _from_number(float(m.group(1)), year_only_month)
    return pd.NaT


def _padded_months(x: pd.Series) -> bool:
    """Does a column of year.month numbers write months with two digits (2015.03)?  Then 2015.1 is what a cell
    formatted 0.00 shows as 2015.10 — October, not January."""
    nums = [v for v in pd.unique(x.dropna()) if isinstance(v, (float, np.floating)) and 1900 < v < 2101
            and not float(v).is_integer()]
    return any(repr(float(v)).split(".")[1].startswith("0") for v in nums)


def parse_date(x, year_only_month: int = 1):
    """Dates in common forms → Timestamp (NaT if blank or invalid).

    1985-03-01, 1985/3/1, 1985.3.1, 1985年3月1日, 1985.03 / 1985年3月 / 198503 (→ 1st of month), 19850301,
    Excel serial numbers, datetime objects; a bare year → 1st of ``year_only_month``.  A number 1985.1 is January,
    unless (a Series) the column also holds two-digit months such as 1985.03: then it is 1985.10, October.
    """
    if isinstance(x, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(x):
            return x.dt.normalize()
        padded = _padded_months(x)
        out = _by_unique(x, lambda v: _parse_date(v, year_only_month, padded), na=pd.NaT)
        if len(out) > 1000:  # convert the distinct results once, then take (same values and dtype)
            codes_, uniq = pd.factorize(out.to_numpy(dtype=object), use_na_sentinel=False)
            conv = pd.to_datetime(pd.Series(uniq, dtype=object), errors="coerce")
            return pd.Series(conv.to_numpy()[codes_], index=out.index, name=out.name).astype(conv.dtype)
        return pd.to_datetime(out, errors="coerce")
    if x is None:
        return pd.NaT
    return _parse_date(x, year_only_month)


# --- school years and grades ------------------------------------------------------------------------

def _parse_school_year(x: Any):
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        f = float(x)
        return int(f) if f.is_integer() and 1950 <= f <= 2100 else None
    if isinstance(x, (_dt.date, _dt.datetime)):
        if not 1950 <= x.year <= 2100:  # same range as numbers and text
            return None
        return x.year if x.month >= 8 else x.year - 1
    t = _key(x)
    m = re.search(r"(19[5-9]\d|20\d\d|2100)", t)
    if not m:
        return None
    year = int(m.group(1))
    # "2025年春季学期" is the second term of school year 2024; "2024年秋季" is school year 2024.
    rest = t[m.end():]
    if "春" in rest and not re.search(r"\d{4}", rest) and "学年" not in rest:
        year -= 1
    return year


parse_school_year = _vectorize(_parse_school_year)
parse_school_year.__doc__ = ("2025, 2025学年, 2025-2026, 2025—2026学年, 2025/2026, '2025 /2026 学年初', "
                             "2024年秋季 → 2024 (school year starting September); None if no year.")


@lru_cache(maxsize=None)
def _grade_table() -> dict[str, tuple[int, bool]]:
    return {_key(r["raw"]): (int(r["value"]), r.get("relative", "0") == "1") for r in load_alias_csv("values_grade.csv")}


def grade_name(x: Any) -> tuple[int, bool] | None:
    """A grade name from the vocabulary → (grade, relative): relative names (一年级…六年级) count inside a
    table (a junior table's 一年级 is its first grade); the others are schema grades (初一 7, 小班 −2)."""
    return _grade_table().get(_key(x))


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _parse_grade(x: Any, offset: int = 0):
    g = _parse_grade_raw(x, offset)
    return g if g is None or -2 <= g <= 12 else None  # e.g. 四年级 in a senior table (offset 9) is no grade


def _parse_grade_raw(x: Any, offset: int = 0):
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        f = float(x)
        if f.is_integer() and -2 <= f <= 12:
            g = int(f)
            return g + offset if 1 <= g <= 6 else g
        return None
    k = _key(x)
    hit = _grade_table().get(k)
    if hit is None:
        m = re.match(r"^(\d{1,2})$", k)
        if m:
            return _parse_grade(float(m.group(1)), offset)
        return None
    grade, relative = hit
    return grade + offset if relative and offset else grade


parse_grade = _vectorize(_parse_grade)
parse_grade.__doc__ = ("Grade names → schema grade ints (小班 -2 … 九年级 9, 初一 7, 高一 10). ``offset`` is added to "
                       "bare 一年级…六年级 / 1年级 names (a junior table passes 6 so its 一年级 is 7).")


# --- enumerations through alias tables --------------------------------------------------------------

@lru_cache(maxsize=None)
def _value_table(field: str) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    exact: dict[str, str] = {}
    contains: list[tuple[str, str]] = []
    for r in load_alias_csv(f"values_{field}.csv"):
        key = _key(r["raw"])
        if (r.get("match") or "").strip() == "contains":
            contains.append((key, r["value"]))
        else:
            exact.setdefault(key, r["value"])
    return exact, tuple(contains)


@lru_cache(maxsize=None)
def _prefixes(field: str) -> tuple[str, ...]:
    rows = load_alias_csv("strip_prefixes.csv")
    return tuple(sorted((_key(r["prefix"]) for r in rows if r["field"] == field), key=len, reverse=True))


_CODE_NAME = re.compile(r"^[0-9a-z]{1,4}\s*[-－—:：]\s*(.+)$")
_QUALIFIER = re.compile(r"[(（][^()（）]*[)）]$")


def lookup(field: str, raw: Any, code_field: str | None = None, extra: dict | None = None):
    """Canonical value of ``raw`` for ``field`` (None if unknown). '' means 'explicitly none' (e.g. 无).

    Order: the bureau's own words (``extra``, from staffplan.toml [vocabulary]), the national code table, the
    alias table (exact, ``代码-名称``, known prefixes, a trailing bracketed qualifier dropped, then substrings)."""
    if extra:
        k = _key(raw)
        for word, value in extra.items():
            if _key(word) == k:
                return value
    if code_field:
        decoded = codes.decode(code_field, raw)
        if decoded is not None:
            raw = decoded
    exact, contains = _value_table(field)
    k = _key(raw)
    if k == "":
        return None
    if k in exact:
        return exact[k]
    m = _CODE_NAME.match(k)  # "1-男", "A1-专任教师" when codes.decode does not know the code
    if m and m.group(1) in exact:
        return exact[m.group(1)]
    for p in _prefixes(field):
        if k.startswith(p) and k[len(p):] in exact:
            return exact[k[len(p):]]
    bare = _QUALIFIER.sub("", k)  # 二级教师（中学） → 二级教师
    if bare != k and bare in exact:
        return exact[bare]
    for sub, value in contains:
        if sub in k:
            return value
    return None


def _enum(field: str, code_field: str | None = None, doc: str = ""):
    def func(x, extra: dict | None = None):
        return lookup(field, x, code_field, extra)

    func.__name__ = f"normalize_{field}"
    f = _vectorize(func)
    f.__doc__ = doc
    return f


normalize_subject = _enum("subject", None, "Subject spellings (思想品德/政治 → 道德与法治, 信息技术 → 信息科技, 小学语文 → 语文) → schema.SUBJECTS; None if unknown.")
title_level = _enum("title", "title", "Title (old or new name, or GB/T 8561 code via codes.decode) → 正高级/副高级/中级/初级/员级/未定级.")
normalize_degree = _enum("degree", "degree", "Degree → 研究生/本科/专科/高中及以下.")
normalize_employment = _enum("employment", "employment", "编制内/在编/事业编 → 在编; 合同制/代课/临聘/聘用/非编 → 临聘.")
normalize_post = _enum("post", "post", "Post → 专任教师/行政/教辅/工勤.")
normalize_stage = _enum("stage", "stage", "学段 in plain or statistics-system words (初级中学 → 初中 …) → schema.SCHOOL_STAGES.")
normalize_teach_stage = _enum("teach_stage", None, "任教学段 (小学部, 初级中学, 高中段 …) → 幼儿园/小学/初中/高中.")
normalize_locality = _enum("locality", "locality", "城乡 → 城区/镇区/乡村 (statistics names 主城区, 镇中心区, 村庄 … too).")
normalize_tier = _enum("tier", None, "办学水平 → 优质/一般/薄弱.")
normalize_sex = _enum("sex", "sex", "性别 → 男/女.")
normalize_appraisal = _enum("appraisal", None, "考核 → 优秀/合格/基本合格/不合格 ('' for 不定等次/未考核).")
normalize_special = _enum("special", None, "特殊情况 → 孕期/哺乳期/重大疾病 ('' for 无).")
_status_lookup = _enum("status", "status", "")


def _bool_value(field: str, code_field: str | None):
    def func(x):
        if isinstance(x, bool):
            return x
        v = lookup(field, x, code_field)
        if v is None and field != "bool":
            v = lookup("bool", x)       # 骨干教师 「×」「√」「Y」: the yes/no words of every yes/no column
        if v is None:
            return None
        if v in ("1", "0"):
            return v == "1"
        if isinstance(v, str) and v in ("是", "否"):
            return v == "是"
        return None

    return _vectorize(func)


normalize_bool = _bool_value("bool", None)
normalize_bool.__doc__ = "是/否/1/0/Y/N/√/× → True/False; None if not a yes/no value."
normalize_backbone = _bool_value("backbone", "backbone")
normalize_backbone.__doc__ = "骨干教师: 是/否, or a level name (省级/市级/区级骨干 → True) → bool; None if unknown."


def _status(x):
    v = lookup("status", x, "status")
    if v is not None:
        return v
    decoded = codes.decode("status", x)
    if decoded is not None:
        return decoded
    t = _text(x)
    return t or None


normalize_status = _vectorize(_status)
normalize_status.__doc__ = "人员状态 → canonical name (100 → 在本单位任职 via codes); unknown text is kept as written."

LIST_MARKS = "、,，;；/|｜＋+"      # what separates several values written in one cell (愿意交流、愿意走教; 劳动/美术)


@lru_cache(maxsize=None)
def _list_split(spaces: bool, words: str) -> re.Pattern:
    alts = [f"[{re.escape(LIST_MARKS)}" + (r"\s" if spaces else "") + "]+"] + ([f"[{words}]"] if words else [])
    return re.compile("|".join(alts))


def split_list(text: str, spaces: bool = True, words: str = "") -> list[str]:
    """Several values in one cell → the values, stripped, empty ones dropped: split at LIST_MARKS, at whitespace
    (``spaces``; not where a space sits inside one value, 「美术 4」), and at the joining characters ``words``
    (「劳动和美术」: ``words="和及"``)."""
    return [p.strip() for p in _list_split(spaces, words).split(text) if p.strip()]


_WISH_FILLER = re.compile(r"轮岗|参加|参与|本人|服从")


def _willingness(x, extra: dict | None = None):
    t = _text(x)
    if _key(t) in BLANK_TOKENS:
        return ""
    found = set()
    for part in split_list(t):
        v = lookup("willingness", part, extra=extra)
        if v is None:       # 愿意参加交流轮岗: the official term 交流轮岗 and 参加 add nothing to the wish
            v = lookup("willingness", _WISH_FILLER.sub("", part), extra=extra)
        if v is None:
            return None
        if v:
            found.update(v.split("、"))     # 愿意交流和走教 → both words
    return join_willingness(found)


def join_willingness(words) -> str:
    """The 本人意愿 words a row holds → one text, '、'-joined in schema order (the only form the rules read)."""
    from ..schema import WILLINGNESS

    words = set(words)
    return "、".join(w for w in WILLINGNESS if w in words)


normalize_willingness = _vectorize(_willingness)
normalize_willingness.__doc__ = "本人意愿: one or several of 愿意交流/不愿交流/愿意走教 → joined by '、' in schema order; None if unknown."

_bool_scalar = normalize_bool.__wrapped__


def _consent(x):
    """One wish in its own column (是否愿意交流, 是否愿意走教): 是/否 (values_bool) or a 本人意愿 word
    (愿意/不愿意/同意/不同意交流…: a word starting with 不 says no)."""
    if isinstance(x, bool):
        return x
    v = _bool_scalar(x)
    if v is not None:
        return v
    w = _willingness(x)
    if w is None or w == "" or "、" in w:
        return None
    return not w.startswith("不")


normalize_consent = _vectorize(_consent)
normalize_consent.__doc__ = "是否愿意交流 / 是否愿意走教: 是/否/愿意/不愿意/同意/不同意 → True/False; None if unknown."


_TEXT_MARK = re.compile(r"^['’‘`]+(?=[0-9A-Za-z])")   # '441521…: an apostrophe some exports write to keep a number as text


def _id_text(v) -> str:
    t = _TEXT_MARK.sub("", re.sub(r"\s+", "", _text(v)))
    if re.fullmatch(r"\d+\.0+", t):
        t = t.split(".")[0]
    return t.upper() if re.fullmatch(r"\d{17}[xX]", t) else t


def normalize_id(x):
    """Key cells (学校代码, 教师编号, 身份证号) → text: floats lose '.0', full-width → half-width, spaces and a leading
    apostrophe (``'441521…``, written to keep the digits as text) removed."""
    if not isinstance(x, pd.Series):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return ""
        return _id_text(x)
    out = pd.Series([""] * len(x), index=x.index, dtype=object)
    is_str = x.map(type) == str
    if is_str.any():
        st = x[is_str].astype(str).str.translate(_FW_ONLY).str.replace(r"\s+", "", regex=True)
        st = st.str.replace(_TEXT_MARK, "", regex=True)
        tail = st.str[-1:]
        low_x = (tail == "x") & (st.str.len() == 18)
        if low_x.any():
            st = st.where(~low_x, st.str.upper())
        dot0 = st.str.contains(".", regex=False)
        if dot0.any():
            st = st.where(~dot0, st[dot0].map(_id_text))
        out[is_str] = st.to_numpy(dtype=object)
    other = ~is_str & x.notna()
    if other.any():
        out[other] = _by_unique(x[other], _id_text, na="").to_numpy(dtype=object)
    return out


def normalize_text(x):
    """Free text → stripped half-width text ('' for blank)."""
    if isinstance(x, pd.Series):
        return _by_unique(x, _text, na="").astype(object)
    return _text(x)


def name_key(x):
    """Key for matching school names: half-width, no spaces, lower case (scalar or Series)."""
    if isinstance(x, pd.Series):
        return _by_unique(x, _key, na="").astype(object)
    return _key(x)
