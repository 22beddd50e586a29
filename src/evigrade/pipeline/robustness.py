"""Robustness of one trial-based finding: the pack's declared moderators, sensitivity analyses and
small-study tests, computed with the checked library functions of ``evigrade.stats`` (each equals R
metafor; see tests/packs/test_robustness.py and tests/reference/r/packs_robustness.R).

``robustness(finding, pack)`` returns a frozen :class:`Robustness` (or None when the finding is not
pooled from at least ``MIN_K_ROBUSTNESS`` trials).  It holds:

* ``moderators`` -- one :class:`ModeratorAnalysis` per ``[[moderators]]`` entry of pack.toml.  The
  moderator's ``column`` (or, if empty, its ``id``) is looked up among the studies.csv columns;
  a categorical moderator (text, or numbers with at most ``MAX_LEVELS_AS_CATEGORY`` distinct values)
  gets a subgroup analysis with a separate tau² per subgroup and the test for subgroup differences
  (Cochrane's RevMan default; ``evigrade.stats.subgroup_analysis``); a numeric moderator with more
  distinct values gets a mixed-effects meta-regression (``evigrade.stats.meta_regression``).  A
  moderator whose column is absent, that has one level among the pooled trials, or that cannot be
  analysed for another reason is kept with ``status`` and ``reason`` (never dropped silently).
* ``sensitivity`` -- leave-one-out (the range of the estimates, and which omissions would change
  whether the CI excludes no effect), the result without trials at high risk of bias (``rob_overall``
  "high", or, without an RoB judgement, a PEDro score below ``PEDRO_HIGH_BELOW`` -- the same rule as
  GRADE's risk-of-bias domain, ``GradeConfig.pedro_some_min``) and metafor's influence diagnostics
  with the influential trials flagged.
* ``small_study`` -- only where k >= ``MIN_K_SMALL_STUDY`` (10; Cochrane Handbook 13.3.5.4): Egger's
  regression test (classical, ``model="lm"``) for continuous outcomes, Peters' test (metafor's
  ``regtest(model="lm", predictor="ninv")``) for binary outcomes (OR, RR, RD) when every trial's
  sample size is known (else Egger's, with a Note), plus the rank-correlation test and trim-and-fill.
  GRADE's publication-bias domain uses ``small_study.pval`` / ``small_study.test``.

Numbers are on the analysis scale (log for ratios) as the library returns them; ``to_dict()`` adds the
display scale (ratios exponentiated) where a reader sees them (``display_*`` keys, ``subgroup_rows``).
Subgroup and regression results with fewer than ``MIN_K_MODERATOR_CONFIDENT`` trials carry a Note
that they are exploratory (Cochrane Handbook 10.11.5.1).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .._access import finite_float as _fin
from ..errors import EstimationError, EvigradeError
from ..results import Note, jsonable
from ..effects.measures import BINARY_MEASURES, RATIO_MEASURES

__all__ = [
    "ModeratorAnalysis",
    "Sensitivity",
    "SmallStudy",
    "Robustness",
    "robustness",
    "attach_robustness",
    "study_columns",
    "MIN_K_ROBUSTNESS",
    "MIN_K_SMALL_STUDY",
    "MIN_K_MODERATOR_CONFIDENT",
    "MAX_LEVELS_AS_CATEGORY",
    "PEDRO_HIGH_BELOW",
    "SUBGROUP_ALPHA",
    "BINARY_MEASURES",
]

#: sensitivity analyses and moderators need at least 3 pooled trials (leave-one-out of 2 trials is
#: each trial's own result; influence diagnostics need k - 1 > p).
MIN_K_ROBUSTNESS = 3
#: small-study tests only with at least 10 trials (Cochrane Handbook 13.3.5.4; GRADE).
MIN_K_SMALL_STUDY = 10
#: below this, subgroup analyses and meta-regression are flagged as exploratory
#: (Cochrane Handbook 10.11.5.1: "generally not ... with fewer than ten studies").
MIN_K_MODERATOR_CONFIDENT = 10
#: numeric moderators with at most this many distinct values are treated as categories (e.g. 0/1 codes).
MAX_LEVELS_AS_CATEGORY = 2
#: no RoB judgement but a PEDro score below this: high risk of bias (GradeConfig.pedro_some_min; Cashin &
#: McAuley, J Physiother 2020;66:59: 0-3 poor).
PEDRO_HIGH_BELOW = 4.0
#: a test for subgroup differences (or a moderator's omnibus test) below this p-value is reported as a
#: possible explanation of heterogeneity (the conventional 0.10 of heterogeneity tests, Cochrane Handbook 10.10.2).
SUBGROUP_ALPHA = 0.10
# BINARY_MEASURES (outcomes tested with Peters' test rather than Egger's) is the measures registry's set
# of event measures, re-exported here; findings pool OR, RR and RD among them.

#: pack Study attributes that a moderator column maps to (other columns are read from studies.csv).
_STUDY_ATTRS: dict[str, Callable[[Any], Any]] = {
    "population": lambda s: s.population,
    "comparison": lambda s: ";".join(s.comparisons),
    "pedro": lambda s: s.pedro,
    "year": lambda s: s.year,
    "country": lambda s: s.country,
    "design": lambda s: s.design,
    "n_randomised": lambda s: s.n_randomised,
    "intervention": lambda s: s.intervention,
    "comparator": lambda s: s.comparator,
    "co_interventions": lambda s: s.co_interventions,
    "trp_identification": lambda s: s.trp_identification,
    "chronicity": lambda s: s.chronicity,
    **{f"rob_{d}": (lambda s, d=d: s.rob.get(d)) for d in ("d1", "d2", "d3", "d4", "d5", "overall")},  # type: ignore[misc]
}


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class ModeratorAnalysis:
    """One declared moderator for one finding.

    ``status``: "subgroups" (``subgroup`` holds a SubgroupResult), "regression" (``regression`` holds a
    MetaRegressionResult), "not_present" (no such studies.csv column) or "not_assessable" (``reason``
    says why: one level, too few trials with a value, a failed fit).
    """

    id: str
    description: str
    column: str
    status: str
    reason: str = ""
    values: tuple[Any, ...] = ()     # the moderator value of each pooled trial (None = missing)
    subgroup: Any = None
    regression: Any = None
    notes: tuple[Note, ...] = ()

    @property
    def pval(self) -> float | None:
        """p-value of the test for subgroup differences (or the regression's omnibus test)."""
        if self.subgroup is not None:
            return _fin(self.subgroup.q_between_pvalue)
        if self.regression is not None:
            return _fin(self.regression.qm_pvalue)
        return None

    def to_dict(self, display: Callable[[float | None], float | None] = lambda v: v) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "description": self.description, "column": self.column,
                             "status": self.status, "reason": self.reason, "pval": self.pval,
                             "values": list(self.values)}
        if self.subgroup is not None:
            sg = self.subgroup.to_dict()
            for g, obj in zip(sg["groups"], self.subgroup.groups):
                g["display_estimate"] = display(obj.estimate)
                g["display_ci_low"] = display(obj.ci_low)
                g["display_ci_high"] = display(obj.ci_high)
            d["subgroups"] = sg
        else:
            d["subgroups"] = None
        d["regression"] = None if self.regression is None else self.regression.to_dict()
        d["notes"] = [n.to_dict() for n in self.notes]
        return d


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Leave-one-out, the result without high risk of bias trials, and influence diagnostics."""

    leave_one_out: Any                   # LeaveOneOutResult
    loo_min: float                       # smallest / largest leave-one-out estimate (analysis scale)
    loo_max: float
    loo_min_study: str                   # the trial whose omission gives loo_min
    loo_max_study: str
    changes_significance: tuple[str, ...]  # omissions after which the CI does / does not exclude no effect
    without_high_rob: Any                # SubsetResult, or None when no trial has an RoB judgement
    high_rob: tuple[str, ...]            # trials judged at high risk of bias
    rob_unknown: tuple[str, ...]         # trials without an RoB judgement or PEDro score
    influence: Any                       # InfluenceResult, or None when it could not be computed
    influential: tuple[str, ...]
    notes: tuple[Note, ...] = ()

    def to_dict(self, display: Callable[[float | None], float | None] = lambda v: v) -> dict[str, Any]:
        w = self.without_high_rob
        red = None if w is None else w.reduced
        out: dict[str, Any] = jsonable({
            "loo_min": self.loo_min, "loo_max": self.loo_max,
            "display_loo_min": display(self.loo_min), "display_loo_max": display(self.loo_max),
            "loo_min_study": self.loo_min_study, "loo_max_study": self.loo_max_study,
            "changes_significance": list(self.changes_significance),
            "high_rob": list(self.high_rob), "rob_unknown": list(self.rob_unknown),
            "without_high_rob": _with_display(w, red, display),
            "influential": list(self.influential),
            "leave_one_out": self.leave_one_out.to_dict(),
            "influence": None if self.influence is None else self.influence.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
        })
        return out


def _with_display(result: Any, fit: Any, display: Callable[[float | None], float | None]) -> dict[str, Any] | None:
    """``result.to_dict()`` plus ``fit``'s estimate and CI on the display scale (None where there is no result)."""
    if result is None:
        return None
    return {
        **result.to_dict(),
        "display_estimate": None if fit is None else display(fit.estimate),
        "display_ci_low": None if fit is None else display(fit.ci_low),
        "display_ci_high": None if fit is None else display(fit.ci_high),
    }


