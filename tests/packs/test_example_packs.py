"""The three example packs under examples/ (issue 14): each validates, runs through ``evigrade summarize``,
``report`` and ``check-claims``, and its pooled numbers equal R metafor.

Goldens: ``Rscript tests/reference/r/examples.R`` (R 4.2.2, metafor 3.8-1, metadat 1.2.0) writes
tests/reference/golden/examples_*.json from the packs' own CSVs, each checked there against its metadat dataset:

* bcg-tuberculosis (dat.bcg; Colditz 1994): log risk ratio of tuberculosis, 13 trials;
* antihistamines-common-cold (dat.dagostino1998; D'Agostino 1998): SMD of runny-nose and sneezing relief, day 1, day 2;
* ssri-depression-primary-care (dat.linde2015; Linde 2015): four odds ratios, and the adverse-event proportion of the
  SSRI arms pooled on the logit scale (``rma(measure="PLO")`` + ``predict(transf=transf.ilogit)``).

Each analysis is checked with REML + Hartung-Knapp (evigrade's default) and REML + z.  The word-level checks (only
the pack's own intervention and comparators, comparison kinds, direction phrases) are in test_example_packs_words.py.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from numpy.testing import assert_allclose

from evigrade.cli import main
from evigrade.packs import summarize

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN_DIR = ROOT / "tests" / "reference" / "golden"
PACKS = ("bcg-tuberculosis", "antihistamines-common-cold", "ssri-depression-primary-care")
TESTS = ("knha", "z")

# Tolerances (DESIGN.md 4.10).  REML is iterative: metafor stops at threshold 1e-12 (examples.R), evigrade at its own
# convergence criterion, so results that go through tau² agree to ~1e-12 relative; 1e-9 leaves room for platform
# differences (as tests/packs/test_summarize_normand.py).  Effect sizes (escalc) and exact Clopper-Pearson limits are
# closed form: 1e-10.  tau² at the boundary: where the REML maximum is at 0, metafor stops with tau² ~ 1e-13 instead
# of exactly 0 (runny nose, response, dropouts, any adverse event), so tau² and I² get an absolute 1e-10 besides.
RTOL_ITER = 1e-9
RTOL_CLOSED = 1e-10
ATOL_TAU2 = 1e-10


def golden(pack: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / f"examples_{pack.replace('-', '_')}.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def summary(pack: str, test: str = "knha") -> Any:
    return summarize(str(EXAMPLES / pack), test=test)


def finding(s: Any, outcome: str, timepoint: str, comparison: str) -> Any:
    (f,) = [f for f in s.findings if (f.outcome, f.timepoint, f.comparison) == (outcome, timepoint, comparison)]
    return f


@functools.lru_cache(maxsize=None)
def cli(*argv: str) -> tuple[int, str]:
    """Run ``evigrade ARGV`` in-process once (exit code, stdout); shared with the words module."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


@functools.lru_cache(maxsize=None)
def report_files(pack: str) -> tuple[int, str, str, str]:
    """``evigrade report PACK -o DIR`` once: (exit code, index.html, report.md, results.json)."""
    tmp = tempfile.mkdtemp(prefix=f"evigrade-example-{pack}-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # cached across tests, removed when pytest exits
    out = Path(tmp) / "report"
    rc, _ = cli("report", str(EXAMPLES / pack), "-o", str(out))
    read = (lambda name: (out / name).read_text(encoding="utf-8")) if rc == 0 else (lambda name: "")
    return rc, read("index.html"), read("report.md"), read("results.json")


def check_pooled(f: Any, g: dict[str, Any], *, ratio: bool) -> None:
    """A pooled finding against one metafor case of the golden (analysis scale in ``g``, ratios in ``g['ratio']``)."""
    assert (f.status, f.basis, f.k, f.participants) == ("pooled", "trials", g["k"], g["participants"])
    assert [t.study_id for t in f.trials] == g["study_ids"]
    assert_allclose([t.yi for t in f.trials], g["yi"], rtol=RTOL_CLOSED, err_msg="yi")
    assert_allclose([t.vi for t in f.trials], g["vi"], rtol=RTOL_CLOSED, err_msg="vi")
    m = f.meta
    for key in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "q", "q_pvalue"):
        assert_allclose(getattr(m, key), g[key], rtol=RTOL_ITER, err_msg=key)
    assert_allclose(m.pval, g["pvalue"], rtol=RTOL_ITER, err_msg="pvalue")
    assert_allclose(m.tau2, g["tau2"], rtol=RTOL_ITER, atol=ATOL_TAU2, err_msg="tau2")
    assert_allclose(m.i2, g["i2"], rtol=RTOL_ITER, atol=ATOL_TAU2, err_msg="i2")
    assert_allclose(m.weights, g["weights"], rtol=RTOL_ITER, err_msg="weights")
    if ratio:  # the finding shows the ratio scale: exp of metafor's log-scale results
        r = g["ratio"]
        assert_allclose([f.estimate, f.ci_low, f.ci_high], [r["estimate"], r["ci_low"], r["ci_high"]], rtol=RTOL_ITER)
        assert_allclose([math.exp(m.pi_low), math.exp(m.pi_high)], [r["pi_low"], r["pi_high"]], rtol=RTOL_ITER)
    else:
        assert_allclose([f.estimate, f.ci_low, f.ci_high], [g["estimate"], g["ci_low"], g["ci_high"]], rtol=RTOL_ITER)


