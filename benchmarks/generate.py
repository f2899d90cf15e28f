"""Write a seeded synthetic data set for benchmarking staffplan.

    python benchmarks/generate.py SCALE OUT_DIR [--seed N] [--messy]

Scales (issue 18 shapes; ``staffplan/synth.py`` builds them):

| scale | schools | counties | roster |
|---|---|---|---|
| district | 100 | 1 | ≈ 5,000 teachers |
| district-noroster | 100 | 1 | **no teacher rows** (the district's 教师.xlsx holds only its header) |
| county3 | 300 | 3 | ≈ 30,000 teachers |
| county-large | 500 | 1 | ≈ 27,000 teachers (one large county: exchange stays inside it) |
| city | 2,000 | 20 | ≈ 110,000 teachers |
| city-thin | 1,700 | 17 | **one teacher per school** (a roster still being collected: every school short in every subject) |
| city-noroster | 2,000 | 20 | **no teacher rows** (the roster file holds only its header) |
| city-onecounty | 2,000 | 1 (no 区县 column) | ≈ 110,000 teachers: one county of a whole city |
| province | 20,000 | 100 | ≈ 1,000,000 teachers |

Plain contract layout by default (long enrollment, contract header names); from county3 up the roster and the
enrollment are written as CSV because xlsx writing dominates the time.  Prints the time spent building and
writing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from staffplan.synth import build_district, write_contract_format

CITY = dict(n_schools=2_000, n_teachers=110_000, n_counties=20)
SIZES = {
    "district": dict(n_schools=100, n_teachers=5_000, n_counties=1),
    "district-noroster": dict(n_schools=100, n_teachers=5_000, n_counties=1),
    "county3": dict(n_schools=300, n_teachers=30_000, n_counties=3),
    "county-large": dict(n_schools=500, n_teachers=27_000, n_counties=1),
    "city": CITY,
    "city-thin": dict(n_schools=1_700, n_teachers=85_000, n_counties=17),
    "city-noroster": CITY,
    "city-onecounty": CITY,
    "province": dict(n_schools=20_000, n_teachers=1_000_000, n_counties=100),
}
ROSTER = {"city-thin": "thin", "city-noroster": "none", "district-noroster": "none"}          # default: the generated roster as it is
NO_COUNTY = {"city-onecounty"}                                   # written without the 区县 column
BIG_CSV = ("教师", "在校生")
CSV_TABLES = {"district": (), "district-noroster": (), "province": ("教师", "在校生", "学校", "出生人口", "对口")}


def build(scale: str, seed: int) -> dict:
    """The frames of ``scale`` (module doc): the generated district, with the roster thinned or emptied."""
    frames = build_district(seed=seed, years=5, last_year=2025, **SIZES[scale])
    t = frames["teachers"]
    if ROSTER.get(scale) == "thin":           # the first teacher (by id) of every school
        frames["teachers"] = t.sort_values("teacher_id").groupby("school_id", sort=False).head(1).reset_index(drop=True)
    elif ROSTER.get(scale) == "none":
        frames["teachers"] = t.iloc[0:0]
    if scale in NO_COUNTY:                     # the city's schools as one county
        frames["schools"] = frames["schools"].assign(county="")
    return frames


def write(scale: str, out_dir: Path, seed: int = 2026, messy: bool = False) -> tuple[dict, list[Path]]:
    frames = build(scale, seed)
    csv_tables = CSV_TABLES.get(scale, BIG_CSV)
    if messy:  # the messy enrollment is always the wide workbook
        csv_tables = tuple(t for t in csv_tables if t != "在校生")
    return frames, write_contract_format(frames, out_dir, messy=messy, csv_tables=csv_tables)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成基准测试用的合成区县数据")
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--messy", action="store_true", help="真实报表样式（宽表在校生、花名册别名表头）")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    frames, paths = write(args.size, args.out_dir, args.seed, args.messy)
    t1 = time.perf_counter()
    print(f"{args.size}: {len(frames['schools']):,} 所学校, {len(frames['teachers']):,} 名教职工, "
          f"{len(frames['enrollment']):,} 行在校生")
    print(f"生成并写文件 {t1 - t0:.2f} 秒")
    for p in paths:
        print(f"  {p}  {p.stat().st_size:,} 字节")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
