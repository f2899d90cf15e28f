"""CLI adapters: exit codes, messages, outputs re-read through openpyxl (sqlite-utils style)."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from staffplan.cli import app, example_path

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("ex") / "示例区"
    shutil.copytree(example_path(), dst)
    return dst


def test_docs_cli_md_is_current():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_cli_md
    finally:
        sys.path.pop(0)
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == make_cli_md.render(), \
        "docs/cli.md is stale: run python docs/make_cli_md.py > docs/cli.md"


def test_every_command_has_help():
    for name in ["template", "check", "forecast", "backtest", "rotate", "explain", "report", "redact", "demo"]:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "用法：" in result.output and "显示本帮助并退出" in result.output, name


def test_check_example_passes_and_json(example):
    result = runner.invoke(app, ["check", str(example), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] is True and payload["errors"] == 0


def test_check_missing_path_is_one_sentence(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "不存在")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_unknown_config_key_exits_1(example, tmp_path):
    cfg = tmp_path / "staffplan.toml"
    cfg.write_text("[quota]\nratio_primery = 19\n", encoding="utf-8")
    result = runner.invoke(app, ["forecast", str(example), "--config", str(cfg), "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 1
    assert "quota.ratio_primery" in result.output
    assert not (tmp_path / "f.xlsx").exists()


def test_forecast_writes_contract_sheets_and_refuses_overwrite(example, tmp_path):
    out = tmp_path / "预测.xlsx"
    result = runner.invoke(app, ["forecast", str(example), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"说明", "学生预测", "编制测算", "学科缺口", "招聘计划", "指标"} <= set(wb.sheetnames)
    before = out.read_bytes()
    again = runner.invoke(app, ["forecast", str(example), "--out", str(out), "--quiet"])
    assert again.exit_code == 2 and "--force" in again.output
    assert out.read_bytes() == before


def test_forecast_year_option_recorded(example, tmp_path):
    out = tmp_path / "y.json"
    result = runner.invoke(app, ["forecast", str(example), "--year", "2026", "--format", "json", "--out", str(out),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "学生预测" in data["sheets"]
    assert "2026" in json.dumps(data["说明"], ensure_ascii=False)


def test_forecast_csv_format(example, tmp_path):
    out = tmp_path / "预测.xlsx"
    result = runner.invoke(app, ["forecast", str(example), "--format", "csv", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "预测.csv"
    assert (folder / "学生预测.csv").exists() and (folder / "说明.csv").exists()


def test_out_over_input_is_refused(example, tmp_path):
    target = example / "学校.xlsx"
    before = target.read_bytes()
    result = runner.invoke(app, ["forecast", str(example), "--out", str(target), "--force", "--quiet"])
    assert result.exit_code == 2
    assert target.read_bytes() == before


def test_bad_format_is_usage_error(example, tmp_path):
    result = runner.invoke(app, ["forecast", str(example), "--format", "pdf", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2


def test_template_then_check(tmp_path):
    result = runner.invoke(app, ["template", str(tmp_path / "模板")])
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["check", str(tmp_path / "模板")])
    # an unfilled template still holds its example rows: check refuses them with a sentence saying to delete them
    assert check.exit_code == 1 and "示例行" in check.output and "删除" in check.output, check.output
    again = runner.invoke(app, ["template", str(tmp_path / "模板")])
    assert again.exit_code == 2


def test_rotate_writes_contract_sheets_and_explain_agrees(example, tmp_path):
    out = tmp_path / "交流.xlsx"
    result = runner.invoke(app, ["rotate", str(example), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["exchanged"] >= summary["required"]          # the 5 % rule holds on the example
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"说明", "交流名单", "走教安排", "交流资格", "缺口覆盖"} <= set(wb.sheetnames)
    rows = list(wb["交流名单"].iter_rows(min_row=3, values_only=True))
    first = rows[0]
    assert first[0] != "合计" and rows[-1][0] == "合计"
    explained = runner.invoke(app, ["explain", str(example), "--teacher", str(first[0])])
    assert explained.exit_code == 0, explained.output
    assert "已选中" in explained.output and str(first[9]) in explained.output   # 交流学校 named (任教学科, 补充学科, 补充课时 before it)


def test_explain_unknown_teacher_is_input_error(example):
    result = runner.invoke(app, ["explain", str(example), "--teacher", "不存在的人"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_folder_staffplan_toml_reaches_forecast_and_rotate(example, tmp_path):
    """cli.md: without --config the data folder's staffplan.toml is used — by every command, not only by the
    reader (it used to be read for validation and then dropped: forecast and rotate ran on the defaults)."""
    folder = tmp_path / "带参数的区"
    shutil.copytree(example, folder)
    (folder / "staffplan.toml").write_text('[output]\ndistrict = "参数测试区"\n\n[exchange]\nmove_cost = 3.5\n',
                                           encoding="utf-8")
    out = tmp_path / "预测.json"
    result = runner.invoke(app, ["forecast", str(folder), "--format", "json", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    meta = json.dumps(json.loads(out.read_text(encoding="utf-8"))["说明"], ensure_ascii=False)
    assert "参数测试区" in meta and "staffplan.toml" in meta
    out = tmp_path / "交流.json"
    result = runner.invoke(app, ["rotate", str(folder), "--format", "json", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    meta = json.dumps(json.loads(out.read_text(encoding="utf-8"))["说明"], ensure_ascii=False)
    assert "3.5" in meta and "参数测试区" in meta


def test_plan_year_outside_the_data_is_one_sentence_and_exit_2(tmp_path):
    # the example's 在校生 cover 2021—2025: --year may be 2022—2026; 2027 would need two years in one step (it was an
    # internal error, exit 4), 1990 has nothing before it (it wrote a workbook of zeros)
    from staffplan.cli import example_path
    for year, words in ((2027, "超出数据范围"), (2100, "超出数据范围"), (1990, "不在数据之后")):
        out = tmp_path / f"{year}.xlsx"
        result = runner.invoke(app, ["forecast", str(example_path()), "--year", str(year), "--out", str(out)])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert words in text and "--year可取2022—2026" in text.replace(" ", "")
        assert not out.exists() and "Traceback" not in result.output


def test_ctrl_c_after_an_output_is_written_says_so(tmp_path, capsys):
    # Ctrl-C after 预测.xlsx was renamed into place: the file is complete; the message must not say nothing was written
    import typer
    from staffplan.cli import _handle_errors
    from staffplan.io import atomic

    target = tmp_path / "预测.xlsx"

    @_handle_errors
    def job():
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(b"done")
        raise KeyboardInterrupt

    before = list(atomic._written)
    try:
        with pytest.raises(typer.Exit) as exc:
            job()
    finally:
        atomic._written[:] = before
    assert exc.value.exit_code == 130 and target.read_bytes() == b"done"
    err = " ".join(capsys.readouterr().err.split())
    assert "中断前已完整写出" in err and "预测.xlsx" in err and "未写出任何文件" not in err


def test_os_errors_are_said_in_chinese_with_the_output_name():
    import errno as _errno
    from staffplan.cli import _os_reason, _shown_path
    assert _os_reason(PermissionError(_errno.EACCES, "Permission denied")) == "没有写入权限"
    assert _os_reason(OSError(_errno.ENOSPC, "No space left on device")) == "磁盘空间不足"
    assert _shown_path("/out/.~预测.ux5hgi1j.xlsx") == "/out/预测.xlsx"      # the temp file stands for 预测.xlsx
    assert _shown_path("/out/预测.xlsx") == "/out/预测.xlsx"
