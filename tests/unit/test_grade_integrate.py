"""grade_finding / grade_input_from_finding on hand-made findings (dicts shaped like Finding.to_dict())."""
from __future__ import annotations

import pytest

from evigrade.grade import grade_finding, grade_input_from_finding


def finding(**kw):
    base = {
        "outcome": "pain", "outcome_name": "pain intensity", "family": "pain", "benefit": "lower",
        "timepoint": "short_term", "timepoint_label": "in the short term (up to 12 weeks)", "comparison": "sham",
        "comparison_label": "sham or placebo needling", "population": "neck", "population_label": "neck pain",
        "measure": "MD", "estimate": -2.0, "ci_low": -3.0, "ci_high": -1.5, "k": 3, "participants": 450,
        "basis": "trials", "unit": "NPRS points (0-10)", "mid": 1.3, "mid_unit": "NPRS points (0-10)",
        "mid_source": "Cleland 2008", "reference": None, "meta": None,
        "trials": [
            {"study_id": "A", "estimate": -2.5, "weight": 0.5, "rob_overall": "low", "pedro": None},
            {"study_id": "B", "estimate": -1.5, "weight": 0.3, "rob_overall": None, "pedro": 7},
            {"study_id": "C", "estimate": -1.0, "weight": 0.2, "rob_overall": None, "pedro": None},
        ],
        "indirectness": [], "reviews": [], "population_broader": False,
    }
    base.update(kw)
    return base


def test_rob_from_trials_with_pedro_and_unknown():
    inp = grade_input_from_finding(finding())
    assert [(r.study, r.weight, r.judgement, r.pedro) for r in inp.rob] == [
        ("A", 0.5, "low", None), ("B", 0.3, None, 7.0), ("C", 0.2, None, None)]
    fg = grade_finding(finding(), intervention="dry needling")
    j = fg.rating.judgement("risk_of_bias")
    assert j.numbers["share_low"] == pytest.approx(0.8) and j.levels == 0  # unknown 20% < 50%


def test_mid_applies_only_to_its_instrument():
    notes = []
    assert grade_input_from_finding(finding(unit="NRS points"), notes=notes).mid == 1.3  # NRS counts as NPRS
    notes = []
    inp = grade_input_from_finding(finding(unit="VAS 0-100 mm"), notes=notes)
    assert inp.mid is None and notes[0].code == "mid_units_differ"
    assert grade_input_from_finding(finding(unit="points"), notes=[]).mid is None


def test_smd_uses_reference_sd_for_a_natural_mid():
    notes = []
    f = finding(measure="SMD", estimate=-0.8, ci_low=-1.2, ci_high=-0.4,
                reference={"instrument": "NPRS", "scale": "0-10", "sd": 2.0, "sd_source": "X 2020"})
    inp = grade_input_from_finding(f, notes=notes)
    assert inp.mid == pytest.approx(0.65) and notes[0].code == "mid_from_reference_sd"
    fg = grade_finding(f, intervention="dry needling")
    assert fg.magnitude.re_expressed.estimate == pytest.approx(-1.6)
    inp2 = grade_input_from_finding(finding(measure="SMD", estimate=-0.8, ci_low=-1.2, ci_high=-0.4), notes=[])
    assert inp2.mid is None  # -> config default 0.2 in the rules


def test_most_serious_indirectness_counts_and_missing_is_not_assessed():
    f = finding(indirectness=[{"judgement": "none", "reason": "a"}, {"judgement": "serious", "reason": "broader population"}])
    inp = grade_input_from_finding(f)
    assert (inp.indirectness, inp.indirectness_reason) == ("serious", "broader population")
    assert grade_input_from_finding(finding()).indirectness is None
    fg = grade_finding(finding(population_broader=True))
    # concern words of issue 13 item 3: a domain that cannot be judged is "not_assessable", never "no"
    assert fg.rating.judgement("indirectness").concern == "not_assessable"
    assert "broader" in fg.rating.judgement("indirectness").rationale


def test_review_basis_carries_primary_rating():
    f = finding(basis="review", trials=[], k=None, participants=None,
                reviews=[{"primary": False, "grade": "high"}, {"primary": True, "grade": "moderate", "grade_reasons": "RoB"}])
    fg = grade_finding(f, intervention="dry needling")
    assert fg.rating.review_rating == "moderate" and fg.rating.review_reasons == "RoB"
    assert fg.rating.judgement("risk_of_bias").reason_code == "rob_unknown"


