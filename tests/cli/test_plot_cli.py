"""`evigrade plot forest|funnel STUDIES.csv --measure M -o FILE.png|svg|pdf` (issue 17 item 3)."""
from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import assert_one_line_error, run_cli
from test_papercuts_cli import BCG

PNG_SIG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def bcg(tmp_path):
    p = tmp_path / "bcg.csv"
    p.write_text(BCG, encoding="utf-8")
    return p


def _png_size_and_dpi(data: bytes) -> tuple[int, int, float | None]:
    assert data[:8] == PNG_SIG
    assert data[12:16] == b"IHDR"
    w, h = struct.unpack(">II", data[16:24])
    i, dpi = 8, None
    while i < len(data):  # walk the chunks for pHYs (pixels per metre)
        (ln,) = struct.unpack(">I", data[i:i + 4])
        typ = data[i + 4:i + 8]
        if typ == b"pHYs":
            ppm_x, _ppm_y, unit = struct.unpack(">IIB", data[i + 8:i + 17])
            if unit == 1:
                dpi = ppm_x * 0.0254
        if typ == b"IEND":
            break
        i += 12 + ln
    return w, h, dpi


def _svg_root(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


@pytest.mark.parametrize("kind", ["forest", "funnel"])
def test_plot_png_is_a_300_dpi_png(kind, bcg, tmp_path, capsys):
    out = tmp_path / f"{kind}.png"
    rc, stdout, err = run_cli(capsys, "plot", kind, bcg, "--measure", "RR", "-o", out)
    assert rc == 0, err
    assert f"wrote {out}" in stdout
    w, h, dpi = _png_size_and_dpi(out.read_bytes())
    assert dpi == pytest.approx(300, abs=0.5)
    # forest: 9 in wide at 300 dpi before the tight bounding box; funnel 5 in x 4 in
    assert (w, h) > ((1500, 1000) if kind == "forest" else (1000, 800))


def test_forest_svg_has_one_row_per_study_rob_and_pooled_text(bcg, tmp_path, capsys):
    out = tmp_path / "forest.svg"
    rc, _, err = run_cli(capsys, "plot", "forest", bcg, "--measure", "RR", "--method", "DL", "-o", out)
    assert rc == 0, err
    root = _svg_root(out)
    assert root.iter()  # parses as XML with an <svg> root
    text = out.read_text(encoding="utf-8")
    # svg.fonttype=path: text is drawn as glyph paths and the string itself kept in a comment per text
    for s in ("Aronson 1948", "Comstock 1976", "Pooled (DL)", "Prediction interval", "RoB", "Heterogeneity"):
        assert s in text, s


def test_forest_without_rob_column_has_no_rob_header(tmp_path, capsys):
    p = tmp_path / "md.csv"
    p.write_text("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,2,20,2,2,20\nB,1.5,2,30,2,2.5,30\nC,0.5,1,25,1.5,1.2,25\n")
    out = tmp_path / "f.svg"
    rc, _, err = run_cli(capsys, "plot", "forest", p, "--measure", "MD", "-o", out)
    assert rc == 0, err
    text = out.read_text(encoding="utf-8")
    assert "Mean difference" in text and "RoB" not in text


def test_plot_pdf_is_a_pdf(bcg, tmp_path, capsys):
    out = tmp_path / "forest.pdf"
    rc, _, err = run_cli(capsys, "plot", "forest", bcg, "--measure", "OR", "-o", out)
    assert rc == 0, err
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in data
    try:
        import pypdf
    except ImportError:
        pypdf = None
    if pypdf is not None:
        assert len(pypdf.PdfReader(str(out)).pages) == 1
    elif shutil.which("pdfinfo"):
        r = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True)
        assert r.returncode == 0 and "Pages:          1" in r.stdout


def test_same_plot_same_svg_bytes(bcg, tmp_path, capsys):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for f in (a, b):
        rc, _, err = run_cli(capsys, "plot", "funnel", bcg, "--measure", "RR", "-o", f)
        assert rc == 0, err
    assert a.read_bytes() == b.read_bytes()


def test_unknown_suffix_is_one_line_error(bcg, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "plot", "forest", bcg, "--measure", "RR", "-o", tmp_path / "f.jpg")
    assert_one_line_error(rc, out, err, "f.jpg", ".png, .svg or .pdf")
    assert not (tmp_path / "f.jpg").exists()


def test_unknown_kind_is_one_line_error(bcg, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "plot", "galaxy", bcg, "--measure", "RR", "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "galaxy", "forest")


def test_bad_rob_cell_is_one_line_error(tmp_path, capsys):
    p = tmp_path / "s.csv"
    p.write_text(BCG.replace("Aronson 1948,4,119,11,128,low", "Aronson 1948,4,119,11,128,dubious"))
    rc, out, err = run_cli(capsys, "plot", "forest", p, "--measure", "RR", "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "s.csv", "dubious")


TIO = __import__("pathlib").Path(__file__).resolve().parents[1] / "packs" / "data" / "tiotropium_karner2014"
EXA = "f-exacerbation-follow-up-3-to-48-months-placebo-copd"


@pytest.mark.slow
def test_pack_finding_forest_is_the_reports_plot(tmp_path, capsys):
    """The file shows the report's ForestData for the finding: its 22 trials, pooled row and the review's row."""
    from evigrade.report.model import build_model
    from evigrade.report.pipeline import summary_for_report

    view = next(v for v in build_model(summary_for_report(TIO)).findings if v.anchor == EXA)
    out = tmp_path / "exa.svg"
    rc, _, err = run_cli(capsys, "plot", "forest", TIO, "--finding", EXA, "-o", out)
    assert rc == 0, err
    _svg_root(out)
    text = out.read_text(encoding="utf-8")
    studies = [r.label for r in view.forest.rows if r.kind == "study"]
    assert len(studies) == 22
    for label in studies + ["Pooled (REML, HKSJ)", "Prediction interval", "Karner2014"]:
        assert label in text, label
    # the anchor may be given without its 'f-' prefix; PNG at 300 dpi
    png = tmp_path / "exa.png"
    rc, _, err = run_cli(capsys, "plot", "funnel", TIO, "--finding", EXA[2:], "-o", png)
    assert rc == 0, err
    assert _png_size_and_dpi(png.read_bytes())[2] == pytest.approx(300, abs=0.5)


def test_pack_finding_errors_are_one_line(tmp_path, capsys):
    rc, out, err = run_cli(capsys, "plot", "funnel", TIO, "--finding", "f-sgrq-follow-up-3-to-48-months-placebo-copd",
                           "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "no funnel plot", EXA)
    rc, out, err = run_cli(capsys, "plot", "forest", TIO, "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "--finding")
    rc, out, err = run_cli(capsys, "plot", "forest", TIO, "--finding", "nope", "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "no such finding", "nope")


def test_csv_needs_measure(bcg, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "plot", "forest", bcg, "-o", tmp_path / "f.png")
    assert_one_line_error(rc, out, err, "--measure")
