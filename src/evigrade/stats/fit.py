"""The general random/mixed-effects model ``y = X beta + u + e`` fitted exactly as metafor 3.8 ``rma.uni``.

``fit_rma(yi, vi, X=None, method=...)`` estimates the (residual) heterogeneity tau² with one of
metafor's estimators and then the fixed effects by weighted least squares:

* closed forms: DL (DerSimonian-Laird), HE (Hedges), HS / HSk (Hunter-Schmidt, with small-sample
  factor), SJ (Sidik-Jonkman, initial value ``var(y) (k-1)/k``);
* iterative: ML, REML, EB (metafor's Fisher scoring from the HE value truncated at 0 for up to 100
  updates, then Newton steps on the same estimating equation where valid; step halving keeps
  tau² >= 0; ML/REML "stuck at a local maximum" check against tau² = 0 as metafor's ``ll0check``;
  the path is described at ``NEWTON_AFTER`` below and is the batch engine's, step for step) and PM
  (Paule-Mandel: root of the generalised Q = k - p on ``[0, max(100, 10 mad(y)²)]`` by a bracketed
  Newton iteration, ``solve_q``, again the batch engine's);
* FE (alias CE/EE/common): tau² = 0.

Negative estimates are truncated at 0 (the raw value is kept in ``diagnostics.tau2_raw`` and a
Note says so).  An iterative estimator that fails does not crash: the next method in the fallback
chain (default REML/ML/EB -> PM -> DL, PM -> DL) is used, recorded in
``diagnostics.fallback_chain``, as a Note and as a ``ConvergenceWarning``.  If every method fails,
``EstimationError``.

Where evigrade goes beyond metafor (each documented where it happens, none changes a result that
metafor reaches by more than its own convergence threshold):

* ML/REML/EB reach the maximiser of the (restricted) likelihood also where metafor's default Fisher
  scoring oscillates without converging (about 2 in 100,000 simulated analyses) or creeps for
  thousands of iterations on a flat likelihood; the result then equals metafor run with
  ``control=list(stepadj=0.5)`` (tests/reference/golden/rma_convergence.json).  The fallback chain
  is used only when the maximiser is not found within ``maxiter`` updates.
* A Fisher scoring run that creeps towards a maximum on the boundary ends at exactly 0 (metafor
  stops at a tiny positive value whose size depends on the scale of the data).
* PM's default search interval is widened when the root lies beyond it (metafor stops with
  "tau2.max too low"); an explicit ``control={"tau2_max": ...}`` is respected.
* Projections use a QR decomposition of W^(1/2) X, which keeps full precision for badly scaled
  moderators (metafor inverts X'WX; see tests/reference/test_rma_golden.py for the measured effect).

Like metafor, the tau² estimators and the residual Q work on the mean-centred outcome (``Ymc``;
this matters only for models without an intercept, which get a Note); the fixed effects are fitted
on the raw outcome.  Convergence defaults are tighter than metafor's (threshold 1e-12 rather than
1e-5, PM root to 1e-13 relative and Q-profile tolerance 1e-12 rather than eps^0.25) so that results agree with metafor run with
``control=list(threshold=1e-12, tol=1e-12)``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal, Mapping, TypedDict, Union, cast

import numpy as np
from .. import _dist as sps

from .._format import fmt_sig
from .. import _options
from .._options import TESTS
from .._validate import check_level
from ..errors import ConvergenceWarning, EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note
from .results import Diagnostics, RmaFit

__all__ = [
    "METHODS",
    "TESTS",
    "MethodName",
    "TestName",
    "Control",
    "canonical_method",
    "canonical_test",
    "fit_rma",
    "tau2_estimate",
    "qe_generalised",
    "solve_q",
    "NEWTON_AFTER",
    "ROUNDING_STOP",
    "ROOT_RTOL",
]

MethodName = Literal["FE", "CE", "EE", "common", "fixed", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM"]
TestName = Literal["z", "t", "knha", "hksj", "wald"]

#: tau² estimators, in metafor's spelling.  "FE" has the aliases "CE", "EE", "common" and "fixed"
#: (``evigrade._options.METHOD_ALIASES``).
METHODS: tuple[str, ...] = ("FE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM")
# TESTS (Wald z, metafor's plain t, or Hartung-Knapp-Sidik-Jonkman t; aliases in evigrade._options) is imported above.

ITERATIVE = frozenset({"ML", "REML", "EB", "PM"})
#: Default fallback chains for estimators that can fail to converge.
DEFAULT_FALLBACK: dict[str, tuple[str, ...]] = {
    "REML": ("PM", "DL"),
    "ML": ("PM", "DL"),
    "EB": ("PM", "DL"),
    "PM": ("DL",),
}
_EPS = np.finfo(float).eps
# metafor's default tolerance for its ML/REML log-likelihood check at tau2 = 0 (.Machine$double.eps^0.25)
_LL0_TOL = _EPS**0.25


@dataclass(frozen=True, slots=True)
class Control:
    """Numerical settings (metafor's ``control=`` list).

    ``threshold``: ML/REML/EB stop when |tau²_new - tau²_old| <= threshold (or when the change is at
    the rounding level of tau², ``ROUNDING_STOP * tau²``, which an absolute threshold cannot undercut).
    ``maxiter``: the most updates an iterative estimator may take (ML/REML/EB steps, PM root-finding
    iterations) before it is declared non-converged and the fallback chain is used; the same
    meaning, and the same count, as in the batch engine.  (The Q-profile CI has its own cap,
    ``max(maxiter, 1000)``, as it must not fail where the estimate did not.)
    ``tol``: absolute tolerance of the Q-profile root finding (PM stops at 1e-13 relative).
    ``tau2_init``: starting value for ML/REML/EB (default: HE truncated at 0), or SJ's initial value.
    ``tau2_max``: upper end of PM's search interval (default ``max(100, 10 mad(y)²)`` as metafor).
    ``stepadj``: multiplier of the Fisher scoring steps (not of the Newton steps).  ``ll0check``: metafor's local-maximum check.
    ``fallback``: estimators to try, in order, when the requested one fails (None = default chain).
    """

    threshold: float = 1e-12
    maxiter: int = 1000
    tol: float = 1e-12
    tau2_init: float | None = None
    tau2_max: float | None = None
    stepadj: float = 1.0
    ll0check: bool = True
    fallback: tuple[str, ...] | None = None

    @classmethod
    def from_any(cls, control: "Control | Mapping[str, Any] | None") -> "Control":
        if control is None:
            return cls()
        if isinstance(control, Control):
            return control
        if not isinstance(control, Mapping):
            raise SpecError(f"control must be a dict of settings, got {type(control).__name__}")
        allowed = ("threshold", "maxiter", "tol", "tau2_init", "tau2_max", "stepadj", "ll0check", "fallback")
        kw: dict[str, Any] = {}
        for key, val in control.items():
            name = str(key).replace(".", "_")
            if name not in allowed:
                raise SpecError(f"control key {key!r} is not one of {', '.join(repr(a) for a in allowed)}")
            kw[name] = val
        for name in ("threshold", "tol", "stepadj"):
            if name in kw:
                v = float(kw[name])
                if not (math.isfinite(v) and v > 0):
                    raise SpecError(f"control {name}={kw[name]!r} must be a positive number")
                kw[name] = v
        if "maxiter" in kw:
            try:
                m = int(kw["maxiter"])
            except (TypeError, ValueError):
                raise SpecError(f"control maxiter={kw['maxiter']!r} must be a positive integer") from None
            if m < 1:
                raise SpecError(f"control maxiter={kw['maxiter']!r} must be a positive integer")
            kw["maxiter"] = m
        for name in ("tau2_init", "tau2_max"):
            if kw.get(name) is not None:
                v = float(kw[name])
                if not (math.isfinite(v) and v >= 0):
                    raise SpecError(f"control {name}={kw[name]!r} must be a number >= 0")
                kw[name] = v
        if kw.get("fallback") is not None:
            fb = kw["fallback"]
            if isinstance(fb, str):
                fb = (fb,)
            kw["fallback"] = tuple(canonical_method(m, name="control fallback") for m in fb)
        return cls(**kw)


def canonical_method(method: str, *, name: str = "method") -> MethodName:
    """Canonical spelling of a tau² estimator; SpecError naming the allowed set otherwise."""
    # cast: check_choice returned a member of METHODS, all of which are MethodName spellings
    return cast(MethodName, _options.canonical_method(method, METHODS, name=name))


def canonical_test(test: str) -> TestName:
    """``"z"``, ``"t"`` or ``"knha"``, from any alias (see ``evigrade._options.TEST_ALIASES``)."""
    # cast: check_choice returned a member of TESTS, all of which are TestName spellings
    return cast(TestName, _options.canonical_test(test))


# --------------------------------------------------------------------------------------------
# linear algebra helpers (k x k matrices as metafor; fine for the k of a meta-analysis)


#: Above this many studies an intercept-only (one-column) model never forms a k x k matrix: the
#: projection P = W - W x (x'Wx)^-1 x'W is kept as its diagonal weights and one vector
#: (``_RankOneP``), and every quantity the fit needs (P y, y'P y, tr P, sums of squared entries
#: of P and P V) has an O(k) formula.  k = 100,000 then fits in about a second in O(k) memory
#: (a dense P would need 80 GB).  At or below it the dense route of metafor is kept, so every
#: result checked against metafor is computed exactly as before; the two routes agree to ~1e-13
#: (tests/hostile/test_hostile_large_k.py checks 1e-9 for eight estimators).
DENSE_MAX_K = 1000


class _RankOneP:
    """P = diag(w) - c a a' with a = w x, c = 1 / (x'Wx), without forming the k x k matrix."""

    __slots__ = ("w", "x", "a", "c", "d")

    def __init__(self, x: np.ndarray, w: np.ndarray) -> None:
        self.w = w
        self.x = x
        self.a = w * x
        ax2 = self.a * x  # w x^2 >= 0
        total = float(ax2.sum())
        self.c = 1.0 / total
        # the diagonal P_ii = w_i (sum_{j != i} w_j x_j^2) / sum_j w_j x_j^2, from leave-one-out sums
        # of non-negative terms (no cancellation, also when one weight dominates)
        self.d = w * _leave_one_out(ax2) * self.c

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """P v = W (v - x b), b the weighted least-squares slope of v on x."""
        return self.w * (v - self.x * (float(self.a @ v) * self.c))

    def quad(self, v: np.ndarray) -> float:
        """v'P v = sum w (v - x b)^2."""
        r = v - self.x * (float(self.a @ v) * self.c)
        return float(self.w @ (r * r))

    def trace(self, v: np.ndarray | None = None) -> float:
        """tr P, or tr(P diag(v))."""
        return float(self.d.sum()) if v is None else float(self.d @ v)

    def sq_sum(self, u: np.ndarray | None = None, v: np.ndarray | None = None) -> float:
        """sum_ij P_ij^2 u_i v_j (u, v >= 0; 1 when None): the diagonal terms plus
        c^2 sum_i a_i^2 u_i sum_{j != i} a_j^2 v_j, the latter from leave-one-out sums."""
        k = len(self.w)
        uu = np.ones(k) if u is None else u
        vv = np.ones(k) if v is None else v
        a2 = self.a * self.a
        diag = float(np.sum(self.d * self.d * uu * vv))
        off = float(np.sum(a2 * uu * _leave_one_out(a2 * vv)))
        return diag + self.c * self.c * off


