"""pandas-native API (issue 17 item 4): a notebook-style session on DataFrames, end to end."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.frame import escalc, meta_analysis

# metafor's dat.bcg (metadat), the columns as metafor names them
BCG = pd.DataFrame({
    "author": ["Aronson", "Ferguson", "Rosenthal", "Hart", "Frimodt-Moller", "Stein", "Vandiviere", "TPT Madras",
               "Coetzee", "Rosenthal", "Comstock", "Comstock", "Comstock"],
    "year": [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976],
    "tpos": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    "tneg": [119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886],
    "cpos": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    "cneg": [128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825],
})
RTOL_CLOSED_FORM = 1e-12  # escalc is closed form; the golden values are printed at %.17g


@pytest.fixture
def golden(golden_dir):
    d = json.loads((golden_dir / "print_rma.json").read_text(encoding="utf-8"))
    return {c["name"]: c for c in d["cases"]}


def test_notebook_session_on_dataframes(golden):
    df = BCG.assign(label=BCG.author + " " + BCG.year.astype(str))
    es = escalc("RR", data=df, ai="tpos", bi="tneg", ci="cpos", di="cneg", slab="label")
    want = golden["bcg_RR_REML_z"]
    assert_allclose(es.yi, want["yi"], rtol=RTOL_CLOSED_FORM)
    assert_allclose(es.vi, want["vi"], rtol=RTOL_CLOSED_FORM)
    assert es.study[0] == "Aronson 1948"

    frame = es.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns[:3]) == ["study", "yi", "vi"]
    a = meta_analysis(es, test="z")
    b = meta_analysis(frame, test="z")                               # columns yi, vi, study
    c = meta_analysis(yi=frame.yi, vi=frame.vi, test="z")            # Series
    d = meta_analysis(data=frame.rename(columns={"yi": "g", "vi": "v"}), yi="g", vi="v", test="z")
    e = meta_analysis(frame.drop(columns="vi"), test="z")            # sei instead of vi
    for r in (b, c, d, e):
        assert_allclose([r.estimate, r.se, r.tau2, r.ci_low, r.ci_high], [a.estimate, a.se, a.tau2, a.ci_low,
                        a.ci_high], rtol=1e-10)
    assert b.study == a.study == d.study == e.study
    assert c.study == tuple(f"Study {i}" for i in range(1, 14))  # bare arrays: metafor's default labels
    # printed like metafor's print.rma (the golden text is metafor's own output)
    assert a.summary() == "\n".join(want["lines"]) + "\n"
    html = a._repr_html_()
    assert html.startswith("<div") and "<pre>" in html and "Random-Effects Model (k = 13; tau^2 estimator: REML)" in html
    out = a.to_frame()
    assert list(out.columns) == ["study", "yi", "vi", "sei", "weight"]
    assert_allclose(out.weight.sum(), 1.0, rtol=1e-12)


def test_missing_cell_is_one_line_error_naming_row_and_column():
    df = pd.DataFrame({"study": ["A", "B", "C"], "yi": [0.1, np.nan, 0.3], "vi": [0.01, 0.02, 0.03]})
    with pytest.raises(InputError) as exc:
        meta_analysis(df)
    msg = str(exc.value)
    assert "row 3" in msg and "B" in msg and "yi" in msg and "\n" not in msg


def test_unknown_column_names_the_columns():
    with pytest.raises(InputError, match="no column 'effect'.*yi, vi"):
        meta_analysis(pd.DataFrame({"yi": [0.1, 0.2], "vi": [0.1, 0.1]}), yi="effect")
    with pytest.raises(InputError, match="no column vi or sei"):
        meta_analysis(pd.DataFrame({"yi": [0.1, 0.2]}))
    with pytest.raises(SpecError, match="yi= with vi="):
        meta_analysis()
