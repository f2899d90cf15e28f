"""Load a data set (a folder of files, or one workbook) into validated canonical tables.

The flow, one step per place:

1. **detect the format** by content, not extension (excel.py ``_sniff``: xlsx, xls/WPS .et, ods, CSV text,
   HTML or SpreadsheetML saved as .xls);
2. **read cells** (excel.py): merged ranges filled with their value, error cells (#N/A, #REF!) and formulas
   without a cached value kept as :class:`~staffplan.io.excel.CellError`, ``="0012"`` CSV cells unwrapped;
3. **map headers** (headers.py, aliases in ``data/aliases/headers_<table>.csv``): normalised text (brackets,
   ``*``, line breaks, hints, 学校（机构）/所在地 prefixes), exact alias, then for a required column the one
   header containing an alias (said in a note); sheets with alike headers are stacked (``stack_alike``);
4. **normalise each field** through its one vocabulary (``RULES`` by field type → normalize.py, whose tables
   are ``data/aliases/values_<field>.csv`` + ``data/codes/<field>.csv`` + staffplan.toml ``[vocabulary]``),
   the same for every format and sheet; a word not understood is one issue per word;
5. **validate** (validate.py) across fields and tables.

Every frame keeps src_file / src_sheet / src_row so messages name the place, and ``Dataset.labels`` keeps the
headers as written so messages name the user's column. Inputs are only ever opened for reading.
"""
from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import schema
from ..config import Config, default_config, load_config
from ..errors import ERROR, WARNING, ConfigError, InputError, Issues
from ..rules import idcard
from . import codes, national
from . import normalize as nz
from .excel import MERGED, SPREADSHEET_SUFFIXES, WORKBOOK_SUFFIXES, CellError, cell_error_text, is_cell_error, RawSheet, read_sheets
from .headers import aliases, detect_header, table_body

TABLES = ["schools", "enrollment", "teachers", "births", "feeders", "distances"]
REQUIRED_TABLES = ["schools", "enrollment", "teachers"]
TABLE_NAMES = {"schools": "学校", "enrollment": "在校生", "teachers": "教师", "births": "出生人口",
               "feeders": "对口", "distances": "距离"}
COLUMN_NAMES = {
    "schools": schema.SCHOOL_COLUMNS, "enrollment": schema.ENROLLMENT_COLUMNS, "teachers": schema.TEACHER_COLUMNS,
    "births": schema.BIRTH_COLUMNS, "feeders": schema.FEEDER_COLUMNS, "distances": schema.DISTANCE_COLUMNS,
}
STATISTICS_PREFIXES = ("教基", "基础基")
GROUPS = ("key", "school", "feeder")  # fields.csv "required" values meaning "one of these columns"
MAX_CELL_ISSUES = 20  # per table × column × kind; the rest are summarised in one issue


# --- catalogue ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    table: str
    field: str
    type: str
    required: str
    default: str


@lru_cache(maxsize=None)
def catalogue() -> dict[str, list[FieldSpec]]:
    out: dict[str, list[FieldSpec]] = {}
    for r in nz.load_alias_csv("fields.csv"):
        spec = FieldSpec(r["table"], r["field"], r["type"], r["required"], r.get("default") or "")
        out.setdefault(spec.table, []).append(spec)
    return out


def column_label(table: str, fld: str) -> str:
    names = COLUMN_NAMES.get(table, {})
    extra = {"school_ref": "学校", "school_name": "学校名称", "feeder_name": "生源学校名称"}
    return names.get(fld) or extra.get(fld, fld)


@lru_cache(maxsize=None)
def _table_keywords() -> list[tuple[str, str, float]]:
    return [(r["table"], nz._key(r["keyword"]), float(r["weight"])) for r in nz.load_alias_csv("tables.csv")]


def classify_name(name: str) -> str | None:
    """Table a file or sheet name stands for (keyword with the highest weight wins), or None."""
    k = nz._key(name)
    best, best_w = None, 0.0
    for table, kw, w in _table_keywords():
        if kw and kw in k and w > best_w:
            best, best_w = table, w
    return best


# --- cell-level reporting ----------------------------------------------------------------------------------

def report_cells(issues: Issues, frame: pd.DataFrame, mask: pd.Series, column: str, message, severity: str = "错误",
                 value_col: str | None = None, show_value: bool = True) -> None:
    """One issue per flagged source row (first ``cell_limit()``, then one summary issue): a wide row read as
    several grades is reported once."""
    idx = mask[mask.fillna(False).astype(bool)].index
    if len(idx) == 0:
        return
    if len(idx) > 1:
        idx = idx[~frame.loc[idx, schema.SOURCE_COLUMNS].duplicated().to_numpy()]
    limit = cell_limit()
    for r in idx[:limit]:
        raw = frame.at[r, value_col] if value_col and value_col in frame.columns else None
        text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        msg = message(text) if callable(message) else message
        issues.add(severity, msg, file=str(frame.at[r, "src_file"]), sheet=str(frame.at[r, "src_sheet"]),
                   row=int(frame.at[r, "src_row"]), column=column, value=text if show_value else "")
    if len(idx) > limit:
        r = idx[limit]
        issues.add(severity, f"「{column}」列另有 {len(idx) - limit} 行同类问题未逐一列出（加 --all 查看全部）",
                   file=str(frame.at[r, "src_file"]), sheet=str(frame.at[r, "src_sheet"]), column=column)


# Per-run reading settings (set by load_dataset, read by the transforms): the bureau's extra vocabulary
# (staffplan.toml [vocabulary]) and how many cells of one kind are listed before a summary line.
_VOCAB: contextvars.ContextVar[dict] = contextvars.ContextVar("staffplan_vocabulary", default={})
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("staffplan_cell_limit", default=MAX_CELL_ISSUES)


def cell_limit() -> int:
    limit = _LIMIT.get()
    return 10 ** 9 if limit is None else limit


def vocabulary(field: str) -> dict[str, str]:
    """The bureau's own words for ``field`` (staffplan.toml ``[vocabulary] <field> = { 词 = "标准值" }``)."""
    return _VOCAB.get().get(field) or {}


# --- raw extraction ------------------------------------------------------------------------------------------

@dataclass
class Extract:
    table: str
    frame: pd.DataFrame            # canonical field names, raw values, src_* columns
    labels: dict[str, str]         # field → header as written
    sheet: RawSheet
    header_row: int                # Excel row number of the header


def _missing_required(table: str, present: set[str]) -> list[tuple[str, list[str]]]:
    """(label, aliases tried) for each missing required column (or group)."""
    specs = catalogue()[table]
    amap = aliases(table)
    missing = []
    groups: dict[str, list[str]] = {}
    for s in specs:
        if s.required == "yes" and s.field not in present:
            missing.append((column_label(table, s.field), list(amap.tried.get(s.field, ()))))
        elif s.required in GROUPS:
            groups.setdefault(s.required, []).append(s.field)
    for g, fields in groups.items():
        if not present.intersection(fields):
            label = " 或 ".join(dict.fromkeys(column_label(table, f) for f in fields))
            tried = [a for f in fields for a in amap.tried.get(f, ())]
            missing.append((label, tried))
    return missing


def _infer_by_containment(header, table: str, issues: Issues, where: dict) -> None:
    """Required columns no alias matched exactly: take the one header that contains an alias of the field
    (``所属学校编号`` → 学校代码), and say so. Only for required fields (and groups not yet satisfied)."""
    specs = catalogue()[table]
    amap = aliases(table)
    present = set(header.columns)
    groups: dict[str, list[str]] = {}
    for s in specs:
        groups.setdefault(s.required, []).append(s.field)
    wanted = {s.field for s in specs if s.field not in present and (
        s.required in ("yes", "idcard") or (s.required in GROUPS and not present & set(groups[s.required])))}
    if not wanted:
        return
    used = set(header.columns.values())
    found: dict[str, list[int]] = {}
    for j, lab in enumerate(header.labels):
        if j in used or not lab:
            continue
        fld = amap.contained(lab, wanted)
        if fld:
            found.setdefault(fld, []).append(j)
    taken_groups: set[str] = set()
    req = {s.field: s.required for s in specs}
    for fld, cols in found.items():
        group = req[fld]
        if len(cols) != 1 or (group in GROUPS and group in taken_groups):
            continue
        taken_groups.add(group)
        header.columns[fld] = cols[0]
        issues.info(f"没有与「{column_label(table, fld)}」完全相同的列名，取用含有该名称的「{header.labels[cols[0]]}」列",
                    column=header.labels[cols[0]], **where)


