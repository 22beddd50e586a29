"""The measures registry: the one place that says what each effect measure is.

Per measure: its name, kind (``"difference"`` or ``"ratio"``), whether it is analysed on the log
scale, the back-transformation from the analysis scale to the reporting scale, the null value on
the reporting scale, a plain label, and whether it describes events (a binary outcome: GRADE's
optimal information size counts events and the small-study test is Peters').

Every set of measures the code uses (``RATIO_MEASURES``, ``BINARY_MEASURES``, ...) is derived
from this table, so adding a measure is one row here.

Sets resolved into this registry (none of them changes an output; see the commit message):

* ``effects.RATIO_MEASURES`` was {OR, RR, ROM} (the ratios ``escalc`` computes); ``grade`` had
  {RR, OR, HR, IRR, ROM, PETO, MH_RR, MH_OR}; ``plots`` {OR, RR, ROM, HR, IRR, PETO, PLO_RATIO};
  ``packs.schema`` (OR, RR, ROM).  All are now the registry's ratio measures (the union).  Pack rows
  and ``escalc`` only ever carry OR, RR and ROM among the ratios, so they see no difference;
  ``back_transform`` now exponentiates HR, IRR, PETO, MH_RR and MH_OR too (before, such values
  were returned on the log scale, labelled as back-transformed).
* ``grade.rules.BINARY_MEASURES`` (the event measures) is ``BINARY_MEASURES`` here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Measure",
    "MEASURE_REGISTRY",
    "RATIO_MEASURES",
    "BINARY_MEASURES",
    "TWO_BY_TWO_MEASURES",
    "measure_info",
    "is_ratio",
    "measure_label",
    "null_value",
]

Kind = Literal["difference", "ratio"]
BackTransform = Literal["identity", "exp", "ilogit", "ipft", "tanh"]


@dataclass(frozen=True, slots=True)
class Measure:
    """One effect measure.  ``null`` is on the reporting scale (NaN: a proportion has no null)."""

    name: str
    kind: Kind
    label: str
    log_scale: bool = False
    back_transform: BackTransform = "identity"
    null: float = 0.0
    binary: bool = False

    @property
    def is_ratio(self) -> bool:
        return self.kind == "ratio"


def _ratio(name: str, label: str, *, binary: bool = True) -> Measure:
    return Measure(name, "ratio", label, log_scale=True, back_transform="exp", null=1.0, binary=binary)


_NAN = math.nan

#: Every measure evigrade knows, by name (upper case).
MEASURE_REGISTRY: dict[str, Measure] = {m.name: m for m in (
    Measure("MD", "difference", "Mean difference"),
    Measure("SMD", "difference", "Standardised mean difference"),
    _ratio("ROM", "Ratio of means", binary=False),
    _ratio("OR", "Odds ratio"),
    _ratio("RR", "Risk ratio"),
    Measure("RD", "difference", "Risk difference", binary=True),
    _ratio("HR", "Hazard ratio"),
    _ratio("IRR", "Incidence rate ratio"),
    _ratio("PETO", "Peto odds ratio"),
    _ratio("MH_RR", "Risk ratio"),
    _ratio("MH_OR", "Odds ratio"),
    # a ratio of proportions on the log scale; only the plots know it (no label of its own)
    _ratio("PLO_RATIO", "PLO_RATIO", binary=False),
    Measure("PR", "difference", "Proportion", null=_NAN),
    Measure("PLO", "difference", "Proportion", back_transform="ilogit", null=_NAN),
    Measure("PFT", "difference", "Proportion", back_transform="ipft", null=_NAN),
    Measure("ZCOR", "difference", "Correlation (Fisher z)", back_transform="tanh"),
    Measure("COR", "difference", "Correlation"),
    Measure("MC", "difference", "Mean change"),
    Measure("SMCC", "difference", "Standardised mean change (change-score SD)"),
    Measure("SMCR", "difference", "Standardised mean change (raw-score SD)"),
    Measure("GEN", "difference", "Effect"),
    Measure("ES", "difference", "Effect size"),
)}

#: Measures analysed on the log scale and reported as ratios (null 1).
RATIO_MEASURES: frozenset[str] = frozenset(n for n, m in MEASURE_REGISTRY.items() if m.kind == "ratio")
#: Measures of events (binary outcomes): OIS in events, Peters' small-study test.
BINARY_MEASURES: frozenset[str] = frozenset(n for n, m in MEASURE_REGISTRY.items() if m.binary)
#: Measures computed from 2x2 tables (ai, bi, ci, di) that Mantel-Haenszel can pool.
TWO_BY_TWO_MEASURES: tuple[str, ...] = ("OR", "RR", "RD")


def measure_info(measure: str | None) -> Measure | None:
    """The registry entry for ``measure`` (any case), or None for a measure evigrade does not know."""
    if not measure:
        return None
    return MEASURE_REGISTRY.get(str(measure).upper())


def is_ratio(measure: str | None) -> bool:
    """True for measures analysed on the log scale and reported as ratios."""
    m = measure_info(measure)
    return m is not None and m.kind == "ratio"


def measure_label(measure: str | None) -> str:
    """Plain name of an effect measure (``'MD'`` -> ``'Mean difference'``)."""
    if not measure:
        return "Effect"
    m = measure_info(measure)
    return m.label if m is not None else str(measure)


def null_value(measure: str | None) -> float:
    """The no-effect value on the reporting scale: 1 for ratios, 0 otherwise (NaN for proportions)."""
    m = measure_info(measure)
    return 0.0 if m is None else m.null
