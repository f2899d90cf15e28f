"""Exchange eligibility (domain.md §6): every rule and boundary, hand-computed. Plan year 2026 → 1 Sep 2026."""
from __future__ import annotations

import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.rules.eligibility import exchange_eligibility

SCHOOLS = pd.DataFrame({"school_id": ["P1", "J1", "H1"], "school_name": ["小学甲", "初中乙", "高中丙"],
                        "stage": ["小学", "初中", "高中"]})

BASE = {"sex": "男", "birth_date": pd.Timestamp("1980-05-01"), "school_id": "P1", "title": "一级教师",
        "title_level": "中级", "employment": "在编", "post": "专任教师", "arrival_date": pd.Timestamp("2015-08-20"),
        "backbone": False, "special": "", "special_approved": False, "willingness": "",
        "agreed_retirement": pd.NaT, "retirement_group": float("nan"), "status": "在本单位任职", "name": "某"}


def run(**cases):
    rows = []
    for tid, over in cases.items():
        row = dict(BASE, teacher_id=tid)
        row.update(over)
        rows.append(row)
    out = exchange_eligibility(pd.DataFrame(rows), SCHOOLS, default_config(), 2026)
    return out.set_index("teacher_id")


def test_must_rotate_reason_and_years():
    r = run(a={}).loc["a"]
    assert r["status"] == "应交流" and r["rule"] == "must"
    assert r["reason"] == "一级教师（中级），在本校任教 11 年，超过两个聘期"
    # 2015-08-20 → 2026-09-01 = 4018 + 12 = 4030 days = 11.03 years
    assert r["years_at_school"] == pytest.approx(4030 / 365.25, abs=0.005)


def test_exactly_six_years_is_not_more_than_two_terms():
    r = run(six=dict(arrival_date=pd.Timestamp("2020-09-01")),
            six_plus_day=dict(arrival_date=pd.Timestamp("2020-08-31")))
    assert r.loc["six", "status"] == "不符合" and r.loc["six", "rule"] == "years"
    assert "未超过两个聘期（6 年）" in r.loc["six", "reason"]
    assert r.loc["six_plus_day", "status"] == "应交流"


def test_temporary_post_stage_title_status_school():
    r = run(tmp=dict(employment="临聘"), adm=dict(post="行政"), sen=dict(school_id="H1"),
            low=dict(title="二级教师", title_level="初级"), away=dict(status="暂未在本单位任职-交流轮岗"),
            nos=dict(school_id="X9"), noarr=dict(arrival_date=pd.NaT),
            old=dict(title="小学高级教师", title_level="中级"), junior=dict(school_id="J1"))
    assert (r.loc[["tmp", "adm", "sen", "low", "away", "nos", "noarr"], "status"] == "不符合").all()
    assert r.loc["tmp", "reason"] == "临聘教师不参加交流"
    assert r.loc["adm", "reason"] == "行政岗位不参加交流（仅专任教师）"
    assert r.loc["sen", "rule"] == "stage" and "高中" in r.loc["sen", "reason"]
    assert r.loc["low", "reason"] == "二级教师（初级），低于中级职称要求"
    assert r.loc["away", "rule"] == "status" and "交流轮岗" in r.loc["away", "reason"]
    assert r.loc["nos", "rule"] == "school"
    assert r.loc["noarr", "rule"] == "no_arrival"
    # an old title name already mapped to 中级 upstream counts as 中级
    assert r.loc["old", "status"] == "应交流" and r.loc["old", "reason"].startswith("小学高级教师（中级）")
    assert r.loc["junior", "status"] == "应交流"