@dataclass(frozen=True, slots=True)
class SmallStudy:
    """Small-study tests for one finding (``assessable`` False when k < ``min_k``)."""

    k: int
    min_k: int
    assessable: bool
    test: str | None                     # "Egger" | "Peters" (the one GRADE uses); None when not assessable
    primary: Any = None                  # RegTestResult of ``test``
    egger: Any = None                    # RegTestResult (classical Egger), always run when assessable
    rank: Any = None                     # RankTestResult
    trimfill: Any = None                 # TrimFillResult
    notes: tuple[Note, ...] = ()

    @property
    def pval(self) -> float | None:
        return None if self.primary is None else _fin(self.primary.pval)

    def to_dict(self, display: Callable[[float | None], float | None] = lambda v: v) -> dict[str, Any]:
        tf = self.trimfill
        adj = None if tf is None else tf.adjusted
        out: dict[str, Any] = jsonable({
            "k": self.k, "min_k": self.min_k, "assessable": self.assessable, "test": self.test, "pval": self.pval,
            "primary": None if self.primary is None else self.primary.to_dict(),
            "egger": None if self.egger is None else self.egger.to_dict(),
            "ranktest": None if self.rank is None else self.rank.to_dict(),
            "trimfill": _with_display(tf, adj, display),
            "notes": [n.to_dict() for n in self.notes],
        })
        return out


