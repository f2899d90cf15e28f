"""Teacher supply for the plan year (domain.md §3, §5).

``teacher_supply`` gives one row per roster row (SUPPLY_COLUMNS):

- ``stage``: the teaching stage (学部) the teacher serves.  Single-stage schools: that stage.  Multi-stage
  schools (九年一贯制, 完全中学, 十二年一贯制): the roster's ``teach_stage`` column when present; otherwise the
  school's stages whose timetable has the subject; if only one (科学 → 小学, 化学 → 初中 in a 九年一贯制) that
  one; if several, the school's teachers of the subject are spread over those stages in proportion to the
  stages' demand periods (ordered by 最高学历, lower first, then birth date, then name — never by the key, so a
  renumbered roster gives the same stages); with no demand known, the lowest stage.
- periods: 周课时 is all the periods a teacher teaches.  When given, the main subject gets it all, or, with a
  兼任学科, the second subject gets the roster's 兼任课时 (capped at 周课时; check warns) and the main subject the
  rest; without 兼任课时, the second subject gets a share of 周课时 (config load.second_subject_share, default
  1/3).  When 周课时 is not given, a full standard load in the main subject, and 兼任课时 (if given) in the
  second.
- ``retire_date`` / ``retire_class`` (预计退休 / 年内退休 / "") from rules.retirement.
- ``counts``: counts as supply in the plan year = 专任教师, 人员状态 在本单位任职 and not 预计退休; ``reason``
  says why not (or notes 年内退休).  Both 在编 and 临聘 teachers teach, so both count here; the quota
  comparison (编制测算) counts only 在编.
- Kindergarten teachers supply whole teachers (``fte_main`` = 1) to subject 学前教育, whatever their
  任教学科.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..rules.curriculum import KG_SUBJECT, standard_load
from ..rules.retirement import LABEL_BEFORE, LABEL_DURING, classify_retirement, legal_retirement_date
from ..rules.standards import SCHOOL_TEACHING_STAGES, STAGE_ORDER, stage_taught
from ..schema import DEGREES, STATUS_AT_POST

DEGREE_RANK = {d: len(DEGREES) - 1 - i for i, d in enumerate(DEGREES)}    # schema.DEGREES is high → low
SUPPLY_COLUMNS = ["teacher_id", "name", "school_id", "school_stage", "stage", "subject", "subject2", "employment",
                  "post", "status", "periods_main", "periods_second", "standard_load", "standard_load2",
                  "fte_main", "fte_second", "retire_date", "retire_class", "counts", "reason"]
SUBJECT_SUPPLY_COLUMNS = ["school_id", "stage", "subject", "supply_periods", "supply_fte", "teachers"]

TEACHER_DEFAULTS = {"name": "", "subject": "其他", "subject2": "", "periods": np.nan, "periods2": np.nan, "employment": "在编",
                    "post": "专任教师", "status": STATUS_AT_POST, "agreed_retirement": pd.NaT,
                    "retirement_group": np.nan, "sex": "", "birth_date": pd.NaT, "degree": "", "title_level": "",
                    "appraisal": "", "appraisal_prev": "", "id_number": ""}


def with_teacher_defaults(teachers: pd.DataFrame) -> pd.DataFrame:
    """A copy with every optional canonical column present (tiny hand-built frames lack some)."""
    t = teachers.copy()
    for col, default in TEACHER_DEFAULTS.items():
        if col not in t.columns:
            t[col] = default
    for col in ("subject2", "status", "post", "employment", "name", "subject"):
        t[col] = t[col].fillna(TEACHER_DEFAULTS[col]).astype(str)
    t["status"] = t["status"].replace("", STATUS_AT_POST)
    t["school_id"] = t["school_id"].astype(str)
    t["teacher_id"] = t["teacher_id"].astype(str)
    return t


def _assign_stage(t: pd.DataFrame, demand: pd.DataFrame | None) -> pd.Series:
    """Teaching stage per teacher (see module doc)."""
    # one call per distinct school stage, then a vectorised map
    uniq = pd.unique(t["school_stage"].astype(object))
    first = {s: (SCHOOL_TEACHING_STAGES.get(s, [None])[0] if isinstance(s, str) else None) for s in uniq}
    count = {s: (len(SCHOOL_TEACHING_STAGES.get(s, [])) if isinstance(s, str) else 0) for s in uniq}
    stage = t["school_stage"].map(first)
    n_stages = t["school_stage"].astype(object).map(count).astype(int)
    multi = n_stages > 1
    if "teach_stage" in t.columns:
        # the roster's 任教学段, where the school teaches that stage (check warns about the others)
        given = t["teach_stage"].fillna("").astype(str).replace("教学点", "小学")
        taught = stage_taught(t["school_stage"].to_numpy(dtype=object), given.to_numpy(dtype=object))
        ok = multi & given.isin(STAGE_ORDER) & taught
        stage = stage.where(~ok, given)
        multi = multi & ~ok
    if not multi.any() or demand is None or demand.empty:
        return stage
    m = t.loc[multi, ["teacher_id", "school_id", "subject"]].copy()
    m["_row"] = m.index
    # the order the school's teachers of a subject are spread in: 最高学历 (lower first: the higher stages get the
    # higher degrees), then birth date, then name — person facts, never the key, so that renumbering the roster or
    # keying it by 身份证号 instead of 教师编号 changes no stage (the key breaks only exact ties, which add up alike)
    m["_deg"] = t.loc[multi, "degree"].map(DEGREE_RANK).fillna(-1) if "degree" in t else -1
    m["_birth"] = pd.to_datetime(t.loc[multi, "birth_date"], errors="coerce") if "birth_date" in t else pd.NaT
    m["_name"] = t.loc[multi, "name"].fillna("").astype(str) if "name" in t else ""
    d = demand[["school_id", "stage", "subject", "demand_periods"]]
    cand = m.merge(d, on=["school_id", "subject"], how="inner")
    cand = cand[cand["demand_periods"] > 0]
    if cand.empty:
        return stage
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    cand["_o"] = cand["stage"].map(order)
    cand = cand.sort_values(["school_id", "subject", "_o"])
    tot = cand.groupby(["school_id", "subject", "_row"])["demand_periods"].transform("sum")
    cand["_cum"] = cand.groupby(["school_id", "subject", "_row"])["demand_periods"].cumsum() / tot
    # position of each teacher among the school's teachers of the subject (in the order above): (k - 0.5) / n
    pos = m.sort_values(["school_id", "subject", "_deg", "_birth", "_name", "teacher_id"], na_position="last",
                        kind="stable")
    k = pos.groupby(["school_id", "subject"]).cumcount() + 1
    n = pos.groupby(["school_id", "subject"])["teacher_id"].transform("size")
    pos_share = ((k - 0.5) / n).rename("_p")
    cand = cand.merge(pos_share, left_on="_row", right_index=True, how="left")
    pick = cand[cand["_cum"] >= cand["_p"] - 1e-12].groupby("_row")["stage"].first()
    stage.loc[pick.index] = pick
    return stage


def teacher_supply(teachers: pd.DataFrame, schools: pd.DataFrame, config, plan_year: int,
                   demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per roster row with the teacher's plan-year supply (SUPPLY_COLUMNS; see module doc).

    ``demand`` (from rules.curriculum.subject_demand) is optional; it spreads teachers of multi-stage
    schools over stages.
    """
    t = with_teacher_defaults(teachers)
    sch = schools[["school_id", "stage"]].rename(columns={"stage": "school_stage"}).assign(
        school_id=lambda d: d["school_id"].astype(str))
    t = t.merge(sch, on="school_id", how="left")
    t.index = range(len(t))
    t["stage"] = _assign_stage(t, demand)

    kg = t["stage"] == "幼儿园"
    t["standard_load"] = standard_load(t["stage"], t["subject"], config).values
    has2 = (t["subject2"] != "") & (t["subject2"] != t["subject"])
    t["subject2"] = t["subject2"].where(has2, "")
    t["standard_load2"] = standard_load(t["stage"], t["subject2"], config).values
    t.loc[~has2, "standard_load2"] = np.nan
    periods = pd.to_numeric(t["periods"], errors="coerce")
    periods2 = pd.to_numeric(t["periods2"], errors="coerce")
    share = float(config["load.second_subject_share"])
    given = periods.notna() & (periods > 0)
    given2 = periods2.notna() & (periods2 >= 0)
    # 兼任课时 given: that part of 周课时 (at most all of it); else the configured share of 周课时
    second = np.where(given2, np.where(given, np.minimum(periods2, periods), periods2), periods * share)
    t["periods_second"] = np.where(has2 & (given | given2), second, 0.0)
    t["periods_main"] = np.where(given, periods - t["periods_second"], t["standard_load"])
    t.loc[kg, ["periods_main", "periods_second"]] = np.nan
    t["fte_main"] = np.where(kg, 1.0, t["periods_main"] / t["standard_load"])
    t["fte_second"] = np.where(kg, 0.0, (t["periods_second"] / t["standard_load2"]).fillna(0.0))

    t["retire_date"] = legal_retirement_date(t["sex"], t["birth_date"], t["retirement_group"],
                                             t["agreed_retirement"], t["id_number"], config).values
    t["retire_class"] = classify_retirement(t["retire_date"], plan_year, config).values

    teaching = t["post"] == "专任教师"
    at_post = t["status"] == STATUS_AT_POST
    retiring = t["retire_class"] == LABEL_BEFORE
    known_school = t["school_stage"].notna()
    t["counts"] = teaching & at_post & ~retiring & known_school
    reason = np.select(
        [~known_school, ~teaching, ~at_post, retiring, t["retire_class"] == LABEL_DURING],
        ["学校代码不在学校表中", "非专任教师（" + t["post"] + "）", "人员状态：" + t["status"],
         f"{LABEL_BEFORE}（计划年 9 月 1 日前达到退休年龄）", f"{LABEL_DURING}（学年中离岗，仍计入本学年供给）"],
        default="")
    t["reason"] = reason
    order = t.sort_values(["school_id", "teacher_id"], kind="stable").index
    return t.loc[order, SUPPLY_COLUMNS].reset_index(drop=True)


