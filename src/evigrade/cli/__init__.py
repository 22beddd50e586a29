"""The evigrade command line: thin typer app. Parse -> one library call -> render.

The exit-code policy lives in ``main`` (and is documented in docs/exit-codes.md):

* 0   success;
* 2   usage error (an unknown option, a missing argument, a value click cannot convert);
* 3   a problem with the input or the environment, never a bug: bad data (``EvigradeError``), an
      input that cannot be read or is too large, an output that cannot be written (folder
      missing, is a folder, permission denied, disk full), another run writing the same output,
      a bad ``SOURCE_DATE_EPOCH`` / ``EVIGRADE_MAX_INPUT_MB``, out of memory -- one line on stderr
      naming the file (and row, column, value where there is one) and the fix;
* 1   an internal error (a bug in evigrade): the only exit 1; ``--debug`` shows the traceback;
* 130 interrupted (Ctrl-C); 141 the reader of the output went away (``evigrade ... | head``).

Each command lives in its own module with a ``register(app)`` function.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence

from ..errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE, EvigradeError

if TYPE_CHECKING:
    import typer

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
    import typer

    if value:
        from .. import __version__

        typer.echo(f"evigrade {__version__}")
        raise typer.Exit()


def build_app(commands: Sequence[str] | None = None) -> typer.Typer:
    """The typer app with every command, or only the command modules named in ``commands``."""
    import typer

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
        max_input_mb: Optional[float] = typer.Option(
            None, "--max-input-mb", metavar="MB",
            help="Refuse input files larger than MB megabytes (default 1024; env EVIGRADE_MAX_INPUT_MB)."),
    ) -> None:
        """evigrade: evidence packs -> meta-analysis -> GRADE -> plain language."""
        if max_input_mb is not None:
            from .._io import MAX_INPUT_ENV, input_limit

            os.environ[MAX_INPUT_ENV] = repr(max_input_mb)
            input_limit()  # refuse a non-positive value here, naming it

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
    """Run the CLI and return the exit code (see the module docstring for the policy)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:  # accepted anywhere on the line (it is an option of the root command)
        args = ["--debug"] + [a for a in args if a != "--debug"]
    if not [a for a in args if a != "--debug"]:  # bare `evigrade`: the help, exit 0 (not a usage error)
        args = [*args, "--help"]
    from .._io import MAX_INPUT_ENV

    saved_limit = os.environ.get(MAX_INPUT_ENV)  # --max-input-mb sets it for this run only
    try:
        return _run(args, debug)
    finally:
        _report_leftovers()
        if saved_limit is None:
            os.environ.pop(MAX_INPUT_ENV, None)
        else:
            os.environ[MAX_INPUT_ENV] = saved_limit


def _check_environment() -> None:
    """Environment variables that would otherwise break an import (numpy's f2py reads
    SOURCE_DATE_EPOCH with int() when scipy loads it): refused here with one line."""
    from ..errors import InputError

    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde is not None and sde.strip() == "":  # set but empty means unset (reproducible-builds.org)
        del os.environ["SOURCE_DATE_EPOCH"]
    elif sde is not None:
        try:
            int(sde)
        except ValueError:
            raise InputError("the environment variable SOURCE_DATE_EPOCH must be a whole number of seconds since "
                             "1970-01-01", value=sde, fix="unset it or set e.g. SOURCE_DATE_EPOCH=1700000000") from None


def _run(args: list[str], debug: bool) -> int:
    try:
        _check_environment()  # before the command's imports (numpy reads SOURCE_DATE_EPOCH)
        command = _plain_command(args)
        if command is None:
            command = functools.partial(build_app(_invoked(args)), args=args, prog_name="evigrade",
                                        standalone_mode=False)
        with warnings.catch_warnings(), _safe_stdout():
            if not debug:  # every numerical warning is also a stored Note that the output prints
                warnings.simplefilter("ignore")
            rv = command()
        if isinstance(rv, int):
            return rv
    except EvigradeError as exc:
        if debug:
            raise
        _error(str(exc))
        return exc.exit_code
    except SystemExit as exc:  # typer/click exit
        code = exc.code
        return int(code) if isinstance(code, int) else (0 if code is None else EXIT_INTERNAL)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `evigrade ... | head`: the reader left; say nothing more
        _silence_stdout()
        return EXIT_PIPE
    except OSError as exc:  # the file system refused something no command anticipated: not a bug
        if debug:
            raise
        _error(_os_error_line(exc))
        return EXIT_INPUT
    except MemoryError:
        if debug:
            raise
        _error("out of memory (the input is too large for this machine); fix: give a smaller input, lower "
               "--max-input-mb to refuse such files early, or use `evigrade batch` for many analyses")
        return EXIT_INPUT
    except Exception as exc:  # click usage errors and friends
        # typer >= 0.2x vendors click as typer._click, so match click's exceptions by shape, not class
        if type(exc).__name__ == "Abort":
            _error("aborted")
            return EXIT_INTERRUPTED
        format_message, exit_code = getattr(exc, "format_message", None), getattr(exc, "exit_code", None)
        if callable(format_message) and isinstance(exit_code, int):
            # a usage error: one line, naming the command's --help (exit code 2)
            ctx = getattr(exc, "ctx", None)
            where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
            msg = " ".join(format_message().split()).rstrip(".")
            got = _given_value(args, getattr(exc, "param", None))
            if got is not None and "got" not in msg:
                msg += f", got {got!r}"
            _error(f"{msg}{where}")
            return exit_code
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
        return EXIT_INTERNAL
    return 0


