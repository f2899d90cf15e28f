"""Weekly periods per grade × course, standard teaching loads, and subject demand (domain.md §3).

Curriculum tables (CSV, columns ``grade, course, subject, periods[, source]``):

- bundled defaults ``data/curriculum_compulsory.csv`` (2022 compulsory-education plan: 26/30/34 periods a
  week for grades 1–2/3–6/7–9, nine-year shares within the plan's ranges) and ``data/curriculum_senior.csv``
  (senior high, 35 a week);
- a bureau replaces them with its own timetable through config ``[curriculum] compulsory_file`` /
  ``senior_file`` (a path, relative to the config file's folder when not absolute).

``course`` is the curriculum's name (体育与健康, 综合实践活动 …); ``subject`` is the teacher subject
(schema.SUBJECTS) whose teachers cover it.  An empty ``subject`` (综合实践活动, 地方与校本课程, 通用技术 in the
default tables) means the periods are shared by teachers of all subjects: they count in the weekly totals
but not in any subject's demand.

Subject demand for school s, stage, subject j = Σ_grades classes(g) × periods(g, j); FTE = ÷ standard load.
Kindergartens are not timetabled: their demand is in teachers, ``kg_teachers_per_class × classes`` (plus
the boarding add-on), reported as subject 学前教育 with ``demand_periods`` NaN.  中职 and 特殊教育 schools
have no bundled timetable: no subject demand is computed for them (see ``demand_notes``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, Issue, ERROR
from .standards import teaching_stage
from staffplan.paths import data_file

KG_SUBJECT = "学前教育"
DEMAND_COLUMNS = ["school_id", "stage", "subject", "demand_periods", "demand_fte", "classes", "standard_load"]
CURRICULUM_COLUMNS = ["grade", "course", "subject", "periods"]


def _read_table(path, label: str) -> pd.DataFrame:
    try:
        if isinstance(path, Path):
            tab = pd.read_csv(path, dtype={"course": str, "subject": str}, keep_default_na=False, encoding="utf-8-sig")
        else:
            with path.open(encoding="utf-8") as fh:
                tab = pd.read_csv(fh, dtype={"course": str, "subject": str}, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(Issue(ERROR, f"找不到{label}课时表文件", file=str(getattr(path, "name", path))))
    missing = [c for c in CURRICULUM_COLUMNS if c not in tab.columns]
    if missing:
        raise ConfigError(Issue(ERROR, f"{label}课时表缺少列：{'、'.join(missing)}（需要 grade, course, subject, periods）",
                                file=str(getattr(path, "name", path))))
    tab["grade"] = pd.to_numeric(tab["grade"], errors="coerce")
    tab["periods"] = pd.to_numeric(tab["periods"], errors="coerce")
    if tab["grade"].isna().any() or tab["periods"].isna().any():
        raise ConfigError(Issue(ERROR, f"{label}课时表中 grade 或 periods 不是数字", file=str(getattr(path, "name", path))))
    tab["grade"] = tab["grade"].astype(int)
    tab["subject"] = tab["subject"].fillna("").astype(str).str.strip()
    return tab[CURRICULUM_COLUMNS + [c for c in tab.columns if c not in CURRICULUM_COLUMNS]]


def _resolve(config, key: str, bundled: str):
    name = str(config.get(key, "") or "") if config is not None else ""
    if not name:
        return data_file(bundled)
    p = Path(name)
    if not p.is_absolute() and config is not None and getattr(config, "files", None):
        p = Path(config.files[-1]).parent / p
    return p


def load_curriculum(config=None) -> pd.DataFrame:
    """Compulsory + senior tables stacked: grade, course, subject, periods (+ source when given)."""
    comp = _read_table(_resolve(config, "curriculum.compulsory_file", "curriculum_compulsory.csv"), "义务教育")
    senior = _read_table(_resolve(config, "curriculum.senior_file", "curriculum_senior.csv"), "高中")
    return pd.concat([comp, senior], ignore_index=True)


def standard_load(stage, subject, config):
    """Standard weekly teaching load (config [load]) for a stage and subject; scalars or Series.

    小学: core subjects (load.core_primary) → primary_core, others → primary_other; 初中 likewise with
    core_junior; 高中 → senior; 中职 → vocational; 幼儿园 → kg (0 = not measured in periods → NaN).
    特殊教育 has no configured load → NaN.
    """
    scalar = np.isscalar(stage) and np.isscalar(subject)
    st = pd.Series([stage] if np.isscalar(stage) else stage).reset_index(drop=True)
    sj = pd.Series([subject] if np.isscalar(subject) else subject).reset_index(drop=True)
    if len(st) == 1 and len(sj) > 1:
        st = pd.Series([st.iloc[0]] * len(sj))
    if len(sj) == 1 and len(st) > 1:
        sj = pd.Series([sj.iloc[0]] * len(st))
    st = st.replace({"教学点": "小学"})
    load = pd.Series(np.nan, index=st.index, dtype=float)
    core_p = sj.isin(list(config["load.core_primary"]))
    core_j = sj.isin(list(config["load.core_junior"]))
    load[(st == "小学") & core_p] = float(config["load.primary_core"])
    load[(st == "小学") & ~core_p] = float(config["load.primary_other"])
    load[(st == "初中") & core_j] = float(config["load.junior_core"])
    load[(st == "初中") & ~core_j] = float(config["load.junior_other"])
    load[st == "高中"] = float(config["load.senior"])
    load[st == "中职"] = float(config["load.vocational"])
    kg = float(config["load.kg"])
    load[st == "幼儿园"] = kg if kg > 0 else np.nan
    load = load.where(load > 0)
    if scalar:
        return float(load.iloc[0])
    if isinstance(stage, pd.Series):
        load.index = stage.index
    elif isinstance(subject, pd.Series):
        load.index = subject.index
    return load



def least_standard_load(school_stage, subject, own_load, config) -> pd.Series:
    """The standard load a teacher's weekly total is held to where it matters as a limit (走教: total ≤ standard
    load + extra, beyond the standard load only with consent): the smallest of the teacher's own (stage, subject)
    load and the subject's load in every stage their school teaches (a 九年一贯制 数学 teacher: min(小学 12, 初中 10)).
    Where the roster does not say which stage a teacher of a multi-stage school teaches, any reading of it keeps
    the limit.  Series aligned with ``subject``; NaN where no load is known."""
    from .standards import stage_taught

    sj = pd.Series(subject).reset_index(drop=True).astype(str)
    kinds = pd.Series(school_stage).reset_index(drop=True).astype(str).to_numpy(dtype=object)
    out = pd.to_numeric(pd.Series(own_load).reset_index(drop=True), errors="coerce").astype(float)
    for stage in ("小学", "初中", "高中"):
        offers = stage_taught(kinds, stage)
        load = standard_load(stage, sj, config).to_numpy(float)
        out = pd.Series(np.where(offers & ~np.isnan(load), np.fmin(out.to_numpy(float), load), out.to_numpy(float)))
    return out

def subject_demand(classes_by_school_grade: pd.DataFrame, schools: pd.DataFrame, config,
                   curriculum: pd.DataFrame | None = None) -> pd.DataFrame:
    """Demand per school × stage × subject (DEMAND_COLUMNS).

    ``classes_by_school_grade``: school_id, grade, classes (the plan year's projected classes).
    """
    cur = load_curriculum(config) if curriculum is None else curriculum
    cur = cur[cur["subject"].astype(str) != ""]
    cl = classes_by_school_grade[["school_id", "grade", "classes"]].copy()
    cl["school_id"] = cl["school_id"].astype(str)
    cl["classes"] = pd.to_numeric(cl["classes"], errors="coerce").fillna(0.0).astype(float)
    sch = schools[["school_id", "stage"]].rename(columns={"stage": "school_stage"}).assign(
        school_id=lambda d: d["school_id"].astype(str))
    boarders = schools.set_index(schools["school_id"].astype(str))["boarders"] if "boarders" in schools else None
    cl = cl.merge(sch, on="school_id", how="inner")
    cl["stage"] = teaching_stage(cl["school_stage"], cl["grade"])

    timed = cl[cl["stage"].isin(["小学", "初中", "高中"])]
    d = timed.merge(cur[["grade", "subject", "periods"]], on="grade", how="inner")
    d["demand_periods"] = d["classes"] * d["periods"]
    out = d.groupby(["school_id", "stage", "subject"], as_index=False).agg(demand_periods=("demand_periods", "sum"))
    stage_classes = timed.groupby(["school_id", "stage"], as_index=False)["classes"].sum()
    out = out.merge(stage_classes, on=["school_id", "stage"], how="left")
    out["standard_load"] = standard_load(out["stage"], out["subject"], config).values
    out["demand_fte"] = out["demand_periods"] / out["standard_load"]

    kgc = cl[cl["stage"] == "幼儿园"].groupby("school_id", as_index=False)["classes"].sum()
    if len(kgc):
        per_class = float(config["quota.kg_teachers_per_class"])
        board = float(config["quota.kg_boarding_per_class"])
        has_boarders = kgc["school_id"].map(boarders).fillna(0) > 0 if boarders is not None else False
        kgc["demand_fte"] = kgc["classes"] * (per_class + board * has_boarders)
        kgc["stage"], kgc["subject"] = "幼儿园", KG_SUBJECT
        kgc["demand_periods"], kgc["standard_load"] = np.nan, np.nan
        out = pd.concat([out, kgc], ignore_index=True)
    out = out[out["demand_periods"].fillna(1) > 0] if len(out) else out
    return out.reindex(columns=DEMAND_COLUMNS).sort_values(["school_id", "stage", "subject"]).reset_index(drop=True)


def demand_notes(schools: pd.DataFrame) -> list[str]:
    """Plain-Chinese notes on schools whose subject demand is not computed."""
    notes = []
    for kind in ("中职", "特殊教育"):
        n = int((schools["stage"] == kind).sum())
        if n:
            notes.append(f"{kind}学校 {n} 所：未内置课时表，不测算学科需求（编制按生师比测算）")
    return notes
