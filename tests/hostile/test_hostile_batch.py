"""``batch --on-error skip`` (issue 19 item 7): one bad row no longer stops 100,000 analyses.

The default stays strict (exit 3 at the first bad row, nothing written).  With ``skip`` every
analysis with a bad row is left out whole, the others are fitted exactly as they would be alone,
and each bad row is listed in ``<output>.rejects.csv`` with its analysis, row, column, value and
the one-line reason the strict mode gives.
"""
from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from .hostile_helpers import assert_controlled, run, write

MIXED = (
    "analysis_id,yi,vi\n"
    "good1,0.10,0.010\ngood1,0.30,0.020\n"          # rows 2-3
    "negvar,0.10,0.010\nnegvar,0.20,-0.5\n"         # row 5: vi < 0
    "text,abc,0.010\ntext,0.20,0.020\n"             # row 6: yi not a number
    "good2,-0.2,0.050\ngood2,0.0,0.040\ngood2,0.1,0.030\n"
    "zero,0.10,0\nzero,0.2,0.1\n"                   # row 11: vi = 0
    "missing,,0.010\nmissing,0.2,0.02\n"            # row 13: yi missing
)


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, dtype={"analysis_id": str, "value": str})


def test_strict_is_the_default(tmp_path, capsys):
    p = write(tmp_path / "in.csv", MIXED)
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv")
    assert_controlled(rc, out, err, str(p), "row 6", "column yi", "'abc'")  # (yi is checked before vi)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["in.csv"]


def test_skip_fits_the_good_and_lists_the_bad(tmp_path, capsys):
    p = write(tmp_path / "in.csv", MIXED)
    out_csv = tmp_path / "fits.csv"
    rc, out, err = run(capsys, "batch", p, "-o", out_csv, "--on-error", "skip")
    assert rc == 0, err
    fits = _read(out_csv)
    assert fits["analysis_id"].tolist() == ["good1", "good2"]
    # each kept analysis is fitted exactly as it is alone
    alone = write(tmp_path / "alone.csv", "analysis_id,yi,vi\ngood1,0.10,0.010\ngood1,0.30,0.020\n"
                                          "good2,-0.2,0.050\ngood2,0.0,0.040\ngood2,0.1,0.030\n")
    rc, _, err = run(capsys, "batch", alone, "-o", tmp_path / "alone-fits.csv")
    assert rc == 0, err
    ref = _read(tmp_path / "alone-fits.csv")
    for col in ("estimate", "se", "tau2", "ci_low", "ci_high"):
        assert_allclose(fits[col].to_numpy(float), ref[col].to_numpy(float), rtol=0, atol=0, err_msg=col)
    rej = _read(tmp_path / "fits.csv.rejects.csv")
    assert rej.columns.tolist() == ["analysis_id", "row", "column", "value", "reason"]
    got = {(r.analysis_id, r.row, r.column) for r in rej.itertuples()}
    assert got == {("negvar", 5, "vi"), ("text", 6, "yi"), ("zero", 11, "vi"), ("missing", 13, "yi")}
    assert rej.set_index("analysis_id").loc["text", "value"] == "abc"
    assert all("fix:" in r for r in rej["reason"])
    assert "skipped 4 analyses with 4 bad rows; listed in" in out


def test_skip_reason_is_the_strict_error(tmp_path, capsys):
    only = write(tmp_path / "one.csv", "analysis_id,yi,vi\na,0.1,0.01\na,0.2,-0.5\nb,0.1,0.01\nb,0.2,0.02\n")
    rc, out, err = run(capsys, "batch", only, "-o", tmp_path / "s.csv")
    strict = err.strip()
    rc2, out2, err2 = run(capsys, "batch", only, "-o", tmp_path / "k.csv", "--on-error", "skip")
    assert rc == 3 and rc2 == 0, (err, err2)
    reason = _read(tmp_path / "k.csv.rejects.csv")["reason"].iloc[0]
    problem, fix = reason.split("; fix: ")
    assert f": {problem}, got -0.5; fix: {fix}" in strict  # the same words (the value has its own column)


