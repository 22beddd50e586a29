"""Rate one meta-analysis (a :class:`~evigrade.stats.MetaResult`) or one CSV of studies.

``grade_analysis(result, ...)`` builds the :class:`GradeInput` from the fit (estimate, CI, PI,
I², tau², per-study estimates and weights, k, n) plus what only a reviewer knows (MID, per-study
risk of bias, indirectness) and rates it.  ``grade_studies_csv(path, measure, ...)`` is the
library call behind ``evigrade grade``: it reads the CSV with ``effects.read_studies_csv``, pools
with ``stats.meta_analysis`` and reads the risk-of-bias column itself (validated cell by cell).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence, cast

from .._validate import check_choice
from .._access import finite_float as _fin
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, jsonable
from .assess import assess
from .config import RATIO_MEASURES, GradeConfig
from .magnitude import Magnitude, magnitude
from .model import CertaintyRating, GradeInput, Override, StudyRoB, normalize_rob

__all__ = ["AnalysisGrade", "grade_analysis", "grade_studies_csv", "read_rob_column", "small_study_test"]


@dataclass(frozen=True, slots=True)
class AnalysisGrade:
    """A rated analysis: the fit's key numbers, the GRADE input, rating, magnitude and statement."""

    analysis: dict[str, Any]
    input: GradeInput
    rating: CertaintyRating
    magnitude: Magnitude
    statement: str
    notes: tuple[Note, ...] = ()
    size_claim: str | None = None  # the size word the statement used (None: no size word)

    @property
    def certainty(self) -> str:
        return self.rating.certainty

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": jsonable(self.analysis),
            "certainty": self.rating.certainty,
            "symbols": self.rating.symbols,
            "downgrades": [dict(d) for d in self.rating.downgrades],
            "statement": self.statement,
            "size_claim": self.size_claim,
            "size_approach": self.magnitude.size_approach,
            "magnitude": self.magnitude.to_dict(),
            "rating": self.rating.to_dict(),
            "input": self.input.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
        }


def small_study_test(result: Any, config: GradeConfig | None = None) -> tuple[float | None, str | None]:
    """Egger's regression test p-value (evigrade.stats.bias) when k >= the config minimum, else (None, None)."""
    config = config or GradeConfig()
    k = int(getattr(result, "k", 0) or 0)
    if k < config.pub_bias_min_k:
        return None, None
    try:
        from ..stats.bias import egger_test
    except ImportError:  # pragma: no cover - stats.bias is part of the package
        return None, None
    import numpy as np

    res = egger_test(np.asarray(result.yi, dtype=float), np.asarray(result.vi, dtype=float))
    p = float(res.pval)
    return (p if math.isfinite(p) else None), "Egger"


def grade_analysis(result: Any, *, benefit: str = "lower", mid: float | None = None, mid_source: str | None = None,
                   rob: Mapping[str, Any] | None = None, n: int | None = None,
                   indirectness: str | None = None, indirectness_reason: str | None = None,
                   overrides: Sequence[Override] = (), config: GradeConfig | None = None,
                   outcome: str = "the outcome", intervention: str = "the intervention",
                   comparison: str | None = None, timeframe: str | None = None) -> AnalysisGrade:
    """Rate a MetaResult.  ``rob`` maps study label -> 'low'/'some concerns'/'high' or a PEDro score
    (missing studies count as unknown).  Ratio measures are read on the log scale from the fit and
    rated on the ratio scale."""
    config = config or GradeConfig()
    measure = str(getattr(result, "measure", None) or "GEN").upper()
    ratio = measure in RATIO_MEASURES
    tr = math.exp if ratio else (lambda v: v)
    est, lo, hi = (tr(float(getattr(result, a))) for a in ("estimate", "ci_low", "ci_high"))
    pl, ph = _fin(getattr(result, "pi_low", None)), _fin(getattr(result, "pi_high", None))
    if pl is not None and ph is not None:
        pl, ph = tr(pl), tr(ph)
    studies = tuple(getattr(result, "study", ()) or ())
    weights = [float(w) for w in getattr(result, "weights", ())]
    yi = [tr(float(y)) for y in getattr(result, "yi", ())]
    notes: list[Note] = []
    rob_items: list[StudyRoB] = []
    if rob is not None:
        for i, label in enumerate(studies):
            val = rob.get(label)
            w = weights[i] if i < len(weights) else 0.0
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                rob_items.append(StudyRoB(label, w, pedro=float(val)))
            else:
                rob_items.append(StudyRoB(label, w, cast("Literal['low', 'some_concerns', 'high'] | None",
                                                         normalize_rob(val))))
    else:
        notes.append(Note(NoteCode.ROB_NOT_GIVEN, "No risk-of-bias judgements were given; risk of bias is not assessable "
                                           "and the evidence is rated down one level as a precaution."))
    p, test = small_study_test(result, config)
    inp = GradeInput(
        estimate=est, ci_low=lo, ci_high=hi, measure=measure,
        benefit=cast("Literal['lower', 'higher']", check_choice("benefit", benefit, ("lower", "higher"))),
        k=int(result.k), n=n,
        i2=_fin(getattr(result, "i2", None)), tau2=_fin(getattr(result, "tau2", None)), pi_low=pl, pi_high=ph,
        study_estimates=tuple(yi) if len(yi) >= 2 else (), rob=tuple(rob_items), mid=mid, mid_source=mid_source,
        indirectness=cast("Literal['none', 'serious', 'very_serious'] | None", indirectness),
        indirectness_reason=indirectness_reason, small_study_p=p, small_study_test=test,
        overrides=tuple(overrides), label=outcome)
    rating = assess(inp, config)
    mag = magnitude(inp, config)
    from ..effects.scales import ratio_scales
    from ..language import statement_with_size

    text, used = statement_with_size(rating, mag, outcome_name=outcome, timeframe=timeframe, intervention=intervention,
                     comparison=comparison)
    analysis = {"measure": measure, "k": int(result.k), "estimate": est, "ci_low": lo, "ci_high": hi,
                "pi_low": pl, "pi_high": ph, "i2": inp.i2, "tau2": inp.tau2,
                "method": getattr(result, "method", None), "test": getattr(result, "test", None),
                "studies": [{"study": s, "weight": weights[i] if i < len(weights) else None,
                             "rob": (rob_items[i].judgement or rob_items[i].pedro) if rob_items else None}
                            for i, s in enumerate(studies)]}
    analysis.update(ratio_scales(measure, analysis, "ratio"))  # log_scale + ratio_scale, as meta --json
    return AnalysisGrade(analysis, inp, rating, mag, text, tuple(notes), used)


