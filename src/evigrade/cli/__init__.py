"""The evigrade command line: thin typer app. Parse -> one library call -> render.

Controlled errors print one line on stderr and exit 3; usage errors exit 2; ``--debug`` shows the
traceback.  Each command lives in its own module with a ``register(app)`` function.
"""
from __future__ import annotations

import importlib
import sys
import warnings
from typing import Sequence

import typer

from ..errors import EvigradeError

# Command modules, in help order.  Each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "init",
    "summarize",
    "explain",
    "validate",
    "meta",
    "grade",
    "report",
    "check_claims",
    "batch",
    "import_revman",
    "plot",
    "sof",
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"evigrade {__version__}")
        raise typer.Exit()


def build_app(commands: Sequence[str] | None = None) -> typer.Typer:
    """The typer app with every command, or only the command modules named in ``commands``."""
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
        version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                     help="Print evigrade's version and exit."),
    ) -> None:
        """evigrade: evidence packs -> meta-analysis -> GRADE -> plain language."""

    for name in COMMAND_MODULES if commands is None else commands:
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
    if debug:  # accepted anywhere on the line (it is an option of the root command)
        args = ["--debug"] + [a for a in args if a != "--debug"]
    if not [a for a in args if a != "--debug"]:  # bare `evigrade`: the help, exit 0 (not a usage error)
        args = [*args, "--help"]
    app = build_app(_invoked(args))
    try:
        with warnings.catch_warnings():
            if not debug:  # every numerical warning is also a stored Note that the output prints
                warnings.simplefilter("ignore")
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
        format_message, exit_code = getattr(exc, "format_message", None), getattr(exc, "exit_code", None)
        if callable(format_message) and isinstance(exit_code, int):
            # a usage error: one line, naming the command's --help (exit code 2)
            ctx = getattr(exc, "ctx", None)
            where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
            msg = " ".join(format_message().split()).rstrip(".")
            got = _given_value(args, getattr(exc, "param", None))
            if got is not None and "got" not in msg:
                msg += f", got {got!r}"
            print(f"error: {msg}{where}", file=sys.stderr)
            return exit_code
        if debug:
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    return 0


def _invoked(args: Sequence[str]) -> tuple[str, ...] | None:
    """The module of the command on the line, so that only its imports are loaded (``evigrade batch``
    does not import the GRADE pipeline, ``summarize`` not pandas); None (every command) for the root
    help, ``--version`` or a name that is not a command (click's message lists the commands)."""
    for a in args:
        if a.startswith("-"):  # the root options (--debug, --help, --version) come before the command
            if a == "--debug":
                continue
            return None
        mod = a.replace("-", "_")
        return (mod,) if mod in COMMAND_MODULES else None
    return None


def _given_value(args: list[str], param) -> str | None:
    """The value the user typed for the option a usage error is about (None if not found)."""
    for opt in getattr(param, "opts", None) or ():
        if not opt.startswith("-"):
            continue
        for i, a in enumerate(args):
            if a == opt and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(opt + "="):
                return a[len(opt) + 1:]
    return None


def run() -> None:  # console-script entry point
    sys.exit(main())
