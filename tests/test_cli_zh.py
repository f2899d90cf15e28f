"""The command line speaks Chinese: every command run with a bad argument answers in Chinese (no English
sentence from the framework), exits 2 for usage errors, lists choices; console tables fit 80 columns."""
from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from staffplan.cli import app
from staffplan.cli_zh import zh_error, zh_help

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "示例区"
COMMANDS = ["template", "check", "forecast", "backtest", "rotate", "explain", "report", "redact", "demo"]

#: three or more English words in a row (e.g. "Missing argument 'data'", "Show this message and exit")
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,.'!?:-]+[A-Za-z]{2,}){2,}")


def english_sentences(text: str) -> list[str]:
    # paths, option names and the program's own name are not sentences
    text = re.sub(r"(--?[\w-]+|\S*/\S*|staffplan(?: \w+)?|pip install \S+)", " ", text)
    return ENGLISH.findall(text)


def bad_invocations(tmp_path: Path) -> list[list[str]]:
    data = str(EXAMPLE)
    out = ["--out", str(tmp_path / "x.xlsx")]
    cases = [["nosuchcommand"], ["forc"]]
    for name in COMMANDS:
        cases += [[name, "--no-such-option"], [name, "--help"]]
    cases += [
        ["template"], ["check"], ["forecast"], ["backtest"], ["rotate"], ["explain", data], ["report"], ["redact", data],
        ["forecast", data, "--horizon", "9"] + out, ["forecast", data, "--year", "明年"] + out,
        ["forecast", data, "--format", "pdf"] + out, ["rotate", data, "--solver", "gurobi"] + out,
        ["backtest", data, "--years", "0"], ["forecast", data, "--out"], ["check", data, "extra"],
        ["forecast", data, "--formt", "csv"],
    ]
    return cases


def test_every_bad_invocation_answers_in_chinese(tmp_path):
    for args in bad_invocations(tmp_path):
        result = runner.invoke(app, args)
        text = result.output
        assert re.search(r"[\u4e00-\u9fff]", text), (args, text)
        assert not english_sentences(text), (args, english_sentences(text))
        assert "Traceback" not in text, args
        if args[-1] == "--help":
            assert result.exit_code == 0 and "用法：" in text and "显示本帮助并退出。" in text
        else:
            assert result.exit_code == 2, (args, result.exit_code, text)
            assert "错误：" in text or "用法：" in text, (args, text)


def test_usage_errors_name_the_problem(tmp_path):
    cases = {("forecast",): "缺少参数「数据集」",
             ("nosuchcommand",): "没有「nosuchcommand」这个命令",
             ("forecast", str(EXAMPLE), "--horizon", "9"): "「--horizon」的值无效：应不大于 5。",
             ("explain", str(EXAMPLE)): "缺少选项「--teacher」",
             ("check", str(EXAMPLE), "extra"): "多余的参数：extra。"}
    for args, expected in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2 and expected in result.output, (args, result.output)


def test_solver_and_format_list_their_choices_and_a_bad_one_is_a_usage_error(tmp_path):
    help_text = runner.invoke(app, ["rotate", "--help"]).output
    assert "<cbc|highs>" in help_text and "<xlsx|csv|json>" in help_text
    result = runner.invoke(app, ["rotate", str(EXAMPLE), "--solver", "gurobi", "--out", str(tmp_path / "j.xlsx")])
    assert result.exit_code == 2
    assert "「gurobi」不是可选值" in result.output and "cbc" in result.output
    assert not (tmp_path / "j.xlsx").exists()


