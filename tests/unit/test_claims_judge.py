"""Verdicts against a fixed Evidence fixture (tests/claims/evidence_fixture.json) and constructed evidence.

The fixture is a frozen copy of the curated reference evidence, so these tests do not move when
the bundled pack or the GRADE rules change.
"""
from __future__ import annotations

import pathlib

import pytest

from claims_helpers import one
from evigrade.claims import (Evidence, EvidenceFinding, EvidenceMechanism, EvidenceSafety, load_evidence,
                             statement_for)

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "claims" / "evidence_fixture.json"


@pytest.fixture(scope="module")
def ev() -> Evidence:
    return load_evidence(FIXTURE)


@pytest.mark.parametrize("sentence, verdict, aspects", [
    ("Dry needling is clinically proven to eliminate neck pain permanently.", "overstated",
     ("certainty", "size", "time_frame")),
    ("Dry needling works for everyone.", "overstated", ("certainty", "universality")),
    ("Dry needling may reduce neck pain in the short term.", "consistent", ()),
    ("Dry needling probably slightly reduces shoulder pain in the short term.", "consistent", ()),
    ("Dry needling improves range of motion.", "contradicted", ()),
    ("Dry needling does not reduce neck pain.", "contradicted", ()),
    ("Dry needling may make little or no difference to range of motion.", "consistent", ()),
    ("Dry needling is better than lidocaine injections for neck pain.", "contradicted", ()),
    ("Dry needling is better than medication for neck pain.", "unsupported", ()),
    ("Dry needling cures migraines.", "unsupported", ()),
    ("Dry needling resets the nervous system.", "unsupported", ()),
    ("Dry needling releases knots in your muscles.", "unsupported", ()),
    ("Local twitch responses may contribute to pain relief.", "consistent", ()),
    ("Dry needling definitely works through the local twitch response.", "overstated", ("certainty",)),
    ("It has been proposed that needling acts on the motor end-plate, but this is not established.", "consistent", ()),
    ("Dry needling is completely safe with no side effects.", "contradicted", ()),
    ("Mild soreness and bruising are common after dry needling.", "consistent", ()),
    ("Bruising after dry needling is rare.", "contradicted", ()),
    ("Serious complications such as pneumothorax are rare.", "consistent", ()),
    ("Pneumothorax is a common complication of dry needling.", "contradicted", ()),
    ("You will always be sore after dry needling.", "overstated", ("universality",)),
    ("Dry needling is proven to be safe for everyone.", "overstated", ("certainty", "universality")),
    ("Book your appointment today.", "not_a_claim", ()),
    ("Dry needling may reduce neck pain in the long term.", "overstated", ("time_frame",)),
])
def test_fixture_verdicts(ev, sentence, verdict, aspects):
    c = one(sentence, ev)
    assert (c.verdict, c.aspects) == (verdict, aspects), c.explanation


def test_verdict_carries_evidence_and_reasons(ev):
    c = one("Dry needling is clinically proven to relieve neck pain.", ev)
    assert c.verdict == "overstated" and c.aspects == ("certainty",)
    e = c.evidence[0]
    assert e["kind"] == "finding" and e["outcome"] == "pain" and e["source"].startswith("shared pooled.csv")
    assert e["certainty"] in ("low", "moderate", None)
    assert any("clinically proven" in w for w in c.explanation)
    assert c.rewording and "may" in c.rewording and "proven" not in c.rewording


# ---- constructed evidence: one rule at a time ----------------------------------------------------


def _ev(*findings: EvidenceFinding, mechanisms=(), safety=None) -> Evidence:
    return Evidence("dry needling", tuple(findings), tuple(mechanisms), safety, origin="test")


def _pain(**kw) -> EvidenceFinding:
    base = dict(outcome="pain", outcome_name="pain intensity", family="pain", timepoints=("short_term",),
                comparison="sham", certainty="moderate", magnitude="small", direction="benefit", benefit="lower",
                measure="SMD", estimate=-0.3, ci_low=-0.5, ci_high=-0.1, source="test row 1")
    base.update(kw)
    return EvidenceFinding(**base)


def test_certainty_ladder_against_moderate_finding():
    ev = _ev(_pain())
    assert one("Dry needling reduces neck pain in the short term.", ev).verdict == "overstated"
    assert one("Dry needling probably reduces neck pain in the short term.", ev).verdict == "consistent"
    c = one("Dry needling may reduce neck pain in the short term.", ev)
    assert (c.verdict, c.aspects) == ("understated", ("certainty",))


