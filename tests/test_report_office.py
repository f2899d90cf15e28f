"""Print check: LibreOffice turns the workbook and the memo into PDFs of the right page size, with the
table titles and 合计 values in the text. Skipped when soffice / poppler are not installed."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from staffplan.report.docx import write_report
from staffplan.report.workbook import write_workbook

from test_report import forecast_sheets, rotation_sheets, sample_meta

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdfinfo") and shutil.which("pdftotext")),
                                reason="LibreOffice (soffice) or poppler-utils not installed")


def to_pdf(sources: list[Path], out: Path, profile: Path) -> list[Path]:
    """One soffice run (private profile, so parallel runs don't clash) for all files."""
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), *map(str, sources)], check=True, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("soffice took longer than 60 s")
    pdfs = [out / (src.stem + ".pdf") for src in sources]
    assert all(p.exists() for p in pdfs)
    return pdfs


def page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return round(float(w)), round(float(h))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=30).stdout


def test_pdf_of_workbook_and_memo(tmp_path):
    profile = tmp_path / "lo-profile"
    xlsx = write_workbook(tmp_path / "预测.xlsx", forecast_sheets(), sample_meta(tmp_path))
    doc = write_report(tmp_path / "附件.docx", {**forecast_sheets(), **rotation_sheets()},
                       sample_meta(tmp_path, "report"), district_name="示例区",
                       rotation_summary={"compulsory_teachers": 60, "required": 3})
    out = tmp_path / "pdf"
    out.mkdir()
    wpdf, dpdf = to_pdf([xlsx, doc], out, profile)
    assert page_size(wpdf) == (842, 595)  # A4 landscape
    text = pdf_text(wpdf)
    assert re.search(r"2026.{0,6}学年编制测算", text) and "合计" in text and "3130" in text.replace(",", "")
    assert re.search(r"第\s*1\s*页", text)

    assert page_size(dpdf) == (595, 842)  # A4 portrait
    text = re.sub(r"\s+", "", pdf_text(dpdf))  # pdftotext spacing varies
    assert text.startswith("附件") and "表1各校编制测算" in text and "表6走教安排" in text
    assert "合计" in text and "3130" in text and "—1—" in text and "—2—" in text
