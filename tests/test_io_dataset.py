import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pytest

from staffplan.errors import InputError
from staffplan.io import national
from staffplan.io.dataset import check_dataset, load_dataset
from staffplan.io.template import write_template
from staffplan.rules import idcard

_spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).parent / "data" / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

SRC = ["src_file", "src_sheet", "src_row"]


def errors(ds_or_issues):
    issues = getattr(ds_or_issues, "issues", ds_or_issues)
    return [i for i in issues if i.severity == "错误"]


# --- the shared samples ------------------------------------------------------------------------------------

def test_samples_load_without_errors(tmp_path):
    root = fx.sample_dataset(tmp_path / "d")
    ds = load_dataset(root)
    e = ds.enrollment
    # 2 sheets (2024年秋季, 2025年秋季) × (2 primary schools × 6 grades + 1 junior × 3 grades); 总计 ignored
    assert len(e) == 2 * (12 + 3)
    row = e[(e.school_id == "4415210001") & (e.year == 2024) & (e.grade == 3)].iloc[0]
    assert row.students == 86 and row.classes == 2          # '８６' full-width text
    junior = e[(e.school_id == "4415210003") & (e.year == 2025)]
    assert junior.grade.tolist() == [7, 8, 9] and junior.students.tolist() == [199] * 3
    assert e.students.sum() == 516 + 102 + 594 + 522 + 108 + 597   # the 总计 column, computed by hand
    t = ds.teachers.set_index("teacher_id")
    assert t.loc["HD001", "birth_date"] == pd.Timestamp(1979, 5, 1)  # 1979.05 month-only
    assert t.loc["HD001", "title_level"] == "中级"                     # 小学高级教师
    assert t.loc["HD001", "degree"] == "专科"
    assert t.loc["HD003", "subject"] == "道德与法治" and t.loc["HD003", "employment"] == "临聘"
    assert t.loc["HD004", "subject"] == "体育" and t.loc["HD004", "title_level"] == "副高级"
    assert t.loc["HD002", "arrival_date"] == pd.Timestamp(2019, 9, 1)
    assert t.loc["HD003", "school_id"] == "4415210003"                 # school by name
    assert ds.schools.set_index("school_id").loc["4415210003", "stage"] == "初中"
    tables = {s["table"]: s for s in ds.sources}
    assert tables["teachers"]["file"] == "2026年教师花名册.csv" and len(tables["teachers"]["sha256"]) == 64
    assert any("取自" in i.message and i.file == "2026年教师花名册.csv" for i in ds.issues)


# --- wide and long give identical frames ----------------------------------------------------------------------

def _wide_rows(year_text):
    return [[f"示例县{year_text}在校生统计表", None, None, None, None, None, None, None, None],
            ["学校代码", "学校名称", "一年级", None, "二年级", None, "初一", None, "合计"],
            [None, None, "班数", "人数", "班数", "人数", "班数", "学生数", None],
            ["4415210001", "河东镇中心小学", 2, "８６", "2", 80, None, None, 166],
            ["4415210003", "河东中学", "-", "—", None, None, 4, "198", 198],
            ["合计", None, 2, 86, 2, 80, 4, 198, 364],
            ["注：人数含随班就读学生", None, None, None, None, None, None, None, None]]


def test_wide_equals_long(tmp_path):
    wide_root = fx.basic_dataset(tmp_path / "w")
    fx.write_xlsx(wide_root / "在校生.xlsx", {"2025学年": _wide_rows("2025学年")},
                  merges={"2025学年": ["C2:D2", "E2:F2", "G2:H2", "A2:A3", "B2:B3"]})
    long_root = fx.basic_dataset(tmp_path / "l")
    a = load_dataset(wide_root).enrollment.drop(columns=SRC)
    b = load_dataset(long_root).enrollment.drop(columns=SRC)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert a.students.tolist() == [86, 80, 198]


def test_wide_year_from_column(tmp_path):
    root = fx.basic_dataset(tmp_path / "w")
    fx.write_csv(root / "在校生.csv", [["学年", "学校代码", "一年级", "二年级"],
                                       ["2024-2025", "4415210001", 80, 70], ["2025学年", "4415210001", 81, 71]])
    (root / "在校生.xlsx").unlink()
    e = load_dataset(root).enrollment
    assert e[["year", "grade", "students"]].values.tolist() == [[2024, 1, 80], [2024, 2, 70], [2025, 1, 81], [2025, 2, 71]]
    assert e["classes"].isna().all()


