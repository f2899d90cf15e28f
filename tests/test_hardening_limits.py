"""staffplan.io.limits: checks made before a workbook is parsed (zip bombs, encrypted, not a workbook)."""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hardening"))
import make_corpus  # noqa: E402

from staffplan.errors import InputError  # noqa: E402
from staffplan.io.limits import check_archive, check_file  # noqa: E402


@pytest.fixture
def good(tmp_path) -> Path:
    header, rows = make_corpus.build_base()["学校"]
    return make_corpus.write_xlsx(tmp_path / "学校.xlsx", "学校", header, rows)


def _message(exc_info) -> str:
    return exc_info.value.issues.errors[0].sentence()


def test_valid_workbook_passes(good):
    total = check_archive(good, 10)
    assert 0 < total < 10 * 1024 * 1024
    check_file(good, max_file_mb=1, max_uncompressed_mb=10)


def test_declared_size_over_limit(good):
    make_corpus._patch_declared_size(good, "sheet1.xml", 0xF0000000)  # ~3.75 GB declared
    with pytest.raises(InputError) as e:
        check_archive(good, 1000, max_ratio=1e12)  # ratio off: the total alone must trip
    msg = _message(e)
    assert "学校.xlsx" in msg and "1000 MB" in msg and "input.max_uncompressed_mb" in msg


def test_total_over_a_lowered_limit(tmp_path):
    p = tmp_path / "大.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"x" * (3 * 1024 * 1024))
    with pytest.raises(InputError):
        check_archive(p, 2)          # 3 MB > 2 MB
    assert check_archive(p, 4) == 3 * 1024 * 1024


def test_compression_ratio(good):
    make_corpus._real_bomb(good, mb=40)  # 40 MB of blanks, deflated ~1000×
    with pytest.raises(InputError) as e:
        check_archive(good, 1000)
    assert "压缩" in _message(e)
    assert check_archive(good, 1000, max_ratio=1e6) > 40 * 1024 * 1024


def test_member_count(tmp_path):
    p = tmp_path / "多.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        for i in range(30):
            zf.writestr(f"x/{i}.xml", "<a/>")
    with pytest.raises(InputError):
        check_archive(p, 10, max_members=20)
    assert check_archive(p, 10, max_members=30) == 30 * 4


@pytest.mark.parametrize("content,word", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000, "加密"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "不是有效的工作簿"),
    (b"PK\x03\x04" + b"\0" * 50, "不是有效的工作簿"),
])
def test_not_a_workbook(tmp_path, content, word):
    p = tmp_path / "教师.xlsx"
    p.write_bytes(content)
    with pytest.raises(InputError) as e:
        check_archive(p, 10)
    assert word in _message(e) and "教师.xlsx" in _message(e)


def test_check_file_size_and_empty(tmp_path, good):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as e:
        check_file(empty)
    assert "0 字节" in _message(e)
    with pytest.raises(InputError) as e:
        check_file(good, max_file_mb=0.001)
    assert "input.max_file_mb" in _message(e)
    with pytest.raises(InputError):
        check_file(tmp_path / "没有.xlsx")
    with pytest.raises(InputError):
        check_file(tmp_path)
