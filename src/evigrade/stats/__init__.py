"""evigrade's statistics core: metafor-exact pooling.

Public API (see docs/INTERFACES.md): ``meta_analysis`` -> ``MetaResult``; ``fit_rma`` (general
mixed-effects model with a design matrix, reused by meta-regression) -> ``RmaFit``;
``mantel_haenszel`` and ``peto`` for 2x2 tables; ``METHODS`` (tau² estimators).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fit import METHODS, TESTS, Control, fit_rma, qe_generalised, tau2_estimate
from . import fitstats
from .fitstats import *  # noqa: F403  (fitstats.__all__ is part of this package's API, added below)
from .heterogeneity import QProfileCI, qprofile_ci
from .meta import PRESETS, meta_analysis
from .mh import escalc_2x2, mantel_haenszel, peto
from .location_scale import LocationScaleResult, location_scale
from .multilevel import MultilevelResult, MultivariateResult, multilevel, multivariate, vcalc
from .robust import RobustResult, robust
from .transf import BackTransformed, back_transformed
from .results import AnalysisSpec, Diagnostics, MetaResult, RmaFit

if TYPE_CHECKING:
    from .glmm import GLMM_MODELS, GlmmResult, rma_glmm
    from .pubbias import ExcessSignificance, FailSafeN, HenmiCopas, fsn, henmi_copas, tes
    from .selection import SelectionModelResult, selection_model

#: Imported on first use (import-time cost: these three load the whole of scipy.special, ~0.3 s of CPU,
#: which the command line's other paths avoid; see ``evigrade._special``).
_LAZY = {
    "GLMM_MODELS": "glmm", "GlmmResult": "glmm", "rma_glmm": "glmm",
    "ExcessSignificance": "pubbias", "FailSafeN": "pubbias", "HenmiCopas": "pubbias", "fsn": "pubbias",
    "henmi_copas": "pubbias", "tes": "pubbias",
    "SelectionModelResult": "selection", "selection_model": "selection",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "METHODS",
    "TESTS",
    "PRESETS",
    "Control",
    "fit_rma",
    "tau2_estimate",
    "qe_generalised",
    "qprofile_ci",
    "QProfileCI",
    "meta_analysis",
    "mantel_haenszel",
    "peto",
    "escalc_2x2",
    "AnalysisSpec",
    "Diagnostics",
    "MetaResult",
    "RmaFit",
    "MultilevelResult",
    "multilevel",
    "vcalc",
    "MultivariateResult",
    "multivariate",
    "LocationScaleResult",
    "location_scale",
    "RobustResult",
    "robust",
    "BackTransformed",
    "back_transformed",
    "FailSafeN",
    "ExcessSignificance",
    "HenmiCopas",
    "fsn",
    "tes",
    "henmi_copas",
    "SelectionModelResult",
    "selection_model",
    "GLMM_MODELS",
    "GlmmResult",
    "rma_glmm",
]
__all__ += fitstats.__all__  # FitStatistics, LikelihoodRatioTest, WaldTest, Prediction, fit_statistics, lrt, ...
