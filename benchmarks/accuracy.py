"""One-year-ahead accuracy: staffplan's enrollment projection vs persistence and classical cohort survival.

    python benchmarks/accuracy.py PATH_OR_NAME [PATH_OR_NAME …] [--years K] [--variants] [--markdown FILE]

PATH_OR_NAME is a folder holding ``enrollment.csv`` (school_id, year, grade, students[, classes]) and
``schools.csv`` (school_id, stage[, town, …]) in canonical columns, ``synthetic`` (the generator below:
openings, closings, schools adding a grade a year, neighbour competition), ``synth`` (the project's
``staffplan.synth.build_district``, 300 schools in one county, with births and 对口 feeders) or
``synth-city`` (the same generator, 1,000 schools in 10 counties).

Prints, per backtest (origin) year: school-total WAPE of staffplan, persistence (next year = this year)
and 3-year cohort survival; school × grade WAPE of staffplan and cohort survival; coverage of the
``forecast.interval_level`` intervals overall and per school-size band (``forecast.size_bands``); and
whether the acceptance of issue 15 holds (school-total WAPE ≤ min(persistence, cohort survival);
school × grade WAPE ≤ 0.9 × cohort survival; coverage 78–85 % overall and ≥ 75 % in every band).
``--markdown FILE`` writes these tables for all panels given (docs/accuracy.md is made this way);
``--variants`` also compares model variants (used to tune the defaults in staffplan.toml [forecast]).

Real panels (converted locally from public repositories, never shipped): US grade K…11 mapped to
staffplan grades 1…12 (K–5 → 小学 1–6, 6–8 → 初中 7–9, 9–11 → 高中 10–12; grade 12 and PreK dropped),
学段 inferred from each school's grade span. See PANELS below and docs/accuracy.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from staffplan.config import default_config
from staffplan.forecast.backtest import coverage, run_backtest, size_band_labels, wape
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
# public real panels used for tuning (folder name → description and source)
PANELS = {
    "vermont": ("Vermont (US), a rural state of small schools: Agency of Education enrollment reports, "
                "Oct 1 counts 2003-04 … 2018-19; median school ≈ 200 pupils",
                "GitHub AlexReutter/VT-Schools (copies of the AoE exports)"),
    "nyc": ("New York City DOE Demographic Snapshot 2013-14 … 2017-18, a big city of 1,800+ schools",
            "GitHub horaceliuHL/Econometrics-Research (copy of the NYC Open Data file)"),
    "baltimore": ("Baltimore City Public Schools enrollment by school and grade 2003 … 2025, "
                  "including the school closures of the 2010s",
                  "GitHub elipousson/bcpss (data/bcpss_enrollment.rda)"),
    "nh": ("New Hampshire (US), a rural state of small schools: Department of Education fall enrollment by "
           "school and grade 2011-12 … 2025-26 (numbered by the fall year); median school ≈ 290 pupils",
           "GitHub almartin82/nhschooldata (inst/extdata/nh_enrollment_schools.rds)"),
    "wyoming": ("Wyoming (US), a rural state of small schools: Department of Education enrollment by school and "
                "grade 1999-2000 … 2006-07 (numbered by the fall year); median school ≈ 170 pupils",
                "GitHub almartin82/wyschooldata (inst/extdata/enr_2000_2007_tidy.rds)"),
    "chicago": ("Chicago Public Schools 20th-day membership by school and grade, fall 2005 … 2018, a big city of "
                "≈ 650 schools a year with the closure of ≈ 50 schools in 2013 (2013 is an origin only with "
                "--years 7) and many charter openings and phase-outs",
                "GitHub AaaChenBao/CPS_Data_Explore (data/enrollment/Demographics_20thDay_*.xls, needs xlrd)"),
    "alabama": ("Alabama (US), the whole state: State Department of Education enrollment by campus and grade, "
                "fall 2020 … 2024 (the COVID rebound; 2022 has two years of history), ≈ 1,400 campuses; the "
                "file has no campus codes (district + campus name), so a split or renamed campus reads as a "
                "closure and an opening",
                "GitHub almartin82/alschooldata (inst/extdata/vignette_enr_data.rds)"),
    "alabama_small": ("Alabama's small systems: the campuses of the districts with fewer than 3,000 pupils in "
                      "2020-21 (rural county and small-town systems), 343 campuses, median ≈ 340 pupils",
                      "GitHub almartin82/alschooldata (as alabama)"),
}

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
    "transition-trend-0.5": {"forecast.transition_damping": 0.5},
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
        for band in size_band_labels(default_config()["forecast.size_bands"]):
            g = d[d["size_band"] == band]
            if len(g):
                r[f"cov {band}"] = coverage(g["lo"], g["hi"], g["actual"])
                r[f"n {band}"] = len(g)
        bands = [v for k, v in r.items() if k.startswith("cov ")]
        r["ok"] = (r["total_staffplan"] <= min(r["total_persistence"], r["total_cohort"])
                   and r["grade_staffplan"] <= 0.9 * r["grade_cohort"]
                   and 0.78 <= r["coverage"] <= 0.85 and min(bands) >= 0.75)
        rows.append(r)
    return pd.DataFrame(rows)


def print_per_origin(table: pd.DataFrame) -> None:
    cols = [c for c in table.columns if c not in ("year", "schools", "ok") and not c.startswith("n ")]
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


def projection_seconds(ds: Dataset, config) -> float:
    """Wall time of one plan-year projection (intervals and blend calibration included) on the whole panel."""
    from staffplan.forecast.enrollment import project_enrollment
    t = time.perf_counter()
    project_enrollment(ds.enrollment, ds.schools, config, int(ds.enrollment["year"].max()) + 1,
                       births=ds.births, feeders=ds.feeders)
    return time.perf_counter() - t


def markdown_section(name: str, ds: Dataset, years: int, table: pd.DataFrame, seconds: float) -> str:
    desc, source = PANELS.get(name, (name, "local folder"))
    yrs = sorted(ds.enrollment["year"].unique())
    lines = [f"### {name}", "", f"{desc}. Source: {source}. {ds.enrollment['school_id'].nunique()} schools, "
             f"years {yrs[0]}–{yrs[-1]}, last {years} years backtested one year ahead. One projection of the "
             f"whole panel takes {seconds:.1f} s.", ""]
    bands = [c for c in table.columns if c.startswith("cov ")]
    head = (["origin", "schools", "total WAPE staffplan", "total WAPE persistence", "total WAPE cohort",
             "grade WAPE staffplan", "grade WAPE cohort", "ratio", "coverage"] + [f"coverage {c[4:]}" for c in bands]
            + ["acceptance"])
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    pct = lambda x: "–" if pd.isna(x) else f"{100 * x:.2f}%"  # noqa: E731
    for _, r in table.iterrows():
        cells = [str(int(r["year"])), str(int(r["schools"])), pct(r["total_staffplan"]), pct(r["total_persistence"]),
                 pct(r["total_cohort"]), pct(r["grade_staffplan"]), pct(r["grade_cohort"]),
                 f"{r['grade_staffplan'] / r['grade_cohort']:.3f}", pct(r["coverage"])]
        cells += [pct(r[c]) for c in bands] + ["met" if r["ok"] else "not met: " + ", ".join(failures(r))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def failures(r) -> list[str]:
    """Which acceptance criteria an origin misses (empty when all are met)."""
    out = []
    if r["total_staffplan"] > r["total_persistence"]:
        out.append("total > persistence")
    if r["total_staffplan"] > r["total_cohort"]:
        out.append("total > cohort")
    if r["grade_staffplan"] > 0.9 * r["grade_cohort"]:
        out.append("grade ratio > 0.9")
    if not 0.78 <= r["coverage"] <= 0.85:
        out.append("coverage outside 78–85 %")
    low = [f"{c[4:]} ({int(r['n ' + c[4:]])} cells)" for c in r.index
           if c.startswith("cov ") and not pd.isna(r[c]) and r[c] < 0.75]
    if low:
        out.append("coverage < 75 % in " + "、".join(low))
    return out


def subsample(ds: Dataset, n: int, seed: int) -> Dataset:
    """``n`` schools of the panel drawn at random (``seed``): a district of that size with the panel's history."""
    ids = np.array(sorted(ds.enrollment["school_id"].astype(str).unique()))
    pick = set(np.random.default_rng(seed).choice(ids, size=min(n, len(ids)), replace=False))
    enr = ds.enrollment[ds.enrollment["school_id"].astype(str).isin(pick)]
    return Dataset(schools=ds.schools[ds.schools["school_id"].astype(str).isin(pick)], enrollment=enr,
                   teachers=ds.teachers)


