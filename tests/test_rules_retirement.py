"""Legal retirement ages after the 2025 reform (domain.md §5), hand-computed."""
import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.rules.retirement import (AGREED_BELOW, AGREED_EARLY, AGREED_LATE, retired_on_roster,
                                        retirement_dates)
from staffplan.rules.retirement import (add_months, classify_retirement, legal_retirement_date,
                                        retirement_age_months)


def _age(sex, birth, group=None):
    g = None if group is None else pd.Series([group])
    return retirement_age_months(pd.Series([sex]), pd.Series([pd.Timestamp(birth)]), g).iloc[0]


def test_examples_from_the_law():
    # man born Feb 1967: m = 25 months after Jan 1965 → floor(25/4)+1 = 7 → 60 y 7 m
    assert _age("男", "1967-02-15") == 60 * 12 + 7
    # woman (teacher, original 55) born Nov 1972: m = 34 → floor(34/4)+1 = 9 → 55 y 9 m
    assert _age("女", "1972-11-30") == 55 * 12 + 9


@pytest.mark.parametrize("sex,birth,months", [
    ("男", "1964-12-31", 720),        # before the reform
    ("男", "1965-01-01", 721),        # first month affected: +1
    ("男", "1965-04-20", 721),        # m = 3 → +1
    ("男", "1965-05-01", 722),        # m = 4 → +2
    ("男", "1976-08-01", 755),        # m = 139 → 34 + 1 = 35
    ("男", "1976-09-01", 756),        # m = 140 → full +36
    ("男", "1990-01-01", 756),        # capped
    ("女", "1969-12-31", 660),
    ("女", "1970-01-01", 661),
    ("女", "1981-09-01", 696),        # full +36 for women from Sep 1981
])
def test_boundaries(sex, birth, months):
    assert _age(sex, birth) == months


def test_group_50_override():
    # original-50 group: from Jan 1975, +1 month per 2 months, up to +60 → 55
    assert _age("女", "1974-12-01", 50) == 600
    assert _age("女", "1975-01-01", 50) == 601
    assert _age("女", "1975-03-01", 50) == 602      # m = 2 → floor(2/2)+1 = 2
    assert _age("女", "1984-11-01", 50) == 660      # m = 118 → 60
    assert _age("女", "1995-01-01", 50) == 660
    # a man explicitly in group 55 (roster override)
    assert _age("男", "1972-11-30", 55) == 669


def test_dates_and_agreed_date_wins():
    sex = pd.Series(["男", "女", "男", None])
    birth = pd.Series(pd.to_datetime(["1967-02-15", "1972-11-30", "1967-02-15", None]))
    agreed = pd.Series(pd.to_datetime([None, None, "2028-03-01", None]))
    d = legal_retirement_date(sex, birth, agreed=agreed)
    assert d.iloc[0] == pd.Timestamp("2027-09-15")       # 1967-02-15 + 60 y 7 m
    assert d.iloc[1] == pd.Timestamp("2028-08-30")       # 1972-11-30 + 55 y 9 m
    assert d.iloc[2] == pd.Timestamp("2028-03-01")       # agreed date (legal + 5.5 months) wins
    assert pd.isna(d.iloc[3])                            # unknown → NaT, never a guess


def test_add_months_clips_day():
    d = add_months(pd.Series(pd.to_datetime(["1964-08-31"])), pd.Series([6]))
    assert d.iloc[0] == pd.Timestamp("1965-02-28")


def test_split_around_1_september():
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2025-08-31", "2025-09-01", "2026-08-31", "2026-09-01", None]))
    got = classify_retirement(dates, 2025, default_config()).tolist()
    assert got == ["预计退休", "预计退休", "年内退休", "年内退休", "", ""]


