"""Empty input workbooks for a bureau to fill in (``staffplan template DIR``).

Headers are the contract's Chinese column names (schema.*_COLUMNS), enumerated columns get a dropdown, each
workbook has one or two example rows (a consistent small district: they load without errors) and a 填表说明
sheet. Files are written atomically and never replace existing files unless ``force``.
"""
from __future__ import annotations

from pathlib import Path


from .. import schema
from ..errors import OutputError
from .atomic import atomic_path, check_target

ROWS_WITH_DROPDOWN = 2000

_GRADES = [schema.GRADE_NAMES[g] for g in sorted(schema.GRADE_NAMES)]
_YESNO = ["是", "否"]

# table file → (columns, required columns, dropdowns, example rows, notes)
_SCHOOLS = ["学校代码", "学校名称", "学段", "镇街", "城乡", "办学水平", "教育集团", "核定编制", "寄宿生数", "经度", "纬度",
            "区县", "学区", "招生计划", "设计规模"]
_TEACHERS = [schema.TEACHER_COLUMNS[k] for k in schema.TEACHER_COLUMNS if k != "title_level"]

SPECS: dict[str, dict] = {
    "学校": {
        "columns": _SCHOOLS,
        "required": ["学校代码", "学校名称", "学段", "镇街", "城乡"],
        "lists": {"学段": schema.SCHOOL_STAGES, "城乡": schema.LOCALITIES, "办学水平": schema.TIERS},
        "text": ["学校代码"],
        "examples": [
            ["4415210001", "示例镇中心小学", "小学", "示例镇", "镇区", "一般", "示例教育集团", 30, 0, 115.3751, 22.7912, "", "", "", ""],
            ["4415210003", "示例镇中学", "初中", "示例镇", "镇区", "优质", "示例教育集团", 45, 120, 115.3920, 22.8010, "", "", "", ""],
        ],
        "notes": ["一行一所学校。学校代码按文本填写（保留前导 0），在其他表中引用学校时使用。",
                  "学段：" + "、".join(schema.SCHOOL_STAGES) + "；城乡：城区、镇区、乡村；办学水平：优质、一般、薄弱（不填按一般）。",
                  "核定编制、寄宿生数、经度、纬度可不填；经纬度用于计算学校间距离（也可另给「距离」表）。",
                  "学区不填时按镇街作为学区。",
                  "招生计划（计划年起始年级招生人数）、设计规模（全校学位数）只在新校或刚开办的学校填写：没有历史在校生的学校"
                  "按招生计划、否则按设计规模预测起始年级；都不填时按同镇街同学段学校估计。"],
    },
    "在校生": {
        "columns": ["学校代码", "学年", "年级", "学生数", "班数"],
        "required": ["学校代码", "学年", "年级", "学生数"],
        "lists": {"年级": _GRADES},
        "text": ["学校代码"],
        "examples": [["4415210001", 2025, "一年级", 86, 2], ["4415210003", 2025, "七年级", 198, 4]],
        "notes": ["长表：一所学校、一个学年、一个年级占一行。学年写 2025 或 2025-2026，均指 2025 学年（2025 年 9 月开始）。",
                  "年级：小班、中班、大班、一年级……九年级（也可写初一……初三）、高一……高三。",
                  "也可以使用宽表：一行一所学校，年级作列（每个年级下分 班数、学生数 两列），每个学年一个工作表，"
                  "工作表命名如「2025学年」。合计行、合计列和表下方的说明会被忽略。"],
    },
    "教师": {
        "columns": _TEACHERS,
        "required": ["教师编号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "职称", "最高学历", "用工类型", "到本校时间"],
        "lists": {"性别": ["男", "女"], "任教学科": schema.SUBJECTS, "兼任学科": schema.SUBJECTS,
                  "职称": ["正高级教师", "高级教师", "一级教师", "二级教师", "三级教师", "未定级"],
                  "最高学历": schema.DEGREES, "用工类型": schema.EMPLOYMENTS, "岗位类型": schema.POSTS,
                  "骨干教师": _YESNO, "考核": schema.APPRAISALS, "上年考核": schema.APPRAISALS,
                  "特殊情况": schema.SPECIALS, "特殊情况已批准": _YESNO, "本人意愿": schema.WILLINGNESS,
                  "退休年龄组": ["60", "55", "50"], "任教学段": ["小学", "初中", "高中"]},
        "text": ["教师编号", "身份证号", "学校代码"],
        "dates": ["出生日期", "到本校时间", "参加工作时间", "约定退休日期"],
        "examples": [
            ["T0001", "", "张老师", "女", "1985-03-01", "4415210001", "语文", "", 12, "", "一级教师", "本科", "在编", "专任教师",
             "2015-09-01", "2008-09-01", "否", "合格", "合格", "", "", "", "", "", "在本单位任职", ""],
            ["T0002", "", "李老师", "男", "1979-10-15", "4415210003", "数学", "信息科技", 14, 4, "高级教师", "研究生", "在编",
             "专任教师", "2012-09-01", "2003-09-01", "是", "优秀", "合格", "", "", "愿意交流", "", "", "在本单位任职", ""],
        ],
        "notes": ["一行一名教职工。教师编号与身份证号至少填一项（没有教师编号时以身份证号为键）；身份证号在输出中会打码。",
                  "性别、出生日期未填时由身份证号推出。学校代码也可改用「学校名称」列。",
                  "职称可写新名称（正高级教师、高级教师、一级教师、二级教师、三级教师）或旧名称（中学高级教师、小学高级教师……）。",
                  "用工类型：在编、临聘；岗位类型：专任教师（默认）、行政、教辅、工勤，只有专任教师计入教师数。",
                  "日期可写 1985-03-01、1985/3/1、1985.03、19850301 等；到本校时间只写年份时按当年 9 月 1 日计。",
                  "周课时为本人每周全部课时（含兼任学科）；有兼任学科时，兼任课时填其中兼任学科的课时（不填按周课时的 1/3 计）。",
                  "本人意愿可填多项，用顿号分隔，如「愿意交流、愿意走教」。约定退休日期填写后优先于法定退休日期。",
                  "任教学段只在九年一贯制、完全中学、十二年一贯制学校填写（小学、初中、高中）；不填时按本校各学段该学科课时需求推定。"],
    },
    "出生人口": {
        "columns": ["镇街", "出生年份", "出生人数"],
        "required": ["镇街", "出生年份", "出生人数"],
        "lists": {},
        "examples": [["示例镇", 2019, 320], ["示例镇", 2020, 301]],
        "notes": ["可选。各镇街每年出生人数，用于预测一年级和小班入学人数。"],
    },
    "对口": {
        "columns": ["学校代码", "生源学校代码", "比例"],
        "required": ["学校代码", "生源学校代码"],
        "lists": {},
        "text": ["学校代码", "生源学校代码"],
        "examples": [["4415210003", "4415210001", 1]],
        "notes": ["可选。学校代码为接收学校（如初中），生源学校代码为对口的小学；比例为该小学毕业生升入此校的比例（0～1，可不填）。"],
    },
    "距离": {
        "columns": ["学校代码A", "学校代码B", "距离公里"],
        "required": ["学校代码A", "学校代码B", "距离公里"],
        "lists": {},
        "text": ["学校代码A", "学校代码B"],
        "examples": [["4415210001", "4415210003", 3.5]],
        "notes": ["可选。两校之间的道路距离（公里）；不提供时按学校经纬度估算。"],
    },
}

_HEAD_COLOR, _REQ_COLOR = "DDEBF7", "FCE4D6"


def _build(name: str, spec: dict):
    # openpyxl is imported here, not at module level: the reader uses SPECS (example rows) and stays fast
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    head_fill, req_fill = PatternFill("solid", fgColor=_HEAD_COLOR), PatternFill("solid", fgColor=_REQ_COLOR)
    wb = Workbook()
    ws = wb.active
    ws.title = name
    cols = spec["columns"]
    ws.append(cols)
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.fill = req_fill if col in spec["required"] else head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = max(10, 2.2 * len(col) + 2)
    text_cols = set(spec.get("text", []))
    for row in spec["examples"]:
        ws.append(row)
    for j, col in enumerate(cols, start=1):
        letter = get_column_letter(j)
        if col in text_cols or col in spec.get("dates", []):
            for r in range(2, ROWS_WITH_DROPDOWN + 1):
                ws.cell(row=r, column=j).number_format = "@"
        values = spec["lists"].get(col)
        if values:
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=col not in ("本人意愿",))
            dv.error = f"请从下拉列表中选择{col}"
            dv.errorTitle = col
            dv.prompt = "可选：" + "、".join(values)
            dv.promptTitle = col
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{ROWS_WITH_DROPDOWN}")
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填表说明")
    notes.append(["填表说明"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([f"表头名称请勿修改（也可使用常见别名，如 校名、学科、工号）；橙色表头为必填列，蓝色为可选列。"])
    notes.append(["示例行（第 2–3 行）仅供参考，填写时请删除或覆盖。"])
    for line in spec["notes"]:
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    return wb


def write_template(directory: Path, force: bool = False) -> list[Path]:
    """Write 学校.xlsx, 在校生.xlsx, 教师.xlsx, 出生人口.xlsx, 对口.xlsx, 距离.xlsx into ``directory``.

    Refuses (OutputError) when any of them exists, unless ``force``; nothing is written in that case.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"「{directory}」不是文件夹，请给出一个文件夹路径。")
    targets = [directory / f"{name}.xlsx" for name in SPECS]
    for t in targets:
        check_target(t, force)
    written = []
    for (name, spec), target in zip(SPECS.items(), targets):
        wb = _build(name, spec)
        with atomic_path(target, force=force) as tmp:
            wb.save(tmp)
        written.append(target)
    return written