def test_retirement_window_and_consent():
    # man born 1968-06 (group 60): m = 41 months after 1965-01 → delay floor(41/4)+1 = 11 → 60 y 11 m → 2029-05,
    # before 1 Sep 2031 (= plan date + 5 years) → exempt unless he consents
    # near_ok: born 1969-06-10 → m = 53 → delay floor(53/4)+1 = 14 → 61 y 2 m → 2030-08-10: inside the window,
    # after the end of a 3-year term (2029-09-01) → 应交流 with his consent.
    r = run(near=dict(birth_date=pd.Timestamp("1968-06-10")),
            near_ok=dict(birth_date=pd.Timestamp("1969-06-10"), willingness="愿意交流"),
            near_no=dict(birth_date=pd.Timestamp("1968-06-10"), willingness="不愿交流"))
    assert r.loc["near", "status"] == "免交流" and r.loc["near", "rule"] == "retire_exempt"
    assert r.loc["near", "reason"] == "距法定退休不足 5 年（2029-05 退休），本人未表示愿意交流，免交流"
    assert pd.Timestamp(r.loc["near", "retire_date"]).strftime("%Y-%m") == "2029-05"
    assert r.loc["near_ok", "status"] == "应交流" and r.loc["near_ok", "rule"] == "must_consent"
    assert r.loc["near_ok", "willing"]
    assert r.loc["near_no", "status"] == "免交流" and not r.loc["near_no", "willing"]


def test_reform_moves_woman_born_1976_out_of_window():
    # woman born 1976-03, group 55: m = 74 months after 1970-01 → delay floor(74/4)+1 = 19 months → retires at
    # 56 y 7 m = 2032-10; 1 Sep 2026 is 6.1 years before → not in the 5-year window → 应交流.
    # (Under the old rule, 55 → 2031-03, she would have been 免交流.)
    r = run(w=dict(sex="女", birth_date=pd.Timestamp("1976-03-15"))).loc["w"]
    assert pd.Timestamp(r["retire_date"]).strftime("%Y-%m") == "2032-10"
    assert r["status"] == "应交流"
    # an agreed earlier retirement date wins and brings her back into the window
    r2 = run(w=dict(sex="女", birth_date=pd.Timestamp("1976-03-15"),
                    agreed_retirement=pd.Timestamp("2031-03-15"))).loc["w"]
    assert r2["status"] == "免交流"


def test_special_situations_and_public_reason():
    r = run(nurse=dict(special="哺乳期", special_approved=True), preg=dict(special="孕期", special_approved=False),
            ill_near=dict(special="重大疾病", special_approved=True, birth_date=pd.Timestamp("1968-06-10")))
    assert r.loc["nurse", "status"] == "暂缓" and r.loc["nurse", "reason"] == "哺乳期，已批准，暂缓交流"
    assert r.loc["nurse", "public_reason"] == "因特殊情况暂缓（已批准）"
    assert r.loc["preg", "status"] == "待审批" and r.loc["preg", "reason"] == "孕期，已备案未批准，待审批"
    assert r.loc["preg", "public_reason"] == "因特殊情况待审批"
    assert "孕期" not in r.loc["preg", "public_reason"]
    # exemption is checked before the special situation
    assert r.loc["ill_near", "status"] == "免交流"


def test_volunteer_flag_and_flags():
    # by default willingness waives the years only: a willing 初级 teacher is no volunteer, a willing 中级 teacher
    # with 3 years at the school is
    r = run(vol=dict(title="二级教师", title_level="初级", willingness="愿意交流、愿意走教", backbone=True),
            short=dict(arrival_date=pd.Timestamp("2023-09-01"), willingness="愿意交流"),
            tmpvol=dict(employment="临聘", willingness="愿意交流"))
    assert r.loc["vol", "status"] == "不符合" and not r.loc["vol", "volunteer"]
    assert r.loc["vol", "willing_zoujiao"]
    assert r.loc["vol", "flags"] == "骨干、愿意交流、愿意走教"
    assert r.loc["short", "volunteer"]
    assert not r.loc["tmpvol", "volunteer"]


def test_volunteer_below_title_only_when_configured():
    rows = pd.DataFrame([dict(BASE, teacher_id="vol", title="二级教师", title_level="初级",
                              willingness="愿意交流、愿意走教", backbone=True)])
    cfg = default_config().with_overrides({"exchange.volunteers_need_title": False})
    r = exchange_eligibility(rows, SCHOOLS, cfg, 2026).set_index("teacher_id")
    assert r.loc["vol", "status"] == "不符合" and r.loc["vol", "volunteer"]
    assert r.loc["vol", "flags"] == "骨干、愿意交流、愿意走教、自愿"


