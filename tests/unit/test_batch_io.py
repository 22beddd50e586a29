"""Batch input validation, arm-level input through escalc, CSV/Parquet round trips, result objects."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import stat
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evigrade import batch
from evigrade.batch.workload import make_workload
from evigrade.errors import InputError, SpecError


def _csv(tmp_path, text: str, name: str = "in.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text, expected",
    [
        ("analysis_id,yi,vi\na,0.1,0.01\na,0.2,abc\n", "in.csv row 3 (analysis a), column vi: must be a number, got 'abc'"),
        ("analysis_id,yi,vi\na,0.1,0.01\na,0.2,-0.01\n", "in.csv row 3 (analysis a), column vi: must be > 0, got -0.01"),
        ("analysis_id,yi,vi\na,0.1,0.01\na,0.2,0\n", "in.csv row 3 (analysis a), column vi: must be > 0, got 0"),
        ("analysis_id,yi,vi\na,0.1,0.01\n,0.2,0.01\n", "in.csv row 3, column analysis_id: analysis id is missing"),
        ("aid,yi,vi\na,0.1,0.01\n", "in.csv column analysis_id: column 'analysis_id' is missing"),
        ("analysis_id,yi,vi\na,0.1,0.01\na,,0.01\n", "in.csv row 3 (analysis a), column yi: is missing"),
        ("analysis_id,yi\na,0.1\n", "in.csv column vi: column 'vi' is missing"),
        ("analysis_id,vi\na,0.1\n", "in.csv column yi: column 'yi' is missing"),
        ("analysis_id,yi,vi\na,0.1,inf\n", "in.csv row 2 (analysis a), column vi: must be a finite number, got inf"),
        ("analysis_id,yi,sei\na,0.1,0.2\nb,0.3,-0.1\n", "in.csv row 3 (analysis b), column sei: must be > 0"),
        ("analysis_id,yi,vi\n", "in.csv: no data rows"),
        ("", "in.csv: file is empty"),
    ],
)
def test_bad_input_one_line_error(tmp_path, text, expected):
    p = _csv(tmp_path, text)
    with pytest.raises(InputError) as exc:
        batch.run(p)
    msg = str(exc.value)
    assert msg.startswith(expected.replace("in.csv", str(p))), msg  # file, row, column, problem, value
    assert "\n" not in msg
    assert "; fix: " in msg


def test_arm_level_hint_when_measure_missing(tmp_path):
    p = _csv(tmp_path, "analysis_id,m1i,sd1i,n1i,m2i,sd2i,n2i\na,5,2,20,4,2,20\n")
    with pytest.raises(InputError, match="--measure"):
        batch.run(p)


def test_bad_options_are_spec_errors():
    df = make_workload(3)
    with pytest.raises(SpecError, match="method='REML2' is not one of"):
        batch.run(df, method="REML2")
    with pytest.raises(SpecError, match="test="):
        batch.run(df, test="t")
    with pytest.raises(SpecError, match="level"):
        batch.run(df, level=120)
    with pytest.raises(SpecError, match="tau2_ci"):
        batch.run(df, tau2_ci="yes")
    with pytest.raises(SpecError, match="control"):
        batch.run(df, control={"thresh": 1})
    with pytest.raises(SpecError, match="maxiter"):
        batch.run(df, control={"maxiter": 0})


def test_aliases():
    df = make_workload(5)
    a = batch.run(df, method="CE", test="hksj").table
    b = batch.run(df, method="FE", test="knha").table
    assert_allclose(a.estimate, b.estimate, rtol=0, atol=0)
    assert (a.method == "FE").all() and (a.test == "knha").all()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        batch.run(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="folder"):
        batch.run(tmp_path)


def test_arm_level_columns_through_escalc(tmp_path):
    """Arm-level rows + measure give exactly escalc + meta_analysis per analysis."""
    from evigrade.effects import escalc

    stats = pytest.importorskip("evigrade.stats")
    rng = np.random.default_rng(5)
    rows = []
    for a in range(6):
        for s in range(int(rng.integers(2, 7))):
            rows.append({"analysis_id": f"an{a}", "study": f"s{s}", "m1i": rng.normal(5, 1), "sd1i": rng.uniform(1, 3),
                         "n1i": int(rng.integers(10, 60)), "m2i": rng.normal(4.5, 1), "sd2i": rng.uniform(1, 3),
                         "n2i": int(rng.integers(10, 60))})
    df = pd.DataFrame(rows)
    path = tmp_path / "arms.csv"
    df.to_csv(path, index=False)
    res = batch.run(path, "REML", "knha", measure="SMD").table
    assert len(res) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (_aid, g) in enumerate(df.groupby("analysis_id", sort=False)):
            eff = escalc("SMD", m1i=g.m1i, sd1i=g.sd1i, n1i=g.n1i, m2i=g.m2i, sd2i=g.sd2i, n2i=g.n2i)
            one = stats.meta_analysis(eff, method="REML", test="knha")
            assert_allclose([res.estimate[i], res.tau2[i], res.ci_low[i]], [one.estimate, one.tau2, one.ci_low],
                            rtol=1e-10, atol=1e-12)


def test_arm_level_bad_cell_names_row(tmp_path):
    p = _csv(tmp_path, "analysis_id,m1i,sd1i,n1i,m2i,sd2i,n2i\na,5,2,20,4,2,20\na,5,-2,20,4,2,20\n")
    with pytest.raises(InputError) as exc:
        batch.run(p, measure="SMD")
    assert "row 3" in str(exc.value) and "sd1i" in str(exc.value) and "-2" in str(exc.value)


def test_double_zero_rows_excluded_with_run_note():
    df = pd.DataFrame({"analysis_id": ["x", "x", "x", "y"], "ai": [2, 0, 3, 0], "n1i": [20, 20, 20, 10],
                       "ci": [5, 0, 6, 0], "n2i": [20, 20, 20, 10]})
    res = batch.run(df, "DL", "z", measure="OR")
    assert list(res.table.analysis_id) == ["x"]
    assert list(res.table.k) == [2]
    codes = {n.code for n in res.run_notes}
    assert "analysis_empty" in codes


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_round_trip(tmp_path, ext):
    df = make_workload(40, seed=9)
    src = tmp_path / f"in.{ext}"
    if ext == "csv":
        df.to_csv(src, index=False)
    else:
        df.to_parquet(src)
    res = batch.run(src, tau2_ci=True)
    direct = batch.run(df, tau2_ci=True)
    out = tmp_path / f"out.{ext}"
    batch.write_table(res.table, out)
    back = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
    assert list(back.columns) == ["analysis_id"] + list(batch.OUTPUT_COLUMNS)
    for col in ("estimate", "se", "tau2", "tau2_ci_high", "pi_low", "q_pvalue"):
        # %.17g in CSV and float64 in Parquet are exact
        assert_allclose(back[col].to_numpy(float), direct.table[col].to_numpy(float), rtol=0, atol=0)
    assert [str(a) for a in back.analysis_id] == list(direct.table.analysis_id)
    assert not list(tmp_path.glob(".out.*"))  # no temp file left behind
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600


def test_write_refuses_missing_folder(tmp_path):
    with pytest.raises(InputError, match="folder"):
        batch.write_table(pd.DataFrame({"a": [1]}), tmp_path / "no" / "out.csv")


def test_result_object():
    res = batch.run(make_workload(8, seed=1), tau2_ci=True)
    assert len(res) == 8 and res.n_analyses == 8
    d = res.to_dict()
    json.dumps(d)  # JSON-safe (NaN -> None)
    assert d["method"] == "REML" and d["test"] == "knha" and d["level"] == 0.95
    assert len(d["analyses"]) == 8
    assert set(d["note_codes"]) == set(batch.NOTE_MESSAGES)
    frame = res.to_frame()
    frame.loc[0, "estimate"] = 99.0
    assert res.table.loc[0, "estimate"] != 99.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.method = "DL"  # frozen


def test_every_note_code_is_documented():
    df = make_workload(200, k_min=1, k_max=6, seed=2)
    seen = set()
    for m in ("FE", "DL", "REML"):
        res = batch.run(df, m, "knha", tau2_ci=True)
        seen |= set(res.summary_counts())
    assert seen, "expected some notes on small analyses"
    assert seen <= set(batch.NOTE_MESSAGES)


def test_chunking_and_progress_do_not_change_results():
    df = make_workload(50, seed=6)
    calls = []
    a = batch.run(df, chunk_size=7, progress=lambda d, t: calls.append((d, t))).table
    b = batch.run(df).table
    assert calls[-1] == (50, 50) and len(calls) == math.ceil(50 / 7)
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------------------------------
# CSV text: the shared reader's conventions (evigrade._csvtext) with pandas' parser for speed
# ---------------------------------------------------------------------------------------------
_PLAIN = "analysis_id,study,yi,vi\na,S1,0.10,0.010\na,S2,0.30,0.020\na,S3,0.25,0.015\nb,T1,-0.2,0.04\nb,T2,0.1,0.05\n"


def _estimates(res):
    return res.table[["estimate", "se", "tau2"]].to_numpy()


def _write_bytes(tmp_path, data: bytes, name: str = "in.csv"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    "variant, note",
    [
        (b"\xef\xbb\xbf" + _PLAIN.encode(), None),  # byte-order mark (Excel's 'CSV UTF-8')
        (_PLAIN.replace("\n", "\r\n").encode(), None),
        (_PLAIN.replace(",", ";").encode(), "in.csv was read as semicolon-delimited text."),
        (_PLAIN.replace(",", "\t").encode(), "in.csv was read as tab-delimited text."),
        (b"\xef\xbb\xbf" + _PLAIN.replace(",", ";").replace("\n", "\r\n").encode(),
         "in.csv was read as semicolon-delimited text."),
    ],
    ids=["bom", "crlf", "semicolon", "tab", "bom_semicolon_crlf"],
)
def test_csv_variants_give_the_plain_numbers_with_a_note(tmp_path, variant, note):
    plain = batch.run(_csv(tmp_path, _PLAIN, "plain.csv"))
    p = _write_bytes(tmp_path, variant)
    res = batch.run(p)
    assert list(res.table["analysis_id"]) == ["a", "b"]
    assert_allclose(_estimates(res), _estimates(plain), rtol=0, atol=0)
    msgs = [n.message for n in res.run_notes if n.code == "csv_delimiter"]
    assert msgs == ([note.replace("in.csv", str(p))] if note else [])
    assert [n.code for n in plain.run_notes] == []


def test_latin1_file_is_one_line_error_with_the_row(tmp_path):
    p = _write_bytes(tmp_path, "analysis_id,study,yi,vi\na,S1,0.1,0.01\na,Mu\xf1oz,0.3,0.02\n".encode("latin-1"))
    with pytest.raises(InputError) as exc:
        batch.run(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p} row 3: is not UTF-8 text (byte 0xf1"), msg
    assert "CSV UTF-8" in msg and "\n" not in msg


@pytest.mark.parametrize(
    "data, expected",
    [
        ("\ufeffanalysis_id,yi,vi\n".encode("utf-16"), "is UTF-16 text"),
        (b"PK\x03\x04\x00\x00binary", "is a binary file"),
        (b"\n \n", "file is empty"),
    ],
    ids=["utf16", "binary", "whitespace"],
)
def test_not_csv_text_is_refused_in_one_line(tmp_path, data, expected):
    p = _write_bytes(tmp_path, data)
    with pytest.raises(InputError) as exc:
        batch.run(p)
    assert expected in str(exc.value) and "\n" not in str(exc.value) and "; fix: " in str(exc.value)


def test_rows_are_counted_as_a_spreadsheet_counts_them(tmp_path):
    # blank lines still count, a quoted label spanning two lines is one row: the bad vi is on row 6
    text = 'analysis_id,study,yi,vi\na,S1,0.1,0.01\n\na,"Smith\n2004",0.3,0.02\n   \na,S3,0.2,-0.5\n'
    with pytest.raises(InputError) as exc:
        batch.run(_csv(tmp_path, text))
    assert "row 6 (analysis a), column vi: must be > 0" in str(exc.value), str(exc.value)


def test_wholly_empty_rows_are_skipped_with_a_note(tmp_path):
    text = _PLAIN.replace("\nb,T1", "\n,,,\nb,T1")  # an empty spreadsheet row (row 5) before analysis b
    res = batch.run(_csv(tmp_path, text))
    plain = batch.run(_csv(tmp_path, _PLAIN, "plain.csv"))
    assert_allclose(_estimates(res), _estimates(plain), rtol=0, atol=0)
    assert [n.message for n in res.run_notes] == [f"{tmp_path / 'in.csv'}: blank row 5 skipped (no data)."]
    bad = text.replace("b,T2,0.1,0.05", "b,T2,0.1,abc")  # after the skipped row, numbering stays right
    with pytest.raises(InputError, match=r"row 7 \(analysis b\), column vi: must be a number, got 'abc'"):
        batch.run(_csv(tmp_path, bad, "bad.csv"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("analysis_id,yi,vi\na,0.1,0.01\na,0.2,0.01,7\n", "row 3: has 4 cells but the header has 3 columns"),
        ('analysis_id,study,yi,vi\na,"S1,0.1,0.01\na,S2,0.2,0.01\n', "row 2: a quoted cell is never closed"),
    ],
    ids=["extra_cell", "open_quote"],
)
def test_malformed_rows_name_the_row(tmp_path, text, expected):
    p = _csv(tmp_path, text)
    with pytest.raises(InputError) as exc:
        batch.run(p)
    assert str(exc.value).startswith(f"{p} {expected}"), str(exc.value)
    assert "\n" not in str(exc.value)


def test_semicolon_file_with_decimal_commas_says_how_to_fix(tmp_path):
    p = _csv(tmp_path, "analysis_id;yi;vi\na;0,1;0,01\n")
    with pytest.raises(InputError, match=r"row 2 \(analysis a\), column yi: must be a number, got '0,1'.*decimal"):
        batch.run(p)


def test_arm_level_semicolon_file_rows_match(tmp_path):
    text = ("analysis_id;m1i;sd1i;n1i;m2i;sd2i;n2i\n"
            "a;5;2;20;4;2;20\n\na;5.5;2.1;25;4.2;2;25\nb;3;1;15;2;1;15\nb;3.2;1.1;12;2.4;1;12\n")
    res = batch.run(_csv(tmp_path, text), measure="MD")
    ref = batch.run(_csv(tmp_path, text.replace(";", ",").replace("\n\n", "\n"), "plain.csv"), measure="MD")
    assert_allclose(_estimates(res), _estimates(ref), rtol=0, atol=0)
    with pytest.raises(InputError, match=r"row 5 \(analysis b #5\), column sd1i"):  # blank row 3 counts
        batch.run(_csv(tmp_path, text.replace("b;3;1;15", "b;3;-1;15"), "bad.csv"), measure="MD")
