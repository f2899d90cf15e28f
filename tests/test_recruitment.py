"""Recruitment plan in O(schools × subjects) (issue 18, item 1).

The plan used to expand every short school into as many rows as the district's hires of that subject
(rows = schools × hires) and sort them.  ``reference_plan`` below is that previous algorithm, kept verbatim as
the reference: the closed-form plan must give the same posts at the same schools, only faster.
"""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from staffplan.config import default_config
from staffplan.forecast.gaps import district_shortages
from staffplan.forecast.recruitment import _take_top, recruitment_plan
from staffplan.rules.standards import STAGE_ORDER


# --------------------------------------------------------------------------- the previous algorithm (reference)
def _priority_units(df, need_col, count_col):
    if df.empty:
        return df.assign(_k=pd.Series(dtype=int), _prio=pd.Series(dtype=float))
    units = df.loc[df.index.repeat(df[count_col].astype(int))].copy()
    units["_k"] = units.groupby(level=0).cumcount()
    units["_prio"] = units[need_col] - units["_k"]
    return units


def reference_plan(gaps, shortages, staffing, config):
    """(stage, subject) → recruit, and the allocation table, as the pre-issue-18 code computed them."""
    thr = float(config["shortage.threshold"])
    net = bool(config["recruitment.net_of_surplus"])
    sh = shortages.copy()
    sh["need_fte"] = sh["gap_fte"] if net else sh["shortage_fte"]
    sh = sh[sh["need_fte"] >= thr - 1e-9].copy()
    sh["want"] = np.ceil(sh["need_fte"] - 1e-9).astype(int)
    s = staffing.dropna(subset=["quota"])
    pooled = float((s["quota"].astype(float) - (s["on_quota"] - s["retire_before"])).sum())
    cap = bool(config["recruitment.cap_by_vacancies"])
    limit = max(0, int(math.floor(pooled + 1e-9))) if cap else int(sh["want"].sum())
    sh["_o"] = sh["stage"].map({k: i for i, k in enumerate(STAGE_ORDER)})
    units = _priority_units(sh.reset_index(drop=True), "need_fte", "want")
    units = units.sort_values(["_prio", "_o", "subject"], ascending=[False, True, True], kind="stable").head(limit)
    got = units.groupby(["stage", "subject"]).size().rename("recruit")
    sh = sh.merge(got, left_on=["stage", "subject"], right_index=True, how="left")
    sh["recruit"] = sh["recruit"].fillna(0).astype(int)
    sh = sh[sh["recruit"] > 0].sort_values(["_o", "subject"]).reset_index(drop=True)
    g = gaps[gaps["gap_fte"] > 0].merge(sh[["stage", "subject", "recruit"]], on=["stage", "subject"], how="inner")
    g["_cnt"] = g["recruit"]
    su = _priority_units(g.reset_index(drop=True), "gap_fte", "_cnt")
    su = su.sort_values(["stage", "subject", "_prio", "school_id"], ascending=[True, True, False, True], kind="stable")
    su["_rank"] = su.groupby(["stage", "subject"]).cumcount()
    su = su[su["_rank"] < su["recruit"]]
    alloc = su.groupby(["stage", "subject", "school_id", "school_name"], as_index=False).agg(
        gap_fte=("gap_fte", "first"), recruit=("_k", "size"))
    alloc = alloc.sort_values(["stage", "subject", "recruit", "gap_fte"], ascending=[True, True, False, False])
    return sh[["stage", "subject", "recruit"]].reset_index(drop=True), alloc.reset_index(drop=True)


# --------------------------------------------------------------------------- thin-roster cases
SUBJECTS = ["语文", "数学", "英语", "音乐", "美术", "体育"]


