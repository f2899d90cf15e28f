"""Recruiting grades, grades fed from outside, transition intake, closures and the interval scale (issue 15): hand-computed expectations."""
import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config as _default_config


def default_config():
    # tiny districts without the history to choose α and β: the pure cohort model of the hand computations
    return _default_config().with_overrides({"forecast.blend_alpha_default": 1.0,
                                             "forecast.continuing_mix_default": 1.0,
                                             "forecast.recruit_mix_default": 1.0})
from staffplan.forecast.enrollment import GI, M_GPR, RECRUIT, _fed_from_outside, _mix, _recruits, project_enrollment


def test_recruiting_grade_and_grade_fed_from_outside():
    # three grades; last year 0 / 140 / 100, the year before 100 / 100 / 0, ratio 1.3:
    # grade 2: 140 > 1.3 × 100 = 130 and 140 − 100 = 40 > 2·√100 = 20 → recruits; grade 3: 100 > 130? no
    last = np.array([[0.0, 140.0, 100.0]])
    prev2 = np.array([[100.0, 100.0, 0.0]])
    assert _recruits(last, prev2, 1.3).tolist() == [[False, True, False]]
    # grade 2 also has an empty grade below last year → fed from outside; grade 3 (grade below 140) is not
    assert _fed_from_outside(last, prev2, 1.3).tolist() == [[False, True, False]]
    # 120 ≤ 130: a cohort that only moved up (phase-out) is not fed from outside
    assert not _fed_from_outside(np.array([[0.0, 120.0]]), np.array([[100.0, 0.0]]), 1.3).any()
    assert not _recruits(last, None, 1.3).any()                  # no year before last: none
    # a village school: 5 pupils after a cohort of 3 is 1.67 × the cohort, but the excess 2 is within
    # chance (2·√3 ≈ 3.46) → not recruiting; 12 after 3 (excess 9 > 3.46) is
    assert _recruits(np.array([[0.0, 5.0, 12.0]]), np.array([[3.0, 3.0, 0.0]]), 1.3).tolist() == [[False, False, True]]


def test_recruiting_cell_takes_the_recruit_beta():
    # one continuing cell: cohort flow 60, the grade had 40 last year. Regular β 1 (cohort flow), β of
    # recruiting grades 0.5 → a recruiting cell gives 0.5·60 + 0.5·40 = 50, a regular one 60
    gi = GI[8]
    pred = np.zeros((1, 15)); pred[0, gi] = 60.0
    method = np.zeros((1, 15), int); method[0, gi] = M_GPR
    last = np.zeros((1, 15)); last[0, gi] = 40.0
    mix = {(): 1.0, (RECRUIT,): 0.5}
    band, stage = np.array([0]), np.array(["初中"], dtype=object)
    rec = np.zeros((1, 15), bool); rec[0, gi] = True
    assert _mix(pred, method, last, mix, band, stage, rec)[0, gi] == pytest.approx(50.0)
    assert _mix(pred, method, last, mix, band, stage, ~rec)[0, gi] == pytest.approx(60.0)


def _rows(sid, table):
    return [{"school_id": sid, "year": y, "grade": g, "students": v, "classes": np.nan}
            for y, grades in table.items() for g, v in grades.items() if v]


def test_grade_fed_from_outside_is_projected_as_intake_and_phase_out_stops():
    years = [2020, 2021, 2022]
    # F (初中): grade 7 given away in 2023, grade 8 took in a second school (200 > 1.3 × 100)
    f = {y: {7: 100, 8: 100, 9: 100} for y in years} | {2023: {8: 200, 9: 100}}
    # P (小学): intake stopped in 2023 (停招), grades 2–6 are the cohorts that moved up (50 = 50)
    p = {y: {g: 50 for g in range(1, 7)} for y in years} | {2023: {g: 50 for g in range(2, 7)}}
    enr = pd.DataFrame(_rows("F", f) + _rows("P", p))
    sch = pd.DataFrame([{"school_id": "F", "stage": "初中", "town": "A"}, {"school_id": "P", "stage": "小学", "town": "A"}])
    out = project_enrollment(enr, sch, default_config(), 2024).set_index(["school_id", "grade"])
    # F grade 8 is an intake grade (趋势): level = 0.6 × 200 + 0.4 × mean(100, 100, 200) = 120 + 53.33 = 173.33;
    # no school took grade 8 as its entry grade before, so no district transition factor (× 1); two schools:
    # too few school-years for a blend weight (α = 1) or a continuing-grade weight (β = 1)
    assert out.loc[("F", 8), "method"] == "趋势"
    assert out.loc[("F", 8), "students"] == pytest.approx(173.333, abs=1e-3)
    # P grade 2: its cohort (grade 1 in 2023) is empty → 0, 停招
    assert out.loc[("P", 2), "method"] == "停招" and out.loc[("P", 2), "students"] == 0


