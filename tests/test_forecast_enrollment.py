"""Enrollment projection and classes: hand-computed expectations."""
import time

import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.forecast.classes import class_flags, project_classes
from staffplan.forecast.enrollment import OUT_COLUMNS, baseline_projection, project_enrollment


def _cfg(**over):
    # these tiny districts cannot choose α and β from their own history: take the pure cohort model (α = β = 1)
    # that the hand computations describe, not the defaults for that case
    cfg = default_config().with_overrides({"forecast.blend_alpha_default": 1.0, "forecast.continuing_mix_default": 1.0})
    return cfg.with_overrides({f"forecast.{k}" if "." not in k else k: v for k, v in over.items()}) if over else cfg


def _school(sid, stage="小学", town="A镇"):
    return {"school_id": sid, "school_name": sid, "stage": stage, "town": town}


def _rows(sid, years, grades_values, classes=np.nan):
    """grades_values: {grade: students} (same every year) or callable(year, grade) -> students."""
    rows = []
    for y in years:
        for g, v in (grades_values.items() if isinstance(grades_values, dict) else grades_values(y)):
            if v:
                rows.append({"school_id": sid, "year": y, "grade": g, "students": v, "classes": classes})
    return rows


def _get(out, sid, grade, year=None):
    sel = (out["school_id"] == sid) & (out["grade"] == grade)
    if year is not None:
        sel &= out["year"] == year
    return out[sel].iloc[0]


YEARS = [2020, 2021, 2022, 2023]


def test_constant_enrollment_is_projected_exactly():
    enr = pd.DataFrame(_rows("S1", YEARS, {g: 100 for g in range(1, 7)}))
    out = project_enrollment(enr, pd.DataFrame([_school("S1")]), _cfg(), 2024)
    assert list(out.columns) == OUT_COLUMNS
    assert sorted(out["grade"]) == [1, 2, 3, 4, 5, 6]
    assert np.allclose(out["students"], 100.0)
    assert (out["year"] == 2024).all()
    assert _get(out, "S1", 1)["method"] == "趋势"
    assert _get(out, "S1", 4)["method"] == "升级率"
    assert (out["lo"] <= 100).all() and (out["hi"] >= 100).all()
    assert (out["classes"] == 3).all()          # ceil(100 / 45)


def test_multi_year_horizon_iterates():
    enr = pd.DataFrame(_rows("S1", YEARS, {g: 100 for g in range(1, 7)}))
    out = project_enrollment(enr, pd.DataFrame([_school("S1")]), _cfg(), 2024, horizon=2)
    assert sorted(out["year"].unique()) == [2024, 2025]
    assert np.allclose(out["students"], 100.0)


def test_hand_computed_gpr():
    # grade 1 → grade 2: 100 → 95 every year: GPR 0.95; grade 3 never offered stays empty
    enr = pd.DataFrame(_rows("S1", YEARS, {1: 100, 2: 95}))
    out = project_enrollment(enr, pd.DataFrame([_school("S1")]), _cfg(), 2024)
    assert _get(out, "S1", 2)["students"] == pytest.approx(95.0)
    assert set(out["grade"]) == {1, 2}


def test_shrinkage_moves_small_cohort_toward_district_by_documented_weight():
    big = _rows("BIG", YEARS, {1: 1000, 2: 1000})
    tiny = _rows("TINY", YEARS, {1: 10, 2: 5})
    enr = pd.DataFrame(big + tiny)
    sch = pd.DataFrame([_school("BIG"), _school("TINY")])
    cfg = _cfg(shrink_auto=False, shrink_students=150.0, shrink_school=1e12, recency_decay=1.0)  # school effect off
    out = project_enrollment(enr, sch, cfg, 2024)
    district = (3 * 1000 + 3 * 5) / (3 * 1000 + 3 * 10)     # pooled over 3 transitions
    n = 3 * 10                                               # pupils behind the tiny school's ratio
    w = n / (n + 150)                                        # = 1/6
    gpr = w * 0.5 + (1 - w) * district
    assert _get(out, "TINY", 2)["students"] == pytest.approx(10 * gpr)
    wb = 3000 / (3000 + 150)
    assert _get(out, "BIG", 2)["students"] == pytest.approx(1000 * (wb * 1.0 + (1 - wb) * district))


