import datetime as dt
import math

import pandas as pd
import pytest

from staffplan.io import normalize as nz
from staffplan.io.headers import clean_header
from staffplan.rules import idcard


def test_halfwidth_and_numbers():
    assert nz.to_halfwidth("８６（人）") == "86(人)"
    assert nz.parse_number("1,234") == 1234.0
    assert nz.parse_number("８６") == 86.0
    assert nz.parse_number(" 17 ") == 17.0
    assert nz.parse_number(5) == 5.0
    for blank in (None, "", "-", "—", "/", "  "):
        assert math.isnan(nz.parse_number(blank))
    assert math.isnan(nz.parse_number("abc"))
    s = nz.parse_number(pd.Series(["1,234", "—", "８６", None, "x"]))
    assert s.iloc[0] == 1234 and s.iloc[2] == 86 and s.iloc[[1, 3, 4]].isna().all()
    bad = nz.bad_number(pd.Series(["x", "-", "3"]), pd.Series([float("nan"), float("nan"), 3.0]))
    assert bad.tolist() == [True, False, False]


@pytest.mark.parametrize("raw", ["1985-03-01", "1985/3/1", "1985.3.1", "1985年3月1日", "19850301", 19850301,
                                 31107, "31107", dt.date(1985, 3, 1), dt.datetime(1985, 3, 1, 12, 30)])
def test_parse_date_full(raw):
    assert nz.parse_date(raw) == pd.Timestamp(1985, 3, 1)


@pytest.mark.parametrize("raw", ["1985.03", "1985年3月", "198503", 198503, "1985-3", 1985.03])
def test_parse_date_month_only_is_first_of_month(raw):
    assert nz.parse_date(raw) == pd.Timestamp(1985, 3, 1)


def test_parse_date_invalid_and_year_only():
    assert nz.parse_date("1985-13-45") is pd.NaT
    assert nz.parse_date("明年") is pd.NaT
    assert nz.parse_date("") is pd.NaT
    assert nz.parse_date(2019) == pd.Timestamp(2019, 1, 1)
    assert nz.parse_date("2019", year_only_month=9) == pd.Timestamp(2019, 9, 1)
    s = nz.parse_date(pd.Series(["1985.03", None, "bad", "1985.03"]))
    assert str(s.dtype).startswith("datetime64")
    assert s.iloc[0] == s.iloc[3] == pd.Timestamp(1985, 3, 1) and s.iloc[1:3].isna().all()


@pytest.mark.parametrize("raw", [2025, "2025", "2025学年", "2025-2026", "2025—2026学年", "2025/2026",
                                 "2025 /2026 学年初", "２０２５－２０２６", "2025年秋季", "2026年春季"])
def test_school_year(raw):
    assert nz.parse_school_year(raw) == 2025


def test_grades():
    expected = {"一年级": 1, "六年级": 6, "七年级": 7, "初一": 7, "初三": 9, "九年级": 9, "高一": 10, "高三": 12,
                "小班": -2, "中班": -1, "大班": 0, "1年级": 1, "３年级": 3, "初中二年级": 8}
    for raw, g in expected.items():
        assert nz.parse_grade(raw) == g, raw
    assert nz.parse_grade("一年级", offset=6) == 7      # junior table numbering
    assert nz.parse_grade("三年级", offset=6) == 9
    assert nz.parse_grade("初一", offset=6) == 7        # explicit junior names are not shifted
    assert nz.parse_grade("十三年级") is None


def test_subjects():
    cases = {"思想品德": "道德与法治", "政治": "道德与法治", "信息技术": "信息科技", "体育与健康": "体育",
             "小学语文": "语文", "初中数学": "数学", "生物学": "生物", "外语": "英语"}
    for raw, v in cases.items():
        assert nz.normalize_subject(raw) == v
    assert nz.normalize_subject("书法") is None


def test_title_ladder_with_old_names():
    ladder = {"正高级教师": "正高级", "高级教师": "副高级", "中学高级教师": "副高级", "一级教师": "中级",
              "中学一级教师": "中级", "小学高级教师": "中级", "二级教师": "初级", "中学二级教师": "初级",
              "小学一级教师": "初级", "三级教师": "员级", "小学二级教师": "员级", "小学三级教师": "员级",
              "中学三级教师": "员级", "未定级": "未定级", "试用期": "未定级"}
    for raw, level in ladder.items():
        assert nz.title_level(raw) == level, raw
    assert nz.title_level(pd.Series(["小学高级教师", "高级教师"])).tolist() == ["中级", "副高级"]


def test_degree_employment_post():
    assert [nz.normalize_degree(x) for x in ["博士", "硕士", "研究生", "大学本科", "大专", "专科", "中专", "高中"]] == \
        ["研究生", "研究生", "研究生", "本科", "专科", "专科", "高中及以下", "高中及以下"]
    assert [nz.normalize_employment(x) for x in ["编制内", "在编", "事业编", "合同制", "代课", "临聘", "聘用", "非编"]] == \
        ["在编"] * 3 + ["临聘"] * 5
    assert nz.normalize_employment("1-是") == "在编"  # 代码-名称 form
    assert [nz.normalize_post(x) for x in ["专任教师", "行政人员", "教辅", "工勤"]] == ["专任教师", "行政", "教辅", "工勤"]


