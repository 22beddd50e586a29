"""Unit tests of evigrade.stats: options, edge cases (k = 1, 2), notes, fallback, errors, serialisation."""
from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import ConvergenceWarning, EstimationError, InputError, SpecError
from evigrade.stats import (
    METHODS,
    AnalysisSpec,
    Diagnostics,
    MetaResult,
    fit_rma,
    mantel_haenszel,
    meta_analysis,
    peto,
    tau2_estimate,
)

# dat.bcg log odds ratios (escalc "OR")
TPOS = np.array([4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27], float)
TNEG = np.array([119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886], float)
CPOS = np.array([11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29], float)
CNEG = np.array([128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825], float)
YI = np.log(TPOS / TNEG) - np.log(CPOS / CNEG)
VI = 1 / TPOS + 1 / TNEG + 1 / CPOS + 1 / CNEG


def test_methods_constant():
    assert METHODS == ("FE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM")


def test_defaults_are_cochrane_current():
    res = meta_analysis(YI, VI)
    assert isinstance(res, MetaResult)
    assert res.method == "REML" and res.test == "knha" and res.df == 12
    assert res.spec == AnalysisSpec(method="REML", test="knha", level=0.95, adhoc=False, preset=None,
                                    measure=None, pi=True, tau2_ci=True)
    assert not math.isnan(res.pi_low) and not math.isnan(res.tau2_ci_low)
    assert 0 <= res.i2 <= 1
    assert_allclose(res.weights.sum(), 1.0)
    assert res.ci_low < res.estimate < res.ci_high
    assert res.pi_low < res.ci_low and res.pi_high > res.ci_high


@pytest.mark.parametrize("alias,canon", [("CE", "FE"), ("common", "FE"), ("reml", "REML"), ("hsk", "HSk")])
def test_method_aliases(alias, canon):
    assert meta_analysis(YI, VI, method=alias).method == canon


def test_hksj_alias():
    assert meta_analysis(YI, VI, test="hksj").test == "knha"


def test_bad_options_raise_spec_error():
    with pytest.raises(SpecError, match=r"method='REML2' is not one of 'FE', 'DL'"):
        meta_analysis(YI, VI, method="REML2")
    with pytest.raises(SpecError, match="test="):
        meta_analysis(YI, VI, test="t2")
    with pytest.raises(SpecError, match="level"):
        meta_analysis(YI, VI, level=150)
    with pytest.raises(SpecError, match="control key"):
        meta_analysis(YI, VI, control={"thresh": 1})
    with pytest.raises(SpecError, match="preset"):
        meta_analysis(YI, VI, preset="revman4")
    with pytest.raises(SpecError, match="vi is required"):
        meta_analysis(YI)


def test_bad_input_is_one_line_input_error():
    vi = VI.copy()
    vi[3] = 0.0
    labels = [f"S{i}" for i in range(13)]
    with pytest.raises(InputError) as err:
        meta_analysis(YI, vi, study=labels)
    msg = str(err.value)
    assert "\n" not in msg
    assert "(S3)" in msg and "column vi" in msg and "got 0.0" in msg and "fix:" in msg
    yi = YI.copy()
    yi[0] = np.nan
    with pytest.raises(InputError, match="column yi"):
        meta_analysis(yi, VI)
    with pytest.raises(InputError, match="same length"):
        meta_analysis(YI, VI[:-1])
    with pytest.raises(InputError, match="k = 0"):
        meta_analysis([], [])


def test_k1_gives_the_study_with_notes():
    res = meta_analysis([0.5], [0.04])
    assert res.k == 1
    assert res.estimate == 0.5
    assert_allclose(res.se, 0.2)
    assert res.tau2 == 0.0
    assert res.test == "z"  # HKSJ needs k > 1
    assert math.isnan(res.q) and math.isnan(res.i2) and math.isnan(res.h2) and res.q_df == 0
    assert math.isnan(res.tau2_ci_low)
    codes = {n.code for n in res.notes}
    assert {"k_small", "undefined"} <= codes
    json.dumps(res.to_dict())  # NaN -> null, still valid JSON


def test_k2_works_with_note():
    res = meta_analysis([0.1, 0.5], [0.01, 0.02], method="REML", test="knha")
    assert res.k == 2 and res.df == 1 and res.q_df == 1
    assert any(n.code == "k_small" for n in res.notes)
    assert np.isfinite(res.ci_low) and np.isfinite(res.pi_low)


def test_truncation_keeps_raw_value_and_notes():
    yi = [0.10, 0.11, 0.09, 0.10]  # far less spread than the sampling variances imply
    vi = [0.04, 0.05, 0.03, 0.04]
    res = meta_analysis(yi, vi, method="DL")
    assert res.tau2 == 0.0
    assert res.diagnostics.tau2_raw < 0
    assert any(n.code == "tau2_truncated" for n in res.notes)
    t, raw, conv, it = tau2_estimate("DL", yi, vi)
    assert t == 0.0 and raw == res.diagnostics.tau2_raw and conv and it == 0


