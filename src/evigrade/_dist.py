"""The few distribution functions evigrade needs, from ``scipy.special`` (no ``scipy.stats`` import).

``import scipy.stats`` costs about 0.8 s (it builds every distribution object and loads
scipy.optimize, scipy.interpolate, scipy.spatial ...); the command line only needs a handful of
cdf / sf / ppf / isf values.  This module gives them with the exact calls that ``scipy.stats`` itself
makes (its ``norm_gen._cdf`` is ``special.ndtr``, ``t_gen._isf`` is ``-special.stdtrit`` and so on), so
results are bit-identical (``tests/unit/test_dist.py`` compares them over grids that include the
edges: 0, 1, NaN, infinities, non-positive degrees of freedom), with scipy.stats' handling of
invalid parameters (NaN) and of the ends of the support.

Use it where the code used ``from scipy import stats as sps``::

    from .. import _dist as sps
    sps.chi2.sf(q, df); sps.t.isf(alpha / 2, df); sps.norm.ppf(0.975)

Only the methods listed here exist; anything else belongs in ``scipy.stats`` (imported lazily).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from ._special import ufuncs as sc  # scipy.special's ufuncs without its import-time cost

__all__ = ["norm", "t", "chi2", "f", "beta", "binom"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)  # scipy.stats' _norm_pdf_logC


def _out(values: Any) -> Any:
    """A 0-d result as a numpy scalar (as scipy.stats returns), arrays unchanged."""
    arr = np.asarray(values, dtype=float)
    return arr[()] if arr.ndim == 0 else arr


def _valid(*params: Any) -> Any:
    """scipy.stats' parameter check for the distributions here: every shape parameter > 0 (NaN is invalid)."""
    ok: Any = True
    for p in params:
        ok = np.logical_and(ok, np.asarray(p, dtype=float) > 0)
    return ok


def _prob_fn(fn, lower_at_0: float, upper_at_1: float):
    """ppf/isf as rv_continuous: q outside [0, 1] or invalid parameters -> NaN; q = 0 / 1 -> the support's ends."""

    def call(q: Any, *params: Any) -> Any:
        qa = np.asarray(q, dtype=float)
        ok = _valid(*params)
        with np.errstate(all="ignore"):
            inner = np.where((qa > 0) & (qa < 1), qa, 0.5)
            val = fn(inner, *params)
        val = np.where(qa == 0, lower_at_0, val)
        val = np.where(qa == 1, upper_at_1, val)
        val = np.where(ok & (qa >= 0) & (qa <= 1), val, np.nan)
        return _out(val)

    return call


class _Norm:
    """The standard normal distribution (``scipy.stats.norm``, loc/scale only in ``logpdf``)."""

    @staticmethod
    def cdf(x: Any) -> Any:
        return _out(sc.ndtr(np.asarray(x, dtype=float)))

    @staticmethod
    def sf(x: Any) -> Any:
        return _out(sc.ndtr(-np.asarray(x, dtype=float)))

    ppf = staticmethod(_prob_fn(lambda q: sc.ndtri(q), -np.inf, np.inf))
    isf = staticmethod(_prob_fn(lambda q: -sc.ndtri(q), np.inf, -np.inf))

    @staticmethod
    def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
        x, loc, scale = (np.asarray(a, dtype=float) for a in (x, loc, scale))
        with np.errstate(all="ignore"):
            z = (x - loc) / scale
            val = -z ** 2 / 2.0 - _LOG_SQRT_2PI - np.log(scale)
        return _out(np.where(scale > 0, val, np.nan))


