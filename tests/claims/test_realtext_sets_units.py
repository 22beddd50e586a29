"""The later real-text sets (tests/claims/realtext2/, all held out; tests/claims/realtext3/, all tuning
data): integrity of their labels, without running the checker.

The texts were labelled blind. Nothing here runs the claims checker: the tests read each set's two CSVs,
re-cut each text with the first set's own cut_units.py and check the labels against those units and the
checker's verdict and aspect vocabularies.
"""
from __future__ import annotations

import collections
import csv
import dataclasses
import importlib.util
import pathlib

import pytest

from evigrade.claims import ASPECTS, VERDICTS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "tests" / "claims"
FLAGS = {"overstated", "understated", "unsupported", "contradicted"}


def _read(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclasses.dataclass(frozen=True)
class LabelledSet:
    """One set as it was labelled: its folder, split, text counts per topic, the earlier sets it must not
    repeat, and (units, claims, to flag) per topic."""

    folder: str
    split: str
    texts_per_topic: dict[str, int]
    earlier: tuple[str, ...]
    sizes: dict[str, tuple[int, int, int]]

    @property
    def dir(self) -> pathlib.Path:
        return CLAIMS / self.folder

    @property
    def texts(self) -> dict[str, dict[str, str]]:
        return {r["text_id"]: r for r in _read(self.dir / "texts.csv")}

    @property
    def labels(self) -> list[dict[str, str]]:
        return _read(self.dir / "labels.csv")


SETS = {s.folder: s for s in (
    LabelledSet("realtext2", "heldout", {"dry_needling": 9, "bcg": 6, "antihistamines": 3, "ssri": 4},
                ("realtext",),
                {"dry_needling": (130, 44, 18), "bcg": (67, 13, 12), "antihistamines": (67, 26, 16),
                 "ssri": (47, 20, 17)}),
    LabelledSet("realtext3", "tune", {"dry_needling": 10, "bcg": 4, "antihistamines": 3, "ssri": 3},
                ("realtext", "realtext2"),
                {"dry_needling": (152, 40, 19), "bcg": (30, 8, 7), "antihistamines": (60, 21, 20),
                 "ssri": (38, 12, 8)}),
)}


def _cut_units():
    spec = importlib.util.spec_from_file_location("realtext_cut_units", CLAIMS / "realtext" / "cut_units.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.units


@pytest.mark.parametrize("name", SETS)
def test_texts_csv_names_existing_files_and_resolvable_evidence_and_the_split(name):
    s = SETS[name]
    texts = s.texts
    assert len(texts) == sum(s.texts_per_topic.values())
    assert collections.Counter(t["topic"] for t in texts.values()) == s.texts_per_topic
    for tid, t in texts.items():
        assert t["file"] == f"{tid}.md" and (s.dir / t["file"]).is_file(), tid
        assert len((s.dir / t["file"]).read_text(encoding="utf-8")) <= 2100, tid
        assert t["split"] == s.split, tid
        assert t["url"].startswith("http"), tid
        if t["evidence"] != "bundled":
            assert t["evidence"].startswith("pack:examples/"), tid
            assert (ROOT / t["evidence"].removeprefix("pack:") / "pack.toml").is_file(), tid
    assert {t["evidence"] for t in texts.values() if t["topic"] == "dry_needling"} == {"bundled"}


@pytest.mark.parametrize("name, earlier", [(s.folder, e) for s in SETS.values() for e in s.earlier])
def test_no_text_repeats_a_url_or_id_of_an_earlier_set(name, earlier):
    texts = SETS[name].texts
    rows = _read(CLAIMS / earlier / "texts.csv")
    assert not set(texts) & {r["text_id"] for r in rows}
    assert not {t["url"] for t in texts.values()} & {r["url"] for r in rows}


@pytest.mark.parametrize("name", SETS)
def test_labels_hold_exactly_the_units_cut_from_each_text(name):
    s = SETS[name]
    texts, labels = s.texts, s.labels
    units = _cut_units()
    assert {r["text_id"] for r in labels} == set(texts)
    for tid, t in texts.items():
        rows = [r for r in labels if r["text_id"] == tid]
        assert [int(r["unit_no"]) for r in rows] == list(range(1, len(rows) + 1)), tid
        assert [r["unit"] for r in rows] == units((s.dir / t["file"]).read_text(encoding="utf-8")), tid
        assert {(r["split"], r["topic"]) for r in rows} == {(s.split, t["topic"])}, tid


@pytest.mark.parametrize("name", SETS)
def test_every_row_has_a_valid_verdict_aspects_and_a_reason(name):
    for r in SETS[name].labels:
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


@pytest.mark.parametrize("name, topic", [(s.folder, t) for s in SETS.values() for t in s.sizes])
def test_the_set_is_the_size_it_was_labelled_at(name, topic):
    s = SETS[name]
    rows = [r for r in s.labels if r["topic"] == topic]
    assert (len(rows), sum(r["is_claim"] == "yes" for r in rows),
            sum(r["expected_verdict"] in FLAGS for r in rows)) == s.sizes[topic]
