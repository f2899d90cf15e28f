"""The example district: CBC and HiGHS give the same plan, and the independent audit finds no breach."""
from __future__ import annotations

import pandas as pd
import pytest

from staffplan.cli import example_path
from staffplan.config import default_config
from staffplan.forecast.pipeline import run_forecast
from staffplan.io.dataset import load_dataset
from staffplan.optimize.pipeline import run_rotate


@pytest.fixture(scope="module")
def example():
    ds = load_dataset(example_path())
    cfg = default_config().with_overrides({"exchange.compare_plans": False})
    return ds, cfg, run_forecast(ds, cfg)


def test_same_plan_with_cbc_and_highs_and_no_audit_breach(example):
    ds, cfg, fc = example
    rot = {s: run_rotate(ds, cfg, forecast=fc, solver=s) for s in ("highs", "cbc")}
    for r in rot.values():
        assert r.audit.empty and r.diagnosis.empty and r.result.code == "optimal"
        s = r.summary()
        # moves: at least the quota, and each move past it must buy its cost (no per-move reward any more)
        assert s["required"] <= s["exchanged"] < 2 * s["required"]
        assert s["shortage_periods_after"] < s["shortage_periods_before"]
    a, b = rot["highs"].sheets(), rot["cbc"].sheets()
    for name in ("交流名单", "走教安排", "缺口覆盖"):
        pd.testing.assert_frame_equal(a[name], b[name])


def test_summary_shortage_figures_are_the_coverage_sheets_figures(example):
    """One number, one place: rotate's JSON summary (console, 说明) gives the shortage periods before and after the
    plan as the 缺口覆盖 sheet shows them and the memo computes them from it (Σ of the cells shown at 0.1)."""
    from staffplan.report.figures import coverage

    ds, cfg, fc = example
    rot = run_rotate(ds, cfg, forecast=fc)
    s, sheets = rot.summary(), rot.sheets()
    cv = sheets["缺口覆盖"]
    cells = cv[cv["学校代码"].astype(str) != "合计"]
    assert s["shortage_periods_before"] == pytest.approx(round(cells["原缺口课时"].clip(lower=0).sum(), 1))
    assert s["shortage_periods_after"] == pytest.approx(round(cells["剩余缺口课时"].clip(lower=0).sum(), 1))
    memo = coverage(sheets)
    assert memo is not None
    assert (s["shortage_periods_before"], s["shortage_periods_after"]) == pytest.approx((memo.before, memo.after))
