"""A plain command line parsed without typer, and click's ``echo`` without importing click.

typer (with click, and the pydantic it now validates options with) takes about 0.18 s to import: a
fifth of ``evigrade summarize`` and half of a small ``evigrade batch``.  For the commands users run
most, a line made only of ordinary options is parsed here from a table of the command's options
(``parse``); anything else -- ``--help``, an unknown option, a value typer must judge or convert --
returns None and typer parses the line and words the error.  Each table is checked against its typer
command by a test (tests/cli/test_batch_plain_args.py, test_summarize_plain_args.py): the same option
names, parameters, defaults and parsed values.
"""
from __future__ import annotations

import re
import sys
from typing import Any, Mapping

__all__ = ["parse", "echo", "FLOAT"]

#: A float as typer accepts it for a ``float`` option, in the spellings ``parse`` takes itself (others,
#: such as "nan", " 95" or "1_0", are left to typer).
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

#: The escape sequences typer's ``echo`` removes when stdout is not a terminal (typer._click._compat).
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def parse(argv: list[str], options: Mapping[str, tuple[str, Any]], defaults: Mapping[str, Any],
          positional: str, *, required: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The keyword arguments of a command line made of at most one ``positional`` argument and the
    ``options`` (option -> (parameter, ``str``/``float``/``int`` for a value, or the value a flag
    sets)); None for anything else, or when a ``required`` parameter is missing.  ``int`` values are
    whole numbers >= 1 (as ``--chunk-rows``); a later option overrides an earlier one (as click)."""
    kw: dict[str, Any] = {**defaults, positional: None}
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if not a.startswith("-"):
            if kw[positional] is not None:
                return None
            kw[positional] = a
            continue
        name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        spec = options.get(name)
        if spec is None:
            return None
        param, kind = spec
        if isinstance(kind, bool):
            if eq:
                return None
            kw[param] = kind
            continue
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        if kind is float:
            if not FLOAT.fullmatch(value):
                return None
            kw[param] = float(value)
        elif kind is int:
            if not value.isdigit() or int(value) < 1:
                return None
            kw[param] = int(value)
        else:
            kw[param] = value
    if any(kw.get(name) is None for name in required):
        return None
    return kw


def echo(message: str, *, nl: bool = True, err: bool = False) -> None:
    """Write ``message`` as typer's ``echo`` does on a text stream: a newline added (unless ``nl`` is
    False), colour and style sequences removed when the stream is not a terminal, flushed."""
    stream = sys.stderr if err else sys.stdout
    if _ascii(stream):  # click re-wraps such a stream as UTF-8: its own echo, for the same bytes
        import typer

        typer.echo(message, nl=nl, err=err)
        return
    out = message + "\n" if nl else message
    if not out:
        stream.flush()
        return
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def _ascii(stream: Any) -> bool:
    """Does click take ``stream`` for misconfigured (an ASCII encoding, or none)?"""
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False