def _refuse_merged_counts(frame: pd.DataFrame, header, sheet: RawSheet, table: str) -> None:
    """A number merged over several rows cannot be split: the cells below the range's top become error cells
    (reported by ``cell_errors``), not copies that would count the number once per row."""
    if not sheet.merged:
        return
    numeric = {s.field for s in catalogue()[table] if s.type == "number"}
    for f, j in header.columns.items():
        if f in numeric:
            for (r, c) in sheet.merged:
                if c == j and (r + 1) in frame.index:
                    frame.at[r + 1, f] = CellError(MERGED)


def extract(sheet: RawSheet, table: str, issues: Issues, min_score: int = 2) -> Extract | None:
    """Map a sheet's header to canonical fields and cut out the table body (raw values)."""
    header = detect_header(sheet.rows, table)
    if header is None or header.score < min_score:
        return None
    _infer_by_containment(header, table, issues, dict(file=sheet.file, sheet=sheet.sheet, row=header.first + 1))
    key_cols = [header.columns[f] for f in ("school_id", "school_name", "school_ref", "teacher_id", "name", "town")
                if f in header.columns]
    body = table_body(sheet.rows, header, key_cols[:2])
    where = dict(file=sheet.file, sheet=sheet.sheet)
    if body.totals:
        issues.info(f"已跳过合计行（第 {'、'.join(map(str, body.totals[:10]))} 行）", **where)
    if body.trailing:
        issues.warning(f"表格在连续空行处结束，下方第 {body.trailing[0]} 行起的 {len(body.trailing)} 行内容未读取；"
                       "如是数据请删去中间的空行", row=body.trailing[0], **where)
    hidden = sorted(r for r in sheet.hidden_rows if r in body.frame.index)
    if hidden:
        issues.warning(f"表中有 {len(hidden)} 个隐藏行（如第 {hidden[0]} 行），已照常读取", row=hidden[0], **where)
    for fld, cols in header.duplicates.items():
        issues.warning(f"「{header.labels[cols[0]]}」列与「{header.labels[header.columns[fld]]}」列含义相同，"
                       f"取用「{header.labels[header.columns[fld]]}」列", column=header.labels[cols[0]], **where)
    frame = pd.DataFrame({f: body.frame[j] if j in body.frame.columns else None for f, j in header.columns.items()},
                         index=body.frame.index)
    _refuse_merged_counts(frame, header, sheet, table)
    frame["src_file"] = sheet.file
    frame["src_sheet"] = sheet.sheet
    frame["src_row"] = frame.index.astype(int)
    frame = frame.reset_index(drop=True)
    # a header written on two lines in its cell (*出生日期⏎(yyyy-MM-dd)) is named on one line in messages
    labels = {f: (" ".join(str(header.labels[j]).split()) or column_label(table, f)) for f, j in header.columns.items()}
    return Extract(table, frame, labels, sheet, header.first + 1)


def check_required(ex: Extract, issues: Issues) -> bool:
    missing = _missing_required(ex.table, set(ex.frame.columns))
    for label, tried in missing:
        issues.error(f"{TABLE_NAMES[ex.table]}表缺少必填列「{label}」（已尝试的列名：{'、'.join(tried)}）",
                     file=ex.sheet.file, sheet=ex.sheet.sheet, row=ex.header_row, column=label)
    return not missing


# --- typed conversion ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """How one field type is read: ``parse(raw, field)`` gives the value (None/NaN where the cell is not
    understood); such cells are reported with ``problem``/``expected``; ``fill`` replaces them afterwards.
    Vocabulary fields (``per_value``) are reported once per distinct word, with the accepted words."""

    parse: Callable[[pd.Series, str], pd.Series]
    problem: str = "无法识别"
    expected: str = ""
    severity: str = ERROR
    fill: object = None
    per_value: bool = False


def _vocab_rule(fn, vocab: list[str], soft: bool = False, fill: object = "", then: str = "") -> Rule:
    return Rule(lambda raw, f, fn=fn: fn(raw, extra=vocabulary(f)), expected="、".join(vocab) + " 之一" + then,
                severity=WARNING if soft else ERROR, fill=fill, per_value=True)


def _year(raw: pd.Series, f: str) -> pd.Series:
    num = nz.parse_number(raw)
    yr = nz.parse_school_year(raw)
    return num.where(num.notna() & (num % 1 == 0), pd.Series(yr, index=raw.index, dtype=float))


RULES: dict[str, Rule] = {
    "id": Rule(lambda raw, f: nz.normalize_id(raw)),
    "text": Rule(lambda raw, f: nz.normalize_text(raw)),
    "number": Rule(lambda raw, f: nz.parse_number(raw), "不是数字", "14 这样的数字"),
    "date": Rule(lambda raw, f: nz.parse_date(raw), "不是有效日期", "1985-03-01 这样的日期"),
    "date_year9": Rule(lambda raw, f: nz.parse_date(raw, year_only_month=9), "不是有效日期", "1985-03-01 这样的日期"),
    "school_year": Rule(lambda raw, f: nz.parse_school_year(raw), "无法识别", "2025 或 2025-2026 这样的学年"),
    "year": Rule(_year, "不是年份", "2020 这样的年份"),
    "grade": Rule(lambda raw, f: nz.parse_grade(raw), "无法识别", "一年级、七年级、高一、小班 这样的年级"),
    "subject": Rule(lambda raw, f: nz.normalize_subject(raw, extra=vocabulary(f)), "不在学科表中",
                    "、".join(schema.SUBJECTS) + " 之一（暂按「其他」处理）", WARNING, "其他", True),
    "title": Rule(lambda raw, f: nz.title_level(raw, extra=vocabulary(f)),
                  expected="正高级教师、高级教师、一级教师、二级教师、三级教师、未定级（或 中学高级教师、中小学一级教师、"
                           "GB/T 8561 代码 052 这样的写法）之一", fill="未定级", per_value=True),
    "bool": Rule(lambda raw, f: nz.normalize_bool(raw), "无法识别为 是/否", "是 或 否（暂按「否」处理）", WARNING, False),
    "backbone": Rule(lambda raw, f: nz.normalize_backbone(raw), "无法识别为 是/否", "是 或 否（暂按「否」处理）", WARNING,
                     False),
    "status": Rule(lambda raw, f: nz.normalize_status(raw)),
    "stage": _vocab_rule(nz.normalize_stage, schema.SCHOOL_STAGES),
    "teach_stage": _vocab_rule(nz.normalize_teach_stage, ["幼儿园", "小学", "初中", "高中"], soft=True),
    "locality": _vocab_rule(nz.normalize_locality, schema.LOCALITIES),
    "tier": _vocab_rule(nz.normalize_tier, schema.TIERS),
    "degree": _vocab_rule(nz.normalize_degree, schema.DEGREES),
    "employment": _vocab_rule(nz.normalize_employment, schema.EMPLOYMENTS),
    "post": _vocab_rule(nz.normalize_post, schema.POSTS),
    "sex": _vocab_rule(nz.normalize_sex, ["男", "女"]),
    "appraisal": _vocab_rule(nz.normalize_appraisal, schema.APPRAISALS, soft=True),
    "special": _vocab_rule(nz.normalize_special, schema.SPECIALS, soft=True),
    "willingness": _vocab_rule(nz.normalize_willingness, schema.WILLINGNESS, soft=True,
                               then="（这些行按未表示意愿计：近退休的应交流教师免交流，超出标准课时的走教不安排）"),
    "consent": Rule(lambda raw, f: nz.normalize_consent(raw), "无法识别为 是/否",
                    "是、否、愿意 或 不愿意（本行不计此项意愿）", WARNING),
}
NUMBER_EXAMPLES = {"lon": "113.25 这样的数字（经度，单位：度）", "lat": "23.12 这样的数字（纬度，单位：度）"}
_PERSONAL = {"id_number", "special"}  # a malformed date is shown (it is not a real date); IDs never
_VOCAB_FILES = {"title": "values_title.csv", "subject": "values_subject.csv"}


def _accepted(field_type: str, field: str) -> str:
    """Where the accepted words are, and the config key for the bureau's own words."""
    name = _VOCAB_FILES.get(field_type, f"values_{field_type}.csv")
    return (f"（可识别的全部写法见 data/aliases/{name}；当地特有的写法可在 staffplan.toml 的 [vocabulary] 节中用 "
            f"{field_type} = {{ \"写法\" = \"标准值\" }} 指定）")


