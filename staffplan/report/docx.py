"""`staffplan report`: the memo attachment (附件) as a Word document in GB/T 9704 style.

A4, margins 37/35/28/26 mm (top/bottom/left/right) — a 156 mm × 225 mm type area with a 28 × 22 grid
(line pitch 28.95 pt; body 3号 drawn 0.25 pt closer so 28 characters fill a line); "附件" in 黑体 3号,
title in 小标宋 2号, body 仿宋_GB2312 3号, digits in Times New Roman; page numbers "— 1 —" in 4号 宋体,
odd pages at the right, even pages at the left; language zh-CN; each font declared in the font table
with the alternative a stock Windows / WPS machine has (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体,
楷体_GB2312 → 楷体).

Content: one page of summary in words, then numbered tables (表1, 表2 …), then the charts, then a short
说明 (plan year, sources, standards). Every number, in the text and in the tables' 合计 rows, comes from
its one function in :mod:`.figures`; where two figures have different scopes, a note says so. The memo
names no teacher (走教 by school and subject) and prints no internals (no program name, file checksums,
parameter keys or solver details). Any sheet may be missing: its part is skipped and the memo says so.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt

from ..io.atomic import atomic_path
from . import figures as F
from .figures import data_rows as _data, num as _num, round_half_up as _r
from .fonts import BODY_FONTS, HEADING_FONTS, KAI_FONTS, LATIN_FONT, SONG_FONTS, TITLE_FONTS
from .meta import DEADLINE_NOTE, RunMeta, public_notes
from ..forecast.tables import TOTAL_LABEL

BODY_FONT, TITLE_FONT, HEI_FONT, KAI_FONT, SONG_FONT = (BODY_FONTS[0], TITLE_FONTS[0], HEADING_FONTS[0],
                                                        KAI_FONTS[0], SONG_FONTS[0])
LINE = Pt(28.95)  # 22 lines in the 225 mm type area
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22  # GB/T 9704 5.2.2
BODY_KERN = Pt(0.25)  # 3号 characters drawn 0.25 pt closer: 28 × 15.75 pt = 441 pt ≤ 156 mm (442.2 pt)
#: font → (alternative on a stock Windows / WPS machine, its PANOSE, family) for word/fontTable.xml
FONT_FALLBACKS = {"方正小标宋简体": ("宋体", "02010600030101010101", "auto"),
                  "仿宋_GB2312": ("仿宋", "02010609060101010101", "modern"),
                  "楷体_GB2312": ("楷体", "02010609060101010101", "modern"),
                  "黑体": ("SimHei", "02010609060101010101", "modern"),
                  "宋体": ("SimSun", "02010600030101010101", "auto")}
SIZE_2, SIZE_3, SIZE_4, SIZE_5, SIZE_XIAO4 = Pt(22), Pt(16), Pt(14), Pt(10.5), Pt(12)
TOP_GAPS = 20
LONG_QUOTA = 30  # more rows than this: school rows only in 表1
CHART_WIDTH_MM = 140   # two charts (图1 and 图2 of a district) fit one page with their captions
CHART_TITLES = {"enrollment": "分学段在校生", "quota": "标准编制与在编教师", "gaps": "分学科教师缺口与富余"}


# --------------------------------------------------------------------------- numbers

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


def summary_numbers(sheets: dict[str, pd.DataFrame], *, rotation_summary: dict | None = None,
                    threshold: float = 0.5) -> dict:
    """Every figure the memo states, each from its one function in :mod:`.figures` (None: sheet absent)."""
    return {"students": F.students(sheets), "quota": F.quota(sheets), "gaps": F.gaps(sheets, threshold),
            "recruit": F.recruitment(sheets), "exchange": F.exchange(sheets, rotation_summary),
            "zoujiao": F.zoujiao(sheets), "coverage": F.coverage(sheets)}


def _total_row(df: pd.DataFrame, label_col: str, values: dict, label: str = TOTAL_LABEL) -> pd.DataFrame:
    """``df`` with a final 合计 row holding ``values`` (the figures' own totals), "" elsewhere."""
    total = {c: "" for c in df.columns}
    total[label_col] = label
    total.update({k: v for k, v in values.items() if k in df.columns})
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def _column_total(df: pd.DataFrame, cols: list[str]) -> dict:
    return {c: _r(float(_num(df[c]).sum())) for c in cols}


def quota_table(sheets: dict) -> pd.DataFrame | None:
    """表1 rows: school rows (with stage rows under them when the list is short). A school's own row of a
    multi-stage school shows its stages ("小学、初中") instead of 全校."""
    q = _data(sheets.get("编制测算"))
    if q is None or q.empty:
        return None if q is None else q
    schools = F.school_rows(q)
    rows = q if len(q) <= LONG_QUOTA else schools
    out = rows.assign(_school=rows.index.isin(schools.index))
    if "学段" in out:
        parts = q[q["学段"] != F.WHOLE_SCHOOL].groupby("学校代码")["学段"].agg(lambda s: "、".join(dict.fromkeys(s)))
        whole = out["学段"] == F.WHOLE_SCHOOL
        out.loc[whole, "学段"] = out.loc[whole, "学校代码"].map(parts).fillna(F.WHOLE_SCHOOL)
    return out


def coverage_table(cv: pd.DataFrame) -> pd.DataFrame | None:
    """The 缺口覆盖 sheet summed by subject (:func:`figures.coverage_by_subject`) with the figures' 合计 row:
    shortage periods before the plan, what exchange and 走教 brought, the shortage the plan creates at
    sending schools, and the shortage after the plan."""
    sheets = {"缺口覆盖": cv}
    ct, cf = F.coverage_by_subject(sheets), F.coverage(sheets)
    if ct is None:
        return None
    return _total_row(ct, "学科", {"计划前缺口课时": cf.before, "交流派入课时": cf.exchange_in, "走教课时": cf.zoujiao,
                                  "补足课时": cf.covered, "派出后新增缺口课时": cf.created, "计划后缺口课时": cf.after})


def _no_demand_note(gp: pd.DataFrame, agg: pd.DataFrame) -> str:
    """The subjects the curriculum gives no periods (其他, 心理健康 …): all their teachers show as 富余."""
    if "需求课时" not in gp:
        return ""
    # Σ 需求课时 of 0 — not NaN: 学前教育 is counted in teachers, without periods
    demand = _num(gp["需求课时"]).groupby(gp["学科"]).sum(min_count=1)
    surplus = agg.set_index("学科")["富余人数"]
    none = [s for s in surplus.index if demand.get(s, float("nan")) <= 0 and surplus[s] > 0]
    if not none:
        return ""
    total = sum(float(surplus[s]) for s in none)
    return (f"{'、'.join(none)}在课程方案中没有单列周课时，这些学科的教师（折合 {fmt(_r(total))} 人）全部"
            "计为富余，实际多兼任其他课程或承担专项工作，调剂时应结合实际。")


def memo_tables(sheets: dict[str, pd.DataFrame], threshold: float = 0.5
                ) -> list[tuple[str, pd.DataFrame, str, str, str]]:
    """(title, frame with its 合计 row, unit, source sheet, note on scope) for each table the memo shows.
    Totals are the figures of :mod:`.figures`, the same the text states. No teacher is named."""
    out = []
    qt = quota_table(sheets)
    qf = F.quota(sheets)
    if qt is not None and not qt.empty:
        cols = [c for c in ["学校名称", "学段", "预测学生数", "预测班数", "标准编制", "核定编制", "在编教师", "预计退休",
                            "临聘教师", "缺编"] if c in qt]
        t = qt[cols].copy()
        school = qt["_school"].to_numpy()
        if "学段" in t:
            t.loc[~school, "学校名称"] = "　其中"
        sums = [c for c in cols if c not in ("学校名称", "学段")]
        for c in sums:
            t[c] = _num(t[c])
        total = _column_total(t[school], [c for c in ["预测学生数", "预测班数"] if c in t])
        total.update({"标准编制": qf.standard, "核定编制": qf.approved if qf.approved is not None else "",
                      "在编教师": qf.on_quota, "预计退休": qf.retire_before, "临聘教师": qf.temporary,
                      "缺编": qf.vacancy_net})
        t = _total_row(t, "学校名称", total)
        shown_all = len(qt) == len(_data(sheets["编制测算"]))
        title = "各校编制测算" + ("" if shown_all else "（每校一行）")
        note = (f"合计为 {qf.schools} 所学校之和（每校计一次" + ("，“其中”分学段行不重复计入" if shown_all and
                                                      (~school).any() else "") + "）")
        if qf.approved is not None and qf.approved_schools < qf.schools:
            note += (f"；核定编制合计只含已核定的 {qf.approved_schools} 所学校，"
                     f"这些学校标准编制 {fmt(qf.standard_of_approved)} 名")
        if qf.unmeasured:
            note += (f"；标准编制、缺编合计不含 {qf.unmeasured} 所没有在校生数据、编制未测算的学校"
                     "（表中空白），其在编、临聘教师计入合计")
        note += "。缺编为标准编制减去扣除预计退休后的在编教师，负数为超编。"
        out.append((title, t, "人、个", "编制测算", note))
    gp = _data(sheets.get("学科缺口"))
    gf = F.gaps(sheets, threshold)
    if gp is not None and not gp.empty:
        agg = F.gaps_by_subject(gp)[["学科", "缺口学校数", "缺口人数", "富余人数"]]
        t = _total_row(agg, "学科", {"缺口学校数": gf.schools_short, "缺口人数": gf.shortage_fte,
                                     "富余人数": gf.surplus_fte})
        out.append(("分学科教师缺口汇总", t, "所、人（按标准课时折算）", "学科缺口",
                    f"缺口学校数每校计一次（九年一贯制等学校两个学段都缺同一学科也计一所）；合计行的 {gf.schools_short} 所"
                    "为至少缺一个学科的学校数，不是各学科之和。缺口与富余分别按学校、学段、学科相加，不相互抵消；合计由各校"
                    "各学科逐项相加后取一位小数，与各学科（已取一位小数）之和可能相差 0.1。" + _no_demand_note(gp, agg)))
        g = gp.assign(_f=_num(gp["缺口人数"]))
        top = g[g["_f"] > 0].sort_values(["_f", "学校代码", "学科"], ascending=[False, True, True], kind="stable")
        top = top.head(TOP_GAPS)
        cols = [c for c in ["学校名称", "学段", "学科", "需求课时", "供给课时", "缺口课时", "缺口人数"] if c in top]
        t = top[cols].reset_index(drop=True)
        t["缺口人数"] = _num(t["缺口人数"]).map(_r)
        sums = [c for c in ["需求课时", "供给课时", "缺口课时", "缺口人数"] if c in t]
        out.append((f"缺口较大的学校学科（前 {len(t)} 项）", _total_row(t, "学校名称", _column_total(t, sums)),
                    "课时/周、人", "学科缺口", f"按缺口人数从大到小排列，人数相同的按学校代码顺序；合计为本表所列 {len(t)} 项之和。"
                    + ("幼儿园按每班配备教师数测算，只列缺口人数，不计课时。" if (t.get("学段") == "幼儿园").any() else "")))
    rc = _data(sheets.get("招聘计划"))
    rf = F.recruitment(sheets)
    if rc is not None and not rc.empty:
        cols = [c for c in ["学段", "学科", "建议招聘人数", "学历要求", "涉及学校"] if c in rc]
        out.append(("教师招聘计划建议", _total_row(rc[cols].reset_index(drop=True), "学段", {"建议招聘人数": rf.total}),
                    "人", "招聘计划", ""))
    ex = _data(sheets.get("交流名单"))
    if ex is not None and not ex.empty and "交流类型" in ex:
        # by the subject each teacher goes to teach (补充学科: the shortage the move covers — a teacher whose roster
        # subject is 其他 and who goes to teach 音乐 counts under 音乐), else the subject on the list
        subject = next(c for c in ("补充学科", "学科", "任教学科") if c in ex)
        pv = pd.crosstab(ex[subject], ex["交流类型"]).sort_index()
        pv.columns = [str(c) for c in pv.columns]
        pv["合计"] = pv.sum(axis=1)
        t = pv.reset_index().rename(columns={subject: "学科"})
        ef = F.exchange(sheets)
        tot = {k: v for k, v in ef.by_type.items()}
        tot["合计"] = ef.teachers
        out.append(("交流轮岗人数（按交流类型和补充学科）", _total_row(t, "学科", tot), "人", "交流名单",
                    "学科为交流教师到交流学校补充的学科。"))
    zt = F.zoujiao_by_school(sheets)
    if zt is not None:
        zf = F.zoujiao(sheets)
        t = _total_row(zt, "走教学校", {"教师人数": zf.teachers, "派出学校数": zf.home_schools, "周课时": zf.periods,
                                     "月补贴": zf.subsidy})
        out.append(("走教安排（按接收学校和学科）", t, "人、所、课时/周、元/月", "走教安排",
                    f"合计的教师人数、派出学校数每人、每校计一次（{zf.teachers} 名教师走教到 {zf.host_schools} 所学校）。"))
    cv = _data(sheets.get("缺口覆盖"))
    cf = F.coverage(sheets)
    if cf is not None and (cf.before > 0 or cf.created > 0):
        t = coverage_table(cv)
        out.append(("交流和走教前后的学科缺口（按学科）", t, "课时/周", "缺口覆盖",
                    "按学校学科计：计划前缺口只计当时缺课的学校学科（富余不抵缺口）；交流派入和走教课时只计派到这些学校学科的部分，"
                    "超过缺口的部分不计入补足；同一学校学科既有教师调入又有教师调出的，交流派入课时按调入减调出的净数计；"
                    "派出后新增缺口为教师派出后派出学校新出现或加深的缺口；计划后缺口 = 计划前缺口 − 补足 + 派出后新增。"))
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
    s = n.get("students")
    if s is not None:
        stages = "，其中" + "、".join(f"{k} {fmt(v)} 人（{fmt(s.classes_by_stage.get(k, 0))} 班）"
                                   for k, v in s.by_stage.items()) if s.by_stage else ""
        paras.append(f"{y}—{y + 1}学年{who}预计在校生 {fmt(s.total)} 人、{fmt(s.classes)} 个班{stages}。")
    else:
        missing.append("学生预测")
    q = n.get("quota")
    if q is not None:
        if q.approved is None:
            approved = ""
        elif q.approved_schools == q.schools:
            approved = f"，核定编制 {fmt(q.approved)} 名"
        else:
            approved = (f"；其中已核定编制的 {q.approved_schools} 所学校核定 {fmt(q.approved)} 名"
                        f"（这些学校标准编制 {fmt(q.standard_of_approved)} 名）")
        over = f"，{q.schools_over} 所学校超编共 {fmt(q.over)} 名" if q.schools_over else ""
        net = q.vacancy_net
        net_text = (f"全区合计缺编 {fmt(net)} 名" if net > 0 else f"全区合计超编 {fmt(-net)} 名" if net < 0
                    else "全区编制总量持平")
        unmeasured = (f"（另有 {q.unmeasured} 所学校没有在校生数据，编制未测算，不计入标准编制和缺编）"
                      if q.unmeasured else "")
        paras.append(f"按编制标准测算，{q.schools - q.unmeasured} 所学校标准编制合计 {fmt(q.standard)} 名{unmeasured}"
                     f"{approved}。现有在编教师 "
                     f"{fmt(q.on_quota)} 名，9 月 1 日前到龄退休 {fmt(q.retire_before)} 名、学年内退休 "
                     f"{fmt(q.retire_during)} 名，临聘教师 {fmt(q.temporary)} 名。扣除到龄退休后，"
                     f"{q.schools_short} 所学校缺编共 {fmt(q.vacancy)} 名{over}，{net_text}。")
    else:
        missing.append("编制测算")
    g = n.get("gaps")
    if g is not None:
        tail = (f"按学校、学段、学科分别计算，{g.schools_short} 所学校至少缺一个学科，各校学科缺口合计 "
                f"{fmt(g.shortage_fte)} 人、富余 {fmt(g.surplus_fte)} 人（缺口与富余不相互抵消）。")
        if g.shortage_subjects:
            items = "、".join(f"{a}（各校共缺 {fmt(v)} 人，涉及 {k} 所学校）" for a, v, k in g.shortage_subjects[:5])
            more = f"等 {len(g.shortage_subjects)} 个学科" if len(g.shortage_subjects) > 5 else ""
            paras.append(f"各校缺口合计达到 {fmt(g.threshold)} 人的学科有{items}{more}（其他学校同学科的富余可以调剂，招聘按"
                         f"扣除富余后的净缺口计算）；{tail}")
        else:
            paras.append(f"没有各校缺口合计达到 {fmt(g.threshold)} 人的学科；{tail}")
    else:
        missing.append("学科缺口")
    r = n.get("recruit")
    if r is not None:
        text = (f"建议 {y} 年招聘教师 {fmt(r.total)} 名" + (f"（{_list(r.by_stage, '名')}）" if r.by_stage else "") + "。"
                if r.total else f"按测算 {y} 年无需新招聘教师（建议招聘 0 名）。")
        if g is not None:
            paras[-1] += text  # one paragraph: gaps and the recruitment that answers them
        else:
            paras.append(text)
    else:
        missing.append("招聘计划")
    e = n.get("exchange")
    if e is not None:
        text = f"应交流教师 {e.eligibility['应交流']} 名，" if e.eligibility else ""
        text += f"安排交流 {e.teachers} 名"
        if e.by_type:
            text += f"（{_list(e.by_type, '名')}）"
        if e.compulsory_teachers:
            ok = e.teachers >= e.required
            floor = float(meta.parameter("exchange.min_share_compulsory", 0.05) or 0.05) * 100
            text += (f"，占义务教育教师 {e.compulsory_teachers} 名的 {fmt_fixed(e.share, 1)}%，"
                     f"{'达到' if ok else '未达到'}不低于 {fmt(floor)}%（{e.required} 名）的要求")
        paras.append(text + f"；{DEADLINE_NOTE}。")
    else:
        missing.append("交流名单")
    z = n.get("zoujiao")
    if z is not None:
        text = (f"安排 {z.home_schools} 所学校的 {z.teachers} 名教师到 {z.host_schools} 所学校走教，每周共 "
                f"{fmt(z.periods)} 课时，走教补贴每月合计 {fmt(z.subsidy)} 元")
        if e is not None:
            paras[-1] = paras[-1][:-1] + "。" + text + "。"  # exchange and 走教 in one paragraph
        else:
            paras.append(text + "。")
    else:
        missing.append("走教安排")
    c = n.get("coverage")
    if c is not None and (c.before > 0 or c.created > 0):
        share = f"（{fmt(c.share)}%）" if c.share is not None else ""
        created = (f"；教师派出后，{c.schools_created} 所派出学校新出现或加深缺口 {fmt(c.created)} 课时"
                   if c.created > 0 else "；派出学校没有因此出现新的缺口")
        paras.append(f"按学校、学段、学科逐项计算，交流和走教前全区每周缺 {fmt(c.before)} 课时（涉及 {c.cells_before} 个学校的学段"
                     f"学科），交流派入和走教补足 {fmt(c.covered)} 课时{share}{created}；安排后全区每周仍缺 "
                     f"{fmt(c.after)} 课时" + (f"（即原缺口减去补足部分，再加上派出学校新增的缺口）" if c.created > 0 else "")
                     + "。")
    if missing:
        paras.append(f"（本次未提供{'、'.join(missing)}，相关内容从略。）")
    return paras


# --------------------------------------------------------------------------- docx helpers

def _set_rfonts(rpr, name: str):
    """Chinese in ``name``, digits and Latin letters in Times New Roman (as bureaus type them; LibreOffice
    also keeps a number on one line only when its digits are in a Latin font)."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), name)


def _fonts(run, name: str, size=None, bold=None):
    _set_rfonts(run._element.get_or_add_rPr(), name)
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
    _add_text(p, tight(text) if text else "", font, size, bold)
    if size != SIZE_3 or line != LINE:
        _off_grid(p)
    return p


def _add_text(p, text: str, font, size, bold=None) -> None:
    """``text`` as runs of ``p``: each number in a run of its own, in a Latin font without letter spacing, so that
    it is never broken across lines (「缺 1.1」 not 「缺 1.」/「1」 in a narrow table column)."""
    for k, part in enumerate(_NUMBERS.split(text) if text else []):
        if part:
            run = _fonts(p.add_run(part), font, size, bold)
            if k % 2:
                _letter_spacing(run, 0)
                _latin_language(run)


_RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr",
                      "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                      "w:specVanish", "w:oMath")
_PPR_AFTER_SNAP = ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                   "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                   "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


_LOOSE = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])[ ]+(?=[-−0-9])"
                    r"|(?<=[0-9%])[ ]+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


_NUMBERS = re.compile(r"([0-9][0-9.,%]*)")


def _letter_spacing(run, twips: int):
    rpr = run._element.get_or_add_rPr()
    el = rpr.find(qn("w:spacing"))
    if el is None:
        el = OxmlElement("w:spacing")
        rpr.insert_element_before(el, *_RPR_AFTER_SPACING)
    el.set(qn("w:val"), str(twips))


def _latin_language(run):
    """Numbers break by Western rules: with the Chinese locale LibreOffice breaks "5.5%" after the point."""
    rpr = run._element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, *_RPR_AFTER_SPACING[_RPR_AFTER_SPACING.index("w:lang") + 1:])
    lang.set(qn("w:val"), "en-US")


def tight(text: str) -> str:
    """Chinese print style: no space between a Chinese character and a number ("在校生34380人")."""
    return _LOOSE.sub("", text)


def _off_grid(p):
    """Paragraphs other than 3号 body text (titles, tables, notes, page numbers) do not snap to the
    28 × 22 grid, so that a 10.5 pt table cell is not spread over 16 pt grid cells."""
    ppr = p._p.get_or_add_pPr()
    if ppr.find(qn("w:snapToGrid")) is None:
        el = OxmlElement("w:snapToGrid")
        el.set(qn("w:val"), "0")
        ppr.insert_element_before(el, *_PPR_AFTER_SNAP)


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


def _footer_page_number(footer, align):
    """One footer paragraph: "— N —" (4号 宋体, N a PAGE field), aligned ``align`` with one character of
    space on the outer side (GB/T 9704 7.5: 单页码居右空一字，双页码居左空一字)."""
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = align
    pf = p.paragraph_format
    pf.first_line_indent = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        pf.right_indent = SIZE_4
    else:
        pf.left_indent = SIZE_4
    _fonts(p.add_run("— "), SONG_FONT, SIZE_4)
    _field_run(p, "begin")
    _field_run(p, "instr", " PAGE ")
    _field_run(p, "separate")
    _fonts(p.add_run("1"), SONG_FONT, SIZE_4)
    _field_run(p, "end")
    _fonts(p.add_run(" —"), SONG_FONT, SIZE_4)
    _off_grid(p)


def _page_numbers(doc, section):
    """Odd pages: number at the right; even pages: at the left (w:evenAndOddHeaders on)."""
    doc.settings.odd_and_even_pages_header_footer = True
    _footer_page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _footer_page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _doc_grid(section, chars: int = CHARS_PER_LINE, lines: int = LINES_PER_PAGE):
    """The 28 × 22 grid of GB/T 9704 5.2.2 in the 156 mm × 225 mm type area. The line grid (w:docGrid
    type "lines", pitch = type height ÷ 22) is honoured by Word, WPS and LibreOffice alike; the 28
    characters come from the body's character pitch (3号 minus :data:`BODY_KERN`, see :func:`_set_normal`),
    since LibreOffice spreads a character grid over half-width digits and spaces. w:charSpace records the
    character pitch (type width ÷ 28) for Word's grid dialog."""
    width_pt = Length(section.page_width - section.left_margin - section.right_margin).pt
    height_pt = Length(section.page_height - section.top_margin - section.bottom_margin).pt
    sect = section._sectPr
    for old in sect.findall(qn("w:docGrid")):
        sect.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(height_pt / lines * 20)))
    grid.set(qn("w:charSpace"), str(round((width_pt / chars - SIZE_3.pt) * 4096)))
    sect.append(grid)


