"""The report's JSON edge (report.load): key messages are read typed, from a GradedSummary as they
are and from a saved summary through the lenient loader, with the same report either way."""
from __future__ import annotations

import functools

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
