"""Hostile CSV inputs through `meta` and `batch` (issue 19): every malformed file is refused with one
line naming the file (and the row / column where there is one), exit 3; never exit 1, never a hang."""
from __future__ import annotations

import pytest
from .hostile_helpers import assert_controlled, run, write

# (case id, file content with {id} for the label column, fragments the error must contain)
# The label column is `study` for meta and `analysis_id` for batch.
_HEADER = "{id},yi,vi\n"
CASES: list[tuple[str, bytes | str, tuple[str, ...]]] = [
    ("empty", b"", ("file is empty",)),
    ("only_bom", b"\xef\xbb\xbf", ("file is empty",)),
    ("only_newlines", b"\n\n\r\n", ("file is empty",)),
    ("only_delimiters", ",,,\n,,,\n", ("file is empty",)),
    ("header_only", _HEADER, ("no data rows",)),
    ("utf16le", "\ufeff{id},yi,vi\nA,1,1\n".encode("utf-16-le"), ("UTF-16",)),
    ("utf16be", "\ufeff{id},yi,vi\nA,1,1\n".encode("utf-16-be"), ("UTF-16",)),
    ("latin1", "{id},yi,vi\nM\u00fcller,0.1,0.01\n".encode("latin-1"), ("not UTF-8", "row 2")),
    ("cp1252_quote", b"{id},yi,vi\n\x93A\x94,0.1,0.01\n", ("not UTF-8", "0x93")),
    ("nul_bytes", b"{id},yi,vi\nA,0.1\x00,0.01\n", ("binary",)),
    ("xlsx_magic", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ("binary",)),
    ("open_quote", _HEADER + '"A,0.1,0.01\nB,0.2,0.02\n', ("row 2", "quoted cell is never closed")),
    ("extra_cells", _HEADER + "A,0.1,0.01,9\n", ("row 2", "cells but the header has 3")),
    ("yi_text", _HEADER + "A,abc,0.01\nB,0.2,0.02\n", ("row 2", "yi", "abc")),
    ("yi_inf", _HEADER + "A,inf,0.01\nB,0.2,0.02\n", ("row 2", "yi", "finite")),
    ("yi_minus_inf", _HEADER + "A,-Infinity,0.01\nB,0.2,0.02\n", ("row 2", "yi", "finite")),
    ("yi_overflow_literal", _HEADER + "A,1e400,0.01\nB,0.2,0.02\n", ("row 2", "yi")),
    ("yi_thousand_digits", _HEADER + "A," + "9" * 1000 + ",0.01\nB,0.2,0.02\n", ("row 2", "yi")),
    ("yi_missing", _HEADER + "A,,0.01\nB,0.2,0.02\n", ("row 2", "yi", "missing")),
    ("yi_nan", _HEADER + "A,nan,0.01\nB,0.2,0.02\n", ("row 2", "yi")),
    ("vi_zero", _HEADER + "A,0.1,0\nB,0.2,0.02\n", ("row 2", "vi")),
    ("vi_negative", _HEADER + "A,0.1,-0.01\nB,0.2,0.02\n", ("row 2", "vi")),
    ("vi_underflow", _HEADER + "A,0.1,1e-400\nB,0.2,0.02\n", ("row 2", "vi")),
    ("vi_text_null", _HEADER + "A,0.1,zero\nB,0.2,0.02\n", ("row 2", "vi", "zero")),
    ("decimal_comma", "{id};yi;vi\nA;0,1;0,01\nB;0,2;0,02\n", ("row 2", "yi")),
    ("duplicate_yi", "{id},yi,vi,yi\nA,0.1,0.01,0.5\nB,0.2,0.02,0.6\n", ("appears twice", "columns 2 and 4")),
    ("duplicate_vi", "{id},yi,vi,vi\nA,0.1,0.01,0.5\nB,0.2,0.02,0.6\n", ("appears twice", "columns 3 and 4")),
    ("duplicate_yi_other_case", "{id},yi,vi,YI\nA,0.1,0.01,0.5\nB,0.2,0.02,0.6\n", ("row 1", "appears twice", "columns 2 and 4")),
    ("duplicate_yi_spaces", "{id},yi,vi, yi \nA,0.1,0.01,0.5\nB,0.2,0.02,0.6\n", ("appears twice", "columns 2 and 4")),
    ("vi_sei_conflict", "{id},yi,vi,sei\nA,0.1,0.01,0.5\nB,0.2,0.04,0.2\n",
     ("row 2", "vi and sei disagree", "sei")),
    ("sei_negative", "{id},yi,sei\nA,0.1,-0.1\nB,0.2,0.2\n", ("row 2", "sei")),
    ("missing_vi_column", "{id},yi\nA,0.1\nB,0.2\n", ("vi",)),
    ("huge_cell", _HEADER + "A," + "1" * 2_000_000 + ",0.01\n", ("row 2",)),
    ("formula_in_number", _HEADER + "A,=1+1,0.01\nB,0.2,0.02\n", ("row 2", "yi", "=1+1")),
    ("escape_in_number", _HEADER + "A,\x1b[31m1,0.01\nB,0.2,0.02\n", ("row 2", "yi", "\\x1b")),
]


