"""COR, IRR, MC, SMCC, SMCR: the values are proven against metafor in tests/reference/test_escalc_golden.py;
here the checks and notes around them (bad input names file, row, column and value; nothing dropped silently)."""
from __future__ import annotations

import numpy as np
import pytest

from evigrade.cli import main
from evigrade.effects import compute, escalc
from evigrade.errors import InputError, SpecError


def test_cor_out_of_range_names_row_and_column():
    with pytest.raises(InputError) as e:
        compute("COR", {"ri": [0.2, 1.3], "ni": [30, 40]}, study=["A", "B"], file="s.csv", rows=[2, 3])
    msg = str(e.value)
    assert "s.csv" in msg and "row 3" in msg and "ri" in msg and "1.3" in msg


def test_cor_vtype_ub_is_refused():
    with pytest.raises(SpecError):
        escalc("COR", ri=[0.2, 0.3], ni=[30, 40], vtype="UB")


def test_irr_double_zero_dropped_by_default_with_note():
    tab = escalc("IRR", x1i=[3, 0], t1i=[100.0, 50.0], x2i=[6, 0], t2i=[110.0, 60.0], slab=["A", "B"])
    assert tab.study == ("A",) and tab.excluded == ("B",)
    assert any(n.code == "double_zero_excluded" and n.study == "B" for n in tab.notes)
    assert tab.yi[0] == pytest.approx(np.log(3 / 100) - np.log(6 / 110), rel=1e-15)
    assert tab.vi[0] == pytest.approx(1 / 3 + 1 / 6, rel=1e-15)


def test_irr_zero_count_is_corrected_and_noted():
    tab = escalc("IRR", x1i=[0, 4], t1i=[80.0, 90.0], x2i=[2, 5], t2i=[75.0, 95.0], slab=["A", "B"])
    assert tab.yi[0] == pytest.approx(np.log(0.5 / 80) - np.log(2.5 / 75), rel=1e-15)
    assert [n.study for n in tab.notes if n.code == "zero_cell_correction"] == ["A"]


def test_irr_person_time_must_be_positive():
    with pytest.raises(InputError) as e:
        escalc("IRR", x1i=[3, 4], t1i=[100.0, 0.0], x2i=[6, 5], t2i=[110.0, 60.0], slab=["A", "B"])
    assert "t1i" in str(e.value) and "person-time" in str(e.value)


def test_smcr_needs_its_columns():
    with pytest.raises(InputError) as e:
        escalc("SMCR", m1i=[3.0], m2i=[2.0], sd1i=[1.0], ni=[20])
    assert "'ri'" in str(e.value)


def test_change_measures_refuse_a_zero_change_sd():
    # sd1i = sd2i and ri = 1: the SD of the change scores is 0, the SMCC infinite
    with pytest.raises(InputError) as e:
        escalc("SMCC", m1i=[3.0], m2i=[2.0], sd1i=[1.0], sd2i=[1.0], ni=[20], ri=[1.0])
    assert "standard deviation of the change is 0" in str(e.value)


def test_meta_cli_reads_rate_columns(tmp_path, capsys):
    p = tmp_path / "rates.csv"
    p.write_text("study,x1i,t1i,x2i,t2i\nA,5,1000,10,1000\nB,0,500,3,480\nC,12,2400,20,2300\n", encoding="utf-8")
    rc = main(["meta", str(p), "--measure", "IRR", "--method", "DL", "--test", "z", "--json"])
    out_txt, err = capsys.readouterr()
    assert rc == 0, err
    import json

    out = json.loads(out_txt)
    meta = out.get("meta", out)
    # three studies, B corrected (0 events); DL estimate on the log scale equals the hand computation
    yi = np.array([np.log(5 / 1000) - np.log(10 / 1000), np.log(0.5 / 500) - np.log(3.5 / 480),
                   np.log(12 / 2400) - np.log(20 / 2300)])
    vi = np.array([1 / 5 + 1 / 10, 1 / 0.5 + 1 / 3.5, 1 / 12 + 1 / 20])
    w = 1 / vi
    q = float(np.sum(w * (yi - np.sum(w * yi) / w.sum()) ** 2))
    tau2 = max(0.0, (q - 2) / (w.sum() - np.sum(w**2) / w.sum()))
    ws = 1 / (vi + tau2)
    assert meta["estimate"] == pytest.approx(float(np.sum(ws * yi) / ws.sum()), rel=1e-12)
