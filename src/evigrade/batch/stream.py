"""Streaming batch runs: read a long table in chunks of whole analyses, fit each chunk, write its results.

``run_stream(IN, OUT)`` is ``batch.run`` + ``batch.write_table`` in bounded memory: the input (CSV or
Parquet) is read with pyarrow in blocks; each block is cut at the start of an analysis (an analysis is
never split across chunks), validated by ``batch.prepare``, fitted by ``batch.run_prepared`` and
appended to the output, which appears atomically when the run succeeds.  Memory is a few chunks plus
the analysis ids (kept to check that no analysis appears twice), so ten million analyses fit in well
under 2 GiB.

What the input must be
    The rows of each analysis must be next to each other (one block of rows per analysis, in any
    order of analyses: a file sorted by ``analysis_id`` qualifies, and so does any file written one
    analysis after another).  An analysis whose rows are split into two blocks is refused with one
    line naming the analysis and the rows; ``batch.run`` (``evigrade batch --no-stream``) reads the
    whole file into memory and accepts rows in any order.

Errors are the ones ``batch.run`` gives: for files up to ``EXACT_LIMIT`` bytes a problem found while
streaming is re-derived by the whole-file reader, so the message (row numbers counted as a
spreadsheet counts them, blank lines included) is identical.  For bigger files the row numbers count
the data rows that are not empty lines (identical unless the file has empty lines or quoted cells
that span lines).
"""
from __future__ import annotations

import csv
import io
import os
import pathlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from .._io import check_readable, write_atomic
from ..errors import EvigradeError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, attrs_dict
from . import _arrow
from ._spec import NOTE_MESSAGES, check_control, check_spec, header_names
from .io import ResultWriter, fit_table, output_format

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["run_stream", "StreamResult", "DEFAULT_CHUNK_ROWS", "EXACT_LIMIT"]

#: Rows per chunk (about 12,000 analyses of 20 studies): large enough that the engine runs at full speed
#: (two kernel threads of 16,384+ rows each), small enough that reading, fitting and writing overlap well
#: on 2 cores: on 100k analyses (2.1M rows, CSV in and out, idle) the whole run took 1.09 s median against
#: 1.26 s with 1 << 20 rows, 1.12 s with 1 << 17 and 1.21 s with 1 << 16 (6 alternating runs each).
DEFAULT_CHUNK_ROWS = 1 << 18
#: Up to this file size a problem found while streaming is re-derived by the whole-file reader (exact
#: row numbers and the very message of ``batch.run``); bigger files are never read whole.
EXACT_LIMIT = 256 << 20
#: pandas' default missing-value markers (``pandas.read_csv``), so that a number cell means the same here
#: (text columns -- ids, study labels -- keep ``NA``, ``null``, ... as text, as ``batch.run`` does).
_NA_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
              "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
_HEAD_BYTES = 1 << 20
#: CSV block size when every column has a stated type (pyarrow parses the first block before it returns
#: a reader, and the rest in parallel with the fit: 52 MiB blocks made opening a 100k-analysis file take
#: 1-3 s), and how far ahead of the fit the CSV text may be read (see ``_ReadAhead``)
_TYPED_BLOCK = 4 << 20
_READ_AHEAD = 48 << 20
_SORT_FIX = ("the rows of each analysis must be next to each other to stream the file: sort it by {col} "
             "(or use --no-stream, which reads the whole file into memory and accepts any order)")


@dataclass(frozen=True, slots=True)
class StreamResult:
    """What a streamed run did (the per-analysis results are in ``output``, not in memory)."""

    output: str
    method: str
    test: str
    level: float
    tau2_ci: bool
    pi: bool
    n_rows: int
    n_analyses: int
    n_fallback: int  # analyses that did not converge and used a fallback estimator
    n_chunks: int
    note_counts: dict[str, int] = field(default_factory=dict)
    run_notes: tuple[Note, ...] = ()

    def summary_counts(self) -> dict[str, int]:
        """How many analyses carry each note code."""
        return dict(self.note_counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            **attrs_dict(self, "output", "method", "test", "level", "tau2_ci", "pi", "n_rows", "n_analyses",
                         "n_fallback", "n_chunks"),
            "note_counts": dict(self.note_counts),
            "run_notes": [n.to_dict() for n in self.run_notes],
            "note_codes": dict(NOTE_MESSAGES),
        }


