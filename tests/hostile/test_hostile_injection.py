"""Injection payloads through every output format (issue 19 items 1 and 8), end to end through the CLI.

* Markup payloads (HTML, Markdown, pandoc, rich) in a pack's title, outcome, family and comparison
  label reach the HTML, Markdown, JSON, terminal and Word outputs as inert text; JSON keeps them exactly.
* Control characters (ESC, BEL, C1 CSI, DEL) are never data: a pack or CSV that holds one is refused
  naming the field (exit 3); from a saved summary or a claims text they reach no terminal and no
  Markdown file raw (shown as ``\\u001b``), and JSON still round-trips them exactly.
* Bidirectional overrides are kept in data but shown as escapes on the terminal.
"""
from __future__ import annotations

import json
import pathlib
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from .hostile_helpers import EVIDENCE_JSON, assert_controlled, assert_validate_refuses, run, write

MARKUP = ('<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2"> '
          "[click](javascript:window.__pwned=3) ![i](javascript:x) [r]: javascript:x "
          "[link=javascript:alert(1)]rich[/link] [bold red]styled[/] **bold** | cell | {onclick=x} "
          "`<b>code</b>`{=html} =HYPERLINK(\"http://evil.example\")")
CONTROLS = "\x1b]0;pwned-title\x07 \x1b[2J\x1b[H \x9b31m \x7f \x1b[8mhidden\x1b[0m"
BIDI = "\u202eevil\u202c \u2066iso\u2069"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _no_raw_control(text: str) -> None:
    m = RAW_CONTROL.search(text)
    assert m is None, f"raw {m.group()!r} at {m.start()}: {text[max(0, m.start() - 60):m.start() + 20]!r}"


def _md_inert(md: str) -> None:
    """No payload markup survives in Markdown: no raw tag, link, image, attribute or raw span."""
    for line in md.splitlines():
        assert not re.search(r"<(script|img|svg|b>)", line, re.I), line
        assert not re.search(r"(?<!\\)\[[^\]\d][^\]]*(?<!\\)\]\(", line), line  # [x](...) unescaped
        assert not re.search(r"(?<!\\)\{(onclick|=html)", line), line
        assert not re.match(r"\s*\[r\]:", line), line


def _html_inert(html: str) -> None:
    low = html.lower()
    assert "<script>window.__pwned" not in low
    assert '<img src=x onerror' not in low
    assert not re.search(r'href="\s*javascript', low)
    assert "window.__pwned" in html  # the payload is there, as text


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a TOML basic string (\uXXXX escapes included)


def _hostile_pack(src: pathlib.Path, dst: pathlib.Path, text: str) -> pathlib.Path:
    shutil.copytree(src, dst)
    toml = (dst / "pack.toml").read_text()
    lines = {
        'title = "Examples from Fleiss (1993)"': f"title = {_toml_str('Title ' + text)}",
        'name = "Aspirin for Preventing Death after Myocardial Infarction"': f"name = {_toml_str('Outcome ' + text)}",
        'family = "Aspirin for Preventing Death after Myocardial Infarction"':
            f"family = {_toml_str('Family ' + text)}",
        'label = "Examples from Fleiss (1993)"': f"label = {_toml_str('Comparison ' + text)}",
    }
    for old, new in lines.items():
        assert old in toml, old
        toml = toml.replace(old, new, 1)
    (dst / "pack.toml").write_text(toml)
    return dst


# ----------------------------------------------------------------------------------------------
# markup payloads in a pack, through every format


@pytest.fixture(scope="module")
def markup_pack(inputs, tmp_path_factory):
    return _hostile_pack(inputs["pack"], tmp_path_factory.mktemp("markup") / "pack", MARKUP + " " + BIDI)


@pytest.fixture(scope="module")
def markup_report(markup_pack, tmp_path_factory):
    import contextlib
    import io

    from evigrade.cli import main

    out = tmp_path_factory.mktemp("markup-report") / "rep"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["report", str(markup_pack), "-o", str(out)]) == 0, err.getvalue()
    return out


