"""The compiled single-pass kernel of the batch engine: one loop over the analyses, each fitted from
its own rows (in registers / L1 cache), with numba when it is installed (``pip install 'evigrade[fast]'``).

The kernel does the estimation half of ``evigrade.batch.engine.fit_segments`` -- tau2 (FE, DL, PM,
ML, REML, EB with the fallback chain PM -> DL), the sums at tau2 = 0 and at the estimate, metafor's
``ll0check`` and the Q-profile bounds for tau2 -- with exactly the convergence path of the numpy
engine and of ``evigrade.stats.fit`` (``NEWTON_AFTER``): metafor's Fisher scoring from the HE value
with its step halving (``while tau2 + adj < 0: adj /= 2``) for 100 updates, then Newton steps where
valid, the same stopping rules, the same snap of boundary solutions to 0, the same safeguarded Newton
root finder for PM and the Q-profile.  The finishing half (standard errors, tests, intervals, I2, H2,
notes) is the numpy engine's own code (``engine._finish``), so both engines write the same columns
and the same notes.

Every per-analysis sum is taken in the numerically stable form (``_sums``): the weight of the most
precise study (the smallest vi; it is the largest weight at every tau2) is kept apart, so that
tr(P), sum(P*P), the residuals and Y'PPPY never subtract two nearly equal numbers, whatever the
ratio of the sampling variances (1e12 and beyond; the textbook forms S1 - S2/S1 lose all digits
there, which made Fisher scoring stop short of the optimum: issue 19).

Speed (issue 18): each analysis's rows are copied once into scratch rows with the most precise study
first (``_load``); a sum at a new tau2 is one SIMD loop for the weights, one pass for S1, S2, S3 and
the weighted offsets, and one for the residual sums (``_weights``, ``_resid``; tr(P) and sum(P*P)
follow in closed form); the additions run in two independent chains; the small helpers are inlined by
numba (a call between compiled functions passes its arrays with atomic reference counts); the sums at
0 are reused where an update starts from 0 and where the estimate is 0.  No fastmath: the order of
every addition is fixed by the code, so results are the same on every machine.  ``_fit_range``
releases the GIL, and ``engine.fit_segments`` fits large inputs in several threads.

Without numba the same functions run as plain Python (``compiled() is False``); the numpy engine
uses them for the few analyses with a dominant study (see ``engine._DOMINANT``).
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from .._convergence import NEWTON_AFTER, ROOT_RTOL, ROUNDING_STOP

#: the function ``evigrade.batch._aot`` compiles ahead of time (warm() must compile it)
AOT_ENTRY = "_fit_range"

__all__ = ["compiled", "warm", "fit_all", "METHOD_CODE", "N_FLOAT", "FLAG"]

try:
    from ._aot import load as _load_aot  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # (a tree without the ahead-of-time builder)
    _AOT = None
else:
    #: the kernel compiled ahead of time (``evigrade.batch._aot``), when built from these sources: then
    #: numba is not imported at all and ``fit_all`` runs the compiled module's ``_fit_range``
    _AOT = _load_aot()

try:  # numba is optional (the ``fast`` extra); without it these functions run as plain Python
    if os.environ.get("EVIGRADE_NO_NUMBA"):  # (tests: the numpy engine as users without numba get it)
        raise ImportError("numba disabled by EVIGRADE_NO_NUMBA")
    if _AOT is not None:
        raise ImportError("the ahead-of-time kernel is used")
    import numba
except ImportError:  # pragma: no cover - exercised in a subprocess by tests/unit/test_batch_kernel.py
    numba = None  # type: ignore[assignment]  # the module or None: ``compiled()`` tells which


def _jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """numba's njit with an on-disk cache (compiled once per machine, loaded in ~0.1 s afterwards)
    and numpy's floating-point error model (1/0 = inf, 0/0 = NaN, as the numpy engine; numba's
    default raises ZeroDivisionError); the function itself when numba is missing."""
    if numba is None:
        return fn
    return numba.njit(cache=True, error_model="numpy")(fn)  # type: ignore[no-any-return,unused-ignore]  # numba ships no type hints


def _inline(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``_jit`` for the small helpers of the loops, inlined into their callers by numba itself: a call
    between compiled functions passes its arrays with reference counts (atomic increments and
    decrements, ~40 cycles each), which cost more than the sums of a small analysis."""
    if numba is None:
        return fn
    return numba.njit(cache=True, error_model="numpy", inline="always")(fn)  # type: ignore[no-any-return,unused-ignore]


