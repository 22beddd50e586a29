"""The evigrade command line: thin typer app. Parse -> one library call -> render.

Controlled errors print one line on stderr and exit 3; usage errors exit 2; ``--debug`` shows the
traceback.  Each command lives in its own module with a ``register(app)`` function.
"""
from __future__ import annotations

import importlib
import sys
from typing import Sequence

import typer

from ..errors import EvigradeError

# Command modules, in help order.  Each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "summarize",
    "validate",
    "meta",
    "grade",
    "report",
    "check_claims",
    "batch",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="evigrade",
        help="Turn clinical-trial data into graded, plain-language evidence.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    ) -> None:
        """evigrade: evidence packs -> meta-analysis -> GRADE -> plain language."""

    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        mod.register(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (0 ok, 2 usage error, 3 controlled error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    app = build_app()
    try:
        rv = app(args=args, prog_name="evigrade", standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except EvigradeError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SystemExit as exc:  # typer/click exit
        code = exc.code
        return int(code) if isinstance(code, int) else (0 if code is None else 1)
    except Exception as exc:  # click usage errors and friends
        # typer >= 0.2x vendors click as typer._click, so match click's exceptions by shape, not class
        if type(exc).__name__ == "Abort":
            print("error: aborted", file=sys.stderr)
            return 1
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        if debug:
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    return 0


def run() -> None:  # console-script entry point
    sys.exit(main())
