"""`staffplan report`: the memo attachment (附件) as a Word document in GB/T 9704 style.

A4, margins 37/35/28/26 mm (top/bottom/left/right), "附件" label in 黑体 3号, title in 小标宋 2号,
body 仿宋_GB2312 3号 with a fixed 28.95 pt line (22 lines per page), page numbers "— 1 —" centred.
Content: one page of summary in words (every number from :func:`summary_numbers`), then numbered
tables (表1, 表2 …) whose 合计 rows are computed from the same frames, so text and tables agree,
then the charts, then a short 说明 (plan year, inputs, changed parameters).
Any sheet may be missing: its part is skipped and the memo says so.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..io.atomic import atomic_path
from .charts import gaps_by_subject, school_rows
from .fonts import BODY_FONTS, HEADING_FONTS, KAI_FONTS, SONG_FONTS, TITLE_FONTS
from .meta import DEADLINE_NOTE, RunMeta

TOTAL_LABEL = "合计"
STAGE_ORDER = ["幼儿园", "小学", "初中", "高中", "中职", "特殊教育"]
BODY_FONT, TITLE_FONT, HEI_FONT, KAI_FONT, SONG_FONT = (BODY_FONTS[0], TITLE_FONTS[0], HEADING_FONTS[0],
                                                        KAI_FONTS[0], SONG_FONTS[0])
LINE = Pt(28.95)  # 22 lines in the 225 mm type area
SIZE_2, SIZE_3, SIZE_4, SIZE_5, SIZE_XIAO4 = Pt(22), Pt(16), Pt(14), Pt(10.5), Pt(12)
TOP_GAPS = 20
LONG_QUOTA = 30  # more rows than this: school rows only in 表1
CHART_TITLES = {"enrollment": "分学段在校生", "quota": "标准编制与在编教师", "gaps": "分学科教师缺口"}


# --------------------------------------------------------------------------- numbers

def _data(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Rows other than a 合计 row; None when the sheet is absent."""
    if df is None:
        return None
    df = df.reset_index(drop=True)
    if df.empty:
        return df
    obj = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    if not obj:
        return df
    is_total = np.zeros(len(df), dtype=bool)
    for c in obj:
        is_total |= (df[c].astype(str).str.strip() == TOTAL_LABEL).to_numpy()
    return df[~is_total].reset_index(drop=True)


def _num(s) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def _r(x: float, d: int = 1) -> float | int:
    """Round half up for display; whole numbers become int."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return float("nan")
    v = math.floor(abs(x) * 10 ** d + 0.5 + 1e-9) / 10 ** d
    v = math.copysign(v, x) if v else 0.0
    return int(v) if float(v).is_integer() else v


def fmt(x) -> str:
    """How a number is printed in the memo, text and tables alike."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, str):
        return x
    v = _r(float(x), 2) if abs(float(x) - round(float(x), 1)) > 1e-9 else _r(float(x), 1)
    return str(v)


def fmt_fixed(x, decimals: int) -> str:
    """A table cell: the same number as :func:`fmt`, with the column's number of decimals."""
    if x is None or isinstance(x, str) or (isinstance(x, float) and not math.isfinite(x)):
        return "" if not isinstance(x, str) else x
    v = float(_r(float(x), decimals))
    return f"{v:.{decimals}f}"


def _column_decimals(col: pd.Series) -> int:
    v = _num(col[col.map(lambda x: not isinstance(x, str))]).dropna()
    if v.empty:
        return 0
    for d in (0, 1):
        if (np.abs(v - v.round(d)) < 1e-9).all():
            return d
    return 2


def _stage_sorted(d: dict) -> dict:
    return dict(sorted(d.items(), key=lambda kv: (STAGE_ORDER.index(kv[0]) if kv[0] in STAGE_ORDER else 99, kv[0])))


def quota_table(sheets: dict) -> pd.DataFrame | None:
    """表1 rows: school rows (with stage rows under them when the list is short)."""
    q = _data(sheets.get("编制测算"))
    if q is None or q.empty:
        return None if q is None else q
    schools = school_rows(q)
    rows = q if len(q) <= LONG_QUOTA else schools
    return rows.assign(_school=rows.index.isin(schools.index))