# ----------------------------------------------------------------------------------------------- numbers vs metafor
@pytest.mark.parametrize("test", TESTS)
def test_bcg_risk_ratio_equals_metafor(test: str) -> None:
    g = golden("bcg-tuberculosis")
    f = finding(summary("bcg-tuberculosis", test), "tb", "end_of_follow_up", "no_vaccine")
    assert f.measure == "RR"
    check_pooled(f, g[test], ratio=True)


def test_bcg_headline_numbers() -> None:
    """The numbers the issue quotes (RR 0.49, 0.33 to 0.73; tau² 0.3132; I² 92.2%) are the default REML + Hartung-Knapp
    fit; REML + z gives 0.34 to 0.70 with the same tau² and I²."""
    f = finding(summary("bcg-tuberculosis"), "tb", "end_of_follow_up", "no_vaccine")
    assert (round(f.estimate, 2), round(f.ci_low, 2), round(f.ci_high, 2)) == (0.49, 0.33, 0.73)
    assert (round(f.meta.tau2, 4), round(100 * f.meta.i2, 1)) == (0.3132, 92.2)
    fz = finding(summary("bcg-tuberculosis", "z"), "tb", "end_of_follow_up", "no_vaccine")
    assert (round(fz.ci_low, 2), round(fz.ci_high, 2)) == (0.34, 0.70)


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("outcome", ["runny_nose", "sneezing"])
@pytest.mark.parametrize("timepoint", ["day_1", "day_2"])
def test_antihistamines_smd_equals_metafor(outcome: str, timepoint: str, test: str) -> None:
    g = golden("antihistamines-common-cold")["findings"][f"{outcome}__{timepoint}"]
    f = finding(summary("antihistamines-common-cold", test), outcome, timepoint, "placebo")
    assert f.measure == "SMD"
    check_pooled(f, g[test], ratio=False)


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("outcome", ["response", "remission", "dropout_ae", "any_ae"])
def test_ssri_odds_ratios_equal_metafor(outcome: str, test: str) -> None:
    g = golden("ssri-depression-primary-care")["findings"][outcome]
    f = finding(summary("ssri-depression-primary-care", test), outcome, "end_of_treatment", "placebo")
    assert f.measure == "OR"
    check_pooled(f, g[test], ratio=True)


@pytest.mark.parametrize("test", TESTS)
def test_ssri_adverse_event_proportion_equals_metafor(test: str) -> None:
    """The SSRI arms' share of patients with any adverse event: 5 trials pooled on the logit scale (PLO), back-
    transformed, equal to metafor's rma(measure="PLO") + predict(transf=transf.ilogit); each trial's exact CI equals
    R's binom.test."""
    g = golden("ssri-depression-primary-care")["safety_any_per_patient"][test]
    (pool,) = [p for p in summary("ssri-depression-primary-care", test).safety.pools if p.basis == "patients"]
    assert (pool.severity, pool.measure, pool.pooled, pool.k, pool.events, pool.total) == (
        "any", "PLO", True, g["k"], g["events"], g["total"])
    assert [i.events for i in pool.items] == g["xi"] and [i.denominator for i in pool.items] == g["ni"]
    for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert_allclose(getattr(pool, key), g[key], rtol=RTOL_ITER, err_msg=key)
    assert_allclose([pool.meta.estimate, pool.meta.se], [g["estimate_logit"], g["se_logit"]], rtol=RTOL_ITER)
    assert_allclose([pool.tau2, pool.i2], [g["tau2"], g["i2"]], rtol=RTOL_ITER)
    assert [i.safety_id for i in pool.items] == [e["safety_id"] for e in g["exact"]]
    assert_allclose([[i.ci_low, i.ci_high] for i in pool.items], [[e["ci_low"], e["ci_high"]] for e in g["exact"]],
                    rtol=RTOL_CLOSED)


