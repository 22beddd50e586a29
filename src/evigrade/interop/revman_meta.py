"""Re-compute a RevMan analysis with evigrade's statistics under RevMan 5's settings.

RevMan 5 (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010), as evigrade calls it:

* dichotomous data: per-study OR/RR/RD with 0.5 added to every cell of a table with a zero cell
  (``evigrade.stats.escalc_2x2(add=0.5, to="only0")``); studies without events (or with only events)
  in both groups are not estimable for OR and RR and are left out;
  - Mantel-Haenszel: ``evigrade.stats.mantel_haenszel`` on the counts with the same 0.5 correction
    (RevMan, unlike metafor, pools the corrected tables); heterogeneity Chi² around the MH estimate;
  - Peto: ``evigrade.stats.peto``;
  - inverse variance: ``evigrade.stats.meta_analysis(method="FE" | "DL", test="z")``;
  - random effects for MH: DerSimonian-Laird tau² from the MH heterogeneity Chi², then inverse-variance
    pooling with weights 1/(vi + tau²) (``meta_analysis(yi, vi + tau2, method="FE")``);
* continuous data: MD (``evigrade.effects.escalc("MD")``) or RevMan's SMD (Hedges' adjusted g with
  the approximate correction 1 - 3/(4N - 9) and variance N/(n1 n2) + g²/(2(N - 3.94)); metafor's and
  evigrade's ``escalc("SMD")`` use the exact correction and g²/(2N)), pooled by inverse variance;
* generic inverse variance: the entered estimates and SEs (log scale for ratios), pooled by inverse variance;
* Z test and Wald CI at the analysis's CI level; I² = (Chi² - df)/Chi² in percent;
* test for subgroup differences: Chi² of the subgroup estimates around their inverse-variance mean,
  weights 1/se² of each subgroup's pooled estimate (fixed or random, as the analysis).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from .. import _dist as sps

from ..errors import EstimationError
from ..results import jsonable
from .revman import Analysis, Pooled, RevManReview, StudyEntry

__all__ = ["RevManPooled", "RevManCheck", "revman_pool", "revman_smd", "study_effects", "check_review"]


@dataclass(frozen=True, slots=True)
class RevManPooled:
    """evigrade's result for one RevMan analysis or subgroup, on RevMan's printed scale (ratios as ratios)."""

    k: int  # studies with an estimable effect
    estimate: float
    ci_low: float
    ci_high: float
    z: float
    p_z: float
    chi2: float  # heterogeneity Chi² (nan with fewer than 2 estimable studies)
    df: int
    p_chi2: float
    i2: float  # percent
    tau2: float
    se: float  # of the pooled estimate on the analysis scale (log for ratios)
    subgroups: tuple[tuple[int, "RevManPooled"], ...] = ()
    subgroup_chi2: float = float("nan")
    subgroup_df: int = 0
    subgroup_p: float = float("nan")
    subgroup_i2: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__ if k != "subgroups"}
        d["subgroups"] = [{"no": no, **p.to_dict()} for no, p in self.subgroups]
        return jsonable(d)


def revman_smd(m1, sd1, n1, m2, sd2, n2) -> tuple[np.ndarray, np.ndarray]:
    """RevMan 5's standardised mean difference (Hedges' adjusted g) and its variance."""
    m1, sd1, n1, m2, sd2, n2 = (np.asarray(x, float) for x in (m1, sd1, n1, m2, sd2, n2))
    N = n1 + n2
    s = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (N - 2))
    g = (m1 - m2) / s * (1 - 3 / (4 * N - 9))
    v = N / (n1 * n2) + g**2 / (2 * (N - 3.94))
    return g, v


def _cells(es: list[StudyEntry], swap: bool = False) -> tuple[np.ndarray, ...]:
    """(a, b, c, d) = events / non-events in group 1, group 2; RevMan's "swap events and non-events"
    analyses the non-events."""
    a = np.array([e.events_1 for e in es], float)
    n1 = np.array([e.total_1 for e in es], float)
    c = np.array([e.events_2 for e in es], float)
    n2 = np.array([e.total_2 for e in es], float)
    if swap:
        return n1 - a, a, n2 - c, c
    return a, n1 - a, c, n2 - c


def study_effects(analysis: Analysis, entries: list[StudyEntry] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yi, vi, estimable) per study row on the analysis scale (log for ratios), as RevMan 5 computes them."""
    from ..stats import escalc_2x2

    es = list(analysis.studies if entries is None else entries)
    if analysis.data_type == "dichotomous":
        a, b, c, d = _cells(es, analysis.swap_events)
        ok = (a + b > 0) & (c + d > 0)
        m = "PETO" if analysis.method == "PETO" else analysis.measure
        with np.errstate(divide="ignore", invalid="ignore"):
            yi, vi, _, _ = escalc_2x2(m, np.where(ok, a, 1), np.where(ok, b, 1), np.where(ok, c, 1), np.where(ok, d, 1),
                                      add=0.5, to="only0", drop00=m != "RD")
            if m == "RD":  # RevMan: the risk difference from the counts as they are, its variance with the 0.5
                yi = np.where(ok, a / np.where(ok, a + b, 1) - c / np.where(ok, c + d, 1), np.nan)
        ok &= np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
        return yi, vi, ok
    if analysis.data_type == "continuous":
        m1, sd1, n1, m2, sd2, n2 = (np.array([getattr(e, f) for e in es], float)
                                    for f in ("mean_1", "sd_1", "total_1", "mean_2", "sd_2", "total_2"))
        ok = (sd1 > 0) & (sd2 > 0) & (n1 > 0) & (n2 > 0)
        if analysis.measure == "SMD":
            ok &= (n1 + n2 > 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                yi, vi = revman_smd(m1, sd1, n1, m2, sd2, n2)
        else:
            from ..effects import escalc

            yi = np.full(len(es), np.nan)
            vi = np.full(len(es), np.nan)
            if ok.any():
                t = escalc("MD", m1i=m1[ok], sd1i=sd1[ok], n1i=n1[ok], m2i=m2[ok], sd2i=sd2[ok], n2i=n2[ok])
                yi[ok], vi[ok] = t.yi, t.vi
        ok &= np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
        return yi, vi, ok
    y = np.array([np.nan if e.estimate is None else e.estimate for e in es], float)
    se = np.array([np.nan if e.se is None else e.se for e in es], float)
    if analysis.log_measure and not analysis.log_scale_data:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(y > 0, np.log(y), np.nan)
    ok = np.isfinite(y) & np.isfinite(se) & (se > 0)
    return y, se**2, ok


def _het(yi, vi, beta) -> tuple[float, int]:
    if len(yi) < 2:
        return float("nan"), 0
    w = 1 / vi
    return float(np.sum(w * (yi - beta) ** 2)), len(yi) - 1


def _finish(k, beta, se, q, df, tau2, level, on_log) -> RevManPooled:
    zc = float(sps.norm.isf((1 - level / 100) / 2))
    z = beta / se if se > 0 else float("nan")
    tr = math.exp if on_log else (lambda v: v)
    i2 = max(0.0, (q - df) / q) * 100 if df > 0 and q > 0 else (0.0 if df > 0 else float("nan"))
    return RevManPooled(k=k, estimate=tr(beta), ci_low=tr(beta - zc * se), ci_high=tr(beta + zc * se), z=abs(z),
                        p_z=float(2 * sps.norm.sf(abs(z))), chi2=q, df=df,
                        p_chi2=float(sps.chi2.sf(q, df)) if df > 0 else float("nan"), i2=i2, tau2=tau2, se=se)


def _mh_rd(a, b, c, d, ac, bc, cc, dc) -> tuple[float, float]:
    """RevMan 5's Mantel-Haenszel risk difference: the estimate from the counts as they are (weights
    n1 n2 / N), its variance from Greenland and Robins (1985), sum (a b n2³ + c d n1³) / (n1 n2 N²),
    evaluated on the tables with 0.5 added to zero cells, over (sum n1 n2 / N)².  (metafor's and
    ``evigrade.stats.mantel_haenszel``'s RD variance is Sato's, which differs.)"""
    n1, n2 = a + b, c + d
    N = n1 + n2
    w = n1 * n2 / N
    beta = float(np.sum(a * n2 / N - c * n1 / N) / w.sum())
    n1c, n2c = ac + bc, cc + dc
    num = float(np.sum((ac * bc * n2c**3 + cc * dc * n1c**3) / (n1c * n2c * (n1c + n2c) ** 2)))
    return beta, math.sqrt(num) / float(w.sum())


def _pool(analysis: Analysis, entries: list[StudyEntry]) -> RevManPooled:
    from ..stats import mantel_haenszel, meta_analysis, peto

    yi, vi, ok = study_effects(analysis, entries)
    k = int(ok.sum())
    if k == 0:
        raise EstimationError(f"analysis {analysis.id}: no study has an estimable effect")
    y, v = yi[ok], vi[ok]
    level = analysis.ci_level
    on_log = analysis.log_measure
    if k == 1 and analysis.method != "PETO":  # RevMan shows a single study's own estimate and CI
        return _finish(1, float(y[0]), math.sqrt(float(v[0])), float("nan"), 0, 0.0, level, on_log)
    if analysis.data_type == "dichotomous" and analysis.method in ("MH", "PETO"):
        a, b, c, d = (x[ok] for x in _cells(entries, analysis.swap_events))
        if analysis.method == "PETO":
            res = peto(a, b, c, d, level=level)
            q, df = float(res.q), int(res.q_df)
            return _finish(k, res.estimate, res.se, q, df, 0.0, level, True)
        zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        ac, bc, cc, dc = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
        if analysis.measure == "RD":
            beta, se = _mh_rd(a, b, c, d, ac, bc, cc, dc)
        else:
            res = mantel_haenszel(ac, bc, cc, dc, measure=analysis.measure, add=0.0, to="none", level=level)  # type: ignore[arg-type]
            beta, se = res.estimate, res.se
        q, df = _het(y, v, beta)
        if not analysis.random:
            return _finish(k, beta, se, q, df, 0.0, level, on_log)
        w = 1 / v
        tau2 = max(0.0, (q - df) / (w.sum() - (w**2).sum() / w.sum())) if df > 0 else 0.0
        fit = meta_analysis(y, v + tau2, method="FE", test="z", level=level, pi=False, tau2_ci=False)
        return _finish(k, fit.estimate, fit.se, q, df, tau2, level, on_log)
    fit = meta_analysis(y, v, method="DL" if analysis.random and k > 1 else "FE", test="z", level=level, pi=False,
                        tau2_ci=False)
    q, df = _het(y, v, float(np.sum(y / v) / np.sum(1 / v)))
    return _finish(k, fit.estimate, fit.se, q, df, float(fit.tau2) if analysis.random else 0.0, level, on_log)


def revman_pool(analysis: Analysis) -> RevManPooled:
    """Pool ``analysis`` as RevMan 5 does (its method, measure, model and CI level), with its subgroups
    and the test for subgroup differences; raises EstimationError when no study is estimable."""
    entries = list(analysis.studies)
    subs: list[tuple[int, RevManPooled]] = []
    for g in analysis.subgroups:
        es = [e for e in entries if e.subgroup == g.no]
        if not es:
            continue
        try:
            subs.append((g.no, _pool(analysis, es)))
        except EstimationError:
            continue  # a subgroup without estimable studies has no estimate (RevMan: "Not estimable")
    overall = _pool(analysis, entries)
    if len(subs) >= 2:
        est = np.array([p.estimate for _, p in subs])
        y = np.log(est) if analysis.log_measure else est
        w = 1 / np.array([p.se for _, p in subs]) ** 2
        mean = float(np.sum(w * y) / np.sum(w))
        q = float(np.sum(w * (y - mean) ** 2))
        df = len(subs) - 1
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        import dataclasses

        overall = dataclasses.replace(overall, subgroups=tuple(subs), subgroup_chi2=q, subgroup_df=df,
                                      subgroup_p=float(sps.chi2.sf(q, df)), subgroup_i2=i2)
    elif subs:
        import dataclasses

        overall = dataclasses.replace(overall, subgroups=tuple(subs))
    return overall


@dataclass(frozen=True, slots=True)
class RevManCheck:
    """How far evigrade (RevMan 5 settings) is from RevMan's stored pooled results (estimate and CI)."""

    compared: int  # pooled results (overall and subgroup) RevMan stored
    matched: int  # equal at RevMan's printed precision (2 decimals) or to 1e-6 relative
    max_rel_diff: float
    mismatches: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"compared": self.compared, "matched": self.matched, "max_rel_diff": self.max_rel_diff,
                         "mismatches": list(self.mismatches)})


