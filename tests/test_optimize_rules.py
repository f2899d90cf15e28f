"""The rotation rules in periods, one hand-computed case each: the sending rule summed over leavers (main and
second subject), the receiver threshold, the move cost λ, and the published tie-break."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.optimize.pipeline import rotate_frames

YEAR = 2026


def frames(teachers, gaps):
    """School A (城区) sends, school B (乡村) receives, 2.2 km apart; every teacher 应交流 (一级教师, 16 years at the
    school, 41 years old).  ``teachers``: (id, school, subject, periods, subject2, periods2, years);
    ``gaps``: (school, subject, gap periods, load)."""
    schools = pd.DataFrame({"school_id": ["A", "B"], "school_name": ["甲校", "乙校"], "stage": "小学", "town": "T1",
                            "locality": ["城区", "乡村"], "tier": "一般", "group": "", "lon": [113.0, 113.02],
                            "lat": [23.0, 23.0], "county": "", "zone": "T1"})
    n = len(teachers)
    arrival = [pd.Timestamp(YEAR - (t[6] if len(t) > 6 else 16), 8, 1) for t in teachers]
    roster = pd.DataFrame({
        "teacher_id": [t[0] for t in teachers], "id_number": "", "name": [f"教师{t[0]}" for t in teachers],
        "sex": "男", "birth_date": pd.Timestamp("1985-01-01"), "school_id": [t[1] for t in teachers],
        "subject": [t[2] for t in teachers], "subject2": [t[4] if len(t) > 4 else "" for t in teachers],
        "periods": [float(t[3] + (t[5] if len(t) > 5 else 0)) for t in teachers], "title": "一级教师",
        "title_level": "中级", "employment": "在编", "post": "专任教师", "arrival_date": arrival,
        "backbone": False, "special": "", "special_approved": False, "willingness": "",
        "agreed_retirement": pd.NaT, "retirement_group": np.nan, "status": "在本单位任职"})
    supply = pd.DataFrame({"teacher_id": roster["teacher_id"], "school_id": roster["school_id"], "stage": "小学",
                           "subject": roster["subject"], "subject2": roster["subject2"],
                           "periods_main": [float(t[3]) for t in teachers],
                           "periods_second": [float(t[5]) if len(t) > 5 else 0.0 for t in teachers],
                           "standard_load": 12.0, "counts": [True] * n})
    g = pd.DataFrame({"school_id": [x[0] for x in gaps], "stage": "小学", "subject": [x[1] for x in gaps],
                      "gap_periods": [float(x[2]) for x in gaps], "standard_load": [float(x[3]) for x in gaps]})
    g["gap_fte"] = g["gap_periods"] / g["standard_load"]
    return roster, schools, g, supply


def plan(fr, **overrides):
    cfg = default_config().with_overrides({"exchange.share_rules_on": False, "exchange.compare_plans": False,
                                           **overrides})
    rot = rotate_frames(*fr, cfg, YEAR)
    assert rot.audit.empty and rot.diagnosis.empty
    return rot


def test_sending_rule_sums_the_periods_of_all_leavers():
    # A 数学: surplus 14 periods, load 12 → may lose 14 + 0.5 · 12 = 20 periods.  B 数学 short 24 (2 slots).
    # Two 10-period teachers: 10 + 10 = 20 ≤ 20 → both go (a post count, floor(20 / 12) = 1, would stop one);
    # A ends 6 periods short = exactly the tolerance.
    fr = frames([("a1", "A", "数学", 10), ("a2", "A", "数学", 10)], [("A", "数学", -14, 12), ("B", "数学", 24, 12)])
    rot = plan(fr)
    assert sorted(rot.exchanges["teacher_id"]) == ["a1", "a2"]
    cov = rot.coverage.set_index(["school_id", "subject"])
    assert cov.loc[("A", "数学"), "remaining"] == pytest.approx(6.0)
    # 11 + 11 = 22 > 20: only one may go (which one: the tie-break, longer years at the school first)
    fr = frames([("a1", "A", "数学", 11, "", 0, 10), ("a2", "A", "数学", 11, "", 0, 12)],
                [("A", "数学", -14, 12), ("B", "数学", 24, 12)])
    assert list(plan(fr).exchanges["teacher_id"]) == ["a2"]


def test_sending_rule_counts_second_subject_periods():
    # A 数学 has a large surplus; A 科学 is balanced (gap 0, load 14 → may lose 0.5 · 14 = 7 periods).  Each leaver
    # also teaches 4 periods of 科学: two leavers take 8 > 7, so only one goes although B needs both.
    fr = frames([("a1", "A", "数学", 10, "科学", 4, 10), ("a2", "A", "数学", 10, "科学", 4, 12)],
                [("A", "数学", -40, 12), ("A", "科学", 0, 14), ("B", "数学", 24, 12)])
    rot = plan(fr)
    assert list(rot.exchanges["teacher_id"]) == ["a2"]
    assert rot.coverage.set_index(["school_id", "subject"]).loc[("A", "科学"), "remaining"] == pytest.approx(4.0)


def test_receiver_only_from_the_shortage_threshold():
    # threshold 0.5 FTE · load 12 = 6 periods: B 数学 short 5 receives nobody, short 6 receives one teacher
    # (6 periods × weight 1.5 (乡村) = 9 weighted periods > λ = 2)
    base = [("a1", "A", "数学", 12)]
    assert plan(frames(base, [("A", "数学", -14, 12), ("B", "数学", 5, 12)])).exchanges.empty
    rot = plan(frames(base, [("A", "数学", -14, 12), ("B", "数学", 6, 12)]))
    assert list(rot.exchanges["teacher_id"]) == ["a1"]
    assert list(rot.sheets()["交流名单"]["补充学科"][:1]) == ["数学"]


def test_move_cost_trades_moves_against_periods():
    # B 数学 short 7: one move covers 7 periods × 1.5 (乡村) = 10.5 weighted periods (A 数学 keeps 14 − 12 = 2 spare).
    # λ = 2 → move (10.5 > 2 + km cost); λ = 12 → no move (10.5 < 12)
    fr = frames([("a1", "A", "数学", 12)], [("A", "数学", -14, 12), ("B", "数学", 7, 12)])
    assert len(plan(fr).exchanges) == 1
    assert plan(fr, **{"exchange.move_cost": 12.0}).exchanges.empty


def test_tie_break_prefers_longer_years_then_id():
    # three identical teachers (same school, subject, periods); B needs one: the one with most years at A goes;
    # with equal years the smaller 教师编号
    gaps = [("A", "数学", -40, 12), ("B", "数学", 12, 12)]
    fr = frames([("a3", "A", "数学", 12, "", 0, 9), ("a1", "A", "数学", 12, "", 0, 8), ("a2", "A", "数学", 12, "", 0, 9)],
                gaps)
    assert list(plan(fr).exchanges["teacher_id"]) == ["a2"]
    for solver in ("cbc", "highs"):
        rot = rotate_frames(*fr, default_config().with_overrides(
            {"exchange.share_rules_on": False, "exchange.compare_plans": False}), YEAR, solver=solver)
        assert list(rot.exchanges["teacher_id"]) == ["a2"]


def nine_year(gap_primary, gap_middle):
    """School A is a 九年一贯制 with 语文 in 小学 (load 12) and 初中 (load 10); a1 teaches 12 periods of 小学语文;
    B (乡村 小学) is short 24 periods of 语文."""
    roster, schools, _, supply = frames([("a1", "A", "语文", 12)], [])
    schools.loc[schools["school_id"] == "A", "stage"] = "九年一贯制"
    g = pd.DataFrame({"school_id": ["A", "A", "B"], "stage": ["小学", "初中", "小学"], "subject": "语文",
                      "gap_periods": [float(gap_primary), float(gap_middle), 24.0], "standard_load": [12.0, 10.0, 12.0]})
    g["gap_fte"] = g["gap_periods"] / g["standard_load"]
    return roster, schools, g, supply


def test_sending_rule_holds_for_the_school_subject_over_both_stages():
    # 小学语文 surplus 10 (cell allowance 0.5 · 12 + 10 = 16 ≥ 12: the cell alone would let a1 go), 初中语文 short 5:
    # the school's 语文 is 5 periods in surplus, so it may lose 0.5 · min(12, 10) + 5 = 10 periods < 12 → a1 stays
    assert plan(nine_year(-10, 5)).exchanges.empty
    # 初中语文 short only 2: the school's surplus is 8 → may lose 5 + 8 = 13 ≥ 12 → a1 goes (12 × 1.5 > λ)
    rot = plan(nine_year(-10, 2))
    assert list(rot.exchanges["teacher_id"]) == ["a1"]


def test_sending_rule_holds_on_the_gap_as_shown():
    # A 数学 surplus 12.3337 periods, shown in 学科缺口 as 12.3; load 12.  a1 teaches 18.33 periods:
    # exact 18.33 ≤ 6 + 12.3337 = 18.3337, but on the published figure 18.33 > 6 + 12.3 = 18.3 → a1 stays;
    # with 18.3 periods (≤ 18.3 on both) a1 goes
    assert plan(frames([("a1", "A", "数学", 18.33)], [("A", "数学", -12.3337, 12), ("B", "数学", 24, 12)])).exchanges.empty
    rot = plan(frames([("a1", "A", "数学", 18.3)], [("A", "数学", -12.3337, 12), ("B", "数学", 24, 12)]))
    assert list(rot.exchanges["teacher_id"]) == ["a1"]


def test_move_into_a_cell_below_the_threshold_only_as_a_two_way_swap():
    # A (城区) and C (城区, short 12 periods of 数学) cannot exchange with each other (same 城乡, same 办学水平); B (乡村)
    # is not short.  The share rules need A's 应交流 teacher a1 to move (10 % of A's 应交流 teachers → 1; a1 is 骨干).
    # A chain a1 → B, b1 → C would cover C, but a1's move goes into B's cell, which is not short, without a teacher
    # coming back: not a 双向对调.  Allowed: the swap a1 → B, b1 → A (C stays short; every move 双向对调).
    roster, schools, g, supply = frames([("a1", "A", "数学", 12), ("b1", "B", "数学", 12)],
                                        [("A", "数学", -12, 12), ("B", "数学", -12, 12), ("C", "数学", 12, 12)])
    roster.loc[roster["teacher_id"] == "a1", "backbone"] = True
    schools = pd.concat([schools, schools.iloc[[0]].assign(school_id="C", school_name="丙校", lat=23.03)],
                        ignore_index=True)
    cfg = default_config().with_overrides({"exchange.compare_plans": False})
    rot = rotate_frames(roster, schools, g, supply, cfg, YEAR)
    assert rot.audit.empty and rot.diagnosis.empty
    assert sorted(zip(rot.exchanges["teacher_id"], rot.exchanges["to_school"])) == [("a1", "B"), ("b1", "A")]
    assert set(rot.exchanges["type"]) == {"双向对调"}



def test_share_rules_get_a_two_way_swap_when_the_sending_rule_blocks_the_shortage_move():
    # A (城区) 数学 has no surplus (gap 0, load 12), B (乡村) 数学 is short 12 periods; a1 (A) and b1 (B) teach 12.
    # The share rules need one move (5 % of 2 compulsory teachers → 1; 10 % of A's one 应交流 teacher → 1, and it
    # must be a1).  The estimate of what shortages absorb says 1 (a1 → B, one slot of 12), so swaps are not
    # generated at first — but a1 → B alone breaks the sending rule (A would end 12 short > 0.5 × 12).  The only
    # plan: the swap a1 → B, b1 → A (A and B keep their periods).  Before the mend: 诊断, "要求 1, 可达 0".
    roster, schools, g, supply = frames([("a1", "A", "数学", 12), ("b1", "B", "数学", 12)],
                                        [("A", "数学", 0, 12), ("B", "数学", 12, 12)])
    roster.loc[roster["teacher_id"] == "a1", "backbone"] = True
    cfg = default_config().with_overrides({"exchange.compare_plans": False})
    rot = rotate_frames(roster, schools, g, supply, cfg, YEAR)
    assert rot.audit.empty and rot.diagnosis.empty
    assert sorted(zip(rot.exchanges["teacher_id"], rot.exchanges["to_school"])) == [("a1", "B"), ("b1", "A")]
    assert set(rot.exchanges["type"]) == {"双向对调"}
    assert rot.requirements[""]["pairs"]


def test_a_willing_teacher_below_the_years_rule_is_sent_only_when_volunteers_are_used():
    # a1 has 3 years at A (not 应交流: needs more than 6) and said 愿意交流; A 数学 has 12 periods surplus, B 数学 is
    # short 12.  domain §6 names only who must rotate: by default a1 stays and 交流资格 says why; with
    # exchange.use_volunteers a1 → B, 资格 still 不符合 (the contract's five values) and 依据 says a1 was listed
    fr = frames([("a1", "A", "数学", 12, "", 0, 3)], [("A", "数学", -12, 12), ("B", "数学", 12, 12)])
    fr[0]["willingness"] = "愿意交流"
    rot = plan(fr)
    assert rot.exchanges.empty
    el = rot.eligibility.set_index("teacher_id").loc["a1"]
    assert el["status"] == "不符合" and "不列入交流人选" in el["public_reason"]
    rot = plan(fr, **{"exchange.use_volunteers": True})
    assert list(zip(rot.exchanges["teacher_id"], rot.exchanges["to_school"])) == [("a1", "B")]
    el = rot.eligibility.set_index("teacher_id").loc["a1"]
    assert el["status"] == "不符合" and "已作为自愿交流人选列入交流名单" in el["public_reason"]


def test_urban_share_rule_over_all_urban_schools_or_school_by_school():
    # A and C are 城区 schools with 应交流 teachers (A: a1, a2; C: c1, farther from B); B (乡村) is short 24 periods of
    # 数学 (two slots of 12).  10 % of the 3 应交流 teachers at 城镇 schools → 1 (district scope): the plan takes the
    # two nearest, a1 and a2 from A.  School by school: A needs ceil(10 % × 2) = 1 and C ceil(10 % × 1) = 1, so c1
    # must go: a1 (longer years at A) and c1.
    roster, schools, g, supply = frames([("a1", "A", "数学", 12, "", 0, 16), ("a2", "A", "数学", 12, "", 0, 15),
                                         ("c1", "C", "数学", 12, "", 0, 10)],
                                        [("A", "数学", -24, 12), ("C", "数学", -12, 12), ("B", "数学", 24, 12)])
    roster["backbone"] = True
    schools = pd.concat([schools, schools.iloc[[0]].assign(school_id="C", school_name="丙校", lat=23.05)],
                        ignore_index=True)
    got = {}
    for scope in ("district", "school"):
        cfg = default_config().with_overrides({"exchange.compare_plans": False, "exchange.urban_share_scope": scope})
        rot = rotate_frames(roster, schools, g, supply, cfg, YEAR)
        assert rot.audit.empty and rot.diagnosis.empty
        got[scope] = sorted(rot.exchanges["teacher_id"])
        assert rot.requirements[""]["quota_urban"] == (1 if scope == "district" else 2)
    assert got == {"district": ["a1", "a2"], "school": ["a1", "c1"]}
    # the independent audit checks the scope too: the district plan breaks the school-by-school rule at C
    from staffplan.optimize.audit import audit_plan
    cfg = default_config().with_overrides({"exchange.compare_plans": False})
    rot = rotate_frames(roster, schools, g, supply, cfg, YEAR)
    strict = cfg.with_overrides({"exchange.urban_share_scope": "school"})
    ex = rot.exchanges.assign(periods=rot.exchanges["offer"])
    zj = pd.DataFrame(columns=["teacher_id", "home", "host", "subject", "stage", "periods"])
    breaches = audit_plan(ex, zj, roster, schools, g, rot.eligibility, strict, YEAR, supply, None)
    assert len(breaches) == 1 and "逐校" in breaches.iloc[0]["说明"]


def nine_year_receiver(middle_gap, subject="数学", primary_gap=12.0, load=12.0, middle_load=10.0, teachers=None):
    """B (乡村) becomes a 九年一贯制 with ``subject`` in 小学 (short ``primary_gap``) and 初中 (gap ``middle_gap``)."""
    roster, schools, g, supply = frames(teachers or [("a1", "A", "数学", 12)],
                                        [("A", "数学", -40, 12), ("A", "音乐", -20, 12)])
    schools.loc[schools["school_id"] == "B", "stage"] = "九年一贯制"
    extra = pd.DataFrame({"school_id": ["B", "B"], "stage": ["小学", "初中"], "subject": subject,
                          "gap_periods": [float(primary_gap), float(middle_gap)], "standard_load": [load, middle_load]})
    g = pd.concat([g, extra], ignore_index=True)
    g["gap_fte"] = g["gap_periods"] / g["standard_load"]
    return roster, schools, g, supply


def test_receiver_is_short_over_both_stages_of_the_school():
    # B 小学数学 short 12 periods = 1 FTE (load 12).  初中数学 surplus 8 periods = 0.8 FTE (load 10): the school's 数学 is
    # short 0.2 FTE < 0.5 — its own 初中 teachers cover most of it, nobody is sent.  初中 surplus 2 (0.2 FTE): short
    # 0.8 FTE ≥ 0.5 → a1 goes
    assert plan(nine_year_receiver(-8)).exchanges.empty
    assert list(plan(nine_year_receiver(-2)).exchanges["teacher_id"]) == ["a1"]


def test_zoujiao_host_capped_by_the_school_over_both_stages():
    # a1 teaches 4 periods of 音乐 (load 12 → 8 spare).  B 小学音乐 short 5 (below the 6-period threshold: no exchange)
    # and 初中音乐 surplus 3 → the school lacks 2 periods of 音乐: 2 periods of 走教, not 5
    fr = nine_year_receiver(-3, subject="音乐", primary_gap=5, middle_load=12.0, teachers=[("a1", "A", "音乐", 4)])
    rot = plan(fr)
    assert rot.exchanges.empty
    assert list(rot.zoujiao["periods"]) == [2]
    fr = nine_year_receiver(0, subject="音乐", primary_gap=5, middle_load=12.0, teachers=[("a1", "A", "音乐", 4)])
    assert list(plan(fr).zoujiao["periods"]) == [5]


def test_zoujiao_host_capped_by_the_complete_middle_school_over_all_stages():
    # A is a 高中 whose a1 teaches 4 periods of 音乐 (load 12 → 8 spare).  B becomes a 完全中学: 高中音乐 short 5, 初中音乐
    # 3 periods to spare → the school lacks 2 periods of 音乐: 2 periods of 走教, not 5; with nothing to spare, 5
    def complete_middle(middle_gap):
        roster, schools, g, supply = frames([("a1", "A", "音乐", 4)], [("A", "音乐", -20, 12)])
        schools["stage"] = ["高中", "完全中学"]
        supply["stage"] = "高中"
        g["stage"] = "高中"
        extra = pd.DataFrame({"school_id": ["B", "B"], "stage": ["初中", "高中"], "subject": "音乐",
                              "gap_periods": [float(middle_gap), 5.0], "standard_load": [12.0, 12.0]})
        g = pd.concat([g, extra], ignore_index=True)
        g["gap_fte"] = g["gap_periods"] / g["standard_load"]
        return roster, schools, g, supply

    rot = plan(complete_middle(-3))
    assert rot.exchanges.empty
    assert list(rot.zoujiao["periods"]) == [2]
    assert list(plan(complete_middle(0)).zoujiao["periods"]) == [5]


def test_zoujiao_of_two_subjects_at_one_host_is_listed_one_row_per_subject():
    # a1 teaches 音乐 4 + 美术 2 (load 12 → 6 spare); B lacks 3 periods of 音乐 and 2 of 美术 (below the exchange
    # threshold).  走教: 音乐 3 and 美术 2, two rows; trips ceil(5 ÷ 2) = 3 a week × 4 weeks × 30 元 = 360 元 a month,
    # on the 音乐 row (more periods), 0 on the 美术 row
    fr = frames([("a1", "A", "音乐", 4, "美术", 2)],
                [("A", "音乐", -20, 12), ("A", "美术", -20, 12), ("B", "音乐", 3, 12), ("B", "美术", 2, 12)])
    zj = plan(fr).zoujiao.set_index("subject")
    assert sorted(zj.index) == ["美术", "音乐"]
    assert (zj.loc["音乐", "periods"], zj.loc["美术", "periods"]) == (3, 2)
    assert (zj.loc["音乐", "subsidy_month"], zj.loc["美术", "subsidy_month"]) == (360.0, 0.0)


def test_each_arrival_still_finds_the_threshold():
    # B 数学 short 17 periods, load 12, threshold 6: the first teacher leaves 5 periods short, below the threshold, so
    # a second is not sent (it would leave B 7 periods over); short 18 → the second finds 6 = the threshold → goes
    team = [("a1", "A", "数学", 12, "", 0, 10), ("a2", "A", "数学", 12, "", 0, 12)]
    rot = plan(frames(team, [("A", "数学", -40, 12), ("B", "数学", 17, 12)]))
    assert list(rot.exchanges["teacher_id"]) == ["a2"]
    assert rot.coverage.set_index(["school_id", "subject"]).loc[("B", "数学"), "remaining"] == pytest.approx(5.0)
    rot = plan(frames(team, [("A", "数学", -40, 12), ("B", "数学", 18, 12)]))
    assert sorted(rot.exchanges["teacher_id"]) == ["a1", "a2"]


def test_teacher_with_a_special_situation_is_not_sent_to_zoujiao():
    # the 走教 case above (B short 5 periods of 音乐, a1 has 8 spare) with a1 in 哺乳期 (filed, not approved) and a
    # 二级教师 — not a teacher who must rotate, so the exchange status is 不符合, not 暂缓: still no 走教; with
    # zoujiao.allow_deferred the 5 periods are taught again
    roster, schools, g, supply = nine_year_receiver(0, subject="音乐", primary_gap=5, middle_load=12.0,
                                                    teachers=[("a1", "A", "音乐", 4)])
    roster[["special", "special_approved", "title", "title_level"]] = ["哺乳期", False, "二级教师", "初级"]
    assert plan((roster, schools, g, supply)).zoujiao.empty
    assert list(plan((roster, schools, g, supply), **{"zoujiao.allow_deferred": True}).zoujiao["periods"]) == [5]


def test_zoujiao_whole_periods_up_to_the_gap_as_shown():
    # a1 teaches 4 periods of 音乐 (load 12 → 8 spare); B 音乐 short 5.03 periods, below the 6-period threshold (no
    # exchange).  Shown as 5.0 in 缺口覆盖: 5 periods of 走教, not ceil(5.03) = 6 (the sheet would show 6 against 5.0,
    # 1 period over); short 5.06, shown 5.1: 6 whole periods are needed and allowed
    team = [("a1", "A", "音乐", 4)]
    rot = plan(frames(team, [("A", "音乐", -20, 12), ("B", "音乐", 5.03, 12)]))
    assert rot.exchanges.empty and list(rot.zoujiao["periods"]) == [5]
    rot = plan(frames(team, [("A", "音乐", -20, 12), ("B", "音乐", 5.06, 12)]))
    assert list(rot.zoujiao["periods"]) == [6]


def test_teacher_retiring_during_the_school_year_is_not_sent_to_zoujiao():
    # the 走教 case above (B short 5 periods of 音乐, a1 has 8 spare) with a1 a woman born 15 Jun 1971: original age
    # 55 + 5 months (one month per four months of birth after Jan 1970, the first month included) → retires in Nov
    # 2026, inside the school year that starts 1 Sep 2026.  A whole-year 走教 timetable would lose her mid-year:
    # no 走教; with zoujiao.allow_retiring_in_year the 5 periods are taught again
    roster, schools, g, supply = nine_year_receiver(0, subject="音乐", primary_gap=5, middle_load=12.0,
                                                    teachers=[("a1", "A", "音乐", 4)])
    roster[["sex", "birth_date", "title", "title_level"]] = ["女", pd.Timestamp("1971-06-15"), "二级教师", "初级"]
    rot = plan((roster, schools, g, supply))
    retire = pd.Timestamp(rot.eligibility.set_index("teacher_id").loc["a1", "retire_date"])
    assert pd.Timestamp(YEAR, 9, 1) <= retire < pd.Timestamp(YEAR + 1, 9, 1)
    assert rot.zoujiao.empty
    assert list(plan((roster, schools, g, supply), **{"zoujiao.allow_retiring_in_year": True}).zoujiao["periods"]) == [5]


def test_zoujiao_home_first_no_school_lends_a_subject_it_lacks():
    # A and B both short 5 periods of 音乐 (below the 6-period threshold: no exchange); a1 (A) and b1 (B) teach 9 of
    # 12 periods (3 spare each, no consent for more).  Lending a1 to B and b1 to A would "cover" both on paper with
    # two trips; each school's own spare comes first: no 走教 at all
    team = [("a1", "A", "音乐", 9), ("b1", "B", "音乐", 9)]
    rot = plan(frames(team, [("A", "音乐", 5, 12), ("B", "音乐", 5, 12)]))
    assert rot.exchanges.empty and rot.zoujiao.empty
    # A short 3, a1 teaches 4 (8 spare): A keeps them for itself, B (short 5.9) gets nothing; A short 0.04 (shown
    # 0.0) is still short
    rot = plan(frames([("a1", "A", "音乐", 4)], [("A", "音乐", 3, 12), ("B", "音乐", 5.9, 12)]))
    assert rot.zoujiao.empty
    rot = plan(frames([("a1", "A", "音乐", 4)], [("A", "音乐", 0.04, 12), ("B", "音乐", 5.9, 12)]))
    assert rot.zoujiao.empty
    # A not short: ⌈5.9⌉ = 6 go
    rot = plan(frames([("a1", "A", "音乐", 4)], [("A", "音乐", -3, 12), ("B", "音乐", 5.9, 12)]))
    assert list(rot.zoujiao["periods"]) == [6]


def test_canonical_pairing_when_the_nearest_first_pass_would_strand_a_mover():
    # three 语文 movers of school A (PRIORITY: a1 — 18 years, a2 — 11 years, a3 — rated lower) leave for B (1 km),
    # C (4 km) and D (35 km); a3 has no candidate row to D.  Nearest first would give a1 → B, a2 → C and strand a3,
    # so a2 takes the next destination that still places a3: a1 → B, a2 → D, a3 → C — whatever pairing the solver
    # returned (here the two others)
    from staffplan.optimize.candidates import canonical_pairing

    km = {"B": 1.0, "C": 4.0, "D": 35.0}
    allowed = [("a1", "B"), ("a1", "C"), ("a1", "D"), ("a2", "B"), ("a2", "C"), ("a2", "D"), ("a3", "B"), ("a3", "C")]
    for solved in ({"a1": "D", "a2": "B", "a3": "C"}, {"a1": "C", "a2": "D", "a3": "B"}):
        rows = pd.DataFrame({"teacher_id": [t for t, _ in allowed], "from_school": "A", "subject": "语文",
                             "to_school": [c for _, c in allowed], "cell": [c for _, c in allowed],
                             "cost_km": [km[c] for _, c in allowed],
                             "chosen": [solved[t] == c for t, c in allowed],
                             "must": True, "willing": False,
                             "preference": [0 if t != "a3" else 2 for t, _ in allowed],
                             "years_at_school": [{"a1": 18.0, "a2": 11.0, "a3": 20.0}[t] for t, _ in allowed]})
        out = canonical_pairing(rows)
        got = dict(zip(out.loc[out["chosen"], "teacher_id"], out.loc[out["chosen"], "cell"]))
        assert got == {"a1": "B", "a2": "D", "a3": "C"}, solved


def test_zoujiao_host_first_uses_its_own_spare_periods():
    # B short 5 periods of 音乐 (below the threshold: no exchange); a1 (A, 音乐 not short) has 8 spare.  B's own b1
    # teaches all 12 periods: B gets 5 periods of 走教; b1 teaching 10 (2 spare) covers 2 of them: B gets 3
    rot = plan(frames([("a1", "A", "音乐", 4), ("b1", "B", "音乐", 12)], [("A", "音乐", -3, 12), ("B", "音乐", 5, 12)]))
    assert list(rot.zoujiao["periods"]) == [5]
    rot = plan(frames([("a1", "A", "音乐", 4), ("b1", "B", "音乐", 10)], [("A", "音乐", -3, 12), ("B", "音乐", 5, 12)]))
    assert list(rot.zoujiao["periods"]) == [3]


def _two_stage_music(middle_gap):
    """A and B both 九年一贯制, 音乐 at load 14 in both stages.  A has surplus (−20 periods in each stage) and two
    12-period 音乐 teachers, a1 in 小学 and a2 in 初中.  B (乡村) is short 10 periods of 小学音乐 and ``middle_gap`` of
    初中音乐."""
    roster, schools, g, supply = frames([("a1", "A", "音乐", 12), ("a2", "A", "音乐", 12)], [("A", "音乐", -20, 14)])
    schools["stage"] = "九年一贯制"
    supply.loc[supply["teacher_id"] == "a2", "stage"] = "初中"
    extra = pd.DataFrame({"school_id": ["A", "B", "B"], "stage": ["初中", "小学", "初中"], "subject": "音乐",
                          "gap_periods": [-20.0, 10.0, float(middle_gap)], "standard_load": 14.0})
    g = pd.concat([g, extra], ignore_index=True)
    g["gap_fte"] = g["gap_periods"] / g["standard_load"]
    return roster, schools, g, supply


def test_each_arrival_still_finds_the_school_short_over_both_stages():
    # B's 音乐 is short 10 + 9.3 = 19.3 periods = 1.38 FTE over its two stages (each stage alone ≥ 0.5 FTE, so each
    # would take one teacher).  As a school: after the first arrival 0.38 FTE < 0.5 is left, so a second is not sent
    # (B would end 0.62 FTE over); the one sent covers 小学 (10 periods, more than 初中's 9.3).  With 初中 short 12
    # (22 periods = 1.57 FTE) the second finds 0.57 FTE ≥ 0.5 and goes
    rot = plan(_two_stage_music(9.3))
    assert list(rot.exchanges["teacher_id"]) == ["a1"]
    assert sorted(plan(_two_stage_music(12)).exchanges["teacher_id"]) == ["a1", "a2"]


def test_audit_finds_a_second_arrival_beyond_the_school_threshold():
    # the plan the per-stage rule alone would make (a1 → B 小学, a2 → B 初中 at 9.3 short): one breach of the school's
    # 音乐, −0.62 FTE after the plan against −0.5
    from staffplan.optimize.audit import audit_plan, R_RECEIVE

    roster, schools, g, supply = _two_stage_music(9.3)
    rot = plan((roster, schools, g, supply))
    ex = pd.DataFrame({"teacher_id": ["a1", "a2"], "from_school": "A", "to_school": "B", "subject": "音乐",
                       "stage": ["小学", "初中"], "kind": "short", "years": 3, "periods": 14.0})
    zj = pd.DataFrame(columns=["teacher_id", "home", "host", "subject", "stage", "periods"])
    cfg = default_config().with_overrides({"exchange.share_rules_on": False})
    breaches = audit_plan(ex, zj, roster, schools, g, rot.eligibility, cfg, YEAR, supply, None)
    school = breaches[(breaches["规则"] == R_RECEIVE) & breaches["说明"].str.startswith("全校")]
    assert len(school) == 1 and school.iloc[0]["实际"] == pytest.approx((19.3 - 28) / 14, abs=0.005)