def _language(doc):
    """zh-CN everywhere: document defaults, Normal style and the theme font language (not en-US / ja-JP)."""
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    targets = [rpr] if rpr is not None else []
    if rpr is not None:  # the grid's character pitch is relative to the default size: make it 3号 too
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is not None:
                el.set(qn("w:val"), str(int(SIZE_3.pt * 2)))
    targets.append(doc.styles["Normal"].element.get_or_add_rPr())
    for el in targets:
        lang = el.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            el.append(lang)
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
        lang.set(qn("w:bidi"), "ar-SA")
    theme = doc.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), "zh-CN")
        theme.set(qn("w:eastAsia"), "zh-CN")


def _font_table(doc):
    """Declare each GB/T 9704 font in word/fontTable.xml with the alternative a stock Windows / WPS machine
    has (w:altName, GB2312 charset), so a reader without 方正小标宋 or 仿宋_GB2312 gets 宋体 / 仿宋 / 楷体."""
    from lxml import etree
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    part = doc.part.part_related_by(RT.FONT_TABLE)
    root = etree.fromstring(part.blob)
    for name, (alt, panose, family) in FONT_FALLBACKS.items():
        for old in root.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                root.remove(old)
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:panose1", panose), ("w:charset", "86"), ("w:family", family),
                         ("w:pitch", "variable")):
            el = etree.SubElement(font, qn(tag))
            el.set(qn("w:val"), val)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _set_normal(doc):
    st = doc.styles["Normal"]
    st.font.size = SIZE_3
    rpr = st.element.get_or_add_rPr()
    _set_rfonts(rpr, BODY_FONT)
    pf = st.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.widow_control = False
    spacing = OxmlElement("w:spacing")  # character pitch 16 − 0.25 pt: 28 characters in 156 mm
    spacing.set(qn("w:val"), str(int(-BODY_KERN.pt * 20)))
    rpr.insert_element_before(spacing, *_RPR_AFTER_SPACING)


