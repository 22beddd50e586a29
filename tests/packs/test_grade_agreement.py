"""GRADE agreement (issue 13, docs/grade-agreement.md): scripts/grade_agreement.py run in-process on the bundled
pack and on the published Summary-of-Findings test packs (tests/packs/data/*/sof_published.csv).

These tests check that the comparison is complete and honest: every pack loads and summarises, every published
SoF row maps to exactly one finding, every review-stated GRADE of the bundled pack is compared, the trial-level
packs reproduce the SoF's own k and n, and the counts (including how many findings evigrade rates *above* their
published/source GRADE) are reported consistently.  Issue 13's bar is asserted: no finding is rated above the
review-stated or published GRADE it maps to.  No exact-agreement figure is asserted: agreement with a source that is
the starting point is partly by construction; evigrade's own rules alone (the independent check) are reported, and
must never rate above a published rating by more than one level.
"""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from evigrade.packs import bundled_pack_path, validate_pack

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def _load_script():
    spec = importlib.util.spec_from_file_location("grade_agreement", ROOT / "scripts" / "grade_agreement.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["grade_agreement"] = mod
    spec.loader.exec_module(mod)
    return mod


ga = _load_script()
SOF_PACKS = ga.sof_pack_dirs(DATA)


@pytest.fixture(scope="module")
def results() -> dict[str, list]:
    return ga.all_rows()


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_at_least_three_published_sof_packs_on_other_topics():
    names = {p.name for p in SOF_PACKS}
    assert {"nrt_hartmannboyce2018", "tiotropium_karner2014", "nrt_combination_cd013308",
            "ecig_nicotine_cd010216", "ecig_vs_nrt_err"} <= names
    for p in SOF_PACKS:
        assert (p / "README.md").is_file(), p.name  # sources and the published SoF rows
        rows = _csv(p / ga.SOF_FILE)
        assert rows, p.name
        for r in rows:
            assert r["source"].strip(), (p.name, r["sof_row_id"])           # provenance for every row
            assert ga.level(r["published_certainty"]) is not None, (p.name, r["sof_row_id"])


@pytest.mark.parametrize("pack", SOF_PACKS, ids=lambda p: p.name)
def test_sof_pack_validates_and_every_row_maps_to_one_rated_finding(pack: Path):
    assert validate_pack(pack) == []
    summary = ga.graded_dict(pack)
    sof = _csv(pack / ga.SOF_FILE)
    for r in sof:
        hits = ga.findings_for(summary, ga._key(r))
        assert len(hits) == 1, (pack.name, r["sof_row_id"], len(hits))
    rows = ga.sof_rows(pack, summary)
    assert [r.row_id for r in rows] == [r["sof_row_id"] for r in sof]
    for r in rows:
        # every SoF row has a numeric effect or trials behind it, so evigrade rates it
        assert r.evigrade_level is not None, (pack.name, r.row_id, r.evigrade)
        assert r.difference == r.evigrade_level - r.published_level


def test_trial_level_packs_reproduce_the_published_k_and_n():
    nrt = ga.graded_dict(DATA / "nrt_hartmannboyce2018")
    (f,) = nrt["findings"]
    # 133 studies (the SoF's k); the 3 further arms of multi-arm trials (Moolchan 2005, Piper 2009) enter a
    # multilevel model with the first arms (136 results), nothing is left out
    assert (f["basis"], f["k"], len(f["not_poolable"])) == ("trials", 133, 0)
    assert (f["meta"]["model"], f["meta"]["k_studies"], f["meta"]["k_effects"]) == ("multilevel", 133, 136)

    tio = ga.graded_dict(DATA / "tiotropium_karner2014")
    by = {x["outcome"]: x for x in tio["findings"]}
    # Karner 2014 SoF: exacerbations 23,309 (22 studies); exacerbations requiring hospitalisation 22,852 (21
    # studies), of which Johansson 2008 (0/107 vs 0/117) is left out of the pack (see its README)
    assert (by["exacerbation"]["k"], by["exacerbation"]["participants"]) == (22, 23309)
    assert (by["severe_exacerbation"]["k"], by["severe_exacerbation"]["participants"]) == (20, 22852 - 107 - 117)
    assert by["sgrq"]["k"] == 9
    # the pooled OR for exacerbations prints as the SoF's 0.78 (REML + Hartung-Knapp vs the review's RevMan pool)
    assert round(by["exacerbation"]["estimate"], 2) == 0.78


def test_every_review_stated_grade_of_the_bundled_pack_is_compared(results):
    stated = [r["review_row_id"] for r in _csv(bundled_pack_path() / "reviews.csv") if r["grade"].strip()]
    compared = {r.row_id.split(" ")[0] for r in results["bundled"]}
    assert set(stated) == compared
    for r in results["bundled"]:
        assert r.published.strip()
        # a published rating is a GRADE level, a range of levels, or listed as not GRADE; never silently dropped
        assert r.verdict


def test_counts_are_consistent_and_report_findings_above_source_grade(results):
    everything = [r for rows in results.values() for r in rows]
    for rows in [*results.values(), everything]:
        c = ga.counts(rows)
        assert c["exact"] + c["evigrade_above"] + c["evigrade_below"] == c["compared"]
        assert c["exact"] <= c["within_one_level"] <= c["compared"]
        assert c["compared"] + c["not_rated_by_evigrade"] + c["published_not_grade"] == c["rows"]
        assert c["evigrade_above"] == sum(1 for r in rows if r.difference is not None and r.difference > 0)
    text = ga.render(results, label="test")
    assert text.count("evigrade above") >= len(results)   # every table states its "above" count
    for name in results:
        if name != "bundled":
            assert f"`{name}`" in text


def test_no_finding_is_rated_above_its_source_grade(results):
    """Issue 13: the source's own GRADE is the ceiling (an override in the pack would be needed to go above)."""
    above = [(r.pack, r.row_id, r.published, r.evigrade) for rows in results.values() for r in rows
             if r.difference is not None and r.difference > 0]
    assert above == []


def test_own_rules_are_reported_and_never_two_levels_above_a_published_rating(results):
    rows = [r for rs in results.values() for r in rs]
    own = [r for r in rows if r.own_rules_difference is not None]
    assert len(own) == sum(1 for r in rows if r.difference is not None)  # every compared row has its own-rules level
    assert max(r.own_rules_difference for r in own) <= 1


def test_write_doc_replaces_only_the_generated_block(tmp_path, results):
    doc = tmp_path / "grade-agreement.md"
    doc.write_text("# head\n\nintro\n\n" + ga.DOC_BEGIN + "\nold\n" + ga.DOC_END + "\n\ntail\n", encoding="utf-8")
    ga.main(["--write-doc", str(doc), "--label", "label for the test"])
    out = doc.read_text(encoding="utf-8")
    assert out.startswith("# head\n\nintro\n\n") and out.rstrip().endswith("tail")
    assert "\nold\n" not in out and "label for the test" in out
    assert out.count(ga.DOC_BEGIN) == 1 and out.count(ga.DOC_END) == 1
    # the repository's doc carries the generated block (regenerated by the command it prints)
    repo_doc = (ROOT / "docs" / "grade-agreement.md").read_text(encoding="utf-8")
    assert ga.DOC_BEGIN in repo_doc and ga.DOC_END in repo_doc
    assert "scripts/grade_agreement.py --write-doc docs/grade-agreement.md" in repo_doc
