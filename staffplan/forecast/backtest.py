"""Backtest: hide the last K years, project each one year ahead from the years before it, measure.

For every backtest year y: staffplan's projection (``project_enrollment`` with history < y), the
classical baseline (each school's own 3-year mean grade-progression ratio, entry grades = last year's
intake) and, for school totals, persistence (维持上年: next year = this year) are compared with the
actual counts.

Comparison set for year y: every school that had pupils in y−1 (a school with no history cannot be
projected by either method), all its grades that either method projects or that have pupils in y.
A cell missing on one side counts as 0 (a closed school or grade is an error of the projection).

Groups: 学段 is the school's own 学段 from the 学校 table (a 九年一贯制 counts once, as 九年一贯制), so
the 学校数 of the 学段 rows add up to 全部; 学校规模 is the band of last year's school total
(``forecast.size_bands``) before the first backtest year, one band per school.

Measures (ratios, not percentages):
- MAPE school × grade: mean |predicted − actual| / actual over cells with actual > 0;
- MAPE school total: the same on school totals;
- WAPE: Σ|predicted − actual| / Σ actual over all cells (school × grade) or over school totals;
- bias: Σ(predicted − actual) / Σ actual;
- coverage: share of cells with lo ≤ actual ≤ hi (target ``forecast.interval_level``);
- classes: MAPE of projected classes where the actual class count is known;
- quota: MAPE of the standard 编制 per school (when ``staffplan.rules.standards.compute_quota`` exists).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..progress import phases
from ..schema import GRADE_STAGE, GRADE_NAMES, Dataset
from .enrollment import baseline_projection, project_enrollment, school_bands

ALL = "全部"


def size_band_labels(edges) -> list[str]:
    edges = [int(e) for e in edges]
    labels = [f"<{edges[0]}"]
    labels += [f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])]
    labels.append(f"≥{edges[-1]}")
    return labels


def size_band(totals: pd.Series, edges) -> pd.Series:
    labels = size_band_labels(edges)
    idx = school_bands(totals.to_numpy(float), edges)
    return pd.Series(np.asarray(labels, dtype=object)[idx], index=totals.index)


def _ape(pred, act):
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    m = act > 0
    return np.abs(pred[m] - act[m]) / act[m]


def mape(pred, act) -> float:
    e = _ape(pred, act)
    return float(e.mean()) if len(e) else float("nan")


def wape(pred, act) -> float:
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    return float(np.abs(pred - act).sum() / act.sum()) if act.sum() > 0 else float("nan")


def bias(pred, act) -> float:
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    return float((pred - act).sum() / act.sum()) if act.sum() > 0 else float("nan")


def coverage(lo, hi, act) -> float:
    lo, hi, act = (np.asarray(x, float) for x in (lo, hi, act))
    return float(((act >= lo) & (act <= hi)).mean()) if len(act) else float("nan")


@dataclass
class BacktestResult:
    detail: pd.DataFrame                  # one row per school × grade × backtest year
    by_stage: pd.DataFrame
    by_size: pd.DataFrame
    comparison: pd.DataFrame              # staffplan vs baseline
    quota: pd.DataFrame = field(default_factory=pd.DataFrame)   # per school × year (may be empty)
    years: list = field(default_factory=list)
    level: float = 0.8

    def summary(self) -> dict:
        c = self.comparison.set_index("measure")
        d = self.detail
        out = {"years": [int(y) for y in self.years], "cells": int(len(d)),
               "schools": int(d["school_id"].nunique()) if len(d) else 0, "interval_level": self.level}
        for measure in c.index:
            out[f"{measure}_staffplan"] = _num(c.loc[measure, "staffplan"])
            out[f"{measure}_baseline"] = _num(c.loc[measure, "baseline"])
            if not pd.isna(c.loc[measure, "persistence"]):
                out[f"{measure}_persistence"] = _num(c.loc[measure, "persistence"])
        return out

    RATE_COLUMNS = ("staffplan", "传统升级率法(3年)", "维持上年", "改进幅度", "年级MAPE", "年级MAPE(传统)",
                    "学校合计MAPE", "学校合计MAPE(传统)", "学校合计MAPE(维持上年)", "学校合计WAPE",
                    "学校合计WAPE(传统)", "学校合计WAPE(维持上年)", "偏差", "偏差(传统)", "班数MAPE", "编制MAPE",
                    "区间覆盖率")

    def number_formats(self) -> dict[str, dict[str, str]]:
        """Rates are fractions: shown as percentages (sheet → column → Excel number format)."""
        return {name: {c: "0.0%" for c in df.columns if c in self.RATE_COLUMNS}
                for name, df in self.sheets().items()}

    def sheets(self) -> dict[str, pd.DataFrame]:
        names = {"measure_zh": "指标", "staffplan": "staffplan", "baseline": "传统升级率法(3年)",
                 "persistence": "维持上年", "improvement": "改进幅度"}
        comp = self.comparison.drop(columns=["measure"]).rename(columns=names)
        group_names = {"stage": "学段", "size_band": "学校规模", "schools": "学校数", "cells": "年级数",
                       "actual": "实际学生数", "predicted": "预测学生数",
                       "mape_grade": "年级MAPE", "mape_grade_baseline": "年级MAPE(传统)",
                       "mape_school": "学校合计MAPE", "mape_school_baseline": "学校合计MAPE(传统)",
                       "mape_school_persistence": "学校合计MAPE(维持上年)", "wape_school": "学校合计WAPE",
                       "wape_school_baseline": "学校合计WAPE(传统)", "wape_school_persistence": "学校合计WAPE(维持上年)",
                       "bias_grade": "偏差", "bias_grade_baseline": "偏差(传统)",
                       "mape_classes": "班数MAPE", "mape_quota": "编制MAPE", "coverage": "区间覆盖率"}
        detail = self.detail.assign(grade_name=self.detail["grade"].map(GRADE_NAMES))
        detail = detail[["school_id", "year", "grade_name", "stage", "size_band", "actual", "predicted", "lo",
                         "hi", "baseline", "persistence", "method", "classes_actual", "classes_predicted"]].rename(columns={
            "school_id": "学校代码", "year": "学年", "grade_name": "年级", "stage": "学段", "size_band": "学校规模",
            "actual": "实际学生数", "predicted": "预测学生数", "lo": "下限", "hi": "上限", "baseline": "传统方法预测", "persistence": "上年人数",
            "method": "预测方法", "classes_actual": "实际班数", "classes_predicted": "预测班数"})
        sheets = {"回测汇总": comp, "按学段": self.by_stage.rename(columns=group_names),
                  "按规模": self.by_size.rename(columns=group_names), "明细": detail}
        if len(self.quota):
            sheets["编制回测"] = self.quota.rename(columns={"school_id": "学校代码", "year": "学年",
                                                         "quota_actual": "按实际学生数编制",
                                                         "quota_predicted": "按预测学生数编制"})
        return sheets


def _num(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _quota_fn():
    try:
        from ..rules.standards import compute_quota  # written by another part of the project
        return compute_quota
    except Exception:  # noqa: BLE001 - optional dependency inside the package
        return None


def _one_year(ds: Dataset, config, year: int) -> pd.DataFrame:
    enr = ds.enrollment.copy()
    enr["school_id"] = enr["school_id"].astype(str)
    hist = enr[enr["year"] < year]
    proj = project_enrollment(hist, ds.schools, config, year, births=ds.births, feeders=ds.feeders, horizon=1)
    base = baseline_projection(hist, ds.schools, year, k=3, config=config)
    last_tot = hist[hist["year"] == year - 1].groupby("school_id")["students"].sum()
    active = last_tot[last_tot > 0].index
    act = enr[(enr["year"] == year) & enr["school_id"].isin(active)]
    act = act.groupby(["school_id", "grade"], as_index=False).agg(actual=("students", "sum"),
                                                                  classes_actual=("classes", "sum"))
    act.loc[act["classes_actual"] <= 0, "classes_actual"] = np.nan
    keys = ["school_id", "grade"]
    d = (proj[keys + ["students", "lo", "hi", "classes", "method"]]
         .rename(columns={"students": "predicted", "classes": "classes_predicted"})
         .merge(base[keys + ["students"]].rename(columns={"students": "baseline"}), on=keys, how="outer")
         .merge(act, on=keys, how="outer"))
    prev = hist[hist["year"] == year - 1].groupby(["school_id", "grade"], as_index=False)["students"].sum()
    d = d.merge(prev.rename(columns={"students": "persistence"}), on=keys, how="outer")
    d = d[d["school_id"].isin(active)]
    for col in ("predicted", "lo", "hi", "baseline", "persistence", "actual", "classes_predicted"):
        d[col] = d[col].fillna(0.0)
    d["method"] = d["method"].fillna("")
    d["year"] = int(year)
    # 学段 of the school (学校表), so that a 九年一贯制 school is counted once, not once per 学部
    school_stage = ds.schools.assign(school_id=ds.schools["school_id"].astype(str)).drop_duplicates("school_id")
    d["stage"] = d["school_id"].map(school_stage.set_index("school_id")["stage"]).fillna(
        d["grade"].astype(int).map(GRADE_STAGE))
    d["size_band"] = d["school_id"].map(size_band(last_tot, config["forecast.size_bands"]))
    return d


def _group_table(d: pd.DataFrame, by: str) -> pd.DataFrame:
    rows = []
    parts = list(d.groupby(by, sort=True))
    if by == "size_band":                                   # "<200", "200–499", …, "≥2000" in size order
        parts.sort(key=lambda kv: (0 if str(kv[0]).startswith("<") else 1,
                                   int("".join(ch for ch in str(kv[0]).split("–")[0] if ch.isdigit()) or 0)))
    groups = [(ALL, d)] + parts
    for key, g in groups:
        tot = g.groupby(["school_id", "year"])[["actual", "predicted", "baseline", "persistence"]].sum()
        cls = g[g["classes_actual"].notna()]
        rows.append({by: key, "schools": g["school_id"].nunique(), "cells": len(g),
                     "actual": g["actual"].sum(), "predicted": round(g["predicted"].sum(), 1),
                     "mape_grade": mape(g["predicted"], g["actual"]),
                     "mape_grade_baseline": mape(g["baseline"], g["actual"]),
                     "mape_school": mape(tot["predicted"], tot["actual"]),
                     "mape_school_baseline": mape(tot["baseline"], tot["actual"]),
                     "mape_school_persistence": mape(tot["persistence"], tot["actual"]),
                     "wape_school": wape(tot["predicted"], tot["actual"]),
                     "wape_school_baseline": wape(tot["baseline"], tot["actual"]),
                     "wape_school_persistence": wape(tot["persistence"], tot["actual"]),
                     "bias_grade": bias(g["predicted"], g["actual"]),
                     "bias_grade_baseline": bias(g["baseline"], g["actual"]),
                     "mape_classes": mape(cls["classes_predicted"], cls["classes_actual"]) if len(cls) else np.nan,
                     "coverage": coverage(g["lo"], g["hi"], g["actual"])})
    return pd.DataFrame(rows)


def run_backtest(ds: Dataset, config, years: int = 2, quota: bool = True, progress=None) -> BacktestResult:
    """Project each of the last ``years`` years one year ahead from the years before it and compare.

    ``quota=False`` skips the 编制 comparison (it needs staffplan.rules.standards and is the slow part)."""
    all_years = sorted(int(y) for y in ds.enrollment["year"].unique())
    test_years = [y for y in all_years[-years:] if y > all_years[0] + 1] if years > 0 else []
    step = phases(progress, "回测年份", len(test_years))         # one step per origin year
    frames = []
    for y in test_years:
        frames.append(_one_year(ds, config, y))
        step()
    cols = ["school_id", "year", "grade", "stage", "size_band", "actual", "predicted", "lo", "hi", "baseline",
            "persistence", "method", "classes_actual", "classes_predicted"]
    detail = (pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols))
    detail = detail.sort_values(["year", "school_id", "grade"], kind="mergesort").reset_index(drop=True)
    # one size band per school (its size before the first backtest year), so that 学校数 add up to 全部
    detail["size_band"] = detail.groupby("school_id")["size_band"].transform("first")
    by_stage = _group_table(detail, "stage") if len(detail) else pd.DataFrame()
    by_size = _group_table(detail, "size_band") if len(detail) else pd.DataFrame()

    quota_frame = pd.DataFrame()
    compute_quota = _quota_fn() if quota else None
    if compute_quota is not None and len(detail):
        try:
            parts = []
            for y, g in detail.groupby("year"):
                a = compute_quota(ds.schools, g.assign(students=g["actual"], classes=g["classes_actual"].fillna(
                    g["classes_predicted"]))[
                    ["school_id", "grade", "students", "classes"]], config)
                p = compute_quota(ds.schools, g.assign(students=g["predicted"], classes=g["classes_predicted"])[
                    ["school_id", "grade", "students", "classes"]], config)
                ids = set(g["school_id"])
                a = a[a["school_id"].astype(str).isin(ids)].groupby("school_id")["quota"].sum()
                p = p[p["school_id"].astype(str).isin(ids)].groupby("school_id")["quota"].sum()
                parts.append(pd.DataFrame({"school_id": a.index, "year": y, "quota_actual": a.to_numpy(),
                                           "quota_predicted": p.reindex(a.index).to_numpy()}))
            quota_frame = pd.concat(parts, ignore_index=True)
        except Exception:  # noqa: BLE001 - quota is optional in the backtest; never let it break the run
            quota_frame = pd.DataFrame()
    quota = quota_frame
    if len(quota):
        for table, by in ((by_stage, None), (by_size, "size_band")):
            table["mape_quota"] = np.nan
            table.loc[table.iloc[:, 0] == ALL, "mape_quota"] = mape(quota["quota_predicted"], quota["quota_actual"])

    tot = (detail.groupby(["school_id", "year"])[["actual", "predicted", "baseline", "persistence"]].sum()
           if len(detail) else None)
    measures = [
        ("mape_school", "学校合计 MAPE", lambda c: mape(tot[c], tot["actual"])),
        ("wape_school", "学校合计 WAPE", lambda c: wape(tot[c], tot["actual"])),
        ("mape_grade", "学校×年级 MAPE", lambda c: mape(detail[c], detail["actual"])),
        ("wape_grade", "学校×年级 WAPE", lambda c: wape(detail[c], detail["actual"])),
        ("bias", "总体偏差", lambda c: bias(detail[c], detail["actual"])),
    ]
    rows = []
    for key, zh, fn in measures:
        s = fn("predicted") if len(detail) else np.nan
        b = fn("baseline") if len(detail) else np.nan
        imp = (1 - s / b) if key != "bias" and b and not np.isnan(b) else np.nan
        # persistence (next year = this year) is a baseline for school totals only
        per = fn("persistence") if len(detail) and key in ("mape_school", "wape_school") else np.nan
        rows.append({"measure": key, "measure_zh": zh, "staffplan": s, "baseline": b, "persistence": per,
                     "improvement": imp})
    cov = coverage(detail["lo"], detail["hi"], detail["actual"]) if len(detail) else np.nan
    rows.append({"measure": "coverage", "measure_zh": f"{int(round(config['forecast.interval_level'] * 100))}%区间覆盖率",
                 "staffplan": cov, "baseline": np.nan, "persistence": np.nan, "improvement": np.nan})
    if len(quota):
        rows.append({"measure": "mape_quota", "measure_zh": "编制 MAPE",
                     "staffplan": mape(quota["quota_predicted"], quota["quota_actual"]), "baseline": np.nan,
                     "persistence": np.nan, "improvement": np.nan})
    comparison = pd.DataFrame(rows)
    return BacktestResult(detail=detail, by_stage=by_stage, by_size=by_size, comparison=comparison, quota=quota,
                          years=test_years, level=float(config["forecast.interval_level"]))
