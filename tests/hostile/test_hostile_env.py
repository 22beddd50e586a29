"""A hostile environment (issue 19 item 4): a non-integer ``SOURCE_DATE_EPOCH`` (numpy's f2py reads
it with ``int()`` when scipy loads, so it broke every command at import) and bad input size limits.
Every command refuses it with one line naming the variable, the value and the fix (exit 3)."""
from __future__ import annotations

import pytest

from .hostile_helpers import assert_controlled, run, run_many

BAD_EPOCHS = ["abc", "1.5", "1e9", "1700000000s", "0x10", "--1"]


@pytest.fixture(scope="module")
def epoch_runs(inputs, tmp_path_factory):
    """Every command, in a fresh interpreter (nothing imported yet), with each bad SOURCE_DATE_EPOCH."""
    d = tmp_path_factory.mktemp("epoch")
    cases = {
        "meta": ["meta", inputs["studies"], "-m", "GEN"],
        "grade": ["grade", inputs["studies"], "-m", "GEN"],
        "batch": ["batch", inputs["batch"], "-o", d / "fits.csv"],
        "summarize": ["summarize", inputs["pack"]],
        "report": ["report", "--from-json", inputs["summary"], "-o", d / "rep"],
        "plot": ["plot", "forest", inputs["studies"], "-m", "GEN", "-o", d / "f.png"],
        "validate": ["validate", inputs["pack"]],
    }
    return {v: run_many(cases, cwd=d, env={"SOURCE_DATE_EPOCH": v}) for v in BAD_EPOCHS}


@pytest.mark.parametrize("command", ["meta", "grade", "batch", "summarize", "report", "plot", "validate"])
@pytest.mark.parametrize("value", BAD_EPOCHS)
def test_non_integer_source_date_epoch(epoch_runs, value, command):
    rc, out, err = epoch_runs[value][command]
    assert_controlled(rc, out, err, "SOURCE_DATE_EPOCH must be a whole number", repr(value), "fix: unset it")


@pytest.mark.parametrize("value", ["", "   ", "1700000000", "0"])
def test_usable_source_date_epoch_is_accepted(monkeypatch, capsys, inputs, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    rc, out, err = run(capsys, "meta", inputs["studies"], "-m", "GEN", "--json")
    assert rc == 0, err


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf", "1e30"])
def test_bad_input_limit_environment_variable(monkeypatch, capsys, inputs, value):
    monkeypatch.setenv("EVIGRADE_MAX_INPUT_MB", value)
    rc, out, err = run(capsys, "meta", inputs["studies"], "-m", "GEN")
    assert_controlled(rc, out, err, "EVIGRADE_MAX_INPUT_MB", "must be a positive number of megabytes", repr(value))


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_bad_max_input_mb_option(capsys, inputs, value):
    rc, out, err = run(capsys, "--max-input-mb", value, "meta", inputs["studies"], "-m", "GEN")
    assert_controlled(rc, out, err, "must be a positive number of megabytes")


def test_max_input_mb_option_is_for_this_run_only(monkeypatch, capsys, inputs):
    import os

    monkeypatch.delenv("EVIGRADE_MAX_INPUT_MB", raising=False)
    rc, out, err = run(capsys, "--max-input-mb", "0.00001", "meta", inputs["studies"], "-m", "GEN")
    assert_controlled(rc, out, err, str(inputs["studies"]), "larger than the input size limit of 10 bytes")
    assert "EVIGRADE_MAX_INPUT_MB" not in os.environ
    rc, out, err = run(capsys, "meta", inputs["studies"], "-m", "GEN")
    assert rc == 0, err
