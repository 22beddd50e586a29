"""Bad-input audit of the finished commands (meta, grade, validate, report) as a clumsy or hostile user.

The bar for every controlled failure: exit code 3 (2 for usage errors), stdout empty (so ``--json``
never prints half a result), exactly one line on stderr that names the file, row, column, value and
a fix where they apply, no traceback, and no output file left behind.  Inputs a mature tool should
accept (BOM, CRLF, semicolon/tab delimiters, a Unicode minus, extra columns) give the same numbers
as the plain file, with a note saying what was done.
"""
from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from numpy.testing import assert_allclose

from cli_helpers import assert_one_line_error, run_cli as _run
from evigrade.cli import build_app, main
from evigrade.effects import read_studies_csv
from evigrade.packs import bundled_pack_path

PACKS = pathlib.Path(__file__).resolve().parents[1] / "packs" / "data"

GOOD = "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,1,20,2,1,20\nB,1.5,1.2,30,2,1.1,30\nC,1.2,0.9,25,2.2,1,25\n"
HEADER = GOOD.splitlines()[0] + "\n"


def _write(tmp_path: pathlib.Path, name: str, content: str | bytes) -> pathlib.Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8", newline="")
    return p


def _meta_json(capsys, path, *extra: str) -> dict:
    rc, out, err = _run(capsys, "meta", path, "--measure", "MD", "--json", *extra)
    assert rc == 0, err
    assert err == ""
    return json.loads(out)


# --------------------------------------------------------------------------------------------
# studies CSV: refused with one line (both commands that read it)
# --------------------------------------------------------------------------------------------
BAD_CSV = {
    # name: (content, fragments the one error line must contain)
    "empty": ("", ("file is empty", "fix: add a header row")),
    "whitespace_only": ("  \n\n", ("file is empty",)),
    "bom_only": (b"\xef\xbb\xbf", ("file is empty",)),
    "delimiters_only": (",,,\n,,\n", ("file is empty",)),
    "utf16": (("\ufeff" + GOOD.replace(",", "\t")).encode("utf-16-le"), ("UTF-16", "not UTF-8", "fix: save the file as 'CSV UTF-8'")),
    "xlsx_renamed": (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ("binary file", "spreadsheet", "fix: export")),
    "header_only": (HEADER, ("row 2", "no data rows", "fix:")),
    "latin1": (GOOD.replace("A,1,1", "M\u00fcller,1,1").encode("latin-1"),
               ("row 2", "not UTF-8", "0xfc", "fix: save the file as 'CSV UTF-8'")),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ("binary file", "fix:")),
    "negative_sd": (GOOD + "D,1,-1,20,2,1,20\n", ("row 5 (D)", "column sd1i", "got '-1'", "fix:")),
    "na_string": (GOOD + "D,NA,1,20,2,1,20\n", ("row 5 (D)", "column m1i", "got 'NA'", "fix:")),
    "n/a_string": (GOOD + "D,1,n/a,20,2,1,20\n", ("row 5 (D)", "column sd1i", "got 'n/a'", "fix:")),
    "dot_string": (GOOD + "D,1,1,.,2,1,20\n", ("row 5 (D)", "column n1i", "got '.'", "fix:")),
    "overflow": (GOOD + "D,1e400,1,20,2,1,20\n", ("row 5 (D)", "column m1i", "got '1e400'", "finite")),
    "text_number": (GOOD + "D,50%,1,20,2,1,20\n", ("row 5 (D)", "column m1i", "got '50%'", "is not a number")),
    "decimal_comma": ("study;m1i;sd1i;n1i;m2i;sd2i;n2i\nA;1,5;1;20;2;1;20\nB;1;1;20;2;1;20\n",
                      ("row 2 (A)", "column m1i", "got '1,5'", "fix: use a decimal point")),
    "duplicate_column": (HEADER.strip() + ",M1I\nA,1,1,20,2,1,20,1\nB,1,1,20,2,1,20,1\n",
                         ("row 1", "column m1i", "appears twice", "fix:")),
    "duplicate_study": (GOOD + "A,1,1,20,2,1,20\n", ("row 5 (A)", "column study", "duplicated", "fix:")),
    "missing_column": ("study,m1i,sd1i,n1i,m2i,n2i\nA,1,1,20,2,20\n", ("row 1", "column sd2i", "missing column", "fix:")),
    "ragged_row": (GOOD + "D,1,1,20,2,1,20,99\n", ("row 5", "8 cells", "fix:")),
    "unclosed_quote": ('study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"A,1,1,20,2,1,20\nB,1,1,20,2,1,20\n',
                       ("row 2", "quoted cell is never closed", "fix:")),
    "stray_quote": (GOOD + '"Smith" Jr,1,1,20,2,1,20\n', ("row 5", "not valid CSV", "fix: check the double quotes")),
    "fractional_n": (GOOD + "D,1,1,20.5,2,1,20\n", ("row 5 (D)", "column n1i", "got '20.5'", "whole number")),
    "empty_label": (GOOD + ",1,1,20,2,1,20\n", ("row 5", "column study", "empty", "fix:")),
}


