"""Progress bars in the CLI (issue 18): drawn on a terminal, silent with --quiet and --json."""
from __future__ import annotations

import io
import shutil

import pytest
from rich.console import Console
from typer.testing import CliRunner

import staffplan.cli as cli
from staffplan.cli import app, example_path

runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    dst = tmp_path_factory.mktemp("ex") / "示例区"
    shutil.copytree(example_path(), dst)
    return dst


@pytest.fixture
def terminal(monkeypatch):
    """stderr as a terminal (progress bars are only drawn on one), captured in a buffer."""
    buf = io.StringIO()
    monkeypatch.setenv("TERM", "xterm-256color")      # other tests may leave TERM=dumb, where rich draws no bars
    monkeypatch.setattr(cli, "err_console", Console(file=buf, force_terminal=True, width=120))
    return buf


def test_forecast_shows_phases_on_a_terminal(example, tmp_path, terminal):
    result = runner.invoke(app, ["forecast", str(example), "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 0, result.output
    text = terminal.getvalue()
    assert "预测" in text and "5/5" in text          # five phases, all done


def test_county_job_bar_shows_done_total_elapsed_remaining(terminal):
    # what rotate draws: the executor reports ("区县求解", done, total) as county jobs finish
    with cli._Bars() as progress:
        for done in range(4):
            progress("区县求解", done, 3)
    text = terminal.getvalue()
    assert "区县求解" in text and "3/3" in text and "已用" in text and "剩余" in text


@pytest.mark.parametrize("quiet, as_json", [(True, False), (False, True)])
def test_silent_with_quiet_and_json(example, terminal, quiet, as_json):
    common = cli.Common(example, None, None, as_json, quiet, False)
    with common.progress() as progress:
        assert progress is None                      # nothing to call, nothing drawn
    assert terminal.getvalue() == ""


def test_backtest_reports_each_origin_year(example):
    from staffplan.config import load_config
    from staffplan.forecast.backtest import run_backtest
    from staffplan.io.dataset import load_dataset

    calls = []
    run_backtest(load_dataset(example, None), load_config(None), years=2, quota=False,
                 progress=lambda *a: calls.append(a))
    # two origin years hidden → 0, 1, 2 done out of 2
    assert calls == [("回测年份", 0, 2), ("回测年份", 1, 2), ("回测年份", 2, 2)]
