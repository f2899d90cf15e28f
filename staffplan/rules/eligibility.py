"""Exchange (交流轮岗) eligibility — domain.md §6.

``exchange_eligibility`` gives one row per roster row with a status

* 应交流  — must rotate: 专任教师, 在编, title level ≥ ``exchange.min_title_level``, **more than**
  ``term_years × terms_required`` years continuously at the school on 1 Sep of the plan year, school 学段 in
  ``exchange.stages``, 人员状态 在本单位任职; also a teacher inside the retirement window who has said
  愿意交流 (consent lifts the exemption);
* 免交流  — would have to rotate but is within ``retirement_window_years`` of the legal retirement date
  (2025 reform, :func:`staffplan.rules.retirement.legal_retirement_date`) and has not said 愿意交流;
* 暂缓    — would have to rotate, special situation (孕期/哺乳期/重大疾病) filed and approved;
* 待审批  — same, filed but not approved: not selected, listed with a warning;
* 不符合  — everything else (临聘, non-teaching posts, senior high, title too low, ≤ 6 years, not at post,
  past the retirement date, retiring before the end of the exchange term …).

Precedence when several apply: not at post → retired → 临聘 → post → 学段 → title → years → 免交流 →
暂缓/待审批 → retires within the term.

Teaching stage (``teach_stage``): exchange covers the compulsory stages.  A teacher of a 完全中学 / 十二年一贯制
school who teaches the senior stage (高中) is 不符合 (rule ``stage``) unless ``exchange.stages`` lists 高中 itself;
such teachers are not in the 10 % base either.  The roster has no stage column in most districts, so the stage is
the forecast's (``forecast.supply.teacher_supply``, passed as ``supply``): the roster's 任教学段 (``teach_stage``)
when given; else the school's stages whose timetable has the subject, if only one; else the school's teachers
of the subject spread over its stages in proportion to each stage's demand periods, in 教师编号 order.  Without
``supply`` the same function runs without demand, and an ambiguous teacher gets the school's lowest stage.

Retirement (rules.retirement): ``retire_date`` is the legal date, or the agreed date (约定退休日期) when it is
within the law's bounds (``agreed_problem`` says why it was not used); ``retired`` = the date is before 1 Sep
of the plan year → 不符合 (rule ``retired``; ``check`` warns that the roster still lists them).  A teacher
whose date falls before the end of the term (1 Sep + ``exchange.max_years``) is not assigned (不符合, rule
``retire_term``) unless ``exchange.allow_short_term``: then they stay selectable with ``short_term`` = True and
a term of ``term_years_possible`` whole years (≥ 1).  ``term_years_possible`` = whole years from 1 Sep of the
plan year to the retirement date, at most ``exchange.max_years`` (``max_years`` when the date is unknown).

Appraisal (domain.md §6 "who is sent where"): ``appraisal_weak`` = 不合格 or 基本合格 in this or last year's
appraisal; ``may_serve_weak`` = False for them when ``exchange.weak_needs_good_appraisal`` (default on): the model
must not send them to a 乡村 or 薄弱 school and not use them for 走教.  ``preference`` ranks the preferred
movers: 0 = 优秀 in either year or 骨干, 1 = others, 2 = appraisal_weak (lower first, a tie-break).

Columns read by the model (H17m) and by optimize/audit.py: status, volunteer, teach_stage, retire_date,
retired, term_years_possible, short_term, may_serve_weak, preference, backbone.
(A teacher near retirement who has not consented is 免交流 even if a special situation is also filed: the
exemption is the stronger, permanent reason.)

Volunteers: a teacher who is 不符合 only because of title or years (at post, 在编, 专任教师, school in scope,
no pending special situation) and has said 愿意交流 keeps status 不符合 but gets ``volunteer = True``; the
model may select volunteers (``exchange.use_volunteers``) and they count toward the yearly quota.  By default
(``exchange.volunteers_need_title``) willingness waives only the years: a volunteer still holds the 中级 title
that domain.md §6 asks of exchange teachers (the reform sends experienced teachers, not probationers).

``reason`` is precise (it may name the health situation) and is meant for ``staffplan explain`` only;
``public_reason`` hides health details ("因特殊情况暂缓（已批准）") and is what the 交流资格 sheet shows.
"""
from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from ..paths import data_table
from ..schema import STATUS_AT_POST, TITLE_LEVELS
from .retirement import plan_cutoff

MUST = "应交流"
EXEMPT = "免交流"
DEFERRED = "暂缓"
PENDING = "待审批"
NOT_ELIGIBLE = "不符合"
STATUSES = [MUST, EXEMPT, DEFERRED, PENDING, NOT_ELIGIBLE]

_CN_SMALL = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六"}

