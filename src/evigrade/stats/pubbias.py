"""More publication-bias tools, as metafor 3.8: fail-safe N, excess significance, Henmi-Copas.

* :func:`fsn` -- fail-safe N (metafor ``fsn()``): Rosenthal (Stouffer's combined z), Orwin (number
  of null studies that bring the mean effect down to ``target``; unweighted or inverse-variance
  weighted) and Rosenberg (weighted, fixed-effect z).
* :func:`tes` -- test of excess significance (Ioannidis & Trikalinos 2007; metafor ``tes()`` with
  its defaults: power of each study at the fixed-effect estimate, two-sided alpha = .05, one-sided
  test that more studies are significant than expected; exact Poisson-binomial test when metafor
  uses it -- at most 1e6 subsets -- else the chi² test, or ``test=`` as requested).
  The exact probabilities come from the Poisson-binomial distribution by convolution (metafor
  enumerates the subsets; the numbers are the same).  metafor's ``theta.lim`` is not computed.
* :func:`henmi_copas` -- the Henmi & Copas (2010) confidence interval around the fixed-effect
  estimate that allows for heterogeneity and is robust to publication bias (metafor ``hc()``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Sequence, cast

import numpy as np
from scipy import special
from .. import _dist as sps

from .._validate import check_choice, check_level
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .regression import coerce_effects

if TYPE_CHECKING:
    from .fit import MethodName

__all__ = ["FailSafeN", "ExcessSignificance", "HenmiCopas", "fsn", "tes", "henmi_copas"]

_SQRT_EPS = float(np.finfo(float).eps ** 0.5)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _round_fsn(x: float) -> float:
    """metafor: ceiling unless the value is an integer to within sqrt(eps)."""
    if math.isinf(x):
        return x
    return float(math.ceil(x)) if abs(x - round(x)) >= _SQRT_EPS else float(round(x))


# ------------------------------------------------------------------------------------------ fsn


@json_keys("type", "fsnum", "alpha", "pval", "meanes", "target", "weighted", "k", "notes")
@dataclass(frozen=True, slots=True)
class FailSafeN(ResultMixin):
    """metafor ``fsn()``: ``fsnum`` studies averaging a null result would be needed (``inf`` when the
    target is 0).  ``pval`` is the observed combined (Rosenthal) or fixed-effect (Rosenberg) p-value;
    ``meanes``/``target`` the observed mean effect and its target (Orwin)."""

    type: str
    fsnum: float
    alpha: float
    pval: float
    meanes: float
    target: float
    weighted: bool
    k: int
    notes: tuple[Note, ...] = ()


def _alpha_effects(alpha: float, effects: Any, vi: Any, study: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Check ``alpha`` (between 0 and 1), then the effect sizes and their sampling variances."""
    if not (isinstance(alpha, (int, float)) and 0 < float(alpha) < 1):
        raise SpecError(f"alpha={alpha!r} must be between 0 and 1")
    eff = coerce_effects(effects, vi, study=study)
    return eff.yi, eff.vi


def fsn(effects: Any, vi: Any = None, *, type: Literal["Rosenthal", "Orwin", "Rosenberg"] = "Rosenthal",
        alpha: float = 0.05, target: float | None = None, weighted: bool = False,
        study: Sequence[str] | None = None) -> FailSafeN:
    """Fail-safe N (metafor ``fsn(yi, vi, type=, alpha=, target=, weighted=)``)."""
    type = check_choice("type", type, ("Rosenthal", "Orwin", "Rosenberg"))
    y, v = _alpha_effects(alpha, effects, vi, study)
    k = len(y)
    nan = float("nan")
    notes = [Note(NoteCode.FSN_CAUTION, "Fail-safe N assumes the missing studies average a null effect; it does not "
                                 "estimate publication bias and is not a GRADE criterion.")]
    pval = meanes = tgt = nan
    if type == "Rosenthal":
        z = abs(float(np.sum(y / np.sqrt(v)))) / math.sqrt(k)
        pval = float(sps.norm.sf(z))
        num = max(0.0, k * (z / float(sps.norm.isf(alpha))) ** 2 - k)
    elif type == "Orwin":
        meanes = float(np.sum(y / v) / np.sum(1 / v)) if weighted else float(np.mean(y))
        tgt = meanes / 2 if target is None else float(target)
        if tgt == 0:
            num = math.inf
        else:
            if math.copysign(1, tgt) != math.copysign(1, meanes):
                tgt = -tgt
            num = max(0.0, k * (meanes - tgt) / tgt)
    else:
        w = 1 / v
        meanes = float(np.sum(w * y) / np.sum(w))
        zval = meanes / math.sqrt(1 / float(np.sum(w)))
        wp = (float(np.sum(w * y)) / float(sps.norm.isf(alpha / 2))) ** 2 - float(np.sum(w))
        pval = float(2 * sps.norm.sf(abs(zval)))
        num = max(0.0, k * wp / float(np.sum(w)))
    return FailSafeN(type=type, fsnum=_round_fsn(num), alpha=float(alpha), pval=pval, meanes=meanes, target=tgt,
                     weighted=bool(weighted) if type == "Orwin" else type == "Rosenberg", k=k, notes=tuple(notes))


