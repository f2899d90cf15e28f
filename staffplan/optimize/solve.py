"""The only module that touches pulp solvers.

``solve(model, config, solver_name=None) -> Result``.  Solvers:

* ``highs`` (default, chosen by measurement: the example district's exchange model is proved optimal in
  ≈ 1.5 s, CBC needs ≈ 12 s) — HiGHS through highspy (``pulp.HiGHS``), with ``random_seed``, ``threads``, the
  relative gap and a start solution (``_HiGHS``); the gap reached is read from HiGHS.  Two HiGHS settings are
  chosen by measurement (``HIGHS_OPTIONS``, ``solver.presolve_max_rows``): the root reduced-cost heuristic is off
  (district of 5,000 teachers, one thread: 6.0 s → 2.4 s, same optimum), and models with more candidate rows than
  ``solver.presolve_max_rows`` are solved without presolve (one county of 27,000 teachers: presolve alone took
  12 s and the whole solve 54 s → 39 s);

Gap policy: a model with at most ``solver.exact_max_rows`` candidate rows (3,000; the example district has
≈ 2,300) is solved to proven optimality (gap 0) by every solver, so CBC and HiGHS give the same plan; a larger
model stops at ``solver.gap`` (0.5 %), its real gap reported.  ``solver.highs_exact_max_rows`` lets HiGHS prove
larger models too (default 0: off).  Measured: a district of 5,000 teachers (6,461 rows) is proved in 2.6 s, where
CBC stops 0.25 % short after 5 minutes (its root bound stays ≈ 1608 against the optimum 1612.29); but proofs have
a heavy tail — in a city of 20 such counties one county of 6,289 rows took 32 s, the whole rotate 45–81 s against
the 60 s target (43 s without).
* ``cbc``   — the CBC binary bundled with pulp, through the non-deprecated ``pulp.COIN_CMD`` interface, for models up to
  ``solver.exact_max_rows`` candidate rows: larger ones are solved by HiGHS when CBC is asked (``solver.cbc_large_as_highs``,
  on by default, said in the result's message), because CBC cannot prove them (a district of 5,000 teachers: root bound
  1,628–1,632 against the optimum 1,635.58, bound 1,633.10 after 150 s) and a plan stopped at the gap differs by solver,
  which would break "same data, same plan whichever solver"
  (``options=["randomSeed <seed>", "randomCbcSeed <seed>", "preprocess off"]``, preprocessing only with
  ``solver.cbc_preprocess``); the gap reached is read from CBC's log (objective and best possible bound).

Statuses become a :class:`Result` with a code (optimal / feasible / infeasible / unbounded / not_solved /
error) and a Chinese status word; infeasible is a result, never an exception.  ``optimal`` means the solver
proved the gap ≤ ``solver.gap``; a run stopped by the time limit is ``feasible`` with its real gap.  An unknown
or unavailable solver raises :class:`~staffplan.errors.InputError` naming the solvers that are available.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, asdict, replace

import pulp

from ..errors import InputError

STATUS_CN = {"optimal": "最优", "feasible": "可行（达到时间限制，未证明最优）", "infeasible": "不可行",
             "unbounded": "无界", "not_solved": "未求解", "error": "求解出错", "empty": "无需求解",
             "rule_breach": "有硬性规则未满足（见「诊断」）"}

KNOWN = ("cbc", "highs")
PROVEN_GAP = 5e-5    # a relative gap that shows as 0.00 %: the plan is called 最优; above it, 近似最优 with the gap


def optimal_status(gap: float) -> str:
    """最优 when the solver proved it (gap shown as 0.00 %), else 近似最优 with the gap the solver stopped at
    (``solver.gap``): a bureau must not read 最优 where a better plan may exist."""
    if gap == gap and gap >= PROVEN_GAP:
        return f"近似最优（与最优方案相差不超过 {gap:.2%}，达到设定的相对间隙 solver.gap 后停止）"
    return STATUS_CN["optimal"]


@dataclass
class Result:
    """Outcome of one solve (or the combination of several county solves)."""

    code: str
    status: str
    objective: float
    gap: float
    runtime_s: float
    solver: str
    version: str
    message: str = ""
    build_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code in ("optimal", "feasible", "empty")

    def to_dict(self) -> dict:
        return asdict(self)


def empty_result(solver: str = "highs") -> Result:
    return Result("empty", STATUS_CN["empty"], 0.0, 0.0, 0.0, solver, solver_version(solver), "没有候选交流或走教")


@functools.lru_cache(maxsize=None)
def solver_version(name: str) -> str:
    try:
        if name == "highs":
            import highspy

            with _quiet_stdout():
                h = highspy.Highs()
                return f"HiGHS {h.version()}"
        if name == "cbc":
            out = subprocess.run([_cbc_path(), "-quit"], capture_output=True, text=True, timeout=10).stdout
            m = re.search(r"Version:\s*(\S+)", out)
            return f"CBC {m.group(1)}" if m else "CBC"
    except Exception:  # version is informative only
        pass
    return name


def _cbc_path() -> str:
    """The CBC binary: one on PATH, else the one bundled with pulp."""
    import shutil

    from pulp.apis.coin_api import PULP_CBC_CMD

    return shutil.which("cbc") or PULP_CBC_CMD.pulp_cbc_path


def available_solvers() -> list[str]:
    names = []
    if pulp.COIN_CMD(path=_cbc_path(), msg=False).available():
        names.append("cbc")
    try:
        if pulp.HiGHS(msg=False).available():
            names.append("highs")
    except Exception:
        pass
    return names


@contextlib.contextmanager
def _quiet_stdout():
    """Silence C-level stdout (highspy prints a banner), so --json output stays clean."""
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(fd, 1)
    finally:
        os.close(fd)


def _asked(config, solver_name: str | None) -> str:
    """The solver asked for: --solver, else solver.name (lower case)."""
    return (solver_name or config["solver.name"] or "highs").strip().lower()


def make_solver(config, solver_name: str | None = None, log_path: str | None = None, size: int | None = None):
    """(name, pulp solver); ``size`` (candidate rows of the model) decides the gap: 0 up to
    ``solver.exact_max_rows`` (HiGHS: ``solver.highs_exact_max_rows``; or when no size is given), else ``solver.gap``."""
    name = _asked(config, solver_name)
    avail = available_solvers()
    if name not in KNOWN or name not in avail:
        what = "未知的求解器" if name not in KNOWN else "求解器不可用"
        raise InputError(f"{what}「{name}」；可用的求解器：{'、'.join(avail) or '无'}（用 --solver 选择）")
    seed = int(config["solver.seed"])
    threads = int(config["solver.threads"])
    time_limit = float(config["solver.time_limit"])
    gap = float(config["solver.gap"])
    exact_rows = int(config["solver.exact_max_rows"])
    if name == "cbc" and size is not None and size > exact_rows and "highs" in avail and bool(
            config.get("solver.cbc_large_as_highs", True)):
        name = "highs"      # cbc_instead(): CBC cannot prove such a model, and a plan stopped at the gap differs by solver
    if name == "highs":
        exact_rows = max(exact_rows, int(config.get("solver.highs_exact_max_rows", 0) or 0))
    if size is None or size <= exact_rows:
        gap = 0.0       # small (or unsized) models: proven optimal, the same plan from every solver
    if name == "cbc":
        options = [f"randomSeed {seed}", f"randomCbcSeed {seed}"]
        if not bool(config.get("solver.cbc_preprocess", False)):
            options.append("preprocess off")
        return name, pulp.COIN_CMD(path=_cbc_path(), msg=False, timeLimit=time_limit, threads=threads, gapRel=gap,
                                   options=options, logPath=log_path)
    presolve = "off" if size is not None and size > int(config["solver.presolve_max_rows"]) else "choose"
    return name, _HiGHS(msg=False, timeLimit=time_limit, threads=threads, gapRel=gap, random_seed=seed,
                        presolve=presolve, **HIGHS_OPTIONS)


# measured on the exchange models (see the module docstring): the root reduced-cost heuristic spends seconds
# without finding the incumbent that the sub-MIP heuristics find anyway
# the feasibility-jump heuristic is off too: every exchange solve starts from a feasible plan (no move), and on
# 27,000 teachers it spent 4.5 s finding a far worse one
HIGHS_OPTIONS = {"mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_run_feasibility_jump": False}


_POOL_LOCK = threading.Lock()
_POOL_THREADS: list[int] = []      # the thread count HiGHS's process-wide scheduler was started with


def _thread_pool_for(threads: int) -> None:
    """HiGHS runs every solve of a process on one global scheduler, started by the first solve with its thread
    count; a solve asking for another count fails (status error).  A process that solves a one-county data set
    (``solver.threads_solo``) and then a several-county one (``solver.threads``) — a test run, a Dask worker — so
    restarts the scheduler when the count changes."""
    import highspy

    with _POOL_LOCK:
        if _POOL_THREADS and _POOL_THREADS[0] != threads:
            highspy.Highs.resetGlobalScheduler(True)
        _POOL_THREADS[:] = [threads]


class _HiGHS(pulp.HiGHS):
    """pulp's highspy interface plus a start solution: ``prob.start`` (variable → value, usually only the integer
    variables) is handed to HiGHS with ``setSolution`` before the run; HiGHS completes the other columns itself.
    So a time limit always leaves at least that incumbent."""

    def callSolver(self, lp):
        _thread_pool_for(int(self.threads or 0))
        start = getattr(lp, "start", None)
        if start:
            import numpy as np

            idx = np.array([v.index for v in start], dtype=np.int32)
            val = np.array([float(x) for x in start.values()], dtype=np.float64)
            lp.solverModel.setSolution(len(idx), idx, val)
        super().callSolver(lp)


def _cbc_gap(log: str, ratio: float | None = None) -> float:
    """Relative gap of CBC's final incumbent from its log ("Objective value" and "Lower bound"/"best possible").
    A search CBC completed ("Result - Optimal solution found") at ``ratio`` 0 (a model to be proved) is gap 0: the
    last progress line's "best possible" is stale there (the example: 725.54 printed, 726.54 proved).  At a ratio
    above 0 CBC prints the same words when it stops at the ratio, and the progress line's bound is the estimate."""
    if ratio == 0 and "Result - Optimal solution found" in log:
        return 0.0
    obj = re.findall(r"Objective value:\s*(-?[\d.eE+-]+)", log)
    bound = re.findall(r"Lower bound:\s*(-?[\d.eE+-]+)", log) or re.findall(r"best possible\s*(-?[\d.eE+-]+)", log)
    if not obj or not bound:
        return float("nan")
    o, b = float(obj[-1]), float(bound[-1])
    return max(0.0, (o - b) / max(abs(o), 1e-9))


