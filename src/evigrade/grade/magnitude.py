"""Size and direction of an effect: trivial / small / moderate / large, benefit / harm / none.

* SMD: Cohen's bands (``config.smd_bands``, 0.2 / 0.5 / 0.8) on |SMD|.
* Differences in natural units (MD, RD, ...): multiples of the MID (``config.mid_multiples``;
  below 1 MID is trivial).  Without an MID the size is ``"unclassified"``.
* Ratios (RR, OR, ...): ``config.ratio_bands`` on max(ratio, 1/ratio).

An SMD is re-expressed in the units of a reference instrument when its SD is given
(estimate × SD, e.g. NPRS points); the re-expressed numbers are stored beside the SMD.

``size`` is the band of the *point estimate* (kept for readers of the numbers).  The size word a
statement may use is ``size_claim`` (GRADE guidance 34, Zeng 2022; Santesso 2020): the certainty
is about the size, so a size word needs the *whole* 95% CI in one band:

* 'large' / 'moderate' / 'small': both CI limits on the same side of no effect and in that band
  (|limits| on the benefit scale against the bands);
* 'trivial' ("little to no difference"): the CI excludes important benefit and important harm
  (both limits inside the MID thresholds);
* otherwise None: the statement gives the direction without a size word.

``size_approach`` says how: 'mid' (bands are multiples of the outcome's MID, natural units),
'smd_bands' (``config.smd_bands``, SMD 0.2/0.5/0.8), 'ratio_bands' (``config.ratio_bands`` on
max(ratio, 1/ratio)), 'none' (no MID for a natural-unit difference: no size word at all, and the
statement does not imply importance).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import SpecError
from ..results import attrs_dict, jsonable
from .config import GradeConfig
from .model import GradeInput
from .rules import benefit_scale, resolve_mid, thresholds

__all__ = ["Magnitude", "ReExpression", "magnitude", "re_express", "SIZE_APPROACHES"]

Size = Literal["trivial", "small", "moderate", "large", "unclassified"]
SizeClaim = Literal["trivial", "small", "moderate", "large"]
SizeApproach = Literal["mid", "smd_bands", "ratio_bands", "none"]
SIZE_APPROACHES: tuple[str, ...] = ("mid", "smd_bands", "ratio_bands", "none")


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
        out: dict[str, Any] = jsonable({"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high, "sd": self.sd,
                         "instrument": self.instrument, "units": self.units, "source": self.source})
        return out


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
    size_claim: SizeClaim | None = None
    size_approach: SizeApproach = "none"

    @property
    def ci_excludes_important(self) -> bool:
        """True when the CI rules out both important benefit and important harm."""
        return self.ci_includes_important_benefit is False and self.ci_includes_important_harm is False

    def to_dict(self) -> dict[str, Any]:
        return {
            **attrs_dict(self, "size", "direction", "change", "basis"),
            "bands": list(self.bands) if self.bands else None,
            **attrs_dict(self, "mid", "mid_source", "ci_includes_null", "ci_includes_important_benefit",
                         "ci_includes_important_harm", "ci_excludes_important"),
            "re_expressed": self.re_expressed.to_dict() if self.re_expressed else None,
            **attrs_dict(self, "size_claim", "size_approach"),
        }


def re_express(smd: float, ci_low: float, ci_high: float, sd: float, *, instrument: str | None = None,
               units: str | None = None, source: str | None = None) -> ReExpression:
    """Re-express an SMD in the units of an instrument whose SD is ``sd`` (estimate × SD)."""
    if not isinstance(sd, (int, float)) or not sd > 0:
        raise SpecError(f"reference SD must be > 0, got {sd!r}")
    return ReExpression(smd * sd, ci_low * sd, ci_high * sd, float(sd), instrument, units, source)


def _band(x: float, bands: tuple[float, float, float]) -> Size:
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
    change: Literal["decrease", "increase", "none"] = (
        "none" if inp.estimate == null else ("decrease" if inp.estimate < null else "increase"))
    direction: Literal["benefit", "harm", "none"] = "none" if e == 0 else ("benefit" if e > 0 else "harm")
    size: Size
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
        inc_b, inc_h = hi >= th[0], lo <= th[1]  # the MID itself is an important difference (as _band)
    rx = None
    if reference_sd is not None:
        if inp.measure != "SMD":
            raise SpecError(f"reference_sd re-expresses an SMD; measure is {inp.measure!r}")
        rx = re_express(inp.estimate, inp.ci_low, inp.ci_high, reference_sd, instrument=reference_instrument,
                        units=reference_units, source=reference_source)
    if not math.isfinite(e):  # pragma: no cover - guarded by GradeInput validation
        raise SpecError("estimate must be finite")
    approach: SizeApproach = {"smd_bands": "smd_bands", "ratio_bands": "ratio_bands",
                              "mid_multiples": "mid"}.get(basis, "none")  # type: ignore[assignment]
    claim = _size_claim(inp, bands, inc_b, inc_h)
    return Magnitude(size=size, direction=direction, change=change, basis=basis, bands=bands, mid=mid,
                     mid_source=mid_source, ci_includes_null=lo < 0 < hi or lo == 0 or hi == 0,
                     ci_includes_important_benefit=inc_b, ci_includes_important_harm=inc_h, re_expressed=rx,
                     size_claim=claim, size_approach=approach)


def _size_claim(inp: GradeInput, bands: tuple[float, float, float] | None, inc_b: bool | None,
                inc_h: bool | None) -> SizeClaim | None:
    """The size word the whole CI supports (see the module docstring), or None."""
    if bands is None:
        return None
    if inp.is_ratio:
        lo_d, hi_d = sorted((max(inp.ci_low, 1 / inp.ci_low), max(inp.ci_high, 1 / inp.ci_high)))
        same_side = inp.ci_low > 1 or inp.ci_high < 1
    else:
        lo_d, hi_d = sorted((abs(inp.ci_low), abs(inp.ci_high)))
        same_side = inp.ci_low > 0 or inp.ci_high < 0
    if inc_b is False and inc_h is False:
        # trivial only if the size bands agree over the whole CI too (an SMD judged against a natural-unit
        # MID could otherwise be "trivial" by the MID and "large" by the bands): the weaker claim wins
        return "trivial" if _band(hi_d, bands) == "trivial" else None
    if not same_side:
        return None
    near, far = _band(lo_d, bands), _band(hi_d, bands)
    if near != far or near == "trivial":
        return None
    return near  # type: ignore[return-value]
