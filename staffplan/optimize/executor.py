"""Where the county jobs of ``staffplan rotate`` run (issue 18).

Exchange and 走教 stay inside a county, so every county's candidates, models and solves form one independent
job (optimize/pipeline.py).  An :class:`Executor` runs a list of such jobs and returns their results **in job
order**, whatever order they finish in, so the plan is the same on every executor:

- :class:`Sequential` — in this process (one county, a small roster, or ``solver.workers = 1``);
- :class:`LocalPool` — the default for several counties and at least ``solver.parallel_min_teachers`` teachers:
  a ``concurrent.futures.ProcessPoolExecutor`` with ``solver.workers`` (0 = CPU cores) processes;
- :class:`DaskCluster` — when ``--scheduler ADDRESS`` or config ``solver.scheduler`` names a Dask scheduler
  (``tcp://host:8786``): the jobs go to the workers of that `Dask distributed
  <https://distributed.dask.org>`_ cluster.  Dask rather than Ray: it is pure Python, pip-installable on the
  Windows and Linux desktops bureaus use, starts with two commands (``dask scheduler``, ``dask worker``), and
  its futures API maps one county job to one task with no other framework to learn.

Each job carries only its own county's rows (teachers, gap cells, schools, distances) and the config; the
workers need the same staffplan version installed (``pip install "staffplan[distributed]"``).
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any, Callable, Optional, Sequence

from ..errors import ConfigError, ERROR, Issue
from ..progress import Progress, report

JOBS_TASK = "区县求解"      # progress label: county jobs done / total


class Executor(ABC):
    """Runs ``fn(*job)`` for every job; results in job order; ``progress(task, done, total)`` as jobs finish."""

    name = ""

    @abstractmethod
    def map(self, fn: Callable, jobs: Sequence[tuple], progress: Optional[Progress] = None) -> list:
        ...


def _tick(progress: Optional[Progress], done: int, total: int) -> None:
    report(progress, JOBS_TASK, done, total)


class Sequential(Executor):
    name = "sequential"

    def map(self, fn, jobs, progress=None):
        out = []
        _tick(progress, 0, len(jobs))
        for job in jobs:
            out.append(fn(*job))
            _tick(progress, len(out), len(jobs))
        return out


class LocalPool(Executor):
    name = "local"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))

    def map(self, fn, jobs, progress=None):
        from concurrent.futures import ProcessPoolExecutor, as_completed

        _tick(progress, 0, len(jobs))
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs))) as pool:
            futures = [pool.submit(fn, *job) for job in jobs]
            for done, _ in enumerate(as_completed(futures), start=1):
                _tick(progress, done, len(jobs))
            return [f.result() for f in futures]


class DaskCluster(Executor):
    name = "dask"

    def __init__(self, address: str, timeout: float = 10.0):
        self.address = address
        self.timeout = float(timeout)

    def _client(self):
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(Issue(ERROR, f"指定了 Dask 调度器 {self.address}，但本机没有安装 dask[distributed]："
                                    "请运行 pip install \"staffplan[distributed]\"", column="solver.scheduler"))
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(Issue(ERROR, f"无法在 {self.timeout:g} 秒内连接 Dask 调度器 {self.address}（{exc}）："
                                    "请检查地址（如 tcp://10.0.0.5:8786）、调度器是否已用 dask scheduler 启动、"
                                    "防火墙是否放行该端口", column="solver.scheduler"))

    def map(self, fn, jobs, progress=None):
        from distributed import as_completed

        client = self._client()
        try:
            _tick(progress, 0, len(jobs))
            # each county's rows go straight to one worker (scatter), then its job runs there
            data = client.scatter([tuple(job) for job in jobs], hash=False)
            futures = [client.submit(_call, fn, d, pure=False) for d in data]
            for done, _ in enumerate(as_completed(futures, loop=client.loop), start=1):
                _tick(progress, done, len(jobs))
            return client.gather(futures)
        finally:
            client.close()


def _call(fn: Callable, job: tuple):
    return fn(*job)


def executor_for(config, n_jobs: int, n_teachers: int) -> Executor:
    """The executor for ``n_jobs`` county jobs over ``n_teachers`` teachers (see module doc)."""
    address = str(config.get("solver.scheduler", "") or "").strip()
    if address:
        return DaskCluster(address, float(config.get("solver.scheduler_timeout", 10) or 10))
    workers = int(config["solver.workers"]) or os.cpu_count() or 1
    if n_jobs > 1 and workers > 1 and n_teachers >= int(config["solver.parallel_min_teachers"]):
        return LocalPool(min(workers, n_jobs))
    return Sequential()


def run_jobs(fn: Callable, jobs: Sequence[tuple], config, n_teachers: int,
             progress: Optional[Progress] = None) -> list[Any]:
    """Run the county jobs on :func:`executor_for`'s executor; results in job order."""
    return executor_for(config, len(jobs), n_teachers).map(fn, jobs, progress)
