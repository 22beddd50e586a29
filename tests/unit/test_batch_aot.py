"""The fast edges of ``evigrade batch``: the kernel compiled ahead of time (``batch._aot``), the
pandas-free streamed path (``batch._arrow``, ``batch.io.fit_table``) and what a run imports.

The ahead-of-time module is built by ``make install-test`` (``python -m evigrade.batch._aot
--if-possible``); where it could not be built (no numba, no C compiler) its tests are skipped and
the JIT / numpy engine runs, which the other batch tests cover."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from evigrade import batch
from evigrade.batch import _aot, _arrow, stream
from evigrade.batch.engine import Segments, fit_segments
from evigrade.batch.io import fit_table
from evigrade.batch.stream import run_stream
from evigrade.batch.workload import make_workload

AOT = _aot.load()
needs_aot = pytest.mark.skipif(AOT is None, reason="the ahead-of-time kernel is not built for these sources "
                                                   "(python -m evigrade.batch._aot)")
#: the numpy engine sums in another order than the kernel (vectorised, in blocks and bands): ~1e-13
#: relative on this workload; 1e-10 is the agreement the batch engine promises between its engines
ENGINE_RTOL = 1e-10


def _cases() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The benchmark workload plus the hard cases: k = 1 and 2, variance ratios up to 1e15, equal effects."""
    df = make_workload(400, seed=11)
    ids = df["analysis_id"].to_numpy()
    k = np.diff(np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True]))
    y, v = [df["yi"].to_numpy()], [df["vi"].to_numpy()]
    rng = np.random.default_rng(3)
    extra = [1, 2, 3, 1, 2, 5, 40, 7]
    for kk in extra:
        y.append(rng.normal(size=kk))
        v.append(10.0 ** rng.uniform(-12, 3, size=kk))
    y.append(np.full(4, 0.1))
    v.append(np.array([0.01, 0.02, 0.03, 0.04]))
    return np.concatenate(y), np.concatenate(v), np.r_[k, extra, 4].astype(np.int64)


_FIT_SCRIPT = """
import json, sys, numpy as np
from evigrade.batch import _kernel
from evigrade.batch.engine import Segments, fit_segments
d = np.load(sys.argv[1])
out = {}
for method in ("FE", "DL", "PM", "ML", "REML", "EB"):
    for ci in (False, True):
        r = fit_segments(Segments.from_sizes(d["y"], d["v"], d["k"]), method=method, test="knha",
                         tau2_ci=ci, pi=True)
        cols = {c: [x.dtype.kind, x.tolist()] for c, x in r.columns.items()}
        cols["notes"] = ["O", r.notes.tolist()]
        out[f"{method}-{ci}"] = cols
print(json.dumps({"aot": _kernel._AOT is not None, "compiled": _kernel.compiled(), "fits": out}))
"""


def _fits_in(tmp_path, env: dict[str, str]) -> dict:
    y, v, k = _cases()
    np.savez(tmp_path / "cases.npz", y=y, v=v, k=k)
    proc = subprocess.run([sys.executable, "-c", _FIT_SCRIPT, str(tmp_path / "cases.npz")], capture_output=True,
                          text=True, env={**os.environ, **env}, check=True)
    return json.loads(proc.stdout.replace("NaN", "null").replace("Infinity", "1e999"))


def _compare(a: dict, b: dict, rtol: float, exact: bool) -> None:
    assert a.keys() == b.keys()
    for case in a:
        assert a[case].keys() == b[case].keys()
        for col, (kind, x) in a[case].items():
            assert b[case][col][0] == kind, (case, col)
            if kind != "f":  # counts, flags, estimator names, notes: equal
                assert x == b[case][col][1], (case, col)
                continue
            xa = np.array([np.nan if e is None else e for e in x], dtype=float)
            xb = np.array([np.nan if e is None else e for e in b[case][col][1]], dtype=float)
            if exact:
                np.testing.assert_array_equal(xa, xb, err_msg=f"{case} {col}")
            else:
                np.testing.assert_allclose(xa, xb, rtol=rtol, atol=1e-300, err_msg=f"{case} {col}")


@pytest.mark.slow
@needs_aot
def test_the_ahead_of_time_kernel_is_the_jit_kernel_bit_for_bit_and_the_numpy_engine_within_1e10(tmp_path):
    aot = _fits_in(tmp_path, {})
    jit = _fits_in(tmp_path, {"EVIGRADE_NO_AOT": "1"})
    plain = _fits_in(tmp_path, {"EVIGRADE_NO_NUMBA": "1"})
    assert (aot["aot"], aot["compiled"]) == (True, True)
    assert (jit["aot"], plain["aot"], plain["compiled"]) == (False, False, False)
    _compare(aot["fits"], jit["fits"], 0.0, exact=True)  # the same LLVM IR, compiled once more
    _compare(aot["fits"], plain["fits"], ENGINE_RTOL, exact=False)


