"""The third real-text set (tests/claims/realtext3/): integrity of its labels, without running the checker.

The texts were labelled blind and are all tuning data (split=tune). Nothing here runs the claims checker:
the tests read the two CSVs, re-cut each text with the first set's own cut_units.py and check the labels
against those units and the checker's verdict and aspect vocabularies.
"""
from __future__ import annotations

import collections
import csv
import importlib.util
import pathlib

import pytest

from evigrade.claims import ASPECTS, VERDICTS

ROOT = pathlib.Path(__file__).resolve().parents[2]
SET3 = ROOT / "tests" / "claims" / "realtext3"
FLAGS = {"overstated", "understated", "unsupported", "contradicted"}


def _cut_units():
    spec = importlib.util.spec_from_file_location("realtext_cut_units_set3", ROOT / "tests" / "claims" / "realtext" / "cut_units.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.units


def _read(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


TEXTS = {r["text_id"]: r for r in _read(SET3 / "texts.csv")}
LABELS = _read(SET3 / "labels.csv")


def test_texts_csv_names_existing_files_and_resolvable_evidence_and_all_are_tuning_texts():
    assert len(TEXTS) == 20
    assert collections.Counter(t["topic"] for t in TEXTS.values()) == {
        "dry_needling": 10, "bcg": 4, "antihistamines": 3, "ssri": 3}
    for tid, t in TEXTS.items():
        assert t["file"] == f"{tid}.md" and (SET3 / t["file"]).is_file(), tid
        assert len((SET3 / t["file"]).read_text(encoding="utf-8")) <= 2100, tid
        assert t["split"] == "tune", tid
        assert t["url"].startswith("http"), tid
        if t["evidence"] != "bundled":
            assert t["evidence"].startswith("pack:examples/"), tid
            assert (ROOT / t["evidence"].removeprefix("pack:") / "pack.toml").is_file(), tid
    assert {t["evidence"] for t in TEXTS.values() if t["topic"] == "dry_needling"} == {"bundled"}


@pytest.mark.parametrize("earlier", ["realtext", "realtext2"])
def test_no_text_repeats_a_url_or_id_of_an_earlier_set(earlier):
    rows = _read(ROOT / "tests" / "claims" / earlier / "texts.csv")
    assert not set(TEXTS) & {r["text_id"] for r in rows}
    assert not {t["url"] for t in TEXTS.values()} & {r["url"] for r in rows}


def test_labels_hold_exactly_the_units_cut_from_each_text():
    units = _cut_units()
    assert {r["text_id"] for r in LABELS} == set(TEXTS)
    for tid, t in TEXTS.items():
        rows = [r for r in LABELS if r["text_id"] == tid]
        assert [int(r["unit_no"]) for r in rows] == list(range(1, len(rows) + 1)), tid
        assert [r["unit"] for r in rows] == units((SET3 / t["file"]).read_text(encoding="utf-8")), tid
        assert {(r["split"], r["topic"]) for r in rows} == {("tune", t["topic"])}, tid


def test_every_row_has_a_valid_verdict_aspects_and_a_reason():
    for r in LABELS:
        where = (r["text_id"], r["unit_no"])
        assert r["expected_verdict"] in VERDICTS, where
        assert r["reason"].strip(), where
        assert r["is_claim"] in ("yes", "no"), where
        assert (r["is_claim"] == "no") == (r["expected_verdict"] == "not_a_claim"), where
        aspects = [a for a in r["expected_aspects"].split(";") if a]
        assert set(aspects) <= set(ASPECTS), where
        if r["expected_verdict"] in ("overstated", "understated"):
            assert aspects, where
        else:
            assert not aspects, where
        if r["is_claim"] == "yes":
            assert r["outcome"] and r["direction"], where
        else:
            assert not (r["outcome"] or r["direction"]), where


@pytest.mark.parametrize("topic, units, claims, flagged", [
    ("dry_needling", 152, 40, 19), ("bcg", 30, 8, 7), ("antihistamines", 60, 21, 20), ("ssri", 38, 12, 8)])
def test_the_set_is_the_size_it_was_labelled_at(topic, units, claims, flagged):
    rows = [r for r in LABELS if r["topic"] == topic]
    assert (len(rows), sum(r["is_claim"] == "yes" for r in rows),
            sum(r["expected_verdict"] in FLAGS for r in rows)) == (units, claims, flagged)