OUTPUT_COLUMNS = ["teacher_id", "school_id", "status", "rule", "reason", "public_reason", "years_at_school",
                  "retire_date", "backbone", "willing", "willing_zoujiao", "refuses_zoujiao", "volunteer", "special_case", "flags",
                  "teach_stage",
                  "retire_legal", "agreed_problem", "retired", "term_years_possible", "short_term", "appraisal_weak",
                  "may_serve_weak", "preference"]
WEAK_APPRAISALS = ("不合格", "基本合格")
COMPULSORY_TEACHING_STAGES = ("小学", "初中")


@functools.lru_cache(maxsize=1)
def _private_status_pattern() -> str:
    """Regex of the health/maternity words (data/private_status_words.csv) that keep a status out of the lists."""
    words = data_table("private_status_words.csv")["word"].str.strip()
    return "|".join(re.escape(w) for w in words if w)


def plan_date(config, plan_year: int) -> pd.Timestamp:
    """1 Sep (``retirement.plan_date_month/day``) of the plan year: the one rule in rules/retirement.py."""
    return plan_cutoff(plan_year, config)


def _text(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str)


def _col(df: pd.DataFrame, name: str, default) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index)


def _teach_stage(t: pd.DataFrame, schools: pd.DataFrame, config, plan_year: int,
                 supply: pd.DataFrame | None) -> pd.Series:
    """Teaching stage per roster row (module docstring): the forecast supply's ``stage``."""
    if supply is None or "stage" not in supply.columns:
        from ..forecast.supply import teacher_supply

        supply = teacher_supply(t, schools.assign(school_id=schools["school_id"].astype(str)), config, plan_year)
    st = supply.assign(teacher_id=supply["teacher_id"].astype(str)).drop_duplicates("teacher_id")
    return _text(t["teacher_id"].astype(str).map(st.set_index("teacher_id")["stage"]))


def _in_scope_stages(config) -> set:
    """Teaching stages in scope: those of the school types in exchange.stages, 高中 only when listed itself."""
    from .standards import SCHOOL_TEACHING_STAGES

    stages = set(config["exchange.stages"])
    scope = {ts for st in stages for ts in SCHOOL_TEACHING_STAGES.get(st, []) if ts != "高中"}
    return scope | ({"高中"} & stages)


# what 依据 says of a teacher who wrote 愿意交流 but is below the years rule (exchange.use_volunteers on / off), and
# how the pipeline rewrites it once the plan has listed that teacher
VOLUNTEER_MAY = "；本人愿意交流（可作为自愿交流人选）"
VOLUNTEER_OFF = "；本人愿意交流（未达应交流条件；本次未启用“自愿交流教师可作为人选”，不列入交流人选）"
VOLUNTEER_LISTED = "；本人愿意交流，已作为自愿交流人选列入交流名单"


