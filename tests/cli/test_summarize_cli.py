"""`evigrade summarize` and `evigrade validate`: thin CLI over packs.summarize / load_pack."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import run_cli as run
from evigrade.cli.summarize import run_summarize

NORMAND = Path(__file__).parents[1] / "packs" / "data" / "normand1999"


def test_validate_bundled(capsys):
    rc, out, err = run(capsys, "validate")
    assert rc == 0 and err == ""
    assert out.strip() == ("bundled:dry-needling-neck-shoulder: valid (56 studies, 132 results, 85 review results, "
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
    rc, out, _ = run(capsys, "summarize", str(NORMAND), "--details", "--no-color", "--method", "REML", "--test", "knha")
    assert rc == 0 and "\x1b[" not in out
    assert "health-care use" in out
    # the unit is shown with the number; the pooled trials are named with their result rows
    assert "MD -15.11 [-36.32, 6.11] length of stay days; k=9; n=1,158 (pooled trials: Edinburgh [R1]," in out
    assert "No adverse-event data in this pack." in out


def test_summarize_bundled_text_groups_and_sections(capsys):
    rc, out, _ = run(capsys, "summarize", "--no-color", "--no-grade")
    assert rc == 0
    for header in ("pain", "function/disability", "pressure-pain sensitivity", "range of motion",
                   "Safety (adverse events)", "Mechanisms"):
        assert f"\n{header}\n" in out
    assert "MD -2.31 [-3.64, -0.99]" in out and "review: NavarroSantana2020" in out
    assert "Brady2014 [S002]: 0/7,629" in out and "rule of three" in out
    assert "Case reports (4)" in out
    # two sources per severity class: no pooled rate, the range and each source's exact CI instead
    assert "pooled 27.10%" not in out and "mild per treatment: 19.18% to 36.80% across 2 sources (not pooled" in out
    # review rows without k / n: said in words, never "NA"
    assert "k=NA" not in out and "n=NA" not in out and "k not reported; participants not reported" in out
    # RD in percentage points made explicit
    assert "RD 0.24 [0.04, 0.45] as a proportion, i.e. 24 percentage points [4, 45]" in out
    # a review result without numbers is shown, not hidden
    assert ("range of motion | over an unstated follow-up period | vs any comparator (reviews pooling all comparators) "
            "| neck pain: review (narrative) NavarroSantana2020 [P008]: \"no effect\"") in out
    assert "\nmuscle stiffness\n" in out


@pytest.fixture(scope="module")
def graded_text():
    from evigrade.cli.summarize import render_text

    return render_text(run_summarize(None), color=False)


def test_summarize_key_messages_first(graded_text):
    out = graded_text
    km, concl, comp, details = (out.index(h) for h in ("\nKey messages\n", "\nOverall conclusion\n",
                                                       "\nHow it compares (by kind of comparison)\n", "\nDetails\n"))
    assert km < concl < comp < details
    lines = out[km:concl].strip().splitlines()[1:]
    assert all(line.startswith("  * ") for line in lines)
    # pain: the most reliable body of evidence whatever its direction (issue 13 item 6): low certainty (the
    # not-assessable cap), the most direct comparator (Navarro-Santana 2020 pooled sham with other forms of dry
    # needling, so Liu 2015 against sham/placebo/no treatment comes first), and the same sentence names null results
    assert lines[0].startswith("  * [low] Pain: Dry needling may reduce pain intensity in people with neck and/or "
                               "shoulder pain in the short term compared with sham, placebo, no treatment or waiting list.")
    assert "(low certainty; SMD -1.07 (95% CI -1.87 to -0.27); Liu2015); no effect shown in " in lines[0]
    assert "Irnich2002 (immediately after treatment, very low certainty)" in lines[0]
    # range of motion: the headline is no longer the single favourable comparison with ischaemic compression
    rom = next(line for line in lines if "Range of motion:" in line)
    assert rom.startswith("  * [low] Range of motion: Dry needling may not make a clear difference to range of motion")
    assert "NavarroSantana2020 (vs any comparator" in rom and "Xu2023" not in rom
    assert next(line for line in lines if "Function/disability:" in line).startswith("  * [low] ")
    stiff = next(line for line in lines if "Muscle stiffness:" in line)
    # evidence without a single estimate is rated from the vote count (issue 13 item 5)
    assert stiff.startswith("  * [very low] ") and "1 result without a single estimate: Aridici2016" in stiff
    mech = next(line for line in lines if "Mechanisms:" in line)
    assert "unproven: none of the 12 proposed mechanisms is established" in mech
    safety = next(line for line in lines if "Safety (" in line)
    assert "Brady2014: 0 of 7,629 treatments" in safety and "bruising (7.55% to 7.7%)" in safety
    assert "pain or soreness after treatment (2.19%)" in safety and "pneumothorax" in safety
    addon = next(line for line in lines if line.startswith("  * [low] Added to another therapy"))
    assert "compared with the same therapy without dry needling. Certainty could not be fully assessed" in addon
    assert "(low certainty; Hando2026)" in addon and "findings rated low certainty or better (" in addon


def test_summarize_active_comparator_wording(graded_text):
    assert "probably increases pain intensity" not in graded_text
    # low: Navarro-Santana 2022's own GRADE for this outcome is low, the ceiling (issue 13 item 2)
    assert ("Dry needling may reduce pain intensity in people with neck pain less than trigger-point injection "
            "or wet needling in the short term.") in graded_text


def test_summarize_json_has_conclusion_and_comparisons():
    d = json.loads(json.dumps(run_summarize(None).to_dict()))
    assert d["conclusion"].startswith("Across ") and "rated findings" in d["conclusion"]
    assert [c["kind"] for c in d["comparisons"]] == ["sham", "add_on", "active", "between_forms", "mixed"]
    assert d["key_messages"][0]["certainty"] == "low" and d["key_messages"][0]["kind"] == "effect"
    assert d["key_messages"][0]["finding"] == ["pain", "short_term", "sham_or_no_treatment", "neck_shoulder"]
    # the Interface of issue 13: kind, source_certainty, size_claim per finding; non_comparative at the top
    assert {f["kind"] for f in d["findings"]} == {"comparative", "between_forms"}
    assert all("source_certainty" in f and "size_claim" in f for f in d["findings"])
    assert {x["kind"] for x in d["non_comparative"]} == {"within_group", "intervention_in_all_arms"}
    kinds = [m["kind"] for m in d["key_messages"]]
    assert kinds.index("practice") < kinds.index("mechanisms") < kinds.index("safety") == len(kinds) - 1
    # numbers stay numbers; units are fields
    rd = next(f for f in d["findings"] if f["measure"] == "RD")
    assert isinstance(rd["estimate"], float) and rd["effect_unit"] == "proportion"


def test_console_script_first_command():
    """What a README reader types first: `evigrade summarize` with no argument."""
    exe = shutil.which("evigrade")
    cmd = ([exe, "summarize", "--details", "--no-color"] if exe
           else [sys.executable, "-m", "evigrade", "summarize", "--details", "--no-color"])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Trigger-point dry needling for neck and shoulder pain" in proc.stdout
    assert "certainty:" in proc.stdout  # GRADE hook applied by default


def test_pack_notes_are_said_on_stderr_beside_the_brief_and_the_details(capsys):
    """A pack that leaves keys to defaults (normand1999 states no synonyms, directions or comparison kind) gets
    each note on stderr, one line each, in the brief and --details modes; the JSON carries them instead."""
    from evigrade.pipeline import load_pack

    messages = [n.message for n in load_pack(NORMAND).notes]
    assert messages
    for extra in ((), ("--details",)):
        rc, out, err = run(capsys, "summarize", "--no-color", str(NORMAND), *extra)
        assert rc == 0 and out
        assert err.splitlines() == [f"note: {m}" for m in messages]
    rc, out, err = run(capsys, "summarize", str(NORMAND), "--json")
    assert rc == 0 and err == "" and [n["message"] for n in json.loads(out)["notes"]] == messages
    rc, out, err = run(capsys, "summarize")  # the bundled pack states every key: nothing on stderr
    assert rc == 0 and err == ""
