"""Workbooks fit to print: body text never below 9 pt on paper, long text wrapped with row heights set,
key columns repeated, a 单位 line under each title, 内部资料 on every page, per-school print summaries.

The PDF checks render the demo district's two workbooks with LibreOffice (skipped without soffice)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from staffplan.cli import app
from staffplan.config import default_config
from staffplan.paths import data_file
from staffplan.report.meta import RunMeta
from staffplan.report.printviews import eligibility_by_school, gaps_by_school, with_print_views
from staffplan.report.workbook import (LINE_PT, MIN_PRINT_PT, BODY_PT, detail_rows, line_count, parameter_names,
                                       write_workbook)

CONTRACT_SHEETS = ["学生预测", "编制测算", "学科缺口", "招聘计划", "指标", "退出预警", "交流名单", "走教安排",
                   "交流资格", "缺口覆盖"]


def _meta(district: str = "河口区") -> RunMeta:
    return RunMeta(command="forecast", plan_year=2026,
                   parameters=[("output.district", district, "配置文件 staffplan.toml"),
                               ("forecast.interval_level", 0.8, "默认"), ("quota.ratio_primary", 19.0, "默认")],
                   inputs=[{"table": "teachers", "file": "教师.xlsx", "sheet": "花名册", "sha256": "ab" * 32}],
                   generated_at="2026-03-01 09:00:00")


# --------------------------------------------------------------------------- layout, without LibreOffice

def test_title_carries_district_school_year_and_unit_line(tmp_path):
    sheets = {"学生预测": pd.DataFrame({"学校代码": ["001"], "学校名称": ["河口小学"], "预测学生数": [100]})}
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", sheets, _meta()))
    ws = wb["学生预测"]
    title, note = ws["A1"].value.split("\n")
    assert title == "河口区2026—2027学年学生预测"
    # the 80 % comes from forecast.interval_level = 0.8 recorded for this run
    assert note.startswith("单位：人") and "80% 预测区间" in note
    assert [c.value for c in ws[2]] == ["学校代码", "学校名称", "预测学生数"]  # header stays on row 2
    assert ws.oddHeader.right.text == "内部资料" and ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws["A3"].font.name == "宋体" and ws["A2"].font.name == "宋体"


def test_every_contract_sheet_has_a_unit_note():
    with data_file("sheet_notes.csv").open(encoding="utf-8") as fh:
        notes = pd.read_csv(fh, comment="#")
    assert set(CONTRACT_SHEETS) <= set(notes["sheet"])
    signed = notes.set_index("sheet")["note"]
    assert "负数表示超编" in signed["编制测算"] and "负数表示富余" in signed["学科缺口"]
    assert "负数表示调出" in signed["缺口覆盖"]


def test_scale_never_prints_below_9pt_and_wide_sheets_repeat_key_columns(tmp_path):
    narrow = pd.DataFrame({"学校代码": ["001"], "学校名称": ["河口小学"], "人数": [3]})
    wide = pd.DataFrame({"教师编号": ["T1"], "姓名": ["张三"], **{f"第{i}列说明": ["很长的说明文字" * 2] for i in range(12)}})
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", {"窄表": narrow, "宽表": wide}, _meta()))
    for ws in (wb["窄表"], wb["宽表"], wb["说明"]):
        assert not ws.sheet_properties.pageSetUpPr.fitToPage
        assert BODY_PT * ws.page_setup.scale / 100 >= MIN_PRINT_PT
    assert wb["窄表"].page_setup.scale == 100 and wb["窄表"].print_title_cols is None
    # 14 columns of ~30 units (≈ 3,000 pt at 100 %) cannot fit 784 pt: several pages wide, 教师编号 + 姓名 repeated
    assert wb["宽表"].page_setup.scale == 83 and wb["宽表"].print_title_cols == "$A:$B"
    assert wb["宽表"].print_title_rows == "$2:$2"


def test_long_text_wraps_and_row_height_is_set(tmp_path):
    reason = "应交流" * 30  # 90 CJK characters = 180 display units
    df = pd.DataFrame({"教师编号": ["T1", "T2"], "原因": [reason, "短"]})
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", {"交流名单": df}, _meta()))
    ws = wb["交流名单"]
    assert ws.column_dimensions["B"].width == 40  # capped, wraps
    assert ws["B3"].alignment.wrap_text
    # 90 CJK × 1.8 = 162 units / (40 − 1.5) per line = 4.2 → 5 lines → 5 × 16 + 3 = 83 pt; the short row keeps
    # the default
    assert ws.row_dimensions[3].height == pytest.approx(5 * LINE_PT + 3)
    assert ws.row_dimensions[4].height is None


def test_line_count_by_hand():
    # width 21.5 → 20 units a line: "ab" = 2 → 1 line; 11 CJK × 1.8 = 19.8 → 1 line; 15 CJK = 27 → 2 lines;
    # "a\nb" = two lines; empty = 1
    assert line_count(pd.Series(["ab", "一" * 11, "一" * 15, "a\nb", None]), 21.5).tolist() == [1, 1, 2, 2, 1]


def test_stage_rows_under_a_school_are_marked_and_total_is_left_alone(tmp_path):
    df = pd.DataFrame({"学校代码": ["1", "2", "2", "2", "合计"], "学段": ["小学", "全校", "小学", "初中", None],
                       "标准编制": [10.0, 30.0, 12.0, 18.0, 40.0]})
    assert detail_rows(df).tolist() == [False, False, True, True, False]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", {"编制测算": df}, _meta()))
    ws = wb["编制测算"]
    assert not ws["C3"].font.i and ws["C5"].font.i and ws["C6"].font.i
    assert ws["C7"].font.b  # 合计 = 10 + 30 (school rows only, as given)


def test_meta_sheet_names_parameters_in_chinese_with_the_key_beside(tmp_path):
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", {"表": pd.DataFrame({"a": [1]})}, _meta()))
    rows = [[c.value for c in r] for r in wb["说明"].iter_rows(min_row=2)]
    head = rows[0]
    assert head == ["类别", "项目", "内容", "来源或说明", "参数键"]
    by_key = {r[4]: r for r in rows[1:] if r[4]}
    assert by_key["quota.ratio_primary"][1] == "小学生师比" and by_key["quota.ratio_primary"][3] == "默认值"
    files = [r for r in rows if r[0] == "输入文件"]
    # in the workbook the 64 hex digits start a line of their own (the row height counts it)
    assert files[0][1] == "教师" and files[0][3] == "校验值（SHA-256）：\n" + "ab" * 32


def test_every_parameter_has_a_chinese_name():
    keys = {k for k, _v, _s in default_config().table()}
    assert keys <= set(parameter_names()), sorted(keys - set(parameter_names()))


def test_eligibility_summary_by_hand():
    elig = pd.DataFrame({"教师编号": ["1", "2", "3", "4", "合计"], "学校代码": ["A", "A", "B", "A", None],
                         "资格": ["应交流", "不符合", "应交流", "免交流", None]})
    out = eligibility_by_school(elig, pd.Series({"A": "甲校", "B": "乙校"}))
    assert out.columns.tolist() == ["学校代码", "学校名称", "应交流", "免交流", "不符合", "合计"]
    # A: 1 应交流 + 1 免交流 + 1 不符合 = 3; B: 1 应交流; 合计 row 2 / 1 / 1 / 4
    assert out.fillna("").values.tolist() == [["A", "甲校", 1, 1, 1, 3], ["B", "乙校", 1, 0, 0, 1],
                                              ["合计", "", 2, 1, 1, 4]]


def test_gap_summary_by_hand():
    gaps = pd.DataFrame({"学校代码": ["A", "A", "A", "B", "B", "合计"], "学校名称": ["甲", "甲", "甲", "乙", "乙", None],
                         "学段": ["小学", "初中", "初中", "小学", "小学", None],
                         "学科": ["语文", "语文", "物理", "数学", "音乐", None],
                         "缺口人数": [1.24, -0.5, 0.3, -2.0, 0.0, None]})
    out = gaps_by_school(gaps).fillna("")
    # A has two stages, so the stage names the subject; 缺口 1.2 + 0.3 = 1.5, 富余 0.5; B: 富余 2.0, 音乐 0 is neither
    assert out.values.tolist() == [
        ["A", "甲", 1.5, "小学语文 1.2、初中物理 0.3", 0.5, "初中语文 0.5"],
        ["B", "乙", 0.0, "", 2.0, "数学 2"],
        ["合计", "", 1.5, "", 2.5, ""]]


def test_gap_summary_total_is_the_memos_figure():
    from staffplan.report.figures import gaps as gap_figures

    gaps = pd.DataFrame({"学校代码": ["A", "B", "C"], "学校名称": ["甲", "乙", "丙"], "学科": ["语文"] * 3,
                         "缺口人数": [0.24, 0.24, 0.24]})
    out = gaps_by_school(gaps)
    # each school shows 0.24 → 0.2, but 合计 is 0.24 × 3 = 0.72 → 0.7 (the memo's figure), not 0.2 × 3 = 0.6
    assert out["缺口人数"].tolist() == [0.2, 0.2, 0.2, 0.7]
    assert out["缺口人数"].iloc[-1] == gap_figures({"学科缺口": gaps}).shortage_fte


def test_print_views_follow_their_sheet():
    sheets = {"交流名单": pd.DataFrame({"a": [1]}),
              "交流资格": pd.DataFrame({"教师编号": ["1"], "学校代码": ["A"], "资格": ["应交流"]}),
              "缺口覆盖": pd.DataFrame({"a": [1]})}
    assert list(with_print_views(sheets)) == ["交流名单", "交流资格", "交流资格汇总", "缺口覆盖"]


# --------------------------------------------------------------------------- printed by LibreOffice

needs_office = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) not installed")


@pytest.fixture(scope="module")
def demo_pdfs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    fitz = pytest.importorskip("pymupdf", reason="PyMuPDF (pip install -e '.[test]') measures printed font sizes")
    del fitz
    root = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", str(root / "d"), "--quiet"])
    assert result.exit_code == 0, result.output
    out = root / "d" / "输出"
    books = [out / "预测.xlsx", out / "交流.xlsx", out / "附表.xlsx", out / "公示名单.xlsx"]
    pdf_dir = root / "pdf"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(pdf_dir), *map(str, books)],
                       check=True, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("soffice took longer than 120 s")
    return {b.stem: (b, pdf_dir / f"{b.stem}.pdf") for b in books}


@needs_office
def test_printed_text_is_at_least_9pt_on_every_page(demo_pdfs):
    import pymupdf

    for name, (_book, pdf) in demo_pdfs.items():
        small = []
        with pymupdf.open(pdf) as doc:
            for page in doc:
                for block in page.get_text("dict")["blocks"]:
                    for line in block.get("lines", []):
                        small += [(page.number + 1, s["text"], round(s["size"], 2)) for s in line["spans"]
                                  if s["text"].strip() and s["size"] < MIN_PRINT_PT]
        assert not small, f"{name}: {small[:5]}"


@needs_office
def test_every_page_is_marked_internal_and_no_cell_text_is_lost(demo_pdfs):
    import pymupdf

    for name, (book, pdf) in demo_pdfs.items():
        with pymupdf.open(pdf) as doc:
            pages = [page.get_text() for page in doc]
        if name in ("附表", "公示名单"):  # sent with the memo / posted at the schools: not marked internal
            assert not any("内部资料" in p for p in pages)
        else:
            assert all("内部资料" in p for p in pages), name
        printed = re.sub(r"\s+", "", "".join(pages))
        wb = openpyxl.load_workbook(book, read_only=True)
        lost = [(ws.title, v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                if isinstance(v, str) and v.strip() and re.sub(r"\s+", "", v) not in printed]
        assert not lost, f"{name}: {lost[:5]}"


@needs_office
def test_long_lists_have_a_short_printed_summary(demo_pdfs):
    import pymupdf

    for name, sheet in (("交流", "交流资格汇总"), ("预测", "学科缺口汇总")):
        _book, pdf = demo_pdfs[name]
        with pymupdf.open(pdf) as doc:
            pages = sum(1 for page in doc if page.get_text().split("\n")[0].strip().endswith(sheet))
        assert 1 <= pages <= 6, (sheet, pages)  # 50 schools: one row each


def test_a_last_page_of_one_or_two_rows_is_pulled_back():
    # A4 landscape less 0.7 in top and bottom: 494.5 pt.  Title 40 pt + header 15.5 pt leave room for 28 rows of
    # 15.5 pt: 29 rows would put the 29th (the 合计 row) alone on page 2.  At 95 % the page holds 494.5 / 0.95 =
    # 520.5 pt = 55.5 + 30 rows (one to spare): 95, the first step that saves the page
    from staffplan.report.workbook import ROW_PT, _no_widow_scale, _pages

    assert ROW_PT == 15.5
    rows = lambda n: np.full(n, 15.5)   # noqa: E731
    assert _pages(rows(28), 40.0, 100) == (1, 28) and _pages(rows(29), 40.0, 100) == (2, 1)
    assert _no_widow_scale(rows(29), 40.0, 100) == 95
    assert _no_widow_scale(rows(28), 40.0, 100) == 100       # one page already
    assert _no_widow_scale(rows(31), 40.0, 100) == 100       # 3 rows on page 2: a real page, left alone
    # at 85 % a page holds 33 rows (494.5 / 0.85 = 581.7 pt): the 34th alone on page 2 would need 35 rows' room,
    # 598 pt, more than 83 % (the 9 pt floor) gives (595.8 pt): left as it is
    assert _pages(rows(34), 40.0, 85) == (2, 1) and _no_widow_scale(rows(34), 40.0, 85) == 85


def test_school_gap_summary_rounds_the_shown_figure_like_the_recruitment_plan():
    # 0.548 FTE shows 0.55 in 学科缺口; a reader rounding that by hand writes 0.6, and so do 学科缺口汇总 and the
    # 涉及学校 text of 招聘计划 (both from forecast.gaps.fte_tenths), never 0.5 from the unrounded value
    from staffplan.forecast.gaps import fte_tenths, shown_fte
    assert float(shown_fte(0.548)) == 0.55
    assert float(fte_tenths(0.548)) == 0.6
    assert float(fte_tenths(0.544)) == 0.5
    gaps = pd.DataFrame({"学校代码": ["S1"], "学校名称": ["甲校"], "学科": ["劳动"], "缺口人数": [float(shown_fte(0.548))]})
    out = gaps_by_school(gaps)
    assert out["缺口人数"].iloc[0] == 0.6


def test_text_longer_than_an_excel_cell_is_cut_and_says_so(tmp_path):
    from staffplan.report.workbook import EXCEL_CELL_CHARS, write_workbook
    from staffplan.report.meta import RunMeta
    df = pd.DataFrame({"学科": ["语文"], "涉及学校": ["校" * 40_000]})
    path = write_workbook(tmp_path / "a.xlsx", {"招聘计划": df}, RunMeta("forecast", 2026))
    ws = openpyxl.load_workbook(path)["招聘计划"]
    cells = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("校校")]
    assert len(cells) == 1 and len(cells[0]) == EXCEL_CELL_CHARS and cells[0].endswith("已截断）")
