"""scripts/claims_eval.py --realtext: alignment, scoring and the labelled real-text set's integrity.

The real texts in tests/claims/realtext/ were labelled blind; nothing here runs the claims checker on
them (the integrity tests only read the CSVs and re-cut the texts with the set's own cut_units.py).
The end-to-end test runs the checker on a five-unit synthetic text written here, made of sentences
whose verdicts the regression sets already require (tests/claims/claims_labelled.csv L011, L059,
L009, L093 and the clinic page's heading).
"""
from __future__ import annotations

import csv
import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REALTEXT = ROOT / "tests" / "claims" / "realtext"


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up while the class is created
    spec.loader.exec_module(mod)
    return mod


ce = _load("claims_eval_script", ROOT / "scripts" / "claims_eval.py")
cut = _load("realtext_cut_units", REALTEXT / "cut_units.py")


# ---- the labelled real-text set (no checker run) -------------------------------------------

def test_realtext_set_reads_and_is_large_enough():
    texts, units = ce.read_realtext(REALTEXT / "labels.csv")
    assert len(texts) == 31 and len(units) == 408
    assert {t.evidence for t in texts.values()} == {"bundled", "pack:tests/packs/data/bcg"}
    for t in texts.values():
        if t.evidence.startswith("pack:"):
            assert (ROOT / t.evidence.removeprefix("pack:") / "pack.toml").is_file()
    by_split = {sp: [u for u in units if u.split == sp] for sp in ce.SPLITS}
    assert (len(by_split["tune"]), len(by_split["heldout"])) == (280, 128)
    flagged = {sp: sum(u.verdict in ce.FLAGS for u in us) for sp, us in by_split.items()}
    assert flagged == {"tune": 58, "heldout": 31}


def test_heldout_texts_are_every_third_in_id_order():
    texts, _ = ce.read_realtext(REALTEXT / "labels.csv")
    order = sorted(texts)
    assert [t for i, t in enumerate(order, 1) if i % 3 == 0] == sorted(
        t for t, x in texts.items() if x.split == "heldout")


def test_labels_cover_exactly_the_units_cut_from_each_text():
    texts, units = ce.read_realtext(REALTEXT / "labels.csv")
    for tid, t in texts.items():
        labelled = [u.unit for u in sorted((u for u in units if u.text_id == tid), key=lambda u: u.unit_no)]
        assert labelled == cut.units(t.file.read_text(encoding="utf-8")), tid
        assert [u.unit_no for u in units if u.text_id == tid] == list(range(1, len(labelled) + 1))
        assert len(t.file.read_text(encoding="utf-8")) <= 4000


