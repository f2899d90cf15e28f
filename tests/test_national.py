"""National-system exports: code tables, statistics workbooks (教基3112/3115/3118), split rosters."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from staffplan.errors import INFO, WARNING, Issues
from staffplan.io import codes, national
from staffplan.paths import data_rows

# ----------------------------------------------------------------------------------------------- code tables


def _rows(field):
    return data_rows("codes", f"{field}.csv")


@pytest.mark.parametrize("field", codes.fields())
def test_every_code_table_row_decodes_in_all_three_forms(field):
    rows = _rows(field)
    assert rows, field
    by_name, by_code = {}, {}
    for r in rows:  # a name or a code never means two things in one table
        if r["name"]:
            assert by_name.setdefault(r["name"], r["canonical"]) == r["canonical"], (field, r)
        if r["code"]:
            assert by_code.setdefault(r["code"], r["canonical"]) == r["canonical"], (field, r)
    for r in rows:
        code, name, canon = r["code"], r["name"], r["canonical"]
        assert codes.decode(field, name) == canon, (field, name)
        if code:
            assert codes.decode(field, code) == canon, (field, code)
            assert codes.decode(field, f"{code}-{name}") == canon, (field, code, name)


@pytest.mark.parametrize("field,raw,expected", [
    ("sex", "1-男", "男"), ("sex", "2", "女"), ("sex", 2, "女"), ("sex", 1.0, "男"), ("sex", "女", "女"),
    ("sex", "１－男", "男"), ("sex", " 2 - 女 ", "女"), ("sex", "3", None),
    ("employment", "1-是", "在编"), ("employment", "0-否", "临聘"), ("employment", 0, "临聘"),
    ("employment", "是", "在编"),
    ("post", "A1-专任教师", "专任教师"), ("post", "A2", "教辅"), ("post", "A3", "行政"), ("post", "A4-工勤人员", "工勤"),
    ("post", "11", "专任教师"), ("post", 12, "教辅"), ("post", "13-行政人员", "行政"), ("post", "14", "工勤"),
    ("post", "55-代课教师", "专任教师"), ("post", "代课教师", "专任教师"),
    ("post", "A2-行政人员", "行政"),  # 中职 export: the name wins over the ordinary-school meaning of A2
    ("post_vocational", "A2", "行政"), ("post_vocational", "A3", "教辅"),
    ("backbone", "1-是", "是"), ("backbone", "0", "否"), ("backbone", "否", "否"),
    ("status", "100-在本单位任职", "在本单位任职"), ("status", "100", "在本单位任职"),
    ("status", "205-暂未在本单位任职-交流轮岗", "暂未在本单位任职-交流轮岗"), ("status", "205", "暂未在本单位任职-交流轮岗"),
    ("status", "203", "长病假"), ("status", "209-待退休", "待退休"),
    ("status", "299-暂未在本单位任职-借调", "暂未在本单位任职-借调"),  # open field: unknown code keeps its name
    ("id_type", "1-居民身份证", "居民身份证"), ("id_type", "A", "护照"),
    ("degree", "11", "研究生"), ("degree", "14-硕士研究生毕业", "研究生"), ("degree", "大学本科毕业", "本科"),
    ("degree", 21, "本科"), ("degree", "31-大学专科毕业", "专科"), ("degree", "41", "高中及以下"),
    ("degree", "61-普通高中毕业", "高中及以下"),
    ("title", "052", "中学高级教师"), ("title", 52, "中学高级教师"), ("title", "413-小学高级教师", "小学高级教师"),
    ("title", "一级教师", "一级教师"),
    ("stage", "111", "幼儿园"), ("stage", 211, "小学"), ("stage", "218-小学教学点", "教学点"), ("stage", "311", "初中"),
    ("stage", "312-九年一贯制学校", "九年一贯制"), ("stage", "341", "完全中学"), ("stage", "342-高级中学", "高中"),
    ("stage", "345", "十二年一贯制"), ("stage", "514", "特殊教育"), ("stage", "初级中学", "初中"),
    ("locality", "111", "城区"), ("locality", "112-城乡结合区", "城区"), ("locality", 121, "镇区"),
    ("locality", "122", "镇区"), ("locality", "123", "镇区"), ("locality", "210-乡中心区", "乡村"),
    ("locality", "220", "乡村"), ("locality", "村庄", "乡村"),
])
def test_decode_examples(field, raw, expected):
    assert codes.decode(field, raw) == expected


@pytest.mark.parametrize("raw, level", [
    ("052", "副高级"), ("053-中学一级教师", "中级"), ("054", "初级"), ("413", "中级"), ("414", "初级"), ("415", "员级"),
    ("正高级教师", "正高级"), ("高级教师", "副高级"), ("小学高级教师", "中级"),
])
def test_title_level_through_the_one_title_normaliser(raw, level):
    # GB/T 8561 code → name (codes/title.csv) → level (aliases/values_title.csv): the path every roster takes
    from staffplan.io.normalize import title_level

    assert title_level(raw) == level


def test_decode_blank_and_unknown():
    assert codes.decode("sex", None) is None
    assert codes.decode("sex", float("nan")) is None
    assert codes.decode("sex", "") is None
    assert codes.decode("degree", "本科及以上学历很多") is None
    with pytest.raises(KeyError):
        codes.decode("no_such_field", "1")


def test_decode_series_and_implied_employment():
    s = pd.Series(["1-男", "2", None, "女", "x", "1-男"])
    assert codes.decode_series("sex", s).tolist() == ["男", "女", None, "女", None, "男"]
    kept = codes.decode_or_keep("sex", s)
    assert kept.tolist()[4] == "x"
    assert codes.implied_employment("55-代课教师") == "临聘"
    assert codes.implied_employment(55) == "临聘"
    assert codes.implied_employment("A1-专任教师") is None
    assert codes.implied_employment(None) is None


def test_substitute_teachers_become_temporary():
    issues = Issues()
    df = pd.DataFrame({"post": ["55-代课教师", "A1-专任教师", "55"], "employment": ["0-否", "1-是", "1-是"],
                       "src_file": "教师.xlsx", "src_sheet": "基本信息", "src_row": [2, 3, 4]})
    out = national.apply_substitute_teachers(df, issues)
    assert out["post"].tolist() == ["专任教师", "A1-专任教师", "专任教师"]
    assert out["employment"].tolist() == ["临聘", "1-是", "临聘"]
    warn = [i for i in issues if i.severity == WARNING]
    assert len(warn) == 1 and warn[0].row == 4  # 代课教师 marked 在编
    assert any(i.severity == INFO and "2 名代课教师" in i.message for i in issues)


# ----------------------------------------------------------------------------------------------- headers

def test_national_roster_headers_are_cleaned_and_matched():
    headers = pytest.importorskip("staffplan.io.headers")
    clean = headers.clean_header
    assert clean("*出生日期\n(yyyy-MM-dd)") == "出生日期"
    assert clean("*参加工作年月(yyyy-MM-dd)") == "参加工作年月"
    assert clean("*进本校年月(yyyy-MM-dd)") == "进本校年月"
    assert clean("*\t身份证件号") == "身份证件号"
    amap = headers.aliases("teachers")
    expected = {"*姓名": "name", "*身份证件号": "id_number", "*性别": "sex", "*出生日期\n(yyyy-MM-dd)": "birth_date",
                "*参加工作年月(yyyy-MM-dd)": "work_start", "*进本校年月(yyyy-MM-dd)": "arrival_date",
                "*进本园年月(yyyy-MM-dd)": "arrival_date", "*是否在编": "employment", "*教职工类别": "post",
                "是否是县级及以上骨干教师": "backbone", "是否县级以上骨干教师": "backbone", "*人员状态": "status",
                "*学历": "degree", "*学校名称": "school_name", "专业技术职务": "title"}
    for raw, field in expected.items():
        assert amap.match(raw)[0] == field, raw


# ----------------------------------------------------------------------------------------------- statistics

def _table(number: str, title: str, grade_names: list[str], total: list, girls: list, classes: list | None,
           year_grid_offset: int = 0) -> list[list]:
    """A statistics table as exported: letters row, title, table number … 单位：人, 2-row header, code row."""
    n = len(grade_names)
    width = 1 + 2 + 2 + (1 + n) + 1
    letters = [None] + [chr(ord("A") + k) for k in range(width - 1)]
    rows = [letters, [None, title], [None, number] + [None] * (width - 3) + ["单位：人"],
            [None, "项  目", "编号", "毕业生数", "招生数", "在校学生数"] + [None] * n + ["预计毕业生数"],
            [None, None, None, None, None, "合计"] + grade_names + [None],
            [None, "甲", "乙"] + [str(k) for k in range(1, width - 2)]]

    def data(no, label, code, vals, grads="10", enrolled="11"):
        tot = sum(v for v in vals if isinstance(v, (int, float)))
        return [no, label, code, grads, enrolled, str(tot)] + [str(v) if v != "*" else "*" for v in vals] + ["9"]

    rows.append(data(1, "总  计", "01", total))
    rows.append(data(2, "#女", "02", girls))
    rows.append(data(3, "#少数民族", "03", [1] * n))
    if classes is not None:
        rows.append([4, "班  数", "05", "*", "*", str(sum(classes))] + [str(c) for c in classes] + ["*"])
    rows.append([None, "注：#为其中数"])
    return rows


def _card(code: str, name: str) -> list[list]:
    return [[None, "A", "B"], [None, "学校(机构)基本情况"], [None, "教基1001"], [None, "学校（机构）标识码", code],
            [None, "学校（机构）名称", name]]


def _save(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


SCHOOLS = pd.DataFrame({"school_id": ["3301000001", "3301000002", "3301000003"],
                        "school_name": ["城关小学", "青山九年一贯制学校", "第一中学"],
                        "stage": ["小学", "九年一贯制", "高中"]})
PRIMARY = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
JUNIOR = ["一年级", "二年级", "三年级"]


def _nine_year(tmp_path: Path, folder="2025学年", cover=True, card=True, name="青山九年一贯制学校") -> Path:
    sheets = {}
    if cover:
        sheets["封面"] = [["教育事业统计基层报表"], ["（2025 /2026 学年初）"]]
    if card:
        sheets["教基1001"] = _card("3301000002", "青山九年一贯制学校")
    sheets["教基3112_小学"] = _table("教基3112", "小学学生情况", PRIMARY, [41, 42, 43, 44, 45, 46],
                                   [20, 20, 21, 21, 22, 22], [1, 1, 1, 1, 1, 2])
    sheets["教基3115_初级中学"] = _table("教基3115", "初级中学学生情况", JUNIOR, [71, 72, 73], [35, 36, 36], [2, 2, 2])
    return _save(tmp_path / "在校生" / folder / f"{name}.xlsx", sheets)


def test_stage_comes_from_table_number_and_breakdowns_are_not_added(tmp_path):
    path = _nine_year(tmp_path)
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert not issues.has_errors(), [i.sentence() for i in issues]
    got = dict(zip(df["grade"], df["students"]))
    # primary 一年级 → grade 1; the junior table's 一年级 → grade 7 (not a second grade 1)
    assert got == {1: 41, 2: 42, 3: 43, 4: 44, 5: 45, 6: 46, 7: 71, 8: 72, 9: 73}
    assert set(df["school_id"]) == {"3301000002"} and set(df["year"]) == {2025}
    assert dict(zip(df["grade"], df["classes"])) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 2, 8: 2, 9: 2}
    # src_row is the 总计 row (Excel row 7: letters, title, number, 2 header rows, code row above it)
    assert set(df["src_row"]) == {7}
    assert set(df.loc[df["grade"] >= 7, "src_sheet"]) == {"教基3115_初级中学"}
    info = [i for i in issues if i.severity == INFO]
    assert len(info) == 1 and "青山九年一贯制学校" in info[0].message and "2025" in info[0].message
    assert info[0].file == "在校生/2025学年/青山九年一贯制学校.xlsx"


def test_school_from_file_name_and_year_from_folder(tmp_path):
    path = _nine_year(tmp_path, folder="2024学年", cover=False, card=False)
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert set(df["year"]) == {2024} and set(df["school_id"]) == {"3301000002"}
    assert len(df) == 9
    msg = [i.message for i in issues if i.severity == INFO][0]
    assert "文件名" in msg and "2024学年" in msg


def test_one_workbook_with_other_tables_and_statistics_sheets(tmp_path):
    sheets = {"学校": [["学校代码", "学校名称"], ["3301000003", "第一中学"]],
              "教师": [["姓名", "备注"], ["甲", "2019学年调入"]],  # not a cover: its 学年 is no school year
              "教基1001": _card("3301000003", "第一中学"),
              "教基3118_高级中学": _table("教基3118", "高级中学学生情况", JUNIOR, [100, 90, 80], [50, 45, 40], None)}
    path = _save(tmp_path / "2025年数据.xlsx", sheets)
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert dict(zip(df["grade"], df["students"])) == {10: 100, 11: 90, 12: 80}
    assert set(df["year"]) == {2025} and set(df["school_id"]) == {"3301000003"}


def test_two_files_for_the_same_school_and_year_are_an_error(tmp_path):
    a = _nine_year(tmp_path, folder="2025学年")
    b = _nine_year(tmp_path, folder="2025学年副本")  # the cover says 2025 too
    issues = Issues()
    df = national.read_statistics([a, b], tmp_path, SCHOOLS, issues)
    errors = issues.errors
    assert len(errors) == 1 and "同一学年" in errors[0].message
    assert errors[0].file == "在校生/2025学年副本/青山九年一贯制学校.xlsx"
    assert "在校生/2025学年/青山九年一贯制学校.xlsx" in errors[0].message
    assert len(df) == 9  # the first file only


def test_unknown_school_is_an_error(tmp_path):
    path = _save(tmp_path / "在校生" / "2025学年" / "不存在的学校.xlsx",
                 {"教基3112_小学": _table("教基3112", "小学学生情况", PRIMARY, [1] * 6, [0] * 6, None)})
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert df.empty and len(issues.errors) == 1 and "哪所学校" in issues.errors[0].message


def test_old_table_numbers_three_row_header_and_star_cells(tmp_path):
    # 基础基314 (高中) with a 3-row header: each grade split into 计 / 其中：女; a * cell stays empty
    rows = [[None, "A", "B", "C", "D", "E", "F", "G", "H", "I"],
            [None, "高级中学学生情况"],
            [None, "基础基314                                单位：人"],
            [None, "项目", "编号", "在校学生数"],
            [None, None, None, "一年级", None, "二年级", None, "三年级", None],
            [None, None, None, "计", "其中：女", "计", "其中：女", "计", "其中：女"],
            [None, "甲", "乙", "1", "2", "3", "4", "5", "6"],
            [1, "总　　计", "01", "１２０", "60", " 118 ", "59", "*", "*"],
            [2, "其中：少数民族", "02", "5", "2", "5", "2", "*", "*"]]
    path = _save(tmp_path / "在校生" / "2010学年" / "第一中学.xlsx", {"基础基314_高级中学": rows})
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert dict(zip(df["grade"], df["students"])) == {10: 120, 11: 118}
    assert df["classes"].isna().all()
    assert set(df["year"]) == {2010} and set(df["school_id"]) == {"3301000003"}


def test_four_year_junior_is_warned_and_mapped_to_grades_6_to_9(tmp_path):
    sheets = {"封面": [["（2025/2026学年初）"]], "教基1001": _card("3301000002", "青山九年一贯制学校"),
              "教基3115_初级中学": _table("教基3115", "初级中学学生情况", JUNIOR + ["四年级"], [60, 61, 62, 63],
                                      [30, 30, 30, 30], None)}
    path = _save(tmp_path / "x.xlsx", sheets)
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert dict(zip(df["grade"], df["students"])) == {6: 60, 7: 61, 8: 62, 9: 63}
    assert any(i.severity == WARNING and "五四制" in i.message for i in issues)


def test_junior_form_with_empty_fourth_grade_is_three_year(tmp_path):
    sheets = {"封面": [["（2025/2026学年初）"]], "教基1001": _card("3301000002", "青山九年一贯制学校"),
              "教基3115_初级中学": _table("教基3115", "初级中学学生情况", JUNIOR + ["四年级"], [60, 61, 62, 0],
                                      [30, 30, 30, 0], None)}
    issues = Issues()
    df = national.read_statistics([_save(tmp_path / "x.xlsx", sheets)], tmp_path, SCHOOLS, issues)
    assert dict(zip(df["grade"], df["students"])) == {7: 60, 8: 61, 9: 62}
    assert not issues.warnings


def test_file_without_statistics_tables_is_skipped_with_a_warning(tmp_path):
    path = _save(tmp_path / "在校生" / "说明.xlsx", {"Sheet1": [["这是说明"]]})
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert df.empty and not issues.has_errors() and len(issues.warnings) == 1


def test_grades_as_rows_with_class_column(tmp_path):
    rows = [[None, "教基3112  小学学生情况  单位：人"],
            [None, "项目", "编号", "班数", "在校学生数", "其中：女"],
            [None, "甲", "乙", "1", "2", "3"],
            [None, "总计", "01", "7", "300", "150"],
            [None, "一年级", "02", "1", "50", "25"],
            [None, "二年级", "03", "2", "60", "30"]]
    path = _save(tmp_path / "2025学年" / "城关小学.xlsx", {"Sheet1": rows})
    issues = Issues()
    df = national.read_statistics([path], tmp_path, SCHOOLS, issues)
    assert dict(zip(df["grade"], df["students"])) == {1: 50, 2: 60}
    assert dict(zip(df["grade"], df["classes"])) == {1: 1.0, 2: 2.0}


def test_xls_workbook_is_read(tmp_path):
    soffice = shutil.which("soffice") or ("/usr/bin/soffice" if Path("/usr/bin/soffice").exists() else None)
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed: cannot make an .xls fixture")
    src = _nine_year(tmp_path / "src")
    out = tmp_path / "在校生" / "2025学年"
    out.mkdir(parents=True)
    try:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "xls",
                        "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"soffice could not convert: {exc}")
    xls = out / "青山九年一贯制学校.xls"
    assert xls.exists()
    issues = Issues()
    df = national.read_statistics([xls], tmp_path, SCHOOLS, issues)
    assert not issues.has_errors()
    assert dict(zip(df["grade"], df["students"])) == {1: 41, 2: 42, 3: 43, 4: 44, 5: 45, 6: 46, 7: 71, 8: 72, 9: 73}
    assert set(df["src_file"]) == {"在校生/2025学年/青山九年一贯制学校.xls"}


# ----------------------------------------------------------------------------------------------- join_parts

def _part(rows: list[dict], file: str, sheet: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["src_file"] = file
    df["src_sheet"] = sheet
    df["src_row"] = range(2, 2 + len(df))
    return df


def _vals(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


ID1, ID2, ID3, ID4 = "330102198001010011", "330102198502020022", "33010219900303003X", "330102199104040044"


def test_join_parts_fills_blanks_and_reports_unmatched_rows_without_refusing():
    # contract §1: "join them, and report rows that do not match" — a warning each, naming file, sheet, row;
    # 乙 (only in 基本信息) stays a teacher with what that sheet says; ID4 (only in 岗位信息) is nobody on the
    # roster and is left out, not counted as a fourth teacher
    first = _part([{"id_number": ID1, "name": "甲", "subject": ""},
                   {"id_number": ID2, "name": "乙", "subject": "数学"},
                   {"id_number": ID3.lower(), "name": "丙", "subject": None}], "教师.xlsx", "基本信息")
    second = _part([{"id_number": ID3, "subject": "语文", "title": "一级教师"},
                    {"id_number": ID1, "subject": "英语", "title": "052"},
                    {"id_number": ID4, "subject": "体育", "title": "二级教师"}], "教师.xlsx", "岗位信息")
    issues = Issues()
    out = national.join_parts([first, second], issues)
    assert not issues.has_errors()
    assert _vals(out["name"]) == ["甲", "乙", "丙"]
    assert _vals(out["subject"]) == ["英语", "数学", "语文"]  # blanks filled from the second part
    assert _vals(out["title"]) == ["052", None, "一级教师"]
    warns = [i for i in issues if i.severity == WARNING and "不匹配" in i.message]
    assert len(warns) == 2
    only_first = [e for e in warns if e.sheet == "基本信息"][0]
    only_second = [e for e in warns if e.sheet == "岗位信息"][0]
    assert (only_first.file, only_first.row) == ("教师.xlsx", 3)  # 乙: second data row of sheet 1
    assert (only_second.file, only_second.row) == ("教师.xlsx", 4)
    assert "岗位信息" in only_first.message and "基本信息" in only_second.message
    assert "不计入" in only_second.message
    for e in warns:  # no ID numbers in messages
        assert ID2 not in e.message and ID4 not in e.message
    assert out["src_sheet"].tolist() == ["基本信息", "基本信息", "基本信息"]


def test_join_parts_key_twice_on_one_side_is_an_error():
    first = _part([{"id_number": ID1, "name": "甲"}, {"id_number": ID2, "name": "乙"}], "a.xlsx", "")
    second = _part([{"id_number": ID1, "subject": "语文"}, {"id_number": ID2, "subject": "数学"},
                    {"id_number": ID1, "subject": "英语"}], "b.xlsx", "")
    issues = Issues()
    out = national.join_parts([first, second], issues)
    errs = issues.errors
    assert len(errs) == 1 and errs[0].file == "b.xlsx" and errs[0].row == 4 and "两次" in errs[0].message
    assert out["subject"].tolist() == ["语文", "数学"]


def test_join_parts_base_is_the_part_with_names_and_conflicts_warn():
    subjects = _part([{"id_number": ID1, "subject": "语文", "name": None}], "科目.xlsx", "")
    subjects = subjects.drop(columns=["name"])
    people = _part([{"id_number": ID1, "name": "甲", "subject": "数学"}], "人员.xlsx", "")
    issues = Issues()
    out = national.join_parts([subjects, people], issues)
    assert out["name"].tolist() == ["甲"] and out["subject"].tolist() == ["数学"]
    assert any(i.severity == WARNING and "「任教学科」" in i.message for i in issues)
    assert not issues.has_errors()


def test_join_parts_blank_key_is_an_error():
    first = _part([{"id_number": ID1, "name": "甲"}, {"id_number": "", "name": "乙"}], "a.xlsx", "s1")
    second = _part([{"id_number": ID1, "subject": "语文"}], "a.xlsx", "s2")
    issues = Issues()
    national.join_parts([first, second], issues)
    assert [(e.sheet, e.row) for e in issues.errors] == [("s1", 3)]


def test_a_count_that_is_no_number_is_refused_naming_row_and_column(tmp_path):
    # 「1O2」 (letter O) in the primary table's 一年级 of the 总计 row (Excel row 7): refused like the long and wide
    # tables, not read as empty (the school's forecast then lost its first grade)
    sheets = {"教基1001": _card("3301000001", "城关小学"),
              "教基3112_小学": _table("教基3112", "小学学生情况", PRIMARY, ["1O2", 42, 43, 44, 45, 46],
                                    [20] * 6, [2, 1, 1, 1, 1, 1])}
    path = _save(tmp_path / "在校生" / "2025学年" / "城关小学.xlsx", sheets)
    issues = Issues()
    national.read_statistics([path], tmp_path, SCHOOLS, issues)
    errors = issues.errors
    assert len(errors) == 1
    e = errors[0]
    assert (e.sheet, e.row, e.column) == ("教基3112_小学", 7, "一年级") and "「1O2」不是数字" in e.message


def test_join_parts_base_is_the_roster_file_even_when_the_subject_file_sorts_first():
    # 教师任教学科及职称.xlsx (姓名, 学科, 职称) sorts before 教师基本信息.xlsx (姓名, 学校, 性别, 出生日期, 进本校年月):
    # the base is the part with more of a roster's own columns (4 of them against 1), so the subject file's row of
    # somebody not on the roster (ID4) is left out — not a fourth teacher without a school
    subjects = _part([{"id_number": ID1, "name": "甲", "subject": "语文", "title": "一级教师"},
                      {"id_number": ID4, "name": "丁", "subject": "体育", "title": "二级教师"}],
                     "教师任教学科及职称.xlsx", "任教信息")
    roster = _part([{"id_number": ID1, "name": "甲", "school_id": "3301000001", "sex": "男",
                     "birth_date": "1980-01-01", "arrival_date": "2010-09-01"},
                    {"id_number": ID2, "name": "乙", "school_id": "3301000001", "sex": "女",
                     "birth_date": "1985-02-02", "arrival_date": "2012-09-01"}], "教师基本信息.xlsx", "基本信息")
    issues = Issues()
    out = national.join_parts([subjects, roster], issues)
    assert not issues.has_errors()
    assert _vals(out["name"]) == ["甲", "乙"] and _vals(out["school_id"]) == ["3301000001", "3301000001"]
    assert _vals(out["subject"]) == ["语文", None]
    assert any(i.severity == WARNING and i.file == "教师任教学科及职称.xlsx" and "不计入" in i.message for i in issues)


def _block_table(number: str, title: str, grade_names: list[str], classes: list, total: list) -> list[list]:
    """The 2024 layout: a 班数（个） block and an 在校学生数 block side by side, each 合计 + 分年级, the
    class counts in the 总计 row itself (no 班数 row)."""
    n = len(grade_names)
    letters = [None] + [chr(ord("A") + k) for k in range(3 + 2 * n + 1)]
    return [letters, [None, title], [None, f"{number}　　　　单位：人"],
            [None, "项  目", "编号", "班数（个）"] + [None] * n + ["在校学生数"] + [None] * n,
            [None, None, None, "合计", "分年级"] + [None] * (n - 1) + ["合计", "分年级"] + [None] * (n - 1),
            [None, None, None, None] + grade_names + [None] + grade_names,
            [None, "甲", "乙"] + [str(k) for k in range(1, 2 * n + 3)],
            [None, "总  计", "01", str(sum(classes))] + [str(c) for c in classes] + [str(sum(total))]
            + [str(t) for t in total],
            [None, "  #女", "02", "*"] + ["*"] * n + ["9"] + ["3"] * n]


def test_kindergarten_table_and_class_block_beside_the_pupils(tmp_path):
    # 教基3111 (小班/中班/大班 → grades −2, −1, 0) and 教基3112 in the layout whose 班数 are columns of the
    # 总计 row: 3 + 3 + 3 classes, 66 + 78 + 79 children; primary classes 5, 5, 4, 5, 5, 8
    schools = pd.DataFrame({"school_id": ["4415210007", "4415210008"], "school_name": ["和湖第二幼儿园", "兴洲实验小学"],
                            "stage": ["幼儿园", "小学"]})
    kg = _save(tmp_path / "在校生" / "2024学年" / "和湖第二幼儿园.xlsx", {
        "教基1001": _card("4415210007", "和湖第二幼儿园"),
        "教基3111_幼儿园": _block_table("教基3111", "幼儿园幼儿数", ["小班", "中班", "大班"], [3, 3, 3], [66, 78, 79])})
    pr = _save(tmp_path / "在校生" / "2024学年" / "兴洲实验小学.xlsx", {
        "教基1001": _card("4415210008", "兴洲实验小学"),
        "教基3112_小学": _block_table("教基3112", "小学学生数", PRIMARY, [5, 5, 4, 5, 5, 8],
                                    [199, 218, 253, 315, 305, 332])})
    issues = Issues()
    df = national.read_statistics([kg, pr], tmp_path, schools, issues)
    assert not issues.has_errors() and not [i for i in issues if i.severity == WARNING], [i.sentence() for i in issues]
    k = df[df["school_id"] == "4415210007"]
    assert dict(zip(k["grade"], k["students"])) == {-2: 66, -1: 78, 0: 79}
    assert dict(zip(k["grade"], k["classes"])) == {-2: 3, -1: 3, 0: 3}
    p = df[df["school_id"] == "4415210008"]
    assert dict(zip(p["grade"], p["students"])) == {1: 199, 2: 218, 3: 253, 4: 315, 5: 305, 6: 332}
    assert dict(zip(p["grade"], p["classes"])) == {1: 5, 2: 5, 3: 4, 4: 5, 5: 5, 6: 8}


def test_a_pupils_column_that_is_no_grade_is_said_not_counted(tmp_path):
    # a kindergarten form with a 混龄班 column (1 class of 28 children): no grade holds it → one warning each for the
    # classes and the children, naming the column; the three grades are read as before
    schools = pd.DataFrame({"school_id": ["4415210007"], "school_name": ["和湖第二幼儿园"], "stage": ["幼儿园"]})
    kg = _save(tmp_path / "在校生" / "2024学年" / "和湖第二幼儿园.xlsx", {
        "教基1001": _card("4415210007", "和湖第二幼儿园"),
        "教基3111_幼儿园": _block_table("教基3111", "幼儿园幼儿数", ["小班", "中班", "大班", "混龄班"], [3, 3, 3, 1],
                                     [66, 78, 79, 28])})
    issues = Issues()
    df = national.read_statistics([kg], tmp_path, schools, issues)
    assert dict(zip(df["grade"], df["students"])) == {-2: 66, -1: 78, 0: 79}
    warned = sorted(i.message for i in issues if i.severity == WARNING)
    assert len(warned) == 2 and all("「混龄班」不是年级" in m for m in warned)
    assert any("28 人未计入" in m for m in warned) and any("1 班未计入" in m for m in warned)