def summary_numbers(sheets: dict[str, pd.DataFrame], *, rotation_summary: dict | None = None,
                    threshold: float = 0.5) -> dict:
    """Every number the memo states, computed once from the sheets (rows other than 合计)."""
    n: dict = {"parts": []}
    st = _data(sheets.get("学生预测"))
    if st is not None and not st.empty:
        if "学年" in st:
            st = st[_num(st["学年"]) == _num(st["学年"]).min()]
        g = st.assign(_s=_num(st["预测学生数"]), _c=_num(st.get("预测班数", np.nan))).groupby("学段")
        n["students_by_stage"] = _stage_sorted({k: _r(v) for k, v in g["_s"].sum().items() if k != ""})
        n["classes_by_stage"] = _stage_sorted({k: _r(v) for k, v in g["_c"].sum().items() if k != ""})
        n["students"] = _r(float(_num(st["预测学生数"]).sum()))
        n["classes"] = _r(float(_num(st.get("预测班数", pd.Series(dtype=float))).sum()))
        n["parts"].append("students")
    q = _data(sheets.get("编制测算"))
    if q is not None and not q.empty:
        s = school_rows(q)
        vac = _num(s["缺编"])
        n["quota"] = {
            "schools": int(s["学校代码"].nunique()),
            "standard": _r(float(_num(s["标准编制"]).sum())),
            "approved": _r(float(_num(s["核定编制"]).sum())) if "核定编制" in s and _num(s["核定编制"]).notna().any()
            else None,
            "on_quota": _r(float(_num(s["在编教师"]).sum())),
            "retire_before": _r(float(_num(s.get("预计退休", 0)).sum())),
            "retire_during": _r(float(_num(s.get("年内退休", 0)).sum())) if "年内退休" in s else 0,
            "temporary": _r(float(_num(s.get("临聘教师", 0)).sum())) if "临聘教师" in s else 0,
            "vacancy_net": _r(float(vac.sum())),
            "vacancy": _r(float(vac.clip(lower=0).sum())),
            "over": _r(float((-vac).clip(lower=0).sum())),
            "schools_short": int((vac > 0).sum()),
            "schools_over": int((vac < 0).sum()),
        }
        n["parts"].append("quota")
    gp = _data(sheets.get("学科缺口"))
    if gp is not None and not gp.empty:
        agg = gaps_by_subject(gp)
        short = agg[agg["缺口人数"] >= threshold]
        n["shortage_subjects"] = [(r.学科, _r(r.缺口人数), int(r.缺口学校数)) for r in short.itertuples()]
        n["gap_fte"] = _r(float(agg["缺口人数"].sum()))
        n["surplus_fte"] = _r(float(agg["富余人数"].sum()))
        n["threshold"] = threshold
        n["parts"].append("gaps")
    rc = _data(sheets.get("招聘计划"))
    if rc is not None:
        k = _num(rc["建议招聘人数"]) if "建议招聘人数" in rc else pd.Series(dtype=float)
        n["recruit"] = _r(float(k.sum()))
        n["recruit_by_stage"] = _stage_sorted({a: _r(b) for a, b in rc.assign(_k=k).groupby("学段")["_k"].sum().items()
                                               if b}) if len(rc) else {}
        n["parts"].append("recruit")
    ex = _data(sheets.get("交流名单"))
    if ex is not None:
        n["exchanged"] = int(len(ex))
        n["exchange_by_type"] = {str(k): int(v) for k, v in ex["交流类型"].value_counts().sort_index().items()} \
            if len(ex) and "交流类型" in ex else {}
        n["parts"].append("exchange")
    el = _data(sheets.get("交流资格"))
    if el is not None and "资格" in el:
        counts = el["资格"].value_counts()
        n["eligibility"] = {k: int(counts.get(k, 0)) for k in ["应交流", "免交流", "暂缓", "待审批", "不符合"]}
    rs = rotation_summary or {}
    if rs.get("compulsory_teachers"):
        n["compulsory_teachers"] = int(rs["compulsory_teachers"])
        n["exchange_required"] = int(rs.get("required") or math.ceil(0.05 * n["compulsory_teachers"]))
        if "exchanged" in n:
            n["exchange_share"] = _r(100.0 * n["exchanged"] / n["compulsory_teachers"], 1)
    zj = _data(sheets.get("走教安排"))
    if zj is not None:
        key = "教师编号" if "教师编号" in zj else "姓名"
        n["zoujiao"] = {"teachers": int(zj[key].nunique()) if len(zj) else 0,
                        "hosts": int(zj["走教学校代码"].nunique()) if len(zj) and "走教学校代码" in zj else 0,
                        "periods": _r(float(_num(zj["周课时"]).sum())) if len(zj) else 0,
                        "subsidy": _r(float(_num(zj.get("补贴元每月", 0)).sum()), 0) if len(zj) else 0}
        n["parts"].append("zoujiao")
    cv = _data(sheets.get("缺口覆盖"))
    if cv is not None and not cv.empty and (_num(cv["原缺口课时"]) > 0).any():
        cov = coverage_table(cv)
        tot = cov.iloc[-1]
        n["coverage"] = {"gap": tot["原缺口课时"], "exchange": tot["交流补充课时"], "zoujiao": tot["走教补充课时"],
                         "remaining": tot["剩余缺口课时"]}
        g0 = float(tot["原缺口课时"])
        n["coverage"]["share"] = _r(100.0 * (g0 - float(tot["剩余缺口课时"])) / g0, 1) if g0 > 0 else None
        n["parts"].append("coverage")
    return n


