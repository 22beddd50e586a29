"""grade.rules.outcome_mid: the one resolver of an outcome's MID for a finding.

It gives what grade/integrate's private resolver gives today (same values, sources and Note texts),
and in addition records a Note when a natural-unit MID is dropped for a ratio measure.
"""
from __future__ import annotations

import pytest

from evigrade.grade import GradeConfig
from evigrade.grade.integrate import _mid_for
from evigrade.grade.rules import mid_unit_compatible, outcome_mid

CASES = [
    dict(measure="MD", mid=1.5, mid_source="Salaffi 2004", unit="NPRS points (0-10)", mid_unit="NPRS points"),
    dict(measure="MD", mid=1.5, mid_source="Salaffi 2004", unit="NRS 0-10", mid_unit="NPRS points"),
    dict(measure="MD", mid=7.5, mid_source="MacDermid", unit="NDI %", mid_unit="NPRS points"),
    dict(measure="MD", mid=7.5, mid_source="", unit="", mid_unit="NDI points"),
    dict(measure="SMD", mid=1.5, mid_source="Salaffi 2004", unit="", mid_unit="NPRS points",
         reference={"sd": 2.0, "sd_source": "pooled baseline SD"}),
    dict(measure="SMD", mid=1.5, mid_source="Salaffi 2004", unit="", mid_unit="NPRS points"),
    dict(measure="MD", mid=None, mid_source="", unit="NPRS", mid_unit=""),
]


def _resolve(case):
    ref = case.get("reference") or {}
    return outcome_mid(case["measure"], case["mid"], source=case["mid_source"], unit=case["unit"],
                       mid_unit=case["mid_unit"], reference_sd=ref.get("sd"),
                       reference_sd_source=ref.get("sd_source", ""))


@pytest.mark.parametrize("case", CASES, ids=range(len(CASES)))
def test_same_as_the_integrate_resolver(case):
    notes: list = []
    want = _mid_for(case, case["measure"], notes)
    mid, src, got_notes = _resolve(case)
    assert (mid, src) == want
    assert [n.to_dict() for n in got_notes] == [n.to_dict() for n in notes]


@pytest.mark.parametrize("measure", ["RR", "OR", "ROM"])
def test_ratio_measure_drops_a_natural_unit_mid_with_a_note(measure):
    case = dict(measure=measure, mid=1.5, mid_source="Salaffi 2004", unit="NPRS", mid_unit="NPRS points")
    notes: list = []
    assert _mid_for(case, measure, notes) == (None, None) and notes == []  # silently, before
    mid, src, got = _resolve(case)
    assert (mid, src) == (None, None)
    assert [n.code for n in got] == ["mid_not_for_ratio"]
    default = GradeConfig().default_mid(measure)
    if default is None:  # ROM has no default relative MID
        assert got[0].message == ("The outcome's MID (1.5 NPRS points) is in natural units and does not apply to a "
                                  "ratio measure (ROM); no MID is used, so imprecision is judged against no effect.")
    else:
        assert got[0].message == (f"The outcome's MID (1.5 NPRS points) is in natural units and does not apply to a "
                                  f"ratio measure ({measure}); the default relative MID for {measure} (0.25, i.e. 25%) "
                                  "is used instead.")


def test_unit_compatibility():
    assert mid_unit_compatible("NRS 0-10", "NPRS points")
    assert not mid_unit_compatible("points", "NPRS points")
    assert not mid_unit_compatible("", "NPRS")