def compiled() -> bool:
    """Whether the kernel runs compiled (numba installed, or the ahead-of-time module built)."""
    return numba is not None or _AOT is not None


def warm() -> None:
    """Compile the kernel now, or load it from numba's on-disk cache (the Dask runner calls this on
    the client, so that workers load the cached machine code instead of each compiling it)."""
    if numba is not None and _AOT is None:
        fit_all(np.array([0.1, 0.2]), np.array([0.01, 0.02]), np.zeros(1, np.int64), np.full(1, 2, np.int64),
                "REML", 1e-12, 10, True, np.ones(1), np.ones(1))


#: method codes of the kernel
METHOD_CODE = {"FE": 0, "DL": 1, "PM": 2, "ML": 3, "REML": 4, "EB": 5}
_FE, _DL, _PM, _ML, _REML, _EB = 0, 1, 2, 3, 4, 5

#: float output columns (per analysis): the sums at tau2 = 0 and at the estimate in the same layout
(TAU2, TAU2_RAW, S1_0, MU_0, RSS_0, S2_0, TRP_0, PP_0, S1, MU, RSS, S2, TRP, PP, T_LO, T_HI) = range(16)
N_FLOAT = 16

#: bits of the flags output (the events the numpy engine records as notes)
FLAG = {
    "pm_extended": 1,  # PM as the requested method: interval widened
    "slow": 2,  # Newton steps after NEWTON_AFTER Fisher-scoring updates
    "fallback": 4,  # the requested estimator failed
    "pm_extended_fallback": 8,  # PM as the fallback: interval widened
    "local_maximum": 16,  # ll0check set tau2 to 0
    "ci_null": 32,
    "ci_bound": 64,
    "ci_failed_lo": 128,
    "ci_failed_hi": 256,
}
_F_PMX, _F_SLOW, _F_FB, _F_PMX_FB, _F_LOCAL, _F_NULL, _F_BOUND, _F_FAIL_LO, _F_FAIL_HI = (
    1, 2, 4, 8, 16, 32, 64, 128, 256)
#: used-estimator codes
USED_OWN, USED_PM, USED_DL, USED_FE = 0, 1, 2, 3

_LL0_TOL = float(np.finfo(float).eps) ** 0.25
_NEWTON_AFTER = NEWTON_AFTER
_ROUNDING_STOP = ROUNDING_STOP
_ROOT_RTOL = ROOT_RTOL
_ROOT_MAXITER = 200


@_inline
def _argmin(v: Any, a: int, k: int) -> int:
    """Row of the smallest sampling variance (the largest weight at every tau2; the first if tied)."""
    m = a
    for i in range(a + 1, a + k):
        if v[i] < v[m]:
            m = i
    return m


@_inline
def _load(y: Any, v: Any, a: int, k: int, m: int, ys: Any, vs: Any, d: Any) -> None:
    """Copy rows a..a+k into the scratch rows 0..k-1 with the most precise study (row m) first and
    the others in their order (so every sum over "the other rows" adds in the order of the table);
    d = y - y_m (the offsets from which mu is found without cancellation)."""
    ym = y[m]
    ys[0] = ym
    vs[0] = v[m]
    d[0] = 0.0
    j = 1
    for i in range(a, a + k):
        if i != m:
            ys[j] = y[i]
            vs[j] = v[i]
            d[j] = y[i] - ym
            j += 1