def _with_total(df: pd.DataFrame, label_col: str, sum_cols: list[str], label: str = TOTAL_LABEL) -> pd.DataFrame:
    total = {c: "" for c in df.columns}
    total[label_col] = label
    for c in sum_cols:
        total[c] = _r(float(_num(df[c]).sum()))
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def coverage_table(cv: pd.DataFrame) -> pd.DataFrame:
    """Per subject, over the school × subject rows that had a shortage (原缺口课时 > 0): the shortage,
    what exchange and 走教 added, and the shortage left (negative remainders count as 0)."""
    cols = ["原缺口课时", "交流补充课时", "走教补充课时", "剩余缺口课时"]
    cv = cv.assign(**{c: _num(cv[c]).fillna(0) for c in cols})
    cv = cv[cv["原缺口课时"] > 0].assign(剩余缺口课时=lambda d: d["剩余缺口课时"].clip(lower=0))
    a = cv.groupby("学科", as_index=False)[cols].sum()
    a = a.sort_values(["原缺口课时", "学科"], ascending=[False, True], kind="stable")
    for c in cols:
        a[c] = a[c].map(_r)
    return _with_total(a.reset_index(drop=True), "学科", cols)


# --------------------------------------------------------------------------- tables shown in the memo

def memo_tables(sheets: dict[str, pd.DataFrame]) -> list[tuple[str, pd.DataFrame, str, str]]:
    """(title, frame with its 合计 row, unit, source sheet) for each table the memo shows."""
    out = []
    qt = quota_table(sheets)
    if qt is not None and not qt.empty:
        cols = [c for c in ["学校名称", "学段", "预测学生数", "预测班数", "标准编制", "核定编制", "在编教师", "预计退休",
                            "临聘教师", "缺编"] if c in qt]
        t = qt[cols].copy()
        if "学段" in t:
            stage_row = ~qt["_school"].to_numpy()
            t.loc[stage_row, "学校名称"] = "　其中"
        sums = [c for c in cols if c not in ("学校名称", "学段")]
        for c in sums:
            t[c] = _num(t[c])
        school = qt["_school"].to_numpy()
        total = {c: "" for c in cols}
        total["学校名称"] = TOTAL_LABEL
        for c in sums:
            total[c] = _r(float(t.loc[school, c].sum())) if _num(t.loc[school, c]).notna().any() else ""
        t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
        title = "各校编制测算" + ("（仅列学校合计行）" if len(qt) < len(_data(sheets["编制测算"])) else "")
        out.append((title, t, "人、个", "编制测算"))
    gp = _data(sheets.get("学科缺口"))
    if gp is not None and not gp.empty:
        agg = gaps_by_subject(gp)[["学科", "缺口学校数", "缺口人数", "富余人数"]]
        out.append(("分学科教师缺口汇总", _with_total(agg, "学科", ["缺口学校数", "缺口人数", "富余人数"]),
                    "所、人（按标准课时折算）", "学科缺口"))
        g = gp.assign(_f=_num(gp["缺口人数"]))
        top = g[g["_f"] > 0].sort_values(["_f", "学校代码", "学科"], ascending=[False, True, True], kind="stable")
        top = top.head(TOP_GAPS)
        cols = [c for c in ["学校名称", "学段", "学科", "需求课时", "供给课时", "缺口课时", "缺口人数"] if c in top]
        t = top[cols].reset_index(drop=True)
        t["缺口人数"] = _num(t["缺口人数"]).map(_r)
        out.append((f"缺口较大的学校学科（前 {len(t)} 项）",
                    _with_total(t, "学校名称", [c for c in ["需求课时", "供给课时", "缺口课时", "缺口人数"] if c in t]),
                    "课时/周、人", "学科缺口"))
    rc = _data(sheets.get("招聘计划"))
    if rc is not None and not rc.empty:
        cols = [c for c in ["学段", "学科", "建议招聘人数", "学历要求", "涉及学校"] if c in rc]
        out.append(("教师招聘计划建议", _with_total(rc[cols].reset_index(drop=True), "学段", ["建议招聘人数"]), "人",
                    "招聘计划"))
    ex = _data(sheets.get("交流名单"))
    if ex is not None and not ex.empty and "交流类型" in ex:
        pv = pd.crosstab(ex["学科"], ex["交流类型"]).sort_index()
        pv.columns = [str(c) for c in pv.columns]
        pv["合计"] = pv.sum(axis=1)
        t = pv.reset_index().rename(columns={"学科": "学科"})
        out.append(("交流轮岗人数（按交流类型和学科）", _with_total(t, "学科", [c for c in t.columns if c != "学科"]), "人",
                    "交流名单"))
    zj = _data(sheets.get("走教安排"))
    if zj is not None and not zj.empty:
        cols = [c for c in ["姓名", "学科", "本校", "走教学校", "周课时", "单程公里", "补贴元每月"] if c in zj]
        t = zj[cols].reset_index(drop=True)
        if "单程公里" in t:
            t["单程公里"] = _num(t["单程公里"]).map(_r)
        out.append(("走教安排", _with_total(t, cols[0], [c for c in ["周课时", "补贴元每月"] if c in t]),
                    "课时/周、公里、元/月", "走教安排"))
    cv = _data(sheets.get("缺口覆盖"))
    if cv is not None and not cv.empty and (_num(cv["原缺口课时"]) > 0).any():
        out.append(("有缺口学校的学科缺口覆盖情况（按学科）", coverage_table(cv), "课时/周", "缺口覆盖"))
    return out


