"""Renderers: gold files, determinism, refusals, accessibility, self-containment, atomic writes.

Update the gold files after an intended change to the renderers (then review the diff):

    EVIGRADE_UPDATE_GOLD=1 python -m pytest tests/report -q
"""
from __future__ import annotations

import json
import math
import os
import pathlib
import re
from html.parser import HTMLParser

import pytest

from evigrade.errors import InputError, SpecError
from evigrade.report import REPORT_FILES, generated_at, render, write_report
from sofhtml import sof_body

GOLD = pathlib.Path(__file__).parent / "gold"
STAMP = "2024-01-01T00:00:00Z"
UPDATE = os.environ.get("EVIGRADE_UPDATE_GOLD") == "1"


def _check_gold(name: str, text: str) -> None:
    path = GOLD / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing gold file {path}; create it with EVIGRADE_UPDATE_GOLD=1 python -m pytest tests/report")
        path.write_text(text, encoding="utf-8", newline="\n")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its gold file; if intended: EVIGRADE_UPDATE_GOLD=1 python -m pytest tests/report"


@pytest.mark.parametrize("fmt,name", [("html", "small.html"), ("md", "small.md")])
def test_gold_files(summary, fmt, name):
    _check_gold(name, render(summary, fmt, generated=STAMP))


def test_output_is_deterministic_apart_from_the_generated_at_line(summary):
    for fmt in ("html", "md", "json"):
        a = render(summary, fmt, generated="2024-01-01T00:00:00Z").splitlines()
        b = render(summary, fmt, generated="2025-06-30T12:00:00Z").splitlines()
        assert len(a) == len(b)
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        assert len(diff) == 1 and "enerated" in a[diff[0]], (fmt, diff)


def test_source_date_epoch_fixes_the_stamp(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert generated_at() == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        generated_at()


def test_json_keeps_numbers_as_numbers(summary):
    d = json.loads(render(summary, "json", generated=STAMP))
    assert d["generated_at"] == STAMP
    f0 = d["findings"][0]
    assert f0["estimate"] == summary["findings"][0]["estimate"]  # full precision, not a formatted string
    assert isinstance(f0["meta"]["tau2"], float)


def test_report_numbers_trace_to_the_input(summary):
    md = render(summary, "md", generated=STAMP)
    meta = summary["findings"][0]["meta"]
    assert "MD -15.11 (-36.32 to 6.11)".replace("-", "\u2212") in md
    assert f"tau\u00b2 = {meta['tau2']:.4f}" in md and f"I\u00b2 = {100 * meta['i2']:.1f}%" in md
    rr = summary["findings"][1]["meta"]
    assert f"RR {math.exp(rr['estimate']):.2f} ({math.exp(rr['ci_low']):.2f} to {math.exp(rr['ci_high']):.2f})" in md
    # each study row of the Markdown forest table
    for s in meta["studies"]:
        assert f"| {s['study']} |" in md
    assert "[1]" in md and "Normand SLT" in md


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.th_parent: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_accessibility_basics(summary):
    html = render(summary, "html", generated=STAMP)
    p = _Collector()
    p.feed(html)
    ths = [a for t, a in p.tags if t == "th"]
    assert ths and all(a.get("scope") in ("col", "row") for a in ths), "every <th> needs scope"
    n_tables = sum(1 for t, _ in p.tags if t == "table")
    assert n_tables == html.count("<thead>") + html.count('<table class="question">')
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 3  # two forests + one funnel (k = 13 >= 10)
    for svg in svgs:
        assert re.search(r"<svg[^>]*role=\"img\"", svg)
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title><desc id=\"[^\"]+\">[^<]+</desc>", svg)
    assert '<html lang="en">' in html


def test_html_is_self_contained(summary):
    html = render(summary, "html", generated=STAMP)
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"<(img|link|iframe|object|embed|source|video|audio)\b", html)
    assert not re.search(r"\bsrc=", html)
    assert "@media print" in html


def test_text_view_has_sof_table_and_no_ansi(summary):
    txt = render(summary, "text")
    assert "Summary of findings" in txt and "\x1b[" not in txt
    assert "Length of" in txt and "⊕⊕◯◯ Low" in txt
    assert "\x1b[" in render(summary, "text", color=True)


@pytest.mark.parametrize(
    "mutate,err,match",
    [
        (lambda s: s["findings"][2].update(estimate=-5.0), InputError, "outside its own CI"),
        (lambda s: s["findings"][2].update(ci_low=0.5), InputError, "lower bound exceeds"),
        (lambda s: s["findings"][0].update(certainty="medium"), SpecError, "certainty='medium'"),
        (lambda s: s["findings"][0].update(basis="guess"), SpecError, "basis='guess'"),
        (lambda s: s["findings"][0].update(k=8), InputError, "different number of studies"),
        (lambda s: s["findings"][1].update(estimate=-0.7, ci_low=-1.1, ci_high=-0.3), InputError, "ratio measure"),
        (lambda s: s.update(spec={"method": "MAGIC", "test": "knha"}), SpecError, "method='MAGIC'"),
        (lambda s: s.pop("findings"), InputError, "no 'findings' list"),
    ],
)
def test_renderers_refuse_what_they_cannot_describe(summary, mutate, err, match):
    mutate(summary)
    with pytest.raises(err, match=match) as exc:
        render(summary, "html")
    assert "\n" not in str(exc.value)


def test_unknown_format(summary):
    with pytest.raises(SpecError, match="fmt='pdf' is not one of"):
        render(summary, "pdf")


