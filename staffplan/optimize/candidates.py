"""Candidate moves for the rotation model — pre-filtered, never the full teacher × school product.

Three frames feed :func:`staffplan.optimize.build.build_model`:

* ``cells``    — one row per (school, stage, subject) of the forecast gaps: ``gap0`` signed periods
  (+ = shortage), ``load`` periods per FTE, weight of covering one period there.
* ``exchange`` — one row per candidate move of a mover *group* (:func:`mover_groups`: teachers the model cannot
  tell apart) → receiving cell, with ``size`` (teachers in the group): ``kind`` = "short" (the receiving cell is
  short by at least ``shortage.threshold`` FTE in the teacher's subject or second subject, in its stage and, at a
  school with 小学 and 初中, over both — ``receivable_gap``) or "pair" (the
  receiving cell is below the threshold but has its own possible mover of the same subject and stage: two-way
  flow 双向对调, only generated when the quota rules need more moves than shortages can absorb).
  The direction rule holds on every row (cross 城区/镇区 ↔ 乡村, or different 办学水平, or same 教育集团 —
  each toggled by ``exchange.cross_locality/cross_tier/within_group``), same county, different school,
  distance ≤ ``exchange.max_km`` when > 0; a group whose teachers may not serve 乡村/薄弱 schools
  (``may_serve_weak``) has no row to one.  Pruned per (school, stage, subject) unit: a row is kept when the cell
  is among the unit's ``exchange.candidates_per_teacher`` nearest receivers (and nearest receivers that are not
  乡村/薄弱) or the unit is among the cell's nearest units holding ``exchange.candidates_per_cell`` teachers
  (pairs: ``pair_candidates_per_teacher``).  Built one subject at a time on a units × cells distance block,
  so cost and memory grow with schools × subjects, not with teachers × schools.
  Each row carries what the move does to cells in periods: ``offer`` (the receiving cell's standard load,
  taught there) and, per leaver, ``loss_main``/``loss_second`` (actual periods) in ``out_main``/``out_second``.
* ``zoujiao``  — one row per 走教 teacher → host cell: teachers of ``zoujiao.subjects`` (main or second
  subject) with spare capacity (standard load + ``extra_load`` − current periods; the extra only with
  本人意愿 愿意走教 when ``extra_load_needs_consent``), not past retirement nor retiring during the school year
  (``zoujiao.allow_retiring_in_year``), and allowed to serve weak schools,
  host cells with a shortage in that subject (``receivable_gap`` in periods) in the same 学区/镇街 or the same 教育集团 (``same_zone``; joined on
  zone and group), one-way distance ≤ ``zoujiao.max_km`` (unknown distance → no candidate), pruned to the
  ``zoujiao.candidates_per_teacher`` nearest hosts per teacher / per cell.

Teacher stage = the forecast supply's ``stage``; a teacher matches a cell of the same stage (an empty
stage on either side matches any).  :func:`teacher_rows` expands group rows to teachers by ``PRIORITY``.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..forecast.gaps import reaches_threshold, shown_fte
from ..rules.curriculum import least_standard_load
from ..rules.distance import km_matrix, pair_km
from ..rules.eligibility import MUST

SCHOOL_TEACHING_STAGE = {"小学": "小学", "教学点": "小学", "初中": "初中", "高中": "高中", "中职": "高中",
                         "幼儿园": "幼儿园"}
COMPULSORY_STAGES = {"小学", "初中"}


@dataclass
class CandidateSet:
    """Everything one county's model needs (picklable: plain DataFrames and numbers)."""

    county: str
    teachers: pd.DataFrame          # movers and 走教 teachers of this county (one row per teacher)
    cells: pd.DataFrame             # cell, school_id, stage, subject, gap0, load, weight
    exchange: pd.DataFrame          # candidate moves
    zoujiao: pd.DataFrame           # candidate 走教 rows
    requirements: dict = field(default_factory=dict)   # quota counts and pre-solve counts


def _text(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str)


def school_table(schools: pd.DataFrame, config) -> pd.DataFrame:
    """School attributes used by the direction rules, indexed by school_id."""
    s = schools.drop_duplicates("school_id").copy()
    s["school_id"] = s["school_id"].astype(str)
    for col, default in (("county", ""), ("group", ""), ("tier", "一般"), ("locality", ""), ("town", "")):
        s[col] = _text(s[col]) if col in s else default
    s["tier"] = s["tier"].replace("", "一般")
    s["zone"] = _text(s["zone"]) if "zone" in s else s["town"]
    s["zone"] = s["zone"].where(s["zone"] != "", s["town"])
    s["rural"] = s["locality"] == "乡村"
    urban_localities = set(config["exchange.urban_localities"])
    s["urban"] = s["locality"].isin(urban_localities) | (s["tier"] == "优质")
    return s.set_index("school_id")


