"""Blend of cohort model and persistence, split-conformal intervals: hand-computed expectations."""
import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.forecast.enrollment import (GI, M_GPR, M_TREND, Panel, _blend, _conformal, _mix, project_enrollment,
                                          select_alpha, select_mix, worst_vs_persistence)


def test_blend_moves_total_and_shares_the_change_by_error_variance():
    # one school: entry grade 100 pupils, continuing grade 200 → cohort total C = 300; last year 330 (P).
    # α = 0.5 → target T = 0.5·300 + 0.5·330 = 315, change +15.
    # φ(continuing) = 1, φ(entry) = 4 → weights 200·1 = 200 and 100·4 = 400 → shares 1/3 and 2/3 → +5, +10
    pred = np.array([[100.0, 200.0]])
    last = np.array([[150.0, 180.0]])
    entry = np.array([[True, False]])
    out = _blend(pred, last, np.array([0.5]), entry, (1.0, 4.0))
    assert out[0] == pytest.approx([110.0, 205.0])
    assert _blend(pred, last, np.array([1.0]), entry, (1.0, 4.0))[0] == pytest.approx([100.0, 200.0])   # α = 1


def test_split_conformal_order_statistics():
    r = np.arange(1.0, 20.0)                      # 1 … 19, n = 19, level 0.8
    # k_lo = ⌊20 · 0.1⌋ = 2 → 2; k_hi = ⌈20 · 0.9⌉ = 18 → 18
    assert _conformal(r[::-1], 0.8) == (2.0, 18.0)
    # n = 9: k_lo = ⌊10 · 0.1⌋ = 1 → 1; k_hi = ⌈10 · 0.9⌉ = 9 → 9
    assert _conformal(np.arange(1.0, 10.0), 0.8) == (1.0, 9.0)


def test_select_alpha_least_total_error_within_grade_tolerance():
    grid = np.array([0.0, 0.5, 1.0])
    tot = np.array([10.0, 12.0, 20.0])
    # α = 0 has the least total error but makes cells 25 % worse than α = 1 (125 vs 100): not allowed
    # at 1 % tolerance; α = 0.5 (cells 101 ≤ 101) is → 0.5
    assert select_alpha(tot, np.array([125.0, 101.0, 100.0]), 0.01, grid) == 0.5
    assert select_alpha(tot, np.array([125.0, 101.0, 100.0]), 0.30, grid) == 0.0
    # ties go to the cohort model
    assert select_alpha(np.array([5.0, 5.0, 5.0]), np.array([1.0, 1.0, 1.0]), 0.0, grid) == 1.0


def test_alpha_minimax_against_persistence_over_origins():
    # grid α = 0 (persistence), 0.5, 1 (cohort model); two origins, error of school totals per school:
    # origin 0: α=0 → 10+10 = 20, α=0.5 → 6+6 = 12, α=1 → 4+4 = 8   (ratios to persistence 1, 0.6, 0.4)
    # origin 1: α=0 → 10,          α=0.5 → 9,          α=1 → 14      (ratios 1, 0.9, 1.4)
    # pooled error 30 / 21 / 22 would pick α = 0.5 too, but the worst ratio is 1 / 0.9 / 1.4 → 0.5
    err = np.array([[10.0, 10.0, 10.0], [6.0, 6.0, 9.0], [4.0, 4.0, 14.0]])
    origin = np.array([0, 0, 1])
    assert worst_vs_persistence(err, origin) == pytest.approx([1.0, 0.9, 1.4])
    # pooled 30 / 21 / 20 prefers α = 1; the minimax rule does not (origin 1 worse than persistence)
    err2 = np.array([[10.0, 10.0, 10.0], [6.0, 6.0, 9.0], [3.0, 3.0, 14.0]])
    grid = np.array([0.0, 0.5, 1.0])
    assert err2.sum(1).argmin() == 2
    assert select_alpha(worst_vs_persistence(err2, origin), np.ones(3), 0.0, grid) == 0.5


