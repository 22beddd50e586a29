"""Meta-analysis of proportions (adverse-event rates) and exact intervals for single counts.

``meta_proportions(xi, ni, measure="PLO"|"PFT"|"PR")`` = metafor
``rma(measure=, xi=, ni=, method=, test=)`` followed by ``predict(res, transf=...)``: effect sizes
come from ``evigrade.effects.escalc`` and pooling from ``evigrade.stats.meta_analysis``; the pooled
estimate, CI and prediction interval are back-transformed to the proportion scale (inverse logit for
PLO; for PFT metafor's ``transf.ipft.hm`` with the harmonic mean of the ni).

``clopper_pearson(x, n)`` is the exact (Clopper-Pearson) CI for one count, and ``rule_of_three(n)``
the approximate one-sided 95% upper bound 3/n when no event was seen.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._format import fmt_sig
from .._validate import check_choice, check_level
from ..errors import InputError
from ..notes import NoteCode
from ..results import Note, jsonable_dict

__all__ = ["ProportionMetaResult", "meta_proportions", "clopper_pearson", "rule_of_three", "PROPORTION_MEASURES"]

PROPORTION_MEASURES = ("PLO", "PFT", "PR")


@dataclass(frozen=True, slots=True)
class ProportionMetaResult:
    """A pooled proportion: ``meta`` on the analysis scale, the rest back-transformed to 0..1."""

    measure: str
    estimate: float | None  # None where the back-transformation is undefined (as pi_low/pi_high)
    ci_low: float | None
    ci_high: float | None
    pi_low: float | None
    pi_high: float | None
    xi: tuple[int, ...]
    ni: tuple[int, ...]
    study: tuple[str, ...]
    meta: Any
    notes: tuple[Note, ...] = ()

    @property
    def k(self) -> int:
        return len(self.xi)

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "measure": self.measure, "k": self.k, "estimate": self.estimate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "pi_low": self.pi_low, "pi_high": self.pi_high,
            "xi": list(self.xi), "ni": list(self.ni), "study": list(self.study),
            "meta": self.meta.to_dict() if self.meta is not None else None,
            "notes": [n.to_dict() for n in self.notes],
        })


def _counts(xi: Any, ni: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.atleast_1d(np.asarray(xi, dtype=float))
    n = np.atleast_1d(np.asarray(ni, dtype=float))
    if x.shape != n.shape:
        raise InputError(f"xi has {x.size} values but ni has {n.size}", column="xi", fix="give one count and one denominator per study")
    for i, (a, b) in enumerate(zip(x, n)):
        if not (np.isfinite(a) and a >= 0 and a == int(a)):
            raise InputError("event count must be a whole number >= 0", row=i + 1, column="xi", value=a, fix="check the count")
        if not (np.isfinite(b) and b > 0 and b == int(b)):
            raise InputError("denominator must be a whole number > 0", row=i + 1, column="ni", value=b, fix="check the denominator")
        if a > b:
            raise InputError("more events than the denominator", row=i + 1, column="xi", value=a, fix=f"check xi and ni ({fmt_sig(b)})")
    return x, n


def meta_proportions(
    xi: Any,
    ni: Any,
    *,
    measure: str = "PLO",
    method: str = "REML",
    test: str = "knha",
    level: float = 95,
    study: Any = None,
    add: float | None = None,
    to: str = "only0",
) -> ProportionMetaResult:
    """Pool proportions xi/ni on the logit (PLO), Freeman-Tukey (PFT) or raw (PR) scale."""
    from ..effects import escalc
    from ..effects.transforms import transform_pft_back, transform_plo_back
    from .fit import canonical_method, canonical_test
    from .meta import meta_analysis

    measure = check_choice("measure", measure, PROPORTION_MEASURES)
    lev = check_level(level)
    x, n = _counts(xi, ni)
    labels = tuple(str(s) for s in study) if study is not None else tuple(f"Study {i + 1}" for i in range(x.size))
    tab = escalc(measure, xi=x, ni=n, slab=list(labels), add=add, to=to)
    res = meta_analysis(tab, method=canonical_method(method), test=canonical_test(test),
                        level=lev)  # a fraction past the boundary

    def back(v: Any) -> float | None:
        if v is None or not np.isfinite(v):
            return None
        if measure == "PLO":
            return float(transform_plo_back(v))
        if measure == "PFT":
            return float(transform_pft_back(v, n))
        return float(v)

    notes = list(getattr(tab, "notes", ()))
    if measure == "PFT":
        notes.append(Note(NoteCode.PFT_BACK_TRANSFORM, "Freeman-Tukey back-transformation with the harmonic mean of the denominators "
                          f"({fmt_sig(1.0 / float(np.mean(1.0 / n)))}), as metafor's transf.ipft.hm."))
    return ProportionMetaResult(
        measure=measure, estimate=back(res.estimate), ci_low=back(res.ci_low), ci_high=back(res.ci_high),
        pi_low=back(getattr(res, "pi_low", None)), pi_high=back(getattr(res, "pi_high", None)),
        xi=tuple(int(v) for v in x), ni=tuple(int(v) for v in n), study=labels, meta=res, notes=tuple(notes))


def clopper_pearson(x: int, n: int, level: float = 95) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson CI for x events in n (level as 95 or 0.95)."""
    from .._dist import beta

    lev = check_level(level)
    xa, na = _counts([x], [n])
    x, n = int(xa[0]), int(na[0])
    alpha = 1 - lev
    lo = 0.0 if x == 0 else float(beta.ppf(alpha / 2, x, n - x + 1))
    hi = 1.0 if x == n else float(beta.ppf(1 - alpha / 2, x + 1, n - x))
    return lo, hi


def rule_of_three(n: int) -> float:
    """Approximate one-sided 95% upper bound for a rate when 0 events were seen in n: 3/n."""
    _counts([0], [n])
    return 3.0 / float(n)
