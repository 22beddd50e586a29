"""``evigrade summarize``, ``validate`` and ``check-claims`` parse a plain command line without typer (each
module's ``plain_args``, on ``cli._plain``): the same options, parameters, defaults and values as the
typer command, the same output and exit code; anything else is left to typer.  (``batch``, whose table
has --no- flags and numeric values: tests/cli/test_batch_plain_args.py.)"""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer

from evigrade import cli
from evigrade.cli import PLAIN_COMMANDS, _plain_command, build_app

COMMANDS = {"summarize": "pack", "validate": "pack", "check-claims": "text_file"}


def _module(name: str):
    return importlib.import_module(f"evigrade.cli.{PLAIN_COMMANDS[name][0]}")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_plain_options_are_the_typer_commands_options_with_its_defaults(name):
    mod = _module(name)
    command = typer.main.get_command(build_app([PLAIN_COMMANDS[name][0]])).commands[name]
    params = {p.name: p for p in command.params}
    for opt, (param, _kind) in mod.PLAIN_OPTIONS.items():
        assert opt in params[param].opts, opt
    assert set(mod.DEFAULTS) | {COMMANDS[name]} == set(params)
    for param, default in mod.DEFAULTS.items():
        assert params[param].default == default, param
    assert {param for param, _ in mod.PLAIN_OPTIONS.values()} == set(mod.DEFAULTS)


LINES = [
    ("summarize", []),
    ("summarize", ["packs/x"]),
    ("summarize", ["--details", "--all", "--no-color"]),
    ("summarize", ["--format", "markdown", "packs/y"]),
    ("summarize", ["--format=markdown", "--method=DL", "--test", "z"]),
    ("summarize", ["--json", "--no-grade", "--safety-measure", "PFT"]),
    ("summarize", ["--report", "out", "--method", "PM", "--method", "EB"]),
    ("summarize", ["--format", "html"]),  # a value the command itself refuses (exit 3), typer or not
    ("validate", []),
    ("validate", ["packs/x"]),
    ("validate", ["-v", "packs/x"]),
    ("validate", ["--verbose"]),
    ("check-claims", ["t.md"]),
    ("check-claims", ["t.md", "--pack", "p", "-f", "json"]),
    ("check-claims", ["--format=html", "-o", "out.html", "t.md", "--no-color"]),
    ("check-claims", ["t.md", "--evidence", "e.json", "--output", "o.txt", "--format", "text"]),
]


@pytest.mark.parametrize("name,argv", LINES)
def test_plain_args_parse_as_typer_does(name, argv, monkeypatch):
    mod, fn = _module(name), PLAIN_COMMANDS[name][1]
    seen = {}
    monkeypatch.setattr(mod, fn, lambda **kw: seen.update(kw))
    build_app([PLAIN_COMMANDS[name][0]])(args=[name, *argv], prog_name="evigrade", standalone_mode=False)
    assert mod.plain_args(argv) == seen
    assert _plain_command([name, *argv]) is not None


@pytest.mark.parametrize("name,argv", [
    ("summarize", ["a", "b"]), ("summarize", ["--help"]), ("summarize", ["--format"]),
    ("summarize", ["--format", "--json"]), ("summarize", ["--json=1"]), ("summarize", ["--method", ""]),
    ("summarize", ["--unknown"]), ("summarize", ["-"]), ("summarize", ["--"]), ("summarize", ["--details", "--debug"]),
    ("validate", ["a", "b"]), ("validate", ["--help"]), ("validate", ["-x"]), ("validate", ["--verbose=1"]),
    ("check-claims", []),  # typer says TEXT_FILE is missing
    ("check-claims", ["t.md", "--format"]), ("check-claims", ["t.md", "-o"]), ("check-claims", ["--help"]),
    ("check-claims", ["a.md", "b.md"]), ("check-claims", ["t.md", "--pack", ""]), ("check-claims", ["-"]),
])
def test_other_lines_are_left_to_typer(name, argv):
    assert _module(name).plain_args(argv) is None
    assert _plain_command([name, *argv]) is None


@pytest.mark.parametrize("argv", [
    ["summarize"], ["summarize", "--details", "--all"], ["summarize", "--json"],
    ["summarize", "--format", "markdown", "--no-grade"], ["summarize", "--format", "markdown"],
    ["validate"], ["validate", "-v"], ["validate", "examples/bcg-tuberculosis"], ["validate", "tests"],
    ["validate", "no/such/pack"],
    ["check-claims", "tests/claims/clinic_page.md"], ["check-claims", "tests/claims/clinic_page.md", "-f", "json"],
    ["check-claims", "tests/claims/clinic_page.md", "--format", "html"],
    ["check-claims", "tests/claims/clinic_page.md", "--format", "xml"], ["check-claims", "no/such.md"],
])
def test_the_plain_path_prints_what_the_typer_path_prints(argv, monkeypatch, capsys):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code = cli.main(argv)
    plain = capsys.readouterr()
    monkeypatch.setattr(cli, "_plain_command", lambda args: None)
    assert cli.main(argv) == code
    typed = capsys.readouterr()
    assert (plain.out, plain.err) == (typed.out, typed.err)
    assert plain.out if code == 0 else plain.err  # (the result on stdout; a refusal on stderr)


def test_a_plain_validate_loads_neither_typer_nor_pydantic():
    script = ("import sys\nfrom evigrade.cli import main\ncode = main(['validate'])\n"
              "print(code, 'typer' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert proc.stderr.split()[-3:] == ["0", "False", "False"]
    assert ": valid (" in proc.stdout
