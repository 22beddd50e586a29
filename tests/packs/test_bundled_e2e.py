"""End to end on the bundled dry-needling pack: ``evigrade summarize --json`` and real figures
checked against values computed by hand from the pack's own numbers."""
from __future__ import annotations

import json
import math

import pytest
from numpy.testing import assert_allclose
from scipy.stats import beta, norm

from evigrade.cli import main
from evigrade.packs import load_pack


def _run_json(capsys, *args: str) -> dict:
    rc = main(["summarize", "--json", *args])
    out = capsys.readouterr().out
    assert rc == 0
    return json.loads(out)


@pytest.fixture(scope="module")
def summary_json():
    # one CLI run shared by the tests below (no GRADE: these tests check the summary's own figures)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["summarize", "--json", "--no-grade"])
    assert rc == 0
    return json.loads(buf.getvalue())


def _cell(d, outcome, timepoint, comparison, population):
    hits = [f for f in d["findings"] if (f["outcome"], f["timepoint"], f["comparison"], f["population"])
            == (outcome, timepoint, comparison, population)]
    assert len(hits) == 1, (outcome, timepoint, comparison, population)
    return hits[0]


def test_review_row_passes_through_unchanged(summary_json):
    # pooled.csv P002: Navarro-Santana 2020, pain short term vs sham/placebo/WL, MD -2.31 (-3.64 to -0.99)
    f = _cell(summary_json, "pain", "short_term", "sham_or_control", "neck")
    assert (f["basis"], f["status"], f["measure"]) == ("review", "review", "MD")
    assert (f["estimate"], f["ci_low"], f["ci_high"]) == (-2.31, -3.64, -0.99)
    assert f["k"] is None and f["participants"] is None  # not stated per estimate: a gap stays a gap
    assert f["primary_review"] == "P002" and any("pooled.csv P002" in s for s in f["sources"])
    assert f["benefit"] == "lower" and f["mid"] == 1.3


def test_reversed_review_sign(summary_json):
    # pooled.csv P040: printed as TrP injection minus DN, MD -2.13 (-3.22 to -1.03); harmonised: DN minus injection
    f = _cell(summary_json, "pain", "short_term", "injection", "neck")
    assert (f["estimate"], f["ci_low"], f["ci_high"]) == (2.13, 1.03, 3.22)
    rv = next(r for r in f["reviews"] if r["review_row_id"] == "P040")
    assert (rv["estimate_as_reported"], rv["ci_low_as_reported"], rv["ci_high_as_reported"]) == (-2.13, -3.22, -1.03)
    assert rv["orientation"] == "reversed" and rv["primary"] is True
    assert any(n["code"] == "sign_reversed" for n in f["notes"])


def test_primary_review_rule_and_alternatives(summary_json):
    f = _cell(summary_json, "pain", "short_term", "any_comparator", "shoulder")
    # Para-Garcia 2022 (most recent) over Navarro-Santana 2021 (MD and SMD rows)
    assert f["primary_review"] == "P029"
    assert (f["measure"], f["estimate"], f["ci_low"], f["ci_high"], f["k"]) == ("SMD", -0.27, -0.49, -0.05, 5)
    ids = sorted(r["review_row_id"] for r in f["reviews"])
    assert ids == ["P018", "P019", "P026", "P029", "P072"]  # P026/P072: qualitative statements, listed too
    assert {r["review_row_id"] for r in f["reviews"] if r["reported_as"] == "numeric"} == {"P018", "P019", "P029"}
    assert sum(r["primary"] for r in f["reviews"]) == 1
    assert any(n["code"] == "overlapping_reviews" for n in f["notes"])
    assert "alternatives" in f["comparison_with_reviews"]


def test_unclear_sign_never_primary(summary_json):
    f = _cell(summary_json, "pain", "immediate", "injection", "neck_shoulder")  # Ong 2014, convention not stated
    assert f["status"] == "no_estimate" and f["estimate"] is None
    assert [r["orientation"] for r in f["reviews"]] == ["unclear"]
    assert f["reviews"][0]["estimate"] == 0.41  # listed as printed


