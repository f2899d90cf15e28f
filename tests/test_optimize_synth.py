"""Seeded synthetic districts for the rotation model (also used by the benchmark), and constraint checks on
the solution of a synthetic instance."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from staffplan.config import default_config

SUBJECTS = ["语文", "数学", "英语", "科学", "音乐", "美术", "体育", "道德与法治"]
SUBJECT_P = [0.25, 0.2, 0.12, 0.1, 0.08, 0.08, 0.1, 0.07]


def make_district(n_counties=1, schools_per_county=12, teachers_per_school=25, seed=1, plan_year=2026):
    """(teachers, schools, gaps, supply) — canonical frames of a seeded synthetic district."""
    rng = np.random.default_rng(seed)
    ns = n_counties * schools_per_county
    sid = np.array([f"S{i:05d}" for i in range(ns)])
    county = np.repeat([f"县{c:02d}" for c in range(n_counties)], schools_per_county)
    cx = np.repeat(rng.uniform(110, 115, n_counties), schools_per_county)
    cy = np.repeat(rng.uniform(22, 25, n_counties), schools_per_county)
    town_no = rng.integers(0, max(1, schools_per_county // 4), ns)
    town = np.array([f"{c}镇{t}" for c, t in zip(county, town_no)])
    # schools of a town sit close together
    tx = cx + (town_no % 3) * 0.08
    ty = cy + (town_no // 3) * 0.08
    schools = pd.DataFrame({
        "school_id": sid, "school_name": [f"学校{i}" for i in range(ns)],
        "stage": rng.choice(["小学", "初中"], ns, p=[0.7, 0.3]), "town": town,
        "locality": rng.choice(["城区", "镇区", "乡村"], ns, p=[0.3, 0.3, 0.4]),
        "tier": rng.choice(["优质", "一般", "薄弱"], ns, p=[0.2, 0.6, 0.2]),
        "group": np.where(rng.random(ns) < 0.2, np.array([f"{c}集团" for c in county]), ""),
        "lon": tx + rng.normal(0, 0.02, ns), "lat": ty + rng.normal(0, 0.02, ns),
        "county": county, "zone": town})
    nt = ns * teachers_per_school
    tsch = np.repeat(np.arange(ns), teachers_per_school)
    stage = schools["stage"].to_numpy()[tsch]
    subject = rng.choice(SUBJECTS, nt, p=SUBJECT_P)
    subject2 = np.where(rng.random(nt) < 0.15, rng.choice(SUBJECTS, nt), "")
    subject2 = np.where(subject2 == subject, "", subject2)
    pdate = pd.Timestamp(plan_year, 9, 1)
    arrival = pdate - pd.to_timedelta(rng.integers(200, 365 * 20, nt), unit="D")
    birth = pd.to_datetime("1965-01-01") + pd.to_timedelta(rng.integers(0, 365 * 33, nt), unit="D")
    level = rng.choice(["副高级", "中级", "初级", "未定级"], nt, p=[0.15, 0.45, 0.3, 0.1])
    teachers = pd.DataFrame({
        "teacher_id": [f"T{i:07d}" for i in range(nt)], "id_number": "", "name": [f"教师{i}" for i in range(nt)],
        "sex": rng.choice(["男", "女"], nt), "birth_date": birth, "school_id": sid[tsch],
        "subject": subject, "subject2": subject2, "periods": np.nan,
        "title": level, "title_level": level, "degree": "本科",
        "employment": np.where(rng.random(nt) < 0.05, "临聘", "在编"),
        "post": np.where(rng.random(nt) < 0.05, "行政", "专任教师"),
        "arrival_date": arrival, "backbone": rng.random(nt) < 0.3,
        "special": np.where(rng.random(nt) < 0.02, "哺乳期", ""), "special_approved": rng.random(nt) < 0.5,
        "willingness": rng.choice(["", "愿意交流", "不愿交流", "愿意走教", "愿意交流、愿意走教"], nt,
                                  p=[0.6, 0.15, 0.1, 0.1, 0.05]),
        "agreed_retirement": pd.NaT, "retirement_group": np.nan, "status": "在本单位任职"})
    load = np.where(np.isin(subject, ["语文", "数学"]) | ((stage == "初中") & (subject == "英语")),
                    np.where(stage == "小学", 12.0, 10.0), 14.0)
    periods_main = load - rng.integers(0, 4, nt)
    periods_second = np.where(subject2 != "", 2.0, 0.0)
    supply = pd.DataFrame({"teacher_id": teachers["teacher_id"], "school_id": teachers["school_id"],
                           "stage": stage, "subject": subject, "subject2": subject2,
                           "periods_main": periods_main, "periods_second": periods_second,
                           "standard_load": load, "counts": (teachers["post"] == "专任教师").to_numpy()})
    cells = pd.MultiIndex.from_product([np.arange(ns), SUBJECTS]).to_frame(index=False, name=["s", "subject"])
    cells["stage"] = schools["stage"].to_numpy()[cells["s"]]
    cells["school_id"] = sid[cells["s"]]
    cl = np.where(np.isin(cells["subject"], ["语文", "数学"]), np.where(cells["stage"] == "小学", 12.0, 10.0), 14.0)
    cells["gap_periods"] = np.round(rng.normal(0, 12, len(cells)))
    cells["standard_load"] = cl
    cells["gap_fte"] = cells["gap_periods"] / cl
    cells["school_name"] = schools["school_name"].to_numpy()[cells["s"]]
    gaps = cells.drop(columns=["s"])
    return teachers, schools, gaps, supply


def test_synthetic_solution_respects_rules():
    from staffplan.optimize.pipeline import rotate_frames

    cfg = default_config()
    teachers, schools, gaps, supply = make_district(n_counties=2, schools_per_county=10, teachers_per_school=20,
                                                    seed=3)
    rot = rotate_frames(teachers, schools, gaps, supply, cfg, 2026)
    el = rot.eligibility.set_index("teacher_id")
    ex = rot.exchanges
    sch = schools.set_index("school_id")
    assert len(ex) > 0
    # nobody exempt, deferred, pending or ineligible (except volunteers) is selected
    st = ex["teacher_id"].map(el["status"])
    vol = ex["teacher_id"].map(el["volunteer"])
    assert ((st == "应交流") | vol).all()
    # each teacher at most once
    assert ex["teacher_id"].is_unique
    # quota per county: count ≥ ceil(5% of compulsory 专任教师)
    for county, tc in teachers.groupby(schools.set_index("school_id").loc[teachers["school_id"], "county"].to_numpy()):
        base = int((tc["post"] == "专任教师").sum())
        moved = int(ex["from_school"].map(sch["county"]).eq(county).sum())
        assert moved >= math.ceil(0.05 * base - 1e-9)
    # directions legal: cross locality line, or tier, or same group; same county
    fr, to = sch.loc[ex["from_school"]], sch.loc[ex["to_school"]]
    rural_a, rural_b = (fr["locality"] == "乡村").to_numpy(), (to["locality"] == "乡村").to_numpy()
    same_group = (fr["group"].to_numpy() == to["group"].to_numpy()) & (fr["group"].to_numpy() != "")
    assert ((rural_a != rural_b) | (fr["tier"].to_numpy() != to["tier"].to_numpy()) | same_group).all()
    assert (fr["county"].to_numpy() == to["county"].to_numpy()).all()
    # backbone share ≥ 20 %
    assert ex["backbone"].sum() >= 0.2 * len(ex) - 1e-9
    # no school-subject made short beyond tolerance by what it sends (cells that lost teachers)
    cov = rot.coverage
    lost = cov[cov["exchange"] < 0]
    tol = cfg["exchange.sending_tolerance"]
    assert (lost["remaining"] <= lost["gap0"].clip(lower=0) + tol * lost["load"] + 1e-6).all()
    # 走教: distances ≤ max, hosts per teacher ≤ max, load within capacity, same zone or group
    zj = rot.zoujiao
    if len(zj):
        assert (zj["km"] <= cfg["zoujiao.max_km"] + 1e-9).all()
        assert zj.groupby("teacher_id")["host"].nunique().max() <= cfg["zoujiao.max_hosts"]
        load = supply.set_index("teacher_id")
        tot = zj.groupby("teacher_id")["periods"].sum()
        cur = load.loc[tot.index, "periods_main"] + load.loc[tot.index, "periods_second"]
        assert (cur + tot <= load.loc[tot.index, "standard_load"] + cfg["zoujiao.extra_load"] + 1e-9).all()
        assert not set(zj["teacher_id"]) & set(ex["teacher_id"])
    # coverage accounting: remaining = original − exchange − 走教
    assert np.allclose(cov["remaining"], cov["gap0"] - cov["exchange"] - cov["zoujiao"])


def test_determinism_two_runs_identical():
    from staffplan.optimize.pipeline import rotate_frames

    cfg = default_config()
    frames = make_district(n_counties=1, schools_per_county=10, teachers_per_school=15, seed=5)
    a = rotate_frames(*frames, cfg, 2026).sheets()
    b = rotate_frames(*frames, cfg, 2026).sheets()
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_parallel_counties_same_as_sequential():
    from staffplan.optimize.pipeline import rotate_frames

    frames = make_district(n_counties=2, schools_per_county=8, teachers_per_school=12, seed=9)
    seq = default_config().with_overrides({"solver.parallel_min_teachers": 10 ** 9})
    par = default_config().with_overrides({"solver.parallel_min_teachers": 1, "solver.workers": 2})
    a = rotate_frames(*frames, seq, 2026)
    b = rotate_frames(*frames, par, 2026)
    assert set(a.requirements) == {"县00", "县01"}
    for name, sheet in a.sheets().items():
        pd.testing.assert_frame_equal(sheet, b.sheets()[name])
