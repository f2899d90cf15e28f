"""说明 notes for schools projected without (enough) history: never silently skipped."""
import pandas as pd

from staffplan.config import default_config
from staffplan.forecast.pipeline import projection_notes


def test_projection_notes_new_single_and_missing():
    schools = pd.DataFrame({"school_id": ["A", "N", "S", "X"], "school_name": ["甲小学", "新城小学", "乙小学", "丙小学"]})
    hist = pd.DataFrame({"school_id": ["A", "A", "S"], "year": [2024, 2025, 2025], "grade": 1,
                         "students": [50, 55, 40]})
    now = pd.DataFrame({"school_id": ["A", "N", "S"], "year": 2026, "grade": 1, "students": [55.0, 80.0, 40.0],
                        "lo": [50.0, 56.0, 36.0], "hi": [60.0, 104.0, 44.0],
                        "method": ["趋势", "新校·同类学校", "趋势"]})
    notes = projection_notes(hist, schools, now, default_config())
    assert len(notes) == 3
    assert "1 所新校" in notes[0] and "新城小学（N）" in notes[0] and "±30%" in notes[0]
    assert "只有一年" in notes[1] and "乙小学（S）" in notes[1] and "甲小学" not in notes[1]
    assert "没有计划年学生预测" in notes[2] and "丙小学（X）" in notes[2]