def test_one_trial_rests_on_review_and_lists_rows(summary_json):
    f = _cell(summary_json, "pain", "short_term", "add_on", "neck")
    assert f["basis"] == "review" and f["primary_review"] == "P010"
    assert (f["measure"], f["estimate"], f["ci_low"], f["ci_high"]) == ("SMD", -1.46, -2.25, -0.67)
    # Stieven 2020: printed MD 1.56 (1.11 to 2.36), positive = more reduction with DN -> -1.56 (-2.36 to -1.11)
    (t,) = f["trials"]
    assert t["result_id"] == "O037" and (t["estimate"], t["ci_low"], t["ci_high"]) == (-1.56, -2.36, -1.11)
    assert_allclose(t["vi"], ((2.36 - 1.11) / (2 * norm.ppf(0.975))) ** 2, rtol=1e-12)
    reasons = {n["result_id"]: n["reason"] for n in f["not_poolable"]}
    assert "same study" in reasons["O038"]
    assert any(n["code"] == "rests_on_review" for n in f["notes"])


def test_single_trial_risk_ratio_by_hand(summary_json):
    # outcomes.csv O113: self-perceived improvement 18/30 (DN) vs 7/30 (sham)
    f = _cell(summary_json, "global_improvement", "immediate", "sham", "neck")
    assert (f["basis"], f["status"], f["measure"], f["k"], f["participants"]) == ("trials", "single_trial", "RR", 1, 60)
    rr = (18 / 30) / (7 / 30)
    se = math.sqrt(1 / 18 - 1 / 30 + 1 / 7 - 1 / 30)
    z = norm.ppf(0.975)
    assert_allclose([f["estimate"], f["ci_low"], f["ci_high"]],
                    [rr, math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)], rtol=1e-12)


def test_single_trial_effect_as_reported(summary_json):
    f = _cell(summary_json, "disability", "short_term", "add_on", "shoulder")  # Arias-Buria 2017 DASH
    assert (f["status"], f["estimate"], f["ci_low"], f["ci_high"], f["k"], f["participants"]) == \
        ("single_trial", -20.6, -23.8, -17.4, 1, 50)


def test_different_instruments_are_not_pooled(summary_json):
    f = _cell(summary_json, "disability", "long_term", "add_on", "shoulder")  # DASH and SPADI: MDs not combinable
    assert f["status"] == "single_trial" and f["k"] == 1
    assert "different measure or scale" in f["not_poolable"][0]["reason"]


def test_safety_rates_and_exact_bounds_by_hand(summary_json):
    s = summary_json["safety"]
    mild = next(p for p in s["pools"] if (p["severity"], p["basis"]) == ("mild", "treatments"))
    brady = next(i for i in mild["items"] if i["source_id"] == "Brady2014")
    x, n = 1463, 7629
    assert (brady["events"], brady["denominator"]) == (x, n)
    assert_allclose(brady["proportion"], x / n, rtol=1e-15)
    assert_allclose([brady["ci_low"], brady["ci_high"]],
                    [beta.ppf(0.025, x, n - x + 1), beta.ppf(0.975, x + 1, n - x)], rtol=1e-12)
    # two sources: not pooled (SAFETY_MIN_POOL_K = 3); the headline is each source's exact rate and the range
    assert mild["k"] == 2 and mild["measure"] == "not_pooled" and mild["pooled"] is False
    assert mild["events"] == 1463 + 7531 and mild["total"] == 7629 + 20464
    assert mild["estimate"] is None and mild["ci_low"] is None and mild["ci_high"] is None
    assert_allclose([mild["range_low"], mild["range_high"]], [1463 / 7629, 7531 / 20464], rtol=1e-15)
    assert any(n["code"] == "not_pooled_few_sources" for n in mild["notes"])
    serious = next(p for p in s["pools"] if (p["severity"], p["basis"]) == ("significant_or_serious", "treatments"))
    zero = next(i for i in serious["items"] if i["source_id"] == "Brady2014")
    assert zero["events"] == 0 and zero["denominator"] == n
    assert_allclose(zero["ci_high"], 1 - 0.025 ** (1 / n), rtol=1e-10)
    assert_allclose(zero["rule_of_three"], 3 / n, rtol=1e-15)
    boyce = next(i for i in serious["items"] if i["source_id"] == "Boyce2020")
    assert (boyce["events"], boyce["denominator"]) == (20, 20494)
    assert len(s["case_reports"]) == 4 and all("pneumothora" in c["event"] for c in s["case_reports"])


