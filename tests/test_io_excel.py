import importlib.util
from pathlib import Path

import pytest

from staffplan.errors import InputError
from staffplan.io.excel import read_sheets
from staffplan.io.headers import detect_header, table_body

_spec = importlib.util.spec_from_file_location("make_fixtures", Path(__file__).parent / "data" / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ROWS = [["学校代码", "学校名称", "学段"], ["001", "甲小学", "小学"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    p = fx.write_csv(tmp_path / "学校.csv", ROWS, encoding)
    (sheet,) = read_sheets(p)
    assert sheet.rows[0][0] == "学校代码"          # no BOM left in the first header
    assert sheet.rows[1] == ["001", "甲小学", "小学"]  # leading zeros kept (text)


def test_csv_undecodable(tmp_path):
    p = tmp_path / "学校.csv"
    p.write_bytes(b"\xff\xfe\x00\xd8\x81\x30\xff" * 3)
    with pytest.raises(InputError) as e:
        read_sheets(p)
    assert "学校.csv" in str(e.value) and "编码" in str(e.value)


def test_xlsx_rows_start_at_excel_row_one_and_hidden_rows(tmp_path):
    p = fx.write_xlsx(tmp_path / "a.xlsx", {"表": [[None], [None, "x"], ["y", 3]]}, hidden_rows={"表": [3]})
    (sheet,) = read_sheets(p)
    assert sheet.sheet == "表"
    assert sheet.rows[1][1] == "x" and sheet.rows[2] == ["y", 3]
    assert sheet.hidden_rows == {3}


def test_bad_files(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as e:
        read_sheets(empty)
    assert str(e.value).startswith("文件「空.xlsx」") and "空" in str(e.value)
    fake = tmp_path / "假.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_sheets(fake)
    assert "文件「假.xlsx」" in str(e.value) and "扩展名" in str(e.value)
    enc = tmp_path / "加密.xlsx"
    # an encrypted xlsx is an OLE container with an EncryptionInfo stream (an OLE file without one is an .xls)
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptionInfo".encode("utf-16-le"))
    with pytest.raises(InputError) as e:
        read_sheets(enc)
    assert "加密" in str(e.value)


def test_max_rows(tmp_path):
    p = fx.write_csv(tmp_path / "t.csv", [["a"]] + [[i] for i in range(10)])
    with pytest.raises(InputError) as e:
        read_sheets(p, max_rows=5)
    assert "input.max_rows" in str(e.value)
    p2 = fx.write_xlsx(tmp_path / "t.xlsx", {"s": [["a"]] + [[i] for i in range(10)]})
    with pytest.raises(InputError):
        read_sheets(p2, max_rows=5)
    assert len(read_sheets(p2, max_rows=50)[0].rows) == 11


# --- header detection on several layouts ------------------------------------------------------------------

def test_header_below_title_rows_with_notes_and_totals():
    rows = [["某县学校基本情况表", None, None, None],
            ["填报单位：教育局", None, None, None],
            ["学校名称", "学段", "学校代码", "备用列"],        # reordered and an extra column
            ["甲小学", "小学", "001", "x"],
            [None, None, None, None],
            ["乙中学", "初中", "002", None],
            ["合计", None, None, None],
            ["注：本表由学校填报", None, None, None],
            ["丙小学", "小学", "003", None]]
    h = detect_header(rows, "schools")
    assert (h.first, h.last) == (2, 2)
    assert h.columns == {"school_name": 0, "stage": 1, "school_id": 2}
    body = table_body(rows, h)
    assert list(body.frame.index) == [4, 6]   # Excel rows; the single blank row is skipped
    assert body.totals == [7]
    assert body.end_reason == "note"


def test_two_blank_rows_end_the_table_and_report_trailing_rows():
    rows = [["学校代码", "学校名称"], ["001", "甲"], [None, None], [None, None], ["制表人：张三", None], ["004", "丁"]]
    h = detect_header(rows, "schools")
    body = table_body(rows, h)
    assert list(body.frame.index) == [2]
    assert body.trailing == [5, 6]


def test_national_style_headers_with_markers_and_hints():
    rows = [["*姓名", "*身份证件号", "*出生日期\n(yyyy-MM-dd)", "*进本校年月(yyyy-MM-dd)", "是否县级以上骨干教师"]]
    h = detect_header(rows, "teachers")
    assert h.columns == {"name": 0, "id_number": 1, "birth_date": 2, "arrival_date": 3, "backbone": 4}


def test_two_row_merged_header_is_combined():
    rows = [["标题", None, None, None, None, None, None],
            ["学校代码", "学年", "年级", "在校情况", None, "合计", None],
            [None, None, None, "班数", "学生数", "班数", "学生数"],
            ["001", 2025, 2, 2, 80, 2, 80]]
    h = detect_header(rows, "enrollment")
    assert (h.first, h.last) == (1, 2)
    assert h.labels[3] == "在校情况班数" and h.labels[0] == "学校代码"
    assert h.columns == {"school_id": 0, "year": 1, "grade": 2, "classes": 3, "students": 4}  # 合计 ignored


def test_appraisal_columns_by_year():
    rows = [["教师编号", "姓名", "2024年考核", "2025年度考核"]]
    h = detect_header(rows, "teachers")
    assert h.columns["appraisal"] == 3 and h.columns["appraisal_prev"] == 2


def test_appraisal_columns_with_the_year_in_brackets_or_relative_words():
    # an export's 年度考核结果（2025年） and （2024年） are two years (bracketed hints are otherwise dropped, which made
    # them one label twice and neither was read); 本年度考核 / 上年度考核 name the years relative to the export
    h = detect_header([["教师编号", "姓名", "年度考核结果\n（2024年）", "年度考核结果\n（2025年）"]], "teachers")
    assert h.columns["appraisal"] == 3 and h.columns["appraisal_prev"] == 2
    h = detect_header([["教师编号", "姓名", "本年度考核", "上年度考核"]], "teachers")
    assert h.columns["appraisal"] == 2 and h.columns["appraisal_prev"] == 3
    h = detect_header([["教师编号", "姓名", "近两年考核"]], "teachers")
    assert h.columns["appraisal_two"] == 2
