"""evigrade's statistics core: metafor-exact pooling.

Public API (see docs/INTERFACES.md): ``meta_analysis`` -> ``MetaResult``; ``fit_rma`` (general
mixed-effects model with a design matrix, reused by meta-regression) -> ``RmaFit``;
``mantel_haenszel`` and ``peto`` for 2x2 tables; ``METHODS`` (tau² estimators).
"""
from __future__ import annotations

from .fit import METHODS, TESTS, Control, fit_rma, qe_generalised, tau2_estimate
from . import fitstats
from .fitstats import *  # noqa: F403  (fitstats.__all__ is part of this package's API, added below)
from .glmm import GLMM_MODELS, GlmmResult, rma_glmm
from .heterogeneity import QProfileCI, qprofile_ci
from .meta import PRESETS, meta_analysis
from .mh import escalc_2x2, mantel_haenszel, peto
from .location_scale import LocationScaleResult, location_scale
from .multilevel import MultilevelResult, MultivariateResult, multilevel, multivariate, vcalc
from .pubbias import ExcessSignificance, FailSafeN, HenmiCopas, fsn, henmi_copas, tes
from .robust import RobustResult, robust
from .selection import SelectionModelResult, selection_model
from .transf import BackTransformed, back_transformed
from .results import AnalysisSpec, Diagnostics, MetaResult, RmaFit

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
