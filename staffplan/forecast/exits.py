"""Exit-review candidates (退出预警, domain.md §5).

Policy: failed re-hiring, failed certification renewal, annual appraisal 不合格, or teaching-quality
monitoring 不合格 two years running → candidates for retraining / transfer / dismissal.  The roster carries
this year's and last year's appraisal, so the tool lists:

- 连续两年年度考核不合格 (appraisal and appraisal_prev both 不合格) — first priority;
- 本年度考核不合格 (this year only).

Re-hiring and certification results are not in the data (noted, not guessed).  The tool lists
candidates; it never decides.  Output carries no ID number (masked when the teacher number is an ID
number), no birth date and no health data.
"""
from __future__ import annotations

import pandas as pd

EXIT_COLUMNS = ["teacher_id", "name", "school_id", "school_name", "subject", "employment", "appraisal",
                "appraisal_prev", "rule", "suggestion"]
FAIL = "不合格"
RULE_TWO_YEARS = "连续两年年度考核不合格"
RULE_THIS_YEAR = "本年度考核不合格"
NOTE_MISSING = "未包含竞聘上岗未聘、教师资格定期注册不合格、教学质量监测结果：数据中没有这些信息"


def _safe_ids(t: pd.DataFrame, mask: bool) -> pd.Series:
    """Teacher numbers safe to print: an ID number used as the teacher number is masked (or left out)."""
    tid = t["teacher_id"].fillna("").astype(str)
    idn = t["id_number"].fillna("").astype(str) if "id_number" in t.columns else pd.Series("", index=t.index)
    is_id = ((tid == idn) & (idn != "")) | tid.str.fullmatch(r"\d{17}[\dXx]")
    try:
        from ..rules.idcard import mask_ids
    except ImportError:  # pragma: no cover - the module exists in the full package
        mask_ids = None
    if mask_ids is not None and mask:
        return tid.where(~is_id, mask_ids(tid.where(is_id, "")))
    return tid.where(~is_id, "")


def exit_candidates(teachers: pd.DataFrame, schools: pd.DataFrame, config=None) -> pd.DataFrame:
    """EXIT_COLUMNS, two-year failures first, then by school and teacher number."""
    t = teachers.copy()
    for col in ("appraisal", "appraisal_prev", "name", "subject", "employment"):
        if col not in t.columns:
            t[col] = ""
        t[col] = t[col].fillna("").astype(str)
    two = (t["appraisal"] == FAIL) & (t["appraisal_prev"] == FAIL)
    one = (t["appraisal"] == FAIL) & ~two
    c = t[two | one].copy()
    c["rule"] = [RULE_TWO_YEARS if x else RULE_THIS_YEAR for x in two[two | one]]
    c["suggestion"] = "列入退出预警：由学校与教育局按程序研究培训、转岗或解聘（名单仅为预警，不是处理决定）"
    mask = bool(config.get("output.mask_ids", True)) if config is not None else True
    c["teacher_id"] = _safe_ids(c, mask)
    c["school_id"] = c["school_id"].astype(str)
    names = schools[["school_id", "school_name"]].assign(school_id=lambda x: x["school_id"].astype(str))
    c = c.drop(columns=[col for col in ("school_name",) if col in c.columns]).merge(names, on="school_id", how="left")
    c["_o"] = (c["rule"] != RULE_TWO_YEARS).astype(int)
    c = c.sort_values(["_o", "school_id", "teacher_id"], kind="stable")
    return c[EXIT_COLUMNS].reset_index(drop=True)
