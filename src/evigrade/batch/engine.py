"""The vectorised engine: many independent intercept-only random-effects models at once.

Rows of all analyses sit in one long array, sorted so that each analysis is a contiguous segment.
Every per-analysis sum is one ``np.add.reduceat`` over the segments, so a Fisher-scoring step for
100,000 analyses costs a handful of passes over the rows instead of 100,000 small matrix products.

The formulas are metafor 3.8 ``rma.uni`` specialised to X = 1 (intercept only), where
P = W - w w' / sum(w), so that

* ``tr(P)   = S1 - S2/S1``
* ``tr(PP)  = S2 - 2 S3/S1 + S2^2/S1^2``
* ``Y'PY    = sum w r^2`` and ``Y'PPY = sum w^2 r^2`` with r = y - weighted mean,

with ``Sj = sum(w^j)``.  The algorithms follow metafor step by step so that results agree with it
(and with evigrade's one-at-a-time engine) to the convergence threshold:

* DL: closed form, truncated at 0 (raw value kept).
* ML/REML/EB: the one convergence path of evigrade (defined in evigrade.stats.fit, ``NEWTON_AFTER``):
  metafor's Fisher scoring from the Hedges (HE) starting value with its step halving
  (``while tau2 + adj < 0: adj /= 2``) for up to 100 updates -- the same iterates and the same
  stopping point (``|change| <= threshold``) as metafor wherever metafor converges -- then Newton
  steps on the same estimating equation where they are valid (towards a maximum, tau2 >= 0), which
  reach the maximiser also where metafor's Fisher scoring oscillates (about 2 in 100,000 analyses;
  the value metafor finds with ``stepadj=0.5``; note ``slow_convergence``).  At most ``maxiter``
  updates.  Boundary solutions (tau2 < 1e-6 min(vi) with the step at 0 pointing down) are reported
  as 0, and ML/REML get metafor's ``ll0check`` (tau2 set to 0 when the likelihood at 0 is higher),
  both as the one-at-a-time engine does.
* PM: the root of the generalised Q statistic ``Q(tau2) = k - 1`` on ``[0, max(100, 10 mad(y)^2)]``
  (widened when the root lies beyond it, note ``pm_interval_extended``, as evigrade.stats.fit);
  Q(tau2) is strictly decreasing, and a vectorised bracketed Newton iteration on 1/Q (the algorithm
  of ``evigrade.stats.fit.solve_q``, capped at ``maxiter`` iterations as there) replaces metafor's
  per-analysis ``uniroot`` (same root, to ~1e-13 relative).
* Q-profile CI for tau2 (metafor ``confint.rma.uni`` type "QP"): the same root finder for the
  chi-square quantiles, with metafor's handling of the search interval ``[0, max(100, 10 tau2)]``.

Speed (the 10,000-analysis REML benchmark; results as above, the same updates and stopping points):

* ML/REML/EB on 256+ analyses: the bulk of the Fisher-scoring updates, and the sums at tau2 = 0 and
  at the estimate, run on dense (analyses x k) arrays, one per band of similar k, padded with weight
  0 (``_Banded``): tau2 and the mean are broadcast instead of repeated along the rows and the sums
  are BLAS matrix-vector products.  The few slow analyses are handed back to the row segments.
* On the row segments the sums are taken in cache-sized blocks (``Segments.blocks``), converged
  analyses are dropped block by block (``_compact``), and gathers use row indices with ``take``.
* metafor's step halving is done in one step (``_halve_steps``, bit-identical to halving in a loop),
  on the few entries whose step would make tau2 negative only.
* The banded chunks share three work arrays (cache-resident from chunk to chunk, no fresh memory),
  and the largest weight (for the choice of the tr(P) formula) is 1/(min v + tau2), bit-identical to
  the maximum over the rows without a pass over them.

Non-convergence follows the one-at-a-time engine: ML/REML/EB that do not converge within
``maxiter`` updates fall back to PM (whose root finder is capped at ``maxiter`` iterations too),
then DL; each step is recorded in the per-analysis notes.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from .._special import ufuncs as special  # scipy.special's ufuncs without its import-time cost

from .._options import ENGINE_METHODS, ENGINE_TESTS
from ..notes import NoteCode
from .._convergence import NEWTON_AFTER, ROOT_RTOL, ROUNDING_STOP

__all__ = ["Segments", "fit_segments", "FitArrays", "METHODS", "TESTS"]

METHODS = ENGINE_METHODS
TESTS = ENGINE_TESTS

#: metafor's ``con$tol`` (``.Machine$double.eps^0.25``), used by its ``ll0check``.
_LL0_TOL = np.finfo(float).eps ** 0.25
#: Relative step size at which the Newton root finder (PM, Q-profile) stops (shared with
#: evigrade.stats.fit.solve_q).  Q(tau2) is smooth and Newton converges quadratically, so 1e-13 is
#: reached in a few steps and leaves tau2 exact to rounding (far tighter than metafor's uniroot).
_ROOT_RTOL = ROOT_RTOL
#: Iteration cap of the Q-profile root finder (the PM root finder is capped by control maxiter, as
#: in evigrade.stats.fit).  With the bisection safeguard 200 steps always suffice.
_ROOT_MAXITER = 200
#: Fisher-scoring updates taken exactly as metafor (its default maxiter, 100) before Newton steps on
#: the same estimating equation take over where they are valid -- the one convergence path of
#: evigrade, defined and explained in evigrade.stats.fit (``NEWTON_AFTER``).  Where metafor
#: converges the iterates and the stopping point are metafor's; where its Fisher scoring oscillates
#: or creeps, Newton reaches the maximiser (metafor with control=list(stepadj=0.5)).
_NEWTON_AFTER = NEWTON_AFTER
#: From this many analyses on, the bulk of the Fisher-scoring updates runs on ``_Banded`` arrays.
_BANDED_MIN = 256
#: Rows per block of the Fisher-scoring sums (see ``Segments.blocks``): a block's work arrays
#: (~12 x 8 bytes a row) fit in a 4 MiB L2 cache.
_BLOCK_ROWS = 1 << 15


def _rows_of(mask: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Row positions of the analyses selected by the boolean ``mask`` (gathering with these and
    ``take`` is ~4x faster than indexing with a row-length boolean mask)."""
    return np.flatnonzero(np.repeat(mask, k))