def test_mechanisms_strongest_support(summary_json):
    m = {c["claim"]: c for c in summary_json["mechanisms"]}
    ltr = m["Local twitch response (LTR)"]
    assert ltr["strongest_support"] == "review"  # M002 meta-analysis, partial support
    mult = m["Multiple combined mechanisms (narrative frameworks)"]
    assert mult["strongest_support"] is None and mult["strongest_any"] == "theory"
    assert sum(len(c["evidence"]) for c in summary_json["mechanisms"]) == 40


def test_nothing_dropped_silently(summary_json):
    pack = load_pack()
    want = {(r.result_id, o) for r in pack.results for o in r.outcomes}
    got = []
    for f in summary_json["findings"]:
        got += [(t["result_id"], f["outcome"]) for t in f["trials"]]
        got += [(t["result_id"], f["outcome"]) for t in f["not_poolable"]]
    # results that are not comparative effects (within-group changes; the intervention in every arm) are listed
    # apart in non_comparative, never findings (issue 13 item 5)
    nc = summary_json["non_comparative"]
    assert nc and {x["kind"] for x in nc} <= {"within_group", "intervention_in_all_arms"}
    got += [(x["row_id"], o) for x in nc if x["source_kind"] == "trial" for o in x["outcomes"]]
    assert sorted(got) == sorted(want)
    assert {x["row_id"] for x in nc if x["kind"] == "intervention_in_all_arms"} == \
        {r.result_id for r in pack.results if r.comparison_kind == "intervention_in_all_arms"}
    want_r = {(r.review_row_id, o) for r in pack.reviews for o in r.outcomes}
    got_r = [(r["review_row_id"], f["outcome"]) for f in summary_json["findings"] for r in f["reviews"]]
    got_r += [(x["row_id"], o) for x in nc if x["source_kind"] == "review" for o in x["outcomes"]]
    assert sorted(got_r) == sorted(want_r)


def test_json_shape_and_determinism(summary_json, capsys):
    for f in summary_json["findings"]:
        for key in ("outcome", "family", "timepoint", "comparison", "measure", "estimate", "ci_low", "ci_high",
                    "k", "participants", "basis", "sources"):
            assert key in f
        assert f["basis"] in ("trials", "review")
    again = _run_json(capsys, "--no-grade")
    assert again == summary_json


def test_with_grade_hook(capsys):
    d = _run_json(capsys)
    f = _cell(d, "pain", "short_term", "sham_or_control", "neck")
    assert f["certainty"] in ("high", "moderate", "low", "very_low")
    assert isinstance(f["statement"], str) and f["statement"]
    assert (f["estimate"], f["ci_low"], f["ci_high"]) == (-2.31, -3.64, -0.99)  # GRADE never changes numbers


