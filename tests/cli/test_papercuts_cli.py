"""Issue 17 item 5: the CLI papercuts, one test each."""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest
from numpy.testing import assert_allclose

import evigrade
from evigrade.claims import MAX_BYTES

from cli_helpers import run_cli

ROOT = pathlib.Path(__file__).resolve().parents[2]

# BCG vaccine trials (metafor's dat.bcg), 2x2 counts; risk of bias invented for the test.
BCG = """study,ai,bi,ci,di,rob
Aronson 1948,4,119,11,128,low
Ferguson 1949,6,300,29,274,high
Rosenthal 1960,3,228,11,209,some concerns
Hart 1977,62,13536,248,12619,low
Frimodt-Moller 1973,33,5036,47,5761,low
Stein 1953,180,1361,372,1079,high
Vandiviere 1973,8,2537,10,619,low
TPT Madras 1980,505,87886,499,87892,low
Coetzee 1968,29,7470,45,7232,some concerns
Rosenthal 1961,17,1699,65,1600,high
Comstock 1974,186,50448,141,27197,low
Comstock 1969,5,2493,3,2338,low
Comstock 1976,27,16886,29,17825,low
"""


@pytest.fixture
def bcg(tmp_path):
    p = tmp_path / "bcg.csv"
    p.write_text(BCG, encoding="utf-8")
    return p


def test_bare_evigrade_prints_help_and_exits_0(capsys):
    rc, out, err = run_cli(capsys)
    assert rc == 0, err
    assert err == ""
    assert "Usage: evigrade" in out and "summarize" in out and "--version" in out


def test_version_prints_the_version(capsys):
    rc, out, err = run_cli(capsys, "--version")
    assert (rc, err) == (0, "")
    assert out.strip() == f"evigrade {evigrade.__version__}"
    assert re.fullmatch(r"evigrade \d+\.\d+\.\d+\S*", out.strip())


def test_grade_text_shows_reasons_as_words_not_codes(capsys, bcg):
    rc, out, err = run_cli(capsys, "grade", bcg, "--measure", "RR", "--no-color")
    assert rc == 0, err
    assert "rob_unknown" not in out and "inconsistency_very_serious" not in out
    assert not re.search(r"\b(rob|inconsistency|indirectness|imprecision|publication_bias)_[a-z_]+\b", out), out
    # the words of describe('rob_unknown') and describe('inconsistency_very_serious') (rich wraps table cells)
    assert "rated down as a precaution" in out and "considerable heterogeneity" in out


def test_meta_and_grade_json_carry_both_scales_for_ratio_measures(capsys, bcg):
    rc, out, err = run_cli(capsys, "meta", bcg, "--measure", "RR", "--json")
    assert rc == 0, err
    meta = json.loads(out)
    rc, out, err = run_cli(capsys, "grade", bcg, "--measure", "RR", "--rob-col", "rob", "--json")
    assert rc == 0, err
    grade = json.loads(out)["analysis"]
    # existing keys unchanged: meta on the log scale, grade on the ratio scale
    assert meta["estimate"] < 0 < grade["estimate"] < 1
    assert_allclose(meta["back_transformed"]["estimate"], grade["estimate"], rtol=1e-12)
    for d in (meta, grade):
        assert d["log_scale"]["scale"] == "log risk ratio" and d["ratio_scale"]["scale"] == "risk ratio"
    for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        # same fit, two commands: the same numbers under the same keys (exp/log round trip: 1e-12)
        assert_allclose(meta["log_scale"][k], grade["log_scale"][k], rtol=1e-12, err_msg=k)
        assert_allclose(meta["ratio_scale"][k], grade["ratio_scale"][k], rtol=1e-12, err_msg=k)
        assert_allclose(meta["log_scale"][k], meta[k], rtol=0, atol=0, err_msg=k)
        assert_allclose(grade["ratio_scale"][k], grade[k], rtol=0, atol=0, err_msg=k)
    # metafor dat.bcg, rma(measure="RR", method="REML"): estimate -0.7145 (log RR)
    assert_allclose(meta["log_scale"]["estimate"], -0.7145323, atol=5e-7)


