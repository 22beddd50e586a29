"""Every claims report says how far its verdicts can be trusted: the checker's measured precision and
recall on held-out real texts (``claims.reliability``, stored by ``scripts/claims_eval.py
--write-reliability``).  These tests check the stored figures against the held-out sets' own sizes and
label counts and the three report formats; they never run the checker on the held-out texts."""
from __future__ import annotations

import csv
import datetime
import json
import pathlib

from evigrade.claims import check, default_evidence
from evigrade.claims.reliability import Reliability, load_reliability, sources_hash, stored_sources_hash
from evigrade.claims.render import render

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLAGS = {"overstated", "understated", "unsupported", "contradicted"}


def _held_out() -> tuple[int, int, int]:
    """(held-out texts, held-out units, held-out units labelled with a flag) of the two real-text sets."""
    texts = units = flagged = 0
    for folder in ("realtext", "realtext2"):
        d = ROOT / "tests" / "claims" / folder
        with open(d / "texts.csv", encoding="utf-8", newline="") as fh:
            texts += sum(1 for r in csv.DictReader(fh) if r["split"] == "heldout")
        with open(d / "labels.csv", encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["split"] == "heldout"]
        units += len(rows)
        flagged += sum(1 for r in rows if r["expected_verdict"] in FLAGS)
    return texts, units, flagged


def test_the_stored_figures_are_those_of_the_held_out_sets():
    rel = load_reliability()
    assert (rel.texts, rel.units, rel.should_flag) == _held_out()
    assert rel.sets == ("tests/claims/realtext (heldout)", "tests/claims/realtext2 (heldout)")
    assert 0 < rel.flags_right <= min(rel.flags, rel.should_flag) and rel.flags <= rel.units
    assert rel.precision == rel.flags_right / rel.flags and rel.recall == rel.flags_right / rel.should_flag
    datetime.date.fromisoformat(rel.measured)


def test_the_sentence_says_the_figures_and_how_to_read_them():
    rel = Reliability(measured="2026-12-07", texts=32, units=439, flags=92, flags_right=50, should_flag=94,
                      sets=("a", "b"))
    assert rel.sentence() == (
        "How far to trust these verdicts: on 32 real web texts it was not tuned on (measured 2026-12-07), 50 of "
        "this checker's 92 flags were right (54%) and it caught 50 of the 94 sentences that should be flagged "
        "(53%); read each flag as a pointer to check, not as a finding.")
    none = Reliability(measured="2026-12-07", texts=0, units=0, flags=0, flags_right=0, should_flag=0, sets=())
    assert none.sentence() == "How far to trust these verdicts: not yet measured on real texts."


def test_every_report_format_carries_it():
    rel = load_reliability()
    report = check("Dry needling cures neck pain in everyone.", default_evidence(), source="t.md")
    assert report.reliability == rel
    text = render(report, "text")
    assert " ".join(text.split()).count(rel.sentence()) == 1
    data = json.loads(render(report, "json"))
    assert data["reliability"]["flags_right"] == rel.flags_right and data["reliability"]["sentence"] == rel.sentence()
    page = render(report, "html")
    assert '<p class="reliability">' in page and "this checker&#x27;s" in page and "this checker's" not in page


def test_the_figures_were_measured_on_the_checker_as_it_is():
    assert stored_sources_hash() == sources_hash(), (
        "the claims checker's rules changed since its reliability was measured: run "
        "python scripts/claims_eval.py --write-reliability (it scores the held-out texts in aggregate only) "
        "and commit src/evigrade/claims/lexicon/reliability.json")
