"""Exports of the national systems (stub; replaced by the national-exports work).

- ``read_statistics(paths, root, schools, issues)``: 教育事业统计 workbooks (教基3112/3115/3118 …) → canonical
  enrollment frame (school_id, year, grade, students, classes, src_file, src_sheet, src_row).
- ``join_parts(parts, issues)``: a roster split over several sheets/files keyed by 身份证件号 → one frame.
"""
from __future__ import annotations

import pandas as pd

from ..errors import Issues


def read_statistics(paths, root, schools: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    raise NotImplementedError


def join_parts(parts: list[pd.DataFrame], issues: Issues) -> pd.DataFrame:
    """Join header-mapped roster parts on id_number (outer); stub keeps the first part."""
    return parts[0]
