"""Forecast pipeline on tiny hand-built districts (domain.md §2, §3, §5, §8; contract.md §3)."""
import numpy as np
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.forecast.gaps import district_shortages, subject_gaps
from staffplan.forecast.indicators import compute_indicators
from staffplan.forecast.pipeline import SHEET_ORDER, run_forecast
from staffplan.forecast.recruitment import recruitment_plan
from staffplan.forecast.supply import subject_supply, teacher_supply
from staffplan.forecast.tables import with_total
from staffplan.schema import Dataset

CURRICULUM = ("grade,course,subject,periods\n"
              + "".join(f"{g},音乐,音乐,2\n{g},语文,语文,8\n" for g in range(1, 7))
              + "".join(f"{g},语文,语文,5\n" for g in range(7, 10)))


def _carry_forward(enrollment, schools, config, plan_year, births=None, feeders=None, horizon=1):
    """Stand-in projection (last year carried forward, same classes) so that these tests check the
    staffing pipeline alone; the real model is exercised in test_constant_district_projection_and_quota."""
    last = enrollment[enrollment["year"] == plan_year - 1]
    out = last.assign(year=plan_year, students=last["students"].astype(float))
    out["lo"], out["hi"] = out["students"], out["students"]
    out["classes"] = out["classes"].astype(int)
    out["method"], out["flags"] = "test", ""
    return out[["school_id", "year", "grade", "students", "lo", "hi", "classes", "method", "flags"]]


@pytest.fixture
def fixed_projection(monkeypatch):
    monkeypatch.setattr("staffplan.forecast.pipeline.project_enrollment", _carry_forward)


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "课表.csv"
    path.write_text(CURRICULUM, encoding="utf-8")
    return default_config().with_overrides({"curriculum.compulsory_file": str(path)})


def _teacher(tid, school, subject, **kw):
    row = dict(teacher_id=tid, id_number="", name=f"教师{tid}", sex="女", birth_date=pd.Timestamp("1985-03-01"),
               school_id=school, subject=subject, subject2="", periods=np.nan, employment="在编", post="专任教师",
               degree="本科", title_level="中级", appraisal="合格", appraisal_prev="合格",
               agreed_retirement=pd.NaT, retirement_group=np.nan, status="在本单位任职")
    row.update(kw)
    return row


def _district():
    schools = pd.DataFrame({
        "school_id": ["A", "B", "K"], "school_name": ["甲小学", "乙学校", "丙幼儿园"],
        "stage": ["小学", "九年一贯制", "幼儿园"], "locality": ["城区", "镇区", "城区"],
        "quota_approved": [40.0, np.nan, np.nan], "boarders": [0.0, 0.0, 0.0]})
    rows = []
    for y in (2022, 2023, 2024):                         # constant enrollment, every grade equal
        rows += [("A", y, g, 120, 3.0) for g in range(1, 7)]
        rows += [("B", y, g, 40, 1.0) for g in range(1, 7)]
        rows += [("B", y, g, 90, 2.0) for g in range(7, 10)]
        rows += [("K", y, g, 50, 2.0) for g in (-2, -1, 0)]
    enrollment = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students", "classes"])
    teachers = pd.DataFrame([
        _teacher("T1", "A", "音乐", periods=14.0),
        _teacher("T2", "A", "语文", degree="专科"),
        _teacher("T3", "A", "语文", sex="男", birth_date=pd.Timestamp("1965-01-10")),    # 60y1m → 2025-02 预计退休
        _teacher("T4", "A", "语文", birth_date=pd.Timestamp("1970-09-10")),              # 55y3m → 2025-12 年内退休
        _teacher("T5", "A", "语文", employment="临聘"),
        _teacher("T6", "B", "语文"), _teacher("T7", "B", "语文"), _teacher("T8", "B", "语文"),
        _teacher("T9", "B", "语文", title_level="副高级"),
        _teacher("440301198503011234", "B", "音乐", id_number="440301198503011234",
                 appraisal="不合格", appraisal_prev="不合格"),
        _teacher("T11", "K", "学前教育", degree="专科"),
        _teacher("T12", "K", "其他", status="暂未在本单位任职-长病假"),
    ])
    return Dataset(schools=schools, enrollment=enrollment, teachers=teachers)


