"""Which hard rule cannot be met, where, and by how much (the 诊断 sheet).

CBC gives no IIS, so every share rule carries a named elastic slack (build.py); the sending rule has none (doing
nothing keeps it, so a conflict shows on the share rule).  A slack above zero in the optimum means the rule
cannot be met: the slack is the shortfall.  Pre-solve counts explain why (not enough 应交流 teachers for 5 %;
应交流 teachers without a legal receiving school; too few 骨干 among the possible movers; urban/优质 schools
whose 应交流 teachers have no candidate).  Breaches found by the independent audit are added by the pipeline.

``diagnose`` returns one row per failed rule: 规则, 学校, 要求, 可达, 差额, 说明.
"""
from __future__ import annotations

import pandas as pd

from .build import SLACK_FAMILIES

COLUMNS = ["规则", "学校", "要求", "可达", "差额", "说明"]
TOL = 1e-6


def _county_label(county: str) -> str:
    return f"{county}（全区县）" if county else "全区"


def diagnose(slacks: pd.DataFrame, requirements: dict, teachers: pd.DataFrame, cells: pd.DataFrame,
             candidates: pd.DataFrame, schools: pd.DataFrame, config) -> pd.DataFrame:
    """Rows for every slack > 0, with the pre-solve counts that explain it."""
    rows = []
    if slacks is None or slacks.empty:
        return pd.DataFrame(columns=COLUMNS)
    failed = slacks[slacks["value"] > TOL].sort_values(["county", "family", "key"], kind="stable")
    names = schools.drop_duplicates("school_id").set_index("school_id")["school_name"] \
        if "school_name" in schools else pd.Series(dtype=str)
    for r in failed.itertuples(index=False):
        req = requirements.get(r.county, {})
        tc = teachers[teachers["county"] == r.county] if len(teachers) else teachers
        cc = candidates[candidates["county"] == r.county] if len(candidates) else candidates
        label = _county_label(r.county)
        short = round(float(r.value), 2)
        if r.family == "quota":
            need = int(req.get("quota", 0))
            with_cand = int(cc["teacher_id"].nunique()) if len(cc) else 0
            parts = [f"义务教育专任教师 {req.get('base', 0)} 人，按 {req.get('share_compulsory', 0):.0%} 需交流 {need} 人",
                     f"应交流 {req.get('must', 0)} 人，可选人选（含自愿）{req.get('movers', 0)} 人",
                     f"其中有方向合规、学科对口接收学校的 {with_cand} 人"]
            if req.get("movers", 0) < need:
                parts.append("应交流和自愿交流教师总数不足")
            else:
                parts.append("接收学校的学科缺口或派出学校的学科余量不足以安排更多交流")
            rows.append([SLACK_FAMILIES["quota"], label, need, need - short, short, "；".join(parts)])
        elif r.family == "quota_urban" and getattr(r, "school", ""):   # one school's own 10 % (urban_share_scope)
            need = int(round(float(r.required)))
            own = tc[tc["must"] & tc["urban_school"] & (tc["school_id"].astype(str) == r.school)] if len(tc) else tc
            with_c = set(cc.loc[cc["from_urban"], "teacher_id"]) if len(cc) else set()
            no_c = own[~own["teacher_id"].isin(with_c)] if len(own) else own
            txt = (f"本校应交流教师 {len(own)} 人，按 {req.get('share_urban', 0):.0%} 逐校计需交流 {need} 人；其中 "
                   f"{len(no_c)} 人没有可去的接收学校，其余受派出学校学科余量、接收学校缺口或方向规则限制"
                   "（exchange.urban_share_scope = \"school\"）")
            rows.append([SLACK_FAMILIES["quota_urban"], str(names.get(r.school, r.school)), need, need - short, short,
                         txt])
        elif r.family == "quota_urban":
            need = int(req.get("quota_urban", 0))
            urban_must = tc[tc["must"] & tc["urban_school"]] if len(tc) else tc
            with_c = set(cc.loc[cc["from_urban"], "teacher_id"]) if len(cc) else set()
            no_c = urban_must[~urban_must["teacher_id"].isin(with_c)]
            schools_no = sorted(set(no_c["school_id"]))
            where = "、".join(str(names.get(s, s)) for s in schools_no[:10]) + ("等" if len(schools_no) > 10 else "")
            txt = (f"城镇/优质学校应交流教师 {req.get('must_urban', 0)} 人，按 {req.get('share_urban', 0):.0%} 需交流 "
                   f"{need} 人；其中 {len(no_c)} 人没有可去的接收学校")
            rows.append([SLACK_FAMILIES["quota_urban"], where or label, need, need - short, short, txt])
        elif r.family == "backbone":
            share = float(req.get("backbone_share", 0))
            txt = (f"可选人选中骨干教师 {req.get('backbone_movers', 0)} 人；骨干教师应不少于交流人数的 {share:.0%}"
                   f"（差额按人数计）")
            chosen = cc[cc["chosen"]] if len(cc) and "chosen" in cc else cc.iloc[0:0] if len(cc) else cc
            moved = int(len(chosen))
            bb = int(chosen["backbone"].sum()) if moved else 0
            txt += f"；本方案交流 {moved} 人，其中骨干 {bb} 人"
            rows.append([SLACK_FAMILIES["backbone"], label, round(share * moved, 2), bb, short, txt])
    return pd.DataFrame(rows, columns=COLUMNS)