def test_one_row_per_roster_row_in_order():
    r = exchange_eligibility(pd.DataFrame([dict(BASE, teacher_id=t) for t in ["b", "a", "c"]]), SCHOOLS,
                             default_config(), 2026)
    assert list(r["teacher_id"]) == ["b", "a", "c"]
    assert set(r["status"]) <= {"应交流", "免交流", "暂缓", "待审批", "不符合"}


def test_config_changes_term_and_stages():
    cfg = default_config().with_overrides({"exchange.terms_required": 3, "exchange.stages": ["小学", "初中", "高中"]})
    rows = pd.DataFrame([dict(BASE, teacher_id="a"), dict(BASE, teacher_id="h", school_id="H1"),
                         dict(BASE, teacher_id="y", arrival_date=pd.Timestamp("2017-08-31"))])
    r = exchange_eligibility(rows, SCHOOLS, cfg, 2026).set_index("teacher_id")
    assert r.loc["a", "status"] == "应交流"           # 11 years > 9
    assert r.loc["h", "status"] == "应交流"           # 高中 now in scope
    assert r.loc["y", "status"] == "应交流"           # 9 years + 1 day > 9
    assert r.loc["a", "reason"].endswith("超过三个聘期")


# --- issue 17: scope, retirement, appraisal ------------------------------------------------------------------
SCHOOLS17 = pd.concat([SCHOOLS, pd.DataFrame({"school_id": ["W1"], "school_name": ["完中丁"], "stage": ["完全中学"]})],
                      ignore_index=True)


def run17(cfg=None, supply=None, **cases):
    rows = pd.DataFrame([dict(BASE, teacher_id=tid, **over) for tid, over in cases.items()])
    out = exchange_eligibility(rows, SCHOOLS17, cfg or default_config(), 2026, supply=supply)
    return out.set_index("teacher_id")


def test_senior_stage_teachers_of_a_complete_middle_school_are_out_of_scope():
    # the forecast supply places s (物理) in 高中 and j (物理) in 初中 of the same 完全中学
    supply = pd.DataFrame({"teacher_id": ["s", "j"], "stage": ["高中", "初中"]})
    r = run17(supply=supply, s=dict(school_id="W1", subject="物理"), j=dict(school_id="W1", subject="物理"))
    assert r.loc["s", "status"] == "不符合" and r.loc["s", "rule"] == "stage"
    assert r.loc["s", "reason"] == "所在学校为完全中学，任教高中学段（按课程表和本校各学段该学科课时需求推定），交流仅限义务教育学段"
    assert r.loc["j", "status"] == "应交流" and r.loc["j", "teach_stage"] == "初中"
    # 高中 listed in exchange.stages brings them back
    cfg = default_config().with_overrides({"exchange.stages": ["小学", "初中", "完全中学", "高中"]})
    assert run17(cfg=cfg, supply=supply, s=dict(school_id="W1")).loc["s", "status"] == "应交流"


def test_teaching_stage_column_without_supply():
    # no forecast supply: the roster's 任教学段 (teach_stage) decides; an ambiguous teacher gets the lowest stage
    r = run17(s=dict(school_id="W1", teach_stage="高中"), x=dict(school_id="W1"))
    assert r.loc["s", "rule"] == "stage" and r.loc["s", "teach_stage"] == "高中"
    assert "（花名册任教学段）" in r.loc["s", "reason"]
    assert r.loc["x", "status"] == "应交流" and r.loc["x", "teach_stage"] == "初中"


def test_past_retirement_date_is_not_eligible():
    # man born 1965-12-01: m = 11 → delay floor(11/4)+1 = 3 → 60 y 3 m → 2026-03-01 < 2026-09-01
    r = run17(old=dict(birth_date=pd.Timestamp("1965-12-01"), willingness="愿意交流")).loc["old"]
    assert r["status"] == "不符合" and r["rule"] == "retired" and r["retired"]
    assert r["reason"] == "已于 2026-03 达到退休日期（早于计划年 9 月 1 日），花名册仍在列，不参加交流"
    assert r["term_years_possible"] == 0 and "已过退休日期" in r["flags"]


