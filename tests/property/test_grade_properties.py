"""Property tests: the rating stays within very_low..high and never rises when a concern worsens."""
from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from evigrade.grade import LEVELS, GradeInput, StudyRoB, assess, magnitude
from evigrade.language import statement

SETTINGS = settings(max_examples=100, deadline=None)
ROB = ("low", "some_concerns", "high")

finite = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False)


@st.composite
def inputs(draw):
    est = draw(finite)
    lo = est - draw(st.floats(min_value=0, max_value=4))
    hi = est + draw(st.floats(min_value=0, max_value=4))
    k = draw(st.integers(min_value=1, max_value=15))
    n_rob = draw(st.integers(min_value=0, max_value=4))
    rob = tuple(StudyRoB(f"s{i}", draw(st.floats(min_value=0, max_value=10)),
                         draw(st.sampled_from(ROB + (None,)))) for i in range(n_rob))
    return GradeInput(
        estimate=est, ci_low=lo, ci_high=hi, measure=draw(st.sampled_from(("MD", "SMD"))),
        benefit=draw(st.sampled_from(("lower", "higher"))), k=k,
        n=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=3000))),
        i2=draw(st.one_of(st.none(), st.floats(min_value=0, max_value=1))),
        pi_low=lo - 1, pi_high=hi + 1,
        study_estimates=tuple(draw(st.lists(finite, max_size=6))),
        rob=rob, mid=draw(st.one_of(st.none(), st.floats(min_value=0.05, max_value=3))),
        indirectness=draw(st.sampled_from((None, "none", "serious", "very_serious"))),
        small_study_p=draw(st.one_of(st.none(), st.floats(min_value=0, max_value=1))),
    )


@SETTINGS
@given(inputs())
def test_result_within_very_low_to_high(inp):
    r = assess(inp)
    assert r.certainty in LEVELS and 1 <= r.level <= 4
    by_domains = max(1, min(4, 4 + r.downgrade_levels + r.upgrade_levels))
    capped = len(r.not_assessable) >= 2  # issue 13: two or more not-assessable domains cap at low
    assert r.level == (min(by_domains, 2) if capped else by_domains)
    assert (r.capped_by == "not_assessable_cap") == (capped and by_domains > 2)
    s = statement(r, magnitude(inp), outcome_name="pain", intervention="dry needling")
    assert s.endswith(".") and s[0].isupper()


@SETTINGS
@given(inputs(), st.floats(min_value=0, max_value=1))
def test_more_heterogeneity_never_raises(inp, extra):
    if inp.i2 is None:
        return
    worse = dataclasses.replace(inp, i2=min(1.0, inp.i2 + extra))
    assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs(), st.floats(min_value=0, max_value=3), st.floats(min_value=0, max_value=3))
def test_wider_ci_never_raises(inp, a, b):
    worse = dataclasses.replace(inp, ci_low=inp.ci_low - a, ci_high=inp.ci_high + b)
    assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs(), st.integers(min_value=0, max_value=3000))
def test_fewer_participants_never_raises(inp, fewer):
    if inp.n is None:
        return
    worse = dataclasses.replace(inp, n=max(0, inp.n - fewer))
    assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs(), st.data())
def test_worse_risk_of_bias_never_raises(inp, data):
    known = [i for i, s in enumerate(inp.rob) if s.judgement is not None]
    if not known:
        return
    i = data.draw(st.sampled_from(known))
    s = inp.rob[i]
    worse_j = ROB[min(2, ROB.index(s.judgement) + data.draw(st.integers(min_value=1, max_value=2)))]
    rob = list(inp.rob)
    rob[i] = StudyRoB(s.study, s.weight, worse_j)
    worse = dataclasses.replace(inp, rob=tuple(rob))
    assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs())
def test_worse_indirectness_never_raises(inp):
    order = ("none", "serious", "very_serious")
    if inp.indirectness is None:
        return
    for worse_j in order[order.index(inp.indirectness):]:
        worse = dataclasses.replace(inp, indirectness=worse_j)
        assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs(), st.floats(min_value=0, max_value=1))
def test_smaller_small_study_p_never_raises(inp, factor):
    if inp.small_study_p is None:
        return
    worse = dataclasses.replace(inp, small_study_p=inp.small_study_p * factor)
    assert assess(worse).level <= assess(inp).level


@SETTINGS
@given(inputs())
def test_not_assessed_indirectness_is_never_reported_as_no_concern(inp):
    j = assess(dataclasses.replace(inp, indirectness=None)).judgement("indirectness")
    assert j.concern == "not_assessable" and j.levels == 0


@SETTINGS
@given(inputs(), st.booleans())
def test_active_comparator_statement_never_says_the_intervention_worsens_the_outcome(inp, active):
    """Against an active comparator an effect favouring the comparator is said comparatively: the
    only verb is the beneficial one ("reduces ... less than"), never "increases pain"."""
    rating, mag = assess(inp), magnitude(inp)
    text = statement(rating, mag, outcome_name="pain intensity", timeframe="short term",
                     intervention="dry needling", comparison="trigger-point injection", comparator_active=active)
    assert text.endswith(".") and text[0].isupper()
    if active and mag.direction == "harm" and rating.certainty != "very_low" \
            and mag.size not in ("trivial",) and mag.change != "none":
        good = "reduc" if inp.benefit == "lower" else "increas"
        bad = "increas" if inp.benefit == "lower" else "reduc"
        assert bad not in text, text
        if "includes no difference" not in text:  # a CI with no difference: "may differ from ..., but ..."
            assert good in text and "less than trigger-point injection" in text, text


@SETTINGS
@given(inputs(), st.sampled_from(("high", "moderate", "low", "very_low")), st.booleans())
def test_never_above_the_source_grade_without_override(inp, source, discordant):
    """Issue 13: the source review's own GRADE is the ceiling; discordance only lowers."""
    r = assess(dataclasses.replace(inp, source_certainty=source, discordant=discordant))
    cap = LEVELS[::-1].index(source) + 1
    assert r.level <= cap and r.start == source
    if r.level < cap:
        assert r.disagreements and r.disagreements[0].code == "source_rated_below"


@SETTINGS
@given(inputs())
def test_size_word_only_where_the_whole_ci_supports_it(inp):
    """Issue 13 / GRADE 34: the statement's size word is the CI-supported claim, never the point estimate's band."""
    mag = magnitude(inp)
    s = statement("moderate", mag, outcome_name="pain", intervention="dry needling", benefit=inp.benefit)
    if mag.size_claim != "large":
        assert "large" not in s
    if mag.size_claim != "small":
        assert "slightly" not in s
    if mag.size_claim is not None and mag.size_claim != "trivial":
        lo, hi = sorted((abs(inp.ci_low), abs(inp.ci_high)))
        assert inp.ci_low > 0 or inp.ci_high < 0  # the CI excludes no effect
        assert lo >= 0.2 if inp.measure == "SMD" else True