def test_a_stale_or_missing_stamp_means_no_ahead_of_time_module(tmp_path, monkeypatch):
    monkeypatch.delenv("EVIGRADE_NO_AOT", raising=False)
    monkeypatch.delenv("EVIGRADE_NO_NUMBA", raising=False)
    stamp = tmp_path / "stamp"
    monkeypatch.setattr(_aot, "STAMP", stamp)
    assert _aot.load() is None  # no stamp
    stamp.write_text("0" * 64 + "\n", encoding="ascii")
    assert _aot.load() is None  # built from other sources
    monkeypatch.setattr(_aot, "_SOURCES", (tmp_path / "a.py",))
    (tmp_path / "a.py").write_text("x = 1\n")
    h1 = _aot.source_hash()
    (tmp_path / "a.py").write_text("x = 2\n")
    assert _aot.source_hash() != h1  # any change to a source makes the module stale


@pytest.mark.parametrize("env", [{"EVIGRADE_NO_AOT": "1"}, {"EVIGRADE_NO_NUMBA": "1"}])
def test_the_switches_turn_the_ahead_of_time_module_off(monkeypatch, env):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert _aot.load() is None


_IMPORTS_SCRIPT = """
import sys
from evigrade.cli import main
code = main(["batch", sys.argv[1], "-o", sys.argv[2], "-q"])
print(code, "pandas" in sys.modules, "numba" in sys.modules, "scipy.stats" in sys.modules, "typer" in sys.modules,
      "pydantic" in sys.modules, "pyarrow.compute" in sys.modules)
"""


