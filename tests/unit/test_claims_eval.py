"""The labelled set: the figures scripts/claims_eval.py prints are required here.

Six labelled sets live in tests/claims/:
* claims_labelled.csv (106 sentences) - the development set the rules were written against;
* claims_heldout.csv (42 sentences) - written afterwards without running the checker; its first,
  blind run scored 37/42 (accuracy 0.881; misses: two lay mechanisms, "move more freely",
  "stops muscle spasms", a negated clause before "but", a "far better" size claim);
* claims_blind.csv (35 sentences) - a second blind batch; first run 26/35 (accuracy 0.743; misses:
  an uncertainty statement with no named outcome, "frozen shoulders", "calms an overactive nervous
  system", "safer than", a procedural "you may feel a twitch", "does little", "coming back",
  "muscle stiffness", "is very limited", and "after treatment" wrongly read as short term).
* claims_blind2.csv (40 sentences) - a third blind batch in other genres (testimonials, abstracts,
  news); first run 31/40 (accuracy 0.775; misses: a reported finding "a review found that ...",
  "moderate-certainty evidence suggests" read as low, "appears small", "not help everyone",
  "most patients experience no side effects", "higher risk ... than", "sort out ... for good",
  "sparse", and two uncertainty statements judged understated against low-certainty findings).
* claims_blind3.csv (36 sentences) - a fourth blind batch; first run 25/36 (accuracy 0.694; misses:
  "does not work" not read as a claim, "not a magic bullet" read as a denial, "moderate evidence"
  read as a size, advice "should not be used over the lungs", "feel faint", "root cause",
  athletes' recovery, a one-trial report, and three still missed: an efficacy claim that never
  names the treatment, "benefits usually fade", and "modest" judged understated against a large
  pooled effect).
* claims_followup.csv (23 sentences) - written by M for the summary's new information (narrative
  no-effect findings, per-event safety rates, "no mechanism established", active-comparator
  wording); not blind (written after seeing some of the checker's output); first run 22/23 (the
  comparator as the grammatical subject, "injection relieves pain better than dry needling", was
  read as a superiority claim and then fixed).
  The rules were extended after each blind run, so all are now regression sets; the blind
  first-run figures (0.881, 0.743, 0.775, 0.694; 119/153 = 0.778 pooled) are the honest estimate
  of verdict accuracy on new text.

Relabelled by M (each row's note says why), because the evidence changed, not to fit the rules:
* B021 "probably does little for range of motion": consistent -> overstated (certainty).  Decided as
  GRADE would: the no-effect ROM findings are narrative and unrated, which supports at most "may".
* C007, D024, H002, H039, L007, L026 (range of motion / mobility overclaims): contradicted ->
  overstated.  They were "contradicted" only because the old summary gave narrative reports that
  favour dry needling no direction, so the checker saw only the no-effect half; with both halves
  and one very-low-certainty rated estimate, the honest verdict is overstated certainty.
* L051 "may be less effective than lidocaine injection": consistent -> understated (certainty):
  "less effective than" is now read as an inferiority claim, and the comparator did better with
  moderate certainty ("probably less effective").

The required figures are computed against tests/claims/bundled_evidence_snapshot.json, a stored
copy of the bundled pack's evidence (summarize + GRADE), so that these tests stay put while the
pack and the GRADE rules evolve.  Refresh it from the live pack with

    python scripts/claims_eval.py --write-snapshot

(last refreshed by M on 2026-11-25, after engineer I's summary changes: 154 findings, 109 of them
narrative).  At that refresh the live pack and the snapshot gave identical figures
(`python scripts/claims_eval.py --all` = `--all --evidence snapshot` = 279/282).  A separate check
runs against the live bundled pack with a lower floor, since other engineers keep changing it.
(Since then the live pack rates short-term pain low rather than moderate, so `--all` against it gives
254/282 (255/282 after claims16) while the snapshot gives 279/282; claims16 raised the snapshot figure to 281/282: D029,
"the benefits ... usually fade within a few months", is read as a denial of a lasting effect, and D031, "may offer
modest short-term benefits for shoulder pain", as a hedge that fits very uncertain evidence of a small benefit.)
"""
from __future__ import annotations

