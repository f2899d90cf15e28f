"""Enrollment projection: school × grade students for the plan year(s), with intervals and classes.

Model (domain.md §4), computed on a school × grade × year array so that a whole city projects in well
under a second (no per-school Python loops):

Continuing grades (the school offered grade g-1 last year; grade 1 and 小班 are always entry grades):
    students(g, y) = students(g-1, y-1) × GPR(s, g).
    GPR(s, g) = w · R(s, g) + (1 − w) · D(g) · E(s), clipped to [gpr_min, gpr_max], where
    - R(s, g): the school's own ratio over the last k years (``forecast.history_years``), *pooled* —
      Σ_t a_t·students(g, t) / Σ_t a_t·students(g-1, t-1) with recency weights a_t = decay^age
      (``recency_decay``); ``gpr_estimator = "mean"`` gives the classical mean of yearly ratios;
    - w = n / (n + ``shrink_students``), n = Σ_t students(g-1, t-1) over the years used
      (empirical-Bayes weight: a ratio measured on few pupils is trusted less);
    - D(g): district GPR for the grade (same pooled formula over all schools);
    - E(s): the school's own all-grades tendency relative to the district (a school that loses pupils
      in every grade to a new neighbour), shrunk toward 1 with n_s / (n_s + ``shrink_school``).
    A grade with no own history (new school adding a grade a year) uses D(g)·E(s): method "新校".
    A grade is projected only while open: it had pupils last year, or its cohort only now arrives
    (grade g-1 was empty two years ago); a grade that stayed empty although the cohort below it was
    there is not offered and gets 0. A school whose first year was last year grows into a grade it did not have
    only if it opened at an intake grade (小班, 1, 7 or 10: a new school admitting its first cohorts); one that
    opened with a span starting elsewhere (grades 6–7: a school reorganised under a new code) keeps its span —
    New Hampshire 2025: a 5–6 school under a new number had been given a grade 8 of 323 pupils, and the school
    total's blend with persistence then took the difference out of its grade 6 (310 pupils projected at 209);
    with the rule the grade ratio there went 0.907 → 0.897 and Wyoming 2004–2006 and the short histories moved
    by ≤ 0.1 point.

Entry grades (grade 1, 小班, and the lowest grade of a school, e.g. 7 in a 初中 or 10 in a 高中):
    zero intake last year → zero (closed or closing intake, method "停招").
    - births given: town intake = births(town, y−6; y−3 for 小班) × town entry rate (Σ intake / Σ births
      over the last k years); school = its share of the town intake last year ("出生人口");
    - feeders given (对口): intake = Σ_f share_f · students(f, g−1, y−1) × the school's transition rate
      (Σ intake / Σ feeder cohort over the last k years; district rate when unknown) ("对口"). The grade
      fed is the one after the feeders' highest grade (grade 7 for primary feeders); when the destination
      already offers the grade below (a 九年一贯制's grade 7) that grade is continuing and the school's own
      grade g−1 joins the feeder cohort, so the 对口 rule replaces its GPR;
    - otherwise ("趋势"): the school's level (``intake_last_weight`` · last year + rest · mean of the last k
      years in which the grade had pupils — a school that began to offer the grade last year, e.g. a 7–8
      middle school taking grade 6, has one year of intake, not a mean diluted by the years before: on the
      five real panels this lowered the school × grade error ratio vs cohort survival in 9 of 15 origins
      (New Hampshire 2025 0.912 → 0.907, Wyoming 2005 0.388 → 0.383) and raised it in none)
      scaled by the district pool's expected change — for grade 1/小班 a damped trend of the pool
      (``trend_damping``); for higher entry grades the district's grade g−1 total last year × the
      district transition ratio (pool ÷ grade g−1 total a year earlier), last year's ratio plus
      ``transition_damping`` × its mean yearly change (0: no extrapolation — on the five real panels of
      docs/accuracy.md the damped slope 0.5 made the school × grade error worse in 11 of 15 origins, by up
      to 0.2 points, and better by ≤ 0.02 in 2: middle/high-school pools move with restructurings).

Choice of variants (rolling-origin one-year-ahead backtests, ``benchmarks/accuracy.py --variants``, on
NYC DOE school × grade panels 2013–2020 — 1,800+ schools, COVID year included — and on two synthetic
districts): pooled recency-weighted ratios beat the classical mean of ratios; empirical-Bayes shrinkage
estimated per grade (``shrink_auto``) beats both no shrinkage and one fixed constant — a fixed 150 pulls
the very heterogeneous transition grades (a K–8 school's grade 7, a 6–12 school's grade 10) toward the
district and costs ~1 point of school × grade MAPE; a weak school tendency term (``shrink_school`` 5000)
helps real data; blending last year's intake with the k-year mean beats last year's intake alone; the
transition ratio for grade 7/10 pools seemed to need a damped trend on NYC 2013–2020 (its 9th-grade intake
ratio fell 8 % in 4 years), but on the five panels of docs/accuracy.md no trend (``transition_damping`` 0)
is better in 11 of 15 origins; capping ratios at [0.3, 2.5] hurts (K–8 schools keep only ~20 % of grade 6), so the caps are
wide and only guard against data errors; grades 7/10 offered as continuing grades by fewer than 10
schools (a small county's 九年一贯制 / 完全中学) are not shrunk (``shrink_transition`` 0: on the synthetic
county the fixed 150 pulled a rural 九年一贯制's grade 6→7 ratio of ~6 halfway to the district's). One-year-ahead, NYC 2013–2020 (4 test years): school-total
MAPE 6.39 % vs 7.47 % for the classical 3-year cohort survival, school × grade MAPE 12.43 % vs 13.59 %,
WAPE 8.23 % vs 9.17 % (figures before the blend and the conformal intervals below; current ones in
docs/accuracy.md).

School totals — cohort model or persistence (``blend_persistence``): on small schools "next year = this
year" is often as good as the cohort model for the school total. So the same method is run from earlier
origins (``calibration_years`` rolling one-year-ahead origins on the district's own history, each using
only years before it) and, per school-size band (``size_bands``, last year's total) × 学段, the weight α of
the cohort total against last year's total is chosen (0.05 grid) whose worst calibration origin is best:
the least max over origins of (Σ|school-total error| at α ÷ Σ|error| of persistence) — minimax against
"same as last year", so that no single year is worse than persistence — among the α whose school × grade
error stays within ``blend_grade_tolerance`` of the cohort model's (ties → the cohort model). Groups
with fewer than ``blend_min_schools`` school-years use the 学段, then the band, then the district. The
school's total moves to α·cohort + (1 − α)·last year; the change is shared among its grades in proportion
to pred × φ, φ the per-pupil squared error of entry or continuing grades in the same origins (the
uncertain intake takes most of it).

Continuing grades — cohort flow or the grade's own size (``continuing_mix``): before the blend, a
continuing grade that had pupils last year becomes β · students(g−1, y−1) × GPR + (1 − β) · students(g, y−1),
β (0.05 grid) the least absolute error over the same origins per size band × 学段 × grade (fallbacks: band ×
grade, 学段 × grade, grade, district; groups under ``continuing_mix_min_cells`` cells fall back). Where
grade sizes are held by admission (NYC and Baltimore high schools: β 0.5–0.8 in grades 11–12) part of next
year's count is this year's grade size; in small rural schools β stays near 1. On the real panels this cut
the school × grade WAPE by 0.2–0.5 points (docs/accuracy.md). Recruiting grades — last year more than
``recruit_ratio`` × their cohort (the grade below two years before): a middle school's grade 7 beside a small
grade 6, a high school taking transfers — by more than chance (2·√cohort), get a β of their own (groups
招 × 学段 × grade, 招 × grade, 招; NYC: β 0–0.15, their size is last year's, set by admission; a learned β of 0
is a weight like any other — it used to be read as "no group"), and a recruiting grade whose grade below was empty last
year is an entry grade (趋势), not a cohort that has left (停招): NYC's transfer high schools (3,500 pupils
in the 10th grade beside an empty 9th) were projected at 0.
Without calibration cells (two years of history) β is ``continuing_mix_default`` and, for recruiting grades,
``recruit_mix_default`` (0.2; the β the panels chose for them with longer histories: NYC 0–0.05, Wyoming 0.05,
Baltimore 0.4–0.6, New Hampshire 0.45–0.75), and α is ``blend_alpha_default`` (0.85). With the general β for
recruiting grades NYC 2015 (history 2013–2014) had a school × grade error 0.929 × cohort survival; with their
own prior and α 0.85 (0.75 before: chosen without it) 0.896, and on the panels cut to two years of history
(``--short-history 2``, 14 origins) 7 origins meet issue 15 instead of 3. The same α serves districts too
small to choose their own: on 3 random 100-school subsets of each panel with three years of history
(``--subsample 100 --short-history 3``, 36 windows) school totals lose to persistence in 8 windows with 0.85
against 6 with 0.75 (mean school-total WAPE 7.24 % vs 7.19 %), 8 windows meet issue 15 instead of 7.

Intervals (split conformal): residuals of the blended projection at those origins, scaled by
s = √(pred + c·pred²), give per size band × 学段 × grade type (entry / continuing) the order statistics
⌊(n+1)(1−level)/2⌋ and ⌈(n+1)(1+level)/2⌉ (groups under ``interval_min_samples`` cells fall back to band ×
type, then type; with three calibration origins or more, groups under ``interval_pool_below`` cells keep the
wider of their own and their parent's bounds — a band of a few large schools measured its tails on 36 cells and covered 61 % of New Hampshire 2023's
schools of 1,000–1,999 pupils, 75 % with pooling at 200). c (``select_overdispersion``) is the one that covers the calibration cells most evenly
across cell sizes: with √pred alone grades of 400+ pupils were covered 53–79 % on the real panels.
Bounds are pred + q·s, floored/ceiled to whole pupils — the residuals are shifted by ±1 so that
the rounding is part of the calibration. With ``interval_adaptive`` the level is first checked: the
quantiles of the older origins are applied to the latest origin and the level moves by half the miss
(within −5/+10 points), overall and for each size band with ``interval_adapt_min_cells`` cells in that
origin (a band's groups then use its own level; other bands move with the overall level). Without residuals (one year of history): ± ``interval_default``.
For horizon h > 1 the bounds widen by √h.

Choice on real panels (``benchmarks/accuracy.py``; figures in docs/accuracy.md): Vermont (rural, median
school ≈ 200 pupils, renamed schools matched), New Hampshire and Wyoming (rural, small schools), NYC (1,800
schools) and Baltimore (closures): school-total WAPE below persistence and cohort survival in all 15 origins
(minimax α over groups of at least ``blend_min_schools`` = 180 school-years: with 30 the α of small groups
followed chance years and New Hampshire 2025 lost to persistence), school × grade WAPE 0.83–0.91 × cohort
survival (Wyoming 2004–2005, where cohort survival fails on a data break, 0.36–0.38).

Only years before ``plan_year`` are used. A school with history but no pupils last year is closed and
not projected.

New schools (in the 学校 table, no enrollment history at all): each of the school's intake grades (the
first grade of every stage its 学段 spans: 一年级, 七年级, 高一, 小班) gets, in this order of preference,
- 招生计划 (column ``intake_plan``): the school's planned intake of the plan year, split evenly over its
  intake grades (method "新校·招生计划");
- 设计规模 (column ``capacity``, pupils): capacity ÷ number of grades of its 学段, per intake grade
  (one grade's share of a full school; method "新校·设计规模");
- comparable schools: the median of last year's pupils in that grade over schools of the same 学段 in the
  same 镇街, else the same 城乡, else the whole district (method "新校·同类学校").
Only intake grades open in the first year; for later horizon years each cohort moves up unchanged. The
interval is ± ``forecast.new_school_interval``. A new school with none of these stays unprojected and
the forecast's 说明 says so. A school with a single year of history is projected by the model (district
ratios for its grades); when the 学校 table gives its 招生计划, that is its intake (method "招生计划").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import STAGE_GRADES

GRADES = np.arange(-2, 13)
G = len(GRADES)
GI = {int(g): i for i, g in enumerate(GRADES)}
ALWAYS_ENTRY = (GI[-2], GI[1])
BIRTH_LAG = {-2: 3, 1: 6}

OUT_COLUMNS = ["school_id", "year", "grade", "students", "lo", "hi", "classes", "method", "flags"]

# method codes (small ints in the arrays, tags in the output)
M_NONE, M_GPR, M_NEW, M_TREND, M_BIRTH, M_FEED, M_STOP, M_PLAN = range(8)
METHOD_TAGS = {M_NONE: "", M_GPR: "升级率", M_NEW: "新校", M_TREND: "趋势", M_BIRTH: "出生人口",
               M_FEED: "对口", M_STOP: "停招", M_PLAN: "招生计划"}
# new schools without history (project_new_schools)
NEW_PLAN, NEW_CAPACITY, NEW_COMPARABLE = "新校·招生计划", "新校·设计规模", "新校·同类学校"
NEW_SCHOOL_METHODS = (NEW_PLAN, NEW_CAPACITY, NEW_COMPARABLE)


@dataclass
class Params:
    k: int
    estimator: str
    decay: float
    shrink: float
    shrink_school: float
    shrink_auto: bool
    shrink_transition: float
    gpr_min: float
    gpr_max: float
    last_weight: float
    damping: float
    calib_years: int
    min_samples: int
    widen: float
    default_rel: float
    level: float
    size_bands: list
    blend: bool
    blend_min: int
    blend_tol: float
    adapt: bool
    mix: bool = True
    mix_min: int = 100
    recruit_ratio: float = 1.3
    transition_damping: float = 0.0
    adapt_min: int = 100
    alpha_prior: float = 1.0
    mix_prior: float = 1.0
    recruit_mix_prior: float | None = None     # None: as ``mix_prior``
    first_origin_scale: float = 1.0
    pool_below: int = 0

    @classmethod
    def from_config(cls, config) -> "Params":
        f = lambda key: config[f"forecast.{key}"]  # noqa: E731
        return cls(k=int(f("history_years")), estimator=str(f("gpr_estimator")), decay=float(f("recency_decay")),
                   shrink=float(f("shrink_students")), shrink_school=float(f("shrink_school")),
                   shrink_auto=bool(f("shrink_auto")), shrink_transition=float(f("shrink_transition")),
                   gpr_min=float(f("gpr_min")), gpr_max=float(f("gpr_max")),
                   last_weight=float(f("intake_last_weight")), damping=float(f("trend_damping")),
                   calib_years=int(f("calibration_years")),
                   min_samples=int(f("interval_min_samples")), widen=float(f("interval_widen")),
                   default_rel=float(f("interval_default")), level=float(f("interval_level")),
                   size_bands=[float(b) for b in f("size_bands")], blend=bool(f("blend_persistence")),
                   blend_min=int(f("blend_min_schools")), blend_tol=float(f("blend_grade_tolerance")),
                   adapt=bool(f("interval_adaptive")), mix=bool(f("continuing_mix")),
                   mix_min=int(f("continuing_mix_min_cells")), recruit_ratio=float(f("recruit_ratio")),
                   transition_damping=float(f("transition_damping")),
                   adapt_min=int(f("interval_adapt_min_cells")),
                   alpha_prior=float(f("blend_alpha_default")), mix_prior=float(f("continuing_mix_default")),
                   recruit_mix_prior=float(f("recruit_mix_default")),
                   first_origin_scale=float(f("first_origin_interval_scale")),
                   pool_below=int(f("interval_pool_below")))


# --------------------------------------------------------------------------------------------------
# panel: schools × grades × years
# --------------------------------------------------------------------------------------------------
@dataclass
class Panel:
    ids: np.ndarray          # school ids (str), sorted
    years: np.ndarray        # consecutive years
    S: np.ndarray            # students, float (n, G, T); missing = 0
    allowed: np.ndarray      # (n, G) bool: grades the school's 学段 allows
    town: np.ndarray         # (n,) str
    stage: np.ndarray = None  # (n,) str: the school's 学段 ("" unknown)


def build_panel(enrollment: pd.DataFrame, schools: pd.DataFrame, last_year: int) -> Panel:
    enr = enrollment[(enrollment["year"] <= last_year) & enrollment["grade"].isin(GRADES)]
    ids_enr = enr["school_id"].astype(str).unique()
    ids = np.array(sorted(set(ids_enr)), dtype=object)
    first = int(enr["year"].min()) if len(enr) else last_year
    years = np.arange(first, last_year + 1)
    n, T = len(ids), len(years)
    S = np.zeros((n, G, T))
    if len(enr):
        si = pd.Index(ids).get_indexer(enr["school_id"].astype(str))
        gi = enr["grade"].astype(int).to_numpy() + 2
        ti = enr["year"].astype(int).to_numpy() - first
        np.add.at(S, (si, gi, ti), pd.to_numeric(enr["students"], errors="coerce").fillna(0).to_numpy(float))
    seen = S.sum(axis=2) > 0
    allowed = seen.copy()
    town = np.array([""] * n, dtype=object)
    stage_arr = np.array([""] * n, dtype=object)
    if schools is not None and len(schools):
        sch = schools.drop_duplicates("school_id").set_index(schools.drop_duplicates("school_id")["school_id"].astype(str))
        stage = sch["stage"].reindex(ids) if "stage" in sch else pd.Series(index=ids, dtype=object)
        for st, grades in STAGE_GRADES.items():
            rows = (stage == st).to_numpy()
            if rows.any():
                mask = np.zeros(G, bool)
                mask[[GI[g] for g in grades]] = True
                allowed[rows] = mask | seen[rows]
        if "town" in sch:
            town = sch["town"].reindex(ids).fillna("").astype(str).to_numpy(dtype=object)
        stage_arr = stage.fillna("").astype(str).to_numpy(dtype=object)
    return Panel(ids=ids, years=years, S=S, allowed=allowed, town=town, stage=stage_arr)


# --------------------------------------------------------------------------------------------------
# point forecast for year index t from S[:, :, :t]
# --------------------------------------------------------------------------------------------------
def _safe_div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _gpr(S, t, p: Params):
    """GPR estimate (n, G) for predicting index t, plus whether the school has its own ratio."""
    n = S.shape[0]
    lo = max(1, t - p.k)
    num = np.zeros((n, G)); den = np.zeros((n, G)); raw_den = np.zeros((n, G))
    rsum = np.zeros((n, G)); rcnt = np.zeros((n, G))
    yearly = []                                              # (ratio, denominator, valid) per year
    for tp in range(lo, t):
        a = p.decay ** (t - 1 - tp)
        cur = S[:, 1:, tp]; prv = S[:, :-1, tp - 1]
        present = S[:, :, tp].sum(1, keepdims=True) > 0
        valid = (prv > 0) & (cur > 0) & present
        num[:, 1:] += a * np.where(valid, cur, 0)
        den[:, 1:] += a * np.where(valid, prv, 0)
        raw_den[:, 1:] += np.where(valid, prv, 0)
        ratio = np.clip(_safe_div(cur, prv), p.gpr_min, p.gpr_max)
        rsum[:, 1:] += np.where(valid, a * ratio, 0)
        rcnt[:, 1:] += np.where(valid, a, 0)
        pad = lambda x, fill: np.concatenate([np.full((n, 1), fill, dtype=np.asarray(x).dtype), x], axis=1)  # noqa: E731
        yearly.append((pad(np.where(valid, ratio, np.nan), np.nan), pad(prv, 0.0), pad(valid, False)))
    if p.estimator == "mean":
        own = _safe_div(rsum, rcnt)
    else:
        own = _safe_div(num, den)
    dist = _safe_div(num.sum(0), den.sum(0))                     # (G,)
    dist = np.where(np.isnan(dist), 1.0, dist)
    # school tendency relative to the district, over all continuing grades
    expected = (den * dist[None, :]).sum(1)
    n_s = raw_den.sum(1)
    eff = _safe_div(num.sum(1), expected)
    eff = np.where(np.isnan(eff), 1.0, eff)
    ws = n_s / (n_s + p.shrink_school) if p.shrink_school > 0 else np.ones(n)
    eff = ws * eff + (1 - ws) * 1.0
    prior = dist[None, :] * eff[:, None]
    shrink = _shrink_by_grade(own, raw_den, yearly, p)           # (G,)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(raw_den > 0, raw_den / (raw_den + shrink[None, :]), 0.0)
    has_own = ~np.isnan(own)
    g = np.where(has_own, w * np.nan_to_num(own) + (1 - w) * prior, prior)
    return np.clip(g, p.gpr_min, p.gpr_max), has_own


def _shrink_by_grade(own, raw_den, yearly, p: Params):
    """Shrinkage constant per grade (pupils): the configured ``shrink_students``, or, with
    ``shrink_auto``, the empirical-Bayes ratio v/τ² — v the per-pupil variance of a school's yearly
    ratio (from year-to-year deviations when schools have two or more years, else the Poisson value
    v = ratio), τ² the between-school variance of true ratios (method of moments, 2 % tails trimmed).
    Grades with fewer than 10 schools keep the configured value, except the stage-entry grades 7 and 10
    (a 九年一贯制's grade 7, a 完全中学's grade 10), which take ``shrink_transition``: their ratios differ
    so much between schools (feeders, county-wide senior intake) that a district prior only hurts."""
    shrink = np.full(G, p.shrink)
    if not p.shrink_auto or not yearly:
        return shrink
    R = np.stack([y[0] for y in yearly], axis=2)                 # (n, G, m)
    N = np.stack([y[1] for y in yearly], axis=2)
    V = np.stack([y[2] for y in yearly], axis=2)
    m = V.sum(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.nansum(np.where(V, R * N, 0), 2) / np.where(V, N, 0).sum(2)
        dev = np.where(V, N * (R - rbar[:, :, None]) ** 2, 0).sum(2)
    for gi in range(G):
        has = ~np.isnan(own[:, gi]) & (raw_den[:, gi] > 0)
        if has.sum() < 10:
            if int(GRADES[gi]) in (7, 10):
                shrink[gi] = p.shrink_transition
            continue
        rs = own[has, gi]
        ok = m[:, gi] >= 2
        v = dev[ok, gi].sum() / (m[ok, gi] - 1).sum() if ok.sum() >= 10 else float(np.median(rs))
        lo_, hi_ = np.quantile(rs, [0.02, 0.98])
        tau2 = max(np.clip(rs, lo_, hi_).var() - v * np.mean(1.0 / raw_den[has, gi]), 1e-4)
        shrink[gi] = float(np.clip(v / tau2, 0.0, p.shrink * 20))
    return shrink


def _fed_from_outside(last: np.ndarray, prev2: np.ndarray, ratio: float) -> np.ndarray:
    """(n, G) grades that take their pupils from outside the school although a grade below exists: the
    grade below had no pupils last year, yet the grade recruits (``_recruits``: last year it held more than
    ``recruit_ratio`` × its cohort, the grade below two years ago) — e.g. a high school whose 9th grade holds
    a handful of pupils and whose 10th grade 3,000 (a transfer school), or a middle school that gave its
    grade 6 away and took in a second school's grade 7. Such a grade is an intake grade (projected by
    trend), not a cohort that has left: a phase-out (grade below empty now, and the grade no larger than
    its cohort was) keeps the rule that the grade empties after the grade below (停招)."""
    out = _recruits(last, prev2, ratio)
    out[:, 1:] &= last[:, :-1] <= 0
    return out


def _point(panel: Panel, S: np.ndarray, t: int, p: Params, births=None, feeders=None, year=None):
    """Predict S[:, :, t] from S[:, :, :t]. Returns (pred (n,G), method (n,G) int, entry (n,G) bool)."""
    n = S.shape[0]
    last = S[:, :, t - 1]
    prev2 = S[:, :, t - 2] if t >= 2 else np.zeros_like(last)
    active = last.sum(1) > 0
    allowed = panel.allowed & active[:, None]
    pred = np.zeros((n, G)); method = np.zeros((n, G), int)

    # ---- continuing grades
    pred_offered = np.zeros((n, G), bool)
    # grade g-1 offered: had pupils last year; inside a stage (g not 7/10) also when it had pupils in the
    # last k years — an empty grade there is a gap (intake stopped) that moves up, not a new entry grade
    recent = S[:, :, max(0, t - p.k):t].max(axis=2)
    stage_entry = np.isin(GRADES, [7, 10])
    src_seen = np.where(stage_entry[None, 1:], last[:, :-1] > 0, recent[:, :-1] > 0)
    pred_offered[:, 1:] = allowed[:, :-1] & src_seen
    forced_entry = np.zeros(G, bool); forced_entry[list(ALWAYS_ENTRY)] = True
    continuing = allowed & pred_offered & ~forced_entry[None, :]
    continuing &= ~_fed_from_outside(last, prev2, p.recruit_ratio)
    cohort_new = np.zeros((n, G), bool)
    cohort_new[:, 1:] = prev2[:, :-1] <= 0
    if t >= 2:
        # a school whose first year was last year grows into its next grade only when it opened at an intake
        # grade (小班, 1, 7, 10) — a new school admitting its first cohorts; one that opened with a span starting
        # elsewhere (grades 6–7: a reorganised school under a new code) keeps that span
        first_year = (S[:, :, :t - 1].sum((1, 2)) <= 0) & (last.sum(1) > 0)
        lowest = np.argmax(last > 0, axis=1)
        fixed_span = first_year & ~np.isin(GRADES[lowest], (-2, 1, 7, 10))
        cohort_new &= ~fixed_span[:, None]
    open_cont = continuing & ((last > 0) | cohort_new)
    gpr, has_own = _gpr(S, t, p)
    src = np.zeros((n, G)); src[:, 1:] = last[:, :-1]
    pred = np.where(open_cont, src * gpr, pred)
    method = np.where(open_cont, np.where(has_own, M_GPR, M_NEW), method)
    stopped = continuing & (last > 0) & (~open_cont | (src <= 0))
    method = np.where(stopped, M_STOP, method)

    # ---- entry grades
    entry = allowed & ~continuing
    open_entry = entry & (last > 0)
    method = np.where(entry & ~open_entry & (recent > 0), M_STOP, method)
    lo = max(0, t - p.k)
    # the k-year mean of an entry grade is taken over the years the grade had pupils: a school that began
    # to offer the grade last year (a 7–8 middle school taking grade 6) has one year of intake, not a mean
    # diluted by the years before it offered the grade
    hist_k = S[:, :, lo:t]
    had = hist_k > 0
    mean_k = np.where(had.any(2), hist_k.sum(2) / np.maximum(had.sum(2), 1), 0.0)
    level = p.last_weight * last + (1 - p.last_weight) * mean_k
    T_all = S.sum(0)                                           # (G, years)
    for gi in range(G):
        rows = open_entry[:, gi]
        if not rows.any():
            continue
        lvl = level[rows, gi].sum()
        last_sum = last[rows, gi].sum()
        factor = 1.0
        if gi in ALWAYS_ENTRY or gi == 0:
            # same-school growth of the intake (schools with an intake in both years: an opening or a
            # closing is not district growth), damped: last × (1 + damping × mean growth)
            growth = []
            for tp in range(max(1, lo), t):
                both = (S[:, gi, tp] > 0) & (S[:, gi, tp - 1] > 0)
                d = S[both, gi, tp - 1].sum()
                if d > 0:
                    growth.append(S[both, gi, tp].sum() / d - 1)
            if growth and lvl > 0:
                factor = last_sum * max(1 + p.damping * float(np.mean(growth)), 0.0) / lvl
        else:
            # district transition ratio: intake at schools where gi was the entry grade that year ÷ the
            # district's grade gi-1 a year earlier; damped trend of the ratio × this year's grade gi-1 total
            series = []
            for tp in range(max(1, lo), t):
                is_entry = S[:, gi - 1, tp - 1] <= 0
                d = T_all[gi - 1, tp - 1]
                if d > 0:
                    series.append(S[is_entry, gi, tp].sum() / d)
            if series and series[-1] > 0 and lvl > 0 and t >= 2 and T_all[gi - 1, t - 2] > 0:
                slope = float(np.diff(series).mean()) if len(series) >= 2 else 0.0
                r_pred = max(series[-1] + p.transition_damping * slope, 0.0)
                pool_pred = last_sum * r_pred / series[-1] * T_all[gi - 1, t - 1] / T_all[gi - 1, t - 2]
                factor = pool_pred / lvl
        pred[rows, gi] = level[rows, gi] * factor
        method[rows, gi] = M_TREND

    # ---- births (grade 1 / 小班): town intake = births × town entry rate; school share of town intake
    if births is not None and len(births) and year is not None:
        b = births.groupby(["town", "birth_year"])["births"].sum()
        first_year = int(panel.years[0])
        for grade, lag in BIRTH_LAG.items():
            gi = GI[grade]
            rows_all = open_entry[:, gi]
            if not rows_all.any():
                continue
            df = pd.DataFrame({"town": panel.town, "last": last[:, gi]})
            for town, idx in df[rows_all].groupby("town").groups.items():
                idx = np.asarray(idx)
                town_rows = (panel.town == town) & (panel.allowed[:, gi])
                num = den = 0.0
                for tp in range(lo, t):
                    bb = b.get((town, first_year + tp - lag))
                    if bb is not None and bb > 0:
                        num += S[town_rows, gi, tp].sum(); den += bb
                bnow = b.get((town, year - lag))
                town_last = S[town_rows, gi, t - 1].sum()
                if den > 0 and bnow is not None and town_last > 0:
                    town_pred = bnow * num / den
                    pred[idx, gi] = last[idx, gi] / town_last * town_pred
                    method[idx, gi] = M_BIRTH

    # ---- feeders (对口): intake = Σ share × feeder's grade g-1 last year × school's transition rate
    if feeders is not None and len(feeders):
        fd = feeders.copy()
        fd["school_id"] = fd["school_id"].astype(str); fd["feeder_id"] = fd["feeder_id"].astype(str)
        ndest = fd.groupby("feeder_id")["school_id"].transform("nunique")
        fd["w"] = pd.to_numeric(fd.get("share"), errors="coerce") if "share" in fd else np.nan
        fd["w"] = fd["w"].fillna(1.0 / ndest)
        index = pd.Index(panel.ids)
        fd["si"] = index.get_indexer(fd["school_id"]); fd["fi"] = index.get_indexer(fd["feeder_id"])
        fd = fd[(fd.si >= 0) & (fd.fi >= 0)]
        if len(fd):
            # the grade a feeder feeds: the one after its highest grade last year (a primary school's
            # grade 6 → grade 7); per destination the lowest such grade, if the destination offers it —
            # an entry grade (初中) or a continuing one (九年一贯制: its own grade 6 joins the base)
            has = last > 0
            top = np.where(has.any(1), G - 1 - np.argmax(has[:, ::-1], axis=1), -1)
            fd["gi"] = top[fd.fi.to_numpy()] + 1
            fd = fd[(fd.gi >= 1) & (fd.gi < G)]
            ent_g = np.full(n, -1)
            if len(fd):
                first_g = fd.groupby("si")["gi"].min()
                ent_g[first_g.index.to_numpy()] = first_g.to_numpy()
            fd = fd[fd.gi.to_numpy() == ent_g[fd.si.to_numpy()]]
            rows_ = np.flatnonzero(ent_g >= 1)
            is_open = open_entry[rows_, ent_g[rows_]] | open_cont[rows_, ent_g[rows_]]
            ent_g[rows_[~is_open]] = -1
            own = np.zeros(n, bool)
            own[rows_] = open_cont[rows_, np.maximum(ent_g[rows_], 0)] & is_open
            fd = fd[ent_g[fd.si.to_numpy()] >= 1]
            si, fi, gi_, w = fd.si.to_numpy(), fd.fi.to_numpy(), fd.gi.to_numpy(), fd.w.to_numpy()
            own_i = np.flatnonzero(own)
            base = np.zeros((n, t))
            for tp in range(1, t + 1):
                np.add.at(base[:, tp - 1], si, w * S[fi, gi_ - 1, tp - 1])   # base for year tp
                base[own_i, tp - 1] += S[own_i, ent_g[own_i] - 1, tp - 1]
            dests = np.unique(si)
            intake = np.zeros((n, t))
            for tp in range(1, t):
                intake[dests, tp - 1] = S[dests, ent_g[dests], tp]
            num = intake[:, max(0, lo - 1):t - 1].sum(1); den = base[:, max(0, lo - 1):t - 1].sum(1)
            dist_rate = num[dests].sum() / den[dests].sum() if den[dests].sum() > 0 else 1.0
            rate = np.where(den > 0, num / np.where(den > 0, den, 1), dist_rate)
            ok = dests[(base[dests, t - 1] > 0)]
            pred[ok, ent_g[ok]] = base[ok, t - 1] * rate[ok]
            method[ok, ent_g[ok]] = M_FEED

    pred = np.where(allowed, np.maximum(pred, 0), 0)
    return pred, method, entry


# --------------------------------------------------------------------------------------------------
# calibration on rolling origins: blend weight (cohort model vs persistence) and interval quantiles
# --------------------------------------------------------------------------------------------------
ALPHA_GRID = np.linspace(0.0, 1.0, 21)



@dataclass
class Calibration:
    alpha: dict          # (band, stage) / (band,) / () → weight of the cohort model in school totals
    phi: tuple           # per-pupil squared error of (continuing, entry) cells: shares the blend's change
    quantiles: dict      # (band, stage, entry) / (band, entry) / (entry,) → (q_lo, q_hi) of scaled residuals
    residuals: pd.DataFrame
    level: float = 0.8   # the level the quantiles were taken at (after the adaptive step)
    mix: dict = None     # (band, grade) / (grade,) / () → weight of the cohort flow in continuing grades
    overdispersion: float = 0.0   # c of the residual scale √(pred + c·pred²) (``select_overdispersion``)


def school_bands(last_total, edges) -> np.ndarray:
    """Size band index of each school from last year's total (edges ``forecast.size_bands``: band 0 is
    below the first edge, band i from edge i−1 up to below edge i)."""
    return np.searchsorted(np.asarray(edges, float), np.asarray(last_total, float), side="right")


def _lookup(table: dict, keys: list[tuple]) -> object:
    """First key found in table (most specific first)."""
    for k in keys:
        if k in table:
            return table[k]
    return None


def _blend(pred: np.ndarray, last: np.ndarray, alpha: np.ndarray, entry: np.ndarray, phi: tuple) -> np.ndarray:
    """Move each school's total to α · cohort total + (1 − α) · last year's total. The change is shared
    among its grades in proportion to their expected error variance, pred × φ(grade type) — φ the
    per-pupil squared error of entry and continuing grades in the calibration years — so the uncertain
    intake absorbs most of it and well-measured continuing cohorts are hardly moved."""
    C, P = pred.sum(1), last.sum(1)
    delta = (alpha - 1) * (C - P)                                # T − C
    w = pred * np.where(entry, phi[1], phi[0])
    ws = w.sum(1)
    adj = np.where(ws[:, None] > 0, delta[:, None] * w / np.where(ws > 0, ws, 1)[:, None], 0.0)
    return np.maximum(pred + adj, 0.0)


def _alpha_per_school(cal: "Calibration | None", band: np.ndarray, stage: np.ndarray) -> np.ndarray:
    if cal is None:
        return np.ones(len(band))
    return np.array([_lookup(cal.alpha, [(int(b), s), (s,), (int(b),), ()]) for b, s in zip(band, stage)], float)


def _scale(pred, c: float = 0.0):
    """Residual scale of a cell projected at ``pred`` pupils: √(pred + c·pred²) — Poisson-like spread for
    small cells, growing in proportion to the cell for large ones (c from ``select_overdispersion``)."""
    pred = np.maximum(pred, 1.0)
    return np.sqrt(pred + c * pred ** 2)


OVERDISPERSION_GRID = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
SIZE_BINS = (0, 10, 25, 50, 100, 200, 400, np.inf)      # cell sizes (pupils) whose coverage should be even


def select_overdispersion(pred: np.ndarray, act: np.ndarray, level: float, min_cells: int) -> float:
    """c of the residual scale √(pred + c·pred²): with √pred alone (c = 0) the intervals of large cells
    (a 400-pupil grade of a city high school) were too narrow — they covered 53–79 % on the real panels
    against 80–89 % for 10-pupil cells — because a school's grade size also moves by a share of itself
    (admissions, a neighbour opening), not only by pupil-level chance. Chosen on the calibration origins:
    the c (of ``OVERDISPERSION_GRID``) whose pooled split-conformal interval covers the cells most evenly
    across cell sizes (least Σ over size bins with ``min_cells`` cells of (coverage − level)²; ties →
    the smaller c)."""
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    bins = np.digitize(pred, SIZE_BINS[1:-1])
    use = [b for b in np.unique(bins) if (bins == b).sum() >= min_cells]
    if len(use) < 2:
        return 0.0
    best, best_c = np.inf, 0.0
    for c in OVERDISPERSION_GRID:
        sc = _scale(pred, c)
        r_lo, r_hi = (act + 1 - pred) / sc, (act - 1 - pred) / sc
        q_lo, q_hi = _conformal(r_lo, level)[0], _conformal(r_hi, level)[1]
        cov = (r_lo > q_lo) & (r_hi < q_hi)
        dev = sum((cov[bins == b].mean() - level) ** 2 for b in use)
        if dev < best - 1e-12:
            best, best_c = dev, c
    return best_c


def _tails(level) -> tuple[float, float]:
    """(lower, upper) miss shares of an interval: a level L → ((1 − L)/2, (1 − L)/2); a pair is taken as is."""
    if isinstance(level, tuple):
        return float(level[0]), float(level[1])
    return (1 - float(level)) / 2, (1 - float(level)) / 2


def _conformal(r: np.ndarray, level) -> tuple[float, float]:
    """Split-conformal bounds of residuals r for a central ``level`` interval: the k_lo-th and k_hi-th
    smallest, k_lo = ⌊(n + 1)(1 − level)/2⌋ (at least 1), k_hi = ⌈(n + 1)(1 + level)/2⌉ (at most n); with
    ``level`` = (a_lo, a_hi), misses a_lo below and a_hi above: k_lo = ⌊(n + 1)·a_lo⌋, k_hi = ⌈(n + 1)(1 − a_hi)⌉."""
    a_lo, a_hi = _tails(level)
    r = np.sort(np.asarray(r, float))
    n = len(r)
    k_lo = min(max(int(np.floor((n + 1) * a_lo + 1e-9)), 1), n)
    k_hi = max(min(int(np.ceil((n + 1) * (1 - a_hi) - 1e-9)), n), 1)
    return float(r[k_lo - 1]), float(r[k_hi - 1])


def select_alpha(tot_err: np.ndarray, cell_err: np.ndarray, tol: float, grid: np.ndarray = ALPHA_GRID) -> float:
    """The weight α (of ``grid``, ending at 1 = cohort model alone) with the least school-total error
    among those whose school × grade error is at most (1 + tol) × that of α = 1; ties → the larger α."""
    ok = cell_err <= cell_err[-1] * (1 + tol) + 1e-9
    best = tot_err[ok].min()
    return float(grid[np.flatnonzero(ok & (tot_err <= best + 1e-9))[-1]])


def _mix_cells(pred, method, last) -> np.ndarray:
    """Continuing cells projected by the cohort flow (升级率 / 新校) whose grade had pupils last year."""
    return np.isin(method, (M_GPR, M_NEW)) & (last > 0) & (pred > 0)


RECRUIT = "招"   # key prefix of the β groups of recruiting grades


def _recruits(last: np.ndarray, prev2: np.ndarray | None, ratio: float) -> np.ndarray:
    """(n, G) grades that recruit from outside: last year the grade held more than ``recruit_ratio`` ×
    its cohort (the grade below two years before) — a middle school's grade 7 beside a small grade 6, a
    high school taking transfers — and by more than chance: the excess over the cohort is above 2 × its
    Poisson spread (2·√cohort), so that 5 pupils after a cohort of 3 in a village school do not count.
    Their size is set by admission more than by the cohort below, so they get their own β
    (``select_mix``). ``prev2`` None (no year before last): none."""
    out = np.zeros(last.shape, bool)
    if prev2 is not None:
        cohort = prev2[:, :-1]
        out[:, 1:] = (last[:, 1:] > ratio * cohort) & (last[:, 1:] - cohort > 2 * np.sqrt(np.maximum(cohort, 1)))
    return out


def select_mix(origins, panel: Panel, p: Params) -> dict:
    """Weight β (0.05 grid) of the cohort flow students(g−1, y−1) × GPR against the grade's own size last
    year students(g, y−1) in continuing grades, chosen per size band × grade (then grade, then district;
    groups under ``continuing_mix_min_cells`` cells fall back) as the least absolute error over the
    calibration origins; ties → the larger β (``continuing_mix = false``: β = 1, the cohort flow alone).
    Where a school's grade sizes are set by admission (a big school keeps its classes full) its own grade
    size last year tells part of next year's count; in small rural schools cohorts differ and β stays 1.
    Recruiting grades (``_recruits``) also get groups of their own, keyed (招, 学段, grade), (招, grade), (招,).
    ``origins``: (pred, method, entry, last, act, active, recruit) per calibration origin."""
    mix: dict = {(): p.mix_prior if p.mix else 1.0}
    if not p.mix:
        return mix
    # without calibration cells (two years of history) recruiting grades take their own prior
    # (``recruit_mix_default``): their size is set by admission, and the general prior would treat them
    # as cohorts
    prior = {**mix, (RECRUIT,): p.mix_prior if p.recruit_mix_prior is None else p.recruit_mix_prior}
    rows = []
    for pred, method, entry, last, act, active, recruit in origins:
        m = _mix_cells(pred, method, last) & active[:, None]
        si, gi = np.nonzero(m)
        band = school_bands(last.sum(1), p.size_bands)
        rows.append(pd.DataFrame({"band": band[si], "stage": panel.stage[si], "grade": gi, "pred": pred[m],
                                  "last": last[m], "act": act[m], "recruit": recruit[m]}))
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(df) < p.mix_min:
        return prior
    b = ALPHA_GRID[None, :]
    err = pd.DataFrame(np.abs(b * df["pred"].to_numpy()[:, None] + (1 - b) * df["last"].to_numpy()[:, None]
                              - df["act"].to_numpy()[:, None]))
    def best(e):
        return float(ALPHA_GRID[np.flatnonzero(e <= e.min() + 1e-9)[-1]])
    mix[()] = best(err.sum(axis=0).to_numpy())
    rec = df["recruit"].to_numpy(bool)
    if rec.sum() >= p.mix_min:
        mix[(RECRUIT,)] = best(err[rec].sum(axis=0).to_numpy())
    groups = [(cols, (), slice(None)) for cols in (["grade"], ["stage", "grade"], ["band", "grade"],
                                                   ["band", "stage", "grade"])]
    groups += [(cols, (RECRUIT,), rec) for cols in (["grade"], ["stage", "grade"])]
    for cols, prefix, rows_ in groups:
        e, d = err[rows_], df[rows_]
        g = e.groupby([d[c] for c in cols])
        sums, counts = g.sum(), g.size()
        for key in sums.index[counts.reindex(sums.index).to_numpy() >= p.mix_min]:
            key = key if isinstance(key, tuple) else (key,)
            mix[prefix + tuple(k.item() if hasattr(k, "item") else k for k in key)] = best(
                sums.loc[key if len(key) > 1 else key[0]].to_numpy())
    return mix


def _mix(pred, method, last, mix: dict | None, band, stage, recruit=None) -> np.ndarray:
    """Continuing cells: β · cohort flow + (1 − β) · the grade's size last year (β from ``select_mix``, most specific
    group first: size band × 学段 × grade, band × grade, 学段 × grade, grade, district; a recruiting cell first
    looks up 招 × 学段 × grade, 招 × grade, 招)."""
    if not mix or set(mix.values()) == {1.0}:
        return pred
    beta = np.ones(pred.shape)
    for bb, st in set(zip(band.tolist(), stage.tolist())):
        beta[(band == bb) & (stage == st)] = [_lookup(mix, [(bb, st, gi), (bb, gi), (st, gi), (gi,), ()])
                                              for gi in range(G)]
    if recruit is not None and recruit.any():
        for st in set(stage.tolist()):
            rows = stage == st
            rb = [_lookup(mix, [(RECRUIT, st, gi), (RECRUIT, gi), (RECRUIT,)]) for gi in range(G)]
            rb = np.array([np.nan if b is None else b for b in rb], float)       # a β of 0 is a weight, not "none"
            beta[rows] = np.where(recruit[rows] & ~np.isnan(rb)[None, :], rb[None, :], beta[rows])
    cells = _mix_cells(pred, method, last)
    return np.where(cells, beta * pred + (1 - beta) * last, pred)


def worst_vs_persistence(err: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """For each α of the grid (rows of ``err``, the last α = 1 and the first α = 0, persistence): the
    largest over the calibration origins of Σ school-total error at α ÷ Σ error of persistence. Choosing
    the least of these (minimax against "same as last year") rather than the least pooled error keeps the
    totals at or below persistence in every origin year, not only on average; the pooled optimum leaned
    on one unusual year (Baltimore 2019–2022: α 0.75 where 0.3–0.5 held in the following years)."""
    per = np.stack([err[:, origin == o].sum(1) for o in np.unique(origin)], axis=1)     # (grid, origins)
    return (per / np.maximum(per[:1], 1e-9)).max(1)


def calibrate(panel: Panel, p: Params, t: int, births=None, feeders=None) -> Calibration:
    """Project every origin t−``calibration_years`` … t−1 one year ahead from the years before it (the
    district's own history) and learn (0) the continuing-grade weight β (``select_mix``), (1) per
    school-size band × 学段 the weight α of the cohort model against persistence (last year's total) with
    the least worst-origin error relative to persistence (``worst_vs_persistence``; α on a 0.05 grid;
    groups with fewer than ``blend_min_schools`` school-years fall back to the band, then to the whole
    district; ``blend_persistence = false`` keeps α = 1), and (2) the split-conformal
    quantiles of residuals scaled by √predicted, per size band × 学段 × grade type (entry/continuing),
    falling back to band × type and type when a group has fewer than ``interval_min_samples`` cells."""
    origins = []
    # origins need a year of ratios before them (index ≥ 2); with only two years of history the one origin
    # there is (index 1, cohorts carried at ratio 1) still measures the spread better than a fixed default
    first_only = t == 2
    for to in range(max(2 if t > 2 else 1, t - p.calib_years), t):
        pred, method, entry = _point(panel, panel.S, to, p, births, feeders, int(panel.years[0]) + to)
        last = panel.S[:, :, to - 1]
        act = panel.S[:, :, to]
        active = last.sum(1) > 0
        recruit = _recruits(last, panel.S[:, :, to - 2] if to >= 2 else None, p.recruit_ratio)
        origins.append((pred, method, entry, last, act, active & (to >= 2), recruit))  # weights only from origins ≥ 2
    # (0) continuing grades: weight of the cohort flow against the grade's own size last year
    mix = select_mix(origins, panel, p)
    origins = [(_mix(pred, method, last, mix, school_bands(last.sum(1), p.size_bands), panel.stage, recruit), entry,
                last, act, active)
               for pred, method, entry, last, act, active, recruit in origins]
    # (1) error variance per pupil by grade type, and blend weights
    num, den = np.zeros(2), np.zeros(2)
    for pred, entry, last, act, active in origins:
        m = pred > 0
        for e in (0, 1):
            sel = m & (entry == bool(e))
            num[e] += ((act[sel] - pred[sel]) ** 2).sum(); den[e] += pred[sel].sum()
    phi = tuple(float(num[e] / den[e]) if den[e] > 0 else 1.0 for e in (0, 1))
    alpha: dict = {(): p.alpha_prior if p.blend else 1.0}
    if p.blend and origins:
        # absolute error of school totals and of school × grade cells for every α of the grid, per school-year
        err_tot, err_cell, keys = [], [], []
        for i, (pred, entry, last, act, active) in enumerate(origins):
            band = school_bands(last.sum(1), p.size_bands)
            C, P = pred.sum(1), last.sum(1)
            d = _blend(pred, last, np.zeros(len(C)), entry, phi) - pred      # the change at α = 0
            a_ = ALPHA_GRID[:, None, None]
            cell = np.abs(pred[None] + (1 - a_) * d[None] - act[None]).sum(2)  # (grid, n)
            err_tot.append(np.abs(ALPHA_GRID[:, None] * C + (1 - ALPHA_GRID[:, None]) * P - act.sum(1))[:, active])
            err_cell.append(cell[:, active])
            keys.append(pd.DataFrame({"band": band[active], "stage": panel.stage[active], "origin": i}))
        keys = pd.concat(keys, ignore_index=True)
        E_tot, E_cell = np.concatenate(err_tot, axis=1), np.concatenate(err_cell, axis=1)
        groups = [((), np.ones(len(keys), bool))]
        for cols in (["band"], ["stage"], ["band", "stage"]):
            for key, idx in keys.groupby(cols).indices.items():
                key = key if isinstance(key, tuple) else (key,)
                mask = np.zeros(len(keys), bool); mask[idx] = True
                groups.append((tuple(int(k) if isinstance(k, (int, np.integer)) else k for k in key), mask))
        for key, mask in groups:
            if mask.sum() < p.blend_min:
                continue
            alpha[key] = select_alpha(worst_vs_persistence(E_tot[:, mask], keys["origin"].to_numpy()[mask]),
                                      E_cell[:, mask].sum(1), p.blend_tol)
    cal = Calibration(alpha=alpha, phi=phi, quantiles={}, residuals=pd.DataFrame(), mix=mix)
    # (2) residuals of the blended projection, scaled by √(pred + c·pred²)
    blended = []
    for pred, entry, last, act, active in origins:
        band = school_bands(last.sum(1), p.size_bands)
        blended.append((_blend(pred, last, _alpha_per_school(cal, band, panel.stage), entry, cal.phi), band))
    if blended:
        cells = [(b[0][b[0] > 0], o[3][b[0] > 0]) for b, o in zip(blended, origins)]
        cal.overdispersion = select_overdispersion(np.concatenate([c[0] for c in cells]),
                                                   np.concatenate([c[1] for c in cells]), p.level, p.min_samples)
    rows = []
    for i, ((pred, band), (_, entry, last, act, active)) in enumerate(zip(blended, origins)):
        m = pred > 0
        si, _ = np.nonzero(m)
        # the bounds are floored / ceiled to whole pupils: for a whole count A,
        # A ≥ ⌊pred + q·s⌋ ⇔ (A + 1 − pred)/s > q and A ≤ ⌈pred + q·s⌉ ⇔ (A − 1 − pred)/s < q,
        # so the quantiles are taken of these shifted residuals
        sc = _scale(pred[m], cal.overdispersion)
        rows.append(pd.DataFrame({"origin": i, "band": band[si], "stage": panel.stage[si], "entry": entry[m],
                                  "r_lo": (act[m] + 1 - pred[m]) / sc, "r_hi": (act[m] - 1 - pred[m]) / sc,
                                  "closed": act.sum(1)[si] <= 0}))
    res = (pd.concat(rows, ignore_index=True) if rows
           else pd.DataFrame(columns=["origin", "band", "stage", "entry", "r_lo", "r_hi", "closed"]))
    if first_only and len(res):
        # the only origin is the first year, with no ratios before it: cohorts carried at ratio 1 err more
        # than the model being calibrated (a year of the schools' own ratios), so its residuals are narrowed
        res[["r_lo", "r_hi"]] = res[["r_lo", "r_hi"]] * p.first_origin_scale
    level, band_level = closure_levels(res, p.level)
    res_open = res[~res["closed"].astype(bool)]
    if p.adapt and len(origins) >= 3:
        # adaptive conformal step: quantiles from the older origins, checked on the latest one; the miss
        # moves by half the error (74 % covered when 80 % was meant → aim at 83 %), within −5 / +10 points;
        # overall and, where the band has ``interval_adapt_min_cells`` cells in the latest origin, per size
        # band (other bands move with the overall level: with 30 cells the band's coverage has a sampling error
        # of ±7 points, and half of it moved the level — Baltimore's <200 band swung 91 % / 71 % / 87 %)
        old = _quantile_table(res_open[res_open["origin"] < len(origins) - 1], level, p.min_samples, band_level)
        new = res_open[res_open["origin"] == len(origins) - 1]
        qs = _cell_quantiles(old, new["band"], new["stage"], new["entry"])
        covered = (new["r_lo"].to_numpy() > qs[:, 0]) & (new["r_hi"].to_numpy() < qs[:, 1])
        ok = ~np.isnan(qs[:, 0])

        adapt = _adapt_tails
        if ok.sum() >= p.min_samples:
            target = 1 - sum(level)
            level = adapt(level, covered[ok].mean())
            shift = (1 - sum(level)) - target
            bands = new["band"].to_numpy()
            for b in list(band_level):
                sel = ok & (bands == b)
                band_level[b] = (adapt(band_level[b], covered[sel].mean()) if sel.sum() >= p.adapt_min
                                 else adapt(band_level[b], shift=shift))
    # the final table pools small groups (``interval_pool_below``); the adaptive check above does not, so that
    # pooling widens the few large schools' bounds without moving the level of the others.  Only with three
    # calibration origins or more: with one or two every group is small, and pooling widened all bounds (short
    # histories of the real panels: 85–90 % covered instead of 80 %)
    pool = p.pool_below if len(origins) >= 3 else 0
    cal.quantiles = _quantile_table(res_open, level, p.min_samples, band_level, pool)
    cal.residuals, cal.level = res, 1 - sum(level)
    return cal


def _adapt_tails(tails: tuple, cov: float | None = None, shift: float | None = None) -> tuple[float, float]:
    """The misses (a_lo, a_hi) scaled so that the coverage 1 − a_lo − a_hi moves to target + ½(target − cov)
    (``cov`` measured on the latest calibration origin) or by ``shift``, within −5 / +10 points, at most 0.99."""
    target = 1 - sum(tails)
    new_cov = target + (0.5 * (target - cov) if shift is None else shift)
    new_cov = float(np.clip(new_cov, target - 0.05, min(target + 0.1, 0.99)))
    f = (1 - new_cov) / max(1 - target, 1e-9)
    return (tails[0] * f, tails[1] * f)


def closure_levels(res: pd.DataFrame, level: float) -> tuple[tuple, dict]:
    """Misses (a_lo, a_hi) allowed below and above the intervals of schools that stay open, overall and
    per size band. A school that closes (no pupils at all the next year) misses every interval whose lower
    bound is above 0, and closures come in waves (a city closing 50 schools in one summer). So its cells
    are left out of the residual quantiles, and with π the share of cells in closed schools over the
    calibration origins (per size band), the open cells' misses are set so that the stated level holds
    overall: below (1 − level)/2 = π + (1 − π)·a_lo → a_lo = max((1 − level)/2 − π, 0)/(1 − π); above
    (1 − level)/2 = (1 − π)·a_hi. A closure wave in one calibration year thus lowers the next lower bounds
    by its average share, not by its own tail, and leaves the upper bounds alone."""
    half = (1 - level) / 2

    def tails(pi):
        pi = min(float(pi), 0.99)
        return (max(half - pi, 0.0) / (1 - pi), half / (1 - pi))
    if not len(res):
        return tails(0.0), {}
    closed = res["closed"].astype(bool)
    return tails(closed.mean()), {int(b): tails(c.mean()) for b, c in closed.groupby(res["band"])}


def _quantile_table(res: pd.DataFrame, level, min_samples: int, band_level: dict | None = None,
                    pool_below: int = 0) -> dict:
    """Conformal quantiles per (entry,), (band, entry), (band, 学段, entry); a band's groups at its own
    level when ``band_level`` has one (a level, or the (below, above) misses of ``closure_levels``); a group of
    fewer than ``pool_below`` residuals takes the wider of its own bounds and its parent group's."""
    q: dict = {}
    band_level = band_level or {}
    for key_cols in (["entry"], ["band", "entry"], ["band", "stage", "entry"]):
        for key, g in res.groupby(key_cols):
            if len(g) >= min_samples:
                key = tuple(k.item() if hasattr(k, "item") else k for k in key)
                lv = band_level.get(key[0], level) if key_cols[0] == "band" else level
                lo, hi = _conformal(g["r_lo"].to_numpy(), lv)[0], _conformal(g["r_hi"].to_numpy(), lv)[1]
                parent = q.get(key[:-2] + key[-1:]) if len(key) > 1 else None
                if parent is not None and len(g) < pool_below:
                    # a small group (a few large schools) measures its own tails poorly: it keeps the wider of
                    # its own bounds and those of the group it belongs to (band × 学段 → band → district)
                    lo, hi = min(lo, parent[0]), max(hi, parent[1])
                q[key] = (lo, hi)
    return q


def _cell_quantiles(table: dict, band, stage, entry) -> np.ndarray:
    """(n, 2) scaled-residual quantiles per cell, most specific group first (NaN: no group)."""
    qs = [_lookup(table, [(int(b), s, bool(e)), (int(b), bool(e)), (bool(e),)]) or (np.nan, np.nan)
          for b, s, e in zip(band, stage, entry)]
    return np.array(qs, float).reshape(-1, 2)


def _interval(pred, band, stage, entry, cal: Calibration, p: Params, h: int):
    """lo, hi (whole pupils) for predicted cells: pred + q · √pred · √h (± ``interval_default`` without
    residuals)."""
    qs = _cell_quantiles(cal.quantiles, band, stage, entry)
    qlo, qhi = qs[:, 0], qs[:, 1]
    sc = p.widen * _scale(pred, cal.overdispersion) * np.sqrt(h + 1)
    lo = np.where(np.isnan(qlo), pred * (1 - p.widen * p.default_rel * np.sqrt(h + 1)), pred + qlo * sc)
    hi = np.where(np.isnan(qhi), pred * (1 + p.widen * p.default_rel * np.sqrt(h + 1)), pred + qhi * sc)
    return np.floor(np.maximum(lo, 0)), np.ceil(np.maximum(hi, pred))


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------
def project_enrollment(enrollment: pd.DataFrame, schools: pd.DataFrame, config, plan_year: int,
                       births: pd.DataFrame | None = None, feeders: pd.DataFrame | None = None,
                       horizon: int = 1) -> pd.DataFrame:
    """Project students per school × grade for plan_year .. plan_year+horizon-1 (see module docstring).

    Returns columns school_id, year, grade, students (float), lo, hi, classes (int), method, flags.
    """
    from .classes import project_classes

    p = Params.from_config(config)
    births = births if births is not None and len(births) else None
    feeders = feeders if feeders is not None and len(feeders) else None
    hist = enrollment[enrollment["year"] < plan_year]
    if hist.empty:
        return pd.DataFrame(columns=OUT_COLUMNS)
    panel = build_panel(hist, schools, plan_year - 1)
    # pad missing years up to plan_year-1 (a gap year means no data: zeros)
    t0 = len(panel.years)
    cal = calibrate(panel, p, t0, births, feeders)
    S = np.concatenate([panel.S, np.zeros((len(panel.ids), G, horizon))], axis=2)
    frames = []
    for h in range(horizon):
        t = t0 + h
        year = plan_year + h
        pred, method, entry = _point(panel, S, t, p, births, feeders, year)
        band = school_bands(S[:, :, t - 1].sum(1), p.size_bands)
        recruit = _recruits(S[:, :, t - 1], S[:, :, t - 2] if t >= 2 else None, p.recruit_ratio)
        pred = _mix(pred, method, S[:, :, t - 1], cal.mix, band, panel.stage, recruit)
        pred = _blend(pred, S[:, :, t - 1], _alpha_per_school(cal, band, panel.stage), entry, cal.phi)
        pred, method = _apply_intake_plan(panel, schools, pred, method, h)
        S[:, :, t] = pred
        keep = (pred > 0) | (method == M_STOP)
        si, gi = np.nonzero(keep)
        pv = pred[si, gi]
        lo, hi = _interval(pv, band[si], panel.stage[si], entry[si, gi], cal, p, h)
        frames.append(pd.DataFrame({
            "school_id": panel.ids[si], "year": year, "grade": GRADES[gi].astype(int), "students": pv,
            "lo": lo, "hi": hi, "method": [METHOD_TAGS[m] for m in method[si, gi]],
        }))
    frames.append(project_new_schools(schools, hist, config, plan_year, horizon))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    out = out.sort_values(["school_id", "year", "grade"], kind="mergesort").reset_index(drop=True)
    out = project_classes(out, enrollment[enrollment["year"] < plan_year], config)
    return out[OUT_COLUMNS]


def _apply_intake_plan(panel: Panel, schools, pred, method, h: int):
    """A school with a single year of history and a 招生计划 (``intake_plan``) takes it for its projected
    intake grades of the plan year (split evenly), instead of last year's intake (method "招生计划")."""
    if h > 0 or schools is None or "intake_plan" not in schools:
        return pred, method
    plan = (pd.to_numeric(schools.drop_duplicates("school_id").set_index(
        schools.drop_duplicates("school_id")["school_id"].astype(str))["intake_plan"], errors="coerce")
        .reindex(panel.ids).to_numpy(float))
    single = (panel.S.sum(1) > 0).sum(1) == 1
    intake = np.isin(method, [M_TREND, M_BIRTH, M_FEED])
    use = single & ~np.isnan(plan) & intake.any(1)
    if use.any():
        share = plan / np.maximum(intake.sum(1), 1)
        cells = use[:, None] & intake
        pred = np.where(cells, share[:, None], pred)
        method = np.where(cells, M_PLAN, method)
    return pred, method


# --------------------------------------------------------------------------------------------------
# new schools (no history)
# --------------------------------------------------------------------------------------------------
def _stage_intake_grades(stage: str) -> list[int]:
    grades = STAGE_GRADES.get(stage, [])
    starts = {-2, 1, 7, 10}
    return [g for g in grades if g in starts]


def project_new_schools(schools: pd.DataFrame | None, hist: pd.DataFrame, config, plan_year: int,
                        horizon: int = 1) -> pd.DataFrame:
    """Projection for schools with no enrollment history (see module docstring). Returns rows with
    school_id, year, grade, students, lo, hi, method (no classes yet)."""
    cols = ["school_id", "year", "grade", "students", "lo", "hi", "method"]
    if schools is None or not len(schools) or "stage" not in schools:
        return pd.DataFrame(columns=cols)
    sch = schools.drop_duplicates("school_id").assign(school_id=lambda d: d["school_id"].astype(str))
    known = set(hist["school_id"].astype(str))
    new = sch[~sch["school_id"].isin(known)]
    if new.empty:
        return pd.DataFrame(columns=cols)
    # one row per new school × intake grade
    grid = new.assign(grade=new["stage"].map(lambda st: _stage_intake_grades(str(st)))).explode("grade")
    grid = grid[grid["grade"].notna()].astype({"grade": int})
    if grid.empty:
        return pd.DataFrame(columns=cols)
    n_intake = grid.groupby("school_id")["grade"].transform("size")
    n_grades = grid["stage"].map(lambda st: len(STAGE_GRADES.get(str(st), [])))
    def num(c):
        return pd.to_numeric(grid[c], errors="coerce") if c in grid else pd.Series(np.nan, grid.index)
    plan = num("intake_plan") / n_intake
    cap = num("capacity") / n_grades
    # comparable schools: last year's pupils in the grade, same 学段, by 镇街 → 城乡 → district (median)
    last = hist[hist["year"] == hist["year"].max()] if len(hist) else hist
    last = (last.assign(school_id=last["school_id"].astype(str)).groupby(["school_id", "grade"])["students"].sum()
            .reset_index())
    last = last[last["students"] > 0].merge(sch.drop(columns=[c for c in ("grade",) if c in sch]), on="school_id")
    comp = pd.Series(np.nan, index=grid.index)
    for key in (["stage", "town"], ["stage", "locality"], ["stage"]):
        if not all(k in grid and k in last for k in key):
            continue
        med = last.groupby(key + ["grade"])["students"].median().rename("_m")
        got = grid[key + ["grade"]].merge(med, left_on=key + ["grade"], right_index=True, how="left")["_m"]
        comp = comp.fillna(pd.Series(got.to_numpy(), index=grid.index))
    value = plan.fillna(cap).fillna(comp)
    method = np.where(plan.notna(), NEW_PLAN, np.where(cap.notna(), NEW_CAPACITY, NEW_COMPARABLE))
    grid = grid.assign(students=value.to_numpy(float), method=method)
    grid = grid[grid["students"].notna() & (grid["students"] > 0)]
    rel = float(config["forecast.new_school_interval"])
    frames = []
    for h in range(max(1, int(horizon))):
        # every year a new intake; each cohort moves up unchanged inside its stage (never into the next intake grade)
        for a in range(h + 1):
            moved = grid.assign(grade=grid["grade"] + a, year=plan_year + h)
            ok = [g0 + a in STAGE_GRADES[str(st)] and not any(g0 < s <= g0 + a for s in _stage_intake_grades(str(st)))
                  for st, g0 in zip(grid["stage"], grid["grade"])]
            frames.append(moved[np.asarray(ok, bool)])
    out = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"school_id": out["school_id"], "year": out["year"].astype(int),
                         "grade": out["grade"].astype(int), "students": out["students"],
                         "lo": np.floor(out["students"] * (1 - rel)), "hi": np.ceil(out["students"] * (1 + rel)),
                         "method": out["method"]})