@_inline
def _weights(vs: Any, d: Any, w: Any, k: int, t: float) -> tuple[float, float, float, float, float, float]:
    """w = 1/(v + t) of the other rows into ``w`` and (wm, S1 - wm, S2 - wm^2, S3 - wm^3, S1,
    sum w_i d_i) with wm = 1/(v_m + t) the largest weight (scratch row 0)."""
    wm = 1.0 / (vs[0] + t)
    for i in range(1, k):  # (no sum here: this loop runs in SIMD registers)
        w[i] = 1.0 / (vs[i] + t)
    # the sums over odd and even rows apart (two independent chains of additions run twice as
    # fast as one), then added
    s1a = s2a = s3a = da = 0.0
    s1b = s2b = s3b = db = 0.0
    i = 1
    while i + 1 < k:
        wa = w[i]
        wb = w[i + 1]
        wa2 = wa * wa
        wb2 = wb * wb
        s1a += wa
        s2a += wa2
        s3a += wa2 * wa
        da += wa * d[i]
        s1b += wb
        s2b += wb2
        s3b += wb2 * wb
        db += wb * d[i + 1]
        i += 2
    if i < k:
        wa = w[i]
        wa2 = wa * wa
        s1a += wa
        s2a += wa2
        s3a += wa2 * wa
        da += wa * d[i]
    s1x = s1a + s1b
    return wm, s1x, s2a + s2b, s3a + s3b, s1x + wm, da + db


@_inline
def _resid(ys: Any, w: Any, k: int, wm: float, mu: float) -> tuple[float, float]:
    """(RSS = sum w r^2, Y'PPY = sum w^2 r^2) with r = y - mu, at the weights of the last ``_weights``."""
    rm = ys[0] - mu
    rss_a = wm * rm * rm
    w2r2_a = wm * wm * rm * rm
    rss_b = w2r2_b = 0.0
    i = 1
    while i + 1 < k:  # (odd and even rows apart, as in ``_weights``)
        ra = ys[i] - mu
        rb = ys[i + 1] - mu
        wra = w[i] * ra
        wrb = w[i + 1] * rb
        rss_a += wra * ra
        w2r2_a += wra * wra
        rss_b += wrb * rb
        w2r2_b += wrb * wrb
        i += 2
    if i < k:
        ra = ys[i] - mu
        wra = w[i] * ra
        rss_a += wra * ra
        w2r2_a += wra * wra
    return rss_a + rss_b, w2r2_a + w2r2_b


@_inline
def _qsums(ys: Any, vs: Any, d: Any, w: Any, k: int, t: float) -> tuple[float, float, float, float, float]:
    """At weights w = 1/(v + t) over the scratch rows: (S1, mu, RSS = sum w r^2, S2, Y'PPY = sum w^2 r^2)
    with r = y - mu (the sums Q(t), its derivative, ML and EB need)."""
    wm, s1x, s2x, _s3x, s1, dsum = _weights(vs, d, w, k, t)
    mu = ys[0] + dsum / s1
    rss, w2r2 = _resid(ys, w, k, wm, mu)
    return s1, mu, rss, s2x + wm * wm, w2r2


@_inline
def _sums(ys: Any, vs: Any, d: Any, w: Any, k: int, t: float) -> tuple[float, float, float, float, float, float, float]:
    """At weights w = 1/(v + t) over the scratch rows (row 0: the largest weight wm):
    (S1, mu, RSS = sum w r^2, S2, tr(P), sum(P*P), Y'PPY = sum w^2 r^2), r = y - mu, in stable form.

    With the sums over the other rows S1x, S2x, S3x (x_i = w_i / S1 <= 1/2 there):
    mu = y_m + sum w_i (y_i - y_m) / S1 (the residual of the largest weight without cancellation);
    tr(P) = sum w_i (1 - x_i) = S1x + (wm S1x - S2x) / S1, where wm S1x - S2x = sum w_i (wm - w_i) >= 0
    (both terms >= 0; its rounding, below 2 eps S1x, is below 2 eps tr(P));
    sum(P*P) = sum w_i^2 (1 - x_i)^2 + sum w_i^2 (S2 - w_i^2) / S1^2
             = wm^2 (S1x / S1)^2 + (S2x - 2 S3x / S1) + S2x (wm^2 + S2) / S1^2 (the S4 terms cancel),
    where S2x - 2 S3x / S1 = sum w_i^2 (1 - 2 x_i) >= 0 and the last term >= S2x / 16 whenever
    x_i > 1/4 (then wm > S1 / 4), so the relative rounding stays below ~40 eps at any variance ratio
    and any k (the textbook S1 - S2/S1 and S2 - 2 S3/S1 + S2^2/S1^2 lose every digit when one weight
    dominates: issue 19)."""
    wm, s1x, s2x, s3x, s1, dsum = _weights(vs, d, w, k, t)
    mu = ys[0] + dsum / s1
    rss, w2r2 = _resid(ys, w, k, wm, mu)
    inv_s1 = 1.0 / s1
    wm2 = wm * wm
    s2 = s2x + wm2
    cm = s1x * inv_s1
    trp = s1x + (wm * s1x - s2x) * inv_s1
    pp = wm2 * cm * cm + (s2x - 2.0 * s3x * inv_s1) + s2x * (wm2 + s2) * (inv_s1 * inv_s1)
    return s1, mu, rss, s2, trp, pp, w2r2


