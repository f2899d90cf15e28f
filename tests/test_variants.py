"""The reader on files nobody here wrote (issue 14).

``tests/variants/make_variants.py`` writes the example district ``examples/示例区`` in many valid-but-messy
variants (same schools, numbers and people) and in broken variants with exactly one defect each.

- every valid variant: ``staffplan check <variant>`` exits 0 and reports the clean example's counts
  (schools, enrollment rows, teachers) - with ``--json`` once its JSON carries them (a "counts" object),
  until then from the text summary line (one run per variant either way);
- a representative subset (all with ``VARIANTS_FULL=1``): ``staffplan forecast`` gives 编制测算 and 学科缺口
  equal to the clean example's (data rows compared as sets of rows; the 说明 sheet is ignored);
- every broken variant: ``staffplan forecast`` exits 1 with one error sentence naming the manifest's file,
  sheet, row and column, no traceback, and writes no output file.

The expectations are the clean example's own results, computed in the same session - never copied numbers.
Variants of the national-format example (``n…``) are compared with ``examples/示例区-国家系统格式`` instead.
The variants are generated once per session (seeded) into a tmp_path_factory folder and kept in pytest's
cache keyed by the hash of the generator and the example files (``VARIANTS_REGEN=1`` forces a fresh copy).
All command runs happen once, in parallel, in a session fixture; the tests read their results.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "variants"))
import make_variants as mv  # noqa: E402

FULL = os.environ.get("VARIANTS_FULL") == "1"
# together they cover every class: titles, codes, employment, dates (v34), school headers (v06), split
# sheets (v09), merged cells + school year (v14), formats (v15 web CSV, v35 real .xls); v39 because a
# wide table with the measure on top can pass `check` with the right counts and still be misread
FORECAST_SUBSET = ["v06_school_coded_values", "v09_roster_split_by_kind", "v14_enroll_wide_merged_code",
                   "v15_csv_web_export", "v34_combo_national_style_roster", "v35_combo_everything_xls",
                   "v39_enroll_wide_blocks"]
COMPARED_SHEETS = ["编制测算", "学科缺口"]
BASELINES = {"plain": mv.CLEAN, "national": mv.CLEAN_NATIONAL}
_bin = Path(sys.executable).parent / "staffplan"
STAFFPLAN = [str(_bin)] if _bin.exists() else [shutil.which("staffplan") or "staffplan"]


def _run(args: list, timeout: int = 300) -> dict:
    try:
        p = subprocess.run(STAFFPLAN + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    except subprocess.TimeoutExpired:      # one hanging run fails its own test, not the whole module
        return {"rc": None, "out": "", "err": f"staffplan {' '.join(map(str, args))} did not finish in {timeout} s"}
    return {"rc": p.returncode, "out": p.stdout, "err": p.stderr}


def _key() -> str:
    h = hashlib.sha256(Path(mv.__file__).read_bytes())
    for f in sorted(mv.CLEAN.iterdir()):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    for f in sorted(mv.CLEAN_NATIONAL.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(mv.CLEAN_NATIONAL)).encode() + f.read_bytes())
    h.update(str(mv.XlsConverter().available).encode())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def variants(tmp_path_factory, pytestconfig):
    """(root folder, manifest) of the generated variants, reused from pytest's cache when the generator and
    the example are unchanged."""
    cache = getattr(pytestconfig, "cache", None)
    final = None
    if cache is not None and os.environ.get("VARIANTS_REGEN") != "1":
        final = Path(cache.mkdir("staffplan-variants")) / _key()
        if (final / "manifest.json").exists():
            return final, json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    root = tmp_path_factory.mktemp("variants")
    manifest = mv.generate(root)
    if final is not None:
        for old in final.parent.iterdir():          # other versions, unless another session may be using them
            if old.name != final.name and time.time() - old.stat().st_mtime > 7200:
                shutil.rmtree(old, ignore_errors=True)
        staging = final.parent / f".{final.name}-{os.getpid()}"
        shutil.copytree(root, staging)
        try:
            staging.rename(final)                   # atomic: a reader never sees a half-copied folder
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return root, manifest


def _entries(manifest: dict, kind: str) -> dict:
    return {e["name"]: e for e in manifest[kind]}


@pytest.fixture(scope="session")
def runs(variants, tmp_path_factory):
    """Every command of this module, run once and in parallel: {(kind, name): result}."""
    root, manifest = variants
    out = tmp_path_factory.mktemp("variant-out")
    clean_json = _run(["check", mv.CLEAN, "--json"])
    # `check --json` is used when its JSON carries the counts (a "counts" object); until then `check` prints
    # them only in its text summary line, so the text form is run instead (one run per variant, not two)
    as_json = _json_counts(_load(clean_json)) is not None
    mode = "--json" if as_json else "--all"
    valid = [e for e in manifest["valid"] if "skipped" not in e]
    forecast = [e for e in valid if FULL or e["name"] in FORECAST_SUBSET]
    jobs = {}
    for base, path in BASELINES.items():
        if (base == "plain" and not as_json) or (base != "plain" and any(e["baseline"] == base for e in valid)):
            jobs[("check", base)] = ["check", path, mode]
        if base == "plain" or any(e["baseline"] == base for e in forecast):
            jobs[("forecast", base)] = ["forecast", path, "--out", out / f"{base}.xlsx", "--quiet", "--force"]
    for e in valid:
        path = root / e["path"]
        jobs[("check", e["name"])] = ["check", path, mode]
    for e in forecast:
        jobs[("forecast", e["name"])] = ["forecast", root / e["path"], "--out", out / f"{e['name']}.xlsx", "--quiet"]
    for e in manifest["broken"]:
        jobs[("broken", e["name"])] = ["forecast", root / e["path"], "--out", out / f"{e['name']}.xlsx"]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {k: pool.submit(_run, v) for k, v in jobs.items()}
        results = {k: f.result() for k, f in futures.items()}
    results.setdefault(("check", "plain"), clean_json)
    results["out"] = out
    return results


# ---------------------------------------------------------------------------------------------
ERROR_LINE = re.compile(r"^\s*错误[：:]", re.M)
COUNT_LINE = re.compile(r"学校\s*(\d+)\s*所.*?在校生记录\s*(\d+)\s*行.*?教师\s*(\d+)\s*人")
COUNT_KEYS = {"schools": ("学校", "school"), "enrollment": ("在校生", "enrol"), "teachers": ("教师", "teacher")}


def _json_counts(doc: dict) -> dict | None:
    for k in ("counts", "summary", "统计", "数量"):
        v = doc.get(k)
        if isinstance(v, dict):
            got = {}
            for name, words in COUNT_KEYS.items():
                for kk, vv in v.items():
                    if any(w in str(kk).lower() for w in words) and isinstance(vv, int):
                        got[name] = vv
            if len(got) == 3:
                return got
    return None


def _load(res: dict) -> dict:
    try:
        return json.loads(res["out"])
    except json.JSONDecodeError:
        return {}


def _counts(res: dict) -> dict:
    got = _json_counts(_load(res))
    if got is not None:
        return got
    m = COUNT_LINE.search(res["out"] + res["err"])
    assert m, f"no counts in check output:\n{res['out'][-2000:]}{res['err'][-2000:]}"
    return dict(zip(("schools", "enrollment", "teachers"), map(int, m.groups())))


def _problems(res: dict) -> str:
    doc = _load(res)
    if doc:
        bad = [i for i in doc.get("issues", []) if i.get("severity") in ("错误", "error")]
        lines = [f"{i.get('file')}|{i.get('sheet')}|{i.get('row')}|{i.get('column')}: {i.get('message')}"
                 for i in bad]
    else:
        lines = [ln for ln in (res["out"] + res["err"]).splitlines() if ERROR_LINE.match(ln)]
    return "\n".join(lines[:15]) or (res["out"] + res["err"])[-3000:]


def _data_rows(path: Path, sheet: str) -> list:
    """Data rows of an output sheet below its header row (found by 学校代码), as a sorted list of tuples."""
    df = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl")
    head = next(i for i in range(len(df)) if "学校代码" in set(df.iloc[i].dropna()))
    body = df.iloc[head + 1:].fillna("")
    return sorted(tuple(r) for r in body.itertuples(index=False))


# ---------------------------------------------------------------------------------------------
def test_manifest_covers_every_class(variants):
    """≥ 30 valid variants, several per class of the issue, ≥ 10 broken ones with a full expectation."""
    _, manifest = variants
    assert len(manifest["valid"]) >= 30
    assert len(manifest["broken"]) >= 10
    per_class: dict = {}
    for e in manifest["valid"]:
        for c in e["classes"]:
            per_class[c] = per_class.get(c, 0) + 1
    for c in ("titles", "school_headers", "employment", "split_sheets", "merged", "formats", "school_year",
              "dates", "codes", "enrollment", "layout"):
        assert per_class.get(c, 0) >= 2, (c, per_class)
    assert sum(len(e["classes"]) >= 3 for e in manifest["valid"]) >= 3    # combinations
    for e in manifest["broken"]:
        assert e["file"] and e["row"] >= 1 and e["columns"], e


def test_clean_examples_pass(runs):
    for base in BASELINES:
        if ("check", base) in runs:
            assert runs[("check", base)]["rc"] == 0, _problems(runs[("check", base)])
        if ("forecast", base) in runs:
            assert runs[("forecast", base)]["rc"] == 0, runs[("forecast", base)]["err"][-2000:]


@pytest.mark.parametrize("name", [v.name for v in mv.VALID])
def test_valid_variant_checks_like_clean(name, variants, runs):
    entry = _entries(variants[1], "valid")[name]
    if "skipped" in entry:
        pytest.skip(entry["skipped"])
    res = runs[("check", name)]
    assert "Traceback" not in res["out"] + res["err"]
    assert res["rc"] == 0, f"{name} ({entry['description']}): check exited {res['rc']}\n{_problems(res)}"
    assert _counts(res) == _counts(runs[("check", entry["baseline"])]), name


@pytest.mark.parametrize("name", [v.name for v in mv.VALID])
def test_valid_variant_forecasts_like_clean(name, variants, runs):
    entry = _entries(variants[1], "valid")[name]
    if "skipped" in entry:
        pytest.skip(entry["skipped"])
    if ("forecast", name) not in runs:
        pytest.skip("not in the default forecast subset (run with VARIANTS_FULL=1)")
    res = runs[("forecast", name)]
    assert "Traceback" not in res["out"] + res["err"]
    assert res["rc"] == 0, f"{name}: forecast exited {res['rc']}\n{(res['out'] + res['err'])[-3000:]}"
    clean, got = runs["out"] / f"{entry['baseline']}.xlsx", runs["out"] / f"{name}.xlsx"
    for sheet in COMPARED_SHEETS:
        want, have = _data_rows(clean, sheet), _data_rows(got, sheet)
        assert len(have) == len(want), (sheet, len(have), len(want))
        diff = [r for r in have if r not in set(want)][:5]
        assert have == want, f"{name} {sheet}: rows differ from the clean example, e.g. {diff}"


@pytest.mark.parametrize("name", [b.name for b in mv.BROKEN])
def test_broken_variant_is_refused_with_one_sentence(name, variants, runs):
    e = _entries(variants[1], "broken")[name]
    res = runs[("broken", name)]
    text = res["out"] + res["err"]
    assert "Traceback" not in text, text[-3000:]
    assert res["rc"] == 1, f"{name} ({e['description']}): exit {res['rc']}\n{text[-3000:]}"
    assert not (runs["out"] / f"{name}.xlsx").exists(), "an output file was written despite the error"
    lines = [ln for ln in text.splitlines() if ERROR_LINE.match(ln)]
    assert len(lines) == 1, f"{name}: expected one error, got {len(lines)}:\n" + "\n".join(lines[:10])
    line = lines[0]
    assert e["file"] in line, (e["file"], line)
    if e["sheet"]:
        assert e["sheet"] in line, (e["sheet"], line)
    assert re.search(rf"第\s*{e['row']}\s*行", line), (e["row"], line)
    assert any(c in line for c in e["columns"]), (e["columns"], line)