def test_meta_json_has_no_scale_blocks_for_differences(capsys, tmp_path):
    p = tmp_path / "md.csv"
    p.write_text("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,2,20,2,2,20\nB,1.5,2,30,2,2.5,30\nC,0.5,1,25,1.5,1.2,25\n")
    rc, out, err = run_cli(capsys, "meta", p, "--measure", "MD", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert "log_scale" not in d and "ratio_scale" not in d


def test_readme_check_claims_size_limit_matches_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"Files over (\d+(?:\.\d+)?) (kB|MB), empty, binary", readme)
    assert m, "README no longer states the check-claims size limit"
    size = float(m.group(1)) * {"kB": 1_000, "MB": 1_000_000}[m.group(2)]
    assert size == MAX_BYTES


def test_pyproject_license_is_an_spdx_string():
    """setuptools >= 77 prints a deprecation box for ``license = {text = ...}`` and license classifiers."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert conf["project"]["license"] == "MIT"
    assert not any("License ::" in c for c in conf["project"].get("classifiers", []))
    req = [r for r in conf["build-system"]["requires"] if r.startswith("setuptools")]
    assert req == ["setuptools>=77"]


@pytest.mark.slow
def test_fresh_install_prints_no_deprecation_box(tmp_path):
    """A fresh ``pip install -e .`` (build isolation fetches setuptools>=77; needs the package index)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "-e", str(ROOT)],
                       capture_output=True, text=True, timeout=280)
    if r.returncode != 0 and ("Could not find a version" in r.stderr or "NewConnectionError" in r.stderr):
        pytest.skip("no package index reachable")
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    assert "SetuptoolsDeprecationWarning" not in text and "License classifiers are deprecated" not in text
    assert "project.license` as a TOML table is deprecated" not in text


def test_subgroup_and_leave_one_out_text_show_the_ratio_too(capsys, tmp_path):
    rows = BCG.strip().split("\n")
    text = "\n".join([rows[0] + ",alloc"] + [r + ("," + ("random" if i % 2 else "systematic"))
                                                for i, r in enumerate(rows[1:])]) + "\n"
    p = tmp_path / "bcg_alloc.csv"
    p.write_text(text, encoding="utf-8")
    rc, out, err = run_cli(capsys, "meta", p, "--measure", "RR", "--subgroup", "alloc", "--leave-one-out",
                           "--no-color", "--json")
    assert rc == 0, err
    d = json.loads(out)
    rc, out, err = run_cli(capsys, "meta", p, "--measure", "RR", "--subgroup", "alloc", "--leave-one-out",
                           "--no-color")
    assert rc == 0, err
    import math
    g = next(x for x in d["subgroups"]["groups"] if x["level"] == "random")
    want = f"RR {math.exp(g['estimate']):.4f} [{math.exp(g['ci_low']):.4f}, {math.exp(g['ci_high']):.4f}]"
    assert f"  random: k = {g['k']}, estimate {g['estimate']:.4f}" in out and want in out
    loo_lines = [ln for ln in out.splitlines() if ln.startswith("  without ")]
    assert len(loo_lines) == 13 and all("(RR " in ln for ln in loo_lines)


def test_md_subgroups_have_no_ratio(capsys, tmp_path):
    p = tmp_path / "md.csv"
    p.write_text("study,m1i,sd1i,n1i,m2i,sd2i,n2i,g\nA,1,2,20,2,2,20,x\nB,1.5,2,30,2,2.5,30,x\nC,0.5,1,25,1.5,1.2,25,y\n"
                 "D,0.7,1,25,1.4,1.2,25,y\n")
    rc, out, err = run_cli(capsys, "meta", p, "--measure", "MD", "--subgroup", "g", "--leave-one-out", "--no-color")
    assert rc == 0, err
    assert "without A:" in out and "(MD " not in out and "(RR " not in out