def test_overdispersion_scale_and_choice():
    from staffplan.forecast.enrollment import _scale, select_overdispersion
    # √(pred + c·pred²): 100 pupils, c = 0.05 → √(100 + 500) = √600; c = 0 → √100 = 10; below 1 pupil → 1
    assert _scale(np.array([100.0]), 0.05)[0] == pytest.approx(600 ** 0.5)
    assert _scale(np.array([100.0, 0.2]))[0] == 10.0 and _scale(np.array([0.2]))[0] == 1.0
    # errors proportional to the cell (±2 % … ±10 %, alternating signs, whole pupils): 40 cells of 200
    # pupils miss by ±4 … ±20, 40 cells of 4,000 by ±80 … ±400. With √pred (c = 0) the scaled errors are
    # ≤ 20/√200 ≈ 1.4 for the small cells and up to 400/√4000 ≈ 6.3 for the large ones: the pooled 80 %
    # interval covers all small cells and too few large ones. With c = 0.2 they scale to ≤ 20/√8,200 ≈ 0.22
    # and 400/√3,204,000 ≈ 0.22 alike: the grid's largest c covers the two sizes most evenly
    pred = np.r_[np.full(40, 200.0), np.full(40, 4000.0)]
    u = np.tile([1.0, -1.0], 40) * np.r_[np.linspace(0.02, 0.1, 40), np.linspace(0.02, 0.1, 40)]
    act = np.round(pred * (1 + u))
    assert select_overdispersion(pred, act, 0.8, 30) == 0.2
    # one size only (one bin): nothing to even out → 0
    assert select_overdispersion(pred[:40], act[:40], 0.8, 30) == 0.0


def test_closures_left_out_of_quantiles_and_paid_from_the_lower_tail():
    from staffplan.forecast.enrollment import _conformal, closure_levels
    # band 0: 2 of 20 cells in schools that closed (π = 0.1); band 1: none. Level 0.8 → 10 % per side:
    # band 0 below: max(0.1 − 0.1, 0)/0.9 = 0, above: 0.1/0.9 = 0.111…; band 1: (0.1, 0.1);
    # overall π = 2/40 = 0.05: below 0.05/0.95 = 0.0526…, above 0.1/0.95 = 0.105…
    res = pd.DataFrame({"band": [0] * 20 + [1] * 20, "closed": [True] * 2 + [False] * 38})
    overall, bands = closure_levels(res, 0.8)
    assert overall == pytest.approx((0.05 / 0.95, 0.1 / 0.95))
    assert bands[0] == pytest.approx((0.0, 0.1 / 0.9)) and bands[1] == pytest.approx((0.1, 0.1))
    # explicit tails in the conformal order statistics: n = 19, misses (0.05, 0.2):
    # k_lo = ⌊20 · 0.05⌋ = 1 → 1; k_hi = ⌈20 · 0.8⌉ = 16 → 16; a level 0.8 is (0.1, 0.1) → (2, 18)
    r = np.arange(1.0, 20.0)
    assert _conformal(r, (0.05, 0.2)) == (1.0, 16.0) and _conformal(r, 0.8) == (2.0, 18.0)


def test_transition_intake_takes_last_years_ratio():
    # A (小学) has grade 6: 100, 100, 100, 120 in 2020–2023; M (初中) takes grade 7: 90, 90, 85, 80.
    # Transition ratios (M's grade 7 ÷ the district's grade 6 a year before): 90/100, 85/100, 80/100 = 0.9,
    # 0.85, 0.8. M's level = 0.6 × 80 + 0.4 × mean(90, 85, 80) = 82; the pool = last intake 80 × r/0.8 ×
    # this year's grade 6 ÷ last year's (120/100). transition_damping 0: r = 0.8 → 80 × 1.2 = 96;
    # 0.5: r = 0.8 + 0.5 × (−0.05) = 0.775 → 80 × 0.775/0.8 × 1.2 = 93. (Two schools: α = β = 1.)
    a = {2020: {6: 100}, 2021: {6: 100}, 2022: {6: 100}, 2023: {6: 120}}
    m = {2020: {7: 90}, 2021: {7: 90}, 2022: {7: 85}, 2023: {7: 80}}
    enr = pd.DataFrame(_rows("A", a) + _rows("M", m))
    sch = pd.DataFrame([{"school_id": "A", "stage": "小学", "town": "T"}, {"school_id": "M", "stage": "初中", "town": "T"}])

    def m7(cfg):
        out = project_enrollment(enr, sch, cfg, 2024)
        return out[(out["school_id"] == "M") & (out["grade"] == 7)]["students"].iloc[0]
    assert m7(default_config()) == pytest.approx(96.0)
    assert m7(default_config().with_overrides({"forecast.transition_damping": 0.5})) == pytest.approx(93.0)


