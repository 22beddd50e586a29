"""The two-minute brief (issue 15): evigrade.report.brief and the default `evigrade summarize` / `explain`.

Checked on the bundled pack and on every test pack in tests/packs/data: at most 60 lines at COLUMNS=100
with no word split; a section with an evidence level for each family with rated evidence, for safety
and for mechanisms; a conclusion of two to four sentences; every key explained; each sentence's hedge
matches its certainty; size words only where a finding behind the sentence carries one; no word of
the bundled topic in another pack's brief.
"""
from __future__ import annotations

import pathlib
import re

import pytest

from evigrade.cli import main
from evigrade.pipeline import run
from evigrade.report.brief import HEDGES, build_brief, explain_lines, render_brief_markdown, render_brief_text

DATA = pathlib.Path(__file__).resolve().parents[1] / "packs" / "data"
TEST_PACKS = sorted(p.name for p in DATA.iterdir() if (p / "pack.toml").exists())
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_PACKS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "pack.toml").exists())
PACKS = [None, *TEST_PACKS, *EXAMPLE_PACKS]  # None: the bundled pack; then the test packs and the example packs


def _path(name: str) -> pathlib.Path:
    return DATA / name if (DATA / name).exists() else EXAMPLES / name

_cache: dict[str | None, tuple] = {}


def _graded_and_brief(name: str | None):
    if name not in _cache:
        g = run(None if name is None else _path(name))
        _cache[name] = (g, build_brief(g))
    return _cache[name]


def _cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("NO_COLOR", raising=False)
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_default_summarize_is_the_brief_in_at_most_60_lines_without_split_words(name, capsys, monkeypatch):
    args = ["summarize", "--no-color"] + ([] if name is None else [str(_path(name))])
    rc, out, err = _cli(capsys, monkeypatch, *args)
    assert rc == 0, err
    lines = out.splitlines()
    assert 5 <= len(lines) <= 60, len(lines)
    assert max(len(ln) for ln in lines) <= 100
    assert "\x1b[" not in out
    # no word split: each paragraph, its lines joined by a space, holds every sentence whole with its key
    flat = " ".join(ln.rstrip() for ln in lines)
    _, brief = _graded_and_brief(name)
    for s in brief.sentences:
        assert f"{s.text} [{s.key}]" in flat, s.key


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_a_section_with_an_evidence_level_per_rated_family_safety_and_mechanisms(name):
    g, brief = _graded_and_brief(name)
    by_title = {s.title: s for s in brief.sections}
    rated_families = {f.family for f in g.findings if f.certainty is not None and f.kind != "between_forms"}
    assert rated_families, "every pack here has rated evidence"
    for fam in rated_families:
        sec = by_title[fam[0].upper() + fam[1:]]
        assert sec.kind == "family" and sec.level
        head = sec.sentences[0]
        # the level is the certainty of the headline body of evidence (with the range when findings differ)
        assert sec.level.startswith(f"certainty {head.certainty.replace('_', ' ')}")
        certs = {f.certainty for f in g.findings if f.family == fam and f.certainty and f.kind != "between_forms"}
        assert ("range" in sec.level) == (len(certs) > 1)
        assert 1 <= len(sec.sentences) <= 3
    kinds = [s.kind for s in brief.sections]
    assert kinds.count("family") == len(rated_families)
    # the question's list fields are whole texts (a pack may give one text instead of a list)
    assert brief.comparators and all(len(c) > 1 for c in brief.comparators)
    comps = g.question.get("comparators")
    if isinstance(comps, str):
        assert brief.comparators == (comps,)
    gaps = " ".join(x.text for x in brief.sections[-1].sentences)
    assert not re.search(r"\b\w, \w, \w\b", gaps), gaps
    safety = next(s for s in brief.sections if s.kind == "safety")
    assert safety.level and 1 <= len(safety.sentences) <= 3
    mech = next(s for s in brief.sections if s.kind == "mechanisms")  # every pack: said, not left out
    if g.mechanisms:
        assert mech.level in ("established", "partially supported", "proposed") and 1 <= len(mech.sentences) <= 3
    else:
        assert mech.level == "not covered" and len(mech.sentences) == 1
        assert "states no proposed mechanism" in mech.sentences[0].text
    assert kinds[-1] == "gaps"
    use = [s for s in brief.sections if s.kind == "use"]
    assert len(use) == 1 and use[0].level and 1 <= len(use[0].sentences) <= 3


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_conclusion_two_to_four_sentences_from_the_judgements(name):
    g, brief = _graded_and_brief(name)
    c = brief.conclusion
    assert 2 <= len(c.sentences) <= 4
    text = " ".join(s.text for s in c.sentences)
    assert not re.search(r"\b\d+ (rated )?findings\b", text)  # judgements, not counts
    levels = {f.certainty for f in g.findings if f.certainty is not None}
    if levels <= {"very_low", "low"}:
        assert "low certainty" in text


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_every_key_is_explained_with_its_numbers_and_reasons(name):
    g, brief = _graded_and_brief(name)
    keys = brief.keys
    assert len(keys) == len(set(keys))
    by_key = {f.key: f for f in g.findings}
    for s in brief.sentences:
        lines = explain_lines(g, brief, s.key)
        assert lines is not None and lines[0] == f"[{s.key}] {s.text}"
        text = "\n".join(lines)
        for fk in s.findings:
            f = by_key[fk]
            assert f.outcome_name in text
            if f.estimate is not None:
                assert "effect: " in text
            if f.grade is not None:
                assert f"certainty: {f.certainty.replace('_', ' ')}" in text
                for j in f.grade.rating.judgements:
                    if j.levels != 0:
                        assert j.rationale in text
        for sid in s.sources:
            assert f"  {sid}: " in text
    assert explain_lines(g, brief, "no-such-key") is None