def test_fallback_chain_on_non_convergence():
    with pytest.warns(ConvergenceWarning, match="REML"):
        res = meta_analysis(YI, VI, method="REML", control={"maxiter": 1})
    # maxiter=1 also stops PM's root finding, so the chain goes on to DL
    assert res.diagnostics.fallback_chain == ("REML", "PM", "DL")
    assert res.diagnostics.method_used == "DL"
    assert res.method == "REML"  # what was asked for stays recorded
    dl = meta_analysis(YI, VI, method="DL")
    assert_allclose(res.tau2, dl.tau2, rtol=1e-12)
    assert any(n.code == "fallback" for n in res.notes)


def test_pm_fails_when_search_interval_too_short_and_falls_back():
    with pytest.warns(ConvergenceWarning, match="PM"):
        res = meta_analysis(YI, VI, method="PM", control={"tau2_max": 1e-4})
    assert res.diagnostics.fallback_chain == ("PM", "DL")
    assert_allclose(res.tau2, meta_analysis(YI, VI, method="DL").tau2, rtol=1e-12)


def test_explicit_fallback_chain_to_dl():
    with pytest.warns(ConvergenceWarning):
        res = meta_analysis(YI, VI, method="ML", control={"maxiter": 1, "fallback": ["DL"]})
    assert res.diagnostics.fallback_chain == ("ML", "DL")
    assert_allclose(res.tau2, meta_analysis(YI, VI, method="DL").tau2, rtol=1e-12)


def test_all_fail_is_estimation_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimationError, match="REML"):
            meta_analysis(YI, VI, method="REML", control={"maxiter": 1, "fallback": ["ML"]})


def test_adhoc_never_narrower_than_wald():
    yi = [0.10, 0.11, 0.09, 0.10, 0.12]
    vi = [0.04, 0.05, 0.03, 0.04, 0.05]
    z = meta_analysis(yi, vi, method="DL", test="z")
    kh = meta_analysis(yi, vi, method="DL", test="knha")
    ad = meta_analysis(yi, vi, method="DL", test="knha", adhoc=True)
    assert kh.se < z.se  # s2 < 1 here
    assert_allclose(ad.se, z.se, rtol=1e-12)
    assert ad.diagnostics.knha_scale == 1.0
    assert any(n.code == "knha_adhoc" for n in ad.notes)


def test_fe_has_no_tau2_ci_or_pi():
    res = meta_analysis(YI, VI, method="FE", test="z")
    assert res.tau2 == 0 and math.isnan(res.tau2_ci_low) and math.isnan(res.pi_low)
    assert_allclose(res.i2, max(0, (res.q - 12) / res.q))
    assert_allclose(res.h2, res.q / 12)


def test_switches_off_pi_and_tau2_ci():
    res = meta_analysis(YI, VI, pi=False, tau2_ci=False)
    assert math.isnan(res.pi_low) and math.isnan(res.tau2_ci_high) and math.isnan(res.i2_ci_low)


