"""One catalogue of note codes (evigrade.notes.NoteCode), one code per event in stats and batch alike."""
from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import evigrade
from evigrade import batch
from evigrade.notes import BATCH_CODES, NoteCode
from evigrade.results import Note
from evigrade.stats import meta_analysis

SRC = pathlib.Path(evigrade.__file__).parent
NUMERICAL = [*(SRC / "effects").glob("*.py"), *(SRC / "stats").glob("*.py"), *(SRC / "batch").glob("*.py"),
             SRC / "grade" / "rules.py", SRC / "grade" / "analysis.py"]


def test_numerical_layers_write_no_loose_code_strings():
    loose = []
    for path in NUMERICAL:
        text = path.read_text(encoding="utf-8")
        loose += [f"{path.name}: {m.group(0)}" for m in re.finditer(r'Note\(\s*f?"', text)]
        loose += [f"{path.name}: {m.group(0)}" for m in re.finditer(r'notes\.add\([^\n]*?,\s*f?"', text)]
    assert loose == []


def test_codes_are_unique_plain_strings_in_notes():
    values = [c.value for c in NoteCode]
    assert len(values) == len(set(values))
    n = NoteCode.TAU2_TRUNCATED.note("x")
    assert type(n.code) is str and n.code == "tau2_truncated"
    assert type(Note(NoteCode.K_SMALL, "m").code) is str
    assert json.dumps(n.to_dict()) == '{"code": "tau2_truncated", "message": "x", "study": null}'
    assert NoteCode.K_SMALL.note().message == NoteCode.K_SMALL.message


def test_batch_legend_is_the_catalogue():
    assert batch.NOTE_MESSAGES == {c.value: c.message for c in BATCH_CODES}
    # codes and messages that did not change with the catalogue
    assert batch.NOTE_MESSAGES["tau2_truncated"] == (
        "the tau2 estimate was negative and was truncated at 0 (raw value in tau2_raw)")
    assert batch.NOTE_MESSAGES["local_maximum"] == (
        "Fisher scoring stopped at a local maximum below the likelihood at tau2 = 0; tau2 set to 0 (as metafor)")


def _codes_both(yi, vi, method, test):
    one = meta_analysis(yi, vi, method=method, test=test)
    row = batch.fit_arrays(["a"] * len(yi), yi, vi, method=method, test=test).table.iloc[0]
    return {n.code for n in one.notes}, set(filter(None, row.notes.split("; ")))


@pytest.mark.parametrize("method,test,yi,vi,want", [
    ("REML", "knha", [0.3], [0.04], {"k_small", "undefined"}),   # k = 1: tau2 not estimable, Wald test
    ("FE", "z", [0.3, 0.1, 0.2], [0.04, 0.05, 0.03], {"undefined"}),  # FE: no prediction interval
    ("DL", "z", [0.20, 0.21, 0.19, 0.20], [0.05, 0.04, 0.06, 0.05], {"tau2_truncated"}),
    ("REML", "z", [0.2, 0.5], [0.04, 0.05], {"k_small"}),  # k = 2: imprecise
])
def test_same_event_same_code_in_both_engines(method, test, yi, vi, want):
    stats_codes, batch_codes = _codes_both(np.array(yi), np.array(vi), method, test)
    assert want <= stats_codes
    assert batch_codes == want