# --------------------------------------------------------------------------------------------------
# classical baseline (for backtests): each school's own mean GPR of the last k years, entry = last intake
# --------------------------------------------------------------------------------------------------
def baseline_projection(enrollment: pd.DataFrame, schools: pd.DataFrame, plan_year: int, k: int = 3,
                        config=None) -> pd.DataFrame:
    """Classical k-year cohort survival, one year ahead: students(g, y) = students(g-1, y-1) × mean of
    the school's own last-k yearly ratios (1.0 when the school has none); entry grades = last year's intake.
    Uses the same open/closed grade rules as the model, so the comparison isolates the estimator.
    Returns school_id, year, grade, students."""
    from ..config import default_config

    hist = enrollment[enrollment["year"] < plan_year]
    if hist.empty:
        return pd.DataFrame(columns=["school_id", "year", "grade", "students"])
    panel = build_panel(hist, schools, plan_year - 1)
    p = Params.from_config(config if config is not None else default_config())
    t = len(panel.years)
    S = np.concatenate([panel.S, np.zeros((len(panel.ids), G, 1))], axis=2)
    _, method, entry = _point(panel, S, t, p)
    last = S[:, :, t - 1]
    rsum = np.zeros((len(panel.ids), G)); rcnt = np.zeros((len(panel.ids), G))
    for tp in range(max(1, t - k), t):
        cur, prv = S[:, 1:, tp], S[:, :-1, tp - 1]
        valid = (cur > 0) & (prv > 0)
        rsum[:, 1:] += np.where(valid, _safe_div(cur, prv), 0)
        rcnt[:, 1:] += valid
    ratio = np.where(rcnt > 0, rsum / np.maximum(rcnt, 1), 1.0)
    src = np.zeros_like(last); src[:, 1:] = last[:, :-1]
    pred = np.where(method == M_STOP, 0.0,
                    np.where(entry, last, np.where(method != M_NONE, src * ratio, 0.0)))
    si, gi = np.nonzero(pred > 0)
    return pd.DataFrame({"school_id": panel.ids[si], "year": plan_year, "grade": GRADES[gi].astype(int),
                         "students": pred[si, gi]})