def test_safety_pools_from_three_sources_equal_metafor(summary_json):
    """With k >= 3 the logit REML + HKSJ pool is used (the numbers themselves are checked against metafor in
    test_pack_proportions.py); with k < 3 nothing is pooled (above)."""
    import dataclasses

    from evigrade.packs import load_pack, summarize
    from evigrade.pipeline.findings import SAFETY_MIN_POOL_K
    from evigrade.stats.proportions import meta_proportions

    assert SAFETY_MIN_POOL_K == 3
    pack = load_pack()
    s0 = next(r for r in pack.safety if r.safety_id == "S001")
    extra = dataclasses.replace(s0, safety_id="SX1", source_id="Extra", n_treatments=1000, events=250)
    pack3 = dataclasses.replace(pack, safety=tuple(pack.safety) + (extra,))
    mild = next(p for p in summarize(pack3).safety.pools if (p.severity, p.basis) == ("mild", "treatments"))
    assert mild.pooled and mild.measure == "PLO" and mild.k == 3
    ref = meta_proportions([1463, 7531, 250], [7629, 20464, 1000], measure="PLO", method="REML", test="knha")
    assert_allclose([mild.estimate, mild.ci_low, mild.ci_high], [ref.estimate, ref.ci_low, ref.ci_high], rtol=1e-12)


def test_common_mild_event_types_from_stated_rates(summary_json):
    s = summary_json["safety"]
    types = {e["event_type"]: e for e in s["event_types"]}
    bruising = types["bruising"]
    assert bruising["frequency"] == "common" and bruising["severity"] == "mild"
    assert sorted((r["source_id"], r["safety_id"], r["proportion"]) for r in bruising["rates"]) == \
        [("Boyce2020", "S019", 0.077), ("Brady2014", "S003", 0.0755)]
    sore = types["pain or soreness after treatment"]
    assert [r["safety_id"] for r in sore["rates"]] == ["S006"] and sore["rates"][0]["proportion"] == 0.0219
    assert {"Hong1994", "PNS_background_JCM2021"} <= {m["source_id"] for m in sore["mentions"]}
    assert set(s["common_mild_events"]) == {"bleeding", "bruising", "pain during treatment",
                                            "pain or soreness after treatment"}
    # rare mild events stay rare (Brady 2014: numbness 0.01% of treatments)
    assert types["numbness"]["frequency"] == "rare"
    # respondent-level survey percentages are never read as per-treatment rates
    assert all(r["safety_id"] not in ("S022", "S026", "S035") for e in s["event_types"] for r in e["rates"])
    # the definitions row (severity 'unclassified') is not an event
    assert not any(e["severity"] == "unclassified" for e in s["event_types"])


def test_risk_difference_in_percentage_points_is_converted(summary_json):
    f = _cell(summary_json, "acceptable_state", "mid_term", "sham", "shoulder")  # Hando 2026 PASS: 24 (4 to 45)
    assert (f["measure"], f["estimate"], f["ci_low"], f["ci_high"]) == ("RD", 0.24, 0.04, 0.45)
    assert f["effect_unit"] == "proportion"
    assert any(n["code"] == "rd_percentage_points" for n in f["notes"])


def test_review_k_and_participants_stay_null(summary_json):
    f = _cell(summary_json, "pain", "short_term", "sham_or_control", "neck")
    assert f["k"] is None and f["participants"] is None and f["evidence_form"] == "numeric"
    assert f["effect_unit"] == "points (scale not stated in abstract)"


def test_narrative_review_result_is_kept(summary_json):
    # Navarro-Santana 2020 (pooled.csv P008): no effect on cervical range of motion, no numbers
    f = _cell(summary_json, "rom", "unspecified", "any_comparator", "neck")
    assert f["estimate"] is None and f["evidence_form"] == "narrative"
    assert f["certainty_note"] == "certainty not rated: no numeric estimate" and f["certainty"] is None
    n = next(x for x in f["narrative"] if x["row_id"] == "P008")
    assert (n["kind"], n["source_id"], n["direction"]) == ("review", "NavarroSantana2020", "no_difference")
    assert f["reported_direction"] == "no_difference"


