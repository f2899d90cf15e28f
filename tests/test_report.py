"""Output writers: workbook, CSV/JSON, charts, the Word memo (hand-made sheets, hand-computed numbers)."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from staffplan.errors import OutputError
from staffplan.report.meta import RunMeta, meta_sheet
from staffplan.report.workbook import ChartSpec, write_workbook
from staffplan.report.tables import write_tables

T = "合计"


# --------------------------------------------------------------------------- sample sheets (shared with
# test_report_office.py and test_report_figures.py)

def forecast_sheets() -> dict[str, pd.DataFrame]:
    students = pd.DataFrame({
        "学校代码": ["S01", "S01", "S02", "S03", "S03", T],
        "学校名称": ["城关第一小学", "城关第一小学", "河口镇中心小学", "河口九年一贯制学校", "河口九年一贯制学校", ""],
        "学段": ["小学", "小学", "小学", "小学", "初中", ""],
        "年级": ["一年级", "二年级", "一年级", "一年级", "七年级", ""],
        "预测学生数": [320, 305, 88, 41, 126, 880],
        "预测班数": [7, 7, 2, 1, 3, 20],
        "下限": [300, 290, 80, 36, 118, np.nan], "上限": [340, 320, 96, 46, 134, np.nan]})
    quota = pd.DataFrame({
        "学校代码": ["S01", "S02", "S03", "S03", "S03", T],
        "学校名称": ["城关第一小学", "河口镇中心小学", "河口九年一贯制学校", "河口九年一贯制学校", "河口九年一贯制学校", ""],
        "学段": ["全校", "全校", "全校", "小学", "初中", ""],
        "预测学生数": [1850, 520, 760, 430, 330, 3130],
        "预测班数": [40, 12, 19, 10, 9, 71],
        "标准编制": [97, 30, 49, 23.4, 24.4, 176],
        "核定编制": [95, 30, 48, np.nan, np.nan, 173],
        "在编教师": [99, 26, 47, 25, 22, 172],
        "预计退休": [3, 1, 2, 1, 1, 6],
        "年内退休": [2, 0, 1, 0, 1, 3],
        "临聘教师": [4, 3, 2, 1, 1, 9],
        "缺编": [1, 5, 4, -0.6, 3.4, 10]})
    gaps = pd.DataFrame({
        "学校代码": ["S01", "S01", "S02", "S02", "S03", "S03", T],
        "学校名称": ["城关第一小学", "城关第一小学", "河口镇中心小学", "河口镇中心小学", "河口九年一贯制学校", "河口九年一贯制学校", ""],
        "学段": ["小学", "小学", "小学", "小学", "初中", "初中", ""],
        "学科": ["音乐", "语文", "音乐", "美术", "英语", "美术", ""],
        "需求课时": [40, 160, 24, 24, 60, 12, 320],
        "供给课时": [28, 172, 12, 14, 50, 12, 288],
        "缺口课时": [12, -12, 12, 10, 10, 0, 32],
        "缺口人数": [0.86, -1.0, 0.86, 0.71, 1.0, 0.0, 2.43],
        "是否紧缺": ["紧缺", "", "紧缺", "紧缺", "紧缺", "", ""]})
    recruit = pd.DataFrame({
        "学段": ["小学", "小学", "初中", T],
        "学科": ["音乐", "美术", "英语", ""],
        "建议招聘人数": [2, 1, 1, 4],
        "学历要求": ["本科及以上", "本科及以上", "本科及以上", ""],
        "涉及学校": ["城关第一小学、河口镇中心小学", "河口镇中心小学", "河口九年一贯制学校", ""],
        "说明": ["", "", "", ""]})
    indicators = pd.DataFrame({"指标": ["小学教师本科及以上学历比例", "专职教研员人数"], "目标": [0.58, 43],
                               "当前值": [0.612, 40], "是否达标": ["是", "否"]})
    return {"学生预测": students, "编制测算": quota, "学科缺口": gaps, "招聘计划": recruit, "指标": indicators}


def rotation_sheets() -> dict[str, pd.DataFrame]:
    exchange = pd.DataFrame({
        "教师编号": ["T001", "T002", "T003", T],
        "姓名": ["张明", "李华", "王芳", "3 人"],
        "学科": ["语文", "音乐", "语文", ""],
        "职称": ["一级教师", "高级教师", "一级教师", ""],
        "原学校代码": ["S01", "S01", "S03", ""], "原学校": ["城关第一小学", "城关第一小学", "河口九年一贯制学校", ""],
        "交流学校代码": ["S02", "S02", "S01", ""], "交流学校": ["河口镇中心小学", "河口镇中心小学", "城关第一小学", ""],
        "交流类型": ["城乡交流", "城乡交流", "强弱交流", ""],
        "距离公里": [12.4, 12.4, 8.25, np.nan], "交流年限": [3, 3, 2, np.nan],
        "原因": ["应交流，在本校任教 7.0 年", "应交流", "自愿交流", ""]})
    zoujiao = pd.DataFrame({
        "教师编号": ["T010", "T010", "T011", T], "姓名": ["赵敏", "赵敏", "陈刚", ""],
        "学科": ["音乐", "音乐", "美术", ""], "本校代码": ["S01", "S01", "S03", ""],
        "本校": ["城关第一小学", "城关第一小学", "河口九年一贯制学校", ""],
        "走教学校代码": ["S02", "S04", "S02", ""], "走教学校": ["河口镇中心小学", "石岭村教学点", "河口镇中心小学", ""],
        "周课时": [4, 2, 4, 10], "单程公里": [12.4, 14.85, 6.0, np.nan], "补贴元每月": [480.0, 240.0, 480.0, 1200.0]})
    eligibility = pd.DataFrame({
        "教师编号": ["T001", "T002", "T003", "T004", "T005"], "姓名": ["张明", "李华", "王芳", "刘洋", "孙丽"],
        "学校代码": ["S01", "S01", "S03", "S03", "S02"],
        "资格": ["应交流", "应交流", "不符合", "暂缓", "应交流"], "依据": ["", "", "", "", ""]})
    coverage = pd.DataFrame({
        "学校代码": ["S02", "S02", "S04", T], "学校名称": ["河口镇中心小学", "河口镇中心小学", "石岭村教学点", ""],
        "学段": ["小学", "小学", "小学", ""], "学科": ["音乐", "美术", "音乐", ""],
        "原缺口课时": [12, 10, 3, 25], "交流补充课时": [6, 0, 0, 6], "走教补充课时": [4, 4, 2, 10],
        "剩余缺口课时": [2, 6, 1, 9]})
    return {"交流名单": exchange, "走教安排": zoujiao, "交流资格": eligibility, "缺口覆盖": coverage}


def sample_meta(tmp_path: Path | None = None, command: str = "forecast", when: str = "2026-03-01 09:00:00") -> RunMeta:
    inputs = []
    if tmp_path is not None:
        f = tmp_path / "教师.xlsx"
        if not f.exists():
            f.write_bytes(b"not really a workbook")
        inputs.append({"table": "教师", "file": f.name, "sheet": "Sheet1",
                       "sha256": hashlib.sha256(f.read_bytes()).hexdigest()})
    return RunMeta(command=command, plan_year=2026,
                   parameters=[("quota.ratio_primary", 19.0, "默认"), ("shortage.threshold", 0.5, "默认"),
                               ("exchange.stages", ["小学", "初中"], "配置文件 staffplan.toml")],
                   inputs=inputs, solver={"name": "cbc", "status": "最优"} if command == "rotate" else None,
                   options={"show_id": False, "horizon": 1}, generated_at=when)


# --------------------------------------------------------------------------- meta

def test_meta_sheet_lists_year_parameters_inputs_and_time(tmp_path):
    meta = sample_meta(tmp_path, command="rotate")
    df = meta_sheet(meta)
    rows = {(a, b): (c, d) for a, b, c, d in df.itertuples(index=False)}
    assert rows[("运行", "计划年度")][0] == "2026（2026—2027学年）"
    assert rows[("运行", "时间要求")][0] == "交流人选经双向选择确定，于 9 月 1 日前到岗"
    assert rows[("参数", "quota.ratio_primary")] == ("19.0", "默认")
    assert rows[("参数", "exchange.stages")] == ("小学、初中", "配置文件 staffplan.toml")
    expected = hashlib.sha256(b"not really a workbook").hexdigest()
    assert rows[("输入文件", "教师")] == ("教师.xlsx（工作表 Sheet1）", f"SHA-256 {expected}")
    assert rows[("求解", "求解器")][0] == "cbc" and rows[("求解", "求解状态")][0] == "最优"
    assert rows[("选项", "显示完整证件号/编号")][0] == "否"
    assert rows[("运行", "生成时间")][0] == "2026-03-01 09:00:00"
    # forecast outputs carry no exchange deadline
    assert "时间要求" not in set(meta_sheet(sample_meta(tmp_path, "forecast"))["项目"])


# --------------------------------------------------------------------------- workbook

def _wb(tmp_path, name="预测.xlsx", sheets=None, **kw):
    return write_workbook(tmp_path / name, sheets or forecast_sheets(), sample_meta(tmp_path), **kw)


def test_workbook_sheets_titles_layout_and_print_setup(tmp_path):
    path = _wb(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["学生预测", "编制测算", "学科缺口", "招聘计划", "指标", "说明"]
    ws = wb["学生预测"]
    assert ws["A1"].value.startswith("2026—2027学年学生预测\n单位：人") and ws["A1"].font.b  # title + 单位 line
    assert [c.value for c in ws[2]] == ["学校代码", "学校名称", "学段", "年级", "预测学生数", "预测班数", "下限", "上限"]
    assert ws["A2"].font.b and ws["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:H7"  # header + 5 data rows; the 合计 row (8) is outside the filter
    assert ws.print_title_rows == "$2:$2"  # the header row on every page
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # printed at full size, not shrunk to one page wide
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页" and ws.oddHeader.right.text == "内部资料"
    # 合计 row: bold with a top border
    assert ws["A8"].value == T and ws["A8"].font.b and ws["E8"].font.b
    assert ws["A8"].border.top.style == "thin"
    # widths: 学校名称 "河口九年一贯制学校" = 9 CJK chars → 18 + 2
    assert ws.column_dimensions["B"].width == 20
    assert wb["说明"]["A1"].value.startswith("2026—2027学年运行说明")


def test_workbook_numbers_are_numbers_with_formats(tmp_path):
    wb = openpyxl.load_workbook(_wb(tmp_path))
    ws = wb["编制测算"]
    head = {c.value: c.column for c in ws[2]}
    row = {k: ws.cell(3, v) for k, v in head.items()}
    assert row["预测学生数"].value == 1850 and row["预测学生数"].data_type == "n"
    assert row["预测学生数"].number_format == "#,##0"  # integer column with values >= 1000
    assert row["预测班数"].number_format == "0"
    assert row["标准编制"].number_format == "0.0" and row["缺编"].number_format == "0.0"
    assert ws.cell(4, head["核定编制"]).value == 30
    assert ws.cell(6, head["核定编制"]).value is None  # NaN → empty cell
    ws = wb["学科缺口"]
    head = {c.value: c.column for c in ws[2]}
    assert ws.cell(3, head["缺口人数"]).value == pytest.approx(0.86)
    # 1 decimal for 人数-like columns: width covers "-1.0" and the header (4 CJK = 8) + 2
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(head["缺口人数"])].width == 10
    ws = wb["指标"]  # mixed column: numbers stay numbers
    assert ws["B3"].value == pytest.approx(0.58) and ws["B4"].value == 43
    # the rotation sheet: 公里 with 2 decimals
    rw = openpyxl.load_workbook(write_workbook(tmp_path / "交流.xlsx", rotation_sheets(), sample_meta(tmp_path, "rotate")))
    ws = rw["走教安排"]
    head = {c.value: c.column for c in ws[2]}
    assert ws.cell(3, head["单程公里"]).number_format == "0.00"


def test_workbook_never_writes_formulas(tmp_path):
    evil = pd.DataFrame({"学校名称": ['=HYPERLINK("http://x","点我")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "正常"],
                         "人数": [1, 2, 3, 4, 5, 6, -7]})
    path = write_workbook(tmp_path / "x.xlsx", {"名单": evil}, sample_meta(tmp_path))
    wb = openpyxl.load_workbook(path)
    ws = wb["名单"]
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    values = [ws.cell(r, 1).value for r in range(3, 10)]
    assert values[:4] == ['=HYPERLINK("http://x","点我")', "+1", "-2+3", "@SUM(A1)"]
    assert all(ws.cell(r, 1).quotePrefix for r in range(3, 9)) and not ws.cell(9, 1).quotePrefix
    assert ws.cell(9, 2).value == -7 and ws.cell(9, 2).data_type == "n"  # negative numbers stay numbers
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_workbook_atomic_and_refuses_overwrite(tmp_path):
    path = _wb(tmp_path)
    before = path.read_bytes()
    with pytest.raises(OutputError, match="已存在"):
        _wb(tmp_path)
    assert path.read_bytes() == before
    # an exception while writing leaves nothing behind
    bad = tmp_path / "坏.xlsx"
    with pytest.raises(OutputError):
        write_workbook(bad, forecast_sheets(), sample_meta(tmp_path),
                       charts=[ChartSpec("不存在", "bar", "x", "学校名称", ["缺编"])])
    assert not bad.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["教师.xlsx", "预测.xlsx"]
    _wb(tmp_path, force=True)


def test_workbook_deterministic_except_meta(tmp_path):
    a = write_workbook(tmp_path / "a.xlsx", forecast_sheets(), sample_meta(tmp_path, when="2026-01-01 08:00:00"))
    b = write_workbook(tmp_path / "b.xlsx", forecast_sheets(), sample_meta(tmp_path, when="2026-02-02 09:30:00"))
    wa, wb_ = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    for name in wa.sheetnames[:-1]:
        assert [[c.value for c in r] for r in wa[name].iter_rows()] == [[c.value for c in r] for r in wb_[name].iter_rows()]
    assert wa.properties.created == wb_.properties.created and wa.properties.modified == wb_.properties.modified
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        differ = [n for n in za.namelist() if za.read(n) != zb.read(n)]
    assert differ == ["xl/worksheets/sheet6.xml"]  # only 说明 (the sixth sheet) differs


def test_workbook_native_chart(tmp_path):
    path = _wb(tmp_path, charts=[ChartSpec("编制测算", "bar", "标准编制与在编", "学校名称", ["标准编制", "在编教师"])])
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "'编制测算'!F2" in chart and "$B$3:$B$7" in chart  # series title cell; categories exclude 合计


def test_workbook_large_sheet_is_fast(tmp_path):
    """100,000 rows x 12 columns take ~5 s on one core (benchmark by hand); here 25,000 rows in < 5 s."""
    import time
    n = 25_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({f"列{i}": (rng.integers(0, 5000, n) if i % 3 == 0 else rng.random(n) * 10 if i % 3 == 1
                                  else pd.Series(rng.integers(0, 500, n)).astype(str).radd("学校"))
                       for i in range(12)})
    t = time.perf_counter()
    path = write_workbook(tmp_path / "大.xlsx", {"交流资格": df}, sample_meta(tmp_path))
    assert time.perf_counter() - t < 5
    back = pd.read_excel(path, sheet_name="交流资格", header=1, engine="calamine")
    assert back.shape == (n, 12)
    assert back.iloc[n - 1].tolist() == df.iloc[n - 1].tolist()


# --------------------------------------------------------------------------- csv / json

def test_csv_folder_with_bom_meta_and_neutralised_text(tmp_path):
    sheets = {"名单": pd.DataFrame({"姓名": ["=1+1", "张三", T], "人数": [1.5, 2.0, 3.5], "班数": [1.0, np.nan, 1.0]})}
    paths = write_tables(tmp_path / "预测.xlsx", sheets, sample_meta(tmp_path), "csv")
    folder = tmp_path / "预测.csv"
    assert paths == [folder / "名单.csv", folder / "说明.csv"]
    raw = (folder / "名单.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["姓名,人数,班数", "'=1+1,1.5,1", "张三,2.0,", "合计,3.5,1"]
    meta = pd.read_csv(folder / "说明.csv", encoding="utf-8-sig")
    # the same people-worded 说明 as the workbook (meta.meta_for_people): Chinese name, key beside it
    row = meta[meta["参数键"] == "quota.ratio_primary"].iloc[0]
    assert row["项目"] == "小学生师比" and row["来源或说明"] == "默认值"
    with pytest.raises(OutputError, match="已存在"):
        write_tables(folder, sheets, sample_meta(tmp_path), "csv")
    write_tables(folder, sheets, sample_meta(tmp_path), "csv", force=True)
    # a folder that is not an earlier output is never replaced, even with force
    other = tmp_path / "数据.csv"
    other.mkdir()
    (other / "教师.xlsx").write_bytes(b"x")
    with pytest.raises(OutputError, match="拒绝覆盖"):
        write_tables(other, sheets, sample_meta(tmp_path), "csv", force=True)
    assert (other / "教师.xlsx").exists()


def test_json_single_file(tmp_path):
    sheets = {"名单": pd.DataFrame({"姓名": ["=1+1", T], "人数": [1.5, np.nan], "日期": pd.to_datetime(["2026-09-01", None])})}
    (path,) = write_tables(tmp_path / "交流", sheets, sample_meta(tmp_path, "rotate"), "json")
    assert path == tmp_path / "交流.json"
    text = path.read_text(encoding="utf-8")
    assert "交流人选" in text  # not ASCII-escaped
    doc = json.loads(text)
    assert doc["说明"]["计划年度"] == 2026 and doc["说明"]["时间要求"].startswith("交流人选经双向选择")
    # parameters named as in the workbook's 说明 (meta.parameter_names), the key beside
    assert doc["说明"]["参数"][0] == {"参数": "小学生师比", "参数键": "quota.ratio_primary", "值": 19.0, "来源": "默认值"}
    assert doc["sheets"]["名单"] == [{"姓名": "=1+1", "人数": 1.5, "日期": "2026-09-01"},
                                   {"姓名": T, "人数": None, "日期": None}]
    with pytest.raises(OutputError):
        write_tables(tmp_path / "交流.json", sheets, sample_meta(tmp_path), "yaml")


# --------------------------------------------------------------------------- charts

def test_charts_png_deterministic(tmp_path):
    from staffplan.report.charts import enrollment_trend, make_charts, quota_by_school, gaps_by_subject
    history = pd.DataFrame({"school_id": ["S01", "S01", "S03"], "year": [2024, 2025, 2025], "grade": [1, 1, 7],
                            "students": [600, 620, 120]})
    sheets = forecast_sheets()
    trend = enrollment_trend(history, sheets["学生预测"], 2026)
    assert trend.to_dict("records") == [
        {"学年": 2024, "学段": "小学", "学生数": 600.0, "类型": "实际"},
        {"学年": 2025, "学段": "小学", "学生数": 620.0, "类型": "实际"},
        {"学年": 2026, "学段": "小学", "学生数": 754.0, "类型": "预测"},
        {"学年": 2025, "学段": "初中", "学生数": 120.0, "类型": "实际"},
        {"学年": 2026, "学段": "初中", "学生数": 126.0, "类型": "预测"}]
    # school rows only: S03's stage rows are not counted twice; ordered by |缺编|
    assert quota_by_school(sheets["编制测算"])["学校代码"].tolist() == ["S02", "S03", "S01"]
    g = gaps_by_subject(sheets["学科缺口"])
    assert g.set_index("学科").loc["音乐"].tolist() == [2, 1.7, 0.0]  # two schools; 0.86 + 0.86; no surplus
    a, warn = make_charts(sheets, tmp_path / "a", history=history)
    b, _ = make_charts(sheets, tmp_path / "b", history=history)
    assert set(a) == {"enrollment", "quota", "gaps"}
    for k in a:
        assert a[k].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert a[k].read_bytes() == b[k].read_bytes()


def test_charts_without_cjk_font_warn_but_draw(tmp_path, monkeypatch):
    from staffplan.report import charts, fonts
    monkeypatch.setattr(charts, "chart_font", lambda: (None, fonts.NO_CJK_FONT_WARNING))
    out, warn = charts.make_charts(forecast_sheets(), tmp_path, plan_year=2026)
    assert out and warn == [fonts.NO_CJK_FONT_WARNING] and "fonts-noto-cjk" in warn[0]
    assert all(p.exists() for p in out.values())


# --------------------------------------------------------------------------- docx

def _docx_tables(path):
    import docx
    d = docx.Document(str(path))
    out = []
    for t in d.tables:
        out.append([[c.text for c in r.cells] for r in t.rows])
    return d, out


def test_docx_summary_matches_tables(tmp_path):
    from staffplan.report.docx import fmt, summary_numbers, tight, write_report
    sheets = {**forecast_sheets(), **rotation_sheets()}
    path = write_report(tmp_path / "附件.docx", sheets, sample_meta(tmp_path, "report"), district_name="示例区")
    d, tables = _docx_tables(path)
    text = "\n".join(p.text for p in d.paragraphs)
    n = summary_numbers(sheets)
    titles = [p.text for p in d.paragraphs if p.text.startswith("表")]
    assert titles[:3] == ["表1　各校编制测算", "表2　分学科教师缺口汇总", "表3　缺口较大的学校学科（前4项）"]
    t1 = tables[0]
    head, total = t1[0], t1[-1]
    assert total[0] == "合计"
    col = {h: i for i, h in enumerate(head)}
    # the same numbers in the table (with the column's decimals) and in the text
    assert float(total[col["标准编制"]]) == n["quota"].standard == 176  # 97 + 30 + 49, school rows only
    assert float(total[col["在编教师"]]) == n["quota"].on_quota == 172
    assert float(total[col["预测学生数"]]) == 3130  # 1850 + 520 + 760
    assert total[col["缺编"]] == "10.0" and n["quota"].vacancy_net == 10  # column has -0.6, 3.4
    assert f"标准编制合计{fmt(n['quota'].standard)}名" in text and "现有在编教师172名" in text
    assert f"全区合计缺编{fmt(n['quota'].vacancy_net)}名" in text
    # a multi-stage school's own row names its stages; stage rows shown under it, not added into 合计
    assert [r[1] for r in t1[1:-1]] == ["全校", "全校", "小学、初中", "小学", "初中"]
    t2 = tables[1]
    assert t2[0] == ["学科", "缺口学校数", "缺口人数", "富余人数"]
    assert t2[1][:3] == ["音乐", "2", "1.7"] and "音乐（各校共缺1.7人，涉及2所学校）" in text
    # 合计 of 缺口学校数 = schools short in some subject (S01, S02, S03), not 2 + 1 + 1 + 1 = 5
    assert t2[-1][1] == "3" and t2[-1][2] == "3.4" and "3所学校至少缺一个学科" in text
    t4 = tables[3]  # 招聘计划
    assert t4[-1][0] == "合计" and t4[-1][2] == fmt(n["recruit"].total) and "招聘教师4名" in text
    t5 = tables[4]  # 交流 by type × subject
    assert t5[0] == ["学科", "城乡交流", "强弱交流", "合计"]
    assert t5[-1] == ["合计", "2", "1", "3"] and f"安排交流{n['exchange'].teachers}名" in text
    t6 = tables[5]  # 走教 by host school and subject: no names
    assert t6[0] == ["走教学校", "学科", "教师人数", "派出学校数", "周课时", "月补贴"]
    assert t6[1:-1] == [["河口镇中心小学", "美术", "1", "1", "4", "480"], ["河口镇中心小学", "音乐", "1", "1", "4", "480"],
                        ["石岭村教学点", "音乐", "1", "1", "2", "240"]]
    # 赵敏 goes to two schools: counted once in 合计 (2 teachers, 2 home schools), 4 + 4 + 2 = 10 periods
    assert t6[-1] == ["合计", "", "2", "2", "10", "1200"] and "每周共10课时" in text
    t7 = tables[6]
    assert t7[-1][0] == "合计" and t7[-1][1] == "25" and t7[-1][-1] == "9"  # before / after
    assert "交流人选经双向选择确定，于9月1日前到岗" in text
    assert tight("资料来源：区教育局教职工花名册。") in text


def test_docx_layout_fonts_and_missing_parts(tmp_path):
    from staffplan.report.docx import write_report
    path = write_report(tmp_path / "附件.docx", {"编制测算": forecast_sheets()["编制测算"]}, sample_meta(tmp_path, "report"))
    import docx
    d = docx.Document(str(path))
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    paras = d.paragraphs
    assert paras[0].text == "附件" and paras[0].runs[0].font.size.pt == 16
    title = paras[1]
    assert title.runs[0].font.size.pt == 22 and title.alignment == 1  # centred
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
        styles = z.read("word/styles.xml").decode()
        footer = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
    assert 'w:eastAsia="方正小标宋简体"' in xml and 'w:eastAsia="黑体"' in xml and 'w:eastAsia="仿宋_GB2312"' in xml
    assert xml.count("<w:r>") + xml.count("<w:r ") == xml.count('w:eastAsia=')  # every run sets the East-Asian font
    assert 'w:eastAsia="仿宋_GB2312"' in styles
    assert 'w:line="579" w:lineRule="exact"' in xml or 'w:lineRule="exact" w:line="579"' in xml
    assert "PAGE" in footer and "— " in footer
    assert "<w:tblHeader" in xml
    text = "\n".join(p.text for p in paras)
    assert "本次未提供学生预测、学科缺口、招聘计划、交流名单、走教安排" in text


def test_parameter_values_read_as_words_in_the_run_sheet():
    from staffplan.report.meta import format_value

    assert format_value({}) == "（无）" and format_value([]) == "（无）"
    assert format_value({"良好": "合格", "A": "优秀"}) == "A → 优秀；良好 → 合格"
    assert format_value([10, 30]) == "10、30" and format_value(True) == "是"


def test_id_numbers_masked_wherever_they_appear_and_plain_text_untouched():
    import pandas as pd

    from staffplan.report.privacy import mask_series

    # 18-digit ID 440301198503011234 → first 6 + 8 stars + last 4; a 15-digit old ID → 6 + 5 stars + 4
    s = pd.Series(["440301198503011234", "备注 440301850301123 旧证", "T000123", None, "和湖第一中学"], dtype=object)
    assert mask_series(s).tolist() == ["440301********1234", "备注 440301*****1123 旧证", "T000123", None, "和湖第一中学"]
    plain = pd.Series(["甲", "乙", None], dtype=object)
    assert mask_series(plain).tolist() == ["甲", "乙", None]


def test_an_empty_table_cell_keeps_the_table_font_size():
    # an empty cell (a school without 核定编制) had its paragraph mark in the document's default size, so its row
    # printed taller than the others; the mark now carries the table's 10.5 pt (w:sz 21 half-points)
    from docx import Document
    from docx.oxml.ns import qn

    from staffplan.report.docx import SIZE_5, _cell_text

    cell = Document().add_table(rows=1, cols=2).cell(0, 0)
    _cell_text(cell, "")
    sz = cell.paragraphs[0]._p.pPr.find(qn("w:rPr")).find(qn("w:sz"))
    assert SIZE_5.pt == 10.5 and sz.get(qn("w:val")) == "21"