def test_retiring_within_the_term():
    # man born 1968-06-10 consents: retires 2029-05-10 (60 y 11 m) before the term ends 2029-09-01.
    # months left = (2029 − 2026) × 12 + (5 − 9) = 32 → 2 whole years possible.
    r = run17(a=dict(birth_date=pd.Timestamp("1968-06-10"), willingness="愿意交流")).loc["a"]
    assert r["status"] == "不符合" and r["rule"] == "retire_term" and r["term_years_possible"] == 2
    assert r["reason"] == "将于 2029-05 退休，早于 3 年交流期满，不安排交流"
    assert not r["short_term"]
    cfg = default_config().with_overrides({"exchange.allow_short_term": True})
    r = run17(cfg=cfg, a=dict(birth_date=pd.Timestamp("1968-06-10"), willingness="愿意交流")).loc["a"]
    assert r["status"] == "应交流" and r["short_term"] and r["term_years_possible"] == 2
    assert r["reason"].endswith("交流年限缩短为 2 年") and "缩短年限" in r["flags"]
    # a teacher retiring long after the term: full term, not short
    assert run17(b={}).loc["b", "term_years_possible"] == 3


def test_agreed_retirement_out_of_bounds_uses_legal_date():
    # woman born 1976-03-15 (group 55): legal 2032-10-15 (56 y 7 m); original age 55 → 2031-03-15.
    # Agreed 2030-03-15 is below 55 → legal date used → 6.1 years away → 应交流 (not 免交流).
    r = run17(w=dict(sex="女", birth_date=pd.Timestamp("1976-03-15"),
                     agreed_retirement=pd.Timestamp("2030-03-15"))).loc["w"]
    assert r["status"] == "应交流" and r["agreed_problem"] == "约定退休日期低于原法定退休年龄"
    assert pd.Timestamp(r["retire_date"]) == pd.Timestamp("2032-10-15")
    assert r["reason"].endswith("约定退休日期低于原法定退休年龄，按法定退休日期计算")


def test_appraisal_limits_and_preference():
    r = run17(weak=dict(appraisal="合格", appraisal_prev="基本合格"), bad=dict(appraisal="不合格"),
              best=dict(appraisal="优秀"), bb=dict(backbone=True), plain=dict(appraisal="合格"))
    assert list(r.loc[["weak", "bad", "best", "bb", "plain"], "may_serve_weak"]) == [False, False, True, True, True]
    assert list(r.loc[["weak", "bad", "best", "bb", "plain"], "preference"]) == [2, 2, 0, 0, 1]
    assert r.loc["weak", "status"] == "应交流"      # still rotates, just not to 乡村/薄弱 schools nor 走教
    cfg = default_config().with_overrides({"exchange.weak_needs_good_appraisal": False})
    assert run17(cfg=cfg, weak=dict(appraisal_prev="基本合格")).loc["weak", "may_serve_weak"]


def test_a_health_related_status_is_not_written_into_the_reason():
    # 长病假 (national code 203) is a health situation: the list says only that the teacher is not at post
    r = run(sick=dict(status="长病假"), lent=dict(status="借调"))
    assert r.loc["sick", "status"] == "不符合" and r.loc["sick", "rule"] == "status"
    assert "病" not in r.loc["sick", "reason"] and "暂未在本单位任职" in r.loc["sick", "reason"]
    assert r.loc["lent", "reason"] == "人员状态为「借调」，不参加本轮交流"


def test_health_status_is_not_written_into_the_list():
    # the words come from data/private_status_words.csv; 借调 is not among them and is shown as written
    r = run(sick=dict(status="长病假"), injured=dict(status="工伤休养"), away=dict(status="借调"))
    for tid in ("sick", "injured"):
        assert r.loc[tid, "rule"] == "status"
        assert "病" not in r.loc[tid, "reason"] and "伤" not in r.loc[tid, "reason"]
        assert r.loc[tid, "reason"] == "人员状态为暂未在本单位任职（见花名册），不参加本轮交流"
    assert r.loc["away", "reason"] == "人员状态为「借调」，不参加本轮交流"
