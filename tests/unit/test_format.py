"""evigrade._format: the one module that turns numbers into text (the union of the old formatters)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from evigrade._format import MINUS, fmt, fmt_ci, fmt_fixed, fmt_num, fmt_p, fmt_pct, fmt_pval, fmt_sig
from evigrade.plots import _format as plots_format


def test_display_style():
    assert fmt(-1.234) == f"{MINUS}1.23"
    assert fmt(-0.001) == "0.00"  # no "-0.00"
    assert fmt(-1.234, 2, minus="-") == "-1.23"
    assert fmt(None) == fmt(math.nan) == fmt(math.inf) == "NA"
    assert fmt(np.float64(2.5), 0) == "2"
    assert fmt_ci(-0.5, 0.25) == f"{MINUS}0.50 to 0.25"
    assert fmt_ci(0.1, 0.2, 1, sep=", ") == "0.1, 0.2"
    assert fmt_pct(0.734) == "73.4%" and fmt_pct(0.5, 0) == "50%" and fmt_pct(None) == "NA"
    assert fmt_p(0.0004) == "p < 0.001" and fmt_p(0.0234) == "p = 0.023" and fmt_p(None) == "NA"
    assert plots_format.fmt is fmt and plots_format.fmt_ci is fmt_ci  # plots/report use the same functions


def test_metafor_print_style():
    assert fmt_num(-0.123456) == "-0.1235"
    assert fmt_num(2.2361e159) == "2.2361e+159"
    assert fmt_num(None) == fmt_num(math.nan) == "NA"
    assert fmt_num("FE") == "FE"
    assert fmt_num(1.5, 2) == "1.50"
    assert fmt_pval(0.00001) == "< .0001" and fmt_pval(0.01234) == "0.0123" and fmt_pval(math.nan) == "NA"


def test_sentence_style():
    assert fmt_fixed(-1.234) == "-1.23" and fmt_fixed(-0.001) == "-0.00"  # as Python prints it
    assert fmt_fixed(None) == "not available" and fmt_fixed(0.12345, 3) == "0.123"
    assert fmt_fixed(math.nan) == "nan"
    for x in (0.5, 3, 1.23456789e-4, 1.5e8, -2.0, np.float64(0.1)):
        assert fmt_sig(x) == f"{x:g}"
    assert fmt_sig(0.0123456, 3) == "0.0123"


@pytest.mark.parametrize("x", [0.0, 0.01, 0.125, 0.5, 0.755, 1.0])
def test_pct_zero_digits_matches_the_rules_old_percent(x):
    assert fmt_pct(x, 0) == f"{100 * x:.0f}%"
