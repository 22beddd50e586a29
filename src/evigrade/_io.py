"""Files in and out: the one atomic writer, the output lock, stale-temp cleanup and the input size limit.

Writing.  Everything is written to a temporary file (or folder) beside the target and moved into
place with ``os.replace``, so a failure or an interrupted run never leaves a partial output.  Files
get the ordinary permissions (``0o666`` minus the umask), not ``mkstemp``'s ``0600``.  A write that
fails for a reason of the file system (folder missing, target is a folder, permission denied, disk
full, read-only file system) raises one ``InputError`` naming the output and the fix (exit 3).

Locking.  ``output_lock(path)`` holds an advisory lock on ``.<name>.lock`` beside the output for
the whole run (the CLI takes it before computing), so a second evigrade run writing to the same
path fails at once with a clear message instead of silently replacing the first one's result
(``force=True``, the CLI's ``--force``, goes ahead anyway).  The lock is an ``fcntl.flock``: the
kernel releases it when a run is killed, so a killed run never blocks the next one.  Where flock
is not available (Windows) no lock is taken.

Leftovers.  A run that is killed (SIGKILL, power loss) cannot remove its temporary file
``.<name>.<random>.tmp`` (or report folder ``.<name>.tmp-<random>``).  Whoever next takes the lock
for that output removes such leftovers that are older than the moment the lock was taken (no
other evigrade run can be writing them then) and reports each one as a note.

Reading.  ``read_bytes_limited`` reads at most ``input_limit()`` bytes (default
``DEFAULT_MAX_INPUT_MB`` MB; the environment variable ``EVIGRADE_MAX_INPUT_MB`` or the CLI's
``--max-input-mb`` overrides it) in chunks, so an endless or huge input (``/dev/zero``, a
multi-gigabyte file given by mistake) is refused with one line before memory runs out.
"""
from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import shutil
import socket
import tempfile
import time
from typing import Any, Callable, Iterator, Mapping

from .errors import InputError

__all__ = [
    "write_atomic", "write_text_atomic", "write_folder_atomic", "output_lock", "OutputLock",
    "output_error", "read_bytes_limited", "input_limit", "check_input_size", "DEFAULT_MAX_INPUT_MB",
    "MAX_INPUT_ENV", "refuse_binary", "too_large_error", "check_readable", "removed_leftovers",
]

#: The largest input file any reader accepts, in MB (1 MB = 2**20 bytes), unless overridden.  A
#: CSV of 100,000 analyses x 10 studies is about 40 MB; 1 GB of text is read and parsed in memory
#: (several times its size for the parsed cells), which is where a laptop starts to swap.
DEFAULT_MAX_INPUT_MB = 1024
#: The environment variable that overrides ``DEFAULT_MAX_INPUT_MB`` (a positive number of MB).
MAX_INPUT_ENV = "EVIGRADE_MAX_INPUT_MB"
_CHUNK = 1 << 20


# --------------------------------------------------------------------------------------------
# reading


