"""Independent plan audit (optimize/audit.py): one tiny hand-built plan per rule that breaks it, one clean plan.

Fixture (小学 everywhere, plan year 2026, 数学 standard load 12, 音乐 14; tolerance and threshold 0.5 FTE):
  schools A 城区 一般 (T1), B 乡村 一般 (T1), C 城区 一般 (T1), D 乡村 一般 (T2, county K2; the others county K1)
  A (113.00, 23.00), B (113.05, 23.00): great-circle 5.11 km × 1.3 road factor = 6.65 km; C next to A.
  t1 A 数学 12 periods 骨干, t2 A 音乐 14 periods 愿意走教, t3 B 数学 12, t4 A 数学 12, t5 C 数学 12, t6 B 音乐 14
  all 一级教师 (中级), 在编, arrived 2010 → 应交流 (16 years > 6), born 1985 → far from retirement.
  gaps: A 数学 −12 (one teacher spare), A 音乐 0, B 数学 +12, B 音乐 +10, C 数学 0, D 数学 +12.
Clean plan: t1 A→B 数学; 走教 t2 A→B 音乐 2 periods.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.optimize import audit as A
from staffplan.optimize.audit import audit_plan, sending_cells
from staffplan.rules.eligibility import exchange_eligibility

YEAR = 2026


def frames():
    schools = pd.DataFrame({
        "school_id": ["A", "B", "C", "D"], "school_name": ["甲校", "乙校", "丙校", "丁校"], "stage": "小学",
        "town": ["T1", "T1", "T1", "T2"], "locality": ["城区", "乡村", "城区", "乡村"], "tier": "一般", "group": "",
        "lon": [113.00, 113.05, 113.001, 113.2], "lat": [23.00, 23.00, 23.00, 23.2],
        "county": ["K1", "K1", "K1", "K2"]})
    spec = [("t1", "A", "数学", 12, True, ""), ("t2", "A", "音乐", 14, False, "愿意走教"),
            ("t3", "B", "数学", 12, False, ""), ("t4", "A", "数学", 12, False, ""),
            ("t5", "C", "数学", 12, False, ""), ("t6", "B", "音乐", 14, False, "")]
    teachers = pd.DataFrame({
        "teacher_id": [s[0] for s in spec], "name": "某", "sex": "男", "birth_date": pd.Timestamp("1985-01-01"),
        "school_id": [s[1] for s in spec], "subject": [s[2] for s in spec], "subject2": "",
        "periods": [float(s[3]) for s in spec], "title": "一级教师", "title_level": "中级", "employment": "在编",
        "post": "专任教师", "arrival_date": pd.Timestamp("2010-08-01"), "backbone": [s[4] for s in spec],
        "appraisal": "合格", "appraisal_prev": "合格", "special": "", "special_approved": False,
        "willingness": [s[5] for s in spec], "agreed_retirement": pd.NaT, "retirement_group": np.nan,
        "status": "在本单位任职"})
    g = [("A", "数学", -12), ("A", "音乐", 0), ("B", "数学", 12), ("B", "音乐", 10), ("C", "数学", 0), ("D", "数学", 12)]
    gaps = pd.DataFrame({"school_id": [x[0] for x in g], "stage": "小学", "subject": [x[1] for x in g],
                         "gap_periods": [float(x[2]) for x in g]})
    gaps["standard_load"] = gaps["subject"].map({"数学": 12.0, "音乐": 14.0})
    return teachers, schools, gaps


def ex_rows(*moves):
    return pd.DataFrame(moves, columns=["teacher_id", "from_school", "to_school", "subject"])


def zj_rows(*rows):
    return pd.DataFrame(rows, columns=["teacher_id", "home", "host", "subject", "periods"])


CLEAN_EX = ("t1", "A", "B", "数学")
CLEAN_ZJ = ("t2", "A", "B", "音乐", 2)


def run(ex=None, zj=None, teachers=None, gaps=None, cfg=None, schools=None):
    t, s, g = frames()
    t = t if teachers is None else teachers
    s = s if schools is None else schools
    g = g if gaps is None else gaps
    cfg = cfg or default_config()
    ex = ex_rows(CLEAN_EX) if ex is None else ex
    zj = zj_rows(CLEAN_ZJ) if zj is None else zj
    el = exchange_eligibility(t, s, cfg, YEAR)
    return audit_plan(ex, zj, t, s, g, el, cfg, YEAR)


def only(res, rule):
    assert set(res["规则"]) == {rule}, res[["规则", "教师编号", "说明"]].to_string()
    return res


def test_clean_plan_has_no_breach():
    res = run()
    assert list(res.columns) == A.AUDIT_COLUMNS
    assert res.empty, res.to_string()


def test_sending_rule_sums_leavers_in_periods():
    # t1 and t4 both leave A 数学: −12 + 12 + 12 = +12 periods short > tolerance 0.5 × 12 = 6 → 差额 6.
    # Each alone would end at 0 (allowed): the rule is on the sum.  D 数学 receives t4 (county K2 ≠ K1 is a
    # separate rule), so send t4 to B as well, with B 数学 short 24 so that both arrivals keep the receiver rule.
    t, s, g = frames()
    g.loc[(g["school_id"] == "B") & (g["subject"] == "数学"), "gap_periods"] = 24.0
    res = run(ex=ex_rows(CLEAN_EX, ("t4", "A", "B", "数学")), gaps=g)
    row = only(res, A.R_SEND).iloc[0]
    assert (row["学校代码"], row["学科"]) == ("A", "数学")
    assert (row["应满足"], row["实际"], row["差额"]) == (6.0, 12.0, 6.0)


def test_sending_rule_surplus_cell_within_tolerance_is_kept():
    # A 数学 −4: after t1 leaves −4 + 12 = 8 > 6 → breach 2; with −6: after 6 = limit → no breach
    t, s, g = frames()
    g.loc[(g["school_id"] == "A") & (g["subject"] == "数学"), "gap_periods"] = -4.0
    row = only(run(gaps=g), A.R_SEND).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (6.0, 8.0, 2.0)
    g.loc[(g["school_id"] == "A") & (g["subject"] == "数学"), "gap_periods"] = -6.0
    assert run(gaps=g).empty


def test_sending_rule_already_short_cell_may_not_get_shorter():
    # A 数学 already short by 2 periods: limit = 2 (not the tolerance 6); after 2 + 12 = 14 → 差额 12
    t, s, g = frames()
    g.loc[(g["school_id"] == "A") & (g["subject"] == "数学"), "gap_periods"] = 2.0
    row = only(run(gaps=g), A.R_SEND).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (2.0, 14.0, 12.0)


def test_sending_rule_counts_second_subject_and_actual_periods():
    # t1 teaches 16 periods with 兼任 音乐; share 0.25 → 音乐 4, 数学 12.  A 音乐 gap +1 (already short):
    # after 1 + 4 = 5 > limit 1 → 差额 4.  A 数学: −12 + 12 = 0 ≤ 6: kept.
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t1", ["subject2", "periods"]] = ["音乐", 16.0]
    g.loc[(g["school_id"] == "A") & (g["subject"] == "音乐"), "gap_periods"] = 1.0
    cfg = default_config().with_overrides({"load.second_subject_share": 0.25})
    row = only(run(teachers=t, gaps=g, cfg=cfg, zj=zj_rows()), A.R_SEND).iloc[0]
    assert (row["学科"], row["应满足"], row["实际"], row["差额"]) == ("音乐", 1.0, 5.0, 4.0)
    # with the clean plan's 走教 (t2, A's other 音乐 teacher, 2 periods at B) A is left 5 periods short of 音乐: a
    # school short of a subject sends none of its teachers of it out → 走教未先用本校富余课时 as well
    res = run(teachers=t, gaps=g, cfg=cfg)
    assert set(res["规则"]) == {A.R_SEND, A.R_ZJ_HOME}
    row = res[res["规则"] == A.R_ZJ_HOME].iloc[0]
    assert (row["学科"], row["应满足"], row["实际"]) == ("音乐", 0.0, 2.0)


def test_sending_rule_counts_an_arrival_as_replacement():
    # A 数学 already short by 2; t1 leaves (−12) and t3 arrives from B (+12 at A): after 2 → kept.
    # B 数学 +12: t3 leaves (+12) and t1 arrives (−12) → 12, not shorter → kept.  A↔B is a two-way swap, so
    # the receiver rule (A 数学 gap 2 < 6) does not apply.
    t, s, g = frames()
    g.loc[(g["school_id"] == "A") & (g["subject"] == "数学"), "gap_periods"] = 2.0
    res = run(ex=ex_rows(CLEAN_EX, ("t3", "B", "A", "数学")), gaps=g)
    assert res.empty, res.to_string()
    cells = sending_cells(ex_rows(CLEAN_EX, ("t3", "B", "A", "数学")), zj_rows(), *frames()[:2], g,
                          exchange_eligibility(*frames()[:2], default_config(), YEAR), default_config(), YEAR)
    a = cells.set_index(["school_id", "subject"]).loc[("A", "数学")]
    assert (a["gap0"], a["delta"], a["after"]) == (2.0, 0.0, 2.0)


def test_receiver_must_be_short_by_the_threshold():
    # B 数学 gap 5 < 0.5 × 12 = 6 → 差额 1
    t, s, g = frames()
    g.loc[(g["school_id"] == "B") & (g["subject"] == "数学"), "gap_periods"] = 5.0
    row = only(run(gaps=g), A.R_RECEIVE).iloc[0]
    assert (row["学校代码"], row["教师编号"], row["应满足"], row["实际"], row["差额"]) == ("B", "t1", 6.0, 5.0, 1.0)


def test_only_eligible_teachers_move():
    # t1 arrived 2022: 4 years at the school (≤ 6) → 不符合
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t1", "arrival_date"] = pd.Timestamp("2022-08-01")
    res = only(run(teachers=t), A.R_ELIGIBLE)
    assert res.iloc[0]["教师编号"] == "t1" and "不符合" in res.iloc[0]["说明"]


@pytest.mark.parametrize("column,value,rule", [("employment", "临聘", A.R_POST), ("post", "行政", A.R_POST),
                                               ("status", "长病假", A.R_AT_POST)])
def test_temporary_non_teaching_and_absent_never_move(column, value, rule):
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t1", column] = value
    res = run(teachers=t)
    assert rule in set(res["规则"]) and A.R_ELIGIBLE in set(res["规则"])   # eligibility also says 不符合
    assert set(res.loc[res["规则"] == rule, "教师编号"]) == {"t1"}


def test_retirement_before_end_of_term():
    # Man born 1968-03-01: m = 38 months after Jan 1965 → delay floor(38/4)+1 = 10 months → 60 y 10 m
    # → retires 2029-01-01; the term ends 2026-09-01 + 3 years = 2029-09-01.  Possible years =
    # 853 days / 365.25 = 2.34 → 差额 3 − 2.34 = 0.66.  He consents (愿意交流), but eligibility itself already
    # says 不符合 (retires within the term), so the audit reports both.
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t1", ["birth_date", "willingness"]] = [pd.Timestamp("1968-03-01"), "愿意交流"]
    res = run(teachers=t)
    assert set(res["规则"]) == {A.R_RETIRE, A.R_ELIGIBLE}
    row = res[res["规则"] == A.R_RETIRE].iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (3.0, 2.34, 0.66)
    # a shortened 2-year term is allowed only with exchange.allow_short_term (then eligibility gives 应交流,
    # term_years_possible 2)
    ex2 = ex_rows(CLEAN_EX).assign(years=2)
    res = run(ex=ex2, teachers=t)
    row = res[res["规则"] == A.R_TERM].iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (3.0, 2.0, 1.0) and A.R_RETIRE not in set(res["规则"])
    cfg = default_config().with_overrides({"exchange.allow_short_term": True})
    assert run(ex=ex2, teachers=t, cfg=cfg).empty


def test_weak_appraisal_not_sent_to_rural_school_nor_zoujiao():
    t, s, g = frames()
    t.loc[t["teacher_id"].isin(["t1", "t2"]), "appraisal_prev"] = "基本合格"
    res = only(run(teachers=t), A.R_APPRAISAL)
    assert sorted(res["教师编号"]) == ["t1", "t2"]
    cfg = default_config().with_overrides({"exchange.weak_needs_good_appraisal": False})
    assert run(teachers=t, cfg=cfg).empty


def test_direction_rule():
    # A → C: both 城区, both 一般, no group → not a legal direction (C 数学 gap 0 also fails the receiver rule)
    t, s, g = frames()
    g.loc[(g["school_id"] == "C") & (g["subject"] == "数学"), "gap_periods"] = 12.0
    res = only(run(ex=ex_rows(("t1", "A", "C", "数学")), gaps=g), A.R_DIRECTION)
    assert res.iloc[0]["教师编号"] == "t1"
    s.loc[s["school_id"].isin(["A", "C"]), "group"] = "一集团"       # same group → legal
    assert run(ex=ex_rows(("t1", "A", "C", "数学")), gaps=g, schools=s).empty


def test_same_county():
    res = only(run(ex=ex_rows(("t1", "A", "D", "数学"))), A.R_COUNTY)
    assert res.iloc[0]["学校代码"] == "A"


def test_exchange_max_km():
    # A–B 6.65 km > 3 → 差额 3.65
    cfg = default_config().with_overrides({"exchange.max_km": 3.0})
    row = only(run(cfg=cfg), A.R_KM).iloc[0]
    assert row["应满足"] == 3.0 and row["差额"] == pytest.approx(3.65, abs=0.01)


def test_teacher_at_most_once():
    # t1 twice → 实际 2, 差额 1 (B 数学 gets 24 periods against a gap of 12: no hard rule on over-supply)
    res = only(run(ex=ex_rows(CLEAN_EX, CLEAN_EX)), A.R_ONCE)
    assert (res.iloc[0]["实际"], res.iloc[0]["差额"]) == (2.0, 1.0)
    # t1 both exchanges and 走教 (t1 teaches 数学: give him 兼任 音乐 so only the once rule fires)
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t1", "subject2"] = "音乐"
    t.loc[t["teacher_id"] == "t1", "willingness"] = "愿意走教"
    res = run(zj=zj_rows(("t1", "A", "B", "音乐", 1)), teachers=t)
    assert A.R_ONCE in set(res["规则"])


def test_quotas():
    # K1 base = 6 compulsory teachers: 5 % → ceil(0.3) = 1; 应交流 at 城区 schools A, C: t1 t2 t4 t5 = 4 →
    # 10 % → ceil(0.4) = 1.  An empty plan misses both by 1.
    res = run(ex=ex_rows(), zj=zj_rows())
    got = res.set_index("规则")
    assert set(got.index) == {A.R_QUOTA, A.R_QUOTA_URBAN}
    assert (got.loc[A.R_QUOTA, "应满足"], got.loc[A.R_QUOTA, "实际"], got.loc[A.R_QUOTA, "差额"]) == (1, 0, 1)
    assert got.loc[A.R_QUOTA_URBAN, "区县"] == "K1"
    # 骨干: t4 (not 骨干) instead of t1: 0 骨干 < 20 % × 1 = 0.2 → 差额 0.2
    row = only(run(ex=ex_rows(("t4", "A", "B", "数学"))), A.R_BACKBONE).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (0.2, 0, 0.2)
    # cap: max_share 0.05 → ceil(0.3) = 1 (rounded like the floor) < 2 moves (t1 A→B, t5 C→B; C 数学 −12 so
    # t5 may leave, B 数学 short 24 so both arrivals find it short) → 差额 1; with one move the cap holds
    t, s, g = frames()
    g.loc[(g["school_id"] == "C") & (g["subject"] == "数学"), "gap_periods"] = -12.0
    g.loc[(g["school_id"] == "B") & (g["subject"] == "数学"), "gap_periods"] = 24.0
    cfg = default_config().with_overrides({"exchange.max_share": 0.05})
    row = only(run(ex=ex_rows(CLEAN_EX, ("t5", "C", "B", "数学")), gaps=g, cfg=cfg), A.R_CAP).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (1, 2, 1)
    assert run(gaps=g, cfg=cfg).empty


def test_zoujiao_subject_zone_host_km():
    # 数学 is not a 走教 subject (B 数学 short by 24: 12 left after t1 arrives, so only the subject rule fires)
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t4", "willingness"] = "愿意走教"
    g24 = g.assign(gap_periods=np.where((g["school_id"] == "B") & (g["subject"] == "数学"), 24.0, g["gap_periods"]))
    res = only(run(zj=zj_rows(CLEAN_ZJ, ("t4", "A", "B", "数学", 2)), teachers=t, gaps=g24), A.R_ZJ_SUBJECT)
    assert res.iloc[0]["教师编号"] == "t4"
    # the shortage left after the exchanges counts: with 数学 a 走教 subject and B 数学 short by 12, t1's arrival
    # (12) leaves 0 → t4's 2 periods are excess (差额 2); short by 14 → 2 left → fine
    cfg = default_config().with_overrides({"zoujiao.subjects": ["音乐", "数学"]})
    row = only(run(zj=zj_rows(CLEAN_ZJ, ("t4", "A", "B", "数学", 2)), teachers=t, cfg=cfg), A.R_ZJ_HOST).iloc[0]
    assert (row["学科"], row["应满足"], row["实际"], row["差额"]) == ("数学", 0.0, 2.0, 2.0)
    g14 = g.assign(gap_periods=np.where((g["school_id"] == "B") & (g["subject"] == "数学"), 14.0, g["gap_periods"]))
    assert run(zj=zj_rows(CLEAN_ZJ, ("t4", "A", "B", "数学", 2)), teachers=t, cfg=cfg, gaps=g14).empty
    # host without a shortage: B 音乐 gap 0 → cap 0, 2 periods → 差额 2
    g.loc[(g["school_id"] == "B") & (g["subject"] == "音乐"), "gap_periods"] = 0.0
    row = only(run(gaps=g), A.R_ZJ_HOST).iloc[0]
    assert (row["学校代码"], row["应满足"], row["实际"], row["差额"]) == ("B", 0.0, 2.0, 2.0)
    # B 音乐 short by 1.5 periods → at most ceil(1.5) = 2 periods of 走教: 2 fine, 3 → 差额 1
    g.loc[(g["school_id"] == "B") & (g["subject"] == "音乐"), "gap_periods"] = 1.5
    assert run(gaps=g).empty
    row = only(run(zj=zj_rows(("t2", "A", "B", "音乐", 3)), gaps=g), A.R_ZJ_HOST).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (2.0, 3.0, 1.0)
    # short by 2.03 periods, shown as 2.0 in 缺口覆盖: at most 2 periods (ceil(2.03) = 3 would show 3 against 2.0);
    # short by 2.06, shown 2.1: 3 whole periods are allowed
    g.loc[(g["school_id"] == "B") & (g["subject"] == "音乐"), "gap_periods"] = 2.03
    row = only(run(zj=zj_rows(("t2", "A", "B", "音乐", 3)), gaps=g), A.R_ZJ_HOST).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (2.0, 3.0, 1.0)
    g.loc[(g["school_id"] == "B") & (g["subject"] == "音乐"), "gap_periods"] = 2.06
    assert run(zj=zj_rows(("t2", "A", "B", "音乐", 3)), gaps=g).empty
    # other town (T2) and too far: D is 29 km away and in another county
    t, s, g = frames()
    g = pd.concat([g, pd.DataFrame({"school_id": ["D"], "stage": ["小学"], "subject": ["音乐"], "gap_periods": [10.0],
                                    "standard_load": [14.0]})], ignore_index=True)
    res = run(zj=zj_rows(("t2", "A", "D", "音乐", 2)), gaps=g)
    assert {A.R_ZJ_ZONE, A.R_ZJ_KM, A.R_COUNTY} <= set(res["规则"])
    # max_km 5 < 6.65 km
    cfg = default_config().with_overrides({"zoujiao.max_km": 5.0})
    row = only(run(cfg=cfg), A.R_ZJ_KM).iloc[0]
    assert row["差额"] == pytest.approx(1.65, abs=0.01)


def test_zoujiao_hosts_integer_load_consent():
    t, s, g = frames()
    g = pd.concat([g, pd.DataFrame({"school_id": ["C"], "stage": ["小学"], "subject": ["音乐"], "gap_periods": [10.0],
                                    "standard_load": [14.0]})], ignore_index=True)
    # two hosts (B, C) with max_hosts 1 → 差额 1; load 14 + 2 + 1 = 17 ≤ 18, consented
    cfg = default_config().with_overrides({"zoujiao.max_hosts": 1})
    row = only(run(zj=zj_rows(CLEAN_ZJ, ("t2", "A", "C", "音乐", 1)), gaps=g, cfg=cfg), A.R_ZJ_HOSTS).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (1, 2, 1)
    # 1.5 periods is not whole
    row = only(run(zj=zj_rows(("t2", "A", "B", "音乐", 1.5))), A.R_ZJ_INT).iloc[0]
    assert row["差额"] == 0.5
    # load: 14 + 5 = 19 > 14 + 4 = 18 → 差额 1
    row = only(run(zj=zj_rows(("t2", "A", "B", "音乐", 5))), A.R_ZJ_LOAD).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (18.0, 19.0, 1.0)
    # consent: without 愿意走教, 14 + 2 = 16 > 14 → 差额 2; with extra_load_needs_consent off → fine
    t.loc[t["teacher_id"] == "t2", "willingness"] = ""
    row = only(run(teachers=t), A.R_ZJ_CONSENT).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (14.0, 16.0, 2.0)
    cfg = default_config().with_overrides({"zoujiao.extra_load_needs_consent": False})
    assert run(teachers=t, cfg=cfg).empty


def test_retired_teacher_neither_moves_nor_zoujiao():
    # t1 and t2 born 1965-12-01: 60 y 3 m → 2026-03-01, before 2026-09-01
    t, s, g = frames()
    t.loc[t["teacher_id"].isin(["t1", "t2"]), "birth_date"] = pd.Timestamp("1965-12-01")
    res = run(teachers=t)
    assert sorted(res.loc[res["规则"] == A.R_RETIRED, "教师编号"]) == ["t1", "t2"]
    assert A.R_ELIGIBLE in set(res["规则"])          # eligibility says 不符合 as well


def test_teacher_stays_in_own_stage():
    # t1 is a 小学 teacher; B 初中 数学 is not his stage (B given a 初中 cell short by 12)
    t, s, g = frames()
    g = pd.concat([g, pd.DataFrame({"school_id": ["B"], "stage": ["初中"], "subject": ["数学"], "gap_periods": [12.0],
                                    "standard_load": [10.0]})], ignore_index=True)
    res = only(run(ex=ex_rows(CLEAN_EX).assign(stage="初中"), gaps=g), A.R_STAGE)
    assert res.iloc[0]["说明"] == "教师任教小学学段，接收学段为初中"


def test_term_length():
    # 4 years > exchange.max_years 3 → 差额 1; 2 years for a teacher far from retirement, even with
    # allow_short_term → 差额 1 (a shortened term is only for a teacher retiring within the term)
    row = only(run(ex=ex_rows(CLEAN_EX).assign(years=4)), A.R_TERM).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (3.0, 4.0, 1.0)
    cfg = default_config().with_overrides({"exchange.allow_short_term": True})
    row = only(run(ex=ex_rows(CLEAN_EX).assign(years=2), cfg=cfg), A.R_TERM).iloc[0]
    assert (row["应满足"], row["实际"], row["差额"]) == (3.0, 2.0, 1.0)


def test_sending_rule_on_the_shown_gap_and_over_both_stages_of_a_school():
    t, s, g = frames()
    # A 数学 surplus 6.04, shown in 学科缺口 as 6.0; load 12 → the tolerance is 6 periods.  t1 leaves with 12.03 periods:
    # exact after = −6.04 + 12.03 = 5.99 ≤ 6, but on the published figure −6.0 + 12.03 = 6.03 > 6 → breach;
    # with 12 periods: 5.96 and 6.0 → kept
    g1 = g.copy()
    g1.loc[(g1["school_id"] == "A") & (g1["subject"] == "数学"), "gap_periods"] = -6.04
    t1 = t.copy()
    t1.loc[t1["teacher_id"] == "t1", "periods"] = 12.03
    res = run(gaps=g1, teachers=t1).query("规则 == @A.R_SEND")
    assert len(res) == 1 and res["实际"].iloc[0] == pytest.approx(6.03) and res["应满足"].iloc[0] == pytest.approx(6.0)
    assert run(gaps=g1).query("规则 == @A.R_SEND").empty
    # school level: A a 九年一贯制 with 数学 in 初中 short 8 (load 10) besides 小学 surplus 12: the school's 数学 is
    # 4 periods in surplus → may lose 0.5 · 10 + 4 = 9 periods; t1 leaves 12 → after = −4 + 12 = 8 > 5 → breach
    s2 = s.copy()
    s2.loc[s2["school_id"] == "A", "stage"] = "九年一贯制"
    g2 = pd.concat([g, pd.DataFrame({"school_id": ["A"], "stage": ["初中"], "subject": ["数学"], "gap_periods": [8.0],
                                     "standard_load": [10.0]})], ignore_index=True)
    res = run(gaps=g2, schools=s2).query("规则 == @A.R_SEND")
    assert len(res) == 1 and "全校" in res["说明"].iloc[0]
    assert res["应满足"].iloc[0] == pytest.approx(5.0) and res["实际"].iloc[0] == pytest.approx(8.0)


def test_exchange_teacher_holds_the_title():
    t, _, _ = frames()
    t.loc[t["teacher_id"] == "t1", ["title", "title_level", "willingness"]] = ["二级教师", "初级", "愿意交流"]
    res = run(teachers=t)
    assert A.R_TITLE in set(res["规则"])
    assert A.R_TITLE not in set(run(teachers=t, cfg=default_config().with_overrides(
        {"exchange.volunteers_need_title": False}))["规则"])


def test_zoujiao_load_held_to_the_least_standard_load_of_the_school():
    # A becomes a 九年一贯制; t1 (数学, 10 periods, second subject 音乐, 愿意走教): 小学 数学 12, 初中 数学 10 → held to 10,
    # so 10 + 5 走教 = 15 > 10 + 4 is a breach, 10 + 4 = 14 is not
    t, s, g = frames()
    s.loc[s["school_id"] == "A", "stage"] = "九年一贯制"
    t.loc[t["teacher_id"] == "t1", ["periods", "subject2", "willingness"]] = [10.0, "音乐", "愿意走教"]
    res = run(ex=ex_rows(), zj=zj_rows(("t1", "A", "B", "音乐", 5)), teachers=t, schools=s)
    bad = res[res["规则"] == A.R_ZJ_LOAD]
    assert len(bad) == 1 and bad["应满足"].iloc[0] == pytest.approx(14.0) and bad["实际"].iloc[0] == pytest.approx(15.0)
    res = run(ex=ex_rows(), zj=zj_rows(("t1", "A", "B", "音乐", 4)), teachers=t, schools=s)
    assert A.R_ZJ_LOAD not in set(res["规则"])


def test_temporary_teacher_in_zoujiao_is_a_breach_unless_allowed():
    t, _, _ = frames()
    t.loc[t["teacher_id"] == "t2", "employment"] = "临聘"
    res = run(teachers=t)
    assert set(res.loc[res["教师编号"] == "t2", "规则"]) == {A.R_POST}
    res = run(teachers=t, cfg=default_config().with_overrides({"zoujiao.allow_temporary": True}))
    assert res[res["教师编号"] == "t2"].empty


def test_teacher_who_refuses_zoujiao_is_a_breach_in_zoujiao():
    t, _, _ = frames()
    t.loc[t["teacher_id"] == "t2", "willingness"] = "不愿走教"
    res = run(teachers=t)
    assert set(res.loc[res["教师编号"] == "t2", "规则"]) == {A.R_ZJ_CONSENT}


def test_audit_breaches_become_diagnosis_rows_without_an_empty_subject():
    from staffplan.optimize.pipeline import audit_diagnosis

    audit = pd.DataFrame({"规则": ["派出学校规则", "年度交流比例"], "学校": ["甲小学", ""], "学科": ["音乐", ""],
                          "应满足": [0, 82], "实际": [-14, 81], "差额": [14, 1], "说明": ["派出后更缺", "交流人数不足"],
                          "教师编号": ["T1", ""]})
    d = audit_diagnosis(audit)
    assert d["说明"].tolist() == ["独立核查：音乐；派出后更缺（教师 T1）", "独立核查：交流人数不足"]


def test_receiver_and_zoujiao_host_judged_over_both_stages_of_a_school():
    # B becomes a 九年一贯制: 小学数学 short 12 (1 FTE at load 12) is above the threshold, but with 初中数学 8 periods
    # in surplus (load 10: 0.8 FTE) the school's 数学 is short 1 − 0.8 = 0.2 FTE < 0.5 → t1's arrival breaks the
    # rule (差额 0.3); with 初中 surplus 2 (0.2 FTE) the school is short 0.8 FTE → kept
    t, s, g = frames()
    s2 = s.copy()
    s2.loc[s2["school_id"] == "B", "stage"] = "九年一贯制"

    def with_middle(subject, gap, load):
        return pd.concat([g, pd.DataFrame({"school_id": ["B"], "stage": ["初中"], "subject": [subject],
                                           "gap_periods": [float(gap)], "standard_load": [float(load)]})],
                         ignore_index=True)

    res = run(gaps=with_middle("数学", -8, 10), schools=s2, zj=zj_rows())
    row = only(res, A.R_RECEIVE).iloc[0]
    assert "全校" in row["说明"] and row["应满足"] == 0.5 and row["差额"] == pytest.approx(0.3)
    assert run(gaps=with_middle("数学", -2, 10), schools=s2, zj=zj_rows()).empty
    # 走教: B 小学音乐 short 10, 初中音乐 surplus 7 → the school lacks 3 periods of 音乐: 3 periods of 走教 are kept,
    # 4 are one too many (the cell alone would allow 10)
    assert run(gaps=with_middle("音乐", -7, 14), schools=s2, zj=zj_rows(("t2", "A", "B", "音乐", 3))).empty
    res = run(gaps=with_middle("音乐", -7, 14), schools=s2, zj=zj_rows(("t2", "A", "B", "音乐", 4)))
    row = only(res, A.R_ZJ_HOST).iloc[0]
    assert "全校" in row["说明"] and (row["应满足"], row["实际"]) == (3.0, 4.0)


def test_each_arrival_still_finds_the_threshold():
    # t1 and t4 both A → B 数学 (A has 40 periods spare).  B short 17: after = 17 − 24 = −7 < −(1 − 0.5) · 12 = −6 →
    # the second arrival found 5 < 6 periods: 差额 1.  B short 18: after −6 → kept
    t, s, g = frames()
    g.loc[(g["school_id"] == "A") & (g["subject"] == "数学"), "gap_periods"] = -40.0
    two = ex_rows(CLEAN_EX, ("t4", "A", "B", "数学"))
    g.loc[(g["school_id"] == "B") & (g["subject"] == "数学"), "gap_periods"] = 17.0
    row = only(run(ex=two, gaps=g), A.R_RECEIVE).iloc[0]
    assert (row["学校代码"], row["应满足"], row["实际"], row["差额"]) == ("B", -6.0, -7.0, 1.0)
    g.loc[(g["school_id"] == "B") & (g["subject"] == "数学"), "gap_periods"] = 18.0
    assert run(ex=two, gaps=g).empty


def test_teacher_with_a_special_situation_is_not_used_for_zoujiao():
    # t2 (the clean plan's 走教 teacher) has 哺乳期 on file → 走教 is a breach unless allowed
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t2", ["special", "special_approved"]] = ["哺乳期", True]
    row = only(run(teachers=t), A.R_ELIGIBLE).iloc[0]
    assert row["教师编号"] == "t2" and "特殊情况" in row["说明"]
    assert run(teachers=t, cfg=default_config().with_overrides({"zoujiao.allow_deferred": True})).empty


def test_teacher_retiring_during_the_school_year_is_not_used_for_zoujiao():
    # t2 (the clean plan's 走教 teacher) born 1966-07-01: 18 months after Jan 1965 → 60 y + 1 + ⌊18 / 4⌋ = 5 months
    # → 2026-12-01, inside the school year 2026-09-01 … 2027-08-31: a breach unless zoujiao.allow_retiring_in_year
    t, s, g = frames()
    t.loc[t["teacher_id"] == "t2", "birth_date"] = pd.Timestamp("1966-07-01")
    el = exchange_eligibility(t, s, default_config(), YEAR).set_index("teacher_id")
    assert pd.Timestamp(el.loc["t2", "retire_date"]) == pd.Timestamp("2026-12-01")
    row = only(run(teachers=t), A.R_RETIRE).iloc[0]
    assert row["教师编号"] == "t2" and "学年中" in row["说明"]
    assert run(teachers=t, cfg=default_config().with_overrides({"zoujiao.allow_retiring_in_year": True})).empty


def test_zoujiao_into_a_school_whose_own_teachers_have_spare_periods():
    # B short 5 periods of 音乐; its own t6 teaches 12 of 14 (2 spare, no consent for more): 走教 may bring 5 − 2 = 3.
    # t2 (A, consented: 14 + 4) brings 4 → 差额 1; with t6 at 14 periods (no spare) the 4 are within the gap
    t, s, g = frames()
    g.loc[(g["school_id"] == "B") & (g["subject"] == "音乐"), "gap_periods"] = 5.0
    t.loc[t["teacher_id"] == "t6", "periods"] = 12.0
    row = only(run(teachers=t, gaps=g, zj=zj_rows(("t2", "A", "B", "音乐", 4))), A.R_ZJ_HOME).iloc[0]
    assert (row["学校"], row["学科"], row["应满足"], row["实际"], row["差额"]) == ("乙校", "音乐", 3.0, 4.0, 1.0)
    t.loc[t["teacher_id"] == "t6", "periods"] = 14.0
    assert run(teachers=t, gaps=g, zj=zj_rows(("t2", "A", "B", "音乐", 4))).empty


def test_zoujiao_host_judged_over_all_stages_of_a_complete_middle_school():
    # B becomes a 完全中学: 高中音乐 short 10 periods, 初中音乐 7 periods to spare → the school lacks 10 − 7 = 3
    # periods of 音乐: 3 periods of 走教 are kept, 4 are one too many (the 高中 cell alone would allow 10). t2 teaches
    # at A, here a 高中, so that the stage rule holds
    t, s, g = frames()
    s2 = s.copy()
    s2.loc[s2["school_id"] == "B", "stage"] = "完全中学"
    s2.loc[s2["school_id"] == "A", "stage"] = "高中"
    g = g[g["school_id"] != "A"]
    g2 = pd.concat([g[~((g["school_id"] == "B") & (g["subject"] == "音乐"))],
                    pd.DataFrame({"school_id": ["B", "B"], "stage": ["初中", "高中"], "subject": ["音乐", "音乐"],
                                  "gap_periods": [-7.0, 10.0], "standard_load": [14.0, 14.0]})], ignore_index=True)
    senior = lambda n: zj_rows(("t2", "A", "B", "音乐", n)).assign(stage="高中")  # noqa: E731 - the host cell
    host_rows = lambda n: (lambda r: r[r["规则"] == A.R_ZJ_HOST])(  # noqa: E731 - other rules are not at stake here
        run(ex=ex_rows(), gaps=g2, schools=s2, zj=senior(n)))
    assert host_rows(3).empty
    res = host_rows(4)
    assert len(res) == 1
    row = res.iloc[0]
    assert "全校" in row["说明"] and (row["应满足"], row["实际"], row["差额"]) == (3.0, 4.0, 1.0)
