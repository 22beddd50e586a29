"""`evigrade meta --json`: back-transformed pooled result (metafor predict(transf=)) and both Egger tests.

Goldens: transf.json (tests/reference/r/transf.R) and bias_smallstudy.json (tests/reference/r/bias.R).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cli_helpers import runner_for

# The CLI fits with the statistics core's default convergence threshold, not the goldens' 1e-12:
# ~1e-9 relative in REML-derived values; 1e-7 keeps a margin (the project bar is 1e-6).
RTOL = 1e-7
ATOL = 1e-12


@pytest.fixture
def run(monkeypatch, capsys):
    return runner_for(monkeypatch, capsys, "meta")


def _golden(golden_dir, name):
    return json.loads((golden_dir / name).read_text(encoding="utf-8"))


def _csv(golden_dir, tmp_path, name):
    case = next(c for c in _golden(golden_dir, "escalc.json")["cases"] if c["name"] == name)
    cols = list(case["data"])
    lines = ["study," + ",".join(cols)]
    for i, s in enumerate(case["slab"]):
        lines.append(f'"{s}",' + ",".join(repr(case["data"][k][i]) for k in cols))
    p = tmp_path / f"{name}.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _f(x):
    return np.nan if x is None else float(x)


@pytest.mark.parametrize("case_i", range(16))
def test_back_transformed_json_matches_metafor_transf(run, golden_dir, tmp_path, case_i):
    case = _golden(golden_dir, "transf.json")["cases"][case_i]
    p = _csv(golden_dir, tmp_path, case["escalc_case"])
    rc, out, err = run("meta", str(p), "--measure", case["measure"], "--method", case["method"], "--test",
                       case["test"], "--json")
    assert rc == 0, err
    bt = json.loads(out)["back_transformed"]
    assert bt["measure"] == case["measure"]
    got = [_f(bt[k]) for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")]
    assert_allclose(got, [_f(case[k]) for k in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub")], rtol=RTOL, atol=ATOL)


def test_no_back_transform_for_md(run, golden_dir, tmp_path):
    p = _csv(golden_dir, tmp_path, "normand1999_MD")
    rc, out, err = run("meta", str(p), "--measure", "MD", "--json")
    assert rc == 0, err
    assert "back_transformed" not in json.loads(out)


@pytest.mark.parametrize("method,test", [("REML", "knha"), ("REML", "z"), ("DL", "z"), ("DL", "knha")])
def test_bias_json_carries_classical_and_mixed_effects_egger(run, golden_dir, tmp_path, method, test):
    small = _golden(golden_dir, "bias_smallstudy.json")
    d = small["datasets"]["bcg"]
    p = tmp_path / "bcg.csv"
    p.write_text("yi,vi\n" + "".join(f"{y!r},{v!r}\n" for y, v in zip(d["yi"], d["vi"])), encoding="utf-8")
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", method, "--test", test, "--bias", "--json")
    assert rc == 0, err
    ss = json.loads(out)["small_study"]
    lm = next(c for c in small["regtest"] if c["dataset"] == "bcg" and c["model"] == "lm" and c["predictor"] == "sei")
    rma = next(c for c in small["regtest"] if c["dataset"] == "bcg" and c["model"] == "rma" and c["predictor"] == "sei"
               and c["method"] == method and c["test"] == test)
    assert_allclose([ss["egger"]["stat"], ss["egger"]["pval"]], [lm["zval"], lm["pval"]], rtol=1e-10)
    er = ss["egger_rma"]
    assert_allclose([er["stat"], er["pval"], er["tau2"]], [rma["zval"], rma["pval"], rma["tau2"]], rtol=RTOL, atol=ATOL)
    assert (er["df"] is None) == (test == "z")


@pytest.fixture
def konstantopoulos(golden_dir, tmp_path):
    g = _golden(golden_dir, "extras_mv.json")
    d = g["datasets"]["konstantopoulos2011"]
    lines = ["study,district,school,yi,vi"]
    for i in range(len(d["yi"])):
        lines.append(f"d{d['cluster'][i]:g}-s{d['obs'][i]:g},{d['cluster'][i]:g},{d['obs'][i]:g},{d['yi'][i]!r},"
                     f"{d['vi'][i]!r}")
    p = tmp_path / "konstantopoulos2011.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, g


def test_multilevel_and_robust_json_match_metafor(run, konstantopoulos):
    p, g = konstantopoulos
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", "REML", "--test", "z",
                       "--multilevel", "district,school", "--robust", "district", "--vcov", "CR2", "--json")
    assert rc == 0, err
    got = json.loads(out)
    ml = got["multilevel"]
    want = next(c for c in g["multilevel"] if c["dataset"] == "konstantopoulos2011" and not c["mods"]
                and c["method"] == "REML" and c["test"] == "z")
    # variance components: metafor's nlminb stopping point (see tests/reference/test_multilevel_golden.py)
    assert_allclose([v["sigma2"] for v in ml["variance_components"]], want["sigma2"], rtol=5e-7)
    assert_allclose([ml["beta"][0], ml["se"][0], ml["pval"][0]], [want["beta"][0], want["se"][0], want["pval"][0]],
                    rtol=1e-6)
    assert [v["n"] for v in ml["variance_components"]] == [11, 56]
    rb = got["robust"]
    wr = next(c for c in g["robust_mv"] if c["dataset"] == "konstantopoulos2011" and not c["mods"]
              and c["clubSandwich"])
    assert rb["vcov"] == "CR2" and rb["n_clusters"] == 11
    assert_allclose([rb["se"][0], rb["df"][0], rb["pval"][0]], [wr["se"][0], wr["dfs"][0], wr["pval"][0]], rtol=1e-6)


def test_multilevel_text_and_bad_options(run, konstantopoulos):
    p, _ = konstantopoulos
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--multilevel", "district,school", "--robust", "district",
                       "--no-color")
    assert rc == 0, err
    assert "Multilevel model (k = 56 effects in 11 clusters; REML)" in out and "Cluster-robust inference (CR1" in out
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", "DL", "--multilevel", "district,school")
    assert rc == 3 and "REML" in err and len(err.strip().splitlines()) == 1
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--robust", "district", "--vcov", "CR9")
    assert rc == 3 and "CR9" in err
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--multilevel", "nosuchcol")
    assert rc == 3 and "nosuchcol" in err