def test_explain_cli_and_unknown_key(capsys, monkeypatch):
    rc, out, err = _cli(capsys, monkeypatch, "explain", "pain-1")
    assert rc == 0, err
    g, brief = _graded_and_brief(None)
    assert out.splitlines()[0] == f"[pain-1] {brief.sentence('pain-1').text}"
    assert "risk_of_bias" in out and "sources:" in out
    rc, out, err = _cli(capsys, monkeypatch, "explain", "safety-1")
    assert rc == 0 and "safety rating: reassuring" in out and "rule: " in out and "Brady2014" in out
    rc, out, err = _cli(capsys, monkeypatch, "explain", "mech-1")
    assert rc == 0 and out.count(": partially supported (") == g.mechanism_labels.count("partially supported")
    rc, out, err = _cli(capsys, monkeypatch, "explain", "[concl-1]", str(DATA / "bcg"))
    assert rc == 0 and out.startswith("[concl-1] ")
    rc, out, err = _cli(capsys, monkeypatch, "explain", "nope-9")
    assert rc == 3 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "'nope-9'" in err and "pain-1" in err and "concl-1" in err


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_each_sentence_hedge_matches_its_certainty_and_size_words_follow_the_findings(name):
    g, brief = _graded_and_brief(name)
    by_key = {f.key: f for f in g.findings}
    hedged = 0
    for s in brief.sentences:
        low = s.text.lower()
        if s.certainty is not None:
            hedged += 1
            words = HEDGES[s.certainty]
            if words:
                assert any(w in low for w in words), (s.key, s.text)
            else:  # high: plain, no hedge of a lower level
                assert not any(w in low for w in ("may ", "probably", "likely", "very uncertain")), s.text
            if s.certainty != "very_low":
                assert "very uncertain" not in low, s.text
        else:  # a sentence that states no effect of its own carries no hedge of certainty
            assert not re.search(r"\b(may|probably|likely)\b", low) or "very uncertain" in low, (s.key, s.text)
        claims = {by_key[k].size_claim for k in s.findings if k in by_key} - {None}
        for size in ("large", "slightly", "small", "trivial", "moderate reduction", "moderate increase"):
            if re.search(rf"\b{size}\b", low):
                assert claims, (s.key, size, s.text)
    assert hedged >= 1
    # the family headlines are the findings' own statements (first sentence), never rewritten
    for sec in brief.sections:
        if sec.kind == "family":
            f = by_key[sec.sentences[0].findings[0]]
            words = sec.sentences[0].text.rstrip(".").replace(":", " ").split()  # a statement may have a colon
            assert words[:5] == f.statement.split()[:5]
            assert set(words) <= set(f.statement.replace(".", " ").replace(":", " ").split()), sec.sentences[0].text


@pytest.mark.parametrize("name", [*TEST_PACKS, *EXAMPLE_PACKS])
def test_no_text_of_the_bundled_topic_in_another_pack(name, capsys, monkeypatch):
    g, brief = _graded_and_brief(name)
    texts = [render_brief_text(brief, width=100), render_brief_markdown(brief, g)]
    rc, out, _ = _cli(capsys, monkeypatch, "summarize", "--no-color", str(_path(name)))
    assert rc == 0
    texts.append(out)
    for t in texts:
        low = t.lower()
        for word in ("dry needling", "needling", "trigger point", "trigger-point", "myofascial", "neck"):
            assert word not in low, (name, word)


