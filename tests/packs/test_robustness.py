"""evigrade.packs.robustness on the bcg_moderators test pack (metadat::dat.bcg; Colditz GA et al.
JAMA 1994;271(9):698-702, with dat.bcg's moderators alloc and ablat): every number equals R metafor
3.8.1 (tests/reference/golden/packs_robustness.json, written by tests/reference/r/packs_robustness.R),
and the results reach summarize --json, GRADE (Peters' test for this binary outcome, the subgroup
explanation in the inconsistency rationale) and the report (subgroup rows, sensitivity and small-study lines).
"""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.packs import load_pack, summarize
from evigrade.pipeline.robustness import (
    MIN_K_SMALL_STUDY,
    PEDRO_HIGH_BELOW,
    Robustness,
    attach_robustness,
    robustness,
)

HERE = Path(__file__).parent
PACK = HERE / "data" / "bcg_moderators"
NORMAND = HERE / "data" / "normand1999"
GOLDEN = json.loads((HERE.parent / "reference" / "golden" / "packs_robustness.json").read_text())
# REML is iterated to metafor's threshold 1e-12 on both sides and jsonlite wrote 15 significant digits;
# observed differences are <= 2.3e-11 relative (meta-regression), so 1e-8 leaves room for platform BLAS
# differences only.
RTOL = 1e-8
# closed-form quantities (weighted least squares, Kendall's tau): observed ~1e-15
RTOL_EXACT = 1e-10


@pytest.fixture(scope="module")
def summary():
    return summarize(load_pack(PACK))


@pytest.fixture(scope="module")
def finding(summary):
    (f,) = summary.findings
    return f


@pytest.fixture(scope="module")
def rob(finding) -> Robustness:
    assert isinstance(finding.robustness, Robustness)
    return finding.robustness


def test_golden_provenance_and_main_fit(finding):
    assert GOLDEN["metafor_version"] == "3.8.1" and GOLDEN["dataset"] == "metadat::dat.bcg"
    assert_allclose(finding.meta.estimate, GOLDEN["estimate"], rtol=RTOL)
    assert_allclose(finding.meta.tau2, GOLDEN["tau2"], rtol=RTOL)


def test_subgroups_by_allocation_equal_metafor(rob):
    mod = next(m for m in rob.moderators if m.id == "allocation")
    assert (mod.status, mod.column) == ("subgroups", "alloc")
    g_r = GOLDEN["subgroups_alloc"]
    sg = mod.subgroup
    assert [g.level for g in sg.groups] == [g["level"] for g in g_r["groups"]]
    assert [g.k for g in sg.groups] == [g["k"] for g in g_r["groups"]]
    for key in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2"):
        assert_allclose([getattr(g, key) for g in sg.groups], [g[key] for g in g_r["groups"]], rtol=RTOL, err_msg=key)
    assert_allclose(sg.q_between, g_r["q_between"], rtol=RTOL)
    assert sg.q_between_df == (g_r["q_between_df"],)
    assert_allclose(mod.pval, g_r["q_between_pvalue"], rtol=RTOL)
    assert sg.tau2_mode == "separate" and sg.distribution == "chi2"
    # forest-plot rows on the display scale (risk ratios)
    rows = rob.subgroup_rows()
    assert [r["label"] for r in rows] == ["allocation: alternate", "allocation: random", "allocation: systematic"]
    assert_allclose([r["estimate"] for r in rows], np.exp([g["estimate"] for g in g_r["groups"]]), rtol=RTOL)
    assert_allclose([r["ci_high"] for r in rows], np.exp([g["ci_high"] for g in g_r["groups"]]), rtol=RTOL)


def test_meta_regression_on_latitude_equals_metafor(rob):
    mod = next(m for m in rob.moderators if m.id == "latitude")
    assert mod.status == "regression"
    reg, g = mod.regression, GOLDEN["regression_ablat"]
    for key in ("coef", "se", "pval", "ci_low", "ci_high"):
        assert_allclose(getattr(reg, key), g[key], rtol=RTOL, err_msg=key)
    assert_allclose([reg.qm, reg.qm_pvalue, reg.tau2, reg.r2], [g["qm"], g["qm_pvalue"], g["tau2"], g["r2"]], rtol=RTOL)
    assert tuple(reg.qm_df) == tuple(g["qm_df"])
    # p < 0.10: offered to GRADE's inconsistency rule as a possible explanation
    (ex,) = rob.subgroup_explanations()
    assert ex["moderator"] == "latitude"
    assert_allclose(ex["pval"], g["qm_pvalue"], rtol=RTOL)


def test_absent_moderator_column_is_kept_with_a_note(rob):
    mod = next(m for m in rob.moderators if m.id == "dose")
    assert mod.status == "not_present" and "no column 'dose'" in mod.reason
    assert any(n.code == "moderator_not_present" for n in rob.notes)


