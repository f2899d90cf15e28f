"""County jobs on a Dask distributed cluster give the same plan as the local run (issue 18).

The cluster is a ``distributed.LocalCluster`` started by the test: 2 workers, threads (processes=False) so that
it starts in well under a second; the jobs are shipped to the workers through the scheduler exactly as to a
remote cluster (the parent submits one task per county carrying only that county's rows)."""
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.optimize.executor import JOBS_TASK
from staffplan.optimize.pipeline import rotate_frames

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def frames():
    from test_optimize_synth import make_district

    return make_district(n_counties=3, schools_per_county=8, teachers_per_school=12, seed=11)


def test_dask_run_identical_to_local(cluster, frames):
    local = rotate_frames(*frames, default_config(), 2026)
    calls = []
    cfg = default_config().with_overrides({"solver.scheduler": cluster.scheduler_address})
    remote = rotate_frames(*frames, cfg, 2026, progress=lambda *a: calls.append(a))
    assert set(remote.requirements) == {"县00", "县01", "县02"}
    assert len(remote.exchanges) > 0
    a, b = local.sheets(), remote.sheets()
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    # the progress callback saw the three county jobs: 0, 1, 2, 3 done out of 3
    assert [c for c in calls if c[0] == JOBS_TASK] == [(JOBS_TASK, d, 3) for d in range(4)]
    # each county's job ran on the cluster: the scheduler saw three county tasks finish in memory
    done = {str(t[0]) for t in cluster.scheduler.transition_log if t[2] == "memory"}
    assert len({k for k in done if k.startswith("_call-")}) == 3