def _leave_one_out(t: np.ndarray) -> np.ndarray:
    """sum_{j != i} t_j for every i, from prefix and suffix sums (exact in sign for t >= 0)."""
    pre = np.concatenate(([0.0], np.cumsum(t)[:-1]))
    suf = np.concatenate((np.cumsum(t[::-1])[::-1][1:], [0.0]))
    return pre + suf


_Proj = Union[np.ndarray, _RankOneP]


def _proj(X: np.ndarray, w: np.ndarray) -> tuple[_Proj, np.ndarray]:
    """P = W - W X (X'WX)^-1 X'W and (X'WX)^-1 for weights ``w``.

    Computed through the QR decomposition of W^(1/2) X (P = W^(1/2) (I - QQ') W^(1/2)), which keeps
    full precision for badly scaled moderators (e.g. publication year) where forming X'WX does not.
    For one column and k > ``DENSE_MAX_K`` P is a ``_RankOneP`` (O(k) memory); use the ``_p*``
    helpers below, which accept either form.
    """
    if X.shape[1] == 1:
        if X.shape[0] > DENSE_MAX_K:
            op = _RankOneP(X[:, 0], w)
            return op, np.array([[op.c]])
        # one column (the intercept-only model of every meta_analysis): P = W - (Wx)(Wx)' / x'Wx
        # directly -- the same rounding as the QR route, without its overhead (this is the hot
        # path of the iterations and of the Q-profile root finding)
        wx = w * X[:, 0]
        sxx = float(wx @ X[:, 0])
        P = np.outer(wx, wx / -sxx)
        P[np.diag_indices_from(P)] += w
        return P, np.array([[1.0 / sxx]])
    sw = np.sqrt(w)
    Q, R = np.linalg.qr(X * sw[:, None])
    M = -(Q @ Q.T)
    M[np.diag_indices_from(M)] += 1.0
    P = M * sw[:, None] * sw[None, :]
    Rinv = np.linalg.inv(R)
    inv = Rinv @ Rinv.T
    return P, inv


