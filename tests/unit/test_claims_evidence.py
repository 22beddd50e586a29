"""Evidence input: reading Summary.to_dict(), normalisers, stored evidence, the fallback."""
from __future__ import annotations

import json

import pytest

from evigrade.claims import evidence as evmod
from evigrade.claims import Evidence, evidence_from_summary, load_evidence, reference_evidence
from evigrade.claims.evidence import derive_direction, derive_magnitude, normalise_bucket, normalise_certainty
from evigrade.errors import InputError


def _summary() -> dict:
    """A constructed dict in the shape of evigrade.packs Summary.to_dict() (with D's GRADE fields)."""
    return {
        "pack": {"id": "toy", "title": "Toy pack", "question": {}},
        "findings": [
            {"outcome": "pain", "outcome_name": "pain intensity", "family": "pain", "benefit": "lower",
             "timepoint": "short_term", "comparison": "sham", "comparison_label": "sham needling",
             "population": "neck", "population_label": "neck pain", "measure": "SMD",
             "estimate": -0.6, "ci_low": -0.9, "ci_high": -0.3, "basis": "review", "status": "review",
             "sources": ["reviews.csv row 2 (Navarro 2020)"], "reviews": [],
             "certainty": "moderate", "statement": "The intervention probably reduces pain intensity.",
             "grade": {"certainty": "moderate", "magnitude": {"size": "moderate", "direction": "benefit"}}},
            {"outcome": "rom", "outcome_name": "range of motion", "family": "range of motion", "benefit": "higher",
             "timepoint": "unspecified", "comparison": "any_comparator", "comparison_label": "any comparator",
             "population": "neck", "measure": None, "estimate": None, "ci_low": None, "ci_high": None,
             "basis": "review", "status": "no_estimate", "sources": ["reviews.csv row 9"],
             "reviews": [{"result_as_reported": "qualitative: no effect", "reported_as": "qualitative"}],
             "certainty": None, "statement": None, "grade": None},
            {"outcome": "ppt", "outcome_name": "pressure pain threshold", "family": "sensitivity", "benefit": "higher",
             "timepoint": "immediate+short_term", "comparison": "add_on", "comparison_label": "DN + X vs X",
             "population": "shoulder", "measure": "MD", "estimate": 20.0, "ci_low": -5.0, "ci_high": 45.0,
             "basis": "trials", "status": "pooled", "sources": ["results.csv rows 4-6"], "certainty": "low",
             "grade": {"magnitude": {"size": "unclassified", "direction": "benefit"}}},
        ],
        "mechanisms": [
            {"claim": "The local twitch response is needed", "strongest_support": "review", "label": "partially supported",
             "evidence": [{"claim_id": "M002", "citation": "Review 2021"}]},
            {"claim": "Needling reduces end-plate noise", "strongest_support": "animal", "label": None, "evidence": []},
        ],
        "safety": {
            "pools": [{"severity": "mild", "basis": "treatments", "estimate": 0.25}],
            "items": [{"safety_id": "S003", "source_id": "Brady2014", "severity": "mild", "event": "bruising"},
                      {"safety_id": "S001", "source_id": "Brady2014", "severity": "mild", "event": "any mild AE"}],
            "case_reports": [{"safety_id": "S048", "source_id": "Case2025", "event": "pneumothorax"}],
            "rating": {"label": "acceptable", "sentence": "Mild events are common; serious events are rare."},
        },
        "families": [],
    }


def test_evidence_from_summary_reads_findings():
    ev = evidence_from_summary(_summary())
    assert isinstance(ev, Evidence) and len(ev.findings) == 3
    pain, rom, ppt = ev.findings
    assert (pain.outcome, pain.timepoints, pain.certainty, pain.magnitude, pain.direction) == \
        ("pain", ("short_term",), "moderate", "moderate", "benefit")
    assert pain.comparison == "sham needling" and pain.comparison_id == "sham" and pain.population == "neck pain"
    assert pain.source == "reviews.csv row 2 (Navarro 2020)"
    assert pain.statement == "The intervention probably reduces pain intensity."
    # a qualitative "no effect" from the review becomes direction none (and trivial)
    assert (rom.timepoints, rom.direction, rom.magnitude, rom.certainty) == ((), "none", "trivial", None)
    # the CI decides the direction: it includes 0, so no benefit is shown, whatever the point estimate says
    assert ppt.timepoints == ("immediate", "short_term") and ppt.direction == "none" and ppt.magnitude is None
    assert ev.origin.startswith("pack 'toy'")


