"""Generic rules that replace phrase patches (claims16): agent resolution across sentences, effect nouns in a
text about the intervention, absence-of-evidence claims, hedged denials, how-it-works statements, general
superiority claims, effects said to fade, comparators named as such.  Sentences are written here (no real-text
set is read); each rule is checked on the bundled pack (stored snapshot) and, where the evidence differs, on BCG,
so that the verdict is seen to come from the evidence, not from the words.
"""
from __future__ import annotations

import pathlib

import pytest

from evigrade.claims import Evidence, analyse, check
from evigrade.claims.check import lexicon_for


def verdicts(text: str, ev: Evidence) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.sentence, c.verdict, c.aspects) for c in check(text, ev).claims]


def one(text: str, ev: Evidence):
    r = check(text, ev).claims
    assert len(r) == 1, [c.sentence for c in r]
    return r[0]


# ---- who is the agent -------------------------------------------------------------------------------------


def test_a_pronoun_stands_for_the_intervention_only_when_it_was_just_named(snap):
    cond = verdicts("Neck pain is very common. It often gets better on its own within a few weeks.", snap)
    assert [v for _, v, _ in cond] == ["not_a_claim", "not_a_claim"]
    itv = verdicts("We offer dry needling. It reduces neck pain within a few weeks.", snap)
    assert itv[1][1:] == ("overstated", ("certainty",))
    # the heading names it: the pronoun under it resolves
    head = verdicts("# Dry needling\n\nNeck pain is common.\n\nIt reduces neck pain within a few weeks.\n", snap)
    assert head[-1][1] == "overstated"
    # analysed alone (no text around it) a leading pronoun is read as the intervention, as before
    lex = lexicon_for(snap)
    assert analyse("It reduces neck pain within a few weeks.", lex).is_claim
    assert not analyse("It reduces neck pain within a few weeks.", lex, antecedent=False).is_claim


def test_an_effect_noun_is_the_interventions_effect_in_a_text_about_it(snap):
    s = "The effects on neck pain last only a few weeks."
    assert one(s, snap).verdict == "not_a_claim"  # alone: nothing says whose effects
    got = verdicts(f"We offer dry needling at our clinic.\n\n{s}\n", snap)
    assert got[1][1] == "consistent"
    # "were found": a reported result, a claim even alone, and one that projects no certainty of its own
    c = one("The effects on neck pain were found only in the short term.", snap)
    assert c.verdict == "consistent" and c.asserted is not None and c.asserted.reported
    # side effects are not "effects" of that kind
    lex = lexicon_for(snap)
    assert not analyse("Other side effects include fainting.", lex, topic=True).agent


def test_plain_wording_with_only_an_effect_noun_as_subject_is_no_certainty_claim(snap):
    got = verdicts("Dry needling is offered here.\n\nPain relief comes within a few weeks.\n", snap)
    assert got[1][1] == "consistent"
    assert any("not read as a claim of certainty" in w
               for w in check("Dry needling is offered here.\n\nPain relief comes within a few weeks.\n",
                              snap).claims[1].explanation)
    # with the intervention as the agent the same plain wording reads as high certainty
    assert one("Dry needling brings pain relief within a few weeks.", snap).verdict == "overstated"


# ---- evidence said to be absent ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", ["There is no good evidence that dry needling reduces neck pain.",
                               "Dry needling is pseudoscience.",
                               "Dry needling has not been proven to work.",
                               "There is a lack of scientific evidence for dry needling."])
def test_absence_of_evidence_is_understated_where_graded_benefit_exists(snap, s):
    c = one(s, snap)
    assert (c.verdict, c.aspects) == ("understated", ("certainty",)), c.explanation
    assert "absent" in c.explanation[0]


def test_absence_of_evidence_is_consistent_where_nothing_graded_shows_benefit(bcg):
    # the BCG pack grades its one outcome very low: "no evidence" says nothing the evidence contradicts
    c = one("There is no evidence that the BCG vaccine prevents tuberculosis.", bcg)
    assert c.verdict == "consistent"


