"""Issue 13 GRADE core: the source review's GRADE as start and ceiling, "not assessable" is not "no
concern" (the cap at low), discordant reviews, and rating evidence without a single estimate."""
from __future__ import annotations

import dataclasses
import json

import pytest

from evigrade.errors import SpecError
from evigrade.grade import (
    CONCERNS,
    GradeConfig,
    GradeInput,
    NarrativeInput,
    Override,
    StudyRoB,
    Vote,
    assess,
    assess_narrative,
    narrative_direction,
)
from evigrade.grade.model import normalize_concern

LOW = (StudyRoB("a", 1, "low"), StudyRoB("b", 1, "low"))


def full(**kw):
    """Every domain assessable, nothing to rate down: high."""
    base = dict(estimate=-2.0, ci_low=-3.0, ci_high=-1.2, measure="MD", benefit="lower", k=12, n=800, mid=1.0,
                rob=LOW, i2=0.1, indirectness="none", small_study_p=0.5)
    base.update(kw)
    return GradeInput(**base)


def review_row(**kw):
    """A review's pooled row: no per-trial RoB, no I², k below 10, indirectness not judged."""
    base = dict(estimate=-2.0, ci_low=-3.0, ci_high=-1.2, measure="MD", benefit="lower", k=6, n=500, mid=1.0,
                basis="review")
    base.update(kw)
    return GradeInput(**base)


class TestNotAssessableCap:
    def test_fully_assessed_is_high_and_not_capped(self):
        r = assess(full())
        assert (r.certainty, r.capped_by, r.not_assessable, r.not_fully_assessed) == ("high", None, (), False)

    def test_one_not_assessable_domain_does_not_cap(self):
        r = assess(full(indirectness=None))
        assert (r.certainty, r.not_assessable, r.capped_by) == ("high", ("indirectness",), None)

    def test_two_not_assessable_domains_cap_at_low(self):
        r = assess(full(indirectness=None, k=5))
        assert (r.certainty, r.not_assessable, r.capped_by) == ("low", ("indirectness", "publication_bias"),
                                                                 "not_assessable_cap")
        assert r.not_fully_assessed and r.downgrade_levels == 0
        assert r.to_dict()["capped_by"] == "not_assessable_cap" and r.to_dict()["not_fully_assessed"] is True

    def test_review_row_without_inputs(self):
        """The issue's 'moderate is a default': -1 for unknown RoB and nothing else used to give moderate."""
        r = assess(review_row())
        assert r.not_assessable == ("risk_of_bias", "inconsistency", "indirectness", "publication_bias")
        assert (r.certainty, r.capped_by) == ("low", "not_assessable_cap")

    def test_cap_never_raises_and_very_low_stays(self):
        r = assess(review_row(ci_low=-9.0, ci_high=4.0, n=40))
        assert r.certainty == "very_low" and r.capped_by is None and r.not_fully_assessed

    def test_each_missing_input_is_not_assessable(self):
        r = assess(full(rob=(), i2=None, study_estimates=(), indirectness=None, n=None, k=None))
        assert {j.domain: j.concern for j in r.judgements if j.domain in r.not_assessable} == {
            "risk_of_bias": "not_assessable", "inconsistency": "not_assessable", "indirectness": "not_assessable",
            "imprecision": "not_assessable", "publication_bias": "not_assessable"}
        assert assess(full(k=1)).judgement("inconsistency").concern == "not_assessable"
        assert assess(full(k=9)).judgement("publication_bias").concern == "not_assessable"
        # no n but the CI crosses a threshold: imprecision is assessed (rated down), not "not assessable"
        assert assess(full(n=None, ci_high=0.5)).judgement("imprecision").concern == "very_serious"

    def test_concerns_are_the_four_words(self):
        for inp in (full(), review_row(), full(ci_low=-9.0, ci_high=6.0), full(i2=0.9, design="non_randomised",
                                                                               measure="RR", estimate=0.2, ci_low=0.1,
                                                                               ci_high=0.3, mid=None)):
            for j in assess(inp).judgements:
                assert j.concern in CONCERNS

    @pytest.mark.parametrize("old,new", [("none", "no"), ("not_assessed", "not_assessable"),
                                         ("not_applicable", "not_assessable"), ("extremely_serious", "very_serious"),
                                         ("upgrade", "no"), ("Very serious", "very_serious")])
    def test_old_concern_words_map(self, old, new):
        assert normalize_concern(old) == new
        assert Override("risk_of_bias", -1, "x", concern=old).concern == new
        with pytest.raises(SpecError, match="not one of 'no'"):
            normalize_concern("bad")