# --- bad input --------------------------------------------------------------------------------------------------

def _first_error(root):
    with pytest.raises(InputError) as exc:
        load_dataset(root)
    return exc.value, exc.value.issues.errors[0]


def test_bad_date_names_place(tmp_path):
    rows = [r[:] for r in fx.TEACHER_ROWS]
    rows[2][3] = "1985-13-45"
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert (first.file, first.sheet, first.row, first.column) == ("教师.xlsx", "教师", 3, "出生日期")
    assert str(err).startswith("文件「教师.xlsx」工作表「教师」第 3 行「出生日期」列：")
    assert "1985-13-45" in first.message and "1985-03-01" in first.message


def test_unknown_school(tmp_path):
    rows = [r[:] for r in fx.TEACHER_ROWS]
    rows[1][4] = "9999"
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert (first.file, first.sheet, first.row, first.column) == ("教师.xlsx", "教师", 2, "学校代码")
    assert "9999" in first.message and "不在学校表" in first.message


def test_negative_count(tmp_path):
    rows = [r[:] for r in fx.ENROLL_LONG]
    rows[3][3] = -5
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", enrollment=rows))
    assert (first.file, first.sheet, first.row, first.column) == ("在校生.xlsx", "在校生", 4, "学生数")
    assert "负数" in first.message


def test_missing_column_names_table_and_aliases(tmp_path):
    rows = [r[:8] + r[9:] for r in fx.TEACHER_ROWS]  # drop 用工类型
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert first.file == "教师.xlsx" and first.sheet == "教师" and first.row == 1 and first.column == "用工类型"
    assert "教师表缺少必填列「用工类型」" in first.message and "编制情况" in first.message


def test_empty_and_renamed_files(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "教师.xlsx").write_bytes(b"")
    err, first = _first_error(root)
    assert first.file == "教师.xlsx" and "空" in first.message
    (root / "教师.xlsx").write_text("姓名,学校\n", encoding="utf-8")
    err, first = _first_error(root)
    # CSV text named .xlsx is read by content (the table then lacks columns), and a reading note says so
    assert first.file == "教师.xlsx" and "缺少必填列" in first.message
    assert any("内容实际是文本" in i.message for i in err.issues)


def test_grade_stage_and_class_size(tmp_path):
    rows = [r[:] for r in fx.ENROLL_LONG] + [["4415210001", 2025, "七年级", 40, 1], ["4415210003", 2025, "八年级", 140, 2]]
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", enrollment=rows), strict=False)
    errs = errors(ds)
    assert [(e.row, e.column) for e in errs] == [(5, "年级")]          # grade 7 at a 小学
    warn = [i for i in ds.issues if i.severity == "警告" and "超大班额" in i.message]
    assert [(w.row, w.value) for w in warn] == [(6, "70.0")]           # 140 / 2 = 70 > 66