def test_a_denial_of_the_effect_itself_stays_a_denial(snap):
    assert one("Dry needling does not work.", snap).verdict == "contradicted"
    assert one("Dry needling is clinically proven to work.", snap).verdict == "overstated"


def test_a_hedged_denial_is_not_overstated(bcg):
    c = one("Some vaccinated people may not be protected against tuberculosis at all.", bcg)
    assert c.verdict == "consistent", c.explanation


def test_a_study_that_found_no_evidence_reports_a_null_result(snap):
    a = analyse("The review showed no evidence of a reduction in neck pain.", lexicon_for(snap))
    assert a.reported and a.negated and not a.absent


# ---- how it works, superiority, lasting effects -------------------------------------------------------------


def test_how_it_works_is_judged_against_the_mechanism_evidence(snap, bcg):
    c = one("The BCG vaccine works by introducing a weakened germ into the body.", bcg)
    assert c.verdict == "unsupported" and "no finding on how" in c.explanation[0]
    c = one("Dry needling works by a process nobody has named.", snap)
    assert (c.verdict, c.aspects) == ("overstated", ("certainty",))  # none of its mechanisms is established


def test_a_general_claim_of_doing_better_than_other_therapies(snap):
    c = one("Dry needling is more effective than other therapies.", snap)
    assert c.verdict == "contradicted" and "the comparator did better" in c.explanation[0]
    # "combined with other treatments" is an add-on design, not a comparison with them
    c = one("Several studies point to short-term benefits of dry needling when combined with other treatments.", snap)
    assert c.verdict == "consistent"
    a = analyse("In trials, improvements in function were seen only when compared to no treatment.",
                lexicon_for(snap), topic=True)
    assert a.is_claim  # no treatment named as the comparator does not make it about another treatment


def test_an_effect_said_to_fade_denies_a_lasting_effect(snap):
    c = one("The benefits of dry needling wear off within a few months.", snap)
    assert c.verdict == "consistent"
    assert c.asserted is not None and c.asserted.negated and c.asserted.timeframes == ("long_term",)


def test_words_that_describe_the_comparators_are_not_certainty_cues(snap):
    a = analyse("It helped neck pain less than other established therapies.", lexicon_for(snap))
    assert a.certainty_cue != "established"


def test_a_lead_in_to_a_list_is_judged_with_its_items(snap):
    got = verdicts("The benefits of dry needling include:\n- less neck pain\n", snap)
    assert got[0][1] == "not_a_claim" and got[1][1] != "not_a_claim"


def test_a_word_that_defines_the_condition_is_no_adverse_event(bcg):
    a = analyse("The BCG vaccine protects against tuberculosis, an infection spread through the air.", lexicon_for(bcg))
    assert a.safety is None and a.outcomes


def test_both_sexes_named_is_no_subgroup(snap):
    a = analyse("Dry needling reduced neck pain in both women and men.", lexicon_for(snap))
    assert a.subgroups == ()
    assert analyse("Dry needling reduced neck pain in women.", lexicon_for(snap)).subgroups == ("women",)


def test_procedure_and_aim_descriptions_are_not_claims(snap):
    lex = lexicon_for(snap)
    assert not analyse("It is aimed at tight spots in the muscle.", lex).is_claim
    assert not analyse("Dry needling can be carried out at a superficial or deep level.", lex).is_claim


@pytest.mark.parametrize("s, size", [
    ("A large trial found that dry needling reduced neck pain.", None),
    ("It is important to note that dry needling may reduce neck pain.", None),
    ("A significant number of patients say dry needling reduces neck pain.", None),
    ("Dry needling significantly reduces neck pain.", "moderate"),
    ("Dry needling brings a large improvement in neck pain.", "large"),
    ("After dry needling the relief in neck pain was dramatic.", "large"),
    ("Dry needling makes neck pain disappear.", "complete"),
])
def test_a_size_word_counts_only_when_it_describes_the_effect(snap, s, size):
    assert analyse(s, lexicon_for(snap)).size == size