def test_constant_district_projection_and_quota(cfg):
    r = run_forecast(_district(), cfg)
    assert r.plan_year == 2025
    p = r.students.set_index(["school_id", "grade"])["students"]
    last = _district().enrollment.query("year == 2024").set_index(["school_id", "grade"])["students"]
    assert np.allclose(p.reindex(last.index).to_numpy(), last.to_numpy())        # projected exactly
    q = r.quota.set_index(["school_id", "stage"])
    assert q.loc[("A", "全校"), "quota"] == 38          # 720 / 19 = 37.89 → 38
    assert q.loc[("B", "小学"), "quota_raw"] == pytest.approx(240 / 19)
    assert q.loc[("B", "初中"), "quota_raw"] == 20      # 270 / 13.5
    assert q.loc[("B", "全校"), "quota"] == 33          # 12.63 + 20 = 32.63 → 33
    assert q.loc[("K", "全校"), "quota"] == 12          # 6 classes × 2
    # staffing of A: 4 在编 (T1–T4), T3 预计退休, T4 年内退休, 1 临聘; 缺编 = 38 − (4 − 1) = 35
    a = q.loc[("A", "全校")]
    assert (a["on_quota"], a["retire_before"], a["retire_during"], a["temporary"]) == (4, 1, 1, 1)
    assert a["vacancy"] == 35


def test_school_without_enrollment_is_not_computed_and_not_over_quota(cfg):
    # the kindergarten's statistics were not read (no rows at all): 编制 未测算 and 缺编 blank, not
    # 0 − (在编 T11, T12) = −2 (a false 超编); 说明 says so
    ds = _district()
    ds = Dataset(schools=ds.schools, enrollment=ds.enrollment[ds.enrollment["school_id"] != "K"], teachers=ds.teachers)
    r = run_forecast(ds, cfg)
    k = r.quota.set_index(["school_id", "stage"]).loc[("K", "全校")]
    assert pd.isna(k["quota"]) and pd.isna(k["vacancy"]) and k["basis"] == "未测算：没有任何学年的在校生数据"
    assert k["on_quota"] == 2
    assert any("编制未测算" in n and "丙幼儿园（K）" in n for n in r.notes)
    sheet = r.sheets()["编制测算"]
    assert sheet.iloc[-1]["测算依据"] == "标准编制、缺编不含 1 所未测算的学校（其在编、临聘教师计入合计）"


def test_music_gap_hand_computed(cfg, fixed_projection):
    r = run_forecast(_district(), cfg)
    g = r.gaps.set_index(["school_id", "stage", "subject"])
    # A: 18 classes × 2 music periods = 36; T1 gives 14 → gap 22 periods = 22 / 14 FTE
    m = g.loc[("A", "小学", "音乐")]
    assert (m["demand_periods"], m["supply_periods"], m["gap_periods"]) == (36, 14, 22)
    assert m["gap_fte"] == pytest.approx(22 / 14) and m["short"]
    # A Chinese: 18 × 8 = 144; T2, T4 full load 12 each, T5 (临聘) 12, T3 retires → 36; gap 108 / 12 = 9
    c = g.loc[("A", "小学", "语文")]
    assert (c["supply_periods"], c["gap_fte"]) == (36, 9)


def test_multi_stage_teachers_spread_by_demand(cfg, fixed_projection):
    r = run_forecast(_district(), cfg)
    # B Chinese demand: primary 6 classes × 8 = 48, junior 6 × 5 = 30 → shares 0.615 / 0.385;
    # 4 teachers at positions 0.125, 0.375, 0.625, 0.875 → 2 primary, 2 junior
    s = r.supply[(r.supply["school_id"] == "B") & (r.supply["subject"] == "语文")]
    assert s.sort_values("teacher_id")["stage"].tolist() == ["小学", "小学", "初中", "初中"]


