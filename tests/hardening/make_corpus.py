"""Generate the hostile / broken input corpus used by tests/test_hardening*.py.

    python tests/hardening/make_corpus.py OUT_DIR      # writes OUT_DIR/<case>/… and OUT_DIR/manifest.json

Every case starts from one small VALID data set (``write_base``: 6 schools, 4 school years of enrollment,
about 120 teachers, written in the plain contract format, contract.md §1) and breaks exactly one thing.
``Case.expect`` lists text that the CLI output must contain (the file, and the column / row where that
applies); ``Case.data`` is the data-set path relative to OUT_DIR.

Nothing here imports staffplan: the corpus is what a planner could hand us, independent of our reader.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
import shutil
import struct
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from openpyxl import Workbook

# ----------------------------------------------------------------------------- ID numbers
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


def id_checksum(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def make_id(region: str, birth: dt.date, seq: int, male: bool) -> str:
    """A valid 18-character resident ID: region, birth date, sequence (odd = male), checksum."""
    seq = (seq % 499) * 2 + (1 if male else 2)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_checksum(body)


# ----------------------------------------------------------------------------- the valid base
SCHOOL_HEADER = ["学校代码", "学校名称", "学段", "镇街", "城乡", "办学水平", "教育集团", "核定编制", "经度", "纬度"]
ENROLL_HEADER = ["学校代码", "学年", "年级", "学生数", "班数"]
TEACHER_HEADER = ["教师编号", "身份证号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "周课时", "职称",
                  "最高学历", "用工类型", "岗位类型", "到本校时间", "参加工作时间", "骨干教师", "考核",
                  "特殊情况", "特殊情况已批准", "本人意愿"]

SCHOOLS = [
    # code, name, stage, town, locality, tier, group, per-grade students, lon, lat
    ("4401010001", "城关第一小学", "小学", "城关街道", "城区", "优质", "城关教育集团", 90, 113.300, 23.100),
    ("4401010002", "城关实验中学", "初中", "城关街道", "城区", "优质", "城关教育集团", 120, 113.310, 23.105),
    ("4401010003", "东岭中心小学", "小学", "东岭镇", "乡村", "薄弱", "", 30, 113.350, 23.140),
    ("4401010004", "东岭学校", "九年一贯制", "东岭镇", "乡村", "一般", "", 25, 113.355, 23.150),
    ("4401010005", "西江小学", "小学", "西江镇", "镇区", "一般", "", 60, 113.250, 23.060),
    ("4401010006", "西江中学", "初中", "西江镇", "镇区", "薄弱", "", 80, 113.255, 23.065),
]
STAGE_GRADES = {"小学": range(1, 7), "初中": range(7, 10), "九年一贯制": range(1, 10)}
GRADE_NAMES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
               7: "七年级", 8: "八年级", 9: "九年级"}
YEARS = [2022, 2023, 2024, 2025]
PRIMARY_SUBJECTS = ["语文"] * 9 + ["数学"] * 7 + ["英语"] * 3 + ["科学"] * 2 + ["体育"] * 2 + ["音乐", "美术",
                                                                                         "道德与法治", "信息科技"]
JUNIOR_SUBJECTS = ["语文"] * 3 + ["数学"] * 3 + ["英语"] * 3 + ["物理", "化学", "生物", "历史", "地理",
                                                                  "道德与法治", "体育", "音乐", "美术", "信息科技"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲燕红建国俊峰琳雪梅晨宇浩然思远嘉怡欣悦子轩雨涵梓萱博文一诺"
TITLES = ["高级教师", "一级教师", "一级教师", "二级教师", "小学高级教师", "中学一级教师", "三级教师", "未定级"]
DEGREES = ["本科", "本科", "本科", "研究生", "专科"]

Table = tuple[list[str], list[list[object]]]  # header, rows


def unique_names(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        # A name must not occur inside a school name, another table value or another name (tests grep for it).
        if name in seen or any(name in s[1] or name in s[3] for s in SCHOOLS) or len(name) < 2:
            continue
        if any(name in other or other in name for other in seen):
            continue
        seen.add(name)
        out.append(name)
    return out


def build_base(seed: int = 7) -> dict[str, Table]:
    """The three required tables of a small valid district, deterministic for ``seed``."""
    rng = random.Random(seed)
    schools = [[c, n, st, town, loc, tier, grp, None, lon, lat] for c, n, st, town, loc, tier, grp, _, lon, lat in SCHOOLS]
    enroll: list[list[object]] = []
    teachers: list[list[object]] = []
    for code, _name, stage, _t, locality, _tier, _g, per_grade, *_ in SCHOOLS:
        grades = list(STAGE_GRADES[stage])
        prev: dict[int, int] = {}
        for year in YEARS:
            cur: dict[int, int] = {}
            for g in grades:
                if g in prev or (g - 1) in prev and g != grades[0]:
                    base = prev.get(g - 1, per_grade)
                    students = max(5, round(base * rng.uniform(0.96, 1.02)))
                else:
                    students = max(5, round(per_grade * rng.uniform(0.9, 1.1)))
                cur[g] = students
                cap_g = 50 if g >= 7 else 45
                enroll.append([code, year, GRADE_NAMES[g], students, math.ceil(students / cap_g)])
            prev = cur
        total = sum(prev.values())
        n_teachers = max(8, round(total / (20 if locality == "乡村" else 11)))  # rural short, urban surplus
        if stage == "九年一贯制":
            pool = PRIMARY_SUBJECTS + JUNIOR_SUBJECTS
        else:
            pool = PRIMARY_SUBJECTS if stage == "小学" else JUNIOR_SUBJECTS
        for k in range(n_teachers):
            subject = pool[k % len(pool)]
            teachers.append([code, subject])
    names = unique_names(rng, len(teachers))
    rows = []
    for i, ((code, subject), name) in enumerate(zip(teachers, names)):
        male = rng.random() < 0.35
        birth = dt.date(rng.randint(1968, 1999), rng.randint(1, 12), rng.randint(1, 28))
        work_start = dt.date(birth.year + rng.randint(21, 24), 9, 1)
        arrival_year = rng.randint(work_start.year, 2025)
        if i % 3 == 0 and work_start.year <= 2016:  # a third have been at the school a long time (rotation candidates)
            arrival_year = min(arrival_year, rng.randint(work_start.year, 2016))
        arrival = dt.date(max(arrival_year, work_start.year), 9, 1)
        age = 2026 - birth.year
        title = "高级教师" if age > 45 and i % 2 else ("一级教师" if age > 32 else rng.choice(["二级教师", "未定级"]))
        special, approved, will = "", "", ""
        if i % 23 == 5 and not male:
            special, approved = "孕期", "是"
        elif i % 23 == 11 and not male:
            special, approved = "哺乳期", "否"
        elif i % 29 == 13:
            special, approved = "重大疾病", "是"
        if i % 7 == 2:
            will = "愿意走教"
        elif i % 11 == 4:
            will = "愿意交流"
        employment = "临聘" if i % 31 == 30 else "在编"
        post = "行政" if i % 37 == 20 else "专任教师"
        rows.append([
            f"T{i + 1:04d}", make_id("440101", birth, i, male), name, "男" if male else "女", birth,
            code, subject, rng.choice([10, 12, 14, 14, 16]), title, rng.choice(DEGREES), employment, post,
            arrival.isoformat(), work_start.isoformat(), "是" if i % 4 == 0 else "否",
            rng.choice(["合格", "合格", "合格", "优秀"]), special, approved, will,
        ])
    return {"学校": (list(SCHOOL_HEADER), schools), "在校生": (list(ENROLL_HEADER), enroll),
            "教师": (list(TEACHER_HEADER), rows)}


# ----------------------------------------------------------------------------- writers
def write_xlsx(path: Path, sheet: str, header: list[str] | None, rows: list[list[object]],
               post: Callable | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if header is not None:
        ws.append(header)
    for r in rows:
        ws.append(r)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text that merely starts with '=' (injection data), never a formula
    if post is not None:
        post(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> Path:
    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, dt.date):
            return v.isoformat()
        s = str(v)
        return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s

    text = "\r\n".join(",".join(cell(v) for v in r) for r in [header] + rows) + "\r\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def write_dataset(folder: Path, tables: dict[str, Table], posts: dict[str, Callable] | None = None,
                  skip: tuple[str, ...] = ()) -> Path:
    """Write a folder data set (学校.xlsx, 在校生.xlsx, 教师.xlsx)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        if name in skip:
            continue
        write_xlsx(folder / f"{name}.xlsx", name, header, rows, (posts or {}).get(name))
    return folder