def test_acronyms_found_from_their_bracket_match_the_forward_pattern():
    """The speed rewrite (search back from each "(ACR)") finds what the forward pattern found."""
    from evigrade.claims.terms import _ACRONYM_DEFINED, _acronym_definitions

    texts = ["The Bacillus Calmette-Guerin (BCG) vaccine protects against tuberculosis (TB).",
             "alpha beta gamma delta epsilon zeta eta theta (ABC) x9y (QQ) a-b's c (Tb) ( DN ) foo\t(XY)(ZZ) bar (AB)",
             "(TB) at the start, then range of motion\n(ROM) after a line break, and pain ( VAS ).",
             "word " * 200 + "(LONG)", "a" * 500 + " (AB)"]
    for t in texts:
        assert _acronym_definitions(t) == [(m.group(1), m.group(2)) for m in _ACRONYM_DEFINED.finditer(t)]


def test_how_long_people_had_the_condition_is_no_claimed_time_frame(snap):
    lex = lexicon_for(snap)
    a = analyse("In patients who had neck pain for more than three months, dry needling reduced pain.", lex)
    assert a.timeframes == ()
    assert analyse("Dry needling reduces neck pain for months.", lex).timeframes == ("mid_term",)
    c = one("In patients who had neck pain for more than three months, dry needling reduced pain.", snap)
    assert "time_frame" not in c.aspects


def test_a_statement_on_the_evidence_in_a_text_about_the_intervention(snap):
    got = verdicts("We offer dry needling.\n\nThe research is still limited.\n", snap)
    assert got[1][1:] == ("understated", ("certainty",))  # moderate-certainty findings exist
    assert one("The research is still limited.", snap).verdict == "not_a_claim"  # alone: research on what?
    got = verdicts("We offer dry needling.\n\nThe evidence is thought to be good.\n", snap)
    assert got[1][1] == "not_a_claim"  # an attribution, not a statement that the evidence is weak


def test_a_doubting_hedge_fits_very_uncertain_evidence_of_benefit_and_can_does_not(bcg, snap):
    # BCG's one outcome is rated very low: "may" is the most a sentence can say, "can" states an ability
    assert one("The BCG vaccine may reduce the risk of TB.", bcg).verdict == "consistent"
    assert one("Some studies suggest the BCG vaccine reduces the risk of TB.", bcg).verdict == "consistent"
    c = one("The BCG vaccine can reduce the risk of TB.", bcg)
    assert (c.verdict, c.aspects) == ("overstated", ("certainty",))
    # a hedge is still compared with more certain evidence: "may" says too little about a moderate-certainty finding
    assert one("Dry needling may improve pressure pain thresholds in the short term.", snap).verdict == "understated"


def test_how_much_evidence_is_said_to_be_missing(snap):
    # absent: says less than the moderate-certainty findings show
    c = one("There isn't any good evidence that dry needling helps neck pain.", snap)
    assert (c.verdict, c.aspects) == ("understated", ("certainty",))
    assert one("Dry needling lacks scientific support.", snap).verdict == "understated"
    # "not much evidence": limited, not absent, and not a denial of the effect
    c = one("There isn't much evidence on dry needling for neck pain.", snap)
    assert c.verdict == "understated" and "very uncertain" in c.explanation[0]
    # "no strong evidence": only that the evidence is not of high certainty, which is true here
    assert one("Dry needling doesn't have strong evidence behind it.", snap).verdict == "consistent"


def test_missing_evidence_on_what_the_pack_lacks_is_consistent(snap):
    # the pack indeed has nothing on headaches: saying so is right; claiming an effect on them is unsupported
    assert one("There is no evidence that dry needling helps headaches.", snap).verdict == "consistent"
    assert one("Dry needling helps headaches.", snap).verdict == "unsupported"
    # a treatment named as what is measured ("reliance on painkillers") is neither the subject nor a comparator
    got = verdicts("We offer dry needling.\n\nEvidence on long-term effects, such as sustained pain relief or "
                   "reduced reliance on painkillers, remains limited.\n", snap)
    assert got[1][1] == "consistent"
    assert analyse("Dry needling reduced reliance on painkillers.", lexicon_for(snap)).comparators == ()