def test_leave_one_out_equals_metafor(rob):
    s, g = rob.sensitivity, GOLDEN["leave_one_out"]
    loo = s.leave_one_out
    for key in ("estimate", "ci_low", "ci_high", "tau2"):
        assert_allclose(loo.column(key), g[key], rtol=RTOL, err_msg=key)
    assert_allclose([s.loo_min, s.loo_max], [min(g["estimate"]), max(g["estimate"])], rtol=RTOL)
    assert s.loo_min_study == rob.study[int(np.argmin(g["estimate"]))] == "T8"
    assert s.loo_max_study == rob.study[int(np.argmax(g["estimate"]))] == "T4"
    full_excludes_null = True  # RR 0.49 (0.33 to 0.73)
    expected = tuple(st for st, lo, hi in zip(rob.study, g["ci_low"], g["ci_high"]) if (hi < 0 or lo > 0) != full_excludes_null)
    assert s.changes_significance == expected == ()


def test_without_high_risk_of_bias_equals_metafor(rob):
    s, g = rob.sensitivity, GOLDEN["without_high_rob"]
    assert s.high_rob == ("T5", "T6", "T10", "T11", "T12", "T13")  # alternate/systematic allocation
    assert s.rob_unknown == ("T1", "T2", "T3", "T4", "T7", "T8", "T9")
    red = s.without_high_rob.reduced
    assert red.k == g["k"]
    assert_allclose([red.estimate, red.ci_low, red.ci_high, red.tau2],
                    [g["estimate"], g["ci_low"], g["ci_high"], g["tau2"]], rtol=RTOL)
    assert any(n.code == "rob_unknown_kept" for n in rob.notes)


def test_influence_equals_metafor(rob):
    inf, g = rob.sensitivity.influence, GOLDEN["influence"]
    for key in ("rstudent", "cook_d", "hat"):
        assert_allclose(getattr(inf, key), g[key], rtol=RTOL, err_msg=key)
    assert list(inf.influential) == g["is_infl"]
    assert rob.sensitivity.influential == tuple(s for s, f in zip(rob.study, g["is_infl"]) if f)


def test_small_study_tests_binary_outcome_use_peters(rob):
    ss = rob.small_study
    assert ss.assessable and ss.k == 13 >= MIN_K_SMALL_STUDY and ss.test == "Peters"
    p = GOLDEN["peters"]
    assert_allclose([ss.primary.stat, ss.pval], [p["stat"], p["pval"]], rtol=RTOL_EXACT)
    assert ss.primary.df == p["df"] and ss.primary.predictor == "ninv"
    e = GOLDEN["egger"]
    assert_allclose([ss.egger.stat, ss.egger.pval], [e["stat"], e["pval"]], rtol=RTOL_EXACT)
    assert_allclose([ss.rank.tau, ss.rank.pval], [GOLDEN["ranktest"]["tau"], GOLDEN["ranktest"]["pval"]], rtol=RTOL_EXACT)
    tf, gt = ss.trimfill, GOLDEN["trimfill"]
    assert (tf.k0, tf.side) == (gt["k0"], gt["side"])
    assert_allclose([tf.adjusted.estimate, tf.adjusted.ci_low, tf.adjusted.ci_high],
                    [gt["estimate"], gt["ci_low"], gt["ci_high"]], rtol=RTOL)
    assert any(n.code == "peters_measure" for n in ss.notes)  # applied to a log RR, said so


def test_continuous_outcome_uses_egger(finding):
    r = robustness(dataclasses.replace(finding, measure="SMD"), load_pack(PACK))
    assert r.small_study.test == "Egger"
    assert_allclose(r.small_study.pval, GOLDEN["egger"]["pval"], rtol=RTOL_EXACT)


def test_peters_without_sample_sizes_falls_back_to_egger_with_note(finding):
    trials = tuple(dataclasses.replace(t, n=None) for t in finding.trials)
    r = robustness(dataclasses.replace(finding, trials=trials), load_pack(PACK))
    assert r.small_study.test == "Egger"
    assert_allclose(r.small_study.pval, GOLDEN["egger"]["pval"], rtol=RTOL_EXACT)
    assert any(n.code == "peters_needs_n" for n in r.small_study.notes)


def test_to_dict_is_json_and_reaches_summarize_json(summary):
    d = summary.to_dict()["findings"][0]
    text = json.dumps(d, allow_nan=False)
    assert "NaN" not in text
    rd = d["robustness"]
    assert rd["scale"] == "log" and rd["measure"] == "RR" and rd["k"] == 13
    assert [m["status"] for m in rd["moderators"]] == ["subgroups", "regression", "not_present"]
    assert_allclose(rd["small_study"]["pval"], GOLDEN["peters"]["pval"], rtol=RTOL_EXACT)
    assert_allclose(rd["sensitivity"]["display_loo_min"], math.exp(min(GOLDEN["leave_one_out"]["estimate"])), rtol=RTOL)
    assert_allclose(rd["sensitivity"]["without_high_rob"]["display_estimate"],
                    math.exp(GOLDEN["without_high_rob"]["estimate"]), rtol=RTOL)
    # the report's subgroup rows
    assert [r["k"] for r in d["subgroups"]] == [2, 7, 4]


