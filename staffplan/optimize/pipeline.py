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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError, InfeasiblePlan, Issue, ERROR
from ..rules.eligibility import exchange_eligibility
from .build import build_model, build_zoujiao_model
from .candidates import (CandidateSet, counties, county_candidates, gap_cells, prepare_teachers,
                         school_table)
from .diagnose import diagnose
from .executor import run_jobs
from .solve import Result, combine, empty_result, solve



@dataclass
class CountyOutcome:
    county: str
    chosen: np.ndarray          # bool per exchange candidate row
    periods: np.ndarray         # 走教 periods per zoujiao candidate row
    trips: pd.DataFrame         # teacher_id, host, trips (per week)
    slacks: pd.DataFrame        # family, key, required, value
    result: Result


def remaining_gaps(cset: CandidateSet, chosen: np.ndarray) -> pd.Series:
    """Cell → gap periods left after the chosen exchanges (gap0 − offers in + periods lost)."""
    ex = cset.exchange[chosen]
    rem = cset.cells.set_index("cell")["gap0"].astype(float).copy()
    rem = rem.sub(ex.groupby("cell")["offer"].sum(), fill_value=0)
    rem = rem.add(ex[ex["out_main"] >= 0].groupby("out_main")["loss_main"].sum(), fill_value=0)
    rem = rem.add(ex[ex["out_second"] >= 0].groupby("out_second")["loss_second"].sum(), fill_value=0)
    return rem


def _county_job(county, teachers, cells, schools, config, distances, solver):
    """Worker: candidates, models and solves of one county."""
    cset = county_candidates(county, teachers, cells, schools, config, distances)
    return cset, solve_county(cset, config, solver)


def solve_county(cset: CandidateSet, config, solver_name: str | None = None) -> CountyOutcome:
    """Exchange model, then 走教 model on the remaining gaps; plain arrays back (picklable for the pool)."""
    results = []
    model = build_model(cset, config)
    slacks = model.slacks[["family", "key", "required"]].copy()
    chosen = np.zeros(len(cset.exchange), dtype=bool)
    if model.prob.variables():
        res = solve(model, config, solver_name)
        results.append(res)
        if res.ok:
            chosen = np.array([(v.varValue or 0.0) > 0.5 for v in model.x], dtype=bool)
            slacks["value"] = [float(v.varValue or 0.0) for v in model.slacks["var"]]
    if "value" not in slacks:
        slacks["value"] = 0.0
    periods = np.zeros(len(cset.zoujiao))
    trips = pd.DataFrame(columns=["teacher_id", "host", "trips"])
    if len(cset.zoujiao) and (not results or results[-1].ok):
        zm = build_zoujiao_model(cset, config, remaining_gaps(cset, chosen),
                                 exclude=cset.exchange.loc[chosen, "teacher_id"])
        if zm.prob.variables():
            zres = solve(zm, config, solver_name)
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
    return CountyOutcome(cset.county, chosen, periods, trips, slacks, res)


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
    elig = exchange_eligibility(teachers, schools, config, plan_year)
    timings["eligibility_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    tt = prepare_teachers(elig, teachers, supply, schools, config)
    cells = gap_cells(gaps, supply, schools, config)
    dist = distances if distances is not None and len(distances) else None
    names = counties(tt)
    sch_cols = [c for c in ("school_id", "school_name", "stage", "town", "locality", "tier", "group", "lon", "lat",
                            "county", "zone") if c in schools]
    sch_small = schools[sch_cols]
    county_of = school_table(schools, config)["county"]
    jobs = []
    for c in names:
        ids = set(county_of.index[county_of == c])
        d = dist[dist["a"].astype(str).isin(ids)] if dist is not None else None
        county_schools = sch_small[sch_small["school_id"].isin(ids)]  # a county job sees only its own schools
        jobs.append((c, tt[tt["county"] == c], cells[cells["county"] == c], county_schools, config, d, solver))
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
    if len(out.diagnosis):
        first = out.diagnosis.iloc[0]
        raise InfeasiblePlan(f"交流方案无法满足硬性规则「{first['规则']}」（{first['学校']}：要求 {first['要求']:g}，"
                             f"最多可达 {first['可达']:g}，差 {first['差额']:g}）。详见「诊断」工作表。",
                             diagnosis=out.diagnosis, result=out)
    return out


def _assemble(teachers, schools, elig, tt, cells, sets, outcomes, res, config, plan_year) -> RotateResult:
    if not sets:   # no teacher at all: empty frames with the usual columns
        empty = county_candidates("", tt.iloc[0:0].assign(county=""), cells.iloc[0:0], schools, config)
        sets, outcomes = [empty], [CountyOutcome("", np.zeros(0, bool), np.zeros(0), pd.DataFrame(
            columns=["teacher_id", "host", "trips"]), pd.DataFrame(columns=["family", "key", "required", "value"]),
            res)]
    cand = pd.concat([s.exchange.assign(county=s.county, chosen=o.chosen) for s, o in zip(sets, outcomes)],
                     ignore_index=True)
    zjc = pd.concat([s.zoujiao.assign(county=s.county, periods=o.periods) for s, o in zip(sets, outcomes)],
                    ignore_index=True)
    trips = pd.concat([o.trips for o in outcomes], ignore_index=True) if outcomes else pd.DataFrame()
    slacks = pd.concat([o.slacks.assign(county=o.county) for o in outcomes], ignore_index=True) \
        if outcomes else pd.DataFrame(columns=["family", "key", "required", "value", "county"])
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
        ex["years"] = int(config["exchange.max_years"])
    ex = ex.sort_values(["from_school", "teacher_id"], kind="stable").reset_index(drop=True)

    # 走教 per teacher × host
    zj = zjc[zjc["periods"] > 0] if len(zjc) else zjc
    if len(zj):
        zj = zj.groupby(["teacher_id", "home", "host"], as_index=False, sort=True).agg(
            subject=("subject", lambda s: "、".join(sorted(set(s)))), periods=("periods", "sum"), km=("km", "first"))
        zj = zj.merge(trips, on=["teacher_id", "host"], how="left")
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
    diag = diagnose(slacks, reqs, tt, cells, cand, schools, config)
    names = schools.drop_duplicates("school_id").set_index("school_id")["school_name"].astype(str) \
        if "school_name" in schools else pd.Series(dtype=object)
    return RotateResult(plan_year, config, elig_full, ex, zj, cov, diag, res, cand, zjc, tt, cells, reqs, slacks,
                        school_names=names)