# empty or "not available" cells: risk of bias unknown ("none" is not here: it could mean "no concerns")
_UNKNOWN_ROB = ("", "na", "n/a", "nan", ".", "null")


def read_rob_column(path: str | os.PathLike[str], column: str) -> dict[str, Any]:
    """Study label -> risk of bias from ``column`` of a studies CSV.

    The file is read by the same reader as ``read_studies_csv`` (``evigrade._csvtext``), so errors
    name the file as given and count rows as a spreadsheet does (header = row 1).  Labels follow
    ``read_studies_csv``: the ``study`` (or ``slab``) column when present, else "Study N" for the
    N-th data row.  Cells: low / some concerns / high (RoB 2 words; 'unclear' counts as some
    concerns) or a PEDro score 0-10; blank = unknown.  Bad cells raise a one-line InputError.
    """
    from ..effects.io import _labels, _parse

    name, header, rows = _parse(path)
    col = column.strip().lower()
    if col not in header:
        raise InputError(f"no risk-of-bias column {column!r}", file=name, row=1,
                         fix=f"add a column {column!r} (low / some concerns / high or a PEDro score 0-10) "
                             f"or pass --rob-col with one of: {', '.join(h for h in header if h)}")
    j = header.index(col)
    labels = _labels(name, header, rows)
    out: dict[str, Any] = {}
    for idx, (rownum, cells) in enumerate(rows):
        shown = labels[idx] if labels else None
        label = shown or f"Study {idx + 1}"
        cell = cells[j].strip() if j < len(cells) else ""
        if cell.lower() in _UNKNOWN_ROB:  # blank, NA, n/a: not assessed
            out[label] = None
            continue
        try:
            score = float(cell.replace("\u2212", "-"))
        except ValueError:
            score = None
        if score is not None:
            if not (math.isfinite(score) and 0 <= score <= 10):
                raise InputError("PEDro score must be between 0 and 10", file=name, row=rownum, label=shown,
                                 column=column, value=cell, fix="give a PEDro score 0-10 or low / some concerns / high")
            out[label] = score
            continue
        try:
            out[label] = normalize_rob(cell)
        except SpecError:
            raise InputError("risk of bias must be low, some concerns or high (or a PEDro score 0-10)", file=name,
                             row=rownum, label=shown, column=column, value=cell,
                             fix="use low / some concerns / high, or leave blank when unknown") from None
    return out


def grade_studies_csv(path: str | os.PathLike[str], measure: str, *, mid: float | None = None,
                      mid_source: str | None = None, rob_col: str | None = None, benefit: str = "lower",
                      indirectness: str | None = None, indirectness_reason: str | None = None,
                      method: str = "REML", test: str = "knha", config: GradeConfig | None = None,
                      outcome: str = "the outcome", intervention: str = "the intervention",
                      comparison: str | None = None, timeframe: str | None = None,
                      drop00: bool | None = None) -> AnalysisGrade:
    """Read, pool and rate one CSV of studies (the library call behind ``evigrade grade``).

    ``drop00`` is passed to ``escalc`` (None: double-zero OR/RR studies are dropped with a note;
    False: kept, as metafor does)."""
    from ..effects import read_studies_csv
    from ..stats import meta_analysis

    benefit = check_choice("benefit", benefit, ("lower", "higher"))
    if indirectness is not None:
        indirectness = check_choice("indirectness", indirectness, ("none", "serious", "very_serious"))
    if mid is not None and (not math.isfinite(mid) or mid <= 0):
        raise SpecError(f"mid must be > 0, got {mid!r}")
    table = read_studies_csv(path, measure, **({} if drop00 is None else {"drop00": drop00}))
    rob = read_rob_column(path, rob_col) if rob_col else None
    result = meta_analysis(table, method=method, test=test)  # type: ignore[arg-type]  # validated by meta_analysis
    n = None
    if getattr(table, "n", None) is not None:
        import numpy as np

        arr = np.asarray(table.n, dtype=float)
        if arr.size and np.all(np.isfinite(arr)):
            n = int(arr.sum())
    return grade_analysis(result, benefit=benefit, mid=mid, mid_source=mid_source, rob=rob, n=n,
                          indirectness=indirectness, indirectness_reason=indirectness_reason, config=config,
                          outcome=outcome, intervention=intervention, comparison=comparison, timeframe=timeframe)