def exchange_eligibility(teachers: pd.DataFrame, schools: pd.DataFrame, config, plan_year: int,
                         supply: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per roster row: status, rule code, reasons, years at school, retirement date, flags (OUTPUT_COLUMNS).

    Pure function of the canonical ``teachers`` and ``schools`` frames and the config; ``supply`` (the forecast's
    teacher supply) gives each teacher's teaching stage — pass it whenever it is at hand.
    """
    from .retirement import retirement_dates

    t = teachers.reset_index(drop=True)
    pdate = plan_date(config, plan_year)
    term_years = int(config["exchange.term_years"])
    terms = int(config["exchange.terms_required"])
    need_years = term_years * terms
    window = int(config["exchange.retirement_window_years"])
    min_level = str(config["exchange.min_title_level"])
    stages = set(config["exchange.stages"])

    school_stage = t["school_id"].map(schools.drop_duplicates("school_id").set_index("school_id")["stage"])
    status_txt = _text(_col(t, "status", STATUS_AT_POST)).replace("", STATUS_AT_POST)
    employment = _text(_col(t, "employment", ""))
    post = _text(_col(t, "post", "专任教师")).replace("", "专任教师")
    level = _text(_col(t, "title_level", "未定级")).replace("", "未定级")
    title = _text(_col(t, "title", ""))
    arrival = pd.to_datetime(_col(t, "arrival_date", pd.NaT))
    special = _text(_col(t, "special", ""))
    approved = _col(t, "special_approved", False).fillna(False).astype(bool)
    will = _text(_col(t, "willingness", ""))
    willing = will.str.contains("愿意交流", regex=False)
    willing_zj = will.str.contains("愿意走教", regex=False)
    refuses_zj = will.str.contains("不愿走教", regex=False)
    backbone = _col(t, "backbone", False).fillna(False).astype(bool)

    rdates = retirement_dates(_col(t, "sex", ""), pd.to_datetime(_col(t, "birth_date", pd.NaT)),
                              group=_col(t, "retirement_group", np.nan), agreed=_col(t, "agreed_retirement", pd.NaT),
                              id_number=_col(t, "id_number", ""), config=config)
    retire = pd.to_datetime(rdates["retire_date"])
    max_years = int(config["exchange.max_years"])
    months_left = ((retire.dt.year - pdate.year) * 12 + (retire.dt.month - pdate.month)
                   - (retire.dt.day < pdate.day).astype(int))
    term_possible = np.minimum(max_years, np.floor(months_left / 12)).fillna(max_years).clip(lower=0).astype(int)
    short_ok = bool(config["exchange.allow_short_term"])
    teach_stage = _teach_stage(t, schools, config, plan_year, supply)
    appraisal = _text(_col(t, "appraisal", "")) + "|" + _text(_col(t, "appraisal_prev", ""))
    appraisal_weak = appraisal.str.contains("|".join(WEAK_APPRAISALS), regex=True)
    excellent = appraisal.str.contains("优秀", regex=False)

    # --- conditions -------------------------------------------------------------------------
    level_rank = level.map({lv: i for i, lv in enumerate(TITLE_LEVELS)}).fillna(len(TITLE_LEVELS))
    min_rank = TITLE_LEVELS.index(min_level)
    not_at_post = status_txt != STATUS_AT_POST
    temporary = employment == "临聘"
    not_teacher = post != "专任教师"
    unknown_school = school_stage.isna()
    retired = retire.notna() & (retire < pdate)
    senior = ~teach_stage.isin(_in_scope_stages(config)) & (teach_stage != "")
    out_of_stage = ~unknown_school & (~school_stage.isin(stages) | senior)
    retire_in_term = ~retired & (term_possible < max_years)
    term_blocked = retire_in_term & (~np.bool_(short_ok) | (term_possible < 1))
    low_title = level_rank > min_rank
    no_arrival = arrival.isna()
    # "more than N years": arrived strictly before (plan date − N calendar years)
    threshold = pdate - pd.DateOffset(years=need_years)
    short_years = ~no_arrival & (arrival >= threshold)
    near_retire = retire.notna() & (retire < pdate + pd.DateOffset(years=window))
    has_special = special != ""

    base_ok = ~(not_at_post | retired | temporary | not_teacher | unknown_school | out_of_stage | term_blocked)
    volunteer = (base_ok & willing & (low_title | short_years) & ~no_arrival & ~has_special)
    if bool(config.get("exchange.volunteers_need_title", True)):
        volunteer = volunteer & ~low_title      # willingness waives the years, not the 中级 title

    conds = [not_at_post, retired, temporary, not_teacher, unknown_school, out_of_stage, low_title, no_arrival,
             short_years, near_retire & ~willing, has_special & approved, has_special & ~approved, term_blocked]
    codes = ["status", "retired", "temporary", "post", "school", "stage", "title", "no_arrival", "years",
             "retire_exempt", "special_approved", "special_pending", "retire_term"]
    statuses = [NOT_ELIGIBLE] * 9 + [EXEMPT, DEFERRED, PENDING, NOT_ELIGIBLE]
    rule = pd.Series(np.select(conds, codes, default="must"), index=t.index)
    rule = rule.mask((rule == "must") & near_retire & willing, "must_consent")
    status = pd.Series(np.select(conds, statuses, default=MUST), index=t.index)

    # --- reasons (vectorised string building) ------------------------------------------------
    years = ((pdate - arrival).dt.days / 365.25).round(2)
    years_txt = (np.floor(years.fillna(0) * 10) / 10).round(1).astype(str).str.removesuffix(".0")
    title_txt = (title + "（" + level + "）").where((title != "") & (title != level), level)   # 未定级, not 未定级（未定级）
    terms_txt = _CN_SMALL.get(terms, str(terms)) + "个聘期"
    retire_txt = retire.dt.strftime("%Y-%m").fillna("未知")
    near_txt = f"距法定退休不足 {window} 年（" + retire_txt + " 退休）"
    must_txt = title_txt + "，在本校任教 " + years_txt + " 年，超过" + terms_txt
    given_stage = _text(_col(t, "teach_stage", "")) != ""
    basis = pd.Series(np.where(given_stage, "（花名册任教学段）", "（按课程表和本校各学段该学科课时需求推定）"), index=t.index)
    stage_txt = np.where(senior, "所在学校为" + _text(school_stage) + "，任教" + teach_stage + "学段" + basis
                         + "，交流仅限义务教育学段", "所在学校学段为" + _text(school_stage) + "，不在交流范围")
    term_txt = (f"将于 " + retire_txt + f" 退休，早于 {max_years} 年交流期满，不安排交流")
    reasons = [
        # a health-related status (长病假) is not written into a list: the roster keeps it (README: 隐私)
        pd.Series(np.where(status_txt.str.contains(_private_status_pattern(), regex=True),
                           "人员状态为暂未在本单位任职（见花名册），不参加本轮交流",
                           "人员状态为「" + status_txt + "」，不参加本轮交流"), index=t.index),
        "已于 " + retire_txt + " 达到退休日期（早于计划年 9 月 1 日），花名册仍在列，不参加交流",
        pd.Series("临聘教师不参加交流", index=t.index),
        post + "岗位不参加交流（仅专任教师）",
        pd.Series("学校代码不在学校表中，无法判断", index=t.index),
        pd.Series(stage_txt, index=t.index),
        title_txt + "，低于" + min_level + "职称要求",
        pd.Series("缺少到本校时间，无法判断任教年限", index=t.index),
        title_txt + "，在本校任教 " + years_txt + " 年，未超过" + terms_txt + f"（{need_years} 年）",
        near_txt + "，本人未表示愿意交流，免交流",
        special + "，已批准，暂缓交流",
        special + "，已备案未批准，待审批",
        term_txt,
    ]
    reason = pd.Series(np.select(conds, [r.to_numpy(dtype=object) for r in reasons],
                                 default=must_txt.to_numpy(dtype=object)), index=t.index)
    reason = reason.mask(rule == "must_consent", must_txt + "；" + near_txt + "，本人愿意交流")
    vol_txt = VOLUNTEER_MAY if bool(config.get("exchange.use_volunteers", False)) else VOLUNTEER_OFF
    reason = reason.mask(volunteer, reason + vol_txt)
    short_term = retire_in_term & ~term_blocked & ((status == MUST) | volunteer)
    reason = reason.mask(short_term, reason + "；将于 " + retire_txt + " 退休，交流年限缩短为 "
                         + term_possible.astype(str) + " 年")
    agreed_problem = _text(rdates["agreed_problem"])
    reason = reason.mask(agreed_problem != "", reason + "；" + agreed_problem + "，按法定退休日期计算")
    may_serve_weak = ~(appraisal_weak & bool(config["exchange.weak_needs_good_appraisal"]))
    reason = reason.mask(~may_serve_weak & (status == MUST),
                         reason + "；近两年考核有不合格或基本合格，不派往乡村/薄弱学校、不安排走教")
    public = reason.mask(rule == "special_approved", "因特殊情况暂缓（已批准）")
    public = public.mask(rule == "special_pending", "因特殊情况待审批")

    # --- flags ---------------------------------------------------------------------------------
    flag_parts = [(backbone, "骨干"), (willing, "愿意交流"), (willing_zj, "愿意走教"), (near_retire, "近退休"),
                  (retire.isna(), "退休日期未知"), (volunteer, "自愿"), (has_special, "特殊情况"),
                  (retired, "已过退休日期"), (short_term, "缩短年限"), (agreed_problem != "", "约定退休日期超出法定范围"),
                  (~may_serve_weak, "考核限制")]
    flags = pd.Series("", index=t.index)
    for mask, word in flag_parts:
        flags = flags + np.where(mask, word + "、", "")
    flags = flags.str.rstrip("、")

    return pd.DataFrame({
        "teacher_id": t["teacher_id"].astype(str).to_numpy(),
        "school_id": t["school_id"].astype(str).to_numpy(),
        "status": status.to_numpy(),
        "rule": rule.to_numpy(),
        "reason": reason.to_numpy(),
        "public_reason": public.to_numpy(),
        "years_at_school": years.to_numpy(),
        "retire_date": retire.to_numpy(),
        "backbone": backbone.to_numpy(),
        "willing": willing.to_numpy(),
        "willing_zoujiao": willing_zj.to_numpy(),
        "refuses_zoujiao": refuses_zj.to_numpy(),
        "volunteer": volunteer.to_numpy(),
        "special_case": has_special.to_numpy(),     # 孕期/哺乳期/重大疾病 on file (approved or not)
        "flags": flags.to_numpy(),
        "teach_stage": teach_stage.to_numpy(),
        "retire_legal": pd.to_datetime(rdates["legal"]).to_numpy(),
        "agreed_problem": agreed_problem.to_numpy(),
        "retired": retired.to_numpy(),
        "term_years_possible": np.where(retired, 0, term_possible).astype(int),
        "short_term": short_term.to_numpy(),
        "appraisal_weak": appraisal_weak.to_numpy(),
        "may_serve_weak": may_serve_weak.to_numpy(),
        "preference": np.select([appraisal_weak, excellent | backbone], [2, 0], default=1).astype(int),
    })