def input_limit() -> int:
    """The input size limit in bytes (``EVIGRADE_MAX_INPUT_MB`` if set, else ``DEFAULT_MAX_INPUT_MB``)."""
    raw = os.environ.get(MAX_INPUT_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_MAX_INPUT_MB << 20
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not (mb > 0 and mb < 1e12):  # also NaN and inf
        raise InputError(f"the input size limit {MAX_INPUT_ENV} (--max-input-mb) must be a positive number of "
                         "megabytes", value=raw,
                         fix=f"unset it (default {DEFAULT_MAX_INPUT_MB} MB) or set e.g. {MAX_INPUT_ENV}=4096")
    return max(1, int(mb * (1 << 20)))


def _mb(n: int) -> str:
    mb = n / (1 << 20)
    return f"{mb:,.0f} MB" if mb >= 10 else (f"{mb:.3g} MB" if n >= (1 << 20) else f"{n:,} bytes")


def refuse_binary(name: str, kind: str, fix: str) -> Callable[[bytes], None]:
    """A ``check_start`` for ``read_bytes_limited`` that refuses NUL bytes (no text format has them)."""

    def check(head: bytes) -> None:
        if b"\x00" in head:
            raise InputError(f"is a binary file, not {kind}", file=name, fix=fix)

    return check


def too_large_error(name: str, size: int | None, limit: int) -> InputError:
    """The one line for an input larger than the input size limit (``size`` None: a stream without a size)."""
    got = f" ({_mb(size)})" if size is not None else f" (more than {_mb(limit)} read)"
    return InputError(f"is larger than the input size limit of {_mb(limit)}{got}", file=name,
                      fix=f"check that this is the right file, or raise the limit with --max-input-mb N "
                          f"or {MAX_INPUT_ENV}=N")


def check_input_size(path: str | os.PathLike[str], *, name: str | None = None, limit: int | None = None) -> None:
    """Refuse a regular file larger than the limit (for readers that hand the path to a library,
    e.g. pyarrow for Parquet); a device or pipe is refused too, as it has no size to check."""
    name = os.fspath(path) if name is None else name
    limit = input_limit() if limit is None else limit
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _read_error(name, exc) from None
    import stat

    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not a file", file=name, fix="give the path of the file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file (a device or a pipe)", file=name,
                         fix="give the path of a file on disk")
    if st.st_size > limit:
        raise too_large_error(name, st.st_size, limit)


def check_readable(path: str | os.PathLike[str], *, name: str | None = None, what: str = "file") -> None:
    """Refuse an input that is missing, a folder or cannot be opened (permission denied, a loop of
    links), before a reader that hands the path to a library opens it somewhere an error would be
    worded as something else."""
    name = os.fspath(path) if name is None else name
    if os.path.isdir(path):
        raise InputError(f"is a folder, not a {what}", file=name, fix=f"give the path of the {what}")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise _read_error(name, exc, what) from None


def _read_error(name: str, exc: OSError, what: str = "file") -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError("file not found", file=name, fix="check the path and the file name")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"is a folder, not a {what}", file=name, fix=f"give the path of the {what}")
    if isinstance(exc, PermissionError):
        return InputError("cannot be read (permission denied)", file=name, fix="check the file's permissions")
    if exc.errno == errno.ELOOP:
        return InputError("cannot be read (a loop of symbolic links)", file=name,
                          fix="point the link at the real file")
    return InputError(f"cannot be read ({exc.strerror or exc})", file=name, fix="check the path")


def read_bytes_limited(path: str | os.PathLike[str], *, name: str | None = None, what: str = "file",
                       limit: int | None = None,
                       check_start: Callable[[bytes], None] | None = None) -> bytes:
    """The bytes of ``path``, read in chunks and refused with one InputError past the size limit.

    ``check_start``, when given, is called with the first megabyte as soon as it is read and may
    raise (e.g. on NUL bytes: binary data is refused before the rest is read, so ``/dev/zero``
    fails at once).
    Missing files, folders, unreadable files and symlink loops are InputErrors naming ``name``.
    """
    name = os.fspath(path) if name is None else name
    limit = input_limit() if limit is None else limit
    try:
        with open(path, "rb") as fh:
            try:
                size = os.fstat(fh.fileno()).st_size
            except OSError:  # pragma: no cover - fstat of an open file does not fail in practice
                size = 0
            if size > limit:
                raise too_large_error(name, size, limit)
            parts: list[bytes] = []
            total = 0
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                if not parts and check_start is not None:
                    check_start(chunk)
                total += len(chunk)
                if total > limit:
                    raise too_large_error(name, None if size == 0 else size, limit)
                parts.append(chunk)
    except OSError as exc:
        raise _read_error(name, exc, what) from None
    return b"".join(parts)


