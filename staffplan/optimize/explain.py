"""Rotation tables (Chinese sheets), the summary, and ``explain_teacher``.

Sheets follow contract.md §3 "Rotation workbook", in order: 交流名单, 走教安排, 交流资格, 缺口覆盖, 诊断 (only
when a hard rule failed).  交流资格 shows the *public* reason (a special situation is written
"因特殊情况暂缓（已批准）", never the illness); the precise reason is only given by ``explain_teacher``.
Teacher numbers that are 身份证号 are masked when ``output.mask_ids``.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError, InfeasiblePlan
from ..forecast.gaps import shown_periods
from ..forecast.tables import with_total
from ..rules.eligibility import MUST
from .candidates import PRIORITY, receiving

ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")
FOCUS_SUBJECTS = ["音乐", "美术", "体育", "科学"]


def _display_ids(teacher_id: pd.Series, id_number: pd.Series | None, config) -> pd.Series:
    tid = teacher_id.fillna("").astype(str)
    if not bool(config["output.mask_ids"]):
        return tid
    from ..rules.idcard import mask_ids

    is_id = tid.str.match(ID_PATTERN.pattern)
    if id_number is not None:
        is_id |= (tid == id_number.fillna("").astype(str)) & (tid != "")
    return tid.where(~is_id, mask_ids(tid))


def rotation_sheets(rot) -> dict[str, pd.DataFrame]:
    cfg = rot.config
    t = rot.eligibility.set_index("teacher_id")
    idnum = t["id_number"] if "id_number" in t else None
    school_name = rot.school_names
    ex = rot.exchanges

    # 交流名单
    if len(ex):
        why = np.where(ex["must"].to_numpy(bool), "应交流", "自愿交流")
        years = ex["teacher_id"].map(t["years_at_school"]).astype(float)
        dest = np.where(ex["kind"].to_numpy() == "pair",
                        "与" + ex["to_school"].map(school_name).fillna(ex["to_school"]) + "同学科教师双向对调",
                        "补充" + ex["to_school"].map(school_name).fillna(ex["to_school"]) + "（" + ex["stage"] + "）"
                        + ex["subject"] + "缺口 " + ex["gap0"].round(1).astype(str).str.removesuffix(".0") + " 课时")
        dest = np.where(ex["type"].to_numpy() == "双向对调", "与" + ex["to_school"].map(school_name).fillna("")
                        + "同学科教师双向对调", dest)
        years_txt = (np.floor(years * 10) / 10).round(1).astype(str).str.removesuffix(".0")
        reason = pd.Series(why, index=ex.index) + "，在本校任教 " + years_txt + " 年；" + dest
        sheet1 = pd.DataFrame({
            "教师编号": _display_ids(ex["teacher_id"], ex["teacher_id"].map(idnum) if idnum is not None else None, cfg),
            "姓名": ex["teacher_id"].map(t["name"]) if "name" in t else "",
            "任教学科": ex["t_subject"], "补充学科": ex["subject"], "补充课时": ex["offer"].astype(float),
            "职称": ex["teacher_id"].map(t["title"]).fillna("") if "title" in t else "",
            "原学校代码": ex["from_school"], "原学校": ex["from_school"].map(school_name),
            "交流学校代码": ex["to_school"], "交流学校": ex["to_school"].map(school_name),
            "交流类型": ex["type"], "距离公里": ex["km"].astype(float).round(1),
            "交流年限": ex["years"].astype(int), "原因": reason})
    else:
        sheet1 = pd.DataFrame(columns=["教师编号", "姓名", "任教学科", "补充学科", "补充课时", "职称", "原学校代码", "原学校", "交流学校代码",
                                       "交流学校", "交流类型", "距离公里", "交流年限", "原因"])
    sheet1 = with_total(sheet1, "教师编号", ["补充课时"])
    if len(sheet1):
        sheet1.loc[sheet1.index[-1], "姓名"] = f"{len(sheet1) - 1} 人"

    # 走教安排
    zj = rot.zoujiao
    sheet2 = pd.DataFrame({
        "教师编号": _display_ids(zj["teacher_id"], zj["teacher_id"].map(idnum) if idnum is not None else None, cfg),
        "姓名": zj["teacher_id"].map(t["name"]) if "name" in t else "",
        "学科": zj["subject"], "本校代码": zj["home"], "本校": zj["home"].map(school_name),
        "走教学校代码": zj["host"], "走教学校": zj["host"].map(school_name),
        "周课时": zj["periods"].astype(int), "单程公里": zj["km"].astype(float).round(1),
        "补贴元每月": zj["subsidy_month"].astype(float).round(0)})
    sheet2 = with_total(sheet2, "教师编号", ["周课时", "补贴元每月"])

    # 交流资格 (one row per roster row)
    el = rot.eligibility
    sheet3 = pd.DataFrame({
        "教师编号": _display_ids(el["teacher_id"], el["id_number"] if "id_number" in el else None, cfg),
        "姓名": el["name"] if "name" in el else "", "学校代码": el["school_id"],
        "资格": el["status"], "依据": el["public_reason"]})

    # 缺口覆盖
    cv = rot.coverage
    sheet4 = pd.DataFrame({
        "学校代码": cv["school_id"], "学校名称": cv["school_id"].map(school_name), "学段": cv["stage"],
        "学科": cv["subject"], "原缺口课时": shown_periods(cv["gap0"].to_numpy(float)),
        "交流补充课时": shown_periods(cv["exchange"].to_numpy(float)),
        "走教补充课时": shown_periods(cv["zoujiao"].to_numpy(float)),
        "剩余缺口课时": shown_periods(cv["remaining"].to_numpy(float))})
    # the 合计 row counts shortages only, as the memo does: 原缺口 and 剩余缺口 are the sums of the rows' positive
    # values; 交流补充 nets arrivals against departures and is left blank there
    sheet4 = with_total(sheet4, "学校代码", ["走教补充课时"], positive_cols=["原缺口课时", "剩余缺口课时"])
    sheet4[["原缺口课时", "剩余缺口课时"]] = sheet4[["原缺口课时", "剩余缺口课时"]].astype(float)
    sheet4.loc[sheet4.index[-1], ["原缺口课时", "剩余缺口课时"]] = [shortage_total(cv["gap0"]),
                                                           shortage_total(cv["remaining"])]

    sheets = {"交流名单": sheet1, "走教安排": sheet2, "交流资格": sheet3, "缺口覆盖": sheet4}
    cmp_ = rot.compare
    if len(cmp_):
        sheets["交流方案比较"] = pd.DataFrame({   # units and meanings in the 单位 line (data/sheet_notes.csv)
            "方案": cmp_["variant"], "每人代价 λ": cmp_["move_cost"].astype(float),
            "交流人数": cmp_["moves"].astype(int), "剩余缺口课时": cmp_["left"].astype(float).round(1),
            "加权剩余缺口课时": cmp_["left_weighted"].astype(float).round(1),
            "距离合计（公里）": cmp_["km"].astype(float).round(1),
            "相对间隙": [_gap_text(v, g) for v, g in zip(cmp_["variant"], cmp_["gap"].astype(float))]})
    if len(rot.diagnosis):
        sheets["诊断"] = rot.diagnosis.reset_index(drop=True)
    return sheets


def _gap_text(variant: str, gap: float) -> str:
    """The 交流方案比较 gap cell: the 少交流 row is not solved (the plan minus the moves that buy least)."""
    if variant.startswith("少交流 "):
        return "不另求解"
    return "达到时间限制，未证明" if not np.isfinite(gap) else f"{gap:.2%}"


def _finite(v):
    return float(v) if v is not None and np.isfinite(v) else None


def share_lines(rot) -> dict[str, str]:
    """The share rules next to what the plan reached, for the 说明 sheet — from :func:`rotation_summary`, the same
    figures the console and the memo show."""
    s = rotation_summary(rot)
    cfg = rot.config
    out = {}
    if s["compulsory_teachers"]:
        temp = "含临聘教师" if bool(cfg["exchange.base_includes_temporary"]) else "不含临聘教师"
        out["交流人数与比例"] = (f"义务教育专任教师 {s['compulsory_teachers']:,} 人（任教小学、初中学段，{temp}，不含计划年"
                          f" 9 月 1 日前已到退休日期仍在花名册上的教师，所以可能少于「指标」表按现有花名册计的人数），按不少于 "
                          f"{float(cfg['exchange.min_share_compulsory']):.0%} 需交流 {s['required']:,} 人；本方案交流 "
                          f"{s['exchanged']:,} 人，占 {s['share'] or 0:.1%}")
    if s["urban_required"]:
        scope = ("逐校计算：每所城镇、优质学校各自不少于本校应交流教师的这一比例，向上取整，各校之和"
                 if str(cfg["exchange.urban_share_scope"]) == "school"
                 else "按全区城镇和优质学校的应交流教师合计计算，不逐校要求")
        out["城镇/优质学校应交流教师"] = (f"按不少于 {float(cfg['exchange.min_share_eligible_urban']):.0%} 需交流 "
                                f"{s['urban_required']:,} 人（{scope}）；本方案交流 {s['from_urban']:,} 人")
    thr = float(cfg["shortage.threshold"])
    out["接收学校与走教学校"] = (f"交流教师只派往该学段该学科缺口达到 {thr:g} 人的学校（双向对调除外）；九年一贯制等同时有小学、初中的学校，"
                        f"该学科小学、初中合计的缺口也须达到 {thr:g} 人（本校另一学段有富余的先在校内调剂）。走教课时不超过"
                        "交流后该学段的剩余缺口（按整课时向上取整：缺 5.3 课时可安排 6 节），也不超过学校该学科各学段合计的剩余缺口"
                        "（完全中学初中有富余的，先补本校高中）")
    if s["exchanged"]:
        out["骨干教师"] = (f"交流教师中骨干教师 {s['backbone']:,} 人，占 {s['backbone_share'] or 0:.1%}（要求不低于 "
                       f"{float(cfg['exchange.min_share_backbone']):.0%}）")
    return out


def shortage_total(gaps) -> float:
    """Σ shortage periods as 缺口覆盖 shows them: each cell at 0.1 period (shown_periods), shortages only, the sum
    shown once more — the sheet's 合计 row, rotate's summary and the memo all state this figure (summing the
    unrounded cells gave 1,733.0 against the 1,732.8 the rows add up to)."""
    x = shown_periods(np.asarray(gaps, dtype=float))
    return float(shown_periods(np.array([np.clip(x, 0.0, None).sum()]))[0])


def rotation_summary(rot) -> dict:
    """Counts for the CLI and the memo (JSON-serialisable)."""
    ex, zj, cv = rot.exchanges, rot.zoujiao, rot.coverage
    reqs = rot.requirements
    n = int(len(ex))
    base = int(sum(r.get("base", 0) for r in reqs.values()))
    quota = int(sum(r.get("quota", 0) for r in reqs.values()))
    urban_req = int(sum(r.get("quota_urban", 0) for r in reqs.values()))
    n_urban = int(ex["from_urban"].sum()) if n else 0
    n_bb = int(ex["backbone"].sum()) if n else 0
    short_before, short_after = shortage_total(cv["gap0"]), shortage_total(cv["remaining"])
    rural = cv[(cv["locality"] == "乡村") & cv["subject"].isin(FOCUS_SUBJECTS)] if len(cv) else cv
    by_subject = {}
    for s in FOCUS_SUBJECTS:
        part = rural[rural["subject"] == s] if len(rural) else rural
        by_subject[s] = {"before": shortage_total(part["gap0"]) if len(part) else 0.0,
                         "after": shortage_total(part["remaining"]) if len(part) else 0.0}
    r = rot.result
    return {
        "plan_year": rot.plan_year,
        "exchanged": n,
        "must_rotate": int((rot.eligibility["status"] == MUST).sum()),
        "compulsory_teachers": base,
        "required": quota,
        "share": round(n / base, 4) if base else None,
        "by_type": {k: int(v) for k, v in ex["type"].value_counts().sort_index().items()} if n else {},
        "backbone": n_bb,
        "backbone_share": round(n_bb / n, 4) if n else None,
        "from_urban": n_urban,
        "urban_required": urban_req,
        "zoujiao_teachers": int(zj["teacher_id"].nunique()) if len(zj) else 0,
        "zoujiao_periods": int(zj["periods"].sum()) if len(zj) else 0,
        "zoujiao_subsidy_month": round(float(zj["subsidy_month"].sum()), 1) if len(zj) else 0.0,
        "shortage_periods_before": round(short_before, 1),
        "shortage_periods_after": round(short_after, 1),
        "rural_focus_subjects": by_subject,
        "solver": {"status": r.status, "code": r.code, "solver": r.solver, "version": r.version,
                   "objective": _finite(r.objective), "gap": _finite(r.gap), "runtime_s": round(r.runtime_s, 3),
                   "build_s": round(r.build_s, 3)},
        "diagnosis_rows": int(len(rot.diagnosis)),
        "audit_breaches": int(len(rot.audit)),
        "exchange_only_periods_left": _variant(rot, "本方案", "left"),
        "last_moves": _last_moves(rot),
        "tie_break": PRIORITY,
    }


def _variant(rot, name: str, col: str):
    c = rot.compare
    hit = c[c["variant"] == name] if len(c) else c
    return round(float(hit[col].iloc[0]), 1) if len(hit) else None


def _last_moves(rot) -> dict | None:
    """What the last LAST_MOVES moves buy: shortage periods left (exchange only) without them minus with them."""
    from .pipeline import LAST_MOVES

    base, fewer = _variant(rot, "本方案", "left"), _variant(rot, f"少交流 {LAST_MOVES} 人", "left")
    if base is None or fewer is None:
        return None
    wb, wf = _variant(rot, "本方案", "left_weighted"), _variant(rot, f"少交流 {LAST_MOVES} 人", "left_weighted")
    return {"moves": LAST_MOVES, "periods": round(fewer - base, 1), "weighted_periods": round(wf - wb, 1)}


# --- explain ------------------------------------------------------------------------------------

def _find_teacher(teachers: pd.DataFrame, query: str) -> pd.Series:
    q = str(query).strip()
    tid = teachers["teacher_id"].astype(str)
    hit = teachers[tid == q]
    if hit.empty and "id_number" in teachers:
        hit = teachers[teachers["id_number"].fillna("").astype(str).str.upper() == q.upper()]
    if hit.empty and "name" in teachers:
        hit = teachers[teachers["name"].fillna("").astype(str).str.strip() == q]
        if len(hit) > 1:
            ids = "、".join(sorted(hit["teacher_id"].astype(str)))
            raise InputError(f"姓名「{q}」对应 {len(hit)} 名教师，请改用教师编号：{ids}")
    if hit.empty:
        shown = q if not ID_PATTERN.match(q) else q[:6] + "*" * 8 + q[-4:]
        raise InputError(f"找不到教师「{shown}」（可用教师编号、身份证号或唯一的姓名查询）")
    return hit.iloc[0]


def explain_teacher(ds, config, query: str, year: int | None = None, rotate=None) -> list[str]:
    """Plain-Chinese lines: eligibility and rule, whether selected, where and why — or why not."""
    teacher = _find_teacher(ds.teachers, query)
    if rotate is None:
        from .pipeline import run_rotate

        try:   # the 交流方案比较 variants do not change the plan: not needed to explain it
            rotate = run_rotate(ds, config.with_overrides({"exchange.compare_plans": False}, "explain"), year=year)
        except InfeasiblePlan as exc:
            rotate = exc.result
    tid = str(teacher["teacher_id"])
    names = rotate.school_names
    el = rotate.eligibility[rotate.eligibility["teacher_id"] == tid].iloc[0]
    shown = _display_ids(pd.Series([tid]), pd.Series([str(teacher.get("id_number", "") or "")]), config).iat[0]
    school = str(teacher["school_id"])
    lines = [f"{teacher.get('name', '')}（{shown}），{names.get(school, school)}，{teacher.get('subject', '')}",
             f"交流资格：{el['status']}（{el['reason']}）"]
    ex = rotate.exchanges[rotate.exchanges["teacher_id"] == tid] if len(rotate.exchanges) else rotate.exchanges
    zj = rotate.zoujiao[rotate.zoujiao["teacher_id"] == tid] if len(rotate.zoujiao) else rotate.zoujiao
    if len(ex):
        r = ex.iloc[0]
        why = (f"补充该校{r['stage']}{r['subject']}缺口 {r['gap0']:.1f} 课时" if r["kind"] == "short"
               else "与该校同学科教师双向对调（两校该学科课时不减少）")
        lines.append(f"已选中：{r['type']}，由{names.get(r['from_school'], r['from_school'])}到"
                     f"{names.get(r['to_school'], r['to_school'])}，距离 {r['km']:.1f} 公里，交流 {int(r['years'])} 年；{why}")
    for r in zj.itertuples(index=False):
        lines.append(f"走教：到{names.get(r.host, r.host)}每周 {int(r.periods)} 课时（{r.subject}），单程 {r.km:.1f} 公里，"
                     f"补贴约 {r.subsidy_month:.0f} 元/月")
    if len(ex):
        return lines
    tt = rotate.teachers[rotate.teachers["teacher_id"] == tid]
    t = tt.iloc[0] if len(tt) else None
    if t is None or not bool(t["mover"]):
        if el["status"] == MUST:
            lines.append("未被选中：不计入下一学年的教师供给（如年内退休、不在岗或缺少课时数据），不安排交流")
        elif bool(el.get("volunteer", False)) and not bool(config["exchange.use_volunteers"]):
            lines.append("未被选中：本人愿意交流，但配置 exchange.use_volunteers = false，不使用自愿人选")
        else:
            lines.append(f"不在交流人选之列（{el['status']}）")
        return lines
    cand = rotate.candidates[rotate.candidates["teacher_id"] == tid] if len(rotate.candidates) else rotate.candidates
    cells = rotate.cells
    subjects = [s for s in (t["subject"], t["subject2"]) if s]
    threshold = float(config["shortage.threshold"])
    if cand.empty:
        need = threshold * cells["load"].to_numpy(float) - 1e-9
        near = (cells["county"] == t["county"]) & cells["subject"].isin(subjects) & (cells["school_id"] != t["school_id"])
        short_any = cells[near & receiving(cells, threshold)]
        own_short = cells[near & (cells["gap0"].to_numpy(float) >= need)]
        if short_any.empty and len(own_short):
            lines.append(f"未被选中：有 {own_short['school_id'].nunique()} 所学校该学段该学科缺口达到 {threshold:g} 人，但学校"
                         "该学科小学、初中合计未达到（本校另一学段有富余，先在校内调剂）")
        elif short_any.empty:
            lines.append(f"未被选中：没有该学科（{'、'.join(subjects)}）缺口达到 {threshold:g} 人的接收学校")
        else:
            lines.append(f"未被选中：有 {short_any['school_id'].nunique()} 所学校该学科缺口达到 {threshold:g} 人，但都不满足交流方向"
                         "（城乡之间、强弱之间或集团内）、距离或考核要求")
        return lines
    tol = float(config["exchange.sending_tolerance"])
    home = cells[(cells["school_id"] == t["school_id"]) & (cells["subject"] == t["subject"])
                 & ((cells["stage"] == t["t_stage"]) | (cells["stage"] == ""))]
    if len(home):
        gap0, load = float(home["gap0"].sum()), float(home["load"].iloc[0])
        if gap0 > 0:
            lines.append(f"未被选中：其所在学校该学科已缺 {gap0:.1f} 课时，派出只能在有同学科教师调入时进行")
            return lines
        if gap0 + float(t["periods_main"]) > tol * load + 1e-9:
            lines.append(f"未被选中：派出后所在学校该学科将缺 {gap0 + float(t['periods_main']):.1f} 课时，超过容忍 {tol:g} 人"
                         f"（{tol * load:g} 课时），且没有同学科教师调入")
            return lines
    group = rotate.candidates[(rotate.candidates["grp"] == cand["grp"].iloc[0])
                              & (rotate.candidates["county"] == t["county"])]
    if group["chosen"].any():
        lines.append("未被选中：同校同学科、课时与身份相同的教师中已按规则选出优先者（" + PRIORITY + "）")
        return lines
    nearest = cand.sort_values("km").iloc[0]
    lines.append(f"未被选中：本人可去的学校（最近为{names.get(nearest['to_school'], nearest['to_school'])}，"
                 f"{nearest['km']:.1f} 公里）的缺口已由其他教师补足，或补充的课时抵不过每交流 1 人的代价"
                 f"（{float(config['exchange.move_cost']):g} 加权课时）")
    return lines