def _report_words(issues: Issues, frame: pd.DataFrame, raw: pd.Series, bad: pd.Series, label: str, rule: Rule,
                  field_type: str, field: str, show: bool) -> None:
    """One issue per distinct word not understood, at its first row, with the number of rows."""
    rows = frame.loc[bad.to_numpy(), schema.SOURCE_COLUMNS].assign(_w=nz.normalize_text(raw[bad]))
    for word, grp in rows.groupby("_w", sort=False):
        first = grp.iloc[0]
        n = len(grp)
        shown = f"「{word}」" if show else "的内容"
        more = f"（共 {n} 行）" if n > 1 else ""
        issues.add(rule.severity, f"{label}{shown}{rule.problem}{more}，应为 {rule.expected}{_accepted(field_type, field)}",
                   file=str(first["src_file"]), sheet=str(first["src_sheet"]), row=int(first["src_row"]), column=label,
                   value=str(word) if show else "", code="unknown_word")


def cell_errors(frame: pd.DataFrame, labels: dict[str, str], issues: Issues) -> dict[str, pd.Series]:
    """Error cells (#N/A, #REF! …) and formulas without a value in the mapped columns: reported as such (never
    as empty), then blanked. Returns field → mask of those cells."""
    out = {}
    for f in [c for c in frame.columns if c not in schema.SOURCE_COLUMNS]:
        col = frame[f]
        if col.dtype != object:
            continue
        mask = is_cell_error(col)
        if not mask.any():
            continue
        label = labels.get(f, f)
        report_cells(issues, frame.assign(_v=col), mask, label,
                     cell_error_text, value_col="_v")
        frame[f] = col.where(~mask, None)
        out[f] = mask
    return out


def convert(table: str, frame: pd.DataFrame, labels: dict[str, str], issues: Issues) -> pd.DataFrame:
    """Raw values → typed canonical columns through the fields catalogue and ``RULES``; bad cells become issues.

    Adds ``<field>__raw_blank`` flags (dropped by ``_finish``) so that a rejected value is never also called empty.
    """
    frame = frame.copy()
    errs = cell_errors(frame, labels, issues)
    out = pd.DataFrame(index=frame.index)
    for c in schema.SOURCE_COLUMNS:
        out[c] = frame[c] if c in frame.columns else ""
    n = len(frame)
    for spec in catalogue()[table]:
        f = spec.field
        present = f in frame.columns
        raw = frame[f] if present else pd.Series([None] * n, index=frame.index, dtype=object)
        label = labels.get(f, column_label(table, f))
        show = f not in _PERSONAL
        rule = RULES.get(spec.type, RULES["text"])
        if spec.type == "number" and f in NUMBER_EXAMPLES:
            rule = replace(rule, expected=NUMBER_EXAMPLES[f])
        val = rule.parse(raw, spec.type)
        # blank cells matter for values not understood and for required fields only (is_blank costs a pass)
        need = present and (spec.required != "no" or f == "subject" or bool(val.isna().any()))
        blank = nz.is_blank(raw) if need else pd.Series(not present, index=frame.index)
        out[f"{f}__raw_blank"] = blank & ~errs.get(f, pd.Series(False, index=frame.index))
        bad = val.isna() & ~blank
        if bad.any():
            if rule.per_value:
                _report_words(issues, frame, raw, bad, label, rule, spec.type, f, show)
            else:
                report_cells(issues, frame.assign(_v=raw), bad, label,
                             (lambda v, r=rule, l=label: f"{l}「{v}」{r.problem}，应为 {r.expected}") if show else
                             f"{label}{rule.problem}，应为 {rule.expected}", severity=rule.severity, value_col="_v",
                             show_value=show)
            if rule.fill is not None:
                val = val.where(~bad, rule.fill)
        if spec.type == "title":  # the level is the value; the text keeps the decoded name for display
            out["title_level"] = val.where(val.notna(), "未定级")
            val = nz.normalize_text(codes.decode_or_keep("title", raw))
        if spec.default and spec.type not in ("number",):
            val = val.where(val.notna() & (val != ""), spec.default) if (spec.type != "id" or present) else val
        elif spec.default:
            val = val.fillna(float(spec.default))
        elif spec.type in ("subject",) or rule.per_value:
            val = val.where(val.notna(), "")
        if spec.type in ("bool", "backbone"):
            val = val.where(val.notna(), False).astype(bool)
        out[f] = val
    return out


# --- school references ----------------------------------------------------------------------------------

def resolve_schools(frame: pd.DataFrame, schools: pd.DataFrame) -> pd.Series:
    """school_id from a code or a name (school_id / school_name / school_ref columns). Unresolved rows keep the
    text they gave (validate reports them as unknown schools)."""
    ids = set(schools["school_id"]) if len(schools) else set()
    names = {}
    if len(schools):
        keys = nz.name_key(schools["school_name"])
        names = dict(zip(keys, schools["school_id"]))
    n = len(frame)
    result = pd.Series([""] * n, index=frame.index, dtype=object)
    for col in ("school_id", "school_ref", "school_name"):
        if col not in frame.columns:
            continue
        v = frame[col].fillna("").astype(str)
        todo = result == ""
        by_id = v.where(v.isin(ids), "")
        by_name = nz.name_key(v).map(names).astype(object).fillna("")
        got = by_id.where(by_id != "", by_name)
        result = result.where(~todo, got)
    fallback = pd.Series([""] * n, index=frame.index, dtype=object)
    for col in ("school_id", "school_ref", "school_name"):
        if col in frame.columns:
            v = frame[col].fillna("").astype(str)
            fallback = fallback.where(fallback != "", v)
    return result.where(result != "", fallback)


def report_school_conflicts(issues: Issues, df: pd.DataFrame, schools: pd.DataFrame, labels: dict[str, str]) -> None:
    """A row whose 学校代码 and 学校名称 name two different schools of the school table is an error (which one
    was meant cannot be known)."""
    if not len(schools) or "school_id" not in df.columns:
        return
    names = dict(zip(nz.name_key(schools["school_name"]), schools["school_id"]))
    id_to_name = dict(zip(schools["school_id"], schools["school_name"]))
    code = nz.normalize_id(df["school_id"])
    for col in ("school_name", "school_ref"):
        if col not in df.columns:
            continue
        by_name = nz.name_key(df[col]).map(names)
        clash = code.isin(id_to_name) & by_name.notna() & (by_name != code)
        if clash.any():
            label = labels.get("school_id", "学校代码")
            report_cells(issues, df.assign(_v=code + "|" + df[col].astype(str)), clash, label,
                         lambda v: (f"学校代码「{v.split('|')[0]}」是「{id_to_name.get(v.split('|')[0], '')}」，"
                                    f"而学校名称「{v.split('|')[1]}」是另一所学校；请核对本行应属哪所学校"),
                         value_col="_v", show_value=False)
        return


