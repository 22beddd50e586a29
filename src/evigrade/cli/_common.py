"""Small helpers shared by the command modules (not a command itself)."""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

from ..errors import EstimationError

__all__ = ["naming_file", "use_color", "text_console", "cli_double_zero_fix", "holding_output"]


@contextlib.contextmanager
def holding_output(path: str | os.PathLike | None, force: bool = False) -> Iterator[None]:
    """Hold the output lock for ``path`` for the whole command (``evigrade._io.output_lock``): a
    second run writing the same output fails at once (exit 3) unless ``force``.  Stale temporary
    files of killed runs are removed (``cli.main`` prints a note for each)."""
    if path is None:
        yield
        return
    from .._io import output_lock

    with output_lock(path, force=force, force_option=True):
        yield


@contextlib.contextmanager
def naming_file(path: str | os.PathLike) -> Iterator[None]:
    """Prefix an EstimationError raised while analysing ``path`` with the file's name, so the one
    error line says which input could not be fitted."""
    try:
        yield
    except EstimationError as exc:
        name = os.fspath(path)
        if str(exc).startswith(name):
            raise
        raise EstimationError(f"{name}: {exc}") from None


def use_color(no_color: bool) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set."""
    import sys

    return not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def text_console(color: bool, width: int = 100) -> Any:
    """A rich Console that renders into a string (``console.file.getvalue()``), for the text renderers."""
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=width, no_color=not color, color_system="standard" if color else None,
                   highlight=False, force_terminal=color, emoji=False, soft_wrap=True)


@contextlib.contextmanager
def cli_double_zero_fix() -> Iterator[None]:
    """Reword the library's "every study is double-zero" fix (``drop00=False``) as the command-line
    options that do the same (``--measure RD`` or ``--keep-double-zero``)."""
    from ..effects.escalc import DROP00_FIX
    from ..errors import InputError

    try:
        yield
    except InputError as exc:
        if exc.fix != DROP00_FIX:
            raise
        raise InputError(exc.problem, file=exc.file, row=exc.row, label=exc.label, column=exc.column,
                         value=exc.value, has_value=exc.has_value,
                         fix="use --measure RD (risk difference), or add --keep-double-zero to keep double-zero "
                             "studies (metafor's default, with 1/2 added to every cell)") from None