# The operations on P that the estimators need, for the dense matrix (exactly the expressions
# used before the O(k) route existed, so small-k results are unchanged) or the rank-one form.


def _pmv(P: _Proj, v: np.ndarray) -> np.ndarray:
    """P v."""
    return P.matvec(v) if isinstance(P, _RankOneP) else P @ v


def _pquad(P: _Proj, v: np.ndarray) -> float:
    """v' P v."""
    return P.quad(v) if isinstance(P, _RankOneP) else float(v @ P @ v)


def _ptrace(P: _Proj, v: np.ndarray | None = None) -> float:
    """tr P, or tr(P diag(v))."""
    if isinstance(P, _RankOneP):
        return P.trace(v)
    return float(np.trace(P)) if v is None else float(np.trace(P * v[None, :]))


def _psq(P: _Proj, u: np.ndarray | None = None, v: np.ndarray | None = None) -> float:
    """sum(P*P) (u = v = None), sum(PV*P) (u None, v = vi) or sum(PV*PV') (u = v = vi), PV = P diag(vi)."""
    if isinstance(P, _RankOneP):
        return P.sq_sum(u, v)
    if v is None:
        return float(np.sum(P * P))
    PV = P * v[None, :]
    return float(np.sum(PV * P)) if u is None else float(np.sum(PV * PV.T))


