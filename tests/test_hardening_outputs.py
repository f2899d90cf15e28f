"""Outputs under attack (issue 8): privacy, formula/CSV injection, determinism, no lost work.

Runs the real CLI (in-process, typer's CliRunner) on small valid data sets from tests/hardening/make_corpus.py.
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hardening"))
import make_corpus  # noqa: E402
from runner import HEALTH_WORDS, ID18, all_text, invoke, sheet_values, tree_hashes  # noqa: E402

MASKED_ID = re.compile(r"[1-9]\d{5}\*{8}[\dX]{4}")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def _ok(run, *codes):
    codes = codes or (0,)
    assert "Traceback" not in run.output, run.output
    assert run.code in codes, f"exit {run.code}\n{run.output}"


# ----------------------------------------------------------------------------- shared runs
@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_corpus.write_base(tmp_path_factory.mktemp("base") / "数据")


@pytest.fixture(scope="module")
def base_ids() -> set[str]:
    return {row[1] for row in make_corpus.build_base()["教师"][1]}


@pytest.fixture(scope="module")
def runs(base, tmp_path_factory) -> dict:
    """forecast and rotate twice each on the base (determinism), inputs hashed around every run."""
    out = tmp_path_factory.mktemp("runs")
    result = {"out": out, "changed": []}
    for name, args in [("f1", ["forecast", base, "--out", out / "f1.xlsx"]),
                       ("f2", ["forecast", base, "--out", out / "f2.xlsx"]),
                       ("r1", ["rotate", base, "--out", out / "r1.xlsx"]),
                       ("r2", ["rotate", base, "--out", out / "r2.xlsx"]),
                       ("check", ["check", base]),
                       ("backtest", ["backtest", base, "--out", out / "b.xlsx", "--years", "1"]),
                       ("explain", ["explain", base, "--teacher", "T0001"])]:
        before = tree_hashes(base)
        result[name] = invoke(args)
        if tree_hashes(base) != before:
            result["changed"].append(name)
    return result


@pytest.fixture(scope="module")
def id_keyed(tmp_path_factory):
    """Data set keyed by 身份证号 (no 教师编号), run with default masking and with --show-id."""
    folder, ids = make_corpus.write_id_keyed_dataset(tmp_path_factory.mktemp("idkeyed") / "数据")
    out = tmp_path_factory.mktemp("idruns")
    runs = {
        "check": invoke(["check", folder]),
        "forecast": invoke(["forecast", folder, "--out", out / "f.xlsx"]),
        "rotate": invoke(["rotate", folder, "--out", out / "r.xlsx"]),
        "rotate_show": invoke(["rotate", folder, "--out", out / "r_show.xlsx", "--show-id"]),
        "explain": invoke(["explain", folder, "--teacher", ids[0]]),
    }
    return folder, ids, out, runs


@pytest.fixture(scope="module")
def injection(tmp_path_factory):
    folder, hostile = make_corpus.write_injection_dataset(tmp_path_factory.mktemp("inj") / "数据")
    out = tmp_path_factory.mktemp("injout")
    runs = {
        "forecast": invoke(["forecast", folder, "--out", out / "f.xlsx"]),
        "rotate": invoke(["rotate", folder, "--out", out / "r.xlsx"]),
        "forecast_csv": invoke(["forecast", folder, "--out", out / "fcsv" / "预测", "--format", "csv"]),
        "rotate_csv": invoke(["rotate", folder, "--out", out / "rcsv" / "交流", "--format", "csv"]),
    }
    return folder, hostile, out, runs


# ----------------------------------------------------------------------------- determinism
def test_forecast_is_deterministic(runs):
    _ok(runs["f1"]), _ok(runs["f2"])
    a, b = sheet_values(runs["out"] / "f1.xlsx"), sheet_values(runs["out"] / "f2.xlsx")
    assert a.keys() == b.keys()
    for sheet in a:
        assert a[sheet] == b[sheet], f"sheet {sheet} differs between two identical runs"


def test_rotate_is_deterministic(runs):
    _ok(runs["r1"]), _ok(runs["r2"])
    a, b = sheet_values(runs["out"] / "r1.xlsx"), sheet_values(runs["out"] / "r2.xlsx")
    assert a.keys() == b.keys()
    for sheet in a:
        assert a[sheet] == b[sheet], f"sheet {sheet} differs between two identical runs"


def test_inputs_unchanged_by_every_command(runs):
    for name in ("f1", "r1", "check", "backtest", "explain"):
        assert "Traceback" not in runs[name].output, runs[name].output
        assert runs[name].code in (0, 3), (name, runs[name].output[-1500:])
    assert runs["changed"] == []


def test_no_temporary_files_left(runs):
    _ok(runs["f1"])
    leftovers = [p.name for p in runs["out"].rglob("*") if p.name.startswith((".~", "~$"))]
    assert leftovers == []


# ----------------------------------------------------------------------------- privacy
def test_no_full_id_printed(runs, id_keyed, base_ids):
    _folder, ids, _out, idruns = id_keyed
    every = set(ids) | base_ids
    for name, run in list(runs.items()) + list(idruns.items()):
        if not hasattr(run, "output"):
            continue
        assert "Traceback" not in run.output, (name, run.output)
        printed = [m for m in ID18.findall(run.output) if m.upper() in every]
        assert not printed, f"{name}: a full 身份证号 was printed"


def test_ids_masked_in_outputs_by_default(id_keyed):
    _folder, ids, out, idruns = id_keyed
    for name, file in (("forecast", "f.xlsx"), ("rotate", "r.xlsx")):
        _ok(idruns[name])
        text = all_text(out / file)
        full = [i for i in ids if i in text]
        assert not full, f"{file}: full 身份证号 in the workbook (default must mask)"
    text = all_text(out / "r.xlsx")
    assert MASKED_ID.search(text), "rotate workbook should show masked 身份证号 as 教师编号"


def test_show_id_shows_full_ids(id_keyed):
    _folder, ids, out, idruns = id_keyed
    _ok(idruns["rotate_show"])
    values = sheet_values(out / "r_show.xlsx")
    text = "\n".join(str(v) for rows in values.values() for row in rows for v in row if v is not None)
    assert any(i in text for i in ids), "--show-id must show full 身份证号"
    note = "\n".join(str(v) for row in sheet_values(out / "r_show.xlsx", skip=()).get("说明", [])
                     for v in row if v is not None)
    assert "show_id" in note or "证件号" in note or "身份证" in note, "the 说明 sheet must record that IDs were shown"


def test_no_health_words_in_rotation_lists(runs):
    _ok(runs["r1"])
    values = sheet_values(runs["out"] / "r1.xlsx")
    for sheet in ("交流资格", "交流名单"):
        assert sheet in values, f"rotate workbook lacks {sheet}"
        text = "\n".join(str(v) for row in values[sheet] for v in row if v is not None)
        found = [w for w in HEALTH_WORDS if w in text]
        assert not found, f"{sheet} names health situations: {found}"


def test_no_health_words_in_any_output_sheet(runs):
    """Stricter: no sheet of either workbook (说明 included) names a health situation."""
    for file in ("f1.xlsx", "r1.xlsx"):
        text = all_text(runs["out"] / file)
        found = [w for w in HEALTH_WORDS if w in text]
        assert not found, f"{file} names health situations: {found}"


def test_no_birth_dates_in_outputs(runs):
    """Birth dates are personal: no output cell holds a teacher's exact birth date."""
    births = {row[4].isoformat() for row in make_corpus.build_base()["教师"][1]}
    for file in ("f1.xlsx", "r1.xlsx"):
        values = sheet_values(runs["out"] / file)
        cells = {str(v)[:10] for rows in values.values() for row in rows for v in row if v is not None}
        assert not (cells & births), f"{file} holds birth dates"