def test_idcard_derivation_and_consistency_without_printing_numbers(tmp_path):
    good = "44030119850301" + "123"
    good += idcard.check_digit(good)  # born 1985-03-01, 17th digit 3 → 男
    rows = [["身份证号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "职称", "最高学历", "用工类型", "到本校时间"],
            [good, "甲", None, None, "4415210001", "语文", "一级教师", "本科", "在编", "2015-09-01"],
            [good[:-1] + ("0" if good[-1] != "0" else "1"), "乙", "女", "1980-01-01", "4415210001", "语文", "一级教师",
             "本科", "在编", "2015-09-01"]]
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers
    assert t.loc[0, "teacher_id"] == good and t.loc[0, "sex"] == "男"
    assert t.loc[0, "birth_date"] == pd.Timestamp(1985, 3, 1)
    errs = errors(ds)
    assert [(e.row, e.column) for e in errs] == [(3, "身份证号")]
    for i in ds.issues:
        assert good[:14] not in i.message and good[:14] not in i.value


def test_duplicate_teacher_key(tmp_path):
    rows = [r[:] for r in fx.TEACHER_ROWS] + [fx.TEACHER_ROWS[1][:]]
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert first.row == 4 and "重复" in first.message and "第 2 行" in first.message


def test_check_dataset_returns_issues(tmp_path):
    rows = [r[:] for r in fx.TEACHER_ROWS]
    rows[1][3] = "bad"
    ds, issues, cfg = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert ds is not None and any(i.column == "出生日期" for i in issues.errors)
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("[nosuch]\nx = 1\n", encoding="utf-8")
    ds, issues, cfg = check_dataset(tmp_path / "d", bad_cfg)
    assert ds is None and "nosuch" in issues.errors[0].message


def test_folder_config_is_used(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "staffplan.toml").write_text("[input]\nmax_students_per_grade = 100\n", encoding="utf-8")
    err, first = _first_error(root)
    assert first.column == "学生数" and first.row == 4    # 198 > 100


# --- single workbook, template, hooks ---------------------------------------------------------------------

def test_single_workbook(tmp_path):
    p = fx.write_xlsx(tmp_path / "全区数据.xlsx", {"学校名单": fx.SCHOOL_ROWS, "2025在校生": fx.ENROLL_LONG,
                                                   "Sheet3": fx.TEACHER_ROWS, "填表说明": [["说明文字"]]})
    ds = load_dataset(p)
    assert len(ds.schools) == 3 and len(ds.enrollment) == 3 and len(ds.teachers) == 2
    assert {(s["table"], s["sheet"]) for s in ds.sources} == {("schools", "学校名单"), ("enrollment", "2025在校生"),
                                                              ("teachers", "Sheet3")}


def test_template_round_trip(tmp_path):
    paths = write_template(tmp_path / "t")
    assert sorted(p.name for p in paths) == sorted(["学校.xlsx", "在校生.xlsx", "教师.xlsx", "出生人口.xlsx", "对口.xlsx",
                                                    "距离.xlsx"])
    # the template's own example rows are refused (one error per table naming rows 2–3), and nothing else is wrong
    ds = load_dataset(tmp_path / "t", strict=False)
    errs = errors(ds)
    assert sorted((e.file, e.row) for e in errs) == [("出生人口.xlsx", 2), ("学校.xlsx", 2), ("教师.xlsx", 2)]
    assert all("示例行" in e.message and "第 2、3 行" in e.message for e in errs)
    assert len(ds.teachers) == 0 and len(ds.births) == 0 and len(ds.feeders) == 1 and len(ds.distances) == 1
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "t" / "教师.xlsx")
    assert "填表说明" in wb.sheetnames
    formulas = [dv.formula1 for dv in wb["教师"].data_validations.dataValidation]
    assert any("道德与法治" in f for f in formulas) and any("临聘" in f for f in formulas)
    from staffplan.errors import OutputError

    with pytest.raises(OutputError):
        write_template(tmp_path / "t")
    assert len(write_template(tmp_path / "t", force=True)) == 6


def test_roster_in_parts_calls_join_parts(tmp_path, monkeypatch):
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "教师.xlsx", {
        "基本信息": [["身份证件号", "姓名", "性别", "出生日期", "学校代码", "最高学历", "是否在编", "进本校年月"],
                 ["11010519491231002X", "甲", "女", "1949-12-31", "4415210001", "本科", "1-是", "2015-09-01"]],
        "任教与职称": [["身份证件号", "姓名", "任教学科", "专业技术职务"], ["11010519491231002X", "甲", "语文", "一级教师"]]})
    seen = {}

    def fake_join(parts, issues):
        seen["n"] = len(parts)
        seen["cols"] = [set(p.columns) for p in parts]
        merged = parts[0].merge(parts[1].drop(columns=["name", "src_file", "src_sheet", "src_row"]), on="id_number")
        return merged

    monkeypatch.setattr(national, "join_parts", fake_join)
    ds = load_dataset(root, strict=False)
    assert seen["n"] == 2 and {"subject", "title", "src_row"} <= seen["cols"][1]
    t = ds.teachers.iloc[0]
    assert t.subject == "语文" and t.title_level == "中级" and t.employment == "在编" and t.teacher_id == "11010519491231002X"


