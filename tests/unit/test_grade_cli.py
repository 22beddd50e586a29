"""``evigrade grade`` and the library call behind it (grade_studies_csv / grade_analysis)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from evigrade.cli import main
from evigrade.errors import InputError
from evigrade.grade.analysis import grade_analysis, grade_studies_csv, read_rob_column

CSV = """study,m1i,sd1i,n1i,m2i,sd2i,n2i,rob
Alpha 2010,5,2,20,6,2,20,low
Beta 2012,4,2,30,6,2.5,30,high
Gamma 2015,5.5,2,25,6,2,25,some concerns
"""


@pytest.fixture
def csv_path(tmp_path):
    p = tmp_path / "studies.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


def test_library_call_uses_fit_weights_and_rob(csv_path):
    from evigrade.effects import read_studies_csv
    from evigrade.stats import meta_analysis

    res = grade_studies_csv(csv_path, "MD", mid=1.0, rob_col="rob", outcome="pain", intervention="dry needling")
    fit = meta_analysis(read_studies_csv(csv_path, "MD"))
    assert res.analysis["estimate"] == pytest.approx(fit.estimate, abs=1e-12)
    assert res.input.n == 150 and res.input.k == 3
    share_high = float(np.asarray(fit.weights)[1] / np.sum(fit.weights))
    j = res.rating.judgement("risk_of_bias")
    assert j.numbers["share_high"] == pytest.approx(share_high)
    assert j.numbers["share_some_concerns"] == pytest.approx(float(np.asarray(fit.weights)[2] / np.sum(fit.weights)))
    assert (j.levels, j.reason_code) == (-1, "rob_serious")
    assert res.rating.judgement("inconsistency").numbers["i2"] == pytest.approx(fit.i2)
    assert res.certainty == "very_low"


def test_cli_json_equals_library(csv_path, capsys):
    rc = main(["grade", str(csv_path), "--measure", "MD", "--mid", "1.0", "--rob-col", "rob", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    lib = grade_studies_csv(csv_path, "MD", mid=1.0, rob_col="rob").to_dict()
    assert json.loads(out) == json.loads(json.dumps(lib))


def test_cli_text(csv_path, capsys):
    rc = main(["grade", str(csv_path), "--measure", "MD", "--mid", "1.0", "--rob-col", "rob", "--no-color",
               "--outcome", "pain", "--intervention", "dry needling"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Certainty: \u2295\u25ef\u25ef\u25ef very low" in out
    assert "The evidence is very uncertain about the effect of dry needling on pain." in out
    # reasons in words (grade.reasons.describe), not codes (issue 17); rich wraps the table cells
    assert "rob_serious" not in out and "imprecision_crosses_two" not in out
    assert "crosses two decision" in " ".join(out.split())


def test_bad_rob_cell_is_one_line_error(tmp_path, capsys):
    p = tmp_path / "s.csv"
    p.write_text(CSV.replace("some concerns", "dubious"), encoding="utf-8")
    rc = main(["grade", str(p), "--measure", "MD", "--rob-col", "rob"])
    err = capsys.readouterr().err.strip()
    assert rc == 3
    assert err.count("\n") == 0
    # the file is named as given (full path), like every other studies-CSV error
    assert err.startswith(f"error: {p} row 4 (Gamma 2015), column rob: risk of bias must be low, some concerns or high")
    assert "got 'dubious'" in err and "fix:" in err


def test_missing_rob_column_and_bad_pedro(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(CSV.replace(",low\n", ",11\n", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \(Alpha 2010\), column rob: PEDro score must be between 0 and 10"):
        read_rob_column(p, "rob")
    with pytest.raises(InputError, match="no risk-of-bias column 'grade'"):
        read_rob_column(p, "grade")


def test_pedro_scores_and_blanks(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(CSV.replace(",low\n", ",7\n").replace(",high\n", ",\n"), encoding="utf-8")
    assert read_rob_column(p, "rob") == {"Alpha 2010": 7.0, "Beta 2012": None, "Gamma 2015": "some_concerns"}


@pytest.mark.parametrize("args,code", [(["--benefit", "down"], 3), (["--indirectness", "maybe"], 3), (["--mid", "-1"], 3)])
def test_bad_options_exit_3(csv_path, capsys, args, code):
    assert main(["grade", str(csv_path), "--measure", "MD", *args]) == code
    assert capsys.readouterr().err.startswith("error: ")


def test_missing_file_exit_3(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope.csv"), "--measure", "MD"]) == 3


def test_publication_bias_uses_egger_when_k_at_least_10():
    from evigrade.stats import meta_analysis
    from evigrade.stats.bias import egger_test

    yi = np.array([-0.9, -0.7, -1.2, -0.3, -0.5, -0.8, -1.5, -0.2, -0.6, -1.1])
    vi = np.array([0.30, 0.20, 0.45, 0.05, 0.08, 0.15, 0.60, 0.04, 0.10, 0.35])
    fit = meta_analysis(yi, vi, measure="SMD")
    res = grade_analysis(fit, rob={f"Study {i + 1}": "low" for i in range(10)}, indirectness="none")
    j = res.rating.judgement("publication_bias")
    p = egger_test(yi, vi).pval
    assert j.numbers["p"] == pytest.approx(p) and j.numbers["test"] == "Egger"
    assert j.levels == (-1 if p < 0.10 else 0)
    nine = meta_analysis(yi[:9], vi[:9], measure="SMD")
    assert grade_analysis(nine).rating.judgement("publication_bias").concern == "not_assessable"
