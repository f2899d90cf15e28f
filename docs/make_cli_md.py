"""Regenerate docs/cli.md from the commands' --help (tests/test_docs.py checks it is current).

    python docs/make_cli_md.py > docs/cli.md
"""
from __future__ import annotations

import os

os.environ["COLUMNS"] = "100"
os.environ["TERM"] = "dumb"
os.environ["NO_COLOR"] = "1"

from typer.testing import CliRunner  # noqa: E402

from staffplan.cli import app  # noqa: E402

COMMANDS = ["template", "check", "forecast", "backtest", "rotate", "explain", "report", "redact", "demo"]


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(app, args + ["--help"], env={"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"},
                                prog_name="staffplan")
    return "\n".join(line.rstrip() for line in result.output.strip().splitlines())


def render() -> str:
    parts = ["# staffplan 命令参考", "", "本文件由 `python docs/make_cli_md.py > docs/cli.md` 从各命令的 `--help` 生成，请勿手改。", "",
             "```", help_text([]), "```", ""]
    for name in COMMANDS:
        parts += [f"## staffplan {name}", "", "```", help_text([name]), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
