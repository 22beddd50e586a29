"""``cli._plain.echo`` writes what typer's ``echo`` writes, and a plain ``evigrade summarize`` loads no
typer.  (Its parse and output against the typer command: tests/cli/test_plain_commands.py.)"""
from __future__ import annotations

import io
import subprocess
import sys

import pytest
import typer

from evigrade.cli import _plain


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


def test_a_plain_summarize_loads_neither_typer_nor_pydantic():
    script = ("import sys\nfrom evigrade.cli import main\ncode = main(['summarize', '--format', 'markdown'])\n"
              "print(code, 'typer' in sys.modules, 'pydantic' in sys.modules, 'click' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert proc.stderr.split()[-4:] == ["0", "False", "False", "False"]
    assert proc.stdout.startswith("#")