def test_stiffness_is_its_own_family(summary_json):
    fs = [f for f in summary_json["findings"] if f["outcome"] == "stiffness"]
    assert fs and all(f["family"] == "muscle stiffness" for f in fs)
    rows = {n["row_id"]: n["direction"] for f in fs for n in f["narrative"]}
    assert rows == {"O044": "no_difference", "O096": "favours_comparator"}


@pytest.mark.parametrize("text, expected", [
    ("favours DN", "favours_intervention"), ("favours exercise + DN", "favours_intervention"),
    ("no effect", "no_difference"), ("no significant effect", "no_difference"),
    ("favours DN but not statistically significant", "no_difference"),
    ("favours HPPT ultrasound", "favours_comparator"), ("favours lidocaine", "favours_comparator"),
    ("DN better than no/placebo; similar to other approaches", "mixed"),
    ("favours deep DN", "unclear"), ("both groups improved (between-group result not stated)", "unclear"),
    ("", "unclear"),
])
def test_direction_class(text, expected):
    from evigrade.pipeline.findings import direction_class

    # the intervention's names and the phrases come from the bundled pack (pack.toml [question], [directions])
    assert direction_class(text, load_pack().topic) == expected


# README 4.4 of the shared evidence: each source's sign convention, and the side the harmonised
# (dry needling minus comparator) estimate must fall on.  'benefit' = the direction that is better for
# the outcome (lower pain/disability, higher PPT/ROM).
SIGN_CASES = [
    ("P002", "benefit"),  # Navarro-Santana 2020 pain: negative favours DN, as reported
    ("P007", "benefit"),  # Navarro-Santana 2020 PPT: positive favours DN, as reported
    ("P040", "harm"),     # Navarro-Santana 2022: printed injection minus DN (negative favours injection) -> reversed
    ("P024", "harm"),     # Liu 2015 wet needling vs DN: positive reported as favouring wet needling
    ("P025", "harm"),     # Liu 2015 other therapies vs DN: positive favours other therapies
    ("P051", "benefit"),  # Xu 2023: positive reported as favouring DN over ischemic compression -> reversed
    ("P053", "benefit"),  # Xu 2023 ROM MD -2.12 reported as favouring DN -> reversed
]


@pytest.mark.parametrize("row_id, side", SIGN_CASES)
def test_harmonised_signs_follow_readme_4_4(summary_json, row_id, side):
    f, rv = next((f, r) for f in summary_json["findings"] for r in f["reviews"] if r["review_row_id"] == row_id)
    est = rv["estimate"]
    better = est < 0 if f["benefit"] == "lower" else est > 0
    assert better == (side == "benefit"), (row_id, f["outcome"], est)
    if rv["orientation"] == "reversed":
        assert est == -rv["estimate_as_reported"]


def test_trial_signs_follow_readme_4_4(summary_json):
    # Hando 2026: negative SPADI difference favours DN, kept as reported (Stieven 2020's reversal: test above)
    hando = next(t for f in summary_json["findings"] for t in f["trials"] if t["result_id"] == "O121")
    assert hando["estimate"] == -9.85 and hando["orientation"] == "as_reported"


def test_multi_outcome_narrative_is_read_per_outcome(summary_json):
    """Espejo-Antunez 2017 (P071): 'DN effective short term for pain, ROM, QoL; insufficient evidence for
    disability ...' -- favours DN for pain/ROM/QoL, unclear for disability; Sports 2024 (P072) speaks
    about pain only, so it says nothing about strength."""
    d = {(f["outcome"], n["row_id"]): n["direction"] for f in summary_json["findings"] for n in f["narrative"]}
    assert d[("pain", "P071")] == d[("rom", "P071")] == d[("quality_of_life", "P071")] == "favours_intervention"
    assert d[("disability", "P071")] == "unclear"
    assert d[("pain", "P072")] == "favours_intervention" and d[("strength", "P072")] == "unclear"
    # one statement about every outcome of a trial applies to each (De Meulemeester 2017, O044)
    assert d[("stiffness", "O044")] == d[("pain", "O044")] == "no_difference"
