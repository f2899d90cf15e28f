"""`staffplan forecast`: projection → quota → supply → subject gaps → recruitment, indicators, exits.

``run_forecast(ds, config, year=None, horizon=1)`` returns a :class:`ForecastResult` with English-column
frames; ``result.sheets()`` gives the forecast workbook's sheets (contract.md §3) in order with Chinese
columns and 合计 rows; ``result.summary()`` a JSON-friendly dict of district totals.

Frames other parts use:

``result.supply`` — one row per roster row (forecast.supply.SUPPLY_COLUMNS):
    teacher_id, name, school_id, school_stage (the school's 学段), stage (teaching stage 幼儿园/小学/初中/高中/中职/
    特殊教育 the teacher serves), subject, subject2 ("" none), employment (在编/临聘), post, status,
    periods_main, periods_second (weekly periods credited to subject / subject2; NaN for kindergartens),
    standard_load, standard_load2 (periods/week; NaN where not timetabled), fte_main, fte_second
    (periods ÷ load; kindergarten teachers 1.0 in 学前教育), retire_date (datetime64, legal or agreed),
    retire_class (预计退休 / 年内退休 / ""), counts (bool: counts as plan-year supply), reason (why not, Chinese).

``result.gaps`` — one row per school × stage × subject with demand or supply (forecast.gaps.GAP_COLUMNS):
    school_id, school_name, stage, subject, demand_periods, supply_periods, gap_periods (signed,
    + = shortage; NaN for 学前教育, which is counted in teachers), demand_fte, supply_fte, gap_fte
    (gap_periods ÷ standard_load; kindergartens demand_fte − supply_fte), standard_load, short
    (gap_fte ≥ shortage.threshold).

``result.quota`` — compute_quota rows (school rows stage "全校", stage rows under multi-stage schools) with
    staffing: quota_approved, on_quota (在编, all posts), retire_before (在编 预计退休), retire_during (在编
    年内退休), temporary (临聘), vacancy (= quota − (on_quota − retire_before); quota_raw on stage rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io.validate import EMPTY_ROSTER_NOTE
from ..progress import phases
from ..rules.curriculum import demand_notes, subject_demand
from ..rules.retirement import LABEL_BEFORE, LABEL_DURING
from ..rules.standards import SCHOOL_ROW, STAGE_ORDER, compute_quota, half_up, teaching_stage
from ..schema import GRADE_NAMES
from .enrollment import NEW_CAPACITY, NEW_COMPARABLE, NEW_PLAN, NEW_SCHOOL_METHODS, project_enrollment
from .exits import exit_candidates
from .gaps import PERIOD_DIGITS, district_shortages, shown_fte, subject_gaps
from .indicators import compute_indicators
from .recruitment import RecruitmentPlan, recruitment_plan
from .supply import subject_supply, teacher_supply, with_teacher_defaults
from .tables import with_total

SHEET_STUDENTS, SHEET_QUOTA, SHEET_GAPS = "学生预测", "编制测算", "学科缺口"
SHEET_RECRUIT, SHEET_INDICATORS, SHEET_EXITS = "招聘计划", "指标", "退出预警"
SHEET_ORDER = [SHEET_STUDENTS, SHEET_QUOTA, SHEET_GAPS, SHEET_RECRUIT, SHEET_INDICATORS, SHEET_EXITS]


def _round_half_up(x: pd.Series, digits: int = 0) -> pd.Series:
    x = pd.to_numeric(x, errors="coerce").astype(float)
    return pd.Series(half_up(x.to_numpy(), digits), index=x.index)


def _int(x: pd.Series) -> pd.Series:
    return _round_half_up(x).astype("Int64")


@dataclass
class ForecastResult:
    plan_year: int
    horizon: int
    students: pd.DataFrame          # projection: school_id, year, grade, students, lo, hi, classes, method, flags
    quota: pd.DataFrame             # see module doc
    supply: pd.DataFrame            # per teacher, see module doc
    subject_supply: pd.DataFrame    # school_id, stage, subject, supply_periods, supply_fte, teachers
    demand: pd.DataFrame            # school_id, stage, subject, demand_periods, demand_fte, classes, standard_load
    gaps: pd.DataFrame              # see module doc
    shortages: pd.DataFrame         # forecast.gaps.SHORTAGE_COLUMNS
    recruitment: pd.DataFrame       # forecast.recruitment.PLAN_COLUMNS
    recruitment_plan: RecruitmentPlan
    indicators: pd.DataFrame        # forecast.indicators.INDICATOR_COLUMNS
    exits: pd.DataFrame             # forecast.exits.EXIT_COLUMNS
    retirements: pd.DataFrame       # on-roster teachers retiring before or during the plan year
    schools: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ sheets
    def sheets(self) -> dict[str, pd.DataFrame]:
        """The forecast workbook's sheets in contract order, Chinese columns, 合计 rows appended."""
        return {SHEET_STUDENTS: self._students_sheet(), SHEET_QUOTA: self._quota_sheet(),
                SHEET_GAPS: self._gaps_sheet(), SHEET_RECRUIT: self._recruit_sheet(),
                SHEET_INDICATORS: self._indicators_sheet(), SHEET_EXITS: self._exits_sheet()}

    def _names(self) -> pd.Series:
        return self.schools.set_index(self.schools["school_id"].astype(str))["school_name"]

    def _students_sheet(self) -> pd.DataFrame:
        p = self.students.copy()
        p["school_id"] = p["school_id"].astype(str)
        stage_of = self.schools.set_index(self.schools["school_id"].astype(str))["stage"]
        out = pd.DataFrame({
            "学校代码": p["school_id"], "学校名称": p["school_id"].map(self._names()).fillna(""),
            "学年": p["year"].astype(int),
            "学段": teaching_stage(p["school_id"].map(stage_of), p["grade"]).fillna(""),
            "年级": p["grade"].map(GRADE_NAMES).fillna(p["grade"].astype(str)),
            "预测学生数": _int(p["students"]), "预测班数": pd.to_numeric(p["classes"]).round().astype("Int64"),
            "下限": _int(p["lo"]), "上限": _int(p["hi"])})
        if self.horizon <= 1:
            out = out.drop(columns="学年")
            return with_total(out, "学校代码", ["预测学生数", "预测班数"])
        return out

    def _quota_sheet(self) -> pd.DataFrame:
        q = self.quota
        school_row = q["stage"] == SCHOOL_ROW
        std = np.where(school_row, q["quota"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                       _round_half_up(q["quota_raw"], 1))
        # contract §3: a school with stage rows under it has 学段 全校; a single-stage school shows its own 学段
        multi = q.loc[~school_row, "school_id"].unique()
        shown_stage = q["stage"].where(~school_row | q["school_id"].isin(multi), q["school_stage"])
        out = pd.DataFrame({
            "学校代码": q["school_id"], "学校名称": q["school_name"].fillna(""), "学段": shown_stage,
            "预测学生数": _int(q["students"]), "预测班数": pd.to_numeric(q["classes"]).round().astype("Int64"),
            "标准编制": std, "核定编制": q["quota_approved"],
            "在编教师": q["on_quota"].astype(int), "预计退休": q["retire_before"].astype(int),
            "年内退休": q["retire_during"].astype(int), "临聘教师": q["temporary"].astype(int),
            "缺编": np.where(school_row, q["vacancy"], _round_half_up(q["vacancy"], 1)), "测算依据": q["basis"]})
        out = with_total(out, "学校代码", ["预测学生数", "预测班数", "标准编制", "核定编制", "在编教师", "预计退休",
                                        "年内退休", "临聘教师", "缺编"], mask=school_row)
        unmeasured = int((school_row & q["quota"].isna()).sum())
        if unmeasured:   # the total row says what its 标准编制 and 缺编 leave out
            out.loc[out.index[-1], "测算依据"] = f"标准编制、缺编不含 {unmeasured} 所未测算的学校（其在编、临聘教师计入合计）"
        return out

    def _gaps_sheet(self) -> pd.DataFrame:
        g = self.gaps
        out = pd.DataFrame({
            "学校代码": g["school_id"], "学校名称": g["school_name"].fillna(""), "学段": g["stage"],
            "学科": g["subject"], "需求课时": _round_half_up(g["demand_periods"], PERIOD_DIGITS),
            "供给课时": _round_half_up(g["supply_periods"], PERIOD_DIGITS),
            "缺口课时": _round_half_up(g["gap_periods"], PERIOD_DIGITS),
            "缺口人数": pd.Series(shown_fte(g["gap_fte"].to_numpy(float)), index=g.index), "是否紧缺": np.where(g["short"], "紧缺", "")})
        return with_total(out, "学校代码", ["需求课时", "供给课时", "缺口课时", "缺口人数"])

    def _recruit_sheet(self) -> pd.DataFrame:
        r = self.recruitment
        out = pd.DataFrame({"学段": r["stage"], "学科": r["subject"], "建议招聘人数": r["recruit"].astype(int),
                            "学历要求": r["degree"], "涉及学校": r["schools"], "说明": r["reason"]})
        return with_total(out, "学段", ["建议招聘人数"])

    def _indicators_sheet(self) -> pd.DataFrame:
        i = self.indicators
        return pd.DataFrame({"指标": i["indicator"], "目标": i["target"], "当前值": i["current"], "是否达标": i["met"]})

    def _exits_sheet(self) -> pd.DataFrame:
        e = self.exits
        return pd.DataFrame({"教师编号": e["teacher_id"], "姓名": e["name"], "学校代码": e["school_id"],
                             "学校名称": e["school_name"].fillna(""), "任教学科": e["subject"],
                             "用工类型": e["employment"], "本年度考核": e["appraisal"], "上年度考核": e["appraisal_prev"],
                             "预警依据": e["rule"], "处理建议": e["suggestion"]})

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict:
        p = self.students[self.students["year"] == self.plan_year]
        stage_of = self.schools.set_index(self.schools["school_id"].astype(str))["stage"]
        stage = teaching_stage(p["school_id"].astype(str).map(stage_of), p["grade"])
        by_stage = p.groupby(stage)["students"].sum()
        by_stage = {s: int(_round_half_up(pd.Series([by_stage[s]])).iloc[0]) for s in STAGE_ORDER if s in by_stage}
        school_rows = self.quota[self.quota["stage"] == SCHOOL_ROW]
        short = self.shortages[self.shortages["short"]]
        top = self.gaps[self.gaps["gap_fte"] > 0].sort_values(["gap_fte", "school_id"], ascending=[False, True]).head(10)
        rp = self.recruitment_plan
        return {
            "plan_year": self.plan_year,
            "students_by_stage": by_stage,
            "students": int(sum(by_stage.values())),
            "classes": int(pd.to_numeric(p["classes"]).sum()),
            "quota_standard": int(school_rows["quota"].sum()),
            "quota_not_computed": [str(x) for x in school_rows.loc[school_rows["quota"].isna(), "school_id"]],
            # 核定编制 over the schools that have one; None when no school has one (never a misleading 0)
            "quota_approved": (float(school_rows["quota_approved"].sum())
                               if school_rows["quota_approved"].notna().any() else None),
            "quota_schools": int(school_rows["school_id"].nunique()),
            "quota_approved_schools": int(school_rows.loc[school_rows["quota_approved"].notna(), "school_id"].nunique()),
            "on_quota": int(school_rows["on_quota"].sum()),
            "retire_before": int(school_rows["retire_before"].sum()),
            "retire_during": int(school_rows["retire_during"].sum()),
            "temporary": int(school_rows["temporary"].sum()),
            "vacancies_net": float(school_rows["vacancy"].sum()),
            "vacancies": float(school_rows["vacancy"].clip(lower=0).sum()),
            "over_quota": float((-school_rows["vacancy"]).clip(lower=0).sum()),
            "pooled_vacancies": rp.pooled_vacancies,
            "shortage_subjects": [f"{a}{b}" for a, b in zip(short["stage"], short["subject"])],
            "shortages": [{"stage": a, "subject": b, "gap_fte": round(float(c), 2)}
                          for a, b, c in zip(short["stage"], short["subject"], short["gap_fte"])],
            "recruitment_total": rp.total_recruit,
            "needs_more_temporary": rp.needs_more_temporary,
            "top_gaps": [{"school_id": a, "school_name": b, "stage": c, "subject": d, "gap_fte": round(float(e), 2)}
                         for a, b, c, d, e in zip(top["school_id"], top["school_name"].fillna(""), top["stage"],
                                                  top["subject"], top["gap_fte"])],
            "notes": list(self.notes),
        }


def staffing_counts(supply: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per school, per school × stage) counts: on_quota, retire_before, retire_during, temporary."""
    s = supply.assign(
        on_quota=(supply["employment"] == "在编").astype(int),
        retire_before=((supply["employment"] == "在编") & (supply["retire_class"] == LABEL_BEFORE)).astype(int),
        retire_during=((supply["employment"] == "在编") & (supply["retire_class"] == LABEL_DURING)).astype(int),
        temporary=(supply["employment"] == "临聘").astype(int))
    cols = ["on_quota", "retire_before", "retire_during", "temporary"]
    return (s.groupby("school_id", as_index=False)[cols].sum(),
            s.groupby(["school_id", "stage"], as_index=False)[cols].sum())


def projection_notes(hist: pd.DataFrame, schools: pd.DataFrame, now: pd.DataFrame, config,
                     missing: dict[str, str] | None = None) -> list[str]:
    """说明 warnings on schools whose projection rests on little or no history (never silently skipped)."""
    notes = []
    names = schools.set_index(schools["school_id"].astype(str))["school_name"].fillna("")
    label = lambda ids: "、".join(f"{names.get(i, '') or i}（{i}）" for i in ids)  # noqa: E731
    basis = {NEW_PLAN: "按学校表的招生计划", NEW_CAPACITY: "按学校表的设计规模（每个年级一份）",
             NEW_COMPARABLE: "按同镇街（或同城乡、全区）同学段学校上年起始年级人数的中位数"}
    new = now[now["method"].isin(NEW_SCHOOL_METHODS)].drop_duplicates("school_id")
    for method, part in new.groupby("method", sort=False):
        notes.append(f"{len(part)} 所新校没有历史在校生，起始年级{basis[method]}预测（区间 ±"
                     f"{round(100 * float(config['forecast.new_school_interval']))}%），请核对："
                     f"{label(sorted(part['school_id']))}")
    years = hist[hist["students"] > 0].groupby(hist["school_id"].astype(str))["year"].nunique()
    single = sorted(set(years.index[years == 1]) & set(now["school_id"]))
    if single:
        notes.append(f"{len(single)} 所学校只有一年在校生数据，升级率按全区同年级比例、起始年级按招生计划（学校表填写时）"
                     f"或上年人数预测，"
                     f"误差可能较大：{label(single)}")
    missing = unprojected(hist, schools, now) if missing is None else missing
    if missing:
        notes.append(f"{len(missing)} 所学校没有计划年学生预测（上年无在校生，或新校既无招生计划/设计规模、也无同学段可比学校），"
                     f"编制未测算（不按 0 计，不算作超编）：{label(sorted(missing))}")
    return notes


def unprojected(hist: pd.DataFrame, schools: pd.DataFrame, now: pd.DataFrame) -> dict[str, str]:
    """Schools of the 学校 table without a plan-year projection → why (their 编制 is 未测算, never 0)."""
    ids = sorted(set(schools["school_id"].astype(str)) - set(now["school_id"].astype(str)))
    seen = set(hist.loc[hist["students"] > 0, "school_id"].astype(str))
    return {sid: ("上年没有在校生数据" if sid in seen else "没有任何学年的在校生数据") for sid in ids}


def run_forecast(ds, config, year: int | None = None, horizon: int = 1, exchange_share: float | None = None,
                 progress=None) -> ForecastResult:
    """Run the whole forecast for plan year ``year`` (default ds.last_year + 1); see module doc.

    ``progress(task, done, total)`` (staffplan.progress) is told as each of the five phases ends."""
    step = phases(progress, "预测", 5)
    plan_year = ds.plan_year(year)
    horizon = max(1, int(horizon))
    schools = ds.schools.assign(school_id=ds.schools["school_id"].astype(str))
    if "quota_approved" not in schools.columns:
        schools["quota_approved"] = np.nan
    notes: list[str] = []

    proj = project_enrollment(ds.enrollment, schools, config, plan_year, births=ds.births, feeders=ds.feeders,
                              horizon=horizon)
    # one rounding rule for students: whole persons per school × grade (half up), once, here; every total
    # (per school, per stage, district) is then a sum of these integers and agrees everywhere
    proj = proj.assign(school_id=proj["school_id"].astype(str), students=_round_half_up(proj["students"]))
    now = proj[proj["year"] == plan_year]
    hist = ds.enrollment[ds.enrollment["year"] < plan_year]
    unmeasured = unprojected(hist, schools, now)               # their 编制 is 未测算
    notes.extend(projection_notes(hist, schools, now, config, missing=unmeasured))

    step()                                                      # 1 enrollment projection
    quota = compute_quota(schools, now, config, unmeasured=unmeasured)
    demand = subject_demand(now, schools, config)
    notes.extend(demand_notes(schools))
    teachers = with_teacher_defaults(ds.teachers)
    if teachers.empty:                                          # a roster still being collected (issue 18)
        notes.append(EMPTY_ROSTER_NOTE + "。")
    supply = teacher_supply(teachers, schools, config, plan_year, demand=demand)
    unknown = supply[supply["school_stage"].isna()]
    if len(unknown):
        notes.append(f"{len(unknown)} 名教师的学校代码不在学校表中，未计入供给和编制")
    sup = subject_supply(supply)
    gaps = subject_gaps(demand, sup, schools, config)
    shortages = district_shortages(gaps, config)
    step()                                                      # 2 quota, demand, supply and gaps

    per_school, per_stage = staffing_counts(supply)
    cols = ["on_quota", "retire_before", "retire_during", "temporary"]
    school_part = quota[quota["stage"] == SCHOOL_ROW].merge(per_school, on="school_id", how="left")
    stage_part = quota[quota["stage"] != SCHOOL_ROW].merge(per_stage, on=["school_id", "stage"], how="left")
    school_part["_row"] = quota.index[quota["stage"] == SCHOOL_ROW]
    stage_part["_row"] = quota.index[quota["stage"] != SCHOOL_ROW]
    q = pd.concat([school_part, stage_part]).sort_values("_row").drop(columns="_row").reset_index(drop=True)
    q[cols] = q[cols].fillna(0).astype(int)
    approved = schools.set_index("school_id")["quota_approved"]
    q["quota_approved"] = np.where(q["stage"] == SCHOOL_ROW, q["school_id"].map(approved), np.nan).astype(float)
    base = np.where(q["stage"] == SCHOOL_ROW, q["quota"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                    q["quota_raw"])
    q["vacancy"] = base - (q["on_quota"] - q["retire_before"])

    staffing = q[q["stage"] == SCHOOL_ROW].assign(quota=lambda d: d["quota"].astype("Float64").astype(float))
    temporary_now = int((supply["employment"] == "临聘").sum())
    step()                                                      # 3 staffing per school
    rp = recruitment_plan(gaps, shortages, staffing, temporary_now, config)
    notes.extend(rp.notes)
    step()                                                      # 4 recruitment plan

    indicators = compute_indicators(teachers, supply, schools, config, exchange_share=exchange_share)
    exits = exit_candidates(teachers, schools, config)
    ret = supply[supply["retire_class"] != ""][["teacher_id", "name", "school_id", "stage", "subject", "employment",
                                                   "retire_date", "retire_class"]].reset_index(drop=True)
    step()                                                      # 5 indicators, exits, retirements
    return ForecastResult(plan_year=plan_year, horizon=horizon, students=proj.reset_index(drop=True), quota=q,
                          supply=supply, subject_supply=sup, demand=demand, gaps=gaps, shortages=shortages,
                          recruitment=rp.plan, recruitment_plan=rp, indicators=indicators, exits=exits,
                          retirements=ret, schools=schools, notes=notes)
