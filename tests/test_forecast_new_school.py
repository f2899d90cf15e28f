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
    assert "没有计划年学生预测" in notes[2] and "丙小学（X）" in notes[2] and "编制未测算" in notes[2]


def test_new_school_row_with_intake_plan_read_and_projected(tmp_path):
    import shutil

    import openpyxl

    from staffplan.cli import example_path
    from staffplan.forecast.enrollment import project_enrollment
    from staffplan.io.dataset import load_dataset

    data = tmp_path / "区"
    shutil.copytree(example_path(), data)
    wb = openpyxl.load_workbook(data / "学校.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    ws.cell(1, len(header) + 1, "招生计划")
    row = {"学校标识码": "4415219999", "学校名称": "和湖新区小学", "办学类型": "小学", "镇街": "和湖街道", "城乡": "城区"}
    r = ws.max_row + 1
    for j, h in enumerate(header, start=1):
        if h in row:
            ws.cell(r, j, row[h])
    ws.cell(r, len(header) + 1, "90")
    wb.save(data / "学校.xlsx")
    ds = load_dataset(data)
    assert ds.schools.set_index("school_id").loc["4415219999", "intake_plan"] == 90.0
    out = project_enrollment(ds.enrollment, ds.schools, default_config(), ds.plan_year(None))
    new = out[out["school_id"] == "4415219999"]
    # 小学: one intake grade (一年级) takes the whole plan of 90 → ceil(90 / 45) = 2 classes
    assert list(new["grade"]) == [1] and new["students"].iloc[0] == 90.0 and new["classes"].iloc[0] == 2
    assert new["method"].iloc[0] == "新校·招生计划"