@dataclass(frozen=True, slots=True)
class Robustness:
    """Moderators, sensitivity and small-study tests for one pooled trial-based finding."""

    outcome: str
    timepoint: str
    comparison: str
    population: str
    measure: str
    k: int
    method: str
    test: str
    level: float
    study: tuple[str, ...]
    moderators: tuple[ModeratorAnalysis, ...]
    sensitivity: Sensitivity | None
    small_study: SmallStudy
    notes: tuple[Note, ...] = ()

    @property
    def log_scale(self) -> bool:
        return self.measure in RATIO_MEASURES

    def display(self, v: float | None) -> float | None:
        """Analysis scale -> the scale a reader sees (ratios exponentiated)."""
        if v is None or not math.isfinite(v):
            return None
        return math.exp(v) if self.log_scale else v

    def subgroup_rows(self) -> list[dict[str, Any]]:
        """Subgroup diamonds for the forest plot (display scale): label, estimate, ci_low, ci_high, k."""
        rows = []
        for m in self.moderators:
            if m.subgroup is None:
                continue
            for g in m.subgroup.groups:
                rows.append({"label": f"{m.id}: {g.level}", "moderator": m.id, "level": g.level,
                             "estimate": self.display(g.estimate), "ci_low": self.display(g.ci_low),
                             "ci_high": self.display(g.ci_high), "k": g.k})
        return rows

    def subgroup_explanations(self, alpha: float = SUBGROUP_ALPHA) -> tuple[dict[str, Any], ...]:
        """Moderators whose test for subgroup differences (or omnibus test) has p < ``alpha``."""
        out = []
        for m in self.moderators:
            p = m.pval
            if p is not None and p < alpha:
                kind = "subgroup differences" if m.subgroup is not None else "moderator (meta-regression)"
                out.append({"moderator": m.id, "description": m.description, "kind": kind, "pval": p, "k": self.k})
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        disp = self.display
        out: dict[str, Any] = jsonable({
            "outcome": self.outcome, "timepoint": self.timepoint, "comparison": self.comparison,
            "population": self.population, "measure": self.measure, "k": self.k,
            "scale": "log" if self.log_scale else "natural", "method": self.method, "test": self.test,
            "level": self.level, "studies": list(self.study),
            "moderators": [m.to_dict(disp) for m in self.moderators],
            "subgroup_rows": self.subgroup_rows(),
            "subgroup_explanations": [dict(x) for x in self.subgroup_explanations()],
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(disp),
            "small_study": self.small_study.to_dict(disp),
            "notes": [n.to_dict() for n in self.notes],
        })
        return out


