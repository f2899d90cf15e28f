"""HiGHS keeps one thread scheduler per process: a one-county data set solves with ``solver.threads_solo`` threads,
a several-county one with ``solver.threads``; the same process (a test run, a Dask worker) must be able to do both
one after the other, in either order, and get the same plans each time."""
from staffplan.config import default_config
from staffplan.optimize.pipeline import rotate_frames, solo_threads

from test_optimize_synth import make_district


def test_thread_count_follows_the_number_of_counties():
    cfg = default_config()
    assert int(solo_threads(cfg, 1)["solver.threads"]) == int(cfg["solver.threads_solo"])
    assert int(solo_threads(cfg, 3)["solver.threads"]) == int(cfg["solver.threads"])


def test_one_county_then_several_then_one_again_in_one_process():
    one = make_district(n_counties=1, schools_per_county=8, teachers_per_school=12, seed=11)
    three = make_district(n_counties=3, schools_per_county=8, teachers_per_school=12, seed=11)
    cfg = default_config()
    runs = [rotate_frames(*frames, cfg, 2026) for frames in (one, three, one, three)]
    assert all(r.result.code == "optimal" for r in runs)          # no solve refused by the scheduler
    assert runs[0].exchanges.equals(runs[2].exchanges) and runs[1].exchanges.equals(runs[3].exchanges)
    assert len(runs[0].exchanges) > 0 and len(runs[1].exchanges) > 0


def test_a_county_too_large_to_solve_is_refused_with_one_sentence():
    import pytest

    from staffplan.errors import InputError

    three = make_district(n_counties=3, schools_per_county=8, teachers_per_school=12, seed=11)
    with pytest.raises(InputError) as err:     # 5 rows: far below any county's candidate rows here
        rotate_frames(*three, default_config().with_overrides({"solver.max_county_rows": 5}), 2026)
    msg = str(err.value)
    assert "solver.max_county_rows = 5" in msg and "区县" in msg and "\n" not in msg
    # 0 = no limit: the same data solve
    assert rotate_frames(*three, default_config().with_overrides({"solver.max_county_rows": 0}), 2026).result.ok


def test_share_lines_state_the_rule_and_what_the_plan_reached():
    import math

    from staffplan.optimize.explain import share_lines

    three = make_district(n_counties=3, schools_per_county=8, teachers_per_school=12, seed=11)
    rot = rotate_frames(*three, default_config(), 2026)
    s = rot.summary()
    lines = share_lines(rot)
    # the quota is ceil(5 % × compulsory teachers), per county, summed
    per_county = sum(math.ceil(0.05 * r["base"] - 1e-9) for r in rot.requirements.values() if r["base"])
    assert s["required"] == per_county
    assert f"需交流 {per_county:,} 人" in lines["交流人数与比例"]
    assert f"本方案交流 {len(rot.exchanges):,} 人" in lines["交流人数与比例"]
    assert f"{len(rot.exchanges) and s['backbone'] / len(rot.exchanges):.1%}" in lines["骨干教师"]