class Segments:
    """Rows of many analyses, grouped in contiguous segments (analysis j = rows starts[j]:starts[j]+k[j]).

    Keeps three row-length work buffers so that the iterations allocate no row-length temporaries
    (fresh multi-megabyte arrays cost page faults that can take as long as the arithmetic).
    """

    __slots__ = ("y", "v", "k", "starts", "_g", "_bufs", "_blocks", "_vmin")

    def __init__(self, y: np.ndarray, v: np.ndarray, k: np.ndarray, starts: np.ndarray) -> None:
        self.y, self.v, self.k, self.starts = y, v, k, starts
        self._g: np.ndarray | None = None
        self._bufs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._blocks: list[tuple[int, int, Segments]] | None = None
        self._vmin: np.ndarray | None = None

    @classmethod
    def from_sizes(cls, y: np.ndarray, v: np.ndarray, k: np.ndarray) -> "Segments":
        k = np.asarray(k, dtype=np.int64)
        starts = np.zeros(len(k), dtype=np.int64)
        if len(k) > 1:
            np.cumsum(k[:-1], out=starts[1:])
        return cls(np.asarray(y, dtype=float), np.asarray(v, dtype=float), k, starts)

    def __len__(self) -> int:
        return len(self.k)

    @property
    def g(self) -> np.ndarray:
        """The analysis index of every row."""
        if self._g is None:
            self._g = np.repeat(np.arange(len(self.k), dtype=np.intp), self.k)
        return self._g

    def bufs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._bufs is None:
            m = len(self.y)
            self._bufs = (np.empty(m), np.empty(m), np.empty(m))
        return self._bufs

    def vmin(self) -> np.ndarray:
        """The smallest sampling variance of every analysis (computed once)."""
        if self._vmin is None:
            self._vmin = np.minimum.reduceat(self.v, self.starts)
        return self._vmin

    def sum(self, x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x, self.starts)

    @classmethod
    def of_blocks(cls, parts: list["Segments"]) -> "Segments":
        """A working set made of separate blocks (rows not contiguous; only ``k``, ``blocks()``,
        ``subset`` of a block and ``len`` are meaningful; used by the Fisher-scoring loop)."""
        k = np.concatenate([p.k for p in parts])
        out = cls(None, None, k, None)  # type: ignore[arg-type]  # a set of blocks holds no rows of its own
        blocks, pos = [], 0
        for p in parts:
            blocks.append((pos, pos + len(p), p))
            pos += len(p)
        out._blocks = blocks
        return out

    def blocks(self) -> list[tuple[int, int, "Segments"]]:
        """The analyses cut into consecutive blocks of about ``_BLOCK_ROWS`` rows (whole analyses),
        as (first, stop, block) with the block's rows as views; one block when the set is small.

        The Fisher-scoring sums are computed block by block: a block's dozen work arrays stay in
        the CPU cache, which makes each pass over the rows ~25% faster than over all rows at once.
        Every per-analysis sum is the same reduction over the same rows, so the results are
        bit-identical to one pass over everything.
        """
        if self._blocks is None:
            n, m = len(self.k), len(self.y)
            if m <= 2 * _BLOCK_ROWS or n < 2:
                self._blocks = [(0, n, self)]
            else:
                ends = np.searchsorted(self.starts, np.arange(_BLOCK_ROWS, m, _BLOCK_ROWS))
                cuts = [0] + [int(c) for c in np.unique(ends) if 0 < c < n] + [n]
                self._blocks = [(a, b, self.part(a, b)) for a, b in zip(cuts[:-1], cuts[1:])]
        return self._blocks

    def split(self, parts: int) -> list["Segments"]:
        """At most ``parts`` consecutive parts of about equal rows (whole analyses; rows as views)."""
        n, m = len(self.k), len(self.y)
        if parts <= 1 or n < 2:
            return [self]
        cuts = np.unique(np.searchsorted(self.starts, np.linspace(0, m, parts + 1)[1:-1])).tolist()
        bounds = [0, *(c for c in cuts if 0 < c < n), n]
        return [self.part(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def part(self, a: int, b: int) -> "Segments":
        """Analyses a..b-1 (their rows as views)."""
        r0 = int(self.starts[a])
        r1 = int(self.starts[b]) if b < len(self.k) else len(self.y)
        return Segments(self.y[r0:r1], self.v[r0:r1], self.k[a:b], self.starts[a:b] - r0)

    def expand(self, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return np.repeat(a, self.k)
        return np.take(a, self.g, out=out)

    def subset(self, mask: np.ndarray) -> "Segments":
        rows = _rows_of(mask, self.k)
        return Segments.from_sizes(self.y.take(rows), self.v.take(rows), self.k[mask])


def _blockwise(fn: Callable[..., tuple[Any, ...]], seg: Segments, tau2: np.ndarray | None,
               *args: Any) -> tuple[Any, ...]:
    """``fn(seg, tau2, *args)`` (a tuple of per-analysis arrays or None) block by block."""
    blocks = seg.blocks()
    if len(blocks) == 1:
        return fn(seg, tau2, *args)
    parts = [fn(b, None if tau2 is None else tau2[i:j], *args) for i, j, b in blocks]
    return tuple(None if p[0] is None else np.concatenate(p) for p in zip(*parts))


def _moments(seg: Segments, tau2: np.ndarray, want: str):
    """``_moments_block`` computed block by block (see ``Segments.blocks``)."""
    return _blockwise(_moments_block, seg, tau2, want)


def _moments_newton(seg: Segments, tau2: np.ndarray, need_wr2: bool = False):
    """``_moments_newton_block`` computed block by block (see ``Segments.blocks``)."""
    return _blockwise(_moments_newton_block, seg, tau2, need_wr2)


def _weighted_residuals(seg: Segments, tau2: np.ndarray):
    """(work buffer, w, S1, r) at weights w = 1/(v + tau2), r = y - weighted mean (r in a work buffer)."""
    a = seg.bufs()[0]
    w = np.repeat(tau2, seg.k)  # (np.repeat is ~3x faster than np.take(..., out=))
    np.add(w, seg.v, out=w)
    np.reciprocal(w, out=w)
    s1 = seg.sum(w)
    np.multiply(w, seg.y, out=a)
    mu = seg.sum(a) / s1
    b = np.repeat(mu, seg.k)
    np.subtract(seg.y, b, out=b)
    return a, w, s1, b


def _moments_block(seg: Segments, tau2: np.ndarray, want: str):
    """Per-analysis sums at weights w = 1/(v + tau2), in the work buffers (no row-length allocation).

    Returns (S1, sum w r^2, sum w^2 r^2, S2, S3) where r = y - weighted mean; quantities not needed
    for ``want`` ("q": Q and dQ; "ML", "REML", "EB") are None.
    """
    a, w, s1, b = _weighted_residuals(seg, tau2)
    np.multiply(b, b, out=b)  # r^2
    np.multiply(w, b, out=b)  # w r^2
    if want == "EB":
        return s1, seg.sum(b), None, None, None
    q = seg.sum(b) if want == "q" else None
    np.multiply(w, b, out=b)  # w^2 r^2
    w2r2 = seg.sum(b)
    if want == "q":
        return s1, q, w2r2, None, None
    np.multiply(w, w, out=a)  # w^2
    s2 = seg.sum(a)
    if want == "ML":
        return s1, None, w2r2, s2, None
    np.multiply(a, w, out=a)  # w^3
    return s1, None, w2r2, s2, seg.sum(a)


def _moments_newton_block(seg: Segments, tau2: np.ndarray, need_wr2: bool = False):
    """(S1, sum w r^2, sum w^2 r^2, S2, S3, sum w^2 r, sum w^3 r^2): what a Newton step on the ML,
    REML or EB estimating equation needs (Y'PPPY = sum w^3 r^2 - (sum w^2 r)^2 / S1)."""
    a, w, s1, b = _weighted_residuals(seg, tau2)  # b = r
    np.multiply(w, b, out=a)  # w r
    if need_wr2:
        np.multiply(a, b, out=b)  # w r^2
        wr2 = seg.sum(b)
    else:
        wr2 = None
    np.multiply(a, a, out=b)  # w^2 r^2
    w2r2 = seg.sum(b)
    np.multiply(b, w, out=b)  # w^3 r^2
    w3r2 = seg.sum(b)
    np.multiply(a, w, out=a)  # w^2 r
    w2r = seg.sum(a)
    np.multiply(w, w, out=a)  # w^2
    s2 = seg.sum(a)
    np.multiply(a, w, out=a)  # w^3
    s3 = seg.sum(a)
    return s1, wr2, w2r2, s2, s3, w2r, w3r2


def _qgen(seg: Segments, tau2):
    """Generalised Q and its derivative in tau2 (the derivative through mu vanishes)."""
    if np.ndim(tau2) == 0:
        tau2 = np.full(len(seg), float(tau2))
    _, q, w2r2, _, _ = _moments(seg, tau2, "q")
    return q, -w2r2


def _solve_q(seg: Segments, target: np.ndarray, start: np.ndarray, hi: np.ndarray, maxiter: int = _ROOT_MAXITER):
    """Solve Q(tau2) = target for every analysis (requires Q(start) >= target >= Q(hi)).

    Q is strictly decreasing in tau2, so the root is unique.  Newton's method is applied to
    1/Q(tau2) - 1/target, which is close to linear in tau2 (Q ~ c / (v + tau2)), so it needs about
    three steps; the step equals the Newton step on Q scaled by Q/target.  A bracket [lo, hi] is
    kept from the sign of Q - target at every iterate and a step that leaves it is replaced by
    bisection, so the iteration cannot fail.  Returns (root, converged, iterations).
    """
    n = len(seg)
    t = np.array(start, dtype=float, copy=True)
    lo_b = t.copy()
    hi_b = np.array(hi, dtype=float, copy=True)
    conv = np.zeros(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    sub = seg
    for _ in range(maxiter):
        if active.size == 0:
            break
        ta = t[active]
        q, dq = _qgen(sub, ta)
        tg = target[active]
        above = q >= tg
        lo = np.where(above, ta, lo_b[active])
        hb = np.where(above, hi_b[active], ta)
        lo_b[active] = lo
        hi_b[active] = hb
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (q - tg) / (-dq) * (q / tg)
        new = ta + step
        bad = ~np.isfinite(new) | (new < lo) | (new > hb)
        new = np.where(bad, 0.5 * (lo + hb), new)
        done = (np.abs(new - ta) <= _ROOT_RTOL * np.maximum(1.0, np.abs(new))) | (hb - lo <= _ROOT_RTOL * np.maximum(1.0, hb))
        t[active] = new
        iters[active] += 1
        conv[active[done]] = True
        if done.any():
            keep = ~done
            active = active[keep]
            sub = sub.subset(keep)
    return t, conv, iters


@dataclass(slots=True)
class FitArrays:
    """Per-analysis results as arrays (one entry per analysis, in segment order)."""

    columns: dict[str, np.ndarray]
    notes: np.ndarray  # object array of "; "-joined note codes ("" for none)

    @classmethod
    def concat(cls, parts: list["FitArrays"]) -> "FitArrays":
        """The results of consecutive parts, joined in order."""
        if len(parts) == 1:
            return parts[0]
        return cls({name: np.concatenate([p.columns[name] for p in parts]) for name in parts[0].columns},
                   np.concatenate([p.notes for p in parts]))


def _he_init(seg: Segments) -> np.ndarray:
    """metafor's Hedges (HE) starting value for Fisher scoring (block by block, see Segments.blocks)."""
    return _blockwise(_he_block, seg, None)[0]


def _he_block(seg: Segments, _unused=None):
    k = seg.k.astype(float)
    ybar = seg.sum(seg.y) / k
    d = seg.bufs()[0]
    np.subtract(seg.y, np.repeat(ybar, seg.k), out=d)
    np.square(d, out=d)
    rss = seg.sum(d)
    trpv = seg.sum(seg.v) * (1.0 - 1.0 / k)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((rss - trpv) / (k - 1.0),)


def _fisher_scoring(seg: Segments, method: str, threshold: float, maxiter: int, banded=None):
    """metafor's Fisher scoring for ML/REML/EB, vectorised; returns tau2, converged, iterations."""
    n = len(seg)
    tau2 = np.maximum(0.0, _he_init(seg))
    tau2 = np.where(np.isfinite(tau2), tau2, 0.0)
    conv = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    kf_all = seg.k.astype(float)
    # k = 1 analyses give 0/0 here; their result is replaced by the k = 1 convention afterwards
    with np.errstate(divide="ignore", invalid="ignore"):
        it = 0
        if banded is not None or n >= _BANDED_MIN:
            # Phase 1: the bulk of the updates on dense (analyses x k) arrays (see ``_Banded``),
            # until few analyses are left (or update _NEWTON_AFTER).  Phase 2: the rest on the
            # row segments, from the next update on, to the end (Newton steps included).  The
            # updates of an analysis do not depend on which others share its arrays.
            band, order = banded if banded is not None else _Banded.build(seg)
            it = _fisher_loop(band, order, 0, _NEWTON_AFTER, method, threshold, maxiter, tau2, conv, failed,
                              iters, kf_all)
        rest = ~(conv | failed)
        if rest.any():
            sub = seg if rest.all() else seg.subset(rest)
            _fisher_loop(sub, np.flatnonzero(rest), it, None, method, threshold, maxiter, tau2, conv, failed,
                         iters, kf_all)
    return tau2, conv & ~failed, iters


# long: metafor's Fisher-scoring update loop, vectorised with in-place freezing and compaction; split, its state would pass through a dozen arrays
def _fisher_loop(sub, idx, it, stop, method, threshold, maxiter, tau2, conv, failed, iters, kf_all):
    """Fisher-scoring updates it + 1, it + 2, ... (at most up to update ``stop``) for the analyses
    ``idx`` whose rows are ``sub``, starting from ``tau2[idx]``; writes tau2, conv, failed and
    iters in place.  Converged analyses are frozen at once (their step is set to 0); the working
    set is compacted block by block (``_compact``)."""
    n = len(idx)
    live = np.ones(n, dtype=bool)  # which of them are still iterating
    tloc = tau2[idx]
    kf = kf_all[idx]
    prev_abs = np.full(n, np.inf)
    prev_newton = np.zeros(n, dtype=bool)
    banded = isinstance(sub, _Banded)
    while True:
        it += 1
        newton = it > _NEWTON_AFTER
        if newton:
            s1, wr2, w2r2, s2, s3, w2r, w3r2 = _moments_newton(sub, tloc, method == "EB")
        elif banded:
            s1, wr2, w2r2, s2, s3 = sub.moments(tloc, method)
        else:
            s1, wr2, w2r2, s2, s3 = _moments(sub, tloc, method)
        if method == "REML":
            s2_s1 = s2 / s1
            score = w2r2 - (s1 - s2_s1)
            info = s2 - 2.0 * s3 / s1 + s2_s1 * s2_s1
            adj = score / info
            if newton:
                curv = 2.0 * (w3r2 - w2r * w2r / s1) - info
        elif method == "ML":
            score = w2r2 - s1
            info = s2
            adj = score / s2
            if newton:
                curv = 2.0 * (w3r2 - w2r * w2r / s1) - s2
        else:  # EB
            score = wr2 * kf / (kf - 1.0) - kf
            info = s1
            adj = score / s1
            if newton:
                curv = w2r2 * kf / (kf - 1.0)
        # the rounding scale of the step (evigrade.stats.fit.step_scale, vectorised; for REML also
        # the terms S1 and S2/S1 of tr(P) in the textbook form used here, which cancel)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (np.abs(score) + 2.0 * (kf if method == "EB" else np.sqrt(kf * info))) / info
            if method == "REML":
                scale = np.fmax(scale, (np.abs(w2r2) + s1 + s2_s1) / info)
        scale = np.where(info > 0.0, scale, 0.0)
        if newton:
            # Newton on the same estimating equation (quadratic convergence) where the curvature
            # has the right sign and the step keeps tau2 >= 0; Fisher scoring otherwise.
            with np.errstate(divide="ignore", invalid="ignore"):
                nstep = score / curv
            use = (curv > 0.0) & (tloc + nstep >= 0.0) & np.isfinite(nstep)
            adj = np.where(use, nstep, adj)
        else:
            use = None
        # NaN -> 0, as metafor (and an infinite step, as evigrade.stats); frozen analyses do not move
        adj = np.where(np.isfinite(adj) & live, adj, 0.0)
        new = tloc + adj
        ni = np.flatnonzero(new < 0.0)
        if ni.size:
            # step halving exactly as metafor: while (tau2 + adj < tau2.min) adj <- adj/2.
            # With tau2 == 0 and adj < 0 metafor halves until adj underflows to 0; do that directly.
            # (on the few entries concerned only; the others keep their step and new value)
            tn = tloc.take(ni)
            an = adj.take(ni)
            an[tn <= 0.0] = 0.0
            _halve_steps(tn, an, np.ones(ni.size, dtype=bool))
            adj[ni] = an
            new[ni] = tn + an
        tloc = new
        aabs = np.abs(adj)
        # |change| <= threshold or <= the rounding level of tau2 (as evigrade.stats.fit)
        done = aabs <= np.maximum(threshold, ROUNDING_STOP * np.fmax(tloc, scale))
        if use is not None:
            # two Newton steps in a row in the quadratic phase: the next change would be about
            # |d_k|^3 / |d_(k-1)|^2; stop when that is below the threshold (saves the last pass)
            quad = use & prev_newton & (aabs <= 1e-6) & (aabs < prev_abs)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                done |= quad & (aabs * aabs * aabs <= threshold * prev_abs * prev_abs)
            prev_newton = use
        prev_abs = aabs
        done &= live
        any_done = bool(done.any())
        if any_done:
            dj = idx[done]
            iters[dj] = it
            conv[dj] = True
            live &= ~done
        if it >= maxiter:
            # at most maxiter updates (metafor's meaning, and evigrade.stats.fit's)
            failed[idx[live]] = True
            iters[idx[live]] = it
            break
        nlive = int(np.count_nonzero(live))
        if nlive == 0 or it == stop or (banded and nlive <= sub.handoff):
            break
        if any_done:
            compacted = sub.compact(live) if banded else _compact(sub, live)
            if compacted is not None:
                sub, keep = compacted
                tau2[idx] = tloc
                kp = np.flatnonzero(keep)  # (one index array, then cheap gathers)
                idx = idx.take(kp)
                tloc = tloc.take(kp)
                prev_abs = prev_abs.take(kp)
                prev_newton = prev_newton.take(kp)
                kf = kf_all.take(idx)
                live = live.take(kp)
    tau2[idx] = tloc
    return it


class _Banded:
    """The working set of the Fisher-scoring loop as dense 2-D arrays: the analyses sorted by k
    and cut into bands of similar k, each band an (analyses x K) array padded with y = 0 and
    v = inf (weight exactly 0, so padding adds exact zeros to every sum), cut into cache-sized
    chunks.  Against the row segments this saves the two ``np.repeat`` passes of every update
    (tau2 and the mean are broadcast along the rows) and replaces ``np.add.reduceat`` by a
    matrix-vector product (BLAS), which together make an update ~35% cheaper; the padding costs
    ~8% more elements.  The sums are the same sums, added in another order (rounding-level
    differences only).  ``handoff``: below this many iterating analyses the loop hands the rest
    to the row segments (a few numpy calls per chunk and update would dominate then).
    """

    __slots__ = ("chunks", "n", "handoff")

    def __init__(self, chunks: list, handoff: int) -> None:
        self.chunks = chunks  # (first, stop, Y, V, ones, W, A, B), in working-set order
        self.n = chunks[-1][1] if chunks else 0
        self.handoff = handoff

    def __len__(self) -> int:
        return self.n

    @classmethod
    def build(cls, seg: Segments) -> tuple["_Banded", np.ndarray]:
        """The banded working set of all analyses of ``seg`` and its order (analysis indices)."""
        k = seg.k
        order = np.argsort(k, kind="stable")
        ks = k[order]
        n = len(k)
        chunks, pos, i = [], 0, 0
        m = len(seg.y)
        # padding cells gather a sentinel row (y = 0, v = inf) appended at position m
        yx = np.empty(m + 1)
        yx[:m] = seg.y
        yx[m] = 0.0
        vx = np.empty(m + 1)
        vx[:m] = seg.v
        vx[m] = np.inf
        while i < n:
            top = max(int(ks[i]) + 2, int(ks[i] * 1.15))  # padding <= ~15% (<= 2 rows for small k)
            j = max(i + 1, int(np.searchsorted(ks, top, side="right")))
            an = order[i:j]
            kmax = int(ks[j - 1])
            cols = np.arange(kmax)
            rows = np.where(cols[None, :] < k[an][:, None], seg.starts[an][:, None] + cols[None, :], m)
            y = yx.take(rows)
            v = vx.take(rows)
            step = max(1, _BLOCK_ROWS // max(kmax, 1))  # cache-sized chunks (views of the band)
            for a in range(0, j - i, step):
                b = min(j - i, a + step)
                chunks.append((pos, y[a:b], v[a:b]))
                pos += b - a
            i = j
        # the chunks are processed one after the other, so they share three work arrays (views of
        # flat buffers the size of the largest chunk): no fresh memory per chunk, and the work
        # arrays stay in the CPU cache from one chunk to the next
        size = max((y.size for _, y, _ in chunks), default=0)
        flat = (np.empty(size), np.empty(size), np.empty(size))
        out = []
        for pos, y, v in chunks:
            shape = y.shape
            work = tuple(f[: y.size].reshape(shape) for f in flat)
            out.append((pos, pos + shape[0], y, v, np.ones(shape[1])) + work)
        return cls(out, max(64, n // 16)), order

    def moments(self, tau2: np.ndarray, want: str):
        """(S1, sum w r^2, sum w^2 r^2, S2, S3) as ``_moments`` (None where not needed)."""
        parts = []
        for a, b, y, v, one, w, t1, t2 in self.chunks:
            np.add(v, tau2[a:b, None], out=w)
            np.reciprocal(w, out=w)
            s1 = w @ one
            np.multiply(w, y, out=t1)
            mu = (t1 @ one) / s1
            np.subtract(y, mu[:, None], out=t2)  # r (padding: weight 0 below)
            if want == "EB":
                np.multiply(t2, t2, out=t2)
                np.multiply(t2, w, out=t2)
                parts.append((s1, t2 @ one, None, None, None))
                continue
            np.multiply(t2, w, out=t2)  # w r
            np.multiply(t2, t2, out=t2)  # w^2 r^2
            w2r2 = t2 @ one
            np.multiply(w, w, out=t1)
            s2 = t1 @ one
            s3 = None
            if want == "REML":
                np.multiply(t1, w, out=t1)
                s3 = t1 @ one
            parts.append((s1, None, w2r2, s2, s3))
        if len(parts) == 1:
            return parts[0]
        return tuple(None if p[0] is None else np.concatenate(p) for p in zip(*parts))

    def sums_at(self, tau2: np.ndarray | None, pp: bool):
        """(S1, mu, RSS, S2, tr(P), sum(P*P) or None) at w = 1/(v + tau2) (1/v for None),
        in working-set order, as ``_sums_at_block`` (tr(P), sum(P*P) by the fast formulas)."""
        parts = []
        for a, b, y, v, one, w, t1, t2 in self.chunks:
            if tau2 is None:
                np.divide(1.0, v, out=w)
            else:
                np.add(v, tau2[a:b, None], out=w)
                np.divide(1.0, w, out=w)
            s1 = w @ one
            np.multiply(w, y, out=t1)
            mu = (t1 @ one) / s1
            np.subtract(y, mu[:, None], out=t2)  # r
            np.multiply(w, t2, out=t1)
            np.multiply(t1, t2, out=t1)  # (w r) r
            rss = t1 @ one
            np.multiply(w, w, out=t1)
            s2 = t1 @ one
            s2_s1 = s2 / s1
            ppsum = None
            if pp:
                np.multiply(t1, w, out=t1)
                ppsum = s2 - 2.0 * (t1 @ one) / s1 + s2_s1 * s2_s1
            parts.append((s1, mu, rss, s2, s1 - s2_s1, ppsum))
        return tuple(None if p[0] is None else np.concatenate(p) for p in zip(*parts))

    def compact(self, live: np.ndarray, keep_frac: float = 0.9):
        """As ``_compact``: chunks with fewer than ``keep_frac`` of their analyses iterating are
        re-gathered, empty ones dropped.  Returns None or (new working set, kept mask)."""
        change = False
        keep = np.ones(self.n, dtype=bool)
        chunks, pos = [], 0
        for c in self.chunks:
            a, b = c[0], c[1]
            lv = live[a:b]
            nl = int(np.count_nonzero(lv))
            if nl >= keep_frac * (b - a):
                chunks.append((pos, pos + b - a) + c[2:])
                pos += b - a
                continue
            change = True
            keep[a:b] = lv
            if nl:
                sel = np.flatnonzero(lv)
                # the gathered rows, and the leading rows of the old work arrays (views, no allocation)
                chunks.append((pos, pos + nl, c[2].take(sel, axis=0), c[3].take(sel, axis=0), c[4],
                               c[5][:nl], c[6][:nl], c[7][:nl]))
                pos += nl
        if not change:
            return None
        return _Banded(chunks, self.handoff), keep


def _compact(sub: Segments, live: np.ndarray, keep_frac: float = 0.75):
    """Drop converged analyses from the working set of the Fisher-scoring loop, block by block.

    A block (see ``Segments.blocks``) is re-gathered when fewer than ``keep_frac`` of its analyses
    are still iterating, and dropped when none is; other blocks are kept as they are (their frozen
    analyses ride along with step 0).  Gathering a cache-sized block is cheap, and the rows iterated
    stay close to those of the live analyses.  When the working set is small it is merged into one
    contiguous block (fewer numpy calls per iteration).  Returns None when nothing changes, else
    (new working set, mask over the old working set's analyses of those kept).
    """
    blocks = sub.blocks()
    bounds = np.array([a for a, _, _ in blocks] + [len(sub)])
    nlive = np.add.reduceat(live.astype(np.int64), bounds[:-1]) if len(blocks) > 1 else [int(np.count_nonzero(live))]
    size = np.diff(bounds)
    shrink = [nl < keep_frac * sz for nl, sz in zip(nlive, size)]
    if not any(shrink):
        return None
    keep = np.ones(len(sub), dtype=bool)
    parts = []
    for (a, b, blk), sh in zip(blocks, shrink):
        if sh:
            lv = live[a:b]
            keep[a:b] = lv
            if lv.any():
                parts.append(blk.subset(lv))
        else:
            parts.append(blk)
    rows = sum(len(p.y) for p in parts)
    if rows <= _BLOCK_ROWS or len(parts) <= 1:
        # small (or one part): one contiguous block
        if len(parts) == 1:
            return parts[0], keep
        if not parts:
            return Segments.from_sizes(np.empty(0), np.empty(0), np.empty(0, np.int64)), keep
        return Segments.from_sizes(np.concatenate([p.y for p in parts]), np.concatenate([p.v for p in parts]),
                                   np.concatenate([p.k for p in parts])), keep
    return Segments.of_blocks(parts), keep


_TINY = np.finfo(float).tiny


def _halve_steps(t: np.ndarray, adj: np.ndarray, neg: np.ndarray) -> None:
    """metafor's step halving ``while (t + adj < 0) adj <- adj/2``, in place, for the entries
    ``neg`` (t > 0 there, or adj already 0), with the number of halvings computed directly.

    Halving is exact (a power-of-2 scaling) unless the result is subnormal, and the sign of a
    rounded sum t + a is the sign of the exact sum, so the loop stops after exactly
    m = ceil(log2(-adj / t)) halvings.  log2 is rounded, so m is corrected by one either way with
    the same floating-point test as the loop; results are bit-identical to halving one step at a
    time (hundreds of passes over the working set per iteration in the worst case).  Entries whose
    halved step would be subnormal (t < ~1e-292) are left to the one-at-a-time loop.
    """
    idx = np.flatnonzero(neg & (t + adj < 0.0))
    if idx.size == 0:
        return
    ti, ai = t[idx], adj[idx]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = np.ceil(np.log2(-ai / ti))
    ok = np.isfinite(m) & (ti > 0.0)
    m = np.where(ok, np.clip(m, 1.0, 2000.0), 0.0).astype(np.int64)
    a = np.ldexp(ai, -m)
    back = (m > 1) & (ti + (a + a) >= 0.0)  # m one too high: a halving fewer already stops the loop
    a[back] += a[back]
    short = ti + a < 0.0  # m one too low
    a[short] *= 0.5
    exact = ok & (np.abs(a) >= _TINY * 4.0)  # no subnormal anywhere along the way
    adj[idx[exact]] = a[exact]
    # the rest (subnormal steps, and any m still short) one halving at a time, as metafor
    bad = idx[t[idx] + adj[idx] < 0.0]
    while bad.size:
        adj[bad] *= 0.5
        bad = bad[t[bad] + adj[bad] < 0.0]


def _mad(seg: Segments) -> np.ndarray:
    """R's mad() (1.4826 x median absolute deviation from the median) of y, per analysis."""
    g = np.repeat(np.arange(len(seg)), seg.k)

    def seg_median(x):
        order = np.lexsort((x, g))
        xs = x[order]
        lo = seg.starts + (seg.k - 1) // 2
        hi = seg.starts + seg.k // 2
        return 0.5 * (xs[lo] + xs[hi])

    med = seg_median(seg.y)
    return 1.4826 * seg_median(np.abs(seg.y - seg.expand(med)))


def _pm(seg: Segments, maxiter: int = 1000):
    """Paule-Mandel: root of Q(tau2) = k - 1 on [0, max(100, 10 mad(y)^2)] (0 when Q(0) < k - 1).

    As evigrade.stats.fit: where Q at the upper end is still above k - 1 the root lies beyond
    metafor's default interval (metafor stops with "tau2.max too low"); Q decreases to 0, so the
    interval is widened (x4, up to 60 times) and the analysis gets the note ``pm_interval_extended``.
    The root finder is capped at ``maxiter`` iterations (metafor's uniroot(maxiter=)).
    Returns (tau2, converged, iterations, widened).
    """
    n = len(seg)
    target = seg.k.astype(float) - 1.0
    # mad(y) <= 1.4826 (max y - min y): compute the medians only where that bound can exceed 100
    spread = np.maximum.reduceat(seg.y, seg.starts) - np.minimum.reduceat(seg.y, seg.starts)
    tau2_max = np.full(n, 100.0)
    wide = 10.0 * (1.4826 * spread) ** 2 > 100.0
    if wide.any():
        tau2_max[wide] = np.maximum(100.0, 10.0 * _mad(seg.subset(wide)) ** 2)
    q0, _ = _qgen(seg, np.zeros(n))
    qmax, _ = _qgen(seg, tau2_max)
    tau2 = np.zeros(n)
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    need0 = q0 >= target
    widened = need0 & (qmax > target)
    if widened.any():
        idx = np.flatnonzero(widened)
        sub = seg.subset(widened)
        tm, qm, tg = tau2_max[idx], qmax[idx], target[idx]
        for _ in range(60):
            up = qm > tg
            if not up.any():
                break
            tm = np.where(up, tm * 4.0, tm)
            qm = np.where(up, _qgen(sub, tm)[0], qm)
        tau2_max[idx] = tm
        qmax[idx] = qm
    too_high = ~(qmax <= target) & need0  # also NaN
    conv[too_high] = False
    tau2[too_high] = np.nan
    need = need0 & ~too_high
    if need.any():
        sub = seg.subset(need)
        root, c, it = _solve_q(sub, target[need], np.zeros(int(need.sum())), tau2_max[need], maxiter)
        tau2[need] = root
        conv[need] = c
        iters[need] = it
        tau2[need & ~conv] = np.nan
    return tau2, conv, iters, widened & conv


def _crit_by_df(df: np.ndarray, fn) -> np.ndarray:
    """Evaluate a quantile function once per distinct df (many analyses share k)."""
    whole = df.astype(np.int64)
    if len(df) and (whole == df).all() and 0 <= whole.min() and whole.max() <= 4 * len(df) + 1024:
        # df = k - 1: the distinct values from a count over 0..max df instead of a sort (bit-identical)
        present = np.flatnonzero(np.bincount(whole))
        table = np.empty(int(present[-1]) + 1)
        table[present] = fn(present.astype(float))
        return table[whole]
    uniq, inv = np.unique(df, return_inverse=True)
    return fn(uniq)[inv]


class _Notes:
    """Per-analysis note codes, recorded as one bit per ``add`` call ("site") in a signature.

    An analysis's notes are the codes of the sites that included it, in the order of the sites
    (each code once).  The order of the sites is fixed by the code path, so the notes of an
    analysis do not depend on which other analyses were fitted with it (chunks, Dask partitions,
    the numpy and the compiled engine agree).  ``column`` builds one string per distinct signature.
    """

    __slots__ = ("n", "sig", "sites")

    def __init__(self, n: int) -> None:
        self.n = n
        self.sig = np.zeros(n, dtype=np.uint64)
        self.sites: list[str] = []  # code of each bit

    def add(self, where: np.ndarray, code: str) -> None:
        """Record ``code`` (an ``evigrade.notes.NoteCode``) for the analyses ``where`` (mask or indices)."""
        where = np.asarray(where)
        if where.dtype == bool:
            if not where.any():
                return
        elif where.size == 0:
            return
        if len(self.sites) >= 64:  # pragma: no cover - the engine has about 25 sites
            raise RuntimeError("too many note sites for a 64-bit signature")
        bit = np.uint64(1) << np.uint64(len(self.sites))
        self.sites.append(str(code))
        self.sig[where] |= bit

    def column(self) -> np.ndarray:
        if not self.sites:
            out = np.empty(self.n, dtype=object)
            out.fill("")  # (np.full would make a new str object per entry)
            return out
        if len(self.sites) <= 16:  # the distinct signatures from a count instead of a sort
            sig = self.sig.astype(np.intp)
            uniq = np.flatnonzero(np.bincount(sig))
            lookup = np.empty(int(uniq[-1]) + 1, dtype=object)
            lookup[uniq] = [self._text(s) for s in uniq.tolist()]
            return lookup[sig]
        uniq, inv = np.unique(self.sig, return_inverse=True)
        return np.asarray([self._text(s) for s in uniq.tolist()], dtype=object)[inv.reshape(-1)]

    def _text(self, s: int) -> str:
        """The notes of signature ``s``: the codes of its sites, each once, in site order."""
        return "; ".join(dict.fromkeys(c for b, c in enumerate(self.sites) if (s >> b) & 1))


def _unpermute(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    out[order] = x
    return out


def _sums_at_block(seg: Segments, tau2: np.ndarray | None, pp: bool):
    """At w = 1/(v + tau2) (w = 1/v for None): S1, mu, RSS = sum w r^2, S2, tr(P) by the fast
    formula, sum(P*P) by the fast formula (if ``pp``) and the largest weight, per analysis."""
    w, a, _ = seg.bufs()
    if tau2 is None:
        np.divide(1.0, seg.v, out=w)
    else:
        t = np.repeat(tau2, seg.k)
        np.add(seg.v, t, out=t)
        np.divide(1.0, t, out=w)
    s1 = seg.sum(w)
    np.multiply(w, seg.y, out=a)
    mu = seg.sum(a) / s1
    r = np.repeat(mu, seg.k)
    np.subtract(seg.y, r, out=r)
    np.multiply(w, r, out=a)
    np.multiply(a, r, out=a)  # (w r) r, as metafor's and the one-at-a-time engine's w r^2
    rss = seg.sum(a)
    np.multiply(w, w, out=a)
    s2 = seg.sum(a)
    s2_s1 = s2 / s1
    trp = s1 - s2_s1
    ppsum = None
    if pp:
        np.multiply(a, w, out=a)
        ppsum = s2 - 2.0 * seg.sum(a) / s1 + s2_s1 * s2_s1
    wmax = np.maximum.reduceat(w, seg.starts)
    return s1, mu, rss, s2, trp, ppsum, wmax


def _sums_at(seg: Segments, tau2: np.ndarray | None, pp: bool, banded=None):
    """(S1, mu, RSS, S2, tr(P), sum(P*P) or None) at w = 1/(v + tau2) (w = 1/v for None), block by
    block (see ``Segments.blocks``) or on the banded arrays of ``banded`` (see ``_Banded``).

    tr(P) and sum(P*P) for P = W - w w' / S1: the textbook forms S1 - S2/S1 and
    S2 - 2 S3/S1 + S2^2/S1^2 cancel catastrophically when one weight dominates (a study with
    vi = 1e-6 next to vi ~ 0.5 loses 7 digits); they lose at most ~100 eps while the largest weight
    is below 0.9 S1, so they are used there (fast), and the analyses where one weight carries more
    than 90% of the total go through ``_trp_ppsum_stable`` (exact to rounding)."""
    if banded is None:
        s1, mu, rss, s2, trp, ppsum, wmax = _blockwise(_sums_at_block, seg, tau2, pp)
    else:  # the same sums on the banded arrays (see _Banded), back in segment order
        band, order = banded
        parts = band.sums_at(None if tau2 is None else tau2[order], pp)
        s1, mu, rss, s2, trp, ppsum = (None if x is None else _unpermute(x, order) for x in parts)
        # the largest weight is the weight of the smallest v: fl(1/fl(v + t)) is monotone in v, so
        # this is bit-identical to the maximum over the rows (and needs no pass over them)
        vmin = seg.vmin()
        wmax = 1.0 / vmin if tau2 is None else 1.0 / (vmin + tau2)
    hard = wmax > 0.9 * s1
    if hard.any():
        rows = _rows_of(hard, seg.k)
        sub = Segments.from_sizes(seg.y.take(rows), seg.v.take(rows), seg.k[hard])
        w = 1.0 / sub.v if tau2 is None else 1.0 / (sub.v + sub.expand(tau2[hard]))
        trp_h, pp_h = _trp_ppsum_stable(sub, w, s1[hard])
        trp[hard] = trp_h
        if pp:
            ppsum[hard] = pp_h
    return s1, mu, rss, s2, trp, ppsum


def _trp_ppsum_stable(seg: Segments, w: np.ndarray, s1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tr(P) = sum w_i c_i and sum(P*P) = sum w_i^2 c_i^2 + sum_i w_i^2 (S2 - w_i^2) / S1^2 with
    c_i = 1 - w_i / S1: only the largest weight of each analysis can cancel, so for it c_i and
    S2 - w_i^2 are computed from the sums over the other studies.  (evigrade.stats works with the
    matrix P itself, as metafor, whose largest diagonal entry carries a relative error of
    eps / c_max; this is exact to rounding, checked against rational arithmetic.)"""
    rows = np.arange(len(w))
    wmax = np.maximum.reduceat(w, seg.starts)
    cand = np.where(w == seg.expand(wmax), rows, len(w))
    first = np.minimum.reduceat(cand, seg.starts)
    other = np.ones(len(w), dtype=bool)
    other[first] = False
    w2 = w * w
    s1x = seg.sum(np.where(other, w, 0.0))  # S1 minus the largest weight
    s2 = seg.sum(w2)
    s2x = seg.sum(np.where(other, w2, 0.0))  # S2 minus the largest squared weight
    c = np.where(other, 1.0 - w / seg.expand(s1), seg.expand(s1x / s1))
    d = np.where(other, seg.expand(s2) - w2, seg.expand(s2x))
    wc = w * c
    return seg.sum(wc), seg.sum(wc * wc) + seg.sum(w2 * d) / (s1 * s1)


#: The engines of ``fit_segments``: "auto" (the compiled kernel when numba is installed, else
#: "numpy"), "numpy" (the vectorised numpy engine; analyses with a dominant study go to the kernel
#: functions, see ``_DOMINANT``) and "kernel" (every analysis through ``_kernel``, compiled or not).
ENGINES = ("auto", "numpy", "kernel")
#: The engine used when ``fit_segments`` is not told (tests set it to compare the engines).
DEFAULT_ENGINE = "auto"
#: An analysis whose most precise study carries more than this share of the fixed-effect weight
#: is fitted by the kernel's stable sums in the numpy engine too: the textbook forms of tr(P),
#: sum(P*P) and the residual of that study, used by the vectorised Fisher scoring, lose about
#: log10(1 / (1 - share)) digits (issue 19: at variance ratios of 1e8..1e12 Fisher scoring stopped
#: short of the optimum; at 0.999 the rounding noise of a step could still exceed the stopping
#: rule's rounding scale, and the iterates flipped without converging).  Below 0.9 they lose at
#: most one digit (the same bound as ``_sums_at``); no analysis of the benchmark workload (k 3..40)
#: reaches it, so the numpy engine keeps its speed there.
_DOMINANT = 0.9


def _kernel():
    """The kernel module (imported on first use: numba, when installed, loads with it)."""
    from . import _kernel as kern

    return kern


def fit_segments(
    seg: Segments,
    *,
    method: str = "REML",
    test: str = "knha",
    level: float = 0.95,
    tau2_ci: bool = False,
    pi: bool = True,
    threshold: float = 1e-12,
    maxiter: int = 1000,
    engine: str | None = None,
) -> FitArrays:
    """Fit every analysis in ``seg``; ``level`` is a fraction (0.95).

    Conventions follow ``evigrade.stats.meta_analysis``: with k = 1 tau2 is 0 (FE result), the
    Knapp-Hartung test falls back to Wald z, Q/I2/H2 are undefined (NaN); for FE ``tau2_raw`` is
    NaN and I2 is NaN when Q = 0.  ``engine``: see ``ENGINES`` (None: ``DEFAULT_ENGINE``); every engine takes the same steps
    and writes the same notes (results agree to ~1e-13).  Analyses whose results are not finite
    (e.g. yi = 1e300) are failed analyses: ``converged`` False and the note ``non_finite``.
    """
    if engine is None:
        engine = DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r} is not one of {ENGINES}")
    args = (method, test, level, tau2_ci, pi, threshold, maxiter)
    if engine == "kernel" or (engine == "auto" and _kernel().compiled()):
        return _fit_threads(seg, *args)
    dom = _dominant(seg)
    if not dom.any():
        return _fit(seg, False, *args)
    if dom.all():
        return _fit(seg, True, *args)
    easy = _fit(seg.subset(~dom), False, *args)
    hard = _fit(seg.subset(dom), True, *args)
    return _merge(len(seg), ~dom, easy, hard)


#: Threads ``fit_segments`` may fit with the compiled kernel (None: the CPUs this process may run on).
#: Analyses are independent, so the results are the same bits whatever the number of threads.
THREADS: int | None = None
#: Rows per thread below which the fit stays in one thread (a thread costs ~0.1 ms to start).
_ROWS_PER_THREAD = 16_384


def _n_threads(rows: int) -> int:
    """Threads to fit ``rows`` rows with: several only with the compiled kernel (which releases the
    GIL, as do the special functions of ``_finish``), only from the main thread (Dask workers and
    other thread pools run in parallel already) and with ``_ROWS_PER_THREAD`` rows or more each."""
    if not _kernel().compiled() or threading.current_thread() is not threading.main_thread():
        return 1
    n = THREADS
    if n is None:
        n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(int(n), rows // _ROWS_PER_THREAD))


def _fit_threads(seg: Segments, *args: Any) -> FitArrays:
    """``_fit`` with the kernel, on consecutive parts of about equal rows in parallel threads (one part:
    in this thread); the parts' results joined in segment order."""
    parts = seg.split(_n_threads(len(seg.y)))
    if len(parts) == 1:
        return _fit(seg, True, *args)
    results: list[FitArrays | None] = [None] * len(parts)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = _fit(parts[i], True, *args)
        except BaseException as exc:  # (re-raised in the calling thread below)  # noqa: BLE001
            errors.append(exc)

    helpers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(1, len(parts))]
    for t in helpers:
        t.start()
    work(0)
    for t in helpers:
        t.join()
    if errors:
        raise errors[0]
    return FitArrays.concat([r for r in results if r is not None])


def _dominant(seg: Segments) -> np.ndarray:
    """Analyses (k > 1) whose smallest vi carries more than ``_DOMINANT`` of the weight at tau2 = 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s1 = seg.sum(1.0 / seg.v)
        return (seg.k > 1) & (1.0 / seg.vmin() > _DOMINANT * s1)


def _merge(n: int, first: np.ndarray, a: FitArrays, b: FitArrays) -> FitArrays:
    """The results of the analyses ``first`` (a) and of the others (b), in segment order."""
    cols = {}
    for name, x in a.columns.items():
        out = np.empty(n, dtype=np.result_type(x, b.columns[name]) if x.dtype != object else object)
        out[first] = x
        out[~first] = b.columns[name]
        cols[name] = out
    notes = np.empty(n, dtype=object)
    notes[first] = a.notes
    notes[~first] = b.notes
    return FitArrays(cols, notes)


@dataclass(slots=True)
class _Est:
    """The estimation half of a fit (per-analysis arrays), as ``_finish`` needs it."""

    s1_0: np.ndarray
    q: np.ndarray  # Q with fixed-effect weights, max(0, RSS(0))
    trp0: np.ndarray
    ppsum0: np.ndarray | None  # sum(P*P) at tau2 = 0 (DL's se)
    iterations: np.ndarray
    converged: np.ndarray
    method_used: np.ndarray
    own: np.ndarray  # method_used == the requested method
    tau2_raw: np.ndarray
    tau2: np.ndarray
    s1: np.ndarray
    mu: np.ndarray
    rss: np.ndarray
    s2: np.ndarray
    ppsum: np.ndarray | None  # sum(P*P) at the estimate (REML's se)
    qprofile: tuple[np.ndarray, np.ndarray, list[tuple[NoteCode, np.ndarray]]] | None = None  # kernel's Q-profile CI


def _counts(seg: Segments) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray]:
    """(n, k, k as floats, k == 1, any k == 1, n NaNs): what the estimation and the finishing start from."""
    n = len(seg)
    k1 = seg.k == 1
    return n, seg.k, seg.k.astype(float), k1, bool(k1.any()), np.full(n, np.nan)


def _fit(seg: Segments, kernel: bool, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
         threshold: float, maxiter: int) -> FitArrays:
    notes = _Notes(len(seg))
    # overflow and 0/0 in an analysis (e.g. yi = 1e300) end as a failed analysis with the note
    # non_finite (``_finish``), not as warnings about the whole run
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if kernel:
            est = _estimate_kernel(seg, method, threshold, maxiter, tau2_ci, 1.0 - level, notes)
        else:
            est = _estimate_numpy(seg, method, threshold, maxiter, notes)
        return _finish(seg, est, notes, method, test, level, tau2_ci, pi)


def _estimate_kernel(seg: Segments, method: str, threshold: float, maxiter: int, tau2_ci: bool, alpha: float,
                     notes: "_Notes") -> _Est:
    """tau2 and the sums by the compiled kernel (``_kernel``); notes at the numpy engine's sites."""
    kern = _kernel()
    n = len(seg)
    k = seg.k
    k1 = k == 1
    if tau2_ci and method != "FE":
        df = np.maximum(k.astype(float) - 1.0, 1.0)
        crit_u = _crit_by_df(df, lambda d: special.chdtri(d, alpha / 2.0))
        crit_l = _crit_by_df(df, lambda d: special.chdtri(d, 1.0 - alpha / 2.0))
    else:
        crit_u = crit_l = np.zeros(n)
    # (one contiguous row per statistic: the arrays below are views, not copies)
    fo, io = kern.fit_all(seg.y, seg.v, seg.starts, k, method, threshold, maxiter, tau2_ci, crit_u, crit_l)
    flags = io[3]
    f = kern.FLAG

    def has(name: str) -> np.ndarray:
        return (flags & f[name]) != 0

    # the notes, at the numpy engine's sites and in its order
    notes.add(has("pm_extended"), NoteCode.PM_INTERVAL_EXTENDED)
    notes.add(has("slow"), NoteCode.SLOW_CONVERGENCE)
    notes.add(has("fallback"), NoteCode.FALLBACK)
    notes.add(has("pm_extended_fallback"), NoteCode.PM_INTERVAL_EXTENDED)
    tau2_raw = fo[kern.TAU2_RAW]
    if method != "FE":
        notes.add(k1, NoteCode.K_SMALL)
        notes.add((tau2_raw < 0) & ~k1, NoteCode.TAU2_TRUNCATED)
    notes.add(k == 2, NoteCode.K_SMALL)
    notes.add(has("local_maximum"), NoteCode.LOCAL_MAXIMUM)
    used = io[2]
    names = np.array([method, "PM", "DL", "FE"], dtype=object)
    qprofile = None
    if tau2_ci and method != "FE":
        qprofile = (fo[kern.T_LO], fo[kern.T_HI],
                    [(NoteCode.TAU2_CI_NULL, has("ci_null")), (NoteCode.TAU2_CI_BOUND, has("ci_bound")),
                     (NoteCode.TAU2_CI_FAILED, has("ci_failed_lo")), (NoteCode.TAU2_CI_FAILED, has("ci_failed_hi"))])
    own = used == kern.USED_OWN
    if method == "FE":
        own |= used == kern.USED_FE
    return _Est(
        s1_0=fo[kern.S1_0], q=np.maximum(0.0, fo[kern.RSS_0]), trp0=fo[kern.TRP_0], ppsum0=fo[kern.PP_0],
        iterations=io[0], converged=io[1] != 0, method_used=names[used], own=own, tau2_raw=tau2_raw,
        tau2=fo[kern.TAU2], s1=fo[kern.S1], mu=fo[kern.MU], rss=fo[kern.RSS], s2=fo[kern.S2], ppsum=fo[kern.PP],
        qprofile=qprofile)


# long: the vectorised estimation, following metafor step by step (estimate, fallbacks, ll0check)
def _estimate_numpy(seg: Segments, method: str, threshold: float, maxiter: int, notes: "_Notes") -> _Est:
    """tau2 and the sums by the vectorised numpy engine (notes recorded in ``notes``)."""
    n, k, kf, k1, any_k1, nan = _counts(seg)

    # heterogeneity with fixed-effect weights (needed by every method for Q, I2, H2 and DL)
    # (one blockwise pass: S1, mu, Q, tr(P) and -- for DL's se only -- sum(P*P) at w = 1/v)
    # the banded layout (see _Banded) for the iterative estimators on many analyses: built once,
    # used by Fisher scoring and for the sums at tau2 = 0 and at the estimate
    banded = _Banded.build(seg) if method in ("ML", "REML", "EB") and n >= _BANDED_MIN else None
    s1_0, mu0, rss0, s2_0, trp0, ppsum0 = _sums_at(seg, None, method == "DL", banded)
    q = np.maximum(0.0, rss0)

    iterations = np.zeros(n, dtype=np.int64)
    converged = np.ones(n, dtype=bool)
    method_used = np.full(n, method, dtype=object)
    own = np.ones(n, dtype=bool)  # method_used == method (kept as booleans: object compares are slow)

    if method == "FE":
        tau2_raw = nan.copy()
        tau2 = np.zeros(n)
    elif method == "DL":
        with np.errstate(divide="ignore", invalid="ignore"):
            tau2_raw = (q - (kf - 1.0)) / trp0
        tau2 = np.maximum(0.0, tau2_raw)
    elif method == "PM":
        tau2_raw, converged, iterations, widened = _pm(seg, maxiter)
        notes.add(widened & ~k1, NoteCode.PM_INTERVAL_EXTENDED)
        tau2 = tau2_raw.copy()
    else:
        tau2_raw, converged, iterations = _fisher_scoring(seg, method, threshold, maxiter, banded)
        notes.add(converged & (iterations > _NEWTON_AFTER) & ~k1, NoteCode.SLOW_CONVERGENCE)
        # Fisher scoring approaches a maximum on the boundary geometrically and stops at a tiny
        # positive tau2 whose size depends on the scale of the data (an absolute threshold).  Where
        # tau2 < 1e-6 min(vi) and the scoring step at tau2 = 0 points downwards, the exact estimate
        # is 0: report that, as the one-at-a-time engine does (it differs from metafor by less
        # than the threshold).
        cand = converged & (tau2_raw > 0.0) & (tau2_raw < 1e-6 * float(seg.v.max())) & ~k1
        if cand.any():
            # (row sums over the candidates' rows only: a few percent of the analyses)
            c_all = np.flatnonzero(cand)
            crow = _rows_of(cand, k)
            csub = Segments.from_sizes(seg.y.take(crow), seg.v.take(crow), k[c_all])
            sel = tau2_raw[c_all] < 1e-6 * np.minimum.reduceat(csub.v, csub.starts)
            ci = c_all[sel]
            if ci.size:
                with np.errstate(divide="ignore", invalid="ignore"):
                    if method == "EB":
                        step0 = q[ci] * kf[ci] / (kf[ci] - 1.0) - kf[ci]
                    else:
                        w0c = 1.0 / csub.v  # w0 and r0 on the candidates' rows (same formulas)
                        r0c = csub.y - csub.expand(mu0[c_all])
                        w2r2_0 = csub.sum(w0c * w0c * r0c * r0c)[sel]
                        step0 = w2r2_0 - (s1_0[ci] if method == "ML" else trp0[ci])
                tau2_raw[ci[step0 <= 0.0]] = 0.0
        tau2 = np.maximum(0.0, tau2_raw)

    # fallback chain for analyses whose estimator failed: PM, then DL (as the one-at-a-time engine)
    failed = ~converged & ~k1
    if failed.any():
        idx = np.flatnonzero(failed)
        notes.add(idx, NoteCode.FALLBACK)
        if method != "PM":
            t_pm, ok, _, wid = _pm(seg.subset(failed), maxiter)
            notes.add(idx[wid], NoteCode.PM_INTERVAL_EXTENDED)
            tau2[idx[ok]] = t_pm[ok]
            tau2_raw[idx[ok]] = t_pm[ok]
            method_used[idx[ok]] = "PM"
            own[idx[ok]] = method == "PM"
            bad = idx[~ok]
            notes.add(bad, NoteCode.FALLBACK)
        else:
            bad = idx
        if bad.size:
            with np.errstate(divide="ignore", invalid="ignore"):
                raw_dl = (q[bad] - (kf[bad] - 1.0)) / trp0[bad]
            tau2_raw[bad] = raw_dl
            tau2[bad] = np.maximum(0.0, raw_dl)
            method_used[bad] = "DL"
            own[bad] = method == "DL"

    if any_k1:
        tau2[k1] = 0.0
        iterations[k1] = 0
        converged[k1] = True
        method_used[k1] = "FE"
        own[k1] = method == "FE"
        if method != "FE":
            tau2_raw[k1] = 0.0
            notes.add(k1, NoteCode.K_SMALL)
    if method != "FE":
        notes.add((tau2_raw < 0) & ~k1, NoteCode.TAU2_TRUNCATED)
    notes.add(k == 2, NoteCode.K_SMALL)

    # pooled estimate with random-effects weights
    if method == "FE":
        s1, mu, rss, s2 = s1_0, mu0, rss0, s2_0
        ppsum = None
    else:
        # S1, mu, RSS and (for REML's se) sum(P*P) at the final tau2, in one blockwise pass
        s1, mu, rss, s2, _, ppsum = _sums_at(seg, tau2, method == "REML", banded)
    if method in ("ML", "REML"):
        # metafor's ll0check: if the (restricted) likelihood is higher at tau2 = 0 than at the
        # Fisher-scoring solution, it stopped at a local maximum and tau2 is set to 0.  Uses the
        # sums already at hand: ll(t) = -1/2 sum log(v + t) - 1/2 RSS(t) [- 1/2 log sum w(t)].
        check = converged & (tau2 > threshold) & ~k1 & own
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # ll(0) - ll(t) = 1/2 sum log1p(t / v) + 1/2 (RSS(t) - Q) [+ 1/2 log(S1(t) / S1(0)) for REML]
            # (sum log(v + t) - sum log(v) = sum log1p(t / v)).  Screen first: log1p(x) <= x, so
            # ll(0) - ll(t) <= 1/2 t S1(0) + 1/2 (RSS(t) - Q) [+ ...]; where that bound is below
            # half the tolerance (with a margin far above the rounding of these sums) the analysis
            # cannot be at a local maximum, and the logarithms over its rows are not needed.
            rest = 0.5 * (rss - q)
            if method == "REML":
                rest += 0.5 * (np.log(s1) - np.log(s1_0))
            ts1 = tau2 * s1_0
            slack = 1e-9 * (ts1 + np.abs(rss) + np.abs(q) + 1.0)
            check &= ~(0.5 * ts1 + rest + slack < 0.5 * _LL0_TOL)
        if check.any():
            ci = np.flatnonzero(check)
            kc = k[ci]
            x = np.repeat(tau2[ci], kc)
            x *= 1.0 / seg.v.take(_rows_of(check, k))  # t * w0 with w0 = 1/v (as computed above)
            np.log1p(x, out=x)
            cstarts = np.zeros(len(ci), dtype=np.int64)
            np.cumsum(kc[:-1], out=cstarts[1:])
            with np.errstate(divide="ignore", invalid="ignore"):
                diff = 0.5 * np.add.reduceat(x, cstarts) + rest[ci]
            stuck = ci[diff > _LL0_TOL]
            if stuck.size:
                notes.add(stuck, NoteCode.LOCAL_MAXIMUM)
                tau2[stuck] = 0.0
                tau2_raw[stuck] = 0.0
                s1, mu, rss, s2, _, ppsum = _sums_at(seg, tau2, method == "REML", banded)
    return _Est(s1_0=s1_0, q=q, trp0=trp0, ppsum0=ppsum0, iterations=iterations, converged=converged,
                method_used=method_used, own=own, tau2_raw=tau2_raw, tau2=tau2, s1=s1, mu=mu, rss=rss, s2=s2,
                ppsum=ppsum)


# long: the finishing half of rma.uni (se, test, PI, I2/H2, Q-profile, the output columns)
def _finish(seg: Segments, est: _Est, notes: "_Notes", method: str, test: str, level: float, tau2_ci: bool,
            pi: bool) -> FitArrays:
    """Standard errors, tests, intervals, heterogeneity and the Q-profile CI from the estimates."""
    n, k, kf, k1, any_k1, nan = _counts(seg)
    q, trp0, ppsum0, s1, mu, rss, s2, ppsum = est.q, est.trp0, est.ppsum0, est.s1, est.mu, est.rss, est.s2, est.ppsum
    tau2, tau2_raw, own, method_used = est.tau2, est.tau2_raw, est.own, est.method_used
    converged, iterations = est.converged, est.iterations
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = (kf - 1.0) / trp0  # metafor's "typical" within-study variance (i2def = "1")
    se = np.sqrt(1.0 / s1)

    # standard error of tau2 as metafor reports it
    tau2_se = nan.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "DL":
            assert ppsum0 is not None  # both estimators compute it for DL
            tau2_se = np.sqrt((2.0 * (kf - 1.0) + 4.0 * tau2 * trp0 + 2.0 * tau2 ** 2 * ppsum0) / trp0 ** 2)
        elif method in ("ML", "REML"):
            if method == "ML":
                tau2_se = np.sqrt(2.0 / s2)
            else:
                assert ppsum is not None  # _sums_at(..., pp=True) computes it for REML
                tau2_se = np.sqrt(2.0 / ppsum)
        elif method in ("EB", "PM"):
            tau2_se = np.sqrt(2.0 * kf ** 2 / (kf - 1.0) / s1 ** 2)
        if method != "FE":
            tau2_se = np.where(own, tau2_se, np.nan)
            if not own.all():
                # fallbacks: se as the estimator actually used (PM formula; DL rarely reached)
                used_pm = method_used == "PM"
                tau2_se[used_pm] = np.sqrt(2.0 * kf[used_pm] ** 2 / (kf[used_pm] - 1.0) / s1[used_pm] ** 2)
        if any_k1:
            tau2_se[k1] = np.nan

    alpha = 1.0 - level
    z_crit = special.ndtri(1.0 - alpha / 2.0)
    if test == "knha":
        with np.errstate(divide="ignore", invalid="ignore"):
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / (kf - 1.0))
        if any_k1:
            s2w[k1] = 1.0  # k = 1: Wald z instead (as the one-at-a-time engine)
            notes.add(k1, NoteCode.UNDEFINED)
        se = np.sqrt(s2w / s1)
        if method == "FE":
            notes.add(~k1, NoteCode.KNHA_FE)
        notes.add((s2w == 0.0) & ~k1, NoteCode.KNHA_ZERO_SCALE)
        df = kf - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = mu / se
        crit = _crit_by_df(np.maximum(df, 1.0), lambda d: special.stdtrit(d, 1.0 - alpha / 2.0))
        with np.errstate(invalid="ignore"):
            pval = 2.0 * special.stdtr(np.maximum(df, 1.0), -np.abs(stat))
        if any_k1:
            df[k1] = np.nan
            crit[k1] = z_crit
            pval[k1] = 2.0 * special.ndtr(-np.abs(stat[k1]))
    else:
        df = nan.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = mu / se
        crit = np.full(n, z_crit)
        pval = 2.0 * special.ndtr(-np.abs(stat))
    half = crit * se
    ci_low = mu - half
    ci_high = mu + half
    if pi and method == "FE":
        # a common-effect model has no between-study variance: no prediction interval (as metafor)
        pi_low, pi_high = nan, nan.copy()  # (distinct arrays: they become separate output columns)
        notes.add(np.ones(n, dtype=bool), NoteCode.UNDEFINED)
    elif pi:
        half_pi = crit * np.sqrt(se * se + tau2)
        pi_low, pi_high = mu - half_pi, mu + half_pi
        notes.add(k1, NoteCode.UNDEFINED)
    else:
        pi_low, pi_high = nan, nan.copy()

    # heterogeneity statistics (Q with fixed-effect weights; I2/H2 as metafor: fractions here)
    q_df = k - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        q_p = special.chdtrc(np.maximum(kf - 1.0, 1.0), q)
        if method == "FE":
            # metafor: max(0, 100 (Q - df) / Q), which is max(0, -Inf) = 0 when Q = 0
            i2 = np.where(q > 0, np.maximum(0.0, (q - (kf - 1.0)) / q), 0.0)
            h2 = q / (kf - 1.0)
        else:
            i2 = tau2 / (vt + tau2)
            h2 = tau2 / vt + 1.0
    if any_k1:
        for arr in (q, q_p, i2, h2, vt):
            arr[k1] = np.nan

    t_lo, t_hi = nan.copy(), nan.copy()
    if tau2_ci and method != "FE" and est.qprofile is not None:  # computed by the kernel
        t_lo, t_hi, qp_notes = est.qprofile
        for code, where in qp_notes:
            notes.add(where, code)
        notes.add(k1, NoteCode.UNDEFINED)
    elif tau2_ci and method != "FE":
        ok = ~k1
        if ok.all():
            t_lo, t_hi, qp_notes = _qprofile(seg, tau2, alpha, q)
            for code, where in qp_notes:
                notes.add(where, code)
        elif ok.any():
            lo, hi, qp_notes = _qprofile(seg.subset(ok), tau2[ok], alpha, q[ok])
            t_lo[ok], t_hi[ok] = lo, hi
            idx = np.flatnonzero(ok)
            for code, where in qp_notes:
                notes.add(idx[where], code)
        notes.add(k1, NoteCode.UNDEFINED)
    with np.errstate(divide="ignore", invalid="ignore"):
        i2_lo, i2_hi = t_lo / (vt + t_lo), t_hi / (vt + t_hi)
        h2_lo, h2_hi = t_lo / vt + 1.0, t_hi / vt + 1.0

    # a result beyond floating-point range (e.g. yi = 1e300: infinite se) is a failed analysis
    finite = np.isfinite(mu) & np.isfinite(se) & np.isfinite(ci_low) & np.isfinite(ci_high) & np.isfinite(tau2)
    if pi and method != "FE":
        finite &= np.isfinite(pi_low) & np.isfinite(pi_high)
    if not finite.all():
        converged = converged & finite
        notes.add(~finite, NoteCode.NON_FINITE)

    cols = {
        "k": k,
        "estimate": mu,
        "se": se,
        "stat": stat,
        "pval": pval,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "tau2": tau2,
        "tau2_se": tau2_se,
        "tau2_ci_low": t_lo,
        "tau2_ci_high": t_hi,
        "tau": np.sqrt(tau2),
        "i2": i2,
        "i2_ci_low": i2_lo,
        "i2_ci_high": i2_hi,
        "h2": h2,
        "h2_ci_low": h2_lo,
        "h2_ci_high": h2_hi,
        "q": q,
        "q_df": q_df,
        "q_pvalue": q_p,
        "df": df,
        "tau2_raw": tau2_raw,
        "converged": converged,
        "iterations": iterations,
        "method_used": method_used,
    }
    return FitArrays(cols, notes.column())


def _qprofile(seg: Segments, tau2: np.ndarray, alpha: float, q0: np.ndarray | None = None):
    """Q-profile CI for tau2 exactly as metafor's confint.rma.uni (type "QP", tau2.min = 0).

    ``q0``: Q at tau2 = 0 (the fixed-effect Q), when already known."""
    n = len(seg)
    df = seg.k.astype(float) - 1.0
    crit_u = _crit_by_df(df, lambda d: special.chdtri(d, alpha / 2.0))  # upper quantile
    crit_l = _crit_by_df(df, lambda d: special.chdtri(d, 1.0 - alpha / 2.0))  # lower quantile
    tmax = np.maximum(100.0, tau2 * 10.0)
    q_min = _qgen(seg, np.zeros(n))[0] if q0 is None else q0
    q_max, _ = _qgen(seg, tmax)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    codes: list[tuple[str, np.ndarray]] = []
    # upper bound
    null = q_min < crit_l
    lo[null] = 0.0
    hi[null] = 0.0
    at_max = ~null & (q_max > crit_l)
    hi[at_max] = tmax[at_max]
    solve_hi = ~null & ~at_max
    # lower bound
    both_max = q_max > crit_u
    lo[both_max] = tmax[both_max]
    hi[both_max] = tmax[both_max]
    lo_zero = ~both_max & (q_min < crit_u)
    lo[lo_zero] = 0.0
    solve_lo = ~both_max & ~lo_zero
    solve_hi &= ~both_max
    codes.append((NoteCode.TAU2_CI_NULL, null))
    codes.append((NoteCode.TAU2_CI_BOUND, at_max | both_max))
    if solve_lo.any():
        sub = seg.subset(solve_lo)
        root, c, _ = _solve_q(sub, crit_u[solve_lo], np.zeros(int(solve_lo.sum())), tmax[solve_lo])
        lo[solve_lo] = root
        codes.append((NoteCode.TAU2_CI_FAILED, np.flatnonzero(solve_lo)[~c]))  # lower bound
    if solve_hi.any():
        start = np.where(solve_lo, lo, 0.0)[solve_hi]
        start = np.where(np.isfinite(start), start, 0.0)
        sub = seg.subset(solve_hi)
        root, c, _ = _solve_q(sub, crit_l[solve_hi], start, tmax[solve_hi])
        hi[solve_hi] = root
        codes.append((NoteCode.TAU2_CI_FAILED, np.flatnonzero(solve_hi)[~c]))  # upper bound
    return lo, hi, codes