def test_write_report_writes_three_files(summary, tmp_path):
    out = write_report(summary, tmp_path / "rep", generated=STAMP)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert (out / "index.html").read_text(encoding="utf-8") == render(summary, "html", generated=STAMP)
    # re-running replaces an existing report folder
    write_report(summary, out, generated="2030-01-01T00:00:00Z")
    assert "2030-01-01" in (out / "report.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temp folders left behind


def test_write_report_failure_leaves_nothing(summary, tmp_path, monkeypatch):
    import evigrade.report._render as r

    real = r.render

    def failing(s, fmt="html", **kw):
        if fmt == "json":
            raise InputError("boom")
        return real(s, fmt, **kw)

    monkeypatch.setattr(r, "render", failing)
    with pytest.raises(InputError, match="boom"):
        r.write_report(summary, tmp_path / "rep", generated=STAMP)
    assert list(tmp_path.iterdir()) == []
    # an old report stays intact when the new one fails
    monkeypatch.setattr(r, "render", real)
    r.write_report(summary, tmp_path / "rep", generated=STAMP)
    before = (tmp_path / "rep" / "index.html").read_bytes()
    monkeypatch.setattr(r, "render", failing)
    with pytest.raises(InputError):
        r.write_report(summary, tmp_path / "rep", generated="2030-01-01T00:00:00Z")
    assert (tmp_path / "rep" / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_write_failure_midway_leaves_nothing(summary, tmp_path, monkeypatch):
    real = pathlib.Path.write_text

    def failing(self, text, *a, **kw):
        if self.name == "results.json":
            raise OSError("disk full")
        return real(self, text, *a, **kw)

    monkeypatch.setattr(pathlib.Path, "write_text", failing)
    with pytest.raises(OSError, match="disk full"):
        write_report(summary, tmp_path / "rep", generated=STAMP)
    assert list(tmp_path.iterdir()) == []


def test_write_report_refuses_a_folder_with_other_files(summary, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="already holds other files"):
        write_report(summary, d, generated=STAMP)
    assert (d / "thesis.docx").read_text() == "precious"
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(InputError, match="existing file"):
        write_report(summary, f, generated=STAMP)


def test_subgroup_rows_and_escaping(summary):
    f = summary["findings"][0]
    f["subgroups"] = [{"label": "Orpington trials", "estimate": -42.6, "ci_low": -80.0, "ci_high": -5.2, "k": 3}]
    f["meta"]["studies"][0]["study"] = "Edinburgh <script>alert(1)</script> & co"
    f["statement"] = "It <b>may</b> help."
    html = render(summary, "html", generated=STAMP)
    assert html.count('data-kind="subgroup"') == 1 and "Orpington trials" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "It &lt;b&gt;may&lt;/b&gt; help." in html
    md = render(summary, "md", generated=STAMP)
    assert "| **Orpington trials** |" in md and "&lt;script>" in md


def test_findings_without_estimate_are_listed_not_dropped(summary):
    summary["findings"].append({
        "outcome": "rom", "outcome_name": "Range of motion", "family": "pain", "timepoint": "short_term",
        "timepoint_label": "in the short term", "comparison": "sham", "comparison_label": "dry needling vs sham",
        "basis": "trials", "measure": None, "estimate": None, "ci_low": None, "ci_high": None,
        "not_poolable": [{"study_id": "Smith2020", "result_as_reported": "ROM improved in both groups", "p_value": "0.3",
                          "reason": "only a p-value is reported"}],
    })
    html = render(summary, "html", generated=STAMP)
    sof = sof_body(html)
    assert sof and "Range of motion" not in sof  # no estimate: not a SoF row
    assert "Results without numbers" in html
    assert "Smith2020: ROM improved in both groups (p = 0.3); not pooled: only a p-value is reported" in html


def test_one_reference_per_paper_by_doi_pmid_or_citation():
    """Source ids and citation texts that name the same paper share one numbered entry; its link is the
    DOI, else PubMed, else the source's http(s) URL; other schemes are never linked."""
    from evigrade.report.model import _Refs

    cat = {
        "Smith2014": {"citation": "Smith J, Doe A. A trial. J Pain. 2014;44(4):252-260.", "url": "https://example.org/x?doi=10.1000%2Fabc.1"},
        "Smith2014b": {"citation": "Smith J, et al. J Pain. 2014;44(4):252-260 [outcomes.csv O001]", "url": None},
        "Lee2020": {"citation": "Lee K. Another review. Pain Med. 2020.", "url": "https://www.ncbi.nlm.nih.gov/pubmed/12345678"},
        "Lee2020_r": {"citation": "Lee K. A differently worded citation.", "url": "http://www.pubmed.gov/12345678/"},
        "Bad": {"citation": "Bad B. Unsafe link.", "url": "javascript:alert(1)"},
    }
    refs = _Refs(cat)
    a = refs.add("Smith2014")
    assert refs.add("Smith2014b") == a  # same first author, year, volume and first page
    assert refs.add("Smith J, Doe A. A trial. J Pain. 2014;44(4):252-260. [results.csv R7]") == a  # provenance tag ignored
    b = refs.add("Lee2020")
    assert refs.add("Lee2020_r") == b != a  # same PubMed id
    assert refs.add({"id": "X", "citation": "Other paper", "url": "doi:10.1000/ABC.1"}) == a  # same DOI, any case
    c = refs.add("Bad")
    out = refs.all()
    assert [r.number for r in out] == [1, 2, 3] and (a, b, c) == (1, 2, 3)
    assert out[0].url == "https://doi.org/10.1000/abc.1" and out[0].keys[:2] == ("Smith2014", "Smith2014b")
    assert out[0].labels == ("Smith2014", "Smith2014b", "X")  # ids, not citation texts
    assert out[1].url == "https://pubmed.ncbi.nlm.nih.gov/12345678/"
    assert out[2].url is None and out[2].citation == "Bad B. Unsafe link."