def test_multi_stage_spread_follows_degree_and_age_never_the_key(cfg, fixed_projection):
    # B's 4 语文 teachers (2 小学 places, then 2 初中 places, as above) in the published order: 最高学历 lower first,
    # then birth date, then name — T9 (研究生) and T6 (本科, born 1980) take the 初中 places
    ds = _district()
    t = ds.teachers.copy()
    b = (t["school_id"] == "B") & (t["subject"] == "语文")
    t.loc[b & (t["teacher_id"] == "T9"), "degree"] = "研究生"
    t.loc[b & (t["teacher_id"] == "T6"), "birth_date"] = pd.Timestamp("1990-01-01")
    ds = Dataset(schools=ds.schools, enrollment=ds.enrollment, teachers=t)
    s = run_forecast(ds, cfg).supply.set_index("teacher_id")
    assert s.loc[["T6", "T7", "T8", "T9"], "stage"].tolist() == ["初中", "小学", "小学", "初中"]
    # the same people under other keys (the order of the keys reversed): the same stages, the same gaps
    renamed = t.assign(teacher_id=t["teacher_id"].map(lambda x: f"Z{100 - int(x[1:])}"))
    ds2 = Dataset(schools=ds.schools, enrollment=ds.enrollment, teachers=renamed)
    r1, r2 = run_forecast(ds, cfg), run_forecast(ds2, cfg)
    s2 = r2.supply.assign(teacher_id=r2.supply["teacher_id"].map(lambda x: f"T{100 - int(x[1:])}"))
    assert s2.set_index("teacher_id").loc[["T6", "T7", "T8", "T9"], "stage"].tolist() == ["初中", "小学", "小学", "初中"]
    cols = ["school_id", "stage", "subject", "supply_periods", "gap_periods"]
    pd.testing.assert_frame_equal(r1.gaps[cols].reset_index(drop=True), r2.gaps[cols].reset_index(drop=True))


def test_supply_rules(cfg):
    teachers = pd.DataFrame([
        _teacher("S1", "A", "语文", periods=15.0, subject2="音乐"),
        _teacher("S2", "A", "语文", status="暂未在本单位任职-交流轮岗"),
        _teacher("S3", "A", "语文", post="行政"),
    ])
    schools = pd.DataFrame({"school_id": ["A"], "school_name": ["甲小学"], "stage": ["小学"]})
    c = cfg.with_overrides({"load.second_subject_share": 0.4})
    s = teacher_supply(teachers, schools, c, 2025).set_index("teacher_id")
    assert s.loc["S1", "periods_main"] == pytest.approx(9) and s.loc["S1", "periods_second"] == pytest.approx(6)
    assert s["counts"].tolist() == [True, False, False]
    assert "交流轮岗" in s.loc["S2", "reason"] and "行政" in s.loc["S3", "reason"]
    agg = subject_supply(s.reset_index()).set_index("subject")
    assert agg.loc["音乐", "supply_periods"] == pytest.approx(6)
    assert agg.loc["音乐", "supply_fte"] == pytest.approx(6 / 14)


def test_net_shortage_and_threshold(cfg):
    demand = pd.DataFrame({"school_id": ["X", "Y"], "stage": "小学", "subject": "音乐",
                           "demand_periods": [42.0, 14.0], "demand_fte": [3.0, 1.0]})
    supply = pd.DataFrame({"school_id": ["X", "Y"], "stage": "小学", "subject": "音乐",
                           "supply_periods": [14.0, 28.0], "supply_fte": [1.0, 2.0]})
    schools = pd.DataFrame({"school_id": ["X", "Y"], "school_name": ["X校", "Y校"]})
    g = subject_gaps(demand, supply, schools, cfg).set_index("school_id")
    assert g.loc["X", "gap_fte"] == 2 and g.loc["Y", "gap_fte"] == -1
    assert g["short"].tolist() == [True, False]
    d = district_shortages(g.reset_index(), cfg).iloc[0]
    assert (d["gap_fte"], d["shortage_fte"], d["surplus_fte"], d["short"]) == (1, 2, 1, True)
    staffing = pd.DataFrame({"quota": [10.0, 10.0], "on_quota": [8, 8], "retire_before": [0, 0]})
    plan = recruitment_plan(g.reset_index(), district_shortages(g.reset_index(), cfg), staffing, 0, cfg)
    # net of Y's surplus: 1 hire, placed at X
    assert plan.plan["recruit"].tolist() == [1] and plan.allocations["school_id"].tolist() == ["X"]