def test_similar_findings_restate_the_finding_before(snap):
    got = verdicts("A review found that dry needling reduced neck pain compared with sham. A meta-analysis of trials "
                   "in other regions revealed similar findings.", snap)
    assert [v for _, v, _ in got] == ["consistent", "consistent"]
    c = check("A review found that dry needling reduced neck pain compared with sham. A meta-analysis of trials "
              "in other regions revealed similar findings.", snap).claims[1]
    assert c.asserted is not None and c.asserted.reported and c.asserted.outcomes == ("pain",)
    # nothing to refer back to, or only a statement that evidence is lacking: not a claim
    assert verdicts("Neck pain is common. The same results were seen in other studies.", snap)[1][1] == "not_a_claim"
    got = verdicts("We offer dry needling.\n\nThe research is still limited. Other reviews reached similar "
                   "conclusions.\n", snap)
    assert got[-1][1] == "not_a_claim"


def test_a_change_named_as_a_noun_phrase_is_an_effect_in_a_text_about_the_intervention(snap):
    s = "The tiny injury sets off a local response, which results in reduced neck pain."
    assert one(s, snap).verdict == "not_a_claim"  # alone: whose effect?
    got = verdicts(f"We offer dry needling.\n\n{s}\n", snap)
    assert got[1][1] == "consistent"  # no agent named: plain wording not read as certainty


# ---- the intervention as agent of an effect verb on something the lexicon does not know ----------------------


def test_an_effect_verb_with_an_unknown_object_is_a_claim_on_something_the_evidence_does_not_hold(snap, bcg):
    # the intervention (or its pronoun) is the agent of an outcome verb; the object is no outcome, mechanism or
    # event of the lexicon or the pack: a claim the evidence cannot support
    c = one("Dry needling also improves athletic endurance.", snap)
    assert c.verdict == "unsupported" and c.asserted.foreign == ("athletic endurance",)
    c = one("The vaccine also improves school attendance.", bcg)
    assert c.verdict == "unsupported" and c.asserted.foreign == ("school attendance",)
    # the object ends before a preposition; determiners are dropped
    c = one("It can help to restore the balance of the spine after treatment.", snap)
    assert c.asserted.foreign == ("balance of the spine",)
    # a known outcome is the outcome's to judge (no extra foreign target)
    c = one("Dry needling reduces neck pain.", snap)
    assert c.asserted.foreign == () and c.asserted.outcomes and c.verdict == "overstated"
    # a vague object ("symptoms") stays a general claim; no agent, no claim; how it acts on the body
    # ("relaxes the muscles") is the mechanisms' to read
    assert one("Dry needling relieves symptoms.", snap).asserted.foreign == ()
    assert one("Stretching improves athletic endurance.", snap).verdict == "not_a_claim"
    assert one("Dry needling relaxes the muscles.", snap).asserted.foreign == ()


# ---- lists of side effects; what the text calls the intervention ------------------------------------------------


def test_an_item_of_a_side_effect_list_names_an_adverse_event(snap, bcg):
    text = "# Side effects\n\n- Weight gain\n- Feeling tired\n"
    # known to the lexicon or not, each item is an adverse event of the intervention: mild events are common in
    # the bundled pack's safety profile; the BCG pack has no safety data
    assert [v for _, v, _ in verdicts(text, snap)[1:]] == ["consistent", "consistent"]
    assert [v for _, v, _ in verdicts(text, bcg)[1:]] == ["unsupported", "unsupported"]
    c = check(text, bcg).claims[1]
    assert c.asserted is not None and c.asserted.safety == "event"
    # not under a list about harms, or under a list of who should not have it: no event
    assert [v for _, v, _ in verdicts("# What to bring\n\n- Loose clothing\n", bcg)[1:]] == ["not_a_claim"]
    assert [v for _, v, _ in verdicts("# Side effects: who should not have it\n\n- Loose clothing\n",
                                      bcg)[1:]] == ["not_a_claim"]
    assert [v for _, v, _ in verdicts("# Side effects\n\n- Loose clothing\n", bcg)[1:]] == ["unsupported"]