def test_adaptive_step_scales_the_misses():
    from staffplan.forecast.enrollment import _adapt_tails
    # misses (0.05, 0.15), target 80 %; 74 % covered → aim at 80 + ½·6 = 83 %: misses × 0.17/0.2 = 0.85
    assert _adapt_tails((0.05, 0.15), cov=0.74) == pytest.approx((0.0425, 0.1275))
    # a band that follows the overall shift of +3 points: (0.1, 0.1) → 83 % → (0.085, 0.085)
    assert _adapt_tails((0.1, 0.1), shift=0.03) == pytest.approx((0.085, 0.085))
    # 50 % covered would ask for 95 %: capped at +10 points → 90 % → (0.05, 0.05)
    assert _adapt_tails((0.1, 0.1), cov=0.5) == pytest.approx((0.05, 0.05))


def test_recruit_beta_of_zero_is_a_weight_not_a_missing_group():
    # NYC learned β = 0 for its recruiting grades (their size is last year's, set by admission); a β of 0 was
    # read as "no group" and the cell fell back to the regular β 1: 60 instead of 0·60 + 1·40 = 40
    gi = GI[10]
    pred = np.zeros((1, 15)); pred[0, gi] = 60.0
    method = np.zeros((1, 15), int); method[0, gi] = M_GPR
    last = np.zeros((1, 15)); last[0, gi] = 40.0
    rec = np.zeros((1, 15), bool); rec[0, gi] = True
    out = _mix(pred, method, last, {(): 1.0, (RECRUIT,): 0.0}, np.array([0]), np.array(["高中"], dtype=object), rec)
    assert out[0, gi] == pytest.approx(40.0)


def test_without_calibration_cells_recruiting_grades_take_their_own_prior():
    # two years of history: no calibration cell chooses β; regular cells take continuing_mix_default (0.8),
    # recruiting cells recruit_mix_default (0.2). Cohort flow 60, the grade had 40 last year:
    # recruiting 0.2·60 + 0.8·40 = 44, regular 0.8·60 + 0.2·40 = 56
    from staffplan.forecast.enrollment import Params, select_mix

    cfg = _default_config().with_overrides({"forecast.continuing_mix_default": 0.8,
                                            "forecast.recruit_mix_default": 0.2})
    mix = select_mix([], None, Params.from_config(cfg))
    assert mix == {(): 0.8, (RECRUIT,): 0.2}
    gi = GI[10]
    pred = np.zeros((1, 15)); pred[0, gi] = 60.0
    method = np.zeros((1, 15), int); method[0, gi] = M_GPR
    last = np.zeros((1, 15)); last[0, gi] = 40.0
    rec = np.zeros((1, 15), bool); rec[0, gi] = True
    band, stage = np.array([0]), np.array(["高中"], dtype=object)
    assert _mix(pred, method, last, mix, band, stage, rec)[0, gi] == pytest.approx(44.0)
    assert _mix(pred, method, last, mix, band, stage, ~rec)[0, gi] == pytest.approx(56.0)


def test_entry_grade_mean_counts_only_the_years_the_grade_was_offered():
    # district grade 5 (primary school B) 100 every year; two middle schools take grade 6 as their entry grade:
    # C every year (30, 30, 30), A only since last year (0, 0, 30 — it had grades 7–8 before).
    # level = 0.6 × last + 0.4 × mean of the years the grade had pupils: A 0.6·30 + 0.4·30 = 30 (the old mean over
    # the years the school had pupils, (0 + 0 + 30)/3 = 10, gave 22), C 30. District transition ratio last year
    # 60/100 = 0.6, grade 5 unchanged → pool 60 = 60 × 0.6/0.6 × 100/100; shared by level: A 30, C 30
    # (with the old level, A 22 × 60/52 = 25.4 and C 34.6)
    from staffplan.forecast.enrollment import M_TREND, Params, _point, build_panel

    years = [2021, 2022, 2023]
    b = {y: {g: 100 for g in range(1, 7)} for y in years}
    c = {y: {6: 30, 7: 30, 8: 30} for y in years}
    a = {2021: {7: 40, 8: 40}, 2022: {7: 40, 8: 40}, 2023: {6: 30, 7: 40, 8: 40}}
    enr = pd.DataFrame(_rows("A", a) + _rows("B", b) + _rows("C", c))
    sch = pd.DataFrame([{"school_id": "A", "stage": "初中", "town": "T"}, {"school_id": "B", "stage": "小学", "town": "T"},
                        {"school_id": "C", "stage": "初中", "town": "T"}])
    panel = build_panel(enr, sch, 2023)
    pred, method, entry = _point(panel, panel.S, 3, Params.from_config(default_config()))
    ia, ic = list(panel.ids).index("A"), list(panel.ids).index("C")
    assert method[ia, GI[6]] == M_TREND and method[ic, GI[6]] == M_TREND and entry[ia, GI[6]]
    assert pred[ia, GI[6]] == pytest.approx(30.0)
    assert pred[ic, GI[6]] == pytest.approx(30.0)
