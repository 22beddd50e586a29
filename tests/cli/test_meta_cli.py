"""`evigrade meta`: JSON equals metafor (via the golden files), text summary, and exit codes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cli_helpers import runner_for

# REML/Q-profile are iterative; R's goldens were converged to 1e-12, ours to B's defaults.  1e-8 is
# two orders tighter than the project bar (1e-6) and loose enough for convergence noise.
RTOL_ITERATIVE = 1e-8
# DerSimonian-Laird and Mantel-Haenszel are closed forms: only rounding separates them from R.
RTOL_CLOSED_FORM = 1e-10
ATOL = 1e-13


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the real ``main(argv)`` with only this command registered (isolates other commands)."""
    return runner_for(monkeypatch, capsys, "meta")


def _golden(golden_dir, name):
    return json.loads((golden_dir / name).read_text(encoding="utf-8"))


def _csv_from_escalc_case(golden_dir, tmp_path, name):
    case = next(c for c in _golden(golden_dir, "escalc.json")["cases"] if c["name"] == name)
    cols = list(case["data"])
    lines = ["study," + ",".join(cols)]
    for i, s in enumerate(case["slab"]):
        lines.append(f'"{s}",' + ",".join(repr(case["data"][k][i]) for k in cols))
    p = tmp_path / f"{name}.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, case


def _f(x):
    return np.nan if x is None else float(x)


def test_json_matches_metafor_reml_knha(run, golden_dir, tmp_path):
    p, esc = _csv_from_escalc_case(golden_dir, tmp_path, "normand1999_MD")
    rc, out, err = run("meta", str(p), "--measure", "MD", "--method", "REML", "--test", "knha", "--json")
    assert rc == 0, err
    got = json.loads(out)
    want = next(c for c in _golden(golden_dir, "rma.json")["cases"]
                if c["dataset"] == "normand1999" and c["method"] == "REML" and c["test"] == "knha")
    assert got["k"] == want["k"] == 9 and got["method"] == "REML" and got["test"] == "knha" and got["df"] == 8
    for key in ("estimate", "se", "zval", "pval", "ci_low", "ci_high", "pi_low", "pi_high", "tau2",
                "tau2_ci_low", "tau2_ci_high", "i2", "h2", "q", "q_pvalue"):
        assert_allclose(_f(got[key]), _f(want[key]), rtol=RTOL_ITERATIVE, atol=ATOL, err_msg=key)
    assert_allclose([s["weight"] for s in got["studies"]], want["weights"], rtol=RTOL_ITERATIVE)
    assert_allclose([s["yi"] for s in got["studies"]], esc["yi"], rtol=RTOL_CLOSED_FORM)
    assert_allclose([s["vi"] for s in got["studies"]], esc["vi"], rtol=RTOL_CLOSED_FORM)
    assert [s["study"] for s in got["studies"]] == esc["slab"]
    assert 0 <= got["i2"] <= 1 and abs(sum(s["weight"] for s in got["studies"]) - 1) < 1e-12


def test_json_matches_metafor_dl_z(run, golden_dir, tmp_path):
    p, _ = _csv_from_escalc_case(golden_dir, tmp_path, "bcg_OR")
    rc, out, err = run("meta", str(p), "--measure", "OR", "--method", "DL", "--test", "z", "--level", "95", "--json")
    assert rc == 0, err
    got = json.loads(out)
    want = next(c for c in _golden(golden_dir, "rma.json")["cases"]
                if c["dataset"] == "bcg" and c["method"] == "DL" and c["test"] == "z")
    for key in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "h2", "q", "q_pvalue"):
        assert_allclose(_f(got[key]), _f(want[key]), rtol=RTOL_CLOSED_FORM, atol=ATOL, err_msg=key)
    assert got["df"] is None


def test_json_revman5_uses_mantel_haenszel(run, golden_dir, tmp_path):
    p, _ = _csv_from_escalc_case(golden_dir, tmp_path, "bcg_OR")
    rc, out, err = run("meta", str(p), "--measure", "OR", "--preset", "revman5", "--json")
    assert rc == 0, err
    got = json.loads(out)
    want = next(c for c in _golden(golden_dir, "rma_mh.json")["cases"] if c["table"] == "bcg" and c["measure"] == "OR")
    assert got["method"] == "MH"
    for key in ("estimate", "se", "ci_low", "ci_high", "q", "i2"):
        assert_allclose(_f(got[key]), _f(want[key]), rtol=RTOL_CLOSED_FORM, atol=ATOL, err_msg=key)


def test_text_summary(run, golden_dir, tmp_path, monkeypatch):
    p, esc = _csv_from_escalc_case(golden_dir, tmp_path, "normand1999_SMD")
    rc, out, err = run("meta", str(p), "--measure", "SMD", "--no-color")
    assert rc == 0 and err == ""
    for frag in ("Random-Effects Model", "k = 9", "tau^2 estimator: REML", "tau^2", "I^2", "H^2",
                 "Q(df = 8)", "Model Results", "tval", "Prediction interval", "weight %", "Edinburgh", "Uppsala"):
        assert frag in out, frag
    assert "\x1b[" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    rc, out2, _ = run("meta", str(p), "--measure", "SMD")
    assert rc == 0 and "\x1b[" not in out2