# --------------------------------------------------------------------------- summary text

def _list(d: dict, unit: str) -> str:
    return "、".join(f"{k} {fmt(v)} {unit}" for k, v in d.items())


def summary_paragraphs(n: dict, meta: RunMeta, district: str = "") -> list[str]:
    """The summary in words (about one page): every number from :func:`summary_numbers`."""
    who = district or "全区"
    y = meta.plan_year
    paras = []
    missing = []
    if "students" in n:
        stages = "，其中" + "、".join(
            f"{k} {fmt(v)} 人（{fmt(n['classes_by_stage'].get(k, 0))} 班）" for k, v in n["students_by_stage"].items()) \
            if n["students_by_stage"] else ""
        paras.append(f"{y}—{y + 1}学年{who}预计在校生 {fmt(n['students'])} 人、{fmt(n['classes'])} 个班{stages}。")
    else:
        missing.append("学生预测")
    if "quota" in n:
        q = n["quota"]
        approved = f"（核定 {fmt(q['approved'])} 名）" if q["approved"] is not None else ""
        over = f"，{q['schools_over']} 所学校超编共 {fmt(q['over'])} 名" if q["schools_over"] else ""
        net = q["vacancy_net"]
        net_text = (f"全区合计缺编 {fmt(net)} 名" if net > 0 else f"全区合计超编 {fmt(-net)} 名" if net < 0
                    else "全区编制总量持平")
        paras.append(f"按编制标准测算，{q['schools']} 所学校标准编制合计 {fmt(q['standard'])} 名{approved}，"
                     f"现有在编 {fmt(q['on_quota'])} 名，9 月 1 日前到龄退休 {fmt(q['retire_before'])} 名、"
                     f"学年内退休 {fmt(q['retire_during'])} 名，临聘教师 {fmt(q['temporary'])} 名。扣除到龄退休后，"
                     f"{q['schools_short']} 所学校缺编共 {fmt(q['vacancy'])} 名{over}，{net_text}。")
    else:
        missing.append("编制测算")
    if "gaps" in n["parts"]:
        subs = n["shortage_subjects"]
        tail = f"各校学科缺口合计 {fmt(n['gap_fte'])} 人、富余 {fmt(n['surplus_fte'])} 人。"
        if subs:
            items = "、".join(f"{s}（缺 {fmt(v)} 人，涉及 {k} 所学校）" for s, v, k in subs[:5])
            more = f"等 {len(subs)} 个学科" if len(subs) > 5 else ""
            paras.append(f"缺口达到 {fmt(n['threshold'])} 人的紧缺学科有{items}{more}；{tail}")
        else:
            paras.append(f"没有缺口达到 {fmt(n['threshold'])} 人的紧缺学科；{tail}")
    else:
        missing.append("学科缺口")
    if "recruit" in n:
        by = n["recruit_by_stage"]
        text = (f"建议 {y} 年招聘教师 {fmt(n['recruit'])} 名" + (f"（{_list(by, '名')}）" if by else "") + "。"
                if n["recruit"] else f"按测算 {y} 年无需新招聘教师（建议招聘 0 名）。")
        if "gaps" in n["parts"]:
            paras[-1] += text  # one paragraph: gaps and the recruitment that answers them
        else:
            paras.append(text)
    else:
        missing.append("招聘计划")
    if "exchange" in n["parts"]:
        el = n.get("eligibility")
        text = f"应交流教师 {el['应交流']} 名，" if el else ""
        text += f"安排交流 {n['exchanged']} 名"
        if n["exchange_by_type"]:
            text += f"（{_list(n['exchange_by_type'], '名')}）"
        if "compulsory_teachers" in n:
            ok = n["exchanged"] >= n["exchange_required"]
            text += (f"，占义务教育教师 {n['compulsory_teachers']} 名的 {fmt(n.get('exchange_share', 0))}%，"
                     f"{'达到' if ok else '未达到'} 5%（{n['exchange_required']} 名）的要求")
        else:
            text += "（未提供义务教育教师总数，未核算 5% 比例）"
        paras.append(text + f"；{DEADLINE_NOTE}。")
    else:
        missing.append("交流名单")
    if "zoujiao" in n:
        z = n["zoujiao"]
        text = (f"走教 {z['teachers']} 名教师到 {z['hosts']} 所学校，每周共 {fmt(z['periods'])} 课时，"
                f"月补贴 {fmt(z['subsidy'])} 元")
        if "coverage" in n:
            c = n["coverage"]
            share = f"（覆盖 {fmt(c['share'])}%）" if c["share"] is not None else ""
            covered = _r(float(c["gap"]) - float(c["remaining"]))
            text += (f"；有缺口的学校学科每周共缺 {fmt(c['gap'])} 课时，经交流（派入 {fmt(c['exchange'])} 课时）"
                     f"和走教（{fmt(c['zoujiao'])} 课时）补足 {fmt(covered)} 课时{share}，剩余 {fmt(c['remaining'])} 课时")
        if "exchange" in n["parts"]:
            paras[-1] = paras[-1][:-1] + "。" + text + "。"  # exchange and 走教 in one paragraph
        else:
            paras.append(text + "。")
    else:
        missing.append("走教安排")
    if missing:
        paras.append(f"（本次未提供{'、'.join(missing)}，相关内容从略。）")
    return paras


