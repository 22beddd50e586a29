"""`evigrade report` and `evigrade summarize --report`: files written atomically, controlled errors
exit 3 with one line; one smoke test on the bundled pack."""
from __future__ import annotations

import json
import re

import pytest

from evigrade.cli import main
from evigrade.report import REPORT_FILES
from sofhtml import sof_body


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_report_from_json(summary, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(summary), encoding="utf-8")
    code, out, err = _run(capsys, ["report", "--from-json", str(src), "-o", str(tmp_path / "rep")])
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == sorted(REPORT_FILES)
    assert "wrote" in out and "index.html" in out
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "Generated at: 2023-11-14T22:13:20Z" in html
    # results.json round-trips through --from-json to the same report
    code, _, err = _run(capsys, ["report", "--from-json", str(tmp_path / "rep" / "results.json"), "-o", str(tmp_path / "rep2")])
    assert code == 0, err
    assert (tmp_path / "rep2" / "index.html").read_text(encoding="utf-8") == html


def test_report_terminal_view_no_color(summary, tmp_path, capsys):
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(summary), encoding="utf-8")
    code, out, _ = _run(capsys, ["report", "--from-json", str(src), "--no-color"])
    assert code == 0
    assert "Summary of findings" in out and "\x1b[" not in out
    assert "RR 0.49 (0.33 to 0.73)" in out


@pytest.mark.parametrize(
    "content,match",
    [
        ("{not json", "not valid JSON"),
        ('{"findings": 3}', "no 'findings' list"),
        (b"\xff\xfe\x00binary", "not UTF-8"),
    ],
)
def test_report_bad_json_exits_3_with_one_line(tmp_path, capsys, content, match):
    src = tmp_path / "s.json"
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content, encoding="utf-8")
    code, out, err = _run(capsys, ["report", "--from-json", str(src), "-o", str(tmp_path / "rep")])
    assert code == 3
    assert err.count("\n") == 1 and match in err and "Traceback" not in err
    assert not (tmp_path / "rep").exists()


def test_report_refusal_exits_3_and_writes_nothing(summary, tmp_path, capsys):
    summary["findings"][0]["certainty"] = "sure"
    src = tmp_path / "s.json"
    src.write_text(json.dumps(summary), encoding="utf-8")
    code, _, err = _run(capsys, ["report", "--from-json", str(src), "-o", str(tmp_path / "rep")])
    assert code == 3 and "certainty='sure'" in err and err.count("\n") == 1
    assert not (tmp_path / "rep").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_report_usage_errors(tmp_path, capsys):
    code, _, err = _run(capsys, ["report", str(tmp_path), "--from-json", str(tmp_path / "x.json")])
    assert code == 3 and "either PACK or --from-json" in err
    code, _, err = _run(capsys, ["report", str(tmp_path / "no-such-pack"), "-o", str(tmp_path / "rep")])
    assert code == 3 and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "rep").exists()


@pytest.mark.slow
def test_bundled_pack_smoke(tmp_path, capsys, monkeypatch):
    """The bundled pack end to end (structure only: its numbers are checked in tests/packs)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    code, _, err = _run(capsys, ["report", "-o", str(tmp_path / "rep")])
    assert code == 0, err
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    res = json.loads((tmp_path / "rep" / "results.json").read_text(encoding="utf-8"))
    n_with_estimate = sum(f["estimate"] is not None for f in res["findings"])
    assert n_with_estimate > 0
    sof = sof_body(html)  # one table per comparison
    assert sof.count("<tr>") == n_with_estimate  # one body row per finding with an estimate
    for section in ("question", "key-messages", "sof", "safety", "mechanisms", "practice", "methods", "references"):
        assert f'id="{section}"' in html
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert svgs and all("data-study-rows" in s for s in svgs)
    assert "## Summary of findings" in md and "Certainty of evidence was rated with GRADE" in md
    # summarize --report writes the same report (same stamp)
    code, _, err = _run(capsys, ["summarize", "--report", str(tmp_path / "rep2"), "--no-color"])
    assert code == 0, err
    for name in REPORT_FILES:
        assert (tmp_path / "rep2" / name).read_bytes() == (tmp_path / "rep" / name).read_bytes(), name


def test_progress_is_silent_when_not_a_terminal(capsys):
    from evigrade.cli.report import run_with_progress

    assert run_with_progress(lambda progress: (progress("step"), 42)[1], no_color=True) == 42
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_bar_on_a_terminal_is_transient(monkeypatch):
    import io
    import time

    from rich.console import Console

    import evigrade.cli.report as rep

    buf = io.StringIO()
    monkeypatch.setattr(rep, "make_console", lambda no_color, stderr=False: Console(
        file=buf, force_terminal=True, no_color=no_color, width=80, color_system=None))

    def fn(progress):
        progress("rendering report")
        time.sleep(0.25)  # long enough for one refresh (10 per second)
        return "done"

    assert rep.run_with_progress(fn, no_color=True) == "done"
    s = buf.getvalue()
    assert "rendering report" in s  # drawn while running ...
    assert s.endswith("\x1b[?25h\r\x1b[1A\x1b[2K")  # ... and erased at the end (transient), cursor shown again
    assert "\x1b[3" not in s  # --no-color: no colour codes


def test_no_color_console(monkeypatch):
    from evigrade.cli.report import make_console

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert make_console(True).no_color and not make_console(False).no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console(False).no_color
