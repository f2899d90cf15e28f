"""Rich console summaries of forecast and rotate results (built from the contract sheets)."""
from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape
from rich import box
from rich.cells import cell_len
from rich.table import Table

from .meta import years_text


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def frame_table(title: str, df: pd.DataFrame, max_rows: int = 12, unit: str = "") -> Table:
    """A rich table that reads cleanly in an 80-column terminal: cells never wrap (a value too long for its
    column ends in …), headings are short — with ``unit`` (e.g. "课时") headings ending in it drop it and the
    title says it once — and the lines between columns are left out."""
    if unit:
        df = df.rename(columns=lambda c: str(c)[: -len(unit)] if str(c).endswith(unit) and str(c) != unit else c)
        title = f"{title}（单位：周{unit}）" if unit == "课时" else f"{title}（单位：{unit}）"
    df = df.rename(columns=SHORT_HEADINGS)
    # at least as wide as its title, so the title is never broken inside a word
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  min_width=min(cell_len(title), 80))
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col]) or bool(
            df[col].astype(str).str.fullmatch(r"-?[\d,.]+%?|").all())  # e.g. "5.2%" from _pct
        table.add_column(str(col), no_wrap=True, overflow="ellipsis", justify="right" if numeric else "left",
                         min_width=len(str(col)) * 2 if numeric else None)
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[escape(_fmt(v)) for v in row])
    return table


#: headings shortened on the console only (the workbooks keep the contract names)
SHORT_HEADINGS = {"学校名称": "学校", "派出后新增缺口": "派出新增缺口", "预计退休（9月1日前）": "预计退休"}


def _body(df: pd.DataFrame, label_col: str) -> pd.DataFrame:
    """Rows without the trailing 合计 row."""
    if df.empty or label_col not in df.columns:
        return df
    return df[df[label_col].astype(str) != "合计"]


def forecast_tables(result, summary: dict) -> list[Table]:
    sheets = result.sheets()
    tables = []
    students = _body(sheets.get("学生预测", pd.DataFrame()), "学校代码")
    if not students.empty and {"学段", "预测学生数", "预测班数"} <= set(students.columns):
        if "学年" in students.columns:
            students = students[students["学年"] == result.plan_year]
        by_stage = students.groupby("学段", sort=False)[["预测学生数", "预测班数"]].sum().reset_index()
        tables.append(frame_table(f"{result.plan_year} 学年学生和班级预测（按学段）", by_stage, max_rows=20))
    labels = [("quota_standard", "标准编制"), ("quota_approved", "核定编制"), ("on_quota", "在编人数"),
              ("retire_before", "预计退休（9月1日前）"), ("retire_during", "年内退休"), ("temporary", "临聘教师"),
              ("vacancies", "空编（缺编学校合计）"), ("over_quota", "超编（超编学校合计）"),
              ("pooled_vacancies", "全区统筹空编"), ("recruitment_total", "建议招聘")]
    n_appr, n_all = summary.get("quota_approved_schools"), summary.get("quota_schools")
    if n_appr and n_all and n_appr < n_all:   # partly given: say over how many schools the sum runs
        labels = [(k, f"核定编制（已核定的 {n_appr} 所学校）" if k == "quota_approved" else v) for k, v in labels]
    rows = [(label, summary[key]) for key, label in labels if key in summary and summary[key] is not None]
    if rows:
        tables.append(frame_table("全区编制", pd.DataFrame(rows, columns=["项目", "人数"]), max_rows=20))
    gaps = sheets.get("学科缺口")
    if gaps is not None and not gaps.empty and "缺口人数" in gaps.columns:
        g = _body(gaps, "学校代码").sort_values(["缺口人数", "学校代码", "学科"], ascending=[False, True, True])
        cols = [c for c in ["学校名称", "学段", "学科", "需求课时", "供给课时", "缺口课时", "缺口人数"] if c in g.columns]
        tables.append(frame_table("缺口最大的 10 个学校学科（缺口人数按标准课时折算）", g[cols].head(10), unit="课时"))
    plan = _body(sheets.get("招聘计划", pd.DataFrame()), "学段")
    if not plan.empty:
        cols = [c for c in ["学段", "学科", "建议招聘人数", "学历要求"] if c in plan.columns]
        tables.append(frame_table("招聘前置计划", plan[cols], max_rows=20))
    return tables


def rotate_tables(result, summary: dict) -> list[Table]:
    sheets = result.sheets()
    tables = []
    elig = sheets.get("交流资格")
    if elig is not None and "资格" in elig.columns:
        counts = _body(elig, "教师编号")["资格"].value_counts().rename_axis("资格").reset_index(name="人数")
        tables.append(frame_table("交流资格", counts))
    moves = sheets.get("交流名单")
    if moves is not None and "交流类型" in moves.columns:
        body = _body(moves, "教师编号")
        counts = body.groupby("交流类型").size().reset_index(name="人数")
        tables.append(frame_table(f"交流名单：共 {len(body)} 人", counts))
    cover = sheets.get("缺口覆盖")
    if cover is not None and "学科" in cover.columns:
        from .docx import coverage_table  # shortage rows only, remainders below zero count as covered

        body = _body(cover, "学校代码")
        if len(body):
            tables.append(frame_table("有缺口的学校学科：缺口与补充", coverage_table(body), max_rows=20, unit="课时"))
    return tables


def _pct(df: pd.DataFrame, cols) -> pd.DataFrame:
    df = df.copy()
    for c in cols:
        if c in df.columns:
            df[c] = df[c].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1%}")
    return df


def backtest_tables(result) -> list[Table]:
    sheets = result.sheets()
    rates = set(result.RATE_COLUMNS)
    # headings short enough for an 80-column terminal; the workbook keeps the full names
    summary = _pct(sheets["回测汇总"], rates).rename(columns={"传统升级率法(3年)": "传统升级率法", "改进幅度": "改进"})
    tables = [frame_table(f"{years_text(result.years)}回测汇总（提前一年预测）", summary)]
    keep = ["学校数", "年级MAPE", "年级MAPE(传统)", "学校合计WAPE", "学校合计WAPE(传统)", "学校合计WAPE(维持上年)",
            "区间覆盖率"]
    short = {"年级MAPE": "年级", "年级MAPE(传统)": "年级传统", "学校合计WAPE": "学校", "学校合计WAPE(传统)": "学校传统",
             "学校合计WAPE(维持上年)": "学校维持", "区间覆盖率": "覆盖"}
    for name, key in (("按学段", "学段"), ("按规模", "学校规模")):
        df = _pct(sheets[name][[key] + [c for c in keep if c in sheets[name].columns]], rates).rename(columns=short)
        tables.append(frame_table(f"{name}的误差（年级：学校×年级 MAPE；学校：学校合计 WAPE；传统：传统升级率法；维持：维持上年）", df,
                                  max_rows=20))
    return tables
