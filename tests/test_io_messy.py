"""Issue 14: files bureaus really have. One test group per class of the issue, on small hand-built files."""
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from staffplan.cli import app
from staffplan.config import load_config
from staffplan.io import normalize as nz
from staffplan.io.dataset import check_dataset, load_dataset
from staffplan.io.excel import read_sheets
from staffplan.io.headers import aliases
from staffplan.io.template import write_template

_spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).parent / "data" / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

HEAD = fx.TEACHER_ROWS[0]


def errors(issues):
    return [i for i in issues if i.severity == "错误"]


def warnings(issues):
    return [i for i in issues if i.severity == "警告"]


def roster(*rows):
    return [HEAD] + [list(r) for r in rows]


def person(tid, **over):
    base = dict(zip(HEAD, [tid, "甲", "女", "1985-03-01", "4415210001", "语文", "一级教师", "本科", "在编", "2015-09-01"]))
    base.update(over)
    return [base[h] for h in HEAD]


# --- class 1: titles as the teacher-management system writes them ------------------------------------------

def test_title_words_of_the_national_system():
    words = ["中小学正高级教师", "中小学高级教师", "中小学一级教师", "中小学二级教师", "中小学三级教师", "未定职级",
             "054-二级教师（中学）", "052", "413-小学高级教师", "二级教师（中学）"]
    got = nz.title_level(pd.Series(words)).tolist()
    # 054 = 中学二级教师 → 初级; 052 = 中学高级 → 副高级; 413 = 小学高级 → 中级 (domain.md title ladder)
    assert got == ["正高级", "副高级", "中级", "初级", "员级", "未定级", "初级", "副高级", "中级", "初级"]


def test_roster_title_column_uses_the_one_title_normaliser(tmp_path):
    rows = roster(person("T1", 职称="中小学一级教师"), person("T2", 职称="054-二级教师（中学）"),
                  person("T3", 职称="未定职级"))
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    assert ds.teachers.set_index("teacher_id")["title_level"].to_dict() == {"T1": "中级", "T2": "初级", "T3": "未定级"}


# --- class 2: headers of the statistics system ---------------------------------------------------------------

@pytest.mark.parametrize("label, field", [
    ("学校（机构）办学类型", "stage"), ("学校(机构)所在地城乡类型", "locality"), ("所在地城乡类型", "locality"),
    ("所在乡镇（街道）", "town"), ("所在乡镇", "town"), ("*学校名称\n（必填）", "school_name"),
    ("学校名称（盖章）", "school_name"),
])
def test_school_headers_normalised_before_alias_lookup(label, field):
    assert aliases("schools").match(label)[0] == field


def test_format_hint_on_its_own_line():
    assert aliases("teachers").match("*出生日期\nyyyy-MM-dd")[0] == "birth_date"


def test_header_prefix_never_turns_a_school_number_into_a_teacher_number():
    # 学校编号 must not lose 学校 and become 编号 (教师编号): 学校 is only stripped when 3+ characters remain
    assert aliases("teachers").match("所属学校编号")[0] == "school_id"
    assert aliases("teachers").match("编号")[0] == "teacher_id"


def test_containment_takes_the_one_header_and_says_so(tmp_path):
    rows = [r[:] for r in fx.TEACHER_ROWS]
    rows[0][rows[0].index("学校代码")] = "学校代码号"  # no alias matches exactly; the longest one inside is 学校代码
    root = fx.basic_dataset(tmp_path / "d", teachers=rows)
    ds, issues, _ = check_dataset(root)
    assert not errors(issues)
    assert ds.teachers["school_id"].tolist() == ["4415210001", "4415210003"]
    assert any("取用含有该名称的「学校代码号」列" in i.message for i in issues)


