"""Headline figures: one function per figure, computed from the workbook sheets (Chinese columns).

The memo's text, the memo's tables, the charts and the aggregate workbook that ``report`` writes all take
their numbers from here, so one figure is computed in one place and printed the same everywhere.

Every function takes the dict of sheets (as the forecast / rotation workbooks hold them, 合计 rows
allowed) and returns None when the sheet it needs is absent. Scopes are part of the result where two
figures could be mistaken for one another (e.g. 核定编制 is summed over the schools that have one).

Counting rules:
- a school is counted once: a 九年一贯制 school with a 小学 and an 初中 row is one school, in every count,
  never added across stages or subjects (:func:`distinct_schools`);
- school figures of 编制测算 come from the school rows (学段 全校, or the only row of a one-stage school);
- students are whole persons per school × grade (rounded once in the forecast), so every total agrees;
- shortage periods before and after the plan are counted per school × subject cell as the positive part
  (a surplus is not a shortage); the plan may create or deepen shortages at sending schools, and the
  figure after the plan includes them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..forecast.tables import TOTAL_LABEL
from ..rules.standards import SCHOOL_ROW as WHOLE_SCHOOL, STAGE_ORDER, half_up


# --------------------------------------------------------------------------- helpers

def data_rows(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Rows other than a 合计 row (any text cell equal to 合计); None when the sheet is absent."""
    if df is None:
        return None
    df = df.reset_index(drop=True)
    if df.empty:
        return df
    obj = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    if not obj:
        return df
    is_total = np.zeros(len(df), dtype=bool)
    for c in obj:
        is_total |= (df[c].astype(str).str.strip() == TOTAL_LABEL).to_numpy()
    return df[~is_total].reset_index(drop=True)


def num(s) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def round_half_up(x: float | None, d: int = 1) -> float | int:
    """Round half up (as the bureau does by hand); whole numbers become int; NaN stays NaN."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return float("nan")
    v = half_up(float(x), d)       # rules.standards.half_up: the one rounding rule
    return int(v) if float(v).is_integer() else v


def _sum(s) -> float | int:
    return round_half_up(float(num(s).sum()))


def stage_sorted(d: dict) -> dict:
    return dict(sorted(d.items(), key=lambda kv: (STAGE_ORDER.index(kv[0]) if kv[0] in STAGE_ORDER else 99,
                                                  str(kv[0]))))


def school_rows(quota_sheet: pd.DataFrame) -> pd.DataFrame:
    """One row per school from 编制测算 (no double counting): the 全校 row where a school has one,
    otherwise the school's own row; stage rows under a 全校 row are dropped, 合计 too."""
    q = data_rows(quota_sheet)
    if "学段" not in q or q.empty:
        return q
    has_whole = q.groupby("学校代码")["学段"].transform(lambda s: (s == WHOLE_SCHOOL).any())
    return q[(q["学段"] == WHOLE_SCHOOL) | ~has_whole]


def distinct_schools(df: pd.DataFrame, mask=None) -> int:
    """Number of schools among ``df``'s rows (where ``mask``): each 学校代码 once (学校名称 if no code)."""
    if df is None or df.empty:
        return 0
    rows = df if mask is None else df[np.asarray(mask, dtype=bool)]
    key = "学校代码" if "学校代码" in rows else "学校名称"
    return int(rows[key].astype(str).nunique())


# --------------------------------------------------------------------------- students and classes

@dataclass(frozen=True)
class Students:
    total: int
    classes: int
    by_stage: dict = field(default_factory=dict)          # 学段 → students
    classes_by_stage: dict = field(default_factory=dict)  # 学段 → classes
    schools: int = 0


def students(sheets: dict) -> Students | None:
    """Projected students and classes of the plan year, from 学生预测 (one row per school × grade)."""
    st = data_rows(sheets.get("学生预测"))
    if st is None or st.empty:
        return None
    if "学年" in st:
        st = st[num(st["学年"]) == num(st["学年"]).min()]
    s = st.assign(_s=num(st["预测学生数"]), _c=num(st["预测班数"]) if "预测班数" in st else np.nan)
    g = s[s["学段"].astype(str) != ""].groupby("学段")
    return Students(total=_sum(s["_s"]), classes=_sum(s["_c"]),
                    by_stage=stage_sorted({k: round_half_up(v) for k, v in g["_s"].sum().items()}),
                    classes_by_stage=stage_sorted({k: round_half_up(v) for k, v in g["_c"].sum().items()}),
                    schools=distinct_schools(s))