def solve(model, config, solver_name: str | None = None, start: dict | None = None, size: int | None = None) -> Result:
    """Solve a built model (``build.Model`` or a bare ``pulp.LpProblem``); never raises on infeasibility.
    ``start`` (variable → value) is a feasible start for HiGHS (ignored by CBC)."""
    prob = model.prob if hasattr(model, "prob") else model
    prob.start = start
    build_s = float(getattr(model, "build_s", 0.0))
    import tempfile

    log = tempfile.NamedTemporaryFile(prefix="staffplan-cbc-", suffix=".log", delete=False)
    log.close()
    try:
        name, solver = make_solver(config, solver_name, log.name, size)
        res = _solve(prob, solver, name, config, build_s, log.name)
        if _asked(config, solver_name) != name:
            res = replace(res, message="；".join(m for m in (cbc_instead(size, config), res.message) if m))
        return res
    finally:
        os.unlink(log.name)


def cbc_instead(size: int | None, config) -> str:
    """Why a county asked of CBC was solved by HiGHS (``solver.cbc_large_as_highs``)."""
    return (f"交流候选 {size or 0:,} 行，超过 solver.exact_max_rows（{int(config['solver.exact_max_rows']):,}）：CBC 在此规模"
            "证明不了最优，按间隙停止的方案会因求解器而不同，故本区县改用 HiGHS 求解，选 CBC 与选 HiGHS 得到同一方案"
            "（solver.cbc_large_as_highs = false 可仍用 CBC）")