def _cell_text(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, font=BODY_FONT, size=SIZE_5):
    p = cell.paragraphs[0]
    p.alignment = align
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = Pt(0)
    pf.space_before = Pt(1)
    pf.space_after = Pt(1)
    if text:
        _add_text(p, text, font, size, bold)
    else:   # an empty cell's paragraph mark in the table's size: in the document's default size the row grew taller
        rpr = OxmlElement("w:rPr")
        for tag in ("w:sz", "w:szCs"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(int(round(size.pt * 2))))
            rpr.append(el)
        p._p.get_or_add_pPr().append(rpr)
    _off_grid(p)


MM_PER_UNIT = 1.9  # one half-width character of 10.5 pt text
KEEP_WHOLE_MM = 110.0  # a table estimated at most this tall (half the text height) is kept on one page
KEEP_EDGE_ROWS = 3     # a longer table leaves at least this many rows on the page it starts and on its last page
ROW_LINE_MM, ROW_PAD_MM = 4.6, 0.8   # a line of 10.5 pt table text; a row's cell margins
CELL_PAD_MM = 4.2   # left + right cell margins and a little air


def _units(text: str) -> int:
    """Width in half-width characters (a Chinese character counts two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _col_widths(t: pd.DataFrame, total_mm: float) -> list[float]:
    """Column widths (mm) summing to ``total_mm``: each column as wide as its longest value (the header
    may wrap onto two lines); when the table is too wide, only the widest columns are narrowed."""
    decimals = [_column_decimals(t[c]) for c in t.columns]
    natural = []
    for j, c in enumerate(t.columns):
        vals = [v if isinstance(v, str) else fmt_fixed(v, decimals[j]) for v in t[c].tolist()]
        # a list ("小学、初中") may wrap after its 、: as wide as its longest item
        units = max([_units(x) for v in vals for x in re.split(r"(?<=、)", v)] + [0])
        head = _units(str(c))
        numeric = all(not isinstance(v, str) or v == "" for v in t[c].tolist()[:-1])
        lines = 3 if numeric else 2  # a number column's header may take three lines, a text column's two
        units = max(units + 1, 2 * math.ceil(head / (2 * lines)), 4)  # +1: the bold 合计 row
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


def _table_height_mm(t: pd.DataFrame, widths_mm: list[float], decimals: list[int]) -> float:
    """Estimated printed height of the table (header included): each row as tall as its cell of most lines."""
    def lines(text: str, width: float) -> int:
        return max(1, math.ceil(_units(text) * MM_PER_UNIT / max(width - CELL_PAD_MM, MM_PER_UNIT)))
    head = max(lines(str(c), w) for c, w in zip(t.columns, widths_mm))
    body = 0
    for row in t.itertuples(index=False):
        body += max(lines(v if isinstance(v, str) else fmt_fixed(v, d), w)
                    for v, w, d in zip(row, widths_mm, decimals))
    return (head + body) * ROW_LINE_MM + (len(t) + 1) * ROW_PAD_MM


def _table(doc, t: pd.DataFrame, total_mm: float):
    rows, cols = len(t) + 1, len(t.columns)
    tb = doc.add_table(rows=rows, cols=cols)
    tb.style = "Table Grid"
    tb.alignment = WD_TABLE_ALIGNMENT.CENTER
    tb.autofit = False
    widths_mm = _col_widths(t, total_mm)
    widths = [Mm(x) for x in widths_mm]
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
    # rows kept on the page of the row after them: a table of up to KEEP_WHOLE_MM is never split; a longer
    # one never leaves fewer than KEEP_EDGE_ROWS rows under its header at the foot of a page or on the last page
    n = len(t)
    keep = np.zeros(n + 1, bool)
    if _table_height_mm(t, widths_mm, decimals) <= KEEP_WHOLE_MM:
        keep[:n] = True
    else:
        keep[:KEEP_EDGE_ROWS] = True                  # the header and the first rows
        keep[n - KEEP_EDGE_ROWS + 1:n] = True         # the last rows
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
            if keep[i + 1]:
                row.cells[j].paragraphs[0].paragraph_format.keep_with_next = True
    if keep[0]:
        for cell in header.cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = True
    for j, wdt in enumerate(widths):
        tb.columns[j].width = wdt  # w:gridCol (LibreOffice reads this)
        for cell in tb.columns[j].cells:
            cell.width = wdt  # w:tcW (Word reads this)
    return tb


def _note(doc, text: str):
    _para(doc, text, font=KAI_FONT, size=SIZE_XIAO4, line=Pt(20), align=WD_ALIGN_PARAGRAPH.JUSTIFY)


# --------------------------------------------------------------------------- the document

def build_report(sheets: dict[str, pd.DataFrame], meta: RunMeta, *, charts: dict[str, Path] | None = None,
                 district_name: str = "", rotation_summary: dict | None = None):
    doc = Document()
    _set_normal(doc)
    _language(doc)
    _font_table(doc)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(22)
    _doc_grid(sec)
    _page_numbers(doc, sec)
    text_mm = 210 - 28 - 26
    props = doc.core_properties
    props.author = props.last_modified_by = district_name + "教育局" if district_name else ""
    props.title = f"{district_name}{meta.plan_year}年教师编制测算与交流轮岗安排"
    props.created = props.modified = pd.Timestamp("2000-01-01").to_pydatetime()
    props.revision = 1
    props.comments = ""
    props.keywords = props.subject = props.category = ""

    threshold = float(meta.parameter("shortage.threshold", 0.5) or 0.5)
    n = summary_numbers(sheets, rotation_summary=rotation_summary, threshold=threshold)

    _para(doc, "附件", font=HEI_FONT, size=SIZE_3)
    tp = _para(doc, f"{district_name}{meta.plan_year}—{meta.plan_year + 1}学年", font=TITLE_FONT, size=SIZE_2,
               align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36))
    tp.paragraph_format.space_before = Pt(14)
    tp.runs[-1].add_break()
    _fonts(tp.add_run("教师编制测算与交流轮岗安排情况"), TITLE_FONT, SIZE_2)
    tp.paragraph_format.space_after = Pt(16)
    _para(doc, "一、总体情况", font=HEI_FONT, size=SIZE_3, indent=True)
    for text in summary_paragraphs(n, meta, district_name):
        _para(doc, text, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    tables = memo_tables(sheets, threshold)
    if tables:
        p = _para(doc, "二、测算与安排明细", font=HEI_FONT, size=SIZE_3, indent=True)
        p.paragraph_format.page_break_before = True
    for k, (ttl, t, unit, _sheet, note) in enumerate(tables, 1):
        _para(doc, f"表{k}　{ttl}", font=HEI_FONT, size=SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
        _para(doc, f"单位：{unit}", font=BODY_FONT, size=SIZE_XIAO4, align=WD_ALIGN_PARAGRAPH.RIGHT, line=Pt(20),
              keep_next=True)
        _table(doc, t, text_mm)
        if note:
            _note(doc, "注：" + note)
        _para(doc, line=Pt(14))

    shown = [(k, Path(v)) for k, v in (charts or {}).items() if v and Path(v).exists()]
    if shown:
        _para(doc, f"{'三' if tables else '二'}、图示", font=HEI_FONT, size=SIZE_3, indent=True, keep_next=True)
        for k, (key, path) in enumerate(shown, 1):
            p = _para(doc, line=None, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
            p.add_run().add_picture(str(path), width=Mm(min(CHART_WIDTH_MM, text_mm)))
            _para(doc, f"图{k}　{CHART_TITLES.get(key, key)}", font=HEI_FONT, size=SIZE_4,
                  align=WD_ALIGN_PARAGRAPH.CENTER)

    _para(doc)
    _para(doc, "说明", font=HEI_FONT, size=SIZE_XIAO4, line=Pt(20))
    for line in public_notes(meta, list(sheets)):
        _note(doc, line)
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
