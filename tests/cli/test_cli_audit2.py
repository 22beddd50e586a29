"""Bad-input follow-ups of the audit (tests/cli/test_cli_audit.py) for summarize, grade's risk-of-bias
column and the double-zero error of escalc / meta / grade.

The bar, as in the first audit: a controlled failure exits 3 with stdout empty and exactly one stderr
line naming the file, row, column, value and a fix, no traceback and nothing written; and no result
is ever left out of an analysis without a line saying which one and why.
"""
from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, run_cli as _run
from evigrade.errors import InputError

HERE = pathlib.Path(__file__).resolve().parent
PACKS = HERE.parents[0] / "packs" / "data"
GOLDEN = HERE.parents[0] / "reference" / "golden" / "double_zero.json"

# yi/vi are closed-form (escalc); the fit is REML + knha, iterated to R's threshold=1e-12 in the
# golden and to evigrade's own tight default, so 1e-8 leaves room only for iteration round-off.
RTOL_ESCALC = 1e-12
RTOL_FIT = 1e-8


@pytest.fixture
def pack(tmp_path) -> pathlib.Path:
    dst = tmp_path / "pack"
    shutil.copytree(PACKS / "bcg", dst)
    return dst


def _edit(path: pathlib.Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# 1. summarize BADPACK: one line naming the pack, its first problem and `evigrade validate PACK`
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("as_json", [False, True])
def test_summarize_bad_pack_names_pack_and_validate(as_json, pack, capsys):
    _edit(pack / "results.csv", "R2,T2,tb,long_term", "R2,T2,tbx,forever")
    rc, out, err = _run(capsys, "summarize", pack, *(["--json"] if as_json else []))
    assert_one_line_error(rc, out, err, f"error: {pack}: results.csv row 3 (R2), column outcome", "got 'tbx'", "fix:",
                          f"(and 1 more problem; list them all with: evigrade validate {pack})")


def test_summarize_header_only_studies_is_one_line_pointing_to_validate(pack, capsys):
    text = (pack / "studies.csv").read_text(encoding="utf-8")
    (pack / "studies.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    rc, out, err = _run(capsys, "summarize", pack, "--json")
    assert_one_line_error(rc, out, err, f"{pack}: results.csv row 2 (R1), column study_id", "got 'T1'",
                          f"more problems; list them all with: evigrade validate {pack})")


# --------------------------------------------------------------------------------------------
# 5. summarize with other bad inputs
# --------------------------------------------------------------------------------------------
def test_summarize_path_is_a_file(pack, capsys):
    f = pack / "results.csv"
    rc, out, err = _run(capsys, "summarize", f)
    assert_one_line_error(rc, out, err, f"{f}: is not a folder", "fix: give the folder that holds pack.toml")
    assert err.count(str(f)) == 1  # the pack is named once, not twice


def test_summarize_nonexistent_path(tmp_path, capsys):
    p = tmp_path / "nope"
    rc, out, err = _run(capsys, "summarize", p, "--json")
    assert_one_line_error(rc, out, err, f"{p}: pack folder does not exist", "fix: give the path of a folder")
    assert not p.exists()


def test_summarize_latin1_results_names_pack_file_row_and_fix(pack, capsys):
    p = pack / "results.csv"
    p.write_bytes(p.read_text(encoding="utf-8").replace('trial 3"', 'trial 3 \u00e9"').encode("latin-1"))
    rc, out, err = _run(capsys, "summarize", pack)
    assert_one_line_error(rc, out, err, f"{pack}: results.csv row 4", "not UTF-8", "byte 0xe9",
                          "fix: save the file as 'CSV UTF-8'")


def test_summarize_empty_studies_csv(pack, capsys):
    (pack / "studies.csv").write_text("", encoding="utf-8")
    rc, out, err = _run(capsys, "summarize", pack)
    assert_one_line_error(rc, out, err, f"{pack}: studies.csv: file is empty", "fix: add the header row: study_id")


@pytest.mark.parametrize("argv,fragments", [
    (["--method", "XYZ"], ("method='XYZ' is not one of", "'REML'")),
    (["--test", "t"], ("test='t' is not one of",)),
    (["--safety-measure", "XX"], ("safety_measure='XX' is not one of",)),
])
def test_summarize_bad_options(argv, fragments, pack, capsys):
    rc, out, err = _run(capsys, "summarize", pack, *argv, "--json")
    assert_one_line_error(rc, out, err, *fragments)


def test_summarize_report_bad_pack_writes_nothing(pack, tmp_path, capsys):
    _edit(pack / "results.csv", "R2,T2,", "R2,T99,")
    rc, out, err = _run(capsys, "summarize", pack, "--report", tmp_path / "rep")
    assert_one_line_error(rc, out, err, f"{pack}: results.csv row 3 (R2), column study_id", "got 'T99'")
    assert not (tmp_path / "rep").exists()


def test_summarize_report_unwritable_folder_is_one_line_and_leaves_nothing(pack, tmp_path, capsys, monkeypatch):
    # tests may run as root, where chmod cannot make a folder unwritable: fail the write itself
    import evigrade.report._render as render_mod

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(render_mod.tempfile, "mkdtemp", refuse)
    rc, out, err = _run(capsys, "summarize", pack, "--report", tmp_path / "rep", "--json")
    assert_one_line_error(rc, out, err, str(tmp_path / "rep"), "cannot write the report (Permission denied)",
                          "fix: choose a folder you can write to (--report DIR)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]


def test_summarize_report_into_folder_with_other_files(pack, tmp_path, capsys):
    out_dir = tmp_path / "rep"
    out_dir.mkdir()
    (out_dir / "thesis.docx").write_text("precious", encoding="utf-8")
    rc, out, err = _run(capsys, "summarize", pack, "--report", out_dir)
    assert_one_line_error(rc, out, err, str(out_dir), "thesis.docx", "fix:")
    assert [p.name for p in out_dir.iterdir()] == ["thesis.docx"]


# --------------------------------------------------------------------------------------------
# 2. a result left out of pooling is always printed with its reason; the reason names the right arm
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("old,new,reason", [
    ("R1,T1,tb,long_term,none,arm_level,RR,4,", "R1,T1,tb,long_term,none,arm_level,RR,,",
     "arm-level data incomplete (the intervention arm's events (ai) not reported)"),
    ("RR,4,123,11,139", "RR,4,123,,139", "arm-level data incomplete (the comparator arm's events (ci) not reported)"),
    ("RR,4,123,11,139", "RR,,123,,", "arm-level data incomplete (the intervention arm's events (ai) and the "
                                     "comparator arm's events (ci), size (n2i) not reported)"),
])
def test_excluded_result_is_printed_with_the_right_arm(old, new, reason, pack, capsys):
    _edit(pack / "results.csv", old, new)
    rc, out, err = _run(capsys, "summarize", pack, "--no-color", "--no-grade")
    # no error; the bcg test pack's own notes (keys left to defaults) are said on stderr, one line each
    assert rc == 0 and all(line.startswith("note: pack.toml") for line in err.splitlines()), err
    assert f"      - not pooled: T1 [R1]: {reason}" in out.splitlines()  # without --all
    rc, js, err = _run(capsys, "summarize", pack, "--json", "--no-grade")
    f = json.loads(js)["findings"][0]
    assert f["k"] == 12 and "T1" not in [t["study_id"] for t in f["trials"]]
    assert [(n["result_id"], n["reason"]) for n in f["not_poolable"]] == [("R1", reason)]


@pytest.fixture(scope="module")
def bundled_summary():
    from evigrade.cli.summarize import run_summarize

    return run_summarize(None)


def test_every_excluded_result_in_the_bundled_pack_is_printed(bundled_summary):
    """No silently dropped result: every not-poolable row of a finding with an estimate, and every row
    with numbers that could not be used in a cell without one, is one line with its reason; narrative
    rows (p-value only, qualitative, within-group) of cells without an estimate are counted, and
    --all lists each of them."""
    from evigrade.cli.summarize import _NARRATIVE_TYPES, render_text

    text = render_text(bundled_summary, color=False, width=400)
    full = render_text(bundled_summary, color=False, width=400, all_findings=True)
    shown = 0
    for f in bundled_summary.findings:
        for n in f.not_poolable:
            line = f"not pooled: {n.study_id} [{n.result_id}]: {n.reason}"
            if f.estimate is not None or n.data_type not in _NARRATIVE_TYPES:
                assert line in text, line
                shown += 1
            assert f"{n.study_id} [{n.result_id}]" in full, n.result_id
    assert shown >= 20  # bundled pack at the time of writing: 23 in cells with an estimate + 3 with unusable numbers
    assert ("  pain intensity | in the short term (up to 12 weeks) | vs sham or placebo needling | shoulder pain: "
            "not pooled: Pai2021 [O065]: arm-level data incomplete (the comparator arm's mean (m2i), SD (sd2i) "
            "not reported)") in text.splitlines()
    assert "comparator arm's mean/SD or counts" not in text


# --------------------------------------------------------------------------------------------
# 3. grade's risk-of-bias column: the shared reader, full path, header = row 1
# --------------------------------------------------------------------------------------------
ROB_CSV = ('study,m1i,sd1i,n1i,m2i,sd2i,n2i,notes,rob\n'
           'A,5,2,20,6,2,20,,low\n'
           '\n'
           'B,4,2,30,6,2.5,30,"two\nlines",high\n'
           'C,5.5,2,25,6,2,25,,meh\n')


def test_rob_error_uses_spreadsheet_rows_and_full_path(tmp_path, capsys):
    from evigrade.effects import read_studies_csv

    p = tmp_path / "s.csv"
    p.write_text(ROB_CSV, encoding="utf-8")
    # row 5: header 1, A 2, blank 3, B 4 (one row over two lines), C 5 -- C is on physical line 6
    rc, out, err = _run(capsys, "grade", p, "-m", "MD", "--rob-col", "rob", "--json")
    assert_one_line_error(rc, out, err, f"error: {p} row 5 (C), column rob", "got 'meh'", "fix:")
    # the same row number as the studies reader gives for a bad cell on that row
    p.write_text(ROB_CSV.replace("C,5.5,", "C,x,"), encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{p} row 5 \(C\), column m1i"):
        read_studies_csv(p, "MD")


def test_rob_reader_refuses_like_the_studies_reader(tmp_path):
    from evigrade.grade.analysis import read_rob_column

    p = tmp_path / "s.csv"
    p.write_bytes(ROB_CSV.replace("B,", "M\u00fcller,").encode("latin-1"))
    with pytest.raises(InputError, match=rf"^{p} row 4: is not UTF-8 text .*; fix: save the file as 'CSV UTF-8'"):
        read_rob_column(p, "rob")
    p.write_text(ROB_CSV, encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{p} row 1: no risk-of-bias column 'risk'; fix: .* one of: study, m1i"):
        read_rob_column(p, "risk")
    with pytest.raises(InputError, match="file not found"):
        read_rob_column(tmp_path / "nope.csv", "rob")


def test_rob_labels_follow_the_studies_reader(tmp_path):
    """Keys must be the pooled studies' labels, or the judgements never reach the GRADE rule."""
    from evigrade.effects import read_studies_csv
    from evigrade.grade.analysis import grade_studies_csv, read_rob_column

    p = tmp_path / "s.csv"
    p.write_text(ROB_CSV.replace("study,", "slab,").replace(",meh", ",NA"), encoding="utf-8")
    rob = read_rob_column(p, "rob")
    assert list(rob) == list(read_studies_csv(p, "MD").study) == ["A", "B", "C"]
    assert rob == {"A": "low", "B": "high", "C": None}
    # no label column: "Study N" for the N-th data row, as read_studies_csv; errors show no label
    body = "m1i,sd1i,n1i,m2i,sd2i,n2i,rob\n5,2,20,6,2,20,low\n4,2,30,6,2.5,30,some concerns\n5.5,2,25,6,2,25,11\n"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{p} row 4, column rob: PEDro score must be between 0 and 10, got '11'"):
        read_rob_column(p, "rob")
    p.write_text(body.replace(",11\n", ",7\n"), encoding="utf-8")
    assert read_rob_column(p, "rob") == {"Study 1": "low", "Study 2": "some_concerns", "Study 3": 7.0}
    res = grade_studies_csv(p, "MD", rob_col="rob")
    assert [s.study for s in res.input.rob] == ["Study 1", "Study 2", "Study 3"]


# --------------------------------------------------------------------------------------------
# 4. every study double-zero: the fix names what the caller can actually do
# --------------------------------------------------------------------------------------------
DZ = "study,ai,n1i,ci,n2i\nA,0,20,0,20\nB,0,30,0,31\nC,0,25,0,25\n"


def _golden() -> dict:
    d = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert d["metafor_version"].startswith("3.8")
    return {c["name"]: c for c in d["cases"]}


@pytest.mark.parametrize("command", ["meta", "grade"])
def test_all_double_zero_cli_fix_names_the_cli_option(command, tmp_path, capsys):
    p = tmp_path / "dz.csv"
    p.write_text(DZ, encoding="utf-8")
    rc, out, err = _run(capsys, command, p, "-m", "RR", "--json")
    assert_one_line_error(rc, out, err, str(p), "no studies left for RR",
                          "fix: use --measure RD (risk difference), or add --keep-double-zero")
    assert "drop00" not in err
    assert sorted(x.name for x in tmp_path.iterdir()) == ["dz.csv"]


def test_all_double_zero_library_fix_names_the_argument(tmp_path):
    from evigrade.effects import escalc, read_studies_csv

    with pytest.raises(InputError, match=r"fix: use measure RD \(risk difference\), or pass drop00=False"):
        escalc("OR", ai=[0, 0], n1i=[10, 12], ci=[0, 0], n2i=[11, 9])
    p = tmp_path / "dz.csv"
    p.write_text(DZ, encoding="utf-8")
    with pytest.raises(InputError, match=r"pass drop00=False"):
        read_studies_csv(p, "RR")


@pytest.mark.parametrize("command", ["meta", "grade"])
def test_keep_double_zero_matches_metafor(command, tmp_path, capsys):
    g = _golden()["all_double_zero_RR_drop00_FALSE"]
    p = tmp_path / "dz.csv"
    p.write_text(DZ, encoding="utf-8")
    rc, out, err = _run(capsys, command, p, "-m", "RR", "--keep-double-zero", "--json")
    assert rc == 0 and err == "", err
    d = json.loads(out)
    if command == "grade":  # the rated analysis: estimate and CI back-transformed to the RR scale
        res = d["analysis"]
        assert [s["study"] for s in res["studies"]] == g["study"] and res["k"] == 3
        assert_allclose([res["estimate"], res["ci_low"], res["ci_high"]],
                        np.exp([g["estimate"], g["ci_low"], g["ci_high"]]), rtol=RTOL_FIT)
        assert_allclose(res["tau2"], g["tau2"], atol=1e-10)
        return
    assert [s["study"] for s in d["studies"]] == g["study"]
    assert_allclose([s["yi"] for s in d["studies"]], g["yi"], rtol=RTOL_ESCALC, atol=1e-15)
    assert_allclose([s["vi"] for s in d["studies"]], g["vi"], rtol=RTOL_ESCALC)
    assert_allclose([d["estimate"], d["se"], d["ci_low"], d["ci_high"]],
                    [g["estimate"], g["se"], g["ci_low"], g["ci_high"]], rtol=RTOL_FIT)
    assert_allclose(d["tau2"], g["tau2"], atol=1e-10)
    codes = [n["code"] for n in d["notes"]]
    assert codes.count("double_zero_kept") == 3 and "double_zero_excluded" not in codes


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("keep", [False, True])
def test_meta_keep_double_zero_on_nielweise2007(measure, keep, tmp_path, capsys):
    """dat.nielweise2007 has one double-zero trial (Yucel 2004): dropped with a note by default,
    kept with --keep-double-zero; both fits as metafor's."""
    g = _golden()[f"nielweise2007_{measure}_drop00_{'FALSE' if keep else 'TRUE'}"]
    rows = ["study,ai,n1i,ci,n2i"] + [f"{s},{a:g},{n1:g},{c:g},{n2:g}" for s, a, n1, c, n2 in
                                      zip(g["study"], g["ai"], g["n1i"], g["ci"], g["n2i"])]
    p = tmp_path / "niel.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc, out, err = _run(capsys, "meta", p, "-m", measure, "--json", *(["--keep-double-zero"] if keep else []))
    assert rc == 0 and err == "", err
    res = json.loads(out)
    used = [i for i, y in enumerate(g["yi"]) if y is not None]
    assert res["k"] == g["k"] == len(used) == (18 if keep else 17)
    assert [s["study"] for s in res["studies"]] == [g["study"][i] for i in used]
    assert_allclose([s["yi"] for s in res["studies"]], [g["yi"][i] for i in used], rtol=RTOL_ESCALC)
    assert_allclose([s["vi"] for s in res["studies"]], [g["vi"][i] for i in used], rtol=RTOL_ESCALC)
    assert_allclose([res["estimate"], res["se"], res["ci_low"], res["ci_high"]],
                    [g["estimate"], g["se"], g["ci_low"], g["ci_high"]], rtol=RTOL_FIT)
    assert_allclose(res["tau2"], g["tau2"], rtol=1e-6, atol=1e-10)
    codes = {n["code"]: n for n in res["notes"]}
    assert ("double_zero_kept" if keep else "double_zero_excluded") in codes
    assert "Yucel 2004" in codes["double_zero_kept" if keep else "double_zero_excluded"]["message"]


def test_keep_double_zero_help_text(capsys):
    for command in ("meta", "grade"):
        rc, out, err = _run(capsys, command, "--help")
        assert rc == 0 and "--keep-double-zero" in out