def test_statistics_folder_calls_read_statistics(tmp_path, monkeypatch):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "在校生.xlsx").unlink()
    fx.write_xlsx(root / "在校生" / "2025学年" / "河东镇中心小学.xlsx", {"教基3112_小学": [["x"]]})
    got = {}

    def fake_read(paths, root_dir, schools, issues, sheets=None):
        got["paths"] = [p.name for p in paths]
        got["root"] = root_dir.name
        return pd.DataFrame({"school_id": ["4415210001"], "year": [2025], "grade": [1], "students": [50],
                             "classes": [1.0], "src_file": ["河东镇中心小学.xlsx"], "src_sheet": ["教基3112_小学"],
                             "src_row": [10]})

    monkeypatch.setattr(national, "read_statistics", fake_read)
    ds = load_dataset(root)
    assert got == {"paths": ["河东镇中心小学.xlsx"], "root": "d"}  # messages name paths from the data-set folder
    assert ds.enrollment[["school_id", "year", "grade", "students"]].values.tolist() == [["4415210001", 2025, 1, 50]]


def test_retirement_warnings_name_the_users_own_headers():
    from staffplan.cli import example_path

    # the example roster calls the birth date 出生年月 (not the standard 出生日期): a row past its retirement date is
    # reported in that column, like every other finding
    ds = load_dataset(example_path())
    past = [i for i in ds.issues.items if "已在" in i.message and "达到退休日期" in i.message]
    assert past and {i.column for i in past} == {"出生年月"}
    agreed = [i for i in ds.issues.items if "法律允许最多提前或推迟" in i.message]
    assert agreed and {i.column for i in agreed} == {"约定退休日期"}


def test_teaching_stage_column_is_read_and_checked(tmp_path):
    # the roster's 任教学段 (任教学部 …) is a field: 高中部 → 高中 at a 完全中学 is used for the teacher's stage; 高中 at a
    # 九年一贯制 (which has no 高中) is a warning naming the cell and is not used
    import openpyxl

    from staffplan.cli import example_path
    from staffplan.config import default_config
    from staffplan.forecast.supply import teacher_supply

    data = tmp_path / "d"
    shutil.copytree(example_path(), data)
    schools = load_dataset(data).schools.set_index("school_id")["stage"]
    wb = openpyxl.load_workbook(data / "教师.xlsx")
    ws = wb.worksheets[0]
    hdr = [c.value for c in ws[1]]
    col_school, col_id = hdr.index("学校代码") + 1, hdr.index("工号") + 1
    ws.cell(1, len(hdr) + 1, "任教学部")
    picked = {}
    for r in range(2, ws.max_row + 1):
        kind = schools.get(str(ws.cell(r, col_school).value))
        if kind in ("完全中学", "九年一贯制") and kind not in picked:
            picked[kind] = (r, str(ws.cell(r, col_id).value))
            ws.cell(r, len(hdr) + 1, "高中部" if kind == "完全中学" else "高中")
    wb.save(data / "教师.xlsx")
    ds = load_dataset(data)
    t = ds.teachers.set_index("teacher_id")
    full_row, full_id = picked["完全中学"]
    nine_row, nine_id = picked["九年一贯制"]
    assert t.loc[full_id, "teach_stage"] == "高中" and t.loc[nine_id, "teach_stage"] == "高中"
    warned = [i for i in ds.issues.items if "任教学段" in i.message]
    assert len(warned) == 1 and warned[0].row == nine_row and warned[0].column == "任教学部"
    sup = teacher_supply(ds.teachers, ds.schools, default_config(), 2026).set_index("teacher_id")
    assert sup.loc[full_id, "stage"] == "高中" and sup.loc[nine_id, "stage"] in ("小学", "初中")


