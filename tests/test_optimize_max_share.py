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


def test_cap_bounds_the_moves_and_keeps_the_floor(example):
    cfg = default_config().with_overrides({"exchange.max_share": 0.06})
    s = run_rotate(example, cfg).summary()
    cap = math.floor(0.06 * s["compulsory_teachers"])          # one county in the example
    assert s["required"] <= s["exchanged"] <= cap
    uncapped = run_rotate(example, default_config()).summary()
    assert uncapped["exchanged"] > cap                          # the cap really binds on the example


def test_cap_below_the_floor_is_a_config_error(example):
    cfg = default_config().with_overrides({"exchange.max_share": 0.03})
    with pytest.raises(ConfigError, match="exchange.max_share"):
        run_rotate(example, cfg)