def thin_roster(seed: int, n_schools: int, quarter_steps: bool = False):
    """Schools short in nearly every subject (one teacher per school), a few surpluses; gaps in FTE.

    ``quarter_steps`` rounds gaps to multiples of 0.25, so that equal remaining needs (ties) are frequent."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_schools):
        stages = ["小学"] if i % 3 else ["小学", "初中"]
        for stage in stages:
            for subj in SUBJECTS:
                gap = rng.gamma(2.0, 1.5) - (1.2 if rng.random() < 0.1 else 0.0)
                rows.append((f"S{i:03d}", f"学校{i:03d}", stage, subj, round(gap * 4) / 4 if quarter_steps else gap))
    gaps = pd.DataFrame(rows, columns=["school_id", "school_name", "stage", "subject", "gap_fte"])
    gaps["short"] = gaps["gap_fte"] >= 0.5 - 1e-9
    full = gaps.assign(demand_periods=np.nan, supply_periods=np.nan, gap_periods=np.nan, demand_fte=0.0,
                       supply_fte=0.0)
    return gaps, full


def _staffing(vacancies: float):
    return pd.DataFrame({"quota": [vacancies + 1.0], "on_quota": [1], "retire_before": [0]})


def assert_same_plan(gaps, full, staffing, cfg):
    shortages = district_shortages(full, cfg)
    new = recruitment_plan(gaps, shortages, staffing, 0, cfg)
    ref_plan, ref_alloc = reference_plan(gaps, shortages, staffing, cfg)
    pd.testing.assert_frame_equal(new.plan[["stage", "subject", "recruit"]], ref_plan, check_dtype=False)
    cols = ["stage", "subject", "school_id", "school_name", "gap_fte", "recruit"]
    pd.testing.assert_frame_equal(new.allocations[cols], ref_alloc[cols], check_dtype=False)
    return new


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("vacancies", [0, 7, 40, 10_000])          # cap binding hard, partly, and not at all
@pytest.mark.parametrize("net", [True, False])
def test_thin_roster_plan_equals_previous_algorithm(seed, vacancies, net):
    cfg = default_config().with_overrides({"recruitment.net_of_surplus": net})
    gaps, full = thin_roster(seed, 12, quarter_steps=seed % 2 == 0)
    plan = assert_same_plan(gaps, full, _staffing(vacancies), cfg)
    sh = district_shortages(full, cfg)
    need = sh["gap_fte"] if net else sh["shortage_fte"]
    want = int(np.ceil(need[need >= 0.5 - 1e-9] - 1e-9).sum())        # Σ ceil(need) over 紧缺 stage × subjects
    assert plan.total_recruit == min(vacancies, want)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 15), vacancies=st.integers(0, 120), quarter=st.booleans(),
       uncapped=st.booleans())
def test_thin_roster_plan_equals_previous_algorithm_property(seed, n, vacancies, quarter, uncapped):
    cfg = default_config().with_overrides({"recruitment.cap_by_vacancies": not uncapped})
    gaps, full = thin_roster(seed, n, quarter_steps=quarter)
    assert_same_plan(gaps, full, _staffing(vacancies), cfg)


def test_take_top_hand_computed():
    # needs 2.5, 1.5, 0.25 → post priorities 2.5, 1.5 | 1.5, 0.5 | 0.5, −0.5 | 0.25 …
    # 4 posts: 2.5 (row 0), 1.5 (row 0, tie with row 1 → row 0 has the smaller tie rank), 1.5 (row 1),
    # then 0.5 twice (rows 0 and 1 tie) → row 0 → counts 3, 1, 0
    assert _take_top(np.array([2.5, 1.5, 0.25]), np.arange(3), 4).tolist() == [3, 1, 0]
    # with row 1 ranked first on ties: 2.5 (0), 1.5 (1), 1.5 (0), 0.5 (1) → 2, 2, 0
    assert _take_top(np.array([2.5, 1.5, 0.25]), np.array([1, 0, 2]), 4).tolist() == [2, 2, 0]
    # more posts than positive priorities: 3 + 2 + 1 = 6 positive, the 7th is the largest of −0.5 (row 0),
    # −0.5 (row 1), −0.75 (row 2) → row 0
    assert _take_top(np.array([2.5, 1.5, 0.25]), np.arange(3), 7).tolist() == [4, 2, 1]
    assert _take_top(np.array([2.5]), np.arange(1), 0).tolist() == [0]


def test_large_thin_roster_does_not_expand_posts():
    # 1,700 schools × 6 subjects, each short by ~3 FTE: ~30,000 posts.  The previous code built
    # Σ_schools hires-of-the-subject rows (≈ 1,700 × 5,000 per subject ≈ 51 million); the closed form stays
    # at one row per school × subject, so this takes well under a second.
    cfg = default_config()
    gaps, full = thin_roster(7, 1700)
    plan = recruitment_plan(gaps, district_shortages(full, cfg), _staffing(10 ** 6), 0, cfg)
    assert plan.total_recruit == int(plan.plan["recruit"].sum()) == int(plan.allocations["recruit"].sum())
    # no school receives more posts than the ceiling of its own gap
    assert (plan.allocations["recruit"] <= np.ceil(plan.allocations["gap_fte"])).all()


def test_reason_counts_every_school_with_a_gap_and_the_short_ones_among_them():
    # 小学 音乐: gaps 1.2, 0.3, 0.2 and a surplus of 0.4 → net 1.3, 3 schools with a gap (1.7), 1 of them ≥ 0.5
    gaps = pd.DataFrame({"school_id": ["A", "B", "C", "D"], "school_name": ["甲", "乙", "丙", "丁"],
                         "stage": "小学", "subject": "音乐", "gap_fte": [1.2, 0.3, 0.2, -0.4]})
    gaps["short"] = gaps["gap_fte"] >= 0.5
    full = gaps.assign(demand_periods=np.nan, supply_periods=np.nan, gap_periods=np.nan, demand_fte=0.0,
                       supply_fte=0.0)
    cfg = default_config()
    plan = recruitment_plan(gaps, district_shortages(full, cfg), _staffing(10), 0, cfg)
    row = plan.plan.iloc[0]
    assert row["recruit"] == 2                                            # ceil(1.3)
    assert row["reason"] == "全区净缺口 1.3 人（3 校有缺口，其中 1 校达到 0.5 人，共缺 1.7 人；他校富余 0.4 人可调剂）"
    # the two posts go to the largest gaps: 甲 (1.2), then 甲's remaining 0.2 against 乙's 0.3 → 乙
    assert plan.allocations.set_index("school_name")["recruit"].to_dict() == {"甲": 1, "乙": 1}


def test_reason_without_surplus_elsewhere_does_not_offer_zero():
    gaps = pd.DataFrame({"school_id": ["A", "B"], "school_name": ["甲", "乙"], "stage": "幼儿园",
                         "subject": "学前教育", "gap_fte": [3.0, 1.0]})
    gaps["short"] = gaps["gap_fte"] >= 0.5
    full = gaps.assign(demand_periods=np.nan, supply_periods=np.nan, gap_periods=np.nan, demand_fte=0.0,
                       supply_fte=0.0)
    cfg = default_config()
    plan = recruitment_plan(gaps, district_shortages(full, cfg), _staffing(10), 0, cfg)
    assert plan.plan.iloc[0]["reason"] == "全区净缺口 4 人（2 校有缺口，共缺 4 人；他校没有可调剂的富余）"
