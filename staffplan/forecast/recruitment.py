"""Recruitment pre-plan by stage × subject (domain.md §1 item 6, §2, §5, §8).

Rules, as a bureau would defend them:

1. Need per stage × subject.  With ``recruitment.net_of_surplus`` (default true) the need is the district's
   *net* gap (shortages minus surpluses at other schools of the same stage and subject), because surplus
   teachers can be redeployed by 统筹调剂 / 交流 / 走教 — hiring for a hole that a surplus elsewhere can fill
   would leave quota idle later.  With false, the sum of the schools' shortages.  Only stage × subjects whose
   need reaches ``shortage.threshold`` (紧缺) get hires; the number is ceil(need).
2. Bound.  Vacant quota is pooled over the district (统筹调剂、周转使用): pooled vacancies =
   Σ_schools [标准编制 − (在编 − 预计退休)] (schools whose quota is not computed are left out); hires never
   exceed max(0, pooled) when ``recruitment.cap_by_vacancies``.  When the cap binds, posts go one by one to
   the stage × subject with the largest remaining need (ties: stage order, subject name).
3. Each stage × subject's hires are placed at the schools with the largest shortages in that subject, one
   post at a time (largest remaining gap first, ties: school code); ``涉及学校`` lists them.

Cost.  "One post at a time to the largest remaining need" is computed in closed form, never by expanding
posts into rows: the k-th post (k = 0, 1 …) of a row with need g has priority g − k; with M = ceil(g) − 1 and
f = g − M ∈ (0, 1] that priority is M − k + f, so ordering posts by priority is ordering by the integer
*level* M − k, then f, then the tie rule.  The R best posts are every post above a threshold level plus the
first few rows at that level (:func:`_take_top`; the level is found by bisection, one sort of the rows at
it).  Cost O(rows · log(need)) with rows = schools × stages × subjects, whatever the size of the shortage.

4. New hires are always quota posts (在编) with the stage's degree floor (config [recruitment]); the plan
   never proposes 临聘.  When the need exceeds the pooled vacancies, the remainder would need more 临聘 than
   this year — that is flagged (临聘只减不增), never filled.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..rules.standards import STAGE_ORDER, fmt_num
from .gaps import fte_tenths

PLAN_COLUMNS = ["stage", "subject", "need_fte", "recruit", "degree", "schools", "reason"]
SCHOOLS_LISTED = 10                 # 涉及学校 lists at most this many schools (all are in allocations)
ALLOCATION_COLUMNS = ["stage", "subject", "school_id", "school_name", "gap_fte", "recruit"]
DEGREE_KEY = {"幼儿园": "recruitment.degree_kg", "小学": "recruitment.degree_compulsory",
              "初中": "recruitment.degree_compulsory", "特殊教育": "recruitment.degree_compulsory",
              "高中": "recruitment.degree_senior", "中职": "recruitment.degree_senior"}


@dataclass
class RecruitmentPlan:
    plan: pd.DataFrame                  # PLAN_COLUMNS, one row per stage × subject with hires
    allocations: pd.DataFrame           # ALLOCATION_COLUMNS
    pooled_vacancies: float             # Σ (标准编制 − (在编 − 预计退休)) over schools with a quota
    total_need: float                   # Σ need_fte over short stage × subjects
    total_recruit: int
    temporary_now: int                  # 临聘 专任教师 on this year's roster
    unfilled_fte: float                 # need not covered by the plan
    needs_more_temporary: bool          # the unfilled need would require more 临聘 than this year
    notes: list[str] = field(default_factory=list)


def _take_top(need: np.ndarray, tie_rank: np.ndarray, take: int) -> np.ndarray:
    """Posts per row when ``take`` posts go one at a time to the row with the largest remaining need.

    Row i's k-th post has priority need_i − k (k = 0, 1 …); ties go to the smaller ``tie_rank``.  Returns the
    number of the ``take`` best posts that fall on each row (module doc, "Cost").  ``need`` > 0.
    """
    n = len(need)
    counts = np.zeros(n, dtype=np.int64)
    if take <= 0 or n == 0:
        return counts
    top = np.ceil(need).astype(np.int64) - 1             # level of the first post; need − top ∈ (0, 1]
    frac = need - top                                    # exact: top < need

    def at_or_above(level: int) -> int:                  # posts whose level is ≥ level
        return int(np.maximum(0, top - level + 1).sum())

    lo, hi = int(top.min()) - take, int(top.max())       # at_or_above(lo) ≥ take; find the largest such level
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if at_or_above(mid) >= take:
            lo = mid
        else:
            hi = mid - 1
    counts = np.maximum(0, top - lo)                     # every post strictly above the threshold level
    rest = take - int(counts.sum())
    at = np.flatnonzero(top >= lo)                       # rows with a post at the threshold level
    order = np.lexsort((tie_rank[at], -frac[at]))        # larger remaining need first, then the tie rule
    counts[at[order[:rest]]] += 1
    return counts


def pooled_vacancies(staffing: pd.DataFrame) -> float:
    """Σ over schools with a quota of quota − (on_quota − retire_before)."""
    s = staffing.dropna(subset=["quota"])
    return float((s["quota"].astype(float) - (s["on_quota"] - s["retire_before"])).sum())


def recruitment_plan(gaps: pd.DataFrame, shortages: pd.DataFrame, staffing: pd.DataFrame, temporary_now: int,
                     config) -> RecruitmentPlan:
    """Recruitment plan (see module doc).

    ``gaps``: forecast.gaps.subject_gaps; ``shortages``: forecast.gaps.district_shortages;
    ``staffing``: one row per school with quota (standard, NaN = not computed), on_quota, retire_before.
    """
    thr = float(config["shortage.threshold"])
    net = bool(config["recruitment.net_of_surplus"])
    sh = shortages.copy()
    sh["need_fte"] = sh["gap_fte"] if net else sh["shortage_fte"]
    sh = sh[sh["need_fte"] >= thr - 1e-9].copy()
    sh["want"] = np.ceil(sh["need_fte"] - 1e-9).astype(int)
    total_need = float(sh["need_fte"].sum())
    pooled = pooled_vacancies(staffing)
    cap = bool(config["recruitment.cap_by_vacancies"])
    limit = max(0, int(math.floor(pooled + 1e-9))) if cap else int(sh["want"].sum())

    sh["_o"] = sh["stage"].map({k: i for i, k in enumerate(STAGE_ORDER)})
    sh = sh.sort_values(["_o", "subject"], kind="stable").reset_index(drop=True)   # tie rule: stage order, name
    sh["recruit"] = _take_top(sh["need_fte"].to_numpy(float), np.arange(len(sh)), min(limit, int(sh["want"].sum())))
    want_total = int(sh["want"].sum())
    sh = sh[sh["recruit"] > 0].reset_index(drop=True)

    # place posts at the schools with the largest gaps (ties: school code)
    g = gaps.loc[gaps["gap_fte"] > 0, ["stage", "subject", "school_id", "school_name", "gap_fte"]]
    g = g.merge(sh[["stage", "subject", "recruit"]], on=["stage", "subject"], how="inner")
    g = g.sort_values(["stage", "subject", "school_id"], kind="stable").reset_index(drop=True)
    gap, posts, hires = g["gap_fte"].to_numpy(float), np.zeros(len(g), dtype=np.int64), g["recruit"].to_numpy()
    for idx in g.groupby(["stage", "subject"], sort=False).indices.values():   # one stage × subject at a time
        posts[idx] = _take_top(gap[idx], np.arange(len(idx)), int(hires[idx[0]]))
    g["posts"] = posts
    alloc = g[g["posts"] > 0].drop(columns="recruit").rename(columns={"posts": "recruit"})
    alloc = alloc.sort_values(["stage", "subject", "recruit", "gap_fte"], ascending=[True, True, False, False],
                              kind="stable")
    alloc = alloc.reset_index(drop=True)[ALLOCATION_COLUMNS]

    texts = {}
    for (stage, subject), part in alloc.groupby(["stage", "subject"], sort=False):
        shown = part.head(SCHOOLS_LISTED)
        text = "、".join(f"{n} {r} 人（缺 {fmt_num(fte_tenths(gf))}）" for n, r, gf in
                        zip(shown["school_name"].fillna(shown["school_id"]), shown["recruit"], shown["gap_fte"]))
        if len(part) > SCHOOLS_LISTED:
            text += f" 等共 {len(part)} 校"
        texts[(stage, subject)] = text
    sh["schools"] = [texts.get((a, b), "") for a, b in zip(sh["stage"], sh["subject"])]
    sh["degree"] = [str(config[DEGREE_KEY.get(s, "recruitment.degree_compulsory")]) for s in sh["stage"]]
    def schools(n_gap: int, n_short: int) -> str:     # every school with a gap, and how many of them are 紧缺
        return f"{n_gap} 校有缺口" + (f"，其中 {n_short} 校达到 {fmt_num(thr)} 人" if n_short < n_gap else "")
    sh["reason"] = [
        (f"全区净缺口 {fmt_num(n)} 人（{schools(int(g), int(a))}，共缺 {fmt_num(p)} 人"
         + (f"；他校富余 {fmt_num(q)} 人可调剂）" if q > 0.05 else "；他校没有可调剂的富余）")
         if net else f"各校缺口合计 {fmt_num(n)} 人（{schools(int(g), int(a))}）")
        + (f"；受空编限制招 {r} 人" if r < w else "")
        for n, g, a, p, q, r, w in zip(sh["need_fte"], sh["schools_gap"], sh["schools_short"], sh["shortage_fte"],
                                       sh["surplus_fte"], sh["recruit"], sh["want"])]
    plan = sh[PLAN_COLUMNS].reset_index(drop=True)

    total = int(plan["recruit"].sum())
    unfilled = max(0.0, total_need - total)
    notes = [f"全区统筹空编 {fmt_num(pooled)} 个（标准编制 −（在编 − 预计退休）按校求和）；建议招聘 {total} 人，均为编制内岗位。"]
    needs_more_temp = bool(total < want_total)
    if needs_more_temp:
        notes.append(f"紧缺学科净缺口约 {fmt_num(total_need)} 人，超过可用空编 {max(0, int(math.floor(pooled + 1e-9)))} 个，"
                     f"尚余约 {fmt_num(unfilled)} 人缺口：临聘教师只减不增（现有 {temporary_now} 人），"
                     "不得以增加临聘填补，请通过统筹调剂、交流轮岗、走教或申请核增编制解决。")
    return RecruitmentPlan(plan=plan, allocations=alloc, pooled_vacancies=pooled, total_need=total_need,
                           total_recruit=total, temporary_now=int(temporary_now), unfilled_fte=unfilled,
                           needs_more_temporary=needs_more_temp, notes=notes)