import csv
import pathlib

import pytest

from evigrade.claims import default_evidence, load_evidence
from evigrade.claims.evaluate import evaluate, read_labelled
from evigrade.errors import InputError

HERE = pathlib.Path(__file__).resolve().parents[1] / "claims"
LABELLED = HERE / "claims_labelled.csv"
HELDOUT = HERE / "claims_heldout.csv"
BLIND = HERE / "claims_blind.csv"
BLIND2 = HERE / "claims_blind2.csv"
BLIND3 = HERE / "claims_blind3.csv"
FOLLOWUP = HERE / "claims_followup.csv"
SNAPSHOT = HERE / "bundled_evidence_snapshot.json"

# What `python scripts/claims_eval.py --evidence snapshot` reports (rules are deterministic, so the
# figures are exact; any change to the lexicon or rules that lowers them must be argued for).
DEV_ACCURACY = 1.0              # 106/106
DEV_MIN_PRECISION = 1.0         # every verdict class
DEV_MIN_RECALL = 1.0
DEV_ASPECTS_EXACT = (28, 28)    # overstated rows whose aspect set matches exactly
HELDOUT_ACCURACY = 1.0          # 42/42 now; 37/42 on the blind first run (see module docstring)
BLIND_ACCURACY = 1.0            # 35/35 now (B021 relabelled); 26/35 on the blind first run
BLIND2_ACCURACY = 1.0           # 40/40 now; 31/40 on the blind first run (see module docstring)
BLIND3_ACCURACY = 35 / 36       # 0.972 now; 25/36 on the blind first run (see module docstring)
FOLLOWUP_ACCURACY = 1.0         # 23/23 now; 22/23 on its first run (see module docstring)
# The live bundled pack is still changing (packs, GRADE); 0.85 leaves room for rating changes in a
# few findings while still catching a broken evidence adapter (which drops far below it).
LIVE_MIN_ACCURACY = 0.85


@pytest.fixture(scope="module")
def snapshot():
    return load_evidence(SNAPSHOT)


def test_labelled_set_shape():
    items = read_labelled(LABELLED)
    assert len(items) >= 80
    assert len({i.id for i in items}) == len(items)
    cats = {i.category for i in items}
    assert cats == {"marketing", "cautious", "mechanism", "safety", "non_claim"}
    verdicts = {i.verdict for i in items}
    assert verdicts == {"consistent", "overstated", "understated", "unsupported", "contradicted", "not_a_claim"}


def test_development_set_figures(snapshot):
    res = evaluate(read_labelled(LABELLED), snapshot)
    assert res.n == 106
    assert res.accuracy >= DEV_ACCURACY, res.to_dict()["errors"]
    for v, d in res.per_verdict().items():
        assert d["precision"] is None or d["precision"] >= DEV_MIN_PRECISION, (v, d)
        assert d["recall"] is None or d["recall"] >= DEV_MIN_RECALL, (v, d)
    assert res.aspect_agreement() == DEV_ASPECTS_EXACT


def test_heldout_set_figures(snapshot):
    res = evaluate(read_labelled(HELDOUT), snapshot)
    assert res.n == 42
    assert res.accuracy >= HELDOUT_ACCURACY, res.to_dict()["errors"]


def test_blind_set_figures(snapshot):
    res = evaluate(read_labelled(BLIND), snapshot)
    assert res.n == 35
    assert res.accuracy >= BLIND_ACCURACY - 1e-12, res.to_dict()["errors"]


def test_blind2_set_figures(snapshot):
    res = evaluate(read_labelled(BLIND2), snapshot)
    assert res.n == 40
    assert res.accuracy >= BLIND2_ACCURACY, res.to_dict()["errors"]