def test_recruitment_bounded_by_pooled_vacancies(cfg):
    gaps = pd.DataFrame({"school_id": ["X", "X", "X"], "school_name": "X校", "stage": "小学",
                         "subject": ["音乐", "美术", "体育"], "gap_fte": [2.4, 1.2, 0.6], "short": True})
    short = district_shortages(gaps.assign(demand_periods=np.nan, supply_periods=np.nan, gap_periods=np.nan,
                                           demand_fte=0.0, supply_fte=0.0), cfg)
    # pooled vacancies: (10 − (9 − 1)) + (5 − 6) = 2 − 1 = 1 … plus a third school with 2 → 3
    staffing = pd.DataFrame({"quota": [10.0, 5.0, 4.0, np.nan], "on_quota": [9, 6, 2, 7],
                             "retire_before": [1, 0, 0, 0]})
    plan = recruitment_plan(gaps, short, staffing, temporary_now=5, config=cfg)
    assert plan.pooled_vacancies == 3
    # wanted ceil: 3 + 2 + 1 = 6 > 3; posts by largest remaining need: 音乐 2.4, 音乐 1.4, 美术 1.2
    got = dict(zip(plan.plan["subject"], plan.plan["recruit"]))
    assert got == {"音乐": 2, "美术": 1}
    assert plan.total_recruit <= plan.pooled_vacancies
    assert plan.needs_more_temporary and any("只减不增" in n for n in plan.notes)
    assert not plan.plan.astype(str).apply(lambda c: c.str.contains("临聘")).any().any()   # never proposes 临聘
    assert set(plan.plan["degree"]) == {"本科及以上"}


def test_indicators_tiny_roster(cfg):
    schools = pd.DataFrame({"school_id": ["P", "J"], "school_name": ["小学", "初中"], "stage": ["小学", "初中"]})
    teachers = pd.DataFrame([
        _teacher("P1", "P", "语文", degree="本科"), _teacher("P2", "P", "数学", degree="研究生"),
        _teacher("P3", "P", "音乐", degree="本科"), _teacher("P4", "P", "美术", degree="专科"),
        _teacher("P5", "P", "体育", degree="专科", post="工勤"),          # not a 专任教师: outside the indicator
        _teacher("J1", "J", "语文", degree="本科", title_level="副高级"), _teacher("J2", "J", "数学", degree="专科"),
    ])
    sup = teacher_supply(teachers, schools, cfg, 2025)
    ind = compute_indicators(teachers, sup, schools, cfg).set_index("indicator")
    p = ind.loc["小学专任教师本科及以上学历比例"]
    assert (p["numerator"], p["denominator"], p["value"], p["met"]) == (3, 4, 0.75, "是")      # 75% ≥ 58%
    j = ind.loc["初中专任教师本科及以上学历比例"]
    assert (j["value"], j["met"]) == (0.5, "否")                                               # 50% < 92%
    h = ind.loc["有高级职称教师的义务教育学校比例"]
    assert (h["numerator"], h["denominator"], h["met"]) == (1, 2, "否")                         # 50% < 70%
    assert ind.loc["高中和中职专任教师研究生学历比例", "current"].startswith("无数据")
    assert ind.loc["义务教育教师交流轮岗比例", "current"] == "见交流轮岗安排（交流工作簿）"
    assert ind.loc["专职教研员人数", "current"].startswith("无数据")