def prepare_teachers(eligibility: pd.DataFrame, teachers: pd.DataFrame, supply: pd.DataFrame,
                     schools: pd.DataFrame, config, plan_year: int | None = None) -> pd.DataFrame:
    """One row per teacher with what the model needs: eligibility, subjects, periods, flags.

    ``mover``  — may be selected for exchange (应交流, or a volunteer when ``exchange.use_volunteers``), counted
                 in next year's supply, and able to serve a term (``term`` years, see :func:`_term_years`);
    ``serve_weak`` — may be sent to a 乡村/薄弱 school and used for 走教 (:func:`_serve_weak`);
    ``zj_cap`` — spare periods for 走教 (0 = not a 走教 teacher);
    ``home_spare`` — the same spare periods for every teacher at post (whether or not they may 走教): what the home
                 school can still use itself;
    ``base``   — counts in the 5 % base (专任教师 of compulsory education);
    ``grp``    — the mover group (:func:`mover_groups`; −1 for teachers who do not move).
    """
    sch = school_table(schools, config)
    t = teachers[["teacher_id", "school_id"] + [c for c in ("name", "subject", "subject2", "post", "employment",
                                                              "status", "title", "title_level", "appraisal",
                                                              "appraisal_prev")
                                                 if c in teachers]].copy()
    t["teacher_id"] = t["teacher_id"].astype(str)
    t["school_id"] = t["school_id"].astype(str)
    el = eligibility.drop(columns=["school_id"]).rename(columns={"status": "status_elig"})
    el = el.drop_duplicates("teacher_id")
    t = t.merge(el, on="teacher_id", how="left")
    sup_cols = [c for c in ("stage", "periods_main", "periods_second", "standard_load", "counts")
                if c in supply.columns]
    sup = supply[["teacher_id"] + sup_cols].copy()
    sup["teacher_id"] = sup["teacher_id"].astype(str)
    sup = sup.drop_duplicates("teacher_id").rename(columns={"stage": "t_stage"})
    t = t.merge(sup, on="teacher_id", how="left", indicator="_sup")
    has_supply = (t.pop("_sup") == "both").to_numpy()
    school_stage = t["school_id"].map(sch["stage"]) if "stage" in sch else pd.Series("", index=t.index)
    fallback_stage = _text(school_stage).map(SCHOOL_TEACHING_STAGE).fillna("")
    t["t_stage"] = _text(t["t_stage"]) if "t_stage" in t else ""
    t["t_stage"] = t["t_stage"].where(t["t_stage"] != "", fallback_stage)
    for col in ("subject", "subject2", "post", "employment", "status"):
        t[col] = _text(t[col]) if col in t else ""
    for col in ("periods_main", "periods_second", "standard_load"):
        t[col] = pd.to_numeric(t[col], errors="coerce") if col in t else np.nan
    t["periods_main"] = t["periods_main"].fillna(0.0)
    t["periods_second"] = t["periods_second"].fillna(0.0)
    counts = t["counts"].fillna(False).astype(bool) if "counts" in t else pd.Series(has_supply, index=t.index)
    t["county"] = t["school_id"].map(sch["county"]).fillna("")
    t["urban_school"] = t["school_id"].map(sch["urban"]).fillna(False).astype(bool)
    for col in ("backbone", "willing", "willing_zoujiao", "volunteer"):
        t[col] = t[col].fillna(False).astype(bool) if col in t else False
    t["status_elig"] = _text(t["status_elig"])
    use_vol = bool(config["exchange.use_volunteers"])
    usable = counts.to_numpy() & has_supply & t["standard_load"].notna().to_numpy()
    t["must"] = (t["status_elig"] == MUST).to_numpy()
    t["years_at_school"] = pd.to_numeric(t["years_at_school"], errors="coerce").fillna(0.0) \
        if "years_at_school" in t else 0.0
    for col in ("appraisal", "appraisal_prev"):
        t[col] = _text(t[col]) if col in t else ""
    t["preference"] = pd.to_numeric(t["preference"], errors="coerce").fillna(1) if "preference" in t else \
        np.where(t["appraisal"] == "优秀", 0, 1)
    t["serve_weak"] = _serve_weak(t, config)
    t["term"] = _term_years(t, config, plan_year)
    t["mover"] = usable & (t["must"] | (use_vol & t["volunteer"])).to_numpy() & (t["term"] > 0).to_numpy()
    at_post = (t["status"].isin(["", "在本单位任职"])).to_numpy()
    teaching = (t["post"].isin(["", "专任教师"])).to_numpy()
    zj_subjects = set(config["zoujiao.subjects"])
    zj_subject = (t["subject"].isin(zj_subjects) | t["subject2"].isin(zj_subjects)).to_numpy()
    extra = float(config["zoujiao.extra_load"])
    needs_consent = bool(config["zoujiao.extra_load_needs_consent"])
    allowed_extra = np.where(t["willing_zoujiao"].to_numpy() | (not needs_consent), extra, 0.0)
    current = (t["periods_main"] + t["periods_second"]).to_numpy()
    # held to the smallest standard load of their subject in their school's stages (rules.curriculum)
    zj_load = least_standard_load(_text(school_stage), t["subject"], t["standard_load"], config).to_numpy(float)
    cap = np.floor(np.nan_to_num(zj_load, nan=0.0) + allowed_extra - current + 1e-9)
    retired = t["retired"].fillna(False).astype(bool).to_numpy() if "retired" in t else np.zeros(len(t), bool)
    # a teacher who retires during the plan's school year leaves mid-year (domain.md §5): a 走教 timetable is set
    # for the whole year, so such a teacher is not used unless zoujiao.allow_retiring_in_year
    leaves = _retires_in_year(t, config, plan_year) & (not bool(config["zoujiao.allow_retiring_in_year"]))
    # 临聘 only with zoujiao.allow_temporary; 本人意愿 不愿走教: never
    refuses = t["refuses_zoujiao"].fillna(False).astype(bool).to_numpy() if "refuses_zoujiao" in t else False
    # a teacher with 孕期/哺乳期/重大疾病 on file (the grounds for deferring an exchange, approved or not) does not
    # travel for 走教 either, whatever the exchange status, unless zoujiao.allow_deferred
    special = t["special_case"].fillna(False).astype(bool).to_numpy() if "special_case" in t else False
    deferred = special & (not bool(config["zoujiao.allow_deferred"]))
    may_zoujiao = ((t["employment"] != "临聘").to_numpy() | bool(config.get("zoujiao.allow_temporary", False))) \
        & ~refuses & ~deferred
    t["zj_cap"] = np.where(usable & at_post & teaching & may_zoujiao & zj_subject & t["serve_weak"].to_numpy() & ~retired
                           & ~leaves,
                           np.maximum(cap, 0.0), 0.0)
    # periods a teacher could still teach (up to the standard load, + extra_load with consent) — at home as well as
    # elsewhere: the school's own shortage in a subject comes out of its teachers' spare periods before any of them
    # teaches the subject elsewhere (build: zj_home)
    t["home_spare"] = np.where(usable & at_post & teaching & ~retired, np.maximum(cap, 0.0), 0.0)
    compulsory = t["t_stage"].isin(COMPULSORY_STAGES) | (
        (t["t_stage"] == "") & _text(school_stage).isin(set(config["exchange.stages"])))
    employed = t["employment"] != "临聘" if not config["exchange.base_includes_temporary"] else True
    t["base"] = (teaching & compulsory.to_numpy() & np.asarray(employed) & ~retired).astype(bool)
    t = t.sort_values(["county", "school_id", "teacher_id"], kind="stable").reset_index(drop=True)
    t["grp"] = _teacher_group(t, mover_groups(t)).to_numpy()
    return t