def test_a_plain_csv_run_loads_neither_pandas_nor_numba_nor_typer(tmp_path):
    # (nor pyarrow.compute: about 60 ms of wrappers; batch._arrow calls Arrow's functions without them)
    make_workload(50, seed=2).to_csv(tmp_path / "in.csv", index=False)
    proc = subprocess.run([sys.executable, "-c", _IMPORTS_SCRIPT, str(tmp_path / "in.csv"), str(tmp_path / "o.csv")],
                          capture_output=True, text=True, check=True)
    code, pandas_loaded, numba_loaded, stats_loaded, typer_loaded, pydantic_loaded, compute_loaded = proc.stdout.split()
    assert (code, pandas_loaded, stats_loaded, typer_loaded, pydantic_loaded, compute_loaded) == ("0",) + ("False",) * 5
    assert numba_loaded == ("False" if AOT is not None else numba_loaded)  # (without the module: numba's JIT)
    ref = batch.run(tmp_path / "in.csv")
    batch.write_table(ref.table, tmp_path / "ref.csv")
    assert (tmp_path / "o.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


@pytest.mark.parametrize("method,tau2_ci,test", [("REML", True, "knha"), ("FE", False, "z"), ("PM", True, "z"),
                                                  ("DL", False, "knha")])
@pytest.mark.parametrize("quoted", [False, True])
def test_the_pandas_free_path_writes_batch_runs_csv_byte_for_byte(tmp_path, monkeypatch, method, tau2_ci, test,
                                                                   quoted):
    def not_this_way(*args, **kwargs):
        raise AssertionError("the piece went through pandas")

    monkeypatch.setattr(stream, "_fit_frame", not_this_way)
    df = make_workload(150, seed=7)
    # ids that look like numbers or are NA-like text; k = 1 and k = 2 analyses (notes)
    extra = pd.DataFrame({"analysis_id": ["007", "NA", "NA", "k1"], "study": [1, 1, 2, 1],
                          "yi": [0.2, -0.1, 0.4, 1e-9], "vi": [0.04, 0.02, 1e-12, 3.0]})
    df = pd.concat([df, extra])
    chunk_rows = 700
    if quoted:  # an id that must be quoted: the writer quotes every text cell of that chunk, so one chunk
        df.loc[df["analysis_id"] == df["analysis_id"].iloc[0], "analysis_id"] = 'a, "b"'
        chunk_rows = 10**6
    df.to_csv(tmp_path / "in.csv", index=False)
    res = run_stream(tmp_path / "in.csv", tmp_path / "s.csv", method, test, tau2_ci=tau2_ci, chunk_rows=chunk_rows)
    ref = batch.run(tmp_path / "in.csv", method, test, tau2_ci=tau2_ci)
    batch.write_table(ref.table, tmp_path / "ref.csv")
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert (res.n_chunks > 1) != quoted and res.n_analyses == len(ref.table)
    assert res.summary_counts() == ref.summary_counts()
    assert res.n_fallback == int((~ref.table["converged"]).sum())


def test_arrow_helpers_round_trip_without_pandas():
    x = np.array([1.5, np.nan, -0.0, 3.0])
    a = _arrow.array(x)
    assert a.type == pa.float64() and a.null_count == 1 and a.to_pylist() == [1.5, None, -0.0, 3.0]
    np.testing.assert_array_equal(_arrow.numbers(a.slice(2)), x[2:])
    np.testing.assert_array_equal(_arrow.valid(a.slice(1)), [False, True, True])
    b = _arrow.array(np.array([True, False, True, True, False, True, True, True, False, True]))
    np.testing.assert_array_equal(_arrow.bools(b.slice(3)), [True, False, True, True, True, False, True])
    ints = _arrow.array(np.arange(5, dtype=np.int64))
    assert ints.type == pa.int64() and _arrow.numbers(ints.slice(1, 3)).tolist() == [1, 2, 3]
    many = np.array(["", "k_small"] * 100 + ["é"], dtype=object)
    assert _arrow.strings(many).to_pylist() == many.tolist()
    assert _arrow.strings(["a", "", "é"]).to_pylist() == ["a", "", "é"]
    assert _arrow.numbers(pa.chunked_array([pa.array([1.0]), pa.array([2.0, 3.0])])).tolist() == [1.0, 2.0, 3.0]


def test_arrow_compute_helpers_match_pyarrow_compute():
    import pyarrow.compute as pc

    ids = pa.array(["a", "a", None, "b", "c,d", "b"])
    assert _arrow.count_distinct(ids) == pc.count_distinct(ids, mode="only_valid").as_py() == 3
    assert _arrow.count_distinct(pa.chunked_array([ids.slice(0, 2), ids.slice(3)])) == 3
    assert _arrow.take(ids, np.array([5, 0])).to_pylist() == ["b", "a"]
    table = pa.table({"id": ids, "x": pa.array([1.0, 2.0, 3.0, None, 5.0, 6.0])})
    mask = np.array([True, False, True, True, False, False])
    assert _arrow.filter(table, mask).equals(table.filter(pa.array(mask)))
    assert _arrow.compute("not_equal", ids.slice(1), ids.slice(0, 5)).equals(pc.not_equal(ids.slice(1), ids.slice(0, 5)))
    assert _arrow.cast(pa.array([True, False, None]), pa.int8()).to_pylist() == [1, 0, None]
    special = b',"\r\n'
    for values in (["a", "b"], ["a", "x,y"], ["q", 'say "hi"'], ["line\nbreak"], ["cr\r"], [], [None, "ok"]):
        for arr in (pa.array(values, type=pa.string()), pa.array(values, type=pa.large_string())):
            expect = bool(len(arr)) and bool(pc.any(pc.match_substring_regex(arr, r'[,"\r\n]')).as_py())
            assert _arrow.has_bytes(arr, special) == expect, values
            if len(arr) > 1:
                assert _arrow.has_bytes(arr.slice(1), special) == (values[1] is not None and any(
                    c in values[1] for c in ',"\r\n'))
    # bytes under a null slot (legal in Arrow) do not count
    hidden = pa.Array.from_buffers(pa.string(), 2, [pa.py_buffer(bytes([0b01])),
                                                    pa.py_buffer(np.array([0, 1, 3], dtype=np.int32)),
                                                    pa.py_buffer(b"a,b")], null_count=1)
    assert hidden.to_pylist() == ["a", None] and not _arrow.has_bytes(hidden, special)


def test_fit_table_has_batch_runs_columns_and_values():
    y, v, k = _cases()
    fit = fit_segments(Segments.from_sizes(y, v, k), method="REML", test="knha", tau2_ci=True)
    ids = pa.array([f"A{i}" for i in range(len(k))])
    table = fit_table(ids, "REML", "knha", fit)
    assert table.column_names == ["analysis_id", *batch.OUTPUT_COLUMNS]
    frame = table.to_pandas()
    for name, col in fit.columns.items():
        if col.dtype == object:
            assert frame[name].tolist() == col.tolist()
        else:
            np.testing.assert_array_equal(frame[name].to_numpy(dtype=col.dtype), col)
    assert frame["notes"].tolist() == fit.notes.tolist()
    assert set(frame["method"]) == {"REML"} and set(frame["test"]) == {"knha"}