# --------------------------------------------------------------------------- docx helpers

def _fonts(run, name: str, size=None, bold=None):
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.bold = bold
    return run


def _para(doc_or_cell, text: str = "", *, font=BODY_FONT, size=SIZE_3, bold=None, align=None, indent=False,
          line=LINE, keep_next=False):
    p = doc_or_cell.add_paragraph()
    pf = p.paragraph_format
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = Pt(2 * size.pt) if indent else Pt(0)
    if align is not None:
        p.alignment = align
    if keep_next:
        pf.keep_with_next = True
    if text:
        _fonts(p.add_run(text), font, size, bold)
    return p


def _field_run(p, kind: str, text: str = ""):
    run = _fonts(p.add_run(), SONG_FONT, SIZE_4)
    if kind == "instr":
        el = OxmlElement("w:instrText")
        el.set(qn("xml:space"), "preserve")
        el.text = text
    else:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
    run._element.append(el)


def _page_number_footer(section):
    """Footer "— N —" centred, N a PAGE field (4号 宋体)."""
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _fonts(p.add_run("— "), SONG_FONT, SIZE_4)
    _field_run(p, "begin")
    _field_run(p, "instr", " PAGE ")
    _field_run(p, "separate")
    _fonts(p.add_run("1"), SONG_FONT, SIZE_4)
    _field_run(p, "end")
    _fonts(p.add_run(" —"), SONG_FONT, SIZE_4)