# ----------------------------------------------------------------------------- formula / CSV injection
def _formula_cells(path: Path) -> list[tuple[str, str, str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)  # not read-only: data_type is reliable
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    found.append((ws.title, c.coordinate, str(c.value)))
    return found


def test_workbooks_hold_no_injected_formulas(injection):
    folder, hostile, out, runs = injection
    for name, file in (("forecast", "f.xlsx"), ("rotate", "r.xlsx")):
        _ok(runs[name], 0, 3)
        formulas = _formula_cells(out / file)
        payloads = [h.lstrip("=+-@\t") for h in hostile]
        bad = [f for f in formulas if any(p[:6] in f[2] for p in payloads) or "HYPERLINK" in f[2].upper()]
        assert not bad, f"{file}: input text became formulas: {bad[:5]}"


def test_hostile_text_kept_as_text(injection):
    folder, hostile, out, runs = injection
    _ok(runs["rotate"], 0, 3)
    values = sheet_values(out / "r.xlsx")
    text = {str(v) for rows in values.values() for row in rows for v in row if v is not None}
    teacher_names = [h for h in hostile if "师" in h]
    # 交流资格 lists every roster row, so every hostile teacher name must be there, as text
    present = [h for h in teacher_names if h.strip() in text or "'" + h.strip() in text]
    assert len(present) == len(teacher_names), f"missing names: {set(teacher_names) - set(present)}"


def _csv_cells(folder: Path):
    for p in sorted(q for q in folder.rglob("*.csv") if q.is_file()):
        raw = p.read_bytes()
        text = raw.decode("utf-8-sig")
        for i, row in enumerate(csv.reader(text.splitlines())):
            for cell in row:
                yield p.name, i + 1, cell


def test_csv_cells_neutralised(injection):
    folder, hostile, out, runs = injection
    for name, sub in (("forecast_csv", "fcsv"), ("rotate_csv", "rcsv")):
        _ok(runs[name], 0, 3)
        cells = list(_csv_cells(out / sub))
        assert cells, f"{name}: no CSV written under {out / sub}"
        dangerous = [(f, r, c) for f, r, c in cells if c.startswith(FORMULA_START) and not NUMBER.match(c)]
        assert not dangerous, f"{name}: CSV cells that a spreadsheet would run as formulas: {dangerous[:5]}"


@pytest.fixture(scope="module")
def markup(tmp_path_factory):
    folder, hostile = make_corpus.write_markup_dataset(tmp_path_factory.mktemp("markup") / "数据")
    out = tmp_path_factory.mktemp("markupout")
    runs = {
        "check": invoke(["check", folder]),
        "forecast": invoke(["forecast", folder, "--out", out / "f.xlsx"]),
        "rotate": invoke(["rotate", folder, "--out", out / "r.xlsx"]),
    }
    return folder, hostile, out, runs


@pytest.mark.parametrize("command", ["check", "forecast", "rotate"])
def test_console_prints_names_literally(markup, command):
    """School/teacher names are data, not rich markup: printed as written, never a crash."""
    _folder, hostile, _out, runs = markup
    run = runs[command]
    assert "Traceback" not in run.output and "MarkupError" not in run.output, run.output[-2000:]
    assert run.code in (0, 3), run.output[-2000:]
    if command == "forecast":  # the console summary lists schools by name
        shown = [h for h in hostile if "学校" in h and h in run.output]
        assert shown, "no school name printed literally (markup swallowed?)"


# ----------------------------------------------------------------------------- no lost work
@pytest.fixture
def fresh(base, tmp_path) -> Path:
    """A private copy of the base (these tests try to damage it)."""
    import shutil

    return Path(shutil.copytree(base, tmp_path / "数据"))


@pytest.mark.parametrize("command", ["forecast", "rotate", "backtest"])
def test_existing_output_not_overwritten(fresh, tmp_path, command):
    target = tmp_path / "已有.xlsx"
    target.write_bytes(b"planner's own work")
    run = invoke([command, fresh, "--out", target])
    assert run.code == 2, run.output
    assert "--force" in run.output
    assert target.read_bytes() == b"planner's own work"


@pytest.mark.parametrize("command", ["forecast", "rotate"])
def test_out_onto_an_input_file_is_refused(fresh, tmp_path, command):
    before = tree_hashes(fresh)
    run = invoke([command, fresh, "--out", fresh / "教师.xlsx", "--force"])
    assert "Traceback" not in run.output
    assert run.code == 2, run.output
    assert "输入" in run.output
    assert tree_hashes(fresh) == before


def test_out_onto_a_workbook_data_set_is_refused(tmp_path):
    t = make_corpus.build_base()
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in t.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(r)
    data = tmp_path / "全区数据.xlsx"
    wb.save(data)
    before = data.read_bytes()
    run = invoke(["forecast", data, "--out", data, "--force"])
    assert run.code == 2, run.output
    assert data.read_bytes() == before


def test_out_is_a_folder(fresh, tmp_path):
    run = invoke(["forecast", fresh, "--out", tmp_path])
    assert "Traceback" not in run.output
    assert run.code == 2, run.output


def _crash_on_save(monkeypatch, exc: BaseException):
    """Make every workbook save fail half-way (disk full, Ctrl-C …): after the first worksheet part is written."""
    from openpyxl.writer.excel import ExcelWriter

    real = ExcelWriter.write_worksheet
    calls = {"n": 0}

    def write_worksheet(self, ws):
        calls["n"] += 1
        if calls["n"] > 1:
            raise exc
        return real(self, ws)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", write_worksheet)


@pytest.mark.parametrize("exc,code", [(OSError(28, "No space left on device"), (2, 4)), (KeyboardInterrupt(), (130,))],
                         ids=["disk-full", "ctrl-c"])
def test_crash_while_writing_leaves_nothing(fresh, tmp_path, monkeypatch, exc, code):
    _crash_on_save(monkeypatch, exc)
    out = tmp_path / "out"
    out.mkdir()
    run = invoke(["forecast", fresh, "--out", out / "预测.xlsx"])
    assert "Traceback" not in run.output, run.output
    assert run.code in code, run.output
    assert list(out.iterdir()) == [], [p.name for p in out.iterdir()]


def test_crash_while_overwriting_keeps_the_old_file(fresh, tmp_path, monkeypatch):
    target = tmp_path / "预测.xlsx"
    target.write_bytes(b"last week's forecast")
    _crash_on_save(monkeypatch, OSError(28, "No space left on device"))
    run = invoke(["forecast", fresh, "--out", target, "--force"])
    assert "Traceback" not in run.output, run.output
    assert run.code != 0
    assert target.read_bytes() == b"last week's forecast"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["数据", "预测.xlsx"]  # no temporary file left
