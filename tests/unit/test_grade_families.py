"""Family summaries, comparison contrasts, mechanism labels, safety rating, and apply() on the bundled pack."""
from __future__ import annotations

import json

import pytest
from scipy.stats import beta

from evigrade.grade import (
    FindingSummaryItem,
    certainty_range,
    comparison_kind,
    contrast_comparisons,
    family_summary,
    mechanism_label,
    safety_rating,
    support_rank,
)


def item(cert, size="moderate", direction="benefit", null=False, excl=False, comparison="sham", outcome="pain"):
    return FindingSummaryItem(outcome, outcome, "pain", comparison, comparison, "short_term", cert, size, direction,
                              null, excl)


class TestFamilies:
    def test_certainty_range(self):
        assert certainty_range(["low", "moderate", "low"]) == "low to moderate"
        assert certainty_range(["very_low", "high"]) == "very low to high"
        assert certainty_range(["low"]) == "low"
        assert certainty_range([]) is None

    def test_consistent_benefit(self):
        fs = family_summary("pain", [item("moderate"), item("low")], intervention="dry needling")
        assert fs.certainty_range == "low to moderate" and fs.consistency == "consistent_benefit"
        # the outcome list is not repeated when it is the family's own name, nor the count when it repeats the verdict
        assert fs.sentence == ("Pain: certainty low to moderate across 2 rated findings; the findings "
                               "consistently favour dry needling.")

    def test_conflict_only_within_a_comparison_kind(self):
        across = family_summary("pain", [item("moderate"), item("low", direction="harm", comparison="injection")])
        within = family_summary("pain", [item("moderate"), item("low", direction="harm")])
        assert across.consistency == "mixed" and within.consistency == "conflicting"

    def test_inconclusive_and_no_difference(self):
        fs = family_summary("f", [item("low", size="trivial", excl=True), item("low", size="trivial", excl=True)])
        assert fs.consistency == "consistent_no_difference"
        fs = family_summary("f", [item("low", null=True), item("moderate")])
        assert fs.counts == {"inconclusive": 1, "favours": 1} and fs.consistency == "mixed"

    def test_all_favour_the_comparator_is_consistent_not_mixed(self):
        fs = family_summary("adverse_events", [item("low", direction="harm", outcome="adverse events"),
                                               item("moderate", direction="harm", outcome="adverse events")],
                            intervention="SSRIs")
        assert fs.consistency == "consistent_comparator"
        assert fs.sentence == ("Adverse events: certainty low to moderate across 2 rated findings; the findings "
                               "consistently favour the comparator.")

    def test_very_uncertain_and_unrated(self):
        fs = family_summary("f", [item("very_low"), item("very_low")])
        assert fs.consistency == "very_uncertain"
        fs = family_summary("strength", [item(None, size=None, direction=None)])
        assert fs.n_rated == 0 and fs.certainty_range is None and "no finding could be rated" in fs.sentence

    def test_comparison_kinds_and_contrast(self):
        assert comparison_kind("add_on", "the same therapy without dry needling") == "add_on"
        assert comparison_kind("sham_or_control", "sham, placebo") == "sham"
        assert comparison_kind("injection", "trigger-point injection") == "active"
        assert comparison_kind("dn_variant", "another form of dry needling") == "between_forms"
        assert comparison_kind("any_comparator", "any comparator (reviews pooling all comparators)") == "mixed"
        cs = contrast_comparisons([item("moderate"), item("low", comparison="add_on"),
                                   item("low", direction="harm", comparison="injection")], intervention="dry needling")
        assert [c.kind for c in cs] == ["sham", "add_on", "active"]
        assert cs[2].sentence == ("Dry needling against other active treatments: 1 rated finding (certainty low); "
                                  "1 favours the comparator.")