def test_second_subject_periods_column_is_read_and_checked(tmp_path):
    # a 兼课课时 column (alias of 兼任课时) is the part of 周课时 taught in 兼任学科: a teacher with 兼任学科 科学,
    # 周课时 16 and 兼课课时 4 supplies 12 periods of the main subject and 4 of 科学; 兼课课时 larger than 周课时 is a
    # warning naming the cell
    import openpyxl

    from staffplan.cli import example_path
    from staffplan.config import default_config
    from staffplan.forecast.supply import teacher_supply

    data = tmp_path / "d"
    shutil.copytree(example_path(), data)
    wb = openpyxl.load_workbook(data / "教师.xlsx")
    ws = wb.worksheets[0]
    hdr = [c.value for c in ws[1]]
    c_id, c_sub2 = hdr.index("工号") + 1, hdr.index("兼任学科") + 1
    c_per = next(i for i, h in enumerate(hdr) if "课时" in str(h)) + 1
    ws.cell(1, len(hdr) + 1, "兼课课时")
    kind = load_dataset(data).schools.set_index("school_id")["stage"]
    c_school = hdr.index("学校代码") + 1
    rows = [r for r in range(2, ws.max_row + 1)
            if not ws.cell(r, c_sub2).value and kind.get(str(ws.cell(r, c_school).value)) == "小学"][:2]
    for r, (per, per2) in zip(rows, [(16, 4), (5, 6)]):
        ws.cell(r, c_sub2, "科学")
        ws.cell(r, c_per, per)
        ws.cell(r, len(hdr) + 1, per2)
    wb.save(data / "教师.xlsx")
    ds = load_dataset(data)
    ids = [str(ws.cell(r, c_id).value) for r in rows]
    assert ds.teachers.set_index("teacher_id").loc[ids, "periods2"].tolist() == [4, 6]
    warned = [i for i in ds.issues.items if "兼任课时" in i.message and "大于周课时" in i.message]
    assert [(w.row, w.column) for w in warned] == [(rows[1], "兼课课时")]
    sup = teacher_supply(ds.teachers, ds.schools, default_config(), 2026).set_index("teacher_id")
    assert sup.loc[ids[0], ["periods_main", "periods_second"]].tolist() == [12, 4]
    assert sup.loc[ids[1], ["periods_main", "periods_second"]].tolist() == [0, 5]


def test_a_coordinate_that_is_not_a_number_gets_a_coordinate_example(tmp_path):
    schools = [r[:] + ["经度"] for r in fx.SCHOOL_ROWS[:1]] + [r[:] + ["113.1"] for r in fx.SCHOOL_ROWS[1:]]
    schools[2][-1] = "东经113度"
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", schools=schools))
    assert (first.file, first.sheet, first.row, first.column) == ("学校.xlsx", "学校", 3, "经度")
    assert "应为 113.25 这样的数字（经度" in first.message


def test_a_code_list_sheet_with_roster_headers_adds_no_teacher(tmp_path):
    # an export's 代码表 (dropdown values under some of the roster's own headers, no person in it) used to be stacked
    # onto the roster as rows without a name; it is left out with a note
    root = fx.basic_dataset(tmp_path / "d")
    codes = [["姓名", "性别", "教职工类别", "人员状态"], ["", "1-男", "A1-专任教师", "100-在本单位任职"],
             ["", "2-女", "A2-教辅", "203-长病假"]]
    fx.write_xlsx(root / "教师.xlsx", {"教职工": fx.TEACHER_ROWS, "代码表": codes})
    ds = load_dataset(root, strict=False)
    assert not errors(ds), [e.sentence() for e in errors(ds)]
    assert len(ds.teachers) == len(fx.TEACHER_ROWS) - 1
    assert any(i.sheet == "代码表" and "已忽略" in i.message for i in ds.issues)


def test_negative_count_in_a_wide_table_names_the_grade_column(tmp_path):
    # a wide 在校生 row has one column per grade: the message names 「二年级学生数」, not a 「学生数」 the sheet lacks
    wide = [["学校代码", "学校名称", "一年级学生数", "二年级学生数"],
            ["4415210001", "河东镇中心小学", 86, -45]]
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2025学年": wide})
    err, first = _first_error(root)
    assert (first.file, first.sheet, first.row, first.column) == ("在校生.xlsx", "2025学年", 2, "二年级学生数")
    assert "「-45」不能为负数" in first.message


def _numeric_id_roster(with_key: bool):
    # 18-digit 身份证号 that went through number cells: Excel's 15 digits (…011000) or a double read back
    # as an integer (441521199308279168), as an export opened and saved in Excel gives them
    head = fx.TEACHER_ROWS[0][:1] + ["身份证号"] + fx.TEACHER_ROWS[0][1:]
    rows = [head if with_key else head[1:]]
    for k in range(6):
        number = 440301198503011000 + k * 1000 if k % 2 else float(441521198503011168 + k * 64)
        row = [f"T{k}", number, f"教师{k}", "女", "1985-03-01", "4415210001", "语文", "一级教师", "本科", "在编",
               "2015-09-01"]
        rows.append(row if with_key else row[1:])
    return rows


