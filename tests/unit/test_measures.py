"""The measures registry (evigrade.effects.measures) is the one owner of what a measure is."""
from __future__ import annotations

import math

import numpy as np
import pytest

from evigrade import effects, grade
from evigrade.effects import measures
from evigrade.effects.measures import BINARY_MEASURES, MEASURE_REGISTRY, RATIO_MEASURES


def test_old_sets_are_reexports_of_the_registry():
    assert effects.RATIO_MEASURES is RATIO_MEASURES
    assert grade.RATIO_MEASURES is RATIO_MEASURES
    from evigrade.grade.rules import BINARY_MEASURES as rules_binary
    from evigrade.packs.schema import RATIO_MEASURES as pack_ratio

    assert rules_binary is BINARY_MEASURES and pack_ratio is RATIO_MEASURES


def test_registry_covers_every_set_that_was_defined_elsewhere():
    # the sets as they were written in effects, grade, packs, plots, report and claims before the registry
    old = {
        "effects": {"OR", "RR", "ROM"},
        "grade": {"RR", "OR", "HR", "IRR", "ROM", "PETO", "MH_RR", "MH_OR"},
        "packs": {"OR", "RR", "ROM"},
        "plots": {"OR", "RR", "ROM", "HR", "IRR", "PETO", "PLO_RATIO"},
        "report.views": {"RR", "OR", "HR", "IRR", "MH_RR", "MH_OR", "PETO"},
        "claims": {"OR", "RR", "ROM", "HR", "IRR"},
    }
    assert RATIO_MEASURES == set().union(*old.values())
    assert BINARY_MEASURES == {"RR", "OR", "RD", "PETO", "MH_RR", "MH_OR", "HR", "IRR"}
    from evigrade.plots._data import RATIO_MEASURES as plot_ratio

    assert plot_ratio <= RATIO_MEASURES


def test_every_pack_measure_is_registered_and_ratio_set_unchanged_for_packs():
    from evigrade.packs.schema import EFFECT_MEASURES

    assert set(EFFECT_MEASURES) <= set(MEASURE_REGISTRY)
    assert {m for m in EFFECT_MEASURES if m in RATIO_MEASURES} == {"OR", "RR", "ROM"}
    # escalc computes IRR from counts and person-time too (issue 20); packs still carry OR, RR and ROM only
    assert {m for m in effects.MEASURES if m in RATIO_MEASURES} == {"OR", "RR", "ROM", "IRR"}


@pytest.mark.parametrize("name", sorted(MEASURE_REGISTRY))
def test_entries_are_consistent(name):
    m = MEASURE_REGISTRY[name]
    assert m.name == name
    assert m.is_ratio == (m.kind == "ratio") == m.log_scale == (m.back_transform == "exp")
    if m.is_ratio:
        assert m.null == 1.0
    assert measures.is_ratio(name.lower()) == m.is_ratio


def test_labels_match_the_plot_labels():
    from evigrade.plots._data import _MEASURE_LABELS

    for name, label in _MEASURE_LABELS.items():
        assert measures.measure_label(name) == label
    assert measures.measure_label(None) == "Effect"
    assert measures.measure_label("XYZ") == "XYZ"


def test_null_values():
    assert measures.null_value("RR") == 1.0
    assert measures.null_value("md") == 0.0
    assert math.isnan(measures.null_value("PLO"))
    assert measures.null_value("unknown") == 0.0


def test_back_transform_follows_the_registry():
    x = np.array([-0.5, 0.0, 0.7])
    for m in ("OR", "RR", "ROM", "HR", "IRR", "PETO"):
        np.testing.assert_allclose(effects.back_transform(m, x), np.exp(x), rtol=0, atol=0)
    np.testing.assert_allclose(effects.back_transform("PLO", x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(effects.back_transform("ZCOR", x), np.tanh(x), rtol=0, atol=0)
    for m in ("MD", "SMD", "RD", "PR", "GEN", "unknown"):
        np.testing.assert_array_equal(effects.back_transform(m, x), x)
    assert effects.back_transform("rr", 0.0) == 1.0