def test_grade_uses_peters_and_mentions_the_subgroup_explanation(summary):
    from evigrade.grade import apply

    f = apply(summary).findings[0].to_dict()
    js = {j["domain"]: j for j in f["grade"]["rating"]["judgements"]}
    pb = js["publication_bias"]
    assert pb["numbers"]["test"] == "Peters" and pb["reason_code"] == "publication_bias_none"
    assert_allclose(pb["numbers"]["p"], GOLDEN["peters"]["pval"], rtol=RTOL_EXACT)
    assert pb["rationale"].startswith("Peters' test")
    inc = js["inconsistency"]
    assert inc["levels"] == -2  # explanation is mentioned, the level is not changed
    assert "Absolute latitude" in inc["rationale"] and "p = 0.005" in inc["rationale"]
    assert_allclose(inc["numbers"]["subgroup_explanations"][0]["p"], GOLDEN["regression_ablat"]["qm_pvalue"], rtol=RTOL)


def test_report_shows_subgroups_sensitivity_and_small_study_lines(summary):
    from evigrade.grade import apply
    from evigrade.report import render

    md = render(apply(summary), fmt="md")
    assert "| **allocation: random** | 0.38 (0.20 to 0.70) |" in md
    assert "Test for subgroup differences: \u03c7\u00b2 = 2.04, df = 2, p = 0.361." in md
    assert "ranged from RR 0.45 (without T8) to 0.53 (without T4)" in md
    assert "Without the 6 trials at high risk of bias (T5, T6, T10, T11, T12, T13): RR 0.38 (0.20 to 0.70), 7 trials" in md
    assert "Small-study effects: Peters' test p = 0.175; rank correlation (Begg) p = 0.952" in md
    html = render(apply(summary), fmt="html")
    assert html.count('class="het robustness"') == 5
    assert "No funnel plot" not in html  # k = 13 >= 10


def test_summarize_cli_prints_robustness_lines():
    from evigrade.cli import main
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["summarize", str(PACK), "--details"])
    out = buf.getvalue()
    assert rc == 0
    assert "Subgroups by Method of treatment allocation" in out
    assert "Small-study effects: Peters' test p = 0.175" in out


def test_fewer_than_ten_trials_not_assessable_and_rob_not_recorded():
    (f,) = [x for x in summarize(load_pack(NORMAND)).findings if x.status == "pooled"][:1]
    r = f.robustness
    assert r is not None and r.k == f.k < MIN_K_SMALL_STUDY
    assert not r.small_study.assessable and r.small_study.pval is None and r.small_study.test is None
    assert r.sensitivity.without_high_rob is None
    assert any(n.code == "rob_not_recorded" for n in r.notes)
    assert r.moderators == ()  # no [[moderators]] in that pack
    assert len(r.sensitivity.leave_one_out.rows) == r.k


def test_one_level_and_missing_values_and_small_k(tmp_path):
    dst = tmp_path / "bcg"
    shutil.copytree(PACK, dst)
    lines = (dst / "studies.csv").read_text().splitlines()
    # T1's alloc missing; everyone else "random" -> one level among trials with a value
    out = [lines[0]]
    for i, ln in enumerate(lines[1:]):
        parts = ln.split(",")
        parts[3] = "" if i == 0 else "random"
        out.append(",".join(parts))
    (dst / "studies.csv").write_text("\n".join(out) + "\n")
    pack = load_pack(dst)
    (f,) = summarize(pack).findings
    mod = next(m for m in f.robustness.moderators if m.id == "allocation")
    assert mod.status == "not_assessable" and mod.reason.startswith("one level only")
    assert any(n.code == "moderator_missing" and "T1" in n.message for n in mod.notes)
    # two trials: no robustness at all; three: sensitivity but no small-study tests
    keep3 = tuple(t for t in f.trials[:3])
    from evigrade.stats import meta_analysis

    m3 = meta_analysis([t.yi for t in keep3], [t.vi for t in keep3], study=[t.study_id for t in keep3], measure="RR")
    f3 = dataclasses.replace(f, meta=m3, trials=keep3, k=3)
    r3 = robustness(f3, pack)
    assert r3.k == 3 and not r3.small_study.assessable and r3.sensitivity is not None
    assert any(n.code == "moderator_exploratory" for n in r3.notes) or all(m.status != "subgroups" for m in r3.moderators)
    m2 = meta_analysis([t.yi for t in keep3[:2]], [t.vi for t in keep3[:2]], study=["T1", "T2"], measure="RR")
    assert robustness(dataclasses.replace(f, meta=m2, trials=keep3[:2], k=2), pack) is None


def test_non_pooled_findings_have_no_robustness_and_attach_is_identity_for_them():
    s = summarize()  # bundled pack: no trial pool of >= 3
    assert all(f.robustness is None for f in s.findings if not (f.status == "pooled" and (f.k or 0) >= 3))
    assert attach_robustness(s.findings, s.pack) == s.findings
    assert all(d["robustness"] is None and d["subgroups"] == [] for d in s.to_dict()["findings"]
               if d["status"] != "pooled")


def test_pedro_rule_matches_grade_config():
    from evigrade.grade import GradeConfig

    assert PEDRO_HIGH_BELOW == GradeConfig().pedro_some_min
