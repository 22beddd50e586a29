"""Hostile and broken RevMan input: one line naming file, element/row, value and fix; exit 3; nothing written."""
from __future__ import annotations

import gzip
import time

import pytest
from revman_helpers import real_file

from evigrade.cli import main
from evigrade.errors import InputError
from evigrade.interop import read_revman
from evigrade.interop import revman as rm

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def review(analyses: str, studies: str = '<STUDY ID="STD-A" NAME="A 2001" YEAR="2001"/><STUDY ID="STD-B" NAME="B 2002" YEAR="2002"/>') -> str:
    return (HEAD + '<COCHRANE_REVIEW REVMAN_VERSION="5"><COVER_SHEET><TITLE>T</TITLE></COVER_SHEET>'
            f'<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>{studies}</INCLUDED_STUDIES></STUDIES>'
            f'</STUDIES_AND_REFERENCES><ANALYSES_AND_DATA><COMPARISON NO="1"><NAME>C</NAME>{analyses}</COMPARISON>'
            '</ANALYSES_AND_DATA></COCHRANE_REVIEW>\n')


def dich(data: str, **attrs: str) -> str:
    a = {"NO": "1", "METHOD": "MH", "EFFECT_MEASURE": "RR", "RANDOM": "NO", "TOTALS": "YES"} | attrs
    at = " ".join(f'{k}="{v}"' for k, v in a.items())
    return f'<DICH_OUTCOME {at}><NAME>Death</NAME>{data}</DICH_OUTCOME>'


GOOD_ROWS = ('<DICH_DATA STUDY_ID="STD-A" EVENTS_1="3" TOTAL_1="20" EVENTS_2="6" TOTAL_2="21"/>'
             '<DICH_DATA STUDY_ID="STD-B" EVENTS_1="5" TOTAL_1="30" EVENTS_2="9" TOTAL_2="28"/>')