@lru_cache(maxsize=None)
def _template_examples(table: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The example rows ``staffplan template`` writes, as (field, text) pairs of their key columns."""
    from .template import SPECS

    spec = SPECS.get(TABLE_NAMES[table])
    if not spec:
        return ()
    amap = aliases(table)
    keys = {"schools": ("school_id", "school_name"), "teachers": ("teacher_id", "name"),
            "births": ("birth_year", "town", "births")}.get(table)  # the second one is named in the message
    if not keys:
        return ()
    out = []
    for row in spec["examples"]:
        fields = {amap.match(c)[0]: nz.normalize_text(v) for c, v in zip(spec["columns"], row)}
        out.append(tuple((k, fields.get(k, "")) for k in keys))
    return tuple(out)


def drop_template_examples(ex: Extract, issues: Issues) -> Extract:
    """Refuse the template's own example rows (示例镇中心小学, 张老师 …) left in a filled template: one error
    naming the rows, and the rows are left out so they cause nothing else."""
    examples = _template_examples(ex.table)
    f = ex.frame
    if not examples or not len(f):
        return ex
    hit = pd.Series(False, index=f.index)
    for pairs in examples:
        if not all(k in f.columns for k, _ in pairs):
            continue
        m = pd.Series(True, index=f.index)
        for k, v in pairs:
            m &= nz.normalize_text(f[k]) == v
        hit |= m
    if not hit.any():
        return ex
    rows = f.loc[hit, "src_row"].astype(int).tolist()
    shown, value = examples[0][1]  # the example's name (张老师, 示例镇中心小学, 示例镇)
    issues.error(f"第 {'、'.join(map(str, rows))} 行是模板自带的示例行（{value} 等），请删除示例行后再读取",
                 file=ex.sheet.file, sheet=ex.sheet.sheet, row=rows[0],
                 column=ex.labels.get(shown, column_label(ex.table, shown)))
    return Extract(ex.table, f[~hit].reset_index(drop=True), ex.labels, ex.sheet, ex.header_row)


# --- per-table transforms --------------------------------------------------------------------------------

def _finish(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    cols = list(COLUMN_NAMES[table]) + schema.SOURCE_COLUMNS
    for c in cols:
        if c not in frame.columns:
            frame[c] = ""
    return frame[cols].reset_index(drop=True)


def empty_frame(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in list(COLUMN_NAMES[table]) + schema.SOURCE_COLUMNS})


def _blank_required(issues: Issues, df: pd.DataFrame, table: str, fields: list[str], labels: dict[str, str]) -> None:
    """Required cells left empty. A cell that held something not understood (already reported) or an error
    cell is not empty (``<field>__raw_blank`` from convert)."""
    for f in fields:
        if f not in df.columns:
            continue
        col = df[f]
        blank = col.isna() | (col.astype(str).str.strip() == "") if col.dtype == object else col.isna()
        raw_blank = df.get(f"{f}__raw_blank")
        if raw_blank is not None:
            blank &= raw_blank.astype(bool)
        label = labels.get(f, column_label(table, f))
        report_cells(issues, df, blank, label, f"{label}为空，此项必须填写")


def transform_schools(ex: Extract, issues: Issues) -> pd.DataFrame:
    df = convert("schools", ex.frame, ex.labels, issues)
    _blank_required(issues, df, "schools", ["school_id", "school_name", "stage", "town", "locality"], ex.labels)
    df["zone"] = df["zone"].where(df["zone"] != "", df["town"])
    for c in ("quota_approved", "boarders", "lon", "lat", "intake_plan", "capacity"):
        df[c] = df[c].astype(float)
    return _finish("schools", df)


def transform_enrollment(frame: pd.DataFrame, labels: dict[str, str], schools: pd.DataFrame, issues: Issues,
                         typed: bool = False) -> pd.DataFrame:
    df = frame if typed else convert("enrollment", frame, labels, issues)
    report_school_conflicts(issues, frame, schools, labels)
    df = df.copy()
    if typed:
        for c in ("school_id", "school_ref", "school_name"):
            if c in df.columns:
                df[c] = nz.normalize_id(df[c]) if c == "school_id" else nz.normalize_text(df[c])
        if "classes" not in df.columns:
            df["classes"] = np.nan
    df["school_id"] = resolve_schools(df, schools)
    _blank_required(issues, df, "enrollment", ["school_id", "year", "grade", "students"], labels)
    df["classes"] = pd.to_numeric(df["classes"], errors="coerce").astype(float)
    df["students"] = pd.to_numeric(df["students"], errors="coerce")
    ok = df["year"].notna() & df["grade"].notna() & df["students"].notna()
    df = df[ok].copy()
    df["year"] = df["year"].astype(int)
    df["grade"] = df["grade"].astype(int)
    frac = df["students"] % 1 != 0
    report_cells(issues, df.assign(_v=df["students"]), frac, labels.get("students", "学生数"),
                 lambda v: f"学生数「{v}」不是整数，应为整数人数", value_col="_v")
    df["students"] = df["students"].round().astype(int)
    return _finish("enrollment", df)


def _drop_numeric_ids(df: pd.DataFrame, tid: pd.Series, labels: dict[str, str], issues: Issues, where: dict) -> None:
    """A 身份证号 column saved as numbers (an export opened and saved in Excel: its last digits are lost,
    ``idcard.number_stored_column``) is not needed when every such row has its own 教师编号, 性别 and 出生日期: those
    numbers are blanked (never shown, never used to derive anything) with one warning.  Otherwise they are kept, and
    validation says once why the roster cannot be read (the teachers would have no key, sex or birth date)."""
    lost = idcard.number_stored_column(df["id_number"])
    if not lost.any():
        return
    usable = (tid != "") & (df["sex"].fillna("").astype(str) != "") & df["birth_date"].notna()
    if not usable[lost].all():
        return
    first = df.index[lost.to_numpy()][0]
    lab = labels.get("id_number", "身份证号")
    days = _birth_day_from_damaged_ids(df.loc[lost, "id_number"], df.loc[lost, "birth_date"])
    df.loc[days.index, "birth_date"] = days
    more = (f"；{len(days)} 人的出生日期列只到月，日取自号码中完好的出生日期位" if len(days) else "")
    issues.warning(f"「{lab}」列有 {int(lost.sum())} 个号码以数字格式保存，末尾几位已经失真（Excel 的数字只保留 15 位有效"
                   f"数字），这些号码不再使用：教师按教师编号区分，性别、出生日期取自各自的列{more}；如需在名单中列出"
                   "身份证号，请在原系统中把该列设为文本格式后重新导出", row=int(df.at[first, "src_row"]), column=lab, **where)
    df.loc[lost, "id_number"] = ""


def _birth_day_from_damaged_ids(ids: pd.Series, birth: pd.Series) -> pd.Series:
    """Birth dates from the intact date digits of IDs saved as numbers (idcard.number_stored_birth_dates), only where
    the roster's date is a month (day 1) of the same year and month."""
    date = idcard.number_stored_birth_dates(ids)
    given = pd.to_datetime(birth, errors="coerce")
    use = date.notna() & given.notna() & (given.dt.day == 1) & (given.dt.year == date.dt.year) & \
        (given.dt.month == date.dt.month) & (date.dt.day != 1)
    return date[use]


_SECOND_PERIODS = re.compile(r"^(?P<subject>.*?[^\d\s（(])\s*[（(]?\s*(?P<n>\d{1,2}(?:\.\d+)?)\s*(?:节|课时)?\s*"
                             r"(?:/\s*周|每周)?\s*[)）]?$")


def _second_subject_cells(frame: pd.DataFrame, labels: dict[str, str], issues: Issues, where: dict) -> pd.DataFrame:
    """兼任学科 as rosters write it: 「美术4」「美术（4节）」 give the subject and, where 兼任课时 is blank, its
    periods; 「劳动、美术」 names two second subjects where the roster model has one: the first known one is
    kept, with one warning (the other's periods are not counted)."""
    if "subject2" not in frame.columns:
        return frame
    raw = frame["subject2"]
    text = nz.normalize_text(raw).fillna("")
    if not text.str.contains(r"\d|[和及" + re.escape(nz.LIST_MARKS) + "]", regex=True).any():
        return frame
    frame = frame.copy()
    periods_blank = nz.is_blank(frame["periods2"]) if "periods2" in frame.columns else pd.Series(True, index=frame.index)
    subj, per, several = text.copy(), pd.Series(None, index=frame.index, dtype=object), []
    extra = vocabulary("subject")
    for i, v in text[text != ""].items():
        if not any(ch.isdigit() for ch in v) and nz.normalize_subject(v, extra=extra) is not None:
            continue
        parts = nz.split_list(v, spaces=False, words="和及")
        known = []
        for p in parts:
            m = _SECOND_PERIODS.match(p)
            name, n = (m.group("subject"), m.group("n")) if m else (p, None)
            if nz.normalize_subject(name, extra=extra) is not None:
                known.append((name, n))
        if not known:
            continue
        subj[i], per[i] = known[0]
        if len(known) > 1:
            several.append(i)
    frame["subject2"] = raw.where(subj == text, subj)
    took = per.notna() & periods_blank
    if took.any():
        frame["periods2"] = (frame["periods2"] if "periods2" in frame.columns
                             else pd.Series(None, index=frame.index, dtype=object)).where(~took, per)
    if several:
        lab = labels.get("subject2", "兼任学科")
        more = f"（共 {len(several)} 行）" if len(several) > 1 else ""
        issues.warning(f"「{lab}」写了两门以上学科{more}：只计第一门（如「{text[several[0]]}」计"
                       f"「{subj[several[0]]}」），其余学科的课时未计入供给；如需计入，请把主要兼任学科填在此列",
                       row=int(frame.at[several[0], "src_row"]), column=lab, **where)
    return frame


def transform_teachers(frame: pd.DataFrame, labels: dict[str, str], schools: pd.DataFrame, issues: Issues,
                       where: dict) -> pd.DataFrame:
    frame = _second_subject_cells(frame, labels, issues, where)
    df = convert("teachers", frame, labels, issues)
    report_school_conflicts(issues, frame, schools, labels)
    df["school_id"] = resolve_schools(df, schools)
    # key: 教师编号, else 身份证号
    ids = df["id_number"].fillna("").astype(str)
    df["id_number"] = ids.str.upper()
    tid = df["teacher_id"].fillna("").astype(str)
    _drop_numeric_ids(df, tid, labels, issues, where)
    df["teacher_id"] = tid.where(tid != "", df["id_number"])
    # sex and birth date from the ID number when missing
    chk = idcard.validate_ids(df["id_number"])
    sex_missing = df["sex"].fillna("") == ""
    derive_sex = sex_missing & chk["valid"]
    df.loc[derive_sex, "sex"] = chk.loc[derive_sex, "sex"]
    birth_missing = df["birth_date"].isna()
    derive_birth = birth_missing & chk["valid"]
    df.loc[derive_birth, "birth_date"] = chk.loc[derive_birth, "birth_date"]
    df["birth_date"] = pd.to_datetime(df["birth_date"])
    n_derived = int((derive_sex | derive_birth).sum())
    if n_derived:
        issues.info(f"{n_derived} 名教师的性别或出生日期未填写，已由身份证号推出", **where)
    if "sex" not in frame.columns and "id_number" not in frame.columns:
        issues.error("教师表缺少必填列「性别」（也没有可推出性别的「身份证号」列）", column="性别", **where)
    if "birth_date" not in frame.columns and "id_number" not in frame.columns:
        issues.error("教师表缺少必填列「出生日期」（也没有可推出出生日期的「身份证号」列）", column="出生日期", **where)
    teaching = df["post"] == "专任教师"
    _blank_required(issues, df, "teachers", ["teacher_id", "name", "school_id", "employment", "degree"], labels)
    no_subject = teaching & (df["subject"] == "") & df["subject__raw_blank"].astype(bool)
    lab = labels.get("subject", "任教学科")
    report_cells(issues, df, no_subject, lab, f"{lab}为空，专任教师必须填写任教学科")
    no_arrival = df["arrival_date"].isna() & teaching
    if "arrival_date" in frame.columns:
        lab = labels.get("arrival_date", "到本校时间")
        report_cells(issues, df, no_arrival & nz.is_blank(frame["arrival_date"]), lab,
                     f"{lab}为空，无法判断交流资格", severity="警告")
    for c in ("periods", "periods2", "retirement_group"):
        df[c] = df[c].astype(float)
    for c in ("arrival_date", "work_start", "agreed_retirement"):
        df[c] = pd.to_datetime(df[c])
    df["appraisal_prev"] = df["appraisal_prev"].fillna("")
    _split_two_year_appraisal(df, labels, issues, where)
    _merge_consents(df, frame, labels, issues, where)
    if not {"appraisal", "appraisal_prev", "appraisal_two"} & set(frame.columns):
        issues.warning("教师名册中没有考核结果列（如「2025年考核」「上年考核」「近两年考核」）：近两年考核不合格或基本合格的"
                       "教师无法按 exchange.weak_needs_good_appraisal 排除在派往乡村、薄弱学校和走教之外；如名册有考核列，"
                       "请把列名改成上述写法后重算", column="考核", **where)
    return _finish("teachers", df)


def _merge_consents(df: pd.DataFrame, frame: pd.DataFrame, labels: dict[str, str], issues: Issues,
                    where: dict) -> None:
    """是否愿意交流 / 是否愿意走教 as their own 是/否 columns become the 本人意愿 words (愿意交流/不愿交流,
    愿意走教/不愿走教) that the rules read.  Where a row also has 本人意愿 saying the opposite, the dedicated
    column wins, with one warning."""
    pairs = (("consent_exchange", "愿意交流", "不愿交流"), ("consent_zoujiao", "愿意走教", "不愿走教"))
    if not any(f in frame.columns for f, _, _ in pairs):
        return
    words = df["willingness"].fillna("").astype(str)
    has = {w: words.str.contains(w, regex=False) for w in schema.WILLINGNESS}
    wl = labels.get("willingness", "本人意愿")
    for field, yes, no in pairs:
        if field not in frame.columns:
            continue
        val = df[field]
        given = val.notna()
        said_yes = given & (val == True)   # noqa: E712 (object column of True/False/None)
        said_no = given & (val == False)   # noqa: E712
        clash = (said_yes & has[no]) | (said_no & has[yes])
        lab = labels.get(field, field)
        if clash.any():
            r = clash[clash].index[0]
            more = f"（共 {int(clash.sum())} 行）" if clash.sum() > 1 else ""
            issues.warning(f"「{lab}」与「{wl}」说法相反{more}，按「{lab}」计", row=int(df.at[r, "src_row"]),
                           column=lab, **where)
        has[yes] = said_yes | (~given & has[yes])
        has[no] = said_no | (~given & has[no])
    held = np.column_stack([has[w].to_numpy(bool) for w in schema.WILLINGNESS])
    df["willingness"] = [nz.join_willingness({w for w, h in zip(schema.WILLINGNESS, row) if h}) for row in held]


def _split_two_year_appraisal(df: pd.DataFrame, labels: dict[str, str], issues: Issues, where: dict) -> None:
    """近两年考核 in one cell: ``2024年不合格，2025年合格`` gives the later year to 考核 and the earlier to 上年考核
    (where those columns are blank).  Words without years (``合格、基本合格``) cannot be told apart: the weaker one is
    used for both years, with a warning (so a 基本合格 still keeps the teacher from 乡村/薄弱 schools)."""
    if "appraisal_two" not in df.columns:
        return
    text = df["appraisal_two"].fillna("").astype(str).str.strip()
    lab = labels.get("appraisal_two", "近两年考核")
    latest = pd.Series("", index=df.index, dtype=object)
    prev = pd.Series("", index=df.index, dtype=object)
    unclear, unknown = [], []
    for i, v in text[text != ""].items():
        pairs = re.findall(r"(\d{4})\s*年?度?\s*[:：]?\s*([^\d\s" + re.escape(nz.LIST_MARKS) + r"]+)", v)
        if pairs:
            pairs.sort()
            words = [w for _, w in pairs]
        else:
            words = nz.split_list(v)
        values = [nz.normalize_appraisal(w) for w in words]
        if any(x is None for x in values):
            unknown.append(i)
            continue
        if not pairs and len(values) > 1:
            # schema.APPRAISALS runs from 优秀 to 不合格; 不定等次 ('') is no grade
            weakest = max(values, key=lambda x: schema.APPRAISALS.index(x) if x in schema.APPRAISALS else -1)
            values = [weakest, weakest]
            unclear.append(i)
        latest[i] = values[-1]
        prev[i] = values[-2] if len(values) > 1 else ""
    for col, got in (("appraisal", latest), ("appraisal_prev", prev)):
        blank = df[col].fillna("").astype(str) == ""
        df.loc[blank & (got != ""), col] = got[blank & (got != "")]
    for rows, what in ((unclear, "没有写年份，分不出哪一年：按其中较低的等次计两年"),
                       (unknown, "有不认识的考核等次（应为优秀、合格、基本合格、不合格），本行未计考核")):
        if rows:
            r = rows[0]
            more = f"（另有 {len(rows) - 1} 行同类情况）" if len(rows) > 1 else ""
            issues.warning(f"「{lab}」{what}{more}", row=int(df.at[r, "src_row"]), column=lab, **where)


def transform_simple(table: str, ex: Extract, issues: Issues, schools: pd.DataFrame | None = None) -> pd.DataFrame:
    df = convert(table, ex.frame, ex.labels, issues)
    if table == "feeders" and schools is not None:  # schools given by code or by name, on both sides
        for key, name in (("school_id", "school_name"), ("feeder_id", "feeder_name")):
            df[key] = resolve_schools(pd.DataFrame({"school_id": df[key], "school_name": df[name]}), schools)
            df[f"{key}__raw_blank"] = df[f"{key}__raw_blank"] & df[f"{name}__raw_blank"]
    req = [s.field for s in catalogue()[table] if s.required == "yes"] + (
        ["school_id", "feeder_id"] if table == "feeders" else [])
    _blank_required(issues, df, table, req, ex.labels)
    if table == "births":
        df = df[df["birth_year"].notna()].copy()
        df["birth_year"] = df["birth_year"].astype(int)
    return _finish(table, df)


# --- locating the tables ------------------------------------------------------------------------------

@dataclass
class Source:
    table: str
    path: Path
    display: str
    is_dir: bool = False
    sheets: list[RawSheet] | None = None   # pre-read (workbook mode)
    sha256: str = ""
    book: list[RawSheet] | None = None     # every sheet of the workbook (workbook mode: statistics read them all)


def _is_skipped(p: Path) -> bool:
    n = p.name
    return n.startswith("~$") or n.startswith(".") or n.lower() == "staffplan.toml"


def _locate(path: Path, issues: Issues) -> dict[str, list[Source]]:
    found: dict[str, list[Source]] = {t: [] for t in TABLES}
    if path.is_dir():
        unnamed: list[Path] = []
        for entry in sorted(path.iterdir(), key=lambda p: p.name):
            if _is_skipped(entry):
                continue
            if entry.is_file() and entry.suffix.lower() not in SPREADSHEET_SUFFIXES:
                continue
            table = classify_name(entry.stem if entry.is_file() else entry.name)
            if table is None:
                unnamed.append(entry)
                continue
            if entry.is_dir() and table != "enrollment":
                issues.info("文件夹只支持「在校生」（教育事业统计报表），已忽略", file=entry.name)
                continue
            found[table].append(Source(table, entry, entry.name, is_dir=entry.is_dir()))
        books = [e for e in unnamed if e.is_file() and e.suffix.lower() in WORKBOOK_SUFFIXES]
        if not any(found.values()) and len(books) == 1:
            # a folder holding one workbook whose sheets are the tables (数据.xlsx): read it as that workbook
            issues.info("文件夹中只有这一个工作簿，文件名不对应任何输入表：按工作表名称和表头读取其中各表",
                        file=books[0].name)
            return _locate(books[0], issues)
        for entry in unnamed:
            issues.info("文件名不对应任何输入表（学校、在校生、教师、出生人口、对口、距离），已忽略", file=entry.name)
        return found
    # one workbook: sheets named like the tables, else recognised by their headers
    sheets = read_sheets(path)
    stats = [s for s in sheets if s.sheet.startswith(STATISTICS_PREFIXES)]
    sha = sheets[0].sha256 if sheets else ""  # from the one read of the workbook
    if stats:
        found["enrollment"].append(Source("enrollment", path, path.name, sheets=stats, sha256=sha, book=sheets))
    for s in sheets:
        if s in stats:
            continue
        named = classify_name(s.sheet)
        scores = {t: getattr(detect_header(s.rows, t), "score", 0) for t in TABLES}
        best = max(TABLES, key=lambda t: scores[t])
        table = named
        if named is None and scores[best] > 2:
            table = best
        elif named is not None and best != named and scores[best] >= 4 and scores[best] >= 2 * scores[named]:
            # a roster sheet named after its school (金湖镇中心小学) is a roster, not the school list
            issues.info(f"工作表名称像「{TABLE_NAMES[named]}」表，但表头是「{TABLE_NAMES[best]}」表的表头，按表头读取",
                        file=path.name, sheet=s.sheet)
            table = best
        if table is None:
            if any(any(v is not None for v in r) for r in s.rows):
                issues.info("工作表名称和表头都不对应任何输入表，已忽略", file=path.name, sheet=s.sheet)
            continue
        found[table].append(Source(table, path, path.name, sheets=[s], sha256=sha))
    return found


def _statistics_workbook(sheets: list[RawSheet]) -> bool:
    return any(s.sheet.startswith(STATISTICS_PREFIXES) for s in sheets)


# --- the loader ------------------------------------------------------------------------------------------

def _config_for(path: Path, config: Config | None) -> Config:
    if config is not None:
        return config
    if path.is_dir() and (path / "staffplan.toml").exists():
        return load_config(path / "staffplan.toml")
    return default_config()


def _read_source(src: Source, cfg: Config, issues: Issues, sources: list[dict]) -> list[RawSheet]:
    if src.sheets is not None:
        return src.sheets
    try:
        sheets = read_sheets(src.path, src.display, max_rows=cfg.get("input.max_rows"),
                             max_file_mb=cfg.get("input.max_file_mb"),
                             max_uncompressed_mb=cfg.get("input.max_uncompressed_mb"))
    except InputError as exc:
        issues.extend(exc.issues)
        return []
    src.sha256 = sheets[0].sha256 if sheets else ""  # hashed from the bytes just parsed: no second read
    return sheets


def _record(src: Source, sheet: RawSheet, sources: list[dict], issues: Issues) -> None:
    sources.append({"table": src.table, "file": sheet.file, "sheet": sheet.sheet, "sha256": src.sha256})
    where = f"文件「{sheet.file}」" + (f"的工作表「{sheet.sheet}」" if sheet.sheet else "")
    issues.info(f"「{TABLE_NAMES[src.table]}」表取自{where}", file=sheet.file, sheet=sheet.sheet)
    if sheet.note:
        issues.info(sheet.note, file=sheet.file, sheet=sheet.sheet)


def _extract_table(src_list: list[Source], table: str, cfg: Config, issues: Issues, sources: list[dict],
                   allow_many: bool) -> list[Extract]:
    """Extracts of every sheet of these sources that carries the table's header."""
    extracts: list[Extract] = []
    tried: list[tuple[Source, RawSheet]] = []
    for src in src_list:
        for sheet in _read_source(src, cfg, issues, sources):
            ex = extract(sheet, table, issues)
            tried.append((src, sheet))
            if ex is None:
                continue
            extracts.append(ex)
            _record(src, sheet, sources, issues)
            if not allow_many:
                break
        if extracts and not allow_many:
            break
    if not extracts and tried:
        src, sheet = tried[0]
        issues.error(f"在「{sheet.file}」中找不到{TABLE_NAMES[table]}表的表头："
                     f"需要 {'、'.join(column_label(table, s.field) for s in catalogue()[table] if s.required in ('yes',))} 等列",
                     file=sheet.file, sheet=sheet.sheet)
    return extracts


def _resolve_vocabulary(cfg: Config, issues: Issues) -> dict[str, dict[str, str]]:
    """staffplan.toml [vocabulary]: each target word is read through the field's own normaliser (so
    ``人事代理 = "临聘"`` and ``高级讲师 = "高级教师"`` both work); a target that is not understood is an error."""
    out: dict[str, dict[str, str]] = {}
    for ftype, mapping in cfg.values.get("vocabulary", {}).items():
        if not mapping:
            continue
        rule = RULES.get(ftype)
        if rule is None or not isinstance(mapping, dict):
            continue
        targets = pd.Series([str(v) for v in mapping.values()], dtype=object)
        canon = rule.parse(targets, ftype)
        for (word, target), value in zip(mapping.items(), canon):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                issues.error(f"配置项 vocabulary.{ftype} 中「{word}」对应的「{target}」不是可识别的写法，应为 {rule.expected}",
                             file=cfg.sources.get(f"vocabulary.{ftype}", "staffplan.toml"), column=f"vocabulary.{ftype}")
                continue
            out.setdefault(ftype, {})[str(word)] = value
    return out


def _load(path: Path, cfg: Config, issues: Issues) -> schema.Dataset:
    token = _VOCAB.set(_resolve_vocabulary(cfg, issues))
    try:
        return _load_tables(path, cfg, issues)
    finally:
        _VOCAB.reset(token)


def _load_tables(path: Path, cfg: Config, issues: Issues) -> schema.Dataset:
    located = _locate(path, issues)
    sources: list[dict] = []
    for table in REQUIRED_TABLES:
        if not located[table]:
            kws = "、".join(dict.fromkeys(kw for t, kw, _ in _table_keywords() if t == table))
            issues.error(f"找不到「{TABLE_NAMES[table]}」表：文件名或工作表名应含有 {kws} 之一",
                         file=path.name)
    for table in ("schools", "births", "feeders", "distances"):
        if len(located[table]) > 1 and not located[table][0].sheets:
            names = "、".join(s.display for s in located[table])
            issues.error(f"有多个文件都像「{TABLE_NAMES[table]}」表（{names}），请只保留一个", file=path.name)
            located[table] = located[table][:1]
    frames: dict[str, pd.DataFrame] = {}
    labels: dict[str, dict[str, str]] = {}  # table → field → header as written (messages name the user's column)
    # schools first: the others refer to them
    for table in ("schools", "births", "feeders", "distances"):
        exs = _extract_table(located[table], table, cfg, issues, sources, allow_many=table == "schools")
        exs = [drop_template_examples(e, issues) for e in stack_alike(exs, issues)[:1]]  # split by sheet: one table
        if exs and check_required(exs[0], issues):
            labels[table] = dict(exs[0].labels)
            if table == "schools":
                frames[table] = transform_schools(exs[0], issues)
            else:
                frames[table] = transform_simple(table, exs[0], issues, frames.get("schools"))
        else:
            frames[table] = empty_frame(table)
    schools = frames["schools"]
    frames["enrollment"] = _load_enrollment(path, located["enrollment"], schools, cfg, issues, sources, labels)
    frames["teachers"] = _load_teachers(located["teachers"], schools, cfg, issues, sources, labels)
    return schema.Dataset(labels=labels, schools=frames["schools"], enrollment=frames["enrollment"], teachers=frames["teachers"],
                          births=frames["births"], feeders=frames["feeders"], distances=frames["distances"],
                          sources=sources, issues=issues, path=path)


def _load_enrollment(root: Path, srcs: list[Source], schools: pd.DataFrame, cfg: Config, issues: Issues,
                     sources: list[dict], labels_out: dict | None = None) -> pd.DataFrame:
    """Enrollment from long or wide sheets, statistics-system workbooks, or a folder of either (one file per
    year or per school)."""
    parts: list[pd.DataFrame] = []
    for src in srcs:
        if src.is_dir:
            files = [(p, None) for p in sorted(src.path.rglob("*")) if p.is_file() and not _is_skipped(p)
                     and p.suffix.lower() in SPREADSHEET_SUFFIXES]
            stats_root = root if root.is_dir() else src.path
        else:
            files = [(src.path, _read_source(src, cfg, issues, sources))]
            stats_root = root if root.is_dir() else src.path.parent
        stats_paths: list[Path] = []
        read: dict[Path, list[RawSheet]] = {}  # statistics workbooks as already read: never read twice
        for p, sheets in files:
            display = str(p.relative_to(root)) if root.is_dir() and p.is_relative_to(root) else p.name
            if sheets is None:  # a file of a folder: statistics workbook, or a plain long/wide table
                try:
                    sheets = read_sheets(p, display, max_rows=cfg.get("input.max_rows"),
                                         max_file_mb=cfg.get("input.max_file_mb"),
                                         max_uncompressed_mb=cfg.get("input.max_uncompressed_mb"))
                except InputError as exc:
                    issues.extend(exc.issues)
                    continue
                if not _statistics_workbook(sheets):
                    one = Source("enrollment", p, display, sha256=sheets[0].sha256 if sheets else "")
                    if _plain_enrollment(one, sheets, schools, issues, sources, parts, labels_out):
                        continue
            elif not _statistics_workbook(sheets):
                if not _plain_enrollment(src, sheets, schools, issues, sources, parts, labels_out) and sheets:
                    issues.error("找不到在校生表的表头：长表需要 学校代码、学年、年级、学生数 列，宽表需要 学校代码/学校名称 列和"
                                 "一年级、二年级 …… 这样的年级列", file=src.display, sheet=sheets[0].sheet)
                continue
            stats_paths.append(p)
            read[p] = src.book or sheets
        if not stats_paths:
            continue
        for p in stats_paths:
            sources.append({"table": "enrollment", "file": str(p.relative_to(root)) if root.is_dir()
                            and p.is_relative_to(root) else p.name, "sheet": "",
                            "sha256": read[p][0].sha256 if read[p] else ""})
        try:
            part = national.read_statistics(stats_paths, stats_root, schools, issues, sheets=read)
        except NotImplementedError:
            issues.error("暂不支持读取教育事业统计报表，请改用在校生长表或宽表", file=src.display)
            continue
        if part is not None and len(part):
            parts.append(transform_enrollment(part, {}, schools, issues, typed=True)
                         if set(schema.ENROLLMENT_COLUMNS) <= set(part.columns) else part)
    if not parts:
        return _finish("enrollment", empty_frame("enrollment"))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["school_id", "year", "grade"], kind="stable")
    return _finish("enrollment", out)


