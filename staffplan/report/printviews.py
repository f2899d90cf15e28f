"""Sheets a person prints instead of a long list: one row per school, the full list stays in its own sheet.

* ``交流资格汇总`` (after 交流资格, one row per roster row — 80+ printed pages for a county): per school, how
  many staff fall under each 资格, with a 合计 column and row.
* ``学科缺口汇总`` (after 学科缺口, one row per school × subject — 20+ pages): per school, the subjects short
  of teachers and those with a surplus, each with its FTE, and the two totals.
"""
from __future__ import annotations

import pandas as pd

from ..forecast.gaps import fte_tenths
from ..rules.eligibility import STATUSES
from ..rules.standards import half_up
from .figures import gaps as gap_figures
from .workbook import TOTAL_LABEL, has_total_row

ELIGIBILITY_SUMMARY = "交流资格汇总"
GAP_SUMMARY = "学科缺口汇总"


def _body(df: pd.DataFrame) -> pd.DataFrame:
    return df.iloc[:-1] if has_total_row(df) else df


def _with_total(df: pd.DataFrame, label_col: str) -> pd.DataFrame:
    numeric = df.select_dtypes("number").columns
    total = {c: df[c].sum() for c in numeric}
    total[label_col] = TOTAL_LABEL
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def eligibility_by_school(elig: pd.DataFrame, school_names: pd.Series | None = None) -> pd.DataFrame:
    """学校代码, 学校名称, one count column per 资格 present (in the rule order), 合计; a final 合计 row."""
    body = _body(elig)
    counts = pd.crosstab(body["学校代码"].astype(str), body["资格"])
    counts = counts[[s for s in STATUSES if s in counts.columns] + [c for c in counts.columns if c not in STATUSES]]
    counts["合计"] = counts.sum(axis=1)
    out = counts.reset_index()
    out.columns.name = None
    names = school_names if school_names is not None else pd.Series(dtype=object)
    out.insert(1, "学校名称", out["学校代码"].map(names).astype(object).fillna(""))
    return _with_total(out, "学校代码")


def _subject_list(rows: pd.DataFrame, label: pd.Series) -> pd.Series:
    """「物理 1.2、化学 0.8」per school, largest first."""
    text = label + " " + rows["缺口人数"].abs().map(lambda v: f"{v:g}")
    order = rows.assign(_t=text, _a=rows["缺口人数"].abs()).sort_values(["学校代码", "_a", "_t"],
                                                                       ascending=[True, False, True])
    return order.groupby("学校代码", sort=False)["_t"].agg("、".join)


def gaps_by_school(gaps: pd.DataFrame) -> pd.DataFrame:
    """学校代码, 学校名称, 缺口人数, 缺口学科, 富余人数, 富余学科 — one row per school (FTE, one decimal)."""
    body = _body(gaps).copy()
    body["学校代码"] = body["学校代码"].astype(str)
    body["缺口人数"] = fte_tenths(pd.to_numeric(body["缺口人数"], errors="coerce").fillna(0.0).to_numpy(float))
    label = body["学科"].astype(str)
    if "学段" in body.columns:  # a school with several stages names the stage with the subject
        stages = body.groupby("学校代码")["学段"].transform("nunique")
        label = label.where(stages <= 1, body["学段"].astype(str) + label)
    short, surplus = body["缺口人数"] > 0, body["缺口人数"] < 0
    schools = body.drop_duplicates("学校代码")[["学校代码", "学校名称"]].set_index("学校代码")
    out = pd.DataFrame({
        "学校名称": schools["学校名称"],
        "缺口人数": body[short].groupby("学校代码")["缺口人数"].sum(),
        "缺口学科": _subject_list(body[short], label[short]),
        "富余人数": -body[surplus].groupby("学校代码")["缺口人数"].sum(),
        "富余学科": _subject_list(body[surplus], label[surplus]),
    }, index=schools.index)
    out[["缺口人数", "富余人数"]] = half_up(out[["缺口人数", "富余人数"]].fillna(0.0).to_numpy(float), 1)
    out[["缺口学科", "富余学科"]] = out[["缺口学科", "富余学科"]].fillna("")
    out = _with_total(out.rename_axis("学校代码").reset_index(), "学校代码")
    # the 合计 row states the memo's figures (the 学科缺口 values added, then rounded once), not the sum of the rounded rows
    memo = gap_figures({"学科缺口": _body(gaps)})
    out.loc[out.index[-1], ["缺口人数", "富余人数"]] = [float(memo.shortage_fte), float(memo.surplus_fte)]
    return out


def with_print_views(sheets: dict[str, pd.DataFrame], school_names: pd.Series | None = None) -> dict:
    """``sheets`` with each summary inserted right after the long sheet it summarises (when present)."""
    out: dict[str, pd.DataFrame] = {}
    for name, df in sheets.items():
        out[name] = df
        if name == "交流资格" and {"学校代码", "资格"} <= set(df.columns) and len(_body(df)):
            out[ELIGIBILITY_SUMMARY] = eligibility_by_school(df, school_names)
        elif name == "学科缺口" and {"学校代码", "学校名称", "学科", "缺口人数"} <= set(df.columns) and len(_body(df)):
            out[GAP_SUMMARY] = gaps_by_school(df)
    return out