def test_the_class_noun_a_text_gives_the_intervention_stands_for_it(bcg):
    text = "BCG vaccine is a live preparation that is given once. The preparation lowers the risk of TB disease."
    got = check(text, bcg).claims
    assert got[1].asserted is not None and got[1].asserted.mentions_intervention
    # without the text saying so, "the preparation" is nothing
    alone = check("The preparation lowers the risk of TB disease.", bcg).claims[0]
    assert alone.asserted is not None and not alone.asserted.mentions_intervention
    # a noun too general to stand for it ("an option") is not taken
    from evigrade.claims.check import lexicon_for, with_text_classes
    lex = lexicon_for(bcg)
    assert with_text_classes(lex, "BCG vaccine is an option for babies.") is lex
    grown = with_text_classes(lex, "BCG vaccine is a live preparation that is given once.")
    assert grown.intervention.find("these preparations work") and not grown.intervention.find("preparation work")


# ---- example packs: a drug against placebo, with harm outcomes ---------------------------------------------------

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def ssri() -> Evidence:
    from evigrade.claims import evidence_from_pack
    return evidence_from_pack(EXAMPLES / "ssri-depression-primary-care")


def test_more_harm_events_are_no_evidence_that_the_comparator_works_better(ssri):
    # the pack's graded findings with direction 'harm' are adverse-event outcomes (dropouts because of adverse
    # events); a general claim of doing better than placebo is judged on the efficacy findings, not contradicted
    c = one("SSRIs work better than placebo.", ssri)
    assert c.verdict != "contradicted", c.explanation
    assert not any("comparator did better" in w for w in c.explanation)


def test_in_trials_reports_a_finding(ssri):
    # "In trials, ..." reports what studies found: no certainty of its own is read into its plain wording
    c = one("In trials, more people improved on SSRIs than on placebo.", ssri)
    assert c.asserted is not None and c.asserted.reported and c.verdict == "consistent"
    assert one("More people improve on SSRIs than on placebo.", ssri).verdict == "overstated"


def test_a_denied_effect_on_an_unknown_object_and_common_drug_events(ssri, bcg):
    got = verdicts("SSRIs are used in primary care. They will not shorten your illness.", ssri)
    assert got[1][1] == "unsupported"
    c = check("SSRIs are used in primary care. They will not shorten your illness.", ssri).claims[1]
    assert c.asserted is not None and c.asserted.foreign == ("illness",)
    # medicines' common adverse events are events of the lexicon ("sleepy", "dry mouth")
    assert one("SSRIs make many people sleepy.", ssri).asserted.safety == "event"
    assert one("The vaccine often leaves a small scar.", bcg).verdict == "unsupported"  # no safety data in the pack


def test_a_pronoun_after_a_reporting_verb_and_a_cause_qualifying_the_target(snap):
    # "research suggests it may ...": the pronoun heads the reported clause; "linked to neck tension" says what the
    # headaches are, not what causes the sentence's subject (no aetiology)
    got = verdicts("We offer dry needling. Research suggests it may also reduce headaches linked to tension.", snap)
    assert got[1][1] == "unsupported"  # headaches: not in the pack
    # a pronoun for the condition with a cause is still aetiology
    got = verdicts("We offer dry needling. These knots are thought to be caused by a build-up of tension.", snap)
    assert got[1][1] == "not_a_claim"


def test_evaluative_predicates_are_effect_words(snap):
    # "is great for", "is good for": an effect claim on the outcome named
    c = one("Dry needling is great for stubborn neck pain.", snap)
    assert c.verdict == "overstated" and c.asserted.outcomes == ("pain",)
    assert one("Dry needling is used for stubborn neck pain.", snap).verdict == "not_a_claim"


# ---- third round (claims16b, from real-text set 3's errors grouped by cause; one test per rule) ----------------


@pytest.fixture(scope="module")
def antihistamines() -> Evidence:
    from evigrade.claims import evidence_from_pack
    return evidence_from_pack(EXAMPLES / "antihistamines-common-cold")


def test_an_auxiliary_before_its_subject_or_a_question_mark_before_a_closing_quote_is_a_question(snap):
    assert one("does dry needling help neck pain", snap).verdict == "not_a_claim"  # a title without its mark
    assert one("She asked: \u201cDoes dry needling help neck pain?\u201d", snap).verdict == "not_a_claim"
    assert one("Dry needling helps neck pain.", snap).verdict == "overstated"  # the statement itself still is one


