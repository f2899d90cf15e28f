"""A solve stopped by the time limit: the incumbent is used (never 最优), and without one the user is told what
to do.  The exchange model always starts from the no-move plan, which is feasible."""
from __future__ import annotations

import pulp
import pytest

from staffplan.cli import example_path
from staffplan.config import default_config
from staffplan.errors import InfeasiblePlan
from staffplan.forecast.pipeline import run_forecast
from staffplan.io.dataset import load_dataset
from staffplan.optimize.pipeline import run_rotate
from staffplan.optimize.solve import solve


def _knapsack():
    # max Σ (i + 1) x_i over 30 binaries, Σ (i + 3) x_i ≤ 100: x = 0 is feasible with objective 0
    prob = pulp.LpProblem("k", pulp.LpMaximize)
    x = [prob.add_variable(f"x{i}", 0, 1, pulp.LpInteger) for i in range(30)]
    prob += pulp.lpSum((i + 1) * v for i, v in enumerate(x))
    prob += pulp.lpSum((i + 3) * v for i, v in enumerate(x)) <= 100
    return prob, x


def test_time_limit_keeps_the_start_as_incumbent():
    prob, x = _knapsack()
    cfg = default_config().with_overrides({"solver.time_limit": 1e-9})
    r = solve(prob, cfg, "highs", start={v: 0.0 for v in x})
    assert r.code == "feasible" and r.ok
    assert r.status.startswith("达到时间限制") and "最优" not in r.status.replace("未证明最优", "")
    assert r.objective >= 0.0            # at least the start: Σ (i + 1) · 0 = 0


def test_time_limit_without_incumbent_says_what_to_do():
    prob, _ = _knapsack()
    r = solve(prob, default_config().with_overrides({"solver.time_limit": 1e-9}), "highs")
    if r.code == "feasible":             # HiGHS found a solution before its first time check: nothing to test
        pytest.skip("HiGHS found an incumbent at once")
    assert r.code == "not_solved" and not r.ok
    assert "solver.time_limit" in r.message and "区县" in r.message


def test_rotate_with_tiny_time_limit_is_never_reported_optimal():
    ds = load_dataset(example_path())
    cfg = default_config().with_overrides({"exchange.compare_plans": False, "solver.time_limit": 1e-9})
    with pytest.raises(InfeasiblePlan) as err:
        run_rotate(ds, cfg, forecast=run_forecast(ds, cfg))
    msg = str(err.value)
    # the no-move start plan leaves the 10 % quota unmet (81 required, 0 reached): the message blames the
    # time limit, not the data, and the result is not 最优
    assert "solver.time_limit" in msg
    res = err.value.result.result if err.value.result is not None else None
    assert res is None or res.code != "optimal"


def test_fewer_moves_start_drops_the_cheapest_arrivals_in_cells_that_send_nobody():
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from staffplan.optimize.pipeline import fewer_moves

    ex = pd.DataFrame({"cell": [10, 1, 11], "offer": [12.0, 10.0, 16.0], "cost_km": [5.0, 1.0, 3.0],
                       "out_main": [1, 2, 2], "out_second": [-1, -1, -1]})
    cset = SimpleNamespace(exchange=ex)
    counts = np.array([2, 1, 1])
    # row 1 arrives in cell 1, which sends (row 0 leaves it): never dropped.  Rows 0 and 2 by offer: 12 < 16
    assert fewer_moves(cset, counts, 2).tolist() == [0, 1, 1]     # both moves of row 0
    assert fewer_moves(cset, counts, 3).tolist() == [0, 1, 0]     # then row 2
    assert fewer_moves(cset, counts, 4) is None                   # only 3 droppable moves


def test_fewer_moves_drops_the_move_that_buys_least_weighted_periods():
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from staffplan.optimize.pipeline import fewer_moves

    # cell 10: gap 14, two arrivals of 12 (24 arrive): the second covers only 14 − 12 = 2 periods;
    # cell 11: gap 20, one arrival of 16 → 16;  cell 12: gap 30, weight 1.5, one arrival of 10 → 15
    ex = pd.DataFrame({"cell": [10, 11, 12], "offer": [12.0, 16.0, 10.0], "cost_km": [1.0, 1.0, 1.0],
                       "out_main": [1, 2, 3], "out_second": [-1, -1, -1]})
    cells = pd.DataFrame({"cell": [10, 11, 12], "gap0": [14.0, 20.0, 30.0], "weight": [1.0, 1.0, 1.5]})
    cset = SimpleNamespace(exchange=ex, cells=cells)
    counts = np.array([2, 1, 1])
    assert fewer_moves(cset, counts, 1).tolist() == [1, 1, 1]     # loses 2
    assert fewer_moves(cset, counts, 2).tolist() == [0, 1, 1]     # then the other cell-10 move: 12 < 15 < 16
    assert fewer_moves(cset, counts, 3).tolist() == [0, 1, 0]     # then 1.5 × 10 = 15 < 16