def _plain_enrollment(src: Source, sheets: list[RawSheet], schools: pd.DataFrame, issues: Issues,
                      sources: list[dict], parts: list, labels_out: dict | None) -> bool:
    """Long or wide enrollment sheets of one file into ``parts``; False when no sheet holds such a table."""
    from .wide import read_wide

    used = False
    for sheet in sheets:
        header = detect_header(sheet.rows, "enrollment")
        long_ok = header is not None and {"grade", "students"} <= set(header.columns)
        if long_ok:
            ex = extract(sheet, "enrollment", issues)
            if ex is not None and "year" not in ex.frame.columns:  # one sheet or file per year: 2025学年
                year = nz.parse_school_year(sheet.sheet) if sheet.sheet else None
                year = year if year is not None else nz.parse_school_year(sheet.path.stem)
                if year is not None:
                    ex.frame["year"] = year
                    ex.labels["year"] = "学年"
                    issues.info(f"在校生表没有学年列，按{'工作表' if sheet.sheet else '文件'}名称取 {year} 学年",
                                file=sheet.file, sheet=sheet.sheet)
            if ex is not None and check_required(ex, issues):
                parts.append(transform_enrollment(ex.frame, ex.labels, schools, issues))
                _record(src, sheet, sources, issues)
                if labels_out is not None:
                    labels_out.setdefault("enrollment", dict(ex.labels))
                used = True
            continue
        wide = read_wide(sheet, issues)
        if wide is None:
            continue
        labels = dict(wide.attrs.get("labels", {}))
        if len(wide):
            parts.append(transform_enrollment(wide, labels, schools, issues, typed=True))
        if labels_out is not None:
            labels_out.setdefault("enrollment", labels)
        _record(src, sheet, sources, issues)
        used = True
    return used


