"""``MetaResult.summary()`` prints what metafor's ``print(rma(...))`` prints, line by line.

Golden: tests/reference/golden/print_rma.json, written by tests/reference/r/print_rma.R (R 4.2.2,
metafor 3.8-1; the R call of each case is in the file).  Exact text: every number is printed at
metafor's 4 (or 2) decimals, so agreement to ~1e-6 of the fit is enough for equal text.
"""
from __future__ import annotations

import json

import pytest

from evigrade.stats import meta_analysis


def _cases(golden_dir):
    d = json.loads((golden_dir / "print_rma.json").read_text(encoding="utf-8"))
    assert d["metafor_version"] == "3.8.1"
    return d["cases"]


def test_golden_has_the_cases(golden_dir):
    names = [c["name"] for c in _cases(golden_dir)]
    assert names == ["bcg_RR_REML_z", "bcg_RR_DL_knha", "bcg_RR_FE_z", "bcg4_RR_REML_knha", "bcg6_RR_PM_z"]


@pytest.mark.parametrize("i", range(5))
def test_summary_equals_metafor_print(golden_dir, i):
    c = _cases(golden_dir)[i]
    res = meta_analysis(c["yi"], c["vi"], method=c["method"], test=c["test"])
    assert res.summary() == "\n".join(c["lines"]) + "\n", c["call"]
