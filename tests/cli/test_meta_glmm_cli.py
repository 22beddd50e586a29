"""`evigrade meta --glmm MODEL`: metafor rma.glmm on arm-level binary CSVs (golden: extras_glmm.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, runner_for

G = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "extras_glmm.json").read_text())


@pytest.fixture
def run(monkeypatch, capsys):
    return runner_for(monkeypatch, capsys, "meta")


@pytest.fixture
def nielweise(tmp_path):
    d = G["datasets"]["nielweise2007"]
    rows = ["study,ai,n1i,ci,n2i"] + [f"S{i + 1},{int(a)},{int(a + b)},{int(c)},{int(c + dd)}"
                                     for i, (a, b, c, dd) in enumerate(zip(d["ai"], d["bi"], d["ci"], d["di"]))]
    p = tmp_path / "nielweise2007.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p


def _case(model, method, test="z"):
    return next(c for c in G["cases"] if c["dataset"] == "nielweise2007" and c["model"] == model
                and c["method"] == method and c["kind"] == "tight" and c["test"] == test and c["nAGQ"] == 7)


def test_glmm_json_matches_metafor(run, nielweise):
    rc, out, err = run("meta", str(nielweise), "--measure", "OR", "--method", "ML", "--test", "z", "--glmm", "CM.EL",
                       "--json")
    assert rc == 0, err
    got = json.loads(out)["glmm"]
    want = _case("CM.EL", "ML")
    assert got["model"] == "CM.EL" and got["k"] == 17 and got["k_all"] == 17  # the reader already dropped Yucel
    assert_allclose([got["estimate"], got["tau2"]], [want["beta"], want["tau2"]], atol=1e-6)
    dflt = next(c for c in G["cases"] if c["dataset"] == "nielweise2007" and c["model"] == "CM.EL"
                and c["method"] == "ML" and c["kind"] == "default")  # (the tight fit has no QE: see the R script)
    assert_allclose(got["qe_lrt"], dflt["QE_LRT"], rtol=1e-7)
    rc, out, err = run("meta", str(nielweise), "--measure", "OR", "--method", "FE", "--glmm", "um.fs", "--json")
    assert rc == 0, err
    got = json.loads(out)["glmm"]
    want = _case("UM.FS", "FE")
    assert got["method"] == "FE" and got["test"] == "t"  # the CLI's default knha maps to metafor's test="t"
    assert_allclose([got["estimate"], got["se"], got["qe_wald"]], [want["beta"], want["se"], want["QE_Wld"]],
                    rtol=1e-9)


def test_glmm_text_and_bad_values(run, nielweise):
    rc, out, err = run("meta", str(nielweise), "--measure", "OR", "--glmm", "CM.AL", "--no-color")
    assert rc == 0, err
    assert "Generalised linear mixed model (CM.AL, ML; k = 17; metafor rma.glmm)" in out
    assert "Tests for heterogeneity: Wald(df = 16)" in out and "LRT(df = 16)" in out
    rc, out, err = run("meta", str(nielweise), "--measure", "OR", "--glmm", "XX")
    assert_one_line_error(rc, out, err, "--glmm='XX' is not one of UM.FS, UM.RS, CM.EL, CM.AL")
    rc, out, err = run("meta", str(nielweise), "--measure", "RR", "--glmm", "UM.FS")
    assert_one_line_error(rc, out, err, "--glmm needs --measure OR")