_BATCH_WORDS = {"header_only": ("no data rows",), "only_delimiters": ("analysis_id", "is missing")}


def _content(data: bytes | str, label: str) -> bytes:
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return raw.replace(b"{id}", label.encode())


@pytest.mark.parametrize("case, data, fragments", CASES, ids=[c[0] for c in CASES])
def test_meta_refuses(tmp_path, capsys, case, data, fragments):
    p = write(tmp_path / f"{case}.csv", _content(data, "study"))
    rc, out, err = run(capsys, "meta", p, "--measure", "GEN")
    assert_controlled(rc, out, err, str(p), *fragments)
    assert out == ""


@pytest.mark.parametrize("mode", ["--stream", "--no-stream"])
@pytest.mark.parametrize("case, data, fragments", CASES, ids=[c[0] for c in CASES])
def test_batch_refuses(tmp_path, capsys, case, data, fragments, mode):
    p = write(tmp_path / f"{case}.csv", _content(data, "analysis_id"))
    target = tmp_path / "out.csv"
    rc, out, err = run(capsys, "batch", p, "-o", target, "--quiet", mode)
    # batch words an empty table its own way (pandas reads ",,," as a header of unnamed columns)
    frags = _BATCH_WORDS.get(case, fragments)
    assert_controlled(rc, out, err, str(p), *frags)
    assert not target.exists()
    assert [q.name for q in tmp_path.iterdir() if q.name.startswith(".")] == []  # no temp or lock file left


ARM_CASES = [
    ("huge_mean", "m1i", "1e200"),
    ("huge_sd", "sd1i", "1e150"),
    ("huge_n", "n1i", "1e120"),
    ("inf_mean", "m1i", "inf"),
    ("text_sd", "sd1i", "n/a?"),
]


@pytest.mark.parametrize("case, col, value", ARM_CASES, ids=[c[0] for c in ARM_CASES])
@pytest.mark.parametrize("command", ["meta", "batch"])
def test_arm_level_overflow_names_file_row_and_column(tmp_path, capsys, case, col, value, command):
    cols = {"m1i": "1", "sd1i": "1", "n1i": "10", "m2i": "2", "sd2i": "1", "n2i": "10"}
    bad = dict(cols, **{col: value})
    label = "study" if command == "meta" else "analysis_id"
    text = f"{label},{','.join(cols)}\nA,{','.join(bad.values())}\nA2,{','.join(cols.values())}\n"
    if command == "batch":
        text = text.replace("\nA2,", "\nA,")
    p = write(tmp_path / "arms.csv", text)
    args = ["meta", p, "--measure", "SMD"] if command == "meta" else ["batch", p, "-o", tmp_path / "o.csv",
                                                                     "--measure", "SMD"]
    rc, out, err = run(capsys, *args)
    assert_controlled(rc, out, err, str(p), "row 2", col)


NA_IDS = ["NA", "N/A", "null", "None", "nan", "NaN", "."]