@contextlib.contextmanager
def _safe_stdout() -> Iterator[None]:
    """While a command runs, everything printed to stdout goes through ``_escape.term_safe``: a value
    from a pack, a CSV or a claims text (a study label, a title) cannot send control sequences to the
    terminal (clear the screen, set the title, hide or reorder text), whichever renderer printed it.
    On a terminal with colour allowed, rich's colour sequences are kept."""
    from .._escape import TermSafeStream

    original = sys.stdout
    try:
        keep_style = bool(original.isatty()) and not os.environ.get("NO_COLOR")
    except (AttributeError, ValueError, OSError):
        keep_style = False
    sys.stdout = TermSafeStream(original, keep_style=keep_style)
    try:
        yield
    finally:
        if isinstance(sys.stdout, TermSafeStream):
            sys.stdout = original


def _report_leftovers() -> None:
    """One note on stderr for each temporary file or folder of an interrupted run that a writer of this
    run removed (``_io.OutputLock``), whatever the command and whether it succeeded."""
    from .._escape import term_safe
    from .._io import removed_leftovers

    for path in removed_leftovers():
        try:
            print(f"note: removed {term_safe(path, newlines=False)}, a temporary file left by an interrupted run",
                  file=sys.stderr)
        except (OSError, ValueError):
            pass


def _error(msg: str) -> None:
    """The one error line on stderr (a closed stderr is not worth a traceback); control characters
    from file names or values are shown as escapes, never sent to the terminal."""
    from .._escape import term_safe

    try:
        print(f"error: {term_safe(' '.join(msg.splitlines()), newlines=False)}", file=sys.stderr)
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _os_error_line(exc: OSError) -> str:
    """One line for an OSError that reached ``main``: the path(s), what the system said, the fix."""
    where = ": ".join(os.fspath(f) for f in (exc.filename, exc.filename2) if f is not None)
    what = exc.strerror or str(exc) or type(exc).__name__
    return (f"{where + ': ' if where else ''}{what}; fix: check the path, its permissions and the free disk "
            "space (rerun with --debug for the traceback)")


#: The commands whose plain lines are parsed without typer: name -> (module, its command function).  Each
#: module has ``plain_args(argv)``, ``DEFAULTS`` and ``PLAIN_OPTIONS`` (checked against the typer command
#: by tests/cli/test_batch_plain_args.py, test_summarize_plain_args.py and test_plain_commands.py).
PLAIN_COMMANDS: dict[str, tuple[str, str]] = {
    "batch": ("batch", "run_batch"),
    "summarize": ("summarize", "summarize_command"),
    "validate": ("validate", "validate_command"),
    "check-claims": ("check_claims", "check_claims_command"),
}


def _plain_command(args: Sequence[str]) -> Callable[[], Any] | None:
    """A plain line of one of ``PLAIN_COMMANDS`` parsed without typer (``cli._plain``: typer, click and
    the pydantic typer validates with take about 0.18 s to import, a fifth of ``summarize`` and half of a
    small batch run); None: typer parses the line."""
    spec = PLAIN_COMMANDS.get(args[0]) if args else None
    if spec is None:
        return None
    module = importlib.import_module(f"{__name__}.{spec[0]}")
    kw = module.plain_args(list(args[1:]))
    if kw is None:
        return None
    if args[0] == "batch":
        _one_blas_thread()
    command = getattr(module, spec[1])
    return lambda: command(**kw)


def _one_blas_thread() -> None:
    """Before numpy is first imported by a plain batch run: one OpenBLAS thread (unless the user chose).
    The batch path does no linear algebra (the compiled kernel and numpy's element-wise functions), yet
    OpenBLAS starts a thread per core when numpy is imported, and they spin a while: about 0.15 s of CPU
    on the core the CSV reader and writer threads want (``benchmarks/bench_edges.py``).  Only in the
    ``evigrade`` process itself (``run``), never in a Python program that calls ``main``."""
    if _CONSOLE and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _invoked(args: Sequence[str]) -> tuple[str, ...] | None:
    """The module of the command on the line, so that only its imports are loaded (``evigrade batch``
    does not import the GRADE pipeline, ``summarize`` not pandas); None (every command) for the root
    help, ``--version`` or a name that is not a command (click's message lists the commands)."""
    skip = False
    for a in args:
        if skip:  # the value of --max-input-mb
            skip = False
            continue
        if a.startswith("-"):  # the root options (--debug, --help, --version) come before the command
            if a == "--debug" or a.startswith("--max-input-mb="):
                continue
            if a == "--max-input-mb":
                skip = True
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


#: True in the ``evigrade`` process (the console script, ``python -m evigrade``), set by ``run``.
_CONSOLE = False


def run() -> None:  # console-script entry point
    global _CONSOLE
    _CONSOLE = True
    sys.exit(main())