def test_stage_locality_tier():
    cases = {"初级中学": "初中", "九年一贯制学校": "九年一贯制", "高级中学": "高中", "小学教学点": "教学点",
             "完全中学": "完全中学", "十二年一贯制学校": "十二年一贯制", "特殊教育学校": "特殊教育",
             "中等职业学校": "中职", "小学": "小学", "幼儿园": "幼儿园"}
    for raw, v in cases.items():
        assert nz.normalize_stage(raw) == v
    assert [nz.normalize_locality(x) for x in ["城区", "主城区", "镇中心区", "村庄", "农村"]] == \
        ["城区", "城区", "镇区", "乡村", "乡村"]
    assert [nz.normalize_tier(x) for x in ["优质", "一般", "薄弱"]] == ["优质", "一般", "薄弱"]


def test_bool_backbone_special_willingness():
    assert [nz.normalize_bool(x) for x in ["是", "否", 1, 0, "Y", "n", "√", "×"]] == \
        [True, False, True, False, True, False, True, False]
    assert nz.normalize_bool("也许") is None
    assert [nz.normalize_backbone(x) for x in ["省级骨干", "市级骨干", "区级骨干", "是", "否"]] == \
        [True, True, True, True, False]
    assert nz.normalize_special("哺乳") == "哺乳期" and nz.normalize_special("无") == ""
    assert nz.normalize_willingness("愿意走教、愿意交流") == "愿意交流、愿意走教"
    assert nz.normalize_willingness("") == ""
    assert nz.normalize_appraisal("称职") == "合格"
    assert nz.normalize_sex("女") == "女"


def test_codes_decode_is_consulted(monkeypatch):
    from staffplan.io import codes

    monkeypatch.setattr(codes, "decode", lambda field, raw: "中学高级教师" if (field, raw) == ("title", "052") else None)
    assert nz.title_level("052") == "副高级"


def test_clean_header():
    assert clean_header("*出生日期\n(yyyy-MM-dd)") == "出生日期"
    assert clean_header("学校名称（必填）") == "学校名称"
    assert clean_header(" 学 校\t代 码 ") == "学校代码"
    assert clean_header("*进本校年月(yyyy-MM-dd)") == "进本校年月"
    assert clean_header("ＡＢＣ") == "ABC"


def _make_id(first17: str) -> str:
    return first17 + idcard.check_digit(first17)


def test_idcard():
    n = "11010519491231002X"  # the GB 11643 example: checksum X, female
    assert idcard.is_valid(n)
    assert idcard.birth_date(n) == pd.Timestamp(1949, 12, 31)
    assert idcard.sex(n) == "女"
    assert not idcard.is_valid("110105194912310021")
    assert not idcard.is_valid("12345")
    m = _make_id("44030119850301123")  # 17th digit 3 → male
    assert idcard.sex(m) == "男"
    assert idcard.mask_id("44030119850301123X") == "440301********123X"
    masked = idcard.mask_ids(pd.Series(["44030119850301123X", ""]))
    assert masked.tolist() == ["440301********123X", ""]
    v = idcard.validate_ids(pd.Series([n, "110105194912310021", None]))
    assert v["valid"].tolist() == [True, False, False]
    assert v["sex"].iloc[0] == "女"


def test_willingness_refusing_zoujiao():
    import pandas as pd

    from staffplan.io import normalize as nz

    got = list(nz.normalize_willingness(pd.Series(["不愿意走教", "愿意交流、不同意走教", "走教"])))
    assert got == ["不愿走教", "愿意交流、不愿走教", "愿意走教"]


def test_year_month_numbers_with_two_digit_months_read_2015_1_as_october():
    # number cells formatted 0.00 show 2015.10 but hold 2015.1: in a column that writes March as 2015.03 the month
    # has two digits, so 2015.1 is October; alone (or beside 2015.3) it stays January
    from staffplan.io.normalize import parse_date

    got = parse_date(pd.Series([2015.03, 2015.1, 2016.12, None], dtype=object)).tolist()
    assert got[:3] == [pd.Timestamp("2015-03-01"), pd.Timestamp("2015-10-01"), pd.Timestamp("2016-12-01")]
    assert parse_date(pd.Series([2015.3, 2015.1]))[1] == pd.Timestamp("2015-01-01")
    assert parse_date(2015.1) == pd.Timestamp("2015-01-01")


def test_id_numbers_that_went_through_number_cells_are_recognised():
    # by hand: 441521199308279168 = 6,898,768,739,191,862 × 64 (53 bits × 2^6) is exactly a double (what a number cell holding
    # 4.415211993082792E+17 reads back as); 441521199308279161 is not (the nearest double is …168);
    # 440301198503011000 is Excel's 15 digits; 4.40301E+17 is the cell as shown; 44030119850301101X has a letter
    ids = pd.Series(["441521199308279168", "441521199308279161", "440301198503011000", "4.40301E+17",
                     "44030119850301101X", ""])
    assert idcard.number_stored(ids).tolist() == [True, False, True, True, False, False]
    # a column counts as saved as numbers when at least 3 and a fifth of the filled IDs are such
    assert not idcard.number_stored_column(ids.iloc[[0, 1, 4]]).any()
    assert idcard.number_stored_column(ids).tolist() == [True, False, True, True, False, False]


def test_export_words_for_tier_backbone_special_approval_and_willingness():
    # words a helper found in exports written from the public formats, each read as a planner would
    assert [nz.normalize_tier(w) for w in ("优质学校", "一般学校", "薄弱学校")] == ["优质", "一般", "薄弱"]
    assert nz.lookup("backbone", "市级学科带头人", None) == "1"
    assert [nz.normalize_special(w) for w in ("产假", "产假/哺乳期")] == ["哺乳期", "哺乳期"]
    assert [nz.lookup("bool", w, None) for w in ("已审批", "已备案未批准", "待审批")] == ["1", "0", "0"]
    assert nz.lookup("willingness", "不同意交流", None) == "不愿交流"