def test_continuing_mix_weight_chosen_by_origins_and_applied():
    # one school, grade 3 (continuing) in two calibration origins. Cohort flow says 60, the grade had
    # 40 last year, actual 45: |β·60 + (1−β)·40 − 45| = |20β − 5| → least at β = 0.25 (error 0).
    gi = GI[3]
    pred = np.zeros((1, 15)); pred[0, gi] = 60.0
    method = np.zeros((1, 15), int); method[0, gi] = M_GPR
    last = np.zeros((1, 15)); last[0, gi] = 40.0; last[0, GI[1]] = 50.0     # last total 90 → band 0
    act = np.zeros((1, 15)); act[0, gi] = 45.0
    entry = np.zeros((1, 15), bool)
    origins = [(pred, method, entry, last, act, np.array([True]), np.zeros((1, 15), bool))] * 2
    panel = Panel(ids=np.array(["S"], dtype=object), years=np.arange(2020, 2023), S=np.zeros((1, 15, 3)),
                  allowed=np.ones((1, 15), bool), town=np.array(["T"], dtype=object),
                  stage=np.array(["小学"], dtype=object))
    cfg = default_config().with_overrides({"forecast.continuing_mix_min_cells": 2})
    from staffplan.forecast.enrollment import Params
    mix = select_mix(origins, panel, Params.from_config(cfg))
    assert mix[(0, "小学", gi)] == pytest.approx(0.25)
    # applied: 0.25·60 + 0.75·40 = 45; an entry cell (趋势) is not touched
    method2 = method.copy(); method2[0, GI[1]] = M_TREND
    pred2 = pred.copy(); pred2[0, GI[1]] = 55.0
    out = _mix(pred2, method2, last, mix, np.array([0]), np.array(["小学"], dtype=object))
    assert out[0, gi] == pytest.approx(45.0) and out[0, GI[1]] == 55.0


def _noisy_district(seed=3, n=120, years=range(2016, 2025)):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        size = rng.integers(10, 120)
        cohort = {g: size for g in range(1, 7)}
        for y in years:
            new = {1: rng.poisson(size)}
            for g in range(2, 7):
                new[g] = rng.binomial(cohort[g - 1], 0.97) + rng.poisson(1)
            cohort = new
            rows += [{"school_id": f"S{i:03d}", "year": y, "grade": g, "students": v} for g, v in cohort.items()]
    enr = pd.DataFrame(rows).assign(classes=np.nan)
    sch = pd.DataFrame({"school_id": [f"S{i:03d}" for i in range(n)], "stage": "小学", "town": "T"})
    return enr, sch


def test_intervals_cover_about_the_level_one_year_ahead():
    enr, sch = _noisy_district()
    cfg = default_config()
    covered = []
    for year in (2023, 2024):
        out = project_enrollment(enr[enr["year"] < year], sch, cfg, year)
        act = enr[enr["year"] == year].merge(out, on=["school_id", "grade"], suffixes=("", "_p"))
        covered.append(((act["students"] >= act["lo"]) & (act["students"] <= act["hi"])).mean())
    assert 0.74 <= np.mean(covered) <= 0.86         # 80 % intervals on 1,440 cells (sampling error ≈ ±1 point)


def test_band_adaptive_level_used_for_that_band_only():
    from staffplan.forecast.enrollment import _quantile_table
    r = np.arange(1.0, 20.0)                                  # 19 residuals per band
    res = pd.DataFrame({"band": [0] * 19 + [1] * 19, "stage": "小学", "entry": False,
                        "r_lo": np.concatenate([r, r]), "r_hi": np.concatenate([r, r])})
    q = _quantile_table(res, 0.6, 10, {0: 0.8})
    # band 0 at its own level 0.8: k_lo = ⌊20·0.1⌋ = 2, k_hi = ⌈20·0.9⌉ = 18 → (2, 18)
    assert q[(0, False)] == (2.0, 18.0) and q[(0, "小学", False)] == (2.0, 18.0)
    # band 1 at the overall 0.6: k_lo = ⌊20·0.2⌋ = 4, k_hi = ⌈20·0.8⌉ = 16 → (4, 16)
    assert q[(1, False)] == (4.0, 16.0)
    # all 38 at 0.6: k_lo = ⌊39·0.2⌋ = 7, k_hi = ⌈39·0.8⌉ = 32; each value twice → 7th = 4, 32nd = 16
    assert q[(False,)] == (4.0, 16.0)


