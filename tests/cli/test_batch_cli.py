"""``evigrade batch``: writes the table atomically, one-line errors with exit code 3, Dask options."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evigrade import batch
from evigrade.batch.workload import make_workload
from evigrade.cli import main


@pytest.fixture
def workload_csv(tmp_path):
    p = tmp_path / "many.csv"
    make_workload(60, seed=31).to_csv(p, index=False)
    return p


def test_batch_csv_to_parquet(tmp_path, workload_csv, capsys):
    out = tmp_path / "fits.parquet"
    rc = main(["batch", str(workload_csv), "-o", str(out), "--method", "REML", "--test", "knha", "--tau2-ci"])
    assert rc == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("wrote 60 analyses (") and "REML/knha" in line and str(out) in line
    got = pd.read_parquet(out)
    ref = batch.run(workload_csv, "REML", "knha", tau2_ci=True).table
    assert_allclose(got.estimate, ref.estimate, rtol=0, atol=0)
    assert_allclose(got.tau2_ci_high, ref.tau2_ci_high, rtol=0, atol=0)


def test_batch_options_and_csv_output(tmp_path, workload_csv, capsys):
    out = tmp_path / "fits.csv"
    assert main(["batch", str(workload_csv), "-o", str(out), "--method", "DL", "--test", "z", "--no-pi",
                 "--level", "90", "-q"]) == 0
    assert capsys.readouterr().out == ""
    got = pd.read_csv(out)
    assert (got.method == "DL").all() and (got.test == "z").all()
    assert got.pi_low.isna().all()
    ref = batch.run(workload_csv, "DL", "z", level=90, pi=False).table
    assert_allclose(got.ci_low, ref.ci_low, rtol=0, atol=0)


def test_batch_json_is_to_dict(tmp_path, workload_csv, capsys):
    out = tmp_path / "fits.csv"
    assert main(["batch", str(workload_csv), "-o", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    ref = batch.run(workload_csv)
    assert printed == json.loads(json.dumps(ref.to_dict()))


def test_arm_level_with_measure(tmp_path, capsys):
    p = tmp_path / "arms.csv"
    p.write_text("analysis_id,m1i,sd1i,n1i,m2i,sd2i,n2i\na,5,2,20,4,2,20\na,5,2,20,4,3,25\nb,1,1,10,2,1,10\n")
    out = tmp_path / "o.csv"
    assert main(["batch", str(p), "-o", str(out), "--measure", "SMD"]) == 0
    got = pd.read_csv(out)
    assert list(got.analysis_id) == ["a", "b"] and list(got.k) == [2, 1]


@pytest.mark.parametrize(
    "args, text",
    [
        (["--method", "REML2"], "method='REML2' is not one of"),
        (["--test", "t"], "test='t' is not one of"),
        (["--scheduler", "tcp://127.0.0.1:1", "--dask-workers", "2"], "either --scheduler or --dask-workers"),
    ],
)
def test_bad_options_exit_3(tmp_path, workload_csv, capsys, args, text):
    out = tmp_path / "o.csv"
    rc = main(["batch", str(workload_csv), "-o", str(out), *args])
    err = capsys.readouterr().err
    assert rc == 3
    assert text in err and err.count("\n") == 1
    assert not out.exists()


def test_bad_data_exit_3_and_no_partial_file(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text("analysis_id,yi,vi\na,0.1,0.01\na,0.2,-1\n")
    out = tmp_path / "o.csv"
    rc = main(["batch", str(p), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.startswith(f"error: {p} row 3 (analysis a), column vi: must be > 0, got -1.0; fix:") or \
        err.startswith(f"error: {p} row 3 (analysis a), column vi: must be > 0, got -1; fix:")
    assert not out.exists() and list(tmp_path.iterdir()) == [p]


def test_output_extension_and_folder(tmp_path, workload_csv, capsys):
    assert main(["batch", str(workload_csv), "-o", str(tmp_path / "o.txt")]) == 3
    assert "must end in .csv or .parquet" in capsys.readouterr().err
    assert main(["batch", str(workload_csv), "-o", str(tmp_path / "no" / "o.csv")]) == 3
    assert "output folder does not exist" in capsys.readouterr().err


def test_missing_input_exit_3(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.csv")]) == 3
    assert "file not found" in capsys.readouterr().err


def test_missing_output_option_is_usage_error(workload_csv, capsys):
    assert main(["batch", str(workload_csv)]) == 2


def test_unreachable_scheduler_exit_3(tmp_path, workload_csv, capsys):
    rc = main(["batch", str(workload_csv), "-o", str(tmp_path / "o.csv"), "--scheduler", "tcp://127.0.0.1:9"])
    assert rc == 3
    assert "cannot connect to the Dask scheduler" in capsys.readouterr().err


@pytest.mark.slow
def test_dask_workers_local_cluster(tmp_path, workload_csv, capsys):
    """--dask-workers 2 starts a LocalCluster of two worker processes (a few seconds)."""
    out = tmp_path / "o.parquet"
    assert main(["batch", str(workload_csv), "-o", str(out), "--dask-workers", "2", "--partitions", "4"]) == 0
    got = pd.read_parquet(out)
    ref = batch.run(workload_csv).table
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)  # parquet reads text back as str dtype


def test_latin1_input_is_one_line_error_with_row_exit_3(tmp_path, capsys):
    p = tmp_path / "latin.csv"
    p.write_bytes("analysis_id,study,yi,vi\na,S1,0.1,0.01\na,G\xf6tz,0.3,0.02\n".encode("latin-1"))
    out = tmp_path / "o.csv"
    rc = main(["batch", str(p), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.startswith(f"error: {p} row 3: is not UTF-8 text (byte 0xf6") and err.count("\n") == 1
    assert "fix: save the file as 'CSV UTF-8'" in err
    assert not out.exists()


def test_semicolon_input_is_detected_and_noted(tmp_path, capsys):
    p = tmp_path / "semi.csv"
    make_workload(5, seed=3).to_csv(p, index=False, sep=";")
    plain = tmp_path / "plain.csv"
    make_workload(5, seed=3).to_csv(plain, index=False)
    rc = main(["batch", str(p), "-o", str(tmp_path / "o.csv")])
    out = capsys.readouterr().out
    assert rc == 0 and f"note: {p} was read as semicolon-delimited text." in out
    assert main(["batch", str(plain), "-o", str(tmp_path / "p.csv"), "-q"]) == 0
    a, b = pd.read_csv(tmp_path / "o.csv"), pd.read_csv(tmp_path / "p.csv")
    assert_allclose(a["estimate"].to_numpy(), b["estimate"].to_numpy(), rtol=0, atol=0)
