"""编制 standards (domain.md §2), hand-computed."""
import numpy as np
import pandas as pd

from staffplan.config import default_config
from staffplan.rules.standards import compute_quota, round_quota


def _schools(rows):
    return pd.DataFrame(rows, columns=["school_id", "school_name", "stage", "locality", "boarders"])


def _students(school, grades, per_grade, classes):
    return pd.DataFrame({"school_id": school, "grade": list(grades), "students": per_grade, "classes": classes})


def _school_row(q, sid):
    return q[(q["school_id"] == sid) & (q["stage"] == "全校")].iloc[0]


def test_primary_760_is_40():
    sch = _schools([("A", "甲小学", "小学", "城区", 0)])
    st = pd.DataFrame({"school_id": "A", "grade": range(1, 7), "students": [130, 130, 125, 125, 125, 125],
                       "classes": 3})
    q = compute_quota(sch, st, default_config())
    row = _school_row(q, "A")
    assert row["students"] == 760 and row["quota_raw"] == 40.0 and row["quota"] == 40   # 760 / 19
    assert "760 人 ÷ 19" in row["basis"]
    assert len(q) == 1                                                                # single stage: no stage rows


def test_nine_year_school_adds_stages():
    sch = _schools([("B", "乙学校", "九年一贯制", "镇区", 0)])
    st = pd.concat([_students("B", range(1, 7), [60, 60, 60, 70, 65, 65], 2),
                    _students("B", range(7, 10), 90, 2)])
    q = compute_quota(sch, st, default_config())
    assert q["stage"].tolist() == ["全校", "小学", "初中"]                              # school row, then stages
    prim = q[q["stage"] == "小学"].iloc[0]
    jun = q[q["stage"] == "初中"].iloc[0]
    assert prim["students"] == 380 and prim["quota_raw"] == 20.0                       # 380 / 19
    assert jun["students"] == 270 and jun["quota_raw"] == 20.0                         # 270 / 13.5
    assert pd.isna(prim["quota"])                                                     # rounded only on school row
    assert _school_row(q, "B")["quota"] == 40


def test_rural_small_school_floor():
    sch = _schools([("C", "丙村小", "小学", "乡村", 0), ("D", "丁城小", "小学", "城区", 0)])
    st = pd.concat([_students("C", range(1, 7), 18, 1), _students("D", range(1, 7), 18, 1)])
    q = compute_quota(sch, st, default_config())
    c = _school_row(q, "C")
    # 108 / 19 = 5.68 < 6 classes × 1.7 = 10.2 → 10
    assert abs(c["quota_raw"] - 10.2) < 1e-9 and c["quota"] == 10
    assert "班师比下限 6 班 × 1.7 = 10.2" in c["basis"]
    # same school in town: ratio only → 5.68 → 6
    assert _school_row(q, "D")["quota"] == 6


def test_floor_not_applied_when_classes_are_full():
    sch = _schools([("E", "戊村小", "教学点", "乡村", 0)])
    st = _students("E", range(1, 3), 32, 1)                 # average class 32 ≥ 30 → no floor
    q = compute_quota(sch, st, default_config())
    assert _school_row(q, "E")["quota"] == 3                # 64 / 19 = 3.37 → 3


def test_kindergarten_and_boarding():
    sch = _schools([("K", "幼儿园甲", "幼儿园", "城区", 0), ("L", "寄宿幼儿园", "幼儿园", "城区", 20)])
    st = pd.concat([_students("K", [-2, -1, 0], 50, 2), _students("L", [-2, -1, 0], 25, 1)])
    q = compute_quota(sch, st, default_config())
    assert _school_row(q, "K")["quota"] == 12               # 6 classes × 2
    assert _school_row(q, "L")["quota"] == 9                # 3 classes × (2 + 1 boarding)


def test_boarding_add_on_per_student():
    cfg = default_config().with_overrides({"quota.boarding_per_student": 0.05})
    sch = _schools([("A", "甲小学", "小学", "城区", 100)])
    st = _students("A", range(1, 7), 95, 2)                 # 570 / 19 = 30, + 100 × 0.05 = 5
    assert _school_row(compute_quota(sch, st, cfg), "A")["quota"] == 35


