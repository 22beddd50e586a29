"""evigrade.effects.escalc against R metafor 3.8-1 escalc() (golden JSON from tests/reference/r/escalc.R).

Regenerate the golden file with ``Rscript tests/reference/r/escalc.R`` (repo root as working dir).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.effects import (
    cmicalc,
    compute,
    transform_pft,
    transform_pft_back,
    transform_plo_back,
    transform_zcor_back,
)

# escalc's outputs are closed-form expressions of the inputs (no iteration).  The only differences
# from R come from floating-point evaluation order and libm (log/asin/lgamma), i.e. a few ulp;
# 1e-10 relative leaves four orders of magnitude of room while catching any formula difference.
RTOL_CLOSED_FORM = 1e-10
# Absolute floor for values that are exactly 0 in R (e.g. yi of a study with equal arms).
ATOL_ZERO = 1e-14


def _golden(golden_dir):
    path = golden_dir / "escalc.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _cases():
    from pathlib import Path

    path = Path(__file__).resolve().parent / "golden" / "escalc.json"
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def _nan(xs):
    return np.array([np.nan if x is None else x for x in xs], dtype=float)


def test_provenance(golden_dir):
    prov = _golden(golden_dir)["provenance"]
    assert prov["metafor_version"] == "3.8.1"
    assert prov["r_version"].startswith("R version 4.2.2")


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_escalc_matches_metafor(case):
    assert case["call"].startswith(f"escalc(measure=\"{case['measure']}\"")
    opts = dict(case["options"])
    data = {k: _nan(v) for k, v in case["data"].items()}
    tab = compute(case["measure"], data, study=case["slab"], **opts)
    yi_r, vi_r = _nan(case["yi"]), _nan(case["vi"])
    na = np.isnan(yi_r)
    # rows that metafor sets to NA are exactly the ones evigrade excludes (drop00 double zeros)
    assert list(tab.excluded) == [s for s, m in zip(case["slab"], na) if m]
    assert list(tab.study) == [s for s, m in zip(case["slab"], na) if not m]
    assert len(tab) == int((~na).sum()) > 0
    assert_allclose(tab.yi, yi_r[~na], rtol=RTOL_CLOSED_FORM, atol=ATOL_ZERO)
    assert_allclose(tab.vi, vi_r[~na], rtol=RTOL_CLOSED_FORM, atol=ATOL_ZERO)
    # every exclusion has a note
    for s in tab.excluded:
        assert any(n.code == "double_zero_excluded" and n.study == s for n in tab.notes)


def test_zero_cell_corrections_are_noted():
    case = next(c for c in _cases() if c["name"] == "nielweise2007_OR_drop00")
    data = {k: _nan(v) for k, v in case["data"].items()}
    tab = compute("OR", data, study=case["slab"], drop00=True)
    zero = [s for s, a, c in zip(case["slab"], data["ai"], data["ci"]) if (a == 0) != (c == 0)]
    assert sorted(n.study for n in tab.notes if n.code == "zero_cell_correction") == sorted(zero)
    assert tab.excluded == ("Yucel 2004",)


def test_back_transforms_match_metafor(golden_dir):
    t = _golden(golden_dir)["transforms"]
    x = np.array(t["x"])
    assert_allclose(transform_plo_back(x), t["ilogit"], rtol=RTOL_CLOSED_FORM)
    assert_allclose(transform_zcor_back(x), t["ztor"], rtol=RTOL_CLOSED_FORM)
    z = np.array(t["pft_x"])
    assert_allclose(transform_pft_back(z, np.array(t["pft_ni"])), t["ipft_hm"], rtol=RTOL_CLOSED_FORM, atol=ATOL_ZERO)
    assert_allclose(transform_pft_back(z, 20), t["ipft_n20"], rtol=RTOL_CLOSED_FORM, atol=ATOL_ZERO)
    assert_allclose(transform_pft(np.array(t["pft_p"]), 20), t["pft_of_p_n20"], rtol=RTOL_CLOSED_FORM)


def test_cmicalc_matches_metafor(golden_dir):
    t = _golden(golden_dir)["transforms"]
    assert_allclose(cmicalc(np.array(t["cmi_m"])), t["cmi"], rtol=RTOL_CLOSED_FORM)
