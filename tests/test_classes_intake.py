"""Classes: 高一 is an intake grade at 完全中学 / 十二年一贯制; classes from the rounded student count."""
import numpy as np
import pandas as pd

from staffplan.config import default_config
from staffplan.forecast.classes import project_classes
from staffplan.forecast.enrollment import project_enrollment


def _hist(sid, rows):
    return pd.DataFrame([{"school_id": sid, "year": y, "grade": g, "students": s, "classes": c}
                         for y, g, s, c in rows])


def test_senior_intake_at_complete_middle_school_is_not_continuing_junior_classes():
    # last year 初三 had 437 pupils in 9 classes; 高一 is projected at 279 pupils.
    # Intake rule: ceil(279 / 50) = 6 classes (the continuing rule would have kept 9).
    hist = _hist("M", [(2025, 9, 437, 9.0), (2025, 10, 272, 6.0)])
    proj = pd.DataFrame({"school_id": ["M", "M"], "year": 2026, "grade": [10, 11], "students": [279.0, 260.0]})
    out = project_classes(proj, hist, default_config()).set_index("grade")
    assert out.loc[10, "classes"] == 6          # ceil(279 / 50) = ceil(5.58) = 6
    assert out.loc[11, "classes"] == 6          # continuing: keeps last year's 高一 6 (260 needs ceil(5.2) = 6)


def test_twelve_year_school_senior_intake_and_configurable_intake_grades():
    # 十二年一贯制: 初三 last year 8 classes, 高一 projected 120 → ceil(120 / 50) = 3 classes
    hist = _hist("Z", [(2025, 9, 380, 8.0), (2025, 6, 300, 8.0)])
    proj = pd.DataFrame({"school_id": "Z", "year": 2026, "grade": [10, 7], "students": [120.0, 290.0]})
    out = project_classes(proj, hist, default_config()).set_index("grade")
    assert out.loc[10, "classes"] == 3
    # 七年级 of a 九年一贯制/十二年一贯制 continues 六年级 by default: keeps 8 (290 needs only ceil(5.8) = 6)
    assert out.loc[7, "classes"] == 8
    cfg = default_config().with_overrides({"classes.intake_grades": [-2, 1, 7, 10]})
    out = project_classes(proj, hist, cfg).set_index("grade")
    assert out.loc[7, "classes"] == 6           # as an intake grade: ceil(290 / 50) = 6


def test_classes_from_rounded_students():
    # 225.18 pupils are shown as 225; 225 / 45 = 5 exactly → 5 classes (not ceil(5.004) = 6);
    # 225.5 is shown as 226 (half up) → ceil(226 / 45) = ceil(5.02) = 6
    proj = pd.DataFrame({"school_id": ["A", "B", "C"], "year": 2026, "grade": 1,
                         "students": [225.177993, 225.5, 0.4]})
    out = project_classes(proj, None, default_config()).set_index("school_id")
    assert out.loc["A", "classes"] == 5
    assert out.loc["B", "classes"] == 6
    assert out.loc["C", "classes"] == 0         # shown as 0 pupils → 0 classes


def test_complete_middle_school_projection_gets_intake_classes():
    # 完全中学 with constant history: 初三 450 pupils in 9 classes, 高一 280 in 6 classes, every year.
    rows = []
    for y in (2022, 2023, 2024, 2025):
        for g, s, c in ((7, 450, 9), (8, 450, 9), (9, 450, 9), (10, 280, 6), (11, 280, 6), (12, 280, 6)):
            rows.append({"school_id": "M", "year": y, "grade": g, "students": s, "classes": float(c)})
    sch = pd.DataFrame([{"school_id": "M", "school_name": "M", "stage": "完全中学", "town": "T"}])
    out = project_enrollment(pd.DataFrame(rows), sch, default_config(), 2026).set_index("grade")
    assert np.isclose(out.loc[10, "students"], 280)      # 450 × ratio 280/450
    assert out.loc[10, "classes"] == 6                    # ceil(280 / 50), not 初三's 9
    assert out.loc[9, "classes"] == 9
