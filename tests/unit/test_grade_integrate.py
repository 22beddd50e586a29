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
    fg = grade_finding(finding(), intervention="dry needling")
    # issue 13: inconsistency, indirectness and publication bias not assessable -> capped at low
    tail = " Certainty could not be fully assessed (missing inputs for inconsistency, indirectness and publication bias)."
    assert fg.certainty == "low"
    assert fg.statement == ("Dry needling may slightly reduce pain intensity in people with neck pain in the short term compared "
                            "with sham or placebo needling." + tail)
    fg = grade_finding(finding(timepoint="unspecified", comparison_label="any comparator (reviews pooling all)"),
                       intervention="dry needling")
    # a review pooling every comparator: the sentence says so in words, never "compared with any comparator"
    assert fg.statement == ("Dry needling may slightly reduce pain intensity in people with neck pain compared with the "
                            "comparators used in the trials." + tail)


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