# ------------------------------------------------------------------------------------------ tes


@json_keys("O", "E", "oe_ratio", "test", "x2", "pval", "power", "theta", "k", "alpha", "notes")
@dataclass(frozen=True, slots=True)
class ExcessSignificance(ResultMixin):
    """metafor ``tes()``: observed (``O``) vs expected (``E``, the sum of the studies' ``power`` at
    ``theta``) number of significant studies; ``test`` is "exact", "chi2" or "binom"; ``x2`` is the
    chi² statistic (NaN otherwise)."""

    O: int  # noqa: E741  -- metafor's tes() name (observed count)
    E: float
    oe_ratio: float
    test: str
    x2: float
    pval: float
    power: np.ndarray
    theta: float
    k: int
    alpha: float
    notes: tuple[Note, ...] = ()


def _poisson_binomial(p: np.ndarray) -> np.ndarray:
    """P(X = j), j = 0..k, for a sum of independent Bernoulli(p_i), by convolution."""
    pmf = np.zeros(len(p) + 1)
    pmf[0] = 1.0
    for i, pi in enumerate(p):  # k convolutions of a length-2 kernel (O(k^2) flops in total)
        pmf[1:i + 2] = pmf[1:i + 2] * (1 - pi) + pmf[0:i + 1] * pi
        pmf[0] *= 1 - pi
    return pmf


def tes(effects: Any, vi: Any = None, *, alpha: float = 0.05, test: Literal["exact", "chi2", "binom"] | None = None,
        study: Sequence[str] | None = None) -> ExcessSignificance:
    """Test of excess significance with metafor's defaults (``tes(yi, vi)``; ``test=`` as metafor)."""
    if test is not None:
        test = check_choice("test", test, ("exact", "chi2", "binom"))
    y, v = _alpha_effects(alpha, effects, vi, study)
    k = len(y)
    sei = np.sqrt(v)
    theta = float(np.sum(y / v) / np.sum(1 / v))
    crit = float(sps.norm.isf(alpha / 2))
    mu = theta / sei
    power = sps.norm.sf(crit - mu) + sps.norm.cdf(-crit - mu)
    n_obs = int(np.sum(np.abs(y / sei) >= crit))
    E = float(power.sum())
    if test is None:
        tot = sum(math.comb(k, j) for j in range(n_obs, k + 1))
        test = "exact" if tot <= 10**6 else "chi2"
    x2 = float("nan")
    pe = E / k
    if test == "exact":
        pval = float(min(1.0, _poisson_binomial(power)[n_obs:].sum()))
    elif test == "chi2":
        x2 = (n_obs - k * pe) ** 2 / (k * pe * (1 - pe))
        z = math.copysign(math.sqrt(x2), n_obs / k - pe)
        pval = float(sps.norm.sf(z))
    else:
        pval = float(sps.binom.sf(n_obs - 1, k, pe))
    notes: list[Note] = []
    if k < 10:
        notes.append(Note(NoteCode.K_SMALL, f"The test of excess significance has little power with only {k} studies."))
    return ExcessSignificance(O=n_obs, E=E, oe_ratio=n_obs / E, test=test, x2=x2, pval=pval, power=power, theta=theta, k=k,
                              alpha=float(alpha), notes=tuple(notes))


# ------------------------------------------------------------------------------------------ hc


@json_keys("estimate", "se", "ci_low", "ci_high", "tau2", "level", "estimate_rma", "ci_low_rma", "ci_high_rma",
           "notes")
