"""What a sentence asserts (evigrade.claims.detect): targets, certainty, size, time, universality, negation."""
from __future__ import annotations

import pytest

from evigrade.claims import analyse, load_lexicon

# the intervention's names come from the pack (INTERFACE-14: topic.synonyms); these are the bundled pack's
LEX = load_lexicon().with_topic(("dry needling", "DN", "TrP-DN", "trigger point needling"))


def a(s: str):
    return analyse(s, LEX)


@pytest.mark.parametrize("sentence, level", [
    ("Dry needling is clinically proven to reduce neck pain.", "high"),
    ("Dry needling is guaranteed to reduce neck pain.", "high"),
    ("Dry needling definitely reduces neck pain.", "high"),
    ("Dry needling reduces neck pain.", "high"),               # a plain assertion reads as high certainty
    ("Dry needling will reduce neck pain.", "high"),
    ("Dry needling probably reduces neck pain.", "moderate"),
    ("Dry needling likely reduces neck pain.", "moderate"),
    ("Dry needling may reduce neck pain.", "low"),
    ("Dry needling can reduce neck pain.", "low"),
    ("Some trials suggest dry needling reduces neck pain.", "low"),
    ("The evidence is limited, but dry needling reduces neck pain.", "very_low"),
    ("Whether dry needling reduces neck pain is very uncertain.", "very_low"),
    ("Dry needling can definitely reduce neck pain.", "high"),  # a strong cue beats a hedge
])
def test_projected_certainty(sentence, level):
    assert a(sentence).certainty == level


@pytest.mark.parametrize("sentence, size", [
    ("Dry needling dramatically reduces neck pain.", "large"),
    ("Dry needling gives huge relief.", "large"),
    ("Dry needling significantly reduces neck pain.", "moderate"),
    ("Dry needling slightly reduces neck pain.", "small"),
    ("Dry needling eliminates neck pain.", "complete"),
    ("Dry needling makes little or no difference to neck pain.", "trivial"),
    ("Dry needling reduces neck pain.", None),
])
def test_size(sentence, size):
    assert a(sentence).size == size


@pytest.mark.parametrize("sentence, buckets", [
    ("Dry needling gives immediate relief of neck pain.", ("immediate",)),
    ("Dry needling reduces neck pain in the short term.", ("short_term",)),
    ("Dry needling reduces neck pain for months.", ("mid_term",)),
    ("Dry needling gives lasting relief.", ("long_term",)),
    ("Dry needling permanently cures neck pain.", ("long_term",)),
    ("Dry needling gives instant and lasting relief.", ("immediate", "long_term")),
    ("Dry needling reduces neck pain.", ()),
])
def test_timeframe(sentence, buckets):
    assert a(sentence).timeframes == buckets


def test_universality_and_negation():
    x = a("Dry needling works for everyone.")
    assert x.universal_cue == "everyone" and not x.negated
    y = a("Dry needling does not reduce neck pain.")
    assert y.negated and y.negation_cue == "does not"
    # phrases with negative words that are not negations
    assert not a("Dry needling means no more neck pain.").negated
    assert not a("There is no doubt dry needling reduces neck pain.").negated
    # the negation sits in the clause before "but": the assertion is the clause after it
    z = a("Dry needling is not a cure, but it may ease neck pain.")
    assert not z.negated and z.certainty == "low" and z.outcomes == ("pain",)


def test_targets_longest_match_first():
    assert a("Dry needling raises the pressure pain threshold.").outcomes == ("pressure_pain_threshold",)
    assert a("Dry needling improves range of motion and neck pain.").outcomes == ("range_of_motion", "pain")
    assert a("Dry needling improves neck disability.").outcomes == ("disability",)
    # "less pain after treatment" is an outcome, "pain after treatment is common" a safety event
    assert a("Patients report less pain after treatment.").outcomes == ("pain",)
    s = a("Pain after treatment is common.")
    assert s.safety == "event" and s.safety_detail["severity"] == "mild" and s.safety_detail["stance"] == "frequent"


def test_foreign_outcomes_mechanisms_and_safety_kinds():
    assert a("Dry needling cures migraines.").foreign == ("migraines",)
    assert a("Dry needling treats low back pain.").foreign == ("low back",)
    assert a("Dry needling treats low back pain.").outcomes == ("pain",)
    assert a("Dry needling resets the nervous system.").mechanisms == ("reset_nervous_system",)
    assert a("Needling elicits a local twitch response.").mechanisms == ("local_twitch_response",)
    assert a("Dry needling is completely safe.").safety == "absolute"
    assert a("Dry needling is dangerous.").safety == "danger"
    assert a("Dry needling is generally safe.").safety == "general"
    s = a("Pneumothorax is very rare.")
    assert s.safety == "event" and s.safety_detail["severity"] == "serious" and s.safety_detail["stance"] == "rare"


@pytest.mark.parametrize("sentence", [
    "Book your appointment today.",
    "What is dry needling?",
    "Dry needling uses thin filiform needles.",
    "Neck pain is common in office workers.",
    "Trigger points are sensitive spots in a taut band.",
    "Call us to find out more.",
])
def test_not_a_claim(sentence):
    assert not a(sentence).is_claim


def test_general_claim_and_comparator():
    g = a("Dry needling works.")
    assert g.is_claim and g.general
    c = a("Dry needling is better than massage for neck pain.")
    assert c.comparator_terms == ("massage",) and c.outcomes == ("pain",)


def test_direction_of_the_claimed_change():
    assert a("Dry needling reduces range of motion.").harm == ("range_of_motion",)
    assert a("Dry needling increases range of motion.").harm == ()
    assert a("Dry needling reduces neck stiffness.").harm == ()          # lower stiffness is better
    assert a("Dry needling lowers pressure pain thresholds.").harm == ("pressure_pain_threshold",)
    assert a("Dry needling reduces tenderness.").harm == ()
    assert a("Dry needling increases neck pain.").harm == ("pain",)
    # a temporary or hedged increase in pain is an adverse event, not an outcome claim
    x = a("Dry needling can make your pain worse for a day or two.")
    assert x.safety == "event" and x.outcomes == () and x.safety_detail["severity"] == "mild"