# ----------------------------------------------------------------------------------------------
# reading in blocks


@dataclass(slots=True)
class _Source:
    """An open input: Arrow tables in file order, and how far the reading has got (0..1)."""

    name: str
    size: int
    batches: Iterator["pa.Table"]
    fraction: Callable[[], float]
    is_csv: bool
    delimiter: str = ","
    close: Callable[[], None] = lambda: None


def _csv_header(p: pathlib.Path, name: str) -> tuple[str, list[str], float]:
    """Delimiter, column names and bytes per row, from the head of the file (checked as batch.run checks it)."""
    from .._csvtext import _delimiter, check_text_bytes

    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if len(head) < size and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]  # whole lines only (no UTF-8 character cut in two)
    text = check_text_bytes(head, name=name, empty_fix="add a header row (analysis_id, yi, vi or arm-level "
                                                       "columns) and one row per study")
    delim = _delimiter(text)
    header_names(text, delim, name)  # a column name that appears twice is refused, naming both columns
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=delim)) if lines else []
    per_row = len(head) / max(1, len(lines))
    return delim, header, per_row


def _open_csv(p: pathlib.Path, name: str, id_col: str, measure: str | None, chunk_rows: int) -> _Source:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    delim, header, per_row = _csv_header(p, name)
    if measure is None:
        numeric = {"yi", "vi", "sei"}
        wanted = [c for c in header if c in {id_col, "yi", "vi", "sei"}]
    else:
        from ..effects.escalc import _ALL_COLUMNS

        numeric = set(_ALL_COLUMNS) | {"yi", "vi", "sei"}
        wanted = list(dict.fromkeys(header))
    types: dict[str, Any] = {}
    for c in wanted:
        if c in ("analysis_id", "study"):  # as batch.run reads them (text, even when they look like numbers)
            types[c] = pa.string()
        elif c in numeric:
            types[c] = pa.float64()
        elif c != id_col:  # another id column keeps the type of its first block (numbers stay numbers)
            types[c] = pa.string()  # not used by the engine: kept as text (no type guessed per block)
    if id_col in types or id_col not in wanted:  # every column typed: small blocks, parsed while the fit runs
        block = int(min(_TYPED_BLOCK, max(1 << 20, chunk_rows * per_row)))
    else:  # pyarrow guesses the id column's type from the first block: as much of the file as a chunk
        block = int(min(64 << 20, max(1 << 20, chunk_rows * per_row)))
    fh = _ReadAhead(open(p, "rb"), max(3, _READ_AHEAD // block))  # noqa: SIM115 - closed by _Source.close
    size = p.stat().st_size
    try:
        reader = pacsv.open_csv(
            fh,
            read_options=pacsv.ReadOptions(block_size=block, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delim),
            convert_options=pacsv.ConvertOptions(column_types=types, include_columns=wanted or None,
                                                 null_values=_NA_VALUES, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except BaseException:
        fh.close()
        raise

    def batches() -> Iterator["pa.Table"]:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            yield pa.Table.from_batches([batch])

    # parsed on a thread of its own while the previous chunk is fitted, within the read-ahead budget
    ahead = _Prefetch(batches(), fh)

    def close() -> None:
        ahead.stop()
        fh.close()  # (a read the reader is waiting for returns at once)
        ahead.join()

    return _Source(name, size, ahead, lambda: fh.tell() / max(1, size), True, delim, close)


class _Prefetch:
    """The batches of a streaming CSV reader, taken from it on a thread of its own: pyarrow parses a
    CSV block on the thread that asks for it (with the GIL released), so the parsing of the next
    blocks overlaps the fitting and writing of the current chunk.  How far ahead is ``_ReadAhead``'s
    budget: a batch counts as taken when the consumer takes it from here.  An error of the reader is
    raised where the batch it stopped at would have been taken."""

    _END = object()

    def __init__(self, batches: Iterator["pa.Table"], budget: "_ReadAhead") -> None:
        import queue

        self._queue: queue.Queue[Any] = queue.Queue()  # (bounded by the budget of blocks read ahead)
        self._budget = budget
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, args=(batches,), name="evigrade-reader", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        if self._stop.is_set():
            return False
        self._queue.put(item)
        return True

    def _produce(self, batches: Iterator["pa.Table"]) -> None:
        try:
            for batch in batches:
                if not self._put((batch, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - raised in the consumer by __next__
            self._put((None, exc))
            return
        self._put((self._END, None))

    def __iter__(self) -> "_Prefetch":
        return self

    def __next__(self) -> "pa.Table":
        if self._done:
            raise StopIteration
        self._budget.waiting()
        try:
            item, exc = self._queue.get()
        finally:
            self._budget.taken()
        if exc is not None:
            self._done = True
            raise exc
        if item is self._END:
            self._done = True
            raise StopIteration
        return item

    def stop(self) -> None:
        """Ask the reading thread to stop (after the batch it is parsing)."""
        self._stop.set()

    def join(self) -> None:
        self._thread.join()


class _ReadAhead:
    """A binary file whose reads run at most ``ahead`` blocks ahead of the batches the consumer has taken
    (``waiting`` / ``taken``, called by ``_Prefetch``).

    pyarrow's streaming CSV reader reads its input on a background thread up to 32 blocks ahead of the
    consumer (1.3 GiB of 50 MiB blocks for a 1 GiB file, which is read faster than it is fitted); here
    a read waits while ``ahead`` blocks are read and not yet taken as batches.  So that the reader can
    never stall (should a batch need more blocks than that), a read goes ahead anyway once the consumer
    has been waiting for a batch for ``PATIENCE`` seconds (one block more each time).
    """

    PATIENCE = 1.0

    def __init__(self, fh: Any, ahead: int = 3) -> None:
        self._fh = fh
        self.ahead = ahead  # >= 3: a batch needs its block and the start of the next (a row cut by the boundary)
        self._cond = threading.Condition()
        self._ahead = 0  # blocks read and not yet taken as batches
        self._since: float | None = None  # when the consumer began to wait for a batch
        self._closed = False

    def _may_read(self) -> bool:
        return (self._closed or self._ahead < self.ahead
                or (self._since is not None and time.monotonic() - self._since >= self.PATIENCE))

    def read(self, n: int = -1) -> bytes:
        with self._cond:
            while not self._may_read():
                self._cond.wait(self.PATIENCE / 4)
            if self._ahead >= self.ahead and self._since is not None:
                self._since = time.monotonic()  # one block more per PATIENCE seconds of waiting
            self._ahead += 1
        return self._fh.read(n)

    def waiting(self) -> None:
        """The consumer begins to wait for a batch."""
        with self._cond:
            self._since = time.monotonic()

    def taken(self) -> None:
        """The consumer has taken a batch (or stopped waiting)."""
        with self._cond:
            self._since = None
            self._ahead = max(0, self._ahead - 1)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True  # a read still under way on pyarrow's thread must not wait for ever
            self._cond.notify_all()
        self._fh.close()

    def __getattr__(self, name: str) -> Any:  # tell, closed, readable, seekable, ... (what pyarrow asks)
        return getattr(self._fh, name)


def _open_parquet(p: pathlib.Path, name: str, chunk_rows: int) -> _Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # pre_buffer=False: with pyarrow's default (True) the reader caches every column chunk it has read
    # until it is closed, so memory grew with the file (about its compressed size: 3.4 GiB for 10M
    # analyses); without it, only the row group being read is held (and reading a local file is no slower).
    pf = pq.ParquetFile(p, pre_buffer=False)
    total = max(1, pf.metadata.num_rows)
    done = [0]

    def batches() -> Iterator["pa.Table"]:
        for batch in pf.iter_batches(batch_size=chunk_rows):
            done[0] += batch.num_rows
            yield pa.Table.from_batches([batch])

    return _Source(name, p.stat().st_size, batches(), lambda: done[0] / total, False, close=pf.close)


def _open(path: pathlib.Path, name: str, id_col: str, measure: str | None, chunk_rows: int) -> _Source:
    if not path.exists():
        raise InputError("file not found", file=name, fix="check the path and the file name")
    if path.is_dir():
        raise InputError("is a folder, not a table", file=name, fix="give a .csv or .parquet file")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _open_parquet(path, name, chunk_rows)
    return _open_csv(path, name, id_col, measure, chunk_rows)


def _run_starts(ids: "pa.ChunkedArray | pa.Array") -> np.ndarray:
    """Positions where a new run of equal ids starts (a missing id starts a run of its own)."""
    import pyarrow as pa

    a = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    n = len(a)
    first = np.ones(n, dtype=bool)
    if n > 1:
        ne = _arrow.compute("not_equal", a.slice(1), a.slice(0, n - 1))
        first[1:] = _arrow.bools(ne) | ~_arrow.valid(ne)  # (null where an id is missing: a run of its own)
    return np.flatnonzero(first)


def _pieces(source: _Source, id_col: str, chunk_rows: int) -> Iterator[tuple["pa.Table", int, np.ndarray | None]]:
    """Tables of whole analyses of about ``chunk_rows`` rows, with the 0-based index of their first data
    row and, when already found, the positions where their runs of equal ids start (see ``_run_starts``)."""
    import pyarrow as pa

    pending: pa.Table | None = None
    pending_starts: np.ndarray | None = None
    offset = 0  # data rows handed out so far
    for tbl in source.batches:
        if id_col not in tbl.column_names:
            yield tbl, offset, None  # prepare() names the missing column
            return
        t = tbl if pending is None else pa.concat_tables([pending, tbl])
        if t.num_rows < chunk_rows:
            pending, pending_starts = t, None
            continue
        starts = _run_starts(t.column(id_col))
        pos = 0
        while t.num_rows - pos >= chunk_rows:
            i = int(np.searchsorted(starts, pos + chunk_rows, side="right")) - 1  # last start <= pos + chunk_rows
            cut = int(starts[i]) if i >= 0 and starts[i] > pos else -1
            if cut < 0:  # one analysis longer than a chunk: all of it
                j = int(np.searchsorted(starts, pos, side="right"))
                if j >= len(starts):
                    break  # it may go on in the next block
                cut = int(starts[j])
            yield t.slice(pos, cut - pos), offset, _starts_in(starts, pos, cut)
            offset += cut - pos
            pos = cut
        pending, pending_starts = t.slice(pos), _starts_in(starts, pos, t.num_rows)
    if pending is not None and pending.num_rows:
        yield pending, offset, pending_starts


def _starts_in(starts: np.ndarray, a: int, b: int) -> np.ndarray:
    """The run starts of rows a..b-1 (a is one of them), counted from a."""
    return starts[int(np.searchsorted(starts, a)):int(np.searchsorted(starts, b))] - a


# ----------------------------------------------------------------------------------------------
# the run


def run_stream(
    source: str | os.PathLike,
    output: str | os.PathLike,
    method: str = "REML",
    test: str = "knha",
    level: float = 95,
    tau2_ci: bool = False,
    pi: bool = True,
    *,
    measure: str | None = None,
    id_col: str = "analysis_id",
    control: dict[str, Any] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int, float], None] | None = None,
    escalc_options: dict[str, Any] | None = None,
) -> StreamResult:
    """Fit every analysis of the long table ``source`` (CSV or Parquet) chunk by chunk, writing ``output``.

    The options are those of ``batch.run``; ``chunk_rows`` is the number of input rows per chunk (a
    chunk always holds whole analyses); ``progress(analyses_done, fraction_of_input_read)`` is called
    after each chunk.  The output (CSV or Parquet, by extension) is written as ``batch.write_table``
    writes it and appears atomically.  The input must hold each analysis's rows together (see the
    module docstring).
    """
    method, test, lev = check_spec(method, test, level, tau2_ci, pi)
    threshold, maxiter = check_control(control)
    if not isinstance(chunk_rows, (int, np.integer)) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise SpecError(f"chunk_rows={chunk_rows!r} must be a whole number >= 1")
    src_path, out_path = pathlib.Path(source), pathlib.Path(output)
    if not out_path.parent.exists():
        raise InputError("output folder does not exist", file=str(out_path), fix="create the folder first")
    name = str(source)
    check_readable(src_path, name=name, what="table")  # here, not inside the output's writer (issue 19)
    state: dict[str, Any] = {}

    def write(tmp: str) -> None:
        state.update(_stream(src_path, name, tmp, output_format(out_path), method, test, lev, tau2_ci, pi,
                             measure, id_col, threshold, maxiter, int(chunk_rows), progress, escalc_options))

    try:
        write_atomic(out_path, write)
    except EvigradeError:
        raise
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _exact_error(src_path, name, measure, id_col, escalc_options)
        raise InputError(f"cannot be read as a table ({first})", file=name,
                         fix="save it as a UTF-8 CSV with a header row, or as Parquet") from None
    return StreamResult(str(out_path), method, test, lev, bool(tau2_ci), bool(pi), **state)


def _exact_error(path: pathlib.Path, name: str, measure: str | None, id_col: str,
                 escalc_options: dict[str, Any] | None) -> None:
    """Raise the whole-file reader's error for a file small enough to read whole (else return)."""
    try:
        small = path.stat().st_size <= EXACT_LIMIT
    except OSError:
        return
    if small:
        from .core import prepare, read_table

        prepare(read_table(path), measure=measure, id_col=id_col, file=name, escalc_options=escalc_options)


def _stream(path: pathlib.Path, name: str, tmp: str, fmt: str, method: str, test: str, level: float,
            tau2_ci: bool, pi: bool, measure: str | None, id_col: str, threshold: float, maxiter: int,
            chunk_rows: int, progress: Callable[[int, float], None] | None,
            escalc_options: dict[str, Any] | None) -> dict[str, Any]:
    from .._csvtext import _DELIMITER_NAMES

    source = _open(path, name, id_col, measure, chunk_rows)
    writer = ResultWriter(tmp, fmt)
    behind = _WriteBehind(writer)
    counts: dict[str, int] = {}
    chunk_notes: list[Note] = []
    blank_rows: list[np.ndarray] = []
    run_ids: list[pa.Array] = []
    run_rows: list[np.ndarray] = []
    n_rows = n_analyses = n_fallback = n_chunks = 0
    try:
        for piece, offset, starts in _pieces(source, id_col, chunk_rows):
            rows: np.ndarray | None = None  # spreadsheet row numbers (header = row 1), made when needed
            ids = None
            if id_col in piece.column_names and piece.num_rows:
                if source.is_csv:  # wholly empty rows (",,,") are skipped with a note, as batch.run does
                    empty = _all_null(piece)
                    if empty.any():
                        rows = np.arange(offset + 2, offset + 2 + piece.num_rows, dtype=np.int64)
                        blank_rows.append(rows[empty])
                        piece = _arrow.filter(piece, ~empty)
                        rows, starts = rows[~empty], None
                        if not piece.num_rows:
                            continue
                if starts is None:
                    starts = _run_starts(piece.column(id_col))
                ids = _arrow.take(piece.column(id_col).combine_chunks(), starts)
                start_rows = rows[starts] if rows is not None else starts + (offset + 2)
                _check_grouped(ids, start_rows, name, id_col)
                run_ids.append(ids)
                run_rows.append(start_rows)
            else:
                starts = None
            fitted = None
            if measure is None and fmt == "csv" and starts is not None and ids is not None:
                fitted = _fit_plain(piece, id_col, ids, starts, method, test, level, tau2_ci, pi, threshold,
                                    maxiter)
            if fitted is None:  # anything else (or a problem to report): batch.run's own reading, on pandas
                if rows is None:
                    rows = np.arange(offset + 2, offset + 2 + piece.num_rows, dtype=np.int64)
                fitted = _fit_frame(piece, rows, path, name, method, test, level, tau2_ci, pi, measure, id_col,
                                    threshold, maxiter, escalc_options)
                if fitted is None:
                    continue
            table, n_fit, n_fb, chunk_counts, notes_here = fitted
            behind.write(table)
            n_rows += piece.num_rows
            n_analyses += n_fit
            n_fallback += n_fb
            n_chunks += 1
            for code, n in chunk_counts.items():
                counts[code] = counts.get(code, 0) + n
            chunk_notes.extend(notes_here)
            del table, fitted
            if progress is not None:
                progress(n_analyses, source.fraction())
        behind.wait()
        if n_chunks == 0 and n_rows == 0:
            _exact_error(path, name, measure, id_col, escalc_options)
            raise InputError("no data rows", file=name, fix="add at least one row")
        if writer.rows == 0:  # every row was excluded (escalc): an empty table with the output columns
            import pandas as pd

            from ._spec import OUTPUT_COLUMNS

            writer.write(pd.DataFrame({c: [] for c in ("analysis_id",) + OUTPUT_COLUMNS}))
        _check_unique(run_ids, run_rows, name, id_col)
    finally:
        behind.join()
        writer.close()
        source.close()
    notes: list[Note] = []
    if source.is_csv and source.delimiter != ",":
        notes.append(Note(NoteCode.CSV_DELIMITER,
                          f"{name} was read as {_DELIMITER_NAMES[source.delimiter]}-delimited text."))
    if blank_rows:
        notes.append(_blank_note(path, name, np.concatenate(blank_rows)))
    notes.extend(chunk_notes)
    return {"n_rows": n_rows, "n_analyses": n_analyses, "n_fallback": n_fallback, "n_chunks": n_chunks,
            "note_counts": counts, "run_notes": tuple(notes)}


class _WriteBehind:
    """Writes each result table of the pandas-free path (an Arrow table) on a thread of its own while
    the next chunk is read and fitted (pyarrow's CSV writer releases the GIL, as do the reader and the
    compiled kernel); at most one table is being written at a time, and an error in writing is raised
    by the next call.  Frames from ``batch.run``'s reader are written in line (pandas' conversion to
    Arrow holds the GIL and makes Python objects, so overlapping it would only add to the peak memory)."""

    def __init__(self, writer: ResultWriter) -> None:
        self._writer = writer
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _run(self, table: Any) -> None:
        try:
            self._writer.write(table)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by wait()
            self._error = exc

    def write(self, table: Any) -> None:
        import pyarrow as pa

        self.wait()
        if not isinstance(table, pa.Table):  # a pandas frame: converted holding the GIL, so written here
            self._writer.write(table)
            return
        self._thread = threading.Thread(target=self._run, args=(table,), name="evigrade-writer", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the table being written (its error, if any, stays for ``wait``)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wait(self) -> None:
        """Wait for the table being written and raise its error, if any."""
        self.join()
        if self._error is not None:
            exc, self._error = self._error, None
            raise exc


#: what fitting one piece gives: the result table (a pandas frame or an Arrow table), the number of
#: analyses, how many used a fallback estimator, the count of each note code, the notes about the input
_Fitted = tuple[Any, int, int, dict[str, int], "list[Note] | tuple[Note, ...]"]


def _fit_plain(piece: "pa.Table", id_col: str, ids: "pa.Array", starts: np.ndarray, method: str, test: str,
               level: float, tau2_ci: bool, pi: bool, threshold: float, maxiter: int) -> _Fitted | None:
    """A piece of the usual table -- text ids none of them empty, yi and vi numbers, every one finite,
    every vi > 0, no sei -- fitted straight from its Arrow columns (no pandas: what ``batch.run`` does
    with such a table, to the same numbers, notes and CSV bytes); None for anything else (then
    ``_fit_frame`` reads the piece as ``batch.run`` does and reports what is wrong with it)."""
    import pyarrow as pa

    names = piece.column_names
    if "yi" not in names or "vi" not in names or "sei" in names:
        return None
    id_type, cols = piece.schema.field(id_col).type, (piece.column("yi"), piece.column("vi"))
    if not (pa.types.is_string(id_type) or pa.types.is_large_string(id_type)) or ids.null_count:
        return None
    if any(c.type != pa.float64() or c.null_count for c in cols):
        return None
    if (_arrow.numbers(_arrow.compute("binary_length", ids)) == 0).any():
        return None
    yi, vi = (_arrow.numbers(c) for c in cols)
    if not (np.isfinite(yi).all() and np.isfinite(vi).all() and (vi > 0).all()):
        return None
    from .engine import Segments, fit_segments

    k = np.diff(np.append(starts, piece.num_rows)).astype(np.int64)
    fit = fit_segments(Segments.from_sizes(yi, vi, k), method=method, test=test, level=level, tau2_ci=tau2_ci,
                       pi=pi, threshold=threshold, maxiter=maxiter)
    counts: dict[str, int] = {}
    for cell in fit.notes[fit.notes != ""]:
        for code in cell.split("; "):
            counts[code] = counts.get(code, 0) + 1
    n_fallback = int(np.count_nonzero(~fit.columns["converged"]))
    return fit_table(ids, method, test, fit), len(k), n_fallback, counts, ()


def _fit_frame(piece: "pa.Table", rows: np.ndarray, path: pathlib.Path, name: str, method: str, test: str,
               level: float, tau2_ci: bool, pi: bool, measure: str | None, id_col: str, threshold: float,
               maxiter: int, escalc_options: dict[str, Any] | None) -> _Fitted | None:
    """A piece read into pandas and fitted as ``batch.run`` does (errors re-derived by the whole-file
    reader for files up to ``EXACT_LIMIT``); None when escalc excluded every row."""
    from .core import _NOTES_ATTR, _ROWS_ATTR, prepare, run_prepared, shared_rows

    df = piece.to_pandas()
    df.attrs[_ROWS_ATTR] = shared_rows(rows)
    df.attrs[_NOTES_ATTR] = ()
    try:
        prep = prepare(df, measure=measure, id_col=id_col, file=name, escalc_options=escalc_options)
    except InputError:
        _exact_error(path, name, measure, id_col, escalc_options)
        raise
    if not len(prep):
        return None
    res = run_prepared(prep, method, test, level, tau2_ci, pi, threshold=threshold, maxiter=maxiter,
                       chunk_size=max(1, len(prep)))
    n_fallback = int((~res.table["converged"].to_numpy(dtype=bool)).sum())
    return res.table, len(res.table), n_fallback, res.summary_counts(), prep.notes


def _all_null(piece: "pa.Table") -> np.ndarray:
    if not piece.num_columns:
        return np.zeros(piece.num_rows, dtype=bool)
    mask = np.ones(piece.num_rows, dtype=bool)
    for col in piece.columns:  # text columns keep NA-like cells as text; an empty one is ""
        isnull = ~_arrow.valid(col)
        if col.type == "string":
            isnull |= _arrow.numbers(_arrow.compute("binary_length", col)) == 0
        mask &= isnull
    return mask


def _blank_note(path: pathlib.Path, name: str, skipped: np.ndarray) -> Note:
    """batch.run's note about skipped blank rows (from the whole-file reader when the file is small enough)."""
    if path.stat().st_size <= EXACT_LIMIT:
        from .core import _NOTES_ATTR, _read_csv

        for note in _read_csv(path).attrs.get(_NOTES_ATTR, ()):
            if note.code == NoteCode.BLANK_ROWS_SKIPPED:
                return note
    shown = ", ".join(map(str, skipped[:10])) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
    return Note(NoteCode.BLANK_ROWS_SKIPPED, f"{name}: blank row{'s' if len(skipped) > 1 else ''} {shown} skipped (no data).")


def _check_grouped(ids: "pa.Array", rows: np.ndarray, name: str, id_col: str) -> None:
    """Refuse a chunk in which an analysis's rows come in two separate blocks."""
    if len(ids) - ids.null_count < 2 or _arrow.count_distinct(ids) == len(ids) - ids.null_count:
        return  # (a missing id is refused by prepare(), with its row)
    _refuse_split(ids.to_pylist(), rows, name, id_col)


def _refuse_split(values: list[Any], rows: np.ndarray, name: str, id_col: str) -> None:
    seen: dict[Any, int] = {}
    for v, r in zip(values, rows):
        if v in seen:
            raise InputError(f"the rows of analysis {v} are not together (rows from {seen[v]} and again from {r})",
                             file=name, row=int(r), column=id_col, value=v, fix=_SORT_FIX.format(col=id_col))
        seen[v] = int(r)


def _check_unique(run_ids: list["pa.Array"], run_rows: list[np.ndarray], name: str, id_col: str) -> None:
    """Across chunks: no analysis id may start two blocks of rows."""
    import pyarrow as pa

    if len(run_ids) < 2:
        return
    all_ids = pa.chunked_array(run_ids)
    if _arrow.count_distinct(all_ids) == len(all_ids) - all_ids.null_count:
        return
    import pyarrow.compute as pc  # (only to name a repeated id: an error)

    vc = pc.value_counts(all_ids)
    vc = vc.filter(pc.and_(pc.greater(vc.field("counts"), 1), pc.is_valid(vc.field("values"))))
    dup = vc.field("values")[0].as_py()
    hits = np.flatnonzero(pc.fill_null(pc.equal(all_ids, dup), False).to_numpy(zero_copy_only=False))
    rows = np.concatenate(run_rows)[hits]
    _refuse_split([dup] * len(rows), rows, name, id_col)