def _set_normal(doc):
    st = doc.styles["Normal"]
    st.font.name = BODY_FONT
    st.font.size = SIZE_3
    rpr = st.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), BODY_FONT)
    pf = st.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.widow_control = False


def _cell_text(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, font=BODY_FONT, size=SIZE_5):
    p = cell.paragraphs[0]
    p.alignment = align
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = Pt(0)
    pf.space_before = Pt(1)
    pf.space_after = Pt(1)
    if text:
        _fonts(p.add_run(text), font, size, bold)


MM_PER_UNIT = 1.9  # one half-width character of 10.5 pt text
CELL_PAD_MM = 4.2   # left + right cell margins and a little air


def _col_widths(t: pd.DataFrame, total_mm: float) -> list[float]:
    """Column widths (mm) summing to ``total_mm``: each column as wide as its longest value (the header
    may wrap onto two lines); when the table is too wide, only the widest columns are narrowed."""
    decimals = [_column_decimals(t[c]) for c in t.columns]
    natural = []
    for j, c in enumerate(t.columns):
        vals = [v if isinstance(v, str) else fmt_fixed(v, decimals[j]) for v in t[c].tolist()]
        units = max([sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in vals] + [0])
        head = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(c))
        units = max(units + 1, 2 * math.ceil(head / 4), 4)  # +1: the bold 合计 row; header on ≤ 2 lines
        natural.append(units * MM_PER_UNIT + CELL_PAD_MM)
    if sum(natural) <= total_mm:
        return [w * total_mm / sum(natural) for w in natural]
    lo, hi = 0.0, max(natural)
    for _ in range(40):  # the cap c with sum(min(w, c)) == total_mm
        mid = (lo + hi) / 2
        if sum(min(w, mid) for w in natural) > total_mm:
            hi = mid
        else:
            lo = mid
    return [min(w, lo) for w in natural]


def _table(doc, t: pd.DataFrame, total_mm: float):
    rows, cols = len(t) + 1, len(t.columns)
    tb = doc.add_table(rows=rows, cols=cols)
    tb.style = "Table Grid"
    tb.alignment = WD_TABLE_ALIGNMENT.CENTER
    tb.autofit = False
    widths = [Mm(x) for x in _col_widths(t, total_mm)]
    numeric = [pd.api.types.is_numeric_dtype(_num(t[c][:-1])) and _num(t[c][:-1]).notna().any() for c in t.columns]
    header = tb.rows[0]
    trpr = header._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trpr.append(el)
    for j, c in enumerate(t.columns):
        _cell_text(header.cells[j], str(c), bold=True, font=HEI_FONT)
    values = t.to_numpy(dtype=object)
    decimals = [_column_decimals(t[c]) for c in t.columns]
    for i in range(len(t)):
        row = tb.rows[i + 1]
        el = OxmlElement("w:cantSplit")
        el.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(el)
        is_total = i == len(t) - 1 and TOTAL_LABEL in [str(v) for v in values[i]]
        for j in range(cols):
            v = values[i, j]
            text = v if isinstance(v, str) else fmt_fixed(v, decimals[j])
            align = WD_ALIGN_PARAGRAPH.RIGHT if numeric[j] and not isinstance(v, str) else WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(row.cells[j], text, bold=is_total, align=align, font=HEI_FONT if is_total else BODY_FONT)
    for j, wdt in enumerate(widths):
        tb.columns[j].width = wdt  # w:gridCol (LibreOffice reads this)
        for cell in tb.columns[j].cells:
            cell.width = wdt  # w:tcW (Word reads this)
    return tb


def _source_line(doc, sheet: str, meta: RunMeta):
    files = "、".join(dict.fromkeys(str(i.get("file", "")) for i in meta.inputs if i.get("file"))) or "输入数据"
    _para(doc, f"数据来源：{files}（{sheet}），由 staffplan 生成，参数见 说明。", font=KAI_FONT, size=SIZE_XIAO4,
          line=Pt(20))


# --------------------------------------------------------------------------- the document

