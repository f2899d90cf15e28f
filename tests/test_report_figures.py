"""Headline figures (report/figures.py) by hand, the memo's GB/T 9704 details, and what may be sent:
no internals, no names (attachment and attachment workbook), the 公示 notice list, 未设定 targets."""
from __future__ import annotations

import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from staffplan.report import figures as F
from staffplan.report.docx import summary_numbers, write_report

from test_report import forecast_sheets, rotation_sheets, sample_meta

T = "合计"
INTERNAL_WORDS = ["staffplan", "SHA", "sha256", ".toml", "toml", "求解器", "cbc", "CBC", "highs", "状态：", "目标函数",
                  "runtime", "rotate", "forecast", "gpr", "indicators.", "quota.", "shortage.", "配置", "参数见",
                  ".xlsx", "说明 sheet"]


def _sheets():
    return {**forecast_sheets(), **rotation_sheets()}


# --------------------------------------------------------------------------- figures by hand

def test_students_and_quota_figures_by_hand():
    s = F.students(_sheets())
    assert (s.total, s.classes) == (880, 20)  # 320 + 305 + 88 + 41 + 126; 7 + 7 + 2 + 1 + 3
    assert s.by_stage == {"小学": 754, "初中": 126} and s.schools == 3  # 320 + 305 + 88 + 41 = 754
    q = F.quota(_sheets())
    # school rows S01, S02, S03 (全校); S03's 小学/初中 rows are not added again
    assert (q.schools, q.standard, q.on_quota, q.retire_before, q.temporary) == (3, 176, 172, 6, 9)
    assert (q.vacancy, q.over, q.vacancy_net, q.schools_short) == (10, 0, 10, 3)  # 1 + 5 + 4
    assert (q.approved, q.approved_schools, q.standard_of_approved) == (173, 3, 176)


def test_approved_quota_states_its_scope():
    sheets = _sheets()
    qs = sheets["编制测算"].copy()
    qs.loc[1, "核定编制"] = np.nan  # S02 has no 核定编制
    sheets["编制测算"] = qs
    q = F.quota(sheets)
    # 核定 95 + 48 = 143 over S01 and S03, compared with their 标准 97 + 49 = 146, not with all 176
    assert (q.approved, q.approved_schools, q.standard_of_approved, q.standard) == (143, 2, 146, 176)
    doc = write_report_text(sheets)
    assert "其中已核定编制的2所学校核定143名（这些学校标准编制146名）" in doc
    assert "核定编制合计只含已核定的2所学校，这些学校标准编制146名" in doc


def test_a_school_without_enrollment_data_is_left_out_of_the_quota_and_said():
    # S02 had no enrollment data: 标准编制 and 缺编 blank (未测算).  Standard 97 + 49 = 146 over 2 schools; 缺编
    # 1 + 4 = 5; the memo counts 2 schools, names the one left out, and the table note says so
    sheets = _sheets()
    qs = sheets["编制测算"].copy()
    qs.loc[1, ["标准编制", "缺编"]] = np.nan
    sheets["编制测算"] = qs
    q = F.quota(sheets)
    assert (q.schools, q.unmeasured, q.standard, q.vacancy_net, q.on_quota) == (3, 1, 146, 5, 172)
    doc = write_report_text(sheets)
    assert "按编制标准测算，2所学校标准编制合计146名（另有1所学校没有在校生数据，编制未测算，不计入标准编制和缺编）" in doc
    assert "标准编制、缺编合计不含1所没有在校生数据、编制未测算的学校" in doc


def test_school_counted_once_across_stages_and_subjects():
    gaps = pd.DataFrame({
        "学校代码": ["S03", "S03", "S03", "S01", T], "学校名称": ["九年一贯制", "九年一贯制", "九年一贯制", "一小", ""],
        "学段": ["小学", "初中", "初中", "小学", ""], "学科": ["音乐", "音乐", "美术", "音乐", ""],
        "缺口人数": [0.5, 0.4, 0.3, -1.2, 0.0]})
    g = F.gaps_by_subject(gaps).set_index("学科")
    # S03 is short of 音乐 in both stages: one school; 0.5 + 0.4 = 0.9 FTE; S01's surplus is not netted
    assert g.loc["音乐"].tolist() == [1, 0.9, 1.2]
    assert g.loc["美术"].tolist() == [1, 0.3, 0.0]
    f = F.gaps({"学科缺口": gaps}, threshold=0.5)
    assert f.schools_short == 1  # S03 only, not 1 + 1 (音乐 + 美术) and not 2 (two stage rows)
    assert (f.shortage_fte, f.surplus_fte) == (1.2, 1.2)  # 0.9 + 0.3; 1.2
    assert f.shortage_subjects == [("音乐", 0.9, 1)]


