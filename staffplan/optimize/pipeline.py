"""``staffplan rotate``: eligibility → candidates → one MILP per county → tables.

Exchange and 走教 stay within a county (schools.county), so counties are solved independently (candidates,
models and solves all run in the county job) through optimize/executor.py — a local process pool when
there are several counties and at least ``solver.parallel_min_teachers`` teachers, a Dask cluster when
``solver.scheduler`` is set, otherwise sequentially — and combined in county order (deterministic either
way).  The share rules are applied per county (each county bureau runs its own exchange).

Per county: candidates (candidates.py), the exchange MILP, then the 走教 MILP on the gaps that remain
(build.py documents why sequential), each solved by solve.py.

When a hard rule needs slack the pipeline raises :class:`~staffplan.errors.InfeasiblePlan` carrying the
diagnosis and the whole :class:`RotateResult` (the CLI writes the workbook with its 诊断 sheet, exit 3).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import ConfigError, InfeasiblePlan, InputError, Issue, ERROR
from ..rules.eligibility import VOLUNTEER_LISTED, VOLUNTEER_MAY, exchange_eligibility
from .build import build_model, build_zoujiao_model, set_move_cost
from .candidates import (CandidateSet, counties, county_candidates, gap_cells, prepare_teachers,
                         school_table, teacher_rows)
from .diagnose import diagnose
from .executor import run_jobs
from .solve import STATUS_CN, Result, combine, empty_result, solve



@dataclass
class CountyOutcome:
    county: str
    counts: np.ndarray          # teachers moved per exchange candidate row (group → cell)
    periods: np.ndarray         # 走教 periods per zoujiao candidate row
    trips: pd.DataFrame         # teacher_id, host, trips (per week)
    slacks: pd.DataFrame        # family, key, required, value
    result: Result
    compare: pd.DataFrame = field(default_factory=pd.DataFrame)   # 交流方案比较 rows (λ levels)


def remaining_gaps(cset: CandidateSet, counts: np.ndarray) -> pd.Series:
    """Cell → gap periods left after the chosen exchanges (gap0 − periods in + periods lost), from the
    group rows and how many teachers each moves."""
    from .build import period_terms

    cell, row, per = period_terms(cset.exchange)
    rem = cset.cells.set_index("cell")["gap0"].astype(float).copy()
    delta = pd.Series(per * np.asarray(counts, dtype=float)[row]).groupby(cell).sum()
    return rem.sub(delta, fill_value=0.0)


def _county_job(county, teachers, cells, schools, config, distances, solver):
    """Worker: candidates, models and solves of one county."""
    cset = county_candidates(county, teachers, cells, schools, config, distances)
    check_county_size(cset, config)
    outcome = solve_county(cset, config, solver)
    if not cset.requirements["pairs"] and _share_short(outcome.slacks):
        # the estimate of what shortages can absorb does not see the sending rule: try again with two-way swaps
        cset = county_candidates(county, teachers, cells, schools, config, distances, force_pairs=True)
        check_county_size(cset, config)
        outcome = solve_county(cset, config, solver)
    return cset, outcome


def _share_short(slacks: pd.DataFrame) -> bool:
    """A share rule (5% of compulsory teachers, 10% of the eligible at urban schools, 骨干 ≥ 20% of movers)
    needed slack."""
    if slacks is None or slacks.empty:
        return False
    share = slacks[slacks["family"].isin(["quota", "quota_urban", "backbone"])]
    return bool((share["value"] > 1e-6).any())


def check_county_size(cset: CandidateSet, config) -> None:
    """A county with more candidate rows than ``solver.max_county_rows`` is not solved: its model would need more
    memory than a planning office's machine has (measured: 110,000 teachers in one county, 2.5 GB, and after 60 s
    HiGHS still had no plan better than doing nothing).  One sentence says what to do instead."""
    limit = int(config["solver.max_county_rows"])
    rows = len(cset.exchange)
    if 0 < limit < rows:
        name = f"区县「{cset.county}」" if cset.county else "全部学校（未填区县）"
        raise InputError(f"{name}有 {cset.teachers['teacher_id'].nunique():,} 名教师、{rows:,} 行交流"
                         f"候选，超过一次求解的上限 solver.max_county_rows = {limit:,}：这样大的区县无法在时间限制内求出"
                         "交流方案。请在学校表中填写「区县」列按区县分别求解（交流只在区县内进行），或调高该参数"
                         "（需要更多内存和时间）。")


def _solve_exchange(cset: CandidateSet, config, solver_name, move_cost=None, start=None, model=None):
    """(counts per row, slack values, Result or None, model) of the exchange model at one λ.
    ``start`` (moves per candidate row, default none) is the solver's first incumbent: no move at all is always
    feasible (the share rules have slacks, doing nothing keeps the sending rule), so a time limit never leaves
    the county without a plan.  ``model``: the county's model already built, re-priced at ``move_cost``."""
    if model is None:
        model = build_model(cset, config, move_cost)
    else:
        set_move_cost(model, config, move_cost)
    slacks = model.slacks[["family", "key", "required", "school"]].copy()
    slacks["value"] = 0.0
    counts = np.zeros(len(cset.exchange), dtype=int)
    if not (len(model.x) or len(model.u) or len(model.slacks)):   # nothing to decide (pulp's variables() rescans)
        return counts, slacks, None, model
    first = np.zeros(len(model.x)) if start is None else np.asarray(start, dtype=float)
    res = solve(model, config, solver_name, start=dict(zip(model.x.tolist(), first.tolist())), size=len(model.x))
    if res.ok:
        counts = np.array([int(round(v.varValue or 0.0)) for v in model.x], dtype=int)
        slacks["value"] = [float(v.varValue or 0.0) for v in model.slacks["var"]]
    return counts, slacks, res, model