class TestMechanisms:
    def ev(self, *rows):
        return [{"support_kind": k, "direction": d} for k, d in rows]

    def test_ranks(self):
        assert [support_rank(k) for k in ("theory", "narrative review", "animal", "human_physiological", "trial",
                                           "RCT (clinical)", "systematic review and meta-analysis")] == [0, 0, 1, 2, 3, 3, 4]

    def test_proposed(self):
        assert mechanism_label(self.ev(("animal", "supports"), ("theory", "theory"))) == "proposed"
        assert mechanism_label([]) == "proposed"
        assert mechanism_label(self.ev(("trial", "does_not_support"))) == "proposed"

    def test_partially_supported(self):
        assert mechanism_label(self.ev(("human_physiological", "partial"))) == "partially supported"
        assert mechanism_label(self.ev(("trial", "supports"), ("trial", "supports"))) == "partially supported"

    def test_established_needs_a_review_and_no_human_evidence_against(self):
        ok = self.ev(("review", "supports"), ("trial", "supports"))
        assert mechanism_label(ok) == "established"
        assert mechanism_label(ok + self.ev(("trial", "does_not_support"))) == "partially supported"
        assert mechanism_label(ok + self.ev(("animal", "does not support"))) == "established"


class TestSafety:
    def pool(self, severity, items, **kw):
        return {"severity": severity, "basis": "treatments", "items": items, **kw}

    def test_reassuring_from_two_consistent_surveys(self):
        s = {"pools": [self.pool("significant_or_serious", [
                {"source_id": "A", "events": 0, "denominator": 7629, "proportion": 0.0},
                {"source_id": "B", "events": 20, "denominator": 20494, "proportion": 20 / 20494}]),
             self.pool("mild", [{"source_id": "A", "proportion": 0.19}, {"source_id": "B", "proportion": 0.37}],
                       estimate=0.27)],
             "case_reports": [{"event": "pneumothorax"}]}
        r = safety_rating(s, intervention="dry needling")
        assert r.label == "reassuring" and r.serious_rare and r.consistent
        assert r.serious_estimate == pytest.approx(20 / 28123)
        assert r.serious_upper == pytest.approx(beta.ppf(0.975, 21, 28123 - 20))
        assert (r.mild_low, r.mild_high) == (0.19, 0.37)
        assert "pneumothorax" in r.sentence and r.case_reports == ("pneumothorax",)

    def test_headline_is_each_source_not_a_pooled_rate(self):
        s = {"pools": [self.pool("significant_or_serious", [
                {"source_id": "A", "events": 0, "denominator": 7629, "proportion": 0.0},
                {"source_id": "B", "events": 20, "denominator": 20494, "proportion": 20 / 20494}],
                measure="not_pooled", estimate=None)],
             "event_types": [{"event_type": "bruising", "severity": "mild", "frequency": "common",
                              "rate_low": 0.0755, "rate_high": 0.077},
                             {"event_type": "numbness", "severity": "mild", "frequency": "rare",
                              "rate_low": 0.0001, "rate_high": 0.0001}]}
        r = safety_rating(s, intervention="dry needling")
        upper_a = beta.ppf(0.975, 1, 7629)
        assert f"A: 0 of 7,629 treatments, exact upper 95% limit {upper_a * 10000:.1f} per 10,000" in r.sentence
        lo_b, hi_b = beta.ppf(0.025, 20, 20494 - 20 + 1), beta.ppf(0.975, 21, 20494 - 20)
        assert f"B: 20 of 20,494, 9.8 per 10,000 (exact 95% CI {lo_b * 1e4:.1f} to {hi_b * 1e4:.1f} per 10,000)" in r.sentence
        assert "bruising (7.55% to 7.7%)" in r.sentence and "numbness" not in r.sentence
        assert r.label == "reassuring" and r.mild_estimate is None
        # one source above 1/1,000 is enough to withhold "rare"
        s2 = {"pools": [self.pool("serious", [{"source_id": "A", "events": 0, "denominator": 7629},
                                              {"source_id": "B", "events": 30, "denominator": 20000}])]}
        assert safety_rating(s2).label == "uncertain" and "cannot yet be called rare" in safety_rating(s2).sentence

    def test_one_source_probably_reassuring_and_too_few_uncertain(self):
        one = {"pools": [self.pool("serious", [{"source_id": "A", "events": 1, "denominator": 5000}])]}
        assert safety_rating(one).label == "probably reassuring"
        few = {"pools": [self.pool("serious", [{"source_id": "A", "events": 0, "denominator": 200}])]}
        assert safety_rating(few).label == "uncertain"
        assert safety_rating({"pools": []}).label == "uncertain"


@pytest.fixture(scope="module")
def graded():
    from evigrade.grade import apply, grade_summary
    from evigrade.packs import load_pack, summarize

    s = summarize(load_pack())
    return s, apply(s), grade_summary(s)