def test_an_infinitive_of_purpose_or_a_studys_whether_question_states_an_aim(snap):
    assert one("To reduce neck pain in office workers.", snap).verdict == "not_a_claim"
    assert one("A new trial examines whether dry needling improves neck pain.", snap).verdict == "not_a_claim"
    # a discourse infinitive ("to date") opens a claim all the same
    assert one("To date, trials show that dry needling reduces neck pain.", snap).verdict == "overstated"
    assert one("To this day, dry needling relieves neck pain for many.", snap).verdict == "overstated"


def test_keywords_are_page_furniture(snap):
    c = one("Keywords: dry needling; neck pain; myofascial pain.", snap)
    assert c.verdict == "not_a_claim" and "page furniture" in c.explanation[0]


def test_a_demonstrative_before_a_noun_is_no_pronoun_for_the_intervention(snap):
    # "these knots", "this band": the noun is the subject; "this" alone stands for the treatment just named
    assert verdicts("We offer dry needling. These knots can restrict movement.", snap)[1][1] == "not_a_claim"
    assert verdicts("We offer dry needling. This band can become painful.", snap)[1][1] == "not_a_claim"
    assert verdicts("We offer dry needling. This helps neck pain.", snap)[1][1] == "overstated"
    assert verdicts("We offer dry needling. This gave my patients quick relief from neck pain.", snap)[1][1] == \
        "overstated"  # an irregular past tense is a verb, not a noun


def test_the_condition_as_the_subject_is_no_claim_about_the_intervention(bcg):
    c = one("The disease usually attacks the lungs, but the brain can also be affected.", bcg)
    assert c.verdict == "not_a_claim" and "condition" in c.explanation[0]


def test_a_list_under_a_lead_in_about_something_else_is_no_claim(snap):
    other = verdicts("People with hay fever know the usual allergy symptoms, which include:\n\n- itching\n- headache\n", snap)
    assert [v for _, v, _ in other] == ["not_a_claim"] * 3
    harms = verdicts("Side effects of dry needling include:\n\n- itching\n- headache\n", snap)
    assert [v for _, v, _ in harms][1:] == ["consistent", "unsupported"]  # itching is a known event, headache not


def test_a_count_of_studies_found_describes_the_method(snap):
    assert one("We found 14 studies in which dry needling was compared with sham.", snap).verdict == "not_a_claim"


def test_recommended_for_with_a_contraction_and_popular_for_say_what_it_is_used_for(bcg, snap):
    got = verdicts("The BCG vaccine is given to babies. It's recommended for people at high risk.", bcg)
    assert got[1][1] == "not_a_claim"
    assert one("Dry needling has become popular for treating sports injuries.", snap).verdict == "not_a_claim"


def test_a_double_negative_says_an_event_is_frequent(snap):
    assert one("It is not uncommon to have some bruising after dry needling.", snap).verdict == "consistent"
    assert one("Bruising after dry needling is uncommon.", snap).verdict == "contradicted"  # bruising: 7.6%


def test_a_severity_word_makes_a_mild_event_a_serious_one(snap):
    assert one("Severe bleeding after dry needling is very rare.", snap).verdict == "consistent"
    assert one("Bleeding after dry needling is very rare.", snap).verdict == "contradicted"  # bleeding: 4.7-16%


def test_without_complications_denies_complications_not_the_event(snap):
    c = one("Bruises after dry needling usually resolve within a few days without complications.", snap)
    assert c.verdict == "consistent"


def test_what_changes_a_harms_risk_is_a_modifier_the_safety_profile_lacks(snap):
    c = one("People taking blood thinners are at higher risk of bruising after dry needling.", snap)
    assert c.verdict == "unsupported" and any("changes the size" in w for w in c.explanation)
    assert one("The amount of soreness after dry needling varies depending on the depth of needling.",
               snap).verdict == "unsupported"


