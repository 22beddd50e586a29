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
        assert fs.sentence == ("Pain (pain): certainty low to moderate across 2 rated findings; the findings "
                               "consistently favour dry needling (2 favour dry needling).")

    def test_conflict_only_within_a_comparison_kind(self):
        across = family_summary("pain", [item("moderate"), item("low", direction="harm", comparison="injection")])
        within = family_summary("pain", [item("moderate"), item("low", direction="harm")])
        assert across.consistency == "mixed" and within.consistency == "conflicting"

    def test_inconclusive_and_no_difference(self):
        fs = family_summary("f", [item("low", size="trivial", excl=True), item("low", size="trivial", excl=True)])
        assert fs.consistency == "consistent_no_difference"
        fs = family_summary("f", [item("low", null=True), item("moderate")])
        assert fs.counts == {"inconclusive": 1, "favours": 1} and fs.consistency == "mixed"

    def test_very_uncertain_and_unrated(self):
        fs = family_summary("f", [item("very_low"), item("very_low")])
        assert fs.consistency == "very_uncertain"
        fs = family_summary("strength", [item(None, size=None, direction=None)])
        assert fs.n_rated == 0 and fs.certainty_range is None and "no finding could be rated" in fs.sentence

    def test_comparison_kinds_and_contrast(self):
        assert comparison_kind("add_on", "the same therapy without dry needling") == "add_on"
        assert comparison_kind("sham_or_control", "sham, placebo") == "sham"
        assert comparison_kind("injection", "trigger-point injection") == "active"
        assert comparison_kind("dn_variant", "another form of dry needling") == "dn_variant"
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

    def test_one_source_probably_reassuring_and_too_few_uncertain(self):
        one = {"pools": [self.pool("serious", [{"source_id": "A", "events": 1, "denominator": 5000}])]}
        assert safety_rating(one).label == "probably reassuring"
        few = {"pools": [self.pool("serious", [{"source_id": "A", "events": 0, "denominator": 200}])]}
        assert safety_rating(few).label == "uncertain"
        assert safety_rating({"pools": []}).label == "uncertain"


class TestApplyOnBundledPack:
    @pytest.fixture(scope="class")
    def graded(self):
        from evigrade.grade import apply, grade_summary
        from evigrade.packs import load_pack, summarize

        s = summarize(load_pack())
        return s, apply(s), grade_summary(s)

    def test_every_finding_with_an_estimate_is_rated(self, graded):
        s, g, _ = graded
        assert len(g.findings) == len(s.findings)
        for before, after in zip(s.findings, g.findings):
            has = before.estimate is not None and before.ci_low is not None and before.measure
            assert (after.certainty is not None) == bool(has)
            if has:
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
        # unstated scale: the NPRS MID is not applied and the CI excludes no effect -> moderate
        assert f.certainty == "moderate"
        assert [d["reason_code"] for d in f.downgrades] == ["rob_unknown"]
        assert f.statement == ("Dry needling probably reduces pain intensity in people with neck pain in the short "
                               "term compared with sham, placebo, no treatment or waiting list.")

    def test_reviewer_override_through_apply(self, graded):
        from evigrade.grade import Override, apply

        s, _, _ = graded
        key = ("pain", "short_term", "sham_or_control", "neck")
        ov = {key: (Override("risk_of_bias", 0, "Review reports low risk of bias for most trials (full text table 2)"),)}
        g = apply(s, overrides=ov)
        f = next(f for f in g.findings if f.key == key)
        assert f.certainty == "high" and f.downgrades == ()
        j = f.grade.rating.judgement("risk_of_bias")
        assert j.source == "override" and "full text table 2" in j.rationale
        assert any("full text table 2" in fn for fn in f.grade.rating.footnotes)

    def test_sof_and_contrasts(self, graded):
        _, g, rep = graded
        n_rated = sum(1 for f in g.findings if f.certainty)
        assert len(rep.sof.rows) == n_rated
        assert all(fn for fn in rep.sof.row_footnotes)  # every row has at least one footnote (RoB unknown)
        assert {c.kind for c in rep.comparisons} == {"sham", "add_on", "active", "dn_variant", "mixed"}
        assert rep.conclusion.startswith("Across ") and "Serious adverse events" in rep.conclusion
        json.dumps(rep.to_dict())