def write_base(folder: Path, seed: int = 7) -> Path:
    """The valid base data set as a folder in the contract's plain format."""
    return write_dataset(Path(folder), build_base(seed))


# ----------------------------------------------------------------------------- corpus
@dataclass
class Case:
    name: str
    what: str                      # one line: what is broken
    data: str                      # data-set path relative to the corpus root
    expect: list[str] = field(default_factory=list)   # all must appear in the CLI output
    commands: list[str] = field(default_factory=lambda: ["check", "forecast", "rotate", "backtest"])


def _teacher_row(tables: dict[str, Table], i: int) -> list[object]:
    return tables["教师"][1][i]


def _col(tables: dict[str, Table], table: str, column: str) -> int:
    return tables[table][0].index(column)


def _set(tables: dict[str, Table], table: str, i: int, column: str, value: object) -> None:
    tables[table][1][i][_col(tables, table, column)] = value


def _drop_col(tables: dict[str, Table], table: str, column: str) -> None:
    header, rows = tables[table]
    j = header.index(column)
    tables[table] = (header[:j] + header[j + 1:], [r[:j] + r[j + 1:] for r in rows])


def _patch_declared_size(path: Path, member_suffix: str, size: int) -> None:
    """Make a zip's central directory (and local header) declare ``size`` bytes for one member."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    target = next(i for i in infos if i.filename.endswith(member_suffix))
    # local header: uncompressed size at offset 22
    struct.pack_into("<I", data, target.header_offset + 22, size)
    # central directory entry: find its signature followed by our file name
    name = target.filename.encode()
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        n_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + n_len]) == name:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos += 4
    path.write_bytes(bytes(data))


def _real_bomb(path: Path, sheet_member_suffix: str = "sheet1.xml", mb: int = 40) -> None:
    """Rewrite a workbook so one sheet XML holds ``mb`` MB of blanks inside <sheetData> (compresses ~1000×)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(sheet_member_suffix):
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (mb * 1024 * 1024), 1)
            dst.writestr(info.filename, data)
    tmp.replace(path)