def test_pack_markup_html_report(markup_report):
    _html_inert((markup_report / "index.html").read_text())


def test_pack_markup_markdown_report(markup_report):
    md = (markup_report / "report.md").read_text()
    _md_inert(md)
    assert "window.\\_\\_pwned" in md  # the payload is there, escaped


def test_pack_markup_markdown_report_renders_inert(markup_report):
    """The Markdown through a real Markdown renderer (raw HTML allowed, as pandoc and most viewers)."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).enable("table").render((markup_report / "report.md").read_text())
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert not re.search(r'href="\s*javascript', html, re.I)
    assert "onclick" not in re.sub(r">[^<]*<", "><", html)  # only inside text, never as an attribute


def _strings(obj: object) -> set[str]:
    """Every string value of a parsed JSON document."""
    if isinstance(obj, str):
        return {obj}
    vals = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ()
    return set().union(*(_strings(v) for v in vals)) if vals else set()


def test_pack_markup_json_round_trips(markup_report):
    strings = _strings(json.loads((markup_report / "results.json").read_text()))
    for what in ("Title", "Outcome", "Family", "Comparison"):
        assert f"{what} {MARKUP} {BIDI}" in strings, what


@pytest.mark.parametrize("fmt", ["text", "markdown", "details"])
def test_pack_markup_summarize_terminal(capsys, markup_pack, fmt):
    args = ["--details"] if fmt == "details" else ["--format", fmt] if fmt == "markdown" else []
    rc, out, err = run(capsys, "summarize", markup_pack, "--no-color", *args)
    assert rc == 0, err
    _no_raw_control(out)
    assert "\\u202eevil" in out  # the bidi override shown, not obeyed
    if fmt == "markdown":
        _md_inert(out)
    else:  # rich markup printed as text, not interpreted (no OSC 8 link, the brackets are there)
        assert "[link=javascript:alert(1)]rich[/link]" in out.replace("\n", " ")


def test_pack_markup_report_terminal(capsys, markup_pack):
    rc, out, err = run(capsys, "report", markup_pack, "--no-color")
    assert rc == 0, err
    _no_raw_control(out)
    assert "[bold red]styled[/]" in out.replace("\n", " ")


def test_pack_markup_word_table(tmp_path, capsys, markup_pack):
    import docx

    out = tmp_path / "sof.docx"
    rc, stdout, err = run(capsys, "sof", markup_pack, "-o", out)
    assert rc == 0, err
    doc = docx.Document(str(out))
    texts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any(MARKUP in t for t in texts)  # as plain text in the Word file


# ----------------------------------------------------------------------------------------------
# control characters in packs and CSVs are refused, naming the field

PACK_FIELDS = ["title", "name", "family", "label"]


@pytest.mark.parametrize("field", PACK_FIELDS)
@pytest.mark.parametrize("command", ["validate", "summarize", "sof"])
def test_pack_with_control_character_is_refused(tmp_path, capsys, inputs, field, command):
    pack = tmp_path / "pack"
    shutil.copytree(inputs["pack"], pack)
    toml = (pack / "pack.toml").read_text()
    toml = re.sub(rf'^{field} = "([^"]*)"', lambda m: f"{field} = {_toml_str(m.group(1) + CONTROLS)}", toml,
                  count=1, flags=re.M)
    (pack / "pack.toml").write_text(toml)
    argv = {"validate": ["validate", pack], "summarize": ["summarize", pack],
            "sof": ["sof", pack, "-o", tmp_path / "sof.docx"]}[command]
    rc, out, err = run(capsys, *argv)
    check = assert_validate_refuses if command == "validate" else assert_controlled
    check(rc, out, err, "pack.toml", field, "contains the control character U+001B (ESC)")
    assert not (tmp_path / "sof.docx").exists()


@pytest.mark.parametrize("table, column", [("studies.csv", "citation"), ("results.csv", "notes")])
def test_pack_table_with_control_character_is_refused(tmp_path, capsys, inputs, table, column):
    import csv
    import io

    pack = tmp_path / "pack"
    shutil.copytree(inputs["pack"], pack)
    rows = list(csv.reader(io.StringIO((pack / table).read_text())))
    j = rows[0].index(column)
    rows[2][j] += "\x1b]0;pwned\x07"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (pack / table).write_text(buf.getvalue())
    rc, out, err = run(capsys, "summarize", pack)
    assert_controlled(rc, out, err, table, "row 3", column, "U+001B (ESC)")


@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\x08", "\x9b", "\x85", "\x7f", "\x0c"])
@pytest.mark.parametrize("command", ["meta", "grade", "plot"])
def test_studies_csv_label_with_control_character_is_refused(tmp_path, capsys, ch, command):
    p = write(tmp_path / "s.csv", f"study,yi,vi\nA{ch}x,0.1,0.01\nB,0.3,0.02\n")
    argv = {"meta": ["meta", p, "-m", "GEN"], "grade": ["grade", p, "-m", "GEN"],
            "plot": ["plot", "forest", p, "-m", "GEN", "-o", tmp_path / "f.svg"]}[command]
    rc, out, err = run(capsys, *argv)
    assert_controlled(rc, out, err, str(p), "row 2", "column study", f"U+{ord(ch):04X}")


# ----------------------------------------------------------------------------------------------
# control characters where they are accepted: a saved summary, a claims text, file names


@pytest.fixture(scope="module")
def control_summary(inputs, tmp_path_factory):
    d = json.loads(inputs["summary"].read_text())
    payload = MARKUP + " " + CONTROLS + " " + BIDI
    d["title"] = "Title " + payload
    for f in d["findings"]:
        f["outcome_name"] = "Outcome " + payload
        f["comparison_label"] = "Comparison " + payload
    p = tmp_path_factory.mktemp("control-summary") / "summary.json"
    p.write_text(json.dumps(d))
    return p, payload


def test_saved_summary_controls_terminal(capsys, control_summary):
    p, _ = control_summary
    rc, out, err = run(capsys, "report", "--from-json", p, "--no-color")
    assert rc == 0, err
    _no_raw_control(out)
    assert "\\u001b]0;pwned-title" in out  # (rich itself drops BEL and backspace)


def test_saved_summary_controls_files(tmp_path, capsys, control_summary):
    p, payload = control_summary
    rc, out, err = run(capsys, "report", "--from-json", p, "-o", tmp_path / "rep")
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text()
    _no_raw_control(md.replace("\u202e", "").replace("\u202c", "").replace("\u2066", "").replace("\u2069", ""))
    _md_inert(md)
    html = (tmp_path / "rep" / "index.html").read_text()
    _html_inert(html)
    _no_raw_control(html.replace("\u202e", "").replace("\u202c", "").replace("\u2066", "").replace("\u2069", ""))
    assert "\\u001b]0;pwned-title" in html  # shown, not acted on
    assert "Title " + payload in _strings(json.loads((tmp_path / "rep" / "results.json").read_text()))


def test_meta_json_round_trips_labels_through_the_terminal_filter(tmp_path, capsys):
    """The JSON printed to the terminal escapes C1 and bidi characters as JSON escapes: the same text."""
    label = "A " + BIDI + " [bold]x[/bold] <script>y</script> \u00a0nbsp"
    p = write(tmp_path / "s.csv", f'study,yi,vi\n"{label}",0.1,0.01\nB,0.3,0.02\n')
    rc, out, err = run(capsys, "meta", p, "-m", "GEN", "--json")
    assert rc == 0, err
    _no_raw_control(out)
    assert [s["study"] for s in json.loads(out)["studies"]] == [label, "B"]


@pytest.mark.parametrize("command", ["meta", "grade"])
def test_markup_labels_in_terminal_tables(tmp_path, capsys, command):
    label = "A [link=javascript:alert(1)]x[/link] " + BIDI
    p = write(tmp_path / "s.csv", f'study,yi,vi\n"{label}",0.1,0.01\nB,0.3,0.02\nC,0.2,0.03\n')
    rc, out, err = run(capsys, command, p, "-m", "GEN", "--no-color")
    assert rc == 0, err
    _no_raw_control(out)
    assert "\x1b]8;" not in out


@pytest.fixture(scope="module")
def claims_text(tmp_path_factory):
    p = tmp_path_factory.mktemp("claims") / "claims.md"
    p.write_text(f"Dry needling cures neck pain {MARKUP} {CONTROLS} {BIDI}. It works for everyone.\n")
    return p


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_claims_text_payloads_on_stdout(capsys, claims_text, fmt):
    rc, out, err = run(capsys, "check-claims", claims_text, "--evidence", EVIDENCE_JSON, "-f", fmt)
    assert rc == 0, err
    _no_raw_control(out)
    if fmt == "json":
        json.loads(out)
    if fmt == "html":
        _html_inert(out)


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_claims_text_payloads_in_files(tmp_path, capsys, claims_text, fmt):
    out = tmp_path / f"claims.{fmt}"
    rc, stdout, err = run(capsys, "check-claims", claims_text, "--evidence", EVIDENCE_JSON, "-f", fmt, "-o", out)
    assert rc == 0, err
    text = out.read_text()
    if fmt == "json":
        assert any("\x1b]0;pwned-title\x07" in t for t in _strings(json.loads(text)))  # kept exactly in data
    else:
        _html_inert(text)


@pytest.mark.parametrize("name", ["evil\x1b]0;pwned\x07.csv", "evil\x1b[2J.csv", "evil\u202egnp.csv",
                                  "evil\nerror: fake second line.csv"])
def test_hostile_file_names_in_error_lines(tmp_path, capsys, name):
    rc, out, err = run(capsys, "meta", tmp_path / name, "-m", "GEN")
    assert_controlled(rc, out, err, "file not found")
    _no_raw_control(err.rstrip("\n"))
    assert err.count("\n") == 1 and "error: fake" not in err.split("error: ", 1)[1][:5]


def test_plot_svg_with_hostile_title_and_labels(tmp_path, capsys):
    label = MARKUP[:90].replace('"', '""')
    p = write(tmp_path / "s.csv", f'study,yi,vi\n"{label}",0.1,0.01\nB,0.3,0.02\n')
    out = tmp_path / "f.svg"
    rc, stdout, err = run(capsys, "plot", "forest", p, "-m", "GEN", "-o", out, "--title", MARKUP)
    assert rc == 0, err
    root = ET.fromstring(out.read_text())  # well-formed XML; text is drawn as paths, labels kept as comments
    for el in root.iter():
        assert el.tag.rsplit("}", 1)[-1].lower() not in ("script", "foreignobject", "a", "iframe"), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in value.lower(), (name, value)


def test_batch_ids_with_payloads_round_trip(tmp_path, capsys):
    import pandas as pd

    ids = ['=HYPERLINK("http://evil.example")', "<script>x</script>", "[bold]y[/bold]", "A" + BIDI]
    text = "analysis_id,yi,vi\n" + "".join(f'"{i.replace(chr(34), chr(34) * 2)}",0.1,0.01\n'
                                             f'"{i.replace(chr(34), chr(34) * 2)}",0.3,0.02\n' for i in ids)
    p = write(tmp_path / "b.csv", text)
    for stream in ("--stream", "--no-stream"):
        out = tmp_path / f"fits{stream}.csv"
        rc, stdout, err = run(capsys, "batch", p, "-o", out, stream)
        assert rc == 0, err
        _no_raw_control(stdout)
        assert pd.read_csv(out, keep_default_na=False)["analysis_id"].tolist() == ids