@_inline
def _pppy(ys: Any, w: Any, k: int, wm: float, mu: float, s1: float) -> float:
    """Y'PPPY = sum w_i (u_i - ubar)^2 with u = w r = Py and ubar its weighted mean (stable as
    ``_sums``), at the weights of the last ``_sums`` call (``w``; ``wm`` the largest)."""
    um = wm * (ys[0] - mu)
    dsum = 0.0
    for i in range(1, k):
        wi = w[i]
        dsum += wi * (wi * (ys[i] - mu) - um)
    shift = dsum / s1
    em = -shift
    out = wm * em * em
    ubar = um + shift
    for i in range(1, k):
        wi = w[i]
        e = wi * (ys[i] - mu) - ubar
        out += wi * e * e
    return out


@_jit
def _solve_q(ys: Any, vs: Any, d: Any, w: Any, k: int, target: float, start: float, hi: float,
             maxiter: int) -> tuple[float, bool, int]:
    """Q(tau2) = target by the safeguarded Newton iteration on 1/Q of ``engine._solve_q`` (the same
    steps, the same bracket, the same stopping rule); returns (root, converged, iterations)."""
    t = start
    lo_b = start
    hi_b = hi
    for it in range(1, maxiter + 1):
        s = _qsums(ys, vs, d, w, k, t)
        q = s[2]
        dq = -s[4]
        if q >= target:
            lo_b = t
        else:
            hi_b = t
        step = (q - target) / (-dq) * (q / target)
        new = t + step
        if not math.isfinite(new) or new < lo_b or new > hi_b:
            new = 0.5 * (lo_b + hi_b)
        done = (abs(new - t) <= _ROOT_RTOL * max(1.0, abs(new))) or (hi_b - lo_b <= _ROOT_RTOL * max(1.0, hi_b))
        t = new
        if done:
            return t, True, it
    return t, False, maxiter


