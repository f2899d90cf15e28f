"""Regenerate the bundled example district ``examples/示例区/`` (deterministic, messy bureau layout).

    python examples/generate_example.py [OUT_DIR]

About 50 schools and 2,500 teachers, enrollment 2021–2025 (plan year 2026).  Running it twice gives
byte-identical files.
"""
from __future__ import annotations

import sys
from pathlib import Path

from staffplan.synth import build_district, write_contract_format

sys.path.insert(0, str(Path(__file__).resolve().parent))

SEED = 2026
HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else HERE / "示例区"
    frames = build_district(seed=SEED, n_schools=50, n_teachers=2500, n_counties=1, years=5, last_year=2025)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.xlsx"):
        old.unlink()
    for old in out.glob("*.csv"):
        old.unlink()
    paths = write_contract_format(frames, out, messy=True)
    if not argv:  # the same district as the national systems export it (teacher-system roster, 教基 workbooks)
        import shutil

        from national_format import write_national_format

        national = HERE / "示例区-国家系统格式"
        shutil.rmtree(national, ignore_errors=True)
        info = write_national_format(frames, national, seed=SEED)
        print(f"国家系统格式：{national.relative_to(HERE.parent)}（幼儿园无统计表，未写在校生：{len(info['skipped'])} 项）")
    e = frames["enrollment"]
    last = e[e["year"] == e["year"].max()]
    print(f"示例区：{len(frames['schools'])} 所学校，{len(frames['teachers'])} 名教职工，"
          f"{int(last['students'].sum())} 名在校生（{int(e['year'].max())} 学年）")
    for p in paths:
        print(f"  {p.relative_to(out.parent) if p.is_relative_to(out.parent) else p}  {p.stat().st_size:,} 字节")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
