"""The trial-level path end to end: the arm-level normand1999 pack through summarize equals R
metafor (tests/reference/golden/packs_normand1999.json, written by tests/reference/r/packs_normand.R:
rma(escalc(MD|SMD, ...), method="REML", test="knha"), metafor 3.8.1, R 4.2.2)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.packs import load_pack, summarize

from pack_helpers import NORMAND

GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_normand1999.json").read_text())
# Observed agreement with metafor is ~1e-15 relative (REML iterated to 1e-10/1e-12 on both sides);
# 1e-9 leaves room for platform BLAS / iteration-path differences, far inside the 1e-6 bar.
RTOL = 1e-9
# Fields that can be ~0 in absolute terms are compared with an absolute tolerance as well.
ATOL = 1e-9


def _finding(summary):
    assert len(summary.findings) == 1
    return summary.findings[0]


@pytest.fixture(scope="module")
def md_summary():
    return summarize(load_pack(NORMAND), method="REML", test="knha")


def test_md_equals_metafor(md_summary):
    g = GOLDEN["MD"]
    f = _finding(md_summary)
    assert (f.basis, f.status, f.measure, f.k, f.participants) == ("trials", "pooled", "MD", 9, g["participants"])
    for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert_allclose(getattr(f, key), g[key], rtol=RTOL, atol=ATOL, err_msg=key)
    m = f.meta
    for key in ("se", "pi_low", "pi_high", "tau2", "i2", "q"):
        assert_allclose(getattr(m, key), g[key], rtol=RTOL, atol=ATOL, err_msg=key)
    assert_allclose([t.yi for t in f.trials], g["yi"], rtol=1e-12)
    assert_allclose([t.vi for t in f.trials], g["vi"], rtol=1e-12)
    assert_allclose([t.weight for t in f.trials], g["weights"], rtol=RTOL, atol=ATOL)


def test_smd_equals_metafor(tmp_path):
    dst = tmp_path / "normand_smd"
    shutil.copytree(NORMAND, dst)
    toml = dst / "pack.toml"
    toml.write_text(toml.read_text().replace('pool_measure = "MD"', 'pool_measure = "SMD"'))
    f = _finding(summarize(load_pack(dst)))
    g = GOLDEN["SMD"]
    assert f.measure == "SMD" and f.k == 9
    for key in ("estimate", "ci_low", "ci_high"):
        assert_allclose(getattr(f, key), g[key], rtol=RTOL, atol=ATOL, err_msg=key)
    for key in ("se", "pi_low", "pi_high", "tau2", "i2"):
        assert_allclose(getattr(f.meta, key), g[key], rtol=RTOL, atol=ATOL, err_msg=key)
    assert_allclose([t.yi for t in f.trials], g["yi"], rtol=1e-10)


def test_summary_json_and_determinism(md_summary):
    d = md_summary.to_dict()
    text = json.dumps(d)
    assert json.dumps(summarize(load_pack(NORMAND)).to_dict()) == text  # deterministic
    f = d["findings"][0]
    for key in ("outcome", "family", "timepoint", "comparison", "measure", "estimate", "ci_low", "ci_high", "k",
                "participants", "basis", "sources"):
        assert key in f
    assert f["meta"]["method"] == "REML" and f["meta"]["test"] == "knha"
    assert len(f["sources"]) == 9 and all("Normand" in s for s in f["sources"])
    assert f["not_poolable"] == [] and f["reviews"] == []
    assert d["safety"]["pools"] == [] and d["mechanisms"] == []


def test_method_and_test_pass_through():
    f = _finding(summarize(load_pack(NORMAND), method="DL", test="z"))
    assert f.meta.method == "DL" and f.meta.test == "z"
    assert not np.isclose(f.ci_low, GOLDEN["MD"]["ci_low"])


def test_bad_method_is_spec_error():
    from evigrade.errors import SpecError

    with pytest.raises(SpecError, match="method"):
        summarize(load_pack(NORMAND), method="REML2")
    with pytest.raises(SpecError, match="test"):
        summarize(load_pack(NORMAND), test="t")


def test_auto_smd_when_instruments_differ(tmp_path):
    """Without pool_measure, arm-level rows on different instruments are pooled as SMD (with a note)."""
    dst = tmp_path / "normand_auto"
    shutil.copytree(NORMAND, dst)
    toml = dst / "pack.toml"
    toml.write_text(toml.read_text().replace('pool_measure = "MD"\n', ""))
    res = dst / "results.csv"
    lines = res.read_text().splitlines()
    lines[1] = lines[1].replace(",length of stay,days,", ",bed days,days,")
    res.write_text("\n".join(lines) + "\n")
    f = _finding(summarize(load_pack(dst)))
    assert f.measure == "SMD" and any(n.code == "smd_different_scales" for n in f.notes)
    assert_allclose(f.estimate, GOLDEN["SMD"]["estimate"], rtol=RTOL)


def test_to_frame(md_summary):
    df = md_summary.to_frame()
    assert list(df.columns) == list(md_summary.FRAME_COLUMNS) and len(df) == 1
    assert_allclose(df.loc[0, "estimate"], GOLDEN["MD"]["estimate"], rtol=RTOL)
    assert df.loc[0, "status"] == "pooled"
