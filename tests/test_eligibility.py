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
    r = run(near=dict(birth_date=pd.Timestamp("1968-06-10")),
            near_ok=dict(birth_date=pd.Timestamp("1968-06-10"), willingness="愿意交流"),
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
    r = run(vol=dict(title="二级教师", title_level="初级", willingness="愿意交流、愿意走教", backbone=True),
            short=dict(arrival_date=pd.Timestamp("2023-09-01"), willingness="愿意交流"),
            tmpvol=dict(employment="临聘", willingness="愿意交流"))
    assert r.loc["vol", "status"] == "不符合" and r.loc["vol", "volunteer"]
    assert r.loc["vol", "willing_zoujiao"]
    assert r.loc["vol", "flags"] == "骨干、愿意交流、愿意走教、自愿"
    assert r.loc["short", "volunteer"]
    assert not r.loc["tmpvol", "volunteer"]


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
