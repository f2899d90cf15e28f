"""Scale and speed benchmark for staffplan (issues 7 and 18).  Measures; never asserts.

    python benchmarks/run.py --suite issue18 --dask --no-naive   # every shape and command of issue 18, one command
    python benchmarks/run.py                      # district and city
    python benchmarks/run.py --province           # + province (generator + check only unless --province-full)
    python benchmarks/run.py --scales district --markdown > figures.md

For each scale the synthetic data set is generated once into ``--cache`` (default /tmp/staffplan-bench/<scale>,
reused when present).  Then:

1. **End to end** — ``staffplan check``, ``staffplan forecast`` and ``staffplan rotate`` each as a real CLI
   subprocess (Python start-up included; ``--quiet``, and ``--force --out`` into a temporary folder):
   wall time, the peak RSS of the largest single process (``os.wait4`` rusage ``ru_maxrss``, which Linux takes
   over the whole process tree) and the peak memory *summed* over the process tree (proportional set size from
   /proc/<pid>/smaps_rollup, sampled every 50 ms: counts the county worker pool and the CBC child at the same
   time, with pages the forked workers share with the parent counted once).
2. **Inside rotate** — in a fresh subprocess that calls the library directly: load, forecast, eligibility and
   candidates, model build, solver, assembly and writing the workbook (from ``RotateResult.timings`` and
   ``time.perf_counter``), once per solver (CBC; HiGHS when highspy is installed).  Build and solver times are
   summed over counties (CPU seconds of the county jobs, which run in a process pool at city scale).
3. **Builder vs naive** — ``build_model`` against ``build_model_naive`` on the same exchange instance: the
   largest county's candidates restricted to its first 50, 100, 200 … teachers (sorted ids) until the naive
   builder needs more than ``--naive-budget`` seconds (it is quadratic; the full county would take hours).
4. The machine: nproc, CPU model, memory, Python, load average before and after (and before each run).
5. With ``--dask``: ``staffplan rotate --format csv`` locally and through a Dask ``LocalCluster``
   (``--scheduler``), comparing every data table byte for byte.

End-to-end figures are the median wall time of ``--repeat`` runs (default 3) with the largest memory.

Prints rich tables; ``--markdown`` writes the same figures as Markdown to stdout (the tables go to stderr),
``--json FILE`` saves the raw figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import SIZES  # noqa: E402
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "staffplan-bench"

# targets from issues 7 and 18 (2-core machine, median of --repeat runs); None = no target
TARGETS = {
    ("district", "forecast"): 3.0, ("district", "rotate"): 5.0,
    ("city", "forecast"): 20.0, ("city", "rotate"): 60.0,
    ("city-thin", "forecast"): 20.0, ("city-noroster", "forecast"): 20.0, ("county-large", "rotate"): 60.0,
}
MEM_TARGET_MB = 2048          # every command, every shape (issue 18)
SUITE_18 = ["district", "district-noroster", "county-large", "city", "city-thin", "city-noroster", "city-onecounty"]
PROVINCE_TOML = """# benchmarks/run.py: the province roster exceeds the default input limits
[input]
max_rows = 2000000
max_file_mb = 1024
"""


# --------------------------------------------------------------------------- machine
def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    versions = {}
    for mod in ("pandas", "numpy", "pulp", "highspy", "python_calamine", "openpyxl"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod.replace("_", "-"))
        except Exception:
            pass
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "mem_gb": round(mem_gb, 1),
            "python": platform.python_version(), "platform": platform.platform(), "packages": versions,
            "load": os.getloadavg()}


# --------------------------------------------------------------------------- process tree memory
def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    """Proportional set size (shared pages split between the processes sharing them; forked pool workers
    share the parent's pages), else VmRSS."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_rss_kb(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kb(pid)
        stack += _children(pid)
    return total


def run_measured(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``cmd``; wall seconds, exit code, peak RSS (largest process, MB) and peak tree RSS (sampled, MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    # read the pipes in threads so a chatty child never blocks; reap with wait4 to get its own rusage
    bufs: dict[str, bytes] = {}

    def drain(name, stream):
        bufs[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout
    status, usage = 0, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    th.join()
    for r in readers:
        r.join()
    return {"cmd": cmd, "wall_s": wall, "rc": proc.returncode, "maxrss_mb": usage.ru_maxrss / 1024,
            "tree_mb": peak[0] / 1024, "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
            "stdout": bufs.get("stdout", b"").decode("utf-8", "replace"),
            "stderr": bufs.get("stderr", b"").decode("utf-8", "replace")}


# --------------------------------------------------------------------------- data
def ensure_data(scale: str, cache: Path, seed: int) -> tuple[Path, dict | None]:
    """Generate ``scale`` into cache/scale once (a marker file records the seed); returns (folder, timing)."""
    folder = cache / scale
    marker = folder / ".bench-seed"
    if marker.exists() and marker.read_text().split("\n")[0].strip() == str(seed):
        return folder, None
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    r = run_measured([sys.executable, str(HERE / "generate.py"), scale, str(folder), "--seed", str(seed)])
    if r["rc"] != 0:
        raise SystemExit(f"generator failed for {scale}:\n{r['stderr'][-2000:]}")
    first = (r["stdout"].splitlines() or [""])[0]
    marker.write_text(f"{seed}\n{first}\n", encoding="utf-8")
    return folder, r


def cli_command() -> list[str]:
    exe = shutil.which("staffplan")
    return [exe] if exe else [sys.executable, "-m", "staffplan.cli"]


def end_to_end(folder: Path, commands: list[str], out_dir: Path, timeout: float, repeat: int = 1) -> dict:
    """Each command ``repeat`` times: the median wall time, the largest peak memory, the load average before
    each run, and every run's figures under ``runs``."""
    import statistics

    res = {}
    for name in commands:
        cmd = cli_command() + [name, str(folder), "--quiet"]
        if name != "check":
            cmd += ["--force", "--out", str(out_dir / f"{name}.xlsx")]
        runs = []
        for _ in range(max(1, repeat)):
            load = os.getloadavg()[0]
            r = run_measured(cmd, timeout=timeout)
            refused = r["rc"] == 1 and name == "rotate" and folder.name.endswith("-noroster")  # by design
            if r["rc"] not in (0, 3) and not refused:  # 3 = infeasible plan, still a full run (diagnosis written)
                sys.stderr.write(f"[warn] {' '.join(cmd)} exited {r['rc']}: {r['stderr'][-800:]}\n")
            runs.append(dict({k: v for k, v in r.items() if k not in ("stdout", "stderr", "cmd")}, load=load))
        res[name] = {"wall_s": statistics.median(x["wall_s"] for x in runs),
                     "cpu_s": statistics.median(x["user_s"] + x["sys_s"] for x in runs),
                     "maxrss_mb": max(x["maxrss_mb"] for x in runs), "tree_mb": max(x["tree_mb"] for x in runs),
                     "rc": runs[-1]["rc"], "load": [x["load"] for x in runs], "runs": runs}
    return res


# --------------------------------------------------------------------------- Dask distributed vs local
def dask_vs_local(folder: Path, out_dir: Path, timeout: float, workers: int = 2) -> dict:
    """``staffplan rotate`` locally and through a Dask ``LocalCluster`` (``--scheduler``), both written as CSV:
    wall time, and whether every data table is byte-identical (说明.csv differs by design: it records the
    generation time and the scheduler address)."""
    from distributed import LocalCluster

    out: dict = {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for name, extra in (("local", []), ("dask", ["--scheduler", cluster.scheduler_address])):
            target = out_dir / f"rotate-{name}.csv"
            cmd = cli_command() + ["rotate", str(folder), "--quiet", "--force", "--format", "csv",
                                   "--out", str(target)] + extra
            r = run_measured(cmd, timeout=timeout)
            out[name] = {"wall_s": r["wall_s"], "rc": r["rc"], "tree_mb": r["tree_mb"]}
            if r["rc"] not in (0, 3):
                sys.stderr.write(f"[warn] {' '.join(cmd)} exited {r['rc']}: {r['stderr'][-800:]}\n")
    a, b = out_dir / "rotate-local.csv", out_dir / "rotate-dask.csv"
    files = sorted(p.name for p in a.glob("*.csv") if p.name != "说明.csv") if a.is_dir() else []
    same = [f for f in files if (b / f).is_file() and (a / f).read_bytes() == (b / f).read_bytes()]
    out["tables"] = len(files)
    out["identical"] = bool(files) and len(same) == len(files)
    out["differing"] = sorted(set(files) - set(same))
    return out


# --------------------------------------------------------------------------- library phases (worker side)
def _phases_worker(folder: str, solver: str) -> dict:
    """Runs in a fresh interpreter: every phase of ``staffplan rotate`` timed through the library."""
    t = time.perf_counter()
    out: dict = {}
    from staffplan import cli
    from staffplan.config import load_config
    from staffplan.errors import InfeasiblePlan
    from staffplan.forecast.pipeline import run_forecast
    from staffplan.io.dataset import load_dataset
    from staffplan.optimize.pipeline import rotate_frames

    out["import_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ds = load_dataset(Path(folder))
    cfg = getattr(ds, "config", None) or load_config(None)
    out["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fc = run_forecast(ds, cfg)
    out["forecast_s"] = time.perf_counter() - t
    t = time.perf_counter()
    try:
        rr = rotate_frames(ds.teachers, ds.schools, fc.gaps, fc.supply, cfg, fc.plan_year,
                           distances=getattr(ds, "distances", None), solver=solver)
        out["status"] = rr.result.code
    except InfeasiblePlan as exc:
        rr = exc.result
        out["status"] = "infeasible(诊断)"
    out["rotate_s"] = time.perf_counter() - t
    for k in ("eligibility_s", "candidates_s", "solve_s", "assemble_s", "build_s", "solver_s"):
        out[k] = float(rr.timings.get(k, float("nan")))
    out["counties"] = int(ds.schools["county"].nunique()) if "county" in ds.schools else 1
    out["exchange_rows"] = int(len(rr.candidates))
    out["zoujiao_rows"] = int(len(rr.zj_candidates))
    out["moves"] = int(len(rr.exchanges))
    t = time.perf_counter()
    sheets = rr.sheets()
    out["sheets_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        meta = cli._meta("rotate", ds, cfg, rr.plan_year, solver=cli._solver_info(rr), options={"show_id": False})
        cli._write(Path(tmp) / "交流.xlsx", sheets, meta, "xlsx", True)
    out["write_s"] = time.perf_counter() - t
    import resource

    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _naive_worker(folder: str, budget: float) -> dict:
    """Builder vs naive builder on the largest county's exchange instance, growing teacher subsets."""
    import dataclasses

    from staffplan.config import load_config
    from staffplan.forecast.pipeline import run_forecast
    from staffplan.io.dataset import load_dataset
    from staffplan.optimize.build import build_model, build_model_naive
    from staffplan.optimize.candidates import counties, county_candidates, gap_cells, prepare_teachers
    from staffplan.rules.eligibility import exchange_eligibility

    ds = load_dataset(Path(folder))
    cfg = getattr(ds, "config", None) or load_config(None)
    fc = run_forecast(ds, cfg)
    elig = exchange_eligibility(ds.teachers, ds.schools, cfg, fc.plan_year)
    tt = prepare_teachers(elig, ds.teachers, fc.supply, ds.schools, cfg)
    cells = gap_cells(fc.gaps, fc.supply, ds.schools, cfg)
    names = counties(tt)
    sizes = tt.groupby("county").size()
    county = max(names, key=lambda c: (int(sizes.get(c, 0)), c))
    sch = ds.schools.copy()
    sch["school_id"] = sch["school_id"].astype(str)
    cset = county_candidates(county, tt[tt["county"] == county], cells[cells["county"] == county], sch, cfg, None)
    ex = cset.exchange
    full_t = time.perf_counter()
    full = build_model(cset, cfg)
    full_s = time.perf_counter() - full_t
    res = {"county": county, "county_rows": int(len(ex)), "county_teachers": int(ex["teacher_id"].nunique()),
           "builder_full_s": full_s, "constraints_full": len(full.prob.constraints), "points": []}
    tids = sorted(ex["teacher_id"].unique())
    k = 50
    while True:
        k = min(k, len(tids))
        sub = dataclasses.replace(cset, exchange=ex[ex["teacher_id"].isin(set(tids[:k]))].reset_index(drop=True))
        best_fast = min(_timed(build_model, sub, cfg) for _ in range(3))
        slow = _timed(build_model_naive, sub, cfg)
        res["points"].append({"teachers": k, "rows": int(len(sub.exchange)), "builder_s": best_fast,
                              "naive_s": slow, "ratio": slow / best_fast})
        if slow > budget / 3 or k >= len(tids):
            break
        k *= 2
    return res


def _timed(f, *args) -> float:
    t = time.perf_counter()
    f(*args)
    return time.perf_counter() - t


def in_subprocess(mode: str, *args: str, timeout: float = 3600) -> tuple[dict | None, dict]:
    r = run_measured([sys.executable, str(Path(__file__).resolve()), "--_worker", mode, *args], timeout=timeout)
    data = None
    for line in r["stdout"].splitlines()[::-1]:
        if line.startswith("{"):
            data = json.loads(line)
            break
    if data is None:
        sys.stderr.write(f"[warn] worker {mode} {args} failed (rc {r['rc']}): {r['stderr'][-1500:]}\n")
    return data, r


def highs_available() -> bool:
    try:
        import highspy  # noqa: F401

        return True
    except ImportError:
        return False


# --------------------------------------------------------------------------- rendering
def _f(x, digits=2) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "–"
    return f"{x:,.{digits}f}"


def _ok(value, target) -> str:
    if target is None or value is None:
        return ""
    return "✓" if value <= target else "✗"


def tables(results: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    rows = []
    for scale, r in results["scales"].items():
        gen = r.get("generate")
        size = r.get("size", "")
        if gen:
            rows.append([scale, "generate", _f(gen["wall_s"]), _f(gen["user_s"] + gen["sys_s"]), _f(gen["maxrss_mb"], 0),
                         _f(gen["tree_mb"], 0), "", "", size])
        for name, m in r.get("e2e", {}).items():
            target = TARGETS.get((scale, name))
            mark = _ok(m["wall_s"], target)
            mem_mark = "" if m["tree_mb"] <= MEM_TARGET_MB or scale == "province" else " ✗mem"
            loads = " ".join(f"{x:.2f}" for x in m.get("load", []))
            rows.append([scale, f"staffplan {name}", _f(m["wall_s"]), _f(m.get("cpu_s")), _f(m["maxrss_mb"], 0),
                         _f(m["tree_mb"], 0),
                         ("exit 1: 教师名册为空，无可交流 (by design)" if m.get("rc") == 1 else
                          (f"≤ {target:g} s {mark}" if target else "") + mem_mark), loads,
                         size if name == "check" and not gen else ""])
    out.append(("End to end (CLI subprocess, incl. Python start-up; median wall of the runs, largest memory)",
                ["scale", "command", "wall s", "CPU s (user+sys, reaped children incl.)", "peak RSS MB (largest proc)",
                 "peak PSS MB (tree)", "target",
                 "load avg before each run", "data"], rows))
    rows = []
    for scale, r in results["scales"].items():
        d = r.get("dask")
        if d:
            rows.append([scale, _f(d["local"]["wall_s"]), _f(d["dask"]["wall_s"]), str(d["tables"]),
                         "yes" if d["identical"] else "NO: " + "、".join(d["differing"])])
    if rows:
        out.append(("rotate through a Dask LocalCluster (2 worker processes) vs local, CSV output",
                    ["scale", "local s", "dask s", "data tables", "byte-identical"], rows))
    rows = []
    for scale, r in results["scales"].items():
        for solver, p in r.get("phases", {}).items():
            if not p:
                rows.append([scale, solver] + ["failed"] + [""] * 10)
                continue
            rows.append([scale, solver, _f(p["import_s"]), _f(p["load_s"]), _f(p["forecast_s"]),
                         _f(p["eligibility_s"] + p["candidates_s"]), _f(p["build_s"]), _f(p["solver_s"]),
                         _f(p["solve_s"]), _f(p["assemble_s"]), _f(p["sheets_s"] + p["write_s"]),
                         f"{p['counties']} / {p['exchange_rows']:,} / {p['moves']:,}", p["status"]])
    out.append(("Inside rotate (library, seconds; build and solver summed over counties)",
                ["scale", "solver", "import", "load", "forecast", "elig.+cand.", "build", "solver",
                 "county jobs wall", "assemble", "sheets+write", "counties / candidate rows / moves", "status"],
                rows))
    rows = []
    for scale, r in results["scales"].items():
        n = r.get("naive")
        if not n:
            continue
        for pt in n["points"]:
            rows.append([scale, n["county"] or "（单一区县）", f"{pt['teachers']:,}", f"{pt['rows']:,}", _f(pt["builder_s"], 3),
                         _f(pt["naive_s"], 2), f"{pt['ratio']:,.0f}×"])
        rows.append([scale, n["county"] or "（单一区县）", f"{n['county_teachers']:,} (whole county)", f"{n['county_rows']:,}",
                     _f(n["builder_full_s"], 3), "not run (quadratic)", ""])
    if rows:
        out.append(("build_model vs build_model_naive (exchange model, same instance)",
                    ["scale", "county", "movers", "candidate rows", "build_model s", "naive s", "ratio"], rows))
    return out


def render_rich(results: dict, file=sys.stdout) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(file=file, highlight=False, width=200)
    m = results["machine"]
    con.print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gb']} GB, Python {m['python']}; "
              f"load before {m['load'][0]:.2f}, after {results.get('load_after', [float('nan')])[0]:.2f}")
    for title, head, rows in tables(results):
        if not rows:
            continue
        t = Table(title=title, title_justify="left")
        for h in head:
            t.add_column(h)
        for r in rows:
            t.add_row(*[str(c) for c in r])
        con.print(t)


def render_markdown(results: dict) -> str:
    m = results["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}; {pk}.  ",
             f"Load average (1 min) before {m['load'][0]:.2f}, after {results.get('load_after', [float('nan')])[0]:.2f}; "
             f"run {results['when']}.", ""]
    for title, head, rows in tables(results):
        if not rows:
            continue
        lines += [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="staffplan scale and speed benchmark")
    ap.add_argument("--scales", nargs="+", default=["district", "city"], choices=sorted(SIZES),
                    help="shapes of benchmarks/generate.py (county3 = a third point for the growth fit)")
    ap.add_argument("--suite", choices=["issue18"], help="issue18: " + ", ".join(SUITE_18) + " (every command)")
    ap.add_argument("--commands", nargs="+", default=["check", "forecast", "rotate"],
                    choices=["check", "forecast", "rotate"], help="commands measured end to end")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command; the median wall time is reported")
    ap.add_argument("--dask", nargs="*", metavar="SCALE", default=None,
                    help="also run rotate through a Dask LocalCluster and compare with the local run "
                         "(scales; default city)")
    ap.add_argument("--province", action="store_true", help="add the province scale (generator + check)")
    ap.add_argument("--province-full", action="store_true", help="also run forecast and rotate at province scale")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--solvers", nargs="+", default=None, help="default: cbc, and highs when highspy is installed")
    ap.add_argument("--no-phases", action="store_true", help="skip the library phase timings")
    ap.add_argument("--no-naive", action="store_true", help="skip builder vs naive")
    ap.add_argument("--naive-budget", type=float, default=60.0, help="seconds the naive builder may take (per scale)")
    ap.add_argument("--naive-scales", nargs="+", default=["district", "city"])
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--markdown", action="store_true", help="Markdown on stdout (rich tables on stderr)")
    ap.add_argument("--json", type=Path, help="save the raw figures as JSON")
    ap.add_argument("--_worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        mode, *rest = args._worker
        data = _phases_worker(rest[0], rest[1]) if mode == "phases" else _naive_worker(rest[0], float(rest[1]))
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return 0

    base = SUITE_18 if args.suite == "issue18" else args.scales
    scales = list(dict.fromkeys(base + (["province"] if args.province or args.province_full else [])))
    dask_scales = [] if args.dask is None else (args.dask or ["city"])
    scales += [x for x in dask_scales if x not in scales]
    solvers = args.solvers or (["cbc", "highs"] if highs_available() else ["cbc"])
    results: dict = {"machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M"), "scales": {}}
    log = sys.stderr
    for scale in scales:
        r: dict = {}
        results["scales"][scale] = r
        log.write(f"[{scale}] data …\n")
        folder, gen = ensure_data(scale, args.cache, args.seed)
        if gen:
            r["generate"] = {k: v for k, v in gen.items() if k not in ("stdout", "stderr", "cmd")}
            r["generate_out"] = gen["stdout"].splitlines()[:2]
        r["size"] = _size(folder)
        if scale == "province":  # 1,000,000 roster rows and a 170 MB CSV exceed the default input limits
            (folder / "staffplan.toml").write_text(PROVINCE_TOML, encoding="utf-8")
        commands = list(args.commands)
        if scale == "province" and not args.province_full:
            commands = ["check"]
        if args.dask is not None and scale in dask_scales and scale not in base:
            commands = []                       # only here for the Dask comparison
        with tempfile.TemporaryDirectory(prefix="staffplan-bench-out-") as out_dir:
            for name in commands:
                log.write(f"[{scale}] staffplan {name} × {args.repeat} …\n")
                r.setdefault("e2e", {}).update(end_to_end(folder, [name], Path(out_dir), args.timeout, args.repeat))
            if scale in dask_scales:
                log.write(f"[{scale}] rotate: Dask LocalCluster vs local …\n")
                r["dask"] = dask_vs_local(folder, Path(out_dir), args.timeout)
        if not args.no_phases and scale in ("district", "county3", "city") or (scale == "province" and args.province_full):
            r["phases"] = {}
            for solver in solvers:
                log.write(f"[{scale}] library phases with {solver} …\n")
                r["phases"][solver] = in_subprocess("phases", str(folder), solver, timeout=args.timeout)[0]
        if not args.no_naive and scale in args.naive_scales:
            log.write(f"[{scale}] build_model vs build_model_naive …\n")
            r["naive"] = in_subprocess("naive", str(folder), str(args.naive_budget), timeout=args.timeout)[0]
    results["load_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    if args.markdown:
        render_rich(results, file=sys.stderr)
        sys.stdout.write(render_markdown(results) + "\n")
    else:
        render_rich(results)
    return 0


def _size(folder: Path) -> str:
    """The generator's size line (schools, teachers, enrollment rows) and the input size on disk."""
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    marker = folder / ".bench-seed"
    lines = marker.read_text(encoding="utf-8").split("\n") if marker.exists() else []
    what = lines[1].split(":", 1)[-1].strip() if len(lines) > 1 and lines[1] else ""
    return f"{what}; {total / 1048576:.1f} MB".lstrip("; ")


if __name__ == "__main__":
    raise SystemExit(main())
