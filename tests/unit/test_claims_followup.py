"""The follow-up rules (engineer M): narrative findings, safety event rates, mechanisms in general,
active-comparator ("less than") wording, and the tidying of rewordings.

Judged against the stored snapshot of the bundled pack (tests/claims/bundled_evidence_snapshot.json;
refresh: `python scripts/claims_eval.py --write-snapshot`) and against small constructed Evidence.
"""
from __future__ import annotations

import pathlib

import pytest

from claims_helpers import one
from evigrade.claims import Evidence, EvidenceFinding, EvidenceSafety, load_evidence, statement_for
from evigrade.claims.judge import tidy

SNAPSHOT = pathlib.Path(__file__).resolve().parents[1] / "claims" / "bundled_evidence_snapshot.json"


@pytest.fixture(scope="module")
def snap() -> Evidence:
    return load_evidence(SNAPSHOT)


@pytest.mark.parametrize("sentence, verdict, aspects", [
    # narrative no-effect findings (certainty not rated) support at most "may"
    ("Dry needling may make little or no difference to neck range of motion.", "consistent", ()),
    ("Dry needling probably does little for neck range of motion.", "overstated", ("certainty",)),
    ("Dry needling definitely does nothing for range of motion.", "overstated", ("certainty",)),
    # safety: per-event rates
    ("Mild soreness and bruising are common after dry needling.", "consistent", ()),
    ("Dry needling has no side effects.", "contradicted", ()),
    ("Bruising is rare after dry needling.", "contradicted", ()),
    ("Headache is common after dry needling.", "contradicted", ()),
    ("Headaches after dry needling are uncommon.", "consistent", ()),
    ("Dry needling helps with tension headaches.", "unsupported", ()),
    # mechanisms: none established
    ("How dry needling works is not established.", "consistent", ()),
    ("The mechanism of dry needling is unknown.", "consistent", ()),
    ("Scientists have proven exactly how dry needling works.", "overstated", ("certainty",)),
    # active comparators
    ("Dry needling probably reduces pain less than trigger-point injection.", "consistent", ()),
    ("Dry needling reduces pain less than trigger-point injection.", "overstated", ("certainty",)),
    ("Dry needling reduces neck pain more than trigger-point injection.", "contradicted", ()),
    ("Trigger-point injection probably relieves neck pain better than dry needling.", "consistent", ()),
])
def test_verdicts_on_the_new_summary_information(snap, sentence, verdict, aspects):
    c = one(sentence, snap)
    assert (c.verdict, c.aspects) == (verdict, aspects), c.explanation


def test_event_rates_are_quoted_in_the_explanation(snap):
    c = one("Bruising is rare after dry needling.", snap)
    assert "bruising 7.55% to 7.70% of treatments (common)" in c.explanation[0]
    c = one("Dry needling has no side effects.", snap)
    assert "19% to 37% of treatments across sources" in c.explanation[0]


def test_mechanism_rewording_uses_the_summary_message(snap):
    c = one("How dry needling works is still not fully understood.", snap)
    assert c.rewording.startswith("How dry needling works is unproven: none of the 12 proposed mechanisms")
    assert c.evidence[0]["kind"] == "mechanisms" and c.evidence[0]["established"] == 0


def _finding(**kw) -> EvidenceFinding:
    base = dict(outcome="rom", outcome_name="range of motion", family="range of motion", benefit="higher")
    base.update(kw)
    return EvidenceFinding(**base)


def test_a_rated_finding_is_what_the_wording_is_compared_with():
    """A very-low-certainty estimate and an unrated narrative report of benefit: 'can improve' is
    judged against the rated finding (very uncertain), not lifted to 'may' by the narrative one."""
    ev = Evidence("dry needling", (
        _finding(timepoints=("immediate",), comparison="sham", certainty="very_low", direction="benefit",
                 estimate=1.7, ci_low=0.2, ci_high=3.2, measure="MD"),
        _finding(timepoints=("immediate",), comparison="no treatment", direction="benefit",
                 evidence_form="narrative"),
    ))
    c = one("Dry needling can improve range of motion immediately.", ev)
    assert (c.verdict, c.aspects) == ("overstated", ("certainty",))


def test_unrated_no_effect_outweighs_very_low_but_not_low():
    null = _finding(comparison="add-on", direction="none", evidence_form="narrative")
    very_low = _finding(comparison="sham", certainty="very_low", direction="benefit")
    low = _finding(comparison="sham", certainty="low", direction="benefit")
    # (a plain denial carries no certainty cue, so only the balance of findings is judged; with a
    # cue, "probably does not", the unrated no-effect report caps the wording at "may")
    assert one("Dry needling does not improve range of motion.",
               Evidence("dry needling", (very_low, null))).verdict == "consistent"
    assert one("Dry needling probably does not improve range of motion.",
               Evidence("dry needling", (very_low, null))).aspects == ("certainty",)
    assert one("Dry needling does not improve range of motion.",
               Evidence("dry needling", (low, null))).verdict == "contradicted"


def test_narrative_statement_says_certainty_not_rated():
    f = _finding(timepoints=("short_term",), comparison="sham or placebo needling", direction="benefit",
                 evidence_form="narrative")
    assert statement_for(f, "dry needling") == (
        "Dry needling may improve range of motion in the short term compared with sham or placebo needling "
        "(reported without a usable effect estimate; the certainty of this evidence has not been rated).")


def test_safety_without_event_rates_falls_back_to_the_mild_rate():
    ev = Evidence("dry needling", (), safety=EvidenceSafety("reassuring", ("bruising",), ("pneumothorax",),
                                                            mild_rate_low=0.2, mild_rate_high=0.35))
    c = one("Bruising never happens.", ev)
    assert c.verdict == "contradicted" and "20% to 35% of treatments" in c.explanation[0]


@pytest.mark.parametrize("raw, clean", [
    ("Dry needling may reduce pain in the immediate to short term compared with sham).",
     "Dry needling may reduce pain immediately after treatment and in the short term compared with sham."),
    ("It probably reduces pain in the short-term to long-term.",
     "It probably reduces pain in the short term and in the long term."),
    ("It probably reduces pain compared with comparator not stated .", "It probably reduces pain."),
    ("It may reduce pain compared with sham/placebo (neck.", "It may reduce pain compared with sham or placebo neck."),
    ("Plain (bracketed) text.. ok ,.", "Plain (bracketed) text. ok."),
])
def test_tidy_cleans_statement_oddities(raw, clean):
    assert tidy(raw) == clean


def test_rewordings_are_tidied(snap):
    odd = EvidenceFinding("pain", "pain intensity", benefit="lower", comparison="sham", certainty="low",
                          direction="benefit", magnitude="small",
                          statement="Dry needling may slightly reduce pain in the immediate to short term compared with sham).")
    c = one("Dry needling may slightly reduce neck pain.", Evidence("dry needling", (odd,)))
    assert c.rewording == ("Dry needling may slightly reduce pain immediately after treatment and in the short term "
                           "compared with sham.")
