"""The question is the unit (issue 13): best source by a stated rule, the source's own GRADE as the
ceiling, discordant reviews, non-comparative results apart, between-forms never favouring, neutral
headlines.  Checked on hand-made review rows and on the bundled pack."""
from __future__ import annotations

import json

import pytest

from evigrade.packs.schema import ReviewRow
from evigrade.pipeline.findings import BEST_SOURCE_RULE, _best_source_key, _discordance, source_grade

LEVEL = {"very_low": 0, "low": 1, "moderate": 2, "high": 3}


@pytest.mark.parametrize("text, level, said", [
    ("very low", "very_low", "read as very low"),
    ("Very Low", "very_low", "read as very low"),
    ("moderate", "moderate", "read as moderate"),
    ("low-to-moderate (overall, per conclusion; sentence truncated)", "low", "the lower level (low) is taken"),
    ("very low to moderate (overall)", "very_low", "the lower level (very low) is taken"),
    ("low to moderate", "low", "is a range"),
    ("low-level evidence (discussion sentence truncated)", "low", "read as low"),
    ("strong evidence (review's own level scheme)", None, "not a GRADE rating"),
    ("moderate evidence (review's own level scheme)", None, "not a GRADE rating"),
    ("", None, ""),
])
def test_source_grade_normalised(text, level, said):
    got, note = source_grade(text)
    assert got == level and said in note


def _rv(rid, *, year, k=None, grade="", kind="comparative", numeric=True, participants=None, est=-1.0,
        lo=-2.0, hi=-0.5, review_id=None):
    return ReviewRow(review_row_id=rid, review_id=review_id or rid, citation=rid, outcomes=("pain",),
                     timepoint="short_term", comparison="sham", population="neck",
                     reported_as="numeric" if numeric else "qualitative", source="s", row=2, year=year, k=k,
                     k_scope="estimate" if k else "", participants=participants,
                     participants_scope="estimate" if participants else "", measure="MD" if numeric else None,
                     estimate=est if numeric else None, ci_low=lo if numeric else None, ci_high=hi if numeric else None,
                     grade=grade, comparison_kind=kind)


def test_best_source_rule_order():
    rows = [
        _rv("mixed_new", year=2024, kind="partly_between_forms"),  # less direct comparator
        _rv("words_new", year=2023, numeric=False),                 # no usable number
        _rv("old_big", year=2015, k=20),
        _rv("new_small", year=2020, k=3),
        _rv("new_rated", year=2020, k=2, grade="low"),
        _rv("new_rated_bigger", year=2020, k=4, grade="very low"),
        _rv("new_rated_bigger_n", year=2020, k=4, grade="low", participants=500),
    ]
    order = [r.review_row_id for r in sorted(rows, key=lambda r: _best_source_key(r, rows.index(r)))]
    # direct comparison, then a usable number, then recency, then a GRADE of its own, then k, then n
    assert order == ["new_rated_bigger_n", "new_rated_bigger", "new_rated", "new_small", "old_big", "words_new",
                     "mixed_new"]
    assert BEST_SOURCE_RULE.startswith("most direct comparison")


def test_discordance_by_direction_and_significance():
    rows = [_rv("A", year=2020), _rv("B", year=2021, est=-0.5, lo=-1.5, hi=0.5)]
    d = _discordance(rows, [], "lower")
    assert [(x["review_id"], x["direction"]) for x in d] == [("A", "favours_intervention"), ("B", "no_difference")]
    # a review reported in words counts with the direction of its words
    narr = [{"kind": "review", "row_id": "C", "direction": "no_difference"}]
    d = _discordance([_rv("C", year=2022, numeric=False)], narr, "lower")
    assert d[0]["basis"] == "words" and d[0]["direction"] == "no_difference"


@pytest.fixture(scope="module")
def bundled():
    from evigrade import pipeline

    g = pipeline.run(None)
    return g, json.loads(json.dumps(g.to_dict()))