def build_report(sheets: dict[str, pd.DataFrame], meta: RunMeta, *, charts: dict[str, Path] | None = None,
                 district_name: str = "", rotation_summary: dict | None = None):
    doc = Document()
    _set_normal(doc)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(22)
    _page_number_footer(sec)
    text_mm = 210 - 28 - 26
    props = doc.core_properties
    props.author = props.last_modified_by = "staffplan"
    props.title = f"{district_name}{meta.plan_year}年教师编制测算与交流轮岗安排"
    props.created = props.modified = pd.Timestamp("2000-01-01").to_pydatetime()
    props.revision = 1
    props.comments = ""

    threshold = float(meta.parameter("shortage.threshold", 0.5) or 0.5)
    n = summary_numbers(sheets, rotation_summary=rotation_summary, threshold=threshold)

    _para(doc, "附件", font=HEI_FONT, size=SIZE_3)
    tp = _para(doc, f"{district_name}{meta.plan_year}—{meta.plan_year + 1}学年", font=TITLE_FONT, size=SIZE_2,
               align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36))
    tp.paragraph_format.space_before = Pt(14)
    tp.runs[0].add_break()
    _fonts(tp.add_run("教师编制测算与交流轮岗安排情况"), TITLE_FONT, SIZE_2)
    tp.paragraph_format.space_after = Pt(16)
    _para(doc, "一、总体情况", font=HEI_FONT, size=SIZE_3, indent=True)
    for text in summary_paragraphs(n, meta, district_name):
        _para(doc, text, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    tables = memo_tables(sheets)
    if tables:
        p = _para(doc, "二、测算与安排明细", font=HEI_FONT, size=SIZE_3, indent=True)
        p.paragraph_format.page_break_before = True
    for k, (ttl, t, unit, sheet) in enumerate(tables, 1):
        _para(doc, f"表{k}　{ttl}", font=HEI_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
        _para(doc, f"单位：{unit}", font=BODY_FONT, size=SIZE_XIAO4, align=WD_ALIGN_PARAGRAPH.RIGHT, line=Pt(20),
              keep_next=True)
        _table(doc, t, text_mm)
        _source_line(doc, sheet, meta)
        _para(doc, line=Pt(14))

    shown = [(k, Path(v)) for k, v in (charts or {}).items() if v and Path(v).exists()]
    if shown:
        _para(doc, f"{'三' if tables else '二'}、图示", font=HEI_FONT, size=SIZE_3, indent=True, keep_next=True)
        for k, (key, path) in enumerate(shown, 1):
            p = _para(doc, line=None, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
            p.add_run().add_picture(str(path), width=Mm(min(150, text_mm)))
            _para(doc, f"图{k}　{CHART_TITLES.get(key, key)}", font=HEI_FONT, size=SIZE_4,
                  align=WD_ALIGN_PARAGRAPH.CENTER)

    _para(doc)
    _para(doc, "说明", font=HEI_FONT, size=SIZE_XIAO4, line=Pt(20))
    notes = [f"计划年度：{meta.plan_year_text}。"]
    if meta.inputs:
        notes.append("输入文件：" + "；".join(
            f"{i.get('file', '')}（SHA-256 {str(i.get('sha256', ''))[:12]}…）" for i in meta.inputs) + "。")
    changed = meta.changed_parameters()
    if changed:
        from .meta import format_value
        notes.append("调整的参数：" + "；".join(f"{a} = {format_value(b)}（{c}）" for a, b, c in changed)
                     + "；其余参数为默认值。")
    else:
        notes.append("全部参数为默认值（见 staffplan.toml）。")
    if meta.solver:
        notes.append(f"求解器：{meta.solver.get('name', meta.solver.get('solver', ''))}，"
                     f"状态：{meta.solver.get('status', '')}。")
    for line in notes:
        _para(doc, line, font=KAI_FONT, size=SIZE_XIAO4, line=Pt(20))
    return doc, n


def write_report(path: Path | str, sheets: dict[str, pd.DataFrame], meta: RunMeta, *,
                 charts: dict[str, Path] | None = None, force: bool = False, district_name: str = "",
                 rotation_summary: dict | None = None) -> Path:
    """Write the memo attachment to ``path`` (atomically). ``rotation_summary`` (rotate's summary dict,
    optional) supplies the number of compulsory-education teachers for the 5% rule."""
    path = Path(path)
    doc, _ = build_report(sheets, meta, charts=charts, district_name=district_name,
                          rotation_summary=rotation_summary)
    with atomic_path(path, force) as tmp:
        doc.save(str(tmp))
    return path