def test_to_dict_and_frame():
    res = meta_analysis(YI, VI, study=[f"S{i}" for i in range(13)], measure="OR")
    d = res.to_dict()
    text = json.dumps(d)
    assert "NaN" not in text
    for key in ("k", "estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_ci_low",
                "tau2_ci_high", "i2", "h2", "q", "q_pvalue", "method", "test", "studies", "notes", "diagnostics",
                "spec"):
        assert key in d
    assert d["measure"] == "OR" and d["studies"][0]["study"] == "S0"
    assert 0 <= d["i2"] <= 1
    assert_allclose(sum(s["weight"] for s in d["studies"]), 1.0)
    assert d["diagnostics"]["fallback_chain"] == ["REML"]
    df = res.to_frame()
    assert list(df.columns) == ["study", "yi", "vi", "sei", "weight"]
    assert len(df) == 13
    assert dataclasses.is_dataclass(res) and isinstance(res.diagnostics, Diagnostics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0  # type: ignore[misc]


def test_effect_table_input_and_revman5_preset():
    from evigrade.effects.table import EffectTable
    from evigrade.results import Note

    tab = EffectTable(
        measure="OR", yi=YI, vi=VI, study=tuple(f"S{i}" for i in range(13)),
        notes=(Note("zero_cell_correction", "x", study="S1"),),
        inputs={"ai": TPOS, "bi": TNEG, "ci": CPOS, "di": CNEG},
    )
    res = meta_analysis(tab)
    assert res.measure == "OR" and res.study[0] == "S0"
    assert res.notes[0].code == "zero_cell_correction"  # the table's notes are carried along
    rm = meta_analysis(tab, preset="revman5")
    mh = mantel_haenszel(TPOS, TNEG, CPOS, CNEG, measure="OR")
    assert rm.method == "MH" and rm.spec.preset == "revman5"
    assert_allclose(rm.estimate, mh.estimate, rtol=1e-14)
    # without counts revman5 = DL + z
    rm2 = meta_analysis(YI, VI, preset="revman5")
    dl = meta_analysis(YI, VI, method="DL", test="z")
    assert rm2.spec.method == "DL" and rm2.test == "z" and rm2.spec.preset == "revman5"
    assert_allclose(rm2.estimate, dl.estimate, rtol=1e-14)
    with pytest.raises(SpecError):
        meta_analysis(tab, VI)


def test_fit_rma_meta_regression_shapes_and_errors():
    ablat = np.array([44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33], float)
    X = np.column_stack([np.ones(13), ablat])
    fit = fit_rma(YI, VI, X, method="REML", test="z")
    assert fit.p == 2 and fit.beta.shape == (2,) and fit.vb.shape == (2, 2) and fit.q_df == 11
    assert fit.beta[1] < 0  # the BCG vaccine works better further from the equator
    with pytest.raises(InputError, match="full rank"):
        fit_rma(YI, VI, np.column_stack([np.ones(13), np.ones(13)]))
    with pytest.raises(InputError, match="one row per study"):
        fit_rma(YI, VI, np.ones((5, 1)))
    with pytest.raises(InputError, match="too few studies"):
        fit_rma(YI[:2], VI[:2], X[:2], method="REML")


def test_location_of_user_weights():
    res = meta_analysis(YI, VI, method="DL", test="z", weights=np.ones(13))
    assert_allclose(res.estimate, YI.mean(), rtol=1e-12)
    assert_allclose(res.weights, np.full(13, 1 / 13))


def test_mh_errors_and_notes():
    with pytest.raises(InputError, match="column bi"):
        mantel_haenszel([1, 2], [-1, 3], [1, 1], [4, 4])
    with pytest.raises(InputError, match="no participants"):
        mantel_haenszel([0, 2], [0, 3], [1, 1], [4, 4])
    with pytest.raises(SpecError, match="measure"):
        mantel_haenszel([1], [2], [3], [4], measure="HR")
    with pytest.raises(EstimationError):
        mantel_haenszel([0, 0], [10, 10], [0, 0], [10, 10], measure="OR")
    res = mantel_haenszel([0, 3, 0], [10, 7, 10], [2, 4, 0], [8, 6, 10], measure="RD")
    codes = [n.code for n in res.notes]
    assert "zero_cell_correction" in codes and "double_zero_excluded" in codes
    assert res.q_df == 1  # the double-zero study is kept for MH but not for Q
    pe = peto([0, 3], [10, 7], [2, 4], [8, 6])
    assert pe.method == "PETO" and pe.measure == "OR" and pe.k == 2


def test_pm_widens_default_interval_where_metafor_stops():
    # metafor 3.8: "Value of 'tau2.max' too low"; with control=list(tau2.max=1e6) it gives 199999.
    y = np.array([0.0, 0.0, 0.0, 0.0, 1000.0])
    res = meta_analysis(y, np.ones(5), method="PM")
    assert_allclose(res.tau2, 199999.0, rtol=1e-10)
    assert res.diagnostics.fallback_chain == ("PM",)
    assert any(n.code == "pm_interval_extended" for n in res.notes)


def test_stats_does_not_import_presentation_libraries():
    import subprocess
    import sys

    code = ("import sys, evigrade.stats; bad = [m for m in ('matplotlib', 'jinja2', 'typer', 'rich') "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_qprofile_ci_null_when_studies_agree_too_well():
    # Q(tau2 = 0) = 0 is below the lower chi2 quantile: metafor gives the CI [0, 0] ("null")
    res = meta_analysis([0.2, 0.2, 0.2, 0.2], [0.01, 0.02, 0.03, 0.04], method="REML")
    assert res.tau2 == 0 and res.tau2_ci_low == 0 and res.tau2_ci_high == 0
    assert res.i2_ci_low == 0 and res.i2_ci_high == 0 and res.h2_ci_high == 1
    assert any(n.code == "tau2_ci_null" for n in res.notes)
    # HKSJ with all residuals 0 gives se = 0 as metafor, with a note; adhoc restores the Wald se
    assert res.se == 0 and any(n.code == "knha_zero_scale" for n in res.notes)
    assert meta_analysis([0.2, 0.2, 0.2, 0.2], [0.01, 0.02, 0.03, 0.04], adhoc=True).se > 0