def plan_figures(cset: CandidateSet, counts: np.ndarray) -> dict:
    """Moves, shortage periods left (plain and weighted) and km of an exchange plan."""
    rem = remaining_gaps(cset, counts)
    w = cset.cells.set_index("cell")["weight"].reindex(rem.index).fillna(1.0)
    return {"moves": int(np.sum(counts)), "left": float(rem.clip(lower=0).sum()),
            "left_weighted": float((rem.clip(lower=0) * w).sum()),
            "km": float(np.sum(np.asarray(counts) * cset.exchange["cost_km"].to_numpy(float)))}


LAST_MOVES = 10      # the 少交流 row the summary quotes ("what the last 10 moves buy"): the first of
                     # exchange.compare_fewer_moves


def fewer_moves(cset: CandidateSet, counts: np.ndarray, k: int) -> np.ndarray | None:
    """The plan with ``k`` fewer moves: drop, one at a time, the move that buys least — the weighted shortage periods
    its receiving cell would get back, w_c · (min(g_c, A_c) − min(g_c, A_c − offer)) with A_c the periods arriving
    there, then the longer distance, then the later row — among moves into cells that send nobody (dropping an
    arrival there cannot break the sending rule; a share rule's shortfall is informative only).  None when the
    plan has fewer than k such moves."""
    ex = cset.exchange
    counts = np.asarray(counts)
    senders = np.r_[ex["out_main"].to_numpy(), ex["out_second"].to_numpy()]
    senders = senders[senders >= 0]
    cells = getattr(cset, "cells", None)
    if cells is not None and len(senders) and {"school_id", "subject"} <= set(cells.columns):
        # a cell of the same school and subject as a sending cell (the other stage of a 九年一贯制) counts as
        # sending: the school-level sending rule (build.school_subject_groups) may rest on that arrival
        by = cells.set_index("cell")[["school_id", "subject"]]
        pairs = pd.MultiIndex.from_frame(by.reindex(senders).dropna())
        senders = np.r_[senders, by.index[pd.MultiIndex.from_frame(by).isin(pairs)].to_numpy()]
    ok = (counts > 0) & ~np.isin(ex["cell"].to_numpy(), senders)
    if counts[ok].sum() < k:
        return None
    cell = ex["cell"].to_numpy()
    offer = ex["offer"].to_numpy(float)
    km = ex["cost_km"].to_numpy(float)
    info = cells.set_index("cell") if cells is not None else pd.DataFrame(index=np.unique(cell))
    gap = info["gap0"].reindex(cell).fillna(np.inf).to_numpy(float) if "gap0" in info else np.full(len(ex), np.inf)
    w = info["weight"].reindex(cell).fillna(1.0).to_numpy(float) if "weight" in info else np.ones(len(ex))
    code, uniq = pd.factorize(cell)
    arrive = np.bincount(code, weights=offer * counts, minlength=len(uniq))
    out = counts.astype(float).copy()
    order = np.arange(len(ex))
    for _ in range(k):
        live = np.flatnonzero(ok & (out > 0))
        a = arrive[code[live]]
        loss = w[live] * (np.minimum(gap[live], a) - np.minimum(gap[live], a - offer[live]))
        pick = live[np.lexsort((-order[live], -km[live], np.round(loss, 6)))[0]]
        out[pick] -= 1
        arrive[code[pick]] -= offer[pick]
    return out


