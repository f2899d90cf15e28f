"""exchange.max_share: an optional yearly cap on moves (default off)."""
from __future__ import annotations

import math

import pytest

from staffplan.cli import example_path
from staffplan.config import default_config
from staffplan.errors import ConfigError
from staffplan.io.dataset import load_dataset
from staffplan.optimize.pipeline import run_rotate


@pytest.fixture(scope="module")
def example():
    return load_dataset(example_path())


def test_cap_equal_to_the_floor_is_feasible(example):
    # base = compulsory 专任教师 not past retirement; quota ceil(0.05 · base) and cap ceil(0.05 · base): the same
    # rounding on both sides, so max_share = min_share_compulsory gives exactly the quota and needs no slack
    cfg = default_config().with_overrides({"exchange.max_share": 0.05, "exchange.compare_plans": False})
    rot = run_rotate(example, cfg)     # no InfeasiblePlan: neither the model nor the audit objects
    s = rot.summary()
    assert s["required"] == math.ceil(0.05 * s["compulsory_teachers"] - 1e-9)
    assert s["exchanged"] == s["required"]
    assert not (rot.slacks["value"] > 1e-6).any() and rot.diagnosis.empty and rot.audit.empty


def test_cap_below_the_floor_is_a_config_error(example):
    cfg = default_config().with_overrides({"exchange.max_share": 0.03})
    with pytest.raises(ConfigError, match="exchange.max_share"):
        run_rotate(example, cfg)