class TestApplyOnBundledPack:

    def test_every_finding_with_an_estimate_is_rated(self, graded):
        s, g, _ = graded
        assert len(g.findings) == len(s.findings)
        for before, after in zip(s.findings, g.findings):
            has = before.estimate is not None and before.ci_low is not None and before.measure
            # issue 13 item 5: evidence without a single estimate is rated too (vote count), so every finding
            # with an estimate or with results reported in words has a certainty
            assert (after.certainty is not None) == bool(has or before.narrative)
            if has or before.narrative:
                assert after.certainty in ("high", "moderate", "low", "very_low")
                assert after.statement.endswith(".")
                assert all(set(d) == {"domain", "levels", "reason_code"} for d in after.downgrades)
            assert after.estimate == before.estimate  # numbers pass through untouched

    def test_json_has_grade_fields(self, graded):
        _, g, _ = graded
        d = json.loads(json.dumps(g.to_dict()))
        rated = [f for f in d["findings"] if f["certainty"]]
        assert rated and all(f["statement"] and isinstance(f["downgrades"], list) for f in rated)
        assert all("certainty_range" in fam and fam["sentence"] for fam in d["families"])
        assert all(m["label"] in ("proposed", "partially supported", "established") for m in d["mechanisms"])
        assert d["safety"]["rating"]["label"] == "reassuring"

    def test_a_review_finding_hand_checked(self, graded):
        # Navarro-Santana 2020 (pooled.csv P002): neck pain short term vs sham/control MD -2.31 (-3.64 to -0.99)
        _, g, _ = graded
        f = next(f for f in g.findings if (f.outcome, f.timepoint, f.comparison, f.population)
                 == ("pain", "short_term", "sham_or_control", "neck"))
        assert (f.estimate, f.ci_low, f.ci_high) == (-2.31, -3.64, -0.99)
        # RoB unknown (-1, conservative); no I²; indirectness judged 'none' by the pack; 'points' of an
        # unstated scale: the NPRS MID is not applied and the CI excludes no effect -> moderate, but
        # inconsistency, imprecision and publication bias cannot be assessed and the review gave no GRADE of its
        # own: two or more domains not assessable cap the certainty at low (issue 13 item 3)
        assert f.certainty == "low" and f.source_certainty is None
        assert [d["reason_code"] for d in f.downgrades] == ["rob_unknown"]
        assert f.statement == ("Dry needling may reduce pain intensity in people with neck pain in the short "
                               "term compared with sham, placebo, waiting list or another form of dry needling. "
                               "Certainty could not be fully assessed (missing inputs for risk of bias, "
                               "inconsistency, imprecision and publication bias).")
        # the review pooled sham with other forms of dry needling (comparison_kind partly_between_forms)
        assert f.kind == "comparative" and f.comparator_includes_intervention

    def test_reviewer_override_through_apply(self, graded):
        from evigrade.grade import Override, apply

        s, _, _ = graded
        key = ("pain", "short_term", "sham_or_control", "neck")
        ov = {key: (Override("risk_of_bias", 0, "Review reports low risk of bias for most trials (full text table 2)"),)}
        g = apply(s, overrides=ov)
        f = next(f for f in g.findings if f.key == key)
        # the override removes the downgrade; the not-assessable cap (issue 13 item 3) still holds at low
        assert f.certainty == "low" and f.downgrades == () and f.grade.rating.capped_by == "not_assessable_cap"
        j = f.grade.rating.judgement("risk_of_bias")
        assert j.source == "override" and "full text table 2" in j.rationale
        assert any("full text table 2" in fn for fn in f.grade.rating.footnotes)

    def test_sof_and_contrasts(self, graded):
        _, g, rep = graded
        n_rated = sum(1 for f in g.findings if f.certainty)
        assert len(rep.sof.rows) == n_rated
        assert all(fn for fn in rep.sof.row_footnotes)  # every row has at least one footnote (RoB unknown)
        assert {c.kind for c in rep.comparisons} == {"sham", "add_on", "active", "between_forms", "mixed"}
        assert rep.conclusion.startswith("Across ") and "Serious adverse events" in rep.conclusion
        json.dumps(rep.to_dict())