def fewer_steps(config) -> list[int]:
    """The 少交流 rows of the 交流方案比较 sheet (``exchange.compare_fewer_moves``, ascending)."""
    return sorted({int(k) for k in config.get("exchange.compare_fewer_moves", [LAST_MOVES]) if int(k) > 0})


def _compare(cset: CandidateSet, config, solver_name, counts, gap0: float = 0.0, model=None) -> pd.DataFrame:
    """The plan at the other λ levels of ``exchange.compare_move_costs`` next to the chosen one, and the chosen plan
    with ``exchange.compare_fewer_moves`` fewer moves.  Each λ level re-prices the county's model (``set_move_cost``;
    ``model`` is the plan's, not built again) and is solved like the plan — to proven optimality up to
    ``solver.exact_max_rows`` candidate rows, so CBC and HiGHS give the same rows — starting from the plan itself, with
    the same time limit: no shorter cap, since a result cut by time would depend on the machine's speed (the
    example's levels take ≈ 0.1 s each).  A level stopped by the time limit is left out.  Counties with more than
    ``exchange.compare_max_rows`` candidate rows get no λ levels (on a district of 5,000 teachers each costs 2–6 s).
    The 少交流 rows are not solved: each is the plan minus the moves that buy least (``fewer_moves``), i.e. exactly
    what the plan's last moves buy."""
    lam0 = float(config["exchange.move_cost"])
    rows = [dict(plan_figures(cset, counts), move_cost=lam0, variant="本方案", gap=gap0)]
    last = []       # may fall below the quota (a share rule's shortfall): informative only
    for k in fewer_steps(config):
        fewer = fewer_moves(cset, counts, k)
        if fewer is not None:
            last.append(dict(plan_figures(cset, fewer), move_cost=lam0, variant=f"少交流 {k} 人", gap=np.nan))
    if len(cset.exchange) > int(config["exchange.compare_max_rows"]):
        return pd.DataFrame(rows + last)   # a large county: the capped λ levels would not get past their start

    def gap_of(res):
        return 0.0 if res is None else float(res.gap)

    for lam in sorted(set(float(v) for v in config["exchange.compare_move_costs"]) - {lam0}):
        c, _, res, _ = _solve_exchange(cset, config, solver_name, lam, start=counts, model=model)
        if res is None or res.code == "optimal":
            rows.append(dict(plan_figures(cset, c), move_cost=lam, variant=f"λ = {lam:g}", gap=gap_of(res)))
    return pd.DataFrame(rows + last)


