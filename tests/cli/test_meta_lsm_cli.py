"""evigrade meta --scale COLS (location-scale model) and --multilevel OUTER,INNER --struct S (rma.mv ~ inner | outer),
checked against the metafor goldens of tests/reference/test_location_scale_golden.py and test_mv_struct_golden.py."""
from __future__ import annotations

import json

import pytest
from numpy.testing import assert_allclose

from cli_helpers import runner_for

#: The goldens' own tolerances (metafor's optimiser stopping point; see the reference tests): 1e-6 on the
#: location-scale parameters (bcg, scale = ~ ablat + mods = ~ ablat: 1.9e-6 at most on the scale SEs, numDeriv)
#: and 2e-6 on CS variance components fitted with metafor's tight nlminb control.
RTOL = 1e-6


@pytest.fixture
def run(monkeypatch, capsys):
    return runner_for(monkeypatch, capsys, "meta")


def _golden(golden_dir, name):
    return json.loads((golden_dir / name).read_text(encoding="utf-8"))


@pytest.fixture
def bcg(golden_dir, tmp_path):
    g = _golden(golden_dir, "extras_location_scale.json")
    d = g["datasets"]["bcg"]
    lines = ["study,yi,vi,ablat,year"] + [f"s{i + 1},{d['yi'][i]!r},{d['vi'][i]!r},{d['ablat'][i]!r},{d['year'][i]!r}"
                                          for i in range(len(d["yi"]))]
    p = tmp_path / "bcg.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, g


@pytest.fixture
def konstantopoulos(golden_dir, tmp_path):
    g = _golden(golden_dir, "extras_mv_struct.json")
    d = g["datasets"]["konstantopoulos2011"]
    lines = ["study,district,school,yi,vi"] + [
        f"d{d['district'][i]:g}-s{d['school'][i]:g},{d['district'][i]:g},{d['school'][i]:g},{d['yi'][i]!r},"
        f"{d['vi'][i]!r}" for i in range(len(d["yi"]))]
    p = tmp_path / "konstantopoulos2011.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, g


def test_scale_json_matches_metafor(run, bcg):
    p, g = bcg
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", "REML", "--test", "z", "--mods", "ablat",
                       "--scale", "ablat", "--json")
    assert rc == 0, err
    ls = json.loads(out)["location_scale"]
    want = next(c for c in g["cases"] if c["dataset"] == "bcg" and c["mods"] == ["ablat"] and c["scale"] == ["ablat"]
                and c["method"] == "REML" and c["test"] == "z")
    assert_allclose(ls["location"]["beta"], want["beta"], rtol=RTOL)
    assert_allclose(ls["location"]["se"], want["se"], rtol=RTOL)
    assert_allclose(ls["scale"]["alpha"], want["alpha"], rtol=RTOL, atol=1e-6)
    assert_allclose(ls["tau2"], want["tau2"], rtol=RTOL)
    assert_allclose([ls["lrt"], ls["fit_statistics"]["loglik"]], [want["LRT"], want["loglik"]], rtol=RTOL)


def test_scale_text_and_bad_options(run, bcg):
    p, _ = bcg
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--scale", "year", "--no-color")
    assert rc == 0, err
    assert "Location-scale model (k = 13; REML; log link)" in out and "LRT of the scale moderators" in out
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", "DL", "--scale", "ablat")
    assert rc == 3 and "REML" in err and len(err.strip().splitlines()) == 1
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--scale", "nosuchcol")
    assert rc == 3 and "nosuchcol" in err and len(err.strip().splitlines()) == 1
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--scale", "study")
    assert rc == 3 and "numeric" in err and len(err.strip().splitlines()) == 1


def test_struct_json_matches_metafor(run, konstantopoulos):
    p, g = konstantopoulos
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--method", "ML", "--test", "z",
                       "--multilevel", "district,school", "--struct", "CS", "--json")
    assert rc == 0, err
    mv = json.loads(out)["multilevel"]
    want = next(c for c in g["cases"] if c["dataset"] == "konstantopoulos2011" and c["method"] == "ML")
    assert mv["struct"] == "CS" and mv["n_outer"] == 11
    assert_allclose([mv["tau2"][0], mv["rho"][0]], [want["tau2"][0], want["rho"][0]], rtol=2e-6)
    assert_allclose([mv["beta"][0], mv["se"][0]], [want["beta"][0], want["se"][0]], rtol=RTOL)
    assert_allclose(mv["fit_statistics"]["loglik"], want["loglik"], rtol=1e-10)


def test_struct_text_and_bad_options(run, konstantopoulos):
    p, _ = konstantopoulos
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--multilevel", "district,school", "--struct", "cs",
                       "--no-color")
    assert rc == 0, err
    assert "Multivariate model (k = 56 effects in 11 groups; struct CS; REML)" in out and "rho = " in out
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--multilevel", "district,school", "--struct", "GEN")
    assert rc == 3 and "CS, HCS, UN, AR" in err and len(err.strip().splitlines()) == 1
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--struct", "UN")
    assert rc == 3 and "--multilevel" in err and len(err.strip().splitlines()) == 1
    rc, out, err = run("meta", str(p), "--measure", "GEN", "--multilevel", "district", "--struct", "UN")
    assert rc == 3 and "outer and the inner" in err