def test_statistics_school_list_reads(tmp_path):
    schools = [["学校标识码", "学校名称（章）", "学校（机构）办学类型", "所在乡镇（街道）", "学校（机构）所在地城乡类型"]] + \
              [r[:] for r in fx.SCHOOL_ROWS[1:]]
    schools[3][2] = "311-初级中学"
    schools[1][4] = "121"  # 镇中心区 → 镇区
    ds = load_dataset(fx.basic_dataset(tmp_path / "d", schools=schools))
    s = ds.schools.set_index("school_id")
    assert s.loc["4415210003", "stage"] == "初中" and s.loc["4415210001", "locality"] == "镇区"
    assert s.loc["4415210002", "town"] == "河东镇"


# --- class 3: employment words -----------------------------------------------------------------------------------

def test_unambiguous_employment_words():
    words = ["编外聘用", "编外人员", "外聘", "临时聘用", "合同工", "自聘", "政府购买服务", "代课", "编制内", "在编教师"]
    assert nz.normalize_employment(pd.Series(words)).tolist() == ["临聘"] * 8 + ["在编"] * 2


def test_local_employment_word_is_one_error_naming_the_config_key(tmp_path):
    rows = roster(*[person(f"T{i}", 用工类型="人事代理") for i in range(5)])
    root = fx.basic_dataset(tmp_path / "d", teachers=rows)
    ds, issues, _ = check_dataset(root)
    errs = errors(issues)
    assert len(errs) == 1                             # five rows, one word: one error
    e = errs[0]
    assert (e.file, e.row, e.column, e.value) == ("教师.xlsx", 2, "用工类型", "人事代理")
    assert "共 5 行" in e.message and "在编、临聘" in e.message and "[vocabulary]" in e.message
    assert "employment" in e.message and "values_employment.csv" in e.message
    # the bureau maps it in its staffplan.toml
    (root / "staffplan.toml").write_text('[vocabulary]\nemployment = { "人事代理" = "编制内" }\n', encoding="utf-8")
    ds = load_dataset(root)
    assert set(ds.teachers["employment"]) == {"在编"}  # 编制内 is read through the same normaliser → 在编


def test_vocabulary_target_must_be_understood(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "staffplan.toml").write_text('[vocabulary]\nemployment = { "人事代理" = "半编" }\n', encoding="utf-8")
    _, issues, _ = check_dataset(root)
    assert [e.column for e in errors(issues)] == ["vocabulary.employment"]


# --- class 4: a roster split into sheets -----------------------------------------------------------------------

def test_sheets_with_the_same_header_are_stacked_and_named_by_kind(tmp_path):
    head = [h for h in HEAD if h != "用工类型"]
    on = [person("T1"), person("T2", 姓名="乙")]
    off = [person("T3", 姓名="丙")]
    drop = HEAD.index("用工类型")
    strip = lambda r: r[:drop] + r[drop + 1:]  # noqa: E731
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "教师.xlsx", {"在编教师": [head] + [strip(r) for r in on],
                                      "临聘教师": [head] + [strip(r) for r in off]})
    ds, issues, _ = check_dataset(root)
    assert not errors(issues)
    t = ds.teachers.set_index("teacher_id")
    assert t["employment"].to_dict() == {"T1": "在编", "T2": "在编", "T3": "临聘"}
    assert t.loc["T3", "src_sheet"] == "临聘教师" and t.loc["T3", "src_row"] == 2
    assert any("按工作表名称取用" in i.message for i in issues)


def test_sheets_per_school_are_stacked_not_joined(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "教师.xlsx", {"河东镇中心小学": roster(person("T1")),
                                      "河东中学": roster(person("T2", 学校代码="4415210003"))})
    ds, issues, _ = check_dataset(root)
    assert not errors(issues) and len(ds.teachers) == 2


# --- class 5: merged cells --------------------------------------------------------------------------------------

def test_school_code_merged_down_its_grade_rows(tmp_path):
    rows = [r[:] for r in fx.ENROLL_LONG]
    rows[2][0] = None                                 # row 3 is covered by the merge A2:A3
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"在校生": rows}, merges={"在校生": ["A2:A3"]})
    ds = load_dataset(root)
    e = ds.enrollment
    assert e[e.school_id == "4415210001"]["students"].sum() == 86 + 80