def _serve_weak(t: pd.DataFrame, config) -> pd.Series:
    """May be sent to a 乡村/薄弱 school and used for 走教: the eligibility frame's ``may_serve_weak``; without it
    (older frames), not rated 不合格/基本合格 in either of the last two appraisals when
    ``exchange.weak_needs_good_appraisal``."""
    if "may_serve_weak" in t:
        return t["may_serve_weak"].fillna(True).astype(bool)
    if not bool(config.get("exchange.weak_needs_good_appraisal", True)):
        return pd.Series(True, index=t.index)
    bar = {"不合格", "基本合格"}
    return ~(t["appraisal"].isin(bar) | t["appraisal_prev"].isin(bar))


def _retires_in_year(t: pd.DataFrame, config, plan_year: int | None) -> np.ndarray:
    """Reaches the retirement date (legal, or a valid agreed one) after the plan date and before the next year's:
    teaches the first part of the school year only."""
    if plan_year is None or "retire_date" not in t:
        return np.zeros(len(t), bool)
    from ..rules.eligibility import plan_date

    retire = pd.to_datetime(t["retire_date"], errors="coerce")
    return (retire.notna() & (retire >= plan_date(config, plan_year))
            & (retire < plan_date(config, plan_year + 1))).to_numpy(bool)


def _term_years(t: pd.DataFrame, config, plan_year: int | None) -> pd.Series:
    """Years of exchange a teacher can serve before retiring: ``exchange.max_years``, or the whole years left
    before the retirement date when that is earlier — then 0 (not assigned) unless ``exchange.allow_short_term``.
    The eligibility frame's ``term_years_possible`` wins when it has one."""
    full = int(config["exchange.max_years"])
    if "term_years_possible" in t:
        left = pd.to_numeric(t["term_years_possible"], errors="coerce").fillna(full)
    elif plan_year is not None and "retire_date" in t:
        from ..rules.eligibility import plan_date

        start = plan_date(config, plan_year)
        retire = pd.to_datetime(t["retire_date"], errors="coerce")
        left = np.floor((retire - start).dt.days / 365.25).fillna(full)
    else:
        left = pd.Series(float(full), index=t.index)
    left = left.clip(lower=0, upper=full).astype(int)
    short_ok = bool(config["exchange.allow_short_term"])
    return left.where((left >= full) | short_ok, 0)


def gap_cells(gaps: pd.DataFrame, supply: pd.DataFrame, schools: pd.DataFrame, config) -> pd.DataFrame:
    """One row per (school, stage, subject) of the forecast gaps with periods-per-FTE and cover weight."""
    sch = school_table(schools, config)
    g = gaps.copy()
    g["school_id"] = g["school_id"].astype(str)
    g["stage"] = _text(g["stage"]) if "stage" in g else ""
    g["gap_periods"] = pd.to_numeric(g["gap_periods"], errors="coerce").fillna(0.0)
    if "gap_fte" not in g:
        g["gap_fte"] = np.nan
    g["standard_load"] = pd.to_numeric(g["standard_load"], errors="coerce") if "standard_load" in g else np.nan
    g = g.groupby(["school_id", "stage", "subject"], as_index=False, sort=True).agg(
        gap0=("gap_periods", "sum"), gap_fte=("gap_fte", "sum"), load=("standard_load", "first"))
    ratio = g["gap0"] / g["gap_fte"].where(np.abs(g["gap_fte"]) > 1e-9)
    g["load"] = g["load"].fillna(ratio)
    sup = supply.copy()
    if "standard_load" in sup and len(sup):
        sup["school_id"] = sup["school_id"].astype(str)
        sup["stage"] = _text(sup["stage"]) if "stage" in sup else ""
        by_cell = sup.groupby(["school_id", "stage", "subject"])["standard_load"].median()
        by_subject = sup.groupby("subject")["standard_load"].median()
        key = pd.MultiIndex.from_frame(g[["school_id", "stage", "subject"]])
        g["load"] = g["load"].fillna(pd.Series(by_cell.reindex(key).to_numpy(), index=g.index))
        g["load"] = g["load"].fillna(g["subject"].map(by_subject))
    g["load"] = g["load"].fillna(float(config["exchange.default_load"])).clip(lower=1.0)
    g["county"] = g["school_id"].map(sch["county"]).fillna("")
    rural_or_weak = g["school_id"].map(sch["rural"] | (sch["tier"] == "薄弱")).fillna(False).astype(bool)
    scarce = g["subject"].isin(set(config["zoujiao.subjects"]))
    g["weight"] = (1.0 + float(config["exchange.weight_rural"]) * rural_or_weak
                   + float(config["exchange.weight_scarce"]) * scarce)
    g = g.drop(columns=["gap_fte"]).sort_values(["county", "school_id", "stage", "subject"], kind="stable")
    g = g.reset_index(drop=True)
    g["cell"] = np.arange(len(g))
    return g


