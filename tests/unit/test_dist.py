"""evigrade._dist (scipy.special calls) gives exactly what scipy.stats gives, edges included."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats as sps

from evigrade import _dist

X = np.array([-np.inf, -40.0, -3.5, -1.0, -1e-300, 0.0, 1e-300, 1e-12, 0.3, 1.0, 1.96, 7.25, 38.0, 500.0, np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-300, 1e-17, 1e-9, 0.001, 0.025, 0.3, 0.5, 0.975, 1 - 1e-12, 1.0, 1.1, np.nan])
DF = [-1.0, 0.0, 0.5, 1, 2, 3.7, 9, 29, 150, 1e6, np.inf, np.nan]


def same(got, want) -> None:
    """Bit-identical, NaN where scipy.stats gives NaN, and a scalar where it gives a scalar."""
    assert np.ndim(got) == np.ndim(want)
    assert_array_equal(np.asarray(got), np.asarray(want))


def test_norm() -> None:
    same(_dist.norm.cdf(X), sps.norm.cdf(X))
    same(_dist.norm.sf(X), sps.norm.sf(X))
    same(_dist.norm.ppf(Q), sps.norm.ppf(Q))
    same(_dist.norm.isf(Q), sps.norm.isf(Q))
    for x in (0.0, 1.96, -2.5):
        same(_dist.norm.sf(x), sps.norm.sf(x))
        same(_dist.norm.isf(0.025), sps.norm.isf(0.025))
    for loc, scale in ((0.0, 1.0), (0.3, 0.2), (-1.0, 3.0), (0.0, 0.0), (0.0, -1.0)):
        same(_dist.norm.logpdf(X, loc, scale), sps.norm.logpdf(X, loc, scale))


@pytest.mark.parametrize("df", DF)
def test_t_and_chi2(df) -> None:
    for name in ("t", "chi2"):
        ours, theirs = getattr(_dist, name), getattr(sps, name)
        same(ours.cdf(X, df), theirs.cdf(X, df))
        same(ours.sf(X, df), theirs.sf(X, df))
        same(ours.ppf(Q, df), theirs.ppf(Q, df))
        same(ours.isf(Q, df), theirs.isf(Q, df))
        same(ours.sf(1.5, df), theirs.sf(1.5, df))  # scalars stay scalars
    same(_dist.chi2.cdf(X, df=df), sps.chi2.cdf(X, df=df))


def test_f() -> None:
    for dfn, dfd in itertools.product([-1.0, 0.0, 1, 2.5, 7, 300, np.inf, np.nan], repeat=2):
        same(_dist.f.sf(X, dfn, dfd), sps.f.sf(X, dfn, dfd))
        same(_dist.f.cdf(X, dfn, dfd), sps.f.cdf(X, dfn, dfd))


def test_beta_ppf_and_binom_sf() -> None:
    for a, b in itertools.product([-1.0, 0.0, 0.5, 1, 3, 40, 1000.5, np.nan], repeat=2):
        same(_dist.beta.ppf(Q, a, b), sps.beta.ppf(Q, a, b))
    ks = np.array([-2.0, -0.5, 0, 1, 2.5, 4, 9, 10, 11, np.nan])
    for n, p in itertools.product([0, 1, 10, 10.5, 200, -1], [-0.1, 0.0, 1e-9, 0.05, 0.5, 1.0, 1.2, np.nan]):
        same(_dist.binom.sf(ks, n, p), sps.binom.sf(ks, n, p))
        same(_dist.binom.sf(3, n, p), sps.binom.sf(3, n, p))