def test_size_overstated_and_understated():
    ev = _ev(_pain(magnitude="small"))
    c = one("Dry needling probably dramatically reduces neck pain.", ev)
    assert (c.verdict, c.aspects) == ("overstated", ("size",))
    big = _ev(_pain(magnitude="large"))
    c = one("Dry needling probably slightly reduces neck pain.", big)
    assert (c.verdict, c.aspects) == ("understated", ("size",))
    # a finding with no judged magnitude cannot support a claimed large effect
    unk = _ev(_pain(magnitude=None, measure="MD"))
    assert one("Dry needling probably dramatically reduces neck pain.", unk).aspects == ("size",)


def test_unrated_finding_supports_at_most_may():
    ev = _ev(_pain(certainty=None))
    assert one("Dry needling may reduce neck pain.", ev).verdict == "consistent"
    c = one("Dry needling probably reduces neck pain.", ev)
    assert (c.verdict, c.aspects) == ("overstated", ("certainty",))
    assert "not been rated" in (c.rewording or "")


def test_benefit_of_the_doubt_uses_best_fitting_finding():
    ev = _ev(_pain(certainty="low", magnitude="large"), _pain(certainty="moderate", magnitude="small"))
    assert one("Dry needling probably slightly reduces neck pain.", ev).verdict == "consistent"
    assert one("Dry needling may reduce neck pain a lot.", ev).verdict == "consistent"


def test_null_findings_outweigh_less_certain_benefit():
    ev = _ev(_pain(outcome="rom", outcome_name="range of motion", benefit="higher", certainty="very_low"),
             _pain(outcome="rom", outcome_name="range of motion", benefit="higher", certainty="low",
                   direction="none", magnitude="trivial", timepoints=()))
    assert one("Dry needling improves range of motion.", ev).verdict == "contradicted"
    assert one("Dry needling does not improve range of motion.", ev).verdict == "consistent"


def test_no_evidence_of_effect_at_one_time_is_not_a_contradiction():
    # benefit short term, no effect long term: a long-term claim is overstated (time frame), not contradicted
    ev = _ev(_pain(), _pain(timepoints=("long_term",), direction="none", magnitude="trivial", certainty="low"))
    c = one("Dry needling probably reduces neck pain in the long term.", ev)
    assert (c.verdict, c.aspects) == ("overstated", ("time_frame",))


def test_head_to_head_findings_are_used_only_when_the_comparator_is_named():
    ev = _ev(_pain(), _pain(comparison="manual therapy", direction="harm", certainty="high"))
    assert one("Dry needling probably reduces neck pain.", ev).verdict == "consistent"
    assert one("Dry needling is better than massage for neck pain.", ev).verdict == "contradicted"


def test_uncertainty_statements():
    ev = _ev(_pain(certainty="moderate"))
    c = one("The evidence on dry needling for neck pain is very uncertain.", ev)
    assert (c.verdict, c.aspects) == ("understated", ("certainty",))
    assert one("The evidence on dry needling for neck pain is very uncertain.", _ev(_pain(certainty="very_low"))).verdict \
        == "consistent"


def test_mechanism_support_levels():
    m = lambda label: _ev(_pain(), mechanisms=[EvidenceMechanism("local twitch response (LTR)", label)])  # noqa: E731
    assert one("Dry needling works by eliciting a local twitch response.", m("proposed")).verdict == "overstated"
    assert one("Dry needling may work by eliciting a local twitch response.", m("proposed")).verdict == "consistent"
    assert one("Dry needling probably works by eliciting a local twitch response.", m("partially supported")).verdict \
        == "consistent"
    assert one("Dry needling works by eliciting a local twitch response.", m("established")).verdict == "consistent"
    assert one("Dry needling works by eliciting a local twitch response.", _ev(_pain())).verdict == "unsupported"


def test_safety_without_profile_is_unsupported():
    assert one("Dry needling is completely safe.", _ev(_pain())).verdict == "unsupported"
    s = EvidenceSafety("rare serious, common mild", ("bruising",), ("pneumothorax",), 0.2, 0.0004, "Mild events common.")
    assert one("Dry needling is completely safe.", _ev(_pain(), safety=s)).verdict == "contradicted"
    assert one("Dry needling is completely safe.", _ev(_pain(), safety=s)).rewording == "Mild events common."