def test_two_years_of_history_use_the_stated_priors_and_narrowed_first_origin_residuals():
    # with two years of history there is one calibration origin (the second year, cohorts carried at ratio 1),
    # which chooses neither α nor β: both take their configured defaults; its residuals are multiplied by
    # forecast.first_origin_interval_scale, so every conformal quantile scales by that factor exactly
    from staffplan.forecast.enrollment import Params, build_panel, calibrate

    enr, sch = _noisy_district(years=range(2022, 2024))
    panel = build_panel(enr, sch, 2023)
    assert len(panel.years) == 2
    cfg = default_config().with_overrides({"forecast.blend_alpha_default": 0.7,
                                           "forecast.continuing_mix_default": 0.9,
                                           "forecast.recruit_mix_default": 0.3})
    cals = {f: calibrate(panel, Params.from_config(cfg.with_overrides(
        {"forecast.first_origin_interval_scale": f})), 2) for f in (1.0, 0.5)}
    # recruiting grades (招) have a default of their own (forecast.recruit_mix_default)
    assert cals[1.0].alpha == {(): 0.7} and cals[1.0].mix == {(): 0.9, ("招",): 0.3}
    q1, q5 = cals[1.0].quantiles, cals[0.5].quantiles
    assert q1.keys() == q5.keys() and len(q1)
    for key in q1:
        assert q5[key] == pytest.approx((0.5 * q1[key][0], 0.5 * q1[key][1]))
    # three years of history: the weights are chosen from the data, and the scale no longer applies
    enr3, _ = _noisy_district(years=range(2021, 2024))
    p3 = build_panel(enr3, sch, 2023)
    c3 = {f: calibrate(p3, Params.from_config(cfg.with_overrides({"forecast.first_origin_interval_scale": f})), 3)
          for f in (1.0, 0.5)}
    assert c3[1.0].quantiles == c3[0.5].quantiles


def test_small_groups_keep_the_wider_of_their_own_and_their_parents_bounds():
    from staffplan.forecast.enrollment import _quantile_table
    # band 0: 19 residuals 1 … 19 (wide), band 1: 19 residuals 9.1 … 10.9 (narrow: a few large schools)
    wide, narrow = np.arange(1.0, 20.0), 9.0 + np.arange(1.0, 20.0) / 10
    res = pd.DataFrame({"band": [0] * 19 + [1] * 19, "stage": "小学", "entry": False,
                        "r_lo": np.concatenate([wide, narrow]), "r_hi": np.concatenate([wide, narrow])})
    # level 0.6, 19 residuals: k_lo = ⌊20·0.2⌋ = 4, k_hi = ⌈20·0.8⌉ = 16 → band 1 alone (9.4, 10.6)
    assert _quantile_table(res, 0.6, 10)[(1, False)] == pytest.approx((9.4, 10.6))
    # all 38: k_lo = ⌊39·0.2⌋ = 7, k_hi = ⌈39·0.8⌉ = 32; sorted 1…8, 9, 9.1…9.9, 10, 10.0 … 10.9 (29th), 11 (30th),
    # 12, 13 → 7th = 7, 32nd = 13
    pooled = _quantile_table(res, 0.6, 10, pool_below=20)
    assert pooled[(False,)] == (7.0, 13.0)
    assert pooled[(1, False)] == pytest.approx((7.0, 13.0))            # the parent's wider bounds
    assert pooled[(1, "小学", False)] == pytest.approx((7.0, 13.0))    # → band → district
    assert pooled[(0, False)] == (4.0, 16.0)                          # band 0 is already wider than the parent
    # groups of at least pool_below residuals keep their own
    assert _quantile_table(res, 0.6, 10, pool_below=19)[(1, False)] == pytest.approx((9.4, 10.6))