def test_agreed_date_bounds():
    """Flexible retirement: at most 3 years earlier/later than the legal date, never below the original age.

    Man born 1967-02-15 (group 60): legal 2027-09-15 (60 y 7 m); original age 60 → 2027-02-15;
    bounds [max(2027-09-15 − 36 m, 2027-02-15), 2027-09-15 + 36 m] = [2027-02-15, 2030-09-15].
    Woman born 1971-05-03 in group 60 (roster): reform start Jan 1965 → m = 76 → delay min(36, 19+1) = 20 m →
    legal 2033-01-03; earliest = max(2030-01-03, original 60 → 2031-05-03) = 2031-05-03.
    """
    sex = pd.Series(["男", "男", "男", "男", "女"])
    birth = pd.Series(pd.to_datetime(["1967-02-15"] * 4 + ["1971-05-01"]))
    group = pd.Series([np.nan] * 4 + [60.0])
    agreed = pd.Series(pd.to_datetime(["2027-02-15", "2027-02-14", "2030-09-15", "2030-09-16", "2028-05-01"]))
    ids = pd.Series([""] * 4 + ["44152119710503384X"])     # ID gives the day: 1971-05-03
    d = retirement_dates(sex, birth, group, agreed, ids, default_config())
    assert d["legal"].iloc[4] == pd.Timestamp("2033-01-03")
    assert d["agreed_problem"].tolist() == ["", AGREED_BELOW, "", AGREED_LATE, AGREED_BELOW]
    assert d["retire_date"].tolist() == pd.to_datetime(
        ["2027-02-15", "2027-09-15", "2030-09-15", "2027-09-15", "2033-01-03"]).tolist()


def test_agreed_date_more_than_3_years_early():
    # Group-50 woman born 1990-01-01: m = 180 → delay min(60, floor(180/2)+1) = 60 → legal 55 y → 2045-01-01;
    # original age 50 → 2040-01-01; earliest = max(2045-01-01 − 36 m, 2040-01-01) = 2042-01-01.
    sex = pd.Series(["女", "女"])
    birth = pd.Series(pd.to_datetime(["1990-01-01", "1990-01-01"]))
    group = pd.Series([50.0, 50.0])
    agreed = pd.Series(pd.to_datetime(["2041-12-31", "2042-01-01"]))
    d = retirement_dates(sex, birth, group, agreed, None, default_config())
    assert d["legal"].tolist() == pd.to_datetime(["2045-01-01"] * 2).tolist()
    assert d["agreed_problem"].tolist() == [AGREED_EARLY, ""]
    assert d["retire_date"].tolist() == pd.to_datetime(["2045-01-01", "2042-01-01"]).tolist()


def test_roster_lists_retired_teachers():
    # plan year 2026: cutoff 2026-09-01.  Man born 1965-12-01: m = 11 → delay 3 → 60 y 3 m → 2026-03-01 (past);
    # man born 1966-06-01: m = 17 → 5 → 2026-11-01 (not past).
    t = pd.DataFrame({"teacher_id": ["a", "b"], "sex": "男", "birth_date": pd.to_datetime(["1965-12-01", "1966-06-01"])})
    got = retired_on_roster(t, 2026, default_config())
    assert got["teacher_id"].tolist() == ["a"]
    assert got["retire_date"].iloc[0] == pd.Timestamp("2026-03-01")


def test_check_warns_about_retired_teachers_and_agreed_dates(tmp_path):
    """`check` hook (io/validate.py): plan year 2026 (enrollment 2025 + 1) → cutoff 2026-09-01.

    乙 born 1965-12-01 → 2026-03-01: past; 丙 born 1975-06-01 woman (group 55): original age → 2030-06-01, agreed
    2029-06-01 is below it.  Messages carry no date of birth.
    """
    import importlib.util
    from pathlib import Path

    from staffplan.io.dataset import check_dataset

    spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).parent / "data" / "make_fixtures.py")
    fx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fx)
    head = fx.TEACHER_ROWS[0] + ["约定退休日期"]
    rows = [head, fx.TEACHER_ROWS[1] + [""],
            ["T2", "乙", "男", "1965-12-01", "4415210003", "数学", "高级教师", "本科", "在编", "2010.09", ""],
            ["T3", "丙", "女", "1975-06-01", "4415210001", "语文", "一级教师", "本科", "在编", "2010.09", "2029-06-01"]]
    ds, issues, cfg = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    warn = [(i.row, i.column, i.message) for i in issues if i.severity == "警告" and "退休" in i.message]
    assert [(r, c) for r, c, _ in warn] == [(3, "出生日期"), (4, "约定退休日期")]
    assert "花名册仍列此人" in warn[0][2] and "低于原法定退休年龄" in warn[1][2]
    assert all("1965" not in m and "1975" not in m for _, _, m in warn)