class TestSourceCeiling:
    def test_starts_from_source_not_from_high(self):
        r = assess(full(source_certainty="Low"))
        assert (r.start, r.certainty, r.source_certainty) == ("low", "low", "low")
        assert [d.code for d in r.disagreements] == ["source_own_rules_higher"]
        assert "ceiling" in r.disagreements[0].text

    def test_own_rules_lower_do_not_double_count(self):
        # evigrade alone: low (cap); the source said moderate with its study-level data: kept, recorded
        r = assess(review_row(source_certainty="moderate"))
        assert (r.certainty, r.capped_by) == ("moderate", None)
        assert [d.code for d in r.disagreements] == ["source_own_rules_lower"]
        rob = r.judgement("risk_of_bias")
        assert (rob.levels, rob.source, rob.numbers["auto_levels"]) == (0, "source_review", -1)
        assert not r.not_fully_assessed  # the source GRADE covers the domains we could not assess

    def test_no_disagreement_when_equal(self):
        r = assess(full(source_certainty="high"))
        assert (r.certainty, r.disagreements) == ("high", ())

    def test_discordant_reviews_rate_below_source(self):
        r = assess(review_row(source_certainty="moderate", discordant=True))
        assert r.certainty == "low" and r.judgement("inconsistency").reason_code == "inconsistency_discordant"
        assert [d.code for d in r.disagreements][0] == "source_rated_below"

    def test_pack_indirectness_rates_below_source(self):
        r = assess(full(source_certainty="moderate", indirectness="serious"))
        assert r.certainty == "low" and r.downgrade_levels == -1
        # evigrade's own rules also give moderate (high, -1 for the pack's indirectness): no other disagreement
        assert [d.code for d in r.disagreements] == ["source_rated_below"]

    def test_reviewer_override_applies_under_a_source(self):
        r = assess(full(source_certainty="moderate", overrides=(Override("risk_of_bias", -1, "Unblinded assessors"),)))
        assert r.certainty == "low"

    def test_override_allows_above_source(self):
        inp = full(source_certainty="low", source_override="The review rated down for a trial since retracted")
        r = assess(inp)
        assert r.certainty == "high"
        assert [d.code for d in r.disagreements] == ["source_override_above"]
        assert "retracted" in r.disagreements[0].text
        # the override cannot lift above what evigrade's own rules (with the cap) give
        r = assess(dataclasses.replace(inp, indirectness=None, k=5))
        assert r.certainty == "low" and r.disagreements == ()

    def test_never_above_source_without_override(self):
        for src in ("high", "moderate", "low", "very_low"):
            for inp in (full(), review_row(), full(ci_high=0.4), full(design="non_randomised")):
                r = assess(dataclasses.replace(inp, source_certainty=src))
                assert r.level <= {"high": 4, "moderate": 3, "low": 2, "very_low": 1}[src]

    def test_validation(self):
        with pytest.raises(SpecError, match="source_certainty='good'"):
            full(source_certainty="good")
        with pytest.raises(SpecError, match="discordant must be True, False or None"):
            full(discordant="yes")
        assert full(source_certainty="Very low").source_certainty == "very_low"
        assert full(source_override="  ").source_override is None

    def test_json(self):
        d = assess(review_row(source_certainty="moderate", discordant=True)).to_dict()
        json.dumps(d)
        assert d["source_certainty"] == "moderate" and d["disagreements"][0]["code"] == "source_rated_below"


class TestInconsistencyRules:
    def test_i2_thresholds_live_in_config(self):
        cfg = GradeConfig(i2_serious=0.4, i2_very_serious=0.6)
        assert assess(full(i2=0.45), cfg).judgement("inconsistency").levels == -1
        assert assess(full(i2=0.65), cfg).judgement("inconsistency").levels == -2


class TestNarrative:
    def test_direction(self):
        assert narrative_direction(NarrativeInput((Vote("no_difference", 10), Vote("unclear")))) == "no_difference"
        assert narrative_direction(NarrativeInput((Vote("no_difference", 10), Vote("favours_intervention", 5)))) == "mixed"
        assert narrative_direction(NarrativeInput((Vote("unclear"),))) == "unclear"

    def test_two_small_null_trials_at_low_rob(self):
        n = NarrativeInput((Vote("no_difference", 40, "low"), Vote("no_difference", 62, "low")), indirectness="none")
        r = assess_narrative(n)
        # imprecision -2 (no estimate, 102 < 400); publication bias not assessable only: not capped
        assert (r.certainty, r.kind, r.not_assessable) == ("low", "narrative", ("publication_bias",))
        assert r.judgement("imprecision").levels == -2
        assert r.judgement("inconsistency").reason_code == "inconsistency_votes_consistent"

    def test_opposite_directions_and_unknowns(self):
        n = NarrativeInput((Vote("favours_intervention", 200, "high"), Vote("favours_comparator", 300)))
        r = assess_narrative(n)
        assert r.judgement("inconsistency").reason_code == "inconsistency_votes_opposite"
        assert r.certainty == "very_low"
        u = assess_narrative(NarrativeInput((Vote("favours_intervention"),)))
        assert u.judgement("imprecision").concern == "not_assessable" and u.capped_by is None
        assert u.not_fully_assessed and u.certainty == "low"

    def test_source_and_discordance(self):
        n = NarrativeInput((Vote("no_difference", 500, "low"), Vote("no_difference", 400, "low")),
                           source_certainty="moderate", discordant=True, indirectness="none")
        r = assess_narrative(n)
        assert r.certainty == "low" and r.start == "moderate"
        assert [d.code for d in r.disagreements][0] == "source_rated_below"

    def test_never_above_source(self):
        n = NarrativeInput((Vote("favours_intervention", 900, "low"),), source_certainty="very_low")
        assert assess_narrative(n).certainty == "very_low"

    def test_validation_and_json(self):
        with pytest.raises(SpecError, match="at least one vote"):
            NarrativeInput(())
        with pytest.raises(SpecError, match="vote direction"):
            Vote("better", 10)
        with pytest.raises(SpecError, match="whole number"):
            Vote("unclear", -3)
        n = NarrativeInput((Vote("no_difference", 40, "some concerns"),))
        assert n.votes[0].rob == "some_concerns" and n.n == 40 and n.k == 1
        json.dumps(n.to_dict())
        json.dumps(assess_narrative(n).to_dict())
