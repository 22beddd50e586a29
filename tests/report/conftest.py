"""Fixed, small report input for the gold-file tests.

The two trial-level analyses are real metafor fits (tests/report/data/meta_fixture.json, written
by ``Rscript tests/report/data/make_fixture.R``: dat.normand1999 MD and dat.bcg RR, REML + knha);
everything else is a hand-written Summary.to_dict()-shaped dict.  It does not depend on the bundled
pack, so the gold files only change when the renderers change.
"""
from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest

DATA = pathlib.Path(__file__).parent / "data"


def small_summary() -> dict[str, Any]:
    meta = json.loads((DATA / "meta_fixture.json").read_text(encoding="utf-8"))
    md, rr = meta["normand1999_md"], meta["bcg_rr"]
    rob = ["low", "some_concerns", "high", "low", "low", None, "some_concerns", "low", "high"]
    for s, r in zip(md["studies"], rob):
        s["rob"] = r
    return {
        "title": "Report fixture: two metadat analyses and one review-based finding",
        "question": {
            "population": "Adults in the fixture datasets (dat.normand1999, dat.bcg)",
            "intervention": "specialist care / BCG vaccine",
            "comparators": ["routine care", "no vaccine"],
            "outcomes": ["length of stay (days)", "tuberculosis (risk ratio)", "pain intensity"],
        },
        "spec": {"method": "REML", "test": "knha", "level": 95},
        "findings": [
            {
                "outcome": "length_of_stay", "outcome_name": "Length of hospital stay", "family": "function",
                "timepoint": "short_term", "timepoint_label": "in the short term", "comparison": "add_on",
                "comparison_label": "specialist care + routine care vs routine care", "measure": "MD",
                "estimate": md["estimate"], "ci_low": md["ci_low"], "ci_high": md["ci_high"], "k": md["k"],
                "participants": 1484, "basis": "trials", "benefit": "lower", "units": "days",
                "intervention": "specialist care",
                "sources": ["Normand1999"], "meta": md,
                "certainty": "low",
                "downgrades": [
                    {"domain": "inconsistency", "levels": -1, "reason_code": "I2_HIGH",
                     "rationale": "I\u00b2 = 99% and the prediction interval spans both benefit and harm."},
                    {"domain": "imprecision", "levels": -1, "reason_code": "CI_CROSSES_NULL",
                     "rationale": "The confidence interval includes no effect."},
                ],
                "statement": "Specialist care may reduce the length of hospital stay slightly in the short term.",
                "alternatives": [
                    {"label": "Hypothetical review 2020", "measure": "MD", "estimate": -10.0, "ci_low": -20.0,
                     "ci_high": -1.5, "k": 7, "participants": 1200, "grade_certainty": "low", "source": "Review2020"},
                ],
                "notes": [{"code": "fixture", "message": "Fixture finding: numbers from metafor on dat.normand1999.", "study": None}],
            },
            {
                "outcome": "tuberculosis", "outcome_name": "Tuberculosis", "family": "safety_outcomes",
                "timepoint": "long_term", "timepoint_label": "in the long term", "comparison": "no_treatment",
                "comparison_label": "vaccine vs no vaccine", "measure": "RR",
                "estimate": 2.718281828459045 ** rr["estimate"], "ci_low": 2.718281828459045 ** rr["ci_low"],
                "ci_high": 2.718281828459045 ** rr["ci_high"], "k": rr["k"], "participants": 357347,
                "basis": "trials", "benefit": "lower", "intervention": "vaccine",
                "sources": ["Colditz1994"], "meta": rr,
                "certainty": "moderate",
                "downgrades": [{"domain": "inconsistency", "levels": -1, "reason_code": "I2_HIGH",
                                "rationale": "I\u00b2 = 92%; effects vary with latitude."}],
                "statement": "The vaccine probably reduces tuberculosis in the long term.",
            },
            {
                "outcome": "pain", "outcome_name": "Pain intensity", "family": "pain", "timepoint": "short_term",
                "timepoint_label": "in the short term", "comparison": "sham", "comparison_label": "dry needling vs sham",
                "measure": "MD", "estimate": -2.31, "ci_low": -3.64, "ci_high": -0.99, "k": None, "participants": None,
                "basis": "review", "units": "points on a 0-10 scale", "benefit": "lower",
                "sources": [{"id": "NavarroSantana2020", "citation": "Navarro-Santana MJ, et al. Effectiveness of dry needling for myofascial trigger points associated with neck pain symptoms: an updated systematic review and meta-analysis. J Clin Med. 2020;9(10):3300.", "url": "http://www.pubmed.gov/33066556/"}],
                "certainty": "very_low", "review_rating": None,
                "downgrades": [
                    {"domain": "risk_of_bias", "levels": -1, "rationale": "Risk of bias of the review's trials not reported; rated conservatively."},
                    {"domain": "imprecision", "levels": -1, "rationale": "The confidence interval includes no effect."},
                    {"domain": "indirectness", "levels": -1, "rationale": "Mixed comparators (sham, waiting list, other needling)."},
                ],
                "statement": "The evidence is very uncertain about the effect of dry needling on pain intensity in the short term.",
            },
            {
                "outcome": "pain", "outcome_name": "Pain intensity", "family": "pain", "timepoint": "long_term",
                "timepoint_label": "in the long term", "comparison": "add_on",
                "comparison_label": "dry needling + exercise vs exercise", "population": "neck",
                "measure": None, "estimate": None, "ci_low": None, "ci_high": None, "k": None, "participants": None,
                "basis": "review", "status": "no_estimate", "sources": [], "certainty": None, "statement": None,
                "evidence_form": "narrative", "reported_direction": "no_difference",
                "certainty_note": "certainty not rated: no numeric estimate", "effect_unit": "",
                "narrative": [
                    {"kind": "review", "source_id": "Review2021", "reported_as": "qualitative", "direction_as_reported": "no significant effect",
                     "result_as_reported": "no significant effect on pain at 6 months", "direction": "no_difference", "k": 3,
                     "citation": "Hypothetical review 2021 of add-on needling.", "source": "https://example.org/review2021"},
                    {"kind": "trial", "source_id": "Trial2019", "reported_as": "p_value_only", "direction_as_reported": "favours DN",
                     "result_as_reported": "VAS lower with needling", "p_value": "0.04", "direction": "favours_intervention", "k": 1,
                     "citation": "Hypothetical trial 2019.", "source": "https://example.org/trial2019"},
                ],
            },
        ],
        "key_messages": [
            {"kind": "effect", "topic": "pain", "text": "Pain: Dry needling may reduce pain intensity in the short term compared with sham (very low certainty; MD -2.31). 1 of 1 rated findings favour dry needling. Not rated (no numbers): Review2021 reported no significant effect on pain intensity (vs exercise).",
             "certainty": "very_low", "certainty_range": "very low", "sources": ["NavarroSantana2020"], "finding": ["pain", "short_term", "sham", ""]},
            {"kind": "effect", "topic": "strength", "text": "Strength: no numeric estimate, so certainty is not rated; Trial2019 reported a benefit of dry needling on strength.",
             "certainty": None, "certainty_range": None, "sources": ["Trial2019"], "finding": None},
            {"kind": "practice", "topic": "add_on", "text": "Added to another therapy (X + specialist care compared with X alone): Specialist care may reduce the length of stay slightly (low certainty).",
             "certainty": "low", "certainty_range": "low", "sources": ["Normand1999"], "finding": ["length_of_stay", "short_term", "add_on", ""]},
            {"kind": "safety", "topic": "safety", "text": "Safety (reassuring): serious adverse events appear rare in each of 2 sources.",
             "certainty": None, "certainty_range": None, "sources": [], "finding": None},
        ],
        "conclusion": "Across 3 rated findings the certainty of the evidence ranges from very low to moderate.",
        "comparisons": [
            {"kind": "sham", "comparisons": ["sham"], "n_findings": 2, "certainty_range": "very low", "counts": {"very uncertain": 1, "not rated": 1},
             "sentence": "Dry needling against sham, placebo or no treatment: 1 rated finding (certainty very low); 1 is very uncertain."},
            {"kind": "add_on", "comparisons": ["add_on"], "n_findings": 2, "certainty_range": "low", "counts": {"favours": 1, "not rated": 1},
             "sentence": "Dry needling added to another therapy (compared with that therapy alone): 1 rated finding (certainty low); 1 favours dry needling."},
        ],
        "families": [
            {"family": "pain", "label": "Pain", "summary": "One review-based finding; certainty very low.", "certainty_range": "very_low"},
        ],
        "safety": {
            "statement": "Mild adverse events are common; serious events are rare.",
            "rates": [
                {"event": "any mild adverse event", "severity": "mild", "denominator_basis": "treatments",
                 "estimate": 0.1918, "ci_low": 0.1830, "ci_high": 0.2008, "events": 1463, "total": 7629, "k": 1,
                 "method": "exact (Clopper-Pearson)", "source": "Brady2014"},
                {"event": "any significant adverse event", "severity": "significant", "denominator_basis": "treatments",
                 "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.000483, "events": 0, "total": 7629, "k": 1,
                 "upper_bound": 0.000393, "method": "exact; rule of three upper bound", "source": "Brady2014"},
            ],
            "pools": [
                {"severity": "significant_or_serious", "basis": "treatments", "measure": "not_pooled", "k": 2, "events": 20,
                 "total": 28123, "estimate": None, "ci_low": None, "ci_high": None, "range_low": 0.0, "range_high": 0.0009758953840148336,
                 "pooled": False, "upper_bound_exact": None, "rule_of_three": None,
                 "items": [
                     {"source_id": "Brady2014", "event": "any significant AE", "events": 0, "denominator": 7629, "proportion": 0.0,
                      "ci_low": 0.0, "ci_high": 0.00048341692867612246, "rule_of_three": 0.00039323633503735744,
                      "rate_as_reported": "upper risk estimate <=0.04%", "denominator_basis": "treatments"},
                     {"source_id": "Boyce2020", "event": "any major AE", "events": 20, "denominator": 20494,
                      "proportion": 0.0009758953840148336, "ci_low": 0.000596200944056651, "ci_high": 0.0015067908676674171,
                      "rule_of_three": None, "rate_as_reported": "<0.1%", "denominator_basis": "treatments",
                      "citation": "Boyce D, et al. Adverse events associated with therapeutic dry needling. Int J Sports Phys Ther. 2020;15(1):103-113."},
                 ],
                 "notes": [{"code": "not_pooled_few_sources", "message": "Only 2 sources: no pooled rate.", "study": None}]},
            ],
            "min_pool_k": 3,
            "other": [{"safety_id": "S036", "source_id": "Jenkins2024", "event": "syncope", "severity": "mild",
                       "rate_as_reported": "13%", "denominator_basis": "respondents", "design": "Cross-sectional online survey"}],
            "common_mild_events": ["bruising"],
            "event_types": [
                {"event_type": "bruising", "severity": "mild", "frequency": "common", "rate_low": 0.0755, "rate_high": 0.077,
                 "rates": [{"source_id": "Brady2014", "proportion": 0.0755, "denominator": 7629, "rate_as_reported": "7.55%"},
                           {"source_id": "Boyce2020", "proportion": 0.077, "denominator": 20464, "rate_as_reported": "7.7%"}],
                 "mentions": [{"source_id": "Jenkins2024", "event": "bruising", "denominator_basis": "respondents", "rate_as_reported": "56%"}]},
                {"event_type": "fainting", "severity": "mild", "frequency": None, "rate_low": None, "rate_high": None, "rates": [],
                 "mentions": [{"source_id": "Jenkins2024", "event": "fainting", "denominator_basis": "respondents", "rate_as_reported": "3%"}]},
            ],
            "case_reports": [{"event": "pneumothorax", "description": "single case report after needling near the thorax (fixture text)", "source": "Case2019"}],
        },
        "mechanisms": [
            {"mechanism": "local twitch response", "claim": "Eliciting twitches is needed for relief", "strongest_support": "trial",
             "support_label": "partially_supported", "sources": ["Hong1994"]},
            {"mechanism": "resets the nervous system", "claim": "Needling resets central pain processing", "strongest_support": "theory",
             "support_label": "proposed", "sources": []},
        ],
        "grade_config": {"i2_serious": 0.5, "i2_very_serious": 0.75, "rob_serious_share": 0.5, "ois_continuous": 400,
                         "ois_binary_events": 300, "pub_bias_min_k": 10, "smd_bands": [0.2, 0.5, 0.8]},
        "sources": [
            {"id": "Normand1999", "citation": "Normand SLT. Meta-analysis: formulating, evaluating, combining, and reporting. Stat Med. 1999;18(3):321-359."},
            {"id": "Colditz1994", "citation": "Colditz GA, et al. Efficacy of BCG vaccine in the prevention of tuberculosis: meta-analysis of the published literature. JAMA. 1994;271(9):698-702."},
            {"id": "Brady2014", "citation": "Brady S, McEvoy J, Dommerholt J, Doody C. Adverse events following trigger point dry needling: a prospective survey of chartered physiotherapists. J Man Manip Ther. 2014;22(3):134-140."},
        ],
    }


@pytest.fixture
def summary() -> dict[str, Any]:
    return copy.deepcopy(small_summary())
