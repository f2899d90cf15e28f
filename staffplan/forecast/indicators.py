"""Government indicators (domain.md §8) — current value vs target (config [indicators]).

Population: 专任教师 on the roster (在编 and 临聘), each in the teaching stage given by forecast.supply.
When a value cannot be computed from the data, 当前值 says what is missing ("无数据：需要…") and
是否达标 is "—".  The exchange share comes from ``staffplan rotate``: pass it, or it reads :data:`EXCHANGE_ELSEWHERE`.
A target the bureau has not configured (e.g. the number of full-time 教研员, a district's own target) reads
"未设定", never a default number.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

INDICATOR_COLUMNS = ["indicator", "target", "target_value", "value", "numerator", "denominator", "current", "met"]
COMPULSORY_SCHOOL_STAGES = ["小学", "教学点", "初中", "九年一贯制", "完全中学", "十二年一贯制"]
SENIOR_TITLES = ["正高级", "副高级"]
MET, NOT_MET, UNKNOWN = "是", "否", "—"
NOT_SET = "未设定"  # a target the bureau has not configured
EXCHANGE_ELSEWHERE = "见交流轮岗安排（交流工作簿）"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _share_row(name, target, num, den, missing_text):
    if den == 0:
        return dict(indicator=name, target=f"≥ {_pct(target)}", target_value=target, value=np.nan, numerator=num,
                    denominator=den, current=f"无数据：{missing_text}", met=UNKNOWN)
    v = num / den
    return dict(indicator=name, target=f"≥ {_pct(target)}", target_value=target, value=v, numerator=num,
                denominator=den, current=f"{_pct(v)}（{num}/{den}）", met=MET if v >= target - 1e-12 else NOT_MET)


def _unknown(name, target_text, target_value, current):
    return dict(indicator=name, target=target_text, target_value=target_value, value=np.nan, numerator=np.nan,
                denominator=np.nan, current=current, met=UNKNOWN)


def compute_indicators(teachers: pd.DataFrame, supply: pd.DataFrame, schools: pd.DataFrame, config,
                       exchange_share: float | None = None) -> pd.DataFrame:
    """INDICATOR_COLUMNS, one row per indicator of domain.md §8."""
    t = teachers.assign(teacher_id=teachers["teacher_id"].astype(str))
    for col in ("degree", "title_level", "post", "employment"):
        if col not in t.columns:
            t[col] = ""
    t = t.drop(columns=[c for c in ("stage", "school_stage") if c in t.columns])
    stage = supply.drop_duplicates("teacher_id").set_index("teacher_id")["stage"]
    t["stage"] = t["teacher_id"].map(stage)
    ft = t[t["post"].fillna("专任教师").replace("", "专任教师") == "专任教师"]
    deg = ft["degree"].fillna("")
    rows = []

    def share(name, key, stages, degrees, missing):
        pop = ft["stage"].isin(stages)
        num = int((pop & deg.isin(degrees)).sum())
        rows.append(_share_row(name, float(config[key]), num, int(pop.sum()), missing))

    share("幼儿园专任教师专科及以上学历比例", "indicators.kg_college", ["幼儿园"], ["研究生", "本科", "专科"],
          "花名册中没有幼儿园专任教师")
    share("小学专任教师本科及以上学历比例", "indicators.primary_bachelor", ["小学"], ["研究生", "本科"],
          "花名册中没有小学专任教师")
    share("初中专任教师本科及以上学历比例", "indicators.junior_bachelor", ["初中"], ["研究生", "本科"],
          "花名册中没有初中专任教师")
    share("高中和中职专任教师研究生学历比例", "indicators.senior_master", ["高中", "中职"], ["研究生"],
          "花名册中没有高中或中职专任教师")

    comp = schools[schools["stage"].isin(COMPULSORY_SCHOOL_STAGES)]["school_id"].astype(str)
    with_senior = set(ft.loc[ft["title_level"].isin(SENIOR_TITLES), "school_id"].astype(str))
    if len(ft):
        rows.append(_share_row("有高级职称教师的义务教育学校比例", float(config["indicators.compulsory_with_senior_title"]),
                               int(comp.isin(with_senior).sum()), int(len(comp)), "没有义务教育学校"))
    else:       # no roster yet: the share is unknown, not 0 %
        target = float(config["indicators.compulsory_with_senior_title"])
        rows.append(_unknown("有高级职称教师的义务教育学校比例", f"≥ {_pct(target)}", target, "无数据：教师名册为空"))

    target = float(config["indicators.exchange_share"])
    if exchange_share is None:
        rows.append(_unknown("义务教育教师交流轮岗比例", f"≥ {_pct(target)}", target, EXCHANGE_ELSEWHERE))
    else:
        rows.append(dict(indicator="义务教育教师交流轮岗比例", target=f"≥ {_pct(target)}", target_value=target,
                         value=float(exchange_share), numerator=np.nan, denominator=np.nan,
                         current=_pct(float(exchange_share)),
                         met=MET if float(exchange_share) >= target - 1e-12 else NOT_MET))

    temp_now = int((t["employment"] == "临聘").sum())
    last = int(config["indicators.temporary_last_year"])
    if last < 0:
        rows.append(dict(indicator="临聘教师人数", target="不多于上年", target_value=np.nan, value=float(temp_now),
                         numerator=np.nan, denominator=np.nan,
                         current=f"{temp_now} 人（未提供上年临聘教师人数，无法比较）",
                         met=UNKNOWN))
    else:
        rows.append(dict(indicator="临聘教师人数", target=f"不多于上年（{last} 人）", target_value=float(last),
                         value=float(temp_now), numerator=np.nan, denominator=np.nan, current=f"{temp_now} 人",
                         met=MET if temp_now <= last else NOT_MET))

    goal = int(config["indicators.researchers"])  # this district's own target; < 0: not set by the bureau
    have = int(config["indicators.researchers_current"])
    goal_text = f"{goal} 人" if goal >= 0 else NOT_SET
    if have < 0:
        rows.append(_unknown("专职教研员人数", goal_text, float(goal) if goal >= 0 else np.nan,
                             "无数据：未提供现有专职教研员人数"))
    else:
        rows.append(dict(indicator="专职教研员人数", target=goal_text, target_value=float(goal) if goal >= 0 else np.nan,
                         value=float(have), numerator=np.nan, denominator=np.nan, current=f"{have} 人",
                         met=(MET if have >= goal else NOT_MET) if goal >= 0 else UNKNOWN))

    goal_p = float(config["indicators.principals_certified_target"])
    have_p = float(config["indicators.principals_certified_share"])
    if have_p < 0:
        rows.append(_unknown("校长持证上岗比例", _pct(goal_p), goal_p,
                             "无数据：未提供校长持证上岗情况"))
    else:
        rows.append(dict(indicator="校长持证上岗比例", target=_pct(goal_p), target_value=goal_p, value=have_p,
                         numerator=np.nan, denominator=np.nan, current=_pct(have_p),
                         met=MET if have_p >= goal_p - 1e-12 else NOT_MET))
    rows.append(_unknown("校长任期与培训", "按政策规定（任期、同校任职任期数、培训学时）", np.nan,
                         "无数据：需要校长任职与培训记录"))
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