def test_skip_with_nothing_bad_writes_an_empty_rejects_file(tmp_path, capsys):
    p = write(tmp_path / "in.csv", "analysis_id,yi,vi\na,0.1,0.01\na,0.2,0.02\n")
    stale = tmp_path / "fits.csv.rejects.csv"
    stale.write_text("analysis_id,row,column,value,reason\nold,2,yi,x,from an earlier run\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", "--on-error", "skip", "--quiet")
    assert rc == 0, err
    assert len(_read(stale)) == 0  # an old list never outlives the run that replaced its output


def test_skip_with_every_analysis_bad_exits_3(tmp_path, capsys):
    p = write(tmp_path / "in.csv", "analysis_id,yi,vi\na,x,0.01\nb,0.2,-1\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", "--on-error", "skip")
    assert_controlled(rc, out, err, str(p), "every analysis has a bad row (2 listed in")
    assert not (tmp_path / "fits.csv").exists()
    assert len(_read(tmp_path / "fits.csv.rejects.csv")) == 2


@pytest.mark.parametrize("text, words", [
    ("analysis_id,yi\na,0.1\n", ("vi",)),                   # a column missing: a problem of the file
    ("analysis_id,yi,vi,yi\na,0.1,0.01,0.2\n", ("appears twice",)),
    ('analysis_id,yi,vi\n"a,0.1,0.01\n', ("quoted cell is never closed",)),
])
def test_skip_still_stops_on_problems_of_the_whole_file(tmp_path, capsys, text, words):
    p = write(tmp_path / "in.csv", text)
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", "--on-error", "skip")
    assert_controlled(rc, out, err, str(p), *words)
    assert not (tmp_path / "fits.csv").exists()


def test_skip_arm_level_rows(tmp_path, capsys):
    """escalc's own checks (here sd = 0 and n = 1) reject the analysis, not the run."""
    head = "analysis_id,m1i,sd1i,n1i,m2i,sd2i,n2i\n"
    good = "g,1,1,20,2,1,20\ng,1.5,1.2,30,2,1.1,30\n"
    p = write(tmp_path / "arms.csv", head + good + "s,1,0,20,2,1,20\ns,1,1,20,2,1,20\nn,1,1,1,2,1,20\nn,1,1,9,2,1,9\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", "-m", "SMD", "--on-error", "skip")
    assert rc == 0, err
    assert _read(tmp_path / "fits.csv")["analysis_id"].tolist() == ["g"]
    rej = _read(tmp_path / "fits.csv.rejects.csv")
    assert {(r.analysis_id, r.row, r.column) for r in rej.itertuples()} == {("s", 4, "sd1i"), ("n", 6, "n1i")}


def test_on_error_value_is_checked(tmp_path, capsys):
    p = write(tmp_path / "in.csv", "analysis_id,yi,vi\na,0.1,0.01\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", "--on-error", "ignore")
    assert_controlled(rc, out, err, "--on-error", "'ignore'", "strict", "skip", need_fix=False)


@pytest.mark.parametrize("mode", ["--stream", "--no-stream"])
@pytest.mark.parametrize("value", ["1e300", "-1e300", "1.7e308"])
def test_extreme_effect_is_a_failed_analysis_with_a_note(tmp_path, capsys, mode, value):
    """yi = 1e300 overflows the fit: that analysis is not converged and says non_finite; the others are fine."""
    p = write(tmp_path / "in.csv", f"analysis_id,yi,vi\na,{value},0.01\na,0.2,0.02\nb,0.1,0.01\nb,0.3,0.02\n")
    rc, out, err = run(capsys, "batch", p, "-o", tmp_path / "fits.csv", mode)
    assert rc == 0, err
    assert "non_finite x1" in out
    fits = _read(tmp_path / "fits.csv").set_index("analysis_id")
    assert not fits.loc["a", "converged"] and "non_finite" in fits.loc["a", "notes"]
    assert fits.loc["b", "converged"] and "non_finite" not in fits.loc["b", "notes"]


def test_meta_refuses_an_effect_it_cannot_fit(tmp_path, capsys):
    p = write(tmp_path / "s.csv", "study,yi,vi\nA,1e300,0.01\nB,0.2,0.02\n")
    rc, out, err = run(capsys, "meta", p, "-m", "GEN")
    assert_controlled(rc, out, err, str(p), "numerical overflow", "yi = 1e+300", need_fix=False)
