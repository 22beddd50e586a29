"""Rules added while tuning the checker on the real-text set's tuning texts (issue 16; scripts/claims_eval.py
--realtext --split tune).  Each test exercises one generic rule on sentences written here, in the style of
the tuning texts, and (where it matters) on both packs: the bundled one (stored snapshot) and BCG.
"""
from __future__ import annotations

from evigrade.claims import Evidence, EvidenceFinding, analyse, check
from evigrade.claims.check import lexicon_for
from evigrade.claims.terms import _instrument_names


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


# ---- reported results and stated levels -----------------------------------------------------------------


def test_each_outcome_takes_the_level_stated_nearest_before_it(snap):
    lex = lexicon_for(snap)
    text = ("There was moderate-quality evidence that dry needling reduces neck pain and low-quality evidence that "
            "dry needling improves related disability.")
    a = analyse(text, lex)
    assert dict((o, lvl) for o, lvl, _, _ in a.outcome_certainty) == {"pain": "moderate", "disability": "low"}
    assert one(text, snap).verdict == "consistent"  # pain moderate, disability low: both as graded
    # one level for the whole sentence: no per-outcome levels
    assert analyse("Low-quality evidence suggests dry needling reduces pain and disability.", lex).outcome_certainty == ()


def test_a_stated_range_of_levels_is_not_understated_when_the_evidence_is_inside_it(snap):
    lex = lexicon_for(snap)
    a = analyse("Moderate- to low-quality evidence suggests that dry needling reduces neck pain.", lex)
    assert (a.certainty, a.certainty_top, a.certainty_cue) == ("low", "moderate", "Moderate- to low-quality")
    # one moderate-certainty finding: a range that reaches it is consistent, levels below it are understated
    ev = Evidence(intervention="the treatment", findings=(EvidenceFinding(
        outcome="pain", outcome_name="pain", timepoints=("short_term",), comparison="sham", certainty="moderate",
        magnitude="small", direction="benefit"),))
    assert one("Low- to moderate-quality evidence suggests that the treatment reduces pain.", ev).verdict == "consistent"
    assert one("Low-quality evidence suggests that the treatment reduces pain.", ev).verdict == "understated"
    assert one("Very low- to low-quality evidence suggests that the treatment reduces pain.", ev).verdict == \
        "understated"


def test_a_reported_study_result_keeps_its_own_time_points_and_statistical_significance(snap):
    lex = lexicon_for(snap)
    text = ("Compared with the placebo group, those who received dry needling had significantly greater "
            "improvements in pain immediately after each session.")
    a = analyse(text, lex)
    assert a.reported and a.size is None  # "significantly" in a study's result: statistical significance
    assert one(text, snap).verdict == "consistent"
    # a size above the evidence's judged one is still compared; a plain claim keeps its time frame
    assert one("A trial found that dry needling eliminated neck pain.", snap).verdict == "overstated"
    assert "time_frame" in one("Dry needling reduces neck pain for years.", snap).aspects


def test_no_more_effective_than_is_a_denial_not_a_complete_effect(snap):
    lex = lexicon_for(snap)
    a = analyse("Dry needling is no more effective than sham.", lex)
    assert a.negated and a.negation_cue == "no more effective than" and a.size is None
    assert one("Dry needling is no more effective than sham.", snap).verdict == "contradicted"
    assert analyse("Dry needling means no more pain.", lex).size == "complete"
    # conceding null studies, then reporting a trial's benefit: the clause after "however" is the claim
    text = ("Many studies show that it is no more effective than placebo; however this trial supports that "
            "dry needling was better than placebo.")
    a = analyse(text, lex)
    assert a.reported and not a.negated
    assert one(text, snap).verdict == "consistent"


# ---- who is treated, what is not an event, lay claims, variability, the reader's situation ---------------


def test_a_sentence_after_so_or_and_keeps_its_pronoun_as_agent(bcg):
    c = one("So it's not effective at preventing the spread of the disease.", bcg)
    assert c.verdict == "unsupported"  # transmission: an outcome the pack does not hold
    assert c.asserted is not None and c.asserted.foreign == ("spread of the disease",)


def test_the_participle_of_the_name_puts_a_sentence_in_the_treatment_context(bcg):
    lex = lexicon_for(bcg)
    assert lex.treated.find("Once vaccinated, children ...")
    c = one("When you're vaccinated, your immune system makes protective antibodies.", bcg)
    assert c.verdict == "unsupported"
    # without it, the same sentence is not about the intervention
    assert one("Your immune system makes protective antibodies.", bcg).verdict == "not_a_claim"


def test_sore_before_a_plural_noun_names_the_condition_not_an_adverse_event(snap):
    lex = lexicon_for(snap)
    assert analyse("Dry needling relaxes sore muscles.", lex).safety is None
    assert analyse("You may feel sore afterwards.", lex).safety == "event"
    assert analyse("Dry needling may leave the area sore for a day.", lex).safety == "event"


def test_imbalances_are_a_lay_claim(snap):
    c = one("Next, it addresses the imbalance that puts strain on other muscles.", snap)
    assert c.verdict == "unsupported"