def test_a_count_merged_over_rows_is_refused_not_copied(tmp_path):
    rows = [r[:] for r in fx.ENROLL_LONG]
    rows[2][3] = None
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"在校生": rows}, merges={"在校生": ["D2:D3"]})
    _, issues, _ = check_dataset(root)
    errs = errors(issues)
    assert [(e.row, e.column) for e in errs] == [(3, "学生数")] and "合并" in errs[0].message


# --- class 6: web exports and files whose content does not match the name --------------------------------------

def test_csv_cells_wrapped_as_excel_text(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "学校.xlsx").unlink()
    rows = [fx.SCHOOL_ROWS[0]] + [[f'="{r[0]}"'] + r[1:] for r in fx.SCHOOL_ROWS[1:]]
    fx.write_csv(root / "学校.csv", rows, encoding="gb18030")
    ds = load_dataset(root)
    assert ds.schools["school_id"].tolist() == ["4415210001", "4415210002", "4415210003"]


def test_html_table_saved_as_xls(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "学校.xlsx").unlink()
    cells = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in fx.SCHOOL_ROWS)
    (root / "学校.xls").write_text(f"<html><meta charset='utf-8'><body><table>{cells}</table></body></html>",
                                  encoding="utf-8")
    ds, issues, _ = check_dataset(root)
    assert not errors(issues)
    assert ds.schools["school_id"].tolist()[0] == "4415210001"          # leading digits kept as text
    assert any("内容实际是网页" in i.message for i in issues)


def test_xlsx_bytes_named_xls_and_et(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "学校.xlsx").rename(root / "学校.xls")
    (root / "教师.xlsx").rename(root / "教师.et")
    ds, issues, _ = check_dataset(root)
    assert not errors(issues) and len(ds.schools) == 3 and len(ds.teachers) == 2
    assert not any("加密" in i.message for i in issues)