# --------------------------------------------------------------------------------------------
# output errors


def output_error(path: str | os.PathLike[str], exc: OSError) -> InputError:
    """One line for an output that cannot be written: what went wrong with ``path`` and the fix."""
    name = os.fspath(path)
    code = exc.errno
    if code == errno.ENOENT:
        return InputError("output folder does not exist", file=name,
                          fix="create the folder first or choose another output path")
    if code == errno.EISDIR:
        return InputError("is a folder, not a file", file=name, fix="give a file name for the output")
    if code == errno.ENOTDIR:
        return InputError("cannot be written: a part of the path is a file, not a folder", file=name,
                          fix="check the output path")
    if code in (errno.EACCES, errno.EPERM):
        return InputError("cannot be written (permission denied)", file=name,
                          fix="choose a folder you can write to, or change its permissions")
    if code == errno.EROFS:
        return InputError("cannot be written (read-only file system)", file=name,
                          fix="choose an output on a writable disk")
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return InputError("cannot be written (disk full or quota exceeded)", file=name,
                          fix="free some space or write the output to another disk")
    if code == errno.ENAMETOOLONG:
        return InputError("cannot be written (file name too long)", file=name, fix="choose a shorter output name")
    return InputError(f"cannot be written ({exc.strerror or exc})", file=name, fix="check the output path")


def _check_output_folder(target: pathlib.Path) -> pathlib.Path:
    folder = target.parent if str(target.parent) else pathlib.Path(".")
    if not folder.exists():
        raise output_error(target, FileNotFoundError(errno.ENOENT, "no such folder"))
    if not folder.is_dir():
        raise output_error(target, NotADirectoryError(errno.ENOTDIR, "not a folder"))
    return folder


# --------------------------------------------------------------------------------------------
# the output lock and stale temporary files

_HELD: dict[str, "OutputLock"] = {}  # lock path -> the lock this process holds (re-entrant use)
_REMOVED: list[str] = []  # leftovers removed by this process and not yet reported (see removed_leftovers)


def removed_leftovers() -> list[str]:
    """The temporary files and folders of interrupted runs removed since the last call (the CLI prints
    one note for each after a command, whichever writer removed them)."""
    out = list(_REMOVED)
    _REMOVED.clear()
    return out