def test_text_back_transforms_ratio_and_notes(run, tmp_path):
    p = tmp_path / "or.csv"
    p.write_text("study,ai,n1i,ci,n2i\nA,0,20,4,20\nB,3,30,6,30\nC,0,15,0,15\nD,5,40,9,41\n", encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", "OR", "--method", "DL", "--test", "z", "--no-color")
    assert rc == 0, err
    assert "Back-transformed (OR)" in out and "zval" in out
    assert "C excluded from the OR" in out and "Added 0.5" in out


BAD_FILES = {
    "missing_file": (None, "SMD"),
    "empty_file": ("", "SMD"),
    "header_only": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\n", "SMD"),
    "missing_column": ("study,m1i,sd1i,n1i,m2i,n2i\nA,1,1,10,1,10\n", "SMD"),
    "non_numeric": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,x,10,1,1,10\n", "SMD"),
    "empty_cell": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,,10,1,1,10\n", "SMD"),
    "inf_cell": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,inf,10,1,1,10\n", "SMD"),
    "sd_zero": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,0,10,1,1,10\n", "SMD"),
    "n_below_2": ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,1,1,1,1,10\n", "MD"),
    "events_gt_n": ("study,ai,n1i,ci,n2i\nA,11,10,1,10\n", "OR"),
    "non_integer": ("study,ai,n1i,ci,n2i\nA,1.5,10,1,10\n", "OR"),
    "duplicate_label": ("study,xi,ni\nA,1,10\nA,2,10\n", "PLO"),
    "ci_reversed": ("study,yi,ci_low,ci_high\nA,0.1,0.5,0.2\nB,0.2,0.1,0.3\n", "GEN"),
    "vi_zero": ("study,yi,vi\nA,0.1,0\nB,0.2,0.1\n", "GEN"),
    "r_one": ("study,ri,ni\nA,1,10\nB,0.2,20\n", "ZCOR"),
    "all_double_zero": ("study,ai,n1i,ci,n2i\nA,0,10,0,10\nB,0,12,0,12\n", "OR"),
    "not_utf8": (b"study,xi,ni\nM\xfcller,1,10\n", "PLO"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PLO"),
    "unknown_measure": ("study,xi,ni\nA,1,10\n", "PROPORTION"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_input_exits_3_with_one_line(run, tmp_path, kind):
    content, measure = BAD_FILES[kind]
    p = tmp_path / "studies.csv"
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif content is not None:
        p.write_text(content, encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", measure, "--json")
    assert rc == 3, (rc, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    if kind != "unknown_measure":
        assert "studies.csv" in lines[0] and "fix:" in lines[0]


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["--method", "REML2"], 3, "method='REML2' is not one of"),
        (["--test", "w"], 3, "test='w'"),  # "t" became valid (metafor test="t")
        (["--preset", "revman4"], 3, "preset='revman4' is not one of"),
        (["--level", "150"], 3, "level=150"),
        (["--level", "abc"], 2, ""),
        (["--bogus"], 2, ""),
    ],
)
def test_bad_options(run, tmp_path, args, code, fragment):
    p = tmp_path / "s.csv"
    p.write_text("study,xi,ni\nA,1,10\nB,3,12\n", encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", "PLO", *args)
    assert rc == code, (rc, err)
    assert "Traceback" not in err
    if code == 3:
        assert len(err.strip().splitlines()) == 1 and fragment in err


def test_missing_measure_is_usage_error(run, tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("study,xi,ni\nA,1,10\n", encoding="utf-8")
    rc, _, err = run("meta", str(p))
    assert rc == 2 and "Traceback" not in err


def test_text_common_effect_has_no_prediction_interval_and_keeps_odd_labels(run, tmp_path):
    p = tmp_path / "mh.csv"
    p.write_text('study,ai,bi,ci,di\n"[bold]Smith[/] 2004",4,119,11,128\nJones,6,300,29,274\n'
                 "Lee,3,228,11,209\n", encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", "OR", "--preset", "revman5", "--no-color")
    assert rc == 0, err
    assert "Mantel-Haenszel" in out and "Prediction interval" not in out and "tau^2" not in out
    assert "[bold]Smith[/] 2004" in out


def test_ratio_scale_flag(run, tmp_path):
    p = tmp_path / "or.csv"
    p.write_text("study,yi,ci_low,ci_high\nA,0.5,0.3,0.8\nB,0.7,0.5,0.95\nC,0.9,0.6,1.3\n", encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", "OR", "--ratio-scale", "--method", "DL", "--test", "z", "--json")
    assert rc == 0, err
    got = json.loads(out)
    assert_allclose(got["studies"][0]["yi"], np.log(0.5), rtol=1e-12)
    assert any(n["code"] == "ratio_scale" for n in got["notes"])