def test_only_a_real_encryption_is_called_encrypted(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    plain = tmp_path / "学校.xls"
    plain.write_bytes(ole)
    with pytest.raises(Exception) as e:
        read_sheets(plain)
    assert "加密" not in str(e.value) and "学校.xls" in str(e.value)


def test_pdf_named_xlsx_says_what_it_is(tmp_path):
    p = tmp_path / "学校.xlsx"
    p.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    with pytest.raises(Exception) as e:
        read_sheets(p)
    assert "PDF" in str(e.value)


# --- class 7: cascades and wrong words -----------------------------------------------------------------------

def test_one_unmatched_header_gives_one_error(tmp_path):
    rows = [r[:] for r in fx.SCHOOL_ROWS]
    rows[0][0], rows[0][1] = "编码X", "全称X"      # neither 学校代码 nor 学校名称 can be found
    root = fx.basic_dataset(tmp_path / "d", schools=rows)
    _, issues, _ = check_dataset(root)
    errs = errors(issues)
    assert len(errs) == 2 and all(e.file == "学校.xlsx" and "缺少必填列" in e.message for e in errs)
    assert not any("只有表头" in e.message or "不在学校表中" in e.message for e in errs)


def test_rejected_value_is_not_also_empty(tmp_path):
    rows = roster(person("T1", 最高学历="某某学历"))
    _, issues, _ = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    errs = errors(issues)
    assert len(errs) == 1 and "无法识别" in errs[0].message and "为空" not in errs[0].message


def test_error_cells_and_uncached_formulas_are_named_as_such(tmp_path):
    rows = roster(person("T1", 最高学历="#N/A"), person("T2", 最高学历="=A1&B1"))
    root = fx.basic_dataset(tmp_path / "d", teachers=rows)       # openpyxl writes #N/A as an error cell and
    _, issues, _ = check_dataset(root)                           # the formula without a cached value
    errs = {e.row: e.message for e in errors(issues)}
    assert set(errs) == {2, 3}
    assert "错误值「#N/A」" in errs[2] and "没有计算结果的公式" in errs[3]
    assert not any("为空" in m for m in errs.values())


def test_one_bad_wide_row_is_reported_once(tmp_path):
    wide = [["学校代码", "学校名称", "一年级", None, "二年级", None],
            [None, None, "班数", "人数", "班数", "人数"],
            ["4415219999", "不存在小学", 2, 80, 2, 78],
            ["4415210001", "河东镇中心小学", 2, 86, 2, 80]]
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2025学年": wide})
    _, issues, _ = check_dataset(root)
    errs = errors(issues)
    assert [(e.row, e.column) for e in errs] == [(3, "学校代码")]   # two grades, one row, one error


def test_json_all_returns_every_issue(tmp_path):
    rows = roster(*[person(f"T{i}", 出生日期="1985-13-45") for i in range(30)])
    root = fx.basic_dataset(tmp_path / "d", teachers=rows)
    capped = errors(check_dataset(root)[1])
    assert len(capped) == 21                                        # 20 rows + one summary line
    out = CliRunner().invoke(app, ["check", str(root), "--json", "--all"])
    assert out.exit_code == 1
    got = [i for i in json.loads(out.stdout)["issues"] if i["severity"] == "错误"]
    assert len(got) == 30 and sorted(i["row"] for i in got) == list(range(2, 32))


# --- class 8: silent acceptance ----------------------------------------------------------------------------------

def test_code_and_name_of_two_different_schools(tmp_path):
    head = HEAD[:5] + ["学校名称"] + HEAD[5:]
    row = person("T1")
    rows = [head, row[:5] + ["河东中学"] + row[5:]]             # code of 河东镇中心小学, name of 河东中学
    _, issues, _ = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    errs = errors(issues)
    assert [(e.row, e.column) for e in errs] == [(2, "学校代码")] and "另一所学校" in errs[0].message


def test_arrival_after_plan_date_is_an_error(tmp_path):
    # last enrollment year 2025 → plan date 2026-09-01; 2027-03-01 is after it
    rows = roster(person("T1", 到本校时间="2027-03-01"))
    _, issues, _ = check_dataset(fx.basic_dataset(tmp_path / "d", teachers=rows))
    errs = errors(issues)
    assert [(e.row, e.column) for e in errs] == [(2, "到本校时间")] and "2026-09-01" in errs[0].message


def test_template_example_rows_are_refused(tmp_path):
    write_template(tmp_path / "t")
    _, issues, _ = check_dataset(tmp_path / "t")
    msgs = [e.message for e in errors(issues) if e.file == "教师.xlsx"]
    assert len(msgs) == 1 and "张老师" in msgs[0] and "删除" in msgs[0]


def test_enrollment_history_warnings(tmp_path):
    # 4415210001 has 2025 only; 4415210002 has no rows; 4415210003 has 2024 and 2025
    rows = [r[:] for r in fx.ENROLL_LONG] + [["4415210003", 2024, "七年级", 190, 4]]
    _, issues, _ = check_dataset(fx.basic_dataset(tmp_path / "d", enrollment=rows))
    w = sorted((i.row, i.message) for i in warnings(issues) if "考核" not in i.message)   # the roster has no 考核 column
    assert [r for r, _ in w] == [2, 3]
    assert w[0][1].startswith("这所学校只有一个学年（2025）") and w[1][1].startswith("这所学校没有任何学年的在校生数")


def test_large_data_set_without_county(tmp_path):
    root = fx.basic_dataset(tmp_path / "d")
    (root / "staffplan.toml").write_text("[input]\nlarge_schools = 2\n", encoding="utf-8")  # 3 schools > 2
    _, issues, _ = check_dataset(root)
    assert [i.column for i in warnings(issues) if "区县" in i.message] == ["区县"]
    assert load_config(root / "staffplan.toml")["input.large_schools"] == 2


def test_wide_table_with_the_measure_merged_on_top(tmp_path):
    # 学生数 merged over the grade columns C–D, 班数 over E–F; the grades are in the second header row
    wide = [["学校代码", "学校名称", "学生数", None, "班数", None],
            [None, None, "一年级", "二年级", "一年级", "二年级"],
            ["4415210001", "河东镇中心小学", 86, 80, 2, 3]]
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2025学年": wide}, merges={"2025学年": ["A1:A2", "B1:B2", "C1:D1", "E1:F1"]})
    e = load_dataset(root).enrollment
    got = e[["grade", "students", "classes"]].values.tolist()
    assert got == [[1, 86, 2.0], [2, 80, 3.0]]


def test_csv_apostrophe_text_and_sheet_named_by_kind_in_one_workbook(tmp_path):
    from staffplan.io.excel import _unwrap

    assert _unwrap("'4415210001") == "4415210001" and _unwrap("'abc") == "'abc"   # only digit strings
    wb = tmp_path / "数据.xlsx"
    fx.write_xlsx(wb, {"学校": fx.SCHOOL_ROWS, "在校生": fx.ENROLL_LONG, "在编人员": fx.TEACHER_ROWS})
    ds, issues, _ = check_dataset(wb)
    assert not errors(issues) and len(ds.teachers) == 2


def test_long_enrollment_per_year_sheet_without_year_column(tmp_path):
    rows = [[r[0], r[2], r[3], r[4]] for r in fx.ENROLL_LONG]      # 学校代码, 年级, 学生数, 班数 — no 学年
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2024—2025学年": rows})
    e = load_dataset(root).enrollment
    assert e["year"].tolist() == [2024, 2024, 2024] and e["students"].sum() == 86 + 80 + 198


def test_junior_sheet_numbers_grades_within_the_stage_and_feeders_by_name(tmp_path):
    wide = [["学校代码", "学校名称", "一年级", None, "二年级", None],
            [None, None, "班数", "学生数", "班数", "学生数"],
            ["4415210003", "河东中学", 4, 198, 4, 190]]
    root = fx.basic_dataset(tmp_path / "d")
    fx.write_xlsx(root / "在校生.xlsx", {"2025学年初中": wide})
    fx.write_xlsx(root / "对口.xlsx", {"对口": [["初中学校名称", "对口小学名称"], ["河东中学", "河东镇中心小学"]]})
    ds = load_dataset(root)
    got = ds.enrollment[["school_id", "grade", "students"]].values.tolist()
    assert got == [["4415210003", 7, 198], ["4415210003", 8, 190]]                          # 一年级 → 七年级
    assert ds.feeders[["school_id", "feeder_id"]].values.tolist() == [["4415210003", "4415210001"]]


def test_config_values_out_of_range_and_bad_toml_are_one_chinese_sentence(tmp_path):
    # a ratio of −19 or 0 silently cut 标准编制 from 2,335 to 1,315 / 1,220: now an error naming the key and the range
    # (data/parameter_ranges.csv); a TOML syntax error names line and column in Chinese
    from staffplan.errors import ConfigError
    cases = {"neg.toml": ("[quota]\nratio_primary = -19\n", "quota.ratio_primary 的值 -19 超出允许范围：应大于 0"),
             "zero.toml": ("[quota]\nratio_junior = 0\n", "quota.ratio_junior 的值 0 超出允许范围：应大于 0"),
             "share.toml": ("[load]\nsecond_subject_share = 1.5\n", "应不小于 0、不大于 1"),
             "syntax.toml": ("[quota\nratio_primary = 19\n", "配置文件第 1 行第 7 列不是有效的 TOML 写法")}
    for name, (text, words) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            load_config(tmp_path / name)
        assert words in str(exc.value), str(exc.value)
        assert "line" not in str(exc.value) and "Expected" not in str(exc.value)
    # 0 stays allowed where it means "not configured" (特殊教育) and the defaults are all inside their ranges
    (tmp_path / "special.toml").write_text("[quota]\nratio_special = 0\n", encoding="utf-8")
    assert load_config(tmp_path / "special.toml")["quota.ratio_special"] == 0


def test_default_parameters_are_inside_their_ranges():
    from staffplan.config import _out_of_range, _ranges, default_config
    cfg = default_config()
    assert _ranges()                                          # the table is shipped and read
    for key in _ranges():
        assert _out_of_range(key, cfg[key]) == "", key
