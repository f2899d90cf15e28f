"""One-year-ahead accuracy: staffplan's enrollment projection vs classical 3-year cohort survival.

    python benchmarks/accuracy.py PATH_OR_NAME [--years K] [--variants]

PATH_OR_NAME is a folder holding ``enrollment.csv`` (school_id, year, grade, students[, classes]) and
``schools.csv`` (school_id, stage[, town, …]) in canonical columns, ``synthetic`` (the generator below:
openings, closings, schools adding a grade a year, neighbour competition), ``synth`` (the project's
``staffplan.synth.build_district``, 300 schools in one county, with births and 对口 feeders) or
``synth-city`` (the same generator, 1,000 schools in 10 counties).

Prints school-total MAPE, school × grade MAPE and WAPE for both methods and the coverage of the
``forecast.interval_level`` intervals. ``--variants`` also compares model variants (used to tune the
defaults in staffplan.toml [forecast]).

Real panels used while tuning (converted locally, not shipped): NYC DOE demographic snapshots
2013–14 … 2020–21, 1,800+ schools; US grade K…11 mapped to staffplan grades 1…12 (K–5 → 小学 1–6,
6–8 → 初中 7–9, 9–11 → 高中 10–12; grade 12 dropped), 学段 inferred from each school's grade span.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from staffplan.config import default_config
from staffplan.forecast.backtest import coverage, run_backtest, wape
from staffplan.schema import Dataset, STAGE_GRADES


# --------------------------------------------------------------------------------------------------
def load_panel(path: Path) -> Dataset:
    enr = pd.read_csv(path / "enrollment.csv", dtype={"school_id": str})
    sch = pd.read_csv(path / "schools.csv", dtype={"school_id": str, "town": str})
    if "classes" not in enr:
        enr["classes"] = np.nan
    return Dataset(schools=sch, enrollment=enr, teachers=pd.DataFrame())


def synthetic_district(seed: int = 7, n_schools: int = 120, years: int = 7) -> Dataset:
    """A seeded district with realistic disturbances (used when staffplan.synth is not available)."""
    rng = np.random.default_rng(seed)
    first = 2018
    towns = [f"镇{i}" for i in range(8)]
    rows, schools = [], []
    stages = rng.choice(["小学", "初中", "九年一贯制", "高中"], size=n_schools, p=[0.55, 0.2, 0.15, 0.1])
    births_trend = {t: rng.uniform(-0.06, 0.03) for t in towns}
    for i, stage in enumerate(stages):
        sid = f"S{i:04d}"
        town = towns[i % len(towns)]
        grades = STAGE_GRADES[stage]
        size = rng.lognormal(np.log(60), 0.7)                 # pupils per grade
        gpr = {g: rng.normal(0.985, 0.03) for g in grades}
        opened = first + int(rng.integers(1, years - 1)) if rng.random() < 0.06 else first
        closes = first + int(rng.integers(3, years)) if rng.random() < 0.04 else 10 ** 6
        rival = first + int(rng.integers(2, years)) if rng.random() < 0.12 else 10 ** 6
        trend = births_trend[town]
        schools.append({"school_id": sid, "school_name": sid, "stage": stage, "town": town})
        cohort = {}
        for y in range(first, first + years):
            if y < opened or y >= closes:
                continue
            new = {}
            for g in grades:
                if g == grades[0]:
                    base = size * (1 + trend) ** (y - first) * (0.75 if y >= rival else 1.0)
                    new[g] = rng.poisson(max(base, 1)) if y < closes - 1 else 0     # last year: no intake
                elif (g - 1) in cohort:
                    shock = 0.9 if y == rival else 1.0
                    new[g] = rng.binomial(int(cohort[g - 1]), min(gpr[g] * shock, 1.0)) + rng.poisson(
                        max(cohort[g - 1] * max(gpr[g] * shock - 1, 0), 0) + 0.5)
                elif y == first:
                    new[g] = rng.poisson(size)
            cohort = {g: v for g, v in new.items() if v > 0}
            for g, v in cohort.items():
                rows.append({"school_id": sid, "year": y, "grade": g, "students": int(v), "classes": np.nan})
    return Dataset(schools=pd.DataFrame(schools), enrollment=pd.DataFrame(rows), teachers=pd.DataFrame())


def project_synthetic(seed: int = 2026, n_schools: int = 300, years: int = 7, n_counties: int = 1) -> Dataset:
    """The project's seeded district (staffplan.synth), with births and 对口 feeders."""
    from staffplan.synth import build_district  # another part of the project
    d = build_district(seed=seed, n_schools=n_schools, n_teachers=50 * n_schools, years=years,
                       n_counties=n_counties)
    return Dataset(schools=d["schools"], enrollment=d["enrollment"], teachers=pd.DataFrame(),
                   births=d.get("births", pd.DataFrame()), feeders=d.get("feeders", pd.DataFrame()))


def synthetic(name: str = "synthetic") -> Dataset:
    if name == "synth":
        return project_synthetic()
    if name == "synth-city":
        return project_synthetic(n_schools=1000, n_counties=10)
    return synthetic_district()


