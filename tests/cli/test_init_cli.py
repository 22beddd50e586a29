"""Starting a pack on a new topic (issue 14): ``evigrade init DIR`` writes a commented pack that validate reports
as "fill in" until it is filled; filled with three rows it validates and summarizes.  Optional tables may be
absent, CSV columns may be mapped (pack.toml ``[columns]``, ``meta --map``), and study labels may repeat when
ids differ (R's dat.bcg has two "Rosenthal et al" trials)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, run_cli
from evigrade.packs import load_pack
from evigrade.packs.template import TEMPLATE_FILES

#: metafor on dat.bcg (tests/reference/r/examples.R): rma(escalc("RR", ...), method="REML", test="knha" / "z")
GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "examples_bcg_tuberculosis.json").read_text())
#: metafor's meta-regression of dat.bcg on ablat (tests/reference/r/packs_robustness.R)
ROBUSTNESS_GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_robustness.json").read_text())
# Tolerances (DESIGN.md 4.10), as tests/packs/test_example_packs.py: REML is iterative (metafor stops at threshold
# 1e-12, evigrade at its own criterion), so what goes through tau^2 agrees to ~1e-12 relative; 1e-9 leaves room for
# platforms.  Effect sizes (escalc) are closed form: 1e-10.
RTOL_ITER = 1e-9
RTOL_CLOSED = 1e-10
#: dat.bcg's own columns, as `--map` names them (the two 2x2 cells of each arm, the author as the study label)
BCG_MAP = "ai=tpos,bi=tneg,ci=cpos,di=cneg,study=author"

#: R's own metadat::dat.bcg, as write.csv(dat.bcg, row.names = FALSE) writes it
DAT_BCG = '''"trial","author","year","tpos","tneg","cpos","cneg","ablat","alloc"
1,"Aronson",1948,4,119,11,128,44,"random"
2,"Ferguson & Simes",1949,6,300,29,274,55,"random"
3,"Rosenthal et al",1960,3,228,11,209,42,"random"
4,"Hart & Sutherland",1977,62,13536,248,12619,52,"random"
5,"Frimodt-Moller et al",1973,33,5036,47,5761,13,"alternate"
6,"Stein & Aronson",1953,180,1361,372,1079,44,"alternate"
7,"Vandiviere et al",1973,8,2537,10,619,19,"random"
8,"TPT Madras",1980,505,87886,499,87892,13,"random"
9,"Coetzee & Berjak",1968,29,7470,45,7232,27,"random"
10,"Rosenthal et al",1961,17,1699,65,1600,42,"systematic"
11,"Comstock et al",1974,186,50448,141,27197,18,"systematic"
12,"Comstock & Webster",1969,5,2493,3,2338,33,"systematic"
13,"Comstock et al",1976,27,16886,29,17825,33,"systematic"
'''

FILLED = {
    "id": "bcg-tb", "title": "BCG vaccine for preventing tuberculosis", "population": "people in the BCG trials",
    "intervention": "BCG vaccination", "intervention_short": "BCG vaccination",
    "label": "no vaccination", "kind": "no_treatment", "name": "tuberculosis", "family": "infection",
}


def _fill(pack: Path) -> None:
    """Replace every placeholder of pack.toml as a reviewer would, and add three trial rows."""
    toml = (pack / "pack.toml").read_text()
    toml = toml.replace('intervention_synonyms = ["FILL IN: e.g. BCG", "FILL IN: e.g. BCG vaccine"]',
                        'intervention_synonyms = ["BCG", "BCG vaccine"]')
    for key, value in FILLED.items():
        toml, n = re.subn(rf'^{key} = "FILL IN[^"]*"', f'{key} = "{value}"', toml, flags=re.M)
        assert n == 1, key
    assert "FILL IN" not in re.sub(r"#.*", "", toml)
    (pack / "pack.toml").write_text(toml)
    with (pack / "results.csv").open("a") as f:  # the first three trials of dat.bcg (ai/n1i, ci/n2i)
        f.write('R1,Aronson1948,outcome1,long_term,control,arm_level,RR,4,123,11,139,,,,,,,,,"dat.bcg trial 1"\n')
        f.write('R2,Ferguson1949,outcome1,long_term,control,arm_level,RR,6,306,29,303,,,,,,,,,"dat.bcg trial 2"\n')
        f.write('R3,Rosenthal1960,outcome1,long_term,control,arm_level,RR,3,231,11,220,,,,,,,,,"dat.bcg trial 3"\n')


def test_init_writes_a_commented_pack_that_asks_to_be_filled_in(tmp_path, capsys):
    pack = tmp_path / "newpack"
    rc, out, err = run_cli(capsys, "init", pack)
    assert rc == 0 and err == ""
    assert sorted(p.name for p in pack.iterdir()) == ["pack.toml", "results.csv", "reviews.csv"]
    assert "FILL IN" in out and "evigrade validate" in out
    toml = (pack / "pack.toml").read_text()
    for key in ("intervention_synonyms", "kind =", "[directions]", "favours_intervention", "favours_comparator",
                "[safety]", "context", "[columns.results]", "benefit"):
        assert key in toml, key
    rc, out, err = run_cli(capsys, "validate", pack)
    assert rc == 3 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1] == f"{pack}: invalid ({len(lines) - 1} problems)"
    assert all("fill in" in ln for ln in lines[:-1])  # every problem is a placeholder or the missing rows
    assert any("pack.toml ([question]), column population" in ln for ln in lines)
    assert any("no rows yet (fill in)" in ln for ln in lines)


def test_filled_with_three_rows_it_validates_and_summarizes(tmp_path, capsys):
    pack = tmp_path / "bcg"
    assert run_cli(capsys, "init", pack)[0] == 0
    _fill(pack)
    rc, out, err = run_cli(capsys, "validate", pack, "--verbose")
    assert rc == 0 and err == "", err
    lines = out.strip().splitlines()
    assert lines[0] == f"{pack}: valid (3 studies, 3 results, 0 review results, 0 safety rows, 0 claims, 1 outcomes)"
    # the optional tables are absent: each one a note, no other default assumed
    assert lines[1:] == [f"{pack}: note: studies.csv is absent: read as a table without rows; each study_id of "
                         "results.csv is its own study (citation = the id, no risk of bias)."] + [
        f"{pack}: note: {t} is absent: read as a table without rows." for t in ("safety.csv", "claims.csv")]
    rc, out, err = run_cli(capsys, "summarize", "--json", pack)
    assert rc == 0, err
    d = json.loads(out)
    (f,) = d["findings"]
    assert (f["status"], f["measure"], f["k"], f["comparator_kind"]) == ("pooled", "RR", 3, "no_treatment")
    assert d["pack"]["topic"]["synonyms"] == ["BCG vaccination", "BCG", "BCG vaccine"]
    assert [c["kind"] for c in d["comparisons"]] == ["sham"]  # no treatment: against sham, placebo or no treatment
    # each study id is its own study (studies.csv absent)
    assert [t["study_id"] for t in f["trials"]] == ["Aronson1948", "Ferguson1949", "Rosenthal1960"]
    rc, out, err = run_cli(capsys, "summarize", "--details", pack)
    assert rc == 0 and "BCG vaccination" in out and "needling" not in out


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    pack = tmp_path / "p"
    pack.mkdir()
    (pack / "pack.toml").write_text("id = 'x'\n")
    rc, out, err = run_cli(capsys, "init", pack)
    assert_one_line_error(rc, out, err, str(pack), "is not empty (holds pack.toml)", "fix: choose a new or empty folder",
                          "--force")
    assert (pack / "pack.toml").read_text() == "id = 'x'\n" and not (pack / "results.csv").exists()
    # any file counts, not only the template's own
    other = tmp_path / "q"
    other.mkdir()
    for name in ("notes.txt", "a.csv", "b.csv", "c.csv"):
        (other / name).write_text("x\n")
    rc, out, err = run_cli(capsys, "init", other)
    assert_one_line_error(rc, out, err, "is not empty (holds a.csv, b.csv, c.csv and 1 more)")
    assert sorted(p.name for p in other.iterdir()) == ["a.csv", "b.csv", "c.csv", "notes.txt"]
    # an empty folder that already exists is fine
    empty = tmp_path / "e"
    empty.mkdir()
    assert run_cli(capsys, "init", empty)[0] == 0 and (empty / "pack.toml").read_text() == TEMPLATE_FILES["pack.toml"]
    # a file is not a folder
    f = tmp_path / "file.txt"
    f.write_text("x\n")
    rc, out, err = run_cli(capsys, "init", f)
    assert_one_line_error(rc, out, err, str(f), "is a file, not a folder")


def test_init_force_writes_the_template_over_its_own_files_only(tmp_path, capsys):
    pack = tmp_path / "p"
    pack.mkdir()
    (pack / "pack.toml").write_text("id = 'x'\n")
    (pack / "safety.csv").write_text("kept\n")
    rc, out, err = run_cli(capsys, "init", pack, "--force")
    assert rc == 0 and err == ""
    assert out.splitlines()[:3] == [f"wrote {pack / n}" for n in ("pack.toml", "results.csv", "reviews.csv")]
    assert {n: (pack / n).read_text() for n in TEMPLATE_FILES} == TEMPLATE_FILES
    assert (pack / "safety.csv").read_text() == "kept\n"


def _bcg_pack_with_r_columns(tmp_path: Path, mapping: str, *, trials: int = 13) -> Path:
    """A filled pack whose studies.csv is R's dat.bcg CSV itself (plus a source column) and whose results.csv keeps
    dat.bcg's column names (trial, tpos, tneg, cpos, cneg) next to the pack's own; ``mapping`` is added to pack.toml."""
    from evigrade.packs.template import write_template

    pack = tmp_path / "bcg"
    write_template(pack)
    _fill(pack)
    lines = DAT_BCG.strip().splitlines()[: trials + 1]
    (pack / "studies.csv").write_text("\n".join([lines[0] + ',"source"'] + [f'{ln},"metadat dat.bcg"' for ln in lines[1:]])
                                      + "\n")
    res = ["result_id,trial,outcome,timepoint,comparison,data_type,measure,tpos,tneg,cpos,cneg,source"]
    for ln in lines[1:]:
        r = ln.split(",")
        res.append(f"R{r[0]},{r[0]},outcome1,long_term,control,arm_level,RR,{r[3]},{r[4]},{r[5]},{r[6]},dat.bcg")
    (pack / "results.csv").write_text("\n".join(res) + "\n")
    (pack / "pack.toml").write_text((pack / "pack.toml").read_text() + mapping)
    return pack


BCG_COLUMNS = """
[columns.studies]
study_id = "trial"
citation = "author"

