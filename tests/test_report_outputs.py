"""`staffplan report` writes three files: 附件.docx, the aggregate 附表.xlsx sent with it (no names, no
internals) and the 公示名单.xlsx notice list (posted at the schools: no 内部资料 mark, a plain 说明); all or none, never over an existing file."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from staffplan.cli import app, example_path
from staffplan.io.dataset import load_dataset
from staffplan.report.meta import RunMeta, years_text
from staffplan.report.workbook import INTERNAL_MARK, sheet_title, write_workbook

from test_report_figures import INTERNAL_WORDS

runner = CliRunner()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    data = tmp / "示例区"
    shutil.copytree(example_path(), data)
    out = tmp / "out"
    result = runner.invoke(app, ["report", str(data), "--out", str(out / "附件.docx"), "--quiet"])
    assert result.exit_code == 0, result.output
    return data, out


def _workbook_text(path: Path) -> str:
    """Every text a reader can see: cells, headers and footers, sheet names and document properties."""
    wb = openpyxl.load_workbook(path)
    parts = [str(wb.properties.creator), str(wb.properties.title), str(wb.properties.lastModifiedBy)]
    for ws in wb:
        parts.append(ws.title)
        for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
            parts += [str(hf.left.text or ""), str(hf.center.text or ""), str(hf.right.text or "")]
        parts += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    with zipfile.ZipFile(path) as z:
        parts.append(z.read("docProps/core.xml").decode("utf-8"))
    return "\n".join(parts)


def test_report_writes_docx_tables_and_notice_beside_it(written):
    _data, out = written
    assert sorted(p.name for p in out.iterdir()) == sorted(["附件.docx", "附表.xlsx", "公示名单.xlsx"])


def test_attachment_workbook_has_no_internals_and_no_names(written):
    data, out = written
    text = _workbook_text(out / "附表.xlsx")
    for word in INTERNAL_WORDS + ["参数键", "校验值", "求解", INTERNAL_MARK, "Calibri"]:
        assert word not in text, word
    names = set(load_dataset(data).teachers["name"].astype(str)) - {""}
    assert names
    assert not [n for n in names if n in text]
    wb = openpyxl.load_workbook(out / "附表.xlsx")
    assert wb.sheetnames[-1] == "说明" and wb["说明"]["A1"].value == "说明"
    assert wb.sheetnames[0].startswith("表1")


def test_notice_lists_who_moves_by_school_without_reasons(written):
    _data, out = written
    wb = openpyxl.load_workbook(out / "公示名单.xlsx")
    ws = wb["交流公示名单"]
    assert [c.value for c in ws[2]] == ["原学校", "序号", "姓名", "教师编号", "任教学科", "交流学校", "到校任教学科", "交流类型",
                                    "交流年限"]
    # posted at the schools: no 内部资料 mark, and a 说明 that explains the lists without files, checksums or
    # parameters (those stay in 交流.xlsx)
    assert not ws.oddHeader.right.text
    assert wb.sheetnames[-1] == "说明"
    about = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value is not None)
    assert "交流公示名单" in about and "走教公示名单" in about and "2026—2027学年" in about
    for word in ("SHA-256", "校验值", "staffplan", ".xlsx", "参数", "求解"):
        assert word not in about, word
    assert wb.properties.title.endswith("2026—2027学年公示名单")
    for word in ("原因", "考核", "健康", "身份证"):
        assert word not in "".join(str(c.value) for c in ws[2]), word  # no such column
    # 序号 restarts at 1 for each school
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    first = {}
    for school, k, *_ in rows:
        first.setdefault(school, k)
    assert set(first.values()) == {1} and len(first) > 1
    assert ws["A1"].value.split("\n")[0].endswith("2026—2027学年交流公示名单") and "按原学校排列" in ws["A1"].value
    # a notice states its 公示期 and where to object; the ID-masking sentence only where an ID number is shown
    assert "公示期为 5 个工作日" in about and "请在公示期内向区教育局实名反映" in about
    ids = [str(r[3]) for r in rows]
    assert ("身份证号" in about) == any("*" in i for i in ids)


def test_report_refuses_to_overwrite_and_writes_nothing(written, tmp_path):
    data, out = written
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = runner.invoke(app, ["report", str(data), "--out", str(out / "附件.docx")])
    assert result.exit_code == 2 and "已存在" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # only the notice exists: still refused before any work, nothing else written
    (tmp_path / "公示名单.xlsx").write_bytes(b"x")
    result = runner.invoke(app, ["report", str(data), "--out", str(tmp_path / "附件.docx")])
    assert result.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["公示名单.xlsx"]
    # never inside the input folder
    result = runner.invoke(app, ["report", str(data), "--out", str(tmp_path / "b.docx"),
                                 "--tables", str(data / "附表.xlsx")])
    assert result.exit_code == 2 and not (data / "附表.xlsx").exists()


def test_public_workbook_meta_is_plain():
    meta = RunMeta("report", 2026, parameters=[("quota.ratio_primary", 19.0, "默认"),
                                               ("output.district", "某区", "配置文件")],
                   inputs=[{"table": "teachers", "file": "教师.xlsx", "sha256": "ab" * 32}],
                   solver={"name": "cbc", "status": "最优"}, public="附表")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = write_workbook(Path(tmp) / "a.xlsx", {"表1 x": pd.DataFrame({"学科": ["语文"], "人数": [1]})}, meta)
        text = _workbook_text(path)
    for word in ("staffplan", "SHA", "abab", "cbc", "求解", "参数键", "quota.", INTERNAL_MARK):
        assert word not in text, word
    assert "小学19∶1" in text  # the standard in words


def test_wide_sheet_title_stays_within_the_repeated_key_columns(tmp_path):
    meta = RunMeta("forecast", 2026, parameters=[("output.district", "示例区", "配置文件")])
    wide = pd.DataFrame({"学校代码": ["S1"], "学校名称": ["第一小学"],
                         **{f"很长的列名第{i}列数据": [1.5] for i in range(30)}})
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", {"编制测算": wide}, meta))["编制测算"]
    assert ws.print_title_cols  # several pages wide, 学校代码:学校名称 repeated
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:B1" in merged  # the title only over the repeated columns, so no page cuts it
    assert ws["A1"].value.startswith("示例区2026—2027学年编制测算")
    assert str(ws["C1"].value).startswith("单位")  # the 单位 note beside it on the first page
    assert [c.value for c in ws[2]][:2] == ["学校代码", "学校名称"]  # header row unchanged


def test_backtest_titled_by_the_tested_years():
    meta = RunMeta("backtest", 2025, options={"tested_years": [2024, 2025]})
    assert years_text([2024, 2025]) == "2024—2025、2025—2026学年"
    assert sheet_title("回测汇总", meta) == "2024—2025、2025—2026学年回测汇总"
    assert sheet_title("编制测算", RunMeta("forecast", 2026)) == "2026—2027学年编制测算"


def test_attachment_gap_total_is_the_memo_figure_and_the_print_summary(written):
    from staffplan.config import load_config
    from staffplan.forecast.pipeline import run_forecast
    from staffplan.report.figures import gaps
    from staffplan.report.printviews import gaps_by_school

    data, out = written
    sheets = run_forecast(load_dataset(data), load_config(None)).sheets()
    memo = gaps(sheets)
    ws = openpyxl.load_workbook(out / "附表.xlsx")["表2 分学科教师缺口汇总"]
    header = [c.value for c in ws[2]]
    total = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    # one figure in three places: the memo's text (figures.gaps), 附表 表2 and 预测.xlsx 学科缺口汇总
    assert total[header.index("缺口人数")] == memo.shortage_fte
    assert total[header.index("富余人数")] == memo.surplus_fte
    assert total[header.index("缺口学校数")] == memo.schools_short
    summary = gaps_by_school(sheets["学科缺口"]).iloc[-1]
    assert (summary["缺口人数"], summary["富余人数"]) == (memo.shortage_fte, memo.surplus_fte)