def solve_county(cset: CandidateSet, config, solver_name: str | None = None) -> CountyOutcome:
    """Exchange model, then 走教 model on the remaining gaps; plain arrays back (picklable for the pool)."""
    results = []
    counts, slacks, res, model = _solve_exchange(cset, config, solver_name)
    if res is not None:
        results.append(res)
    compare = _compare(cset, config, solver_name, counts, 0.0 if res is None else float(res.gap), model) \
        if bool(config["exchange.compare_plans"]) and (res is None or res.ok) else pd.DataFrame()
    periods = np.zeros(len(cset.zoujiao))
    trips = pd.DataFrame(columns=["teacher_id", "host", "trips"])
    if len(cset.zoujiao) and (not results or results[-1].ok):
        moved = teacher_rows(cset, counts)
        zm = build_zoujiao_model(cset, config, remaining_gaps(cset, counts),
                                 exclude=moved.loc[moved["chosen"], "teacher_id"])
        if len(zm.y):
            zres = solve(zm, config, solver_name, size=len(cset.exchange))   # the county's size sets the gap
            results.append(zres)
            if zres.ok:
                yv = np.array([round(v.varValue or 0.0) for v in zm.y], dtype=float)
                rows = zm.rows.assign(periods=yv)
                key = pd.MultiIndex.from_frame(cset.zoujiao[["teacher_id", "host", "cell"]])
                got = rows.set_index(["teacher_id", "host", "cell"])["periods"]
                periods = got.reindex(key).fillna(0.0).to_numpy()
                ppt = max(1, int(config["zoujiao.periods_per_trip"]))
                per_host = rows.groupby(["teacher_id", "host"], as_index=False)["periods"].sum()
                per_host["trips"] = np.ceil(per_host["periods"] / ppt)
                trips = per_host[per_host["periods"] > 0][["teacher_id", "host", "trips"]]
    res = combine(results) if results else empty_result(solver_name or config["solver.name"])
    return CountyOutcome(cset.county, counts, periods, trips, slacks, res, compare)


@dataclass
class RotateResult:
    """Everything ``staffplan rotate`` produces (English columns; ``sheets()`` gives the Chinese tables)."""

    plan_year: int
    config: object
    eligibility: pd.DataFrame            # one row per roster row (exchange_eligibility + name, subject …)
    exchanges: pd.DataFrame              # selected moves
    zoujiao: pd.DataFrame                # 走教 assignments (teacher × host)
    coverage: pd.DataFrame               # per cell: gap0, exchange, zoujiao, remaining
    diagnosis: pd.DataFrame              # 诊断 rows (empty when every hard rule holds)
    result: Result
    candidates: pd.DataFrame = field(default_factory=pd.DataFrame)   # all exchange candidates + chosen
    zj_candidates: pd.DataFrame = field(default_factory=pd.DataFrame)
    teachers: pd.DataFrame = field(default_factory=pd.DataFrame)     # prepared teacher table
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    requirements: dict = field(default_factory=dict)                 # county → counts
    slacks: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict = field(default_factory=dict)
    school_names: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    compare: pd.DataFrame = field(default_factory=pd.DataFrame)      # move_cost, moves, left, left_weighted, km
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)        # breaches found by the independent audit

    @property
    def tie_break(self) -> str:
        """The published rule that fixes who goes where among equivalent plans (for the 说明 sheet)."""
        from .candidates import PRIORITY

        return (f"先满足配额，再使加权剩余缺口课时 + 每交流 1 人 {float(self.config['exchange.move_cost']):g} 加权课时"
                f"（exchange.move_cost）+ 每公里 {float(self.config['exchange.km_cost']):g} 最小；{PRIORITY}；"
                "同一学校同一补充学科的交流教师按此顺序依次去往最近的、尚未分配的接收学校")

    def sheets(self) -> dict[str, pd.DataFrame]:
        from .explain import rotation_sheets

        return rotation_sheets(self)

    def summary(self) -> dict:
        from .explain import rotation_summary

        return rotation_summary(self)


def _check_config(config) -> None:
    cap, floor_ = float(config.get("exchange.max_share", 0.0) or 0.0), float(config["exchange.min_share_compulsory"])
    if 0 < cap < floor_:
        raise ConfigError(Issue(ERROR, f"exchange.max_share = {cap:g} 小于 exchange.min_share_compulsory = {floor_:g}："
                                "交流人数上限不能低于下限", column="exchange.max_share"))
    scope = str(config["exchange.urban_share_scope"])
    if scope not in ("district", "school"):
        raise ConfigError(Issue(ERROR, f"exchange.urban_share_scope = \"{scope}\"：应为 \"district\"（全区合计）或 "
                                "\"school\"（逐校）", column="exchange.urban_share_scope"))
    if int(config["exchange.max_years"]) > 3 or int(config["exchange.max_years"]) < 1:
        raise ConfigError(Issue(ERROR, f"exchange.max_years = {config['exchange.max_years']}：交流年限应为 1–3 年",
                                column="exchange.max_years"))