class _ShapeDist:
    """A distribution on (lower, inf) with shape parameters: cdf/sf as ``rv_continuous`` computes them."""

    lower = 0.0

    def _cdf(self, x: Any, *p: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _sf(self, x: Any, *p: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _tail(self, fn, below: float, above: float, x: Any, *params: Any) -> Any:
        xa = np.asarray(x, dtype=float)
        ok = _valid(*params)
        inside = (xa > self.lower) & (xa < np.inf)
        with np.errstate(all="ignore"):
            val = fn(np.where(inside, xa, 1.0 if self.lower == 0 else 0.0), *params)
        val = np.where(xa <= self.lower, below, val)
        val = np.where(xa == np.inf, above, val)
        val = np.where(ok & ~np.isnan(xa), val, np.nan)
        return _out(val)

    def cdf(self, x: Any, *params: Any, **kw: Any) -> Any:
        return self._tail(self._cdf, 0.0, 1.0, x, *params, *kw.values())

    def sf(self, x: Any, *params: Any, **kw: Any) -> Any:
        return self._tail(self._sf, 1.0, 0.0, x, *params, *kw.values())


class _T(_ShapeDist):
    """Student's t (``scipy.stats.t``): t(x, df)."""

    lower = -np.inf

    @staticmethod
    def _cdf(x: Any, df: Any) -> Any:
        return sc.stdtr(df, x)

    @staticmethod
    def _sf(x: Any, df: Any) -> Any:
        return sc.stdtr(df, -x)

    ppf = staticmethod(_prob_fn(lambda q, df: sc.stdtrit(df, q), -np.inf, np.inf))
    isf = staticmethod(_prob_fn(lambda q, df: -sc.stdtrit(df, q), np.inf, -np.inf))


class _Chi2(_ShapeDist):
    """The chi-square distribution (``scipy.stats.chi2``): chi2(x, df)."""

    @staticmethod
    def _cdf(x: Any, df: Any) -> Any:
        return sc.chdtr(df, x)

    @staticmethod
    def _sf(x: Any, df: Any) -> Any:
        return sc.chdtrc(df, x)

    ppf = staticmethod(_prob_fn(lambda q, df: 2 * sc.gammaincinv(np.asarray(df, dtype=float) / 2, q), 0.0, np.inf))
    isf = staticmethod(_prob_fn(lambda q, df: sc.chdtri(df, q), np.inf, 0.0))


class _F(_ShapeDist):
    """The F distribution (``scipy.stats.f``): f(x, dfn, dfd)."""

    @staticmethod
    def _cdf(x: Any, dfn: Any, dfd: Any) -> Any:
        return sc.fdtr(dfn, dfd, x)

    @staticmethod
    def _sf(x: Any, dfn: Any, dfd: Any) -> Any:
        return sc.fdtrc(dfn, dfd, x)


def _beta_ppf_raw(q: Any, a: Any, b: Any) -> Any:
    fn = getattr(getattr(sc, "_ufuncs", sc), "_beta_ppf", None)  # what scipy.stats.beta uses (Boost); public fallback below
    return fn(q, a, b) if fn is not None else sc.betaincinv(a, b, q)


class _Beta:
    """The beta distribution: only ``ppf`` (exact Clopper-Pearson limits)."""

    ppf = staticmethod(_prob_fn(_beta_ppf_raw, 0.0, 1.0))


class _Binom:
    """The binomial distribution: only ``sf`` (``scipy.stats.binom.sf``)."""

    @staticmethod
    def sf(k: Any, n: Any, p: Any) -> Any:
        ka, na, pa = (np.asarray(a, dtype=float) for a in (k, n, p))
        ok = (na >= 0) & (na == np.floor(na)) & (pa >= 0) & (pa <= 1)
        fn = getattr(getattr(sc, "_ufuncs", sc), "_binom_sf", None)
        kk = np.floor(ka)
        with np.errstate(all="ignore"):
            val = fn(kk, na, pa) if fn is not None else sc.bdtrc(kk, na, pa)
        val = np.where(kk < 0, 1.0, val)
        val = np.where(kk >= na, 0.0, val)
        return _out(np.where(ok & ~np.isnan(ka), val, np.nan))


norm = _Norm()
t = _T()
chi2 = _Chi2()
f = _F()
beta = _Beta()
binom = _Binom()
