"""The national-format writer (examples/national_format.py) and plain ↔ national equivalence through load_dataset."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from staffplan.errors import Issues
from staffplan.io import codes, national

ROOT = Path(__file__).resolve().parents[1]


def _writer():
    spec = importlib.util.spec_from_file_location("national_format", ROOT / "examples" / "national_format.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nf = _writer()


def _valid_id(s: str) -> bool:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return len(s) == 18 and s[:17].isdigit() and "10X98765432"[sum(int(c) * k for c, k in zip(s[:17], w)) % 11] == s[17]


def _small_district() -> dict[str, pd.DataFrame]:
    """Three schools (小学, 九年一贯制, 高中), two years, six staff — built by hand."""
    schools = pd.DataFrame({
        "school_id": ["A01", "A02", "A03"], "school_name": ["城关小学", "青山学校", "第一中学"],
        "stage": ["小学", "九年一贯制", "高中"], "town": ["城关镇", "青山镇", "城关镇"],
        "locality": ["城区", "乡村", "镇区"], "tier": ["优质", "薄弱", "一般"], "group": ["", "", ""],
        "quota_approved": [30.0, np.nan, 50.0], "boarders": [0.0, 40.0, 0.0], "lon": [np.nan] * 3,
        "lat": [np.nan] * 3, "county": ["", "", ""], "zone": ["城关镇", "青山镇", "城关镇"]})
    rows = []
    for sid, grades in (("A01", range(1, 7)), ("A02", range(1, 10)), ("A03", range(10, 13))):
        for year in (2024, 2025):
            for g in grades:
                rows.append((sid, year, g, 30 + g + (year - 2024) * 2, float(1 + g // 7)))
    enrollment = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students", "classes"])
    d = pd.Timestamp
    teachers = pd.DataFrame({
        "teacher_id": ["T1", "T2", "T3", "T4", "T5", "T6"], "id_number": ["", "", "", "", "", ""],
        "name": ["张一", "李二", "王三", "赵四", "钱五", "孙六"], "sex": ["男", "女", "女", "男", "女", "男"],
        "birth_date": [d(1970, 5, 1), d(1985, 3, 2), d(1990, 7, 3), d(1966, 1, 4), d(1995, 9, 5), d(1980, 2, 6)],
        "school_id": ["A01", "A01", "A02", "A02", "A03", "A03"],
        "subject": ["语文", "数学", "英语", "体育", "物理", "其他"], "subject2": ["", "科学", "", "", "", ""],
        "periods": [12.0, 14.0, np.nan, 16.0, 10.0, np.nan],
        "title": ["中学高级教师", "小学高级教师", "一级教师", "中学一级教师", "未定级", "二级教师"],
        "degree": ["本科", "专科", "研究生", "高中及以下", "研究生", "本科"],
        "employment": ["在编", "在编", "在编", "临聘", "在编", "在编"],
        "post": ["专任教师", "专任教师", "专任教师", "专任教师", "专任教师", "行政"],
        "arrival_date": [d(2005, 9, 1), d(2010, 9, 1), d(2015, 8, 20), d(2019, 9, 1), d(2022, 9, 1), d(2008, 3, 1)],
        "work_start": [d(1990, 8, 1), d(2005, 9, 1), d(2015, 8, 20), d(1988, 9, 1), d(2022, 9, 1), d(2002, 9, 1)],
        "backbone": [True, False, True, False, False, False],
        "appraisal": ["优秀", "合格", "合格", "", "合格", "合格"], "appraisal_prev": ["合格", "合格", "", "", "", "优秀"],
        "special": ["", "哺乳期", "", "", "", ""], "special_approved": [False, True, False, False, False, False],
        "willingness": ["", "愿意交流", "不愿交流", "", "愿意交流、愿意走教", ""],
        "agreed_retirement": [pd.NaT] * 6, "retirement_group": [np.nan] * 6,
        "status": ["在本单位任职", "在本单位任职", "暂未在本单位任职-交流轮岗", "在本单位任职", "长病假", "在本单位任职"]})
    return {"schools": schools, "enrollment": enrollment, "teachers": teachers}


def test_writer_output_layout_and_statistics_round_trip(tmp_path):
    frames = _small_district()
    res = nf.write_national_format(frames, tmp_path, seed=3)
    ids = res["school_ids"]
    assert all(len(v) == 10 and v.isdigit() for v in ids.values()) and len(set(ids.values())) == 3
    # roster: two sheets, national headers, valid 18-digit ID numbers, coded fields
    wb = load_workbook(tmp_path / "教师.xlsx", read_only=True)
    assert wb.sheetnames == ["基本信息", "岗位信息"]
    head = [c.value for c in next(wb["基本信息"].iter_rows(max_row=1))]
    assert head[:5] == ["*省", "*市", "*区县", "*学校名称", "*姓名"]
    assert "*出生日期\n(yyyy-MM-dd)" in head and "*进本校年月(yyyy-MM-dd)" in head
    body = list(wb["基本信息"].iter_rows(min_row=2, values_only=True))
    id_col = head.index("*身份证件号")
    assert len(body) == 6 and all(_valid_id(r[id_col]) for r in body)
    assert set(res["teacher_ids"]) == {"T1", "T2", "T3", "T4", "T5", "T6"}
    status = dict(zip((r[head.index("*姓名")] for r in body), (r[head.index("*人员状态")] for r in body)))
    assert status["王三"] == "205-暂未在本单位任职-交流轮岗" and status["钱五"] == "203-长病假"
    head2 = [c.value for c in next(wb["岗位信息"].iter_rows(max_row=1))]
    assert head2[0] == "*身份证件号" and "专业技术职务" in head2 and "教师编号" in head2
    wb.close()
    # statistics folder: one workbook per school and year, read back exactly (总计 row only)
    paths = sorted((tmp_path / "在校生").rglob("*.xlsx"))
    assert [p.relative_to(tmp_path).as_posix() for p in paths][:3] == [
        "在校生/2024学年/城关小学.xlsx", "在校生/2024学年/第一中学.xlsx", "在校生/2024学年/青山学校.xlsx"]
    schools = frames["schools"].assign(school_id=frames["schools"]["school_id"].map(ids))
    issues = Issues()
    got = national.read_statistics(paths, tmp_path, schools, issues)
    assert not issues.has_errors()
    want = frames["enrollment"].assign(school_id=frames["enrollment"]["school_id"].map(ids))
    key = ["school_id", "year", "grade"]
    pd.testing.assert_frame_equal(got[key + ["students", "classes"]].sort_values(key).reset_index(drop=True),
                                  want[key + ["students", "classes"]].sort_values(key).reset_index(drop=True),
                                  check_dtype=False)
    # a 九年一贯制 school gets both the primary and the junior table
    sheets = load_workbook(tmp_path / "在校生" / "2025学年" / "青山学校.xlsx", read_only=True).sheetnames
    assert sheets == ["封面", "教基1001", "教基3112_小学", "教基3115_初级中学"]


def test_generated_id_numbers_are_valid_unique_and_match_birth_and_sex():
    used: set[str] = set()
    birth = pd.Timestamp(1985, 3, 1)
    a = nf.make_id_number(birth, True, 0, used=used)
    b = nf.make_id_number(birth, True, 500, used=used)  # same sequence slot: the next free one is taken
    c = nf.make_id_number(birth, False, 0, used=used)
    # order 001 (odd = 男); check digit by hand: Σ digit×weight = 169, 169 mod 11 = 4 → "10X98765432"[4] = "8"
    assert a == "330102198503010018"
    assert len({a, b, c}) == 3 and all(_valid_id(x) for x in (a, b, c))
    assert a[6:14] == "19850301" and int(a[16]) % 2 == 1 and int(c[16]) % 2 == 0


def test_writer_is_deterministic(tmp_path):
    frames = _small_district()
    a = nf.write_national_format(frames, tmp_path / "a", seed=5)
    b = nf.write_national_format(frames, tmp_path / "b", seed=5)
    assert a == b
    ra = list(load_workbook(tmp_path / "a" / "教师.xlsx").worksheets[1].values)
    rb = list(load_workbook(tmp_path / "b" / "教师.xlsx").worksheets[1].values)
    assert ra == rb


# ------------------------------------------------------------------------------------------- equivalence

def _plain(frames: dict[str, pd.DataFrame], out: Path, ids: dict[str, str], id_numbers: dict[str, str]) -> None:
    """The same district in the plain contract format (Chinese headers, one workbook per table)."""
    from staffplan import schema

    out.mkdir(parents=True, exist_ok=True)
    s = frames["schools"].assign(school_id=frames["schools"]["school_id"].map(ids))
    s.rename(columns=schema.SCHOOL_COLUMNS).to_excel(out / "学校.xlsx", index=False)
    e = frames["enrollment"].assign(school_id=frames["enrollment"]["school_id"].map(ids))
    e.rename(columns=schema.ENROLLMENT_COLUMNS).to_excel(out / "在校生.xlsx", index=False)
    t = frames["teachers"].copy()
    t["school_id"] = t["school_id"].map(ids)
    t["id_number"] = t["teacher_id"].map(id_numbers)
    t["backbone"] = np.where(t["backbone"], "是", "否")
    t["special_approved"] = np.where(t["special_approved"], "是", "")
    t = t.drop(columns=["title_level"], errors="ignore")
    for c in ("birth_date", "arrival_date", "work_start", "agreed_retirement"):
        t[c] = t[c].dt.strftime("%Y-%m-%d")
    t.rename(columns=schema.TEACHER_COLUMNS).to_excel(out / "教师.xlsx", index=False)
    if "births" in frames and len(frames["births"]):
        frames["births"].rename(columns=schema.BIRTH_COLUMNS).to_excel(out / "出生人口.xlsx", index=False)


def _load():
    try:
        from staffplan.io.dataset import load_dataset
    except ImportError:  # pragma: no cover - the loader is written elsewhere
        pytest.skip("staffplan.io.dataset.load_dataset is not available")
    return load_dataset


def _canon(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    cols = sorted(c for c in df.columns if not c.startswith("src_"))
    return df[cols].sort_values(key).reset_index(drop=True)


def _district_frames(kind: str) -> dict[str, pd.DataFrame]:
    if kind == "hand":
        return _small_district()
    synth = pytest.importorskip("staffplan.synth")
    d = synth.build_district(seed=7, n_schools=9, n_teachers=60, years=2)
    # kindergarten grades have no statistics table here (教基3112/3115/3118 only): leave kindergartens out
    keep = d["schools"]["stage"] != "幼儿园"
    ids = set(d["schools"].loc[keep, "school_id"])
    return {"schools": d["schools"][keep].reset_index(drop=True),
            "enrollment": d["enrollment"][d["enrollment"]["school_id"].isin(ids)].reset_index(drop=True),
            "teachers": d["teachers"][d["teachers"]["school_id"].isin(ids)].reset_index(drop=True),
            "births": d["births"]}


@pytest.mark.parametrize("kind", ["hand", "synth"])
def test_plain_and_national_formats_load_to_the_same_frames(tmp_path, kind):
    load_dataset = _load()
    frames = _district_frames(kind)
    res = nf.write_national_format(frames, tmp_path / "national", seed=11)
    _plain(frames, tmp_path / "plain", res["school_ids"], res["teacher_ids"])
    a = load_dataset(tmp_path / "plain")
    b = load_dataset(tmp_path / "national")
    pd.testing.assert_frame_equal(_canon(a.schools, ["school_id"]), _canon(b.schools, ["school_id"]),
                                  check_dtype=False)
    key = ["school_id", "year", "grade"]
    pd.testing.assert_frame_equal(_canon(a.enrollment, key), _canon(b.enrollment, key), check_dtype=False)
    ta, tb = _canon(a.teachers, ["id_number"]), _canon(b.teachers, ["id_number"])
    # 职称 is kept as written; the national roster may write it as a GB/T 8561 code (052, 413-小学高级教师)
    tb["title"] = codes.decode_or_keep("title", tb["title"])
    assert list(ta.columns) == list(tb.columns)
    pd.testing.assert_frame_equal(ta, tb, check_dtype=False)
    if kind == "hand":  # 人员状态 codes reach the canonical status; 55 代课教师 is 专任教师 and 临聘
        by_name = b.teachers.set_index("name")
        assert by_name.loc["王三", "status"] == "暂未在本单位任职-交流轮岗"
        assert by_name.loc["钱五", "status"] == "长病假"
        assert (by_name.loc["赵四", "post"], by_name.loc["赵四", "employment"]) == ("专任教师", "临聘")
        assert any("代课教师" in i.message for i in b.issues)
    # the national load says which statistics file gave which school and year
    assert any("统计报表" in i.message and i.severity == "提示" for i in b.issues)
