"""Subject gaps per school and district shortages (domain.md §3).

gap = demand − supply, signed (+ = shortage, − = surplus).  Periods are compared directly;
gap_fte = gap_periods ÷ standard load of (stage, subject).  Kindergartens (subject 学前教育) are compared in
teachers: gap_fte = demand_fte − supply_fte, periods NaN.  A school × subject is short when
gap_fte ≥ config shortage.threshold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..rules.curriculum import standard_load
from ..rules.standards import STAGE_ORDER, half_up

PERIOD_DIGITS = 1   # 学科缺口 shows periods at 0.1: the exchange's sending rule holds on these shown figures too


FTE_DIGITS = 2      # 学科缺口 shows 缺口人数 at 0.01


def shown_periods(x):
    """Periods as 学科缺口 shows them (half-up at ``PERIOD_DIGITS`` decimals)."""
    return half_up(x, PERIOD_DIGITS)


def shown_fte(x):
    """缺口人数 as 学科缺口 shows it (half-up at ``FTE_DIGITS`` decimals)."""
    return half_up(x, FTE_DIGITS)


def reaches_threshold(gap_fte, threshold: float):
    """Short by the threshold (紧缺) as the figure is shown: 缺口人数 at 0.01 ≥ threshold — a gap of 5.9995 periods at
    a load of 12 (0.49996, shown 0.50 and 6.0 periods) is 紧缺, as a reader of 学科缺口 would judge it."""
    return shown_fte(gap_fte) >= threshold - 1e-9


def threshold_gap(gap_periods, load):
    """A gap in periods as the threshold judges it: the larger of the exact gap and the shown 缺口人数 × load (5.94
    periods at 12 show 0.50 人: 6.0), so that a cell called 紧缺 can also take the arrival the rule allows."""
    gap, load = np.asarray(gap_periods, float), np.asarray(load, float)
    return np.maximum(gap, shown_fte(gap / load) * load)


def fte_tenths(x):
    """缺口人数 at one decimal, as the summaries (学科缺口汇总, 招聘计划's 涉及学校) print it: rounded from the figure
    学科缺口 shows, never from the unrounded value, so that a reader who rounds 学科缺口 by hand gets the same
    (0.548 shows 0.55 there and 0.6 here, not 0.5)."""
    return half_up(shown_fte(x), 1)

GAP_COLUMNS = ["school_id", "school_name", "stage", "subject", "demand_periods", "supply_periods", "gap_periods",
               "demand_fte", "supply_fte", "gap_fte", "standard_load", "short"]
SHORTAGE_COLUMNS = ["stage", "subject", "demand_periods", "supply_periods", "gap_periods", "demand_fte", "supply_fte",
                    "gap_fte", "shortage_fte", "surplus_fte", "schools_gap", "schools_short", "schools_surplus", "short"]


def subject_gaps(demand: pd.DataFrame, supply: pd.DataFrame, schools: pd.DataFrame, config) -> pd.DataFrame:
    """One row per school × stage × subject with demand or supply (GAP_COLUMNS).

    ``demand``: rules.curriculum.subject_demand output; ``supply``: forecast.supply.subject_supply output.
    """
    keys = ["school_id", "stage", "subject"]
    d = demand[keys + ["demand_periods", "demand_fte"]]
    s = supply[keys + ["supply_periods", "supply_fte"]]
    g = d.merge(s, on=keys, how="outer")
    kg = g["demand_periods"].isna() & g["supply_periods"].isna()
    for col in ("demand_periods", "supply_periods"):
        g[col] = g[col].where(kg, g[col].fillna(0.0))
    for col in ("demand_fte", "supply_fte"):
        g[col] = g[col].fillna(0.0)
    g["standard_load"] = standard_load(g["stage"], g["subject"], config).values
    g["gap_periods"] = g["demand_periods"] - g["supply_periods"]
    g["gap_fte"] = np.where(kg, g["demand_fte"] - g["supply_fte"], g["gap_periods"] / g["standard_load"])
    g["short"] = reaches_threshold(g["gap_fte"].to_numpy(float), float(config["shortage.threshold"]))
    names = schools[["school_id", "school_name"]].assign(school_id=lambda x: x["school_id"].astype(str))
    g = g.merge(names, on="school_id", how="left")
    g["_o"] = g["stage"].map({k: i for i, k in enumerate(STAGE_ORDER)})
    g = g.sort_values(["school_id", "_o", "subject"]).reset_index(drop=True)
    return g[GAP_COLUMNS]


def district_shortages(gaps: pd.DataFrame, config=None) -> pd.DataFrame:
    """District totals per stage × subject (SHORTAGE_COLUMNS).

    ``gap_fte`` is the net district gap (shortages minus surpluses elsewhere); ``shortage_fte`` the sum of
    the schools' positive gaps, ``surplus_fte`` of the negative ones (as a positive number); ``schools_gap`` the
    schools with a positive gap, ``schools_short`` those short by the threshold or more.  ``short``
    (紧缺学科) = the net district gap ≥ shortage.threshold.
    """
    if config is None:
        from ..config import default_config
        config = default_config()
    thr = float(config["shortage.threshold"])
    g = gaps.assign(_pos=gaps["gap_fte"].clip(lower=0), _neg=(-gaps["gap_fte"]).clip(lower=0),
                    _s=gaps["short"].astype(int), _x=(gaps["gap_fte"] <= -thr).astype(int),
                    _g=(gaps["gap_fte"] > 1e-9).astype(int))
    out = g.groupby(["stage", "subject"], as_index=False).agg(
        demand_periods=("demand_periods", lambda x: x.sum(min_count=1)),
        supply_periods=("supply_periods", lambda x: x.sum(min_count=1)),
        gap_periods=("gap_periods", lambda x: x.sum(min_count=1)),
        demand_fte=("demand_fte", "sum"), supply_fte=("supply_fte", "sum"), gap_fte=("gap_fte", "sum"),
        shortage_fte=("_pos", "sum"), surplus_fte=("_neg", "sum"), schools_gap=("_g", "sum"), schools_short=("_s", "sum"),
        schools_surplus=("_x", "sum"))
    out["short"] = reaches_threshold(out["gap_fte"].to_numpy(float), thr)
    out["_o"] = out["stage"].map({k: i for i, k in enumerate(STAGE_ORDER)})
    return out.sort_values(["_o", "gap_fte", "subject"], ascending=[True, False, True]).reset_index(drop=True)[
        SHORTAGE_COLUMNS]
