"""Legal retirement ages after the 2025 gradual reform (domain.md §5).

The reform groups people by their *original* retirement age (60, 55, 50).  For each group the
table ``data/retirement_ages.csv`` gives the base age, the first birth month affected, how many
birth months add one month of delay, and the maximum delay.  For a person born in or after the
group's first affected month, with ``m`` = months from that month to the birth month (0 for the
first month itself)::

    delay = min(max_delay, floor(m / months_per_step) + 1)

Examples: a man born Feb 1967 (m = 25) retires at 60 y 7 m; a woman teacher born Nov 1972
(m = 34) at 55 y 9 m; men born from Sep 1976 and women from Sep 1981 get the full +36 months.

Group per person: the roster's 退休年龄组 (``retirement_group``) when given, else 男 → 60, 女 → 55
(women teachers hold professional posts).  An agreed retirement date (约定退休日期) wins over the
computed date only within the law's bounds — at most ``retirement.flexible_years`` (3) years earlier or later,
never below the original age of the group (:func:`retirement_dates`); outside them the legal date applies and
the row is flagged.  Birth dates are made day-precise with the 身份证号 (rosters often give 出生日期 to the
month only).  Everything is vectorised; unknown inputs give NaN / NaT, never a guess.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from staffplan.paths import data_file

DEFAULT_GROUP = {"男": 60.0, "女": 55.0}

LABEL_BEFORE = "预计退休"   # legal retirement before 1 Sep of the plan year: leaves supply
LABEL_DURING = "年内退休"   # retires during the plan year (1 Sep plan year – 31 Aug next year)


@lru_cache(maxsize=1)
def retirement_table() -> pd.DataFrame:
    """The reform table (group → base_years, start_index, months_per_step, max_delay_months, source)."""
    path = data_file("retirement_ages.csv")
    with path.open(encoding="utf-8") as fh:
        tab = pd.read_csv(fh, dtype={"reform_start": str, "source": str})
    start = pd.to_datetime(tab["reform_start"] + "-01")
    tab["start_index"] = start.dt.year * 12 + (start.dt.month - 1)
    tab["group"] = tab["group"].astype(float)
    return tab.set_index("group")


def _as_series(values, index) -> pd.Series:
    if values is None:
        return pd.Series(np.nan, index=index, dtype=float)
    if isinstance(values, pd.Series):
        return values.reindex(index) if not values.index.equals(index) else values
    return pd.Series(values, index=index)


def retirement_group(sex: pd.Series, group: pd.Series | None = None) -> pd.Series:
    """Original retirement-age group (60/55/50, float; NaN when neither group nor sex is known)."""
    sex = pd.Series(sex)
    default = sex.astype("string").str.strip().map(DEFAULT_GROUP).astype(float)
    grp = pd.to_numeric(_as_series(group, sex.index), errors="coerce").astype(float)
    known = grp.isin(retirement_table().index)
    return grp.where(known, default)


def retirement_age_months(sex: pd.Series, birth_date: pd.Series, group: pd.Series | None = None) -> pd.Series:
    """Legal retirement age in months (float; NaN when birth date or group is unknown)."""
    sex = pd.Series(sex)
    birth = pd.to_datetime(_as_series(birth_date, sex.index), errors="coerce")
    grp = retirement_group(sex, group)
    tab = retirement_table()
    base = grp.map(tab["base_years"]).astype(float) * 12
    start = grp.map(tab["start_index"]).astype(float)
    step = grp.map(tab["months_per_step"]).astype(float)
    cap = grp.map(tab["max_delay_months"]).astype(float)
    birth_index = (birth.dt.year * 12 + (birth.dt.month - 1)).astype(float)
    m = birth_index - start
    delay = np.where(m >= 0, np.minimum(cap, np.floor(m / step) + 1), 0.0)
    age = base + delay
    return pd.Series(np.where(birth_index.isna() | grp.isna(), np.nan, age), index=sex.index, dtype=float)


def add_months(dates: pd.Series, months: pd.Series) -> pd.Series:
    """dates + months (vectorised; the day is clipped to the month's length, e.g. 29 Feb → 28 Feb)."""
    dates = pd.to_datetime(dates, errors="coerce")
    months = pd.Series(months, index=dates.index).astype(float)
    ok = dates.notna() & months.notna()
    total = (dates.dt.year * 12 + (dates.dt.month - 1)).where(ok, 0) + months.where(ok, 0)
    month = (total.to_numpy("int64") - 1970 * 12).astype("datetime64[M]")     # months since the epoch
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype("int64")
    day = np.minimum(dates.dt.day.where(ok, 1).to_numpy("int64"), length)
    out = pd.Series((first + (day - 1).astype("timedelta64[D]")).astype("datetime64[ns]"), index=dates.index)
    return out.where(ok, pd.NaT)


AGREED_EARLY = "约定退休日期早于法定退休日期超过允许年限"
AGREED_BELOW = "约定退休日期低于原法定退休年龄"
AGREED_LATE = "约定退休日期晚于法定退休日期超过允许年限"


def precise_birth_date(birth_date: pd.Series, id_number: pd.Series | None = None) -> pd.Series:
    """Birth date with its day.  Rosters often give 出生日期 to the month (1972.11 → 1972-11-01); when a valid
    身份证号 gives the same year and month (or 出生日期 is missing), the day of the ID is used."""
    birth = pd.to_datetime(pd.Series(birth_date), errors="coerce")
    if id_number is None:
        return birth
    from .idcard import validate_ids

    ids = _as_series(id_number, birth.index).fillna("").astype(str)
    chk = validate_ids(ids)
    idb = pd.to_datetime(chk["birth_date"], errors="coerce")
    idb.index = birth.index
    valid = pd.Series(chk["valid"].to_numpy(bool), index=birth.index)
    same_month = (idb.dt.year == birth.dt.year) & (idb.dt.month == birth.dt.month)
    use = valid & idb.notna() & (birth.isna() | same_month)
    return idb.where(use, birth)


def retirement_dates(sex: pd.Series, birth_date: pd.Series, group: pd.Series | None = None,
                     agreed: pd.Series | None = None, id_number: pd.Series | None = None,
                     config=None) -> pd.DataFrame:
    """Legal date, agreed date and the date that applies, per person (index of ``sex``).

    The law lets a person agree to retire up to ``retirement.flexible_years`` (3) years earlier or later than the
    legal date, never below the original retirement age (60/55/50 of the group).  An agreed date (约定退休日期)
    inside those bounds wins; outside them the legal date is used and ``agreed_problem`` says why
    (AGREED_EARLY / AGREED_BELOW / AGREED_LATE).  Columns: legal, agreed, agreed_problem, retire_date.
    Birth dates are made day-precise with the 身份证号 when given (:func:`precise_birth_date`).
    """
    if config is None:
        from ..config import default_config
        config = default_config()
    sex = pd.Series(sex)
    birth = precise_birth_date(_as_series(birth_date, sex.index), id_number)
    age = retirement_age_months(sex, birth, group)
    legal = add_months(birth, age)
    out = pd.DataFrame({"legal": pd.to_datetime(legal)}, index=sex.index)
    agreed_dates = pd.to_datetime(_as_series(agreed, sex.index), errors="coerce") if agreed is not None \
        else pd.Series(pd.NaT, index=sex.index, dtype="datetime64[ns]")
    out["agreed"] = agreed_dates
    flex = pd.Series(float(config["retirement.flexible_years"]) * 12, index=sex.index)
    base = add_months(birth, retirement_group(sex, group).map(retirement_table()["base_years"]).astype(float) * 12)
    earliest = add_months(legal, -flex)
    latest = add_months(legal, flex)
    has = agreed_dates.notna() & legal.notna()
    below = has & base.notna() & (agreed_dates < base)
    early = has & ~below & (agreed_dates < earliest)
    late = has & (agreed_dates > latest)
    out["agreed_problem"] = np.select([below, early, late], [AGREED_BELOW, AGREED_EARLY, AGREED_LATE], default="")
    ok = agreed_dates.notna() & (out["agreed_problem"] == "")
    out["retire_date"] = pd.to_datetime(agreed_dates.where(ok, legal))
    return out


def legal_retirement_date(sex: pd.Series, birth_date: pd.Series, group: pd.Series | None = None,
                          agreed: pd.Series | None = None, id_number: pd.Series | None = None,
                          config=None) -> pd.Series:
    """Retirement date (datetime64): birth date + legal age; an agreed date (约定退休日期) wins when it is within the
    legal bounds (:func:`retirement_dates`)."""
    dates = retirement_dates(sex, birth_date, group, agreed, id_number, config)
    return pd.to_datetime(dates["retire_date"]).rename("retire_date")


def roster_retirement(teachers: pd.DataFrame, plan_year: int, config=None) -> pd.DataFrame:
    """Per roster row (same index): legal, agreed, agreed_problem, retire_date, and ``past`` = the retirement
    date falls before 1 Sep of the plan year (the roster still lists someone who should have retired)."""
    def col(name):
        return teachers[name] if name in teachers.columns else None

    sex = teachers["sex"] if "sex" in teachers.columns else pd.Series("", index=teachers.index)
    out = retirement_dates(sex, col("birth_date"), col("retirement_group"), col("agreed_retirement"),
                           col("id_number"), config)
    out["past"] = out["retire_date"].notna() & (out["retire_date"] < plan_cutoff(plan_year, config))
    return out


def retired_on_roster(teachers: pd.DataFrame, plan_year: int, config=None) -> pd.DataFrame:
    """The roster rows whose retirement date is before 1 Sep of the plan year (with their retire_date)."""
    r = roster_retirement(teachers, plan_year, config)
    return teachers[r["past"]].assign(retire_date=r.loc[r["past"], "retire_date"])


def plan_cutoff(plan_year: int, config=None) -> pd.Timestamp:
    """1 Sep of the plan year (month/day from config [retirement])."""
    if config is None:
        from ..config import default_config
        config = default_config()
    month, day = int(config["retirement.plan_date_month"]), int(config["retirement.plan_date_day"])
    return pd.Timestamp(int(plan_year), month, day)


def classify_retirement(retire_dates: pd.Series, plan_year: int, config=None) -> pd.Series:
    """"预计退休" (before 1 Sep of the plan year), "年内退休" (1 Sep plan year – 31 Aug next year) or ""."""
    dates = pd.to_datetime(pd.Series(retire_dates), errors="coerce")
    cutoff = plan_cutoff(plan_year, config)
    next_cutoff = plan_cutoff(plan_year + 1, config)
    out = np.where(dates < cutoff, LABEL_BEFORE, np.where((dates >= cutoff) & (dates < next_cutoff), LABEL_DURING, ""))
    return pd.Series(out, index=dates.index, dtype=object).rename("retire_class")