def test_no_finding_above_its_source_grade(bundled):
    _, d = bundled
    with_src = [f for f in d["findings"] if f["source_certainty"]]
    assert len(with_src) >= 20
    assert [f for f in with_src if LEVEL[f["certainty"]] > LEVEL[f["source_certainty"]]] == []
    # the best source and the rule are recorded with every finding that has a review
    for f in d["findings"]:
        if f["reviews"]:
            assert f["best_source"]["rule"] == BEST_SOURCE_RULE
            assert f["best_source"]["review_row_id"] in {r["review_row_id"] for r in f["reviews"]}


def test_low_to_moderate_source_is_read_as_low(bundled):
    _, d = bundled
    f = next(f for f in d["findings"] if (f["outcome"], f["timepoint"], f["comparison"], f["population"])
             == ("pain", "short_term", "add_on", "neck"))
    assert f["best_source"]["review_id"] == "FernandezDeLasPenas2021" and f["source_certainty"] == "low"
    assert "the lower level (low) is taken" in f["source_certainty_note"]


def test_every_finding_rated_and_hedge_matches(bundled):
    _, d = bundled
    # issue 13: the hedge matches the certainty, including results whose CI includes no effect
    hedge = {"moderate": ("probably", "likely"), "low": ("may",), "very_low": ("very uncertain",)}
    for f in d["findings"]:
        assert f["certainty"] in LEVEL, f["outcome"]
        words = hedge.get(f["certainty"])
        if words:
            assert any(w in f["statement"] for w in words), f["statement"]
        assert f["kind"] in ("comparative", "between_forms")
        if f["estimate"] is None:
            assert f["size_claim"] is None


def test_between_forms_never_favour(bundled):
    g, d = bundled
    bf = [f for f in d["findings"] if f["kind"] == "between_forms"]
    assert len(bf) >= 10 and all(f["comparison"] == "dn_variant" for f in bf)
    for f in bf:
        assert "favour" not in f["statement"].lower()
    from evigrade.grade.integrate import _item

    items = [_item(f, fg.grade) for f, fg in zip(g.findings, g.findings) if f.kind == "between_forms"]
    assert {i.verdict for i in items} == {"between forms"}
    for fam in d["families"]:
        assert "between forms" not in {k for k, v in fam["counts"].items() if k == "favours"}
    dn = next(c for c in d["comparisons"] if c["kind"] == "between_forms")
    assert "favours" not in dn["counts"] and dn["counts"]["between forms"] == len(bf)


def test_non_comparative_are_not_findings(bundled):
    g, d = bundled
    nc = d["non_comparative"]
    ids = {x["row_id"] for x in nc}
    pack = g.pack
    assert ids == {r.result_id for r in pack.results
                   if r.data_type == "within_group" or r.comparison_kind == "intervention_in_all_arms"}
    used = {t["result_id"] for f in d["findings"] for t in f["trials"] + f["not_poolable"]} | \
        {n["row_id"] for f in d["findings"] for n in f["narrative"]}
    assert not ids & used
    assert not [f for f in d["findings"] if f["comparison"] == "dn_in_all_arms"]


def test_headlines_are_not_chosen_for_their_direction(bundled):
    _, d = bundled
    effect = [m for m in d["key_messages"] if m["kind"] == "effect" and m["finding"]]
    assert effect
    for m in effect:
        f = next(f for f in d["findings"] if [f["outcome"], f["timepoint"], f["comparison"], f["population"]]
                 == m["finding"])
        fam = [x for x in d["findings"] if x["family"] == f["family"] and x["kind"] == "comparative"]
        # no finding of the family is more certain than the headline's
        assert max(LEVEL[x["certainty"]] for x in fam) == LEVEL[f["certainty"]]
        assert f["kind"] == "comparative"
    rom = next(m for m in effect if m["topic"] == "range of motion")
    assert "may not make a clear difference" in rom["headline"] and "no effect shown in" in rom["headline"]
