"""Backtest measures on a tiny panel, computed by hand."""
import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.forecast.backtest import bias, coverage, mape, run_backtest, size_band, wape
from staffplan.schema import Dataset


def _panel():
    rows = []
    for y in (2020, 2021, 2022, 2023):
        for g in range(1, 7):
            v = 80 if (y == 2023 and g == 2) else 100      # the last year differs in one cell
            rows.append({"school_id": "S1", "year": y, "grade": g, "students": v, "classes": 3.0})
    schools = pd.DataFrame([{"school_id": "S1", "school_name": "S1", "stage": "小学", "town": "A"}])
    return Dataset(schools=schools, enrollment=pd.DataFrame(rows), teachers=pd.DataFrame())


def test_measures_by_hand():
    assert mape([110, 90, 5], [100, 100, 0]) == pytest.approx(0.1)       # actual 0 is left out
    assert wape([110, 90, 5], [100, 100, 0]) == pytest.approx(25 / 200)
    assert bias([110, 100], [100, 100]) == pytest.approx(10 / 200)
    assert coverage([0, 0, 5], [10, 10, 6], [5, 11, 6]) == pytest.approx(2 / 3)
    assert list(size_band(pd.Series([50, 200, 1999, 5000]), [200, 500, 1000, 2000])) == \
        ["<200", "200–499", "1000–1999", "≥2000"]


def test_backtest_tiny_panel():
    ds = _panel()
    res = run_backtest(ds, default_config(), years=1, quota=False)
    d = res.detail
    assert res.years == [2023]
    assert len(d) == 6
    # constant history: staffplan and the baseline both predict 100 everywhere
    assert np.allclose(d["predicted"], 100) and np.allclose(d["baseline"], 100)
    comp = res.comparison.set_index("measure")
    assert comp.loc["mape_grade", "staffplan"] == pytest.approx((20 / 80) / 6)
    assert comp.loc["mape_school", "staffplan"] == pytest.approx(20 / 580)
    assert comp.loc["wape_grade", "staffplan"] == pytest.approx(20 / 580)
    assert comp.loc["bias", "staffplan"] == pytest.approx(20 / 580)
    # too few residuals for quantiles → ±15 % default (widen 1.0): [85, 115]
    cov = ((d["actual"] >= d["lo"]) & (d["actual"] <= d["hi"])).mean()
    assert comp.loc["coverage", "staffplan"] == pytest.approx(cov) == pytest.approx(5 / 6)
    assert set(d["lo"]) == {85.0} and set(d["hi"]) == {115.0}
    # classes: 3 each year; projected 100 → kept 3 → exact
    assert res.by_stage.loc[res.by_stage["stage"] == "全部", "mape_classes"].iloc[0] == pytest.approx(0.0)
    s = res.summary()
    assert s["mape_grade_staffplan"] == pytest.approx((20 / 80) / 6) and s["cells"] == 6
    sheets = res.sheets()
    assert {"回测汇总", "按学段", "按规模", "明细"} <= set(sheets)
    assert "实际学生数" in sheets["明细"].columns and "指标" in sheets["回测汇总"].columns


def test_closed_school_counts_as_error_and_new_school_is_left_out():
    ds = _panel()
    extra = []
    for y in (2020, 2021, 2022):                         # closes in 2023
        extra.append({"school_id": "GONE", "year": y, "grade": 1, "students": 10, "classes": np.nan})
    extra.append({"school_id": "NEW", "year": 2023, "grade": 1, "students": 30, "classes": np.nan})
    ds.enrollment = pd.concat([ds.enrollment, pd.DataFrame(extra)], ignore_index=True)
    ds.schools = pd.concat([ds.schools, pd.DataFrame([{"school_id": "GONE", "stage": "小学", "town": "A"},
                                                      {"school_id": "NEW", "stage": "小学", "town": "A"}])])
    res = run_backtest(ds, default_config(), years=1, quota=False)
    d = res.detail
    assert "NEW" not in set(d["school_id"])
    gone = d[d["school_id"] == "GONE"]
    assert len(gone) == 1 and gone["actual"].iloc[0] == 0 and gone["predicted"].iloc[0] > 0
    # WAPE counts the closed school's projected pupils as error
    assert res.summary()["wape_grade_staffplan"] == pytest.approx((20 + gone["predicted"].iloc[0]) / 580)


def test_persistence_baseline_and_schools_counted_once():
    # S1 小学 as in _panel (all 100, 2023 grade 2 = 80); N9 九年一贯制 with grades 1–9 at 50, 2023 grade 8 = 60
    ds = _panel()
    rows = [{"school_id": "N9", "year": y, "grade": g, "students": 60 if (y == 2023 and g == 8) else 50,
             "classes": 1.0} for y in (2020, 2021, 2022, 2023) for g in range(1, 10)]
    ds.enrollment = pd.concat([ds.enrollment, pd.DataFrame(rows)], ignore_index=True)
    ds.schools = pd.concat([ds.schools, pd.DataFrame([{"school_id": "N9", "school_name": "N9", "stage": "九年一贯制",
                                                       "town": "A"}])], ignore_index=True)
    res = run_backtest(ds, default_config(), years=1, quota=False)
    st = res.by_stage.set_index("stage")
    # each school once, by its own 学段: 1 小学 + 1 九年一贯制 = 2 = 全部
    assert st.loc["全部", "schools"] == 2 and st.loc["小学", "schools"] == 1 and st.loc["九年一贯制", "schools"] == 1
    # persistence = last year's totals 600 and 450; actual 580 and 460 → WAPE (20 + 10) / 1040
    comp = res.comparison.set_index("measure")
    assert comp.loc["wape_school", "persistence"] == pytest.approx(30 / 1040)
    assert st.loc["九年一贯制", "wape_school_persistence"] == pytest.approx(10 / 460)
    assert np.isnan(comp.loc["wape_grade", "persistence"])
    assert "学校合计WAPE(维持上年)" in res.sheets()["按规模"].columns


def test_size_band_fixed_per_school_so_counts_add_up():
    # S1 has 600 pupils (band 500–999) in 2021–2022; G grows from 190 to 210 (crosses 200) — with two backtest
    # years (2022, 2023) G would fall in <200 and 200–499; it is kept in <200 (its size before 2022: 2021 → 190)
    ds = _panel()
    rows = [{"school_id": "G", "year": y, "grade": 1, "students": s, "classes": np.nan}
            for y, s in ((2020, 180), (2021, 190), (2022, 210), (2023, 220))]
    ds.enrollment = pd.concat([ds.enrollment, pd.DataFrame(rows)], ignore_index=True)
    ds.schools = pd.concat([ds.schools, pd.DataFrame([{"school_id": "G", "stage": "小学", "town": "A"}])])
    res = run_backtest(ds, default_config(), years=2, quota=False)
    by = res.by_size.set_index("size_band")["schools"]
    assert by["全部"] == 2 and by["<200"] == 1 and by["500–999"] == 1 and "200–499" not in by.index
