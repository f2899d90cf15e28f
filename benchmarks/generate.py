"""Write a seeded synthetic data set for benchmarking staffplan.

    python benchmarks/generate.py {district,city,province} OUT_DIR [--seed N] [--messy]

district ≈ 100 schools / 5,000 teachers; city ≈ 1,000 schools in 10 counties / 100,000 teachers;
province ≈ 20,000 schools in 100 counties / 1,000,000 teachers.  Plain contract layout by default
(long enrollment, contract header names); at city and province scale the roster and the enrollment are
written as CSV because xlsx writing dominates the time.  Prints the time spent building and writing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from staffplan.synth import build_district, write_contract_format

SIZES = {
    "district": dict(n_schools=100, n_teachers=5_000, n_counties=1),
    "city": dict(n_schools=1_000, n_teachers=100_000, n_counties=10),
    "province": dict(n_schools=20_000, n_teachers=1_000_000, n_counties=100),
}
CSV_TABLES = {"district": (), "city": ("教师", "在校生"), "province": ("教师", "在校生", "学校", "出生人口", "对口")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成基准测试用的合成区县数据")
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--messy", action="store_true", help="真实报表样式（宽表在校生、花名册别名表头）")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    frames = build_district(seed=args.seed, years=5, last_year=2025, **SIZES[args.size])
    t1 = time.perf_counter()
    csv_tables = CSV_TABLES[args.size]
    if args.messy:  # the messy enrollment is always the wide workbook
        csv_tables = tuple(t for t in csv_tables if t != "在校生")
    paths = write_contract_format(frames, args.out_dir, messy=args.messy, csv_tables=csv_tables)
    t2 = time.perf_counter()
    print(f"{args.size}: {len(frames['schools']):,} 所学校, {len(frames['teachers']):,} 名教职工, "
          f"{len(frames['enrollment']):,} 行在校生")
    print(f"生成 {t1 - t0:.2f} 秒, 写文件 {t2 - t1:.2f} 秒")
    for p in paths:
        print(f"  {p}  {p.stat().st_size:,} 字节")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
