"""Independent audit of a finished rotation plan (issue 17): every hard rule of domain.md §6–7, in periods.

This module shares no code with the model (build.py, candidates.py, pipeline.py, solve.py): it recomputes
everything from the roster, the schools table, the forecast's subject gap table, the eligibility frame and the
finished plan tables, so that a bug in the model cannot hide itself.  It only uses the published rules
(``staffplan.rules``) and the forecast's definition of a teacher's supply (``forecast.supply.teacher_supply``,
the same accounting the gap table was built from).

``audit_plan`` returns one row per breach (AUDIT_COLUMNS): 规则, 区县, 学校代码, 学校, 学科, 教师编号, 应满足, 实际,
差额, 说明 — empty when the plan keeps every rule.  差额 is always "how far beyond the rule" (positive).

Inputs (plain frames, English column names)
-------------------------------------------
* ``exchanges``  one row per move: teacher_id, from_school, to_school, subject (the subject taught at the
  receiver); optional stage (receiving stage; else the receiver's only teaching stage, else the teacher's),
  kind (informative: a move counts as a two-way swap only when its reverse move in the same subject is also in
  the plan), years (term; default ``exchange.max_years``), periods (what
  the arrival teaches there; capped at the cell's standard load).
* ``zoujiao``    one row per teacher × host × subject: teacher_id, home, host, subject, periods; optional stage.
  (Several subjects joined in one cell, "音乐、美术", cannot be split into periods: give one row per subject.)
* ``teachers``, ``schools`` the canonical roster and schools; ``gaps`` the forecast 学科缺口 (school_id, stage,
  subject, gap_periods, standard_load; demand_periods used to place teachers of multi-stage schools).
* ``eligibility`` :func:`staffplan.rules.eligibility.exchange_eligibility` (status, volunteer, retire_date,
  may_serve_weak …); ``supply`` (optional) the forecast teacher supply — when given, each teacher's stage and
  periods are taken from it, else recomputed from the roster.

Rules and their arithmetic
--------------------------
* 派出校学科缺口 (periods, per cell = school × stage × subject that loses a teacher): after = gap0 + Σ leavers'
  periods there (main subject and second subject, each leaver's actual periods) − Σ exchange arrivals'
  periods there (走教 periods are *not* counted as a replacement: the exchange must keep the rule on its own,
  and the 走教 pass may not be what keeps it).  Limit = tolerance (``exchange.sending_tolerance`` × standard
  load) when gap0 ≤ 0 (a cell with a surplus or balanced may end at most the tolerance short), else gap0 (a
  cell already short, by however little, may not get shorter).  Breach when after > limit + 1e-6;
  差额 = after − limit.  Judged on the exact gap and on the gap as 学科缺口 shows it (0.1 periods): a plan that
  keeps the rule only before rounding breaks it on the published figures.  The same rule holds for a school's
  subject over its compulsory stages (小学 + 初中 of a 九年一贯制: Σ gaps, the smaller standard load).
* 交流教师职称: every exchange teacher holds ``exchange.min_title_level`` (中级) or higher — volunteers too
  (``exchange.volunteers_need_title``), from the roster's title level.
* 接收校缺口不足: a receiving cell's gap0 must be ≥ ``shortage.threshold`` × load, and its school's subject over the
  compulsory stages (Σ gap0 ÷ load of the 小学 and 初中 cells, FTE) ≥ ``shortage.threshold``, except for two-way swaps;
  and every arrival still finds the threshold: after the plan the cell's gap (gap0 + leavers' periods − arrivals'
  periods) ≥ −(1 − threshold) × load — a cell short 20 periods at load 14 takes one teacher, not two.
* 交流资格: status 应交流, or a volunteer (``exchange.use_volunteers``); never 临聘 / non-专任教师 / not at post /
  past the retirement date on 1 Sep of the plan year (checked on the roster itself as well, 走教 too); a teacher whose retirement date falls before the end of the term is
  not moved, unless ``exchange.allow_short_term`` and the term is shortened to fit (交流年限: 1 … max_years
  years, shorter than max_years only for such a teacher); with appraisal 不合格/基本合格
  in either of the last two years (``exchange.weak_needs_good_appraisal``) not to a 乡村/薄弱 school, not for 走教.
* 学段不符: the receiving (host) stage is the teacher's own teaching stage.
* 交流方向 (cross 城乡, cross 办学水平, or same 教育集团 — each as configured), 同一区县, ``exchange.max_km``.
* 重复安排: a teacher moves at most once, and does not also 走教 (unless ``zoujiao.allow_exchanged``).
* Quotas per county (share_rules_on): moves ≥ ceil(5 % × compulsory 专任教师 (teaching stage 小学/初中, not past
  retirement, 临聘 per ``exchange.base_includes_temporary``)); moves from 城镇/优质 schools ≥ ceil(10 % × 应交流
  there); 骨干 movers ≥ 20 % × moves; moves ≤ ceil(max_share × base) when max_share > 0 (the same rounding as the
  floor, so max_share = min_share_compulsory is feasible).
* 走教: subject in ``zoujiao.subjects`` and taught by the teacher; same 学区/镇街 or same 教育集团 (``same_zone``);
  per host cell, 走教 periods ≤ ceil(shortage left after the exchanges, the smaller of exact and shown at 0.1), and
  Σ 走教 into the host school's subject ≤ ceil(its shortage left in the subject over all its stages, Σ periods — a
  完全中学's 初中 periods to spare cover its 高中 first); one-way km ≤ ``zoujiao.max_km``; hosts ≤ ``max_hosts``; whole periods; total load
  ≤ standard load + ``extra_load``; above the standard load only with 本人意愿 愿意走教 (``extra_load_needs_consent``);
  no teacher with a special situation on file (孕期/哺乳期/重大疾病, approved or not), unless ``zoujiao.allow_deferred``;
  no teacher whose retirement date falls in the school year (``zoujiao.allow_retiring_in_year``); home first: the
  school still short of a subject after the exchanges (over all its stages) sends no 走教 teacher of it, and a host school takes 走教 only
  for what its own teachers' spare periods in the subject cannot cover (走教未先用本校富余课时).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..forecast.gaps import shown_periods
from ..rules.curriculum import standard_load
from ..rules.distance import pair_km
from ..rules.eligibility import MUST
from ..rules.retirement import plan_cutoff
from ..rules.standards import SCHOOL_TEACHING_STAGES
from ..schema import STATUS_AT_POST, TITLE_LEVELS

AUDIT_COLUMNS = ["规则", "区县", "学校代码", "学校", "学科", "教师编号", "应满足", "实际", "差额", "说明"]

R_SEND = "派出校学科缺口（课时）"
R_TITLE = "交流教师职称"
R_RECEIVE = "接收校缺口不足"
R_ELIGIBLE = "交流资格"
R_POST = "临聘或非专任教师"
R_AT_POST = "人员状态不在岗"
R_RETIRE = "交流期内退休"
R_RETIRED = "已过退休日期"
R_TERM = "交流年限"
R_APPRAISAL = "考核等次限制"
R_SUBJECT = "学科不符"
R_STAGE = "学段不符"
R_DIRECTION = "交流方向"
R_COUNTY = "跨区县"
R_KM = "交流距离"
R_ONCE = "重复安排"
R_QUOTA = "年度交流比例"
R_QUOTA_URBAN = "城镇/优质学校交流比例"
R_BACKBONE = "骨干教师比例"
R_CAP = "交流人数上限"
R_ZJ_SUBJECT = "走教学科"
R_ZJ_ZONE = "走教范围"
R_ZJ_HOST = "走教课时超过剩余缺口"
R_ZJ_KM = "走教距离"
R_ZJ_HOSTS = "走教学校数"
R_ZJ_INT = "走教课时非整数"
R_ZJ_LOAD = "走教超课时"
R_ZJ_CONSENT = "超标准课时未经本人同意"
R_ZJ_HOME = "走教未先用本校富余课时"

COMPULSORY = {"小学", "初中"}
WEAK_APPRAISALS = {"不合格", "基本合格"}
EPS = 1e-6


def _half_up(x, digits: int) -> np.ndarray:
    """四舍五入 at ``digits`` decimals, as the workbooks print (the audit's own rounding, not the model's)."""
    f = 10.0 ** digits
    return np.floor(np.asarray(x, dtype=float) * f + 0.5 + 1e-9) / f


def _as_shown(periods) -> np.ndarray:
    """The smaller of an exact period figure and the same rounded half-up to 0.1 (as the workbooks show it): a
    reader who checks 走教 against a remaining gap printed as 6.0 must not find 7 periods."""
    x = np.asarray(periods, dtype=float)
    return np.minimum(x, _half_up(x, 1))


def _shown_gap(gap0, load) -> np.ndarray:
    """A gap in periods as the threshold judges it: the larger of the exact one and 缺口人数 as shown (0.01 人) × load."""
    g0, ld = np.asarray(gap0, float), np.asarray(load, float)
    return np.maximum(g0, _half_up(g0 / ld, 2) * ld)


def _text(s) -> pd.Series:
    return pd.Series(s).fillna("").astype(str)


def _col(df: pd.DataFrame, name: str, default) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([default] * len(df), index=df.index)


def _schools(schools: pd.DataFrame, config) -> pd.DataFrame:
    s = schools.drop_duplicates("school_id").copy()
    s["school_id"] = s["school_id"].astype(str)
    for col in ("school_name", "stage", "county", "group", "locality", "town", "zone"):
        s[col] = _text(_col(s, col, ""))
    s["tier"] = _text(_col(s, "tier", "")).replace("", "一般")
    s["zone"] = s["zone"].where(s["zone"] != "", s["town"])
    s["rural"] = s["locality"] == "乡村"
    s["urban"] = s["locality"].isin(set(config["exchange.urban_localities"])) | (s["tier"] == "优质")
    s["weak_target"] = s["rural"] | (s["tier"] == "薄弱")
    return s.set_index("school_id")


def _teacher_table(teachers, schools, gaps, eligibility, config, plan_year, supply) -> pd.DataFrame:
    """One row per teacher: stage, subjects, actual periods in main/second subject, standard load, flags."""
    if supply is None:
        from ..forecast.supply import teacher_supply

        demand = gaps[["school_id", "stage", "subject", "demand_periods"]] if "demand_periods" in gaps else None
        if demand is not None:
            demand = demand.assign(school_id=demand["school_id"].astype(str))
        supply = teacher_supply(teachers, schools, config, plan_year, demand=demand)
    sup = supply.copy()
    sup["teacher_id"] = sup["teacher_id"].astype(str)
    sup = sup.drop_duplicates("teacher_id").set_index("teacher_id")
    t = teachers.copy()
    t["teacher_id"] = t["teacher_id"].astype(str)
    t["school_id"] = t["school_id"].astype(str)
    t = t.drop_duplicates("teacher_id").set_index("teacher_id")
    out = pd.DataFrame(index=t.index)
    out["school_id"] = t["school_id"]
    out["subject"] = _text(_col(t, "subject", ""))
    out["subject2"] = _text(_col(t, "subject2", ""))
    out["stage"] = _text(sup["stage"].reindex(out.index)) if "stage" in sup else ""
    for col in ("periods_main", "periods_second"):
        out[col] = pd.to_numeric(sup[col].reindex(out.index), errors="coerce").fillna(0.0) if col in sup else 0.0
    out["standard_load"] = standard_load(out["stage"], out["subject"], config).to_numpy()
    out["employment"] = _text(_col(t, "employment", ""))
    out["post"] = _text(_col(t, "post", "")).replace("", "专任教师")
    out["status_roster"] = _text(_col(t, "status", "")).replace("", STATUS_AT_POST)
    will = _text(_col(t, "willingness", ""))
    out["willing_zoujiao"] = will.str.contains("愿意走教", regex=False)
    out["refuses_zoujiao"] = will.str.contains("不愿走教", regex=False)
    out["special_case"] = _text(_col(t, "special", "")) != ""      # 孕期/哺乳期/重大疾病 on file
    out["backbone"] = _col(t, "backbone", False).fillna(False).astype(bool)
    out["title_level"] = _text(_col(t, "title_level", "")).replace("", "未定级")
    appr = _text(_col(t, "appraisal", "")).isin(WEAK_APPRAISALS) | _text(_col(t, "appraisal_prev", "")).isin(
        WEAK_APPRAISALS)
    out["weak_appraisal"] = appr & bool(config.get("exchange.weak_needs_good_appraisal", True))
    el = eligibility.copy()
    el["teacher_id"] = el["teacher_id"].astype(str)
    el = el.drop_duplicates("teacher_id").set_index("teacher_id").reindex(out.index)
    out["elig"] = _text(_col(el, "status", ""))
    out["volunteer"] = _col(el, "volunteer", False).fillna(False).astype(bool)
    out["retire_date"] = pd.to_datetime(_col(el, "retire_date", pd.NaT), errors="coerce")
    # counted in next year's supply (the forecast's own flag when it has one)
    counts = sup["counts"].reindex(out.index) if "counts" in sup else pd.Series(True, index=sup.index).reindex(out.index)
    out["counted"] = counts.fillna(False).astype(bool)
    out["supply_load"] = pd.to_numeric(sup["standard_load"].reindex(out.index), errors="coerce") \
        if "standard_load" in sup else np.nan
    if "teach_stage" in el.columns and supply is None:
        given = _text(el["teach_stage"])
        out["stage"] = given.where(given != "", out["stage"])
    return out


def _cells(gaps: pd.DataFrame, config) -> pd.DataFrame:
    g = gaps.copy()
    g["school_id"] = g["school_id"].astype(str)
    g["stage"] = _text(_col(g, "stage", ""))
    g["gap_periods"] = pd.to_numeric(g["gap_periods"], errors="coerce").fillna(0.0)
    g["standard_load"] = pd.to_numeric(_col(g, "standard_load", np.nan), errors="coerce")
    g = g.groupby(["school_id", "stage", "subject"], sort=True).agg(gap0=("gap_periods", "sum"),
                                                                    load=("standard_load", "first"))
    missing = g["load"].isna()
    if missing.any():
        idx = g.index[missing]
        g.loc[missing, "load"] = standard_load(pd.Series(idx.get_level_values("stage")),
                                               pd.Series(idx.get_level_values("subject")), config).to_numpy()
    g["load"] = g["load"].fillna(float(config["exchange.default_load"]))
    return g


def _lookup(cells: pd.DataFrame, school, stage, subject, col: str, config) -> np.ndarray:
    """cells[col] for each (school, stage, subject); absent cells: gap 0, load = standard load."""
    key = pd.MultiIndex.from_arrays([_text(school).to_numpy(), _text(stage).to_numpy(), _text(subject).to_numpy()])
    vals = cells[col].reindex(key).to_numpy(float)
    if col == "load":
        fallback = standard_load(_text(stage), _text(subject), config).to_numpy(float)
        vals = np.where(np.isnan(vals), fallback, vals)
        vals = np.where(np.isnan(vals), float(config["exchange.default_load"]), vals)
    else:
        vals = np.nan_to_num(vals, nan=0.0)
    return vals


def _over_compulsory(cells: pd.DataFrame, values) -> pd.Series:
    """(school, subject) → Σ ``values`` (one per cell, aligned with ``cells``) over the school's 小学 and 初中 cells
    of the subject: a multi-stage school judged as a whole."""
    c = cells.reset_index()
    v = pd.Series(np.asarray(values, dtype=float), index=c.index)
    comp = c["stage"].isin(COMPULSORY)
    return v[comp].groupby([c.loc[comp, "school_id"].astype(str), c.loc[comp, "subject"].astype(str)]).sum()


def _over_school(cells: pd.DataFrame, values) -> pd.Series:
    """(school, subject) → Σ ``values`` (one per cell, aligned with ``cells``) over all the school's cells of the
    subject, whatever the stage: for 走教, whose periods a 完全中学's 初中 and 高中 teachers of a subject share."""
    c = cells.reset_index()
    v = pd.Series(np.asarray(values, dtype=float), index=c.index)
    return v.groupby([c["school_id"].astype(str), c["subject"].astype(str)]).sum()


