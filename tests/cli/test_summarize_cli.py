"""`evigrade summarize` and `evigrade validate`: thin CLI over packs.summarize / load_pack."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evigrade.cli import main
from evigrade.cli.summarize import run_summarize

NORMAND = Path(__file__).parents[1] / "packs" / "data" / "normand1999"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_validate_bundled(capsys):
    rc, out, err = run(capsys, "validate")
    assert rc == 0 and err == ""
    assert out.strip() == ("bundled:dry-needling-neck-shoulder: valid (56 studies, 132 results, 72 review results, "
                           "56 safety rows, 40 claims, 14 outcomes)")


def test_validate_good_path(capsys):
    rc, out, _ = run(capsys, "validate", str(NORMAND))
    assert rc == 0 and out.startswith(f"{NORMAND}: valid (9 studies, 9 results")


def test_validate_bad_pack_lists_every_problem(capsys, tmp_path):
    dst = tmp_path / "bad"
    shutil.copytree(NORMAND, dst)
    res = dst / "results.csv"
    res.write_text(res.read_text().replace("R2,Orpington-Mild,los", "R2,Nobody,los").replace("R3,Orpington-Moderate,los,short_term", "R3,Orpington-Moderate,los,soon"))
    before = sorted(p.name for p in dst.iterdir())
    rc, out, err = run(capsys, "validate", str(dst))
    assert rc == 3 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert lines[0] == (f"{dst}: results.csv row 3 (R2), column study_id: unknown study id, got 'Nobody'; "
                        "fix: use an id declared in studies.csv")
    assert "results.csv row 4 (R3), column timepoint: unknown time-point bucket, got 'soon'" in lines[1]
    assert lines[2] == f"{dst}: invalid (2 problems)"
    assert "Traceback" not in err
    assert sorted(p.name for p in dst.iterdir()) == before  # nothing written


def test_validate_missing_folder(capsys, tmp_path):
    rc, _, err = run(capsys, "validate", str(tmp_path / "missing"))
    assert rc == 3 and "pack folder does not exist" in err and len(err.strip().splitlines()) == 2


def test_summarize_bad_pack_one_line_exit_3(capsys, tmp_path):
    rc, out, err = run(capsys, "summarize", str(tmp_path / "missing"))
    assert rc == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


def test_summarize_bad_option_exit_3(capsys):
    rc, _, err = run(capsys, "summarize", str(NORMAND), "--method", "REML2")
    assert rc == 3 and "method='REML2' is not one of" in err


def test_summarize_json_is_to_dict(capsys):
    rc, out, _ = run(capsys, "summarize", str(NORMAND), "--json")
    assert rc == 0
    expected = json.loads(json.dumps(run_summarize(str(NORMAND)).to_dict()))
    assert json.loads(out) == expected
    f = json.loads(out)["findings"][0]
    assert f["k"] == 9 and f["basis"] == "trials" and f["measure"] == "MD"


def test_summarize_text(capsys):
    rc, out, _ = run(capsys, "summarize", str(NORMAND), "--no-color", "--method", "REML", "--test", "knha")
    assert rc == 0 and "\x1b[" not in out
    assert "health-care use" in out
    assert "MD -15.11 [-36.32, 6.11]; k=9; n=1158 (pooled trials)" in out
    assert "No adverse-event data in this pack." in out


def test_summarize_bundled_text_groups_and_sections(capsys):
    rc, out, _ = run(capsys, "summarize", "--no-color", "--no-grade")
    assert rc == 0
    for header in ("pain", "function/disability", "pressure-pain sensitivity", "range of motion",
                   "Safety (adverse events)", "Mechanisms"):
        assert f"\n{header}\n" in out
    assert "MD -2.31 [-3.64, -0.99]" in out and "review: NavarroSantana2020" in out
    assert "Brady2014: 0/7,629" in out and "rule of three" in out
    assert "Case reports of serious events (4)" in out


def test_console_script_first_command():
    """What a README reader types first: `evigrade summarize` with no argument."""
    exe = shutil.which("evigrade")
    cmd = [exe, "summarize", "--no-color"] if exe else [sys.executable, "-m", "evigrade", "summarize", "--no-color"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Trigger-point dry needling for neck and shoulder pain" in proc.stdout
    assert "certainty:" in proc.stdout  # GRADE hook applied by default