def run_rotate(ds, config, year: int | None = None, forecast=None, solver: str | None = None,
               progress=None) -> RotateResult:
    """Exchange + 走教 plan for the plan year (see module docstring)."""
    _check_config(config)
    timings: dict = {}
    t0 = time.perf_counter()
    plan_year = ds.plan_year(year)
    if forecast is None:
        from ..forecast.pipeline import run_forecast

        forecast = run_forecast(ds, config, year=plan_year, progress=progress)
    timings["forecast_s"] = time.perf_counter() - t0
    return rotate_frames(ds.teachers, ds.schools, forecast.gaps, forecast.supply, config, plan_year,
                         distances=getattr(ds, "distances", None), solver=solver, timings=timings, progress=progress)


def solo_threads(config, n_jobs: int):
    """The configuration the county jobs solve with: ``solver.threads`` per job when there are several counties,
    ``solver.threads_solo`` when the data set is one county (its solve would otherwise leave the other cores idle).
    Both are fixed numbers, and the choice depends on the data only, never on the machine's core count or on the
    executor (local pool, in-process or Dask), so the same data give the same plan everywhere (HiGHS is
    deterministic for a given thread count)."""
    if n_jobs != 1:
        return config
    return config.with_overrides({"solver.threads": int(config["solver.threads_solo"])}, "单个区县")


