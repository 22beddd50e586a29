"""End-to-end `evigrade check-claims`: text, json and html output; bad input -> one line, exit 3."""
from __future__ import annotations

import json
import pathlib
import re

import pytest

from cli_helpers import run_cli as run

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "claims" / "evidence_fixture.json"

LEAFLET = """# Dry needling at our clinic

Dry needling is **clinically proven** to eliminate neck pain. It is completely safe.
Dry needling may reduce neck pain in the short term (e.g. over a few weeks).

- Book your appointment today!
- Dry needling resets the nervous system.

<script>alert("x")</script> Dry needling improves range of motion.
"""


@pytest.fixture
def leaflet(tmp_path) -> pathlib.Path:
    p = tmp_path / "leaflet.md"
    p.write_text(LEAFLET, encoding="utf-8")
    return p


def test_json_output(capsys, leaflet):
    code, out, err = run(capsys, "check-claims", str(leaflet), "--evidence", str(FIXTURE), "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    claims = d["claims"]
    assert [c["verdict"] for c in claims] == ["not_a_claim", "overstated", "contradicted", "consistent", "not_a_claim",
                                              "unsupported", "contradicted"]
    assert claims[1]["sentence"] == "Dry needling is clinically proven to eliminate neck pain."
    assert claims[1]["aspects"] == ["certainty", "size"]
    assert claims[1]["evidence"][0]["outcome"] == "pain" and claims[1]["rewording"]
    assert claims[3]["sentence"] == "Dry needling may reduce neck pain in the short term (e.g. over a few weeks)."
    for c in claims:
        assert set(c) >= {"sentence", "verdict", "aspects", "evidence", "rewording"}
    assert d["counts"]["overstated"] == 1 and d["source"] == str(leaflet)


def test_text_output(capsys, leaflet):
    code, out, err = run(capsys, "check-claims", str(leaflet), "--evidence", str(FIXTURE))
    assert code == 0, err
    assert "OVERSTATED (certainty, size)" in out
    assert "CONTRADICTED" in out and "honest wording:" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal


def test_html_output_is_self_contained_and_escaped(capsys, leaflet, tmp_path):
    target = tmp_path / "out" / "claims.html"
    target.parent.mkdir()
    code, out, err = run(capsys, "check-claims", str(leaflet), "--evidence", str(FIXTURE), "--format", "html",
                         "-o", str(target))
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert "<script>" not in html and "&lt;script&gt;" not in html  # tags are stripped as Markdown HTML...
    assert "alert(&quot;x&quot;)" in html                             # ...and the text left is escaped
    assert not re.search(r"(src|href)=\"?https?://", html)            # no network resources
    assert "overstated" in html and "Honest wording" in html
    assert [p.name for p in target.parent.iterdir()] == ["claims.html"]  # no temp file left behind


def test_html_escapes_angle_brackets_in_sentences(capsys, tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Dry needling reduces neck pain by > 50% & more.\n", encoding="utf-8")
    code, out, _ = run(capsys, "check-claims", str(p), "--evidence", str(FIXTURE), "--format", "html")
    assert code == 0 and "&gt; 50% &amp; more" in out


def test_default_evidence_runs(capsys, leaflet):
    code, out, err = run(capsys, "check-claims", str(leaflet), "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)["claims"]) == 7


def test_bad_format_is_a_controlled_error(capsys, leaflet):
    code, out, err = run(capsys, "check-claims", str(leaflet), "--format", "xml")
    assert code == 3 and err.strip() == "error: --format='xml' is not one of 'text', 'json', 'html'"


def _bad(capsys, path, pattern):
    code, out, err = run(capsys, "check-claims", str(path))
    assert code == 3, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]


def test_missing_file(capsys, tmp_path):
    _bad(capsys, tmp_path / "nope.md", r"nope\.md: file not found; fix: ")


def test_folder(capsys, tmp_path):
    _bad(capsys, tmp_path, r"is a folder, not a text file")


def test_empty_file(capsys, tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("  \n\n", encoding="utf-8")
    _bad(capsys, p, r"empty\.txt: file is empty; fix: ")


def test_binary_file(capsys, tmp_path):
    p = tmp_path / "img.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _bad(capsys, p, r"img\.png: looks like a binary file .*; fix: save the text as plain UTF-8")


def test_not_utf8_file(capsys, tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("Dry needling\nr\u00e9duit la douleur.\n".encode("latin-1"))
    _bad(capsys, p, r"latin1\.txt: is not UTF-8 text \(byte 0xe9 at line 2\); fix: re-save the file as UTF-8")


def test_file_over_the_limit_is_refused_quickly(capsys, tmp_path):
    p = tmp_path / "big.txt"
    p.write_text(("Dry needling reduces neck pain. " * 32 + "\n") * 6000, encoding="utf-8")
    assert p.stat().st_size > 6_000_000
    _bad(capsys, p, r"big\.txt: file is too large to check \(6\.\d MB; the limit is 6\.0 MB\); fix: split the text "
                    r"into files under the limit and check each one")


def _generated_text(nbytes: int, seed: int = 7) -> str:
    """Distinct paragraphs built from the labelled sentences (a seeded shuffle), with headings."""
    import random

    from evigrade.claims.evaluate import read_labelled

    here = pathlib.Path(__file__).resolve().parents[1] / "claims"
    sentences = [i.sentence for p in sorted(here.glob("claims_*.csv")) for i in read_labelled(p)]
    rnd = random.Random(seed)
    out, n, k = [], 0, 0
    while n < nbytes:
        k += 1
        chunk = (f"## Section {k}\n\n" if k % 7 == 0 else "") + " ".join(
            rnd.choice(sentences) for _ in range(rnd.randint(2, 6))) + "\n\n"
        out.append(chunk)
        n += len(chunk.encode("utf-8"))
    return "".join(out)


@pytest.mark.slow
@pytest.mark.timeout(900)  # not a timing check: 70 s alone on this 2-core machine, 300+ s beside 6 busy processes
def test_five_megabyte_text_is_checked(capsys, tmp_path):
    """The issue's "5 MB text": checked in full (about 70 s for ~88,000 sentences on an idle 2-core
    machine since the real-text tuning rules, 20 s before them; see MAX_BYTES), every sentence reported at its
    own line."""
    p = tmp_path / "five_mb.md"
    p.write_text(_generated_text(5 * 1024 * 1024), encoding="utf-8")
    assert p.stat().st_size >= 5 * 1024 * 1024
    out_path = tmp_path / "report.txt"
    code, out, err = run(capsys, "check-claims", str(p), "--evidence", str(FIXTURE), "-o", str(out_path))
    assert code == 0, err
    report = out_path.read_text(encoding="utf-8")
    m = re.search(r"^(\d+) sentences: ", report, re.M)
    assert m and int(m.group(1)) > 80_000
    n_lines = p.read_text(encoding="utf-8").count("\n")
    lines = [int(x) for x in re.findall(r"^\d+\. line (\d+):", report, re.M)]
    assert len(lines) == int(m.group(1)) and lines == sorted(lines) and lines[-1] <= n_lines
    assert len(set(lines)) > 10_000  # sentences point at many different lines, not "line 1"


def test_sentences_report_their_own_lines(capsys):
    """Every sentence carries the line of the input file on which it starts (a manual check once
    saw every sentence reported as line 1)."""
    here = pathlib.Path(__file__).resolve().parents[1] / "claims"
    code, out, err = run(capsys, "check-claims", str(here / "clinic_page.md"), "--evidence",
                         str(here / "bundled_evidence_snapshot.json"), "--format", "json")
    assert code == 0, err
    page = (here / "clinic_page.md").read_text(encoding="utf-8").splitlines()
    claims = json.loads(out)["claims"]
    for c in claims:
        first_words = " ".join(c["sentence"].split()[:2]).strip('"')
        assert first_words in page[c["line"] - 1].replace("**", ""), (c["line"], c["sentence"])

    def line_of(start: str) -> int:
        return next(c["line"] for c in claims if c["sentence"].startswith(start))

    assert line_of("Research shows it releases") == 11
    assert line_of("Most clients notice") == 12
    assert line_of("The same review found no effect") == 18
    assert line_of("You may feel some soreness") == 24
    assert line_of("Sessions take about 30 minutes") == 28


def test_utf8_bom_is_accepted(capsys, tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffDry needling is completely safe.\n".encode("utf-8"))
    code, out, _ = run(capsys, "check-claims", str(p), "--evidence", str(FIXTURE), "--format", "json")
    assert code == 0 and json.loads(out)["claims"][0]["sentence"] == "Dry needling is completely safe."


def test_bad_evidence_file(capsys, tmp_path, leaflet):
    bad = tmp_path / "ev.json"
    bad.write_text("[", encoding="utf-8")
    code, out, err = run(capsys, "check-claims", str(leaflet), "--evidence", str(bad))
    assert code == 3 and "ev.json: not a valid evidence JSON" in err and len(err.strip().splitlines()) == 1


def test_pack_option(capsys, leaflet):
    packs = pytest.importorskip("evigrade.packs")
    path = packs.bundled_pack_path()
    code, out, err = run(capsys, "check-claims", str(leaflet), "--pack", str(path), "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["evidence_origin"].startswith("pack 'dry-needling-neck-shoulder'")
    assert [c["verdict"] for c in d["claims"]][:3] == ["not_a_claim", "overstated", "contradicted"]


def test_missing_pack_is_a_controlled_error(capsys, leaflet, tmp_path):
    pytest.importorskip("evigrade.packs")
    code, out, err = run(capsys, "check-claims", str(leaflet), "--pack", str(tmp_path / "nopack"))
    assert code == 3 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_pack_and_evidence_together_is_a_controlled_error(capsys, leaflet):
    code, out, err = run(capsys, "check-claims", str(leaflet), "--pack", "x", "--evidence", str(FIXTURE))
    assert code == 3 and err.strip() == "error: give either --pack or --evidence, not both"


def test_realistic_clinic_page_end_to_end(capsys):
    """A whole Markdown page (headings, quote, abbreviations) checked against the bundled-pack snapshot.

    The expected verdicts (tests/claims/clinic_page_expected.csv) were written before the first run,
    which got 20 of 22 (an unnamed-treatment efficacy claim and "I had pain for 3 years" were missed
    and then fixed)."""
    import csv

    here = pathlib.Path(__file__).resolve().parents[1] / "claims"
    code, out, err = run(capsys, "check-claims", str(here / "clinic_page.md"), "--evidence",
                         str(here / "bundled_evidence_snapshot.json"), "--format", "json")
    assert code == 0, err
    claims = json.loads(out)["claims"]
    with (here / "clinic_page_expected.csv").open(encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    assert len(claims) == len(expected)
    for c, e in zip(claims, expected):
        assert c["sentence"].startswith(e["sentence_starts"]), (c["sentence"], e)
        assert c["verdict"] == e["expected_verdict"], (c["sentence"], c["verdict"], c["explanation"])
        if e["expected_aspects"]:
            assert set(c["aspects"]) >= set(e["expected_aspects"].split(";")), (c["sentence"], c["aspects"])


def test_output_file_gets_ordinary_permissions(capsys, leaflet, tmp_path):
    """-o writes through a temporary file (atomic); the report must not keep mkstemp's 0600 mode."""
    import os

    target = tmp_path / "report.html"
    code, out, err = run(capsys, "check-claims", str(leaflet), "--evidence", str(FIXTURE), "-f", "html", "-o", str(target))
    assert code == 0, err
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
