"""Hostile and broken input: every corpus case must fail cleanly (issue 8).

For each case of tests/hardening/make_corpus.py and each command (check, forecast, rotate, backtest):
exit code 1, one Chinese sentence naming the file (and column / row where that applies), no traceback,
no 身份证号 echoed, nothing written to --out, and the input files unchanged.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hardening"))
import make_corpus  # noqa: E402
from runner import ID18, invoke, tree_hashes  # noqa: E402

CASES = {c.name: c for c in make_corpus.generate(Path("/nonexistent"), dry=True)}

def _commands(i: int, case) -> list[str]:
    """Every case runs `check` (check_dataset) and one writing command (cli._load → load_dataset), rotating
    over forecast / rotate / backtest so each of them sees a third of the corpus; all four commands on every
    case with HARDENING_FULL=1 (the reading layer costs ~0.5 s per run, so the full matrix takes minutes)."""
    if os.environ.get("HARDENING_FULL"):
        return case.commands
    writers = [c for c in case.commands if c != "check"]
    return [c for c in case.commands if c == "check"] + ([writers[i % len(writers)]] if writers else [])


PARAMS = [(name, cmd) for i, (name, case) in enumerate(CASES.items()) for cmd in _commands(i, case)]
BASE_IDS = {row[1] for row in make_corpus.build_base()["教师"][1]}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    make_corpus.generate(root)
    return root


def test_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES.values()}) == len(CASES)


def test_base_is_valid(corpus):
    """Control: the unbroken base passes check (otherwise every case below proves nothing)."""
    run = invoke(["check", corpus / "_base"])
    assert run.code == 0, run.output
    assert "Traceback" not in run.output


def _expect_present(token: str, output: str) -> bool:
    return any(alt in output for alt in token.split("|"))


@pytest.mark.parametrize("name,command", PARAMS, ids=[f"{n}-{c}" for n, c in PARAMS])
def test_bad_input_fails_cleanly(corpus, tmp_path, name, command):
    case = CASES[name]
    data = corpus / case.data
    before = tree_hashes(data.parent if data.is_file() else data)
    out_dir = tmp_path / "out"
    args = [command, data]
    if command != "check":
        args += ["--out", out_dir / "结果.xlsx"]
    run = invoke(args)
    out = run.output
    assert "Traceback" not in out, f"{name}: traceback\n{out}"
    assert "内部错误" not in out, f"{name}: internal error instead of an input error\n{out}"
    assert run.code == 1, f"{name} ({case.what}): exit {run.code}, expected 1\n{out}"
    assert CJK.search(out), out
    missing = [t for t in case.expect if not _expect_present(t, out)]
    assert not missing, f"{name} ({case.what}): message lacks {missing}\n{out}"
    leaked = [m for m in ID18.findall(out) if m in BASE_IDS or m.upper() in BASE_IDS]
    assert not leaked, f"{name}: full 身份证号 printed"
    if command != "check":
        assert not out_dir.exists() or not any(out_dir.iterdir()), f"{name}: wrote {list(out_dir.iterdir())}"
    assert tree_hashes(data.parent if data.is_file() else data) == before, f"{name}: input files changed"


def test_formula_without_cached_value_is_reported(tmp_path):
    """A formula in an optional column (openpyxl writes no cached value) must not silently read as blank."""
    t = make_corpus.build_base()
    folder = make_corpus.write_dataset(tmp_path / "数据", t, posts={
        "学校": lambda ws: [setattr(ws.cell(r, 8), "value", f"=10+{r}") for r in range(2, 8)]})  # 核定编制
    run = invoke(["check", folder])
    assert "Traceback" not in run.output
    assert "公式" in run.output, f"no word about formulas without cached values:\n{run.output}"
    assert "学校.xlsx" in run.output
