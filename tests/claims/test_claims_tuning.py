"""Rules added while tuning the checker on the real-text set's tuning texts (issue 16; scripts/claims_eval.py
--realtext --split tune).  Each test exercises one generic rule on sentences written here, in the style of
the tuning texts, and (where it matters) on both packs: the bundled one (stored snapshot) and BCG.
"""
from __future__ import annotations

import pathlib

import pytest

from evigrade.claims import Evidence, analyse, check, load_evidence
from evigrade.claims.check import lexicon_for
from evigrade.claims.evidence import evidence_from_pack
from evigrade.claims.terms import _instrument_names

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def snap() -> Evidence:
    return load_evidence(HERE / "bundled_evidence_snapshot.json")


@pytest.fixture(scope="module")
def bcg() -> Evidence:
    return evidence_from_pack(ROOT / "tests" / "packs" / "data" / "bcg")


def one(text: str, ev: Evidence):
    r = check(text, ev).claims
    assert len(r) == 1, [c.sentence for c in r]
    return r[0]


# ---- what stands for the intervention ------------------------------------------------------------------


def test_the_thing_an_action_noun_gives_or_uses_stands_for_the_intervention():
    assert _instrument_names(["BCG", "vaccination"]) == [
        "the vaccine", "this vaccine", "our vaccine", "the vaccines", "these vaccines", "our vaccines",
        "BCG vaccine", "BCG vaccines"]
    # an "-ing" name: only the plural (the singular narrates one step of the procedure)
    assert _instrument_names(["kinesio", "taping"]) == ["the tapes", "these tapes", "our tapes", "kinesio tape",
                                                        "kinesio tapes"]
    assert _instrument_names(["exercise"]) == [] and _instrument_names(["manual", "therapy"]) == []
    assert _instrument_names(["acupuncture"]) == []


def test_the_vaccine_is_the_intervention(bcg):
    lex = lexicon_for(bcg)
    assert lex.intervention.find("The vaccine protects babies.")
    a = analyse("The vaccine is particularly helpful in protecting babies and young children against severe TB.", lex)
    assert a.is_claim and a.mentions_intervention
    assert one("The vaccine is particularly helpful in protecting babies against tuberculosis.", bcg).verdict == \
        "unsupported"  # a subgroup (babies) the pack has no finding for


def test_the_plural_instrument_is_the_intervention_the_singular_a_procedure_step(snap):
    assert one("By stimulating these spots, the needles help relax the muscles.", snap).verdict == "overstated"
    assert one("The needle is then moved around in the tissue.", snap).verdict == "not_a_claim"


# ---- what is not a claim, and what is not a negation ----------------------------------------------------


def test_a_mechanism_the_evidence_does_not_hold_is_no_claim_without_the_intervention(bcg, snap):
    # BCG has no mechanism evidence: "spinal cord" in a description of the disease is not a claim
    text = ("TB usually affects the lungs, but it can also involve other organs and sometimes causes meningitis "
            "(swelling of the membranes surrounding the brain and spinal cord).")
    assert one(text, bcg).verdict == "not_a_claim"
    assert lexicon_for(bcg).evidence_mechanisms == frozenset()
    # a mechanism the bundled evidence holds is still about the intervention by itself
    lex = lexicon_for(snap)
    assert "blood_flow" in (lex.evidence_mechanisms or ())
    assert analyse("Local blood flow increases after each session.", lex).is_claim


def test_by_with_a_gerund_is_not_a_byline(snap):
    lex = lexicon_for(snap)
    assert analyse("By Jane Smith, physiotherapist, 3 May 2024.", lex).reason == "a byline or page furniture"
    assert analyse("By stimulating these spots, dry needling relieves pain.", lex).is_claim


def test_not_to_be_confused_with_is_an_aside_not_a_negation_or_a_comparison(snap):
    lex = lexicon_for(snap)
    a = analyse("Not to be confused with acupuncture, dry needling relieves neck pain.", lex)
    assert not a.negated and a.comparators == ()
    assert one("Not to be confused with acupuncture, dry needling relieves neck pain.", snap).verdict == "overstated"
    # "unlike X" does compare
    assert analyse("Unlike massage, dry needling gives longer-lasting results.", lex).comparators


def test_rigorously_studied_reads_as_high_certainty(snap):
    lex = lexicon_for(snap)
    a = analyse("Dry needling has been rigorously studied for its effectiveness in pain relief.", lex)
    assert a.is_claim and a.certainty == "high" and a.certainty_cue == "rigorously studied"
    assert one("Dry needling has been rigorously studied for its effectiveness in pain relief.", snap).verdict == \
        "overstated"