def test_evidence_from_summary_reads_mechanisms_and_safety():
    ev = evidence_from_summary(_summary())
    m1, m2 = ev.mechanisms
    assert (m1.support_label, m1.sources) == ("partially supported", ("M002 Review 2021",))
    assert m2.support_label == "proposed"  # no label yet: an animal-only claim is proposed
    s = ev.safety
    assert s.rating == "acceptable" and s.mild_rate == 0.25
    assert s.common_mild_events == ("bruising",) and s.serious_rare_events == ("pneumothorax",)
    assert s.summary == "Mild events are common; serious events are rare."


def test_pack_outcome_synonyms_are_used():
    pack = {"outcomes": [{"id": "pain", "name": "pain intensity", "family": "pain", "benefit": "lower",
                          "synonyms": ["soreness of the neck"]}]}
    ev = evidence_from_summary(_summary(), pack)
    assert "soreness of the neck" in ev.findings[0].synonyms


def test_unrated_summary_gets_a_note():
    d = _summary()
    for f in d["findings"]:
        f["certainty"] = None
        f["grade"] = None
    ev = evidence_from_summary(d)
    assert [n.code for n in ev.notes] == ["claims_unrated"]


def test_bad_summary_is_an_input_error():
    with pytest.raises(InputError, match="Summary.to_dict"):
        evidence_from_summary([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("raw, level", [("High", "high"), ("very low", "very_low"), ("very_low", "very_low"),
                                        ("low-to-moderate (overall)", "low"), ("Moderate", "moderate"),
                                        ({"certainty": "low"}, "low"), ("", None), (None, None), ("strong", None)])
def test_normalise_certainty(raw, level):
    assert normalise_certainty(raw) == level


def test_normalise_bucket_and_derivations():
    assert normalise_bucket("immediate + short term") == ("immediate", "short_term")
    assert normalise_bucket("short_term+mid_term") == ("short_term", "mid_term")
    assert normalise_bucket("unspecified") == ()
    assert derive_magnitude("SMD", -0.19) == "trivial" and derive_magnitude("SMD", -0.2) == "small"
    assert derive_magnitude("SMD", 0.5) == "moderate" and derive_magnitude("SMD", -0.8) == "large"
    assert derive_magnitude("MD", -2.0) is None
    assert derive_direction("MD", -3.0, -1.0, "lower") == "benefit"
    assert derive_direction("MD", 1.0, 3.0, "lower") == "harm"
    assert derive_direction("MD", 1.0, 3.0, "higher") == "benefit"
    assert derive_direction("RR", 0.8, 1.2, "higher") == "none"
    assert derive_direction("MD", None, 1.0, "lower") is None


def test_round_trip_and_load_errors(tmp_path):
    ev = reference_evidence()
    p = tmp_path / "ev.json"
    p.write_text(json.dumps(ev.to_dict()), encoding="utf-8")
    assert load_evidence(p) == ev
    with pytest.raises(InputError, match="not found"):
        load_evidence(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid evidence JSON"):
        load_evidence(bad)


def test_default_evidence_falls_back_with_a_note(monkeypatch):
    def boom(_path=None):
        raise ImportError("packs not built")

    monkeypatch.setattr(evmod, "evidence_from_pack", boom)
    ev = evmod.default_evidence()
    assert ev.findings == reference_evidence().findings
    assert ev.notes[-1].code == "claims_reference_evidence" and "packs not built" in ev.notes[-1].message
