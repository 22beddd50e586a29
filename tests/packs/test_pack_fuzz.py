"""Whatever a reviewer types into a cell, loading gives a valid Pack or a PackError of one-line
InputErrors (never another exception, never a traceback)."""
from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evigrade.errors import PackError
from evigrade.packs import load_pack

from pack_helpers import NORMAND

COLUMNS = ["study_id", "outcome", "timepoint", "comparison", "data_type", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "source"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(min_value=2, max_value=10), column=st.sampled_from(COLUMNS),
       value=st.one_of(st.text(max_size=12), st.sampled_from(["-1", "0", "1e309", "nan", "inf", "3.5", "1,5", " ", "\u2212 2"])))
def test_any_cell_value_gives_pack_or_pack_error(row, column, value):
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "p"
        shutil.copytree(NORMAND, dst)
        path = dst / "results.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows[row - 1][rows[0].index(column)] = value
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        try:
            load_pack(dst)
        except PackError as exc:
            assert exc.problems
            for p in exc.problems:
                text = str(p)
                assert "\n" not in text and text.startswith(("results.csv", "studies.csv"))
