"""Canonical in-memory tables: English column names in code, Chinese on paper.

Every reader produces these frames; every rule, forecast and model consumes them.
Keep this module the single description of what a validated data set contains.

Grades are integers: 小班 -2, 中班 -1, 大班 0, 一年级…六年级 1–6, 七年级…九年级 (初一…初三) 7–9,
高一…高三 10–12.  A cohort in grade g in year y is in grade g+1 in year y+1.
A school year N is the year starting 1 September N.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import Issues, UsageError

# --- vocabularies (values are Chinese domain words) ---------------------------------------
SCHOOL_STAGES = ["幼儿园", "小学", "教学点", "初中", "九年一贯制", "完全中学", "高中", "十二年一贯制", "中职", "特殊教育"]
LOCALITIES = ["城区", "镇区", "乡村"]
TIERS = ["优质", "一般", "薄弱"]
SUBJECTS = ["语文", "数学", "英语", "道德与法治", "历史", "地理", "物理", "化学", "生物", "科学", "信息科技",
            "体育", "音乐", "美术", "劳动", "心理健康", "学前教育", "其他"]
TITLE_LEVELS = ["正高级", "副高级", "中级", "初级", "员级", "未定级"]  # high → low
DEGREES = ["研究生", "本科", "专科", "高中及以下"]  # high → low
EMPLOYMENTS = ["在编", "临聘"]
POSTS = ["专任教师", "行政", "教辅", "工勤"]
APPRAISALS = ["优秀", "合格", "基本合格", "不合格"]
SPECIALS = ["孕期", "哺乳期", "重大疾病"]
WILLINGNESS = ["愿意交流", "不愿交流", "愿意走教", "不愿走教"]
STATUS_AT_POST = "在本单位任职"

# Teaching stages (学部) a grade belongs to.
GRADE_STAGE = {-2: "幼儿园", -1: "幼儿园", 0: "幼儿园", **{g: "小学" for g in range(1, 7)},
               **{g: "初中" for g in range(7, 10)}, **{g: "高中" for g in range(10, 13)}}
GRADE_NAMES = {-2: "小班", -1: "中班", 0: "大班", 1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级",
               5: "五年级", 6: "六年级", 7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三"}
# Grades a school of each 学段 may have.
STAGE_GRADES = {
    "幼儿园": [-2, -1, 0],
    "小学": list(range(1, 7)),
    "教学点": list(range(1, 7)),
    "初中": [7, 8, 9],
    "九年一贯制": list(range(1, 10)),
    "完全中学": list(range(7, 13)),
    "高中": [10, 11, 12],
    "十二年一贯制": list(range(1, 13)),
    "中职": [10, 11, 12],
    "特殊教育": list(range(1, 13)),
}
# Entry grades: intake is projected, not progressed.
ENTRY_GRADES = {-2, 1, 7, 10}
COMPULSORY_GRADES = set(range(1, 10))

# --- canonical columns ---------------------------------------------------------------------
SCHOOL_COLUMNS = {
    "school_id": "学校代码", "school_name": "学校名称", "stage": "学段", "town": "镇街", "locality": "城乡",
    "tier": "办学水平", "group": "教育集团", "quota_approved": "核定编制", "boarders": "寄宿生数",
    "lon": "经度", "lat": "纬度", "county": "区县", "zone": "学区",
    "intake_plan": "招生计划", "capacity": "设计规模",
}
ENROLLMENT_COLUMNS = {"school_id": "学校代码", "year": "学年", "grade": "年级", "students": "学生数", "classes": "班数"}
TEACHER_COLUMNS = {
    "teacher_id": "教师编号", "id_number": "身份证号", "name": "姓名", "sex": "性别", "birth_date": "出生日期",
    "school_id": "学校代码", "subject": "任教学科", "subject2": "兼任学科", "periods": "周课时", "periods2": "兼任课时",
    "title": "职称", "title_level": "职称等级", "degree": "最高学历", "employment": "用工类型", "post": "岗位类型",
    "arrival_date": "到本校时间", "work_start": "参加工作时间", "backbone": "骨干教师",
    "appraisal": "考核", "appraisal_prev": "上年考核", "special": "特殊情况", "special_approved": "特殊情况已批准",
    "willingness": "本人意愿", "agreed_retirement": "约定退休日期", "retirement_group": "退休年龄组",
    "status": "人员状态", "teach_stage": "任教学段",
}
BIRTH_COLUMNS = {"town": "镇街", "birth_year": "出生年份", "births": "出生人数"}
FEEDER_COLUMNS = {"school_id": "学校代码", "feeder_id": "生源学校代码", "share": "比例"}
DISTANCE_COLUMNS = {"a": "学校代码A", "b": "学校代码B", "km": "距离公里"}

# Where a row came from, for messages: every canonical frame carries these two columns.
SOURCE_COLUMNS = ["src_file", "src_sheet", "src_row"]


@dataclass
class Dataset:
    """A validated data set: canonical frames plus where they came from.

    schools     one row per school (columns: SCHOOL_COLUMNS keys)
    enrollment  long: school_id, year, grade, students, classes (classes may be NA)
    teachers    one row per roster row (TEACHER_COLUMNS keys)
    births, feeders, distances  optional, empty frames when absent
    sources     table name → list of files (path, sha256, sheet) that gave it
    issues      every finding (errors make loading raise InputError)
    config      the Config the data set was read with: --config, else the folder's staffplan.toml, else defaults
    """

    schools: pd.DataFrame
    enrollment: pd.DataFrame
    teachers: pd.DataFrame
    births: pd.DataFrame = field(default_factory=pd.DataFrame)
    feeders: pd.DataFrame = field(default_factory=pd.DataFrame)
    distances: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[dict] = field(default_factory=list)  # {table, file, sheet, sha256}
    issues: Issues = field(default_factory=Issues)
    path: Path | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # table → field → header as written
    config: object = None    # the Config it was read with (the folder's staffplan.toml, --config, or the defaults)

    def label(self, table: str, fld: str, default: str) -> str:
        """The column header the user wrote for ``fld`` of ``table`` (messages name it), else ``default``."""
        return self.labels.get(table, {}).get(fld) or default

    @property
    def last_year(self) -> int:
        return int(self.enrollment["year"].max())

    def plan_year(self, year: int | None = None) -> int:
        """The plan year: ``year`` (--year) or the year after the last in 在校生.  A year more than one past the data
        (it would need several years projected in one step) or not after its first year (nothing before it to project
        from) is a usage error saying which years may be asked."""
        if year is None:
            return self.last_year + 1
        year, first, last = int(year), int(self.enrollment["year"].min()), self.last_year
        if year > last + 1:
            raise UsageError(f"计划年度 {year} 超出数据范围：在校生数据为 {first}—{last} 学年，只能预测下一学年 "
                             f"{last + 1}（--year 可取 {first + 1}—{last + 1}）；要看以后几年，请用 forecast --year {last + 1} "
                             f"--horizon {min(year - last, 5)}，或补充 {last + 1} 学年以后的在校生数据。")
        if year <= first:
            raise UsageError(f"计划年度 {year} 不在数据之后：在校生数据为 {first}—{last} 学年，计划年度之前至少要有一年"
                             f"数据（--year 可取 {first + 1}—{last + 1}）。")
        return year
