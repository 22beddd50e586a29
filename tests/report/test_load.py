"""The report's JSON edge (report.load): key messages are read typed, from a GradedSummary as they
are and from a saved summary through the lenient loader, with the same report either way."""
from __future__ import annotations

import functools

import pytest

from evigrade.grade.integrate import KeyMessage
from evigrade.pipeline import run
from evigrade.report import render
from evigrade.report.load import load_key_message, load_key_messages

STAMP = "2024-01-01T00:00:00Z"


@functools.lru_cache(maxsize=1)
def _graded():
    return run()  # the bundled pack, rated


def test_key_messages_round_trip_through_json():
    g = _graded()
    assert g.key_messages, "the bundled pack has key messages"
    assert load_key_messages([k.to_dict() for k in g.key_messages]) == g.key_messages


@pytest.mark.slow
def test_typed_and_json_input_give_the_same_report():
    g = _graded()
    for fmt in ("md", "html", "text"):
        assert render(g, fmt, generated=STAMP) == render(g.to_dict(), fmt, generated=STAMP), fmt


def test_loader_is_lenient():
    km = load_key_message({"text": "Pain: may reduce pain.", "finding": ["pain", "short_term", "sham", ""], "extra": 1})
    assert km == KeyMessage(kind="effect", topic="", text="Pain: may reduce pain.",
                            finding=("pain", "short_term", "sham", ""))
    assert load_key_message({"kind": None, "topic": None, "text": None, "finding": "pain"}) == KeyMessage("effect", "", "")
    assert load_key_messages([{"kind": "safety", "topic": "safety", "text": "t", "certainty": None}, "stray", 3, None]) == (
        KeyMessage("safety", "safety", "t"),)
    assert load_key_messages(None) == ()
    k = KeyMessage("effect", "pain", "x", certainty="low")
    assert load_key_message(k) is k


def test_contrasts_round_trip_and_leniency():
    from evigrade.grade.families import ComparisonContrast
    from evigrade.report.load import load_contrasts

    g = _graded()
    assert g.comparisons
    assert load_contrasts([c.to_dict() for c in g.comparisons]) == g.comparisons
    # a summary dict whose "comparisons" is the pack's list (id, label) has no contrasts
    assert load_contrasts([{"id": "sham", "label": "DN vs sham"}]) == ()
    assert load_contrasts(None) == ()
    got = load_contrasts([{"kind": "sham", "counts": {"favours": 2, "odd": "x", "not rated": 1.0}, "sentence": "s"}, "stray"])
    assert got == (ComparisonContrast(kind="sham", comparisons=(), n_findings=0, certainty_range=None,
                                      counts={"favours": 2, "not rated": 1}, sentence="s"),)


def test_typed_parts_and_their_json_give_the_same_report_model():
    """build_model reads a GradedSummary's families, safety rating, key messages and contrasts typed; a
    saved summary's are loaded at the edge (report.load): both give the same view."""
    import json

    from evigrade.report.load import load_families, load_safety_rating
    from evigrade.report.model import build_model

    g = _graded()
    saved = json.loads(json.dumps(g.to_dict()))
    assert load_families(saved["families"]) == g.families
    assert load_safety_rating(saved["safety"]["rating"]) == g.safety_rating
    live, loaded = build_model(g), build_model(saved)
    assert live.families == loaded.families and any(f.summary for f in live.families)
    assert live.safety == loaded.safety and live.safety["rating"] == "reassuring" and live.safety["rule"]
    assert live.key_points == loaded.key_points and live.contrasts == loaded.contrasts


def test_safety_and_mechanisms_round_trip_through_json():
    """A saved summary's safety section and mechanism claims load back into the pipeline's own objects
    (the pools' stored meta-analysis aside, which the report does not read) and give the same view."""
    import dataclasses
    import json

    from evigrade.report.load import SummaryParts, load_parts
    from evigrade.report.model import build_model

    g = _graded()
    saved = json.loads(json.dumps(g.to_dict()))
    live, loaded = SummaryParts.of(g), load_parts(saved)
    assert g.mechanisms and g.safety.pools and g.safety.items and g.safety.event_types
    assert loaded.mechanisms == g.mechanisms and loaded.mechanism_labels == g.mechanism_labels
    assert loaded.safety == dataclasses.replace(
        g.safety, pools=tuple(dataclasses.replace(p, meta=None) for p in g.safety.pools))
    assert loaded.safety_rating == live.safety_rating and loaded.topic == live.topic
    m_live, m_loaded = build_model(g), build_model(saved)
    assert m_live.mechanisms == m_loaded.mechanisms and m_live.safety == m_loaded.safety
    # the pipeline's JSON is unchanged by the fields only a hand-written summary states
    assert all(set(p) == set(saved["safety"]["pools"][0]) for p in saved["safety"]["pools"])
    assert not {"label", "upper_bound", "sources"} & set(saved["safety"]["pools"][0])
    assert all("proposed_effect" not in m for m in saved["mechanisms"])


def test_older_hand_written_vocabulary_is_translated_at_the_edge(summary):
    """The gold-file fixture's older names become the typed fields that hold the same data."""
    from evigrade.packs.summary import MechanismClaim, MechanismEvidence
    from evigrade.report.load import load_mechanisms, load_safety

    d = summary
    mechs, labels = load_mechanisms(d["mechanisms"])
    assert mechs[0] == MechanismClaim(
        claim="local twitch response", strongest_support="trial", strongest_any="", supporting=None,
        not_supporting=None, evidence=(MechanismEvidence("", "", "", "Hong1994", "", "", ""),),
        proposed_effect="Eliciting twitches is needed for relief")
    assert mechs[1].evidence == () and labels == ("partially_supported", "proposed")
    assert mechs[0].to_dict(label=labels[0])["proposed_effect"] == "Eliciting twitches is needed for relief"
    safety, rating = load_safety(d["safety"])
    assert safety is not None and rating is not None
    assert rating.sentence == "Mild adverse events are common; serious events are rare." and rating.label == ""
    stated, pool = safety.pools[1], safety.pools[2]
    assert (stated.label, stated.measure, stated.upper_bound, stated.sources, stated.k, stated.total) == (
        "any significant adverse event", "exact; rule of three upper bound", 0.000393, ("Brady2014",), 1, 7629)
    assert stated.to_dict()["upper_bound"] == 0.000393 and stated.to_dict()["sources"] == ["Brady2014"]
    assert pool.label == "" and [i.source_id for i in pool.items] == ["Brady2014", "Boyce2020"]
    assert pool.items[1].citation.startswith("Boyce D") and safety.common_mild_events == ("bruising",)
    assert safety.case_reports == ({"event": "pneumothorax", "description": d["safety"]["case_reports"][0]["description"],
                                    "source": "Case2019"},)
    assert load_safety(None) == (None, None) and load_mechanisms(["stray", None]) == ((), ())