def test_misspelt_config_key_is_called_a_parameter(tmp_path):
    cfg = tmp_path / "staffplan.toml"
    cfg.write_text("[quota]\nratio_primery = 19\n", encoding="utf-8")
    result = runner.invoke(app, ["forecast", str(EXAMPLE), "--config", str(cfg), "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 1
    assert "参数「quota.ratio_primery」" in result.output and "列" not in result.output


def test_check_prints_one_summary_line_unless_verbose():
    quiet = runner.invoke(app, ["check", str(EXAMPLE)])
    assert quiet.exit_code == 0
    assert "表取自" not in quiet.output
    summary = [line for line in quiet.output.splitlines() if line.startswith("已读取")]
    # 学校, 出生人口, 对口, 在校生 (5 sheets of one file), 教师
    assert len(summary) == 1 and "已读取 5 张表" in summary[0] and "在校生（在校生.xlsx，5 个工作表）" in summary[0]
    verbose = runner.invoke(app, ["check", str(EXAMPLE), "--verbose"])
    assert verbose.output.count("表取自") >= 5


def test_translation_table_by_hand():
    assert zh_error("Missing argument 'data'.") == "缺少参数「data」。"
    assert zh_error("Invalid value for '--x': Input should be a valid integer, unable to parse string") == \
        "「--x」的值无效：应为整数。"
    assert zh_help("Usage: staffplan [OPTIONS] COMMAND [ARGS]...") == "用法：staffplan [选项] 命令 [参数]..."
    assert zh_error("something new from the framework") == "something new from the framework"  # kept, not lost


def test_console_tables_do_not_wrap_at_80_columns(tmp_path):
    """Each table renders in as many lines at 80 columns as at 200: no cell is broken over two lines."""
    from staffplan.config import load_config
    from staffplan.forecast.pipeline import run_forecast
    from staffplan.io.dataset import load_dataset
    from staffplan.forecast.backtest import run_backtest
    from staffplan.report.console import backtest_tables, forecast_tables

    ds = load_dataset(EXAMPLE)
    result = run_forecast(ds, load_config(None))
    tables = forecast_tables(result, result.summary()) + backtest_tables(run_backtest(ds, load_config(None), years=2))
    assert len(tables) >= 6
    for table in tables:
        lines = {}
        for width in (80, 200):
            console = Console(width=width, record=True, file=open(tmp_path / f"w{width}.txt", "w"))
            console.print(table)
            lines[width] = console.export_text().rstrip("\n").splitlines()
        assert len(lines[80]) == len(lines[200]), table.title
        assert max(len(line) for line in lines[80]) <= 80


#: the shared options each command takes; those left out do not apply (template/redact/demo write to the folder
#: given as argument; check, explain and backtest write no file or have no plan year)
SHARED = {"template": {"--json", "--quiet"},
          "check": {"--config", "--json", "--quiet"},
          "forecast": {"--year", "--config", "--out", "--json", "--quiet"},
          "backtest": {"--config", "--out", "--json", "--quiet"},
          "rotate": {"--year", "--config", "--out", "--json", "--quiet"},
          "explain": {"--year", "--config", "--json", "--quiet"},
          "report": {"--year", "--config", "--out", "--json", "--quiet"},
          "redact": {"--config", "--json", "--quiet"},
          "demo": {"--json", "--quiet"}}


def test_shared_options_per_command():
    for name, expected in SHARED.items():
        text = runner.invoke(app, [name, "--help"]).output
        offered = {o for o in ("--year", "--config", "--out", "--json", "--quiet") if re.search(rf"{o}\b", text)}
        assert offered == expected, (name, offered ^ expected)


def test_district_comes_from_the_schools_table_when_not_configured():
    from types import SimpleNamespace

    import pandas as pd

    from staffplan.cli import _district_from_schools
    from staffplan.config import load_config

    one = SimpleNamespace(schools=pd.DataFrame({"county": ["河口区", "河口区", ""]}))
    two = SimpleNamespace(schools=pd.DataFrame({"county": ["河口区", "山前县"]}))
    cfg = load_config(None)
    assert _district_from_schools(cfg, one)["output.district"] == "河口区"
    assert _district_from_schools(cfg, two)["output.district"] == ""  # two districts: no single name
    set_by_hand = cfg.with_overrides({"output.district": "江北区"}, "配置文件")
    assert _district_from_schools(set_by_hand, one)["output.district"] == "江北区"


def test_sources_line_counts_a_folder_of_statistics_workbooks():
    # 84 workbooks of one table (one per school and year) are counted, not listed on a 5,000-character line
    from staffplan.cli import _sources_line

    srcs = [{"table": "enrollment", "file": f"在校生/2025学年/学校{i:02d}.xlsx", "sheet": "教基3112_小学"} for i in range(84)]
    srcs.append({"table": "schools", "file": "学校.xlsx", "sheet": "学校"})
    line = _sources_line(srcs, 0)
    assert line == "已读取 2 张表：在校生（84 个文件，如「在校生/2025学年/学校00.xlsx」）、学校（学校.xlsx）。"