def check_review(review: RevManReview) -> RevManCheck:
    """Re-compute every analysis and subgroup of ``review`` and compare with RevMan's own results."""
    compared = matched = 0
    worst = 0.0
    mism: list[str] = []
    for a in review.analyses:
        try:
            res = revman_pool(a)
        except EstimationError:
            if a.pooled is not None and a.pooled.estimate is not None:
                compared += 1
                mism.append(f"analysis {a.id}: RevMan pooled it, evigrade found no estimable study")
            continue
        # (what, evigrade's result (None: a subgroup it could not pool), RevMan's stored result)
        targets: list[tuple[str, RevManPooled | None, Pooled]] = []
        if a.pooled is not None and a.pooled.estimate is not None:
            targets.append(("overall", res, a.pooled))
        subs = dict(res.subgroups)
        targets += [(f"subgroup {g.no}", subs.get(g.no), g.pooled) for g in a.subgroups
                    if g.pooled is not None and g.pooled.estimate is not None]
        for what, ours, theirs in targets:
            compared += 1
            if ours is None:
                mism.append(f"analysis {a.id} {what}: RevMan pooled it, evigrade found no estimable study")
                continue
            ok = True
            for name in ("estimate", "ci_low", "ci_high"):
                x, y = getattr(ours, name), getattr(theirs, name)
                if y is None:
                    continue
                worst = max(worst, abs(x - y) / abs(y) if abs(y) > 1e-8 else abs(x - y))
                if round(x, 2) != round(y, 2) and not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9):
                    ok = False
                    mism.append(f"analysis {a.id} {what} {name}: evigrade {x:.4g}, RevMan {y:.4g}")
            matched += ok
    return RevManCheck(compared, matched, worst, tuple(mism))
