"""evigrade.effects.escalc / compute: options, notes, validation and EffectTable (numbers vs metafor
live in tests/reference/test_escalc_golden.py)."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import gammaln

from evigrade.effects import EffectTable, back_transform, cmicalc, escalc, transform_pft, transform_pft_back
from evigrade.errors import InputError, SpecError

RTOL_FORMULA = 1e-12  # closed forms re-evaluated independently; only rounding separates them


def test_smd_is_hedges_g_with_exact_correction():
    t = escalc("SMD", m1i=[10.0], sd1i=[2.0], n1i=[12], m2i=[8.0], sd2i=[3.0], n2i=[10])
    m = 20
    sp = math.sqrt((11 * 4 + 9 * 9) / m)
    c = math.exp(gammaln(m / 2) - math.log(math.sqrt(m / 2)) - gammaln((m - 1) / 2))
    g = c * 2.0 / sp
    assert_allclose(t.yi, [g], rtol=RTOL_FORMULA)
    assert_allclose(t.vi, [1 / 12 + 1 / 10 + g**2 / (2 * 22)], rtol=RTOL_FORMULA)
    assert_allclose(cmicalc(m), c, rtol=RTOL_FORMULA)
    assert math.isnan(cmicalc(1))


def test_md_and_table_api():
    t = escalc("MD", m1i=[3.0, 4.0], sd1i=[1.0, 2.0], n1i=[10, 20], m2i=[2.0, 5.0], sd2i=[1.0, 2.0], n2i=[10, 20],
               slab=["A", "B"])
    assert isinstance(t, EffectTable) and len(t) == 2 and t.k == 2
    assert_allclose(t.yi, [1.0, -1.0])
    assert_allclose(t.vi, [0.2, 0.4])
    assert t.study == ("A", "B")
    assert_allclose(t.n, [20, 40])
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.measure = "SMD"  # type: ignore[misc]
    d = t.to_dict()
    json.dumps(d)
    assert d["measure"] == "MD" and d["k"] == 2 and d["studies"][0]["study"] == "A"
    assert d["studies"][1]["yi"] == -1.0 and d["excluded"] == []
    f = t.to_frame()
    assert list(f["study"]) == ["A", "B"] and list(f.columns[:4]) == ["study", "yi", "vi", "sei"]


def test_default_labels():
    t = escalc("ZCOR", ri=[0.3, 0.1], ni=[50, 40])
    assert t.study == ("Study 1", "Study 2")
    assert_allclose(t.yi, np.arctanh([0.3, 0.1]), rtol=RTOL_FORMULA)
    assert_allclose(t.vi, [1 / 47, 1 / 37], rtol=RTOL_FORMULA)


def test_double_zero_dropped_for_or_rr_with_note_but_kept_for_rd():
    kw = dict(ai=[0, 2, 5], n1i=[10, 10, 10], ci=[0, 4, 5], n2i=[10, 10, 10], slab=["Z", "A", "B"])
    for m in ("OR", "RR"):
        t = escalc(m, **kw)
        assert t.study == ("A", "B") and t.excluded == ("Z",)
        assert [n.code for n in t.notes if n.study == "Z"] == ["double_zero_excluded"]
    t = escalc("OR", drop00=False, **kw)
    assert t.study == ("Z", "A", "B") and t.excluded == ()
    assert_allclose(t.yi[0], 0.0, atol=1e-15)
    assert_allclose(t.vi[0], 2 / 0.5 + 2 / 10.5, rtol=RTOL_FORMULA)
    assert any(n.code == "zero_cell_correction" and n.study == "Z" for n in t.notes)
    t = escalc("RD", **kw)
    assert t.study == ("Z", "A", "B") and t.excluded == ()
    # only-events in both arms also counts as double zero (metafor: bi == 0 & di == 0)
    t = escalc("RR", ai=[10, 3], n1i=[10, 10], ci=[10, 4], n2i=[10, 10], slab=["all", "x"])
    assert t.excluded == ("all",)


def test_all_double_zero_is_an_input_error():
    with pytest.raises(InputError, match="no studies left") as ei:
        escalc("OR", ai=[0, 0], n1i=[10, 12], ci=[0, 0], n2i=[10, 12])
    assert "RD" in str(ei.value)


def test_zero_cell_correction_only0_matches_formula():
    t = escalc("OR", ai=[0, 3], bi=[10, 7], ci=[2, 4], di=[8, 6], slab=["z", "n"])
    a, b, c, d = 0.5, 10.5, 2.5, 8.5
    assert_allclose(t.yi[0], math.log(a * d / (b * c)), rtol=RTOL_FORMULA)
    assert_allclose(t.vi[0], 1 / a + 1 / b + 1 / c + 1 / d, rtol=RTOL_FORMULA)
    assert_allclose(t.yi[1], math.log(3 * 6 / (7 * 4)), rtol=RTOL_FORMULA)
    assert [n.study for n in t.notes if n.code == "zero_cell_correction"] == ["z"]
    t0 = escalc("OR", ai=[0, 3], bi=[10, 7], ci=[2, 4], di=[8, 6], to="all")
    assert len([n for n in t0.notes if n.code == "zero_cell_correction"]) == 2
    with pytest.raises(InputError, match="cannot be computed"):
        escalc("OR", ai=[0, 3], bi=[10, 7], ci=[2, 4], di=[8, 6], to="none")


def test_pft_default_add_is_zero_and_plo_corrects():
    t = escalc("PFT", xi=[0, 5], ni=[10, 10])
    assert not t.notes
    assert_allclose(t.yi[0], 0.5 * (math.asin(0) + math.asin(math.sqrt(1 / 11))), rtol=RTOL_FORMULA)
    assert_allclose(t.vi, [1 / 42, 1 / 42], rtol=RTOL_FORMULA)
    t = escalc("PLO", xi=[10, 5], ni=[10, 10])
    assert_allclose(t.yi[0], math.log(10.5 / 0.5), rtol=RTOL_FORMULA)
    assert t.notes[0].code == "zero_cell_correction"
    assert_allclose(t.n, [10, 10])


def test_generic_from_vi_sei_and_ci():
    t = escalc("GEN", yi=[0.1, 0.2, float("nan")], vi=[0.04, float("nan"), float("nan")],
               sei=[float("nan"), 0.3, float("nan")], ci_low=[float("nan"), float("nan"), -0.2],
               ci_high=[float("nan"), float("nan"), 0.6])
    z = 1.959963984540054
    assert_allclose(t.vi, [0.04, 0.09, (0.8 / (2 * z)) ** 2], rtol=RTOL_FORMULA)
    assert_allclose(t.yi, [0.1, 0.2, 0.2], rtol=RTOL_FORMULA)
    assert [n.code for n in t.notes] == ["se_from_ci"]
    # a measure label other than GEN keeps its name (metafor semantics) for back-transformation
    t = escalc("OR", yi=[math.log(0.5)], sei=[0.2])
    assert t.measure == "OR"
    assert_allclose(back_transform("OR", t.yi), [0.5], rtol=RTOL_FORMULA)


def test_back_transforms():
    assert_allclose(back_transform("PLO", 0.0), 0.5)
    assert_allclose(back_transform("ZCOR", np.arctanh(0.4)), 0.4, rtol=RTOL_FORMULA)
    assert_allclose(back_transform("SMD", 0.3), 0.3)
    p = np.array([0.1, 0.25, 0.5, 0.8])
    assert_allclose(transform_pft_back(transform_pft(p, 30), 30), p, rtol=1e-9)
    with pytest.raises(SpecError):
        back_transform("PFT", 0.5)


@pytest.mark.parametrize(
    "measure, kwargs, column, text",
    [
        ("SMD", dict(m1i=[1], sd1i=[0], n1i=[10], m2i=[1], sd2i=[1], n2i=[10]), "sd1i", "must be > 0"),
        ("MD", dict(m1i=[1], sd1i=[1], n1i=[1], m2i=[1], sd2i=[1], n2i=[10]), "n1i", "must be >= 2"),
        ("MD", dict(m1i=[1], sd1i=[1], n1i=[10.5], m2i=[1], sd2i=[1], n2i=[10]), "n1i", "whole number"),
        ("SMD", dict(m1i=[np.nan], sd1i=[1], n1i=[10], m2i=[1], sd2i=[1], n2i=[10]), "m1i", "is missing"),
        ("SMD", dict(m1i=[np.inf], sd1i=[1], n1i=[10], m2i=[1], sd2i=[1], n2i=[10]), "m1i", "finite"),
        ("ROM", dict(m1i=[-1], sd1i=[1], n1i=[10], m2i=[1], sd2i=[1], n2i=[10]), "m1i", "must be > 0"),
        ("OR", dict(ai=[12], n1i=[10], ci=[1], n2i=[10]), "ai", "exceed"),
        ("OR", dict(ai=[-1], n1i=[10], ci=[1], n2i=[10]), "ai", "must be >= 0"),
        ("RR", dict(ai=[1.5], n1i=[10], ci=[1], n2i=[10]), "ai", "whole number"),
        ("OR", dict(ai=[1], bi=[5], n1i=[10], ci=[1], n2i=[10]), "n1i", "must equal"),
        ("PR", dict(xi=[11], ni=[10]), "xi", "exceed"),
        ("ZCOR", dict(ri=[1.0], ni=[10]), "ri", "between -1 and 1"),
        ("ZCOR", dict(ri=[0.2], ni=[3]), "ni", "must be >= 4"),
        ("GEN", dict(yi=[0.1], vi=[0.0]), "vi", "must be > 0"),
        ("GEN", dict(yi=[0.1], sei=[-1.0]), "sei", "must be > 0"),
        ("GEN", dict(yi=[0.1], ci_low=[0.5], ci_high=[0.2]), "ci_low", "lower CI bound"),
        ("GEN", dict(yi=[0.1], vi=[np.nan]), "vi", "has no variance"),
    ],
)
def test_bad_input_is_one_line_input_error(measure, kwargs, column, text):
    with pytest.raises(InputError) as ei:
        escalc(measure, **kwargs)
    msg = str(ei.value)
    assert f"column {column}" in msg and text in msg and "\n" not in msg and "fix:" in msg


def test_missing_columns_and_lengths():
    with pytest.raises(InputError, match="needs column 'sd2i'"):
        escalc("SMD", m1i=[1], sd1i=[1], n1i=[10], m2i=[1], n2i=[10])
    with pytest.raises(InputError, match="'bi' \\(non-events\\) or 'n1i'"):
        escalc("OR", ai=[1], ci=[1], n2i=[10])
    with pytest.raises(InputError, match="different lengths"):
        escalc("ZCOR", ri=[0.1, 0.2], ni=[10])
    with pytest.raises(InputError, match="duplicated study label"):
        escalc("ZCOR", ri=[0.1, 0.2], ni=[10, 12], slab=["A", "A"])
    with pytest.raises(InputError, match="no studies"):
        escalc("ZCOR", ri=[], ni=[])


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(measure="SMD2"), "measure='SMD2' is not one of"),
        (dict(measure="SMD", vtype="HO"), "vtype='HO' is not one of"),
        (dict(measure="OR", to="some"), "to='some' is not one of"),
        (dict(measure="OR", add=-1), "add=-1"),
        (dict(measure="OR", ci_level=120), "level=120"),
    ],
)
def test_bad_options_are_spec_errors(kwargs, text):
    with pytest.raises(SpecError, match=text):
        escalc(ai=[1], n1i=[10], ci=[2], n2i=[10], **kwargs)


def test_measure_is_case_insensitive():
    assert escalc("smd", m1i=[1], sd1i=[1], n1i=[10], m2i=[0], sd2i=[1], n2i=[10]).measure == "SMD"


def test_compute_accepts_a_dataframe_and_prefers_raw_columns():
    import pandas as pd

    from evigrade.effects import compute

    df = pd.DataFrame({"study": ["A", "B"], "xi": [3, 4], "ni": [10, 12], "yi": [np.nan, np.nan],
                       "comment": ["free", "text"], "m1i": ["not", "used"]})
    t = compute("PLO", df, study=df["study"])
    assert_allclose(t.yi, np.log([3 / 7, 4 / 8]), rtol=RTOL_FORMULA)
    assert t.inputs["xi"].tolist() == [3, 4]
    # yi without the raw columns -> effects given directly
    t = compute("RR", {"yi": [0.1, 0.2], "sei": [0.1, 0.2]})
    assert t.measure == "RR"
    assert_allclose(t.vi, [0.01, 0.04], rtol=RTOL_FORMULA)


def test_ratio_scale_effects_are_logged():
    z = 1.959963984540054
    t = escalc("OR", yi=[0.5, np.nan], ci_low=[0.3, 0.2], ci_high=[0.8, 0.9], scale="ratio")
    assert_allclose(t.yi, [math.log(0.5), (math.log(0.2) + math.log(0.9)) / 2], rtol=RTOL_FORMULA)
    assert_allclose(t.vi, [((math.log(0.8) - math.log(0.3)) / (2 * z)) ** 2,
                           ((math.log(0.9) - math.log(0.2)) / (2 * z)) ** 2], rtol=RTOL_FORMULA)
    assert t.notes[0].code == "ratio_scale"
    with pytest.raises(InputError, match="column ci_low: a ratio must be > 0"):
        escalc("RR", yi=[0.5], ci_low=[-0.3], ci_high=[0.8], scale="ratio")
    with pytest.raises(SpecError, match="scale='ratio' applies to ratio measures"):
        escalc("SMD", yi=[0.5], sei=[0.1], scale="ratio")