class TestNarratives:
    def item(self, verdict_cert=None):
        from evigrade.grade.families import FindingSummaryItem

        return FindingSummaryItem("rom", "range of motion", "range of motion", "sham", "sham", "short_term",
                                  verdict_cert, "moderate" if verdict_cert else None, "benefit" if verdict_cert else None,
                                  False if verdict_cert else None, False if verdict_cert else None)

    def test_review_narrative_said_in_words_never_strengthened(self):
        from evigrade.grade.families import family_summary

        narr = [{"kind": "review", "source_id": "NavarroSantana2020", "direction": "no_difference",
                 "result_as_reported": "qualitative: no effect", "outcome_name": "range of motion",
                 "population_label": "neck pain", "comparison_label": "any comparator"},
                {"kind": "review", "source_id": "FdlP2021", "direction": "no_difference",
                 "result_as_reported": "qualitative: not significant", "outcome_name": "range of motion",
                 "comparison_label": "the same therapy without dry needling"},
                {"kind": "trial", "source_id": "T1", "direction": "favours_intervention"},
                {"kind": "trial", "source_id": "T2", "direction": "favours_comparator"}]
        fam = family_summary("range of motion", [self.item("moderate")], intervention="dry needling", narratives=narr)
        assert ("NavarroSantana2020 (review) reported no effect on range of motion (neck pain; vs any comparator)"
                in fam.sentence)
        # 'not significant' is "no significant effect", not "no effect"
        assert "FdlP2021 (review) reported no significant effect on range of motion" in fam.sentence
        assert "2 trial results without an effect estimate (1 favours dry needling, 1 favours the comparator)" in fam.sentence
        assert fam.narrative_counts == {"favours_intervention": 1, "favours_comparator": 1}
        assert len(fam.to_dict()["narratives"]) == 4
        none = family_summary("stiffness", [self.item()], intervention="dry needling", narratives=narr[2:3])
        assert none.sentence.startswith("Stiffness (range of motion): no finding has a numeric estimate")


@pytest.fixture(scope="module")
def report():
    from evigrade.grade import grade_summary
    from evigrade.packs import load_pack, summarize

    return grade_summary(summarize(load_pack()))


class TestKeyMessages:

    def test_derived_from_the_best_supported_finding(self, report):
        msgs = report.key_messages
        pain = msgs[0]
        # low: the not-assessable cap (issue 13 item 3) leaves no pain finding above low
        assert (pain.kind, pain.topic, pain.certainty) == ("effect", "pain", "low")
        # the most reliable body of evidence whatever its direction: highest certainty, then the most direct
        # comparator; NavarroSantana2020 pooled sham with other forms of dry needling (partly between forms), so
        # its comparator counts as mixed and Liu2015 (sham, placebo, no treatment or waiting list) comes first
        assert pain.finding == ("pain", "short_term", "sham_or_no_treatment", "neck_shoulder")
        assert pain.sources == ("Liu2015",)
        # no key message claims more certainty than its finding has
        by_key = {tuple(str(getattr(f, k)) for k in ("outcome", "timepoint", "comparison", "population")): g
                  for f, g in zip(__import__("evigrade.packs", fromlist=["summarize"]).summarize().findings,
                                  report.findings) if g is not None}
        for m in msgs:
            if m.finding:
                assert by_key[m.finding].certainty == m.certainty
                assert by_key[m.finding].statement[:-1] in m.text

    def test_no_mechanism_called_established_when_none_is(self, report):
        mech = next(m for m in report.key_messages if m.kind == "mechanisms")
        assert "none of the 12 proposed mechanisms is established" in mech.text

    def test_to_dict_is_json(self, report):
        d = json.loads(json.dumps(report.to_dict()))
        assert d["key_messages"] and all(set(m) == {"kind", "topic", "headline", "text", "certainty",
                                                    "certainty_range", "sources", "finding"}
                                         for m in d["key_messages"])

    def test_headline_is_the_one_line_message(self, report):
        # effect headlines are the rated statement with its numbers; text adds the family context
        for m in report.key_messages:
            d = m.to_dict()
            if m.kind == "effect" and m.certainty is not None:
                assert m.text.startswith(m.headline) and len(m.headline) < len(m.text)
                assert "Not rated" not in m.headline
            assert d["headline"]
