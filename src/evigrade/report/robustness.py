"""Plain-text lines for a finding's robustness analyses (``Finding.to_dict()["robustness"]``, made by
``evigrade.pipeline.robustness``): the declared moderators' subgroup results with the test for subgroup
differences, the sensitivity line and the small-study tests.  Shared by the HTML/Markdown report and
the ``evigrade summarize`` terminal printer, so both say the same thing.  Numbers become strings only
here (display scale: ratios exponentiated, as ``to_dict`` provides them).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from .._format import fmt, fmt_ci, fmt_p, fmt_pct
from .._access import finite_float as _f

__all__ = ["robustness_lines", "subgroup_line", "sensitivity_line", "small_study_line"]

_CHI2 = "\u03c7\u00b2"


def _eff(measure: str, est: Any, lo: Any, hi: Any) -> str:
    return f"{measure} {fmt(est)} ({fmt_ci(lo, hi)})" if _f(lo) is not None else f"{measure} {fmt(est)}"


def _trials(n: int) -> str:
    return f"{n} trial" + ("" if n == 1 else "s")


def subgroup_line(mod: Mapping[str, Any], measure: str, log_scale: bool) -> str | None:
    """One moderator: its subgroups and the test for subgroup differences, or its meta-regression slope."""
    name = str(mod.get("description") or mod.get("id"))
    sg = mod.get("subgroups")
    if mod.get("status") == "subgroups" and isinstance(sg, Mapping):
        parts = [f"{g.get('level')}: {_eff(measure, g.get('display_estimate'), g.get('display_ci_low'), g.get('display_ci_high'))}, "
                 f"{_trials(int(g.get('k') or 0))}" for g in sg.get("groups", [])]
        df = sg.get("q_between_df") or []
        if sg.get("distribution") == "F":
            stat = f"F = {fmt(sg.get('q_between'))}, df = {', '.join(str(d) for d in df)}"
        else:
            stat = f"{_CHI2} = {fmt(sg.get('q_between'))}, df = {df[0] if df else 'NA'}"
        return (f"Subgroups by {name}: " + "; ".join(parts)
                + f". Test for subgroup differences: {stat}, {fmt_p(sg.get('q_between_pvalue'))}.")
    reg = mod.get("regression")
    if mod.get("status") == "regression" and isinstance(reg, Mapping):
        coefs = [c for c in reg.get("coefficients", []) if c.get("name") != "intrcpt"]
        if not coefs:
            return None
        c = coefs[0]
        est, lo, hi = _f(c.get("estimate")), _f(c.get("ci_low")), _f(c.get("ci_high"))
        if log_scale:
            est, lo, hi = (None if v is None else math.exp(v) for v in (est, lo, hi))
            what = f"the {measure} is multiplied by {fmt(est, 3)} ({fmt_ci(lo, hi, 3)}) per unit"
        else:
            what = f"the {measure} changes by {fmt(est, 3)} ({fmt_ci(lo, hi, 3)}) per unit"
        r2 = _f(reg.get("r2"))
        return (f"Meta-regression on {name}: {what}, {fmt_p(reg.get('qm_pvalue'))}, {_trials(int(reg.get('k') or 0))}"
                + (f"; it accounts for {fmt_pct(max(r2, 0.0), 0)} of tau\u00b2" if r2 is not None else "") + ".")
    return None


def sensitivity_line(sens: Mapping[str, Any], measure: str) -> str:
    loo_min, loo_max = sens.get("display_loo_min"), sens.get("display_loo_max")
    text = (f"Sensitivity: leaving out one trial at a time, the estimate ranged from {measure} {fmt(loo_min)} "
            f"(without {sens.get('loo_min_study')}) to {fmt(loo_max)} (without {sens.get('loo_max_study')})")
    ch = list(sens.get("changes_significance") or [])
    text += ("; no single omission changes whether the CI excludes no effect" if not ch else
             f"; leaving out {', '.join(ch)} changes whether the CI excludes no effect")
    w = sens.get("without_high_rob")
    high = list(sens.get("high_rob") or [])
    if w is None:
        text += ". Risk of bias not recorded, so no analysis without high risk of bias trials"
    elif not high:
        text += ". No pooled trial is at high risk of bias"
    elif w.get("reduced") is None:
        text += ". Every pooled trial is at high risk of bias"
    else:
        kept = len(w.get("kept") or [])
        text += (f". Without the {_trials(len(high))} at high risk of bias ({', '.join(high)}): "
                 f"{_eff(measure, w.get('display_estimate'), w.get('display_ci_low'), w.get('display_ci_high'))}, "
                 f"{_trials(kept)}")
    infl = list(sens.get("influential") or [])
    text += ". Influential trials (metafor's criteria): " + (", ".join(infl) if infl else "none") + "."
    return text


def small_study_line(ss: Mapping[str, Any], measure: str) -> str:
    if not ss.get("assessable"):
        return (f"Small-study effects: not tested ({_trials(int(ss.get('k') or 0))}; the tests need at least "
                f"{ss.get('min_k')}).")
    test = str(ss.get("test") or "Egger")
    poss = test + ("'" if test.endswith("s") else "'s")
    text = f"Small-study effects: {poss} test {fmt_p(ss.get('pval'))}"
    rk = ss.get("ranktest")
    if isinstance(rk, Mapping):
        text += f"; rank correlation (Begg) {fmt_p(rk.get('pval'))}"
    tf = ss.get("trimfill")
    if isinstance(tf, Mapping):
        k0 = int(tf.get("k0") or 0)
        if k0 == 0:
            text += "; trim-and-fill adds no trials"
        else:
            text += (f"; trim-and-fill adds {_trials(k0)} on the {tf.get('side')}: "
                     f"{_eff(measure, tf.get('display_estimate'), tf.get('display_ci_low'), tf.get('display_ci_high'))}")
    return text + "."


def robustness_lines(rob: Mapping[str, Any] | None) -> list[str]:
    """The lines a report prints under a pooled finding (empty without robustness results)."""
    if not isinstance(rob, Mapping):
        return []
    measure = str(rob.get("measure") or "")
    log_scale = rob.get("scale") == "log"
    lines: list[str] = []
    skipped = []
    for m in rob.get("moderators") or []:
        line = subgroup_line(m, measure, log_scale)
        if line:
            lines.append(line)
        else:
            skipped.append(f"{m.get('id')} ({m.get('reason') or m.get('status')})")
    if skipped:
        lines.append("Moderators not analysed: " + "; ".join(skipped) + ".")
    if isinstance(rob.get("sensitivity"), Mapping):
        lines.append(sensitivity_line(rob["sensitivity"], measure))
    if isinstance(rob.get("small_study"), Mapping):
        lines.append(small_study_line(rob["small_study"], measure))
    return lines
