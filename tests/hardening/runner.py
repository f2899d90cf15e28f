"""Helpers shared by tests/test_hardening*.py: run the CLI in-process and inspect outputs."""
from __future__ import annotations

import contextlib
import hashlib
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

ID18 = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9Xx])")
HEALTH_WORDS = ("孕期", "哺乳期", "重大疾病", "怀孕", "哺乳", "疾病")


@dataclass
class Run:
    code: int
    output: str          # stdout and stderr as a planner sees them (plus any escaped traceback)
    exception: BaseException | None


@contextlib.contextmanager
def wide_consoles(width: int = 400):
    """Rich wraps at 80 columns when not on a terminal; widen so messages stay on one line."""
    from staffplan import cli

    saved = [(c, c._width) for c in (cli.console, cli.err_console)]
    try:
        for c, _ in saved:
            c.width = width
        yield
    finally:
        for c, w in saved:
            c._width = w


def invoke(args: list[str], env: dict | None = None) -> Run:
    from staffplan.cli import app

    runner = CliRunner()
    with wide_consoles():
        result = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=True)
    output = result.output  # click >= 8.2: stdout and stderr mixed, as on a terminal
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        output += "\nTraceback (escaped the CLI):\n" + "".join(traceback.format_exception(exc))
    return Run(result.exit_code, output, exc if not isinstance(exc, SystemExit) else None)


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root (or of root itself when it is a file)."""
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root.parent if root.is_file() else root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


def sheet_values(path: Path, skip: tuple[str, ...] = ("说明",)) -> dict[str, list[tuple]]:
    """All cell values of every sheet of a workbook (except ``skip``)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
                if ws.title not in skip}
    finally:
        wb.close()


def all_text(path: Path) -> str:
    """Every cell of every sheet as one text (for grepping)."""
    vals = sheet_values(path, skip=())
    return "\n".join("\t".join("" if v is None else str(v) for v in row) for rows in vals.values() for row in rows)