def _fields_of(ex: Extract) -> set[str]:
    return {c for c in ex.frame.columns if c not in schema.SOURCE_COLUMNS}


def _alike(a: set[str], b: set[str]) -> bool:
    """Two sheets hold rows of one table when they share at least 80 % of the smaller one's columns."""
    return len(a & b) >= 0.8 * min(len(a), len(b))


def stack_alike(exs: list[Extract], issues: Issues) -> list[Extract]:
    """Group extracts whose columns are alike and stack each group's rows (the sheet stays in src_sheet).

    A missing 用工类型 column is taken from the sheet names when every sheet of the group names one
    (``在编教师`` → 在编, ``临聘教师`` → 临聘, and the bureau's own words from [vocabulary])."""
    groups: list[list[Extract]] = []
    for e in exs:
        for g in groups:
            if _alike(_fields_of(g[0]), _fields_of(e)):
                g.append(e)
                break
        else:
            groups.append([e])
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        frames = [e.frame for e in g]
        if g[0].table == "teachers" and not any("employment" in _fields_of(e) for e in g):
            kinds = nz.normalize_employment(pd.Series([e.sheet.sheet for e in g], dtype=object),
                                            extra=vocabulary("employment"))
            if kinds.notna().all() and (kinds != "").all():
                frames = [f.assign(employment=k) for f, k in zip(frames, kinds)]
                pairs = "、".join(f"「{e.sheet.sheet}」→ {k}" for e, k in zip(g, kinds))
                issues.info(f"名册没有用工类型列，按工作表名称取用：{pairs}", file=g[0].sheet.file)
        labels: dict[str, str] = {}
        for e in g:
            for k, v in e.labels.items():
                labels.setdefault(k, v)
        if "employment" in frames[0].columns and "employment" not in labels:
            labels["employment"] = "用工类型（工作表名称）"
        names = "、".join(f"「{e.sheet.sheet or e.sheet.file}」" for e in g)
        issues.info(f"{len(g)} 个工作表的表头相同，按同一张{TABLE_NAMES[g[0].table]}表合并读取：{names}",
                    file=g[0].sheet.file)
        out.append(Extract(g[0].table, pd.concat(frames, ignore_index=True), labels, g[0].sheet, g[0].header_row))
    return out