def test_entry_intake_from_births_share():
    years = YEARS
    enr = pd.DataFrame(_rows("A", years, {1: 60, 2: 60}) + _rows("B", years, {1: 40, 2: 40}))
    sch = pd.DataFrame([_school("A"), _school("B")])
    births = pd.DataFrame({"town": "A镇", "birth_year": [2014, 2015, 2016, 2017, 2018],
                           "births": [200, 200, 200, 200, 300]})
    out = project_enrollment(enr, sch, _cfg(), 2024, births=births)
    # town entry rate 100 / 200 = 0.5; births 2018 = 300 → town intake 150; shares 60 % / 40 %
    assert _get(out, "A", 1)["students"] == pytest.approx(90.0)
    assert _get(out, "B", 1)["students"] == pytest.approx(60.0)
    assert _get(out, "A", 1)["method"] == "出生人口"


def test_entry_intake_from_feeders():
    rows = _rows("P1", YEARS, lambda y: {6: 80 if y == 2023 else 50}.items())
    rows += _rows("P2", YEARS, lambda y: {6: 40 if y == 2023 else 50}.items())
    rows += _rows("M", YEARS, {7: 90, 8: 90, 9: 90})
    sch = pd.DataFrame([_school("P1"), _school("P2"), _school("M", "初中")])
    feeders = pd.DataFrame({"school_id": ["M", "M"], "feeder_id": ["P1", "P2"], "share": [np.nan, np.nan]})
    out = project_enrollment(pd.DataFrame(rows), sch, _cfg(), 2024, feeders=feeders)
    # transition rate 90 / (50 + 50) = 0.9; feeders' grade 6 last year 80 + 40 = 120 → 108
    m7 = _get(out, "M", 7)
    assert m7["students"] == pytest.approx(108.0)
    assert m7["method"] == "对口"


def test_new_school_adds_a_grade_with_district_gpr():
    old = _rows("OLD", YEARS, {g: 100 * 0.9 ** (g - 1) for g in range(1, 7)})   # GPR 0.9 every grade
    new = [{"school_id": "NEW", "year": 2023, "grade": 1, "students": 40, "classes": np.nan}]
    sch = pd.DataFrame([_school("OLD"), _school("NEW")])
    out = project_enrollment(pd.DataFrame(old + new), sch, _cfg(), 2024)
    g2 = _get(out, "NEW", 2)
    assert g2["students"] == pytest.approx(36.0)        # 40 × district GPR 0.9
    assert g2["method"] == "新校"
    assert set(out.loc[out["school_id"] == "NEW", "grade"]) == {1, 2}
    assert _get(out, "NEW", 1)["students"] == pytest.approx(40.0)   # an opening is not district growth


def test_closed_intake_projects_zero_and_cohorts_move_on():
    rows = _rows("S1", YEARS, lambda y: {1: 0 if y == 2023 else 50, 2: 50, 3: 50}.items())
    out = project_enrollment(pd.DataFrame(rows), pd.DataFrame([_school("S1")]), _cfg(), 2024)
    g1 = _get(out, "S1", 1)
    assert g1["students"] == 0 and g1["method"] == "停招" and g1["classes"] == 0
    assert _get(out, "S1", 2)["students"] == 0          # last year's grade 1 was empty
    assert _get(out, "S1", 3)["students"] == pytest.approx(50.0)


def test_closed_school_is_not_projected():
    rows = _rows("GONE", YEARS[:-1], {1: 50, 2: 50}) + _rows("S1", YEARS, {1: 50, 2: 50})
    out = project_enrollment(pd.DataFrame(rows), pd.DataFrame([_school("GONE"), _school("S1")]), _cfg(), 2024)
    assert set(out["school_id"]) == {"S1"}


def test_uses_only_years_before_plan_year():
    rows = _rows("S1", YEARS, {g: 100 for g in range(1, 7)})
    future = _rows("S1", [2024, 2025], {g: 999 for g in range(1, 7)})
    sch = pd.DataFrame([_school("S1")])
    a = project_enrollment(pd.DataFrame(rows), sch, _cfg(), 2024)
    b = project_enrollment(pd.DataFrame(rows + future), sch, _cfg(), 2024)
    pd.testing.assert_frame_equal(a, b)


