"""Acceptance in print: the example district's memo and both workbooks, rendered by LibreOffice to PDF and
read back with pdftotext, state the same figures — every figure in the memo's text equals its table's 合计
and the workbook's 合计, and where a scope differs (signed workbook sums vs shortages only) the memo says
so. Also: no internal word and no roster name in the printed memo, odd/even page numbers.
Skipped when soffice / poppler are not installed."""
from __future__ import annotations

import re
import shutil

import pytest

from staffplan.cli import example_path
from staffplan.config import load_config
from staffplan.forecast.pipeline import run_forecast
from staffplan.io.dataset import load_dataset
from staffplan.optimize.pipeline import run_rotate
from staffplan.report.docx import write_report
from staffplan.report.meta import RunMeta
from staffplan.report.privacy import mask_sheets
from staffplan.report.workbook import write_workbook

from test_report_figures import INTERNAL_WORDS
from test_report_office import pdf_text, to_pdf

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                                reason="LibreOffice (soffice) or poppler-utils not installed")


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    ds = load_dataset(example_path())
    cfg = load_config(None)
    fc = run_forecast(ds, cfg)
    rot = run_rotate(ds, cfg, forecast=fc)
    meta = RunMeta("report", fc.plan_year, parameters=cfg.table(),
                   inputs=[{k: v for k, v in s.items() if k != "path"} for s in ds.sources],
                   solver={"name": "cbc", "status": "最优", "objective": -1.5})
    fsheets, rsheets = mask_sheets(fc.sheets()), mask_sheets(rot.sheets())
    xf = write_workbook(tmp / "预测.xlsx", fsheets, meta)
    # the rotation workbook without 交流资格 (one row per roster row: long to print, no figure of the memo)
    xr = write_workbook(tmp / "交流.xlsx", {k: v for k, v in rsheets.items() if k != "交流资格"}, meta)
    doc = write_report(tmp / "附件.docx", {**fsheets, **rsheets}, meta, district_name="示例区",
                       rotation_summary=rot.summary())
    out = tmp / "pdf"
    out.mkdir()
    pdfs = to_pdf([doc, xf, xr], out, tmp / "lo-profile")
    names = set(ds.teachers["name"].astype(str)) if "name" in ds.teachers else set()
    return {k: pdf_text(p).replace(",", "") for k, p in zip(("memo", "forecast", "rotation"), pdfs)}, names


def _squash(text: str) -> str:
    """The text without white space and without the page numbers (「— 1 —」) a sentence may run across."""
    return re.sub(r"\s+", "", re.sub(r"\n\s*—\s*\d+\s*—\s*\n", "\n", text))


def _total_lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip().startswith("合计")]


def _has_total(text: str, *numbers: str) -> bool:
    """Some 合计 line of ``text`` shows all ``numbers`` (as printed, 2332 or 2332.0)."""
    def norm(tok):
        try:
            return f"{float(tok):g}"
        except ValueError:
            return tok
    want = {f"{float(n):g}" for n in numbers}
    return any(want <= {norm(t) for t in toks} for toks in _total_lines(text))


def test_every_figure_in_the_text_equals_the_tables(printed):
    texts, _names = printed
    memo = _squash(texts["memo"])
    fc, rot = texts["forecast"], texts["rotation"]
    students, classes = re.search(r"预计在校生(\d+)人、(\d+)个班", memo).groups()
    assert _has_total(texts["memo"], students, classes)          # 表1 合计
    assert _has_total(fc, students, classes)                     # 学生预测 and 编制测算 合计
    n_schools, standard = re.search(r"(\d+)所学校标准编制合计(\d+)名", memo).groups()
    on_quota = re.search(r"现有在编教师(\d+)名", memo).group(1)
    net = re.search(r"全区合计缺编(\d+)名", memo).group(1)
    assert _has_total(texts["memo"], standard, on_quota, net) and _has_total(fc, standard, on_quota, net)
    assert f"合计为{n_schools}所学校之和" in memo
    approved_schools, approved = re.search(r"已核定编制的(\d+)所学校核定(\d+)名", memo).groups()
    assert _has_total(texts["memo"], approved) and _has_total(fc, approved)
    assert f"核定编制合计只含已核定的{approved_schools}所学校" in memo  # the scope of 核定 is stated
    short, surplus = re.search(r"各校学科缺口合计([\d.]+)人、富余([\d.]+)人（缺口与富余不相互抵消）", memo).groups()
    assert _has_total(texts["memo"], short, surplus)
    # the workbook's 学科缺口 合计 is signed (surplus negative): shortages − surpluses
    # (each of the two memo figures is rounded to 0.1 on its own, so their difference may be off by one in the
    # last digit from the signed total rounded once: 164.64 − 540.85 = −376.21 → −376.2, vs 164.6 − 540.9 = −376.3)
    signed = float(short) - float(surplus)
    assert any(abs(float(t) - signed) <= 0.1 + 1e-9 for toks in _total_lines(fc) for t in toks
               if re.fullmatch(r"-?\d+(\.\d+)?", t))
    recruit = re.search(r"建议\d+年招聘教师(\d+)名", memo).group(1)
    assert _has_total(texts["memo"], recruit) and _has_total(fc, recruit)
    moved = re.search(r"安排交流(\d+)名", memo).group(1)
    assert _has_total(texts["memo"], moved) and re.search(rf"合计\s+{moved}\s*人", rot)
    teachers, hosts, periods, subsidy = re.search(r"的(\d+)名教师到(\d+)所学校走教，每周共(\d+)课时，走教补贴每月合计(\d+)元",
                                                  memo).groups()
    assert _has_total(texts["memo"], teachers, periods, subsidy) and _has_total(rot, periods, subsidy)
    before = re.search(r"交流和走教前全区每周缺([\d.]+)课时", memo).group(1)
    covered = re.search(r"交流派入和走教补足([\d.]+)课时", memo).group(1)
    created = re.search(r"新出现或加深缺口([\d.]+)课时", memo).group(1)
    after = re.search(r"安排后全区每周仍缺([\d.]+)课时", memo).group(1)
    assert abs(float(before) - float(covered) + float(created) - float(after)) < 0.05
    assert _has_total(texts["memo"], before, covered, created, after)  # 表7 合计
    # the rotation workbook's 缺口覆盖 合计 is a signed sum over every cell: a different scope, stated in the memo
    assert "计划前缺口只计当时缺课的学校学科（富余不抵缺口）" in memo
    assert "派出后新增缺口为教师派出后派出学校新出现或加深的缺口" in memo


def test_printed_memo_has_no_internals_no_names_and_odd_even_numbers(printed):
    texts, names = printed
    memo = texts["memo"]
    for word in INTERNAL_WORDS:
        assert word not in memo, word
    flat = _squash(memo)
    named = sorted(n for n in names if len(n) >= 2 and n in flat)
    assert not named
    assert "资料来源：区教育局教职工花名册、2025学年教育事业统计" in flat
    pages = memo.split("\f")
    numbered = [p for p in pages if re.search(r"—\s*\d+\s*—", p)]
    assert len(numbered) >= 2
    # odd pages: the number at the right margin; even pages: at the left
    indent = {}
    for k, page in enumerate(numbered, 1):
        line = next(ln for ln in reversed(page.splitlines()) if re.search(rf"—\s*{k}\s*—", ln))
        indent[k] = len(line) - len(line.lstrip())
    odd = [v for k, v in indent.items() if k % 2]
    even = [v for k, v in indent.items() if not k % 2]
    assert min(odd) > max(even) + 10, indent
