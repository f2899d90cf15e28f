"""Atomic output files: write to a temporary file beside the target, then rename.

Nothing half-written is ever left at the target path: on any exception (including Ctrl-C) the
temporary file is removed. Existing outputs are not replaced without ``force``; inputs never.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import OutputError

_protected: set[Path] = set()
_written: list[Path] = []      # outputs completed by this process (renamed into place), in order


def written_outputs() -> list[Path]:
    """The outputs this process has completed so far (what an interrupted run must not claim it did not write)."""
    return list(_written)


def protect_inputs(paths: Iterable[Path]) -> None:
    """Register input files: no output may be written over them."""
    for p in paths:
        try:
            _protected.add(Path(p).resolve())
        except OSError:
            pass


def is_protected(path: Path) -> bool:
    """True when ``path`` is a registered input file (or a folder holding one)."""
    resolved = Path(path).resolve()
    return any(p == resolved or resolved in p.parents for p in _protected)


def check_target(target: Path, force: bool = False) -> Path:
    target = Path(target)
    resolved = target.resolve()
    if resolved in _protected:
        raise OutputError(f"输出文件「{target}」是输入文件，拒绝覆盖；请用 --out 指定其他路径。")
    if any(p in resolved.parents for p in _protected):
        raise OutputError(f"输出文件「{target}」位于输入数据文件夹内，拒绝写入（以免下次被当作输入读取）；"
                          "请用 --out 指定数据文件夹以外的路径。")
    if target.exists() and not force:
        raise OutputError(f"输出文件「{target}」已存在；如需覆盖请加 --force，或用 --out 指定其他路径。")
    if target.exists() and target.is_dir():
        raise OutputError(f"输出路径「{target}」是一个文件夹，请给出文件名。")
    return target


TEMP_PREFIX = ".~"        # a temporary output: .~预测.ab12cd34.xlsx beside 预测.xlsx
_TEMP_NAME = re.compile(r"\.~(.+)\.[A-Za-z0-9_]{8}(\.\w+)")


def output_for(path: Path | str) -> Path:
    """The output a temporary file of :func:`atomic_path` stands for (.~预测.ab12cd34.xlsx → 预测.xlsx); other paths
    unchanged — a message names what the planner asked for, never the temporary file."""
    p = Path(str(path))
    m = _TEMP_NAME.fullmatch(p.name)
    return p.with_name(m.group(1) + m.group(2)) if m else p


@contextlib.contextmanager
def atomic_path(target: Path | str, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success."""
    target = check_target(Path(target), force)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + target.stem + ".", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; outputs get ordinary permissions
        os.replace(tmp_path, target)
        _written.append(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
