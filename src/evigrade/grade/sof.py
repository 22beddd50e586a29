"""Summary-of-Findings table (GRADE SoF layout), numbers kept as numbers.

Columns: outcome, time point, participants (studies), relative effect (95% CI), anticipated
absolute effect (per 1000 from a baseline risk for binary outcomes; the mean difference in natural
units for continuous ones, an SMD re-expressed in a reference instrument's units when possible),
certainty (symbols and word), the plain-language statement and footnotes naming each downgrade.
Renderers format; ``symbols`` is the only preformatted field (it is a glyph, not a number).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import SpecError
from ..results import jsonable_dict
from .config import RATIO_MEASURES
from .magnitude import Magnitude
from .model import CertaintyRating, GradeInput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AbsoluteEffect", "SoFRow", "SoFTable", "absolute_effect", "sof_row", "sof_table"]


@dataclass(frozen=True, slots=True)
class AbsoluteEffect:
    """Anticipated absolute effect.  ``kind``: 'per_1000' (binary), 'mean_difference',
    're_expressed_smd' (SMD × reference SD) or 'smd' (no natural units available)."""

    kind: str
    baseline_per_1000: float | None
    intervention_per_1000: float | None
    difference: float
    ci_low: float
    ci_high: float
    units: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({f: getattr(self, f) for f in self.__slots__})


def _risk(measure: str, baseline: float, effect: float) -> float:
    if measure == "HR":  # proportional hazards: S1 = S0 ** HR
        return 1.0 - float((1.0 - baseline) ** effect)
    if measure in ("RR", "MH_RR", "IRR"):
        return min(1.0, baseline * effect)
    if measure in ("OR", "MH_OR", "PETO"):
        return effect * baseline / (1 - baseline + effect * baseline)
    if measure == "RD":
        return min(1.0, max(0.0, baseline + effect))
    raise SpecError(f"absolute risks need a ratio or RD measure, got {measure!r}")


def absolute_effect(inp: GradeInput, *, baseline_risk: float | None = None, magnitude: Magnitude | None = None,
                    units: str | None = None) -> AbsoluteEffect | None:
    """The anticipated absolute effect for ``inp`` (None for a ratio without a baseline risk)."""
    m = inp.measure
    if m in RATIO_MEASURES - {"ROM"} or m == "RD":
        b = baseline_risk if baseline_risk is not None else inp.control_risk
        if m == "RD":
            # RD on the proportion scale (-1..1); larger magnitudes are read as percentage points
            f = 10.0 if max(abs(inp.estimate), abs(inp.ci_low), abs(inp.ci_high)) > 1 else 1000.0
            base = None if b is None else 1000 * b
            return AbsoluteEffect("per_1000", base, None if base is None else base + f * inp.estimate,
                                  f * inp.estimate, f * inp.ci_low, f * inp.ci_high, "per 1000")
        if b is None:
            return None
        if not 0 < b < 1:
            raise SpecError(f"baseline_risk must be a proportion between 0 and 1, got {b!r}")
        r, lo, hi = (_risk(m, b, x) for x in (inp.estimate, inp.ci_low, inp.ci_high))
        return AbsoluteEffect("per_1000", 1000 * b, 1000 * r, 1000 * (r - b), 1000 * (min(lo, hi) - b),
                              1000 * (max(lo, hi) - b), "per 1000")
    if m == "SMD":
        rx = magnitude.re_expressed if magnitude is not None else None
        if rx is not None:
            return AbsoluteEffect("re_expressed_smd", None, None, rx.estimate, rx.ci_low, rx.ci_high,
                                  rx.units or rx.instrument)
        return AbsoluteEffect("smd", None, None, inp.estimate, inp.ci_low, inp.ci_high, "SD units")
    if m == "ROM":
        return None
    return AbsoluteEffect("mean_difference", None, None, inp.estimate, inp.ci_low, inp.ci_high, units)


@dataclass(frozen=True, slots=True)
class SoFRow:
    outcome: str
    timepoint: str | None
    participants: int | None
    studies: int | None
    measure: str
    relative_estimate: float | None      # ratio measures only
    relative_ci_low: float | None
    relative_ci_high: float | None
    absolute: AbsoluteEffect | None
    certainty: str
    symbols: str
    statement: str
    footnotes: tuple[str, ...]
    downgrades: tuple[dict[str, Any], ...]
    basis: str = "trials"
    review_rating: str | None = None

    @property
    def certainty_label(self) -> str:
        return self.certainty.replace("_", " ")

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__slots__}
        d["absolute"] = self.absolute.to_dict() if self.absolute else None
        d["certainty_label"] = self.certainty_label
        return jsonable_dict(d)


def sof_row(outcome: str, inp: GradeInput, rating: CertaintyRating, statement: str, *, timepoint: str | None = None,
            magnitude: Magnitude | None = None, baseline_risk: float | None = None, units: str | None = None) -> SoFRow:
    ratio = inp.is_ratio
    return SoFRow(
        outcome=outcome, timepoint=timepoint, participants=inp.n, studies=inp.k, measure=inp.measure,
        relative_estimate=inp.estimate if ratio else None,
        relative_ci_low=inp.ci_low if ratio else None,
        relative_ci_high=inp.ci_high if ratio else None,
        absolute=absolute_effect(inp, baseline_risk=baseline_risk, magnitude=magnitude, units=units),
        certainty=rating.certainty, symbols=rating.symbols, statement=statement,
        footnotes=rating.footnotes, downgrades=rating.downgrades, basis=rating.basis,
        review_rating=rating.review_rating,
    )


def sof_narrative_row(outcome: str, inp: Any, rating: CertaintyRating, statement: str, *,
                      timepoint: str | None = None) -> SoFRow:
    """An SoF row for evidence without a single estimate (a NarrativeInput rated by assess_narrative):
    no relative or absolute effect (``measure`` is ""), participants summed over the results that state
    them (None when any is unknown), studies = the number of results."""
    ns = [v.n for v in inp.votes]
    return SoFRow(
        outcome=outcome, timepoint=timepoint, participants=sum(ns) if ns and all(n is not None for n in ns) else None,
        studies=inp.k, measure="", relative_estimate=None, relative_ci_low=None, relative_ci_high=None, absolute=None,
        certainty=rating.certainty, symbols=rating.symbols, statement=statement, footnotes=rating.footnotes,
        downgrades=rating.downgrades, basis=rating.basis, review_rating=rating.review_rating,
    )


@dataclass(frozen=True, slots=True)
class SoFTable:
    """Rows plus one numbered list of footnotes; ``row_footnotes[i]`` are the numbers for row i."""

    title: str
    rows: tuple[SoFRow, ...]
    footnotes: tuple[str, ...]
    row_footnotes: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rows": [r.to_dict() for r in self.rows], "footnotes": list(self.footnotes),
                "row_footnotes": [list(x) for x in self.row_footnotes]}

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - thin pandas wrapper
        import pandas as pd

        recs = []
        for r, fn in zip(self.rows, self.row_footnotes):
            a = r.absolute
            recs.append({
                "outcome": r.outcome, "timepoint": r.timepoint, "participants": r.participants, "studies": r.studies,
                "measure": r.measure, "relative_estimate": r.relative_estimate, "relative_ci_low": r.relative_ci_low,
                "relative_ci_high": r.relative_ci_high,
                "absolute_kind": a.kind if a else None, "absolute": a.difference if a else None,
                "absolute_ci_low": a.ci_low if a else None, "absolute_ci_high": a.ci_high if a else None,
                "absolute_units": a.units if a else None,
                "certainty": r.certainty, "symbols": r.symbols, "statement": r.statement,
                "footnotes": ",".join(map(str, fn)),
            })
        return pd.DataFrame.from_records(recs)


def sof_table(rows: Sequence[SoFRow], title: str = "Summary of findings") -> SoFTable:
    """Number the footnotes once across the table (identical texts share a number)."""
    notes: list[str] = []
    per_row = []
    for r in rows:
        nums = []
        for f in r.footnotes:
            if f not in notes:
                notes.append(f)
            nums.append(notes.index(f) + 1)
        per_row.append(tuple(nums))
    return SoFTable(title, tuple(rows), tuple(notes), tuple(per_row))
