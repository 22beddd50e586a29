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