def test_baseline_is_mean_of_own_ratios_and_last_intake():
    rows = _rows("S1", YEARS, lambda y: {1: 100 + (y - 2020) * 10, 2: {2020: 100, 2021: 90, 2022: 110, 2023: 96}[y]}.items())
    base = baseline_projection(pd.DataFrame(rows), pd.DataFrame([_school("S1")]), 2024)
    # ratios 90/100, 110/110, 96/120 → mean 0.9; grade 2 = 130 × 0.9; grade 1 = last intake 130
    g = base.set_index("grade")["students"]
    assert g[2] == pytest.approx(130 * (0.9 + 1.0 + 0.8) / 3)
    assert g[1] == pytest.approx(130)


# ---------------------------------------------------------------- classes
def test_new_intake_classes_ceil():
    proj = pd.DataFrame({"school_id": ["S"], "year": [2024], "grade": [1], "students": [91.0]})
    out = project_classes(proj, pd.DataFrame(columns=["school_id", "year", "grade", "students", "classes"]), _cfg())
    assert out["classes"].iloc[0] == 3                   # ceil(91 / 45)


def test_continuing_cohort_splits_but_never_merges():
    hist = pd.DataFrame({"school_id": ["S", "T"], "year": [2023, 2023], "grade": [2, 2], "students": [90, 90],
                         "classes": [2.0, 2.0]})
    proj = pd.DataFrame({"school_id": ["S", "T"], "year": [2024, 2024], "grade": [3, 3], "students": [101.0, 60.0]})
    out = project_classes(proj, hist, _cfg()).set_index("school_id")
    assert out.loc["S", "classes"] == 3                  # 101 > 2 × 45 → split into 3
    assert out.loc["T", "classes"] == 2                  # 60 fits in 2 → keeps 2 (no merge)


def test_zero_students_zero_classes_and_flags():
    cfg = default_config().with_overrides({"classes.max_primary": 80})
    proj = pd.DataFrame({"school_id": ["A", "B", "C", "D"], "year": 2024, "grade": 1,
                         "students": [0.0, 60.0, 70.0, 50.0]})
    out = project_classes(proj, None, cfg).set_index("school_id")
    assert out.loc["A", "classes"] == 0 and out.loc["A", "flags"] == ""
    assert out.loc["B", "flags"] == "大班额"           # 60 in one class ≥ 56
    assert out.loc["C", "flags"] == "超大班额"         # 70 ≥ 66
    assert out.loc["D", "flags"] == ""
    f = class_flags(pd.Series([112.0, 132.0]), pd.Series([2, 2]), cfg)
    assert list(f) == ["大班额", "超大班额"]


def test_city_projects_fast():
    rng = np.random.default_rng(0)
    n = 1000
    ids = [f"S{i:04d}" for i in range(n)]
    stage = rng.choice(["小学", "初中", "高中", "十二年一贯制"], n)
    rows = []
    from staffplan.schema import STAGE_GRADES
    base = rng.integers(20, 200, n)
    for i, sid in enumerate(ids):
        for g in STAGE_GRADES[stage[i]]:
            for y in range(2019, 2024):
                rows.append((sid, y, g, int(base[i] * rng.uniform(0.9, 1.1))))
    enr = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students"])
    enr["classes"] = np.nan
    sch = pd.DataFrame({"school_id": ids, "stage": stage, "town": "T"})
    t = time.perf_counter()
    out = project_enrollment(enr, sch, _cfg(), 2024)
    assert time.perf_counter() - t < 5
    assert out["school_id"].nunique() == n


# ---------------------------------------------------------------- new schools (no history)
def _district_for_new():
    # two 小学 in A镇 with 一年级 last year 60 and 100 (median 80); one in B镇 with 一年级 30
    rows = _rows("A1", YEARS, {1: 60, 2: 60}) + _rows("A2", YEARS, {1: 100, 2: 100}) + _rows("B1", YEARS, {1: 30})
    sch = [_school("A1"), _school("A2"), _school("B1", town="B镇")]
    return rows, sch