def test_markdown_brief_has_numbered_citations_and_escapes(capsys, monkeypatch):
    rc, md, err = _cli(capsys, monkeypatch, "summarize", "--format", "markdown")
    assert rc == 0, err
    g, brief = _graded_and_brief(None)
    body, _, refs = md.partition("\n## References\n")
    assert refs, "a reference list"
    ref_lines = [ln for ln in refs.splitlines() if ln.strip()]
    nums = [int(ln.split(".", 1)[0]) for ln in ref_lines]
    assert nums == list(range(1, len(nums) + 1))
    cited = {int(n) for grp in re.findall(r"\[(\d+(?:, \d+)*)\]", body) for n in grp.split(", ")}
    assert cited == set(nums)  # every reference is cited, every citation has a reference
    # one entry per paper, and each source id under one paper only
    papers = [ln.split(". ", 1)[1].rsplit(" (", 1)[0] for ln in ref_lines]
    assert len(papers) == len(set(papers))
    ids = [i for ln in ref_lines for i in re.search(r"\(([^()]*)\)$", ln).group(1).split(", ")]
    assert len(ids) == len(set(ids))
    for sec in brief.sections:
        assert f"## {sec.title}" in body
    assert "## Conclusion" in body
    # pack text is data: a title with Markdown specials is escaped
    from evigrade.report.brief import Brief, BriefSection, BriefSentence

    evil = Brief("A *bold* [link](x)", "p", "i", ("c",), (BriefSection("gaps", "What we don't know", None,
                                                                     (BriefSentence("gaps-1", "<b>x</b> _y_"),)),),
                 BriefSection("conclusion", "Conclusion", None, (BriefSentence("concl-1", "z"),)))
    out = render_brief_markdown(evil, g)
    assert "\\*bold\\*" in out and "\\[link\\]" in out and "&lt;b>" in out and "\\_y\\_" in out


def test_format_is_validated(capsys, monkeypatch):
    rc, out, err = _cli(capsys, monkeypatch, "summarize", "--format", "pdf")
    assert rc == 3 and "format='pdf' is not one of 'text', 'markdown'" in err


def test_no_grade_and_details_print_the_full_listing(capsys, monkeypatch):
    rc, out, _ = _cli(capsys, monkeypatch, "summarize", "--no-color", "--details", str(DATA / "bcg"))
    assert rc == 0 and "Details" in out and "[infection-1]" not in out
    rc, out, _ = _cli(capsys, monkeypatch, "summarize", "--no-color", "--no-grade", str(DATA / "bcg"))
    assert rc == 0 and "Details" in out


def test_report_puts_the_brief_first(tmp_path):
    from evigrade.report import write_report
    from evigrade.report.pipeline import report_dict

    g, brief = _graded_and_brief("bcg")
    d = report_dict(g)
    assert d["brief"] == brief.to_dict()
    write_report(d, tmp_path / "rep")
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert html.index('id="brief"') < html.index('id="key-messages"') < html.index('id="sof"')
    assert md.index("## The brief") < md.index("## Key messages")
    for s in brief.sentences:
        assert f"[{s.key}]" in html and f"\\[{s.key}\\]" in md
    # a report from a saved summary without the brief has no brief section
    plain = {k: v for k, v in d.items() if k != "brief"}
    write_report(plain, tmp_path / "rep2")
    assert 'id="brief"' not in (tmp_path / "rep2" / "index.html").read_text(encoding="utf-8")


def test_explain_cli_works_for_every_key_of_the_bundled_brief(capsys, monkeypatch):
    """`evigrade explain KEY` (the CLI path, brackets as printed) for every key of the bundled brief."""
    import evigrade.pipeline as pipeline

    g, brief = _graded_and_brief(None)
    real_run = pipeline.run
    monkeypatch.setattr(pipeline, "run", lambda pack=None, **kw: g if pack is None else real_run(pack, **kw))
    assert len(brief.keys) >= 20
    for key in brief.keys:
        rc, out, err = _cli(capsys, monkeypatch, "explain", f"[{key}]")
        assert rc == 0 and err == "", (key, err)
        lines = out.splitlines()
        assert lines[0] == f"[{key}] {brief.sentence(key).text}"
        assert len(lines) >= 2, key  # something stands behind every sentence


@pytest.mark.parametrize("name", PACKS, ids=lambda n: n or "bundled")
def test_null_results_come_from_the_judgement_not_the_wording(name):
    """Null results (the "No clear effect ..." sentences, the conclusion's null sentence) are read from the
    graded judgement (CI against no effect, the size class, the rated direction of results without an
    estimate): with every statement replaced by neutral words, the same findings are called null."""
    import dataclasses

    g, brief = _graded_and_brief(name)
    neutral = tuple(dataclasses.replace(f, grade=dataclasses.replace(f.grade, statement="Neutral placeholder words."))
                    if f.grade is not None else f for f in g.findings)
    b2 = build_brief(dataclasses.replace(g, findings=neutral))

    def nulls(b):
        return {s.key: s.findings for s in b.sentences if s.text.startswith(("No clear effect", "The most reliable evidence shows no clear"))}

    assert nulls(b2) == nulls(brief)
    if name is None:
        assert len(nulls(brief)) >= 3  # the bundled pack has null results to name
