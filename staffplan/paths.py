"""Where the shipped tables live.

Every table (vocabularies, code tables, aliases, curriculum, retirement ages, default settings) is in the
top-level ``data/`` folder of the source tree, installed as the package ``staffplan.data`` (see
``[tool.setuptools.package-dir]`` in pyproject.toml). Code reaches it only through :func:`data_file`.
"""
from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def data_root() -> Traversable:
    """The ``data/`` folder as shipped (a folder on disk for a source or editable install)."""
    return resources.files("staffplan.data")


def data_file(*parts: str) -> Traversable:
    """A file below ``data/``, e.g. ``data_file("aliases", "values_title.csv")``."""
    node = data_root()
    for part in parts:
        node = node / part
    return node


def data_rows(*parts: str) -> list[dict[str, str]]:
    """A CSV table below ``data/`` as rows of text (lines starting with # are its notes, each table cites its source
    in one; empty cells are ""). The one reader of the shipped tables: :func:`data_table` gives the same rows as a
    DataFrame, for callers that have pandas loaded (``staffplan --help`` reads its messages without it)."""
    return _read(*parts)[1]


def data_table(*parts: str):
    """:func:`data_rows` as a DataFrame of text (the header's columns even when the table has no rows)."""
    import pandas as pd     # here, not at import: `staffplan --help` does not load pandas

    header, rows = _read(*parts)
    return pd.DataFrame(rows, columns=header, dtype=str)


def _read(*parts: str) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of a data/ table, read once."""
    import csv

    text = data_file(*parts).read_text(encoding="utf-8-sig")
    reader = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), restval="")
    rows = [dict(r) for r in reader]
    return list(reader.fieldnames or []), rows
