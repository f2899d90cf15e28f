"""PNG charts for the memo (matplotlib, Agg, no pyplot state): enrollment by stage, quota vs teachers
by school, subject gaps. Deterministic: fixed size and dpi, no Software/date metadata.

When no Chinese font is installed the charts are still drawn (labels may show as boxes) and the
functions report :data:`fonts.NO_CJK_FONT_WARNING` so the CLI can tell the user what to install.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..io.atomic import atomic_path
from ..schema import GRADE_STAGE
from .figures import data_rows as _data_rows, gaps_by_subject, num as _num, school_rows  # noqa: F401
from .fonts import chart_font
from ..rules.standards import STAGE_ORDER

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _matplotlib():
    """matplotlib (Agg backend, no pyplot) and its Figure, imported when a chart is drawn, not when this
    module's table helpers are used (issue 18: a command imports only what it needs)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    # matplotlib logs font fallbacks in English on stderr ("findfont: …"); the console speaks Chinese only, and a
    # missing Chinese font is reported by chart_font() as a Chinese warning
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.ticker  # noqa: F401
    from matplotlib.figure import Figure

    return matplotlib, Figure


DPI = 300  # print quality in the A4 memo
#: colour-blind-safe (Okabe–Ito) and distinct in grey print; never red against green
_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
_SHORT, _SURPLUS = "#D55E00", "#0072B2"  # vermillion vs blue, the surplus bars also hatched
_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


CHART_W_IN = 6.0   # printed at 140 mm (5.5 in) in the memo: 8 pt labels print at 7.3 pt, titles at 9 pt


def _rc() -> dict:
    family, _ = chart_font()
    fams = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {"font.family": "sans-serif", "font.sans-serif": fams, "axes.unicode_minus": False,
            "font.size": 10, "svg.hashsalt": "staffplan"}


def _legend_below(ax, n: int) -> None:
    """The legend under the plot area (below the axis label), so it never covers a bar or a line."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(n, 4), fontsize=8, frameon=False)


def font_warning() -> str | None:
    return chart_font()[1]


def _save(fig: "Figure", path: Path, force: bool) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph missing" when no CJK font: reported once via font_warning()
        with atomic_path(path, force) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight",
                        pad_inches=0.1)
    return Path(path)


def _stage_key(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def enrollment_trend(enrollment: pd.DataFrame | None, students_sheet: pd.DataFrame | None,
                     plan_year: int, schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Students per year and teaching stage: history from the canonical enrollment frame (school_id,
    year, grade, students) and the plan year(s) from the 学生预测 sheet. Columns 学年, 学段, 学生数, 类型
    (实际 / 预测)."""
    parts = []
    if enrollment is not None and not enrollment.empty:
        stage = enrollment["grade"].map(GRADE_STAGE)
        if schools is not None and "stage" in schools:  # 中职 / 特殊教育 schools keep their own 学段
            own = enrollment["school_id"].astype(str).map(
                schools.set_index(schools["school_id"].astype(str))["stage"].to_dict())
            stage = stage.where(~own.isin(["中职", "特殊教育"]), own)
        e = enrollment.assign(学段=stage)
        h = e.groupby(["year", "学段"], as_index=False)["students"].sum()
        h = h[h["year"] < plan_year]
        parts.append(pd.DataFrame({"学年": h["year"].astype(int), "学段": h["学段"],
                                   "学生数": h["students"].astype(float), "类型": "实际"}))
    if students_sheet is not None and not students_sheet.empty:
        s = _data_rows(students_sheet)
        year = s["学年"].astype(int) if "学年" in s else pd.Series(plan_year, index=s.index)
        f = pd.DataFrame({"学年": year, "学段": s["学段"], "学生数": _num(s["预测学生数"])})
        f = f.groupby(["学年", "学段"], as_index=False)["学生数"].sum().assign(类型="预测")
        parts.append(f)
    if not parts:
        return pd.DataFrame(columns=["学年", "学段", "学生数", "类型"])
    out = pd.concat(parts, ignore_index=True)
    out = out[out["学段"].astype(str) != ""]
    return out.sort_values(["学段", "学年"], key=lambda c: c.map(_stage_key) if c.name == "学段" else c,
                           kind="stable").reset_index(drop=True)


