"""staffplan.io.redact: a shareable copy of a data set with people made anonymous (issue 8)."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "hardening"))
import make_corpus  # noqa: E402
from runner import tree_hashes  # noqa: E402

from staffplan.errors import OutputError  # noqa: E402
from staffplan.io.redact import REDACTED, fake_ids, redact_dataset, redact_teachers  # noqa: E402


def _text_of_folder(folder: Path) -> str:
    from openpyxl import load_workbook

    parts = []
    for p in sorted(folder.glob("*.xlsx")):
        wb = load_workbook(p, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                parts.append("\t".join("" if v is None else str(v) for v in row))
        wb.close()
    return "\n".join(parts)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = make_corpus.write_base(tmp_path_factory.mktemp("orig") / "数据")
    (folder / "staffplan.toml").write_text("[forecast]\nhistory_years = 3\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def redacted(original, tmp_path_factory):
    before = tree_hashes(original)
    dst = tmp_path_factory.mktemp("red") / "脱敏"
    written = redact_dataset(original, dst)
    return dst, written, before


@pytest.fixture(scope="module")
def loaded(original, redacted):
    from staffplan.io.dataset import load_dataset

    return load_dataset(original), load_dataset(redacted[0])


def test_writes_the_contract_files(redacted):
    dst, written, _ = redacted
    assert sorted(p.name for p in written) == sorted(["学校.xlsx", "在校生.xlsx", "教师.xlsx", "staffplan.toml"])
    assert all(p.exists() for p in written)
    assert not [p.name for p in dst.iterdir() if p.name.startswith(".~")]


def test_source_unchanged(original, redacted):
    assert tree_hashes(original) == redacted[2]


def test_redacted_set_loads_without_errors(loaded):
    a, b = loaded
    assert not b.issues.has_errors()
    assert len(b.schools) == len(a.schools)
    assert len(b.enrollment) == len(a.enrollment)
    assert len(b.teachers) == len(a.teachers)
    assert list(b.schools["school_name"]) == list(a.schools["school_name"])  # schools kept
    assert b.enrollment["students"].sum() == a.enrollment["students"].sum()


def test_no_original_name_or_id(original, redacted):
    rows = make_corpus.build_base()["教师"][1]
    text = _text_of_folder(redacted[0])
    names = [r[2] for r in rows]
    ids = [r[1] for r in rows]
    assert not [n for n in names if n in text]
    assert not [i for i in ids if i in text]
    assert "教师0001" in text


def test_people_fields(loaded):
    a, b = loaded[0].teachers, loaded[1].teachers
    # birth dates kept to the month; sex kept; IDs valid (the load above checks checksum and consistency)
    assert (b["birth_date"].dt.day == 1).all()
    assert (b["birth_date"].dt.to_period("M") == a["birth_date"].dt.to_period("M")).all()
    assert list(b["sex"]) == list(a["sex"])
    assert (b["id_number"].str.len() == 18).all()
    assert b["id_number"].is_unique
    assert (b["id_number"].str[6:14] == b["birth_date"].dt.strftime("%Y%m%d")).all()
    # other fields untouched
    for col in ("school_id", "subject", "title_level", "employment", "arrival_date", "backbone", "special_approved"):
        assert list(b[col]) == list(a[col]), col


def test_health_situations_redacted_but_kept_as_filed(redacted, loaded):
    """特殊情况 → 已脱敏 in the file, and the reader must still see that a situation was filed (rules need it)."""
    text = _text_of_folder(redacted[0])
    for word in ("孕期", "哺乳期", "重大疾病"):
        assert word not in text
    assert REDACTED in text
    a, b = loaded
    filed_a = (a.teachers["special"] != "").sum()
    filed_b = (b.teachers["special"] != "").sum()
    assert filed_a > 0
    # a warning about the word (not understood) would mean the redacted cells were misread; the 待审批 count
    # (filed, not approved) is said of the original as well
    warnings = [i.sentence() for i in b.issues.warnings if "特殊情况" in i.sentence() and "待审批" not in i.sentence()]
    assert [i.message for i in a.issues.warnings if "待审批" in i.message] == \
        [i.message for i in b.issues.warnings if "待审批" in i.message]
    assert filed_b == filed_a and not warnings, (
        f"reader dropped {filed_a - filed_b} redacted situations; warnings: {warnings[:2]}")


def test_deterministic(original, redacted, tmp_path):
    dst2 = tmp_path / "again"
    redact_dataset(original, dst2)
    assert _text_of_folder(dst2) == _text_of_folder(redacted[0])


def test_refuses_overwrite_and_source(original, redacted, tmp_path):
    dst = redacted[0]
    before = tree_hashes(dst)
    with pytest.raises(OutputError):
        redact_dataset(original, dst)
    assert tree_hashes(dst) == before
    with pytest.raises(OutputError):
        redact_dataset(original, original)
    with pytest.raises(OutputError):
        redact_dataset(original, original / "sub")
    copy = tmp_path / "copy"
    redact_dataset(original, copy)
    assert redact_dataset(original, copy, force=True)


def test_id_keyed_roster(tmp_path):
    """Without 教师编号 the ID number is the key: it is replaced by the fake ID everywhere."""
    from staffplan.io.dataset import load_dataset

    folder, ids = make_corpus.write_id_keyed_dataset(tmp_path / "数据")
    dst = tmp_path / "脱敏"
    redact_dataset(folder, dst)
    text = _text_of_folder(dst)
    assert not [i for i in ids if i in text]
    ds = load_dataset(dst)
    assert not ds.issues.has_errors()
    assert ds.teachers["teacher_id"].is_unique


def test_fake_ids_hand_computed():
    birth = pd.Series(pd.to_datetime(["1985-03-01", "1985-03-01", "1990-12-01", None]))
    sex = pd.Series(["男", "男", "女", "男"])
    out = fake_ids(birth, sex, pd.Series([True, True, True, True]))
    # 110101 19850301 001: Σ digit × weight = 133, 133 mod 11 = 1 → check character "0"
    body = "11010119850301001"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * k for c, k in zip(body, w))
    assert total == 1 * 7 + 1 * 9 + 0 + 1 * 5 + 0 + 1 * 4 + 1 * 2 + 9 * 1 + 8 * 6 + 5 * 3 + 0 + 3 * 9 + 0 + 1 * 5 + 0 + 0 + 1 * 2
    assert total == 133 and out[0] == body + "0"
    assert out[1][:17] == "11010119850301003"  # second man born that day: next odd sequence
    assert out[2][14:17] == "002"                # a woman: even sequence
    assert out[3] == ""                          # no birth date: no fake ID


def test_redact_teachers_frame():
    t = pd.DataFrame({"teacher_id": ["440101198503010011", "T9"], "id_number": ["440101198503010011", ""],
                      "name": ["张三", "李四"], "sex": ["男", "女"],
                      "birth_date": pd.to_datetime(["1985-03-17", "1990-07-09"]), "special": ["孕期", ""]})
    r = redact_teachers(t)
    assert list(r["name"]) == ["教师0001", "教师0002"]
    assert r.loc[0, "teacher_id"] == r.loc[0, "id_number"] != "440101198503010011"
    assert r.loc[1, "teacher_id"] == "T9" and r.loc[1, "id_number"] == ""
    assert list(r["birth_date"].dt.day) == [1, 1]
    assert list(r["special"]) == [REDACTED, ""]


def test_cli_redact(original, tmp_path):
    from runner import invoke

    before = tree_hashes(original)
    out = tmp_path / "给技术支持"
    run = invoke(["redact", original, out])
    assert "Traceback" not in run.output
    assert run.code == 0, run.output
    assert (out / "教师.xlsx").exists()
    again = invoke(["redact", original, out])           # exists: refused, untouched
    assert again.code == 2, again.output
    inside = invoke(["redact", original, original / "脱敏"])  # never inside the data folder
    assert inside.code == 2, inside.output
    assert not (original / "脱敏").exists()
    assert tree_hashes(original) == before
    names = [r[2] for r in make_corpus.build_base()["教师"][1]]
    assert not [n for n in names if n in run.output + again.output + inside.output]