[columns.results]
study_id = "trial"
ai = "tpos"
bi = "tneg"
ci = "cpos"
di = "cneg"
"""


MODERATOR = """
[[moderators]]
id = "latitude"
description = "Absolute latitude of the trial site (degrees; dat.bcg ablat)"
column = "ablat"
"""


def test_a_pack_reads_r_dat_bcg_through_columns(tmp_path, capsys):
    # studies.csv is dat.bcg itself (two "Rosenthal et al" and two "Comstock et al" trials, told apart by their id)
    pack = _bcg_pack_with_r_columns(tmp_path, MODERATOR + BCG_COLUMNS)
    p = load_pack(pack)
    assert [s.citation for s in p.studies if s.citation.startswith("Rosenthal")] == ["Rosenthal et al"] * 2
    assert [(s.study_id, s.citation) for s in p.studies][2] == ("3", "Rosenthal et al")
    # arm sizes from the 2x2 cells: n1i = tpos + tneg, n2i = cpos + cneg
    assert [(r.ai, r.n1i, r.ci, r.n2i) for r in p.results][:3] == [(4, 123, 11, 139), (6, 306, 29, 303), (3, 231, 11, 220)]
    rc, out, err = run_cli(capsys, "validate", pack, "-v")
    assert rc == 0 and err == "" and out.startswith(f"{pack}: valid (13 studies, 13 results")
    # trial and author are read (mapped), ablat too (a moderator); the rest of dat.bcg is kept for provenance
    assert out.splitlines()[1] == f"{pack}: studies.csv: not analysed (kept for provenance): tpos, tneg, cpos, cneg, alloc"
    rc, out, err = run_cli(capsys, "summarize", "--json", pack)
    assert rc == 0, err
    (f,) = json.loads(out)["findings"]
    g = GOLDEN["knha"]
    assert (f["status"], f["measure"], f["k"], f["participants"]) == ("pooled", "RR", g["k"], g["participants"])
    assert [t["study_id"] for t in f["trials"]] == [str(i) for i in range(1, 14)]
    assert_allclose([t["yi"] for t in f["trials"]], g["yi"], rtol=RTOL_CLOSED)
    assert_allclose([f["estimate"], f["ci_low"], f["ci_high"]], [g["ratio"][k] for k in ("estimate", "ci_low", "ci_high")],
                    rtol=RTOL_ITER)
    # the moderator column of studies.csv is matched to the trials through the mapped study id (trial): the
    # meta-regression on latitude equals metafor's (tests/reference/r/packs_robustness.R)
    (mod,) = f["robustness"]["moderators"]
    reg = ROBUSTNESS_GOLDEN["regression_ablat"]
    assert (mod["id"], mod["status"]) == ("latitude", "regression")
    # 1e-8 as tests/packs/test_robustness.py: that golden was written with 15 significant digits
    assert_allclose([c["estimate"] for c in mod["regression"]["coefficients"]], reg["coef"], rtol=1e-8)
    assert_allclose(mod["pval"], reg["qm_pvalue"], rtol=1e-8)


def test_a_2x2_arm_size_that_disagrees_is_one_problem(tmp_path, capsys):
    pack = _bcg_pack_with_r_columns(tmp_path, BCG_COLUMNS, trials=2)
    text = (pack / "results.csv").read_text().splitlines()
    text[0] += ",n1i"
    text[1] += ",124"  # trial 1: tpos 4 + tneg 119 = 123
    text[2] += ","
    (pack / "results.csv").write_text("\n".join(text) + "\n")
    rc, out, err = run_cli(capsys, "validate", pack)
    assert rc == 3 and err.splitlines() == [
        f"{pack}: results.csv row 2 (R1), column n1i: is not ai + bi = 123, got 124; fix: give either n1i or bi, or "
        "check both against the source", f"{pack}: invalid (1 problem)"]


def test_a_mapping_to_a_missing_column_is_one_problem(tmp_path, capsys):
    pack = _bcg_pack_with_r_columns(tmp_path, BCG_COLUMNS.replace('ai = "tpos"', 'ai = "tpositive"'), trials=2)
    rc, out, err = run_cli(capsys, "validate", pack)
    lines = err.strip().splitlines()
    assert rc == 3 and len(lines) >= 2
    assert lines[0] == (f"{pack}: pack.toml ([columns.results]), column ai: names a column that is not in "
                        "results.csv's header, got 'tpositive'; fix: write the name of the column exactly as in "
                        "results.csv's first row, or remove the mapping")
    rc, out, err = run_cli(capsys, "validate", _bcg_pack_with_r_columns(tmp_path / "b", BCG_COLUMNS + 'xx = "tpos"\n'))
    assert rc == 3 and "[columns.results]), column xx: is not a column of results.csv" in err


def test_a_mapping_that_collides_is_one_problem(tmp_path, capsys):
    # results.csv already has an ai column: mapping tpos to ai would give two
    pack = _bcg_pack_with_r_columns(tmp_path, BCG_COLUMNS, trials=2)
    text = (pack / "results.csv").read_text().splitlines()
    (pack / "results.csv").write_text("\n".join([text[0] + ",ai"] + [ln + ",4" for ln in text[1:]]) + "\n")
    rc, out, err = run_cli(capsys, "validate", pack)
    assert rc == 3 and err.splitlines() == [
        f"{pack}: pack.toml ([columns.results]), column ai: results.csv already has a column ai (mapping 'tpos' to it "
        "would give two), got 'tpos'; fix: remove ai = 'tpos' from [columns.results], or rename or remove "
        "results.csv's own ai column", f"{pack}: invalid (1 problem)"]
    # one CSV column mapped to two pack columns
    pack = _bcg_pack_with_r_columns(tmp_path / "b", BCG_COLUMNS.replace('ci = "cpos"', 'ci = "tpos"'), trials=2)
    rc, out, err = run_cli(capsys, "validate", pack)
    assert rc == 3 and ("pack.toml ([columns.results]), column ci: maps 'tpos' a second time (already mapped to ai), "
                        "got 'tpos'; fix: map each column of results.csv to one pack column") in err


@pytest.mark.parametrize("test", ["knha", "z"])
def test_meta_reads_r_dat_bcg_with_map(tmp_path, capsys, test):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--test", test, "--json", "--map", BCG_MAP)
    assert rc == 0, err
    d, g = json.loads(out), GOLDEN[test]
    assert (d["k"], d["method"], d["test"]) == (13, "REML", test)
    assert_allclose(d["studies"]["yi"] if isinstance(d["studies"], dict) else [s["yi"] for s in d["studies"]],
                    g["yi"], rtol=RTOL_CLOSED)
    for key in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q"):
        assert_allclose(d[key], g[key], rtol=RTOL_ITER, err_msg=key)
    bt = d["back_transformed"]  # RR 0.4894 and its CI, as metafor's predict(transf=exp)
    for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert_allclose(bt[key], g["ratio"][key], rtol=RTOL_ITER, err_msg=key)


def test_meta_map_labels_the_repeated_authors_by_trial(tmp_path, capsys):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--no-color", "--map", BCG_MAP)
    assert rc == 0, err
    for label in ("Rosenthal et al (trial 3)", "Rosenthal et al (trial 10)", "Comstock et al (trial 11)",
                  "Comstock et al (trial 13)"):
        assert label in out
    assert "Back-transformed (RR): 0.4894" in out
    # the add-on analyses read the same mapping and labels (allocation: alternate, random, systematic)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--json", "--subgroup", "alloc", "--map", BCG_MAP)
    assert rc == 0, err
    groups = {g["level"]: g["studies"] for g in json.loads(out)["subgroups"]["groups"]}
    assert groups["systematic"] == ["Rosenthal et al (trial 10)", "Comstock et al (trial 11)", "Comstock & Webster",
                                    "Comstock et al (trial 13)"]
    assert sorted(len(v) for v in groups.values()) == [2, 4, 7]


def test_duplicate_labels_without_ids_are_still_refused(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    csv.write_text("study,ai,bi,ci,di\nA,1,9,2,8\nA,2,8,3,7\n")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR")
    assert_one_line_error(rc, out, err, "duplicated study label")
    csv.write_text("study,id,ai,bi,ci,di\nA,1,1,9,2,8\nA,1,2,8,3,7\n")  # the ids do not tell them apart either
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR")
    assert_one_line_error(rc, out, err, "duplicated study label")


def test_bad_map_is_one_line(tmp_path, capsys):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai:tpos")
    assert_one_line_error(rc, out, err, str(csv), "--map entry is not NAME=COLUMN", "ai:tpos", "fix: write e.g.")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai=tp")
    assert_one_line_error(rc, out, err, "dat_bcg.csv row 1, column tp: no such column in the header (mapped as ai=tp)",
                          "fix: use a column of the header: trial, author, year, tpos")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "bogus=tpos")
    assert_one_line_error(rc, out, err, "dat_bcg.csv column bogus: is not a column name evigrade reads (mapped as bogus=tpos)",
                          "fix: map one of")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai=tpos,ai=tneg")
    assert_one_line_error(rc, out, err, "--map names ai twice")


def test_a_map_that_collides_is_one_line(tmp_path, capsys):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG.replace('"tneg"', '"ai"', 1))  # the CSV has its own ai column
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai=tpos,bi=ai,ci=cpos,di=cneg")
    assert_one_line_error(rc, out, err, "dat_bcg.csv row 1, column ai: the header already has a column ai (mapping "
                          "ai=tpos would give two)", "fix: drop ai=tpos from the mapping, or rename or remove the CSV's "
                          "own ai column")
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai=tpos,ci=tpos")
    assert_one_line_error(rc, out, err, "dat_bcg.csv row 1, column tpos: is mapped twice (ai=tpos and ci=tpos)",
                          "fix: map each column of the CSV to one name")


def test_a_pack_of_reviews_only_needs_no_results_csv(tmp_path, capsys):
    pack = tmp_path / "bcg"
    assert run_cli(capsys, "init", pack)[0] == 0
    _fill(pack)
    (pack / "results.csv").unlink()
    with (pack / "reviews.csv").open("a") as f:  # Colditz 1994 (JAMA 271:698), random-effects RR of tuberculosis
        f.write('V1,Colditz1994,"Colditz GA et al. JAMA. 1994;271(9):698-702",outcome1,long_term,control,all,'
                'numeric,RR,0.49,0.34,0.70,13,,,"Colditz 1994, abstract"\n')
    rc, out, err = run_cli(capsys, "validate", pack, "-v")
    assert rc == 0 and err == "", err
    assert out.splitlines()[0] == f"{pack}: valid (0 studies, 0 results, 1 review results, 0 safety rows, 0 claims, 1 outcomes)"
    assert f"{pack}: note: results.csv is absent: read as a table without rows." in out.splitlines()
    rc, out, err = run_cli(capsys, "summarize", "--json", pack)
    assert rc == 0, err
    d = json.loads(out)
    assert "results.csv is absent: read as a table without rows." in [n["message"] for n in d["notes"]]
    (f,) = d["findings"]
    assert (f["basis"], f["estimate"], f["ci_low"], f["ci_high"]) == ("review", 0.49, 0.34, 0.70)
    # without either table there is nothing to summarise: one problem that says what to create
    (pack / "reviews.csv").unlink()
    rc, out, err = run_cli(capsys, "validate", pack)
    assert rc == 3 and err.splitlines() == [
        f"{pack}: results.csv: results.csv and reviews.csv are both missing; fix: create results.csv (trial results) "
        "or reviews.csv (published pooled results), or start from `evigrade init DIR` (see docs/packs.md)",
        f"{pack}: invalid (1 problem)"]
