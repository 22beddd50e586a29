"""Mantel-Haenszel and Peto pooling of 2x2 tables, exactly as metafor 3.8 ``rma.mh`` and ``rma.peto``.

* MH odds ratio with the Robins-Breslow-Greenland variance; MH risk ratio with the Greenland-Robins
  variance; MH risk difference with the Greenland-Robins (Sato) variance.  The pooled estimate uses
  the raw counts (no continuity correction, double-zero tables kept, as metafor's defaults
  ``add=c(1/2, 0)``, ``to=c("only0", "none")``, ``drop00=c(TRUE, FALSE)``).
* Cochran's Q, I² and H² come from the per-study estimates (``escalc`` with ``add`` in zero cells
  of tables with a zero cell, double-zero tables dropped) weighted by 1/vi around the MH estimate.
* For the OR: the Cochran-Mantel-Haenszel test (continuity-corrected by default), and the
  Breslow-Day and Tarone tests for heterogeneity, in ``MetaResult.extra``.
* Peto's one-step odds ratio: sum(O - E) / sum(V), se = 1/sqrt(sum(V)).

Estimates are on the log scale for OR/RR (``measure="OR"``/``"RR"``) and the risk scale for RD.
"""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from .. import _dist as sps

from .._validate import check_choice, check_level
from ..effects.measures import TWO_BY_TWO_MEASURES
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note
from .results import AnalysisSpec, Diagnostics, MetaResult

__all__ = ["mantel_haenszel", "peto", "escalc_2x2"]

_TO = ("all", "only0", "if0all", "none")


_Cells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]


