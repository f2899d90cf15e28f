"""编制 (staffing quota) by standard: domain.md §2.  Every number comes from config [quota].

Per school and teaching stage (学部):

- 小学 / 初中 / 高中: students ÷ ratio (ratio_primary, ratio_junior, ratio_senior); a 中职 school's grades use
  ratio_vocational; a 特殊教育 school uses ratio_special, and when that is 0 (not configured) the school is
  reported as "未测算" (quota NaN), never as zero.
- 幼儿园: kg_teachers_per_class × classes, plus kg_boarding_per_class × classes when the school has boarders.
- Small-school floor: the 小学 stage of a 教学点, or of a rural (乡村) school of a type in small_school_types
  (default 小学; a province may add 九年一贯制 / 十二年一贯制), whose average class size is below
  small_school_max_avg_class gets max(ratio quota, classes × small_school_class_ratio).
- Boarding add-on (non-kindergarten stages): boarders × boarding_per_student, spread over the school's
  stages in proportion to students.
- 九年一贯制 / 完全中学 / 十二年一贯制: each stage separately, then added.

Rounding (quota.rounding): stage values stay unrounded; the school's sum is rounded (half_up by default).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import GRADE_STAGE

STAGE_ORDER = ["幼儿园", "小学", "初中", "高中", "中职", "特殊教育"]
SCHOOL_ROW = "全校"
RATIO_KEY = {"小学": "quota.ratio_primary", "初中": "quota.ratio_junior", "高中": "quota.ratio_senior",
             "中职": "quota.ratio_vocational", "特殊教育": "quota.ratio_special"}
# Teaching stages (学部) each school type may have.
SCHOOL_TEACHING_STAGES = {
    "幼儿园": ["幼儿园"], "小学": ["小学"], "教学点": ["小学"], "初中": ["初中"], "高中": ["高中"],
    "九年一贯制": ["小学", "初中"], "完全中学": ["初中", "高中"], "十二年一贯制": ["小学", "初中", "高中"],
    "中职": ["中职"], "特殊教育": ["特殊教育"],
}


def stage_taught(school_kind, stage) -> np.ndarray:
    """Whether a school of this kind (学段 of the 学校 table: 九年一贯制 …) teaches this teaching stage (小学 …);
    aligned arrays or Series, or a scalar for either."""
    kind = np.broadcast_to(np.asarray(school_kind, dtype=object), np.shape(stage) or np.shape(school_kind))
    st = np.broadcast_to(np.asarray(stage, dtype=object), kind.shape)
    return np.array([s in SCHOOL_TEACHING_STAGES.get(k, ()) if isinstance(k, str) else False
                     for k, s in zip(kind.ravel(), st.ravel())], dtype=bool).reshape(kind.shape)


QUOTA_COLUMNS = ["school_id", "school_name", "school_stage", "stage", "students", "classes", "quota_raw", "quota", "basis"]


def fmt_num(x: float, digits: int = 1) -> str:
    """19.0 → "19", 13.5 → "13.5", 5.684 → "5.7" (digits decimals at most)."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    text = f"{float(x):.{digits}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def half_up(values, digits: int = 0):
    """四舍五入 as the bureau does it by hand, at ``digits`` decimals: halves away from zero (2.5 → 3, −2.5 → −3,
    −1.065 → −1.07); NaN stays NaN.  The one rounding rule of every figure staffplan shows."""
    v = np.asarray(values, dtype=float)
    f = 10.0 ** digits
    out = np.sign(v) * np.floor(np.abs(v) * f + 0.5 + 1e-9) / f + 0.0     # + 0.0: no −0
    return out if np.ndim(values) else float(out)


def round_quota(values: pd.Series | np.ndarray | float, method: str = "half_up"):
    """Round quota per config quota.rounding: half_up | ceil | floor | none (NaN stays NaN)."""
    v = np.asarray(values, dtype=float)
    eps = 1e-9
    if method == "half_up":
        out = half_up(v)
    elif method == "ceil":
        out = np.ceil(v - eps)
    elif method == "floor":
        out = np.floor(v + eps)
    elif method == "none":
        out = v
    else:
        raise ValueError(f"未知的取整方式 quota.rounding = {method!r}（可选 half_up、ceil、floor、none）")
    return out if np.ndim(values) else float(out)


def teaching_stage(school_stage: pd.Series, grade: pd.Series) -> pd.Series:
    """Teaching stage of each (school type, grade): GRADE_STAGE, except 中职 / 特殊教育 schools."""
    stage = pd.Series(grade).map(GRADE_STAGE)
    ss = pd.Series(school_stage, index=stage.index)
    stage = stage.where(~ss.isin(["中职", "特殊教育"]), ss)
    return stage


def _school_defaults(schools: pd.DataFrame) -> pd.DataFrame:
    s = schools.copy()
    for col, default in {"school_name": "", "locality": "", "boarders": 0.0, "quota_approved": np.nan}.items():
        if col not in s.columns:
            s[col] = default
    s["boarders"] = pd.to_numeric(s["boarders"], errors="coerce").fillna(0.0)
    return s


def compute_quota(schools: pd.DataFrame, students: pd.DataFrame, config, unmeasured: dict | None = None) -> pd.DataFrame:
    """Standard quota per school (stage "全校") plus a row per stage for multi-stage schools.

    ``students``: school_id, grade, students, classes (the plan year's projection). ``unmeasured``: school_id →
    why it has no projection (no enrollment data): such a school is "未测算" (quota NaN), never zero.
    Returns QUOTA_COLUMNS; ``quota`` is the rounded integer (nullable Int64) on school rows and
    NaN on stage rows; ``quota_raw`` is unrounded; ``basis`` says in plain Chinese how it was computed.
    """
    sch = _school_defaults(schools)
    st = students[["school_id", "grade", "students", "classes"]].copy()
    st["school_id"] = st["school_id"].astype(str)
    st = st.merge(sch[["school_id", "stage"]].rename(columns={"stage": "school_stage"}), on="school_id", how="inner")
    st["stage"] = teaching_stage(st["school_stage"], st["grade"])
    st["students"] = pd.to_numeric(st["students"], errors="coerce").fillna(0.0).astype(float)
    st["classes"] = pd.to_numeric(st["classes"], errors="coerce").astype(float)
    by = st.groupby(["school_id", "stage"], as_index=False).agg(
        students=("students", "sum"), classes=("classes", lambda c: c.sum(min_count=1)))

    # every school appears, with its own stages even when no students are projected
    base = sch[["school_id", "school_name", "stage", "locality", "boarders"]].rename(columns={"stage": "school_stage"})
    base["school_id"] = base["school_id"].astype(str)
    st_of = base[["school_id", "school_stage"]].assign(
        stage=base["school_stage"].map(SCHOOL_TEACHING_STAGES)).explode("stage").dropna(subset=["stage"])
    keys = pd.concat([st_of[["school_id", "stage"]], by[["school_id", "stage"]]]).drop_duplicates()
    df = keys.merge(by, on=["school_id", "stage"], how="left").merge(base, on="school_id", how="left")
    df["students"] = df["students"].fillna(0.0)

    cfg = config
    ratio = df["stage"].map({k: float(cfg[v]) for k, v in RATIO_KEY.items()})
    raw = df["students"] / ratio.where(ratio > 0)
    basis = [f"{stg} {fmt_num(n)} 人 ÷ {fmt_num(r, 2)} = {fmt_num(q)}" if r > 0 else ""
             for stg, n, r, q in zip(df["stage"], df["students"], ratio.fillna(0), raw)]
    basis = pd.Series(basis, index=df.index, dtype=object)

    # special education without a configured ratio: not computed
    special_missing = (df["stage"] == "特殊教育") & ~(ratio > 0)
    basis[special_missing] = "未测算：未配置特殊教育生师比（quota.ratio_special）"

    # kindergarten: teachers per class (+ boarding kindergartens)
    kg = df["stage"] == "幼儿园"
    per_class = float(cfg["quota.kg_teachers_per_class"])
    kg_board = float(cfg["quota.kg_boarding_per_class"]) * (df["boarders"] > 0)
    kg_raw = df["classes"].fillna(0.0) * (per_class + kg_board)
    raw = raw.where(~kg, kg_raw)
    basis[kg] = [f"幼儿园 {fmt_num(c)} 班 × {fmt_num(per_class + b, 2)} = {fmt_num(q)}"
                 + ("（含寄宿制每班加配）" if b > 0 else "")
                 for c, b, q in zip(df.loc[kg, "classes"].fillna(0), kg_board[kg], kg_raw[kg])]

    # small rural primary schools and 教学点: class:staff floor
    avg = df["students"] / df["classes"].where(df["classes"] > 0)
    floor_ratio = float(cfg["quota.small_school_class_ratio"])
    types = [str(t) for t in cfg["quota.small_school_types"]]
    small = ((df["stage"] == "小学") & (((df["school_stage"] == "教学点") & ("教学点" in types))
                                       | (df["school_stage"].isin(types) & (df["locality"] == "乡村")))
             & (avg < float(cfg["quota.small_school_max_avg_class"])))
    floor_val = df["classes"] * floor_ratio
    use_floor = small & (floor_val > raw)
    raw = raw.where(~use_floor, floor_val)
    basis[use_floor] = [f"{b}；平均班额 {fmt_num(a)} 人 < {fmt_num(float(cfg['quota.small_school_max_avg_class']))}，"
                        f"班师比下限 {fmt_num(c)} 班 × {fmt_num(floor_ratio, 2)} = {fmt_num(f)}"
                        for b, a, c, f in zip(basis[use_floor], avg[use_floor], df.loc[use_floor, "classes"],
                                              floor_val[use_floor])]

    # boarding add-on per boarder (non-kindergarten stages, in proportion to students)
    per_boarder = float(cfg["quota.boarding_per_student"])
    if per_boarder > 0:
        nk = ~kg & ~special_missing
        total_students = df["students"].where(nk, 0).groupby(df["school_id"]).transform("sum")
        share = (df["students"] / total_students.where(total_students > 0)).where(nk, 0).fillna(0)
        add = df["boarders"] * per_boarder * share
        has = add > 0
        raw = raw + add.where(has, 0)
        basis[has] = [f"{b}；寄宿生附加 {fmt_num(a)}" for b, a in zip(basis[has], add[has])]

    # schools without a projection (no enrollment data): not computed
    no_data = df["school_id"].isin(list(unmeasured or {}))
    basis[no_data] = [f"未测算：{unmeasured[sid]}" for sid in df.loc[no_data, "school_id"]]
    special_missing = special_missing | no_data
    raw = raw.where(~special_missing, np.nan)
    df["quota_raw"] = raw.astype(float)
    df["basis"] = basis

    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    df["_o"] = df["stage"].map(order)
    df = df.sort_values(["school_id", "_o"]).reset_index(drop=True)

    # school rows
    method = str(cfg["quota.rounding"])
    g = df.groupby("school_id", sort=True)
    school = g.agg(students=("students", "sum"), n_stages=("stage", "size"))
    # df is sorted by school: per-school sums over contiguous runs, in row order as Series.sum adds them
    starts = np.flatnonzero(np.r_[True, df["school_id"].to_numpy()[1:] != df["school_id"].to_numpy()[:-1]]) \
        if len(df) else np.array([], dtype=int)
    cls = df["classes"].to_numpy(float)
    cls_sum = np.add.reduceat(np.nan_to_num(cls, nan=0.0), starts) if len(df) else np.array([])
    cls_any = np.add.reduceat((~np.isnan(cls)).astype(int), starts) > 0 if len(df) else np.array([], dtype=bool)
    school.insert(1, "classes", np.where(cls_any, cls_sum, np.nan))
    # a school's quota is known only when every stage's is (a NaN anywhere makes the sum NaN)
    school.insert(2, "quota_raw", np.add.reduceat(df["quota_raw"].to_numpy(float), starts) if len(df) else [])
    school = school.reset_index()
    school = school.merge(base[["school_id", "school_name", "school_stage"]], on="school_id", how="left")
    school["stage"] = SCHOOL_ROW
    school["quota"] = pd.array(round_quota(school["quota_raw"], method), dtype="Float64").round().astype("Int64")
    part = pd.Series([f"{s} {fmt_num(q)}" for s, q in zip(df["stage"], df["quota_raw"])], index=df.index, dtype=object)
    gp = part.groupby(df["school_id"], sort=True)
    parts = dict(zip(gp.size().index, zip(gp.agg(" + ".join), df.drop_duplicates("school_id")["basis"].to_numpy(), gp.size(),
                                          df["quota_raw"].isna().groupby(df["school_id"], sort=True).any())))
    texts = []
    for sid, q_raw, q in zip(school["school_id"], school["quota_raw"], school["quota"]):
        joined, first, n, missing = parts[sid]
        if missing:
            texts.append("；".join(dict.fromkeys(b for b in df.loc[df["school_id"] == sid, "basis"] if b.startswith("未测算"))))
        elif n == 1:
            texts.append(f"{first} → {q}" if method != "none" else first)
        else:
            texts.append(f"{joined} = {fmt_num(q_raw)} → {q}" if method != "none" else f"{joined} = {fmt_num(q_raw)}")
    school["basis"] = texts
    multi = school.loc[school["n_stages"] > 1, "school_id"]

    stage_rows = df[df["school_id"].isin(multi)].copy()
    stage_rows["quota"] = pd.array([pd.NA] * len(stage_rows), dtype="Int64")
    school["_o"] = -1
    out = pd.concat([school, stage_rows], ignore_index=True)
    out = out.sort_values(["school_id", "_o"], kind="stable").reset_index(drop=True)
    return out[QUOTA_COLUMNS]
