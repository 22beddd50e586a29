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

Without numba the same functions run as plain Python (``compiled() is False``); the numpy engine
uses them for the few analyses with a dominant study (see ``engine._DOMINANT``).
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from .engine import _NEWTON_AFTER as NEWTON_AFTER, _ROOT_RTOL as ROOT_RTOL, ROUNDING_STOP

__all__ = ["compiled", "warm", "fit_all", "METHOD_CODE", "N_FLOAT", "FLAG"]

from ._aot import load as _load_aot

#: the kernel compiled ahead of time (``evigrade.batch._aot``), when built from these sources: then
#: numba is not imported at all and ``fit_all`` runs the compiled module's ``_fit_all``
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

#: float output columns (per analysis)
(TAU2, TAU2_RAW, S1_0, MU_0, RSS_0, S2_0, TRP_0, PP_0, S1, MU, RSS, S2, PP, T_LO, T_HI) = range(15)
N_FLOAT = 15

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


@_jit
def _argmin(v: Any, a: int, k: int) -> int:
    """Row of the smallest sampling variance (the largest weight at every tau2; the first if tied)."""
    m = a
    for i in range(a + 1, a + k):
        if v[i] < v[m]:
            m = i
    return m


@_jit
def _sums(y: Any, v: Any, a: int, k: int, m: int, t: float) -> tuple[float, float, float, float, float, float, float]:
    """At weights w = 1/(v + t) over rows a..a+k (m: the row of the largest weight):
    (S1, mu, RSS = sum w r^2, S2, tr(P), sum(P*P), Y'PPY = sum w^2 r^2), r = y - mu, in stable form.

    mu = y_m + sum_(i != m) w_i (y_i - y_m) / S1 (so r_m = y_m - mu has no cancellation);
    tr(P) = sum w_i c_i and sum(P*P) = sum w_i^2 c_i^2 + sum w_i^2 (S2 - w_i^2) / S1^2 with
    c_i = 1 - w_i / S1, where c_m and S2 - w_m^2 come from the sums over the other rows."""
    wm = 1.0 / (v[m] + t)
    ym = y[m]
    s1x = 0.0
    s2x = 0.0
    dsum = 0.0
    for i in range(a, a + k):
        if i != m:
            w = 1.0 / (v[i] + t)
            s1x += w
            s2x += w * w
            dsum += w * (y[i] - ym)
    s1 = s1x + wm
    s2 = s2x + wm * wm
    shift = dsum / s1
    mu = ym + shift
    rm = -shift
    rss = wm * rm * rm
    w2r2 = wm * wm * rm * rm
    cm = s1x / s1
    trp = wm * cm
    pp = wm * wm * (cm * cm + s2x / (s1 * s1))
    for i in range(a, a + k):
        if i != m:
            w = 1.0 / (v[i] + t)
            r = y[i] - mu
            wr = w * r
            rss += wr * r
            w2r2 += wr * wr
            c = 1.0 - w / s1
            trp += w * c
            pp += w * w * (c * c + (s2 - w * w) / (s1 * s1))
    return s1, mu, rss, s2, trp, pp, w2r2


@_jit
def _pppy(y: Any, v: Any, a: int, k: int, m: int, t: float, mu: float, s1: float) -> float:
    """Y'PPPY = sum w_i (u_i - ubar)^2 with u = w r = Py and ubar its weighted mean (stable as ``_sums``)."""
    wm = 1.0 / (v[m] + t)
    um = wm * (y[m] - mu)
    dsum = 0.0
    for i in range(a, a + k):
        if i != m:
            w = 1.0 / (v[i] + t)
            dsum += w * (w * (y[i] - mu) - um)
    shift = dsum / s1
    em = -shift
    out = wm * em * em
    ubar = um + shift
    for i in range(a, a + k):
        if i != m:
            w = 1.0 / (v[i] + t)
            e = w * (y[i] - mu) - ubar
            out += w * e * e
    return out


