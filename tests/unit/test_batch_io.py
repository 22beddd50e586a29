"""Batch input validation, arm-level input through escalc, CSV/Parquet round trips, result objects."""
from __future__ import annotations

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
        ("", "in.csv: cannot be read as a table"),
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
        for i, (aid, g) in enumerate(df.groupby("analysis_id", sort=False)):
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
    with pytest.raises(Exception):
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
