"""The one atomic writer: files and report folders appear whole or not at all.

Everything is written to a temporary file (or folder) beside the target and moved into place
with ``os.replace``, so a failure or an interrupted run never leaves a partial output.  Files get
the ordinary permissions (``0o666`` minus the umask), not ``mkstemp``'s ``0600``.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from typing import Callable, Mapping

__all__ = ["write_atomic", "write_text_atomic", "write_folder_atomic"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], write: Callable[[str], None], *, prefix: str | None = None,
                 suffix: str = ".tmp") -> pathlib.Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it onto ``path``.

    The temporary file is removed if ``write`` (or the move) fails; the target is left untouched.
    """
    target = pathlib.Path(path)
    folder = target.parent if str(target.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(prefix=prefix if prefix is not None else f".{target.name}.", suffix=suffix,
                               dir=str(folder))
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; an output is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str, *, prefix: str | None = None) -> pathlib.Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return write_atomic(path, write, prefix=prefix)


def write_folder_atomic(out: str | os.PathLike[str], files: Mapping[str, str]) -> pathlib.Path:
    """Write ``files`` (name -> text) as the folder ``out``, replacing an existing ``out`` whole.

    The files go into a temporary folder beside ``out`` that is then moved into place; an existing
    ``out`` is moved aside first and restored if the move fails.  Callers decide whether ``out``
    may be replaced at all.
    """
    out = pathlib.Path(out)
    parent = out.resolve().parent
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8", newline="\n")
        os.chmod(tmp, 0o755)
        if out.is_dir():
            old = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.rmdir(old)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
