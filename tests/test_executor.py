"""The executor interface for county jobs (issue 18): sequential, local process pool, Dask; job order kept."""
import time

import pytest

from staffplan.config import default_config
from staffplan.errors import ConfigError
from staffplan.optimize.executor import (JOBS_TASK, DaskCluster, LocalPool, Sequential, executor_for, run_jobs)


def _slow_square(x, delay):
    time.sleep(delay)
    return x * x


def _recorder():
    calls = []
    return calls, lambda task, done, total: calls.append((task, done, total))


def test_executor_choice_follows_config():
    cfg = default_config().with_overrides({"solver.parallel_min_teachers": 100, "solver.workers": 4})
    assert isinstance(executor_for(cfg, n_jobs=1, n_teachers=10_000), Sequential)     # one county
    assert isinstance(executor_for(cfg, n_jobs=3, n_teachers=99), Sequential)         # small roster
    pool = executor_for(cfg, n_jobs=3, n_teachers=100)
    assert isinstance(pool, LocalPool) and pool.workers == 3                          # min(4 workers, 3 jobs)
    one = cfg.with_overrides({"solver.workers": 1})
    assert isinstance(executor_for(one, n_jobs=3, n_teachers=100), Sequential)
    dask = executor_for(cfg.with_overrides({"solver.scheduler": " tcp://10.0.0.5:8786 "}), 1, 10)
    assert isinstance(dask, DaskCluster) and dask.address == "tcp://10.0.0.5:8786"     # even for one county


@pytest.mark.parametrize("executor", [Sequential(), LocalPool(2)], ids=["sequential", "local"])
def test_results_in_job_order_and_progress(executor):
    # the first job is the slowest, so it finishes last in the pool: results must still be 0², 1², 2², 3²
    jobs = [(0, 0.3), (1, 0.0), (2, 0.0), (3, 0.0)]
    calls, progress = _recorder()
    assert executor.map(_slow_square, jobs, progress) == [0, 1, 4, 9]
    # one report before any job, then one per finished job: done = 0, 1, 2, 3, 4 out of 4
    assert calls == [(JOBS_TASK, d, 4) for d in range(5)]


def test_run_jobs_without_progress():
    cfg = default_config().with_overrides({"solver.parallel_min_teachers": 10 ** 9})
    assert run_jobs(_slow_square, [(2, 0.0), (3, 0.0)], cfg, n_teachers=5) == [4, 9]


def test_unreachable_scheduler_is_a_clear_config_error():
    pytest.importorskip("distributed")
    cfg = default_config().with_overrides({"solver.scheduler": "tcp://127.0.0.1:9", "solver.scheduler_timeout": 1})
    with pytest.raises(ConfigError) as err:
        run_jobs(_slow_square, [(2, 0.0)], cfg, n_teachers=5)
    text = str(err.value)
    assert "无法在 1 秒内连接 Dask 调度器 tcp://127.0.0.1:9" in text and "solver.scheduler" in text


def test_cli_scheduler_option_unreachable_exits_1(tmp_path):
    pytest.importorskip("distributed")
    import shutil

    from typer.testing import CliRunner

    from staffplan.cli import app, example_path

    data = tmp_path / "示例区"
    shutil.copytree(example_path(), data)
    cfg = tmp_path / "staffplan.toml"
    cfg.write_text("[solver]\nscheduler_timeout = 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["rotate", str(data), "--config", str(cfg), "--scheduler", "tcp://127.0.0.1:9",
                                      "--out", str(tmp_path / "交流.xlsx")])
    assert result.exit_code == 1
    assert "无法在 1 秒内连接 Dask 调度器 tcp://127.0.0.1:9" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "交流.xlsx").exists()                       # nothing written