def _without_empty_parts(exs: list, issues: Issues) -> list:
    """Sheets that name no teacher (姓名, 身份证件号 and 教师编号 all blank in every row) are left out when another sheet
    does — an export's 代码表 of dropdown values has some of the roster's headers and no person."""
    def names_someone(e) -> bool:
        cols = [c for c in ("name", "id_number", "teacher_id") if c in e.frame.columns]
        return any(e.frame[c].fillna("").astype(str).str.strip().ne("").any() for c in cols)

    keep = [e for e in exs if names_someone(e)]
    if not keep or len(keep) == len(exs):
        return exs
    kept = {id(e) for e in keep}
    for e in exs:
        if id(e) not in kept:
            issues.info("这个工作表的表头像教师名册，但没有一行填有姓名、身份证件号或教师编号（如代码表），已忽略",
                        file=e.sheet.file, sheet=e.sheet.sheet)
    return keep


def _load_teachers(srcs: list[Source], schools: pd.DataFrame, cfg: Config, issues: Issues,
                   sources: list[dict], labels_out: dict | None = None) -> pd.DataFrame:
    exs = _extract_table(srcs, "teachers", cfg, issues, sources, allow_many=True)
    if not exs:
        return empty_frame("teachers")
    # sheets with the same columns are rows of one roster (在编教师 / 临聘教师, one sheet per school): stacked;
    # only parts whose columns complement each other are joined by 身份证件号
    exs = _without_empty_parts(exs, issues)
    exs = stack_alike(exs, issues)
    if len(exs) > 1:
        parts = [e.frame for e in exs]
        labels: dict[str, str] = {}
        for e in exs:
            for k, v in e.labels.items():
                labels.setdefault(k, v)
        joined = national.join_parts(parts, issues)
        first = exs[0]
        ex = Extract("teachers", joined, labels, first.sheet, first.header_row)
    else:
        ex = exs[0]
        ex = Extract("teachers", national.apply_substitute_teachers(ex.frame, issues), ex.labels, ex.sheet,
                     ex.header_row)
    if not check_required(ex, issues):
        return empty_frame("teachers")
    ex = drop_template_examples(ex, issues)
    if labels_out is not None:
        labels_out["teachers"] = dict(ex.labels)
    where = dict(file=ex.sheet.file, sheet=ex.sheet.sheet)
    return transform_teachers(ex.frame, ex.labels, schools, issues, where)