def test_statement_wording_follows_grade_style():
    f = _pain(certainty="moderate", magnitude="small", comparison="DN vs sham")
    assert statement_for(f, "dry needling") == \
        "Dry needling probably slightly reduces pain intensity in the short term compared with sham."
    assert statement_for(_pain(certainty="low", magnitude="large", comparison=""), "dry needling") == \
        "Dry needling may result in a large reduction in pain intensity in the short term."
    assert statement_for(_pain(certainty="high", magnitude="moderate", comparison=""), "dry needling") == \
        "Dry needling reduces pain intensity in the short term."
    assert statement_for(_pain(certainty="very_low", comparison=""), "dry needling") == \
        "The evidence is very uncertain about the effect of dry needling on pain intensity in the short term."
    assert statement_for(_pain(direction="none", magnitude="trivial", certainty="low", comparison="", timepoints=()),
                         "dry needling") == "The evidence does not show that dry needling changes pain intensity."
    # D's statement wins when present, with the intervention named
    f2 = _pain(statement="The intervention probably reduces pain intensity.")
    assert statement_for(f2, "dry needling") == "Dry needling probably reduces pain intensity."


def test_multi_part_sentence_takes_worst_verdict(ev):
    c = one("Dry needling reduces neck pain by resetting the nervous system.", ev)
    assert c.verdict == "unsupported"
    assert "certainty" in c.aspects  # the outcome part is overstated as well


def test_pack_outcomes_and_synonyms_are_found_in_sentences():
    sleep = EvidenceFinding(outcome="sleep_quality", outcome_name="sleep quality", synonyms=("restful nights",),
                            timepoints=("short_term",), comparison="sham", certainty="low", magnitude="small",
                            direction="benefit", benefit="higher", source="toy row 2")
    ev = _ev(_pain(), sleep)
    # without the pack outcome "sleep" is outside the pack; with it, the pack's name and synonyms count
    c = one("Dry needling may slightly improve sleep quality.", ev)
    assert c.verdict == "consistent" and c.evidence[0]["outcome"] == "sleep_quality"
    c = one("Dry needling guarantees restful nights.", ev)
    assert (c.verdict, c.aspects) == ("overstated", ("certainty",))
    assert one("Dry needling may slightly improve sleep quality.", _ev(_pain())).verdict == "unsupported"


def test_wording_rules_found_on_blind_sentences():
    ev = _ev(_pain(certainty="moderate", timepoints=("immediate",)),
             safety=EvidenceSafety("acceptable", ("bruising",), ("pneumothorax",), 0.2, 0.0004))
    # an explicit GRADE level beats a generic hedge
    assert one("Moderate-certainty evidence suggests that dry needling reduces pain immediately.", ev).verdict \
        == "consistent"
    # reporting what a review found projects no certainty of its own
    assert one("A review of 28 trials found that dry needling reduced neck pain immediately.", ev).verdict \
        == "consistent"
    # "not everyone" is a hedge, not a denial and not a universal claim
    assert one("Dry needling might not help everyone with neck pain immediately.", ev).verdict == "understated"
    # a majority qualifier turns "no side effects" into a frequency statement
    assert one("Most patients experience no side effects at all.", ev).verdict == "consistent"
    assert one("Dry needling has no side effects.", ev).verdict == "contradicted"
    # comparative safety claims have no evidence in a pack
    assert one("Dry needling carries a higher risk of injury than acupuncture.", ev).verdict == "unsupported"
    assert one("Dry needling is safer than painkillers.", ev).verdict == "unsupported"
    # "limited" fits low certainty; it understates only moderate or high certainty
    assert one("The evidence on dry needling for neck pain is limited.", ev).verdict == "understated"
    low = _ev(_pain(certainty="low"))
    assert one("The evidence on dry needling for neck pain is limited.", low).verdict == "consistent"


def test_add_on_phrasing_selects_add_on_findings():
    ev = _ev(_pain(comparison="the same therapy without dry needling (add-on designs)", comparison_id="add_on",
                   certainty="moderate"),
             _pain(comparison="other active therapy", comparison_id="other_active", direction="harm", certainty="low"))
    assert one("Dry needling added to physiotherapy probably reduces neck pain.", ev).verdict == "consistent"
    assert one("Dry needling probably works better than physiotherapy alone for neck pain.", ev).verdict == "consistent"
    assert one("Dry needling is better than physiotherapy for neck pain.", ev).verdict == "contradicted"