# --------------------------------------------------------------------------- quota (编制)

@dataclass(frozen=True)
class Quota:
    schools: int                 # schools in 编制测算 (each once)
    standard: float              # 标准编制 over all those schools
    approved: float | None       # 核定编制 over the schools that have one (None: no school has one)
    approved_schools: int        # how many schools have a 核定编制
    standard_of_approved: float | None  # 标准编制 over those same schools (comparable with ``approved``)
    on_quota: int
    retire_before: int
    retire_during: int
    temporary: int
    vacancy: float               # Σ positive 缺编 (schools short of quota)
    over: float                  # Σ positive 超编
    vacancy_net: float           # Σ 缺编 (signed)
    schools_short: int
    schools_over: int
    unmeasured: int = 0          # schools whose 标准编制 is blank (未测算: no enrollment data), not in standard/缺编


def quota(sheets: dict) -> Quota | None:
    """编制 figures over school rows of 编制测算 (缺编 = 标准编制 − (在编 − 预计退休); negative = 超编)."""
    q = data_rows(sheets.get("编制测算"))
    if q is None or q.empty:
        return None
    s = school_rows(q)
    vac = num(s["缺编"])
    has_appr = num(s["核定编制"]).notna() if "核定编制" in s else pd.Series(False, index=s.index)
    col = lambda c: _sum(s[c]) if c in s else 0  # noqa: E731
    return Quota(
        schools=distinct_schools(s), standard=_sum(s["标准编制"]),
        approved=_sum(s.loc[has_appr, "核定编制"]) if has_appr.any() else None,
        approved_schools=distinct_schools(s, has_appr),
        standard_of_approved=_sum(s.loc[has_appr, "标准编制"]) if has_appr.any() else None,
        on_quota=col("在编教师"), retire_before=col("预计退休"), retire_during=col("年内退休"),
        temporary=col("临聘教师"), vacancy=_sum(vac.clip(lower=0)), over=_sum((-vac).clip(lower=0)),
        vacancy_net=_sum(vac), schools_short=distinct_schools(s, vac > 0), schools_over=distinct_schools(s, vac < 0),
        unmeasured=distinct_schools(s, num(s["标准编制"]).isna()))


# --------------------------------------------------------------------------- subject gaps