# ------------------------------------------------------------------------------------------ inputs


def study_columns(pack: Any) -> dict[str, dict[str, str]]:
    """studies.csv as {column: {study_id: raw text}} (for moderators that are not Study attributes).

    Empty when the pack has no readable studies.csv on disk (e.g. a Pack built in memory).
    """
    path = Path(str(getattr(pack, "path", "") or "")) / "studies.csv"
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):  # the loader has already validated this file
        return {}
    cols: dict[str, dict[str, str]] = {}
    id_col = pack.csv_column("studies.csv", "study_id") if hasattr(pack, "csv_column") else "study_id"  # [columns]
    for r in rows:
        sid = (r.get(id_col) or "").strip()
        for c, v in r.items():
            if c is None:
                continue
            cols.setdefault(c.strip(), {})[sid] = (v or "").strip() if isinstance(v, str) else ""
    return cols


def _moderator_values(pack: Any, column: str, studies: tuple[str, ...],
                      raw: Mapping[str, Mapping[str, str]]) -> list[Any] | None:
    """One value per pooled trial (None = missing), or None when the column does not exist."""
    if column in raw:
        vals: list[Any] = []
        for s in studies:
            v = raw[column].get(s, "")
            vals.append(v if v != "" else None)
        if column in _STUDY_ATTRS:  # use the loader's validated value (numbers as numbers)
            vals = [_attr(pack, s, column) for s in studies]
        return vals
    if column in _STUDY_ATTRS and not raw:
        return [_attr(pack, s, column) for s in studies]
    return None


def _attr(pack: Any, sid: str, column: str) -> Any:
    try:
        st = pack.study(sid)
    except StopIteration:
        return None
    v = _STUDY_ATTRS[column](st)
    return None if v is None or (isinstance(v, str) and not v.strip()) else v


def _numeric(values: list[Any]) -> list[float] | None:
    """Values as floats when every present value is a number, else None."""
    out = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return None
        try:
            f = float(str(v).replace("\u2212", "-"))
        except ValueError:
            return None
        if not math.isfinite(f):
            return None
        out.append(f)
    return out


# ------------------------------------------------------------------------------------------ parts


def _moderator(m: Any, pack: Any, meta: Any, raw: Mapping[str, Mapping[str, str]], method: str, test: str,
               level: float) -> ModeratorAnalysis:
    from ..stats.regression import meta_regression
    from ..stats.subgroups import subgroup_analysis

    column = (getattr(m, "column", "") or getattr(m, "id", "")).strip()
    mid, desc = str(m.id), str(getattr(m, "description", "") or m.id)
    studies = tuple(str(s) for s in meta.study)
    vals = _moderator_values(pack, column, studies, raw)
    if vals is None:
        return ModeratorAnalysis(mid, desc, column, "not_present",
                                 f"studies.csv has no column '{column}'", notes=(Note(
                                     "moderator_not_present", f"Moderator '{mid}' was not analysed: studies.csv has "
                                     f"no column '{column}'."),))
    present = [v for v in vals if v is not None]
    nums = _numeric(vals)
    base_notes: list[Note] = []
    if len(present) < len(vals):
        missing = [s for s, v in zip(studies, vals) if v is None]
        base_notes.append(Note("moderator_missing", f"Moderator '{mid}' is missing for {', '.join(missing)}; "
                                                    "those trials are left out of its analysis."))
    levels = {str(v) for v in present} if nums is None else set(nums)
    if len(levels) < 2:
        why = ("no pooled trial has a value" if not present else
               f"every pooled trial with a value has the same one ({next(iter(levels))!s})")
        return ModeratorAnalysis(mid, desc, column, "not_assessable", f"one level only: {why}",
                                 values=tuple(vals), notes=tuple(base_notes))
    k_used = len(present)
    if k_used < MIN_K_MODERATOR_CONFIDENT:
        base_notes.append(Note("moderator_exploratory", f"Moderator '{mid}' rests on {k_used} trials (fewer than "
                                                        f"{MIN_K_MODERATOR_CONFIDENT}): exploratory only."))
    continuous = nums is not None and len(levels) > MAX_LEVELS_AS_CATEGORY
    try:
        if continuous:
            xs = [None if v is None else float(str(v).replace("\u2212", "-")) for v in vals]
            reg = meta_regression(meta.yi, meta.vi, mods={column: np.array([np.nan if x is None else x for x in xs])},
                                  method=method, test=test, level=level * 100, study=studies)
            return ModeratorAnalysis(mid, desc, column, "regression", values=tuple(vals), regression=reg,
                                     notes=tuple(base_notes) + tuple(reg.notes))
        groups = [None if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in vals]
        sg = subgroup_analysis(meta.yi, meta.vi, groups=groups, moderator=column, tau2="separate",
                               method=method, test=test, level=level * 100, study=studies)
        return ModeratorAnalysis(mid, desc, column, "subgroups", values=tuple(vals), subgroup=sg,
                                 notes=tuple(base_notes) + tuple(sg.notes))
    except (EvigradeError, np.linalg.LinAlgError) as exc:
        return ModeratorAnalysis(mid, desc, column, "not_assessable", str(exc), values=tuple(vals),
                                 notes=tuple(base_notes) + (Note("moderator_failed", f"Moderator '{mid}' could not be "
                                                                                     f"analysed: {exc}"),))


