"""National-system code tables (GB/T codes, 教职工类别, 办学类型 …), kept as data in data/codes/.

``decode(field, raw)`` turns a coded cell — ``代码-名称`` (``1-男``), a bare code (``1``) or a bare name —
into the canonical value for ``field`` or returns None when the value is not a code of that field.
(Stub: filled in by the national-exports work.)
"""
from __future__ import annotations


def decode(field: str, raw: object) -> str | None:
    return None
