"""Helpers shared by the CLI tests: run the real ``main(argv)`` and check a one-line error."""
from __future__ import annotations

from typing import Any, Callable

import evigrade.cli as cli
from evigrade.cli import main


def run_cli(capsys: Any, *argv: Any) -> tuple[int, str, str]:
    """Run ``main`` on the arguments (as strings); (exit code, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def runner_for(monkeypatch: Any, capsys: Any, *commands: str) -> Callable[..., tuple[int, str, str]]:
    """``run_cli`` with only the given command modules registered (isolates other commands)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", tuple(commands))
    return lambda *argv: run_cli(capsys, *argv)


def assert_one_line_error(rc: int, out: str, err: str, *fragments: str, code: int = 3) -> None:
    """A controlled failure: exit ``code``, nothing on stdout, exactly one ``error: `` line on stderr
    (no traceback, no warning) that contains every fragment."""
    assert rc == code, (rc, err)
    assert out == "", out
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err and "Warning" not in err
    for f in fragments:
        assert f in err, (f, err)