def test_gap_totals_add_the_cells_as_shown_then_round_once():
    # three subjects each short by 0.26: shown per subject as 0.3, but the total is 0.26 × 3 = 0.78 → 0.8, the sum a
    # reader makes of 学科缺口, not 0.3 × 3 = 0.9; surpluses −0.34 × 2 = 0.68 → 0.7 (not 0.3 + 0.3 = 0.6)
    gaps = pd.DataFrame({"学校代码": ["S1", "S1", "S1", "S2", "S2"], "学校名称": ["一小"] * 3 + ["二小"] * 2,
                         "学段": ["小学"] * 5, "学科": ["音乐", "美术", "科学", "语文", "数学"],
                         "缺口人数": [0.26, 0.26, 0.26, -0.34, -0.34]})
    f = F.gaps({"学科缺口": gaps})
    assert (f.shortage_fte, f.surplus_fte) == (0.8, 0.7)
    assert F.gaps_by_subject(gaps).set_index("学科").loc["音乐", "缺口人数"] == 0.3


def test_shortage_before_and_after_includes_what_the_plan_creates():
    cover = rotation_sheets()["缺口覆盖"]
    body = cover.iloc[:-1]
    # S01 语文 had a surplus of 12 periods, sent two teachers away (−20): now short of 8
    sending = pd.DataFrame({"学校代码": ["S01"], "学校名称": ["城关第一小学"], "学段": ["小学"], "学科": ["语文"],
                            "原缺口课时": [-12], "交流补充课时": [-20], "走教补充课时": [0], "剩余缺口课时": [8]})
    sheets = {"缺口覆盖": pd.concat([body, sending], ignore_index=True)}
    c = F.coverage(sheets)
    assert c.before == 25  # 12 + 10 + 3 (the surplus −12 is not a shortage)
    assert c.covered == 16  # (12 − 2) + (10 − 6) + (3 − 1)
    assert c.created == 8 and c.schools_created == 1 and c.cells_created == 1
    assert c.after == 17 == c.before - c.covered + c.created  # 2 + 6 + 1 + 8
    assert c.exchange_in == 6 and c.zoujiao == 10  # only into cells short before: 6; 4 + 4 + 2
    assert c.share == 64  # 16 / 25
    t = F.coverage_by_subject(sheets).set_index("学科")
    assert t.loc["语文"].tolist() == [0, 0, 0, 0, 8, 8]
    assert t.loc["音乐"].tolist() == [15, 6, 6, 12, 0, 3]  # 12 + 3; 6; 4 + 2; 10 + 2; 0; 2 + 1
    text = write_report_text({**_sheets(), **sheets})
    flat = text.replace(" ", "")
    assert "1所派出学校新出现或加深缺口8课时" in flat and "每周缺25课时" in flat and "补足16课时" in flat
    assert "仍缺17课时（即原缺口减去补足部分，再加上派出学校新增的缺口）" in flat


def test_summary_numbers_are_the_figures():
    n = summary_numbers(_sheets(), rotation_summary={"compulsory_teachers": 60, "required": 3})
    assert n["recruit"].total == 4 and n["recruit"].by_stage == {"小学": 3, "初中": 1}
    e = n["exchange"]
    assert (e.teachers, e.by_type, e.share, e.required) == (3, {"城乡交流": 2, "强弱交流": 1}, 5, 3)  # 3/60
    assert e.eligibility["应交流"] == 3 and (e.sending_schools, e.receiving_schools) == (2, 2)
    z = n["zoujiao"]
    assert (z.teachers, z.home_schools, z.host_schools, z.periods, z.subsidy) == (2, 2, 2, 10, 1200)


# --------------------------------------------------------------------------- the memo as sent

def write_report_text(sheets, tmp=None) -> str:
    import tempfile

    import docx
    with tempfile.TemporaryDirectory() as d:
        path = write_report(f"{d}/附件.docx", sheets, sample_meta(None, "report"), district_name="示例区")
        doc = docx.Document(str(path))
        parts = [p.text for p in doc.paragraphs]
        parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join(parts)