@pytest.mark.parametrize("mode", ["--stream", "--no-stream"])
@pytest.mark.parametrize("na", NA_IDS)
def test_na_like_analysis_ids_are_kept_as_text(tmp_path, capsys, na, mode):
    p = write(tmp_path / "na.csv", f"analysis_id,yi,vi\n{na},0.1,0.01\n{na},0.3,0.02\nz,0.2,0.01\nz,0.5,0.04\n")
    out_csv = tmp_path / "o.csv"
    rc, out, err = run(capsys, "batch", p, "-o", out_csv, "--quiet", mode)
    assert rc == 0, err
    import pandas as pd

    res = pd.read_csv(out_csv, keep_default_na=False, dtype={"analysis_id": str})
    assert res["analysis_id"].tolist() == [na, "z"]
    assert res["k"].tolist() == [2, 2]
    from evigrade.stats import meta_analysis

    ref = meta_analysis([0.1, 0.3], [0.01, 0.02])  # the analysis called NA is fitted as itself
    assert res["estimate"].iloc[0] == pytest.approx(ref.estimate, rel=1e-8)
    assert res["tau2"].iloc[0] == pytest.approx(ref.tau2, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("na", NA_IDS)
def test_na_like_study_labels_are_kept_as_text(tmp_path, capsys, na):
    p = write(tmp_path / "na.csv", f"study,yi,vi\n{na},0.1,0.01\nB,0.3,0.02\n")
    rc, out, err = run(capsys, "meta", p, "--measure", "GEN", "--json")
    assert rc == 0, err
    import json

    assert [s["study"] for s in json.loads(out)["studies"]] == [na, "B"]


def test_empty_analysis_id_is_missing_and_says_so(tmp_path, capsys):
    p = write(tmp_path / "e.csv", "analysis_id,yi,vi\na,0.1,0.01\n,0.3,0.02\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "o.csv")
    assert_controlled(rc, out, err, str(p), "row 3", "analysis id is missing")


def test_vi_and_sei_that_agree_are_used_with_a_note(tmp_path, capsys):
    p = write(tmp_path / "both.csv", "study,yi,vi,sei\nA,0.1,0.01,0.1\nB,0.3,0.04,0.2005\n")
    rc, out, err = run(capsys, "meta", p, "--measure", "GEN", "--json")
    assert rc == 0, err
    import json

    d = json.loads(out)
    assert [s["vi"] for s in d["studies"]] == [0.01, 0.04]  # vi used as given
    assert any("give both vi and sei; they agree" in n["message"] for n in d["notes"]), d["notes"]
    q = write(tmp_path / "bothb.csv", "analysis_id,yi,vi,sei\na,0.1,0.01,0.1\na,0.3,0.04,0.2005\n")
    rc, out, err = run(capsys, "batch", q, "-o", tmp_path / "o.csv")
    assert rc == 0, err
    assert "both vi and sei were given; they agree" in out


def test_study_and_slab_that_disagree_are_refused(tmp_path, capsys):
    p = write(tmp_path / "ss.csv", "study,slab,yi,vi\nA,A,0.1,0.01\nB,C,0.3,0.04\n")
    rc, out, err = run(capsys, "meta", p, "--measure", "GEN")
    assert_controlled(rc, out, err, str(p), "row 3", "study and slab")


ACCEPTED = [
    ("crlf", "study,yi,vi\r\nA,0.1,0.01\r\nB,0.3,0.02\r\n"),
    ("bom", "\ufeffstudy,yi,vi\nA,0.1,0.01\nB,0.3,0.02\n"),
    ("semicolon", "study;yi;vi\nA;0.1;0.01\nB;0.3;0.02\n"),
    ("tab", "study\tyi\tvi\nA\t0.1\t0.01\nB\t0.3\t0.02\n"),
    ("no_final_newline", "study,yi,vi\nA,0.1,0.01\nB,0.3,0.02"),
    ("unicode_minus", "study,yi,vi\nA,\u22120.1,0.01\nB,0.3,0.02\n"),
    ("quoted_newline_label", 'study,yi,vi\n"A\nB",0.1,0.01\nC,0.3,0.02\n'),
    ("emoji_label", "study,yi,vi\n\U0001f4a5 trial,0.1,0.01\nB,0.3,0.02\n"),
    ("rtl_override_label", "study,yi,vi\nA\u202eevil,0.1,0.01\nB,0.3,0.02\n"),
    ("blank_rows", "study,yi,vi\n\nA,0.1,0.01\n\n\nB,0.3,0.02\n\n"),
]


@pytest.mark.parametrize("case, text", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_odd_but_valid_csv_is_read(tmp_path, capsys, case, text):
    p = write(tmp_path / f"{case}.csv", text)
    rc, out, err = run(capsys, "meta", p, "--measure", "GEN", "--json")
    assert rc == 0, err
    import json

    d = json.loads(out)
    assert d["k"] == 2
    assert sorted(round(s["yi"], 12) for s in d["studies"]) == sorted([-0.1 if case == "unicode_minus" else 0.1, 0.3])