@pytest.mark.parametrize("command", ["meta", "grade"])
@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_studies_csv_one_line(case, command, tmp_path, capsys):
    content, fragments = BAD_CSV[case]
    p = _write(tmp_path, "studies.csv", content)
    rc, out, err = _run(capsys, command, p, "--measure", "MD", "--json")
    assert_one_line_error(rc, out, err, *fragments)
    if case not in ("empty", "whitespace_only", "binary", "bom_only", "delimiters_only", "xlsx_renamed", "utf16"):
        assert str(p) in err  # the file is named as the user gave it
    assert sorted(x.name for x in tmp_path.iterdir()) == ["studies.csv"]  # nothing written


@pytest.mark.parametrize("command", ["meta", "grade"])
def test_missing_file_and_folder(command, tmp_path, capsys):
    rc, out, err = _run(capsys, command, tmp_path / "nope.csv", "-m", "MD")
    assert_one_line_error(rc, out, err, "nope.csv", "file not found", "fix:")
    rc, out, err = _run(capsys, command, tmp_path, "-m", "MD")
    assert_one_line_error(rc, out, err, str(tmp_path), "is a folder", "fix:")


@pytest.mark.parametrize("command", ["meta", "grade"])
def test_numerical_overflow_is_one_line_naming_the_file(command, tmp_path, capsys):
    # finite cells whose squares overflow: numpy's RuntimeWarnings must not leak onto stderr, and
    # (issue 19) the cell is refused before it overflows, naming its row and column
    p = _write(tmp_path, "huge.csv", GOOD + "D,1e308,1,20,2,1,20\n")
    rc, out, err = _run(capsys, command, p, "--measure", "MD")
    assert_one_line_error(rc, out, err, str(p), "row 5", "column m1i", "too large to compute with", "got '1e308'")