def test_memo_has_no_internals_and_no_names(tmp_path):
    sheets = _sheets()
    meta = sample_meta(tmp_path, "rotate")  # with solver, parameters, a file and its SHA-256
    path = write_report(tmp_path / "附件.docx", sheets, meta, district_name="示例区")
    with zipfile.ZipFile(path) as z:
        xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                       if n.endswith(".xml") and "fontTable" not in n and "theme" not in n)
    text = re.sub(r"<[^>]+>", "", xml)
    for word in INTERNAL_WORDS:
        assert word not in text, word
    names = set(sheets["交流名单"]["姓名"].iloc[:-1]) | set(sheets["走教安排"]["姓名"].iloc[:-1])
    for name in names | {"T001", "T010"}:
        assert name not in text, name
    assert "资料来源：区教育局教职工花名册。" in text


def test_memo_gbt9704_page_numbers_grid_language_fonts(tmp_path):
    path = write_report(tmp_path / "附件.docx", _sheets(), sample_meta(tmp_path, "report"))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        doc, settings = z.read("word/document.xml").decode(), z.read("word/settings.xml").decode()
        styles, fonts = z.read("word/styles.xml").decode(), z.read("word/fontTable.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        footers = {n: z.read(n).decode() for n in names if n.startswith("word/footer")}
    assert "<w:evenAndOddHeaders" in settings
    assert re.search(r'<w:footerReference w:type="default" r:id="(\w+)"', doc)
    assert re.search(r'<w:footerReference w:type="even" r:id="(\w+)"', doc)
    kinds = {}
    for kind in ("default", "even"):
        rid = re.search(rf'<w:footerReference w:type="{kind}" r:id="(\w+)"', doc).group(1)
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        kinds[kind] = footers["word/" + (target.group(1) or target.group(2))]
    assert 'w:jc w:val="right"' in kinds["default"] and 'w:jc w:val="left"' in kinds["even"]  # odd right, even left
    assert all("PAGE" in f and "— " in f and " —" in f for f in kinds.values())
    grid = re.search(r"<w:docGrid [^>]*/>", doc).group(0)
    pitch = int(re.search(r'w:linePitch="(\d+)"', grid).group(1))
    char = int(re.search(r'w:charSpace="(-?\d+)"', grid).group(1))
    # 225 mm = 637.8 pt ÷ 22 lines = 28.99 pt = 579 twips; 156 mm = 442.2 pt ÷ 28 = 15.79 pt = 16 pt − 0.21 pt
    assert pitch == 579 and 22 * pitch / 20 <= 225 / 25.4 * 72
    assert abs(char - (442.2047 / 28 - 16) * 4096) < 10  # page and margins are stored in whole twips
    assert 'w:spacing w:val="-5"' in styles  # 28 × (16 − 0.25) = 441 pt ≤ 442.2 pt
    assert "ja-JP" not in settings + styles and "en-US" not in styles and 'w:eastAsia="zh-CN"' in styles
    for font, alt in (("仿宋_GB2312", "仿宋"), ("方正小标宋简体", "宋体"), ("楷体_GB2312", "楷体")):
        assert re.search(rf'<w:font w:name="{font}"><w:altName w:val="{alt}"/>', fonts), font


# --------------------------------------------------------------------------- what may be sent

def test_attachment_workbook_has_no_names_and_the_memo_totals(tmp_path):
    from staffplan.report.sendable import write_attachment_workbook
    sheets = _sheets()
    path = write_attachment_workbook(tmp_path / "附表.xlsx", sheets, sample_meta(tmp_path, "rotate"))
    wb = openpyxl.load_workbook(path)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    text = "\n".join(cells)
    for name in ("张明", "李华", "王芳", "赵敏", "陈刚", "T001", "应交流，在本校任教"):
        assert name not in text
    data = "\n".join(str(c.value) for ws in wb.worksheets[:-1] for row in ws.iter_rows() for c in row
                     if c.value is not None)
    rows = "\n".join(str(c.value) for row in wb["说明"].iter_rows(min_row=3) for c in row if c.value is not None)
    for word in ("SHA-256", "staffplan", "toml", "cbc", "quota.ratio_primary", "教师.xlsx"):
        assert word not in data and word not in rows, word
    assert "资料来源：区教育局教职工花名册。" in rows and "小学19∶1" in rows
    assert wb.sheetnames[0].startswith("表1") and wb.sheetnames[-1] == "说明"
    ws = wb["表6 走教安排(按接收学校和学科)"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    total = next(r for r in rows if r[0] == "合计")
    assert total[2:6] == [2, 2, 10, 1200]  # the memo's 表6 合计


def test_notice_lists_name_who_moves_without_reasons():
    from staffplan.report.sendable import notice_sheets
    n = notice_sheets(_sheets())
    ex = n["交流公示名单"]
    assert list(ex.columns) == ["原学校", "序号", "姓名", "教师编号", "任教学科", "交流学校", "交流类型", "交流年限"]
    # ordered by sending school; 序号 restarts per school: 城关第一小学 李华, 张明; 河口九年一贯制学校 王芳
    assert ex[["原学校", "序号", "姓名"]].values.tolist() == [["城关第一小学", 1, "张明"], ["城关第一小学", 2, "李华"],
                                                         ["河口九年一贯制学校", 1, "王芳"]]
    assert "原因" not in ex and T not in ex["姓名"].tolist()
    zj = n["走教公示名单"]
    assert zj["姓名"].tolist() == ["赵敏", "赵敏", "陈刚"] and zj["周课时"].tolist() == [4, 2, 4]


def test_notice_masks_resident_ids():
    from staffplan.report.sendable import notice_sheets
    sheets = _sheets()
    ex = sheets["交流名单"].copy()
    ex.loc[0, "教师编号"] = "11010519491231002X"
    sheets["交流名单"] = ex
    ids = notice_sheets(sheets)["交流公示名单"]["教师编号"].tolist()
    assert "110105********002X" in ids and "11010519491231002X" not in ids


def test_researcher_target_not_set_unless_configured():
    from staffplan.config import default_config
    from staffplan.forecast.indicators import compute_indicators
    teachers = pd.DataFrame({"teacher_id": ["1"], "school_id": ["S1"], "degree": ["本科"], "title_level": ["中级"],
                             "post": ["专任教师"], "employment": ["在编"]})
    supply = pd.DataFrame({"teacher_id": ["1"], "stage": ["小学"]})
    schools = pd.DataFrame({"school_id": ["S1"], "stage": ["小学"]})
    cfg = default_config()
    row = compute_indicators(teachers, supply, schools, cfg).set_index("indicator").loc["专职教研员人数"]
    assert row["target"] == "未设定" and row["met"] == "—"
    cfg = cfg.with_overrides({"indicators.researchers": 43, "indicators.researchers_current": 40}, "test")
    row = compute_indicators(teachers, supply, schools, cfg).set_index("indicator").loc["专职教研员人数"]
    assert (row["target"], row["current"], row["met"]) == ("43 人", "40 人", "否")  # 40 < 43


@pytest.mark.parametrize("n_stages", [1])
def test_chart_png_is_300_dpi(tmp_path, n_stages):
    from staffplan.report.charts import make_charts
    out, _ = make_charts(forecast_sheets(), tmp_path, plan_year=2026)
    import struct
    data = out["gaps"].read_bytes()
    i = data.find(b"pHYs")
    ppm = struct.unpack(">I", data[i + 4:i + 8])[0]
    assert round(ppm * 0.0254) == 300


def test_memo_table5_counts_exchanges_by_the_subject_they_supply():
    """表5 counts each exchange under 补充学科 (what the move covers): a teacher whose roster subject is 其他 and who
    goes to teach 音乐 counts under 音乐, not under 其他."""
    from staffplan.report.docx import memo_tables

    sheets = _sheets()
    ex = sheets["交流名单"].copy()
    body = ex.index[:-1]                     # the last row is 合计
    ex.loc[body, "任教学科"] = "其他"
    ex.loc[body, "补充学科"] = ["音乐"] + ["美术"] * (len(body) - 1)
    sheets["交流名单"] = ex
    t5 = next(frame for title, frame, *_ in memo_tables(sheets) if title.startswith("交流轮岗人数"))
    rows = t5[t5["学科"] != T].set_index("学科")
    assert set(rows.index) == {"音乐", "美术"}
    assert int(rows.loc["音乐", "合计"]) == 1 and int(rows.loc["美术", "合计"]) == len(body) - 1


def test_memo_names_the_subjects_without_curriculum_periods():
    # 心理健康 has teachers but no periods in the curriculum: its 2.5 FTE are all 富余, and the note says so
    from staffplan.report.docx import memo_tables
    gaps = pd.DataFrame({"学校代码": ["S1", "S1", "S2"], "学校名称": ["甲", "甲", "乙"], "学段": "小学",
                         "学科": ["语文", "心理健康", "心理健康"], "需求课时": [120.0, 0.0, 0.0],
                         "供给课时": [108.0, 14.0, 21.0], "缺口课时": [12.0, -14.0, -21.0],
                         "缺口人数": [1.0, -1.0, -1.5], "是否紧缺": ["紧缺", "", ""]})
    note = next(t[4] for t in memo_tables({"学科缺口": gaps}) if t[0] == "分学科教师缺口汇总")
    assert "心理健康在课程方案中没有单列周课时，这些学科的教师（折合 2.5 人）全部计为富余" in note
    assert "语文在课程方案" not in note