class OutputLock:
    """An advisory lock on the output ``target`` (see the module docstring).

    ``removed`` lists the stale temporary files and folders removed when the lock was taken; the
    CLI prints one note for each.
    """

    def __init__(self, target: str | os.PathLike[str], *, force: bool = False, force_option: bool = False) -> None:
        self.target = pathlib.Path(target)
        self.force = force
        self.force_option = force_option  # the command has --force (the error's fix names it)
        self.removed: list[str] = []
        self.lockfile = self.target.parent / f".{self.target.name}.lock"
        self._fd: int | None = None
        self._depth = 0
        self._outer: OutputLock | None = None

    def __enter__(self) -> "OutputLock":
        if _is_device(self.target):  # -o /dev/stdout, /dev/null, a FIFO: nothing to lock or clean
            self._outer = self  # (a no-op exit)
            return self
        key = os.path.realpath(self.lockfile)
        held = _HELD.get(key)
        if held is not None:  # this process already holds it (the CLI around a library writer)
            held._depth += 1
            self._outer = held
            return held
        _check_output_folder(self.target)
        self._acquire()
        _HELD[key] = self
        self._depth = 1
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._outer is self:
            self._outer = None
            return
        if self._outer is not None:
            self._outer._depth -= 1
            self._outer = None
            return
        self._depth -= 1
        if self._depth > 0:
            return
        _HELD.pop(os.path.realpath(self.lockfile), None)
        if self._fd is not None:
            try:
                os.unlink(self.lockfile)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None

    def _acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            self._clean(time.time())
            return
        for _ in range(20):  # retry when the lock file was replaced between open and flock
            try:
                fd = os.open(self.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise output_error(self.target, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise output_error(self.target, exc) from None
                holder = _holder(fd)
                os.close(fd)
                if self.force:
                    return  # --force: write anyway, without the lock (the other run keeps it)
                raise InputError(f"another evigrade run is writing this output{holder}", file=str(self.target),
                                 fix="wait for it to finish or write to another path" + (
                                     ", or add --force to write anyway" if self.force_option else "")) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lockfile).st_ino
            except OSError:
                same = False
            if not same:  # the previous holder removed the file as we opened it: take the new one
                os.close(fd)
                continue
            self._fd = fd
            since = time.time()
            info = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%H:%M:%S')}\n"
            try:
                os.ftruncate(fd, 0)
                os.write(fd, info.encode())
            except OSError:
                pass
            self._clean(since)
            return
        raise InputError("could not take the output lock (the lock file keeps changing)", file=str(self.target),
                         fix="retry, or add --force")  # pragma: no cover

    def _clean(self, since: float) -> None:
        """Remove ``.<name>.*.tmp`` files and folders and ``.<name>.tmp-*`` folders older than ``since``."""
        folder = self.target.parent if str(self.target.parent) else pathlib.Path(".")
        name = self.target.name
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for e in entries:
            n = e.name
            stale_file = n.startswith(f".{name}.") and n.endswith(".tmp") and len(n) > len(name) + 5
            # a report folder's .<name>.tmp-<random>, an imported pack's .<name>.<random>.tmp
            stale_dir = n.startswith(f".{name}.tmp-") or stale_file
            if not (stale_file or stale_dir):
                continue
            try:
                st = e.stat(follow_symlinks=False)
                if st.st_mtime >= since:
                    continue
                if stale_dir and e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path)
                elif stale_file and e.is_file(follow_symlinks=False):
                    os.unlink(e.path)
                else:
                    continue
            except OSError:
                continue
            self.removed.append(e.path)
            _REMOVED.append(e.path)


def _is_device(path: pathlib.Path) -> bool:
    """True for an existing path that is neither a regular file nor a folder (a device, a FIFO)."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" ({text})" if text and "\n" not in text and len(text) < 150 else ""


def output_lock(target: str | os.PathLike[str], *, force: bool = False, force_option: bool = False) -> OutputLock:
    """``with output_lock(path, force=...) as lock:`` hold the output lock for ``path`` (see the module
    docstring); ``force_option``: the caller offers ``--force`` (the error's fix names it)."""
    return OutputLock(target, force=force, force_option=force_option)


@contextlib.contextmanager
def _writing(target: pathlib.Path) -> Iterator[None]:
    """Turn a file-system failure while writing ``target`` into the one-line output error."""
    try:
        yield
    except InputError:
        raise
    except OSError as exc:
        raise output_error(target, exc) from None


# --------------------------------------------------------------------------------------------
# writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], write: Callable[[str], None], *, prefix: str | None = None,
                 suffix: str = ".tmp") -> pathlib.Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it onto ``path``.

    The temporary file is removed if ``write`` (or the move) fails; the target is left untouched.
    The output lock is held while writing (re-entrant: a CLI command holds it for its whole run).
    An existing device or FIFO (``/dev/stdout``, ``/dev/full``) is written directly.
    """
    target = pathlib.Path(path)
    if _is_device(target):  # -o /dev/stdout or a FIFO: written directly (replacing the device would be wrong)
        with _writing(target):
            write(str(target))
        return target
    with output_lock(target), _writing(target):
        if target.is_dir():
            raise output_error(target, IsADirectoryError(errno.EISDIR, "is a folder"))
        folder = _check_output_folder(target)
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
    may be replaced at all.  File-system failures are not translated here (the report command
    words them for a folder); the output lock is held while writing.
    """
    out = pathlib.Path(out)
    parent = out.resolve().parent
    with output_lock(out):
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