def test_compare_fewer_moves_row_is_the_plan_minus_its_cheapest_moves_without_a_solve(monkeypatch):
    import staffplan.optimize.pipeline as pipeline
    from staffplan.optimize.explain import rotation_sheets

    ds = load_dataset(example_path())
    cfg = default_config().with_overrides({"exchange.compare_move_costs": []})   # only 本方案 + 少交流 rows
    calls = []
    real = pipeline._solve_exchange
    monkeypatch.setattr(pipeline, "_solve_exchange", lambda *a, **k: calls.append(k) or real(*a, **k))
    rot = run_rotate(ds, cfg, forecast=run_forecast(ds, cfg))
    assert len(calls) == 1                   # the plan's own solve only: the 少交流 row is not re-solved
    c = rot.compare.set_index("variant")
    plan, fewer = c.loc["本方案"], c.loc[f"少交流 {pipeline.LAST_MOVES} 人"]
    assert fewer["moves"] == plan["moves"] - 10           # e.g. 89 − 10 = 79 on the example
    assert fewer["left"] >= plan["left"] and fewer["km"] <= plan["km"]   # dropping moves: fewer periods, fewer km
    sheet = rotation_sheets(rot)["交流方案比较"]
    assert sheet.iloc[-1, -1].startswith("不另求解")


def test_gap_policy_per_solver():
    """solver.exact_max_rows (3,000) for every solver, solver.highs_exact_max_rows (here 12,000) for HiGHS: a model
    of 6,500 candidate rows (a district of 5,000 teachers) is proved optimal by HiGHS and stopped at solver.gap by
    CBC (when CBC is kept for it: solver.cbc_large_as_highs off); one of 20,000 rows stops at the gap with both; by
    default (0) HiGHS follows exact_max_rows, and CBC asked for a model above exact_max_rows hands it to HiGHS."""
    from staffplan.optimize.solve import make_solver

    assert make_solver(default_config(), "cbc", size=6_500)[0] == "highs"
    assert make_solver(default_config(), "cbc", size=3_000)[0] == "cbc"
    cfg = default_config().with_overrides({"solver.highs_exact_max_rows": 12_000, "solver.cbc_large_as_highs": False})
    gap = float(cfg["solver.gap"])
    assert gap > 0

    def gap_of(name, size):
        solver = make_solver(cfg, name, size=size)[1]
        return solver.gapRel if name == "highs" else solver.optionsDict["gapRel"]

    assert gap_of("highs", 6_500) == 0.0
    assert gap_of("cbc", 6_500) == gap
    assert gap_of("cbc", 2_000) == 0.0 and gap_of("highs", 2_000) == 0.0
    assert gap_of("highs", 20_000) == gap
    assert make_solver(default_config(), "highs", size=6_500)[1].gapRel == gap


def test_a_plan_stopped_at_the_relative_gap_is_not_called_optimal():
    from staffplan.optimize.solve import Result, combine, optimal_status

    assert optimal_status(0.0) == "最优" and optimal_status(4e-5) == "最优"     # shown as 0.00 %: proven
    assert optimal_status(0.0034).startswith("近似最优") and "0.34%" in optimal_status(0.0034)
    # several counties: the largest gap decides the wording
    one = Result("optimal", optimal_status(0.0), 1.0, 0.0, 0.1, "highs", "1")
    two = Result("optimal", optimal_status(0.0034), 2.0, 0.0034, 0.1, "highs", "1")
    both = combine([one, two])
    assert both.gap == pytest.approx(0.0034) and both.status.startswith("近似最优")
    assert combine([one, one]).status == "最优"


def test_cbc_gap_of_a_completed_search():
    # CBC's last progress line keeps a stale bound; "Result - Optimal solution found" after a search at ratio 0
    # proves the incumbent (the example: 725.54 printed, 726.54 proved) → gap 0, 最优
    from staffplan.optimize.solve import _cbc_gap
    proved = ("Cbc0010I After 4000 nodes, 1 on tree, 726.54462 best solution, best possible 725.72616 (11.37 seconds)\n"
              "Cbc0001I Search completed - best objective 726.5446152209547, took 30158 iterations\n"
              "Result - Optimal solution found\n\nObjective value:                726.54461522\n")
    assert _cbc_gap(proved, 0.0) == 0.0
    # the same words when CBC stops at a ratio above 0: the progress line's bound is the estimate
    # (1615.15659715 − 1608.0032) / 1615.15659715 = 0.4429 %
    at_ratio = ("Cbc0010I After 600 nodes, 290 on tree, 1619.5049 best solution, best possible 1608.0032 (18.71 seconds)\n"
                "Cbc0001I Search completed - best objective 1615.156597145097\n"
                "Result - Optimal solution found\n\nObjective value:                1615.15659715\n")
    assert abs(_cbc_gap(at_ratio, 0.005) - (1615.15659715 - 1608.0032) / 1615.15659715) < 1e-12
    # a run stopped on the time limit: the bound from its log
    stopped = ("Cbc0010I After 100 nodes, 5 on tree, 10.0 best solution, best possible 9.0 (1.0 seconds)\n"
               "Result - Stopped on time limit\n\nObjective value:                10.00000000\n")
    assert abs(_cbc_gap(stopped, 0.0) - 0.1) < 1e-12