def test_id_numbers_saved_as_numbers_are_dropped_with_one_warning_when_not_needed(tmp_path):
    # every row has its own 教师编号, 性别 and 出生日期: the roster is read, the lost numbers are not used or shown
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=_numeric_id_roster(True)), strict=False)
    assert not errors(ds), [e.sentence() for e in errors(ds)]
    said = [i for i in ds.issues.warnings if "以数字格式保存" in i.message]
    assert len(said) == 1 and said[0].column == "身份证号" and "6 个号码" in said[0].message
    assert (ds.teachers["id_number"] == "").all()
    assert ds.teachers["teacher_id"].tolist() == [f"T{k}" for k in range(6)]


def test_id_numbers_saved_as_numbers_are_one_error_when_they_are_the_key(tmp_path):
    # no 教师编号: the ID is the key, and it is lost — one error saying so, not one per row
    err = _first_error(fx.basic_dataset(tmp_path / "d", teachers=_numeric_id_roster(False)))[0]
    lost = [i for i in err.issues.errors if "以数字格式保存" in i.message]
    assert len(lost) == 1 and lost[0].column == "身份证号" and "6 个号码" in lost[0].message
    assert not [i for i in err.issues.errors if "不是有效的 18 位号码" in i.message or "身份证号重复" in i.message]


def test_a_shared_school_code_is_said_once_not_again_for_its_enrollment(tmp_path):
    # 河东镇西村小学 given 河东镇中心小学's code: one error at 学校; their 在校生 rows (by name) then share a code, and are
    # not reported again as duplicated enrollment
    schools = [r[:] for r in fx.SCHOOL_ROWS]
    schools[2][0] = "4415210001"
    enrollment = [["学校名称", "学年", "年级", "学生数", "班数"],
                  ["河东镇中心小学", 2025, "一年级", 86, 2], ["河东镇西村小学", 2025, "一年级", 20, 1]]
    err, first = _first_error(fx.basic_dataset(tmp_path / "d", enrollment=enrollment, schools=schools))
    msgs = [i.message for i in err.issues.errors]
    assert any("学校代码重复" in m for m in msgs) and not any("在校生数重复" in m for m in msgs), msgs


def test_a_bad_class_count_in_a_grade_without_pupils_is_one_error(tmp_path):
    # 一年级班数 「二百一」 in a row with no 一年级 pupils: the cell named once, not also 「学生数为空」 for a column the sheet
    # does not have
    wide = [["学校代码", "学校名称", "一年级班数", "一年级学生数", "二年级班数", "二年级学生数"],
            ["4415210001", "河东镇中心小学", "二百一", None, 2, 80]]
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2025学年": wide})
    err, first = _first_error(root)
    assert [(i.row, i.column) for i in err.issues.errors] == [(2, "一年级班数")]
    assert "「二百一」不是数字" in first.message


def _roster_with(extra_header: str, values: list[str]) -> list[list]:
    head = fx.TEACHER_ROWS[0] + [extra_header]
    return [head] + [r + [v] for r, v in zip(fx.TEACHER_ROWS[1:], values)]


def test_two_years_of_appraisal_in_one_cell_are_split_by_year(tmp_path):
    # 近两年考核 「2025年合格，2024年不合格」: by the years written, 2025 → 考核 合格, 2024 → 上年考核 不合格 (the order
    # in the cell does not matter); without years the two words cannot be told apart: the weaker (基本合格) counts for
    # both, with a warning
    rows = _roster_with("近两年考核", ["2025年合格，2024年不合格", "合格、基本合格"])
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (t.at["T1", "appraisal"], t.at["T1", "appraisal_prev"]) == ("合格", "不合格")
    assert (t.at["T2", "appraisal"], t.at["T2", "appraisal_prev"]) == ("基本合格", "基本合格")
    assert [w.row for w in ds.issues.warnings if "没有写年份" in w.message] == [3]