def test_side_effects_include_lists_events_not_outcomes(bcg, snap):
    c = one("Side effects of the BCG vaccine include flu-like symptoms and swelling.", bcg)
    assert c.verdict == "unsupported" and c.explanation[0] == "the evidence has no safety profile"
    c = one("Side effects of dry needling include flu-like symptoms and swelling.", snap)
    assert c.verdict == "consistent" and c.asserted is not None and c.asserted.outcomes == ()


def test_items_under_a_harms_heading_name_events(snap):
    got = verdicts("Common side effects of dry needling\n\n- Soreness and Discomfort\n", snap)
    assert got[1][1] == "consistent" and check("Common side effects of dry needling\n\n- Soreness and Discomfort\n",
                                               snap).claims[1].asserted.safety == "event"


def test_a_pack_outcome_is_found_by_the_thing_measured(antihistamines):
    # "relief of runny nose (improvement in severity score)": texts say "runny nose"
    c = one("Antihistamines may help relieve sneezing and runny nose.", antihistamines)
    assert c.verdict == "consistent" and set(c.asserted.outcomes) == {"pack:sneezing", "pack:runny_nose"}
    assert one("Antihistamines relieve sneezing and runny nose.", antihistamines).aspects == ("certainty",)


def test_an_estimate_with_its_interval_or_a_past_outcome_reports_a_result(ssri, snap):
    c = one("For SSRIs, the relative risk of improvement was 1.37 (95% CI, 1.21 to 1.55).", ssri)
    assert c.verdict == "consistent" and c.asserted.reported
    c = one("Adding dry needling to exercise led to a small reduction in neck pain at one month.", snap)
    assert c.verdict == "consistent" and c.asserted.reported


def test_a_general_denial_is_weighed_outcome_by_outcome(antihistamines):
    # a null finding on sneezing does not outweigh the low-certainty benefit on runny nose; "caused by an infection"
    # names the cause of the cold, not an adverse event
    c = one("A cold is caused by an infection, so an antihistamine would not have any effect.", antihistamines)
    assert c.verdict == "contradicted" and c.asserted.safety is None


def test_except_scopes_a_denial(snap):
    c = one("No significant differences were found in any outcome except range of movement when dry needling was "
            "added to standard care.", snap)
    assert c.verdict == "contradicted" and c.asserted.outcomes == () and c.asserted.general


def test_potential_side_effects_hedge_the_harms_not_the_effect_claim(snap):
    c = one("Many people get significant relief from dry needling, but be aware of the potential side effects.", snap)
    assert c.verdict == "overstated" and "certainty" in c.aspects
    # a list of potential side effects stays hedged
    assert one("Potential side effects include bruising and bleeding.", snap).asserted.certainty == "low"


def test_poorly_clarified_efficacy_is_a_statement_of_uncertainty(antihistamines):
    c = one("Antihistamines are promising, but their efficacy remains poorly clarified.", antihistamines)
    assert c.verdict == "consistent" and c.asserted.certainty == "very_low"


def test_more_harms_with_another_drug_than_with_the_intervention_is_a_safety_comparison(ssri):
    c = one("There appeared to be more adverse effects with TCAs than with SSRIs.", ssri)
    assert c.verdict == "unsupported" and c.asserted.safety == "comparative"


def test_a_symbol_before_a_capital_and_a_short_bracketed_label_end_a_unit():
    from evigrade.claims import split_sentences
    got = [s.text for s in split_sentences("Sham dry needling\nSuperficial needling without reaching the muscle\n"
                                           "\U0001f4ca Results in numbers\nPain intensity (0-10 scale)\n"
                                           "This study showed that dry needling reduced pain.")]
    assert got == ["Sham dry needling", "Superficial needling without reaching the muscle", "\U0001f4ca Results in numbers",
                   "Pain intensity (0-10 scale)", "This study showed that dry needling reduced pain."]


def test_the_intervention_as_agent_of_aid_in_or_is_protective_against_an_unknown_object(antihistamines, bcg):
    c = one("Antihistamines aid in reducing mucus production.", antihistamines)
    assert c.verdict == "unsupported" and c.asserted.foreign == ("mucus production",)
    c = one("BCG vaccination is consistently protective against tuberculous meningitis.", bcg)
    assert c.verdict == "unsupported" and c.asserted.foreign == ("tuberculous meningitis",)