def _solve(prob, solver, name, config, build_s, log_path) -> Result:
    version = solver_version(name)
    t0 = time.perf_counter()
    message = ""
    try:
        if name == "highs":
            with _quiet_stdout():
                prob.solve(solver)
        else:
            prob.solve(solver)
    except pulp.PulpSolverError as exc:
        return Result("error", STATUS_CN["error"], float("nan"), float("nan"), time.perf_counter() - t0, name,
                      version, f"求解器出错：{exc}", build_s)
    runtime = time.perf_counter() - t0
    status, sol = prob.status, getattr(prob, "sol_status", None)
    if status == pulp.LpStatusOptimal and sol == pulp.LpSolutionIntegerFeasible:
        code = "feasible"
        message = f"达到时间限制 {config['solver.time_limit']} 秒，采用当前最好的可行方案"
    elif status == pulp.LpStatusOptimal:
        code = "optimal"
    elif status == pulp.LpStatusInfeasible:
        code = "infeasible"
    elif status == pulp.LpStatusUnbounded:
        code = "unbounded"
    else:
        code = "not_solved"
        message = (f"求解器在时间限制 {config['solver.time_limit']} 秒内没有找到可行方案：请调高 solver.time_limit，"
                   "或在教师名册中填写「区县」列按区县分别求解")
    objective = pulp.value(prob.objective) if code in ("optimal", "feasible") else float("nan")
    objective = float(objective) if objective is not None else 0.0
    gap = float("nan")
    if code in ("optimal", "feasible"):
        if name == "highs":
            try:
                gap = float(prob.solverModel.getInfo().mip_gap)
            except Exception:
                pass
        else:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                gap = _cbc_gap(fh.read(), getattr(solver, "optionsDict", {}).get("gapRel"))
        if code == "optimal" and not gap < float("inf"):
            gap = 0.0     # no integer variable left after presolve: the LP optimum is the optimum
        if code == "feasible" and gap < float("inf"):
            message += f"（相对间隙 {gap:.2%}）"
    status_cn = optimal_status(gap) if code == "optimal" else STATUS_CN[code]
    if code == "feasible":
        status_cn = f"达到时间限制，相对间隙 {gap:.2%}" if gap < float("inf") else "达到时间限制，未证明最优"
    return Result(code, status_cn, objective, gap, runtime, name, version, message, build_s)


def combine(results: list[Result]) -> Result:
    """One Result for several county solves: worst status, summed objective and times, max gap."""
    real = [r for r in results if r.code != "empty"]
    if not real:
        return results[0] if results else empty_result()
    order = ["error", "not_solved", "infeasible", "unbounded", "feasible", "optimal"]
    worst = min(real, key=lambda r: order.index(r.code))
    gaps = [r.gap for r in real if r.gap == r.gap]
    msgs = sorted({r.message for r in real if r.message})
    gap = max(gaps) if gaps else float("nan")
    status = optimal_status(gap) if worst.code == "optimal" else worst.status
    solvers = sorted({r.solver for r in real})          # counties solved by CBC and by HiGHS (cbc_large_as_highs)
    versions = sorted({r.version for r in real})
    return Result(worst.code, status, float(sum(r.objective for r in real if r.objective == r.objective)),
                  gap, float(sum(r.runtime_s for r in real)), "、".join(solvers),
                  "、".join(versions), "；".join(msgs), float(sum(r.build_s for r in real)))