def _cells(ai: Any, bi: Any, ci: Any, di: Any, study: Any) -> _Cells:
    arrs = []
    for name, x in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)):
        try:
            a = np.atleast_1d(np.asarray(x, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"{name} must be counts", column=name, value=x, fix="give whole numbers >= 0") from None
        arrs.append(a)
    k = len(arrs[0])
    if any(len(a) != k for a in arrs) or k == 0:
        raise InputError("ai, bi, ci and di must have the same, non-zero length", has_value=False,
                         fix="give one count per study in each column")
    labels = study_labels(k, study)
    for name, a in zip(("ai", "bi", "ci", "di"), arrs):
        for i, val in enumerate(a):
            if not math.isfinite(val) or val < 0:
                raise InputError("count must be a finite number >= 0", label=labels[i], column=name, value=float(val),
                                 fix="correct the count or remove the study")
    for i in range(k):
        if arrs[0][i] + arrs[1][i] == 0 or arrs[2][i] + arrs[3][i] == 0:
            raise InputError("a group has no participants (ai + bi or ci + di is 0)", label=labels[i],
                             column="ai" if arrs[0][i] + arrs[1][i] == 0 else "ci", value=0,
                             fix="check the group sizes or remove the study")
    return arrs[0], arrs[1], arrs[2], arrs[3], labels


def study_labels(k: int, study: Any, what: str = "tables") -> tuple[str, ...]:
    """``study`` as k labels ("Study 1", ... when None), or SpecError naming ``what`` there are k of."""
    if study is None:
        return tuple(f"Study {i + 1}" for i in range(k))
    labels = tuple(str(s) for s in study)
    if len(labels) != k:
        raise SpecError(f"study has {len(labels)} labels but there are {k} {what}")
    return labels


def _checked(ai: Any, bi: Any, ci: Any, di: Any, study: Any, *, to: str, level: float, add: float,
             ) -> tuple[Any, float, float, _Cells]:
    """The options and cells shared by ``rma.mh`` and ``rma.peto``, checked in metafor's order."""
    to = check_choice("to", to, _TO)
    lvl = check_level(level)
    add = float(add)
    if not (math.isfinite(add) and add >= 0):
        raise SpecError(f"add={add!r} must be a number >= 0")
    return to, lvl, add, _cells(ai, bi, ci, di, study)


def escalc_2x2(
    measure: str, ai: Any, bi: Any, ci: Any, di: Any, *, add: float = 0.5, to: str = "only0", drop00: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-study yi, vi for OR/RR/RD/PETO as metafor ``escalc`` (vtype "LS"); NaN for dropped tables.

    Returns ``(yi, vi, corrected, dropped)`` where ``corrected`` flags tables that received ``add``
    and ``dropped`` flags double-zero tables.
    """
    a, b, c, d = (np.asarray(x, dtype=float).copy() for x in (ai, bi, ci, di))
    dropped = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0)) if drop00 else np.zeros(len(a), bool)
    for x in (a, b, c, d):
        x[dropped] = np.nan
    if to == "all":
        corrected = ~dropped
    elif to in ("only0", "if0all"):
        id0 = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & ~dropped
        corrected = id0 if to == "only0" else (np.full(len(a), bool(id0.any())) & ~dropped)
    else:
        corrected = np.zeros(len(a), bool)
    a[corrected] += add
    b[corrected] += add
    c[corrected] += add
    d[corrected] += add
    n1, n2 = a + b, c + d
    n = n1 + n2
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "RD":
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        elif measure == "PETO":
            xt, yt = a + c, b + d
            E = xt * n1 / n
            V = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
            yi = (a - E) / V
            vi = 1 / V
        else:  # pragma: no cover - guarded by callers
            raise SpecError(f"measure={measure!r} is not one of 'OR', 'RR', 'RD', 'PETO'")
    bad = ~np.isfinite(yi) | ~np.isfinite(vi) | (vi <= 0)
    yi = np.where(bad, np.nan, yi)
    vi = np.where(bad, np.nan, vi)
    return yi, vi, corrected, dropped


def _het(yi: np.ndarray, vi: np.ndarray, beta: float) -> tuple[float, int, float, float, float, int]:
    ok = np.isfinite(yi) & np.isfinite(vi)
    kyi = int(ok.sum())
    if kyi > 1:
        w = 1 / vi[ok]
        q = max(0.0, float(np.sum(w * (yi[ok] - beta) ** 2)))
        return q, kyi - 1, float(sps.chi2.sf(q, kyi - 1)), (max(0.0, (q - (kyi - 1)) / q) if q > 0 else 0.0), q / (kyi - 1), kyi
    nan = float("nan")
    return nan, 0, nan, nan, nan, kyi


def _notes_2x2(labels: tuple[str, ...], corrected: np.ndarray, dropped: np.ndarray, add: float, measure: str,
               kyi: int) -> list[Note]:
    notes: list[Note] = []
    for i, s in enumerate(labels):
        if dropped[i]:
            notes.append(Note(NoteCode.DOUBLE_ZERO_EXCLUDED, f"{s}: no events (or only events) in both groups; the study "
                                                      "is left out of the heterogeneity statistics.", study=s))
        elif corrected[i]:
            notes.append(Note(NoteCode.ZERO_CELL_CORRECTION, f"{s}: {add} added to every cell of this table (a cell was 0) "
                                                      "for its own estimate and the heterogeneity statistics only.",
                              study=s))
    if kyi <= 1:
        notes.append(Note(NoteCode.UNDEFINED, "Fewer than two studies with estimable effects: Q, I2 and H2 are undefined."))
    return notes


def mantel_haenszel(
    ai: Any, bi: Any, ci: Any, di: Any, *, measure: Literal["OR", "RR", "RD"] = "OR", add: float = 0.5,
    to: Literal["all", "only0", "if0all", "none"] = "only0",
    drop00: bool = True, correct: bool = True, level: float = 95, study: Any = None,
) -> MetaResult:
    """Mantel-Haenszel common-effect meta-analysis of 2x2 tables (metafor ``rma.mh``).

    ``ai, bi`` are events / non-events in group 1 (treatment), ``ci, di`` in group 2 (control).
    ``add``, ``to``, ``drop00`` control the per-study estimates used for Q/I² (metafor's first
    elements); the pooled MH estimate always uses the raw counts.  ``correct``: continuity
    correction of the CMH test.
    """
    measure = check_choice("measure", measure, TWO_BY_TWO_MEASURES)
    to, lvl, add, (a, b, c, d, labels) = _checked(ai, bi, ci, di, study, to=to, level=level, add=add)
    k = len(a)
    n1, n2 = a + b, c + d
    N = n1 + n2
    yi, vi, corrected, dropped = escalc_2x2(measure, a, b, c, d, add=add, to=to, drop00=bool(drop00))
    zc = float(sps.norm.isf((1 - lvl) / 2))
    extra: dict[str, Any] = {}
    nan = float("nan")
    notes: list[Note] = []
    if measure == "OR":
        Pi = a / N + d / N
        Qi = b / N + c / N
        Ri = (a / N) * d
        Si = (b / N) * c
        R, S = float(Ri.sum()), float(Si.sum())
        if R == 0 or S == 0:
            raise EstimationError("the Mantel-Haenszel odds ratio is undefined: no events in one group of every "
                                  "study (or no non-events); use measure='RD' or peto()")
        beta = math.log(R / S)
        se = math.sqrt(0.5 * (float(np.sum(Pi * Ri)) / R**2 + float(np.sum(Pi * Si + Qi * Ri)) / (R * S)
                              + float(np.sum(Qi * Si)) / S**2))
        xt, yt = a + c, b + d
        if xt.sum() > 0 and yt.sum() > 0:
            num = (abs(float(np.sum(a - (n1 / N) * xt))) - (0.5 if correct else 0.0)) ** 2
            co = num / float(np.sum((n1 / N) * (n2 / N) * (xt * (yt / N))))
            mh = num / float(np.sum((n1 / N) * (n2 / N) * (xt * (yt / (N - 1)))))
            extra.update(cmh=mh, cmh_pvalue=float(sps.chi2.sf(mh, 1)), cochran=co, cochran_pvalue=float(sps.chi2.sf(co, 1)))
        ebeta = R / S
        if ebeta == 1:
            N11 = (n1 / N) * xt
        else:
            A = ebeta * (n1 + xt) + (n2 - xt)
            B = np.sqrt(A**2 - 4 * n1 * xt * ebeta * (ebeta - 1))
            N11 = (A - B) / (2 * (ebeta - 1))
        pos = (N11 > 0) & (xt > 0) & (yt > 0)
        kpos = int(pos.sum())
        N11p = N11[pos]
        N12 = n1[pos] - N11p
        N21 = xt[pos] - N11p
        N22 = N11p - n1[pos] - xt[pos] + N[pos]
        inv = 1 / N11p + 1 / N12 + 1 / N21 + 1 / N22
        bd = max(0.0, float(np.sum((a[pos] - N11p) ** 2 / inv ** (-1))))
        ta = max(0.0, bd - float(np.sum(a[pos] - N11p)) ** 2 / float(np.sum(inv ** (-1))))
        extra.update(breslow_day=bd, tarone=ta, bd_df=kpos - 1,
                     breslow_day_pvalue=float(sps.chi2.sf(bd, kpos - 1)) if kpos > 1 else nan,
                     tarone_pvalue=float(sps.chi2.sf(ta, kpos - 1)) if kpos > 1 else nan)
        wts = (b / N) * c
    elif measure == "RR":
        R = float(np.sum(a * (n2 / N)))
        S = float(np.sum(c * (n1 / N)))
        if a.sum() == 0 or c.sum() == 0:
            raise EstimationError("the Mantel-Haenszel risk ratio is undefined: no events in one of the groups "
                                  "across all studies; use measure='RD'")
        beta = math.log(R / S)
        se = math.sqrt(float(np.sum((n1 / N) * (n2 / N) * (a + c) - (a / N) * c)) / (R * S))
        wts = (c / N) * (a + b)
    else:  # RD
        den = float(np.sum(n1 * (n2 / N)))
        beta = float(np.sum(a * (n2 / N) - c * (n1 / N))) / den
        se = math.sqrt((beta * float(np.sum(c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2))
                        + float(np.sum(a * (n2 - c) / N + c * (n1 - a) / N)) / 2) / den**2)
        wts = (n1 / N) * (c + d)
    q, q_df, q_p, i2, h2, kyi = _het(yi, vi, beta)
    notes.extend(_notes_2x2(labels, corrected, dropped, add, measure, kyi))
    if k == 1:
        notes.append(Note(NoteCode.K_SMALL, "Only one study: the pooled result is that study's own estimate."))
    return _result(k, beta, se, zc, lvl, q, q_df, q_p, i2, h2, wts, yi, vi, labels, measure, "MH", notes, extra)


def peto(
    ai: Any, bi: Any, ci: Any, di: Any, *, add: float = 0.5, to: str = "only0", drop00: bool = True,
    level: float = 95, study: Any = None,
) -> MetaResult:
    """Peto's one-step (log) odds ratio (metafor ``rma.peto``); estimate on the log-OR scale."""
    to, lvl, add, (a, b, c, d, labels) = _checked(ai, bi, ci, di, study, to=to, level=level, add=add)
    k = len(a)
    n1, n2 = a + b, c + d
    N = n1 + n2
    yi, vi, corrected, dropped = escalc_2x2("PETO", a, b, c, d, add=add, to=to, drop00=bool(drop00))
    xt, yt = a + c, b + d
    E = xt * n1 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(N > 1, xt * yt * (n1 / N) * (n2 / N) / (N - 1), 0.0)
    sV = float(V.sum())
    if sV == 0:
        raise EstimationError("Peto's odds ratio is undefined: no study has both events and non-events")
    beta = float(np.sum(a - E)) / sV
    se = math.sqrt(1 / sV)
    zc = float(sps.norm.isf((1 - lvl) / 2))
    kyi = int(np.sum(np.isfinite(yi)))
    pos = V > 0
    q = max(0.0, float(np.sum((a[pos] - E[pos]) ** 2 / V[pos])) - float(np.sum(a - E)) ** 2 / float(V[pos].sum()))
    nan = float("nan")
    if kyi > 1:
        q_df = kyi - 1
        q_p = float(sps.chi2.sf(q, q_df))
        i2 = max(0.0, (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        q, q_df, q_p, i2, h2 = nan, 0, nan, nan, nan
    notes = _notes_2x2(labels, corrected, dropped, add, "PETO", kyi)
    return _result(k, beta, se, zc, lvl, q, q_df, q_p, i2, h2, V, yi, vi, labels, "OR", "PETO", notes, {})


def _result(k: int, beta: float, se: float, zc: float, lvl: float, q: float, q_df: int, q_p: float, i2: float,
            h2: float, wts: np.ndarray, yi: np.ndarray, vi: np.ndarray, labels: tuple[str, ...], measure: str,
            method: str, notes: list[Note], extra: dict[str, Any]) -> MetaResult:
    nan = float("nan")
    z = beta / se if se > 0 else nan
    wts = np.asarray(wts, dtype=float)
    wfrac = wts / wts.sum() if wts.sum() > 0 else np.full(len(wts), nan)
    spec = AnalysisSpec(method=method, test="z", level=lvl, adhoc=False, preset=None, measure=measure, pi=False,
                        tau2_ci=False)
    return MetaResult(
        k=k, estimate=float(beta), se=float(se), zval=float(z), pval=float(2 * sps.norm.sf(abs(z))),
        ci_low=float(beta - zc * se), ci_high=float(beta + zc * se), pi_low=float(beta - zc * se),
        pi_high=float(beta + zc * se), tau2=0.0, tau2_se=nan, tau2_ci_low=nan, tau2_ci_high=nan, tau=0.0,
        i2=float(i2), i2_ci_low=nan, i2_ci_high=nan, h2=float(h2), h2_ci_low=nan, h2_ci_high=nan, q=float(q),
        q_df=int(q_df), q_pvalue=float(q_p), weights=wfrac, yi=np.asarray(yi, float), vi=np.asarray(vi, float),
        study=labels, measure=measure, method=method, test="z", level=lvl, df=None, spec=spec,
        diagnostics=Diagnostics(tau2_raw=nan, converged=True, iterations=0, fallback_chain=(method,),
                                method_used=method),
        notes=tuple(notes), extra=extra,
    )
