"""``evigrade batch`` parses a plain command line without typer (``cli.batch.plain_args``): the same
options, parameters, defaults and values as the typer command; anything else is left to typer."""
from __future__ import annotations

import inspect

import pytest
import typer

from evigrade.cli import _plain_command, build_app
from evigrade.cli import batch as cli_batch
from evigrade.cli.batch import DEFAULTS, PLAIN_OPTIONS, plain_args


def _command():
    return typer.main.get_command(build_app(["batch"])).commands["batch"]


def test_plain_options_are_the_typer_commands_options_with_its_defaults():
    params = {p.name: p for p in _command().params}
    for opt, (name, kind) in PLAIN_OPTIONS.items():
        p = params[name]
        if isinstance(kind, bool) and not kind and opt.startswith("--no-"):
            assert opt in p.secondary_opts, opt
        else:
            assert opt in p.opts, opt
    assert set(DEFAULTS) | {"infile", "output"} == set(params)
    for name, default in DEFAULTS.items():
        assert params[name].default == default, name


def test_the_commands_chunk_size_is_the_libraries():
    from evigrade.batch.stream import DEFAULT_CHUNK_ROWS, run_stream

    assert DEFAULTS["chunk_rows"] == DEFAULT_CHUNK_ROWS == inspect.signature(run_stream).parameters["chunk_rows"].default


LINES = [
    ["in.csv", "-o", "out.csv"],
    ["in.csv", "--output", "out.parquet", "-q"],
    ["-o", "out.csv", "in.csv", "--method", "DL", "--test", "z", "--level", "90"],
    ["in.csv", "--output=out.csv", "--level=99.5", "--tau2-ci", "--no-pi"],
    ["in.csv", "-o", "out.csv", "--no-tau2-ci", "--pi", "--id-col", "aid", "-m", "SMD", "--no-stream"],
    ["in.csv", "-o", "out.csv", "--chunk-rows", "5000", "--on-error", "skip", "--force", "--quiet"],
    ["in.csv", "-o", "a.csv", "-o", "b.csv", "--method", "PM", "--method", "EB", "--level", ".5e2"],
    ["in.csv", "-o", "out.csv", "--measure=OR", "--stream", "--level", "+95"],
]


@pytest.mark.parametrize("argv", LINES)
def test_plain_args_parse_as_typer_does(argv, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli_batch, "run_batch", lambda **kw: seen.update(kw))
    build_app(["batch"])(args=["batch", *argv], prog_name="evigrade", standalone_mode=False)
    assert plain_args(argv) == seen
    assert _plain_command(["batch", *argv]) is not None


@pytest.mark.parametrize("argv", [
    ["in.csv"],  # no output (typer says it is missing)
    ["in.csv", "-o"],
    ["-o", "out.csv"],
    ["a.csv", "b.csv", "-o", "out.csv"],
    ["in.csv", "-o", "out.csv", "--json"],  # typer's path for these
    ["in.csv", "-o", "out.csv", "--dask-workers", "2"],
    ["in.csv", "-o", "out.csv", "--scheduler", "tcp://h:1"],
    ["in.csv", "-o", "out.csv", "--help"],
    ["in.csv", "-o", "out.csv", "--level", "abc"],  # values typer must judge
    ["in.csv", "-o", "out.csv", "--level", " 95"],
    ["in.csv", "-o", "out.csv", "--level", "nan"],
    ["in.csv", "-o", "out.csv", "--chunk-rows", "0"],
    ["in.csv", "-o", "out.csv", "--chunk-rows", "1.5"],
    ["in.csv", "-ox.csv"],  # spellings left to click
    ["in.csv", "-o", "-x.csv"],
    ["in.csv", "-o", "out.csv", "--tau2-ci=1"],
    ["in.csv", "-o", "out.csv", "--method", ""],
    ["in.csv", "-o", "out.csv", "--"],
    ["-", "-o", "out.csv"],
    ["in.csv", "-o", "out.csv", "--unknown"],
])
def test_other_lines_are_left_to_typer(argv):
    assert plain_args(argv) is None
    assert _plain_command(["batch", *argv]) is None


def test_only_the_plain_commands_are_parsed_without_typer():
    # (summarize, validate and check-claims have plain parses too, since typer's import was found to cost
    # about 0.18 s: tests/cli/test_summarize_plain_args.py and test_plain_commands.py)
    assert _plain_command(["--debug", "batch", "in.csv", "-o", "out.csv"]) is None
    assert _plain_command(["report", "-o", "x"]) is None and _plain_command(["meta", "x.csv"]) is None
    assert _plain_command(["summarize"]) is not None and _plain_command(["validate"]) is not None


_BLAS_SCRIPT = """
import atexit, os, sys
atexit.register(lambda: print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules, file=sys.stderr))
sys.argv = ["evigrade", *sys.argv[1:]]
from evigrade import cli
cli.run()
"""


def test_a_plain_batch_process_starts_one_blas_thread_and_only_there(tmp_path):
    # the batch path does no linear algebra; OpenBLAS's start-up threads cost CPU the reader wants
    import subprocess
    import sys

    from evigrade.batch.workload import make_workload

    make_workload(5, seed=1).to_csv(tmp_path / "in.csv", index=False)
    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENBLAS_NUM_THREADS"}

    def last_line(*argv: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", _BLAS_SCRIPT, *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path, check=True)
        return proc.stderr.split()[-2:]

    assert last_line("batch", "in.csv", "-o", "out.csv", "-q") == ["1", "True"]
    assert last_line("batch", "in.csv", "-o", "out2.csv", "-q", "--json")[0] == "None"  # (typer's path: untouched)
    assert last_line("summarize", "--format", "markdown")[0] == "None"
    env["OPENBLAS_NUM_THREADS"] = "2"  # the user's choice stands
    assert last_line("batch", "in.csv", "-o", "out3.csv", "-q") == ["2", "True"]