def test_no_estimate_gives_none_and_statement_parts():
    assert grade_finding(finding(estimate=None)) is None
    # inconsistency (no I²), indirectness (no pack judgement) and publication bias (k < 10) cannot be assessed:
    # without a source GRADE that caps the certainty at low and the sentence says so (issue 13 item 3) ...
    fg = grade_finding(finding(), intervention="dry needling")
    assert fg.certainty == "low"
    assert fg.statement == ("Dry needling may slightly reduce pain intensity in people with neck pain in the short term "
                            "compared with sham or placebo needling. Certainty could not be fully assessed "
                            "(missing inputs for inconsistency, indirectness and publication bias).")
    # ... while a source that rated the outcome high is the starting point (no cap) and the size word is the one
    # the whole CI supports
    fg = grade_finding(finding(source_certainty="high"), intervention="dry needling")
    assert fg.certainty == "high" and fg.size_claim == "small" and fg.input.source_certainty == "high"
    assert fg.statement == ("Dry needling slightly reduces pain intensity in people with neck pain in the short term compared "
                            "with sham or placebo needling.")
    fg = grade_finding(finding(source_certainty="high", timepoint="unspecified",
                               comparison_label="any comparator (reviews pooling all)"),
                       intervention="dry needling")
    # a review pooling every comparator: the sentence says so in words, never "compared with any comparator"
    assert fg.statement == ("Dry needling slightly reduces pain intensity in people with neck pain compared with the "
                            "comparators used in the trials.")


def test_bundled_pack_never_guesses_a_scale_for_the_mid():
    """NPRS 1.3 / NDI 19 (Cleland 2008) apply only where the source states NPRS 0-10 / NDI 0-100; the bundled
    pack's MD findings are on 'points (scale not stated)', VAS mm, DASH or SPADI, so no MID is used."""
    from evigrade.grade import grade_summary
    from evigrade.packs import load_pack, summarize

    s = summarize(load_pack())
    rep = grade_summary(s)
    checked = 0
    for f, g in zip(s.findings, rep.findings):
        if g is None or f.measure != "MD" or f.outcome not in ("pain", "disability"):
            continue
        checked += 1
        stated = ("NPRS" in f.unit or "NRS" in f.unit) if f.outcome == "pain" else ("NDI" in f.unit)
        assert (g.input.mid is not None) == stated, (f.key, f.unit)
        if not stated:
            assert any(n.code == "mid_units_differ" for n in g.notes)
    assert checked >= 10


def test_source_grade_is_the_ceiling_and_discordant_reviews_cost_a_level():
    # the finding's source_certainty (the best source's own GRADE) reaches GradeInput; evigrade never rates above it
    fg = grade_finding(finding(source_certainty="low"), intervention="dry needling")
    assert fg.input.source_certainty == "low" and fg.certainty == "low"
    fg = grade_finding(finding(source_certainty="very_low"), intervention="dry needling")
    assert fg.certainty == "very_low"
    fg = grade_finding(finding(source_certainty="high", discordant=True), intervention="dry needling")
    assert fg.input.discordant is True and fg.certainty == "moderate"
    assert fg.rating.judgement("inconsistency").reason_code == "inconsistency_discordant"


def test_review_i2_is_used_when_there_is_no_pooled_meta():
    f = finding(basis="review", trials=[], meta=None, source_i2=88.0)
    inp = grade_input_from_finding(f)
    assert inp.i2 == pytest.approx(0.88)  # pack 0-100 -> GradeInput fraction


def test_narrative_finding_is_rated_from_the_vote_count():
    narrative = [
        {"kind": "trial", "source_id": "T1", "direction": "no_difference", "n": 40, "rob": "high"},
        {"kind": "trial", "source_id": "T2", "direction": "no_difference", "n": 60, "rob": "some_concerns"},
        {"kind": "review", "source_id": "R1", "direction": "no_difference", "n": None, "rob": None},
    ]
    fg = grade_finding(finding(estimate=None, ci_low=None, ci_high=None, measure=None, trials=[], narrative=narrative),
                       intervention="dry needling")
    assert fg is not None and fg.certainty in ("low", "very_low") and fg.size_claim is None
    assert [v.direction for v in fg.input.votes] == ["no_difference"] * 3 and fg.input.k == 3
    assert "no numeric" not in fg.statement and "Of 3 results without a pooled estimate" in fg.statement
    # between forms: worded as a comparison of two forms, never as one favouring the other
    fg = grade_finding(finding(estimate=None, ci_low=None, ci_high=None, measure=None, trials=[], narrative=narrative[:1],
                               kind="between_forms", comparison_label="another form of dry needling"),
                       intervention="dry needling")
    assert "another form of dry needling" in fg.statement and "reduces" not in fg.statement
