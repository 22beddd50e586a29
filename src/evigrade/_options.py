"""The one canonicaliser of analysis options: method (tau² estimator), test and level.

``stats`` (meta_analysis, fit_rma, regression), ``batch`` (run, run_dask) and ``packs``
(summarize, through ``stats.fit.canonical_method``) all spell options through here, so an alias
means the same thing everywhere.  Each engine passes the estimators it implements; the message
for a value outside them names the argument, the value and that set.

``level`` is accepted as a percentage (95) or a fraction (0.95) at a public boundary only;
past the boundary it is always the fraction.
"""
from __future__ import annotations

from typing import Iterable

from ._validate import check_choice, check_level

__all__ = ["METHOD_ALIASES", "TEST_ALIASES", "TESTS", "ENGINE_TESTS", "ENGINE_METHODS", "canonical_method", "canonical_test", "canonical_level"]

#: Other names of the common-effect model (metafor: "FE", "EE", "CE"; "common", "fixed" in words).
METHOD_ALIASES: dict[str, str] = {"CE": "FE", "EE": "FE", "COMMON": "FE", "FIXED": "FE"}
#: Other names of the tests: Hartung-Knapp-Sidik-Jonkman is "knha" in metafor; "wald" is the z-test.
TEST_ALIASES: dict[str, str] = {"HKSJ": "knha", "KH": "knha", "HK": "knha", "WALD": "z"}
#: Tests for the fixed effects: Wald z, t with k - p df and no scale factor (metafor test="t"), or
#: Hartung-Knapp-Sidik-Jonkman t.  ``stats`` implements all three; batch and packs allow only
#: ``ENGINE_TESTS`` (Wald z and Hartung-Knapp).
TESTS: tuple[str, ...] = ("z", "t", "knha")
ENGINE_TESTS: tuple[str, ...] = ("z", "knha")
#: The tau² estimators of the batch engine (``stats`` has more: HE, HS, HSk, SJ, GENQ, ...).
ENGINE_METHODS: tuple[str, ...] = ("FE", "DL", "PM", "ML", "REML", "EB")


def canonical_method(method: str, allowed: Iterable[str], *, name: str = "method") -> str:
    """Canonical spelling of a tau² estimator among ``allowed``; SpecError naming the allowed set otherwise."""
    if isinstance(method, str) and method.strip().upper() in METHOD_ALIASES:
        method = METHOD_ALIASES[method.strip().upper()]
    return check_choice(name, method, allowed)


def canonical_test(test: str, allowed: Iterable[str] = TESTS, *, name: str = "test") -> str:
    """Canonical spelling of a test among ``allowed`` (aliases ``"hksj"``, ``"kh"``, ``"hk"``, ``"wald"``, any case)."""
    if isinstance(test, str) and test.strip().upper() in TEST_ALIASES:
        test = TEST_ALIASES[test.strip().upper()]
    return check_choice(name, test, tuple(allowed))


def canonical_level(level: float) -> float:
    """The confidence level as a fraction, from a percentage (95) or a fraction (0.95)."""
    return check_level(level)