def chart_enrollment(trend: pd.DataFrame, path: Path | str, *, force: bool = False,
                     title: str = "分学段在校生（实际与预测）") -> Path:
    """Lines per stage over the years; the forecast part dashed."""
    matplotlib, Figure = _matplotlib()
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(CHART_W_IN, 3.0))
        ax = fig.add_subplot()
        stages = sorted(trend["学段"].unique(), key=_stage_key)
        years = sorted(trend["学年"].unique())
        if len(years) == 1:  # a single year: bars by stage
            t = trend.groupby("学段")["学生数"].sum().reindex(stages)
            ax.bar(range(len(stages)), t.to_numpy(), color=[_COLORS[i % len(_COLORS)] for i in range(len(stages))])
            for i, v in enumerate(t.to_numpy()):
                ax.annotate(f"{v:,.0f}", (i, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
            ax.set_xticks(range(len(stages)))
            ax.set_xticklabels(stages)
            ax.set_ylabel("学生数（人）")
            ax.set_title(f"{years[0]} 学年分学段预测学生数")
            ax.grid(axis="y", alpha=0.3)
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
            return _save(fig, Path(path), force)
        for i, stage in enumerate(stages):
            t = trend[trend["学段"] == stage].sort_values("学年")
            color = _COLORS[i % len(_COLORS)]
            act = t[t["类型"] == "实际"]
            pred = t[t["类型"] == "预测"]
            if len(act):
                ax.plot(act["学年"], act["学生数"], marker=_MARKERS[i % len(_MARKERS)], color=color, label=stage)
            if len(pred):
                joined = pd.concat([act.tail(1), pred]) if len(act) else pred
                ax.plot(joined["学年"], joined["学生数"], marker=_MARKERS[i % len(_MARKERS)], linestyle="--", color=color,
                        label=None if len(act) else stage)
                for x, y in zip(pred["学年"], pred["学生数"]):
                    ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                                fontsize=8, color=color)
        ax.set_xticks(years)
        ax.set_xticklabels([f"{int(y)}—{int(y) + 1}" for y in years], fontsize=8)   # 学年 2026—2027
        ax.set_xlabel("学年（虚线为预测）")
        ax.set_ylabel("学生数（人）")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        if stages:
            _legend_below(ax, len(stages))
        return _save(fig, Path(path), force)


def quota_by_school(quota_sheet: pd.DataFrame, top_n: int = 15) -> pd.DataFrame:
    """School rows (学段 全校, or the only row of a school) ordered by |缺编|, first ``top_n``."""
    q = school_rows(quota_sheet)
    q = q.assign(_abs=_num(q["缺编"]).abs()).sort_values(["_abs", "学校代码"], ascending=[False, True],
                                                         kind="stable")
    return q.head(top_n).drop(columns="_abs")


def chart_quota(quota_sheet: pd.DataFrame, path: Path | str, *, top_n: int = 15, force: bool = False) -> Path:
    q = quota_by_school(quota_sheet, top_n).iloc[::-1]
    matplotlib, Figure = _matplotlib()
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(CHART_W_IN, max(2.2, 0.2 * len(q) + 1.0)))
        ax = fig.add_subplot()
        y = np.arange(len(q))
        names = q["学校名称"].astype(str).where(q["学校名称"].astype(str) != "", q["学校代码"].astype(str))
        std = _num(q["标准编制"]).fillna(0).to_numpy()
        have = (_num(q["在编教师"]) - _num(q.get("预计退休", pd.Series(0, index=q.index))).fillna(0)).fillna(0)
        ax.barh(y + 0.2, std, height=0.4, color=_COLORS[0], label="标准编制")
        ax.barh(y - 0.2, have.to_numpy(), height=0.4, color=_COLORS[1], label="在编教师（扣除预计退休）")
        ax.set_yticks(y)
        ax.set_yticklabels(names.tolist(), fontsize=8)
        ax.set_xlabel("人")
        ax.set_title(f"标准编制与在编教师（缺编或超编最多的 {len(q)} 所学校）")
        ax.grid(axis="x", alpha=0.3)
        _legend_below(ax, 2)
        return _save(fig, Path(path), force)