@dataclass(frozen=True, slots=True)
class HenmiCopas(ResultMixin):
    """metafor ``hc()``: the fixed-effect estimate with the Henmi-Copas CI (``tau2`` is the DL
    estimate it uses); ``estimate_rma``/``ci_low_rma``/``ci_high_rma`` are the original fit's."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    level: float
    estimate_rma: float
    ci_low_rma: float
    ci_high_rma: float
    notes: tuple[Note, ...] = ()


def henmi_copas(effects: Any, vi: Any = None, *, level: float | None = None, method: str | None = None,
                study: Sequence[str] | None = None) -> HenmiCopas:
    """Henmi & Copas CI (metafor ``hc(rma(yi, vi))``).  ``level`` defaults to the MetaResult's own."""
    from .fit import fit_rma

    eff = coerce_effects(effects, vi, study=study)
    y, v = eff.yi, eff.vi
    k = len(y)
    if k < 2:
        raise InputError("the Henmi-Copas method needs at least 2 studies", has_value=False,
                         fix="add studies")
    lvl = float(getattr(effects, "level", 0.95)) if level is None else check_level(level)
    alpha = 1 - lvl
    w = 1 / v
    W1 = w.sum()
    W2, W3, W4 = (w**2).sum() / W1, (w**3).sum() / W1, (w**4).sum() / W1
    beta = float((w * y).sum() / W1)
    Q = float((w * (y - beta) ** 2).sum())
    tau2 = max(0.0, (Q - (k - 1)) / (W1 - W2))
    vb = (tau2 * W2 + 1) / W1
    se = math.sqrt(vb)
    VR = 1 + tau2 * W2
    SDR = math.sqrt(VR)

    def EQ(r: float) -> float:
        return float((k - 1) + tau2 * (W1 - W2) + tau2**2 * ((1 / VR**2) * r**2 - 1 / VR) * (W3 - W2**2))

    def VQ(r: float) -> float:
        rsq = r**2
        rv2 = 1 / VR**2
        return float(2 * (k - 1) + 4 * tau2 * (W1 - W2) + 2 * tau2**2 * (W1 * W2 - 2 * W3 + W2**2)
                + 4 * tau2**2 * (rv2 * rsq - 1 / VR) * (W3 - W2**2)
                + 4 * tau2**3 * (rv2 * rsq - 1 / VR) * (W4 - 2 * W2 * W3 + W2**3)
                + 2 * tau2**4 * (rv2 - 2 * (1 / VR**3) * rsq) * (W3 - W2**2) ** 2)

    def finv(f: float) -> float:
        return float((W1 / W2 - 1) * (f**2 - 1) + (k - 1))

    from scipy import integrate, optimize  # lazily: ~0.3 s to import

    def eqn(x: float) -> float:
        def integrand(r: float) -> float:  # pgamma(finv(r/x), shape = EQ²/VQ, scale = VQ/EQ) * dnorm(r), scalar fast path
            sr = SDR * r
            eq, vq = EQ(sr), VQ(sr)
            f = finv(r / x)
            cdf = special.gammainc(eq * eq / vq, f * eq / vq) if f > 0 else 0.0
            return float(cdf) * math.exp(-0.5 * r * r) / _SQRT_2PI

        val, _ = integrate.quad(integrand, x, np.inf, epsabs=1e-14, epsrel=1e-12, limit=200)
        return float(val) - alpha / 2

    try:
        t0 = optimize.brentq(eqn, 1e-10, 2.0, xtol=1e-14, rtol=1e-13, maxiter=1000)
    except ValueError:
        raise EstimationError("the Henmi-Copas CI could not be found (no root of its defining equation in (0, 2])") \
            from None
    u0 = SDR * t0
    m = method if method is not None else (eff.method or "REML")
    orig = fit_rma(y, v, method=cast("MethodName", m), test=getattr(effects, "test", None) or "z", level=lvl)
    return HenmiCopas(estimate=beta, se=se, ci_low=beta - u0 * se, ci_high=beta + u0 * se, tau2=tau2, level=lvl,
                      estimate_rma=float(orig.beta[0]), ci_low_rma=float(orig.ci_low[0]),
                      ci_high_rma=float(orig.ci_high[0]),
                      notes=(Note(NoteCode.HC_FIXED_EFFECT, "Henmi-Copas: the fixed-effect estimate with a CI that allows "
                                                     "for heterogeneity (DerSimonian-Laird tau2) and is robust to "
                                                     "publication bias."),))
