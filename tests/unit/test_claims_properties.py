"""Property tests: the checker never crashes on any text, stays within its vocabulary, is deterministic,
and stronger wording never makes a claim look better supported."""
from __future__ import annotations

import json
import pathlib

from hypothesis import given, settings
from hypothesis import strategies as st

from evigrade.claims import ASPECTS, VERDICTS, check, load_evidence

EV = load_evidence(pathlib.Path(__file__).resolve().parents[1] / "claims" / "evidence_fixture.json")

# Deterministic on purpose (derandomize, no example database): a Hypothesis run once found a crash in
# the evidence adapter (measure=True) that a later run did not reproduce; CI must not flake.
_FIXED = settings(max_examples=60, deadline=None, derandomize=True, database=None)

WORDS = ["Dry needling", "may", "probably", "proven", "reduces", "neck pain", "range of motion", "safe",
         "no side effects", "always", "everyone", "immediately", "permanently", "not", "resets", "the nervous system",
         "local twitch response", "pneumothorax", "is", "rare", "common", "dramatically", "slightly", ".", "?",
         "- ", "# ", "**", "e.g.", "vs.", "1.5", "\n", "\n\n", "[link](http://x)", "migraines", "than massage"]


@_FIXED
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_report(text):
    r = check(text, EV)
    for c in r.claims:
        assert c.verdict in VERDICTS
        assert set(c.aspects) <= set(ASPECTS)
        assert c.sentence.strip() and c.line >= 1
    json.dumps(r.to_dict())


@_FIXED
@given(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join))
def test_claim_like_text_is_deterministic(text):
    a, b = check(text, EV).to_dict(), check(text, EV).to_dict()
    assert a == b


_RANK = {"consistent": 0, "understated": 0, "overstated": 1, "unsupported": 2, "contradicted": 2}


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(["neck pain", "pain-related disability", "tenderness", "shoulder pain"]),
       st.sampled_from(["", " in the short term", " immediately", " in the long term"]))
def test_stronger_certainty_wording_never_looks_better(outcome, when):
    ladder = [f"Dry needling may reduce {outcome}{when}.",
              f"Dry needling probably reduces {outcome}{when}.",
              f"Dry needling is clinically proven to reduce {outcome}{when}."]
    verdicts = [check(s, EV).claims[0] for s in ladder]
    ranks = [_RANK[v.verdict] for v in verdicts]
    assert ranks == sorted(ranks), [(v.sentence, v.verdict) for v in verdicts]
    assert verdicts[-1].verdict in ("overstated", "contradicted", "unsupported")
    assert "certainty" in verdicts[-1].aspects or verdicts[-1].verdict != "overstated"


_VAL = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=12),
                 st.lists(st.text(max_size=6), max_size=3), st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2))
_FINDING_KEYS = ["outcome", "outcome_name", "family", "benefit", "timepoint", "comparison", "comparison_label",
                 "population", "measure", "estimate", "ci_low", "ci_high", "certainty", "statement", "sources",
                 "grade", "reviews", "direction", "magnitude", "synonyms", "evidence_form", "narrative",
                 "reported_direction", "certainty_note"]
_ANY = st.one_of(_VAL, st.lists(_VAL, max_size=3), st.lists(st.dictionaries(st.sampled_from(
    ["event_type", "severity", "frequency", "rate_low", "rate_high", "estimate", "basis", "range_low", "range_high",
     "event", "kind", "text"]), _VAL, max_size=4), max_size=3))
_SAFETY_KEYS = ["rating", "items", "pools", "case_reports", "event_types", "common_mild_events", "summary"]
_EVERYDAY = "Dry needling is proven to reduce neck pain. It is completely safe. Bruising is common. It resets muscles."


@_FIXED
@given(st.lists(st.one_of(st.fixed_dictionaries({}, optional={k: _VAL for k in _FINDING_KEYS}), _VAL), max_size=4),
       st.lists(st.one_of(st.fixed_dictionaries({}, optional={"claim": _VAL, "label": _VAL, "strongest_support": _VAL,
                                                              "evidence": _VAL, "synonyms": _VAL}), _VAL), max_size=3),
       st.one_of(_VAL, st.fixed_dictionaries({}, optional={k: _ANY for k in _SAFETY_KEYS})),
       st.fixed_dictionaries({}, optional={"key_messages": _ANY, "intervention": _VAL, "pack": _VAL, "outcomes": _ANY}))
def test_evidence_adapter_never_crashes_on_odd_summaries(findings, mechanisms, safety, extra):
    from evigrade.claims import evidence_from_summary

    ev = evidence_from_summary({"findings": findings, "mechanisms": mechanisms, "safety": safety, **extra})
    r = check(_EVERYDAY, ev)
    assert all(c.verdict in VERDICTS for c in r.claims)
    json.dumps(ev.to_dict())
    json.dumps(r.to_dict())


def test_wrong_types_are_skipped_with_a_note():
    from evigrade.claims import evidence_from_summary

    ev = evidence_from_summary({
        "findings": [{"outcome": "pain", "measure": True, "estimate": "1.5", "ci_low": True, "synonyms": [1, "ache"]},
                     {"outcome": 7}, "not a finding"],
        "mechanisms": [{"claim": True}, {"claim": "Local twitch response", "label": "partially supported"}],
        "safety": {"rating": {"label": "reassuring", "mild_low": 0.19, "mild_high": 0.37}, "items": 5},
    })
    assert [f.outcome for f in ev.findings] == ["pain"]
    f = ev.findings[0]
    assert f.measure is None and f.estimate == 1.5 and f.ci_low is None and f.synonyms == ("ache",)
    codes = [n.code for n in ev.notes]
    assert codes.count("claims_field_ignored") == 1 and codes.count("claims_finding_skipped") == 2
    assert "claims_mechanism_skipped" in codes
    assert "measure=True" in next(n.message for n in ev.notes if n.code == "claims_field_ignored")
    assert [m.name for m in ev.mechanisms] == ["Local twitch response"]
    assert ev.safety is not None and (ev.safety.mild_rate_low, ev.safety.mild_rate_high) == (0.19, 0.37)