def generate(root: Path, seed: int = 7, dry: bool = False) -> list[Case]:
    """Write every case under ``root`` (one folder or workbook each) and return the case list.

    With ``dry`` nothing is written (used to list the cases when tests are collected). The valid base itself
    is written to ``root/_base``.
    """
    root = Path(root)
    base = build_base(seed)
    cases: list[Case] = []
    cache = root / "_base"
    if not dry:
        root.mkdir(parents=True, exist_ok=True)
        write_dataset(cache, base)

    def folder_case(name: str, what: str, expect: list[str], mutate: Callable[[dict], None] | None = None,
                    posts: dict[str, Callable] | None = None, skip: tuple[str, ...] = (),
                    toml: str | None = None, commands: list[str] | None = None) -> Path:
        t = copy.deepcopy(base)
        if mutate:
            mutate(t)
        folder = root / name
        case = Case(name, what, name, expect)
        if commands:
            case.commands = commands
        cases.append(case)
        if dry:
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for table, content in t.items():
            if table in skip:
                continue
            post = (posts or {}).get(table)
            if post is None and content == base[table]:
                shutil.copyfile(cache / f"{table}.xlsx", folder / f"{table}.xlsx")  # unchanged: reuse bytes
            else:
                write_xlsx(folder / f"{table}.xlsx", table, content[0], content[1], post)
        if toml is not None:
            (folder / "staffplan.toml").write_text(toml, encoding="utf-8")
        return folder

    T = "教师.xlsx"
    E = "在校生.xlsx"
    S = "学校.xlsx"
    r = lambda i: f"第 {i + 2} 行"  # noqa: E731  (Excel row of data row i: header is row 1)

    # --- impossible dates ----------------------------------------------------------------------
    folder_case("date_feb30_arrival", "到本校时间 2023-02-30", [T, "到本校时间", r(4)],
                lambda t: _set(t, "教师", 4, "到本校时间", "2023-02-30"))

    def month13(t):
        _set(t, "教师", 6, "出生日期", "1985-13-01")
        _set(t, "教师", 6, "身份证号", "")
    folder_case("date_month13_birth", "出生日期 1985-13-01, no ID number", [T, "出生日期", r(6)], month13)
    folder_case("date_garbage_arrival", "到本校时间 '很久以前'", [T, "到本校时间", r(8)],
                lambda t: _set(t, "教师", 8, "到本校时间", "很久以前"))

    # --- wrong types / impossible numbers ------------------------------------------------------
    folder_case("type_students_text", "学生数 '很多'", [E, "学生数", r(3)],
                lambda t: _set(t, "在校生", 3, "学生数", "很多"))
    folder_case("type_year_text", "学年 '去年'", [E, "学年", r(5)], lambda t: _set(t, "在校生", 5, "学年", "去年"))
    folder_case("type_year_absurd", "学年 20255", [E, "学年", r(7)], lambda t: _set(t, "在校生", 7, "学年", 20255))
    folder_case("count_negative_students", "学生数 -5", [E, "学生数", r(9)],
                lambda t: _set(t, "在校生", 9, "学生数", -5))
    folder_case("count_negative_classes", "班数 -1", [E, "班数", r(10)], lambda t: _set(t, "在校生", 10, "班数", -1))
    folder_case("count_absurd_students", "学生数 99999 in one grade", [E, "学生数", r(11)],
                lambda t: _set(t, "在校生", 11, "学生数", 99999))

    def huge_class(t):
        _set(t, "在校生", 12, "学生数", 600)
        _set(t, "在校生", 12, "班数", 2)
    folder_case("count_absurd_class_size", "600 students in 2 classes", [E, "班数", r(12)], huge_class)
    folder_case("count_fractional_students", "学生数 30.5", [E, "学生数", r(13)],
                lambda t: _set(t, "在校生", 13, "学生数", 30.5))

    # --- keys and references -------------------------------------------------------------------
    folder_case("dup_teacher_id", "two rows with 教师编号 T0003", [T, "教师编号"],
                lambda t: _set(t, "教师", 9, "教师编号", "T0003"))

    def same_person_twice(t):  # one person listed twice under two 教师编号 (e.g. moved, old row not deleted)
        row = list(_teacher_row(t, 2))
        row[0] = "T9002"
        t["教师"][1][10] = row
    folder_case("dup_id_number", "the same person (same 身份证号) twice under two 教师编号", [T, "身份证号"],
                same_person_twice)
    folder_case("dup_school_id", "two schools with code 4401010003", [S, "学校代码"],
                lambda t: _set(t, "学校", 4, "学校代码", "4401010003"))
    folder_case("ref_teacher_unknown_school", "teacher at school 4401019999", [T, "学校代码", r(12)],
                lambda t: _set(t, "教师", 12, "学校代码", "4401019999"))
    folder_case("ref_enrollment_unknown_school", "enrollment of school 4401019999", [E, "学校代码", r(14)],
                lambda t: _set(t, "在校生", 14, "学校代码", "4401019999"))
    folder_case("grade_not_in_stage", "八年级 at a 小学", [E, "年级", r(15)],
                lambda t: _set(t, "在校生", 15, "年级", "八年级"))  # row 15 belongs to 4401010001 (小学)
    folder_case("grade_unknown", "年级 '十年级半'", [E, "年级", r(16)],
                lambda t: _set(t, "在校生", 16, "年级", "十年级半"))

    # --- vocabularies --------------------------------------------------------------------------
    folder_case("vocab_stage", "学段 '大学'", [S, "学段", r(2)], lambda t: _set(t, "学校", 2, "学段", "大学"))
    # Rich console markup in a cell value must be printed as written, never interpreted (nor crash the CLI).
    folder_case("markup_in_value", "学段 '[/red]大学' (an unmatched rich closing tag)", [S, "[/red]大学"],
                lambda t: _set(t, "学校", 3, "学段", "[/red]大学"))
    folder_case("markup_brackets", "学段 '[bold]大学[/bold]'", [S, "[bold]大学[/bold]"],
                lambda t: _set(t, "学校", 5, "学段", "[bold]大学[/bold]"))
    folder_case("vocab_locality", "城乡 '火星'", [S, "城乡", r(1)], lambda t: _set(t, "学校", 1, "城乡", "火星"))
    folder_case("vocab_employment", "用工类型 '外星人'", [T, "用工类型", r(14)],
                lambda t: _set(t, "教师", 14, "用工类型", "外星人"))

    def sex_no_id(t):
        _set(t, "教师", 15, "性别", "不详")
        _set(t, "教师", 15, "身份证号", "")
    folder_case("vocab_sex_no_id", "性别 '不详' and no ID number", [T, "性别", r(15)], sex_no_id)

    # --- ID numbers and people -----------------------------------------------------------------
    def bad_checksum(t):
        idn = _teacher_row(t, 16)[1]
        _set(t, "教师", 16, "身份证号", idn[:17] + ("0" if idn[17] != "0" else "1"))
    folder_case("id_bad_checksum", "身份证号 with a wrong check digit", [T, "身份证号", r(16)], bad_checksum)
    folder_case("id_wrong_length", "身份证号 with 17 characters", [T, "身份证号", r(17)],
                lambda t: _set(t, "教师", 17, "身份证号", _teacher_row(t, 17)[1][:17]))

    def sex_mismatch(t):
        _set(t, "教师", 18, "性别", "女" if _teacher_row(t, 18)[3] == "男" else "男")
    folder_case("id_sex_mismatch", "性别 contradicts the 身份证号", [T, "性别", r(18)], sex_mismatch)

    def birth_mismatch(t):
        b = _teacher_row(t, 19)[4]
        _set(t, "教师", 19, "出生日期", dt.date(b.year - 3, b.month, b.day))
    folder_case("id_birth_mismatch", "出生日期 contradicts the 身份证号", [T, "出生日期", r(19)], birth_mismatch)

    def age12(t):
        birth = dt.date(2014, 5, 1)
        male = _teacher_row(t, 20)[3] == "男"
        _set(t, "教师", 20, "出生日期", birth)
        _set(t, "教师", 20, "身份证号", make_id("440101", birth, 20, male))
    folder_case("age_12", "teacher born 2014 (12 years old in the plan year)", [T, "出生日期", r(20)], age12)

    def age75(t):
        birth = dt.date(1951, 3, 1)
        male = _teacher_row(t, 21)[3] == "男"
        _set(t, "教师", 21, "出生日期", birth)
        _set(t, "教师", 21, "身份证号", make_id("440101", birth, 21, male))
    folder_case("age_75", "teacher born 1951 (75 years old)", [T, "出生日期", r(21)], age75)

    # --- missing columns, tables, rows ---------------------------------------------------------
    folder_case("missing_col_subject", "教师 without 任教学科", [T, "任教学科"],
                lambda t: _drop_col(t, "教师", "任教学科"))
    folder_case("missing_col_stage", "学校 without 学段", [S, "学段"], lambda t: _drop_col(t, "学校", "学段"))
    folder_case("missing_col_students", "在校生 without 学生数", [E, "学生数"],
                lambda t: _drop_col(t, "在校生", "学生数"))
    folder_case("missing_col_teacher_key", "教师 without 教师编号 and 身份证号", [T, "教师编号"],
                lambda t: (_drop_col(t, "教师", "教师编号"), _drop_col(t, "教师", "身份证号")))
    folder_case("missing_table_teachers", "no 教师 file", ["教师"], skip=("教师",))
    folder_case("missing_table_enrollment", "no 在校生 file", ["在校生"], skip=("在校生",))
    # a roster still being collected is accepted by check / forecast / backtest (issue 18, tests/test_noroster.py);
    # only rotate has nothing to work with
    folder_case("empty_table_teachers", "教师.xlsx has the header only", [T, "教师名册为空"],
                lambda t: t.__setitem__("教师", (t["教师"][0], [])), commands=["rotate"])
    folder_case("empty_sheet_schools", "学校.xlsx has a completely empty sheet", [S],
                lambda t: t.__setitem__("学校", (None, [])))

    # workbook form with a missing sheet
    if not dry:
        wb_dir = root / "missing_sheet_workbook"
        wb_dir.mkdir(parents=True, exist_ok=True)
        wb = Workbook()
        wb.remove(wb.active)
        for sheet in ("学校", "在校生"):
            ws = wb.create_sheet(sheet)
            header, rows = base[sheet]
            ws.append(header)
            for row in rows:
                ws.append(row)
        wb.save(wb_dir / "全区数据.xlsx")
    cases.append(Case("missing_sheet_workbook", "one workbook with sheets 学校 and 在校生 only",
                      "missing_sheet_workbook/全区数据.xlsx", ["教师"]))

    # --- broken files --------------------------------------------------------------------------
    def file_case(name: str, what: str, table: str, content: bytes | Callable[[Path], None], filename: str,
                  expect: list[str] | None = None) -> None:
        folder = folder_case(name, what, expect or [filename], skip=(table,))
        cases[-1].expect = expect or [filename]
        if dry:
            return
        p = folder / filename
        if callable(content):
            write_xlsx(p, table, *base[table])
            content(p)
        else:
            p.write_bytes(content)

    file_case("file_empty", "教师.xlsx is 0 bytes", "教师", b"", T)
    file_case("file_not_spreadsheet", "a PNG renamed 教师.xlsx", "教师",
              b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, T)
    file_case("file_text_as_xlsx", "a text file renamed 教师.xlsx", "教师",
              "教师编号,姓名\nT0001,张三\n".encode("utf-8"), T)
    file_case("file_encrypted", "an OLE/CFB container (what Excel writes for a password-protected .xlsx)", "教师",
              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptionInfo".ljust(512, b"\x00"), T)
    file_case("file_truncated_zip", "教师.xlsx cut in half", "教师",
              lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), T)
    def plain_zip(p: Path) -> None:
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("readme.txt", "hello")
    file_case("file_zip_without_workbook", "a valid zip that is not a workbook", "教师", plain_zip, T)
    file_case("zip_bomb_declared", "在校生.xlsx whose sheet XML declares 3.9 GB uncompressed", "在校生",
              lambda p: _patch_declared_size(p, "sheet1.xml", 0xF0000000), E)
    file_case("zip_bomb_real", "在校生.xlsx whose sheet XML really expands to 40 MB of blanks (ratio ~1000)",
              "在校生", lambda p: _real_bomb(p, mb=40), E)

    # CSV in unexpected encodings
    for name, what, enc in (("csv_utf16", "教师.csv in UTF-16-LE without BOM", "utf-16-le"),
                            ("csv_big5", "教师.csv in Big5", "big5")):
        folder = folder_case(name, what, ["教师.csv"], skip=("教师",))
        if not dry:
            header, rows = base["教师"]
            write_csv(folder / "教师.csv", header, rows, enc)

    folder = folder_case("csv_binary_garbage", "教师.csv holding random bytes", ["教师.csv"], skip=("教师",))
    if not dry:
        (folder / "教师.csv").write_bytes(random.Random(seed).randbytes(4096))

    # --- spreadsheet tricks --------------------------------------------------------------------
    # Merged cells over data: only the top-left cell holds a value. A merged count must not be copied into
    # the rows below (that would double students) nor read as nothing without a word.
    def merge_students(ws):
        ws.merge_cells("D5:D6")  # 学生数 of data rows 3 and 4
    folder_case("merged_over_counts", "学生数 merged over two rows", [E, "学生数"], posts={"在校生": merge_students})


    def hidden_bad_row(t):
        _set(t, "教师", 22, "学校代码", "4401018888")

    def hide(ws):
        ws.row_dimensions[24].hidden = True  # data row 22
    folder_case("hidden_row_bad_data", "a hidden row with an unknown school", [T, "学校代码", r(22)],
                hidden_bad_row, posts={"教师": hide})

    def formulas(ws):
        for excel_row in range(2, 8):
            ws.cell(excel_row, 4).value = f"=30+{excel_row}"  # 学生数 as formulas, no cached values
    folder_case("formula_no_cache", "学生数 written as formulas without cached values", [E, "学生数"],
                posts={"在校生": formulas})

    # --- limits through the data folder's staffplan.toml ---------------------------------------
    def many_rows(t):
        header, rows = t["在校生"]
        extra = []
        for k in range(1200 - len(rows)):
            src = list(rows[k % len(rows)])
            src[1] = 1900 + k // len(rows)  # distinct years so the rows are not exact duplicates
            extra.append(src)
        t["在校生"] = (header, rows + extra)
    folder_case("limit_max_rows", "在校生 with 1200 rows, [input] max_rows = 1000", [E, "1000"], many_rows,
                toml="[input]\nmax_rows = 1000\n")
    folder_case("limit_max_file_mb", "[input] max_file_mb = 0.002 (2 KB): every workbook is too big", ["MB"],
                toml="[input]\nmax_file_mb = 0.002\n")

    # --- configuration -------------------------------------------------------------------------
    folder_case("config_unknown_key", "staffplan.toml with [forecast] history_yeers", ["staffplan.toml", "history_yeers"],
                toml="[forecast]\nhistory_yeers = 3\n")
    folder_case("config_unknown_section", "staffplan.toml with [forcast]", ["staffplan.toml", "forcast"],
                toml="[forcast]\nhistory_years = 3\n")
    folder_case("config_wrong_type", "quota.ratio_primary = '十九'", ["staffplan.toml", "ratio_primary"],
                toml='[quota]\nratio_primary = "十九"\n')
    folder_case("config_not_toml", "staffplan.toml is not TOML", ["staffplan.toml"], toml="这不是 = = TOML [[\n")

    return cases