def receivable_gap(cells: pd.DataFrame, gap: pd.Series | None = None, periods: bool = False) -> pd.Series:
    """Shortage a cell can receive from outside (cell → periods): its own gap, but never more than its school's
    shortage in that subject — a 九年一贯制 whose 初中 音乐 teachers have spare periods covers its 小学 音乐 shortage
    itself before it asks for an exchange or a 走教 teacher (domain.md §3: a multi-stage school computes each stage
    and adds; §6 judges a school's subject).  For an exchange (FTE, the unit of the shortage threshold) the school's
    shortage is Σ gap ÷ load over its 小学 and 初中 cells of the subject (the stages exchange is about), in this
    cell's load; with ``periods`` (the unit of 走教) it is Σ gap periods over all the school's stages of the subject:
    a 完全中学 whose 初中 体育 has periods to spare covers its 高中 体育 itself before a 走教 teacher comes.  A cell
    outside those stages, or alone in its subject, keeps its own gap.  ``gap``: cell → signed gap periods (default
    the cells' gap0)."""
    c = cells[["cell", "school_id", "stage", "subject", "load"]].copy()
    c["gap"] = c["cell"].map(gap).fillna(0.0).to_numpy(float) if gap is not None else cells["gap0"].to_numpy(float)
    scope = pd.Series(True, index=c.index) if periods else c["stage"].isin(COMPULSORY_STAGES)
    key = [c["school_id"], c["subject"]]
    term = c["gap"] if periods else c["gap"] / c["load"]
    pooled = term.where(scope).groupby(key).transform("sum")
    if not periods:
        pooled = pooled * c["load"]
    multi = scope & (c["cell"].where(scope).groupby(key).transform("count") >= 2)
    own = c["gap"]
    return pd.Series(np.where(multi, np.minimum(own, pooled), own), index=c["cell"].to_numpy())


def receiving(cells: pd.DataFrame, threshold: float, gap: np.ndarray | None = None) -> np.ndarray:
    """Cells that may receive an exchange teacher (not counting two-way swaps): receivable gap ≥ threshold FTE
    (``gap``: the cells' receivable gap when the caller has it), judged on the FTE figure as 学科缺口 shows it
    (forecast.gaps.reaches_threshold)."""
    gap = receivable_gap(cells).to_numpy(float) if gap is None else gap
    return reaches_threshold(gap / cells["load"].to_numpy(float), threshold)


def arrival_slots(cells: pd.DataFrame, threshold: float) -> pd.Series:
    """Teachers a cell's shortage can take (cell → count): ceil(receivable gap ÷ load), and for a receiving cell
    only as many as still find ``threshold`` FTE short when they arrive: the k-th needs gap − (k − 1) · load ≥
    threshold · load, so k ≤ floor(gap ÷ load − threshold) + 1."""
    signed = receivable_gap(cells).to_numpy(float)
    gap = np.maximum(signed, 0.0)
    load = cells["load"].to_numpy(float)
    slots = np.ceil(gap / load - 1e-9)
    seq = np.floor(shown_fte(gap / load) - threshold + 1e-9) + 1       # the FTE gap as 学科缺口 shows it
    return pd.Series(np.where(receiving(cells, threshold, signed), np.minimum(slots, seq), slots),
                     index=cells["cell"].to_numpy())

def _stage_ok(a: pd.Series, b: pd.Series) -> np.ndarray:
    a = a.to_numpy()
    b = b.to_numpy()
    return (a == b) | (a == "") | (b == "")


def _take(sch: pd.DataFrame, col: str, ids: pd.Series, fill=None) -> np.ndarray:
    """sch[col] looked up for each id (integer positions; much faster than Series.map on strings)."""
    pos = sch.index.get_indexer(ids)
    vals = sch[col].to_numpy()[np.where(pos >= 0, pos, 0)]
    if fill is not None and (pos < 0).any():
        vals = np.where(pos >= 0, vals, fill)
    return vals


def _prune(df: pd.DataFrame, group_a: list[str], k_a: int, group_b: list[str], k_b: int) -> pd.DataFrame:
    """Keep rows among the k_a nearest per group_a or the k_b nearest per group_b (ties by ids)."""
    if df.empty:
        return df
    df = df.sort_values(["km"] + group_a + group_b, kind="stable")
    keep = np.zeros(len(df), dtype=bool)
    if k_a > 0:
        keep |= (df.groupby(group_a, sort=False).cumcount() < k_a).to_numpy()
    if k_b > 0:
        keep |= (df.groupby(group_b, sort=False).cumcount() < k_b).to_numpy()
    return df[keep]


def _teacher_subject_rows(t: pd.DataFrame, subjects: set | None = None) -> pd.DataFrame:
    """Long frame: one row per teacher and subject they can teach (main, then second)."""
    main = t.assign(c_subject=t["subject"], via="main")
    second = t[t["subject2"] != ""].assign(c_subject=lambda d: d["subject2"], via="second")
    rows = pd.concat([main, second], ignore_index=True)
    rows = rows[rows["c_subject"] != ""]
    if subjects is not None:
        rows = rows[rows["c_subject"].isin(subjects)]
    return rows


GROUP_KEYS = ["county", "school_id", "t_stage", "subject", "subject2", "periods_main", "periods_second", "backbone",
              "serve_weak", "term"]
PRIORITY = ("同一学校、学段、学科、课时、骨干身份的可选教师中：应交流优先，其次本人愿意交流，再次考核优秀或骨干（近两年"
            "考核基本合格/不合格者最后），再按在本校任教年限从长到短，最后按教师编号")


