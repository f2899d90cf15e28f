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


def data_table(*parts: str):
    """A CSV table below ``data/`` as text (lines starting with # are its notes; empty cells stay "")."""
    import pandas as pd     # here, not at import: `staffplan --help` does not load pandas

    with data_file(*parts).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)
