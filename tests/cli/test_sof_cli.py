"""`evigrade sof PACK -o FILE.docx`: GRADEpro-style SoF tables per comparison (issue 17 item 2)."""
from __future__ import annotations

import csv
import pathlib
import shutil
import statistics

import pytest
from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, run_cli
from evigrade import pipeline
from evigrade.report.sof_docx import HEADERS, _letter, sof_by_comparison

docx = pytest.importorskip("docx")  # the test extra installs python-docx

PACKS = pathlib.Path(__file__).resolve().parents[1] / "packs" / "data"
TIO = PACKS / "tiotropium_karner2014"


def _tables(path):
    d = docx.Document(str(path))
    return d, [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def _or_risk(base, odds_ratio):
    return odds_ratio * base / (1 - base + odds_ratio * base)


def test_letters_run_a_to_z_then_aa():
    assert [_letter(i) for i in (0, 1, 25, 26, 27)] == ["a", "b", "z", "aa", "ab"]


def test_tiotropium_one_table_headers_rows_and_per_1000(tmp_path, capsys):
    out = tmp_path / "sof.docx"
    rc, stdout, err = run_cli(capsys, "sof", TIO, "-o", out)
    assert rc == 0, err
    assert "1 comparison table, 3 rows" in stdout
    d, tables = _tables(out)
    assert len(tables) == 1
    t = tables[0]
    assert tuple(t[0]) == HEADERS
    assert len(t) == 4
    outcomes = [r[0].split("\n")[0] for r in t[1:]]
    assert outcomes == ["quality of life (SGRQ total score)", "one or more exacerbations",
                        "one or more exacerbations requiring hospitalisation"]
    heads = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "Summary of findings: tiotropium compared with placebo" in heads
    # exacerbations: the comparator risk is the median control-arm risk ci/n2i of the trials in results.csv
    with (TIO / "results.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["outcome"] == "exacerbation" and r["ci"] and r["n2i"]]
    base = statistics.median(int(r["ci"]) / int(r["n2i"]) for r in rows)
    graded = pipeline.run(str(TIO))
    row = next(r for r in graded.sof.rows if r.outcome == "one or more exacerbations")
    want_risk = 1000 * _or_risk(base, row.relative_estimate)
    exa = t[2]
    assert f"Risk with comparator: {round(1000 * base)} per 1,000" in exa[1]
    assert f"Risk with intervention: {round(want_risk)} per 1,000" in exa[1]
    assert f"{round(1000 * base - 1000 * _or_risk(base, row.relative_ci_high))} fewer" in exa[1]
    assert exa[2].startswith("OR 0.78 (0.70 to 0.88)")
    assert exa[3] == "23,309 (22 studies)"
    assert exa[4].startswith("\u2295\u2295\u2295\u2295 High")
    assert exa[5] == row.statement
    foot = [p.text for p in d.paragraphs if "median control-arm risk" in p.text]
    assert len(foot) == 2  # exacerbations and hospitalisations, each its own risk
    assert f"({round(1000 * base)} per 1,000): the median control-arm risk of the {len(rows)} trials" in foot[0]


def test_bundled_pack_one_table_per_comparison(tmp_path, capsys):
    out = tmp_path / "dn.docx"
    rc, _, err = run_cli(capsys, "sof", "-o", out)
    assert rc == 0, err
    graded = pipeline.run(None)
    rated = [f for f in graded.findings if f.grade is not None]
    comps = list(dict.fromkeys(f.comparison for f in rated))
    _, tables = _tables(out)
    assert len(tables) == len(comps) == 11
    for comp, t in zip(comps, tables):
        assert tuple(t[0]) == HEADERS
        assert len(t) - 1 == sum(1 for f in rated if f.comparison == comp)


def test_footnotes_are_lettered_and_deduplicated_per_table():
    graded = pipeline.run(None)
    for t in sof_by_comparison(graded):
        assert len(set(t.footnotes)) == len(t.footnotes)
        texts = {n for e in t.entries for n in e.row.footnotes}
        assert texts <= set(t.footnotes)
        for e in t.entries:
            own = list(e.row.footnotes) + ([e.comparator_risk.footnote()] if e.comparator_risk else [])
            assert e.letters == tuple(dict.fromkeys(_letter(t.footnotes.index(f)) for f in own))


def test_pack_comparator_risk_wins_over_the_trials(tmp_path, capsys):
    pack = tmp_path / "bcg"
    shutil.copytree(PACKS / "bcg", pack)
    toml = pack / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('id = "tb"\n', 'id = "tb"\ncomparator_risk = 0.05\n', 1), encoding="utf-8")
    tables = sof_by_comparison(pipeline.run(str(pack)))
    (e,) = tables[0].entries
    assert e.comparator_risk is not None and e.comparator_risk.source == "pack"
    assert_allclose(e.comparator_risk.risk, 0.05)
    out = tmp_path / "b.docx"
    rc, _, err = run_cli(capsys, "sof", pack, "-o", out)
    assert rc == 0, err
    d, (t,) = _tables(out)
    rr = e.row.relative_estimate
    assert f"Risk with intervention: {round(1000 * 0.05 * rr)} per 1,000" in t[1][1]
    assert any("assumed comparator risk given for this outcome in the pack" in p.text for p in d.paragraphs)


def test_no_comparator_risk_is_not_estimable_with_the_reason(tmp_path, capsys):
    out = tmp_path / "nrt.docx"
    rc, _, err = run_cli(capsys, "sof", PACKS / "nrt_combination_cd013308", "-o", out)
    assert rc == 0, err
    _, tables = _tables(out)
    cells = [r[1] for t in tables for r in t[1:]]
    assert cells and all(c.startswith("Not estimable: no comparator risk") for c in cells)


def test_bad_comparator_risk_is_one_line_error(tmp_path, capsys):
    pack = tmp_path / "bcg"
    shutil.copytree(PACKS / "bcg", pack)
    toml = pack / "pack.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('id = "tb"\n', 'id = "tb"\ncomparator_risk = 12\n', 1))
    rc, out, err = run_cli(capsys, "sof", pack, "-o", tmp_path / "b.docx")
    assert_one_line_error(rc, out, err, "pack.toml", "comparator_risk", "12")


def test_not_docx_suffix_is_one_line_error(tmp_path, capsys):
    rc, out, err = run_cli(capsys, "sof", "-o", tmp_path / "sof.pdf")
    assert_one_line_error(rc, out, err, "sof.pdf", ".docx")
