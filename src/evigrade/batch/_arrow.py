"""Arrow arrays to numpy and back through their buffers, without pandas.

pyarrow imports pandas (when it is installed) the first time it converts an array to numpy
(``Array.to_numpy``, ``np.asarray(array)``), builds an array from Python or numpy objects
(``pa.array``) or makes a scalar (``pa.scalar``, or a Python value given to a compute function):
about 0.3 s of CPU, more than streaming and fitting a plain 100,000-analysis CSV takes.  The
streamed ``evigrade batch`` path uses these helpers instead, so that it never loads pandas.

Nor does it load ``pyarrow.compute``: that module builds a Python wrapper for each of Arrow's
compute functions when it is imported (about 60 ms, a twentieth of a 100,000-analysis run), and
``Array.take``, ``Table.filter`` and ``ChunkedArray.cast`` import it on first use.  ``compute``,
``take`` and ``filter`` below call the same functions through ``call_function`` (the function
``pyarrow.compute`` wraps), which needs only the compiled ``pyarrow._compute``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

try:  # the compiled module pyarrow.compute re-exports these from (see the module docstring)
    from pyarrow._compute import CastOptions, CountOptions, MatchSubstringOptions, call_function
except ImportError:  # pragma: no cover - a pyarrow that moved them: the public (slower to import) names
    from pyarrow.compute import CastOptions, CountOptions, MatchSubstringOptions, call_function

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["numbers", "bools", "valid", "array", "strings", "compute", "take", "filter", "count_distinct",
           "cast", "has_bytes"]


#: Arrow's names of the fixed-width types whose numpy names differ
_NUMPY_NAMES = {"double": "float64", "float": "float32", "halffloat": "float16"}


def _one(arr: "pa.Array | pa.ChunkedArray") -> "pa.Array":
    import pyarrow as pa

    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def numbers(arr: "pa.Array | pa.ChunkedArray") -> np.ndarray:
    """The values of a fixed-width numeric array (float64, int64, int32, ...) as a read-only numpy view
    (entries under nulls are undefined: check ``null_count`` or ``valid`` first)."""
    a = _one(arr)
    name = str(a.type)
    dtype = np.dtype(_NUMPY_NAMES.get(name, name))
    if len(a) == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(a.buffers()[1], dtype=dtype, count=len(a), offset=a.offset * dtype.itemsize)


def _bits(buf: "pa.Buffer", offset: int, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buf, dtype=np.uint8), count=offset + n, bitorder="little")[offset:].view(bool)


def bools(arr: "pa.Array | pa.ChunkedArray") -> np.ndarray:
    """The values of a boolean array as numpy booleans (entries under nulls are undefined)."""
    a = _one(arr)
    return _bits(a.buffers()[1], a.offset, len(a)) if len(a) else np.empty(0, dtype=bool)


def valid(arr: "pa.Array | pa.ChunkedArray") -> np.ndarray:
    """True where the array has a value (not null)."""
    a = _one(arr)
    if a.null_count == 0:
        return np.ones(len(a), dtype=bool)
    return _bits(a.buffers()[0], a.offset, len(a))


def array(x: np.ndarray) -> "pa.Array":
    """A numpy array (bool, integer or float; NaN becomes null, as ``pa.array(x, from_pandas=True)``;
    object: text) as an Arrow array."""
    import pyarrow as pa

    x = np.ascontiguousarray(x)
    n = len(x)
    if x.dtype == object:
        return strings(x)
    if x.dtype == bool:
        return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(np.packbits(x, bitorder="little"))])
    if x.dtype.kind == "f":
        if x.dtype != np.float64:
            x = x.astype(np.float64)
        missing = np.isnan(x)
        mask = None
        if missing.any():
            mask = pa.py_buffer(np.packbits(~missing, bitorder="little"))
        return pa.Array.from_buffers(pa.float64(), n, [mask, pa.py_buffer(x)], null_count=int(missing.sum()))
    if x.dtype.kind in "iu":
        return pa.Array.from_buffers(pa.from_numpy_dtype(x.dtype), n, [None, pa.py_buffer(x)])
    raise TypeError(f"no Arrow array for numpy dtype {x.dtype}")


def strings(values: Sequence[str] | np.ndarray) -> "pa.Array":
    """Text values (str, none missing) as an Arrow string array."""
    import pyarrow as pa

    if len(values) > 64:  # mostly a few distinct values (the notes, method_used): encode each once
        distinct = list(dict.fromkeys(values))
        if len(distinct) * 4 < len(values):
            code = {v: i for i, v in enumerate(distinct)}
            idx = np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))
            return take(strings(distinct), idx)
    enc = [s.encode("utf-8") for s in values]
    offsets = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)), out=offsets[1:])
    large = offsets[-1] > np.iinfo(np.int32).max
    offs = offsets if large else offsets.astype(np.int32)
    return pa.Array.from_buffers(pa.large_string() if large else pa.string(), len(enc),
                                 [None, pa.py_buffer(offs), pa.py_buffer(b"".join(enc))])


def compute(name: str, *args: Any, options: Any = None) -> Any:
    """Arrow's compute function ``name`` (as ``pyarrow.compute.<name>``) on arrays, tables or Arrow
    scalars (not Python values: those would be converted through ``pa.scalar``)."""
    return call_function(name, list(args), options)


def take(values: Any, indices: Any) -> Any:
    """``values.take(indices)`` (an array, chunked array or table) for numpy or Arrow indices."""
    if isinstance(indices, np.ndarray):
        indices = array(indices.astype(np.int64, copy=False))
    return call_function("take", [values, indices])


def filter(values: Any, mask: np.ndarray) -> Any:  # noqa: A001 - Arrow's name for it
    """``values.filter(mask)`` (an array, chunked array or table) for a numpy boolean mask."""
    return call_function("filter", [values, array(np.asarray(mask, dtype=bool))])


def count_distinct(arr: "pa.Array | pa.ChunkedArray") -> int:
    """The number of distinct values, nulls not counted."""
    return int(call_function("count_distinct", [arr], CountOptions(mode="only_valid")).as_py())


def cast(arr: "pa.Array | pa.ChunkedArray", to: "pa.DataType") -> Any:
    """``arr.cast(to)`` (safe: an overflow or lost fraction is an error)."""
    return call_function("cast", [arr], CastOptions.safe(to))


def has_bytes(arr: "pa.Array | pa.ChunkedArray", chars: bytes) -> bool:
    """Does any text value hold one of the bytes ``chars``?  (Exact: a slot under a null holds no
    bytes here, as in every array pyarrow or this module builds; where some do, the regex decides.)"""
    import pyarrow as pa

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for a in chunks:
        if len(a) == 0:
            continue
        wide = pa.types.is_large_string(a.type) or pa.types.is_large_binary(a.type)
        dtype = np.dtype(np.int64 if wide else np.int32)
        bufs = a.buffers()
        offs = np.frombuffer(bufs[1], dtype=dtype, count=len(a) + 1, offset=a.offset * dtype.itemsize)
        lo, hi = int(offs[0]), int(offs[-1])
        if hi == lo or bufs[2] is None:
            continue
        data = bufs[2].slice(lo, hi - lo).to_pybytes()
        if any(bytes([c]) in data for c in chars):
            if a.null_count == 0:
                return True
            pattern = "[" + "".join("\\x%02x" % c for c in chars) + "]"
            hit = call_function("match_substring_regex", [a], MatchSubstringOptions(pattern))
            if call_function("any", [hit]).as_py():
                return True
    return False