def test_blind3_set_figures(snapshot):
    res = evaluate(read_labelled(BLIND3), snapshot)
    assert res.n == 36
    assert res.accuracy >= BLIND3_ACCURACY - 1e-12, res.to_dict()["errors"]
    assert [r.item.id for r in res.rows if not r.correct] == ["D004"]


def test_followup_set_figures(snapshot):
    res = evaluate(read_labelled(FOLLOWUP), snapshot)
    assert res.n == 23
    assert res.accuracy >= FOLLOWUP_ACCURACY, res.to_dict()["errors"]
    per = res.per_verdict()
    assert (per["contradicted"]["support"], per["consistent"]["support"], per["overstated"]["support"]) == (5, 12, 4)
    assert res.aspect_agreement() == (4, 4)


def test_all_sets_per_verdict_figures(snapshot):
    """The per-verdict precision and recall `python scripts/claims_eval.py --evidence snapshot --all` prints."""
    items = sum((read_labelled(p) for p in (LABELLED, HELDOUT, BLIND, BLIND2, BLIND3, FOLLOWUP)), ())
    res = evaluate(items, snapshot)
    got = {v: (d["support"], d["predicted"], d["correct"]) for v, d in res.per_verdict().items()}
    assert got == {"consistent": (98, 98, 98), "overstated": (68, 67, 67), "understated": (7, 7, 7),
                   "unsupported": (39, 39, 39), "contradicted": (29, 29, 29), "not_a_claim": (41, 42, 41)}
    assert res.aspect_agreement() == (67, 67)


def test_snapshot_is_the_current_evidence_format():
    """The stored snapshot carries the fields the checker now reads (narrative form, safety rates,
    the mechanisms message); a stale snapshot written before engineer I's summary would not."""
    ev = load_evidence(SNAPSHOT)
    assert len(ev.findings) == 154
    assert sum(f.evidence_form == "narrative" for f in ev.findings) == 109
    assert sum(f.evidence_form == "narrative" and f.direction is not None for f in ev.findings) == 73
    s = ev.safety
    assert s is not None and s.mild_rate is None
    assert (round(s.mild_rate_low, 4), round(s.mild_rate_high, 4)) == (0.1918, 0.368)
    rates = {e: (lo, hi, fr) for e, sev, lo, hi, fr in s.event_rates if sev == "mild"}
    assert rates["bruising"] == (0.0755, 0.077, "common") and rates["headache"][2] == "uncommon"
    assert "none of the 12 proposed mechanisms is established" in ev.mechanisms_summary


def test_live_bundled_pack():
    ev = default_evidence()
    items = sum((read_labelled(p) for p in (LABELLED, HELDOUT, BLIND, BLIND2, BLIND3, FOLLOWUP)), ())
    res = evaluate(items, ev)
    assert res.accuracy >= LIVE_MIN_ACCURACY, (ev.origin, res.to_dict()["errors"])


def test_script_reports_the_same_figures(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("claims_eval", HERE.parents[1] / "scripts" / "claims_eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    assert mod.main(["--evidence", "snapshot"]) == 0
    out = capsys.readouterr().out
    assert "accuracy: 1.000 (106/106)" in out
    assert "overstated aspects: exact match 28/28" in out
    assert mod.main(["--evidence", "snapshot", "--all"]) == 0
    out = capsys.readouterr().out
    assert "accuracy: 0.996 (281/282)" in out  # the six sets together (blind misses included)
    assert "contradicted        29        29     1.000   1.000" in out
    assert "overstated aspects: exact match 67/67" in out


def test_bad_labelled_file(tmp_path):
    p = tmp_path / "l.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "category", "sentence", "expected_verdict", "expected_aspects"])
        w.writerow(["X1", "marketing", "It works.", "great", ""])
    with pytest.raises(InputError, match=r"row 2 \(X1\), column expected_verdict"):
        read_labelled(p)
