"""summarize on reported effects (synthetic pack tests/packs/data/effects_mini): which rows pool,
which are listed as not poolable and why, the sign reversal, and the comparison with published
pooled results. B2002 gives two results (R2, R3), so the pack is pooled by the multilevel path (equal to
R metafor rma.mv + robust CR2: tests/packs/test_multilevel_pack.py, golden packs_multilevel.json); without R3
each study gives one result and the pooled figures equal R metafor rma()
(tests/reference/golden/packs_effects_mini.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from evigrade.packs import load_pack, summarize

PACK = Path(__file__).parent / "data" / "effects_mini"
GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_effects_mini.json").read_text())
GOLDEN_ML = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_multilevel.json").read_text())[
    "cases"]["effects_mini"]
RTOL = 1e-9  # observed ~1e-15; see test_summarize_normand.py for why 1e-9


@pytest.fixture(scope="module")
def finding():
    s = summarize(load_pack(PACK))
    assert len(s.findings) == 1
    return s.findings[0]


@pytest.fixture(scope="module")
def one_per_study(tmp_path_factory):
    """The pack without R3 (B2002's second result): one result per study."""
    import shutil

    dst = tmp_path_factory.mktemp("effects_mini") / "p"
    shutil.copytree(PACK, dst)
    res = dst / "results.csv"
    res.write_text("\n".join(x for x in res.read_text().splitlines() if not x.startswith("R3,")) + "\n")
    (f,) = summarize(load_pack(dst)).findings
    return f


def test_pooled_equals_metafor(one_per_study):
    f = one_per_study
    assert (f.basis, f.status, f.measure, f.k, f.participants) == ("trials", "pooled", "MD", 3, 40 + 61 + 49)
    for key in ("estimate", "ci_low", "ci_high"):
        assert_allclose(getattr(f, key), GOLDEN[key], rtol=RTOL, atol=1e-9, err_msg=key)
    for key in ("se", "pi_low", "pi_high", "tau2", "i2"):
        assert_allclose(getattr(f.meta, key), GOLDEN[key], rtol=1e-9, atol=1e-9, err_msg=key)
    assert_allclose([t.weight for t in f.trials], GOLDEN["weights"], rtol=1e-9)


def test_rows_used_and_reversed_sign(finding):
    used = {t.result_id: t for t in finding.trials}
    assert sorted(used) == ["R1", "R2", "R3", "R7"]  # B2002's two results both enter the multilevel model
    r2 = used["R2"]
    assert (r2.estimate, r2.ci_low, r2.ci_high, r2.orientation) == (-0.9, -1.7, -0.1, "reversed")
    assert_allclose(r2.vi, (1.6 / (2 * norm.ppf(0.975))) ** 2, rtol=1e-12)
    assert r2.derived_from == "ci"


def test_not_poolable_reasons(finding):
    reasons = {n.result_id: n.reason for n in finding.not_poolable}
    assert sorted(reasons) == ["R4", "R5", "R6", "R8"]
    assert "kept out of pooling" in reasons["R4"]
    assert "p-value" in reasons["R5"]
    assert "effect-size type not stated" in reasons["R6"]
    assert "sign convention is unclear" in reasons["R8"]


def test_comparison_with_reviews(finding):
    rv = {r.review_row_id: r for r in finding.reviews}
    assert_allclose(rv["RV1"].difference, GOLDEN_ML["estimate"] - (-1.5), rtol=1e-6)  # 1e-6: see test_multilevel_pack
    assert rv["RV2"].difference is None  # SMD vs our MD: not comparable
    assert rv["RV2"].primary  # documented rule: most recent numeric review
    text = finding.comparison_with_reviews
    assert "Rev2019 MD -1.5 [-2.2, -0.8]: ours differs by +0.299 (CIs overlap)" in text
    assert "Rev2021 SMD -0.6: not directly comparable (different measure)" in text
    assert finding.primary_review == "RV2" and finding.basis == "trials"  # k >= 2: ours is the finding


def test_k_below_two_rests_on_review(tmp_path):
    import shutil

    dst = tmp_path / "p"
    shutil.copytree(PACK, dst)
    res = dst / "results.csv"
    lines = res.read_text().splitlines()
    res.write_text("\n".join(line for line in lines if not line.startswith(("R1,", "R7,"))) + "\n")
    f = summarize(load_pack(dst)).findings[0]
    assert (f.basis, f.status, f.primary_review) == ("review", "review", "RV2")
    assert (f.measure, f.estimate, f.ci_low, f.ci_high, f.k) == ("SMD", -0.6, -0.9, -0.3, 5)
    assert [t.result_id for t in f.trials] == ["R2"]
    assert any(n.code == "rests_on_review" and "1 trial" in n.message for n in f.notes)
