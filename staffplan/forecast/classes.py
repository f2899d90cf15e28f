"""Classes per school × grade from projected students (domain.md §3).

- Maximum class size by grade: 小班/中班/大班 ``classes.max_kg_small/middle/large``, grades 1–6
  ``max_primary``, 7–9 ``max_junior``, 10–12 ``max_senior``.
- Classes are computed from the student count *as shown* (rounded half up to whole pupils): a grade
  shown with 225 pupils at 45 per class gets 5 classes, never 6 from an unrounded 225.18.
- A new intake gets ceil(students ÷ max size) classes: the grades in ``classes.intake_grades`` (default
  小班, 一年级 and 高一 — senior high admits by 中考, so 高一 at a 完全中学 or 十二年一贯制 forms new classes
  instead of continuing 初三's), any other entry grade (七年级 at a 初中) and a grade whose cohort had no
  class count last year.
- A continuing cohort keeps last year's number of classes (the ``classes`` of grade g−1 in year y−1,
  from the enrollment table or, for later projection years, from the projection itself) unless the
  projected students need more: classes = max(kept, ceil(students ÷ max)). Schools split classes,
  they do not merge them mid-stage.
- 0 students → 0 classes.
- Flags: average class size ≥ ``classes.super_large_class`` → 超大班额, ≥ ``classes.large_class`` → 大班额.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..rules.standards import round_quota
from ..schema import ENTRY_GRADES


def max_class_size(grades: pd.Series, config) -> pd.Series:
    """Planning maximum class size per grade (from config [classes])."""
    g = grades.astype(int)
    size = np.select(
        [g == -2, g == -1, g == 0, g.between(1, 6), g.between(7, 9), g >= 10],
        [config["classes.max_kg_small"], config["classes.max_kg_middle"], config["classes.max_kg_large"],
         config["classes.max_primary"], config["classes.max_junior"], config["classes.max_senior"]],
        default=config["classes.max_primary"])
    return pd.Series(size.astype(float), index=grades.index)


def class_flags(students: pd.Series, classes: pd.Series, config) -> pd.Series:
    """大班额 / 超大班额 / "" from the average class size."""
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = np.where(classes > 0, students / classes.where(classes > 0, 1), 0.0)
    flags = np.where(avg >= config["classes.super_large_class"], "超大班额",
                     np.where(avg >= config["classes.large_class"], "大班额", ""))
    return pd.Series(flags, index=students.index, dtype=object)


def project_classes(projection: pd.DataFrame, enrollment: pd.DataFrame, config) -> pd.DataFrame:
    """Add (or overwrite) ``classes`` (int) and ``flags`` on a projection frame.

    ``projection``: school_id, year, grade, students (one or more consecutive years).
    ``enrollment``: past years with a ``classes`` column (NaN where unknown).
    """
    out = projection.copy()
    if out.empty:
        out["classes"] = pd.Series(dtype=int)
        out["flags"] = pd.Series(dtype=object)
        return out
    out["school_id"] = out["school_id"].astype(str)
    shown = pd.Series(round_quota(out["students"].clip(lower=0).to_numpy(float), "half_up"), index=out.index)
    need = np.ceil(shown / max_class_size(out["grade"], config)).astype(int)
    intake = out["grade"].astype(int).isin([int(g) for g in config["classes.intake_grades"]])
    # known classes: history (actual) first; projection years are filled in year order
    known = pd.DataFrame(columns=["school_id", "year", "grade", "classes"])
    if enrollment is not None and len(enrollment) and "classes" in enrollment:
        known = enrollment[["school_id", "year", "grade", "classes"]].dropna(subset=["classes"]).copy()
        known["school_id"] = known["school_id"].astype(str)
    known = known.astype({"year": int, "grade": int, "classes": float})
    result = pd.Series(0, index=out.index, dtype=int)
    for year in sorted(out["year"].unique()):
        cur = out[out["year"] == year]
        prev = known[known["year"] == year - 1].set_index(["school_id", "grade"])["classes"]
        key = pd.MultiIndex.from_arrays([cur["school_id"], cur["grade"].astype(int) - 1])
        kept = pd.Series(prev.reindex(key).to_numpy(), index=cur.index)
        continuing = ~cur["grade"].astype(int).isin(ENTRY_GRADES) | kept.notna()
        kept = kept.where(continuing & ~intake.loc[cur.index])
        cls = np.where(kept.notna(), np.maximum(kept.fillna(0), need.loc[cur.index]), need.loc[cur.index])
        cls = np.where(shown.loc[cur.index] > 0, cls, 0).astype(int)
        result.loc[cur.index] = cls
        known = pd.concat([known[known["year"] != year],
                           pd.DataFrame({"school_id": cur["school_id"], "year": int(year),
                                         "grade": cur["grade"].astype(int), "classes": cls.astype(float)})])
    out["classes"] = result.astype(int)
    out["flags"] = class_flags(out["students"], out["classes"], config)
    return out