def test_every_claim_has_a_reason_outcome_and_direction():
    with (REALTEXT / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        assert r["reason"].strip(), (r["text_id"], r["unit_no"])
        if r["is_claim"] == "yes":
            assert r["outcome"] and r["direction"], (r["text_id"], r["unit_no"])
        else:
            assert not (r["outcome"] or r["direction"] or r["expected_aspects"]), (r["text_id"], r["unit_no"])
        if r["expected_verdict"] in ("overstated", "understated"):
            assert r["expected_aspects"], (r["text_id"], r["unit_no"])


def test_cut_units_rules():
    text = ("# Title Of The Page\n\nFirst sentence here (Xie et al. 2016).\nBenefits:\n- Pain relief: it helps.\n"
            "Neck pain,or injury.It works e.g. in trials. (https://x.org/1) Next one? Yes.\n")
    assert cut.units(text) == ["# Title Of The Page", "First sentence here (Xie et al. 2016).", "Benefits:",
                               "- Pain relief: it helps.", "Neck pain,or injury.", "It works e.g. in trials. (https://x.org/1)",
                               "Next one?", "Yes."]


# ---- alignment and scoring (hand-made checker output, no checker run) -----------------------

def _unit(n: int, text: str, verdict: str, split: str = "tune", tid: str = "t1"):
    return ce.LabelledUnit(tid, n, split, text, verdict, (), "")


def test_locate_ignores_markup_spacing_and_case():
    text = "## Heading\n\n**Yes!** Dry needling works.It is   safe."
    spans = ce.locate(text, ["Heading", "Yes!", "dry needling works.", "It is safe.", "not there"])
    assert [text[a:b] for a, b in spans[:4]] == ["Heading", "Yes", "Dry needling works", "It is   safe"]
    assert spans[4] is None


def test_a_merged_checker_sentence_passes_its_verdict_to_every_unit_it_covers():
    text = "What is it?\nDry needling works.It is safe. Book now."
    units = [_unit(1, "What is it?", "not_a_claim"), _unit(2, "Dry needling works.", "overstated"),
             _unit(3, "It is safe.", "consistent"), _unit(4, "Book now.", "not_a_claim")]
    sentences = [("What is it? Dry needling works.It is safe.", "overstated"), ("Book now.", "not_a_claim"),
                 ("A sentence the checker made up.", "contradicted")]
    got, notes = ce.assign(text, units, sentences)
    assert [r.verdict for r in got] == ["overstated", "overstated", "overstated", "not_a_claim"]
    assert notes == ["checker sentence not found in the text: 'A sentence the checker made up.'"]


def test_the_most_severe_overlapping_verdict_wins_and_uncovered_units_are_not_claims():
    text = "Dry needling is safe and cures everything. Call us."
    units = [_unit(1, "Dry needling is safe and cures everything.", "unsupported"), _unit(2, "Call us.", "not_a_claim")]
    sentences = [("Dry needling is safe", "consistent"), ("and cures everything.", "unsupported")]
    got, notes = ce.assign(text, units, sentences)
    assert [r.verdict for r in got] == ["unsupported", "not_a_claim"]
    assert got[0].sentences == ("Dry needling is safe", "and cures everything.") and notes == []


def test_score_counts_per_verdict_flagged_and_claim():
    rows = [ce.UnitResult(_unit(1, "a", "overstated"), "overstated", ()),
            ce.UnitResult(_unit(2, "b", "overstated"), "unsupported", ()),
            ce.UnitResult(_unit(3, "c", "consistent"), "overstated", ()),
            ce.UnitResult(_unit(4, "d", "not_a_claim"), "overstated", ()),
            ce.UnitResult(_unit(5, "e", "unsupported"), "not_a_claim", ())]
    sc = ce.score(rows)
    assert (sc["n"], sc["correct"], sc["accuracy"]) == (5, 1, 0.2)
    assert sc["per_verdict"]["overstated"] == {"support": 2, "predicted": 3, "correct": 1,
                                               "precision": 1 / 3, "recall": 0.5}
    assert sc["per_verdict"]["unsupported"] == {"support": 1, "predicted": 1, "correct": 0,
                                                "precision": 0.0, "recall": 0.0}
    assert sc["per_verdict"]["understated"] == {"support": 0, "predicted": 0, "correct": 0,
                                                "precision": None, "recall": None}
    # flagged: predicted 1,2,3,4 - true 1,2,5 - both 1,2
    assert sc["flagged"] == {"support": 3, "predicted": 4, "correct": 2, "precision": 0.5, "recall": 2 / 3}
    # claim: predicted 1-4, true 1,2,3,5
    assert sc["claim"] == {"support": 4, "predicted": 4, "correct": 3, "precision": 0.75, "recall": 0.75}


def test_bad_labels_are_refused_with_file_row_and_column(tmp_path, capsys):
    (tmp_path / "a.md").write_text("Hello.\n", encoding="utf-8")
    (tmp_path / "texts.csv").write_text("text_id,file,evidence,split\na,a.md,bundled,tune\n", encoding="utf-8")
    (tmp_path / "labels.csv").write_text(
        "text_id,unit_no,split,unit,is_claim,expected_verdict,expected_aspects\na,1,tune,Hello.,no,fine,\n",
        encoding="utf-8")
    assert ce.main(["--realtext", "--labels-realtext", str(tmp_path / "labels.csv")]) == 3
    err = capsys.readouterr().err
    assert "labels.csv row 2" in err and "expected_verdict" in err and "'fine'" in err and "fix:" in err
    assert err.count("\n") == 1


# ---- end to end on a five-unit synthetic text (the only checker run in this file) ------------

SYNTH_TUNE = "# Dry Needling at Harbour Physio\n\nDry needling is completely safe. " \
             "Dry needling probably reduces neck pain in the short term.\n"
SYNTH_HELD = "Dry needling releases the knots in your muscles.\n\nBook your dry needling appointment online today.\n"


def test_end_to_end_on_a_synthetic_five_unit_set(tmp_path, capsys):
    (tmp_path / "s1.md").write_text(SYNTH_TUNE, encoding="utf-8")
    (tmp_path / "s2.md").write_text(SYNTH_HELD, encoding="utf-8")
    (tmp_path / "texts.csv").write_text("text_id,file,evidence,split\ns1,s1.md,bundled,tune\n"
                                        "s2,s2.md,bundled,heldout\n", encoding="utf-8")
    rows = [("s1", 1, "tune", "# Dry Needling at Harbour Physio", "no", "not_a_claim"),
            ("s1", 2, "tune", "Dry needling is completely safe.", "yes", "contradicted"),
            ("s1", 3, "tune", "Dry needling probably reduces neck pain in the short term.", "yes", "consistent"),
            # a labeller who calls the lay metaphor overstated where the regression set (L009) says unsupported
            ("s2", 1, "heldout", "Dry needling releases the knots in your muscles.", "yes", "overstated"),
            ("s2", 2, "heldout", "Book your dry needling appointment online today.", "no", "not_a_claim")]
    with (tmp_path / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text_id", "unit_no", "split", "unit", "is_claim", "expected_verdict", "expected_aspects", "reason"])
        w.writerows([(*r, "certainty" if r[5] == "overstated" else "", "synthetic") for r in rows])
    labels = str(tmp_path / "labels.csv")

    assert ce.main(["--realtext", "--labels-realtext", labels, "--evidence", "snapshot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    tune, held = out["splits"]["tune"], out["splits"]["heldout"]
    assert (tune["n"], tune["correct"], held["n"], held["correct"]) == (3, 3, 2, 1)
    assert tune["flagged"] == {"support": 1, "predicted": 1, "correct": 1, "precision": 1.0, "recall": 1.0}
    assert held["flagged"] == {"support": 1, "predicted": 1, "correct": 1, "precision": 1.0, "recall": 1.0}
    assert held["per_verdict"]["unsupported"] == {"support": 0, "predicted": 1, "correct": 0,
                                                  "precision": 0.0, "recall": None}
    assert held["per_verdict"]["overstated"]["recall"] == 0.0
    assert held["claim"] == {"support": 1, "predicted": 1, "correct": 1, "precision": 1.0, "recall": 1.0}
    assert out["errors"] == [{"text_id": "s2", "unit_no": 1, "split": "heldout",
                              "unit": "Dry needling releases the knots in your muscles.",
                              "expected": "overstated", "got": "unsupported"}]
    assert out["notes"] == []

    assert ce.main(["--realtext", "--labels-realtext", labels, "--evidence", "snapshot", "--split", "heldout"]) == 0
    text = capsys.readouterr().out
    assert "heldout (1 texts): 2 units   accuracy: 0.500 (1/2)" in text and "tune (" not in text
    flagged_line = next(ln for ln in text.splitlines() if ln.startswith("flagged"))
    assert flagged_line.split() == ["flagged", "1", "1", "1", "1.000", "1.000"]

    assert ce.main(["--realtext", "--labels-realtext", labels, "--evidence", "snapshot", "--split", "tune",
                    "--unit-mode", "units", "--json"]) == 0
    units_mode = json.loads(capsys.readouterr().out)
    assert list(units_mode["splits"]) == ["tune"]
    assert units_mode["splits"]["tune"]["correct"] == 3


def test_an_unknown_split_is_refused_by_the_option_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        ce.main(["--realtext", "--split", "both"])
    assert exc.value.code == 2 and "invalid choice: 'both'" in capsys.readouterr().err


def test_set_scores_another_labelled_folder(tmp_path, capsys):
    """--set DIR: a folder in the real-text format, its texts.csv paths relative to DIR (here a subfolder)."""
    d = tmp_path / "blindset"
    (d / "texts").mkdir(parents=True)
    (d / "texts" / "s1.md").write_text(SYNTH_TUNE, encoding="utf-8")
    (d / "texts.csv").write_text("text_id,file,evidence,split\ns1,texts/s1.md,bundled,tune\n", encoding="utf-8")
    rows = [("s1", 1, "tune", "# Dry Needling at Harbour Physio", "no", "not_a_claim"),
            ("s1", 2, "tune", "Dry needling is completely safe.", "yes", "contradicted"),
            ("s1", 3, "tune", "Dry needling probably reduces neck pain in the short term.", "yes", "overstated")]
    with (d / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text_id", "unit_no", "split", "unit", "is_claim", "expected_verdict", "expected_aspects"])
        w.writerows([(*r, "certainty" if r[5] == "overstated" else "") for r in rows])
    assert ce.main(["--set", str(d), "--evidence", "snapshot", "--split", "tune", "--json"]) == 0
    tune = json.loads(capsys.readouterr().out)["splits"]["tune"]
    # the labeller's 'overstated' on unit 3 disagrees with the checker's 'consistent' (snapshot: moderate)
    assert (tune["n"], tune["correct"]) == (3, 2)
    assert tune["flagged"] == {"support": 2, "predicted": 1, "correct": 1, "precision": 1.0, "recall": 0.5}
    assert ce.main(["--set", str(tmp_path / "nowhere")]) == 3
    assert "not a folder" in capsys.readouterr().err
    (d / "labels.csv").unlink()
    assert ce.main(["--set", str(d)]) == 3
    assert "labels.csv" in capsys.readouterr().err
