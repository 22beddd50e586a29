"""One error tree and one warning tree for evigrade, and the CLI's exit codes.

Every controlled error renders as one line.  ``InputError`` names the file, row, column and value
and says how to fix it; the CLI prints ``str(err)`` to stderr and exits with code 3.

Exit codes (the policy is applied in one place, ``evigrade.cli.main``; docs/exit-codes.md):
``EXIT_OK`` 0, ``EXIT_INTERNAL`` 1 (a bug, and only a bug), ``EXIT_USAGE`` 2 (command-line usage),
``EXIT_INPUT`` 3 (bad input, unreadable or too large input, unwritable output, a locked output,
out of memory: anything the user can fix), ``EXIT_INTERRUPTED`` 130, ``EXIT_PIPE`` 141.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "EvigradeError",
    "InputError",
    "SpecError",
    "EstimationError",
    "PackError",
    "EvigradeWarning",
    "ConvergenceWarning",
    "EvigradeDeprecationWarning",
    "EXIT_OK",
    "EXIT_INTERNAL",
    "EXIT_USAGE",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_PIPE",
]

EXIT_OK = 0
#: an internal error (a bug): the only case that exits 1
EXIT_INTERNAL = 1
#: a command-line usage error (click's own code)
EXIT_USAGE = 2
#: anything the user can fix: bad or unreadable input, an output that cannot be written
EXIT_INPUT = 3
#: Ctrl-C (128 + SIGINT)
EXIT_INTERRUPTED = 130
#: the reader of stdout went away (128 + SIGPIPE)
EXIT_PIPE = 141


class EvigradeError(Exception):
    """Base of every controlled evigrade error (CLI exit code 3)."""

    exit_code = EXIT_INPUT


def _fmt_value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 200 else value[:200] + "...")  # one readable line
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**16:
        return f"{float(value):.6g}"  # not 300 digits of a huge whole number
    return str(value)


class InputError(EvigradeError, ValueError):
    """Bad input data.  Renders as one line:

    ``studies.csv row 7 (Smith 2004), column sd1i: must be > 0, got 0; fix: ...``
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        row: int | None = None,
        label: str | None = None,
        column: str | None = None,
        value: Any = None,
        fix: str | None = None,
        has_value: bool | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.row = row
        self.label = label
        self.column = column
        self.value = value
        self.fix = fix
        self.has_value = (value is not None) if has_value is None else has_value
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}" + (f" ({self.label})" if self.label else ""))
        elif self.label:
            where.append(f"({self.label})")
        if self.column:
            where.append(f"column {self.column}")
        head = " ".join(where[:2]) if len(where) >= 2 else (where[0] if where else "")
        if len(where) > 2:
            head = head + ", " + ", ".join(where[2:])
        msg = self.problem
        if self.has_value:
            msg += f", got {_fmt_value(self.value)}"
        if self.fix:
            msg += f"; fix: {self.fix}"
        text = f"{head}: {msg}" if head else msg
        return " ".join(text.split("\n"))

    def with_file(self, file: str) -> "InputError":
        """Return a copy that names ``file`` (used when a library call is made for a file)."""
        return InputError(
            self.problem,
            file=file,
            row=self.row,
            label=self.label,
            column=self.column,
            value=self.value,
            fix=self.fix,
            has_value=self.has_value,
        )


class SpecError(EvigradeError, ValueError):
    """An invalid analysis option, e.g. ``method='REML2' is not one of 'DL', 'HE', ...``."""


class EstimationError(EvigradeError, RuntimeError):
    """A fit that cannot produce a trustworthy result even after the fallback chain."""


class PackError(EvigradeError, ValueError):
    """An evidence pack with one or more problems; ``problems`` holds every InputError found."""

    def __init__(self, problems: list[InputError], pack: str | None = None) -> None:
        self.problems = list(problems)
        self.pack = pack
        n = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no problems recorded"
        more = f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
        super().__init__(f"{first}{more}")


class EvigradeWarning(UserWarning):
    """Base of evigrade's warnings."""


class ConvergenceWarning(EvigradeWarning):
    """An iterative estimator needed its fallback chain."""


class EvigradeDeprecationWarning(EvigradeWarning, DeprecationWarning):
    """A deprecated evigrade API was used."""
