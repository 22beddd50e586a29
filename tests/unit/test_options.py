"""One canonicaliser for method / test / level: every alias means the same in meta_analysis,
fit_rma, batch.run and packs.summarize (issue 12: ``method="fixed"`` used to fail in batch)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evigrade import batch
from evigrade._options import (
    ENGINE_TESTS, METHOD_ALIASES, TEST_ALIASES, canonical_level, canonical_method, canonical_test,
)
from evigrade.errors import SpecError
from evigrade.stats import meta_analysis

YI = np.array([-0.42, -0.10, -0.65, 0.05, -0.31, -0.22])
VI = np.array([0.041, 0.023, 0.090, 0.018, 0.052, 0.030])

METHOD_SPELLINGS = [(alias, canon) for alias, canon in METHOD_ALIASES.items()] + [
    (alias.lower(), canon) for alias, canon in METHOD_ALIASES.items()] + [("common", "FE"), (" Fixed ", "FE")]
TEST_SPELLINGS = [(alias, canon) for alias, canon in TEST_ALIASES.items()] + [
    (alias.lower(), canon) for alias, canon in TEST_ALIASES.items()]


def _table() -> pd.DataFrame:
    return pd.DataFrame({"analysis_id": ["a"] * 6 + ["b"] * 3, "yi": np.r_[YI, YI[:3] + 0.2],
                         "vi": np.r_[VI, VI[:3]]})


@pytest.mark.parametrize("alias,canon", METHOD_SPELLINGS)
def test_method_alias_same_in_meta_analysis_and_batch(alias, canon):
    ref = meta_analysis(YI, VI, method=canon, test="z")
    got = meta_analysis(YI, VI, method=alias, test="z")
    assert got.method == canon == "FE"
    assert got.to_dict() == ref.to_dict()
    b_ref = batch.run(_table(), canon, "z")
    b_got = batch.run(_table(), alias, "z")
    assert b_got.method == "FE"
    pd.testing.assert_frame_equal(b_got.table, b_ref.table)
    # and the two engines agree on the pooled estimate for the same alias
    row = b_got.table.set_index("analysis_id").loc["a"]
    np.testing.assert_allclose([row["estimate"], row["se"]], [got.estimate, got.se], rtol=1e-12)


@pytest.mark.parametrize("alias,canon", TEST_SPELLINGS)
def test_test_alias_same_in_meta_analysis_and_batch(alias, canon):
    ref = meta_analysis(YI, VI, method="REML", test=canon)
    got = meta_analysis(YI, VI, method="REML", test=alias)
    assert got.test == canon
    assert got.to_dict() == ref.to_dict()
    b_ref = batch.run(_table(), "REML", canon)
    b_got = batch.run(_table(), "REML", alias)
    assert b_got.test == canon
    pd.testing.assert_frame_equal(b_got.table, b_ref.table)
    row = b_got.table.set_index("analysis_id").loc["a"]
    np.testing.assert_allclose([row["estimate"], row["ci_low"], row["ci_high"]],
                               [got.estimate, got.ci_low, got.ci_high], rtol=1e-9)


def test_fixed_in_batch_was_refused_and_now_is_fe():
    res = batch.run(_table(), "fixed", "knha")
    assert res.method == "FE"
    assert set(res.table["method"]) == {"FE"}


@pytest.mark.parametrize("level", [95, 0.95, 95.0])
def test_level_percentage_or_fraction_at_the_boundary(level):
    assert canonical_level(level) == 0.95
    assert meta_analysis(YI, VI, level=level).level == 0.95
    assert batch.run(_table(), "DL", "z", level=level).level == 0.95


def test_errors_name_the_engine_set():
    with pytest.raises(SpecError, match=r"method='SJ' is not one of 'FE', 'DL', 'PM', 'ML', 'REML', 'EB'"):
        batch.run(_table(), "SJ", "z")
    assert meta_analysis(YI, VI, method="SJ").method == "SJ"
    # stats implements metafor's plain t-test; batch and packs do not, and their message names their set
    assert canonical_test("t") == "t"
    with pytest.raises(SpecError, match=r"test='t' is not one of 'z', 'knha'"):
        canonical_test("t", ENGINE_TESTS)
    with pytest.raises(SpecError, match=r"test='t' is not one of 'z', 'knha'"):
        batch.run(_table(), "REML", "t")
    with pytest.raises(SpecError, match=r"method='fixed-effect' is not one of"):
        canonical_method("fixed-effect", ("FE", "DL"))
    with pytest.raises(SpecError, match=r"level=150 must be a percentage"):
        canonical_level(150)


def test_level_is_not_sent_through_a_percentage_round_trip():
    # 0.999 * 100 / 100 != 0.999 in floating point: the fraction is passed on as it is
    from evigrade.stats.proportions import meta_proportions

    res = meta_proportions([3, 5, 9], [40, 50, 60], level=0.999)
    assert res.meta.level == 0.999
    assert meta_proportions([3, 5, 9], [40, 50, 60], level=99.9).meta.level == canonical_level(99.9)


def test_aliases_mean_the_same_in_packs_summarize():
    from evigrade.packs import summarize

    alias = summarize(None, method="fixed", test="wald", level=0.95)
    canon = summarize(None, method="FE", test="z", level=95)
    assert (alias.method, alias.test, alias.level) == ("FE", "z", 0.95)
    assert alias.to_dict() == canon.to_dict()