def gaps_by_subject(sheets_or_gap_sheet) -> pd.DataFrame | None:
    """Per subject: 缺口学校数 (schools short in it, each school once even when two of its stages are
    short), 缺口人数 (Σ shortages, FTE), 富余人数 (Σ surpluses, FTE); largest shortage first."""
    g = data_rows(sheets_or_gap_sheet.get("学科缺口") if isinstance(sheets_or_gap_sheet, dict)
                  else sheets_or_gap_sheet)
    if g is None:
        return None
    fte = num(g["缺口人数"]).fillna(0)
    key = g["学校代码"].astype(str) if "学校代码" in g else g["学校名称"].astype(str)
    out = pd.DataFrame({"学科": g["学科"], "缺口": fte.clip(lower=0), "富余": (-fte).clip(lower=0),
                        "_school": key.where(fte > 0)})
    agg = out.groupby("学科", as_index=False).agg(缺口学校数=("_school", "nunique"), 缺口人数=("缺口", "sum"),
                                                 富余人数=("富余", "sum"))
    agg["缺口人数"] = agg["缺口人数"].map(round_half_up).astype(float)
    agg["富余人数"] = agg["富余人数"].map(round_half_up).astype(float)
    agg["缺口学校数"] = agg["缺口学校数"].astype(int)
    return agg.sort_values(["缺口人数", "学科"], ascending=[False, True], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Gaps:
    shortage_fte: float           # Σ of school × subject shortages
    surplus_fte: float            # Σ of school × subject surpluses
    schools_short: int            # schools short in at least one subject (each once)
    shortage_subjects: list       # [(学科, 缺口人数, 缺口学校数)] with 缺口人数 ≥ threshold
    threshold: float


def gaps(sheets: dict, threshold: float = 0.5) -> Gaps | None:
    g = data_rows(sheets.get("学科缺口"))
    if g is None or g.empty:
        return None
    agg = gaps_by_subject(g)
    short = agg[agg["缺口人数"] >= threshold]
    fte = num(g["缺口人数"]).fillna(0)
    # the totals add the school × subject values as 学科缺口 shows them, then round once — so they equal the sum a
    # reader makes of that sheet; rows rounded to one decimal (表2, 学科缺口汇总) may add up 0.1 apart (noted there)
    return Gaps(shortage_fte=round_half_up(float(fte.clip(lower=0).sum())),
                surplus_fte=round_half_up(float((-fte).clip(lower=0).sum())),
                schools_short=distinct_schools(g, num(g["缺口人数"]) > 0),
                shortage_subjects=[(r.学科, round_half_up(r.缺口人数), int(r.缺口学校数)) for r in short.itertuples()],
                threshold=threshold)


# --------------------------------------------------------------------------- recruitment

@dataclass(frozen=True)
class Recruitment:
    total: int
    by_stage: dict


def recruitment(sheets: dict) -> Recruitment | None:
    rc = data_rows(sheets.get("招聘计划"))
    if rc is None:
        return None
    k = num(rc["建议招聘人数"]) if "建议招聘人数" in rc else pd.Series(dtype=float)
    by = rc.assign(_k=k).groupby("学段")["_k"].sum() if len(rc) else pd.Series(dtype=float)
    return Recruitment(total=_sum(k), by_stage=stage_sorted({a: round_half_up(b) for a, b in by.items() if b}))


# --------------------------------------------------------------------------- exchange and 走教

ELIGIBILITY_LABELS = ["应交流", "免交流", "暂缓", "待审批", "不符合"]


@dataclass(frozen=True)
class Exchange:
    teachers: int
    by_type: dict
    sending_schools: int
    receiving_schools: int
    eligibility: dict | None = None      # 资格 → teachers
    compulsory_teachers: int | None = None
    required: int | None = None
    share: float | None = None           # % of compulsory-education teachers


def exchange(sheets: dict, rotation_summary: dict | None = None) -> Exchange | None:
    ex = data_rows(sheets.get("交流名单"))
    if ex is None:
        return None
    by_type = ({str(k): int(v) for k, v in ex["交流类型"].value_counts().sort_index().items()}
               if len(ex) and "交流类型" in ex else {})
    el = data_rows(sheets.get("交流资格"))
    elig = None
    if el is not None and "资格" in el:
        counts = el["资格"].value_counts()
        elig = {k: int(counts.get(k, 0)) for k in ELIGIBILITY_LABELS}
    rs = rotation_summary or {}
    comp = int(rs["compulsory_teachers"]) if rs.get("compulsory_teachers") else None
    # the quota is the rotation's own (exchange.min_share_compulsory, rounded up there): never re-derived here
    req = int(rs["required"]) if rs.get("required") is not None else None
    code = lambda c, n: c if c in ex else n  # noqa: E731
    return Exchange(teachers=int(len(ex)), by_type=by_type,
                    sending_schools=int(ex[code("原学校代码", "原学校")].nunique()) if len(ex) else 0,
                    receiving_schools=int(ex[code("交流学校代码", "交流学校")].nunique()) if len(ex) else 0,
                    eligibility=elig, compulsory_teachers=comp, required=req,
                    share=round_half_up(100.0 * len(ex) / comp, 1) if comp else None)


@dataclass(frozen=True)
class Zoujiao:
    teachers: int
    home_schools: int
    host_schools: int
    periods: float
    subsidy: float


def zoujiao(sheets: dict) -> Zoujiao | None:
    zj = data_rows(sheets.get("走教安排"))
    if zj is None:
        return None
    if zj.empty:
        return Zoujiao(0, 0, 0, 0, 0)
    key = "教师编号" if "教师编号" in zj else "姓名"
    home = "本校代码" if "本校代码" in zj else "本校"
    host = "走教学校代码" if "走教学校代码" in zj else "走教学校"
    return Zoujiao(teachers=int(zj[key].nunique()), home_schools=int(zj[home].nunique()),
                   host_schools=int(zj[host].nunique()), periods=_sum(zj["周课时"]),
                   subsidy=round_half_up(float(num(zj.get("补贴元每月", pd.Series(dtype=float))).sum()), 0))


def zoujiao_by_school(sheets: dict) -> pd.DataFrame | None:
    """走教 by host school and subject, without names: 走教学校, 学科, 教师人数, 派出学校数, 周课时, 月补贴."""
    zj = data_rows(sheets.get("走教安排"))
    if zj is None or zj.empty:
        return None
    key = "教师编号" if "教师编号" in zj else "姓名"
    home = "本校代码" if "本校代码" in zj else "本校"
    z = zj.assign(_p=num(zj["周课时"]).fillna(0), _y=num(zj.get("补贴元每月", pd.Series(0.0, index=zj.index))).fillna(0))
    a = z.groupby(["走教学校", "学科"], as_index=False, sort=False).agg(
        教师人数=(key, "nunique"), 派出学校数=(home, "nunique"), 周课时=("_p", "sum"), 月补贴=("_y", "sum"))
    a = a.sort_values(["走教学校", "学科"], kind="stable").reset_index(drop=True)
    a["周课时"] = a["周课时"].map(round_half_up)
    a["月补贴"] = a["月补贴"].map(lambda v: round_half_up(v, 0))
    return a


# --------------------------------------------------------------------------- shortage periods before / after

COVERAGE_COLUMNS = ["计划前缺口课时", "交流派入课时", "走教课时", "补足课时", "派出后新增缺口课时", "计划后缺口课时"]


def _coverage_cells(sheets: dict) -> pd.DataFrame | None:
    cv = data_rows(sheets.get("缺口覆盖"))
    if cv is None or cv.empty:
        return None
    before = num(cv["原缺口课时"]).fillna(0)
    ex = num(cv["交流补充课时"]).fillna(0)
    zj = num(cv["走教补充课时"]).fillna(0)
    after = num(cv["剩余缺口课时"]).fillna(0)
    b, a = before.clip(lower=0), after.clip(lower=0)
    was_short = before > 0
    return pd.DataFrame({
        "学校代码": cv["学校代码"].astype(str) if "学校代码" in cv else cv["学校名称"].astype(str),
        "学科": cv["学科"],
        "计划前缺口课时": b,
        "交流派入课时": ex.clip(lower=0).where(was_short, 0.0),
        "走教课时": zj.clip(lower=0).where(was_short, 0.0),
        "补足课时": (b - a).clip(lower=0),
        "派出后新增缺口课时": (a - b).clip(lower=0),
        "计划后缺口课时": a})


@dataclass(frozen=True)
class Coverage:
    before: float            # Σ shortage periods/week before the plan (cells short before)
    covered: float           # Σ shortage removed (exchange arrivals and 走教)
    exchange_in: float       # periods brought by arriving exchange teachers into cells short before
    zoujiao: float           # 走教 periods into cells short before
    created: float           # new or deeper shortages the plan creates (teachers sent away)
    after: float             # Σ shortage periods/week after the plan = before − covered + created
    cells_before: int        # school × subject cells short before
    cells_created: int       # cells where the plan creates or deepens a shortage
    schools_created: int     # schools (each once) where it does
    share: float | None      # covered ÷ before, %


def coverage(sheets: dict) -> Coverage | None:
    c = _coverage_cells(sheets)
    if c is None:
        return None
    before = round_half_up(float(c["计划前缺口课时"].sum()))
    covered = round_half_up(float(c["补足课时"].sum()))
    created = round_half_up(float(c["派出后新增缺口课时"].sum()))
    made = c["派出后新增缺口课时"] > 1e-9
    return Coverage(before=before, covered=covered, exchange_in=round_half_up(float(c["交流派入课时"].sum())),
                    zoujiao=round_half_up(float(c["走教课时"].sum())), created=created,
                    after=round_half_up(float(c["计划后缺口课时"].sum())),
                    cells_before=int((c["计划前缺口课时"] > 0).sum()), cells_created=int(made.sum()),
                    schools_created=distinct_schools(c, made),
                    share=round_half_up(100.0 * covered / before, 1) if before > 0 else None)


def coverage_by_subject(sheets: dict) -> pd.DataFrame | None:
    """Per subject: COVERAGE_COLUMNS (periods/week), subjects with a shortage before or after the plan;
    计划后 = 计划前 − 补足 + 派出后新增 in every row."""
    c = _coverage_cells(sheets)
    if c is None:
        return None
    a = c.groupby("学科", as_index=False)[COVERAGE_COLUMNS].sum()
    a = a[(a["计划前缺口课时"] > 0) | (a["计划后缺口课时"] > 0)]
    a = a.sort_values(["计划前缺口课时", "学科"], ascending=[False, True], kind="stable").reset_index(drop=True)
    for col in COVERAGE_COLUMNS:
        a[col] = a[col].map(round_half_up).astype(float)
    return a
