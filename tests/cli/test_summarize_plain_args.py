"""``evigrade summarize`` parses a plain command line without typer (``cli.summarize.plain_args``, on
``cli._plain``): the same options, parameters, defaults and values as the typer command, the same
output; anything else is left to typer.  ``cli._plain.echo`` writes what typer's ``echo`` writes."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest
import typer

from evigrade import cli
from evigrade.cli import _plain, _plain_command, build_app
from evigrade.cli import summarize as cli_summarize
from evigrade.cli.summarize import DEFAULTS, PLAIN_OPTIONS, plain_args


def _command():
    return typer.main.get_command(build_app(["summarize"])).commands["summarize"]


def test_plain_options_are_the_typer_commands_options_with_its_defaults():
    params = {p.name: p for p in _command().params}
    for opt, (name, _kind) in PLAIN_OPTIONS.items():
        assert opt in params[name].opts, opt
    assert set(DEFAULTS) | {"pack"} == set(params)
    for name, default in DEFAULTS.items():
        assert params[name].default == default, name
    assert {name for name, _ in PLAIN_OPTIONS.values()} == set(DEFAULTS)  # every option has its plain spelling


LINES = [
    [],
    ["packs/x"],
    ["--details", "--all", "--no-color"],
    ["--format", "markdown", "packs/y"],
    ["--format=markdown", "--method=DL", "--test", "z"],
    ["--json", "--no-grade", "--safety-measure", "PFT"],
    ["--report", "out", "--method", "PM", "--method", "EB"],
    ["--format", "html"],  # a value the command itself refuses (exit 3), typer or not
]


@pytest.mark.parametrize("argv", LINES)
def test_plain_args_parse_as_typer_does(argv, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli_summarize, "summarize_command", lambda **kw: seen.update(kw))
    build_app(["summarize"])(args=["summarize", *argv], prog_name="evigrade", standalone_mode=False)
    assert plain_args(argv) == seen
    assert _plain_command(["summarize", *argv]) is not None


@pytest.mark.parametrize("argv", [
    ["a", "b"],  # typer's message for an extra argument
    ["--help"],
    ["--format"],
    ["--format", "--json"],
    ["--json=1"],
    ["--method", ""],
    ["--unknown"],
    ["-"],
    ["--"],
    ["--details", "--debug"],
])
def test_other_lines_are_left_to_typer(argv):
    assert plain_args(argv) is None
    assert _plain_command(["summarize", *argv]) is None


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty, self.encoding_ = tty, "utf-8"

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.encoding_


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("message,nl", [("plain", True), ("\x1b[1mbold\x1b[0m and \x1b[31;1mred\x1b[0m", False),
                                        ("", True), ("", False), ("é ✓\n", False), ("\x1b[?25lcursor", True)])
@pytest.mark.parametrize("err", [False, True])
def test_echo_writes_what_typers_echo_writes(monkeypatch, tty, message, nl, err):
    ours, theirs = _Stream(tty), _Stream(tty)
    target = "stderr" if err else "stdout"
    monkeypatch.setattr(sys, target, ours)
    _plain.echo(message, nl=nl, err=err)
    monkeypatch.setattr(sys, target, theirs)
    typer.echo(message, nl=nl, err=err)
    assert ours.getvalue() == theirs.getvalue()


@pytest.mark.parametrize("argv", [[], ["--details", "--all"], ["--json"], ["--format", "markdown", "--no-grade"],
                                  ["--format", "markdown"]])
def test_the_plain_path_prints_what_the_typer_path_prints(argv, monkeypatch, capsys):
    assert cli.main(["summarize", *argv]) == 0
    plain = capsys.readouterr()
    monkeypatch.setattr(cli, "_plain_command", lambda args: None)
    assert cli.main(["summarize", *argv]) == 0
    typed = capsys.readouterr()
    assert (plain.out, plain.err) == (typed.out, typed.err)
    assert plain.out


def test_a_plain_summarize_loads_neither_typer_nor_pydantic():
    script = ("import sys\nfrom evigrade.cli import main\ncode = main(['summarize', '--format', 'markdown'])\n"
              "print(code, 'typer' in sys.modules, 'pydantic' in sys.modules, 'click' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert proc.stderr.split()[-4:] == ["0", "False", "False", "False"]
    assert proc.stdout.startswith("#")
