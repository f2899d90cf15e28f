"""Each input file is opened and read once per load (issue 18): the SHA-256 the 说明 sheet records is computed
from the bytes that were parsed, and equals hashlib.sha256 of the file."""
from __future__ import annotations

import builtins
import hashlib
import io
from collections import Counter
from pathlib import Path

import pytest

from staffplan.io.dataset import load_dataset

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def opened(monkeypatch):
    """Counter of the files opened (io.open: what open(), Path.read_bytes and zipfile use)."""
    seen: Counter = Counter()
    real = io.open

    def counting(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            seen[Path(file).resolve()] += 1
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting)
    monkeypatch.setattr(builtins, "open", counting)
    return seen


@pytest.mark.parametrize("name", ["示例区", "示例区-国家系统格式"])
def test_each_input_read_once_and_checksum_is_sha256(name, opened):
    root = EXAMPLES / name
    ds = load_dataset(root)
    inputs = sorted(p.resolve() for p in root.rglob("*.xlsx"))
    assert len(inputs) >= 5
    assert {p: opened[p] for p in inputs} == {p: 1 for p in inputs}      # every input opened exactly once
    files = {(s["file"], s["sha256"]) for s in ds.sources}
    assert len({f for f, _ in files}) == len(inputs)                       # each file recorded, one checksum
    for file, sha in files:
        assert sha == hashlib.sha256((root / file).read_bytes()).hexdigest(), file


def test_csv_checksum_is_sha256(tmp_path):
    from staffplan.io.excel import read_sheets

    path = tmp_path / "教师.csv"
    path.write_bytes("教师编号,姓名\nT1,张三\n".encode("gb18030"))     # a GBK export, as bureaus send
    sheets = read_sheets(path)
    assert sheets[0].rows == [["教师编号", "姓名"], ["T1", "张三"]]
    assert sheets[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