def chart_gaps(gap_sheet: pd.DataFrame, path: Path | str, *, top_n: int = 15, force: bool = False) -> Path:
    a = gaps_by_subject(gap_sheet).head(top_n).iloc[::-1]
    matplotlib, Figure = _matplotlib()
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(CHART_W_IN, max(2.2, 0.2 * len(a) + 1.0)))
        ax = fig.add_subplot()
        y = np.arange(len(a))
        ax.barh(y, a["缺口人数"], color=_SHORT, label="各校缺口合计")
        ax.barh(y, -a["富余人数"], color=_SURPLUS, hatch="///", edgecolor="white", linewidth=0,
                label="各校富余合计")
        for yy, v in zip(y, a["缺口人数"]):
            if v > 0:
                ax.annotate(f"{v:.1f}", (v, yy), textcoords="offset points", xytext=(3, -3), fontsize=8)
        for yy, v in zip(y, a["富余人数"]):
            if v > 0:
                ax.annotate(f"{v:.1f}", (-v, yy), textcoords="offset points", xytext=(-3, -3), fontsize=8, ha="right")
        ax.axvline(0, color="black", linewidth=0.8)
        # both sides in persons: a surplus is drawn to the left of 0 but labelled as a positive number
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{abs(v):,.0f}"))
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo * 1.12, hi * 1.12)     # room for the labels at the bar ends
        ax.set_yticks(y)
        ax.set_yticklabels(a["学科"].astype(str).tolist())
        ax.set_xlabel("人（按标准课时折算；左为富余，右为缺口）")
        ax.set_title("分学科教师缺口与富余")
        ax.grid(axis="x", alpha=0.3)
        _legend_below(ax, 2)
        return _save(fig, Path(path), force)


def make_charts(sheets: dict[str, pd.DataFrame], out_dir: Path | str, *, history: pd.DataFrame | None = None,
                schools: pd.DataFrame | None = None, plan_year: int | None = None,
                trend: pd.DataFrame | None = None, top_n: int = 15, force: bool = False
                ) -> tuple[dict[str, Path], list[str]]:
    """Draw the charts the sheets allow into ``out_dir``: keys 'enrollment', 'quota', 'gaps'.

    ``history``/``schools``: canonical enrollment and schools frames, for the years before the plan
    year (``plan_year`` defaults to the last history year + 1); ``trend`` (from :func:`enrollment_trend`)
    may be given instead. Returns (paths, warnings).
    """
    out_dir = Path(out_dir)
    charts: dict[str, Path] = {}
    if plan_year is None and history is not None and len(history):
        plan_year = int(history["year"].max()) + 1
    if trend is None and "学生预测" in sheets and plan_year is not None:
        trend = enrollment_trend(history, sheets["学生预测"], plan_year, schools=schools)
    if trend is not None and not trend.empty:
        charts["enrollment"] = chart_enrollment(trend, out_dir / "图-学生趋势.png", force=force)
    if "编制测算" in sheets and not _data_rows(sheets["编制测算"]).empty:
        charts["quota"] = chart_quota(sheets["编制测算"], out_dir / "图-编制与在编.png", top_n=top_n, force=force)
    if "学科缺口" in sheets and not _data_rows(sheets["学科缺口"]).empty:
        charts["gaps"] = chart_gaps(sheets["学科缺口"], out_dir / "图-学科缺口.png", top_n=top_n, force=force)
    warn = font_warning()
    return charts, ([warn] if warn and charts else [])