def test_the_size_of_an_effect_noun_is_a_claim_in_a_text_about_it(snap):
    # "the evidence concludes that if there is any effect, it is negligible": a claim on the size of its effect
    got = verdicts("Dry needling is offered here. The evidence concludes that if there is any effect, it is negligible.",
                   snap)
    assert got[1][1] == "contradicted"  # graded benefit on pain
    assert one("If there is any effect, it is negligible.", snap).verdict == "not_a_claim"  # whose effect: unknown


def test_they_after_the_named_intervention_is_the_agent_of_a_general_claim(ssri):
    got = verdicts("SSRIs are prescribed widely. They have a tremendous effect.", ssri)
    assert got[1][1:] == ("overstated", ("certainty", "size"))


def test_what_the_procedure_involves_describes_it(snap):
    c = one("Dry needling involves the insertion of a needle into trigger points, which can be painful.", snap)
    assert c.verdict == "not_a_claim"
    # a harm it involves is still a safety claim (a "small risk" of a common event, cf. L079)
    assert one("Dry needling involves a small risk of bruising.", snap).verdict == "contradicted"
    # only what the procedure is made of (inserting, placing, using ...) is description
    assert one("Dry needling involves minimal discomfort and relieves neck pain.", snap).verdict == "overstated"


def test_a_mechanism_named_after_an_aetiology_cue_is_what_a_condition_comes_from(snap):
    assert one("Trigger points are associated with excess acetylcholine.", snap).verdict == "not_a_claim"
    assert one("Dry needling increases local blood flow.", snap).verdict == "overstated"


def test_a_word_kept_for_outcomes_outside_the_pack_is_inside_a_pack_whose_families_name_it(ssri, snap):
    # "depression" is the SSRI pack's own outcome family: a general claim there; "migraines" is outside the bundled pack
    c = one("SSRIs are effective for depression.", ssri)
    assert c.verdict == "overstated" and c.asserted.foreign == ()
    assert one("Dry needling helps migraines.", snap).verdict == "unsupported"


def test_no_systematic_reviews_and_we_do_not_know_whether_say_the_evidence_is_absent(ssri):
    # weighed outcome by outcome: the low-certainty response benefit is not outweighed by adverse-event findings
    c = one("There are no systematic reviews of SSRIs against placebo, so we do not know whether they are effective.",
            ssri)
    assert c.verdict == "understated" and c.aspects == ("certainty",)


def test_symptoms_without_a_finding_on_their_concept_are_the_conditions_symptoms_in_general(antihistamines, snap):
    # the antihistamine pack has no pain finding: "cold symptoms" is a claim about the treatment in general there
    c = one("Antihistamines relieve cold symptoms.", antihistamines)
    assert c.verdict == "overstated" and c.aspects == ("certainty",)
    assert not any("no finding about pain" in w for w in c.explanation)
    # where the concept has findings (the bundled pack: pain), it is judged on them as before
    assert one("Dry needling relieves symptoms.", snap).evidence[0]["outcome"].startswith("pain")


def test_a_change_noun_before_the_outcome_carries_the_direction_words(snap):
    # "a much higher level of change in pain" describes the change, not more pain
    c = one("Trials against sham showed a much higher level of change in pain with dry needling.", snap)
    assert c.verdict != "contradicted" and c.asserted.harm == ()
    assert one("Dry needling increases pain.", snap).verdict == "contradicted"


def test_a_person_told_what_to_do_is_advice(snap):
    assert one("The healthcare provider should apply pressure to stop any bleeding.", snap).verdict == "not_a_claim"
    # a claim inside "you should be aware that ..." is still read
    assert one("You should be aware that dry needling reduces neck pain.", snap).verdict == "overstated"


def test_a_present_passive_of_observation_reports_a_finding(snap):
    c = one("Less pain is noticed after dry needling than after sham.", snap)
    assert c.verdict == "consistent" and c.asserted.reported
    assert one("Dry needling gives less pain than sham.", snap).verdict == "overstated"