def test_school_without_enrollment_data_is_not_computed_never_zero():
    # a kindergarten whose statistics were not read has no projection: 未测算, not 0 班 × 2 = 0 (a false 超编)
    sch = _schools([("K", "幼儿园甲", "幼儿园", "城区", 0), ("A", "甲小学", "小学", "城区", 0)])
    st = _students("A", range(1, 7), 95, 2)                 # 570 / 19 = 30
    q = compute_quota(sch, st, default_config(), unmeasured={"K": "没有任何学年的在校生数据"})
    row = _school_row(q, "K")
    assert pd.isna(row["quota"]) and row["basis"] == "未测算：没有任何学年的在校生数据"
    assert _school_row(q, "A")["quota"] == 30


def test_special_education_not_computed_never_zero():
    sch = _schools([("S", "特校", "特殊教育", "城区", 0)])
    st = _students("S", [3], 20, 2)
    q = compute_quota(sch, st, default_config())
    row = _school_row(q, "S")
    assert pd.isna(row["quota"]) and "未测算" in row["basis"]
    cfg = default_config().with_overrides({"quota.ratio_special": 4.0})
    assert _school_row(compute_quota(sch, st, cfg), "S")["quota"] == 5     # 20 / 4


def test_vocational_ratio_and_rounding_modes():
    sch = _schools([("V", "职校", "中职", "城区", 0)])
    st = _students("V", [10, 11, 12], [150, 150, 110], 3)  # 410 / 20 = 20.5
    assert _school_row(compute_quota(sch, st, default_config()), "V")["quota"] == 21    # half up
    cfg = default_config().with_overrides({"quota.rounding": "floor"})
    assert _school_row(compute_quota(sch, st, cfg), "V")["quota"] == 20
    assert round_quota(np.array([2.5, 2.49, np.nan]), "half_up")[:2].tolist() == [3.0, 2.0]


def test_half_up_is_the_one_rounding_rule():
    import math

    import numpy as np

    from staffplan.rules.standards import half_up

    # 四舍五入 on the magnitude: 2.5 → 3, −2.5 → −3 (the forecast's sheets used to give −2), −1.065 → −1.07 at 2 places
    assert (half_up(2.5), half_up(-2.5), half_up(-1.065, 2), half_up(0.125, 2), half_up(2.449, 1)) == (3, -3, -1.07, 0.13, 2.4)
    assert str(half_up(-0.001, 1)) == "0.0"          # no "−0.0" in a table
    assert math.isnan(half_up(float("nan")))
    assert half_up(np.array([0.5, 1.5, -0.5])).tolist() == [1.0, 2.0, -1.0]


def test_stage_taught():
    import numpy as np

    from staffplan.rules.standards import stage_taught

    kinds = np.array(["九年一贯制", "完全中学", "小学", "教学点", None], dtype=object)
    assert stage_taught(kinds, "初中").tolist() == [True, True, False, False, False]
    assert stage_taught(kinds, np.array(["小学", "高中", "小学", "小学", "小学"], dtype=object)).tolist() == \
        [True, True, True, True, False]


def test_floor_for_rural_nine_year_primary_part_only_when_configured():
    # a rural 九年一贯制: 小学 6 classes of 18 (108 pupils), 初中 3 classes of 30 (90 pupils)
    sch = _schools([("N", "某村九年制", "九年一贯制", "乡村", 0)])
    st = pd.concat([_students("N", range(1, 7), 18, 1), _students("N", range(7, 10), 30, 1)])
    by_default = _school_row(compute_quota(sch, st, default_config()), "N")
    # default (小学, 教学点): 108 / 19 + 90 / 13.5 = 5.684 + 6.667 = 12.35 → 12
    assert by_default["quota"] == 12
    cfg = default_config().with_overrides({"quota.small_school_types": ["小学", "教学点", "九年一贯制"]})
    q = compute_quota(sch, st, cfg)
    prim = q[q["stage"] == "小学"].iloc[0]
    # the 小学 part gets max(5.684, 6 × 1.7 = 10.2) = 10.2; the 初中 part stays 6.667: 16.87 → 17
    assert abs(prim["quota_raw"] - 10.2) < 1e-9
    assert _school_row(q, "N")["quota"] == 17
    # a town 九年一贯制 is not floored even when configured
    town = _schools([("N", "某镇九年制", "九年一贯制", "镇区", 0)])
    assert _school_row(compute_quota(town, st, cfg), "N")["quota"] == 12