def subject_supply(supply: pd.DataFrame) -> pd.DataFrame:
    """Supply per school × stage × subject from counting teachers (SUBJECT_SUPPLY_COLUMNS).

    Main and second subjects both contribute; kindergarten teachers supply 学前教育 in whole teachers
    (supply_periods NaN).
    """
    s = supply[supply["counts"]]
    kg = s["stage"] == "幼儿园"
    main = pd.DataFrame({"school_id": s["school_id"], "stage": s["stage"],
                         "subject": s["subject"].where(~kg, KG_SUBJECT),
                         "supply_periods": s["periods_main"], "supply_fte": s["fte_main"], "teachers": 1})
    sec = s[(s["subject2"] != "") & ~kg]
    second = pd.DataFrame({"school_id": sec["school_id"], "stage": sec["stage"], "subject": sec["subject2"],
                           "supply_periods": sec["periods_second"], "supply_fte": sec["fte_second"], "teachers": 0})
    both = pd.concat([main, second], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=SUBJECT_SUPPLY_COLUMNS)
    g = both.groupby(["school_id", "stage", "subject"])
    periods = pd.Series(_group_sums(both["supply_periods"].to_numpy(dtype=float), g.ngroup().to_numpy(), g.ngroups),
                        index=g.size().index)
    # min_count=1: a group with no periods at all (学前教育, counted in teachers) stays NaN, not 0
    out = pd.DataFrame({"supply_periods": periods.where(g["supply_periods"].count() > 0),
                        "supply_fte": g["supply_fte"].sum(), "teachers": g["teachers"].sum()}).reset_index()
    return out[SUBJECT_SUPPLY_COLUMNS].sort_values(["school_id", "stage", "subject"]).reset_index(drop=True)


def _group_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Σ values per group (NaN as 0), bit for bit what ``Series.sum`` gives on each group's rows in order
    (numpy's pairwise sum; a grouped Kahan sum can differ in the last digit): the groups of one size are the
    rows of one matrix summed along its rows, so there is one call per distinct group size, never per group."""
    order = np.argsort(codes, kind="stable")
    vals = np.nan_to_num(values[order], nan=0.0)
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.zeros(n_groups)
    for n in np.unique(sizes[sizes > 0]):
        groups = np.flatnonzero(sizes == n)
        out[groups] = vals[starts[groups][:, None] + np.arange(n)].sum(axis=1)
    return out
