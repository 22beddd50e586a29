"""The bundled report printed to PDF by headless chromium (issue 15): at most 15 A4 pages with the
details collapsed, the whole brief on page 1, one SoF table per comparison, one reference per paper."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import unicodedata

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from cdp import find_chromium  # noqa: E402

pypdf = pytest.importorskip("pypdf")  # in the test extras (pyproject.toml)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (scripts/install-system-deps.sh)"),
    pytest.mark.slow,  # the bundled pipeline plus a browser print: ~20-40 s on 2 shared cores
]

A4 = (595.0, 842.0)  # points
MAX_PAGES = 15


def _print_pdf(html: pathlib.Path, pdf: pathlib.Path, profile: pathlib.Path) -> None:
    exe = find_chromium()
    assert exe is not None
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)


def _squash(text: str) -> str:
    """Text without white space, ligatures ("ﬁ") unfolded: PDF line breaks and fonts do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_bundled_report_prints_on_at_most_15_a4_pages_with_the_brief_on_page_1(tmp_path):
    from evigrade.report import write_report
    from evigrade.report.model import build_model
    from evigrade.report.pipeline import summary_for_report

    d = summary_for_report(None)
    out = write_report(d, tmp_path / "report", generated="2024-01-01T00:00:00Z")
    html = (out / "index.html").read_text(encoding="utf-8")
    # the details layer is folded: every <details> starts closed
    assert html.count("<details") > 20
    assert not any(" open" in tag for tag in re.findall(r"<details[^>]*>", html))

    pdf = tmp_path / "report.pdf"
    _print_pdf(out / "index.html", pdf, tmp_path / "profile")
    reader = pypdf.PdfReader(str(pdf))
    pages = [p.extract_text() or "" for p in reader.pages]
    assert 2 <= len(pages) <= MAX_PAGES, len(pages)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - A4[0]) < 2 and abs(float(box.height) - A4[1]) < 2  # A4, not Letter

    # page 1: the title and the whole brief, every sentence's key down to the last of the conclusion
    brief = d["brief"]
    first = _squash(pages[0])
    assert _squash(d["pack"]["title"])[:40] in first and "Thebrief" in first
    keys = [s["key"] for sec in [*brief["sections"], brief["conclusion"]] for s in sec["sentences"]]
    assert len(keys) >= 8
    for key in keys:
        assert f"[{key}]" in first, key
    assert not any(f"[{k}]" in _squash(p) for p in pages[1:] for k in keys)  # and nothing of it spills over

    # collapsed: the contents of the details (domain-by-domain GRADE tables, forest plots) are not printed
    everything = _squash(" ".join(pages))
    assert "GRADEassessment,domainbydomain" not in everything
    assert "Detailsofeachquestion" in everything and "Summaryoffindings" in everything

    # one SoF table per comparison, and one reference entry per paper
    m = build_model(d)
    comparisons = {f.comparison for f in m.sof}
    assert len(m.sof_tables) == len(comparisons) > 1
    for t in m.sof_tables:
        assert _squash(t.comparison)[:30] in everything
    refs = m.references
    last = refs[-1]
    assert f"{last.number}." in pages[-1] or f"{last.number}." in pages[-2]
    keys_named = sum(len(r.keys) for r in refs)
    assert keys_named > len(refs)  # several source ids and citation texts name the same paper ...
    from evigrade.report.model import _norm_citation, paper_ids

    dois = [paper_ids(r.citation, r.url)[0] for r in refs]
    dois = [x for x in dois if x]
    assert len(dois) == len(set(dois))  # ... but each DOI, PubMed id and citation has one entry
    pmids = [x for x in (paper_ids(r.citation, r.url)[1] for r in refs) if x]
    assert len(pmids) == len(set(pmids))
    cits = [_norm_citation(r.citation) for r in refs]
    assert len(cits) == len(set(cits))


EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if (p / "pack.toml").exists()))
def test_example_pack_reports_print_on_at_most_15_a4_pages_with_the_brief_on_page_1(name, tmp_path):
    from evigrade.report import write_report
    from evigrade.report.pipeline import summary_for_report

    d = summary_for_report(EXAMPLES / name)
    out = write_report(d, tmp_path / "report", generated="2024-01-01T00:00:00Z")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert not any(" open" in tag for tag in re.findall(r"<details[^>]*>", html))  # the details layer is folded
    pdf = tmp_path / "report.pdf"
    _print_pdf(out / "index.html", pdf, tmp_path / "profile")
    reader = pypdf.PdfReader(str(pdf))
    pages = [p.extract_text() or "" for p in reader.pages]
    assert 1 <= len(pages) <= MAX_PAGES, len(pages)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - A4[0]) < 2 and abs(float(box.height) - A4[1]) < 2
    brief = d["brief"]
    first = _squash(pages[0])
    keys = [s["key"] for sec in [*brief["sections"], brief["conclusion"]] for s in sec["sentences"]]
    for key in keys:  # the whole brief on page 1, nothing of it on a later page
        assert f"[{key}]" in first, key
    assert not any(f"[{k}]" in _squash(p) for p in pages[1:] for k in keys)
