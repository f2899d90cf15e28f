"""What may be sent outside the bureau's office: tables without names, and the 公示 notice list.

- :func:`attachment_sheets` — the memo's tables (表1 … 表7) as workbook sheets: counts by school and
  subject, no teacher named, no reasons, the same totals as the memo (:mod:`.figures`).
- :func:`write_attachment_workbook` — those sheets as a workbook whose 说明 sheet is in plain words
  (plan year, sources, standards: no file names, checksums, parameter keys or solver details).
- :func:`notice_sheets` — the per-school notice list for 公示 of who moves: name, masked ID, from, to,
  subject, years; no reasons, appraisals or health data. It names teachers: it is posted at the schools
  concerned, not attached to the memo. :func:`write_notice_workbook` writes it as a public output: no 内部资料
  mark, a 说明 sheet that explains the lists (:func:`..meta.notice_notes`), no files, checksums or parameters
  (those stay in 交流.xlsx, from the same run).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .docx import memo_tables
from .figures import data_rows
from .meta import ATTACHMENT_KIND, NOTICE_KIND, RunMeta
from .privacy import mask_series, shows_id_numbers

NOTICE_EXCHANGE, NOTICE_ZOUJIAO = "交流公示名单", "走教公示名单"


def attachment_sheets(sheets: dict[str, pd.DataFrame], threshold: float = 0.5) -> dict[str, pd.DataFrame]:
    """{"表1 各校编制测算": frame, …}: the memo's tables in the memo's order, each with its 合计 row."""
    out = {}
    for k, (title, frame, _unit, _sheet, _note) in enumerate(memo_tables(sheets, threshold), 1):
        name = f"表{k} {title}".replace("（", "(").replace("）", ")")
        out[name[:31]] = frame
    return out


def attachment_titles(sheets: dict[str, pd.DataFrame], threshold: float = 0.5,
                      meta: RunMeta | None = None) -> dict[str, tuple[str, str]]:
    """Sheet → (title row 「表2　示例区2026—2027学年分学科教师缺口汇总」 (district and 学年 from ``meta``), the line
    under it: unit and scope note, as in the memo)."""
    from .workbook import sheet_title

    out = {}
    for k, (title, _frame, unit, _sheet, note) in enumerate(memo_tables(sheets, threshold), 1):
        name = f"表{k} {title}".replace("（", "(").replace("）", ")")[:31]
        out[name] = (f"表{k}　{sheet_title(title, meta) if meta else title}", f"单位：{unit}。" + (f"注：{note}" if note else ""))
    return out


def write_attachment_workbook(path: Path | str, sheets: dict[str, pd.DataFrame], meta: RunMeta, *,
                              force: bool = False) -> Path:
    """The attachment tables as a workbook to send with the memo (no names, no internals)."""
    from .workbook import write_workbook

    threshold = float(meta.parameter("shortage.threshold", 0.5) or 0.5)
    public = replace(meta, public=ATTACHMENT_KIND, options={**meta.options, "sheets": sorted(sheets)})
    heads = attachment_titles(sheets, threshold, public)
    return write_workbook(path, attachment_sheets(sheets, threshold), public, force=force,
                          titles={k: t for k, (t, _n) in heads.items()}, notes={k: n for k, (_t, n) in heads.items()})


def notice_sheets(sheets: dict[str, pd.DataFrame], show_id: bool = False) -> dict[str, pd.DataFrame]:
    """公示 lists, ordered by school: {交流公示名单: 原学校, 序号, 姓名, 教师编号, 任教学科, 交流学校, 到校任教学科,
    交流类型, 交流年限}, {走教公示名单: 本校, 序号, 姓名, 教师编号, 学科, 走教学校, 周课时}. 序号 counts within a school.
    IDs are masked unless ``show_id``; no reasons."""
    out = {}
    ex = data_rows(sheets.get("交流名单"))
    if ex is not None:
        subject = "任教学科" if "任教学科" in ex else "学科"
        cols = {"原学校": "原学校", "姓名": "姓名", "教师编号": "教师编号", subject: "任教学科", "交流学校": "交流学校",
                "补充学科": "到校任教学科", "交流类型": "交流类型", "交流年限": "交流年限"}     # 到校任教学科: what they go to teach
        out[NOTICE_EXCHANGE] = _by_school(ex, cols, "原学校", show_id)
    zj = data_rows(sheets.get("走教安排"))
    if zj is not None:
        cols = {"本校": "本校", "姓名": "姓名", "教师编号": "教师编号", "学科": "学科", "走教学校": "走教学校",
                "周课时": "周课时"}
        out[NOTICE_ZOUJIAO] = _by_school(zj, cols, "本校", show_id)
    return out


def write_notice_workbook(path: Path | str, notice: dict[str, pd.DataFrame], meta: RunMeta, *,
                          force: bool = False) -> Path:
    """The 公示 lists as a workbook to post at the schools (see the module docstring)."""
    from .workbook import write_workbook

    ids = pd.concat([df["教师编号"] for df in notice.values() if "教师编号" in df] or [pd.Series(dtype=str)])
    has_id_numbers = shows_id_numbers(ids)
    return write_workbook(path, notice, replace(meta, public=NOTICE_KIND,
                                                options={**meta.options, "id_numbers": has_id_numbers}), force=force)


def _by_school(df: pd.DataFrame, cols: dict, school: str, show_id: bool) -> pd.DataFrame:
    t = df[[c for c in cols if c in df]].rename(columns=cols)
    if "教师编号" in t and not show_id:
        t["教师编号"] = mask_series(t["教师编号"].astype(str))
    t = t.sort_values([school, "姓名"], kind="stable").reset_index(drop=True)
    t.insert(1, "序号", t.groupby(school).cumcount() + 1)
    return t
