"""Synthetic district generator: determinism, realistic structure, contract-format files."""
from __future__ import annotations

import time
import unicodedata

import numpy as np
import openpyxl
import pandas as pd
import pytest

from staffplan.schema import GRADE_NAMES, SCHOOL_COLUMNS, STAGE_GRADES, TEACHER_COLUMNS
from staffplan.synth import build_district, id_check_char, write_contract_format

PLAN_DATE = pd.Timestamp("2026-09-01")


@pytest.fixture(scope="module")
def district():
    return build_district(seed=11, n_schools=40, n_teachers=1500)


def _check_char(idn: str) -> str:
    """Independent GB 11643 check: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(idn[:17]))
    return "0123456789X"[(12 - total % 11) % 11]


# --- determinism ------------------------------------------------------------------------------------------
def test_same_seed_same_frames():
    a = build_district(seed=3, n_schools=20, n_teachers=400)
    b = build_district(seed=3, n_schools=20, n_teachers=400)
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    c = build_district(seed=4, n_schools=20, n_teachers=400)
    assert not c["teachers"]["id_number"].equals(a["teachers"]["id_number"])


# --- frames and columns -----------------------------------------------------------------------------------
def test_canonical_columns(district):
    assert list(district["schools"].columns) == list(SCHOOL_COLUMNS)
    assert list(district["teachers"].columns) == list(TEACHER_COLUMNS)
    assert list(district["enrollment"].columns) == ["school_id", "year", "grade", "students", "classes"]
    assert list(district["births"].columns) == ["town", "birth_year", "births"]
    assert list(district["feeders"].columns) == ["school_id", "feeder_id", "share"]
    assert district["distances"].empty
    t = district["teachers"]
    assert len(t) == 1500 or len(t) % 500 == 0
    assert t["teacher_id"].is_unique
    assert t["teacher_id"].str.fullmatch(r"T\d{6}").all()
    assert t["school_id"].isin(district["schools"]["school_id"]).all()


def test_every_school_type_and_towns(district):
    s = district["schools"]
    assert set(s["stage"]) == {"幼儿园", "小学", "教学点", "初中", "九年一贯制", "完全中学", "高中"}
    assert set(s["locality"]) == {"城区", "镇区", "乡村"}
    assert (s.loc[s["stage"] == "教学点", "locality"] == "乡村").all()
    assert 4 <= s["town"].nunique() <= 8
    assert s["school_id"].str.fullmatch(r"441521\d{4}").all() and s["school_id"].is_unique
    assert s["school_name"].is_unique
    assert (s["zone"] == s["town"]).all() and (s["county"] == "").all()
    # every town's births are given for each year needed (intake years − 6 and − 3)
    b = district["births"]
    assert set(b["town"]) == set(s["town"])
    assert b["birth_year"].min() <= 2021 - 6 and b["birth_year"].max() >= 2026 - 3


def test_coordinates_within_40km(district):
    s = district["schools"]
    lat0, lon0 = s["lat"].mean(), s["lon"].mean()
    dy = (s["lat"] - lat0) * 111.0
    dx = (s["lon"] - lon0) * 111.0 * np.cos(np.radians(lat0))
    assert (np.hypot(dx, dy) < 45).all()


def test_groups_mix_urban_and_rural(district):
    s = district["schools"]
    grouped = s[s["group"] != ""]
    assert grouped["group"].nunique() >= 1
    for _, g in grouped.groupby("group"):
        assert "乡村" in set(g["locality"]) and set(g["locality"]) & {"城区", "镇区"}
    assert "城区" in set(grouped["locality"])


# --- enrollment -------------------------------------------------------------------------------------------
def test_grades_valid_for_stage(district):
    e = district["enrollment"].merge(district["schools"][["school_id", "stage", "locality"]], on="school_id")
    ok = [g in STAGE_GRADES[st] for g, st in zip(e["grade"], e["stage"])]
    assert all(ok)
    assert sorted(e["year"].unique()) == [2021, 2022, 2023, 2024, 2025]


def test_class_sizes(district):
    e = district["enrollment"].merge(district["schools"][["school_id", "stage", "locality"]], on="school_id")
    e = e[e["classes"] > 0]
    size = e["students"] / e["classes"]
    primary = e["grade"].between(1, 6)
    secondary = e["grade"] >= 7
    over = (primary & (size > 45)) | (secondary & (size > 50))
    # caps 45 / 50 hold except in a few urban schools, which have oversized classes (大班额, 56+)
    assert (e.loc[over, "locality"] == "城区").all()
    assert (size >= 56).any() and (size[over] <= 68).all()
    assert e.loc[over, "school_id"].nunique() <= 0.2 * e["school_id"].nunique()
    # teaching points: one class per grade, 1–6 classes in all, 5–25 pupils a class
    tp = e[e["stage"] == "教学点"]
    per_school = tp[tp["year"] == 2025].groupby("school_id")["classes"].sum()
    assert per_school.between(1, 6).all()
    assert tp["students"].between(4, 25).all()


def test_cohort_survival_urban_up_rural_down(district):
    e = district["enrollment"].merge(district["schools"][["school_id", "locality", "stage"]], on="school_id")
    e = e[(e["stage"] == "小学") & (e["students"] > 0)]
    nxt = e.assign(year=e["year"] - 1, grade=e["grade"] - 1)[["school_id", "year", "grade", "students"]]
    m = e.merge(nxt, on=["school_id", "year", "grade"], suffixes=("", "_next"))
    sums = m.groupby("locality")[["students", "students_next"]].sum()
    ratio = sums["students_next"] / sums["students"]
    assert 1.005 < ratio["城区"] < 1.04     # +1–3 % inflow
    assert 0.94 < ratio["乡村"] < 0.99      # −2–5 % outflow


def test_births_and_intakes_fall(district):
    b = district["births"].pivot(index="town", columns="birth_year", values="births")
    assert (b[2019] < b[2015]).all()
    e = district["enrollment"]
    g1 = e[e["grade"] == 1].groupby("year")["students"].sum()
    assert g1[2025] < g1[2021]


def test_new_school_and_closing_intake(district):
    e = district["enrollment"]
    first = e.groupby("school_id")["year"].min()
    new = first[first == 2023].index
    assert len(new) == 1
    ne = e[e["school_id"] == new[0]]
    # grade 1 in 2023, grades 1–2 in 2024, grades 1–3 in 2025
    assert ne.groupby("year")["grade"].max().to_dict() == {2023: 1, 2024: 2, 2025: 3}
    g1 = e[(e["grade"] == 1) & (e["year"] == 2025)]
    closing = g1[g1["students"] == 0]["school_id"]
    assert len(closing) == 1
    ce = e[e["school_id"] == closing.iloc[0]].set_index(["year", "grade"])["students"]
    assert ce[(2024, 1)] == 0 and ce[(2025, 2)] == 0 and ce[(2023, 1)] > 0


def test_feeders_are_primary_into_junior(district):
    s = district["schools"].set_index("school_id")["stage"]
    f = district["feeders"]
    assert len(f) > 0 and f["feeder_id"].is_unique
    assert set(s[f["school_id"]]) <= {"初中", "九年一贯制", "完全中学"}
    assert set(s[f["feeder_id"]]) == {"小学"}


# --- teachers ---------------------------------------------------------------------------------------------
def test_known_id_check_character():
    # the GB 11643 worked example 11010519491231002X
    assert id_check_char(np.array([11010519491231002]))[0] == "X"
    assert _check_char("11010519491231002X") == "X"


def test_id_numbers_valid(district):
    t = district["teachers"]
    ids = t["id_number"]
    assert ids.str.fullmatch(r"\d{17}[\dX]").all() and ids.is_unique
    assert all(_check_char(x) == x[17] for x in ids)
    assert (ids.str[6:14] == t["birth_date"].dt.strftime("%Y%m%d")).all()
    male = ids.str[16].astype(int) % 2 == 1
    assert ((t["sex"] == "男") == male).all()
    try:  # cross-check with the rules module once it exists
        from staffplan.rules import idcard  # type: ignore
    except ImportError:
        return
    check = getattr(idcard, "is_valid", None) or getattr(idcard, "valid", None)
    if check is not None:
        assert all(bool(check(x)) for x in ids.head(200))


def test_teacher_vocabularies_and_shares(district):
    t = district["teachers"]
    assert set(t["title_level"]) <= {"正高级", "副高级", "中级", "初级", "员级", "未定级"}
    assert set(t["degree"]) <= {"研究生", "本科", "专科", "高中及以下"}
    assert set(t["post"]) == {"专任教师", "行政", "教辅", "工勤"}
    assert 0.85 < (t["post"] == "专任教师").mean() < 0.95
    assert 0.05 < (t["employment"] == "临聘").mean() < 0.11
    assert 0.08 < t["backbone"].mean() < 0.16
    assert t["birth_date"].dt.year.between(1965, 2002).all()
    both_failed = (t["appraisal"] == "不合格") & (t["appraisal_prev"] == "不合格")
    assert 1 <= both_failed.sum() <= 10
    sp = t[t["special"] != ""]
    assert 0.01 < len(sp) / len(t) < 0.08 and sp["special_approved"].any() and not sp["special_approved"].all()
    assert not t.loc[t["special"] == "", "special_approved"].any()
    assert 0.55 < t["periods"].notna().mean() < 0.8
    assert set("、".join(t["willingness"]).split("、")) - {""} == {"愿意交流", "不愿交流", "愿意走教"}
    prim = t.merge(district["schools"][["school_id", "stage"]], on="school_id")
    assert 0.6 < (prim.loc[prim["stage"] == "小学", "sex"] == "女").mean() < 0.8


def test_titles_match_levels(district):
    # domain.md §6 title ladder, old and new names
    ladder = {"正高级教师": "正高级", "高级教师": "副高级", "中学高级教师": "副高级", "一级教师": "中级",
              "中学一级教师": "中级", "小学高级教师": "中级", "二级教师": "初级", "中学二级教师": "初级",
              "小学一级教师": "初级", "三级教师": "员级", "中学三级教师": "员级", "小学二级教师": "员级",
              "未定级": "未定级", "试用期": "未定级"}
    t = district["teachers"]
    assert (t["title"].map(ladder) == t["title_level"]).all()
    assert t["title"].isin(["小学高级教师", "中学一级教师"]).any()   # old names are used
    assert (t["title_level"] == "正高级").mean() < 0.02
    # 副高级 teachers are older on average than 初级 ones
    age = 2025 - t["birth_date"].dt.year
    assert age[t["title_level"] == "副高级"].mean() > age[t["title_level"] == "初级"].mean() + 8


def test_retirement_cases(district):
    t = district["teachers"]
    y = t["birth_date"].dt.year
    near_men = (t["sex"] == "男") & y.between(1965, 1967)
    near_women = (t["sex"] == "女") & y.between(1970, 1972)
    assert near_men.sum() >= 1 and near_women.sum() >= 1
    assert (y[t["sex"] == "女"] >= 1970).all()
    assert 1 <= t["agreed_retirement"].notna().sum() <= 40


def test_rotation_pool_exists(district):
    t = district["teachers"]
    years = (PLAN_DATE - t["arrival_date"]).dt.days / 365.25
    pool = (years > 6) & t["title_level"].isin(["正高级", "副高级", "中级"]) & (t["employment"] == "在编") \
        & (t["post"] == "专任教师")
    assert pool.mean() > 0.2
    assert (t["arrival_date"] >= t["work_start"]).all()
    assert (t["work_start"] > t["birth_date"] + pd.DateOffset(years=17)).all()


def test_rural_arts_deficit_larger_than_urban(district):
    """音乐/美术/体育/科学 demand per primary class ≈ (2+2+4+2) periods ÷ 14 = 0.714 FTE."""
    s = district["schools"]
    e = district["enrollment"]
    prim_ids = s.loc[s["stage"].isin(["小学", "教学点"]), ["school_id", "locality"]]
    last = e[(e["year"] == 2025)].merge(prim_ids, on="school_id")
    cls = last.groupby("locality")[["classes", "students"]].sum()
    t = district["teachers"].merge(prim_ids, on="school_id")
    supply = t[t["subject"].isin(["音乐", "美术", "体育", "科学"]) & (t["post"] == "专任教师")].groupby("locality").size()
    deficit_per_student = (cls["classes"] * 10 / 14 - supply.reindex(cls.index, fill_value=0)) / cls["students"]
    assert deficit_per_student["乡村"] > deficit_per_student["城区"]
    assert deficit_per_student["城区"] < 0.002          # urban: close to covered or surplus
    assert deficit_per_student["乡村"] > 0.01           # rural: a real gap


def test_staffing_follows_size(district):
    s = district["schools"]
    e = district["enrollment"]
    stu = e[e["year"] == 2025].groupby("school_id")["students"].sum()
    n = district["teachers"].groupby("school_id").size()
    prim = s.loc[s["stage"] == "小学", "school_id"]
    ratio = (stu[prim] / n[prim])
    assert 10 < ratio.median() < 19


# --- city scale -------------------------------------------------------------------------------------------
def test_city_scale_shape():
    f = build_district(seed=5, n_schools=30, n_teachers=900, n_counties=3)
    s = f["schools"]
    assert s["county"].nunique() == 3 and (s["county"] != "").all()
    assert s.groupby("county").size().tolist() == [10, 10, 10]
    assert s["school_id"].str[:6].nunique() == 3
    assert (s.groupby("county")["school_id"].agg(lambda x: x.str[:6].nunique()) == 1).all()
    towns = s.groupby("county")["town"].nunique()
    assert towns.between(1, 8).all()
    assert f["births"]["town"].nunique() == f["births"]["town"].nunique()
    assert not s.groupby("town")["county"].nunique().gt(1).any()   # a town belongs to one county
    assert len(f["teachers"]) == 900


def test_city_scale_is_fast():
    t0 = time.perf_counter()
    f = build_district(seed=1, n_schools=1000, n_teachers=100_000, n_counties=10)
    assert time.perf_counter() - t0 < 10
    assert len(f["teachers"]) == 100_000 and f["teachers"]["id_number"].is_unique


# --- files ------------------------------------------------------------------------------------------------
def _num(v):
    if v is None or v == "":
        return 0
    return int(unicodedata.normalize("NFKC", str(v)))


@pytest.fixture(scope="module")
def small():
    return build_district(seed=8, n_schools=20, n_teachers=300)


def test_messy_files(small, tmp_path):
    paths = write_contract_format(small, tmp_path, messy=True)
    assert sorted(p.name for p in paths) == sorted(["学校.xlsx", "在校生.xlsx", "教师.xlsx", "出生人口.xlsx", "对口.xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "在校生.xlsx")
    assert wb.sheetnames == [f"{y}学年" for y in range(2021, 2026)]
    for year in range(2021, 2026):
        ws = wb[f"{year}学年"]
        rows = list(ws.iter_rows(values_only=True))
        assert "在校生统计表" in rows[0][0]
        top, sub = rows[1], rows[2]
        assert top[:2] == ("学校标识码", "学校名称") and top[-2] == "总计"
        assert set(sub[2:]) <= {"班数", "学生数", "人数", "在校生数"}
        junior = [h for h in top if h in ("初一", "七年级")]
        assert junior == (["初一"] if year % 2 else ["七年级"])
        assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
        total_row = next(r for r in rows if r[1] == "总计")
        ey = small["enrollment"][small["enrollment"]["year"] == year]
        assert _num(total_row[-1]) == ey["students"].sum()
        assert _num(total_row[-2]) == ey["classes"].sum()
        body = [r for r in rows[3:] if r[0] and str(r[0]).isdigit()]
        assert len(body) == ey["school_id"].nunique()
        assert sum(_num(r[-1]) for r in body) == ey["students"].sum()
    wb = openpyxl.load_workbook(tmp_path / "教师.xlsx")
    header = next(wb.active.iter_rows(values_only=True))
    for h in ("身份证号码", "出生年月", "单位名称", "专业技术职务", "编制情况", "调入本校时间", "主教学科", "学历"):
        assert h in header
    body = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(small["teachers"])
    emp = {r[header.index("编制情况")] for r in body}
    assert emp <= {"在编", "编制内", "合同制", "临聘", "代课"}


def test_plain_files_roundtrip(small, tmp_path):
    write_contract_format(small, tmp_path, messy=False, csv_tables=("教师",))
    sc = pd.read_excel(tmp_path / "学校.xlsx", engine="openpyxl", dtype={"学校代码": str})
    assert list(sc.columns[:5]) == ["学校代码", "学校名称", "学段", "镇街", "城乡"]
    assert sc["学校代码"].tolist() == small["schools"]["school_id"].tolist()
    en = pd.read_excel(tmp_path / "在校生.xlsx", engine="openpyxl", dtype={"学校代码": str})
    assert list(en.columns) == ["学校代码", "学年", "年级", "学生数", "班数"]
    assert en["学生数"].sum() == small["enrollment"]["students"].sum()
    assert set(en["年级"]) <= set(GRADE_NAMES.values())
    te = pd.read_csv(tmp_path / "教师.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert te["身份证号"].tolist() == small["teachers"]["id_number"].tolist()
    assert te["出生日期"].iloc[0] == small["teachers"]["birth_date"].iloc[0].strftime("%Y-%m-%d")
    assert not (tmp_path / "距离.xlsx").exists()


def test_files_byte_stable(small, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    pa = write_contract_format(small, a, messy=True)
    pb = write_contract_format(small, b, messy=True)
    for x, y in zip(pa, pb):
        assert x.read_bytes() == y.read_bytes()


def test_messy_roster_as_gb18030_csv(small, tmp_path):
    paths = write_contract_format(small, tmp_path, messy=True, csv_tables=("教师",))
    assert (tmp_path / "教师.csv") in paths and (tmp_path / "在校生.xlsx") in paths
    te = pd.read_csv(tmp_path / "教师.csv", dtype=str, encoding="gb18030", keep_default_na=False)
    assert te["身份证号码"].tolist() == small["teachers"]["id_number"].tolist()
    # month-only birth dates agree with the ID number's year and month
    ym = te["出生年月"].str.extract(r"(\d{4})\D*(\d{1,2})")
    assert (ym[0] == te["身份证号码"].str[6:10]).all()
    assert (ym[1].astype(int) == te["身份证号码"].str[10:12].astype(int)).all()