def test_new_school_from_comparable_schools_same_town():
    rows, sch = _district_for_new()
    sch = pd.DataFrame(sch + [_school("NEW", town="A镇")])
    out = project_enrollment(pd.DataFrame(rows), sch, _cfg(), 2024, horizon=2)
    new = out[out["school_id"] == "NEW"].set_index(["year", "grade"])
    # year 1: only 一年级 opens, median of A镇 一年级 (60, 100) = 80; ±30 % → [56, 104]
    assert list(new.index) == [(2024, 1), (2025, 1), (2025, 2)]
    assert new.loc[(2024, 1), "students"] == pytest.approx(80.0)
    assert new.loc[(2024, 1), "method"] == "新校·同类学校"
    assert (new.loc[(2024, 1), "lo"], new.loc[(2024, 1), "hi"]) == (56.0, 104.0)
    assert new.loc[(2024, 1), "classes"] == 2            # ceil(80 / 45)
    assert new.loc[(2025, 2), "students"] == pytest.approx(80.0)   # the cohort moves up unchanged


def test_new_school_from_plan_capacity_and_town_fallback():
    rows, sch = _district_for_new()
    extra = [dict(_school("PLAN", "九年一贯制", "A镇"), intake_plan=150.0),   # 150 split over 一年级 and 七年级
             dict(_school("CAP", "小学", "C镇"), capacity=1080.0),            # 1080 / 6 grades = 180
             dict(_school("NOTOWN", "小学", "C镇"), locality="乡村")]
    sch = pd.DataFrame([dict(s, locality="城区" if s["town"] == "A镇" else "乡村") for s in sch] + extra)
    out = project_enrollment(pd.DataFrame(rows), sch, _cfg(), 2024)
    g = out.set_index(["school_id", "grade"])
    assert g.loc[("PLAN", 1), "students"] == pytest.approx(75.0) and g.loc[("PLAN", 7), "students"] == pytest.approx(75.0)
    assert g.loc[("PLAN", 1), "method"] == "新校·招生计划"
    assert g.loc[("CAP", 1), "students"] == pytest.approx(180.0) and g.loc[("CAP", 1), "method"] == "新校·设计规模"
    # C镇 has no 小学 → same 城乡 (乡村: B1 with 30) → 30
    assert g.loc[("NOTOWN", 1), "students"] == pytest.approx(30.0)
    assert set(out.loc[out["school_id"] == "CAP", "grade"]) == {1}


def test_single_year_school_takes_intake_plan():
    rows, sch = _district_for_new()
    rows += _rows("ONE", [2023], {1: 40, 2: 38})
    sch = pd.DataFrame(sch + [dict(_school("ONE"), intake_plan=70.0)])
    out = project_enrollment(pd.DataFrame(rows), sch, _cfg(), 2024)
    g1 = _get(out, "ONE", 1)
    assert g1["students"] == pytest.approx(70.0) and g1["method"] == "招生计划"   # not last year's 40
    assert _get(out, "ONE", 2)["method"] == "新校"                               # 40 × district ratio


def test_school_in_its_first_year_grows_a_grade_only_if_it_opened_at_an_intake_grade():
    """Last year was the first year of two schools.  NEWP (小学) opened with grade 1 only: a new school admitting
    its first cohort — next year its grade 1 pupils are in grade 2 (a grade it did not have).  REORG (九年一贯制)
    opened with grades 6 and 7, neither an intake grade (小班, 1, 7, 10): a school reorganised under a new code —
    its grade 7 pupils do not open a grade 8 (New Hampshire 2025: a 5–6 school under a new number was given a grade
    8 of 323 pupils that did not exist)."""
    old = _rows("OLD", YEARS, {g: 50 for g in range(1, 10)})         # a steady school: ratios 1 everywhere
    enr = pd.DataFrame(old + _rows("NEWP", [2023], {1: 40}) + _rows("REORG", [2023], {6: 100, 7: 100}))
    sch = pd.DataFrame([_school("OLD", "九年一贯制"), _school("NEWP"), _school("REORG", "九年一贯制")])
    out = project_enrollment(enr, sch, _cfg(), 2024)
    assert _get(out, "NEWP", 2)["students"] == pytest.approx(40.0)          # 40 × ratio 1
    reorg = out[out["school_id"] == "REORG"].set_index("grade")["students"]
    assert reorg.get(8, 0.0) == 0.0                                         # no grade 8 opened
    assert reorg[7] == pytest.approx(100.0)                                 # grade 6 moves up: 100 × 1