def _high_rob(finding: Any, studies: tuple[str, ...]) -> tuple[list[bool | None], tuple[str, ...], tuple[str, ...]]:
    by_id = {str(t.study_id): t for t in finding.trials}
    flags: list[bool | None] = []
    for s in studies:
        t = by_id.get(s)
        rob = None if t is None else (t.rob_overall or None)
        pedro = None if t is None else _fin(t.pedro)
        if rob is not None:
            flags.append(str(rob).strip().lower() == "high")
        elif pedro is not None:
            flags.append(pedro < PEDRO_HIGH_BELOW)
        else:
            flags.append(None)
    high = tuple(s for s, f in zip(studies, flags) if f)
    unknown = tuple(s for s, f in zip(studies, flags) if f is None)
    return flags, high, unknown


def _sensitivity(finding: Any, meta: Any, method: str, test: str, level: float) -> Sensitivity:
    from ..stats.sensitivity import exclude_studies, influence, leave_one_out

    studies = tuple(str(s) for s in meta.study)
    notes: list[Note] = []
    loo = leave_one_out(meta.yi, meta.vi, method=method, test=test, level=level * 100, study=studies)
    est = loo.column("estimate")
    lo, hi = loo.column("ci_low"), loo.column("ci_high")
    ok = np.isfinite(est)
    imin = int(np.nanargmin(est)) if ok.any() else 0
    imax = int(np.nanargmax(est)) if ok.any() else 0
    full_excl = not (meta.ci_low <= 0.0 <= meta.ci_high)
    changes = tuple(s for s, a, b in zip(studies, lo, hi)
                    if math.isfinite(a) and math.isfinite(b) and (not (a <= 0.0 <= b)) != full_excl)
    notes.extend(loo.notes)
    flags, high, unknown = _high_rob(finding, studies)
    without = None
    if all(f is None for f in flags):
        notes.append(Note("rob_not_recorded", "No pooled trial has a risk-of-bias judgement or PEDro score, so the "
                                              "analysis without high risk of bias trials was not made."))
    else:
        if unknown:
            notes.append(Note("rob_unknown_kept", f"No risk-of-bias judgement for {', '.join(unknown)}; kept in the "
                                                  "analysis without high risk of bias trials."))
        without = exclude_studies(meta.yi, meta.vi, exclude=[bool(f) for f in flags],
                                  label="without trials at high risk of bias", reason="at high risk of bias",
                                  method=method, test=test, level=level * 100, study=studies)
    inf = None
    influential: tuple[str, ...] = ()
    try:
        inf = influence(meta.yi, meta.vi, method=method, test=test, level=level * 100, study=studies)
        influential = tuple(s for s, f in zip(studies, inf.influential) if f)
    except (EvigradeError, EstimationError, np.linalg.LinAlgError) as exc:
        notes.append(Note("influence_failed", f"Influence diagnostics could not be computed: {exc}"))
    return Sensitivity(
        leave_one_out=loo, loo_min=float(est[imin]), loo_max=float(est[imax]), loo_min_study=studies[imin],
        loo_max_study=studies[imax], changes_significance=changes, without_high_rob=without, high_rob=high,
        rob_unknown=unknown, influence=inf, influential=influential, notes=tuple(notes))


