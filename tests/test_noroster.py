"""A data set whose roster holds only its header (a roster still being collected, issue 18): ``check`` warns,
``forecast`` plans with zero supply and says so in 说明, ``rotate`` / ``report`` / ``explain`` stop with one
sentence and write nothing."""
from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from typer.testing import CliRunner

from staffplan.cli import app, example_path
from staffplan.io.validate import EMPTY_ROSTER

runner = CliRunner()


@pytest.fixture(scope="module")
def noroster(tmp_path_factory):
    dst = tmp_path_factory.mktemp("nr") / "示例区"
    shutil.copytree(example_path(), dst)
    header = [c.value for c in next(openpyxl.load_workbook(dst / "教师.xlsx", read_only=True).active.iter_rows(max_row=1))]
    (dst / "教师.xlsx").unlink()
    (dst / "教师.csv").write_text(",".join(str(h) for h in header if h) + "\n", encoding="utf-8")
    return dst


def test_check_warns_and_passes(noroster):
    result = runner.invoke(app, ["check", str(noroster), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["counts"]["teachers"] == 0
    warn = [i for i in payload["issues"] if i["severity"] == "警告" and i["message"].startswith(EMPTY_ROSTER)]
    assert len(warn) == 1 and warn[0]["file"] == "教师.csv"


def test_forecast_zero_supply_with_note(noroster, tmp_path):
    out = tmp_path / "预测.xlsx"
    result = runner.invoke(app, ["forecast", str(noroster), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    notes = [r[2] for r in wb["说明"].iter_rows(values_only=True) if r[0] == "备注"]
    assert any(str(n).startswith(EMPTY_ROSTER) for n in notes)
    rows = list(wb["学科缺口"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "学校代码")
    cols = rows[head]
    body = [dict(zip(cols, r)) for r in rows[head + 1:] if str(r[0] or "").isdigit()]  # school rows
    # zero supply: every gap is the whole demand, and every school is short (紧缺 from 0.5 FTE on)
    assert body and all(not r.get("供给课时") and r.get("缺口课时") == r.get("需求课时") for r in body)
    assert {r["学校代码"] for r in body} == {r["学校代码"] for r in body if r.get("是否紧缺") == "紧缺"}
    plan = list(wb["招聘计划"].iter_rows(values_only=True))
    assert plan[-1][0] == "合计" and plan[-1][2] > 0


@pytest.mark.parametrize("command,extra", [("rotate", ["--out", "{tmp}/交流.xlsx"]),
                                           ("report", ["--out", "{tmp}/附件.docx"]),
                                           ("explain", ["--teacher", "T001"])])
def test_nothing_to_rotate_is_one_sentence(noroster, tmp_path, command, extra):
    args = [command, str(noroster)] + [a.format(tmp=tmp_path) for a in extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "教师名册为空" in result.output and "教师.csv" in result.output
    assert list(tmp_path.iterdir()) == []          # nothing written, not even a partial workbook