PRIORITY_ORDER = (["must", "willing", "preference", "years_at_school", "teacher_id"], [False, False, True, False, True])


def row_rank(teachers: pd.DataFrame, exchange: pd.DataFrame) -> np.ndarray:
    """Per candidate row: the rank (0 = first) of its group, by the group's first teacher in PRIORITY, among the
    groups of the same sending school that have a row in the same subject (the subject taught at the receiver —
    a 体育 teacher and a 物理 teacher who also teaches 体育 compete for one 体育 post): the model's tie-break
    between groups that do equally well."""
    m = teachers[teachers["grp"] >= 0].sort_values(PRIORITY_ORDER[0], ascending=PRIORITY_ORDER[1], kind="stable")
    m = m.drop_duplicates("grp")
    pos = pd.Series(np.arange(len(m)), index=m["grp"].to_numpy())
    p = exchange["grp"].map(pos).fillna(len(m)).astype(float)
    if p.empty:
        return np.zeros(0)
    return (p.groupby([exchange["from_school"], exchange["subject"]]).rank(method="dense") - 1).to_numpy(float)


def mover_groups(teachers: pd.DataFrame) -> pd.DataFrame:
    """Movers the model cannot tell apart — same school, stage, subjects, periods, 骨干, scope and term — form one
    group (``grp``); the model decides how many of a group move where, and :func:`teacher_rows` names them by
    the published priority (``PRIORITY``).  One row per group: keys, ``size``, ``from_urban``."""
    m = teachers[teachers["mover"]]
    if m.empty:
        return pd.DataFrame(columns=GROUP_KEYS + ["grp", "size", "from_urban"])
    g = m.groupby(GROUP_KEYS, sort=True, as_index=False, dropna=False).agg(
        size=("teacher_id", "size"), from_urban=("urban_school", "first"))
    g["grp"] = np.arange(len(g))
    return g


def _teacher_group(teachers: pd.DataFrame, groups: pd.DataFrame) -> pd.Series:
    """grp of each mover (−1 for others)."""
    if groups.empty:
        return pd.Series(-1, index=teachers.index)
    key = pd.MultiIndex.from_frame(groups[GROUP_KEYS])
    got = key.get_indexer(pd.MultiIndex.from_frame(teachers[GROUP_KEYS]))
    return pd.Series(np.where(teachers["mover"].to_numpy(), groups["grp"].to_numpy()[got], -1), index=teachers.index)


def _direction_arrays(rural_a, rural_b, tier_a, tier_b, grp_a, grp_b, config):
    cross_loc = (rural_a != rural_b) & bool(config["exchange.cross_locality"])
    cross_tier = (tier_a != tier_b) & bool(config["exchange.cross_tier"])
    same_group = (grp_a != "") & (grp_a == grp_b) & bool(config["exchange.within_group"])
    legal = cross_loc | cross_tier | same_group
    code = np.select([cross_loc, cross_tier, same_group], [1, 2, 3], default=0)
    return legal, code


DIRECTION_LABELS = np.array(["", "城乡交流", "强弱交流", "集团内交流"], dtype=object)


def _block_pairs(u_pos, u_stage, u_n, c_pos, c_stage, c_blocked, D, legal, k_unit, k_cell, max_km, unknown_km):
    """(unit index, cell index) pairs kept for one subject: each unit's ``k_unit`` nearest legal cells (and its
    ``k_unit`` nearest among cells not ``c_blocked`` — for teachers who may not go to 乡村/薄弱 schools), and each
    cell's nearest units until ``k_cell`` teachers are reached.  Dense over units × cells of one subject only."""
    K = D[np.ix_(u_pos, c_pos)]
    ok = legal[np.ix_(u_pos, c_pos)] & (u_pos[:, None] != c_pos[None, :])
    ok &= (u_stage[:, None] == c_stage[None, :]) | (u_stage[:, None] == "") | (c_stage[None, :] == "")
    if max_km > 0:
        ok &= K <= max_km
    kk = np.where(ok, np.where(np.isnan(K), unknown_km, K), np.inf)
    keep = np.zeros(kk.shape, dtype=bool)
    rows = np.arange(kk.shape[0])[:, None]
    for mat in (kk, np.where(c_blocked[None, :], np.inf, kk)) if c_blocked.any() else (kk,):
        order = np.argsort(mat, axis=1, kind="stable")[:, :k_unit]
        sel = np.isfinite(mat[rows, order])
        keep[np.broadcast_to(rows, order.shape)[sel], order[sel]] = True
    order0 = np.argsort(kk, axis=0, kind="stable")
    cols = np.broadcast_to(np.arange(kk.shape[1])[None, :], order0.shape)
    n_sorted = u_n[order0]
    before = np.cumsum(n_sorted, axis=0) - n_sorted
    sel0 = (before < k_cell) & np.isfinite(kk[order0, cols])
    keep[order0[sel0], cols[sel0]] = True
    return np.nonzero(keep)


