"""Safety checks made BEFORE a workbook is parsed: archive size (zip bombs), member count, file kind.

An .xlsx/.xlsm/.ods file is a zip archive. Its central directory declares every member's uncompressed
size; a hostile or broken file may declare (or really hold) gigabytes of XML in a few kilobytes. The
sizes are checked here, from the directory alone, so nothing is decompressed before the check passes.
Problems raise :class:`InputError` with one Chinese sentence naming the file.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..errors import ERROR, InputError, Issue

DEFAULT_MAX_UNCOMPRESSED_MB = 1000.0
# A member that expands more than this many times is a zip bomb, not a worksheet (real sheet XML
# compresses 5–50×, very repetitive sheets about 200×).
DEFAULT_MAX_RATIO = 300.0
# Ratios are only judged on members at least this big (tiny members can have any ratio).
_RATIO_MIN_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_MEMBERS = 10000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".ods"}


def _fail(name: str, message: str) -> InputError:
    return InputError(Issue(ERROR, message, file=name, code="limits"))


def _configured_limit(max_uncompressed_mb: float | None) -> float:
    if max_uncompressed_mb is not None:
        return float(max_uncompressed_mb)
    try:
        from ..config import default_config

        return float(default_config().get("input.max_uncompressed_mb", DEFAULT_MAX_UNCOMPRESSED_MB))
    except Exception:  # configuration problems are reported elsewhere
        return DEFAULT_MAX_UNCOMPRESSED_MB


def check_archive(path: Path | str | bytes, max_uncompressed_mb: float | None = None, *, display_name: str | None = None,
                  max_ratio: float = DEFAULT_MAX_RATIO, max_members: int = DEFAULT_MAX_MEMBERS) -> int:
    """Check a zip-based workbook before parsing it; return the total declared uncompressed size (bytes).

    Raises InputError (naming the file) when the file is not a readable zip archive, declares more than
    ``max_uncompressed_mb`` MB in total (default: ``input.max_uncompressed_mb`` or 1000), has a member
    that expands more than ``max_ratio`` times, or has more than ``max_members`` members.
    Only the central directory is read; nothing is decompressed.  ``path`` may be the file's bytes already
    read (the reader reads each file once), then ``display_name`` names it.
    """
    data = path if isinstance(path, (bytes, bytearray)) else None
    path = None if data is not None else Path(path)
    name = display_name or (path.name if path is not None else "")
    limit_mb = _configured_limit(max_uncompressed_mb)
    try:
        if data is None:
            with open(path, "rb") as fh:
                head = fh.read(8)
        else:
            head = bytes(data[:8])
    except OSError:
        raise _fail(name, "文件无法打开（可能被其他程序占用或没有读取权限）") from None
    if head.startswith(OLE_MAGIC):
        raise _fail(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再试")
    try:
        with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _fail(name, "文件不是有效的工作簿（压缩结构损坏，或是改了扩展名的其他文件），"
                          "请在 Excel 中打开后另存为 .xlsx") from None
    if len(infos) > max_members:
        raise _fail(name, f"工作簿内部包含 {len(infos)} 个部件，超过上限 {max_members} 个，疑似损坏或恶意文件")
    total = 0
    for info in infos:
        size = max(int(info.file_size), 0)
        total += size
        packed = max(int(info.compress_size), 1)
        if size >= _RATIO_MIN_BYTES and size / packed > max_ratio:
            raise _fail(name, f"工作簿内部数据的压缩比异常（{size / packed:.0f} 倍，上限 {max_ratio:g} 倍），"
                              "疑似压缩炸弹，已拒绝读取")
    if total > limit_mb * 1024 * 1024:
        raise _fail(name, f"工作簿解压后大小 {total / 1048576:.0f} MB 超过上限 {limit_mb:g} MB"
                          "（配置项 input.max_uncompressed_mb），疑似压缩炸弹或数据过大，已拒绝读取")
    return total


def check_file(path: Path | str, *, max_file_mb: float | None = None, max_uncompressed_mb: float | None = None,
               display_name: str | None = None, archive: bool = True) -> None:
    """All pre-parse checks for one input file: exists, not empty, size, and (for zip workbooks) the archive."""
    path = Path(path)
    name = display_name or path.name
    if not path.exists():
        raise _fail(name, "找不到文件")
    if path.is_dir():
        raise _fail(name, "这是一个文件夹，不是电子表格文件")
    size = path.stat().st_size
    if size == 0:
        raise _fail(name, "文件是空的（0 字节），请检查是否保存完整")
    if max_file_mb is None:
        try:
            from ..config import default_config

            max_file_mb = float(default_config().get("input.max_file_mb", 100))
        except Exception:
            max_file_mb = 100.0
    if size > float(max_file_mb) * 1024 * 1024:
        raise _fail(name, f"文件大小 {size / 1048576:.1f} MB 超过上限 {float(max_file_mb):g} MB（配置项 input.max_file_mb）")
    if archive and path.suffix.lower() in ZIP_SUFFIXES:
        check_archive(path, max_uncompressed_mb, display_name=name)
