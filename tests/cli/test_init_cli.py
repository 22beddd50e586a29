"""Starting a pack on a new topic (issue 14): ``evigrade init DIR`` writes a commented pack that validate reports
as "fill in" until it is filled; filled with three rows it validates and summarizes.  Optional tables may be
absent, CSV columns may be mapped (pack.toml ``[columns]``, ``meta --map``), and study labels may repeat when
ids differ (R's dat.bcg has two "Rosenthal et al" trials)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, run_cli
from evigrade.packs import load_pack
from evigrade.packs.template import TEMPLATE_FILES

GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_bcg.json").read_text())

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


def test_init_refuses_a_folder_that_holds_a_pack(tmp_path, capsys):
    pack = tmp_path / "p"
    pack.mkdir()
    (pack / "pack.toml").write_text("id = 'x'\n")
    rc, out, err = run_cli(capsys, "init", pack)
    assert_one_line_error(rc, out, err, str(pack), "already holds pack.toml", "fix: choose a new folder")
    assert (pack / "pack.toml").read_text() == "id = 'x'\n" and not (pack / "results.csv").exists()
    assert set(TEMPLATE_FILES) == {"pack.toml", "results.csv", "reviews.csv"}


def _bcg_pack_with_r_columns(tmp_path: Path, mapping: str) -> Path:
    """A filled pack whose results.csv keeps dat.bcg's own column names, mapped in pack.toml."""
    from evigrade.packs.template import write_template

    pack = tmp_path / "bcg"
    write_template(pack)
    _fill(pack)
    rows = [r.split(",") for r in DAT_BCG.strip().splitlines()[1:4]]
    lines = ["result_id,study_id,outcome,timepoint,comparison,data_type,measure,tpos,tneg,cpos,cneg,source"]
    for r in rows:
        lines.append(f"R{r[0]},T{r[0]},outcome1,long_term,control,arm_level,RR,{r[3]},{r[4]},{r[5]},{r[6]},dat.bcg")
    (pack / "results.csv").write_text("\n".join(lines) + "\n")
    (pack / "pack.toml").write_text((pack / "pack.toml").read_text() + mapping)
    return pack


def test_columns_are_mapped_in_pack_toml(tmp_path):
    # n1i and n2i are the arm sizes: dat.bcg gives tpos + tneg; map the events and give sizes by a second table
    pack = _bcg_pack_with_r_columns(tmp_path, '\n[columns.results]\nai = "tpos"\nci = "cpos"\n')
    text = (pack / "results.csv").read_text().replace("tneg", "n1i").replace("cneg", "n2i")
    rows = [ln.split(",") for ln in text.splitlines()]
    for r in rows[1:]:  # arm sizes from the 2x2 cells
        r[8], r[10] = str(int(r[7]) + int(r[8])), str(int(r[9]) + int(r[10]))
    (pack / "results.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    p = load_pack(pack)
    assert [(r.ai, r.n1i, r.ci, r.n2i) for r in p.results] == [(4, 123, 11, 139), (6, 306, 29, 303), (3, 231, 11, 220)]


def test_a_mapping_to_a_missing_column_is_one_problem(tmp_path, capsys):
    pack = _bcg_pack_with_r_columns(tmp_path, '\n[columns.results]\nai = "tpositive"\n')
    rc, out, err = run_cli(capsys, "validate", pack)
    lines = err.strip().splitlines()
    assert rc == 3 and len(lines) >= 2
    assert lines[0].startswith(f"{pack}: pack.toml ([columns.results]), column ai: names a column that is not in "
                               "results.csv's header, got 'tpositive'; fix: write the name of the column exactly as")
    rc, out, err = run_cli(capsys, "validate", _bcg_pack_with_r_columns(tmp_path / "b", '\n[columns.results]\nxx = "tpos"\n'))
    assert rc == 3 and "[columns.results]), column xx: is not a column of results.csv" in err


def test_meta_reads_r_dat_bcg_with_map(tmp_path, capsys):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--json", "--map", "ai=tpos,bi=tneg,ci=cpos,di=cneg,study=author")
    assert rc == 0, err
    d = json.loads(out)
    assert_allclose([d["estimate"], d["tau2"]], [GOLDEN["estimate_log"], GOLDEN["tau2"]], rtol=1e-9)
    assert_allclose(d["i2"], GOLDEN["i2"], rtol=1e-9)
    # the two "Rosenthal et al" trials are told apart by their trial number
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--no-color", "--map",
                           "ai=tpos,bi=tneg,ci=cpos,di=cneg,study=author")
    assert rc == 0 and "Rosenthal et al (trial 3)" in out and "Rosenthal et al (trial 10)" in out


def test_duplicate_labels_without_ids_are_still_refused(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    csv.write_text("study,ai,bi,ci,di\nA,1,9,2,8\nA,2,8,3,7\n")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR")
    assert_one_line_error(rc, out, err, "duplicated study label")


def test_bad_map_is_one_line(tmp_path, capsys):
    csv = tmp_path / "dat_bcg.csv"
    csv.write_text(DAT_BCG)
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai:tpos")
    assert_one_line_error(rc, out, err, str(csv), "--map entry is not NAME=COLUMN", "ai:tpos", "fix: write e.g.")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "ai=tp")
    assert_one_line_error(rc, out, err, "column ai", "has no column named 'tp'", "fix: use a column of the header")
    rc, out, err = run_cli(capsys, "meta", csv, "-m", "RR", "--map", "bogus=tpos")
    assert_one_line_error(rc, out, err, "is not a column evigrade reads", "bogus=tpos")