def qe_generalised(tau2: float, y: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    """The generalised Q statistic ``y' P(tau2) y`` with weights ``1/(vi + tau2)`` (metafor ``.QE.func``)."""
    w = 1.0 / (vi + tau2)
    if X.shape[1] == 1:  # one column: Q = sum w (y - x b)^2 with the WLS slope b, no k x k matrix
        x = X[:, 0]
        wx = w * x
        r = y - x * (float(wx @ y) / float(wx @ x))
        return float(w @ (r * r))
    P, _ = _proj(X, w)
    return _pquad(P, y)


def _mad(x: np.ndarray) -> float:
    med = np.median(x)
    return float(1.4826 * np.median(np.abs(x - med)))


class _Tau2State(TypedDict, total=False):
    """What an estimator keeps for its se(tau2) (each estimator fills the keys it needs)."""

    P: _Proj
    w: np.ndarray
    V: np.ndarray  # the sampling variances (PV = P diag(V) for HE and SJ)
    trP: float
    trPV: float
    tau2_0: float


@dataclass(frozen=True, slots=True)
class _Tau2:
    raw: float  # before truncation
    converged: bool
    iterations: int
    state: _Tau2State  # matrices needed for se(tau2)
    notes: tuple[Note, ...] = ()


def tau2_estimate(
    method: str, yi: np.ndarray, vi: np.ndarray, X: np.ndarray | None = None, control: Any = None
) -> tuple[float, float, bool, int]:
    """One estimator, no fallback: ``(tau2_truncated, tau2_raw, converged, iterations)``.

    Public so that other modules (batch engine, meta-regression) can check a single estimator.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    X = np.ones((len(yi), 1)) if X is None else np.asarray(X, dtype=float)
    con = Control.from_any(control)
    est = _estimate(canonical_method(method), yi - yi.mean(), vi, X, con)
    return max(0.0, est.raw), est.raw, est.converged, est.iterations


def _estimate(method: str, y: np.ndarray, vi: np.ndarray, X: np.ndarray, con: Control) -> _Tau2:
    """Estimate tau² with ``method`` on centred outcome ``y`` (metafor's Ymc)."""
    k, p = X.shape
    if method == "FE":
        return _Tau2(0.0, True, 0, {})
    if method in ("HS", "HSk", "DL"):
        w = 1.0 / vi
        P, _ = _proj(X, w)
        RSS = _pquad(P, y)
        if method == "DL":
            trP = _ptrace(P)
            raw = (RSS - (k - p)) / trP
            return _Tau2(raw, True, 0, {"P": P, "trP": trP})
        if method == "HS":
            raw = (RSS - k) / w.sum()
        else:
            raw = (k / (k - p) * RSS - k) / w.sum()
        return _Tau2(raw, True, 0, {"P": P, "w": w})
    if method == "HE" or (method in ("ML", "REML", "EB")):
        P0, _ = _proj(X, np.ones(k))  # I - X (X'X)^-1 X'
        RSS = _pquad(P0, y)
        trPV = _ptrace(P0, vi)
        he = (RSS - trPV) / (k - p)
        if method == "HE":
            return _Tau2(he, True, 0, {"P": P0, "V": vi, "trPV": trPV})
        start = max(0.0, he) if con.tau2_init is None else con.tau2_init
        return _fisher(method, y, vi, X, con, start)
    if method == "SJ":
        t0 = float(np.mean(y**2)) if con.tau2_init is None else con.tau2_init  # var(y)(k-1)/k, y centred
        w = 1.0 / (vi + t0)
        P, _ = _proj(X, w)
        RSS = _pquad(P, y)
        raw = t0 * RSS / (k - p)
        return _Tau2(raw, True, 0, {"P": P, "V": vi, "tau2_0": t0})
    if method == "PM":
        return _paule_mandel(y, vi, X, con)
    raise SpecError(f"method={method!r} is not one of {', '.join(repr(m) for m in METHODS)}")  # pragma: no cover


# ML/REML/EB: ONE convergence path, shared with the batch engine (evigrade.batch.engine runs the
# same steps vectorised and imports these constants; tests/unit/test_batch_engine.py checks that the
# two agree to 1e-8 on every statistic, note and fallback):
#
# 1. metafor's Fisher scoring (step = score / information, x ``stepadj``) from the HE value
#    truncated at 0, for up to ``NEWTON_AFTER`` = 100 updates (metafor's default maxiter).  Where
#    metafor converges, evigrade takes the very same steps and stops at the very same point.
#    (Newton could take over after two steps -- the batch engine did, about twice as fast -- but
#    Fisher scoring converges linearly and metafor's stopping point then lies up to ~3e-12 from the
#    exact maximiser, e.g. ML with moderators on dat.bcg, 2.4e-9 relative in a p-value: more than
#    the golden tolerance.  Reproducing metafor's own iterates keeps every golden at 1e-9.)
# 2. from update 101 on (metafor's default has given up by then: its Fisher scoring oscillates
#    between two values -- about 2 in 100,000 simulated analyses -- or creeps on a flat likelihood)
#    a Newton step on the same estimating equation (score / -d score/d tau2) is taken where it is
#    valid (negative second derivative, i.e. towards a maximum; finite; tau2 stays >= 0), a Fisher
#    scoring step otherwise.  Newton converges quadratically to the maximiser, the value metafor
#    reaches with control=list(stepadj=0.5) (tests/reference/golden/rma_convergence.json);
# 3. step halving keeps tau2 >= 0 exactly as metafor (from tau2 = 0 a downward step is 0);
# 4. stop when |step| <= threshold (or |step| <= ROUNDING_STOP * tau2, below which tau2 cannot
#    resolve a step), or after two Newton steps in a row in the quadratic phase when
#    the next change (about |d_k|^3 / |d_(k-1)|^2) is below the threshold;
# 5. at most ``maxiter`` updates in all (metafor's meaning of maxiter; evigrade's default 1000);
#    not converged by then -> the fallback chain (PM -> DL), the only case where it is used.
# NEWTON_AFTER = 100, ROUNDING_STOP (8 ulps of tau2) and ROOT_RTOL (1e-13, the PM root finder) are
# defined in evigrade._convergence, so that the batch engine shares them without importing evigrade.stats.
from .._convergence import NEWTON_AFTER, ROOT_RTOL, ROUNDING_STOP  # noqa: E402


def step_scale(method: str, k: int, score: float, info: float) -> float:
    """The scale of the rounding error of a scoring step score / info (ML/REML/EB; shared with the
    batch engine): score is a difference of two sums whose size is at most |score| + 2 B with
    B = tr(P) <= sqrt(k sum(P*P)) (REML), S1 <= sqrt(k S2) (ML) or k (EB).  A step below
    ``ROUNDING_STOP`` times this scale is rounding noise: with large sampling variances (a study
    with vi ~ 1e5 next to one with vi ~ 0.03) the noise exceeds both the threshold and the rounding
    level of tau2, and the iterates would flip without converging (issue 19)."""
    if not info > 0.0:
        return 0.0
    b = float(k) if method == "EB" else math.sqrt(k * info)
    return (abs(score) + 2.0 * b) / info


def _score_parts(method: str, t: float, y: np.ndarray, vi: np.ndarray, X: np.ndarray, newton: bool) -> tuple[float, float, float]:
    """(score, Fisher information, -d score/d tau2) at tau2 = t for ML/REML/EB (metafor's scaling:
    Fisher step = score / information).  The last is only computed when ``newton``."""
    k, p = X.shape
    w = 1.0 / (vi + t)
    P, _ = _proj(X, w)
    Py = _pmv(P, y)
    PyPy = float(Py @ Py)
    curv = float("nan")
    if method == "ML":
        info = float((w**2).sum())
        if newton:
            curv = 2.0 * _pquad(P, Py) - info
        return PyPy - float(w.sum()), info, curv
    if method == "REML":
        info = _psq(P)
        if newton:
            curv = 2.0 * _pquad(P, Py) - info
        return PyPy - _ptrace(P), info, curv
    c = k / (k - p)  # EB
    if newton:
        curv = PyPy * c
    return float(y @ Py) * c - k, float(w.sum()), curv


def _fisher(method: str, y: np.ndarray, vi: np.ndarray, X: np.ndarray, con: Control, start: float) -> _Tau2:
    tau2 = float(start)
    it = 0
    conv = False
    prev_abs = math.inf
    prev_newton = False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while True:
            it += 1
            if not np.all(np.isfinite(1.0 / (vi + tau2))):
                break
            newton = it > NEWTON_AFTER
            score, info, curv = _score_parts(method, tau2, y, vi, X, newton)
            adj = score / info * con.stepadj
            use = False
            if newton:
                nstep = score / curv if curv != 0.0 else math.nan
                use = curv > 0.0 and math.isfinite(nstep) and tau2 + nstep >= 0.0
                if use:
                    adj = nstep
            if not math.isfinite(adj):
                adj = 0.0  # as metafor (NaN step -> no change)
            if tau2 + adj < 0.0:
                if tau2 <= 0.0:
                    adj = 0.0  # metafor halves a downward step from 0 until it underflows to 0
                else:
                    while tau2 + adj < 0.0:  # step halving keeps tau2 >= 0
                        adj *= 0.5
            tau2 = tau2 + adj
            aabs = abs(adj)
            done = aabs <= con.threshold or aabs <= ROUNDING_STOP * max(tau2, step_scale(method, len(y), score, info))
            if newton:
                if (use and prev_newton and aabs <= 1e-6 and aabs < prev_abs
                        and aabs * aabs * aabs <= con.threshold * prev_abs * prev_abs):
                    done = True
                prev_newton = use
            prev_abs = aabs
            if done:
                conv = True
                break
            if it >= con.maxiter:
                break
    if not conv or not math.isfinite(tau2):
        return _Tau2(tau2, False, it, {})
    if 0.0 < tau2 < 1e-6 * float(vi.min()) and _step_at_zero(method, y, vi, X) <= 0.0:
        # Fisher scoring approaches a maximum on the boundary geometrically and stops at a tiny
        # positive tau2 whose size depends on the scale of the data (metafor's absolute threshold).
        # The score at 0 points downwards, so the exact estimate is 0: report that (scale invariant;
        # it differs from metafor by less than the threshold).
        tau2 = 0.0
    notes: list[Note] = []
    if it > NEWTON_AFTER:
        notes.append(Note(NoteCode.SLOW_CONVERGENCE, f"{method}: Fisher scoring had not converged after {NEWTON_AFTER} "
                                              "iterations (metafor's default would stop without a result); the "
                                              "maximum was reached by Newton steps on the same estimating "
                                              "equation (the value metafor finds with control=list(stepadj=0.5))."))
    if con.ll0check and method in ("ML", "REML"):
        ll0 = _loglik(method, 0.0, y, vi, X)
        ll = _loglik(method, tau2, y, vi, X)
        if ll0 - ll > _LL0_TOL and tau2 > con.threshold:
            notes.append(
                Note(
                    NoteCode.LOCAL_MAXIMUM,
                    f"Fisher scoring may have stopped at a local maximum (tau2={fmt_sig(tau2)}); the likelihood "
                    "is higher at tau2 = 0, so tau2 was set to 0 (as metafor does).",
                )
            )
            tau2 = 0.0
    w = 1.0 / (vi + tau2)
    P, _ = _proj(X, w)
    return _Tau2(tau2, True, it, {"P": P, "w": w}, tuple(notes))


def solve_q(y: np.ndarray, vi: np.ndarray, X: np.ndarray, target: float, lo: float, hi: float, maxiter: int) -> tuple[float, bool, int]:
    """Solve Q_gen(tau2) = target on [lo, hi] (requires Q(lo) >= target >= Q(hi)).

    The algorithm of the batch engine (``evigrade.batch.engine._solve_q``), one analysis at a time:
    Q_gen is strictly decreasing, so the root is unique; Newton's method is applied to
    1/Q - 1/target (nearly linear in tau2, about three steps), a bracket is kept from the sign of
    Q - target at every iterate, and a step that leaves it is replaced by bisection.  Stops when the
    step (or the bracket) is below ``ROOT_RTOL`` relative; at most ``maxiter`` iterations.
    Returns (root, converged, iterations).
    """
    t = float(lo)
    lo_b, hi_b = float(lo), float(hi)
    for it in range(1, maxiter + 1):
        w = 1.0 / (vi + t)
        P, _ = _proj(X, w)
        Py = _pmv(P, y)
        q = float(y @ Py)
        dq = -float(Py @ Py)
        if q >= target:
            lo_b = t
        else:
            hi_b = t
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = (q - target) / (-dq) * (q / target) if dq != 0.0 and target != 0.0 else math.nan
        new = t + step
        if not math.isfinite(new) or new < lo_b or new > hi_b:
            new = 0.5 * (lo_b + hi_b)
        done = abs(new - t) <= ROOT_RTOL * max(1.0, abs(new)) or hi_b - lo_b <= ROOT_RTOL * max(1.0, hi_b)
        t = new
        if done:
            return t, True, it
    return t, False, maxiter


def _step_at_zero(method: str, y: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    """The sign-carrying numerator of the Fisher scoring step at tau2 = 0."""
    k: int
    p: int
    k, p = X.shape
    w = 1.0 / vi
    P, _ = _proj(X, w)
    Py = _pmv(P, y)
    if method == "ML":
        return float(Py @ Py) - float(w.sum())
    if method == "REML":
        return float(Py @ Py) - _ptrace(P)
    return float(y @ Py) * k / (k - p) - k  # EB


def _loglik(method: str, tau2: float, y: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    k: int
    p: int
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    WX = X * w[:, None]
    XtWX = X.T @ WX
    beta = np.linalg.solve(XtWX, WX.T @ y)
    RSS = float(np.sum(w * (y - X @ beta) ** 2))
    if method == "ML":
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * RSS
    _, logdet = np.linalg.slogdet(XtWX)
    return (
        -0.5 * (k - p) * math.log(2 * math.pi)
        - 0.5 * float(np.sum(np.log(vi + tau2)))
        - 0.5 * float(logdet)
        - 0.5 * RSS
    )


def _paule_mandel(y: np.ndarray, vi: np.ndarray, X: np.ndarray, con: Control) -> _Tau2:
    k: int
    p: int
    k, p = X.shape
    target = k - p
    tau2_max = con.tau2_max if con.tau2_max is not None else max(100.0, 10.0 * _mad(y) ** 2)

    def f(t: float) -> float:
        return qe_generalised(t, y, vi, X) - target

    notes: tuple[Note, ...] = ()
    if f(0.0) < 0:
        t = 0.0
        it = 0
    else:
        fmax = f(tau2_max)
        if fmax > 0 and con.tau2_max is None:
            # metafor stops here ("tau2.max too low"); Q_gen decreases to 0 as tau2 grows, so the
            # root exists: widen the default interval instead (an explicit control tau2_max is kept).
            start = tau2_max
            for _ in range(60):
                tau2_max *= 4.0
                fmax = f(tau2_max)
                if not fmax > 0:
                    break
            notes = (Note(NoteCode.PM_INTERVAL_EXTENDED, f"The Paule-Mandel search interval was widened from "
                                                  f"[0, {fmt_sig(start)}] to [0, {fmt_sig(tau2_max)}] to reach the root."),)
        if not (fmax <= 0):  # also catches NaN
            return _Tau2(float("nan"), False, 0, {})
        # the same safeguarded Newton iteration as the batch engine, capped at maxiter iterations
        # (metafor: uniroot(maxiter=maxiter)); it cannot diverge, so it fails only when maxiter is tiny
        t, ok, it = solve_q(y, vi, X, float(target), 0.0, tau2_max, con.maxiter)
        if not ok:
            return _Tau2(float(t), False, it, {})
    w = 1.0 / (vi + t)
    return _Tau2(float(t), True, int(it), {"w": w}, notes)


def _se_tau2(method: str, tau2: float, est: _Tau2, k: int, p: int) -> float:
    t = max(tau2, 0.0)
    s = est.state
    if method == "DL":
        P, trP = s["P"], s["trP"]
        return math.sqrt(1 / trP**2 * (2 * (k - p) + 4 * t * trP + 2 * t**2 * _psq(P)))
    if method in ("HS", "HSk"):
        P, w = s["P"], s["w"]
        v = math.sqrt(1 / w.sum() ** 2 * (2 * (k - p) + 4 * t * _ptrace(P) + 2 * t**2 * _psq(P)))
        return v * (k / (k - p) if method == "HSk" else 1.0)
    if method == "HE":
        P, V, trPV = s["P"], s["V"], s["trPV"]
        return math.sqrt(1 / (k - p) ** 2 * (2 * _psq(P, V, V) + 4 * t * trPV + 2 * t**2 * (k - p)))
    if method == "SJ":
        P, V, t0 = s["P"], s["V"], s["tau2_0"]
        return math.sqrt(
            t0**2 / (k - p) ** 2
            * (2 * _psq(P, V, V) + 4 * t * _psq(P, None, V) + 2 * t**2 * _psq(P))
        )
    if method == "ML":
        return math.sqrt(2 / float(np.sum(s["w"] ** 2)))
    if method == "REML":
        return math.sqrt(2 / _psq(s["P"]))
    if method in ("EB", "PM"):
        return math.sqrt(2 * k**2 / (k - p) / float(s["w"].sum()) ** 2)
    return float("nan")


def _as_1d(name: str, x: Any) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers", column=name, value=x, fix="give numeric values") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional", column=name, has_value=False, fix="pass one value per study")
    return arr


def validate_yi_vi(yi: Any, vi: Any, study: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Check effect sizes and sampling variances; InputError naming the study and column otherwise."""
    y = _as_1d("yi", yi)
    v = _as_1d("vi", vi)
    if len(y) != len(v):
        raise InputError(
            f"yi and vi must have the same length ({len(y)} vs {len(v)})", column="vi", has_value=False,
            fix="give one sampling variance per effect size",
        )
    if len(y) == 0:
        raise InputError("no studies to pool (k = 0)", has_value=False, fix="provide at least one study")
    for i in range(len(y)):
        label = study[i] if study is not None and i < len(study) else f"study {i + 1}"
        if not math.isfinite(y[i]):
            raise InputError("effect size must be a finite number", label=label, column="yi", value=float(y[i]),
                             fix="remove the study or supply its effect size")
        if not (math.isfinite(v[i]) and v[i] > 0):
            raise InputError("sampling variance must be a finite number > 0", label=label, column="vi",
                             value=float(v[i]), fix="check the standard error / SD and sample size of this study")
    return y, v


def check_finite_effects(y: np.ndarray, v: np.ndarray, unit: str) -> None:
    """The combined check of the ``rma.mv``/``rma.ls`` fits: every effect size finite and every sampling variance
    finite and > 0, else InputError naming the first bad row (``unit``: what a row is, for the fix)."""
    bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(v) | (v <= 0))
    if len(bad):
        i = int(bad[0])
        raise InputError("effect size or sampling variance is missing, infinite or not > 0", row=i + 1,
                         column="yi/vi", value=f"{y[i]}, {v[i]}", has_value=True,
                         fix=f"drop {unit} without a positive sampling variance")


def fit_rma(
    yi: Any,
    vi: Any,
    X: Any = None,
    *,
    method: MethodName = "REML",
    test: TestName = "z",
    level: float = 95,
    adhoc: bool = False,
    weights: Any = None,
    control: Any = None,
    study: tuple[str, ...] | None = None,
) -> RmaFit:
    """Fit metafor's ``rma.uni(yi, vi, mods=X, intercept=FALSE, method=, test=)``.

    ``X`` is the k x p design matrix (default: a column of ones).  ``test="knha"`` gives t-tests
    with k - p df and the HKSJ scale factor; ``adhoc=True`` truncates that factor below at 1
    (metafor ``test="adhoc"``).  ``weights`` are optional user weights (metafor ``weights=``).
    """
    method_req = canonical_method(method)
    test = canonical_test(test)
    lvl = check_level(level)
    con = Control.from_any(control)
    if not isinstance(adhoc, (bool, np.bool_)):
        raise SpecError(f"adhoc must be True or False, got {adhoc!r}")
    adhoc = bool(adhoc)
    y, v = validate_yi_vi(yi, vi, study)
    k = len(y)
    if X is None:
        Xm = np.ones((k, 1))
    else:
        Xm = np.asarray(X, dtype=float)
        if Xm.ndim == 1:
            Xm = Xm[:, None]
        if Xm.ndim != 2 or Xm.shape[0] != k:
            raise InputError(f"design matrix X must have one row per study ({k}), got shape {Xm.shape}",
                             column="X", has_value=False, fix="build X with one row per study")
        if not np.all(np.isfinite(Xm)):
            raise InputError("design matrix X contains missing or infinite values", column="X",
                             has_value=False, fix="remove studies with missing moderators")
    p = Xm.shape[1]
    if p > k or (p == k and k > 1 and method_req != "FE"):
        raise InputError(f"too few studies (k = {k}) for {p} model coefficient(s) and tau2",
                         has_value=False, fix="use fewer moderators or method='FE'")
    ev = np.linalg.eigvalsh(Xm.T @ Xm)
    if np.any(ev <= 1e-7):  # metafor's evtol
        raise InputError("design matrix X is not of full rank (a moderator is constant or redundant)",
                         column="X", has_value=False, fix="drop redundant moderator columns")
    try:
        return _fit(y, v, Xm, method_req, test, lvl, adhoc, weights, con, study)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(f"the model could not be fitted ({exc}); {_extreme_hint(y, v, study)}"
                              + (" or nearly collinear moderators" if p > 1 else "")) from None
    except (ZeroDivisionError, OverflowError, FloatingPointError):
        raise EstimationError(f"the model could not be fitted (numerical overflow); {_extreme_hint(y, v, study)}") \
            from None


def _extreme_hint(y: np.ndarray, v: np.ndarray, study: tuple[str, ...] | None) -> str:
    """Name the quantity (effect sizes yi or sampling variances vi) whose scale broke the fit.

    Compares orders of magnitude on the standard-deviation scale: the largest |yi|, the largest
    sqrt(vi) and the smallest sqrt(vi); whichever lies furthest from 1 is named with its study.
    """
    def label(i: int) -> str:
        return study[i] if study is not None and i < len(study) else f"study {i + 1}"

    with np.errstate(all="ignore"):
        ay = np.abs(y)
        iy, iv_hi, iv_lo = int(np.argmax(ay)), int(np.argmax(v)), int(np.argmin(v))
        mag_y = math.log10(float(ay[iy])) if ay[iy] > 0 else 0.0
        mag_hi = 0.5 * math.log10(float(v[iv_hi]))
        mag_lo = -0.5 * math.log10(float(v[iv_lo]))
    worst = max(mag_y, mag_hi, mag_lo)
    if worst < 8:
        return ("check the effect sizes (yi) and sampling variances (vi) for mis-scaled values "
                "(e.g. a mean or SD entered in the wrong unit)")
    if worst == mag_y:
        return (f"check the effect sizes (yi) for extreme values: {label(iy)} has yi = {fmt_sig(float(y[iy]))} "
                "(e.g. a mean entered in the wrong unit or column)")
    i = iv_hi if worst == mag_hi else iv_lo
    size = "large" if worst == mag_hi else "small"
    return (f"check the sampling variances (vi) for extreme values: {label(i)} has a very {size} "
            f"vi = {fmt_sig(float(v[i]))} (check its SD / standard error and sample size)")


def wald_pval_crit(zval: np.ndarray, df: int | None, lvl: float) -> tuple[np.ndarray, float]:
    """Two-sided p-values of ``zval`` and the CI multiplier: Student t with ``df`` degrees of freedom, normal if None."""
    if df is not None:
        return 2 * sps.t.sf(np.abs(zval), df), float(sps.t.isf((1 - lvl) / 2, df))
    return 2 * sps.norm.sf(np.abs(zval)), float(sps.norm.isf((1 - lvl) / 2))


# long: the rma.uni numeric kernel, step by step as metafor (tau2, weights, HKSJ, tests, Q, I2, H2), kept in one piece
def _fit(y: np.ndarray, v: np.ndarray, Xm: np.ndarray, method_req: MethodName, test: TestName, lvl: float,
         adhoc: bool, weights: Any, con: Control,
         study: tuple[str, ...] | None = None) -> RmaFit:
    k, p = Xm.shape
    notes: list[Note] = []

    a = None
    if weights is not None:
        a = _as_1d("weights", weights)
        if len(a) != k or not np.all(np.isfinite(a)) or np.any(a < 0) or not np.any(a > 0):
            raise InputError("weights must be finite, >= 0, not all 0, one per study", column="weights",
                             has_value=False, fix="give one non-negative weight per study")

    yc = y - y.mean()  # metafor estimates tau2 on the centred outcome (Ymc)
    ones = np.ones(k)
    coef1, *_ = np.linalg.lstsq(Xm, ones, rcond=None)
    if k > 1 and np.linalg.norm(ones - Xm @ coef1) > 1e-8 * math.sqrt(k):
        notes.append(Note(NoteCode.NO_INTERCEPT, "The model has no intercept; as metafor, tau2 and the residual Q are "
                                          "computed from the mean-centred outcome."))
    # ---- tau2 with the fallback chain
    chain: tuple[str, ...]
    if k == 1:
        chain = (method_req,)
        if method_req != "FE":
            notes.append(Note(NoteCode.K_SMALL, "Only one study: tau2 cannot be estimated and is set to 0; "
                                         "the result is that study's own estimate."))
        est = _Tau2(0.0, True, 0, {})
        method_used = "FE"
    else:
        fallbacks = con.fallback if con.fallback is not None else DEFAULT_FALLBACK.get(method_req, ())
        candidates = (method_req,) + tuple(m for m in fallbacks if m != method_req)
        tried: list[str] = []
        found: _Tau2 | None = None
        for m in candidates:
            tried.append(m)
            try:
                e = _estimate(m, yc, v, Xm, con)
            except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError):
                e = _Tau2(float("nan"), False, 0, {})
            if e.converged and math.isfinite(e.raw):
                found = e
                break
        if found is None:
            raise EstimationError(
                f"tau2 could not be estimated: {' -> '.join(tried)} all failed; {_extreme_hint(y, v, study)}"
            )
        est = found
        chain = tuple(tried)
        method_used = chain[-1]
        if len(chain) > 1:
            msg = (f"The {method_req} estimator did not converge; tau2 was estimated with {method_used} "
                   f"instead (fallback chain {' -> '.join(chain)}).")
            notes.append(Note(NoteCode.FALLBACK, msg))
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        notes.extend(est.notes)
    tau2_raw = est.raw
    tau2 = max(0.0, tau2_raw)
    if tau2_raw < 0:
        notes.append(Note(NoteCode.TAU2_TRUNCATED,
                          f"The {method_used} estimate of tau2 was negative ({fmt_sig(tau2_raw)}) and was truncated at 0."))
    tau2_se = _se_tau2(method_used, tau2, est, k, p) if (k > p and method_used != "FE") else float("nan")
    if method_req == "FE":
        tau2_raw = float("nan")

    # ---- fixed effects
    w = 1.0 / (v + tau2)
    sw = np.sqrt(w)
    Qw, Rw = np.linalg.qr(Xm * sw[:, None])  # weighted least squares through QR (full precision)
    beta = np.linalg.solve(Rw, Qw.T @ (y * sw))
    Rinv = np.linalg.inv(Rw)
    vb = Rinv @ Rinv.T  # (X'WX)^-1
    RSS_knha = float(np.sum(w * (y - Xm @ beta) ** 2))
    if a is not None:
        AX = Xm * a[:, None]
        _, stXAX = _proj(Xm, a)
        beta = stXAX @ (AX.T @ y)
        vb = stXAX @ (AX.T * (v + tau2)[None, :]) @ AX @ stXAX
    eff_test = test
    if test == "knha" and k - p == 0:
        notes.append(Note(NoteCode.UNDEFINED, "The Hartung-Knapp-Sidik-Jonkman test needs k > p; with k = "
                                       f"{k} a Wald z-test is used instead."))
        eff_test = "z"
    s2w = 1.0
    if eff_test == "knha":
        s2w = 0.0 if RSS_knha <= _EPS else RSS_knha / (k - p)
        if method_req == "FE":
            notes.append(Note(NoteCode.KNHA_FE, "The Hartung-Knapp-Sidik-Jonkman adjustment is not meant for "
                                         "common-effect models (metafor warns likewise)."))
        if adhoc and s2w < 1:
            notes.append(Note(NoteCode.KNHA_ADHOC, f"HKSJ scale factor s2 = {fmt_sig(s2w, 4)} < 1 was set to 1 (ad hoc "
                                            "correction), so the CI is never narrower than the Wald CI."))
            s2w = 1.0
        elif s2w == 0.0:
            notes.append(Note(NoteCode.KNHA_ZERO_SCALE, "The weighted residuals are all 0, so the HKSJ standard "
                                                 "error is 0 (as metafor); consider adhoc=True."))
    vb = s2w * vb
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    if eff_test == "t" and k - p == 0:
        notes.append(Note(NoteCode.UNDEFINED, f"A t-test needs k > p; with k = {k} a Wald z-test is used instead."))
        eff_test = "z"
    df: int | None = k - p if eff_test in ("knha", "t") else None
    pval, crit = wald_pval_crit(zval, df, lvl)
    ci_low = beta - crit * se
    ci_high = beta + crit * se

    # ---- heterogeneity (always with the inverse sampling-variance weights)
    if k > p:
        P, _ = _proj(Xm, 1.0 / v)
        q = max(0.0, _pquad(P, yc))
        q_df = k - p
        q_p = float(sps.chi2.sf(q, q_df))
        vt = (k - p) / _ptrace(P)
        if method_req == "FE":
            i2 = max(0.0, (q - q_df) / q) if q > 0 else 0.0  # metafor: max(0, -Inf) = 0 when Q = 0
            h2 = q / q_df
        else:
            i2 = tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
    else:
        q = q_p = i2 = h2 = vt = float("nan")
        q_df = 0
        notes.append(Note(NoteCode.UNDEFINED, f"With k = {k} study and {p} coefficient(s) the heterogeneity "
                                       "statistics Q, I2 and H2 have 0 degrees of freedom and are undefined."))
    wts = a if a is not None else w
    wfrac = wts / wts.sum()
    diag = Diagnostics(
        tau2_raw=float(tau2_raw),
        converged=bool(est.converged),
        iterations=int(est.iterations),
        fallback_chain=chain,
        method_used=method_used if method_req != "FE" else "FE",
        knha_scale=float(s2w),
        vt=float(vt),
    )
    return RmaFit(
        k=k, p=p, beta=beta, vb=vb, se=se, zval=zval, pval=pval, ci_low=ci_low, ci_high=ci_high, crit=crit,
        df=df, tau2=float(tau2), tau2_se=float(tau2_se), q=float(q), q_df=int(q_df), q_pvalue=float(q_p),
        i2=float(i2), h2=float(h2), weights=wfrac, yi=y, vi=v, X=Xm, method=method_req, test=eff_test,
        level=lvl, adhoc=adhoc, diagnostics=diag, notes=tuple(notes),
    )