@_jit
def _solve_q(y: Any, v: Any, a: int, k: int, m: int, target: float, start: float, hi: float,
             maxiter: int) -> tuple[float, bool, int]:
    """Q(tau2) = target by the safeguarded Newton iteration on 1/Q of ``engine._solve_q`` (the same
    steps, the same bracket, the same stopping rule); returns (root, converged, iterations)."""
    t = start
    lo_b = start
    hi_b = hi
    for it in range(1, maxiter + 1):
        s = _sums(y, v, a, k, m, t)
        q = s[2]
        dq = -s[6]
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
def _pm(y: Any, v: Any, a: int, k: int, m: int, q0: float, maxiter: int) -> tuple[float, bool, int, bool]:
    """Paule-Mandel as ``engine._pm``: (tau2, converged, iterations, widened)."""
    target = k - 1.0
    lo_y = y[a]
    hi_y = y[a]
    for i in range(a + 1, a + k):
        lo_y = min(lo_y, y[i])
        hi_y = max(hi_y, y[i])
    tau2_max = 100.0
    sp = 1.4826 * (hi_y - lo_y)
    if 10.0 * sp * sp > 100.0:
        seg = np.empty(k)
        for i in range(k):
            seg[i] = y[a + i]
        med = _median(seg)
        for i in range(k):
            seg[i] = abs(seg[i] - med)
        mad = 1.4826 * _median(seg)
        tau2_max = max(100.0, 10.0 * mad * mad)
    if not q0 >= target:
        return 0.0, True, 0, False
    qmax = _sums(y, v, a, k, m, tau2_max)[2]
    widened = qmax > target
    if widened:
        for _ in range(60):
            if not qmax > target:
                break
            tau2_max *= 4.0
            qmax = _sums(y, v, a, k, m, tau2_max)[2]
    if not qmax <= target:
        return math.nan, False, 0, False
    root, ok, it = _solve_q(y, v, a, k, m, target, 0.0, tau2_max, maxiter)
    if not ok:
        return math.nan, False, it, False
    return root, True, it, widened


@_jit
def _fisher(y: Any, v: Any, a: int, k: int, m: int, method: int, threshold: float,
            maxiter: int) -> tuple[float, bool, int]:
    """ML/REML/EB: metafor's Fisher scoring from the HE value (truncated at 0) with its step halving,
    Newton steps after ``NEWTON_AFTER`` updates where valid; as ``engine._fisher_loop``, one analysis.
    Returns (tau2, converged, iterations)."""
    kf = float(k)
    ybar = 0.0
    vsum = 0.0
    for i in range(a, a + k):
        ybar += y[i]
        vsum += v[i]
    ybar /= kf
    dss = 0.0
    for i in range(a, a + k):
        d = y[i] - ybar
        dss += d * d
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
        s1, mu, rss, s2, trp, pp, w2r2 = _sums(y, v, a, k, m, t)
        if method == _REML:
            score = w2r2 - trp
            info = pp
        elif method == _ML:
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
                curv = 2.0 * _pppy(y, v, a, k, m, t, mu, s1) - info
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


