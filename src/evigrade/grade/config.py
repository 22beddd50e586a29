"""Every threshold the GRADE rules use, in one frozen object that reports print (PRISMA 2020 items 15, 22).

Nothing in :mod:`evigrade.grade` hides a number: each rule reads its cut points from a
:class:`GradeConfig`, and :meth:`GradeConfig.to_dict` lists them with their sources so that a
report can state exactly how certainty was rated.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .._validate import check_positive
from ..effects.measures import RATIO_MEASURES
from ..errors import SpecError
from ..results import jsonable

__all__ = ["GradeConfig", "DefaultMID", "RATIO_MEASURES", "DEFAULT_MIDS"]

# RATIO_MEASURES (measures reported on the ratio scale, judged on the log scale) is the measures
# registry's set, re-exported here for ``grade.RATIO_MEASURES``.


@dataclass(frozen=True, slots=True)
class DefaultMID:
    """A default minimal important difference used when the outcome has none of its own."""

    measure: str
    value: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "value": self.value, "source": self.source}


_COHEN = "Cohen J. Statistical Power Analysis for the Behavioral Sciences. 2nd ed. 1988 (SMD 0.2 small, 0.5 moderate, 0.8 large)"
_GRADE_RRR = (
    "GRADE Handbook 5.2.1 / Guyatt 2011 J Clin Epidemiol 64:1283 (GRADE 6): relative risk reduction "
    "or increase of 25% as the default threshold of appreciable benefit or harm"
)

DEFAULT_MIDS: tuple[DefaultMID, ...] = (
    DefaultMID("SMD", 0.2, _COHEN),
    # Ratio measures: the value is the relative change (0.25 -> thresholds RR 0.75 and 1.25).
    DefaultMID("RR", 0.25, _GRADE_RRR),
    DefaultMID("OR", 0.25, _GRADE_RRR),
    DefaultMID("HR", 0.25, _GRADE_RRR),
    DefaultMID("IRR", 0.25, _GRADE_RRR),
    DefaultMID("PETO", 0.25, _GRADE_RRR),
)


@dataclass(frozen=True, slots=True)
class GradeConfig:
    """Thresholds for the GRADE rules.  All fractions are 0..1 (``i2_serious=0.5`` means I² ≥ 50%).

    Risk of bias (weights are each study's share of the analysis weight):
        ``rob_serious_share``: rate down one level when studies at high risk of bias or with some
        concerns (studies whose risk of bias is unknown count as "some concerns") carry at least
        this share of the weight; ``rob_very_serious_share``: rate down two levels when studies at
        *high* risk carry at least this share; ``rob_unknown_share``: above this share of weight with
        unknown risk of bias the domain is reported as "not assessable" (and, by the rule above,
        rated down one level as a precaution).  PEDro scores map to judgements by
        ``pedro_low_min`` (>= -> low risk) and ``pedro_some_min`` (>= -> some concerns, else high).

    Inconsistency: ``i2_serious`` / ``i2_very_serious`` (I² as a fraction).  With the studies'
    estimates or a prediction interval, a level is only lost when the point estimates fall on both
    sides of the decision threshold (the null) or the prediction interval crosses it (heterogeneity
    in size only, all in one direction, is not rated down); two levels when I² >= ``i2_very_serious``
    and both signals are present.  With the I² alone (a review's reported I², the study estimates
    unknown, so whether their CIs overlap cannot be checked): I² >= ``i2_serious`` one level,
    >= ``i2_very_serious`` two.  Reviews of the same question that disagree in direction or
    significance (``GradeInput.discordant``) cost one level unless the I² rule already cost as much.
    A single study: "not assessable".

    Not assessable (issue 13): a domain without its inputs (no per-study risk of bias, no I² or a
    single study, no indirectness judgement, k < ``pub_bias_min_k`` or unknown, n unknown for the
    optimal information size) is "not_assessable", never "no concern"; without a source GRADE, two or
    more such domains cap the certainty at low.  With a source review's own GRADE the rating starts
    there and never exceeds it without a pack-stated ``source_override`` (see
    :mod:`evigrade.grade.assess`).

    Evidence without a single estimate (:func:`evigrade.grade.assess_narrative`): imprecision is
    rated down one level (no CI to set against the MID), two when the participants are fewer than
    ``ois_continuous``, one as a precaution when they are unknown.

    Imprecision (GRADE 34, Zeng 2022 J Clin Epidemiol 150:216; GRADE 35, Schünemann 2022 J Clin
    Epidemiol 150:225): the target is set by where the point estimate lies relative to the MID;
    one level per threshold (MID for benefit, null, MID for harm) that the CI crosses, up to three.
    When the CI crosses none, the optimal information size applies: ``ois_continuous`` participants
    (GRADE Handbook rule of thumb: 400) or ``ois_binary_events`` events (rule of thumb: 300), or,
    when the control-group risk is known, the sample size for ``ois_rrr`` relative risk reduction
    at ``ois_alpha`` / ``ois_power``.  Below ``ois_far_below`` × OIS: two levels.

    Publication bias: assessed only when ``k >= pub_bias_min_k`` (Cochrane Handbook 13.3.5.4: 10);
    a small-study test p-value below ``pub_bias_alpha`` (Egger 1997 used 0.10) rates down one level.

    Upgrades (non-randomised evidence only, and only when not rated down for risk of bias):
    ratio > ``large_effect_ratio`` (or < 1/it) +1, > ``very_large_effect_ratio`` +2 (GRADE 9,
    Guyatt 2011 J Clin Epidemiol 64:1311); a dose-response gradient +1.

    Magnitude: SMD bands ``smd_bands`` (Cohen); MD bands are multiples of the MID
    ``mid_multiples`` (chosen so that MID ≈ 0.2 SD lines up with Cohen's 0.2/0.5/0.8); ratio bands
    ``ratio_bands`` on max(ratio, 1/ratio).  A statement uses a size word only when the whole 95% CI lies in
    that band (``Magnitude.size_claim``; GRADE 34, Zeng 2022); "little to no difference" only when
    the CI excludes the MID on both sides.
    """

    rob_serious_share: float = 0.5
    rob_very_serious_share: float = 0.5
    rob_unknown_share: float = 0.5
    pedro_low_min: float = 6.0
    pedro_some_min: float = 4.0
    pedro_source: str = (
        "Cashin AG, McAuley JH. Clinimetrics: Physiotherapy Evidence Database (PEDro) Scale. "
        "J Physiother 2020;66:59 (0-3 poor, 4-5 fair, 6-8 good, 9-10 excellent)"
    )
    i2_serious: float = 0.5
    i2_very_serious: float = 0.75
    ois_continuous: int = 400
    ois_binary_events: int = 300
    ois_rrr: float = 0.25
    ois_alpha: float = 0.05
    ois_power: float = 0.80
    ois_far_below: float = 0.25
    pub_bias_min_k: int = 10
    pub_bias_alpha: float = 0.10
    large_effect_ratio: float = 2.0
    very_large_effect_ratio: float = 5.0
    smd_bands: tuple[float, float, float] = (0.2, 0.5, 0.8)
    mid_multiples: tuple[float, float, float] = (1.0, 2.5, 4.0)
    ratio_bands: tuple[float, float, float] = (1.25, 1.5, 2.0)
    default_mids: tuple[DefaultMID, ...] = field(default=DEFAULT_MIDS)

    def __post_init__(self) -> None:
        for name in ("rob_serious_share", "rob_very_serious_share", "rob_unknown_share", "i2_serious",
                     "i2_very_serious", "ois_rrr", "ois_alpha", "ois_power", "ois_far_below", "pub_bias_alpha"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not (0 < float(v) <= 1):
                raise SpecError(f"GradeConfig {name}={v!r} must be a fraction in (0, 1]")
        if self.i2_very_serious < self.i2_serious:
            raise SpecError(
                f"GradeConfig i2_very_serious={self.i2_very_serious!r} must be >= i2_serious={self.i2_serious!r}"
            )
        if self.pedro_some_min > self.pedro_low_min:
            raise SpecError(
                f"GradeConfig pedro_some_min={self.pedro_some_min!r} must be <= pedro_low_min={self.pedro_low_min!r}"
            )
        for name in ("ois_continuous", "ois_binary_events", "pub_bias_min_k"):
            check_positive(f"GradeConfig {name}", getattr(self, name))
        if not (1 < self.large_effect_ratio <= self.very_large_effect_ratio):
            raise SpecError(
                "GradeConfig large_effect_ratio must be > 1 and <= very_large_effect_ratio, got "
                f"{self.large_effect_ratio!r} and {self.very_large_effect_ratio!r}"
            )
        for name in ("smd_bands", "mid_multiples", "ratio_bands"):
            bands = tuple(getattr(self, name))
            if len(bands) != 3 or any(not math.isfinite(b) or b <= 0 for b in bands) or list(bands) != sorted(bands):
                raise SpecError(f"GradeConfig {name}={bands!r} must be three increasing positive numbers")

    def default_mid(self, measure: str) -> DefaultMID | None:
        """The default MID for ``measure`` (None for measures in natural units, e.g. MD)."""
        m = str(measure).upper()
        for d in self.default_mids:
            if d.measure == m:
                return d
        return None

    def replace(self, **changes: Any) -> "GradeConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