def load_dataset(path: Path, config: Config | None = None, *, strict: bool = True,
                 all_cells: bool = False) -> schema.Dataset:
    """Read a data set (folder or one workbook) into canonical, validated frames.

    ``staffplan.toml`` inside a folder is used when ``config`` is None. With ``strict`` any error raises
    :class:`InputError` carrying every finding; otherwise the Dataset is returned with ``ds.issues``.
    ``all_cells`` lists every problem cell (otherwise each kind stops after MAX_CELL_ISSUES with a summary line).
    """
    token = _LIMIT.set(None if all_cells else MAX_CELL_ISSUES)
    try:
        return _load_dataset(path, config, strict)
    finally:
        _LIMIT.reset(token)


def _load_dataset(path: Path, config: Config | None, strict: bool) -> schema.Dataset:
    from .validate import validate

    path = Path(path)
    if not path.exists():
        raise InputError("找不到输入数据（文件或文件夹不存在）", file=str(path))
    cfg = _config_for(path, config)
    issues = Issues()
    try:
        ds = _load(path, cfg, issues)
    except InputError as exc:  # a single workbook that cannot be read at all
        issues.extend(exc.issues)
        if strict:
            raise InputError(issues) from None
        ds = schema.Dataset(empty_frame("schools"), empty_frame("enrollment"), empty_frame("teachers"),
                            issues=issues, path=path)
        return ds
    issues.extend(validate(ds, cfg))
    ds.issues = issues
    ds.config = cfg
    if strict and issues.has_errors():
        raise InputError(issues)
    return ds


def check_dataset(path: Path, config_path: Path | None = None, *, all_cells: bool = False
                  ) -> tuple[schema.Dataset | None, Issues, Config]:
    """Read and validate without raising for data problems: (dataset or None, issues, config used)."""
    path = Path(path)
    issues = Issues()
    try:
        if config_path is not None:
            cfg = load_config(Path(config_path))
        else:
            cfg = _config_for(path, None) if path.exists() else default_config()
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None, issues, default_config()
    try:
        ds = load_dataset(path, cfg, strict=False, all_cells=all_cells)
    except InputError as exc:
        issues.extend(exc.issues)
        return None, issues, cfg
    issues.extend(ds.issues)
    return ds, issues, cfg