def test_sheets_order_columns_and_totals(cfg, fixed_projection):
    r = run_forecast(_district(), cfg)
    sheets = r.sheets()
    assert list(sheets) == SHEET_ORDER
    assert list(sheets["学生预测"].columns) == ["学校代码", "学校名称", "学段", "年级", "预测学生数", "预测班数", "下限", "上限"]
    assert list(sheets["编制测算"].columns)[:12] == ["学校代码", "学校名称", "学段", "预测学生数", "预测班数", "标准编制",
                                                 "核定编制", "在编教师", "预计退休", "年内退休", "临聘教师", "缺编"]
    assert list(sheets["招聘计划"].columns)[:5] == ["学段", "学科", "建议招聘人数", "学历要求", "涉及学校"]
    assert list(sheets["指标"].columns) == ["指标", "目标", "当前值", "是否达标"]
    st = sheets["学生预测"]
    assert st.iloc[-1]["学校代码"] == "合计"
    assert st.iloc[-1]["预测学生数"] == st.iloc[:-1]["预测学生数"].sum() == 720 + 510 + 150
    qs = sheets["编制测算"]
    body = qs.iloc[:-1]
    school_rows = body.drop_duplicates("学校代码")     # the first row of each school is its own row
    assert school_rows.set_index("学校代码")["学段"].to_dict() == {"A": "小学", "B": "全校", "K": "幼儿园"}
    assert qs.iloc[-1]["标准编制"] == school_rows["标准编制"].sum() == 38 + 33 + 12       # stage rows not double counted
    assert qs.iloc[-1]["缺编"] == school_rows["缺编"].sum()
    gs = sheets["学科缺口"]
    assert gs.iloc[-1]["缺口课时"] == pytest.approx(gs.iloc[:-1]["缺口课时"].sum())
    rs = sheets["招聘计划"]
    assert rs.iloc[-1]["建议招聘人数"] == rs.iloc[:-1]["建议招聘人数"].sum()
    assert rs.iloc[-1]["建议招聘人数"] <= r.recruitment_plan.pooled_vacancies
    ex = sheets["退出预警"]
    assert len(ex) == 1 and ex.iloc[0]["预警依据"] == "连续两年年度考核不合格"
    assert "19850301" not in ex.iloc[0]["教师编号"]                                       # masked ID number
    s = r.summary()
    assert s["quota_standard"] == 83 and s["students"] == 1380
    assert "小学音乐" in s["shortage_subjects"]


def test_with_total():
    df = pd.DataFrame({"k": ["a", "b"], "x": [1, 2], "y": [0.5, 0.25], "t": ["u", "v"]})
    out = with_total(df, "k", ["x", "y"])
    assert out.iloc[-1].tolist() == ["合计", 3, 0.75, ""]


def test_empty_roster_supply_zero_every_school_short(cfg, fixed_projection):
    """A roster still being collected (issue 18): zero supply, every gap is the whole demand, a pre-plan."""
    ds = _district()
    ds.teachers = ds.teachers.iloc[0:0]
    r = run_forecast(ds, cfg)
    g = r.gaps.set_index(["school_id", "stage", "subject"])
    assert (r.subject_supply.empty and (g["supply_fte"] == 0).all()
            and np.allclose(g["gap_fte"], g["demand_fte"]) and g["short"].all())
    # A: 18 classes × 8 语文 periods = 144 = gap, ÷ 12 = 12 FTE; 18 × 2 音乐 = 36 periods ÷ 14 = 2.571
    assert (g.loc[("A", "小学", "语文"), "gap_periods"], g.loc[("A", "小学", "语文"), "gap_fte"]) == (144, 12)
    assert g.loc[("A", "小学", "音乐"), "gap_fte"] == pytest.approx(36 / 14)
    assert g.loc[("B", "初中", "语文"), "gap_fte"] == 3            # 6 classes × 5 = 30 periods ÷ 10
    assert g.loc[("K", "幼儿园", "学前教育"), "gap_fte"] == 12      # 6 classes × 2 teachers
    # pooled vacancies 38 + 33 + 12 = 83 ≥ need, so hires = ceil(need): 小学语文 12 + 4 (B: 48 ÷ 12) = 16,
    # 小学音乐 ceil(36/14 + 12/14 = 3.43) = 4, 初中语文 3, 学前教育 12
    got = {(a, b): n for a, b, n in zip(r.recruitment["stage"], r.recruitment["subject"], r.recruitment["recruit"])}
    assert got == {("小学", "语文"): 16, ("小学", "音乐"): 4, ("初中", "语文"): 3, ("幼儿园", "学前教育"): 12}
    # 音乐 posts one by one to the largest remaining gap: A 2.57, A 1.57, B 0.86, A 0.57 → A 3, B 1
    alloc = r.recruitment_plan.allocations
    music = alloc[alloc["subject"] == "音乐"].set_index("school_id")["recruit"].to_dict()
    assert music == {"A": 3, "B": 1}
    assert r.recruitment_plan.pooled_vacancies == 83
    assert any(n.startswith("教师名册为空：供给按 0 计算") for n in r.notes)
    # no roster: the share of schools with a senior-titled teacher is unknown, not 0 %
    ind = r.indicators.set_index("indicator").loc["有高级职称教师的义务教育学校比例"]
    assert ind["current"] == "无数据：教师名册为空" and ind["met"] == "—"


