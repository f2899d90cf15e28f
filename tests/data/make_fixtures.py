"""Builders of small messy input files for the io tests (written into a temp dir with openpyxl).

Usage from tests: ``fx = load_fixtures()`` then ``fx.write_xlsx(path, {"sheet": rows})``.
Run directly (``python tests/data/make_fixtures.py DIR``) to write a complete small data set for a look.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from openpyxl import Workbook

SAMPLES = Path("/work/shared/samples")

SCHOOL_ROWS = [
    ["学校代码", "学校名称", "学段", "镇街", "城乡"],
    ["4415210001", "河东镇中心小学", "小学", "河东镇", "镇区"],
    ["4415210002", "河东镇西村小学", "小学", "河东镇", "乡村"],
    ["4415210003", "河东中学", "初级中学", "河东镇", "镇区"],
]

TEACHER_ROWS = [
    ["教师编号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "职称", "最高学历", "用工类型", "到本校时间"],
    ["T1", "甲", "女", "1985-03-01", "4415210001", "语文", "一级教师", "本科", "在编", "2015-09-01"],
    ["T2", "乙", "男", "1980/5/6", "4415210003", "数学", "高级教师", "硕士", "在编", "2010.09"],
]

ENROLL_LONG = [
    ["学校代码", "学年", "年级", "学生数", "班数"],
    ["4415210001", 2025, "一年级", 86, 2],
    ["4415210001", 2025, "二年级", 80, 2],
    ["4415210003", 2025, "七年级", 198, 4],
]


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               hidden_rows: dict[str, list[int]] | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        for r in (hidden_rows or {}).get(name, []):
            ws.row_dimensions[r].hidden = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def basic_dataset(root: Path, teachers: list[list] | None = None, enrollment: list[list] | None = None,
                  schools: list[list] | None = None) -> Path:
    """学校.xlsx + 在校生.xlsx (long) + 教师.xlsx with optional replacements of the rows."""
    root.mkdir(parents=True, exist_ok=True)
    write_xlsx(root / "学校.xlsx", {"学校": schools or SCHOOL_ROWS})
    write_xlsx(root / "在校生.xlsx", {"在校生": enrollment or ENROLL_LONG})
    write_xlsx(root / "教师.xlsx", {"教师": teachers or TEACHER_ROWS})
    return root


def sample_dataset(root: Path) -> Path:
    """The shared samples (wide enrollment workbook, GBK roster) with a matching 学校 table."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / "在校生宽表示例.xlsx", root / "在校生.xlsx")
    shutil.copy(SAMPLES / "教师花名册示例.csv", root / "2026年教师花名册.csv")
    write_xlsx(root / "学校基本情况.xlsx", {"Sheet1": SCHOOL_ROWS})
    return root


if __name__ == "__main__":
    sample_dataset(Path(sys.argv[1] if len(sys.argv) > 1 else "staffplan-fixture"))