def _rows(rule, mask, sch, school, subject="", teacher="", required=np.nan, actual=np.nan, excess=np.nan,
          note="") -> pd.DataFrame:
    """Breach rows for the positions where ``mask`` holds (all arguments scalars or aligned arrays)."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if n == 0:
        return pd.DataFrame(columns=AUDIT_COLUMNS)

    def pick(v):
        if np.isscalar(v) or v is None:
            return np.repeat(v, n)
        return np.asarray(v, dtype=object)[mask]

    school_ids = pd.Series(pick(school), dtype=object).fillna("").astype(str)
    return pd.DataFrame({
        "规则": rule,
        "区县": school_ids.map(sch["county"]).fillna("").to_numpy(),
        "学校代码": school_ids.to_numpy(),
        "学校": school_ids.map(sch["school_name"]).fillna("").to_numpy(),
        "学科": pick(subject), "教师编号": pick(teacher),
        "应满足": pd.to_numeric(pd.Series(pick(required)), errors="coerce").round(2).to_numpy(),
        "实际": pd.to_numeric(pd.Series(pick(actual)), errors="coerce").round(2).to_numpy(),
        "差额": pd.to_numeric(pd.Series(pick(excess)), errors="coerce").round(2).to_numpy(),
        "说明": pick(note)})


def _stage_rows(teacher_stage, target_stage, sch, school, subject, teacher) -> pd.DataFrame:
    """A teacher teaches their own stage at the receiving / host school (小学 teachers do not take 初中 classes)."""
    a, b = _text(teacher_stage).to_numpy(), _text(target_stage).to_numpy()
    bad = (a != "") & (b != "") & (a != b)
    return _rows(R_STAGE, bad, sch, school, subject, teacher,
                 note="教师任教" + pd.Series(a, dtype=object) + "学段，接收学段为" + pd.Series(b, dtype=object))


def _norm_exchanges(exchanges: pd.DataFrame, tt: pd.DataFrame, sch: pd.DataFrame, config) -> pd.DataFrame:
    ex = exchanges.copy().reset_index(drop=True)
    for col in ("teacher_id", "from_school", "to_school", "subject"):
        ex[col] = _text(ex[col]) if col in ex else ""
    t_stage = ex["teacher_id"].map(tt["stage"]).fillna("")
    only = ex["to_school"].map(sch["stage"]).map(
        lambda s: SCHOOL_TEACHING_STAGES.get(s, [""])[0] if len(SCHOOL_TEACHING_STAGES.get(s, [])) == 1 else "")
    stage = _text(_col(ex, "stage", ""))
    stage = stage.where(stage != "", only.fillna(""))
    ex["stage"] = stage.where(stage != "", t_stage)
    ex["years"] = pd.to_numeric(_col(ex, "years", np.nan), errors="coerce").fillna(
        float(config["exchange.max_years"]))
    back = set(zip(ex["to_school"], ex["from_school"], ex["subject"]))
    reverse = np.array([k in back for k in zip(ex["from_school"], ex["to_school"], ex["subject"])], dtype=bool)
    ex["swap"] = reverse        # a two-way swap only when the reverse move is in the plan too (a "pair" label is not enough)
    return ex


def _norm_zoujiao(zoujiao: pd.DataFrame, tt: pd.DataFrame, sch: pd.DataFrame) -> pd.DataFrame:
    zj = zoujiao.copy().reset_index(drop=True)
    for col in ("teacher_id", "home", "host", "subject"):
        zj[col] = _text(zj[col]) if col in zj else ""
    zj["periods"] = pd.to_numeric(_col(zj, "periods", 0.0), errors="coerce").fillna(0.0)
    zj = zj[zj["periods"] > 0].reset_index(drop=True)
    only = zj["host"].map(sch["stage"]).map(
        lambda s: SCHOOL_TEACHING_STAGES.get(s, [""])[0] if len(SCHOOL_TEACHING_STAGES.get(s, [])) == 1 else "")
    stage = _text(_col(zj, "stage", ""))
    stage = stage.where(stage != "", only.fillna(""))
    zj["stage"] = stage.where(stage != "", zj["teacher_id"].map(tt["stage"]).fillna(""))
    return zj


def _flows(ex: pd.DataFrame, tt: pd.DataFrame, cells: pd.DataFrame, config) -> pd.DataFrame:
    """Signed period flows per cell: + loss (leavers' main and second periods), − exchange arrivals."""
    ex = ex.drop_duplicates("teacher_id")   # a teacher listed twice leaves once (重复安排 is its own rule)
    lv = tt.reindex(ex["teacher_id"])
    lv = lv.assign(teacher_id=ex["teacher_id"].to_numpy()).reset_index(drop=True)
    main = pd.DataFrame({"school_id": lv["school_id"], "stage": lv["stage"], "subject": lv["subject"],
                         "delta": lv["periods_main"], "leave": 1})
    has2 = (lv["subject2"] != "") & (lv["subject2"] != lv["subject"])
    second = pd.DataFrame({"school_id": lv["school_id"], "stage": lv["stage"], "subject": lv["subject2"],
                           "delta": lv["periods_second"], "leave": 1})[has2.to_numpy()]
    load_in = _lookup(cells, ex["to_school"], ex["stage"], ex["subject"], "load", config)
    ex = ex.reset_index(drop=True)
    stated = pd.to_numeric(_col(ex, "periods", np.nan), errors="coerce").to_numpy(float)
    offer = np.where(np.isnan(stated), load_in, np.minimum(stated, load_in))
    arrive = pd.DataFrame({"school_id": ex["to_school"], "stage": ex["stage"], "subject": ex["subject"],
                           "delta": -offer, "leave": 0})
    flows = pd.concat([main, second, arrive], ignore_index=True)
    flows = flows[flows["school_id"].notna() & (flows["subject"] != "")]
    flows = flows.astype({"school_id": str, "stage": str, "subject": str})
    return flows.groupby(["school_id", "stage", "subject"], as_index=False, sort=True).agg(
        delta=("delta", "sum"), leavers=("leave", "sum"))


def _prepare(exchanges, zoujiao, teachers, schools, gaps, eligibility, config, plan_year, supply):
    sch = _schools(schools, config)
    tt = _teacher_table(teachers, schools, gaps, eligibility, config, plan_year, supply)
    cells = _cells(gaps, config)
    return sch, tt, cells, _norm_exchanges(exchanges, tt, sch, config), _norm_zoujiao(zoujiao, tt, sch)


def _limits(gap0: pd.Series, delta: pd.Series, load: pd.Series, config) -> tuple[pd.Series, pd.Series]:
    """(after, limit) of the sending rule, judged on the exact gap and on the gap as 学科缺口 shows it (0.1
    periods): the worse of the two (after − limit) is returned, so a plan that keeps the rule only before
    rounding is a breach on the published figures."""
    tol = float(config["exchange.sending_tolerance"]) * load
    worst_after, worst_limit = None, None
    for g in (gap0, pd.Series(shown_periods(gap0.to_numpy(float)), index=gap0.index)):
        after = g + delta
        limit = pd.Series(np.where(g > EPS, g, tol), index=g.index)
        if worst_after is None:
            worst_after, worst_limit = after, limit
        else:
            worse = (after - limit) > (worst_after - worst_limit)
            worst_after, worst_limit = worst_after.where(~worse, after), worst_limit.where(~worse, limit)
    return worst_after, worst_limit


def _send_table(ex, tt, cells, config) -> pd.DataFrame:
    f = _flows(ex, tt, cells, config)
    f["gap0"] = _lookup(cells, f["school_id"], f["stage"], f["subject"], "gap0", config)
    f["load"] = _lookup(cells, f["school_id"], f["stage"], f["subject"], "load", config)
    f["after"], f["limit"] = _limits(f["gap0"], f["delta"], f["load"], config)
    return f


def _send_school_table(ex, tt, cells, config) -> pd.DataFrame:
    """The sending rule for a school's subject over its compulsory stages (小学 + 初中 of a 九年一贯制): every cell of
    that school and subject in those stages (touched by the plan or not) adds its gap; the limit uses the
    smaller standard load.  Only schools with the subject in both stages and a leaver there."""
    f = _flows(ex, tt, cells, config)
    f = f[f["stage"].isin(COMPULSORY)]
    c = cells.reset_index()
    c = c[c["stage"].isin(COMPULSORY)]
    both = c[c.groupby(["school_id", "subject"])["stage"].transform("nunique") >= 2]
    if both.empty or f.empty:
        return pd.DataFrame(columns=["school_id", "subject", "gap0", "delta", "load", "leavers", "after", "limit"])
    gap = both.groupby(["school_id", "subject"]).agg(gap0=("gap0", "sum"), load=("load", "min"))
    gap["shown"] = both.assign(shown=shown_periods(both["gap0"].to_numpy(float))).groupby(
        ["school_id", "subject"])["shown"].sum()
    flow = f.groupby(["school_id", "subject"]).agg(delta=("delta", "sum"), leavers=("leavers", "sum"))
    t = gap.join(flow, how="inner")
    t = t[t["leavers"] > 0]
    tol = float(config["exchange.sending_tolerance"]) * t["load"]
    short = (t["gap0"] > EPS) | (t["shown"] > EPS)
    base = np.maximum(t["gap0"], t["shown"])
    t["after"] = base + t["delta"]
    t["limit"] = np.where(short, base, tol)
    return t.reset_index()


def sending_cells(exchanges: pd.DataFrame, zoujiao: pd.DataFrame, teachers: pd.DataFrame, schools: pd.DataFrame,
                  gaps: pd.DataFrame, eligibility: pd.DataFrame, config, plan_year: int,
                  supply: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per cell touched by the plan: gap0, delta (+ = periods lost), after, limit, leavers (for measurements)."""
    _, tt, cells, ex, zj = _prepare(exchanges, zoujiao, teachers, schools, gaps, eligibility, config, plan_year,
                                    supply)
    return _send_table(ex, tt, cells, config)


def audit_plan(exchanges: pd.DataFrame, zoujiao: pd.DataFrame, teachers: pd.DataFrame, schools: pd.DataFrame,
               gaps: pd.DataFrame, eligibility: pd.DataFrame, config, plan_year: int,
               supply: pd.DataFrame | None = None, distances: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per breach of a hard rule (AUDIT_COLUMNS); empty frame when the plan keeps every rule."""
    sch, tt, cells, ex, zj = _prepare(exchanges, zoujiao, teachers, schools, gaps, eligibility, config,
                                      plan_year, supply)
    pdate = plan_cutoff(plan_year, config)
    out: list[pd.DataFrame] = []
    dist = distances if distances is not None and len(distances) else None

    # --- sending rule, in periods ------------------------------------------------------------------
    f = _send_table(ex, tt, cells, config)
    after, limit = f["after"], f["limit"]
    bad = (f["leavers"] > 0) & (after > limit + EPS)
    note = np.where(f["gap0"] > EPS, "原已缺课，交流后缺口扩大", "原无缺口，交流后缺口超过容忍度")
    out.append(_rows(R_SEND, bad, sch, f["school_id"], f["subject"], "", limit, after, after - limit,
                     f["stage"] + "：" + pd.Series(note, index=f.index)))
    fs = _send_school_table(ex, tt, cells, config)
    bad = fs["after"] > fs["limit"] + EPS
    out.append(_rows(R_SEND, bad, sch, fs["school_id"], fs["subject"], "", fs["limit"], fs["after"],
                     fs["after"] - fs["limit"], pd.Series("全校（小学、初中合计）：该学科交流后缺口超过容忍度或扩大",
                                                          index=fs.index)))

    if len(ex):
        tex = tt.reindex(ex["teacher_id"])
        tid, frm, to, subj = ex["teacher_id"], ex["from_school"], ex["to_school"], ex["subject"]
        # --- receivers ---------------------------------------------------------------------------------
        gap_in = _lookup(cells, to, ex["stage"], subj, "gap0", config)
        load_in = _lookup(cells, to, ex["stage"], subj, "load", config)
        thr = float(config["shortage.threshold"])
        need = thr * load_in
        # judged as 学科缺口 shows the gap (缺口人数 at 0.01): 5.9995 periods at a load of 12 shows 0.50 人
        shown_fte = _half_up(np.asarray(gap_in, float) / np.asarray(load_in, float), 2)
        bad = ~ex["swap"].to_numpy() & (shown_fte < thr - EPS)
        out.append(_rows(R_RECEIVE, bad, sch, to, subj, tid, need, gap_in, need - gap_in,
                         ex["stage"] + "：接收学校该学科缺口未达紧缺阈值"))
        # each arrival must still find the cell short by the threshold: after the plan the cell keeps at most
        # (1 − threshold) FTE of surplus (after = gap0 + leavers' periods − arrivals' periods ≥ −(1 − thr) · load)
        recv = pd.DataFrame({"school_id": _text(to).to_numpy(), "stage": _text(ex["stage"]).to_numpy(),
                             "subject": _text(subj).to_numpy()})[~ex["swap"].to_numpy()].drop_duplicates()
        seq = recv.merge(f, on=["school_id", "stage", "subject"], how="inner")
        if len(seq):
            g0, ld = seq["gap0"].to_numpy(float), seq["load"].to_numpy(float)
            after = seq["gap0"] + seq["delta"]
            floor_ = -(1.0 - thr) * seq["load"]
            # a breach on the exact figures and on gap0 as its 缺口人数 shows it (0.01 人) — the exact one reported
            shown_after = _shown_gap(g0, ld) + seq["delta"].to_numpy(float)
            bad_seq = (after < floor_ - EPS).to_numpy() & (shown_after < floor_.to_numpy() - EPS)
            out.append(_rows(R_RECEIVE, bad_seq, sch, seq["school_id"], seq["subject"], "",
                             floor_, after, floor_ - after,
                             seq["stage"] + "：最后一名交流教师到达时该学科缺口已不足紧缺阈值（交流后富余超过 "
                             + f"{1.0 - thr:g} 人）"))
        # the school's subject over its compulsory stages, in FTE (Σ gap ÷ load of its 小学 and 初中 cells): a
        # 九年一贯制 with spare 初中 periods in the subject is not short in it as a school
        fte = _over_compulsory(cells, cells["gap0"].to_numpy(float) / cells["load"].to_numpy(float))   # FTE
        pooled = pd.MultiIndex.from_arrays([_text(to).to_numpy(), _text(subj).to_numpy()])
        pooled = fte.reindex(pooled).to_numpy(float)
        bad = ~ex["swap"].to_numpy() & ex["stage"].isin(COMPULSORY).to_numpy() & ~np.isnan(pooled) & \
            (_half_up(np.nan_to_num(pooled, nan=thr), 2) < thr - EPS)                    # as shown, 0.01 人
        out.append(_rows(R_RECEIVE, bad, sch, to, subj, tid, thr, np.round(pooled, 3), thr - pooled,
                         "全校（小学、初中合计）该学科缺编未达紧缺阈值（人）"))
        # the same over the school's subject (its 小学 and 初中 cells of a 九年一贯制), in FTE: after the plan
        # Σ (gap0 + delta) ÷ load ≥ −(1 − thr), on the exact figures and on gap0 as 缺口人数 shows it
        c = cells.reset_index()
        c = c[c["stage"].isin(COMPULSORY)]
        c = c[c.groupby(["school_id", "subject"])["stage"].transform("size") >= 2]
        if len(c):
            fd = f.set_index(["school_id", "stage", "subject"])["delta"]
            delta = fd.reindex(pd.MultiIndex.from_frame(c[["school_id", "stage", "subject"]])).fillna(0.0).to_numpy()
            g0, ld = c["gap0"].to_numpy(float), c["load"].to_numpy(float)
            per_cell = pd.DataFrame({"school_id": c["school_id"].astype(str).to_numpy(),
                                     "subject": c["subject"].astype(str).to_numpy(), "after": (g0 + delta) / ld,
                                     "shown": (_shown_gap(g0, ld) + delta) / ld})
            sg = per_cell.groupby(["school_id", "subject"], as_index=False)[["after", "shown"]].sum()
            arrivals = pd.MultiIndex.from_arrays([_text(to).to_numpy(), _text(subj).to_numpy()])[
                ~ex["swap"].to_numpy() & ex["stage"].isin(COMPULSORY).to_numpy()]
            got = pd.MultiIndex.from_frame(sg[["school_id", "subject"]]).isin(arrivals)
            floor_ = -(1.0 - thr)
            bad_sg = got & (sg["after"] < floor_ - EPS).to_numpy() & (sg["shown"] < floor_ - EPS).to_numpy()
            out.append(_rows(R_RECEIVE, bad_sg, sch, sg["school_id"], sg["subject"], "", floor_,
                             sg["after"].round(3), floor_ - sg["after"],
                             f"全校（小学、初中合计）：最后一名交流教师到达时该学科缺编已不足紧缺阈值（交流后富余超过 "
                             f"{1.0 - thr:g} 人）"))
        # --- who may move --------------------------------------------------------------------------------
        known = tex["school_id"].notna().to_numpy()
        status = tex["elig"].fillna("").to_numpy()
        ok = (status == MUST) | (bool(config["exchange.use_volunteers"]) & tex["volunteer"].fillna(False).to_numpy(bool))
        out.append(_rows(R_ELIGIBLE, ~ok, sch, frm, subj, tid, note=np.where(
            known, "交流资格为「" + pd.Series(status).replace("", "未知") + "」", "教师不在花名册中")))
        bad = known & ((tex["employment"].to_numpy() == "临聘") | (tex["post"].to_numpy() != "专任教师"))
        out.append(_rows(R_POST, bad, sch, frm, subj, tid, note="临聘教师和非专任教师不参加交流"))
        # the 中级 title (exchange.min_title_level) is asked of every exchange teacher, volunteers included
        # unless exchange.volunteers_need_title is off
        need = TITLE_LEVELS.index(str(config["exchange.min_title_level"]))
        rank = tex["title_level"].map({lv: i for i, lv in enumerate(TITLE_LEVELS)}).fillna(len(TITLE_LEVELS)).to_numpy()
        title_needed = (status == MUST) | bool(config.get("exchange.volunteers_need_title", True))
        bad = known & title_needed & (rank > need)
        out.append(_rows(R_TITLE, bad, sch, frm, subj, tid, note=np.where(
            known, "职称级别为「" + tex["title_level"].fillna("").astype(str) + "」，低于" +
            str(config["exchange.min_title_level"]), "")))
        bad = known & (tex["status_roster"].to_numpy() != STATUS_AT_POST)
        out.append(_rows(R_AT_POST, bad, sch, frm, subj, tid, note="人员状态不是在本单位任职"))
        out.append(_rows(R_RETIRED, (tex["retire_date"] < pdate).to_numpy(bool), sch, frm, subj, tid,
                         note="计划年 9 月 1 日前已达到退休日期"))
        wrong_school = known & (tex["school_id"].to_numpy() != frm.to_numpy())
        teaches = (tex["subject"].to_numpy() == subj.to_numpy()) | (tex["subject2"].to_numpy() == subj.to_numpy())
        out.append(_rows(R_SUBJECT, known & (~teaches | wrong_school), sch, frm, subj, tid,
                         note=np.where(wrong_school, "原学校与花名册不一致", "交流学科不是本人任教或兼任学科")))
        out.append(_stage_rows(tex["stage"], ex["stage"], sch, to, subj, tid))
        # --- retirement within the term -------------------------------------------------------------------
        retire = pd.to_datetime(tex["retire_date"]).reset_index(drop=True)
        years = ex["years"].to_numpy(float)
        possible = ((retire - pdate).dt.days / 365.25).to_numpy(float)
        full = float(config["exchange.max_years"])
        short_ok = bool(config.get("exchange.allow_short_term", False))
        bad = ~np.isnan(possible) & (possible < years - EPS)
        out.append(_rows(R_RETIRE, bad, sch, frm, subj, tid, years, np.round(np.minimum(possible, years), 2),
                         np.round(years - np.minimum(possible, years), 2),
                         "退休日期早于交流期满（应满足为交流年限，实际为退休前可交流年限）"))
        forced = short_ok & ~np.isnan(possible) & (possible < full - EPS)   # shortened only for retirement
        bad = (years > full + EPS) | (years < 1 - EPS) | ((years < full - EPS) & ~forced)
        out.append(_rows(R_TERM, bad, sch, frm, subj, tid, full, years, np.abs(full - years),
                         np.where(years > full + EPS, "交流年限超过上限",
                                  "交流年限不足：仅交流期内退休的教师可缩短年限（exchange.allow_short_term）")))
        # --- appraisal ----------------------------------------------------------------------------------------
        weak_to = to.map(sch["weak_target"]).fillna(False).to_numpy(bool)
        bad = weak_to & tex["weak_appraisal"].fillna(False).to_numpy(bool)
        out.append(_rows(R_APPRAISAL, bad, sch, to, subj, tid, note="近两年考核有不合格或基本合格，不派往乡村/薄弱学校"))
        # --- direction, county, distance --------------------------------------------------------------------
        def attr(col, ids, fill):
            return ids.map(sch[col]).fillna(fill).to_numpy()
        cross_loc = (attr("rural", frm, False) != attr("rural", to, False)) & bool(config["exchange.cross_locality"])
        cross_tier = (attr("tier", frm, "") != attr("tier", to, "")) & bool(config["exchange.cross_tier"])
        ga, gb = attr("group", frm, ""), attr("group", to, "")
        same_group = (ga != "") & (ga == gb) & bool(config["exchange.within_group"])
        bad = ~(cross_loc | cross_tier | same_group) | (frm.to_numpy() == to.to_numpy())
        out.append(_rows(R_DIRECTION, bad, sch, frm, subj, tid,
                         note="交流须跨城乡、跨办学水平或在同一教育集团内（接收学校 " + to + "）"))
        bad = attr("county", frm, "?") != attr("county", to, "!")
        out.append(_rows(R_COUNTY, bad, sch, frm, subj, tid, note="交流学校不在同一区县（接收学校 " + to + "）"))
        max_km = float(config["exchange.max_km"])
        if max_km > 0:
            km = pair_km(schools.astype({"school_id": str}), frm, to, config, dist)
            bad = ~np.isnan(km) & (km > max_km + EPS)
            out.append(_rows(R_KM, bad, sch, frm, subj, tid, max_km, km, km - max_km, "交流距离超过上限（公里）"))
        # --- once --------------------------------------------------------------------------------------------
        times = tid.map(tid.value_counts()).to_numpy()
        first = ~tid.duplicated().to_numpy()
        out.append(_rows(R_ONCE, (times > 1) & first, sch, frm, subj, tid, 1, times, times - 1,
                         "同一教师被安排交流多次"))
        if len(zj) and not bool(config.get("zoujiao.allow_exchanged", False)):
            both = tid.isin(set(zj["teacher_id"])).to_numpy() & first
            out.append(_rows(R_ONCE, both, sch, frm, subj, tid, note="同一教师既交流又走教"))

    # --- quotas per county ---------------------------------------------------------------------------------
    if bool(config["exchange.share_rules_on"]):
        out.append(_quotas(ex, tt, sch, config, plan_year))

    # --- 走教 ------------------------------------------------------------------------------------------------
    if len(zj):
        movers = set(ex["teacher_id"].astype(str)) if len(ex) else set()
        out.append(_audit_zoujiao(zj, tt, sch, cells, schools, config, dist, pdate, f, movers))

    parts = [p for p in out if len(p)]
    if not parts:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    res = pd.concat(parts, ignore_index=True)
    return res[AUDIT_COLUMNS].reset_index(drop=True)


def _quotas(ex: pd.DataFrame, tt: pd.DataFrame, sch: pd.DataFrame, config, plan_year: int) -> pd.DataFrame:
    pdate = plan_cutoff(plan_year, config)
    t = tt.assign(county=tt["school_id"].map(sch["county"]).fillna(""),
                  urban=tt["school_id"].map(sch["urban"]).fillna(False).astype(bool))
    retired = t["retire_date"].notna() & (t["retire_date"] < pdate)
    temp_ok = bool(config["exchange.base_includes_temporary"]) | (t["employment"] != "临聘")
    t["base"] = (t["post"] == "专任教师") & t["stage"].isin(COMPULSORY) & ~retired & temp_ok
    t["must_urban"] = (t["elig"] == MUST) & t["urban"]
    movers = ex.drop_duplicates("teacher_id")
    m = movers.assign(county=movers["from_school"].map(sch["county"]).fillna(""),
                      urban=movers["from_school"].map(sch["urban"]).fillna(False).astype(bool),
                      backbone=movers["teacher_id"].map(t["backbone"]).fillna(False).astype(bool))
    rows = []
    share5, share10 = float(config["exchange.min_share_compulsory"]), float(config["exchange.min_share_eligible_urban"])
    share_bb, cap_share = float(config["exchange.min_share_backbone"]), float(config.get("exchange.max_share", 0.0))
    for county in sorted(set(t["county"]) | set(m["county"])):
        tc, mc = t[t["county"] == county], m[m["county"] == county]
        n, base, must_urban = len(mc), int(tc["base"].sum()), int(tc["must_urban"].sum())
        need = math.ceil(share5 * base - 1e-9)
        label = county or "全区"
        if n < need:
            rows.append((R_QUOTA, county, need, n, need - n, f"{label}：交流人数不少于义务教育专任教师 {base} 人的 {share5:.0%}"))
        if str(config["exchange.urban_share_scope"]) == "school":
            # each 城镇/优质 school on its own: ceil(10 % of its 应交流 teachers), counted from the plan's list
            own = tc[tc["must_urban"]].groupby("school_id").size()
            sent = mc.groupby(mc["from_school"].astype(str)).size()
            for school, k in own.items():
                need_s = math.ceil(share10 * int(k) - 1e-9) if share10 > 0 else 0
                got_s = int(sent.get(str(school), 0))
                if got_s < need_s:
                    rows.append((R_QUOTA_URBAN, county, need_s, got_s, need_s - got_s,
                                 f"{label}：学校 {school} 应交流教师 {int(k)} 人的 {share10:.0%}（逐校）"))
        else:
            need_u = math.ceil(share10 * must_urban - 1e-9)
            got_u = int(mc["urban"].sum())
            if got_u < need_u:
                rows.append((R_QUOTA_URBAN, county, need_u, got_u, need_u - got_u,
                             f"{label}：城镇/优质学校应交流教师 {must_urban} 人的 {share10:.0%}"))
        bb = int(mc["backbone"].sum())
        if n and bb < share_bb * n - 1e-9:
            rows.append((R_BACKBONE, county, share_bb * n, bb, share_bb * n - bb,
                         f"{label}：骨干教师不少于交流人数 {n} 人的 {share_bb:.0%}"))
        if cap_share > 0:
            cap = math.ceil(cap_share * base - 1e-9)   # rounded like the 5 % floor, so max_share = floor is feasible
            if n > cap:
                rows.append((R_CAP, county, cap, n, n - cap, f"{label}：交流人数不超过 {cap_share:.0%}"))
    if not rows:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    r = pd.DataFrame(rows, columns=["规则", "区县", "应满足", "实际", "差额", "说明"])
    return r.assign(学校代码="", 学校="", 学科="", 教师编号="")[AUDIT_COLUMNS]


def _least_load(tp: pd.DataFrame, sch: pd.DataFrame, config) -> np.ndarray:
    """The standard load a teacher is held to: their own, or less — the subject's load in any stage the school teaches
    (the roster may not say which stage a teacher of a 九年一贯制 teaches; the limit must hold on every reading)."""
    std = tp["standard_load"].to_numpy(float)
    kinds = tp["school_id"].map(sch["stage"]).fillna("").astype(str).to_numpy() if "stage" in sch else \
        np.full(len(tp), "")
    for stage in ("小学", "初中", "高中"):
        other = standard_load(pd.Series(stage, index=range(len(tp))), tp["subject"].reset_index(drop=True),
                              config).to_numpy(float)
        use = np.array([stage in SCHOOL_TEACHING_STAGES.get(k, ()) for k in kinds], dtype=bool) & ~np.isnan(other)
        std = np.where(use, np.fmin(std, other), std)
    return std


def _school_spare(tt, sch, config, pdate, movers) -> pd.Series:
    """(school, subject) → Σ spare periods of the school's teachers of the subject (main or second) whom the supply
    counts: at post, 专任, not retired, not exchanged, ⌊the smaller of the least standard load and the supply's
    (+ extra_load with consent) − periods⌋ (the smaller estimate: more spare would make the rule stricter)."""
    t = tt[(tt["post"] == "专任教师") & (tt["status_roster"] == STATUS_AT_POST) & tt["counted"]
           & ~(tt["retire_date"] < pdate).fillna(False) & ~tt.index.isin(list(movers))]
    std = np.fmin(_least_load(t, sch, config), t["supply_load"].to_numpy(float))
    may_extra = t["willing_zoujiao"].fillna(False).to_numpy(bool) | (not bool(config["zoujiao.extra_load_needs_consent"]))
    extra = np.where(may_extra, float(config["zoujiao.extra_load"]), 0.0)
    spare = np.maximum(np.floor(np.nan_to_num(std + extra - t["periods_main"].to_numpy(float)
                                              - t["periods_second"].to_numpy(float), nan=0.0) + EPS), 0.0)
    both = pd.concat([pd.DataFrame({"school": t["school_id"].astype(str).to_numpy(), "subject": t[c].to_numpy(),
                                    "spare": spare}) for c in ("subject", "subject2")], ignore_index=True)
    return both[both["subject"] != ""].groupby(["school", "subject"])["spare"].sum().rename_axis([None, None])


def _left_after_exchange(cells, sent) -> np.ndarray:
    """Each cell's gap after the exchanges (gap0 + what arrived − what left), in the order of ``cells``."""
    c = cells.reset_index()
    ckey = pd.MultiIndex.from_frame(c[["school_id", "stage", "subject"]].astype(str))
    delta = sent.set_index(["school_id", "stage", "subject"])["delta"]
    return c["gap0"].to_numpy(float) + np.nan_to_num(delta.reindex(ckey).to_numpy(float), nan=0.0)


def _lenient(v) -> np.ndarray:
    """The smaller of exact and shown (0.1 period), ≥ 0."""
    v = np.asarray(v, dtype=float)
    return np.maximum(np.minimum(v, _as_shown(v)), 0.0)


def _home_first(zj, sch, cells, left) -> pd.DataFrame:
    """A school still short of a subject after the exchanges (``left``: each cell's gap after them; over all its
    stages together; the smaller of exact and shown) sends none of its teachers to teach that subject elsewhere
    (走教)."""
    out_ = zj.groupby([zj["home"].astype(str).to_numpy(), zj["subject"].astype(str).to_numpy()])["periods"].sum()
    pooled = _over_school(cells, left)
    need = pd.Series(_lenient(pooled.to_numpy(float)), index=pooled.index.set_names([None, None]))
    need = need.reindex(out_.index).fillna(0.0).to_numpy(float)
    got = out_.to_numpy(float)
    bad = (need > EPS) & (got > EPS)
    school = pd.Series(out_.index.get_level_values(0), index=out_.index)
    subject = pd.Series(out_.index.get_level_values(1), index=out_.index)
    return _rows(R_ZJ_HOME, bad, sch, school, subject, "", 0.0, got, got,
                 "本校该学科交流后仍缺课，不派该学科教师外出走教（本校教师的富余课时先用于本校）")


def _host_own_first(zj, tt, sch, cells, left, config, pdate, movers) -> pd.DataFrame:
    """A host school takes 走教 in a subject only for what its own teachers of the subject cannot cover: Σ 走教 into
    (school, subject) ≤ Σ over its cells of ⌈remaining gap⌉ (each cell's gap, not above the school's over all its
    stages; the smaller of exact and shown) − Σ spare of its own teachers the supply counts."""
    into = zj.groupby([zj["host"].astype(str).to_numpy(), zj["subject"].astype(str).to_numpy()])["periods"].sum()
    own = _school_spare(tt, sch, config, pdate, movers)
    c = cells.reset_index()
    key = pd.MultiIndex.from_frame(c[["school_id", "subject"]].astype(str))
    pooled = _over_school(cells, left).reindex(key).to_numpy(float)
    cell_gap = np.minimum(left, np.nan_to_num(pooled, nan=np.inf))
    cap = np.ceil(_lenient(cell_gap) - EPS) + 0.0
    need = pd.Series(cap).groupby([c["school_id"].astype(str).to_numpy(), c["subject"].astype(str).to_numpy()]).sum()
    bound = (need.reindex(into.index).fillna(0.0) - own.reindex(into.index).fillna(0.0)).clip(lower=0.0)
    got = into.to_numpy(float)
    # only where the school has spare periods of its own: without them this is the gap rule (走教课时超过剩余缺口)
    mine = own.reindex(into.index).fillna(0.0).to_numpy(float) > EPS
    bad = mine & (got > bound.to_numpy(float) + EPS)
    school = pd.Series(into.index.get_level_values(0), index=into.index)
    subject = pd.Series(into.index.get_level_values(1), index=into.index)
    return _rows(R_ZJ_HOME, bad, sch, school, subject, "", bound.to_numpy(float), got, got - bound.to_numpy(float),
                 "本校教师的富余课时可补的缺口不另安排走教：走教课时超过剩余缺口减本校教师富余课时")


def _audit_zoujiao(zj, tt, sch, cells, schools, config, dist, pdate, sent, movers=()) -> pd.DataFrame:
    out = []
    tz = tt.reindex(zj["teacher_id"])
    tid, home, host, subj, per = zj["teacher_id"], zj["home"], zj["host"], zj["subject"], zj["periods"]
    subjects = set(config["zoujiao.subjects"])
    teaches = (tz["subject"].to_numpy() == subj.to_numpy()) | (tz["subject2"].to_numpy() == subj.to_numpy())
    bad = ~subj.isin(subjects).to_numpy() | ~teaches
    out.append(_rows(R_ZJ_SUBJECT, bad, sch, host, subj, tid,
                     note=np.where(subj.isin(subjects), "走教学科不是本人任教或兼任学科", "学科不在走教学科范围内")))
    out.append(_stage_rows(tz["stage"], zj["stage"], sch, host, subj, tid))
    known = tz["school_id"].notna().to_numpy()
    bad = known & ((tz["post"].to_numpy() != "专任教师") | (tz["status_roster"].to_numpy() != STATUS_AT_POST))
    out.append(_rows(R_AT_POST, bad, sch, home, subj, tid, note="走教教师须为在岗专任教师"))
    bad = known & tz["refuses_zoujiao"].fillna(False).to_numpy(bool)
    out.append(_rows(R_ZJ_CONSENT, bad, sch, home, subj, tid, note="本人意愿为不愿走教"))
    if not bool(config["zoujiao.allow_deferred"]):
        bad = known & tz["special_case"].fillna(False).to_numpy(bool)
        out.append(_rows(R_ELIGIBLE, bad, sch, home, subj, tid,
                         note="花名册填有特殊情况，不安排走教（zoujiao.allow_deferred）"))
    if not bool(config.get("zoujiao.allow_temporary", False)):
        bad = known & (tz["employment"].to_numpy() == "临聘")
        out.append(_rows(R_POST, bad, sch, home, subj, tid, note="临聘教师不安排走教（zoujiao.allow_temporary）"))
    out.append(_rows(R_RETIRED, (tz["retire_date"] < pdate).to_numpy(bool), sch, home, subj, tid,
                     note="计划年 9 月 1 日前已达到退休日期"))
    if not bool(config["zoujiao.allow_retiring_in_year"]):
        # the school year ends where the next one starts: the same month and day a year later
        year_end = pdate + pd.DateOffset(years=1)
        bad = ((tz["retire_date"] >= pdate) & (tz["retire_date"] < year_end)).to_numpy(bool)
        out.append(_rows(R_RETIRE, bad, sch, home, subj, tid,
                         note="学年中达到退休日期，不安排全学年走教（zoujiao.allow_retiring_in_year）"))
    bad = tz["weak_appraisal"].fillna(False).to_numpy(bool)
    out.append(_rows(R_APPRAISAL, bad, sch, home, subj, tid, note="近两年考核有不合格或基本合格，不安排走教"))
    if bool(config["zoujiao.same_zone"]):
        za, zb = home.map(sch["zone"]).fillna("").to_numpy(), host.map(sch["zone"]).fillna("").to_numpy()
        ga, gb = home.map(sch["group"]).fillna("").to_numpy(), host.map(sch["group"]).fillna("").to_numpy()
        bad = ~(((za == zb) & (za != "")) | ((ga == gb) & (ga != "")))
        out.append(_rows(R_ZJ_ZONE, bad, sch, host, subj, tid, note="走教须在同一学区/镇街或同一教育集团内"))
    bad = home.map(sch["county"]).fillna("?").to_numpy() != host.map(sch["county"]).fillna("!").to_numpy()
    out.append(_rows(R_COUNTY, bad, sch, host, subj, tid, note="走教学校不在同一区县"))
    cell_left = _left_after_exchange(cells, sent)   # each cell's gap after the exchanges, aligned with cells
    out.append(_home_first(zj, sch, cells, cell_left))
    out.append(_host_own_first(zj, tt, sch, cells, cell_left, config, pdate, movers))
    # per host cell: 走教 periods ≤ ceil(shortage left after the exchanges)
    per_cell = zj.groupby(["host", "stage", "subject"], as_index=False, sort=True)["periods"].sum()
    left = _lookup(cells, per_cell["host"], per_cell["stage"], per_cell["subject"], "gap0", config)
    delta = sent.set_index(["school_id", "stage", "subject"])["delta"]
    key = pd.MultiIndex.from_frame(per_cell[["host", "stage", "subject"]].astype(str))
    left = left + np.nan_to_num(delta.reindex(key).to_numpy(float), nan=0.0)
    cap = np.ceil(np.maximum(_as_shown(left), 0.0) - EPS) + 0.0   # + 0.0 turns −0.0 into 0.0
    got = per_cell["periods"].to_numpy(float)
    out.append(_rows(R_ZJ_HOST, got > cap + EPS, sch, per_cell["host"], per_cell["subject"], "", cap, got, got - cap,
                     per_cell["stage"] + "：走教课时超过交流后剩余缺口（向上取整）"))
    # and not beyond what the host school as a whole still lacks in the subject over all its stages (periods)
    school_left = _over_school(cells, cell_left)
    k2 = pd.MultiIndex.from_arrays([per_cell["host"].astype(str), per_cell["subject"].astype(str)])
    sl = school_left.reindex(k2).to_numpy(float)
    into_school = pd.Series(got).groupby([per_cell["host"].astype(str).to_numpy(),
                                          per_cell["subject"].astype(str).to_numpy()]).transform("sum").to_numpy(float)
    cap2 = np.ceil(np.maximum(_as_shown(np.nan_to_num(sl)), 0.0) - EPS) + 0.0
    out.append(_rows(R_ZJ_HOST, ~np.isnan(sl) & (into_school > cap2 + EPS), sch, per_cell["host"], per_cell["subject"],
                     "", cap2, into_school, into_school - cap2,
                     per_cell["stage"] + "：全校各学段合计，走教课时超过交流后该学科剩余缺口（向上取整）"))
    km = pair_km(schools.astype({"school_id": str}), home, host, config, dist)
    max_km = float(config["zoujiao.max_km"])
    bad = np.isnan(km) | (km > max_km + EPS)
    out.append(_rows(R_ZJ_KM, bad, sch, host, subj, tid, max_km, km, km - max_km, "单程距离超过上限或未知（公里）"))
    frac = np.abs(per - np.round(per)).to_numpy()
    out.append(_rows(R_ZJ_INT, frac > EPS, sch, host, subj, tid, np.round(per), per, frac, "走教周课时须为整数"))
    # per teacher: hosts, load, consent
    per_t = zj.groupby("teacher_id", sort=True).agg(hosts=("host", "nunique"), extra=("periods", "sum"))
    tp = tt.reindex(per_t.index)
    home_t = tp["school_id"].fillna("")
    max_hosts = int(config["zoujiao.max_hosts"])
    bad = per_t["hosts"].to_numpy() > max_hosts
    out.append(_rows(R_ZJ_HOSTS, bad, sch, home_t, "", per_t.index, max_hosts, per_t["hosts"],
                     per_t["hosts"] - max_hosts, "走教学校数超过上限"))
    total = (tp["periods_main"].fillna(0) + tp["periods_second"].fillna(0) + per_t["extra"]).to_numpy(float)
    std = _least_load(tp, sch, config)
    cap = std + float(config["zoujiao.extra_load"])
    bad = ~np.isnan(std) & (total > cap + EPS)
    out.append(_rows(R_ZJ_LOAD, bad, sch, home_t, "", per_t.index, cap, total, total - cap,
                     "本校课时加走教课时超过标准课时加允许超出课时"))
    if bool(config["zoujiao.extra_load_needs_consent"]):
        bad = ~np.isnan(std) & (total > std + EPS) & ~tp["willing_zoujiao"].fillna(False).to_numpy(bool)
        out.append(_rows(R_ZJ_CONSENT, bad, sch, home_t, "", per_t.index, std, total, total - std,
                         "超出标准课时部分须本人愿意走教"))
    parts = [p for p in out if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)