def rotate_frames(teachers: pd.DataFrame, schools: pd.DataFrame, gaps: pd.DataFrame, supply: pd.DataFrame,
                  config, plan_year: int, distances: pd.DataFrame | None = None, solver: str | None = None,
                  timings: dict | None = None, progress=None) -> RotateResult:
    """The same as :func:`run_rotate` from plain frames (used by tests with hand-built gaps and supply)."""
    _check_config(config)
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    schools = schools.copy()
    schools["school_id"] = schools["school_id"].astype(str)
    teachers = teachers.copy()
    teachers["teacher_id"] = teachers["teacher_id"].astype(str)
    teachers["school_id"] = teachers["school_id"].astype(str)
    elig = exchange_eligibility(teachers, schools, config, plan_year, supply)
    timings["eligibility_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    tt = prepare_teachers(elig, teachers, supply, schools, config, plan_year)
    cells = gap_cells(gaps, supply, schools, config)
    dist = distances if distances is not None and len(distances) else None
    names = counties(tt)
    sch_cols = [c for c in ("school_id", "school_name", "stage", "town", "locality", "tier", "group", "lon", "lat",
                            "county", "zone") if c in schools]
    sch_small = schools[sch_cols]
    county_of = school_table(schools, config)["county"]
    job_config = solo_threads(config, len(names))
    jobs = []
    for c in names:
        ids = set(county_of.index[county_of == c])
        d = dist[dist["a"].astype(str).isin(ids)] if dist is not None else None
        county_schools = sch_small[sch_small["school_id"].isin(ids)]  # a county job sees only its own schools
        jobs.append((c, tt[tt["county"] == c], cells[cells["county"] == c], county_schools, job_config, d, solver))
    timings["candidates_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    pairs = run_jobs(_county_job, jobs, config, len(tt), progress)   # executor.py: local pool, Dask, or here
    sets = [p[0] for p in pairs]
    outcomes = [p[1] for p in pairs]
    timings["solve_s"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    res = combine([o.result for o in outcomes]) if outcomes else empty_result(solver or config["solver.name"])
    out = _assemble(teachers, schools, elig, tt, cells, sets, outcomes, res, config, plan_year)
    out.timings = dict(timings, assemble_s=time.perf_counter() - t3,
                       build_s=float(sum(o.result.build_s for o in outcomes)),
                       solver_s=float(sum(o.result.runtime_s for o in outcomes)))
    if not res.ok:
        raise InfeasiblePlan(f"求解器未能给出方案：{res.status}。{res.message}", diagnosis=out.diagnosis, result=out)
    t4 = time.perf_counter()
    out.audit = run_audit(out, teachers, schools, gaps, supply, dist)
    out.timings["audit_s"] = time.perf_counter() - t4
    if len(out.audit):
        out.diagnosis = pd.concat([out.diagnosis, audit_diagnosis(out.audit)], ignore_index=True)
    limited = out.result.code == "feasible"
    if len(out.diagnosis):
        out.result = replace(out.result, code="rule_breach", status=STATUS_CN["rule_breach"])
    if len(out.diagnosis):
        first = out.diagnosis.iloc[0]
        hint = (f"求解在时间限制内停止（{res.status}），规定比例可能只是尚未达到：请调高 solver.time_limit 后重算。"
                if limited else "")
        raise InfeasiblePlan(f"交流方案无法满足硬性规则「{first['规则']}」（{first['学校']}：要求 {first['要求']:g}，"
                             f"最多可达 {first['可达']:g}，差 {first['差额']:g}）。{hint}详见「诊断」工作表。",
                             diagnosis=out.diagnosis, result=out)
    return out


def run_audit(rot: "RotateResult", teachers, schools, gaps, supply, distances) -> pd.DataFrame:
    """The independent audit (optimize/audit.py) of the finished plan; one row per breach."""
    from .audit import audit_plan

    ex = rot.exchanges.assign(periods=rot.exchanges["offer"]) if len(rot.exchanges) else pd.DataFrame(
        columns=["teacher_id", "from_school", "to_school", "subject", "stage", "kind", "years", "periods"])
    zj = rot.zj_candidates
    zj = zj[zj["periods"] > 0].groupby(["teacher_id", "home", "host", "subject", "stage"], as_index=False)[
        "periods"].sum() if len(zj) else pd.DataFrame(columns=["teacher_id", "home", "host", "subject", "periods"])
    return audit_plan(ex, zj, teachers, schools, gaps, rot.eligibility, rot.config, rot.plan_year, supply, distances)


def audit_diagnosis(audit: pd.DataFrame) -> pd.DataFrame:
    """Audit breaches as 诊断 rows (规则, 学校, 要求, 可达, 差额, 说明)."""
    who = audit["教师编号"].fillna("").astype(str)
    subj = audit["学科"].fillna("").astype(str)
    note = "独立核查：" + subj.where(subj == "", subj + "；") + audit["说明"].fillna("").astype(str)
    note = note.where(who == "", note + "（教师 " + who + "）")
    return pd.DataFrame({"规则": audit["规则"], "学校": audit["学校"], "要求": audit["应满足"], "可达": audit["实际"],
                         "差额": audit["差额"], "说明": note})


def _assemble(teachers, schools, elig, tt, cells, sets, outcomes, res, config, plan_year) -> RotateResult:
    if not sets:   # no teacher at all: empty frames with the usual columns
        empty = county_candidates("", tt.iloc[0:0].assign(county=""), cells.iloc[0:0], schools, config)
        sets, outcomes = [empty], [CountyOutcome("", np.zeros(0, int), np.zeros(0), pd.DataFrame(
            columns=["teacher_id", "host", "trips"]), pd.DataFrame(columns=["family", "key", "required", "school", "value"]),
            res)]
    cand = pd.concat([teacher_rows(s, o.counts).assign(county=s.county) for s, o in zip(sets, outcomes)],
                     ignore_index=True)
    zjc = pd.concat([s.zoujiao.assign(county=s.county, periods=o.periods) for s, o in zip(sets, outcomes)],
                    ignore_index=True)
    trips = pd.concat([o.trips for o in outcomes], ignore_index=True) if outcomes else pd.DataFrame()
    slacks = pd.concat([o.slacks.assign(county=o.county) for o in outcomes], ignore_index=True) \
        if outcomes else pd.DataFrame(columns=["family", "key", "required", "school", "value", "county"])
    reqs = {s.county: s.requirements for s in sets}
    sch = school_table(schools, config)

    ex = cand[cand["chosen"].astype(bool)].copy()
    ex["type"] = ""
    ex["years"] = 0
    if len(ex):
        back = pd.MultiIndex.from_frame(ex[["to_school", "from_school", "subject"]])
        fwd = set(zip(ex["from_school"], ex["to_school"], ex["subject"]))
        paired = np.array([k in fwd for k in back], dtype=bool)
        ex["type"] = np.where(paired, "双向对调", ex["direction"])
        ex["years"] = ex["term"].astype(int)
    ex = ex.sort_values(["from_school", "teacher_id"], kind="stable").reset_index(drop=True)

    # 走教 per teacher × host × subject (one subject per row, as 缺口覆盖 counts it); the trips to a host are the
    # teacher's, so their subsidy goes on the row of the subject with the most periods there (ties: subject order)
    zj = zjc[zjc["periods"] > 0] if len(zjc) else zjc
    if len(zj):
        zj = zj.groupby(["teacher_id", "home", "host", "subject"], as_index=False, sort=True).agg(
            periods=("periods", "sum"), km=("km", "first"))
        zj = zj.merge(trips, on=["teacher_id", "host"], how="left")
        first = (zj.sort_values(["teacher_id", "host", "periods", "subject"], ascending=[True, True, False, True],
                                kind="stable").groupby(["teacher_id", "host"]).head(1).index)
        zj["trips"] = zj["trips"].where(zj.index.isin(first), 0)
        weeks = float(config["zoujiao.weeks_per_month"])
        zj["subsidy_month"] = weeks * (float(config["zoujiao.subsidy_per_trip"]) * zj["trips"].fillna(0)
                                       + float(config["zoujiao.subsidy_per_period"]) * zj["periods"])
    else:
        zj = pd.DataFrame(columns=["teacher_id", "home", "host", "subject", "periods", "km", "trips", "subsidy_month"])

    # coverage per cell
    cov = cells[["cell", "county", "school_id", "stage", "subject", "gap0", "load", "weight"]].copy()
    gain = ex.groupby("cell")["offer"].sum() if len(ex) else pd.Series(dtype=float)
    loss_m = ex[ex["out_main"] >= 0].groupby("out_main")["loss_main"].sum() if len(ex) else pd.Series(dtype=float)
    loss_s = ex[ex["out_second"] >= 0].groupby("out_second")["loss_second"].sum() if len(ex) else pd.Series(dtype=float)
    yin = zjc[zjc["periods"] > 0].groupby("cell")["periods"].sum() if len(zjc) else pd.Series(dtype=float)
    cov["exchange"] = (cov["cell"].map(gain).fillna(0) - cov["cell"].map(loss_m).fillna(0)
                       - cov["cell"].map(loss_s).fillna(0))
    cov["zoujiao"] = cov["cell"].map(yin).fillna(0.0)
    cov["remaining"] = cov["gap0"] - cov["exchange"] - cov["zoujiao"]
    cov = cov[(cov["gap0"] > 0) | (cov["exchange"] != 0) | (cov["zoujiao"] != 0)].reset_index(drop=True)
    cov["locality"] = cov["school_id"].map(sch["locality"])

    elig_full = elig.merge(teachers[["teacher_id"] + [c for c in ("name", "subject", "title", "id_number")
                                                     if c in teachers]], on="teacher_id", how="left")
    if "volunteer" in elig_full and len(ex):   # 资格 stays 不符合 (contract's five values); 依据 says why listed
        sent = elig_full["volunteer"].astype(bool) & elig_full["teacher_id"].isin(ex["teacher_id"])
        for col in ("reason", "public_reason"):
            if col in elig_full:
                elig_full.loc[sent, col] = elig_full.loc[sent, col].astype(str).str.replace(
                    VOLUNTEER_MAY, VOLUNTEER_LISTED, regex=False)
    diag = diagnose(slacks, reqs, tt, cells, cand, schools, config)
    names = schools.drop_duplicates("school_id").set_index("school_id")["school_name"].astype(str) \
        if "school_name" in schools else pd.Series(dtype=object)
    parts = [o.compare for o in outcomes if len(o.compare)]
    compare = pd.concat(parts).groupby(["variant", "move_cost"], as_index=False, sort=False).agg(
        moves=("moves", "sum"), left=("left", "sum"), left_weighted=("left_weighted", "sum"), km=("km", "sum"),
        gap=("gap", "max")) if parts else pd.DataFrame(
        columns=["variant", "move_cost", "moves", "left", "left_weighted", "km", "gap"])
    return RotateResult(plan_year, config, elig_full, ex, zj, cov, diag, res, cand, zjc, tt, cells, reqs, slacks,
                        school_names=names, compare=compare)