# --------------------------------------------------------------------------------------------
# studies CSV: accepted variants give the same numbers, with a note on what was done
# --------------------------------------------------------------------------------------------
ACCEPTED = {
    "bom": (b"\xef\xbb\xbf" + GOOD.encode(), None),
    "crlf": (GOOD.replace("\n", "\r\n"), None),
    "semicolon": (GOOD.replace(",", ";"), "csv_delimiter"),
    "tab": (GOOD.replace(",", "\t"), "csv_delimiter"),
    "extra_columns": (GOOD.replace("n2i\n", "n2i,country,year\n").replace(",20\n", ",20,UK,2001\n")
                      .replace(",30\n", ",30,DE,2003\n").replace(",25\n", ",25,US,2004\n"), "columns_not_used"),
    "blank_row": (GOOD.replace("\nB,", "\n,,,,,,\nB,"), "blank_rows_skipped"),
    "case_and_spaces_in_header": (GOOD.replace("study,m1i,sd1i", "Study, M1I ,sd1i"), None),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted_variants_match_plain_file(case, tmp_path, capsys):
    plain = _meta_json(capsys, _write(tmp_path, "plain.csv", GOOD))
    content, note = ACCEPTED[case]
    res = _meta_json(capsys, _write(tmp_path, "variant.csv", content))
    for key in ("estimate", "se", "ci_low", "ci_high", "tau2", "q"):
        assert_allclose(res[key], plain[key], rtol=0, atol=0)
    codes = [n["code"] for n in res["notes"]]
    if note is not None:
        assert note in codes, codes
    else:
        assert codes == [n["code"] for n in plain["notes"]]


def test_unicode_minus_is_read_as_minus(tmp_path):
    t1 = read_studies_csv(_write(tmp_path, "a.csv", GOOD.replace("A,1,1,", "A,-1.5,1,")), "MD")
    t2 = read_studies_csv(_write(tmp_path, "b.csv", GOOD.replace("A,1,1,", "A,\u22121.5,1,")), "MD")
    assert_allclose(t2.yi, t1.yi, rtol=0, atol=0)
    assert t1.yi[0] == -3.5


def test_notes_name_the_unused_columns_and_blank_rows(tmp_path):
    content = "study;m1i;sd1i;n1i;m2i;sd2i;n2i;country;yi\nA;1;1;20;2;1;20;UK;9\n;;;;;;;;\nB;1.5;1.2;30;2;1.1;30;DE;9\n"
    t = read_studies_csv(_write(tmp_path, "s.csv", content), "MD")
    msgs = {n.code: n.message for n in t.notes}
    assert msgs["columns_not_used"] == "s.csv: columns not used to compute the effect sizes: country, yi."
    assert msgs["blank_rows_skipped"] == "s.csv: blank row 3 skipped (no study data)."
    assert msgs["csv_delimiter"] == "s.csv was read as semicolon-delimited text."
    assert t.study == ("A", "B")


def test_rows_are_counted_as_a_spreadsheet_counts_them(tmp_path, capsys):
    # a quoted label spanning two lines is one spreadsheet row; blank rows still count
    content = 'study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"Smith\n2004",1,1,20,2,1,20\n\nJones,1,0,20,2,1,20\n'
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", content), "-m", "MD")
    assert_one_line_error(rc, out, err, "row 4 (Jones)", "column sd1i", "got '0'")


def _strict_json(text: str):
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("command,extra", [("meta", ()), ("grade", ()), ("meta", ("--method", "FE"))])
def test_json_is_strict_even_with_undefined_statistics(command, extra, tmp_path, capsys):
    # k = 1: Q, I2, H2, tau2 SE are undefined -> null, never NaN (which strict JSON parsers reject)
    p = _write(tmp_path, "one.csv", "study,yi,vi\nA,0.1,0.04\n")
    rc, out, err = _run(capsys, command, p, "-m", "GEN", "--json", *extra)
    assert rc == 0 and err == "", err
    d = _strict_json(out)
    if command == "meta":
        assert d["estimate"] == 0.1 and d["i2"] is None and d["q_pvalue"] is None
    else:
        assert d["analysis"]["estimate"] == 0.1 and d["analysis"]["k"] == 1


def test_json_error_in_an_add_on_analysis_prints_nothing_on_stdout(tmp_path, capsys):
    p = _write(tmp_path, "one.csv", "study,yi,vi\nA,0.1,0.04\n")
    rc, out, err = _run(capsys, "meta", p, "-m", "GEN", "--json", "--leave-one-out")
    assert_one_line_error(rc, out, err, "leave-one-out needs at least 2 studies", "fix:")


def test_moderator_missing_value_words_match_the_reader(tmp_path, capsys):
    content = GOOD.replace("n2i\n", "n2i,dose\n").replace(",20\n", ",20,1\n").replace(",30\n", ",30,.\n") \
        .replace(",25\n", ",25,3\n") + "D,1.1,1,22,2,1.2,22,n/a\nE,1.3,1,26,2.1,1,26,5\n"
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", content), "-m", "MD", "--mods", "dose", "--json")
    assert rc == 0, err
    reg = _strict_json(out)["meta_regression"]
    assert reg["k"] == 3 and sorted(reg["excluded"]) == ["B", "D"]


# --------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["0", "100", "-5", "1", "1e9", "nan"])
def test_bad_level_is_exit_3(level, tmp_path, capsys):
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", GOOD), "-m", "MD", "--level", level, "--json")
    if level == "nan":
        assert_one_line_error(rc, out, err, "level must be finite, got nan")
    else:
        assert_one_line_error(rc, out, err, f"level={float(level):g} must be a percentage strictly between 0 and 100",
                              "e.g. 95", "e.g. 0.95")


def test_level_as_percent_or_fraction_agree(tmp_path, capsys):
    p = _write(tmp_path, "s.csv", GOOD)
    a, b = _meta_json(capsys, p, "--level", "90"), _meta_json(capsys, p, "--level", "0.9")
    assert a["ci_low"] == b["ci_low"] and a["ci_high"] == b["ci_high"]
    assert a["ci_low"] > _meta_json(capsys, p)["ci_low"]


@pytest.mark.parametrize("argv,fragments", [
    (["--level", "abc"], ("'--level'", "got 'abc'", "evigrade meta --help")),
    (["--level=abc"], ("'--level'", "got 'abc'")),
    (["--frobnicate"], ("No such option: --frobnicate", "evigrade meta --help")),
    (["--level"], ("'--level' requires an argument",)),
])
def test_usage_errors_are_one_line_exit_2(argv, fragments, tmp_path, capsys):
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", GOOD), "-m", "MD", "--json", *argv)
    assert_one_line_error(rc, out, err, *fragments, code=2)


def test_missing_arguments_and_unknown_command_are_one_line(tmp_path, capsys):
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", GOOD))
    assert_one_line_error(rc, out, err, "Missing option '--measure'", code=2)
    rc, out, err = _run(capsys, "grade")
    assert_one_line_error(rc, out, err, "Missing argument 'STUDIES.csv'", "evigrade grade --help", code=2)
    rc, out, err = _run(capsys, "metaa")
    assert_one_line_error(rc, out, err, "No such command 'metaa'", "Did you mean 'meta'", code=2)


@pytest.mark.parametrize("argv,fragments", [
    (["-m", "XYZ"], ("measure='XYZ' is not one of", "'MD'")),
    (["-m", "MD", "--method", "REML2"], ("method='REML2' is not one of", "'REML'")),
    (["-m", "MD", "--test", "w"], ("test='w' is not one of",)),  # "t" became valid (metafor test="t")
    (["-m", "MD", "--preset", "revman6"], ("preset='revman6' is not one of",)),
    (["-m", "MD", "--subgroup", "region"], ("column region", "not found", "fix: use one of: study, m1i")),
])
def test_bad_option_values_exit_3(argv, fragments, tmp_path, capsys):
    rc, out, err = _run(capsys, "meta", _write(tmp_path, "s.csv", GOOD), *argv, "--json")
    assert_one_line_error(rc, out, err, *fragments)


def test_option_case_and_order_do_not_matter(tmp_path, capsys):
    p = _write(tmp_path, "s.csv", GOOD)
    ref = _run(capsys, "meta", p, "--measure", "MD", "--method", "REML", "--test", "knha", "--json")[1]
    for argv in (["--json", "--test", "KNHA", "--method", "reml", "-m", "md", str(p)],
                 ["-m", "Md", str(p), "--json", "--method", "Reml"]):
        rc, out, err = _run(capsys, "meta", *argv)
        assert rc == 0, err
        assert json.loads(out) == json.loads(ref)


@pytest.mark.parametrize("argv,fragments", [
    (["--mid", "-1"], ("mid must be > 0",)),
    (["--benefit", "better"], ("benefit='better' is not one of",)),
    (["--indirectness", "bad"], ("indirectness='bad' is not one of",)),
    (["--rob-col", "rob"], ("no risk-of-bias column 'rob'", "fix:")),
])
def test_grade_bad_options_exit_3(argv, fragments, tmp_path, capsys):
    rc, out, err = _run(capsys, "grade", _write(tmp_path, "s.csv", GOOD), "-m", "MD", *argv, "--json")
    assert_one_line_error(rc, out, err, *fragments)


def test_grade_bad_rob_cell_names_row_column_value(tmp_path, capsys):
    content = GOOD.replace("n2i\n", "n2i,rob\n").replace(",20\n", ",20,low\n").replace(",30\n", ",30,meh\n") \
        .replace(",25\n", ",25,\n")
    rc, out, err = _run(capsys, "grade", _write(tmp_path, "s.csv", content), "-m", "MD", "--rob-col", "rob")
    assert_one_line_error(rc, out, err, "row 3 (B)", "column rob", "got 'meh'", "fix:")


# --------------------------------------------------------------------------------------------
# validate: every problem, one per line, each naming the file; no cascades
# --------------------------------------------------------------------------------------------
@pytest.fixture
def pack(tmp_path) -> pathlib.Path:
    dst = tmp_path / "pack"
    shutil.copytree(PACKS / "bcg", dst)
    return dst


def _validate_lines(capsys, pack_dir) -> tuple[int, list[str], str]:
    rc, out, err = _run(capsys, "validate", pack_dir)
    assert "Traceback" not in err
    return rc, err.strip("\n").splitlines(), out


def _assert_problems(capsys, pack_dir, *expected: tuple[str, ...]) -> list[str]:
    rc, lines, out = _validate_lines(capsys, pack_dir)
    assert rc == 3 and out == ""
    n = len(expected)
    assert lines[-1] == f"{pack_dir}: invalid ({n} problem{'s' if n != 1 else ''})", lines
    assert len(lines) == n + 1, lines
    for line, fragments in zip(lines, expected):
        assert line.startswith(f"{pack_dir}: ") and not line.startswith(f"{pack_dir}: {pack_dir}")
        for f in fragments:
            assert f in line, (f, line)
    return lines


def test_validate_valid_pack(pack, capsys):
    rc, out, err = _run(capsys, "validate", pack)
    assert rc == 0 and err == "" and out.startswith(f"{pack}: valid (13 studies, 13 results")


def test_validate_missing_file(pack, capsys):
    (pack / "results.csv").unlink()
    _assert_problems(capsys, pack, ("results.csv: file is missing", "fix: create results.csv"))


def test_validate_unreadable_toml_is_one_problem_not_a_cascade(pack, capsys):
    with (pack / "pack.toml").open("a", encoding="utf-8") as fh:
        fh.write('\nbroken = "no closing quote\n')
    _assert_problems(capsys, pack, ("pack.toml: TOML syntax error", "fix:"))


def test_validate_wrong_types_in_toml(pack, capsys):
    text = (pack / "pack.toml").read_text(encoding="utf-8")
    text = text.replace('title = "BCG vaccine and tuberculosis (Colditz 1994)"', "title = 5\nschema_version = \"one\"")
    (pack / "pack.toml").write_text(text, encoding="utf-8")
    _assert_problems(capsys, pack, ("pack.toml (top level), column title", "must be a string", "got 5", "fix:"),
                     ("column schema_version", "whole number", "got 'one'", "fix: write schema_version = 1"))


def test_validate_unsupported_schema_version(pack, capsys):
    text = (pack / "pack.toml").read_text(encoding="utf-8")
    (pack / "pack.toml").write_text("schema_version = 7\n" + text, encoding="utf-8")
    _assert_problems(capsys, pack, ("column schema_version", "got 7", "fix: use schema_version = 1"))


def test_validate_results_row_pointing_at_unknown_study(pack, capsys):
    p = pack / "results.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("R2,T2,", "R2,T99,"), encoding="utf-8")
    _assert_problems(capsys, pack, ("results.csv row 3 (R2), column study_id", "unknown study id", "got 'T99'",
                                    "fix: use an id declared in studies.csv"))


def test_validate_latin1_names_the_row(pack, capsys):
    p = pack / "studies.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ",\u00e9", 1)  # an accented citation, saved as Latin-1
    p.write_bytes("".join(lines).encode("latin-1"))
    _assert_problems(capsys, pack, ("studies.csv row 4", "not UTF-8", "fix:"))


def test_validate_binary_and_empty_tables(pack, capsys):
    (pack / "safety.csv").write_bytes(b"\x00\x01\x02binary\xff")
    (pack / "claims.csv").write_text("", encoding="utf-8")
    _assert_problems(capsys, pack, ("safety.csv: is a binary file",), ("claims.csv: file is empty",
                                                                       "fix: add the header row: claim_id"))


def test_validate_semicolon_pack_is_read(pack, capsys):
    import csv

    p = pack / "results.csv"
    rows = list(csv.reader(p.open(encoding="utf-8", newline="")))
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    rc, out, err = _run(capsys, "validate", pack)
    assert rc == 0 and err == "", err


def test_validate_path_problems(tmp_path, capsys):
    rc, lines, _ = _validate_lines(capsys, tmp_path / "nope")
    assert rc == 3 and lines[0] == f"{tmp_path / 'nope'}: pack folder does not exist; fix: give the path of a folder " \
                                   "that holds pack.toml"
    f = _write(tmp_path, "x.csv", GOOD)
    rc, lines, _ = _validate_lines(capsys, f)
    assert rc == 3 and "is not a folder" in lines[0] and len(lines) == 2


def test_validate_bundled_pack_still_valid(capsys):
    rc, out, err = _run(capsys, "validate", bundled_pack_path())
    assert rc == 0 and err == "" and ": valid (" in out


# --------------------------------------------------------------------------------------------
# report: never a half-written report folder
# --------------------------------------------------------------------------------------------
def test_report_bad_pack_writes_nothing(pack, tmp_path, capsys):
    p = pack / "results.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("R2,T2,", "R2,T99,"), encoding="utf-8")
    rc, out, err = _run(capsys, "report", pack, "-o", tmp_path / "rep")
    assert_one_line_error(rc, out, err, "results.csv row 3 (R2), column study_id", "got 'T99'", "fix:")
    assert not (tmp_path / "rep").exists()


def test_report_refuses_folder_with_other_files(pack, tmp_path, capsys):
    out_dir = tmp_path / "rep"
    out_dir.mkdir()
    (out_dir / "thesis.docx").write_text("precious", encoding="utf-8")
    rc, out, err = _run(capsys, "report", pack, "-o", out_dir)
    assert_one_line_error(rc, out, err, str(out_dir), "already holds other files", "thesis.docx", "fix:")
    assert [p.name for p in out_dir.iterdir()] == ["thesis.docx"]
    assert (out_dir / "thesis.docx").read_text(encoding="utf-8") == "precious"


def test_report_output_is_a_file_or_has_no_parent(pack, tmp_path, capsys):
    f = _write(tmp_path, "afile", "x")
    rc, out, err = _run(capsys, "report", pack, "-o", f)
    assert_one_line_error(rc, out, err, str(f), "existing file", "fix:")
    rc, out, err = _run(capsys, "report", pack, "-o", tmp_path / "no" / "such" / "rep")
    assert_one_line_error(rc, out, err, "does not exist", "fix:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "pack"]


@pytest.mark.parametrize("command", ["report", "summarize"])
def test_bad_report_folder_is_refused_before_the_pack_is_read(pack, tmp_path, capsys, monkeypatch, command):
    """An unusable output folder is the first error: nothing is computed for a report that cannot be written."""
    import evigrade.cli.summarize as summarize_cli
    import evigrade.pipeline as pipeline

    def boom(*a, **k):
        raise AssertionError("the pack was summarised before the output folder was checked")

    monkeypatch.setattr(pipeline, "run", boom)
    monkeypatch.setattr(pipeline, "load_pack", boom)
    monkeypatch.setattr(summarize_cli, "load_pack", boom)
    f = _write(tmp_path, "afile", "x")
    argv = ["report", pack, "-o", f] if command == "report" else ["summarize", pack, "--report", f]
    rc, out, err = _run(capsys, *argv)
    assert_one_line_error(rc, out, err, str(f), "existing file", "fix:")


def test_report_unwritable_folder_is_one_line_and_leaves_nothing(pack, tmp_path, capsys, monkeypatch):
    # tests may run as root, where chmod cannot make a folder unwritable: fail the write itself
    import evigrade.report._render as render_mod

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(render_mod.tempfile, "mkdtemp", refuse)
    rc, out, err = _run(capsys, "report", pack, "-o", tmp_path / "rep")
    assert_one_line_error(rc, out, err, str(tmp_path / "rep"), "cannot write the report (Permission denied)", "fix:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]


def test_report_bad_options(pack, tmp_path, capsys):
    rc, out, err = _run(capsys, "report", pack, "--method", "XX", "-o", tmp_path / "rep")
    assert_one_line_error(rc, out, err, "method='XX' is not one of")
    rc, out, err = _run(capsys, "report", "--from-json", _write(tmp_path, "s.json", "{not json"), "-o", tmp_path / "r")
    assert_one_line_error(rc, out, err, "s.json", "not valid JSON", "fix:")
    rc, out, err = _run(capsys, "report", "-o")
    assert_one_line_error(rc, out, err, "'-o' requires an argument", code=2)
    assert not (tmp_path / "rep").exists() and not (tmp_path / "r").exists()


# --------------------------------------------------------------------------------------------
# --help reads well: every command and option has a one-line description
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["meta", "grade", "validate", "report"])
def test_help_texts(name, capsys):
    import typer

    group = typer.main.get_command(build_app())
    cmd = group.commands[name]
    summary = (cmd.help or "").strip().splitlines()[0]
    assert summary.endswith(".") and len(summary) <= 110
    for param in cmd.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{name}: {param.name} has no help text"
    rc, out, err = _run(capsys, name, "--help")
    assert rc == 0 and err == "" and f"evigrade {name}" in out


def test_validate_wrong_toml_types_are_problems_not_crashes(pack, capsys):
    text = (pack / "pack.toml").read_text(encoding="utf-8")
    (pack / "pack.toml").write_text('moderators = 5\nindirectness = "x"\n' + text, encoding="utf-8")
    _assert_problems(capsys, pack, ("pack.toml ([[moderators]])", "must be an array of tables", "got 5", "fix:"),
                     ("pack.toml ([[indirectness]])", "got 'x'", "fix:"))


def test_validate_broken_toml_section_does_not_cascade_into_every_row(pack, capsys):
    (pack / "pack.toml").write_text('id = "b"\ntitle = "t"\noutcomes = "tb"\ncomparisons = 3\n[question]\n'
                                    'population = "p"\nintervention = "i"\n', encoding="utf-8")
    _assert_problems(capsys, pack, ("([[comparisons]])", "at least one comparison group is required"),
                     ("([[outcomes]])", "at least one outcome is required"))


def test_validate_table_that_is_a_folder(pack, capsys):
    (pack / "studies.csv").unlink()
    (pack / "studies.csv").mkdir()
    (pack / "pack.toml").rename(pack / "pack.toml.bak")
    (pack / "pack.toml").mkdir()
    _assert_problems(capsys, pack, ("pack.toml: is a folder, not a file", "fix:"),
                     ("studies.csv: is a folder, not a CSV file", "fix:"))


def test_report_with_several_pack_problems_points_to_validate(pack, tmp_path, capsys):
    p = pack / "results.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("R2,T2,tb,long_term", "R2,T2,tbx,forever"), encoding="utf-8")
    rc, out, err = _run(capsys, "report", pack, "-o", tmp_path / "rep")
    assert_one_line_error(rc, out, err, f"{pack}: results.csv row 3 (R2), column outcome", "got 'tbx'",
                          f"(and 1 more problem; list them all with: evigrade validate {pack})")
    assert not (tmp_path / "rep").exists()


def test_debug_flag_anywhere_shows_the_traceback(tmp_path, capsys):
    from evigrade.errors import InputError

    p = _write(tmp_path, "empty.csv", "")
    for argv in (["--debug", "meta", p, "-m", "MD"], ["meta", p, "-m", "MD", "--debug"]):
        with pytest.raises(InputError, match="file is empty"):
            main([str(a) for a in argv])
    rc, out, err = _run(capsys, "meta", p, "-m", "MD")
    assert_one_line_error(rc, out, err, "file is empty")


def test_validate_verbose_lists_columns_that_are_not_analysed(pack, capsys):
    p = pack / "studies.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0] + ",registry,funding"] + [ln + ",NCT0,none" for ln in lines[1:]]) + "\n",
                 encoding="utf-8")
    rc, out, err = _run(capsys, "validate", pack)
    assert rc == 0 and err == "" and len(out.splitlines()) == 1  # default output unchanged
    rc, out, err = _run(capsys, "validate", pack, "--verbose")
    assert rc == 0 and err == ""
    assert out.splitlines()[1] == f"{pack}: studies.csv: not analysed (kept for provenance): registry, funding"


def test_text_output_keeps_extreme_numbers_readable(tmp_path, capsys):
    p = _write(tmp_path, "s.csv", "study,yi,vi\nA,0.1,1e-300\nB,0.2,1e300\nC,0.3,0.1\n")
    rc, out, err = _run(capsys, "meta", p, "-m", "GEN", "--no-color")
    assert rc == 0, err
    assert max(len(line) for line in out.splitlines()) < 120
    assert "1.0000e+300" in out


@pytest.mark.parametrize("payload,fragments", [
    ('{"findings": [1, 2]}', ("(finding 1), column findings", "must be a JSON object", "got 1", "fix:")),
    ('{"findings": [{"estimate": "abc"}]}', ("(finding 1), column estimate", "number or null", "got 'abc'", "fix:")),
    ('{"findings": [{"estimate": 1.0, "k": true}]}', ("(finding 1), column k", "got True")),
    ('[]', ("no 'findings' list",)),
])
def test_report_from_json_refuses_what_summarize_never_writes(payload, fragments, tmp_path, capsys):
    src = _write(tmp_path, "s.json", payload)
    rc, out, err = _run(capsys, "report", "--from-json", src, "-o", tmp_path / "rep")
    assert_one_line_error(rc, out, err, str(src), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize("content,fragments", [
    ("", ("pack.toml: file is empty", "fix: write id, title")),
    (b"\x00\x01binary", ("pack.toml: is a binary file", "not TOML text")),
    ('id = "b\u00e9"\n'.encode("latin-1"), ("pack.toml (line 1): is not UTF-8 text", "byte 0xe9", "fix:")),
    ("\ufeffid = 1".encode("utf-16-le"), ("pack.toml: is UTF-16 text", "fix: save the file as UTF-8")),
])
def test_validate_unreadable_pack_toml_is_one_problem(content, fragments, pack, capsys):
    (pack / "pack.toml").write_bytes(content.encode() if isinstance(content, str) else content)
    _assert_problems(capsys, pack, fragments)
