"""The batch kernel compiled ahead of time, so that a run does not import numba.

``python -m evigrade.batch._aot`` (run by ``make install`` / ``make install-test``) compiles the
kernel's entry point (``_kernel.AOT_ENTRY``, default ``_fit_all``) -- the very function numba's JIT
compiles, with the argument types it compiles it for, from ``_kernel.py`` as it stands -- with
``numba.pycc`` into the
extension module ``evigrade.batch._kernel_aot`` beside it, and writes ``_kernel_aot.stamp``: the
SHA-256 of the sources the machine code was compiled from and of the processor it was compiled for
(this machine's instruction set, as numba's JIT uses).  ``_kernel`` loads that module instead
of importing numba (whose import and cache loading cost about 0.8 s of every ``evigrade batch``
run, more than fitting 100,000 analyses) when the stamp matches the sources it is running; after any
change to them the module is stale and ignored (numba's JIT runs, as without it) until it is built again.

The machine code is numba's, from the same LLVM IR: the results are bit-identical to the JIT's
(``tests/unit/test_batch_aot.py``).  It is compiled with numpy's floating-point error model (as the
JIT; 1/0 = inf) and releases the GIL while it runs (as a ``nogil`` JIT function would).  Building
needs numba and a C compiler with the Python headers (``scripts/install-system-deps.sh`` installs
them on Debian); without them nothing is built and the JIT (or the numpy engine) is used.
``EVIGRADE_NO_AOT=1`` ignores the module; ``EVIGRADE_NO_NUMBA=1`` ignores it too (the numpy engine).
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["load", "build", "source_hash", "MODULE", "STAMP"]

_HERE = pathlib.Path(__file__).resolve().parent
#: the importable name of the compiled module, and the stamp beside it
MODULE = "_kernel_aot"
STAMP = _HERE / f"{MODULE}.stamp"
#: what the machine code is compiled from: the kernel and the convergence constants it freezes
_SOURCES = (_HERE / "_kernel.py", _HERE.parent / "_convergence.py")


def source_hash() -> str:
    """SHA-256 of the kernel's sources and of this machine's processor (the module is compiled for its
    instruction set, as numba's JIT): what the stamp must say for the compiled module to be used."""
    h = hashlib.sha256()
    for p in _SOURCES:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(_processor().encode())
    return h.hexdigest()


def _processor() -> str:
    """The processor's model and instruction-set flags (Linux: /proc/cpuinfo; elsewhere the machine
    type), so that a module built on another machine (a copied environment) is not used."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            text = fh.read(1 << 16)
    except OSError:
        text = ""
    wanted = ("model name", "flags", "features", "cpu model", "isa")
    lines = []
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor only
        if line.split(":")[0].strip().lower() in wanted:
            lines.append(line.strip())
    return "\n".join([sys.platform, os.uname().machine if hasattr(os, "uname") else "", *lines])


def disabled() -> bool:
    return bool(os.environ.get("EVIGRADE_NO_NUMBA") or os.environ.get("EVIGRADE_NO_AOT"))


def load() -> ModuleType | None:
    """The compiled kernel module when it exists and was built from the current sources, else None."""
    if disabled():
        return None
    try:
        stamp = STAMP.read_text(encoding="ascii").strip()
        if stamp != source_hash():
            return None
        from . import _kernel_aot  # type: ignore[attr-defined,unused-ignore]  # built by build()
    except (OSError, ImportError, UnicodeDecodeError):
        return None
    return _kernel_aot  # type: ignore[no-any-return,unused-ignore]


def build(quiet: bool = False) -> pathlib.Path:
    """Compile ``_kernel._fit_all`` into ``_kernel_aot`` and write the stamp; returns the module's path."""
    import importlib.machinery
    import shutil
    import tempfile
    import warnings

    os.environ["EVIGRADE_NO_AOT"] = "1"  # this process imports the JIT kernel (numba's dispatchers)
    from . import _kernel as kern

    if not kern.compiled():
        raise RuntimeError("numba is not installed (pip install 'evigrade[fast]')")
    digest = source_hash()
    name = getattr(kern, "AOT_ENTRY", "_fit_all")  # the kernel's entry point (the one fit_all calls)
    kern.warm()  # compiles it for the argument types fit_all passes
    entry: Any = getattr(kern, name)  # numba's dispatcher (numba ships no type hints)
    sig = entry.signatures[0]

    import numba.pycc.compiler as pycc_compiler
    from numba.pycc import CC

    base = pycc_compiler.Flags

    class _Flags(base):  # type: ignore[misc,valid-type]  # numba ships no type hints
        """pycc's flags plus the JIT kernel's: numpy's error model, and the GIL released."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.error_model = "numpy"
            self.release_gil = True

    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    target = _HERE / f"{MODULE}{suffix}"
    STAMP.unlink(missing_ok=True)  # a half-built module is never taken for a current one
    with tempfile.TemporaryDirectory(dir=_HERE, prefix=".aot-") as tmp:
        cc = CC(MODULE)
        cc.output_dir = tmp
        cc.verbose = not quiet
        cc.target_cpu = "host"  # this machine's instruction set, as numba's JIT (generic x86-64 was 15-25% slower)
        cc.export(name, sig)(entry.py_func)
        setattr(pycc_compiler, "Flags", _Flags)  # noqa: B010 - pycc makes its Flags() in _cull_exports
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numba.pycc is "pending deprecation"
                cc.compile()
        finally:
            setattr(pycc_compiler, "Flags", base)  # noqa: B010
        built = pathlib.Path(tmp) / f"{MODULE}{suffix}"
        shutil.move(str(built), str(target))
    STAMP.write_text(digest + "\n", encoding="ascii")
    return target


def _main(argv: list[str]) -> int:
    """``python -m evigrade.batch._aot [--if-possible] [--quiet]``: build; with --if-possible a missing
    numba or C compiler is a note, not an error (exit 0), and an up-to-date module is kept."""
    optional = "--if-possible" in argv
    quiet = "--quiet" in argv
    if optional and not disabled() and load() is not None:
        print("evigrade: the ahead-of-time batch kernel is up to date")
        return 0
    try:
        path = build(quiet=quiet)
    except Exception as exc:  # noqa: BLE001 - numba missing, no C compiler, no Python headers
        if not optional:
            raise
        print(f"evigrade: the ahead-of-time batch kernel was not built ({type(exc).__name__}: "
              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); numba's JIT or the numpy "
              "engine will run instead", file=sys.stderr)
        return 0
    print(f"evigrade: built the ahead-of-time batch kernel {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
