"""The fold (start level, overrides, clamping), magnitude, the config printout and the SoF table."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evigrade.errors import SpecError
from evigrade.grade import (
    GradeConfig,
    GradeInput,
    Override,
    StudyRoB,
    absolute_effect,
    assess,
    level_number,
    magnitude,
    re_express,
    sof_row,
    sof_table,
)

LOW = (StudyRoB("a", 0.6, "low"), StudyRoB("b", 0.4, "low"))


def mk(**kw):
    base = dict(estimate=-2.0, ci_low=-3.0, ci_high=-1.2, measure="MD", benefit="lower", k=5, n=500, mid=1.0,
                rob=LOW, i2=0.1, indirectness="none")
    base.update(kw)
    return GradeInput(**base)


class TestFold:
    def test_clean_randomised_evidence_is_high(self):
        r = assess(mk())
        assert (r.start, r.certainty, r.level, r.symbols) == ("high", "high", 4, "\u2295\u2295\u2295\u2295")
        assert r.downgrades == () and r.reason_codes == ()

    def test_levels_add_up(self):
        r = assess(mk(ci_high=0.5, indirectness="serious"))  # imprecision -2, indirectness -1
        assert r.certainty == "very_low" and r.downgrade_levels == -3
        assert {d["domain"]: d["levels"] for d in r.downgrades} == {"imprecision": -2, "indirectness": -1}
        assert r.label == "very low" and r.symbols == "\u2295\u25ef\u25ef\u25ef"

    def test_clamped_at_very_low_with_note(self):
        r = assess(mk(ci_low=-3.5, ci_high=1.5, indirectness="very_serious", rob=(StudyRoB("a", 1, "high"),)))
        assert r.certainty == "very_low" and r.level == 1 and r.downgrade_levels == -7
        assert any(n.code == "certainty_floor" for n in r.notes)

    def test_non_randomised_starts_low_and_can_be_rated_up(self):
        inp = GradeInput(estimate=0.15, ci_low=0.1, ci_high=0.22, measure="RR", benefit="lower", k=4, events=500,
                         rob=LOW, i2=0.1, indirectness="none", design="non_randomised")
        r = assess(inp)
        assert r.start == "low" and r.upgrade_levels == 2 and r.certainty == "high"

    def test_missing_indirectness_footnote_says_not_assessed(self):
        # k=5 leaves publication bias not assessable too: two domains not assessable, no source GRADE -> capped at low
        r = assess(mk(indirectness=None))
        assert (r.certainty, r.capped_by, r.downgrade_levels) == ("low", "not_assessable_cap", 0)
        assert r.not_assessable == ("indirectness", "publication_bias") and r.not_fully_assessed
        assert any(f.startswith("Indirectness: not rated down. Indirectness could not be assessed") for f in r.footnotes)
        assert any(n.code == "not_assessable_cap" for n in r.notes)

    def test_review_basis_carries_the_review_rating(self):
        r = assess(mk(basis="review", review_rating="moderate", review_reasons="heterogeneity"))
        assert r.review_rating == "moderate" and r.basis == "review"
        assert any(n.code == "review_basis" and "moderate" in n.message for n in r.notes)

    def test_to_dict_is_json(self):
        d = assess(mk(ci_high=-0.8)).to_dict()
        text = json.dumps(d)
        assert d["certainty"] == "moderate"
        assert d["downgrades"] == [{"domain": "imprecision", "levels": -1, "reason_code": "imprecision_crosses_one"}]
        assert [j["domain"] for j in d["judgements"]] == ["risk_of_bias", "inconsistency", "indirectness", "imprecision",
                                                         "publication_bias", "large_effect", "dose_response"]
        assert "NaN" not in text

    def test_assess_rejects_other_types(self):
        with pytest.raises(SpecError, match="GradeInput"):
            assess({"estimate": 1})  # type: ignore[arg-type]


class TestOverrides:
    def test_override_replaces_auto_and_prints_reason(self):
        r = assess(mk(ci_high=-0.8, overrides=(Override("imprecision", 0, "Lower CI limit is within 0.2 of the MID"),)))
        j = r.judgement("imprecision")
        assert (j.source, j.levels, j.reason_code) == ("override", 0, "imprecision_override")
        assert j.numbers["auto_levels"] == -1
        assert r.certainty == "high"
        assert any("Lower CI limit is within 0.2 of the MID" in f for f in r.footnotes)
        assert "imprecision_override" in r.reason_codes

    def test_override_can_rate_down(self):
        r = assess(mk(overrides=(Override("risk_of_bias", -2, "Allocation not concealed in the largest trial"),)))
        assert r.certainty == "low" and r.judgement("risk_of_bias").concern == "very_serious"

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_missing_reason_is_spec_error(self, reason):
        with pytest.raises(SpecError, match="needs a reason"):
            Override("imprecision", -1, reason)  # type: ignore[arg-type]

    def test_bad_domain_levels_and_duplicates(self):
        with pytest.raises(SpecError, match="override domain='precision'"):
            Override("precision", -1, "x")
        with pytest.raises(SpecError, match="not one of"):
            Override("risk_of_bias", -3, "x")
        with pytest.raises(SpecError, match="not one of"):
            Override("large_effect", -1, "x")
        with pytest.raises(SpecError, match="given twice"):
            mk(overrides=(Override("imprecision", 0, "a"), Override("imprecision", -1, "b")))


class TestMagnitude:
    @pytest.mark.parametrize("smd,size", [(-0.19, "trivial"), (-0.2, "small"), (-0.49, "small"), (-0.5, "moderate"),
                                          (-0.79, "moderate"), (-0.8, "large"), (0.8, "large")])
    def test_smd_cohen_bands(self, smd, size):
        m = magnitude(GradeInput(estimate=smd, ci_low=smd - 0.1, ci_high=smd + 0.1, measure="SMD", benefit="lower", k=3))
        assert m.size == size and m.basis == "smd_bands"

    @pytest.mark.parametrize("md,size", [(-0.99, "trivial"), (-1.0, "small"), (-2.49, "small"), (-2.5, "moderate"),
                                         (-3.99, "moderate"), (-4.0, "large")])
    def test_md_mid_multiples(self, md, size):
        m = magnitude(mk(estimate=md, ci_low=md - 0.1, ci_high=md + 0.1))
        assert m.size == size and m.bands == (1.0, 2.5, 4.0)

    def test_direction_and_change(self):
        m = magnitude(mk())
        assert (m.direction, m.change) == ("benefit", "decrease")
        m = magnitude(mk(estimate=2, ci_low=1.5, ci_high=2.5))
        assert (m.direction, m.change) == ("harm", "increase")
        m = magnitude(mk(estimate=2, ci_low=1.5, ci_high=2.5, benefit="higher"))
        assert (m.direction, m.change) == ("benefit", "increase")
        m = magnitude(mk(estimate=0.0, ci_low=-0.5, ci_high=0.5))
        assert (m.direction, m.change, m.size) == ("none", "none", "trivial")

    def test_ci_flags(self):
        m = magnitude(mk(estimate=-0.2, ci_low=-0.8, ci_high=0.6))
        assert m.ci_excludes_important and m.ci_includes_null
        m = magnitude(mk(estimate=-0.2, ci_low=-1.3, ci_high=0.6))
        assert m.ci_includes_important_benefit and not m.ci_includes_important_harm and not m.ci_excludes_important

    def test_no_mid_unclassified(self):
        m = magnitude(mk(mid=None))
        assert m.size == "unclassified" and m.ci_includes_important_benefit is None

    @pytest.mark.parametrize("rr,size", [(0.81, "trivial"), (0.8, "small"), (0.67, "small"), (0.66, "moderate"), (0.5, "large"), (2.0, "large"),
                                         (1.3, "small")])
    def test_ratio_bands(self, rr, size):
        m = magnitude(GradeInput(estimate=rr, ci_low=rr * 0.9, ci_high=rr * 1.1, measure="RR", benefit="lower", k=3))
        assert m.size == size

    def test_re_expression(self):
        inp = GradeInput(estimate=-0.87, ci_low=-1.60, ci_high=-0.14, measure="SMD", benefit="lower", k=5)
        m = magnitude(inp, reference_sd=2.0, reference_instrument="NPRS", reference_units="points 0-10")
        assert m.re_expressed.estimate == pytest.approx(-1.74)
        assert (m.re_expressed.ci_low, m.re_expressed.ci_high) == pytest.approx((-3.2, -0.28))
        with pytest.raises(SpecError, match="re-expresses an SMD"):
            magnitude(mk(), reference_sd=2.0)
        with pytest.raises(SpecError, match="reference SD"):
            re_express(0.5, 0.1, 0.9, 0)


class TestSoF:
    def test_binary_per_1000(self):
        inp = GradeInput(estimate=0.8, ci_low=0.6, ci_high=1.05, measure="RR", benefit="lower", k=4, n=800, events=120)
        a = absolute_effect(inp, baseline_risk=0.2)
        assert (a.baseline_per_1000, a.intervention_per_1000) == pytest.approx((200.0, 160.0))
        assert (a.difference, a.ci_low, a.ci_high) == pytest.approx((-40.0, -80.0, 10.0))

    def test_odds_ratio_per_1000(self):
        inp = GradeInput(estimate=2.0, ci_low=1.5, ci_high=3.0, measure="OR", benefit="higher", k=4)
        a = absolute_effect(inp, baseline_risk=0.25)
        # OR 2 at 25%: odds 1/3 -> 2/3 -> risk 0.4
        assert a.intervention_per_1000 == pytest.approx(400.0)
        assert a.difference == pytest.approx(150.0)

    def test_hazard_ratio_per_1000(self):
        inp = GradeInput(estimate=0.5, ci_low=0.25, ci_high=1.0, measure="HR", benefit="lower", k=3)
        a = absolute_effect(inp, baseline_risk=0.36)
        # survival 0.64 -> 0.64 ** 0.5 = 0.8, risk 0.2
        assert a.intervention_per_1000 == pytest.approx(200.0)
        assert (a.difference, a.ci_high) == pytest.approx((-160.0, 0.0))

    def test_rd_in_percentage_points(self):
        inp = GradeInput(estimate=24.0, ci_low=4.0, ci_high=45.0, measure="RD", benefit="higher", k=1)
        a = absolute_effect(inp)
        assert (a.difference, a.ci_low, a.ci_high) == pytest.approx((240.0, 40.0, 450.0))
        inp = GradeInput(estimate=0.24, ci_low=0.04, ci_high=0.45, measure="RD", benefit="higher", k=1)
        assert absolute_effect(inp, baseline_risk=0.3).intervention_per_1000 == pytest.approx(540.0)

    def test_ratio_without_baseline_is_none_and_md_natural_units(self):
        inp = GradeInput(estimate=0.8, ci_low=0.6, ci_high=1.05, measure="RR", benefit="lower", k=4)
        assert absolute_effect(inp) is None
        a = absolute_effect(mk(), units="points")
        assert (a.kind, a.difference, a.units) == ("mean_difference", -2.0, "points")

    def test_table_numbers_footnotes_once(self):
        r1 = assess(mk(ci_high=-0.8, indirectness=None))
        r2 = assess(mk(estimate=-1.5, ci_low=-2.5, ci_high=-0.5, indirectness=None))
        rows = [sof_row("Pain", mk(ci_high=-0.8), r1, "s1", timepoint="short term"),
                sof_row("Disability", mk(), r2, "s2")]
        t = sof_table(rows)
        assert len(t.rows) == 2
        # the shared 'indirectness not assessed' footnote gets one number
        shared = [f for f in t.footnotes if f.startswith("Indirectness")]
        assert len(shared) == 1
        idx = t.footnotes.index(shared[0]) + 1
        assert idx in t.row_footnotes[0] and idx in t.row_footnotes[1]
        d = t.to_dict()
        # moderate by the domains, capped at low: indirectness and publication bias (k=5) not assessable
        assert d["rows"][0]["certainty"] == "low" and d["rows"][0]["symbols"] == "\u2295\u2295\u25ef\u25ef"
        json.dumps(d)


def test_config_to_dict_lists_every_threshold_with_sources():
    d = GradeConfig().to_dict()
    for key in ("i2_serious", "i2_very_serious", "rob_serious_share", "ois_continuous", "ois_binary_events", "ois_rrr",
                "pub_bias_min_k", "large_effect_ratio", "smd_bands", "mid_multiples", "default_mids"):
        assert key in d
    assert d["default_mids"][0] == {"measure": "SMD", "value": 0.2, "source": d["default_mids"][0]["source"]}
    assert "Cohen" in d["default_mids"][0]["source"]
    json.dumps(d)


def test_level_number():
    assert [level_number(x) for x in ("high", "moderate", "low", "very low", "very_low")] == [4, 3, 2, 1, 1]
    with pytest.raises(SpecError):
        level_number("medium")


def test_no_heavy_imports_in_grade_or_language():
    code = ("import sys, evigrade.grade, evigrade.language, evigrade.grade.integrate;"
            "bad=[m for m in ('matplotlib','jinja2','typer','rich') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