# ----------------------------------------------------------------------------------------------- through the CLI
@pytest.mark.parametrize("pack", PACKS)
def test_example_pack_validates(pack: str) -> None:
    rc, out = cli("validate", str(EXAMPLES / pack))
    assert rc == 0 and f"examples/{pack}: valid" in out.replace("\\", "/")


@pytest.mark.parametrize("pack", PACKS)
def test_summarize_brief_and_details_exit_0(pack: str) -> None:
    title = golden_title(pack)
    for argv in (("summarize", str(EXAMPLES / pack), "--no-color"),
                 ("summarize", str(EXAMPLES / pack), "--details", "--no-color")):
        rc, out = cli(*argv)
        assert rc == 0, argv
        assert title in " ".join(out.split()), argv


def golden_title(pack: str) -> str:
    import tomllib

    return str(tomllib.loads((EXAMPLES / pack / "pack.toml").read_text(encoding="utf-8"))["title"])


def test_summarize_json_numbers_equal_metafor() -> None:
    """``evigrade summarize PACK --json`` (the default REML + Hartung-Knapp) carries metafor's numbers."""
    rc, out = cli("summarize", str(EXAMPLES / "bcg-tuberculosis"), "--json")
    assert rc == 0
    (f,) = json.loads(out)["findings"]
    r = golden("bcg-tuberculosis")["knha"]["ratio"]
    assert_allclose([f[k] for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")],
                    [r[k] for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")], rtol=RTOL_ITER)
    rc, out = cli("summarize", str(EXAMPLES / "antihistamines-common-cold"), "--json")
    g = golden("antihistamines-common-cold")["findings"]
    by_key = {(f["outcome"], f["timepoint"]): f for f in json.loads(out)["findings"]}
    for key, case in g.items():
        outcome, timepoint = key.split("__")
        f = by_key[(outcome, timepoint)]
        assert_allclose([f["estimate"], f["ci_low"], f["ci_high"], f["tau2"]],
                        [case["knha"][k] for k in ("estimate", "ci_low", "ci_high", "tau2")], rtol=RTOL_ITER,
                        atol=ATOL_TAU2, err_msg=key)
    rc, out = cli("summarize", str(EXAMPLES / "ssri-depression-primary-care"), "--json")
    d = json.loads(out)
    (pool,) = [p for p in d["safety"]["pools"] if p["basis"] == "patients"]
    gs = golden("ssri-depression-primary-care")["safety_any_per_patient"]["knha"]
    assert_allclose([pool[k] for k in ("estimate", "ci_low", "ci_high")], [gs[k] for k in ("estimate", "ci_low", "ci_high")],
                    rtol=RTOL_ITER)


@pytest.mark.slow  # ~2 s per pack on a shared machine (plots)
@pytest.mark.parametrize("pack", PACKS)
def test_report_html_and_markdown(pack: str) -> None:
    rc, html, md, js = report_files(pack)
    assert rc == 0
    title = golden_title(pack)
    assert html.lstrip().lower().startswith("<!doctype html") and "</html>" in html
    assert title.split(" (")[0] in html and title.split(" (")[0] in md
    assert json.loads(js)["findings"], "results.json has the findings"


@pytest.mark.slow  # ~1 s per pack
@pytest.mark.parametrize("pack", PACKS)
def test_check_claims_runs_on_the_example_text(pack: str) -> None:
    text = EXAMPLES / pack / "claims-example.txt"
    rc, out = cli("check-claims", str(text), "--pack", str(EXAMPLES / pack), "--format", "json")
    assert rc == 0
    report = json.loads(out)
    sentences = [line.strip() for line in text.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    checked = " ".join(json.dumps(report).split())
    for s in sentences:  # every claim of the example text is in the verdicts
        assert json.dumps(s)[1:-1] in checked, s