# --------------------------------------------------------------------------------------------------
VARIANTS = {
    "default": {},
    "mean-of-ratios": {"forecast.gpr_estimator": "mean"},
    "no-recency": {"forecast.recency_decay": 1.0},
    "no-shrink": {"forecast.shrink_students": 0.0, "forecast.shrink_school": 0.0, "forecast.shrink_auto": False},
    "fixed-shrink-150": {"forecast.shrink_auto": False},
    "no-school-effect": {"forecast.shrink_school": 1e12},
    "intake=last": {"forecast.intake_last_weight": 1.0},
    "no-trend": {"forecast.trend_damping": 0.0},
    "cap-0.3-2.5": {"forecast.gpr_min": 0.3, "forecast.gpr_max": 2.5},
    "intake-mean": {"forecast.intake_last_weight": 0.0},
    "trend-full": {"forecast.trend_damping": 1.0},
}


def per_origin(detail: pd.DataFrame) -> pd.DataFrame:
    """Per backtest year: school-total WAPE (staffplan, persistence, cohort survival), school × grade WAPE
    (staffplan, cohort survival), interval coverage overall and per school-size band, and the acceptance
    checks of issue 15."""
    rows = []
    for year, d in detail.groupby("year"):
        tot = d.groupby("school_id")[["actual", "predicted", "baseline", "persistence"]].sum()
        r = {"year": int(year), "schools": len(tot),
             "total_staffplan": wape(tot["predicted"], tot["actual"]),
             "total_persistence": wape(tot["persistence"], tot["actual"]),
             "total_cohort": wape(tot["baseline"], tot["actual"]),
             "grade_staffplan": wape(d["predicted"], d["actual"]), "grade_cohort": wape(d["baseline"], d["actual"]),
             "coverage": coverage(d["lo"], d["hi"], d["actual"])}
        for band, g in d.groupby("size_band"):
            r[f"cov {band}"] = coverage(g["lo"], g["hi"], g["actual"])
        bands = [v for k, v in r.items() if k.startswith("cov ")]
        r["ok"] = (r["total_staffplan"] <= min(r["total_persistence"], r["total_cohort"])
                   and r["grade_staffplan"] <= 0.9 * r["grade_cohort"]
                   and 0.78 <= r["coverage"] <= 0.85 and min(bands) >= 0.75)
        rows.append(r)
    return pd.DataFrame(rows)


def print_per_origin(table: pd.DataFrame) -> None:
    cols = [c for c in table.columns if c not in ("year", "schools", "ok")]
    print("origin  " + "".join(f"{c.replace('total_', 'tot ').replace('grade_', 'g×g '):>13}" for c in cols) + "  ok")
    for _, r in table.iterrows():
        print(f"{int(r['year']):<8}" + "".join(f"{fmt(r[c]):>13}" for c in cols) + f"  {'yes' if r['ok'] else 'NO'}")


def report(ds: Dataset, years: int, config) -> dict:
    t = time.perf_counter()
    res = run_backtest(ds, config, years=years, quota=False)
    s = res.summary()
    s["seconds"] = time.perf_counter() - t
    s["detail"] = res.detail
    return s


def fmt(x) -> str:
    return "   n/a" if x is None else f"{100 * x:6.2f}%"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="folder with enrollment.csv + schools.csv, or 'synthetic' / 'synth' / 'synth-city'")
    ap.add_argument("--years", type=int, default=3, help="backtest years (the last K years)")
    ap.add_argument("--variants", action="store_true", help="also compare model variants")
    args = ap.parse_args(argv)
    ds = synthetic(args.data) if args.data in ("synthetic", "synth", "synth-city") else load_panel(Path(args.data))
    cfg = default_config()
    n_sch = ds.enrollment["school_id"].nunique()
    yrs = sorted(ds.enrollment["year"].unique())
    print(f"data: {args.data}  schools: {n_sch}  years: {yrs[0]}–{yrs[-1]}  backtest years: {args.years}")
    s = report(ds, args.years, cfg)
    print_per_origin(per_origin(s.pop("detail")))
    print(f"{'measure':<22}{'staffplan':>10}{'baseline':>10}")
    for key, zh in (("mape_school", "school-total MAPE"), ("mape_grade", "school×grade MAPE"),
                    ("wape_grade", "school×grade WAPE"), ("bias", "bias")):
        print(f"{zh:<22}{fmt(s[f'{key}_staffplan']):>10}{fmt(s[f'{key}_baseline']):>10}")
    print(f"{'coverage (80% int.)':<22}{fmt(s['coverage_staffplan']):>10}")
    print(f"years tested: {s['years']}  cells: {s['cells']}  time: {s['seconds']:.1f}s")
    if args.variants:
        print(f"\n{'variant':<20}{'school':>9}{'grade':>9}{'wape':>9}{'cover':>9}")
        for name, over in VARIANTS.items():
            v = report(ds, args.years, cfg.with_overrides(over) if over else cfg)
            print(f"{name:<20}{fmt(v['mape_school_staffplan']):>9}{fmt(v['mape_grade_staffplan']):>9}"
                  f"{fmt(v['wape_grade_staffplan']):>9}{fmt(v['coverage_staffplan']):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