def test_not_suitable_for_is_about_who_has_it(bcg):
    assert one("It is a live vaccine, and it is not suitable for everyone.", bcg).verdict == "not_a_claim"


def test_an_effect_that_varies_widely_is_an_uncertain_one(bcg, snap):
    lex = lexicon_for(bcg)
    a = analyse("The effectiveness of the BCG vaccine is highly variable.", lex)
    assert (a.certainty, a.certainty_cue) == ("very_low", "highly variable")
    assert one("The effectiveness of the BCG vaccine is highly variable.", bcg).verdict == "consistent"
    assert one("Trials of the BCG vaccine against tuberculosis have widely varying results.", bcg).verdict == \
        "consistent"
    # against moderate-certainty evidence the same wording is understated
    assert one("Trials of dry needling for neck pain in the short term have inconsistent results.", snap).verdict == \
        "understated"


def test_the_readers_situation_is_not_a_claim(snap):
    for text in ("When searching for pain relief, many people discover dry needling, what it is and why it is "
                 "beneficial.",
                 "At first, people who learn about dry needling may wonder if it hurts."):
        assert one(text, snap).verdict == "not_a_claim", text
    # what people discover about its effect is a claim
    assert one("Many patients discover that dry needling relieves their neck pain.", snap).verdict == "overstated"
    assert one("Most patients discover relief after one session of dry needling.", snap).verdict == "overstated"


def test_does_not_work_that_well_claims_a_small_effect_not_none(bcg, snap):
    lex = lexicon_for(bcg)
    a = analyse("The BCG vaccine does not work that well.", lex)
    assert not a.negated and (a.size, a.size_cue) == ("small", "not work that well")
    c = one("The BCG vaccine does not work that well.", bcg)
    assert c.verdict == "overstated" and any("claims a small effect but the evidence shows a large one" in w
                                             for w in c.explanation)
    assert analyse("The BCG vaccine does not work.", lex).negated
    assert one("Dry needling is not very effective for neck pain.", snap).verdict != "contradicted"


def test_a_relative_clause_naming_a_cause_does_not_make_the_sentence_aetiology(bcg):
    lex = lexicon_for(bcg)
    assert analyse("It does not prevent infection with the bacteria that cause disease.", lex).is_claim
    assert not analyse("Infection with these bacteria causes disease.", lex).is_claim


# ---- acronyms a text defines, places on the body, the condition as a cause -------------------------------


def test_an_acronym_the_text_defines_stands_for_its_outcome(bcg):
    text = "Tuberculosis (TB) is a serious infection. BCG vaccine reduces the risk of TB by about half."
    out = [(c.sentence, c.verdict) for c in check(text, bcg).claims]
    assert out == [("Tuberculosis (TB) is a serious infection.", "not_a_claim"),
                   ("BCG vaccine reduces the risk of TB by about half.", "overstated")]
    c = check(text, bcg).claims[1]
    assert c.asserted is not None and c.asserted.outcomes == ("pack:tb",)
    # undefined, "TB" is no outcome of this pack: the claim is read as one on something the evidence does not
    # hold (claims16: the intervention as agent of an effect verb with an unknown object), not as the TB outcome
    c = check("BCG vaccine reduces the risk of TB by about half.", bcg).claims[0]
    assert c.asserted is not None and c.asserted.outcomes == () and c.asserted.foreign == ("risk of TB",)
    assert c.verdict == "unsupported"
    lex = lexicon_for(bcg).with_text_acronyms("Bacille Calmette-Guerin vaccination (BCGV) is given at birth.")
    assert lex.intervention.find("BCGV protects.")  # the intervention's acronym too (it ends with its name)
    assert lexicon_for(bcg).with_text_acronyms("no acronyms here") == lexicon_for(bcg)


def test_the_condition_as_a_cause_is_not_an_effect_of_the_intervention(bcg):
    text = ("Tuberculosis (TB) is common. Before the BCG vaccine was available, a quarter of all deaths were caused "
            "by TB. The bacterium that causes TB was discovered in 1882 and the BCG vaccine was named after its "
            "makers.")
    assert [c.verdict for c in check(text, bcg).claims] == ["not_a_claim"] * 3


def test_a_site_on_the_body_is_not_another_treatment(bcg):
    c = one("Side effects of the vaccine include a small blister at the injection site.", bcg)
    assert c.verdict == "unsupported"  # a safety claim; the pack has no safety data
    assert c.asserted is not None and c.asserted.comparators == ()


def test_protection_offered_to_a_subgroup_is_judged_for_that_subgroup(bcg):
    c = one("The vaccine offers good protection to young children against tuberculosis.", bcg)
    assert c.verdict == "unsupported" and c.asserted is not None and c.asserted.subgroups == ("children",)


def test_we_use_it_to_help_is_a_purpose_not_a_claim(snap):
    assert one("We use dry needling to help patients with neck pain.", snap).verdict == "not_a_claim"
    # "supports the use of X to improve pain" is a claim (the use, a noun)
    assert one("Our meta-analysis supports the use of dry needling to improve neck pain.", snap).verdict != \
        "not_a_claim"