def _small_study(finding: Any, meta: Any, measure: str, method: str) -> SmallStudy:
    from ..stats.bias import egger_test, peters_test, ranktest, trimfill

    studies = tuple(str(s) for s in meta.study)
    k = len(studies)
    if k < MIN_K_SMALL_STUDY:
        return SmallStudy(k=k, min_k=MIN_K_SMALL_STUDY, assessable=False, test=None, notes=(Note(
            "small_study_not_assessable", f"Small-study effects were not tested: {k} trials (tests need at least "
                                          f"{MIN_K_SMALL_STUDY})."),))
    notes: list[Note] = []
    egger = egger_test(meta.yi, meta.vi, model="lm", study=studies)
    primary, test_name = egger, "Egger"
    if measure in BINARY_MEASURES:
        by_id = {str(t.study_id): t for t in finding.trials}
        ni = [_fin(getattr(by_id.get(s), "n", None)) for s in studies]
        if all(n is not None and n > 0 for n in ni):
            primary, test_name = peters_test(meta.yi, meta.vi, ni=np.array(ni, dtype=float), study=studies), "Peters"
            if measure != "OR":
                notes.append(Note("peters_measure", f"Peters' test (regression on 1/n, weights 1/vi as metafor's "
                                                    f"regtest) applied to the log {measure}; it was proposed for the "
                                                    "log odds ratio."))
        else:
            notes.append(Note("peters_needs_n", "Peters' test needs every trial's sample size; Egger's test was used."))
    rank = ranktest(meta.yi, meta.vi, study=studies)
    tf = None
    try:
        tf = trimfill(meta.yi, meta.vi, method=method, test="z", study=studies)
    except (EvigradeError, np.linalg.LinAlgError) as exc:
        notes.append(Note("trimfill_failed", f"Trim-and-fill could not be computed: {exc}"))
    return SmallStudy(k=k, min_k=MIN_K_SMALL_STUDY, assessable=True, test=test_name, primary=primary, egger=egger,
                      rank=rank, trimfill=tf, notes=tuple(notes))


# ------------------------------------------------------------------------------------------ entry points


def robustness(finding: Any, pack: Any, *, raw_columns: Mapping[str, Mapping[str, str]] | None = None) -> Robustness | None:
    """Moderators, sensitivity and small-study tests for one pack Finding (None unless it is pooled from
    at least ``MIN_K_ROBUSTNESS`` trials).  The finding's own MetaResult fixes method, test and level.

    ``raw_columns``: ``study_columns(pack)`` when called for many findings (read once).
    """
    meta = getattr(finding, "meta", None)
    if meta is None or getattr(finding, "status", None) != "pooled" or getattr(finding, "basis", None) != "trials":
        return None
    if getattr(meta, "model", None) == "multilevel":
        return None  # several results per study (pipeline.pooling): these analyses assume one per study
    k = len(meta.yi)
    if k < MIN_K_ROBUSTNESS:
        return None
    method, test = str(meta.method), str(meta.test)
    level = float(meta.level)
    level = level / 100 if level > 1 else level
    measure = str(finding.measure or meta.measure or "")
    raw = study_columns(pack) if raw_columns is None else raw_columns
    mods = tuple(_moderator(m, pack, meta, raw, method, test, level) for m in getattr(pack, "moderators", ()) or ())
    sens = _sensitivity(finding, meta, method, test, level)
    small = _small_study(finding, meta, measure, method)
    notes: list[Note] = []
    for m in mods:
        notes.extend(m.notes)
    notes.extend(sens.notes)
    notes.extend(small.notes)
    return Robustness(
        outcome=finding.outcome, timepoint=finding.timepoint, comparison=finding.comparison,
        population=finding.population, measure=measure, k=k, method=method, test=test, level=level,
        study=tuple(str(s) for s in meta.study), moderators=mods, sensitivity=sens, small_study=small,
        notes=tuple(dict.fromkeys(notes)))


def attach_robustness(findings: tuple[Any, ...], pack: Any) -> tuple[Any, ...]:
    """Each pooled finding with ``robustness`` filled (``dataclasses.replace``); others unchanged."""
    from dataclasses import replace

    raw = study_columns(pack)
    out = []
    for f in findings:
        r = robustness(f, pack, raw_columns=raw)
        out.append(f if r is None else replace(f, robustness=r))
    return tuple(out)
