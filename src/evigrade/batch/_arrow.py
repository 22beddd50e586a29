"""Arrow arrays to numpy and back through their buffers, without pandas.

pyarrow imports pandas (when it is installed) the first time it converts an array to numpy
(``Array.to_numpy``, ``np.asarray(array)``), builds an array from Python or numpy objects
(``pa.array``) or makes a scalar (``pa.scalar``, or a Python value given to a compute function):
about 0.3 s of CPU, more than streaming and fitting a plain 100,000-analysis CSV takes.  The
streamed ``evigrade batch`` path uses these helpers instead, so that it never loads pandas.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["numbers", "bools", "valid", "array", "strings"]


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
            return strings(distinct).take(array(idx))
    enc = [s.encode("utf-8") for s in values]
    offsets = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)), out=offsets[1:])
    large = offsets[-1] > np.iinfo(np.int32).max
    offs = offsets if large else offsets.astype(np.int32)
    return pa.Array.from_buffers(pa.large_string() if large else pa.string(), len(enc),
                                 [None, pa.py_buffer(offs), pa.py_buffer(b"".join(enc))])