# long: one analysis end to end in numba's nopython mode (estimate, se, tests, PI, I2/H2, Q-profile) in registers;
# split, its scalars would pass through arrays between compiled calls
@_jit
def _fit_one(y: Any, v: Any, a: int, k: int, method: int, threshold: float, maxiter: int, tau2_ci: bool,
             crit_u: float, crit_l: float, fo: Any, io: Any, j: int) -> None:
    """Fit analysis j (rows a..a+k): floats into fo[j, :], (iterations, converged, used, flags) into io[j, :]."""
    m = _argmin(v, a, k)
    kf = float(k)
    s1_0, mu0, rss0, s2_0, trp0, pp0, w2r2_0 = _sums(y, v, a, k, m, 0.0)
    fo[j, S1_0] = s1_0
    fo[j, MU_0] = mu0
    fo[j, RSS_0] = rss0
    fo[j, S2_0] = s2_0
    fo[j, TRP_0] = trp0
    fo[j, PP_0] = pp0
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
            raw, conv, iters, wid = _pm(y, v, a, k, m, q, maxiter)
            if wid:
                flags |= _F_PMX
        else:
            raw, conv, iters = _fisher(y, v, a, k, m, method, threshold, maxiter)
            if conv and iters > _NEWTON_AFTER:
                flags |= _F_SLOW
            if conv and raw > 0.0 and raw < 1e-6 * v[m]:
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
                t_pm, ok, _it, wid = _pm(y, v, a, k, m, q, maxiter)
                if wid:
                    flags |= _F_PMX_FB
                if ok:
                    raw = t_pm
                    used = USED_PM
            if not ok:
                raw = (q - (kf - 1.0)) / trp0
                used = USED_DL
        tau2 = 0.0 if method == _FE else max(0.0, raw)
    if method == _FE:
        s1, mu, rss, s2, pp = s1_0, mu0, rss0, s2_0, pp0
    else:
        s1, mu, rss, s2, _trp, pp, _w = _sums(y, v, a, k, m, tau2)
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
                    s1, mu, rss, s2, _trp, pp, _w = _sums(y, v, a, k, m, 0.0)
    fo[j, TAU2] = tau2
    fo[j, TAU2_RAW] = raw
    fo[j, S1] = s1
    fo[j, MU] = mu
    fo[j, RSS] = rss
    fo[j, S2] = s2
    fo[j, PP] = pp
    lo = math.nan
    hi = math.nan
    if tau2_ci and method != _FE and k > 1:
        # Q-profile CI as metafor's confint.rma.uni (type "QP"), as engine._qprofile
        tmax = max(100.0, tau2 * 10.0)
        q_max = _sums(y, v, a, k, m, tmax)[2]
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
            lo, c, _it = _solve_q(y, v, a, k, m, crit_u, 0.0, tmax, _ROOT_MAXITER)
            if not c:
                flags |= _F_FAIL_LO
        if solve_hi:
            start = lo if solve_lo else 0.0
            if not math.isfinite(start):
                start = 0.0
            hi, c, _it = _solve_q(y, v, a, k, m, crit_l, start, tmax, _ROOT_MAXITER)
            if not c:
                flags |= _F_FAIL_HI
    fo[j, T_LO] = lo
    fo[j, T_HI] = hi
    io[j, 0] = iters
    io[j, 1] = 1 if conv else 0
    io[j, 2] = used
    io[j, 3] = flags


@_jit
def _fit_all(y: Any, v: Any, starts: Any, k: Any, method: int, threshold: float, maxiter: int, tau2_ci: bool,
             crit_u: Any, crit_l: Any, fo: Any, io: Any) -> None:
    for j in range(k.shape[0]):
        _fit_one(y, v, starts[j], k[j], method, threshold, maxiter, tau2_ci, crit_u[j], crit_l[j], fo, io, j)


def fit_all(y: np.ndarray, v: np.ndarray, starts: np.ndarray, k: np.ndarray, method: str, threshold: float,
            maxiter: int, tau2_ci: bool, crit_u: np.ndarray, crit_l: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the kernel over every analysis: (floats (n, N_FLOAT), ints (n, 4): iterations, converged,
    used, flags).  ``crit_u``/``crit_l``: the chi-square quantiles of the Q-profile per analysis."""
    n = len(k)
    fo = np.empty((n, N_FLOAT))
    io = np.zeros((n, 4), dtype=np.int64)
    if n:
        (_fit_all if _AOT is None else _AOT._fit_all)(_ro(y, np.float64), _ro(v, np.float64), _ro(starts, np.int64), _ro(k, np.int64),
                 int(METHOD_CODE[method]), float(threshold), int(maxiter), bool(tau2_ci),
                 _ro(crit_u, np.float64), _ro(crit_l, np.float64), fo, io)
    return fo, io


def _ro(x: np.ndarray, dtype: Any) -> np.ndarray:
    """A read-only contiguous view (no copy when possible): numba compiles a separate version for
    read-only and writable arrays, so the inputs are always passed read-only (one compilation)."""
    out = np.ascontiguousarray(x, dtype=dtype).view()
    out.flags.writeable = False
    return out
