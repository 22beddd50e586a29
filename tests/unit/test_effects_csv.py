"""read_studies_csv: good files and one-line InputErrors for every kind of bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.effects import escalc, read_studies_csv, read_table_csv
from evigrade.errors import InputError, SpecError

CONT = "study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"
GOOD_CONT = CONT + "Smith 2004,5.1,2.0,20,4.0,2.2,21\nJones 2010,4.0,1.5,30,3.9,1.4,28\nLee 2015,6.2,2.4,15,4.1,2.0,16\n"


def write(tmp_path, text, name="studies.csv", mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_good_continuous_file_matches_escalc(tmp_path):
    p = write(tmp_path, GOOD_CONT)
    t = read_studies_csv(p, "SMD")
    ref = escalc("SMD", m1i=[5.1, 4.0, 6.2], sd1i=[2.0, 1.5, 2.4], n1i=[20, 30, 15], m2i=[4.0, 3.9, 4.1],
                 sd2i=[2.2, 1.4, 2.0], n2i=[21, 28, 16])
    assert t.study == ("Smith 2004", "Jones 2010", "Lee 2015")
    assert_allclose(t.yi, ref.yi, rtol=0)
    assert_allclose(t.vi, ref.vi, rtol=0)


def test_good_metafor_golden_binary_file(tmp_path, golden_dir):
    case = next(c for c in json.loads((golden_dir / "escalc.json").read_text())["cases"]
                if c["name"] == "nielweise2007_OR_drop00")
    lines = ["study,ai,n1i,ci,n2i,comment"]
    for i, s in enumerate(case["slab"]):
        d = case["data"]
        lines.append(f"\"{s}\",{d['ai'][i]:g},{d['n1i'][i]:g},{d['ci'][i]:g},{d['n2i'][i]:g},free text")
    t = read_studies_csv(write(tmp_path, "\n".join(lines) + "\n"), "OR")
    yi = np.array([np.nan if v is None else v for v in case["yi"]])
    assert t.excluded == ("Yucel 2004",)
    assert_allclose(t.yi, yi[~np.isnan(yi)], rtol=1e-10)


def test_optional_features(tmp_path):
    # no study column -> labels Study 1..k; semicolon separator; BOM; blank lines; case-insensitive header
    p = write(tmp_path, "\ufeffXI;NI\n3;10\n\n4;12\n")
    t = read_studies_csv(p, "PLO")
    assert t.study == ("Study 1", "Study 2") and len(t) == 2
    # effects given directly, with empty optional cells
    p = write(tmp_path, "study,yi,vi,sei,ci_low,ci_high\nA,0.1,0.04,,,\nB,0.2,,0.3,,\nC,,,,-0.2,0.6\n")
    t = read_studies_csv(p, "GEN")
    assert_allclose(t.vi[:2], [0.04, 0.09])
    # a measure given as yi/sei keeps its name
    p = write(tmp_path, "study,yi,sei\nA,-0.69,0.2\nB,-0.3,0.25\n")
    assert read_studies_csv(p, "OR").measure == "OR"
    # options pass through
    p = write(tmp_path, "study,ai,n1i,ci,n2i\nA,0,10,0,10\nB,2,10,3,10\n")
    assert read_studies_csv(p, "OR", drop00=False).study == ("A", "B")


def test_read_table_csv(tmp_path):
    p = write(tmp_path, "study,ai,bi,ci,di,extra\nA,1,9,2,8,x\nB,3,7,,6,y\n")
    df = read_table_csv(p)
    assert list(df.columns) == ["study", "ai", "bi", "ci", "di"]
    assert list(df.index) == [2, 3] and np.isnan(df.loc[3, "ci"])
    with pytest.raises(InputError, match="row 3 \\(B\\), column bi: is not a number"):
        read_table_csv(write(tmp_path, "study,ai,bi\nA,1,9\nB,3,seven\n"))


# (file content, measure, expected fragments of the single-line message)
BAD = {
    "missing_file": (None, "SMD", ["file not found"]),
    "empty_file": ("", "SMD", ["file is empty"]),
    "whitespace_file": ("  \n\n", "SMD", ["file is empty"]),
    "header_only": (CONT, "SMD", ["row 2", "no data rows"]),
    "missing_column": ("study,m1i,sd1i,n1i,m2i,n2i\nA,1,1,10,1,10\n", "SMD", ["row 1", "column sd2i", "missing column"]),
    "missing_bi_or_n1i": ("study,ai,ci,n2i\nA,1,1,10\n", "OR", ["column bi", "bi (or n1i)"]),
    "non_numeric": (CONT + "A,1,1,10,1,1,10\nB,1,abc,10,1,1,10\n", "SMD", ["row 3 (B)", "column sd1i", "not a number", "'abc'"]),
    "decimal_comma": ("study;m1i;sd1i;n1i;m2i;sd2i;n2i\nA;1,5;1;10;1;1;10\n", "SMD", ["row 2 (A)", "column m1i", "decimal point"]),
    "empty_cell": (CONT + "A,1,,10,1,1,10\n", "SMD", ["row 2 (A)", "column sd1i", "is missing", "got ''"]),
    "na_cell": (CONT + "A,1,1,10,NA,1,10\n", "SMD", ["row 2 (A)", "column m2i", "is missing", "'NA'"]),
    "inf_cell": (CONT + "A,1,1,10,inf,1,10\n", "SMD", ["row 2 (A)", "column m2i", "finite", "'inf'"]),
    "sd_zero": (CONT + "A,1,1,10,1,1,10\nB,1,1,10,1,0,10\n", "SMD", ["row 3 (B)", "column sd2i", "must be > 0", "'0'"]),
    "sd_negative": (CONT + "A,1,-2,10,1,1,10\n", "MD", ["row 2 (A)", "column sd1i", "must be > 0", "'-2'"]),
    "n_below_2": (CONT + "A,1,1,1,1,1,10\n", "SMD", ["row 2 (A)", "column n1i", "must be >= 2", "'1'"]),
    "events_gt_n": ("study,ai,n1i,ci,n2i\nA,12,10,1,10\n", "OR", ["row 2 (A)", "column ai", "exceed", "'12'"]),
    "events_negative": ("study,ai,n1i,ci,n2i\nA,1,10,-1,10\n", "RR", ["row 2 (A)", "column ci", "must be >= 0", "'-1'"]),
    "non_integer_count": ("study,ai,n1i,ci,n2i\nA,1.5,10,1,10\n", "OR", ["row 2 (A)", "column ai", "whole number", "'1.5'"]),
    "non_integer_n": ("study,xi,ni\nA,1,10.2\n", "PR", ["row 2 (A)", "column ni", "whole number", "'10.2'"]),
    "duplicate_label": (CONT + "A,1,1,10,1,1,10\nA,2,1,10,1,1,10\n", "SMD", ["row 3 (A)", "column study", "duplicated study label", "row 2"]),
    "empty_label": (CONT + "A,1,1,10,1,1,10\n,2,1,10,1,1,10\n", "SMD", ["row 3", "column study", "label is empty"]),
    "ci_reversed": ("study,yi,ci_low,ci_high\nA,0.1,0.5,-0.2\n", "GEN", ["row 2 (A)", "column ci_low", "lower CI bound", "'0.5'"]),
    "vi_zero": ("study,yi,vi\nA,0.1,0\n", "GEN", ["row 2 (A)", "column vi", "must be > 0", "'0'"]),
    "vi_negative": ("study,yi,vi\nA,0.1,0.02\nB,0.2,-0.1\n", "GEN", ["row 3 (B)", "column vi", "must be > 0", "'-0.1'"]),
    "no_variance": ("study,yi,vi\nA,0.1,\n", "GEN", ["row 2 (A)", "column vi", "no variance"]),
    "r_is_one": ("study,ri,ni\nA,0.2,30\nB,1,40\n", "ZCOR", ["row 3 (B)", "column ri", "between -1 and 1", "'1'"]),
    "r_below_minus_one": ("study,ri,ni\nA,-1.2,30\n", "ZCOR", ["row 2 (A)", "column ri", "'-1.2'"]),
    "all_double_zero": ("study,ai,n1i,ci,n2i\nA,0,10,0,12\nB,0,20,0,22\n", "OR", ["no studies left", "zero events", "RD"]),
    "n_mismatch": ("study,ai,bi,n1i,ci,n2i\nA,1,5,10,1,10\n", "OR", ["row 2 (A)", "column n1i", "must equal ai + bi"]),
    "too_many_cells": ("study,xi,ni\nA,1,10,5\n", "PR", ["row 2", "3 columns"]),
    "duplicate_header": ("study,xi,xi,ni\nA,1,1,10\n", "PR", ["row 1", "column xi", "appears twice"]),
    "rom_nonpositive_mean": (CONT + "A,0,1,10,1,1,10\n", "ROM", ["row 2 (A)", "column m1i", "positive means"]),
    "zcor_small_n": ("study,ri,ni\nA,0.2,3\n", "ZCOR", ["row 2 (A)", "column ni", ">= 4"]),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_one_line_error(tmp_path, kind):
    content, measure, fragments = BAD[kind]
    p = tmp_path / "studies.csv" if content is None else write(tmp_path, content)
    with pytest.raises(InputError) as ei:
        read_studies_csv(p, measure)
    msg = str(ei.value)
    assert "\n" not in msg
    assert msg.startswith(str(p)), msg
    assert "fix:" in msg, msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_not_utf8_names_the_row(tmp_path):
    data = (CONT + "A,1,1,10,1,1,10\n").encode() + "M\xfcller 2001,1,1,10,1,1,10\n".encode("latin-1")
    with pytest.raises(InputError) as ei:
        read_studies_csv(write(tmp_path, data, mode="wb"), "SMD")
    msg = str(ei.value)
    assert "row 3" in msg and "not UTF-8" in msg and "0xfc" in msg and "CSV UTF-8" in msg


def test_binary_file(tmp_path):
    data = b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4  # e.g. an .xlsx saved as .csv
    with pytest.raises(InputError, match="binary file"):
        read_studies_csv(write(tmp_path, data, name="studies.xlsx", mode="wb"), "SMD")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(InputError, match="folder"):
        read_studies_csv(tmp_path, "SMD")


def test_unknown_measure_is_spec_error(tmp_path):
    with pytest.raises(SpecError, match="measure='HEDGES' is not one of"):
        read_studies_csv(write(tmp_path, GOOD_CONT), "HEDGES")


def test_crlf_quoted_commas_and_trailing_empty_column(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes(b'study,xi,ni,\r\n"Smith, J 2004",3,10,\r\nLee,4,12,\r\n')
    t = read_studies_csv(p, "PLO")
    assert t.study == ("Smith, J 2004", "Lee")
    assert_allclose(t.yi, np.log([3 / 7, 4 / 8]), rtol=1e-12)
