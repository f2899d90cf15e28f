"""Do CBC and HiGHS give the same rotation plan on a data set?  (Issue 17: identical plans across solvers.)

    python benchmarks/solver_parity.py DATA [--time-limit SECONDS]

Runs ``rotate`` (without the 交流方案比较 variants) once per solver on the same forecast and compares the
交流名单 (teacher → receiving school and subject) and the 走教 rows.  Prints each solver's time, moves, shortage
left, status, gap and audit breaches, then the differences (none when the plans are identical).  Too slow for
the test suite on the 5,000-teacher district (CBC); the example district is covered by
tests/test_optimize_example.py.
"""
from __future__ import annotations

import argparse
import time

from staffplan.config import default_config
from staffplan.errors import InfeasiblePlan
from staffplan.forecast.pipeline import run_forecast
from staffplan.io.dataset import load_dataset
from staffplan.optimize.pipeline import run_rotate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CBC 与 HiGHS 的交流方案是否一致")
    ap.add_argument("data")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--exact-max-rows", type=int, default=0,
                    help="solver.exact_max_rows for this run (0: the configured value)")
    args = ap.parse_args(argv)
    # CBC itself on every county (rotate would hand counties above exact_max_rows to HiGHS: solver.cbc_large_as_highs)
    cfg = default_config().with_overrides({"exchange.compare_plans": False, "solver.time_limit": args.time_limit,
                                           "solver.cbc_large_as_highs": False,
                                           **({"solver.exact_max_rows": args.exact_max_rows} if args.exact_max_rows else {})})
    ds = load_dataset(args.data)
    fc = run_forecast(ds, cfg)
    plans = {}
    for solver in ("highs", "cbc"):
        t0 = time.perf_counter()
        try:
            rot = run_rotate(ds, cfg, forecast=fc, solver=solver)
        except InfeasiblePlan as exc:
            rot = exc.result
        s = rot.summary()
        print(f"{solver}: {time.perf_counter() - t0:.1f} s, {s['exchanged']} 人交流, 剩余缺口 "
              f"{s['shortage_periods_after']} 课时, {rot.result.status}, 间隙 {rot.result.gap:.2e}, "
              f"核查违反 {len(rot.audit)} 项", flush=True)
        plans[solver] = rot
    same = True
    for label, cols, frame in (("交流名单", ["teacher_id", "to_school", "subject"], "exchanges"),
                               ("走教安排", ["teacher_id", "host", "periods"], "zoujiao")):
        a, b = (getattr(plans[s], frame)[cols].reset_index(drop=True) for s in ("highs", "cbc"))
        if a.equals(b):
            print(f"{label}：相同（{len(a)} 行）")
            continue
        same = False
        diff = a.merge(b, how="outer", indicator=True)
        diff = diff[diff["_merge"] != "both"].assign(
            _merge=lambda d: d["_merge"].astype(str).map({"left_only": "仅 HiGHS", "right_only": "仅 CBC"}))
        print(f"{label}：不同\n{diff.to_string(index=False)}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