def write(tmp_path, text: str | bytes, name: str = "r.rm5"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def cli_error(capsys, path, out_dir) -> str:
    rc = main(["import-revman", str(path), "-o", str(out_dir)])
    out, err = capsys.readouterr()
    assert rc == 3, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert not out_dir.exists()
    assert [p.name for p in out_dir.parent.iterdir() if p.name.startswith(".")] == []
    return lines[0]


def test_minimal_review_imports(tmp_path, capsys):
    p = write(tmp_path, review(dich(GOOD_ROWS)))
    rv = read_revman(p)
    assert rv.analyses[0].studies[1].events_2 == 9
    assert main(["import-revman", str(p), "-o", str(tmp_path / "out")]) == 0
    out, _ = capsys.readouterr()
    assert "1 analyses" in out and (tmp_path / "out" / "pack.toml").is_file()


def test_billion_laughs_refused_fast(tmp_path, capsys):
    lol = (HEAD + '<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']><COCHRANE_REVIEW><COVER_SHEET><TITLE>&lol9;</TITLE></COVER_SHEET></COCHRANE_REVIEW>')
    p = write(tmp_path, lol)
    t0 = time.perf_counter()
    msg = cli_error(capsys, p, tmp_path / "out")
    assert time.perf_counter() - t0 < 5
    assert "document type" in msg and "r.rm5" in msg and "line 2" in msg


def test_external_entity_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = HEAD + f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><COCHRANE_REVIEW><COVER_SHEET><TITLE>&x;</TITLE></COVER_SHEET></COCHRANE_REVIEW>'
    with pytest.raises(InputError, match="document type") as ei:
        read_revman(write(tmp_path, xxe))
    assert "TOP SECRET" not in str(ei.value)


def test_undeclared_entity_is_not_well_formed(tmp_path):
    with pytest.raises(InputError, match=r"line 1, column \d+: not well-formed XML \(undefined entity\)"):
        read_revman(write(tmp_path, '<COCHRANE_REVIEW><X>&nope;</X></COCHRANE_REVIEW>'))


def test_truncated_file(tmp_path, capsys):
    good = review(dich(GOOD_ROWS))
    msg = cli_error(capsys, write(tmp_path, good[: len(good) // 2]), tmp_path / "out")
    assert "not well-formed XML" in msg and "fix: give the .rm5 file exactly as RevMan 5 saved it" in msg


@pytest.mark.parametrize("rows, attrs, fragments", [
    (GOOD_ROWS.replace('EVENTS_1="3"', 'EVENTS_1="3a"'), {}, ("<DICH_DATA>", "study 'A 2001'", "EVENTS_1 must be a number", "'3a'")),
    (GOOD_ROWS.replace('EVENTS_1="3"', 'EVENTS_1="25"'), {}, ("EVENTS_1 is larger than the group total (20)", "'25'")),
    (GOOD_ROWS.replace('EVENTS_1="3"', 'EVENTS_1="-1"'), {}, ("EVENTS_1 must be >= 0", "'-1'")),
    (GOOD_ROWS.replace('EVENTS_1="3"', 'EVENTS_1="2.5"'), {}, ("EVENTS_1 must be a whole number",)),
    (GOOD_ROWS.replace(' TOTAL_1="20"', ''), {}, ("attribute TOTAL_1 is missing or empty",)),
    (GOOD_ROWS.replace('STD-B', 'STD-Z'), {}, ("STUDY_ID names a study that is not among the included studies", "'STD-Z'")),
    (GOOD_ROWS, {"METHOD": "XX"}, ("<DICH_OUTCOME>", "analysis 1.1", "METHOD is not one of MH, IV, PETO", "'XX'")),
    (GOOD_ROWS, {"EFFECT_MEASURE": "HR"}, ("EFFECT_MEASURE is not one of OR, RR, RD", "'HR'")),
    (GOOD_ROWS, {"CI_TOTAL": "950"}, ("CI_TOTAL must be a confidence level",)),
    (GOOD_ROWS, {"TOTALS": "MAYBE"}, ("TOTALS is not one of YES, SUB, NO",)),
])
def test_bad_element_named(tmp_path, capsys, rows, attrs, fragments):
    msg = cli_error(capsys, write(tmp_path, review(dich(rows, **attrs))), tmp_path / "out")
    assert "r.rm5, line " in msg and "fix: " in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_wrong_root_and_no_analyses(tmp_path):
    with pytest.raises(InputError, match="root element is <html>"):
        read_revman(write(tmp_path, "<html><body/></html>"))
    with pytest.raises(InputError, match="has no analyses"):
        read_revman(write(tmp_path, review("")))


def test_empty_zip_binary_and_huge(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="file is empty"):
        read_revman(write(tmp_path, b"  \n"))
    with pytest.raises(InputError, match="zip archive"):
        read_revman(write(tmp_path, b"PK\x03\x04rest", "x.rm5"))
    with pytest.raises(InputError, match="NUL bytes"):
        read_revman(write(tmp_path, b"a,b\x00,c\n", "x.csv"))
    monkeypatch.setattr(rm, "MAX_BYTES", 100)
    with pytest.raises(InputError, match="more than the 0 MB limit"):
        read_revman(write(tmp_path, review(dich(GOOD_ROWS))))
    with pytest.raises(InputError, match="file not found"):
        read_revman(tmp_path / "missing.rm5")


CSV_HEAD = ("Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,Effect Measure,"
            "Analysis Model,Events 1,Mean 1,SD 1,Total 1,Events 2,Mean 2,SD 2,Total 2,Effect Estimate,SE,CI Start,"
            "CI End,Weight,Q,P(Q),I²(Q),Tau²,Z,P(Z),Qint,P(Qint),I²(Qint),df,Group Label 1,Group Label 2,"
            "Left Graph Label,Right Graph Label,Year of study,User defined order\n")


def test_csv_errors(tmp_path, capsys):
    rows = ("1,0,0,Comp,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
            "1,1,0,Death,DIC,MH,RR,Fixed,8,,,50,15,,,49,,,,,,,,,,,,,,,,A,B,Favours A,Favours B,,\n"
            "1,1,0,Smith,,,,,3,0,0,20,6,0,0,21,,,,,,,,,,,,,,,,,,,,2001,1\n")
    good = write(tmp_path, (CSV_HEAD + rows).encode("cp1252"), "e.csv")
    rv = read_revman(good)
    assert rv.analyses[0].studies[0].events_2 == 6 and rv.analyses[0].measure == "RR"
    bad = write(tmp_path, CSV_HEAD + rows.replace(",3,0,0,20,", ",3x,0,0,20,"), "bad.csv")
    msg = cli_error(capsys, bad, tmp_path / "out")
    assert "bad.csv row 4 (Smith), column Events 1: must be a number, got '3x'; fix:" in msg
    short = write(tmp_path, CSV_HEAD + rows.replace(",2001,1\n", "\n"), "short.csv")
    assert "short.csv row 4" in cli_error(capsys, short, tmp_path / "out")
    nocol = write(tmp_path, "Name,Data Type\nx,DIC\n", "nocol.csv")
    assert "column Comparison Number: required column is missing" in cli_error(capsys, nocol, tmp_path / "out")
    method = write(tmp_path, CSV_HEAD + rows.replace(",MH,RR,", ",ZZ,RR,"), "m.csv")
    assert "m.csv row 3 (Death), column Statistical Method: is not one of MH, IV, PETO, got 'ZZ'" in \
        cli_error(capsys, method, tmp_path / "out")


def test_usage_errors(tmp_path, capsys):
    rc = main(["import-revman", str(real_file("Fleiss1993.rm5", tmp_path))])
    _, err = capsys.readouterr()
    assert rc == 2 and "--output" in err and len(err.strip().splitlines()) == 1


def test_json_and_check(tmp_path, capsys):
    import json

    src = real_file("CD004976StatsDataOnly.rm5", tmp_path)
    rc = main(["import-revman", str(src), "-o", str(tmp_path / "p"), "--check", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    d = json.loads(out)
    assert d["analyses"] == 19 and d["check"]["compared"] == 19 and d["check"]["matched"] == 19
    assert d["check"]["max_rel_diff"] < 1e-12


def test_gzip_input_is_refused_with_a_fix(tmp_path):
    p = write(tmp_path, gzip.compress(b"<COCHRANE_REVIEW/>"), "x.rm5.gz")
    with pytest.raises(InputError, match="is gzip-compressed; fix: decompress it first"):
        read_revman(p)


def test_help_text(capsys):
    import typer

    from evigrade.cli import build_app

    cmd = typer.main.get_command(build_app()).commands["import-revman"]
    summary = (cmd.help or "").strip().splitlines()[0]
    assert summary.endswith(".") and len(summary) <= 110
    assert all((getattr(p, "help", None) or "").strip() for p in cmd.params if p.name != "help")
    assert main(["import-revman", "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "evigrade import-revman" in out


def test_csv_subgroups_and_unsupported_types(tmp_path):
    """Subgroup summary rows (the first row of each subgroup, as RevMan 5 exports them) and a generic-IV
    analysis, which is listed as not imported from the CSV export."""
    rows = ("1,0,0,Comp,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
            "1,1,0,Death,DIC,MH,RR,Random,8,,,50,15,,,49,0.6,,0.3,1.1,100,1,0.3,0,0,1.2,0.2,0.5,0.48,0,1,A,B,L,R,,\n"
            "1,1,1,Adults,,,,,3,,,20,6,,,21,0.5,,0.2,1.4,45,,,,,,,,,,,,,,,,\n"
            "1,1,1,Smith,,,,,3,0,0,20,6,0,0,21,,,,,,,,,,,,,,,,,,,,2001,1\n"
            "1,1,2,Children,,,,,5,,,30,9,,,28,0.5,,0.2,1.3,55,,,,,,,,,,,,,,,,\n"
            "1,1,2,Jones,,,,,5,0,0,30,9,0,0,28,,,,,,,,,,,,,,,,,,,,2002,2\n"
            "1,2,0,Time,IV,IV,HR,Fixed,,,,,,,,,0.8,,0.6,1.1,100,,,,,,,,,,,,,,,,\n")
    rv = read_revman(write(tmp_path, CSV_HEAD + rows, "s.csv"))
    assert len(rv.analyses) == 1
    a = rv.analyses[0]
    assert [(g.no, g.name, g.pooled.estimate) for g in a.subgroups] == [(1, "Adults", 0.5), (2, "Children", 0.5)]
    assert [(e.study_name, e.subgroup) for e in a.studies] == [("Smith", 1), ("Jones", 2)]
    assert a.random and a.subgroup_test.chi2 == 0.5 and a.subgroup_test.df == 1
    assert rv.notes == ("analysis 1.2 (Time): data type 'IV' is not imported from the CSV export (use the .rm5 file)",)


def test_rm5_unsupported_outcome_type_is_listed(tmp_path, capsys):
    xml = review(dich(GOOD_ROWS) + '<OE_OUTCOME NO="2"><NAME>Survival</NAME></OE_OUTCOME>')
    rv = read_revman(write(tmp_path, xml))
    assert rv.notes == ("analysis 1.2 (Survival): O-E and variance outcomes are not imported",)
    assert main(["import-revman", str(tmp_path / "r.rm5"), "-o", str(tmp_path / "o")]) == 0
    out, _ = capsys.readouterr()
    assert "not imported: analysis 1.2 (Survival)" in out
    assert "Survival" in (tmp_path / "o" / "revman" / "README.md").read_text()