def write_manifest(root: Path, cases: list[Case]) -> Path:
    path = Path(root) / "manifest.json"
    path.write_text(json.dumps([asdict(c) for c in cases], ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- special data sets
# Spreadsheet formula triggers.
INJECTION_PREFIXES = ['=HYPERLINK("http://evil.example/x","点我")', "+1", "-2", "@SUM(A1)", "=1+1", "\t=cmd"]
# Rich console markup: an unmatched closing tag crashes an unescaped console.print; a pair disappears.
MARKUP_PREFIXES = ["[/red]", "[bold]", "[link=http://evil.example]"]


def write_injection_dataset(folder: Path, seed: int = 7) -> tuple[Path, list[str]]:
    """A valid data set whose school names and teacher names start with formula triggers.

    Returns the folder and the list of hostile strings used.
    """
    t = build_base(seed)
    hostile: list[str] = []
    for i, prefix in enumerate(INJECTION_PREFIXES[:4]):
        name = f"{prefix}学校{i}"
        _set(t, "学校", i, "学校名称", name)
        hostile.append(name)
    rows = t["教师"][1]
    for i, prefix in enumerate(INJECTION_PREFIXES):
        # spread over schools: every 20th teacher
        k = (i * 20 + 1) % len(rows)
        name = f"{prefix}师{i}"
        _set(t, "教师", k, "姓名", name)
        hostile.append(name)
    write_dataset(Path(folder), t)
    return Path(folder), hostile


def write_markup_dataset(folder: Path, seed: int = 7) -> tuple[Path, list[str]]:
    """A valid data set whose school and teacher names carry rich console markup."""
    t = build_base(seed)
    hostile: list[str] = []
    for i, prefix in enumerate(MARKUP_PREFIXES):
        name = f"{prefix}学校{i}"
        _set(t, "学校", i + 2, "学校名称", name)
        hostile.append(name)
    rows = t["教师"][1]
    for i, prefix in enumerate(MARKUP_PREFIXES):
        k = (i * 20 + 3) % len(rows)
        name = f"{prefix}师{i}"
        _set(t, "教师", k, "姓名", name)
        hostile.append(name)
    write_dataset(Path(folder), t)
    return Path(folder), hostile


def write_id_keyed_dataset(folder: Path, seed: int = 7) -> tuple[Path, list[str]]:
    """The valid base without 教师编号: the 身份证号 is every teacher's key (shows up as 教师编号 in outputs)."""
    t = build_base(seed)
    ids = [row[1] for row in t["教师"][1]]
    _drop_col(t, "教师", "教师编号")
    write_dataset(Path(folder), t)
    return Path(folder), ids


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    root = Path(argv[0])
    cases = generate(root)  # also writes the valid base to root/_base
    write_manifest(root, cases)
    print(f"{len(cases)} cases written to {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