def _subject_supply_lambda(supply):
    """The per-group-lambda version subject_supply replaced (issue 18): kept here as the reference."""
    s = supply[supply["counts"]]
    kg = s["stage"] == "幼儿园"
    main = pd.DataFrame({"school_id": s["school_id"], "stage": s["stage"],
                         "subject": s["subject"].where(~kg, "学前教育"),
                         "supply_periods": s["periods_main"], "supply_fte": s["fte_main"], "teachers": 1})
    sec = s[(s["subject2"] != "") & ~kg]
    second = pd.DataFrame({"school_id": sec["school_id"], "stage": sec["stage"], "subject": sec["subject2"],
                           "supply_periods": sec["periods_second"], "supply_fte": sec["fte_second"], "teachers": 0})
    out = pd.concat([main, second], ignore_index=True).groupby(["school_id", "stage", "subject"], as_index=False).agg(
        supply_periods=("supply_periods", lambda x: x.sum(min_count=1)), supply_fte=("supply_fte", "sum"),
        teachers=("teachers", "sum"))
    return out.sort_values(["school_id", "stage", "subject"]).reset_index(drop=True)


def test_subject_supply_vectorised_equals_previous_on_example():
    from staffplan.cli import example_path
    from staffplan.io.dataset import load_dataset

    ds = load_dataset(example_path())
    supply = teacher_supply(ds.teachers, ds.schools, default_config(), ds.plan_year())
    assert supply["subject2"].ne("").any() and (supply["stage"] == "幼儿园").any()   # both branches used
    assert supply["periods_main"].nunique() > 10                                     # fractional periods summed
    pd.testing.assert_frame_equal(subject_supply(supply), _subject_supply_lambda(supply), check_exact=True)


def test_roster_second_subject_periods_win_over_the_share(cfg):
    # 周课时 is all periods taught; 兼任课时 is the part in 兼任学科.
    # S1: 16 periods, 4 of them 科学 → 语文 12, 科学 4 (not 16 × 1/3 = 5.3).
    # S2: 兼任课时 6 > 周课时 5 → capped: 科学 5, 语文 0.
    # S3: 周课时 blank → full 语文 load 12, plus 兼任课时 3 in 科学.
    # S4: 兼任课时 without 兼任学科 → not counted; 语文 gets all 10.
    teachers = pd.DataFrame([
        _teacher("S1", "A", "语文", periods=16.0, subject2="科学") | {"periods2": 4.0},
        _teacher("S2", "A", "语文", periods=5.0, subject2="科学") | {"periods2": 6.0},
        _teacher("S3", "A", "语文", subject2="科学") | {"periods2": 3.0},
        _teacher("S4", "A", "语文", periods=10.0) | {"periods2": 2.0},
    ])
    schools = pd.DataFrame({"school_id": ["A"], "school_name": ["甲小学"], "stage": ["小学"]})
    s = teacher_supply(teachers, schools, cfg, 2025).set_index("teacher_id")
    assert s["periods_main"].tolist() == pytest.approx([12, 0, 12, 10])
    assert s["periods_second"].tolist() == pytest.approx([4, 5, 3, 0])
    agg = subject_supply(s.reset_index()).set_index("subject")
    assert agg.loc["科学", "supply_periods"] == pytest.approx(12)


def test_approved_quota_is_summed_over_the_schools_that_have_one(cfg, fixed_projection):
    from staffplan.report.console import forecast_tables

    def quota_rows(district):
        r = run_forecast(district, cfg)
        s = r.summary()
        table = next(t for t in forecast_tables(r, s) if t.title == "全区编制")
        return s, dict(zip(table.columns[0]._cells, table.columns[1]._cells))

    # only 甲小学 (A) has a 核定编制 (40) of the three schools: the label says so
    s, rows = quota_rows(_district())
    assert (s["quota_approved"], s["quota_approved_schools"], s["quota_schools"]) == (40.0, 1, 3)
    assert rows["核定编制（已核定的 1 所学校）"] == "40"
    # no school has one: no 核定编制 row at all, never a 0
    d = _district()
    d.schools["quota_approved"] = np.nan
    s, rows = quota_rows(d)
    assert s["quota_approved"] is None and not any("核定编制" in k for k in rows)
