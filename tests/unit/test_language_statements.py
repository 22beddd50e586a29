"""GRADE informative statements: the golden grid plus wording rules checked independently of it.

Golden: tests/reference/golden/statements.json (regenerate with
``python scripts/make_statements_golden.py tests/reference/golden/statements.json`` and review by eye).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import pathlib
import sys

import pytest
from hypothesis import given, settings, strategies as st

from evigrade.errors import SpecError
from evigrade.grade import GradeInput, assess, magnitude
from evigrade.language import statement, timeframe_phrase

# the generator of the golden file is a script, not part of the package
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
from make_statements_golden import build_golden, grid_cases, render_case  # noqa: E402


GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "reference" / "golden" / "statements.json"


@pytest.fixture(scope="module")
def golden():
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_statements_reproduce_exactly(golden):
    cases = golden["cases"]
    # 64 grid + 20 uncertain + 16 phrasing + 24 active comparator + (issue 13) 20 CI spanning size bands
    # + 12 between forms of the intervention + 20 narrative (no single estimate)
    assert len(cases) == len(grid_cases()) == 176
    for case in cases:
        mag, text = render_case(case)
        assert text == case["statement"], case["id"]
        assert mag == case["magnitude"], case["id"]


def test_golden_covers_full_grid(golden):
    seen = {(c["finding"]["measure"], c["certainty"], c["magnitude"]["size"], c["magnitude"]["direction"])
            for c in golden["cases"] if c["intended"].get("kind") == "grid"}
    for measure, cert, size, direction in itertools.product(("MD", "SMD"), ("high", "moderate", "low", "very_low"),
                                                           ("trivial", "small", "moderate", "large"), ("benefit", "harm")):
        assert (measure, cert, size, direction) in seen
    # the constructed numbers land in the size the grid intended
    for c in golden["cases"]:
        if "size" in c["intended"]:
            assert c["magnitude"]["size"] == c["intended"]["size"], c["id"]
        if "direction" in c["intended"]:
            assert c["magnitude"]["direction"] == c["intended"]["direction"], c["id"]


def test_golden_inputs_match_the_generator(golden):
    # the stored cases are exactly the generator's constructed findings (so the regenerate command is honest)
    stored = [{k: c[k] for k in ("id", "certainty", "finding", "intended")} for c in golden["cases"]]
    assert stored == grid_cases()
    assert golden["regenerate"] == build_golden()["regenerate"]


class TestWordingRules:
    """Rules from Santesso 2020 checked on every golden sentence, independent of the stored text."""

    def test_certainty_words(self, golden):
        for c in golden["cases"]:
            s, cert = c["statement"].split(". Of ")[0], c["certainty"]  # narrative: the sentence before the vote count
            if cert == "very_low" and c["intended"].get("kind") == "between_forms":
                assert s.startswith("The evidence is very uncertain about whether needling active and latent")
            elif cert == "very_low":
                assert s.startswith("The evidence is very uncertain about the effect of dry needling on ")
                assert " reduces " not in s and " increases " not in s and "difference" not in s
            elif s.startswith("It is uncertain"):
                continue
            elif cert == "low":
                assert " may " in s and "probably" not in s
            elif cert == "moderate":
                assert ("probably" in s) or ("likely" in s)
                assert " may " not in s
            else:
                assert " may " not in s and "probably" not in s and "likely" not in s

    def test_little_or_no_difference_only_when_ci_excludes_important(self, golden):
        for c in golden["cases"]:
            if "little to no difference in" in c["statement"]:
                assert c["magnitude"]["ci_excludes_important"] is True, c["id"]

    def test_no_evidence_of_effect_never_becomes_evidence_of_no_effect(self, golden):
        for c in golden["cases"]:
            if c["intended"].get("kind", "").startswith("reaches") and c["certainty"] != "very_low":
                assert "little to no difference in" not in c["statement"]
                # the certainty's own hedge (issue 13), never a claim of no difference
                opening = {"high": "It is not possible to say whether",
                           "moderate": "It is probably not possible to say whether",
                           "low": "Dry needling may or may not"}[c["certainty"]]
                assert c["statement"].startswith(opening), c["statement"]
                assert "do not rule out an important" in c["statement"]

    def test_size_words(self, golden):
        for c in golden["cases"]:
            if c["certainty"] == "very_low" or c["intended"].get("kind") != "grid":
                continue
            size, s = c["magnitude"]["size"], c["statement"]
            assert ("slightly" in s) == (size == "small"), c["id"]
            assert ("a large" in s) == (size == "large"), c["id"]
            assert ("little to no difference" in s) == (size == "trivial"), c["id"]

    def test_size_word_only_where_the_whole_ci_supports_it(self, golden):
        """Issue 13 / GRADE 34: 'a large', 'slightly' only when the whole CI lies in that band."""
        for c in golden["cases"]:
            if c["intended"].get("kind") != "ci_spans_bands" or c["certainty"] == "very_low":
                continue
            s, claim = c["statement"], c["intended"]["size_claim"]
            assert c["magnitude"]["size_claim"] == claim, c["id"]
            assert ("a large" in s) == (claim == "large"), c["id"]
            assert ("slightly" in s) == (claim == "small"), c["id"]
        for c in golden["cases"]:  # in every case with an estimate, a size word implies the CI-supported claim
            if "size_claim" in c["magnitude"] and c["finding"].get("kind") != "narrative":
                if "a large" in c["statement"] or "much " in c["statement"]:
                    assert c["magnitude"]["size_claim"] == "large", c["id"]
                if "slightly" in c["statement"]:
                    assert c["magnitude"]["size_claim"] == "small", c["id"]

    def test_direction_verbs_follow_the_sign(self, golden):
        for c in golden["cases"]:
            if c["intended"].get("kind") in ("between_forms", "narrative"):
                continue  # checked in test_between_forms_never_favour / test_narrative_statements
            if c["certainty"] == "very_low" or c["magnitude"]["size"] in ("trivial",) or c["statement"].startswith("It is"):
                continue
            s = c["statement"]
            if c["intended"].get("kind") == "active_comparator" and c["magnitude"]["direction"] == "harm":
                continue  # comparative wording, checked in test_active_comparator_wording
            if c["magnitude"]["change"] == "decrease":
                assert "reduc" in s and "increase" not in s
            else:
                assert "increase" in s and "reduc" not in s


def test_timeframe_phrases():
    assert timeframe_phrase("short term") == "in the short term"
    assert timeframe_phrase("immediate") == "immediately after treatment"
    assert timeframe_phrase("mid term") == "in the medium term"
    assert timeframe_phrase("in the first week") == "in the first week"
    assert timeframe_phrase("6 months") == "at 6 months"
    assert timeframe_phrase(None) == "" and timeframe_phrase("  ") == ""


def test_statement_from_a_rating_and_magnitude():
    inp = GradeInput(estimate=-0.49, ci_low=-0.84, ci_high=-0.13, measure="MD", benefit="lower", k=6, mid=2.0,
                     n=400, indirectness="none")
    # issue 13: risk of bias, inconsistency (no I²) and publication bias (k=6) are not assessable and no source
    # GRADE is given: capped at low, and the sentence says the certainty could not be fully assessed
    r = assess(inp)
    m = magnitude(inp)
    assert r.certainty == "low" and m.size == "trivial" and m.ci_excludes_important and m.size_claim == "trivial"
    s = statement(r, m, outcome_name="shoulder pain", timeframe="short term", intervention="dry needling",
                  comparison="other treatments")
    assert s == ("Dry needling may result in little to no difference in shoulder pain in the short term "
                 "compared with other treatments. Certainty could not be fully assessed (missing inputs for risk "
                 "of bias, inconsistency and publication bias).")
    # with the source review's own GRADE (moderate) the rating starts there and nothing is appended
    r = assess(dataclasses.replace(inp, source_certainty="moderate"))
    s = statement(r, m, outcome_name="shoulder pain", timeframe="short term", intervention="dry needling",
                  comparison="other treatments")
    assert s == ("Dry needling probably results in little to no difference in shoulder pain in the short term "
                 "compared with other treatments.")


def test_plain_strings_need_explicit_ci_permission_for_no_difference():
    s = statement("low", "trivial", "benefit", "pain", None, "dry needling", benefit="lower")
    assert s.startswith("Dry needling may or may not make an important difference to pain")
    s2 = statement("low", "trivial", "benefit", "pain", None, "dry needling", benefit="lower", ci_excludes_important=True)
    assert s2 == "Dry needling may result in little to no difference in pain."


def test_bad_arguments_are_spec_errors():
    with pytest.raises(SpecError, match="certainty='certain'"):
        statement("certain", "small", "decrease")
    with pytest.raises(SpecError, match="magnitude='huge'"):
        statement("low", "huge", "decrease")
    with pytest.raises(SpecError, match="needs benefit"):
        statement("low", "small", "benefit")
    with pytest.raises(SpecError, match="needs a direction"):
        statement("low", "small")


def test_active_comparator_wording(golden):
    """An effect favouring an active comparator is said comparatively ("reduces pain less than
    trigger-point injection"), never as if the intervention caused the harm ("increases pain")."""
    seen = 0
    for c in golden["cases"]:
        if c["intended"].get("kind") != "active_comparator" or c["certainty"] == "very_low":
            continue
        s, f = c["statement"], c["finding"]
        seen += 1
        if c["magnitude"]["size"] == "unclassified":
            differs = {"high": "differs", "moderate": "probably differs", "low": "may differ"}[c["certainty"]]
            assert s.startswith(f"Dry needling {differs} from {f['comparison']}"), s
            assert "but the confidence interval includes no difference" in s, s
        elif c["magnitude"]["direction"] == "harm":
            good = "reduce" if f["benefit"] == "lower" else "increase"
            assert good in s and f"less than {f['comparison']}" in s, s
            assert ("much less" in s) == (c["magnitude"]["size"] == "large")
            assert ("slightly less" in s) == (c["magnitude"]["size"] == "small")
            assert ("reduc" in s) != ("increase" in s), s  # one verb only: the beneficial one
        else:
            assert "reduc" in s and "less than" not in s and f"compared with {f['comparison']}" in s
    assert seen == 18


def test_no_raw_labels_or_stray_brackets_in_any_golden_sentence(golden):
    for c in golden["cases"]:
        s = c["statement"]
        assert "/" not in s and "not stated" not in s and " vs " not in s and "any comparator" not in s, s
        assert s.count("(") == s.count(")"), s
        assert "and in the short term" not in s and "immediate to" not in s and "term and medium term" not in s, s
        assert " DN" not in s, s


@pytest.mark.parametrize("timeframe, phrase", [
    ("immediate + short term", "from immediately after treatment to the short term"),
    ("immediate_to_short_term", "from immediately after treatment to the short term"),
    ("in the immediate to short term", "from immediately after treatment to the short term"),
    ("short term + mid term", "in the short and medium term"),
    ("in the short term to mid term", "in the short and medium term"),
    ("mid term + long term", "in the medium and long term"),
    ("short term + mid term + long term", "in the short, medium and long term"),
    ("immediate + short term + mid term", "from immediately after treatment to the medium term"),
    ("immediate + long term", "immediately after treatment and in the long term"),
    ("long term + short term", "in the short and long term"),
])
def test_combined_time_frames_read_naturally(timeframe, phrase):
    assert timeframe_phrase(timeframe) == phrase


@pytest.mark.parametrize("comparison, phrase", [
    ("DN vs sham/placebo/waiting list/other DN (neck)",
     "compared with sham, placebo, waiting list or other dry needling"),
    ("DN vs manual therapy (neck)", "compared with manual therapy"),
    ("manual therapy (neck", "compared with manual therapy"),
    ("sham needling)", "compared with sham needling"),
    ("DN vs comparator not stated (neck)", "compared with the comparators used in the trials"),
    ("comparator not stated", "compared with the comparators used in the trials"),
    ("DN vs either comparison group (neck)", "compared with the comparators used in the trials"),
    ("any comparator", "compared with the comparators used in the trials"),
    ("DN added to other therapy vs that therapy alone (neck)", "when added to other therapy"),
    ("dry needling + exercise vs exercise", "when added to exercise"),
    ("other treatments", "compared with other treatments"),
    ("usual care (physiotherapy)", "compared with usual care (physiotherapy)"),
])
def test_comparison_labels_become_natural_phrases(comparison, phrase):
    s = statement("low", "small", "decrease", "pain", "short term", "dry needling", comparison)
    assert s == f"Dry needling may slightly reduce pain in the short term {phrase}."


def test_active_comparator_label_is_cleaned_too():
    s = statement("moderate", "moderate", "increase", "pain", "short term", "dry needling",
                  "DN vs trigger-point injection/wet needling (neck)", benefit="lower", comparator_active=True)
    assert s == ("Dry needling probably reduces pain less than trigger-point injection or wet needling "
                 "in the short term.")
    # an unstated comparator cannot carry comparative wording
    s = statement("moderate", "moderate", "increase", "pain", "short term", "dry needling", "comparator not stated",
                  benefit="lower", comparator_active=True)
    assert s == "Dry needling probably increases pain in the short term compared with the comparators used in the trials."


def test_event_outcomes_speak_of_the_chance_of_the_event():
    s = statement("low", "moderate", "increase", "patient acceptable symptom state", "mid term", "dry needling",
                  "sham or placebo needling", population="shoulder pain", event=True)
    assert s == ("Dry needling may increase the chance of patient acceptable symptom state in people with shoulder "
                 "pain in the medium term compared with sham or placebo needling.")
    s = statement("very_low", "moderate", "increase", "patient-rated improvement", "immediate", "dry needling",
                  "sham", event=True)
    assert s == ("The evidence is very uncertain about the effect of dry needling on patient-rated improvement "
                 "immediately after treatment compared with sham.")


def test_and_or_in_a_comparison_label_reads_as_or():
    s = statement("low", "small", "decrease", "pain", None, "dry needling", "sham and/or placebo needling")
    assert s == "Dry needling may slightly reduce pain compared with sham or placebo needling."


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab (/)vsDN", max_size=30), st.sampled_from([False, True]))
def test_any_comparison_label_gives_balanced_brackets_and_no_slash(label, active):
    s = statement("moderate", "moderate", "increase", "pain", "short term", "dry needling", label,
                  benefit="lower", comparator_active=active)
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        assert depth >= 0, s
    assert depth == 0, s
    assert not any(a.isalnum() and b == "/" and c.isalnum() for a, b, c in zip(s, s[1:], s[2:])), s


def test_every_statement_carries_its_certaintys_hedge(golden):
    """Issue 13: high plain; moderate "probably"/"likely"; low "may"; very low "very uncertain"."""
    for c in golden["cases"]:
        s, cert = c["statement"], c["certainty"]
        if cert == "very_low":
            assert "very uncertain" in s, s
        elif cert == "low":
            assert " may " in f" {s} ".replace("May ", " may ") and "uncertain whether" not in s, s
        elif cert == "moderate":
            assert ("probably" in s or "likely" in s) and "uncertain whether" not in s, s
        else:
            assert " may " not in s and "probably" not in s and "very uncertain" not in s, s


def test_between_forms_never_favour(golden):
    """Two forms of the intervention: which arm had lower values, never 'favours', 'reduces', 'improves'."""
    seen = 0
    for c in golden["cases"]:
        if c["intended"].get("kind") != "between_forms":
            continue
        seen += 1
        s = c["statement"].lower()
        for word in ("favour", "reduces", "increases", "improve", "effective", "better", "worse"):
            assert word not in s, s
        assert "needling active trigger points only" in s
        if c["certainty"] != "very_low" and c["id"].startswith("between-forms-lower"):
            assert "lower with needling active and latent trigger points than with" in s
    assert seen == 12


def test_narrative_statements(golden):
    """No estimate: no size word, the hedge of the certainty, the vote count with participants."""
    seen = 0
    for c in golden["cases"]:
        if c["intended"].get("kind") != "narrative":
            continue
        seen += 1
        s, tag, cert = c["statement"], c["intended"]["narrative"], c["certainty"]
        assert " Of " in s and "without a pooled estimate" in s
        assert "large" not in s and "slightly" not in s
        if cert == "very_low":
            continue
        if tag == "no-difference":
            assert {"high": "does not make a clear difference", "moderate": "probably does not make a clear difference",
                    "low": "may not make a clear difference"}[cert] in s
            assert "little or no difference" not in s  # no CI: never evidence of no effect
        if tag == "favours-intervention":
            assert {"high": "Dry needling reduces", "moderate": "Dry needling probably reduces",
                    "low": "Dry needling may reduce"}[cert] in s
        if tag == "unclear":
            assert s.startswith({"high": "It is not possible to say whether",
                                 "moderate": "It is probably not possible to say whether",
                                 "low": "Dry needling may or may not"}[cert]), s
    assert seen == 20


def test_narrative_between_forms_says_difference_not_favour():
    from evigrade.grade import NarrativeInput, Vote
    from evigrade.language import narrative_statement

    n = NarrativeInput(votes=(Vote("favours_intervention", 40), Vote("favours_intervention", 30)))
    s = narrative_statement("low", n, "pain", None, "needling active and latent trigger points", kind="between_forms",
                            comparator_phrase="compared with needling active trigger points only")
    assert s == ("Needling active and latent trigger points may differ from needling active trigger points only in "
                 "its effect on pain. Of 2 results without a pooled estimate, 2 found a difference (70 participants).")


def test_size_claim_of():
    from evigrade.language import size_claim_of

    inp = GradeInput(estimate=-0.87, ci_low=-1.60, ci_high=-0.14, measure="SMD", benefit="lower", k=6)
    m = magnitude(inp)
    assert (m.size, m.size_claim, m.size_approach) == ("large", None, "smd_bands")
    assert size_claim_of(m) is None
    assert size_claim_of("large") == "large" and size_claim_of("trivial") is None
    assert size_claim_of("trivial", ci_excludes_important=True) == "trivial"
    nomid = magnitude(GradeInput(estimate=-4.0, ci_low=-7.0, ci_high=-1.0, measure="MD", benefit="lower", k=3))
    assert (nomid.size_claim, nomid.size_approach) == (None, "none")
    withmid = magnitude(GradeInput(estimate=-4.5, ci_low=-5.0, ci_high=-4.1, measure="MD", benefit="lower", k=3, mid=1.0))
    assert (withmid.size_claim, withmid.size_approach) == ("large", "mid")


def test_statement_with_size_reports_the_word_used():
    from evigrade.language import statement_with_size

    def used(cert, est, lo, hi, **kw):
        inp = GradeInput(estimate=est, ci_low=lo, ci_high=hi, measure="SMD", benefit="lower", k=6)
        text, word = statement_with_size(cert, magnitude(inp), outcome_name="pain", intervention="dry needling", **kw)
        assert text == statement(cert, magnitude(inp), outcome_name="pain", intervention="dry needling", **kw)
        return text, word

    assert used("low", -1.2, -1.5, -0.9) == ("Dry needling may result in a large reduction in pain.", "large")
    assert used("low", -0.87, -1.60, -0.14)[1] is None  # point large, CI reaches small
    assert used("moderate", -0.35, -0.45, -0.25)[1] == "small"
    assert used("moderate", -0.65, -0.75, -0.55)[1] is None  # moderate: the plain verb, no size word
    assert used("high", -0.05, -0.15, 0.1)[1] == "trivial"
    assert used("very_low", -1.2, -1.5, -0.9)[1] is None
    assert used("low", -1.2, -1.5, -0.9, kind="between_forms", comparator_phrase="needling active points only") == (
        "Pain may be much lower with dry needling than with needling active points only.", "large")
