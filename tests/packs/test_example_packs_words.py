"""Words of the example packs (issue 14, "Done when"): every output of a pack names only its own intervention and
comparators (no word of the bundled pack's topic), every comparison is classified as the pack's ``kind`` says,
direction phrases are read as the pack's ``[directions]`` define them (a review reporting only "favours
<intervention>" favours the intervention), and the safety section shows the pack's ``[safety] context``.

These rely on the pack keys of INTERFACE-14 (intervention_synonyms, [[comparisons]] kind, [directions],
[safety] context).
The numbers of the same packs are checked in test_example_packs.py (shared runs: ``cli``, ``report_files``).
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from evigrade.packs import load_pack, summarize
from test_example_packs import EXAMPLES, PACKS, cli, report_files

#: the bundled pack's topic words: none may appear in another topic's output
BUNDLED_TOPIC = re.compile(r"dry[\s-]*needling|needling|\bneck\b|shoulder|trigger[\s-]*points?", re.I)
#: words naming the intervention of each example pack: a pack's output names no other pack's intervention
INTERVENTION_WORDS = {
    "bcg-tuberculosis": re.compile(r"\bBCG\b|vaccin|Calmette", re.I),
    "antihistamines-common-cold": re.compile(r"antihistamin|chlorphen|doxylamine", re.I),
    "ssri-depression-primary-care": re.compile(r"\bSSRIs?\b|serotonin", re.I),
}
#: how the guessed classification of "no vaccination" read (issue 14): never for a pack without an active comparator
ACTIVE_WORDING = re.compile(r"other active treatments?|another active treatment|Instead of other care", re.I)
#: a rate per treatment: none of the example packs has per-treatment adverse-event data, so such a rate in their
#: output comes from another topic (check-claims quoted the bundled pack's "about 19% of treatments" for SSRIs)
PER_TREATMENT_RATE = re.compile(r"\d+(?:\.\d+)?\s*% of treatments", re.I)


def toml(pack: str | Path) -> dict[str, Any]:
    folder = pack if isinstance(pack, Path) else EXAMPLES / pack
    return tomllib.loads((folder / "pack.toml").read_text(encoding="utf-8"))


def flat(text: str) -> str:
    return " ".join(text.split())


def summarize_texts(pack: str) -> dict[str, str]:
    """The brief, the full listing and the JSON of ``evigrade summarize PACK``."""
    path = str(EXAMPLES / pack)
    out = {}
    for name, argv in (("brief", ("summarize", path, "--no-color")), ("details", ("summarize", path, "--details", "--no-color")),
                       ("json", ("summarize", path, "--json"))):
        rc, text = cli(*argv)
        assert rc == 0, argv
        out[name] = text
    return out


def report_texts(pack: str) -> dict[str, str]:
    rc, html, md, js = report_files(pack)
    assert rc == 0
    return {"index.html": html, "report.md": md, "results.json": js}


def claims_text(pack: str) -> dict[str, str]:
    rc, text = cli("check-claims", str(EXAMPLES / pack / "claims-example.txt"), "--pack", str(EXAMPLES / pack))
    assert rc == 0
    return {"check-claims": text}


def assert_own_words_only(pack: str, texts: dict[str, str]) -> None:
    others = [p for p in PACKS if p != pack]
    for name, text in texts.items():
        hit = BUNDLED_TOPIC.search(text)
        assert hit is None, f"{pack} {name}: bundled-topic word {hit.group(0)!r} in ...{text[max(0, hit.start() - 80):hit.end() + 80]}..."
        for other in others:
            hit = INTERVENTION_WORDS[other].search(text)
            assert hit is None, f"{pack} {name}: names {other}'s intervention ({hit.group(0)!r})"
        hit = ACTIVE_WORDING.search(text)
        assert hit is None, f"{pack} {name}: comparison described as active ({hit.group(0)!r})"
        hit = PER_TREATMENT_RATE.search(flat(text))
        assert hit is None, f"{pack} {name}: a per-treatment rate the pack does not have ({hit.group(0)!r})"


# ----------------------------------------------------------------------------------------------- own words only
@pytest.mark.parametrize("pack", PACKS)
def test_summarize_names_only_its_own_topic(pack: str) -> None:
    texts = summarize_texts(pack)
    assert_own_words_only(pack, texts)
    q = toml(pack)["question"]
    assert q["intervention_short"].lower() in flat(texts["brief"]).lower()
    for comparator in q["comparators"]:
        assert comparator.lower() in flat(texts["brief"]).lower(), comparator


@pytest.mark.slow  # the report (~2 s per pack) and check-claims (~1 s per pack)
# checked against the topic branch's tree (commit bb14fab): the SSRI pack's check-claims output still quotes the bundled
# pack's "about 19% of treatments" (the claims checker's reference safety profile), which the claims branch replaces
@pytest.mark.xfail(strict=False, reason="needs claims branch, not yet merged into main (pack-specific safety numbers "
                                        "in check-claims); the BCG and antihistamine packs already pass")
@pytest.mark.parametrize("pack", PACKS)
def test_report_and_claims_name_only_their_own_topic(pack: str) -> None:
    texts = {**report_texts(pack), **claims_text(pack)}
    assert_own_words_only(pack, texts)
    short = toml(pack)["question"]["intervention_short"].lower()
    for name in ("index.html", "report.md"):
        assert short in flat(texts[name]).lower(), name


# ----------------------------------------------------------------------------------------------- typed topic
@pytest.mark.parametrize("pack", PACKS)
def test_topic_comes_from_the_pack(pack: str) -> None:
    t = toml(pack)
    q = t["question"]
    p = load_pack(EXAMPLES / pack)
    topic = p.topic
    assert (topic.name, topic.full_name) == (q["intervention_short"], q["intervention"])
    assert {s.casefold() for s in [*q["intervention_synonyms"], q["intervention_short"], q["intervention"]]} <= {
        s.casefold() for s in topic.synonyms}
    assert set(t["directions"]["favours_intervention"]) <= set(topic.favours_intervention)
    assert set(t["directions"]["favours_comparator"]) <= set(topic.favours_comparator)
    assert list(topic.safety_context) == t["safety"]["context"]
    assert not [n for n in p.notes if n.code == "pack_default_assumed"], "the example packs state every key"
    d = json.loads(summarize_texts(pack)["json"])
    assert d["pack"]["topic"] == topic.to_dict()


# ----------------------------------------------------------------------------------------------- comparison kinds
@pytest.mark.parametrize("pack", PACKS)
def test_every_comparison_is_classified_as_the_pack_says(pack: str) -> None:
    kinds = {c["id"]: c["kind"] for c in toml(pack)["comparisons"]}
    p = load_pack(EXAMPLES / pack)
    assert {c.id: c.kind for c in p.comparisons} == kinds
    assert not any(getattr(c, "kind_assumed", False) for c in p.comparisons)
    d = json.loads(summarize_texts(pack)["json"])
    for f in d["findings"]:
        assert f["comparator_kind"] == kinds[f["comparison"]], (f["outcome"], f["timepoint"], f["comparison"])
    for group in d["comparisons"]:  # the contrast groups of the summary: never 'active' for these packs
        assert group["kind"] != "active", group
        assert set(group["comparisons"]) <= set(kinds)


# ----------------------------------------------------------------------------------------------- directions
def narrative_direction(summary: Any, row_id: str) -> str:
    (n,) = [n for f in summary.findings for n in f.narrative if n["row_id"] == row_id]
    return str(n["direction"])


def test_direction_phrases_of_the_packs() -> None:
    """The real review rows: Brewer 2000 ("... reduces the risk of tuberculosis ... arguments favoring the use of BCG
    vaccine") favours BCG vaccination through the pack's [directions]; Arroll 2005's numbers needed to harm ("favours
    placebo") favour the comparator; Linde 2015 ("significantly superior to placebo") favours SSRIs."""
    assert narrative_direction(summarize(str(EXAMPLES / "bcg-tuberculosis")), "BR1") == "favours_intervention"
    ssri = summarize(str(EXAMPLES / "ssri-depression-primary-care"))
    assert narrative_direction(ssri, "AR2") == "favours_comparator"
    assert narrative_direction(ssri, "LI1") == "favours_intervention"


def test_review_reported_only_as_favours_the_intervention(tmp_path: Path) -> None:
    """A test-only variant of the BCG pack (not a real source): one review row whose only words are "favours BCG
    vaccination", alone in its question (time point unspecified), is a narrative finding favouring the
    intervention, counted so, and its statement does not say the comparator is better."""
    pack = tmp_path / "bcg-variant"
    shutil.copytree(EXAMPLES / "bcg-tuberculosis", pack)
    with open(pack / "reviews.csv", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    row = dict.fromkeys(header, "")
    row.update(review_row_id="V1", review_id="TestOnly", citation="Test-only review row (not a real source)", year="2020",
               outcome="tb", timepoint="unspecified", comparison="no_vaccine", population="all",
               reported_as="qualitative", orientation="as_reported", result_as_reported="favours BCG vaccination",
               source="test fixture", source_row="test")
    with open(pack / "reviews.csv", "a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=header, lineterminator="\n").writerow(row)
    rc, out = cli("summarize", str(pack), "--json")
    assert rc == 0
    d = json.loads(out)
    (f,) = [f for f in d["findings"] if f["timepoint"] == "unspecified"]
    assert f["evidence_form"] == "narrative"
    assert [(n["row_id"], n["direction"]) for n in f["narrative"]] == [("V1", "favours_intervention")]
    assert f["reported_direction"] == "favours_intervention"
    assert not re.search(r"less effective|favoured the comparator|benefit of the comparator", f["statement"], re.I)
    (family,) = d["families"]
    assert "comparator" not in family["sentence"].split("Not rated")[-1].lower()


# ----------------------------------------------------------------------------------------------- safety context
@pytest.mark.parametrize("pack", PACKS)
def test_safety_context_is_the_packs_own(pack: str) -> None:
    """Every pack's [safety] context is in the summary JSON; where the pack has adverse-event rows (the SSRI pack),
    the safety section of ``summarize --details`` shows it."""
    context = toml(pack)["safety"]["context"]
    texts = summarize_texts(pack)
    d = json.loads(texts["json"])
    assert d["pack"]["topic"]["safety_context"] == context
    if load_pack(EXAMPLES / pack).safety:
        safety_section = flat(texts["details"]).split("Safety", 1)[-1]
        for line in context:
            assert flat(line) in safety_section, line


@pytest.mark.slow
def test_safety_context_in_the_report() -> None:
    context = toml("ssri-depression-primary-care")["safety"]["context"]
    texts = report_texts("ssri-depression-primary-care")
    shown = {"index.html": texts["index.html"].replace("&#39;", "'"),
             # report.md escapes Markdown's special characters (any\_ae); read it as a Markdown viewer shows it
             "report.md": re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~])", r"\1", texts["report.md"])}
    for name, text in shown.items():
        for line in context:
            assert flat(line) in flat(text), (name, line)