def short_history_rows(name: str, ds: Dataset, history: int, config, step: int = 5) -> list[dict]:
    """The panel cut to windows of ``history`` years (starting at its first year, then every ``step`` years) and
    the year after: one origin each, projected from those few years only — how the forecast does for a district
    with two or three years of records (no calibration origin with ratios before it)."""
    yrs = sorted(int(y) for y in ds.enrollment["year"].unique())
    rows = []
    for start in range(yrs[0], yrs[-1] - history + 1, step):
        keep = ds.enrollment["year"].between(start, start + history)
        if ds.enrollment.loc[keep, "year"].nunique() < history + 1:
            continue
        enr = ds.enrollment[keep]
        cut = Dataset(schools=ds.schools[ds.schools["school_id"].isin(enr["school_id"])], enrollment=enr,
                      teachers=ds.teachers)
        r = per_origin(report(cut, 1, config)["detail"]).iloc[0].to_dict()
        rows.append({"panel": name, "history": f"{start}–{start + history - 1}", **r})
    return rows


def short_history_markdown(rows: list[dict]) -> str:
    pct = lambda x: f"{100 * x:.2f}%"  # noqa: E731
    head = ["panel", "history", "origin", "total staffplan", "persistence", "cohort", "grade ratio", "coverage",
            "acceptance"]
    lines = ["## Short histories", "",
             "Each panel cut to two or three years of history (windows starting at its first year, then every five "
             "years) and projected one year ahead (`--short-history 2,3`). With two years there is no calibration "
             "origin with ratios before it: α and β take `blend_alpha_default` / `continuing_mix_default` and the "
             "first year's residuals are narrowed by `first_origin_interval_scale`.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        bad = failures(pd.Series(r))
        lines.append("| " + " | ".join([r["panel"], r["history"], str(int(r["year"])), pct(r["total_staffplan"]),
                                        pct(r["total_persistence"]), pct(r["total_cohort"]),
                                        f"{r['grade_staffplan'] / r['grade_cohort']:.3f}", pct(r["coverage"]),
                                        "met" if not bad else "not met: " + ", ".join(bad)]) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+", help="folders with enrollment.csv + schools.csv, or 'synthetic' / 'synth' / "
                                            "'synth-city'")
    ap.add_argument("--years", type=int, default=3, help="backtest years (the last K years)")
    ap.add_argument("--variants", action="store_true", help="also compare model variants")
    ap.add_argument("--markdown", type=Path, help="write the per-origin tables of all panels to this Markdown file")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a setting, e.g. --set forecast.calibration_years=5 (TOML value)")
    ap.add_argument("--subsample", type=int, default=0, metavar="N",
                    help="replace each panel by 3 random subsets of N schools (seeds 0, 1, 2): a small district")
    ap.add_argument("--short-history", default="", metavar="H[,H]",
                    help="also cut each panel to H years of history (e.g. 2,3) and project the year after")
    args = ap.parse_args(argv)
    cfg = default_config()
    if args.set:
        import tomllib
        cfg = cfg.with_overrides({k: tomllib.loads(f"v = {v}")["v"] for k, v in (a.split("=", 1) for a in args.set)})
    sections, short = [], []
    runs = []
    for data in args.data:
        ds = synthetic(data) if data in ("synthetic", "synth", "synth-city") else load_panel(Path(data))
        if args.subsample:
            runs += [(f"{Path(data).name}_s{k}", subsample(ds, args.subsample, k)) for k in range(3)]
        else:
            runs.append((data, ds))
    for data, ds in runs:
        n_sch = ds.enrollment["school_id"].nunique()
        yrs = sorted(ds.enrollment["year"].unique())
        print(f"data: {data}  schools: {n_sch}  years: {yrs[0]}–{yrs[-1]}  backtest years: {args.years}")
        s = report(ds, args.years, cfg)
        table = per_origin(s.pop("detail"))
        print_per_origin(table)
        sections.append(markdown_section(Path(data).name, ds, args.years, table, projection_seconds(ds, cfg)))
        print(f"{'measure':<22}{'staffplan':>10}{'baseline':>10}")
        for key, zh in (("mape_school", "school-total MAPE"), ("mape_grade", "school×grade MAPE"),
                        ("wape_grade", "school×grade WAPE"), ("bias", "bias")):
            print(f"{zh:<22}{fmt(s[f'{key}_staffplan']):>10}{fmt(s[f'{key}_baseline']):>10}")
        print(f"{'coverage (80% int.)':<22}{fmt(s['coverage_staffplan']):>10}")
        print(f"years tested: {s['years']}  cells: {s['cells']}  time: {s['seconds']:.1f}s\n")
        for h in (int(x) for x in args.short_history.split(",") if x.strip()):
            for r in short_history_rows(Path(data).name, ds, h, cfg):
                short.append(r)
                bad = failures(pd.Series(r))
                print(f"short history {r['history']} → {r['year']}: total {fmt(r['total_staffplan'])} persistence "
                      f"{fmt(r['total_persistence'])} ratio {r['grade_staffplan'] / r['grade_cohort']:.3f} coverage "
                      f"{fmt(r['coverage'])}  {'ok' if not bad else '; '.join(bad)}")
        if args.variants:
            print(f"\n{'variant':<20}{'school':>9}{'grade':>9}{'wape':>9}{'cover':>9}")
            for name, over in VARIANTS.items():
                v = report(ds, args.years, cfg.with_overrides(over) if over else cfg)
                print(f"{name:<20}{fmt(v['mape_school_staffplan']):>9}{fmt(v['mape_grade_staffplan']):>9}"
                      f"{fmt(v['wape_grade_staffplan']):>9}{fmt(v['coverage_staffplan']):>9}")
    if args.markdown:
        text = MARKDOWN_HEAD + "\n".join(sections) + ("\n" + short_history_markdown(short) if short else "")
        args.markdown.write_text(text + MARKDOWN_TAIL, encoding="utf-8")
    return 0


MARKDOWN_HEAD = """# Forecast accuracy on real panels

Made by `python benchmarks/accuracy.py /work/panels/{vermont,nyc,baltimore,nh,wyoming,chicago,alabama,alabama_small}
--short-history 2,3 --markdown docs/accuracy.md` (default settings; Chicago, Alabama and Alabama's small systems added
on 2026-12-02 as panels the defaults were not chosen on: they were fixed before these three were fetched). The panels are public school × grade enrollment
series converted locally by `benchmarks/real_panels.py`; they are **not shipped**. US grade K…11 is mapped to
staffplan grades 1…12 (K–5 → 小学, 6–8 → 初中, 9–11 → 高中; grade 12 and PreK dropped), 学段 from each school's grade
span, no births or feeder tables (intake by trend).

Each origin year y is projected one year ahead from the years before y only, exactly as `staffplan backtest`
does. Columns: school-total WAPE = Σ|predicted − actual| / Σ actual over school totals, for staffplan,
persistence (next year = this year) and classical 3-year cohort survival (own mean ratios, intake = last year);
grade WAPE over school × grade cells; ratio = staffplan ÷ cohort survival at grade level; coverage of the 80 %
intervals over all cells and per school-size band (last year's total). Acceptance (issue 15): total WAPE ≤
min(persistence, cohort), grade ratio ≤ 0.9, coverage 78–85 % overall and ≥ 75 % in every band. A band of a few
cells (New Hampshire's one school of 2,000+ pupils: 3 cells) cannot measure 75 %: the cell count is given.

"""

MARKDOWN_TAIL = """
## What the method does (staffplan/forecast/enrollment.py)

- **Cohort model** for each school × grade (pooled, recency-weighted grade-progression ratios shrunk toward the
  district by empirical Bayes; intake by trend, births or feeders).
- **Intake of higher entry grades** (a middle school's grade 7, a high school's grade 10): the school's level
  × the district's transition ratio of last year (`transition_damping` 0). With the damped slope used before
  (0.5) the school × grade error was worse in 11 of the 15 origins (New Hampshire 2025 grade ratio 0.912 →
  0.917, Wyoming 2006 grade WAPE 10.56 % → 10.77 %, Baltimore 2023 school totals 6.59 % → 6.71 %), equal in 2
  and better by at most 0.02 points in 2.
- **Continuing grades: cohort flow or the grade's own size** (`continuing_mix`). A continuing grade that had pupils
  last year becomes β · (grade below last year × ratio) + (1 − β) · (the same grade last year); β per size band ×
  学段 × grade (fallbacks: band × grade, 学段 × grade, grade, district) is the one with the least absolute error over
  the calibration origins. Where grade sizes are held by admission (NYC and Baltimore high schools) β is 0.5–0.8;
  in Vermont's small schools 0.9–1.
- **Recruiting grades** (`recruit_ratio` 1.3): a grade that last year held more than 1.3 × its cohort (the grade
  below two years before), by more than chance (2·√cohort) — a middle school's grade 7 beside a small grade 6, a
  high school taking transfers — gets a β of its own (NYC 0–0.15, Baltimore 0.6, New Hampshire 0.75: in the city such a grade's
  size is last year's size, set by admission, not by the cohort). When its grade below was empty last year it is an intake grade (趋势), not a cohort that has left:
  NYC's transfer high schools (3,500 pupils in the 10th grade beside an empty 9th) were projected at 0 (停招).
  A grade that only carries its cohort (phase-out, e.g. New Hampshire's school that gave its kindergarten to
  another building in 2024) still follows the 停招 rule: from enrollment alone the two cannot be told apart.
- **School totals: cohort model or persistence, chosen by the district's own history.** The projection is re-run
  from the last `calibration_years` origins; per school-size band × 学段 the weight α of the cohort total against
  last year's total (persistence) is chosen *minimax against persistence*: the α whose worst origin has the lowest
  ratio of school-total error to that of persistence, among those that keep the school × grade error within
  `blend_grade_tolerance` (1 %) of the cohort model. A band × 学段 group needs `blend_min_schools` = 180
  school-years (≈ 45 schools over 4 origins), else it takes the α of its 学段, band or district: with 30, the α of
  small groups followed chance years and New Hampshire 2025 and Wyoming 2004 lost to persistence. The change
  of total is shared among the school's grades by their measured error variance (mostly the intake grade).
- **Two years of history** (a district with only last year's and this year's records): the one calibration
  origin there has no ratios before it, so it chooses neither α nor β — they take `blend_alpha_default` (0.85),
  `continuing_mix_default` (0.8) and, for recruiting grades, `recruit_mix_default` (0.2: their size is set by
  admission; the β the panels choose for them with longer histories is NYC 0–0.05, Wyoming 0.05, Baltimore
  0.4–0.6, New Hampshire 0.45–0.75) — and its residuals (cohorts carried at ratio 1, a cruder model than the one
  being calibrated) are multiplied by `first_origin_interval_scale` (0.85). Chosen on the five panels cut to two
  years (section "Short histories"): with the general β for recruiting grades and α 0.75 NYC 2015 had a grade
  ratio of 0.929; with their own prior and α 0.85, 0.896, and 7 of the 14 two-year windows meet the acceptance
  instead of 3 (a β below 0.8 for the other grades made grade errors worse on every panel). The same α applies
  where a district has too few school-years to choose its own (`blend_min_schools`), e.g. 100 schools with three
  years of history: on 3 random 100-school subsets of each panel (`--subsample 100 --short-history 3`, 36
  windows) school totals lose to persistence in 8 windows with α = 0.85 (6 with 0.75, 13 with α = 1, the earlier
  fallback), the mean school-total WAPE is 7.24 % (7.19 %, 7.37 %), and 8 windows meet the acceptance (7 with 0.75).
- **Entry grades: the mean over the years the grade was offered.** The intake level of an entry grade is
  `intake_last_weight` × last year + the rest × the mean of the last k years *in which the grade had pupils*: a
  school that began to offer a grade last year (New Hampshire middle schools taking grade 6 in 2024: 234 and
  228 pupils) was projected at ≈ 172 because the years before it offered the grade counted as 0. The grade ratio
  fell in 9 of the 15 origins and rose in none. A learned β of 0 for recruiting grades (NYC 2017) is now used as a
  weight; it was read as "no group" before.
- **Small groups pool their interval bounds** (`interval_pool_below` 200, with three calibration origins or more):
  a size band × 学段 × grade-type group of fewer than 200 residuals (a few large schools) keeps the wider of its own
  quantiles and its parent group's (band, then district). New Hampshire 2023's schools of 1,000–1,999 pupils: 36
  cells, 61 % covered before, 75 % now; the other bands and origins move by at most a few points, and the
  short-history windows (one or two origins: every group is small) are not pooled (pooled they were covered
  85–90 %).
- **Intervals: split conformal per size band × 学段 × grade type**, residuals scaled by √(pred + c·pred²),
  integer rounding built into the calibration, and an adaptive step that checks the older origins' quantiles on
  the latest origin, overall and per size band: a band with `interval_adapt_min_cells` (100) cells in that origin
  gets its own level, smaller bands move with the overall level (with 30 cells, as before, a band's coverage has
  a sampling error of ±7 points and half of it moved the level: Baltimore's <200 band swung 91 % / 71 % / 87 %,
  now 84 % / 77 % / 87 %).
- **Closures paid from the lower tail.** Cells of schools that closed in a calibration year (no pupils at all
  the next year) are left out of the residual quantiles; with π their share of a band's cells, the open cells
  may miss a_lo = max(10 % − π, 0)/(1 − π) below and 10 %/(1 − π) above, so that 80 % hold with closures at
  that rate. A wave of closures in one calibration year (the hidden city panel has one) then lowers the next
  lower bounds by its average share instead of setting the whole band's quantiles and the adaptive step by
  its own tail; the upper bounds are not widened for it. c is chosen on the
  calibration origins so that cells of every size are covered alike: with √pred alone (c = 0) grades of 400+
  pupils were covered 53–79 % (10-pupil grades 80–89 %); now c = 0.005 (NYC) … 0.2 (Baltimore) and large
  cells hold 71–91 %.

## The Vermont panel: renamed schools matched

Vermont keys schools by name, and in 2017–18 dozens of union schools were renamed (e.g. "Champlain Valley UHSD #15
(School)" → "Champlain Valley Union High School"). Unmatched, a renamed school is a closure (actual 0, the whole
projection counts as error, for every method) plus a new school, which made the 2017 errors of all three methods
four times those of other years. The converter (`benchmarks/real_panels.py`) maps a school whose last year is
y − 1 to one whose first year is y when they are in the same supervisory district or their names start with the
same word, teach the same grade span (overlap ≥ 60 %) and their totals differ by less than 25 % (best name
similarity first); splits and merges — same first name word, else same supervisory district — whose summed totals
differ by less than 15 % are joined into one school (e.g. Castleton Hubbardton → Castleton Elementary + Castleton
Village; in 2018 Bellows Free Academy K–8 + 9–12 → BFA K–6 + 7–12 in Fairfax, Leicester + Whiting Sudbury → Otter
Creek Academy). Joins are chained over the years (Sudbury + Whiting → Whiting Sudbury in 2017 → Otter Creek in
2018 stay one school). 317 schools remain (363 before any matching, 324 in the previous round: the 2018 joins
moved Vermont 2018 from 5.98 % to 4.66 % school-total WAPE and from 77.4 % to 78.3 % coverage). South Royalton +
Whitcomb → White River Valley (new district) and Chelsea (high school closed) stay closures + openings.

## Before this change

Commit 9dee5c4 (before this round), same panels and origins (Vermont: the panel with the 2018 joins; on the
previous panel 9dee5c4 had 6.06 % / 10.17 % / 0.913 / 76.54 % in 2018), default settings. Total = school-total
WAPE (persistence beside it), grade = school × grade WAPE, ratio to cohort survival, coverage overall and in the
lowest band. Bold: acceptance missed (besides bands of a few cells).

| panel | origin | total | persistence | grade | ratio | coverage | lowest band |
|---|---|---|---|---|---|---|---|
| vermont | 2016 | 3.84% | 4.13% | 7.80% | 0.859 | 81.15% | 80.97% (<200) |
| vermont | 2017 | 4.30% | 4.52% | 7.74% | 0.881 | 79.23% | 78.14% (200–499) |
| vermont | 2018 | 4.74% | 4.92% | 8.83% | **0.903** | **77.65%** | 77.12% (<200) |
| nyc | 2015 | 5.05% | 6.15% | 8.48% | **0.938** | 82.90% | 77.33% (≥2000) |
| nyc | 2016 | 4.62% | 5.74% | 7.70% | **0.914** | 80.86% | 80.31% (<200) |
| nyc | 2017 | 4.78% | 5.72% | 8.05% | 0.886 | 79.95% | 77.48% (<200) |
| baltimore | 2023 | 6.66% | 6.78% | 10.82% | 0.865 | 83.33% | 77.78% (1000–1999) |
| baltimore | 2024 | 6.69% | 6.90% | 9.96% | 0.873 | 79.52% | **72.16%** (<200) |
| baltimore | 2025 | 5.49% | 5.53% | 9.44% | 0.836 | 82.25% | 75.00% (1000–1999) |
| nh | 2023 | 4.36% | 4.70% | 7.34% | 0.878 | 81.27% | 33.33% (≥2000, 3 cells) |
| nh | 2024 | 7.19% | 7.42% | 10.70% | 0.889 | 79.38% | 66.67% (≥2000, 3 cells) |
| nh | 2025 | **4.74%** | 4.60% | 8.09% | **0.925** | 81.46% | 66.67% (≥2000, 3 cells) |
| wyoming | 2004 | **6.34%** | 6.02% | 11.20% | 0.369 | 78.49% | 63.64% (1000–1999, 11 cells) |
| wyoming | 2005 | 6.65% | 6.95% | 11.43% | 0.409 | 78.11% | 45.45% (1000–1999, 11 cells) |
| wyoming | 2006 | 6.30% | 6.55% | 10.76% | 0.884 | 80.36% | 79.32% (<200) |

Earlier rounds: at 75f6421 (before issue 15) Vermont's school-total WAPE was 4.41 % / 16.51 % / 11.15 % (renames
not yet matched), NYC's 5.05 % / 4.87 % / 4.93 %, Baltimore's 7.50 % / 7.07 % / 6.16 %, and the lowest band
coverage 63–68 % on NYC.

## Known limits

- NYC 2015 has two years of history only: no calibration origin has ratios before it, so α and β take their
  defaults (0.85, 0.8, recruiting grades 0.2); the grade ratio there is 0.896 (0.929 with the earlier defaults).
- Two years of history (section "Short histories", 14 windows): school totals lose to persistence in none (3
  with the earlier defaults), the grade ratio is above 0.9 in 2 (Baltimore 2013–2014 0.901, New Hampshire
  2016–2017 0.902) and coverage is inside 78–85 % in 11 (Baltimore 2008–2009 / 2013–2014 too narrow, 76.6 % /
  73.3 %; Wyoming 1999–2000 too wide, 86.4 %): the small rural schools and the city's schools need different
  scales, which one year of residuals cannot tell apart.
- New Hampshire 2025: several schools first seen in 2024 (IDs 29267–29274) look like existing schools under new
  numbers. A school in its first year grows into its next grade only when it opened at an intake grade (小班, 1,
  7, 10); 29268 opened with grades 6–7 (US 5–6) and had been projected a grade 8 of 323 pupils that did not
  open, the blend with persistence then cutting its grade 6 from 329 to 209 (actual 310). With the rule the grade
  ratio is 0.897 (0.907 before). Its ≥2000 band has 3 cells (one school): coverage 2 of 3.
- Vermont 2018 meets the criteria only just (ratio 0.895, coverage 78.2 %): the unmatched restructurings above
  add the same error to every method.
- Small size bands have a sampling error of 4–15 points on their coverage: Baltimore's 15–19 schools under 200
  (~100 cells; in 2024 two of them closed: 12 cells with actual 0, more than the 10 % an 80 % interval may miss
  below — the band holds 77 %), New Hampshire's 11 schools of 1,000–1,999 (36 cells: 61 % in 2023) and its one
  school of 2,000+ (3 cells), Wyoming's 2–3 schools of 1,000+ (11 cells: 64 % in 2005).
- Longer series: Baltimore with 14 origins (`--years 14`, 2012–2025: the closures of the 2010s and the COVID
  years) — school totals below persistence in all 14 and below cohort survival in 13 (2015: 11.38 % vs 11.23 %),
  grade ratio 0.83–0.92, coverage 78–85 % in 9 (2012 85.2 %, 2015 77.6 %, 2019 72.8 %, 2021 87.7 %, 2022 74.7 %:
  the error spread changes from year to year, which a calibration on earlier years cannot foresee). At 9dee5c4
  6 of the 14 origins met all criteria, now 8 (2014 misses the grade ratio by 0.002).
- The project's synthetic county (`synth`: births and 对口 feeders, not a tuning panel): school-total WAPE
  2023 / 2024 / 2025 1.95 % / 1.98 % / 2.01 % (9dee5c4: 2.20 % / 2.03 % / 2.00 %; persistence 3.2–3.4 %), grade
  WAPE 3.34 % / 3.46 % / 3.58 % (3.52 % / 3.49 % / 3.57 %); its 200–499 band covers 74.3 % in 2024 (75.1 %
  before; 265 cells, sampling error ±2.5 points).
- The cohort-survival baseline is the classical one (mean of own yearly ratios, uncapped). On Wyoming 2004–2005 a
  school whose 9th grade held 3 pupils gives it a ratio of 133 (grade WAPE 28–30 %); with its ratios capped at
  `gpr_max` it would be 13.1 % / 13.5 % / 11.6 % and staffplan's ratio 0.84 / 0.82 / 0.93.
- Panels the defaults were not chosen on (added 2026-12-02; 3 of their 9 default origins meet every criterion):
  - **Chicago** (≈ 650 schools a year, falling 2.4–2.8 % a year in 2016–2018): school totals beat persistence and
    cohort survival in every origin, but the grade ratio is 0.908 (2017) and 0.916 (2018). The continuing grades
    come out 1–2 % high (cohort survival 0.2–1.7 %) and kindergarten 3–4 % high: the blend with last year's
    total (α 0.6–0.75 for K–8 schools of 500–999 pupils) pulls a shrinking city back up, and the change goes
    mostly to the entry grade. Measured and not adopted, because each fails more origins elsewhere than it mends:
    `blend_grade_tolerance` 0 (0.897 / 0.906; Baltimore 2023 coverage 85.1 %, New Hampshire 2023's 1,000–1,999
    band fail), a blend toward last year's total scaled by the cohort model's own growth of the 学段 (0.901 /
    0.911; 11 of 24 origins met instead of 15), the blend made cell by cell (each grade α·cohort + (1 − α)·its size
    last year, instead of the change going mostly to the entry grade: 0.906 / 0.913, 11 of 24),
    `blend_persistence = false` (0.893 / 0.902; Alabama totals worse); other rules for choosing α from the same
    calibration origins (2026-12-02): the least mean ratio to persistence among the α whose worst origin is at
    most 1 × persistence (0.904 / 0.906; 13 of 24 met) or 0.97 × (0.906 / 0.909; 15 of 24, Chicago still short),
    and minimax of the ratio to the better of persistence and the cohort model (0.897 / 0.904; 12 of 24:
    Baltimore's totals fall behind persistence in all three origins).
    With `--years 7` the origins 2012, 2014, 2015 and 2016 meet everything; 2013, the year of the ≈ 50 closures,
    covers 69.8 %: the closed schools carry 30 % of the grade error and the 83 schools that took their pupils
    21 % (70 % of their cells above the interval) — history cannot foresee a closure decision; the other schools
    are 82 % covered.
  - **Alabama** (whole state, fall 2020–2024, campuses keyed by name): 2022 has two years of history (the COVID
    rebound) and α takes its default 0.85: total 5.70 % against persistence 5.59 % (α 0.5 would give 5.50 %).
    The ≥ 2,000 band is 3 campuses, two of them statewide virtual schools growing 31–45 % a year (44–63 %
    covered); the 2022 1,000–1,999 band holds five county K–12 schools split into an elementary and a high
    school (read as closures and openings). A per-school interval multiplier from each school's own past
    volatility (tried at exponents 0.5 and 1) mended those bands in part but raised overall coverage by 1–5
    points on every panel (NYC 2015 78.2 → 83.3 %), the wrong way for the rural panels, so it was not adopted.
  - **Alabama's small systems** (343 campuses): 2022 meets everything; 2023 covers 85.2 % (just above 85 %) and
    its 1,000–1,999 band (19 cells, a virtual charter school) 63 % / 37 % in 2023 / 2024.
"""


if __name__ == "__main__":
    sys.exit(main())