@_jit
def _median(x: Any) -> float:
    xs = np.sort(x)
    n = xs.shape[0]
    return 0.5 * (xs[(n - 1) // 2] + xs[n // 2])


@_jit
def _pm(ys: Any, vs: Any, d: Any, w: Any, k: int, q0: float, maxiter: int) -> tuple[float, bool, int, bool]:
    """Paule-Mandel as ``engine._pm``: (tau2, converged, iterations, widened)."""
    target = k - 1.0
    lo_y = ys[0]
    hi_y = ys[0]
    for i in range(1, k):
        lo_y = min(lo_y, ys[i])
        hi_y = max(hi_y, ys[i])
    tau2_max = 100.0
    sp = 1.4826 * (hi_y - lo_y)
    if 10.0 * sp * sp > 100.0:
        seg = ys[:k].copy()
        med = _median(seg)
        for i in range(k):
            seg[i] = abs(seg[i] - med)
        mad = 1.4826 * _median(seg)
        tau2_max = max(100.0, 10.0 * mad * mad)
    if not q0 >= target:
        return 0.0, True, 0, False
    qmax = _qsums(ys, vs, d, w, k, tau2_max)[2]
    widened = qmax > target
    if widened:
        for _ in range(60):
            if not qmax > target:
                break
            tau2_max *= 4.0
            qmax = _qsums(ys, vs, d, w, k, tau2_max)[2]
    if not qmax <= target:
        return math.nan, False, 0, False
    root, ok, it = _solve_q(ys, vs, d, w, k, target, 0.0, tau2_max, maxiter)
    if not ok:
        return math.nan, False, it, False
    return root, True, it, widened


@_inline
def _fisher(y: Any, v: Any, a: int, k: int, ys: Any, vs: Any, d: Any, w: Any, method: int, threshold: float,
            maxiter: int, at0: tuple[float, float, float, float, float, float, float]) -> tuple[float, bool, int]:
    """ML/REML/EB: metafor's Fisher scoring from the HE value (truncated at 0) with its step halving,
    Newton steps after ``NEWTON_AFTER`` updates where valid; as ``engine._fisher_loop``, one analysis
    (rows a..a+k of y, v; the same rows in the scratch ys, vs, d, w as ``_load`` left them; ``at0``:
    ``_sums`` at tau2 = 0, used where an update starts from 0).  Returns (tau2, converged, iterations)."""
    kf = float(k)
    ybar = 0.0
    vsum = 0.0
    for i in range(a, a + k):
        ybar += y[i]
        vsum += v[i]
    ybar /= kf
    dss = 0.0
    for i in range(a, a + k):
        dev = y[i] - ybar
        dss += dev * dev
    he = (dss - vsum * (1.0 - 1.0 / kf)) / (kf - 1.0)
    t = max(0.0, he)
    if not math.isfinite(t):
        t = 0.0
    prev_abs = math.inf
    prev_newton = False
    it = 0
    while True:
        it += 1
        newton = it > _NEWTON_AFTER
        if t == 0.0 and not newton:  # (the same numbers as the sums below at 0)
            s1, mu, rss, s2, trp, pp, w2r2 = at0
        elif method == _REML:
            s1, mu, rss, s2, trp, pp, w2r2 = _sums(ys, vs, d, w, k, t)
        else:
            s1, mu, rss, s2, w2r2 = _qsums(ys, vs, d, w, k, t)
            trp = pp = 0.0
        if method == _REML:
            score = w2r2 - trp
            info = pp
        else:
            if method == _ML:
                score = w2r2 - s1
                info = s2
            else:  # EB
                score = rss * kf / (kf - 1.0) - kf
                info = s1
        adj = score / info
        use = False
        if newton:
            if method == _EB:
                curv = w2r2 * kf / (kf - 1.0)
            else:
                curv = 2.0 * _pppy(ys, w, k, 1.0 / (vs[0] + t), mu, s1) - info
            nstep = score / curv
            use = curv > 0.0 and t + nstep >= 0.0 and math.isfinite(nstep)
            if use:
                adj = nstep
        if not math.isfinite(adj):
            adj = 0.0  # NaN step -> no change (as metafor)
        if t + adj < 0.0:
            if t <= 0.0:
                adj = 0.0  # metafor halves a downward step from 0 until it underflows to 0
            else:
                while t + adj < 0.0:  # metafor's step halving
                    adj *= 0.5
        t = t + adj
        aabs = abs(adj)
        # |change| <= threshold, or at the rounding level of tau2 or of the step itself
        # (evigrade.stats.fit.step_scale)
        scale = 0.0
        if info > 0.0:
            scale = (abs(score) + 2.0 * (kf if method == _EB else math.sqrt(kf * info))) / info
        level = t if not scale > t else scale  # (a NaN scale is ignored)
        done = aabs <= max(threshold, _ROUNDING_STOP * level)
        if newton:
            if use and prev_newton and aabs <= 1e-6 and aabs < prev_abs:
                if aabs * aabs * aabs <= threshold * prev_abs * prev_abs:
                    done = True
            prev_newton = use
        prev_abs = aabs
        if done:
            return t, True, it
        if it >= maxiter:
            return t, False, it


@_inline
def _store(fo: Any, j: int, col: int, s1: float, mu: float, rss: float, s2: float, trp: float, pp: float) -> None:
    """The sums of one weighting into fo[col:col + 6, j] (the layout S1, MU, RSS, S2, TRP, PP)."""
    fo[col, j] = s1
    fo[col + 1, j] = mu
    fo[col + 2, j] = rss
    fo[col + 3, j] = s2
    fo[col + 4, j] = trp
    fo[col + 5, j] = pp


# long: one analysis end to end in numba's nopython mode (estimate, sums, ll0check, Q-profile) in registers;
# split, its scalars would pass through arrays between compiled calls
@_inline
def _fit_one(y: Any, v: Any, a: int, k: int, method: int, threshold: float, maxiter: int, tau2_ci: bool,
             crit_u: float, crit_l: float, fo: Any, io: Any, j: int, ys: Any, vs: Any, d: Any, w: Any) -> None:
    """Fit analysis j (rows a..a+k): floats into fo[:, j], (iterations, converged, used, flags) into io[:, j].
    ys, vs, d, w: scratch rows (at least k each)."""
    m = _argmin(v, a, k)
    _load(y, v, a, k, m, ys, vs, d)
    kf = float(k)
    at0 = _sums(ys, vs, d, w, k, 0.0)
    s1_0, mu0, rss0, s2_0, trp0, pp0, w2r2_0 = at0
    _store(fo, j, S1_0, s1_0, mu0, rss0, s2_0, trp0, pp0)
    q = max(0.0, rss0)
    flags = 0
    iters = 0
    conv = True
    used = USED_OWN
    raw = 0.0
    if k == 1:
        used = USED_FE
        raw = math.nan if method == _FE else 0.0
        tau2 = 0.0
    else:
        if method == _FE:
            raw = math.nan
        elif method == _DL:
            raw = (q - (kf - 1.0)) / trp0
        elif method == _PM:
            raw, conv, iters, wid = _pm(ys, vs, d, w, k, q, maxiter)
            if wid:
                flags |= _F_PMX
        else:
            raw, conv, iters = _fisher(y, v, a, k, ys, vs, d, w, method, threshold, maxiter, at0)
            if conv and iters > _NEWTON_AFTER:
                flags |= _F_SLOW
            if conv and raw > 0.0 and raw < 1e-6 * vs[0]:
                # boundary solution: exactly 0 where the scoring step at tau2 = 0 points downwards
                if method == _EB:
                    step0 = q * kf / (kf - 1.0) - kf
                else:
                    step0 = w2r2_0 - (s1_0 if method == _ML else trp0)
                if step0 <= 0.0:
                    raw = 0.0
        if not conv:  # fallback chain: PM, then DL
            flags |= _F_FB
            ok = False
            if method != _PM:
                t_pm, ok, _it, wid = _pm(ys, vs, d, w, k, q, maxiter)
                if wid:
                    flags |= _F_PMX_FB
                if ok:
                    raw = t_pm
                    used = USED_PM
            if not ok:
                raw = (q - (kf - 1.0)) / trp0
                used = USED_DL
        tau2 = 0.0 if method == _FE else max(0.0, raw)
    if method == _FE or tau2 == 0.0:
        s1, mu, rss, s2, trp, pp = s1_0, mu0, rss0, s2_0, trp0, pp0
    else:
        s1, mu, rss, s2, trp, pp, _w = _sums(ys, vs, d, w, k, tau2)
        if (method == _ML or method == _REML) and conv and tau2 > threshold and k > 1 and used == USED_OWN:
            # metafor's ll0check (screened as the numpy engine: log1p(x) <= x bounds the sum)
            rest = 0.5 * (rss - q)
            if method == _REML:
                rest += 0.5 * (math.log(s1) - math.log(s1_0))
            ts1 = tau2 * s1_0
            slack = 1e-9 * (ts1 + abs(rss) + abs(q) + 1.0)
            if not (0.5 * ts1 + rest + slack < 0.5 * _LL0_TOL):
                lsum = 0.0
                for i in range(a, a + k):
                    lsum += math.log1p(tau2 * (1.0 / v[i]))
                if 0.5 * lsum + rest > _LL0_TOL:
                    flags |= _F_LOCAL
                    tau2 = 0.0
                    raw = 0.0
                    s1, mu, rss, s2, trp, pp = s1_0, mu0, rss0, s2_0, trp0, pp0
    fo[TAU2, j] = tau2
    fo[TAU2_RAW, j] = raw
    _store(fo, j, S1, s1, mu, rss, s2, trp, pp)
    lo = math.nan
    hi = math.nan
    if tau2_ci and method != _FE and k > 1:
        # Q-profile CI as metafor's confint.rma.uni (type "QP"), as engine._qprofile
        tmax = max(100.0, tau2 * 10.0)
        q_max = _qsums(ys, vs, d, w, k, tmax)[2]
        null = q < crit_l
        if null:
            lo = 0.0
            hi = 0.0
            flags |= _F_NULL
        at_max = (not null) and q_max > crit_l
        if at_max:
            hi = tmax
        solve_hi = (not null) and (not at_max)
        both_max = q_max > crit_u
        if both_max:
            lo = tmax
            hi = tmax
        if at_max or both_max:
            flags |= _F_BOUND
        lo_zero = (not both_max) and q < crit_u
        if lo_zero:
            lo = 0.0
        solve_lo = (not both_max) and (not lo_zero)
        solve_hi = solve_hi and not both_max
        if solve_lo:
            lo, c, _it = _solve_q(ys, vs, d, w, k, crit_u, 0.0, tmax, _ROOT_MAXITER)
            if not c:
                flags |= _F_FAIL_LO
        if solve_hi:
            start = lo if solve_lo else 0.0
            if not math.isfinite(start):
                start = 0.0
            hi, c, _it = _solve_q(ys, vs, d, w, k, crit_l, start, tmax, _ROOT_MAXITER)
            if not c:
                flags |= _F_FAIL_HI
    fo[T_LO, j] = lo
    fo[T_HI, j] = hi
    io[0, j] = iters
    io[1, j] = 1 if conv else 0
    io[2, j] = used
    io[3, j] = flags


def _jit_nogil(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``_jit`` that also releases the GIL while it runs (so that threads can fit analyses side by side)."""
    if numba is None:
        return fn
    return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)  # type: ignore[no-any-return,unused-ignore]


@_jit_nogil
def _fit_range(y: Any, v: Any, starts: Any, k: Any, method: int, threshold: float, maxiter: int, tau2_ci: bool,
               crit_u: Any, crit_l: Any, fo: Any, io: Any, j0: int, j1: int) -> None:
    """Fit analyses j0..j1-1 (each independent of the others: any split of the analyses gives the same bits);
    the scratch rows are allocated once for the range."""
    kmax = 1
    for j in range(j0, j1):
        kmax = max(kmax, k[j])
    ys = np.empty(kmax)
    vs = np.empty(kmax)
    d = np.empty(kmax)
    w = np.empty(kmax)
    for j in range(j0, j1):
        _fit_one(y, v, starts[j], k[j], method, threshold, maxiter, tau2_ci, crit_u[j], crit_l[j], fo, io, j,
                 ys, vs, d, w)


def fit_all(y: np.ndarray, v: np.ndarray, starts: np.ndarray, k: np.ndarray, method: str, threshold: float,
            maxiter: int, tau2_ci: bool, crit_u: np.ndarray, crit_l: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the kernel over every analysis: (floats (N_FLOAT, n): row TAU2 ... T_HI, ints (4, n):
    iterations, converged, used, flags), one column per analysis (so that each statistic is one
    contiguous array).  ``crit_u``/``crit_l``: the chi-square quantiles of the Q-profile per analysis.
    The compiled kernel releases the GIL: callers may fit separate ranges of analyses in threads."""
    n = len(k)
    fo = np.empty((N_FLOAT, n))
    io = np.zeros((4, n), dtype=np.int64)
    if n:
        fit_range = _fit_range if _AOT is None else _AOT._fit_range
        fit_range(_ro(y, np.float64), _ro(v, np.float64), _ro(starts, np.int64), _ro(k, np.int64),
                  int(METHOD_CODE[method]), float(threshold), int(maxiter), bool(tau2_ci),
                  _ro(crit_u, np.float64), _ro(crit_l, np.float64), fo, io, 0, n)
    return fo, io


def _ro(x: np.ndarray, dtype: Any) -> np.ndarray:
    """A read-only contiguous view (no copy when possible): numba compiles a separate version for
    read-only and writable arrays, so the inputs are always passed read-only (one compilation)."""
    out = np.ascontiguousarray(x, dtype=dtype).view()
    out.flags.writeable = False
    return out