def exchange_candidates(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                        distances: pd.DataFrame | None = None, kinds: tuple = ("short",),
                        groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate moves per mover group (see module docstring): one row per (group, receiving cell).

    Cost grows with (school, stage, subject) units × receiving cells of the same subject, one subject at a time —
    never teachers × schools."""
    sch = school_table(schools, config)
    groups = mover_groups(teachers) if groups is None else groups
    out_cols = ["grp", "size", "county", "from_school", "to_school", "t_subject", "subject", "stage", "via", "kind", "direction",
                "cell", "gap0", "km", "cost_km", "offer", "out_main", "loss_main", "out_second", "loss_second",
                "backbone", "from_urban", "serve_weak", "term"]
    if groups.empty or cells.empty:
        return pd.DataFrame(columns=out_cols)
    # group × subject it can teach (main, then second)
    gs = pd.concat([groups.assign(c_subject=groups["subject"], via="main"),
                    groups[groups["subject2"] != ""].assign(c_subject=lambda d: d["subject2"], via="second")],
                   ignore_index=True)
    gs = gs[gs["c_subject"] != ""]
    units = gs.groupby(["school_id", "t_stage", "c_subject"], sort=True, as_index=False)["size"].sum()
    ids = pd.Index(sorted(set(units["school_id"]) | set(cells["school_id"])))
    D = km_matrix(schools, ids, config, distances)
    attrs = {c: _take(sch, c, pd.Series(ids), fill) for c, fill in (("rural", False), ("tier", ""), ("group", ""))}
    legal, code = _direction_arrays(attrs["rural"].astype(bool)[:, None], attrs["rural"].astype(bool)[None, :],
                                    attrs["tier"][:, None], attrs["tier"][None, :],
                                    attrs["group"][:, None], attrs["group"][None, :], config)
    blocked_school = attrs["rural"].astype(bool) | (attrs["tier"] == "薄弱")   # 乡村/薄弱 destinations
    threshold = float(config["shortage.threshold"])
    is_recv = receiving(cells, threshold)   # short in its stage and in the school's subject over 小学 + 初中
    own = pd.MultiIndex.from_frame(units[["school_id", "t_stage", "c_subject"]])
    has_own = pd.MultiIndex.from_frame(cells[["school_id", "stage", "subject"]]).isin(own)
    plans = []
    if "short" in kinds:
        plans.append(("short", cells[is_recv], int(config["exchange.candidates_per_teacher"]),
                      int(config["exchange.candidates_per_cell"])))
    if "pair" in kinds:
        k_p = int(config["exchange.pair_candidates_per_teacher"])
        plans.append(("pair", cells[~is_recv & has_own], k_p, k_p))
    max_km, unknown = float(config["exchange.max_km"]), float(config["exchange.unknown_km"])
    parts = []
    for kind, recv, k_unit, k_cell in plans:
        for subject, cs in recv.groupby("subject", sort=True):
            us = units[units["c_subject"] == subject]
            if us.empty:
                continue
            u_pos, c_pos = ids.get_indexer(us["school_id"]), ids.get_indexer(cs["school_id"])
            ui, ci = _block_pairs(u_pos, us["t_stage"].to_numpy(), us["size"].to_numpy(), c_pos,
                                  cs["stage"].to_numpy(), blocked_school[c_pos], D, legal, k_unit, k_cell,
                                  max_km, unknown)
            parts.append(pd.DataFrame({
                "school_id": us["school_id"].to_numpy()[ui], "t_stage": us["t_stage"].to_numpy()[ui],
                "c_subject": subject, "cell": cs["cell"].to_numpy()[ci], "to_school": cs["school_id"].to_numpy()[ci],
                "stage": cs["stage"].to_numpy()[ci], "gap0": cs["gap0"].to_numpy(float)[ci],
                "offer": cs["load"].to_numpy(float)[ci], "km": D[u_pos[ui], c_pos[ci]],
                "direction": DIRECTION_LABELS[code[u_pos[ui], c_pos[ci]]],
                "dest_blocked": blocked_school[c_pos[ci]], "kind": kind}))
    if not parts:
        return pd.DataFrame(columns=out_cols)
    uc = pd.concat(parts, ignore_index=True)
    gs = gs.drop(columns=["county", "subject2", "periods_main", "periods_second"]).rename(
        columns={"subject": "t_subject"})
    cand = gs.merge(uc, on=["school_id", "t_stage", "c_subject"], how="inner")
    cand = cand[cand["serve_weak"].astype(bool) | ~cand["dest_blocked"]]
    cand = cand.assign(county=cand["school_id"].map(sch["county"]).fillna(""))
    cand = cand.rename(columns={"school_id": "from_school", "c_subject": "subject"})
    cand["cost_km"] = cand["km"].fillna(unknown)
    cand = cand.merge(_out_cells(groups, cells), on="grp", how="left")
    cand = cand.sort_values(["grp", "to_school", "cell", "via"], kind="stable")
    cand = cand.drop_duplicates(["grp", "cell"]).reset_index(drop=True)
    return cand[out_cols]


def _out_cells(units: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """For each group (or teacher): the cells it leaves (main and second subject) and the periods lost there."""
    key = cells.set_index(["school_id", "stage", "subject"])["cell"]
    key_nostage = cells.drop_duplicates(["school_id", "subject"]).set_index(["school_id", "subject"])["cell"]

    def lookup(subject_col):
        idx = pd.MultiIndex.from_arrays([units["school_id"], units["t_stage"], units[subject_col]])
        found = pd.Series(key.reindex(idx).to_numpy(), index=units.index)
        idx2 = pd.MultiIndex.from_arrays([units["school_id"], units[subject_col]])
        alt = pd.Series(key_nostage.reindex(idx2).to_numpy(), index=units.index)
        return found.fillna(alt).fillna(-1).astype(int)

    out = pd.DataFrame({"grp": units["grp"],
                        "out_main": lookup("subject"), "loss_main": units["periods_main"].astype(float),
                        "out_second": lookup("subject2"), "loss_second": units["periods_second"].astype(float)})
    out.loc[units["subject2"].to_numpy() == "", "out_second"] = -1
    out.loc[out["out_second"] == out["out_main"], "out_second"] = -1
    out.loc[out["out_second"] < 0, "loss_second"] = 0.0
    return out


def teacher_rows(cset: "CandidateSet", counts: np.ndarray | None = None) -> pd.DataFrame:
    """The group candidate rows expanded to the group's teachers, with ``chosen``: a row chosen ``k`` times goes
    to the group's next ``k`` teachers by ``PRIORITY`` (rows in order of distance, then school and cell)."""
    ex = cset.exchange.copy()
    ex["count"] = np.zeros(len(ex), dtype=int) if counts is None else np.asarray(counts, dtype=int)
    t = cset.teachers
    m = t[t["grp"] >= 0].copy()
    m = m.sort_values(["grp"] + PRIORITY_ORDER[0], ascending=[True] + PRIORITY_ORDER[1], kind="stable")
    m["rank"] = m.groupby("grp").cumcount()
    ex = ex.sort_values(["grp", "cost_km", "to_school", "cell"], kind="stable")
    ex["end"] = ex.groupby("grp")["count"].cumsum()
    ex["start"] = ex["end"] - ex["count"]
    cols = ["teacher_id", "grp", "rank", "willing", "must", "preference", "years_at_school"]
    rows = ex.merge(m[cols], on="grp", how="inner")
    rows["chosen"] = (rows["rank"] >= rows["start"]) & (rows["rank"] < rows["end"])
    rows = rows.drop(columns=["count", "start", "end", "rank"])
    rows = rows.sort_values(["teacher_id", "to_school", "cell"], kind="stable").reset_index(drop=True)
    return canonical_pairing(rows)


def _can_place(movers: list, dests: list, allowed: set) -> bool:
    """Can every mover get a distinct destination (a slot of ``dests``; a cell may appear more than once) it has a
    row for?  Kuhn's augmenting paths: the classes are a few teachers of one school and subject."""
    if len(movers) > len(dests):
        return False
    slot_of: dict[int, int] = {}          # slot index → mover index

    def augment(i: int, seen: set) -> bool:
        for j, cell in enumerate(dests):
            if j in seen or (movers[i], cell) not in allowed:
                continue
            seen.add(j)
            if j not in slot_of or augment(slot_of[j], seen):
                slot_of[j] = i
                return True
        return False

    return all(augment(i, set()) for i in range(len(movers)))


def canonical_pairing(rows: pd.DataFrame) -> pd.DataFrame:
    """Among the chosen moves from one school in one subject, which mover goes to which destination changes
    nothing the rules or the objective count (the same teachers leave, the same cells receive one standard load
    each, the same km in total), so solvers may pair them differently.  Fix the pairing: movers in PRIORITY
    order each take the nearest remaining destination they have a candidate row for and that still leaves every
    later mover a destination (``_can_place``; the solved pairing shows one exists)."""
    chosen = rows[rows["chosen"]]
    if chosen.empty:
        return rows
    key = ["from_school", "subject"]
    multi = chosen[chosen.groupby(key, sort=False)["teacher_id"].transform("size").to_numpy() >= 2]
    if multi.empty:
        return rows
    # one sort for the movers (PRIORITY within each class) and one for the destinations (nearest first); the
    # classes are then walked as runs of equal keys — no per-class sort (measured: 2.2 s → 0.2 s on a city)
    order = multi.sort_values(key + PRIORITY_ORDER[0], ascending=[True, True] + PRIORITY_ORDER[1], kind="stable")
    dests = multi.sort_values(key + ["cost_km", "to_school", "cell"], kind="stable")
    dest_of = {k: [c for *_, c in run] for k, run in itertools.groupby(
        zip(dests["from_school"].tolist(), dests["subject"].tolist(), dests["cell"].tolist()), key=lambda r: r[:2])}
    mine = rows["teacher_id"].isin(set(multi["teacher_id"]))
    has_row = set(zip(rows.loc[mine, "teacher_id"].tolist(), rows.loc[mine, "cell"].tolist()))
    new_cell = {}
    for k, run in itertools.groupby(zip(order["from_school"].tolist(), order["subject"].tolist(),
                                        order["teacher_id"].tolist()), key=lambda r: r[:2]):
        dest = list(dest_of[k])
        movers = [tid for *_, tid in run]
        pick = {}
        for i, tid in enumerate(movers):
            rest = movers[i + 1:]
            hit = next((c for j, c in enumerate(dest) if (tid, c) in has_row
                        and _can_place(rest, dest[:j] + dest[j + 1:], has_row)), None)
            if hit is None:          # cannot happen when the solved pairing is one of the rows; keep it then
                pick = {}
                break
            pick[tid] = hit
            dest.remove(hit)
        new_cell.update(pick)
    if not new_cell:
        return rows
    moved = rows["teacher_id"].isin(list(new_cell))
    target = rows["teacher_id"].map(new_cell)
    rows["chosen"] = np.where(moved, rows["cell"] == target, rows["chosen"])
    return rows


def zoujiao_candidates(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                       distances: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate 走教 rows teacher → host cell (see module docstring)."""
    sch = school_table(schools, config)
    zt = teachers[teachers["zj_cap"] > 0]
    rows = _teacher_subject_rows(zt, set(config["zoujiao.subjects"]))
    rows = rows[["teacher_id", "school_id", "county", "t_stage", "c_subject", "zj_cap", "willing_zoujiao"]]
    hosts = cells.assign(gap0=receivable_gap(cells, periods=True).to_numpy())   # the school's other stage first
    hosts = hosts[hosts["gap0"] > 1e-9][["cell", "school_id", "stage", "subject", "county", "gap0"]]
    hosts = hosts.rename(columns={"school_id": "host", "subject": "c_subject"})
    if bool(config["zoujiao.same_zone"]):
        # same 学区/镇街 or same 教育集团: joined on the zone and on the group, never the whole county
        parts = []
        for col in ("zone", "group"):
            r = rows.assign(_k=_take(sch, col, rows["school_id"], ""))
            h = hosts.assign(_k=_take(sch, col, hosts["host"], ""))
            parts.append(r[r["_k"] != ""].merge(h[h["_k"] != ""], on=["county", "c_subject", "_k"], how="inner"))
        cand = pd.concat(parts, ignore_index=True).drop(columns=["_k"]).drop_duplicates(["teacher_id", "cell"])
    else:
        cand = rows.merge(hosts, on=["county", "c_subject"], how="inner")
    cand = cand[(cand["host"] != cand["school_id"]) & _stage_ok(cand["t_stage"], cand["stage"])]
    cand = cand.assign(km=pair_km(schools, cand["school_id"], cand["host"], config, distances))
    cand = cand[cand["km"] <= float(config["zoujiao.max_km"])]
    k = int(config["zoujiao.candidates_per_teacher"])
    cand = _prune(cand, ["teacher_id"], k, ["cell"], k)
    cand = cand.rename(columns={"school_id": "home", "c_subject": "subject"})
    cand["ub"] = np.minimum(cand["zj_cap"], np.ceil(cand["gap0"] - 1e-9)).astype(float)
    cand = cand[cand["ub"] >= 1]
    cand = cand.sort_values(["teacher_id", "host", "cell"], kind="stable").reset_index(drop=True)
    return cand[["teacher_id", "home", "host", "subject", "stage", "cell", "gap0", "km", "zj_cap", "ub",
                 "willing_zoujiao"]]


def requirements(teachers: pd.DataFrame, config) -> dict:
    """Yearly quota counts for one county (ceil with a guard against 0.05 × 60 = 3.0000000000000004)."""
    on = bool(config["exchange.share_rules_on"])
    base = int(teachers["base"].sum())
    must_urban = int((teachers["must"] & teachers["urban_school"]).sum())

    def ceil_share(share, n):
        return int(math.ceil(float(share) * n - 1e-9)) if on and share > 0 else 0

    # the 10 % of 应交流 teachers at 城镇/优质 schools: over those schools together, or school by school
    by_school: dict = {}
    per_school = str(config["exchange.urban_share_scope"]) == "school"
    if per_school:
        per = teachers[teachers["must"] & teachers["urban_school"]].groupby("school_id").size()
        by_school = {str(k): n for k, v in per.items()
                     if (n := ceil_share(config["exchange.min_share_eligible_urban"], int(v))) > 0}
    return {
        "base": base,
        "must": int(teachers["must"].sum()),
        "movers": int(teachers["mover"].sum()),
        "backbone_movers": int((teachers["mover"] & teachers["backbone"]).sum()),
        "must_urban": must_urban,
        "quota": ceil_share(config["exchange.min_share_compulsory"], base),
        "quota_urban": (int(sum(by_school.values())) if per_school
                        else ceil_share(config["exchange.min_share_eligible_urban"], must_urban)),
        "quota_urban_schools": by_school,
        "backbone_share": float(config["exchange.min_share_backbone"]) if on else 0.0,
        "share_compulsory": float(config["exchange.min_share_compulsory"]),
        "share_urban": float(config["exchange.min_share_eligible_urban"]),
    }


def county_candidates(county: str, teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                      distances: pd.DataFrame | None = None, force_pairs: bool = False) -> CandidateSet:
    """The CandidateSet of one county.  Two-way swaps (pairs) are added when the share rules need more moves
    than the shortages can absorb by an upper estimate, or when ``force_pairs`` (the pipeline's second try after a
    solve left a share rule short: the estimate cannot see the sending rule)."""
    tc = teachers[teachers["county"] == county].reset_index(drop=True)
    cc = cells[cells["county"] == county].reset_index(drop=True)
    groups = mover_groups(tc)
    tc["grp"] = _teacher_group(tc, groups).to_numpy()
    req = requirements(tc, config)
    ex = exchange_candidates(tc, cc, schools, config, distances, groups=groups)
    absorb = _absorbable(ex, cc, float(config["shortage.threshold"]))
    urban_absorb = _teachers_with_rows(ex[ex["from_urban"].astype(bool)]) if len(ex) else 0
    need_pairs = force_pairs or req["quota"] > absorb or req["quota_urban"] > urban_absorb
    if need_pairs:
        pairs = exchange_candidates(tc, cc, schools, config, distances, kinds=("pair",), groups=groups)
        ex = pd.concat([ex, pairs], ignore_index=True).sort_values(["grp", "to_school", "cell"],
                                                                  kind="stable").reset_index(drop=True)
        ex = ex.drop_duplicates(["grp", "cell"]).reset_index(drop=True)
    zj = zoujiao_candidates(tc, cc, schools, config, distances)
    req["pairs"] = bool(need_pairs)
    req["absorbable"] = int(absorb)
    req["movers_with_candidates"] = _teachers_with_rows(ex)
    return CandidateSet(str(county), tc, cc, ex, zj, req)


def _teachers_with_rows(ex: pd.DataFrame) -> int:
    """Teachers of the groups that have at least one candidate row."""
    return int(ex.drop_duplicates("grp")["size"].sum()) if len(ex) else 0


def counties(teachers: pd.DataFrame) -> list[str]:
    return sorted(set(teachers["county"].astype(str)))


def build_candidate_sets(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                         distances: pd.DataFrame | None = None) -> list[CandidateSet]:
    """One CandidateSet per county, in county order."""
    return [county_candidates(c, teachers, cells, schools, config, distances) for c in counties(teachers)]


def _absorbable(ex: pd.DataFrame, cells: pd.DataFrame, threshold: float) -> int:
    """Upper estimate of moves the shortages can take: min(teachers with a candidate, Σ arrival slots of the cells
    with candidate rows)."""
    if ex.empty:
        return 0
    slots = arrival_slots(cells, threshold).reindex(ex["cell"].unique())
    return int(min(_teachers_with_rows(ex), int(slots.sum())))
