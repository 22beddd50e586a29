"""Size and direction of an effect: trivial / small / moderate / large, benefit / harm / none.

* SMD: Cohen's bands (``config.smd_bands``, 0.2 / 0.5 / 0.8) on |SMD|.
* Differences in natural units (MD, RD, ...): multiples of the MID (``config.mid_multiples``;
  below 1 MID is trivial).  Without an MID the size is ``"unclassified"``.
* Ratios (RR, OR, ...): ``config.ratio_bands`` on max(ratio, 1/ratio).

An SMD is re-expressed in the units of a reference instrument when its SD is given
(estimate × SD, e.g. NPRS points); the re-expressed numbers are stored beside the SMD.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import SpecError
from ..results import jsonable
from .config import GradeConfig
from .model import GradeInput
from .rules import benefit_scale, resolve_mid, thresholds

__all__ = ["Magnitude", "ReExpression", "magnitude", "re_express"]

Size = Literal["trivial", "small", "moderate", "large", "unclassified"]


@dataclass(frozen=True, slots=True)
class ReExpression:
    """An SMD in the units of a reference instrument (SMD × its SD)."""

    estimate: float
    ci_low: float
    ci_high: float
    sd: float
    instrument: str | None = None
    units: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high, "sd": self.sd,
                         "instrument": self.instrument, "units": self.units, "source": self.source})


@dataclass(frozen=True, slots=True)
class Magnitude:
    """How large the effect is and which way it goes.

    ``direction``: benefit / harm / none (none only for an estimate exactly at the null).
    ``change``: the sign of the estimate as a word ("decrease" / "increase" / "none") -- what a
    statement's verb says.  The three ``ci_includes_*`` flags say whether the 95% CI reaches an
    important benefit, an important harm (None without an MID) or no effect; statements use them
    so that "no evidence of an effect" is never turned into "evidence of no effect".
    """

    size: Size
    direction: Literal["benefit", "harm", "none"]
    change: Literal["decrease", "increase", "none"]
    basis: str
    bands: tuple[float, float, float] | None
    mid: float | None
    mid_source: str | None
    ci_includes_null: bool
    ci_includes_important_benefit: bool | None
    ci_includes_important_harm: bool | None
    re_expressed: ReExpression | None = None

    @property
    def ci_excludes_important(self) -> bool:
        """True when the CI rules out both important benefit and important harm."""
        return self.ci_includes_important_benefit is False and self.ci_includes_important_harm is False

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "direction": self.direction,
            "change": self.change,
            "basis": self.basis,
            "bands": list(self.bands) if self.bands else None,
            "mid": self.mid,
            "mid_source": self.mid_source,
            "ci_includes_null": self.ci_includes_null,
            "ci_includes_important_benefit": self.ci_includes_important_benefit,
            "ci_includes_important_harm": self.ci_includes_important_harm,
            "ci_excludes_important": self.ci_excludes_important,
            "re_expressed": self.re_expressed.to_dict() if self.re_expressed else None,
        }


def re_express(smd: float, ci_low: float, ci_high: float, sd: float, *, instrument: str | None = None,
               units: str | None = None, source: str | None = None) -> ReExpression:
    """Re-express an SMD in the units of an instrument whose SD is ``sd`` (estimate × SD)."""
    if not isinstance(sd, (int, float)) or not sd > 0:
        raise SpecError(f"reference SD must be > 0, got {sd!r}")
    return ReExpression(smd * sd, ci_low * sd, ci_high * sd, float(sd), instrument, units, source)


def _band(x: float, bands: tuple[float, float, float]) -> str:
    if x < bands[0]:
        return "trivial"
    if x < bands[1]:
        return "small"
    if x < bands[2]:
        return "moderate"
    return "large"


def magnitude(inp: GradeInput, config: GradeConfig | None = None, *, reference_sd: float | None = None,
              reference_instrument: str | None = None, reference_units: str | None = None,
              reference_source: str | None = None) -> Magnitude:
    """Classify the size and direction of ``inp``'s estimate (see module docstring for the bands)."""
    import math

    config = config or GradeConfig()
    mid, mid_source, _ = resolve_mid(inp, config)
    e = benefit_scale(inp.estimate, inp)
    lo, hi = sorted((benefit_scale(inp.ci_low, inp), benefit_scale(inp.ci_high, inp)))
    null = 1.0 if inp.is_ratio else 0.0
    change = "none" if inp.estimate == null else ("decrease" if inp.estimate < null else "increase")
    direction = "none" if e == 0 else ("benefit" if e > 0 else "harm")
    if inp.measure == "SMD":
        bands: tuple[float, float, float] | None = tuple(config.smd_bands)  # type: ignore[assignment]
        size = _band(abs(inp.estimate), bands)  # type: ignore[arg-type]
        basis = "smd_bands"
    elif inp.is_ratio:
        bands = tuple(config.ratio_bands)  # type: ignore[assignment]
        size = _band(max(inp.estimate, 1 / inp.estimate), bands)  # type: ignore[arg-type]
        basis = "ratio_bands"
    elif mid is not None:
        bands = tuple(m * mid for m in config.mid_multiples)  # type: ignore[assignment]
        size = _band(abs(inp.estimate), bands)  # type: ignore[arg-type]
        basis = "mid_multiples"
    else:
        bands, size, basis = None, "unclassified", "no_mid"
    th = thresholds(inp, config)
    if th is None:
        inc_b = inc_h = None
    else:
        inc_b, inc_h = hi > th[0], lo < th[1]
    rx = None
    if reference_sd is not None:
        if inp.measure != "SMD":
            raise SpecError(f"reference_sd re-expresses an SMD; measure is {inp.measure!r}")
        rx = re_express(inp.estimate, inp.ci_low, inp.ci_high, reference_sd, instrument=reference_instrument,
                        units=reference_units, source=reference_source)
    if not math.isfinite(e):  # pragma: no cover - guarded by GradeInput validation
        raise SpecError("estimate must be finite")
    return Magnitude(size=size, direction=direction, change=change, basis=basis, bands=bands, mid=mid,
                     mid_source=mid_source, ci_includes_null=lo < 0 < hi or lo == 0 or hi == 0,
                     ci_includes_important_benefit=inc_b, ci_includes_important_harm=inc_h, re_expressed=rx)