def test_a_roster_without_any_appraisal_column_is_warned(tmp_path):
    # the rule that keeps 不合格/基本合格 teachers from 乡村/薄弱 schools rests on it: its absence is said
    ds = load_dataset(fx.basic_dataset(tmp_path / "d"), strict=False)
    assert any("没有考核结果列" in w.message for w in ds.issues.warnings)
    rows = _roster_with("2025年考核", ["合格", "优秀"])
    ds = load_dataset(fx.basic_dataset(tmp_path / "e", teachers=rows), strict=False)
    assert not any("没有考核结果列" in w.message for w in ds.issues.warnings)


def _roster_with_columns(extra: dict[str, list]) -> list[list]:
    head = fx.TEACHER_ROWS[0] + list(extra)
    return [head] + [r + [v[i] for v in extra.values()] for i, r in enumerate(fx.TEACHER_ROWS[1:])]


def test_wishes_in_two_yes_no_columns_become_the_willingness_words(tmp_path):
    # 是否愿意交流 / 是否愿意走教 (是/否 each), as forms exports give them: T1 是/否 → 愿意交流、不愿走教;
    # T2 否/愿意 → 不愿交流、愿意走教 (the rules read these words: a willing teacher near retirement still rotates,
    # 走教 beyond the standard load needs 愿意走教)
    rows = _roster_with_columns({"是否愿意交流": ["是", "否"], "是否愿意走教": ["否", "愿意"]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert t.at["T1", "willingness"] == "愿意交流、不愿走教"
    assert t.at["T2", "willingness"] == "不愿交流、愿意走教"


def test_a_yes_no_wish_column_wins_over_a_contrary_willingness_with_a_warning(tmp_path):
    # 本人意愿 「愿意交流」 but 是否愿意交流 「否」 on T1: the dedicated column counts (不愿交流), warned once at row 2;
    # T2's blank 是否愿意交流 leaves its 本人意愿 「愿意走教」 as written
    rows = _roster_with_columns({"本人意愿": ["愿意交流", "愿意走教"], "是否愿意交流": ["否", None]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (t.at["T1", "willingness"], t.at["T2", "willingness"]) == ("不愿交流", "愿意走教")
    clash = [w for w in ds.issues.warnings if "说法相反" in w.message]
    assert [(w.row, w.column) for w in clash] == [(2, "是否愿意交流")]


def test_both_wishes_in_one_phrase(tmp_path):
    # 「愿意交流和走教」 is both wishes; 「都不愿意」 neither
    rows = _roster_with_columns({"本人意愿": ["愿意交流和走教", "都不愿意"]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (t.at["T1", "willingness"], t.at["T2", "willingness"]) == ("愿意交流、愿意走教", "不愿交流、不愿走教")
    assert not [w for w in ds.issues.warnings if "本人意愿" in (w.column or "")]


def test_a_filed_but_unapproved_special_case_is_warned_once_without_the_situation(tmp_path):
    # domain §6: 待审批 cases are not selected, with a warning. T1 孕期 not approved, T2 哺乳期 approved: one warning,
    # counting 1 teacher, at T1's row (2), naming the approval column and not the situation (health data stays out)
    rows = _roster_with_columns({"特殊情况": ["孕期", "哺乳期"], "特殊情况已批准": ["否", "是"]})
    _, issues, _ = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    pend = [w for w in issues.warnings if "待审批" in w.message]
    assert len(pend) == 1 and pend[0].message.startswith("1 名教师") and pend[0].row == 2
    assert pend[0].column == "特殊情况已批准" and "孕期" not in pend[0].message


def test_second_subject_written_with_its_periods_or_with_two_subjects(tmp_path):
    # 兼任学科 「美术4」: 美术 with 4 兼任课时 (the column is blank); 「劳动、音乐（2节）」: the first known subject (劳动) is
    # kept and one warning says the second is not counted
    rows = _roster_with_columns({"兼任学科": ["美术4", "劳动、音乐（2节）"]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (t.at["T1", "subject2"], t.at["T1", "periods2"]) == ("美术", 4.0)
    assert t.at["T2", "subject2"] == "劳动" and pd.isna(t.at["T2", "periods2"])
    many = [w for w in ds.issues.warnings if "两门以上" in w.message]
    assert [(w.row, w.column) for w in many] == [(3, "兼任学科")]
    assert not [w for w in ds.issues.warnings if "不在学科表中" in w.message]


def test_a_written_second_subject_period_count_does_not_override_the_periods_column(tmp_path):
    # 「美术（4节）」 beside 兼任课时 6: the column is the roster's figure and stays 6
    rows = _roster_with_columns({"兼任学科": ["美术（4节）", "音乐"], "兼任课时": [6, 2]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (t.at["T1", "subject2"], t.at["T1", "periods2"]) == ("美术", 6.0)
    assert (t.at["T2", "subject2"], t.at["T2", "periods2"]) == ("音乐", 2.0)


def test_a_month_only_birth_date_takes_its_day_from_the_intact_date_digits_of_a_damaged_id(tmp_path):
    # 出生日期 「1985年3月」 (read as 1985-03-01) and IDs 4415211985031XXXX saved as numbers: the date digits 7–14
    # (19850313) survive the rounding, so the day is taken from them (an agreed retirement date is checked to the day);
    # T0's ID has 0 as its 15th digit (a carry could have run into the date digits; its double reads …129984): not used
    head = fx.TEACHER_ROWS[0][:1] + ["身份证号"] + fx.TEACHER_ROWS[0][1:]
    rows = [head]
    numbers = [441521198503130000, 441521198503131000, float(441521198503132168), 441521198503133000]
    for k, number in enumerate(numbers):
        rows.append([f"T{k}", number, f"教师{k}", "女", "1985年3月", "4415210001", "语文", "一级教师", "本科", "在编",
                     "2015-09-01"])
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    born = ds.teachers.set_index("teacher_id")["birth_date"].dt.strftime("%Y-%m-%d").to_dict()
    assert born == {"T0": "1985-03-01", "T1": "1985-03-13", "T2": "1985-03-13", "T3": "1985-03-13"}
    said = [i for i in ds.issues.warnings if "以数字格式保存" in i.message]
    assert len(said) == 1 and "3 人的出生日期列只到月" in said[0].message


def test_ids_kept_as_text_with_a_leading_apostrophe(tmp_path):
    # '441521198503011237 (an export's way to keep digits as text, written into the cell): the apostrophe is dropped
    head = fx.TEACHER_ROWS[0][:1] + ["身份证号"] + fx.TEACHER_ROWS[0][1:]
    rows = [head, ["T1", "'441521198503011237", "甲", "男", "1985-03-01", "4415210001", "语文", "一级教师", "本科",
                   "在编", "2015-09-01"]]
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    assert ds.teachers["id_number"].tolist() == ["441521198503011237"]
    assert not errors(ds)


def test_a_folder_holding_only_one_workbook_is_read_as_that_workbook(tmp_path):
    # 示例区基础数据.xlsx with sheets 学校 / 在校生 / 教师 in an otherwise empty folder: the same tables as the workbook
    root = tmp_path / "d"
    root.mkdir()
    fx.write_xlsx(root / "基础数据2026.xlsx", {"学校": fx.SCHOOL_ROWS, "在校生": fx.ENROLL_LONG, "教师": fx.TEACHER_ROWS})
    a = load_dataset(root, strict=False)
    b = load_dataset(root / "基础数据2026.xlsx", strict=False)
    assert not errors(a) and len(a.teachers) == 2
    for name in ("schools", "enrollment", "teachers"):
        pd.testing.assert_frame_equal(getattr(a, name).drop(columns=["src_file"]),
                                      getattr(b, name).drop(columns=["src_file"]))


def test_yes_no_marks_and_official_wording_of_wishes(tmp_path):
    # 骨干教师 「×」/「√」 are the yes/no marks of every yes/no column (were 「无法识别」); 本人意愿 「愿意交流轮岗」 uses
    # the official term (交流轮岗) and 「不愿意参加交流轮岗」 its negation
    rows = _roster_with_columns({"骨干教师": ["√", "×"], "本人意愿": ["愿意交流轮岗", "不愿意参加交流轮岗"]})
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows), strict=False)
    t = ds.teachers.set_index("teacher_id")
    assert (bool(t.at["T1", "backbone"]), bool(t.at["T2", "backbone"])) == (True, False)
    assert (t.at["T1", "willingness"], t.at["T2", "willingness"]) == ("愿意交流", "不愿交流")
    assert not [w for w in ds.issues.warnings if "无法识别" in w.message]
