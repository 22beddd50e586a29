"""Frozen inputs and results of the GRADE rating.

:class:`GradeInput` holds everything a rating needs, independent of how the numbers were made
(our own pooling, a published review's pooled result, a CSV analysis).  Each domain rule returns a
:class:`DomainJudgement`; :func:`evigrade.grade.assess` folds them into a :class:`CertaintyRating`.
:class:`NarrativeInput` is evidence without a single estimate (votes by direction, SWiM / Murad
2017); :func:`evigrade.grade.assess_narrative` rates it into the same :class:`CertaintyRating`.

Contract (issue 13; the pipeline fills these, the rules read them):

* ``GradeInput.source_certainty``: the best source review's own GRADE for this outcome
  ('high' / 'moderate' / 'low' / 'very_low', aliases such as 'very low' accepted) or None (the
  source gave none).  When given it is the *starting point and the ceiling*: the rating starts
  there, only downgrades from data the source did not have are applied (``discordant`` reviews,
  a pack-stated ``indirectness`` of serious or worse), and the rating never exceeds it unless
  ``source_override`` (a non-empty sentence from the pack) says why.  Every difference between the
  source and evigrade's own rules is listed in ``CertaintyRating.disagreements``.
* ``GradeInput.source_override``: the pack's reason for allowing a rating above the source, or None.
* ``GradeInput.i2``: the I² as a **fraction 0..1** (a review's 73.4% is 0.734); None = not reported.
* ``GradeInput.discordant``: True when reviews of the same question disagree in direction or
  significance (rated down one level for inconsistency); False = checked and concordant; None = unknown.
* ``GradeInput.k`` / ``GradeInput.n``: number of studies / participants, None when unknown
  (a domain that needs them is then "not_assessable").
* ``DomainJudgement.concern`` is one of ``CONCERNS`` = "no", "serious", "very_serious",
  "not_assessable" (older words are mapped by :func:`normalize_concern`: 'none' -> 'no',
  'not_assessed' / 'not_applicable' -> 'not_assessable', 'extremely_serious' -> 'very_serious'
  (levels stays -3), 'upgrade' -> 'no' with positive levels).
* Without a source GRADE, two or more of the five downgrade domains lacking their inputs
  (``CertaintyRating.not_assessable``: concern "not_assessable", or imprecision rated on its CI whose
  optimal information size could not be checked for want of n) cap the certainty at low (``CertaintyRating.capped_by == 'not_assessable_cap'``) and the statement says
  the certainty could not be fully assessed (``CertaintyRating.not_fully_assessed``).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from .._validate import check_choice
from ..errors import SpecError
from ..results import Note, ResultMixin, attrs_dict, jsonable
from .config import RATIO_MEASURES
from .reasons import DOMAINS

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "StudyRoB",
    "Override",
    "GradeInput",
    "DomainJudgement",
    "CertaintyRating",
    "Disagreement",
    "NarrativeInput",
    "Vote",
    "VOTE_DIRECTIONS",
    "CONCERNS",
    "normalize_concern",
    "normalize_certainty",
    "level_name",
    "level_number",
]

Certainty = Literal["high", "moderate", "low", "very_low"]
#: certainty names from best to worst; their number is 4..1
LEVELS: tuple[str, ...] = ("high", "moderate", "low", "very_low")
LEVEL_NAMES = {4: "high", 3: "moderate", 2: "low", 1: "very_low"}
_LEVEL_NUMBER = {v: k for k, v in LEVEL_NAMES.items()}
_LEVEL_ALIASES = {"very low": "very_low", "very-low": "very_low", "verylow": "very_low"}

Concern = Literal["no", "serious", "very_serious", "not_assessable"]
#: the four concerns a domain judgement can carry (JSON key ``grade.rating.judgements[*].concern``)
CONCERNS: tuple[str, ...] = ("no", "serious", "very_serious", "not_assessable")
_CONCERN_ALIASES = {
    "none": "no", "no concern": "no", "not serious": "no", "not_serious": "no", "upgrade": "no",
    "not_assessed": "not_assessable", "not assessed": "not_assessable", "not_applicable": "not_assessable",
    "not applicable": "not_assessable", "not assessable": "not_assessable",
    "extremely_serious": "very_serious", "extremely serious": "very_serious", "very serious": "very_serious",
}
#: directions a result reported without a single estimate can have (vote counting by direction, SWiM)
VOTE_DIRECTIONS: tuple[str, ...] = ("favours_intervention", "favours_comparator", "no_difference", "unclear")
VoteDirection = Literal["favours_intervention", "favours_comparator", "no_difference", "unclear"]
RobJudgement = Literal["low", "some_concerns", "high"]
_ROB_ALIASES = {
    "low": "low", "low risk": "low", "low risk of bias": "low",
    "some concerns": "some_concerns", "some_concerns": "some_concerns", "some": "some_concerns",
    "unclear": "some_concerns", "moderate": "some_concerns",
    "high": "high", "high risk": "high", "high risk of bias": "high", "serious": "high", "critical": "high",
}


def normalize_concern(value: Any) -> str:
    """Map a concern wording (old or new) to one of :data:`CONCERNS`."""
    key = " ".join(str(value).strip().lower().split())
    key = _CONCERN_ALIASES.get(key, _CONCERN_ALIASES.get(key.replace(" ", "_"), key.replace(" ", "_")))
    if key not in CONCERNS:
        raise SpecError(f"concern={value!r} is not one of 'no', 'serious', 'very_serious', 'not_assessable'")
    return key


def normalize_certainty(value: Any, what: str = "certainty") -> str | None:
    """'Very low' / 'very_low' / 'MODERATE' -> a name of :data:`LEVELS`; None or blank -> None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return LEVEL_NAMES[level_number(text)]
    except SpecError:
        raise SpecError(f"{what}={value!r} is not one of 'high', 'moderate', 'low', 'very_low'") from None


def level_name(level: int) -> str:
    """4 -> 'high' ... 1 -> 'very_low' (values outside 1..4 are clamped)."""
    return LEVEL_NAMES[max(1, min(4, int(level)))]


def level_number(name: str) -> int:
    """'high' -> 4 ... 'very_low' -> 1; accepts 'very low'."""
    key = str(name).strip().lower()
    key = _LEVEL_ALIASES.get(key, key)
    if key not in _LEVEL_NUMBER:
        raise SpecError(f"certainty={name!r} is not one of 'high', 'moderate', 'low', 'very_low'")
    return _LEVEL_NUMBER[key]


def normalize_rob(value: Any) -> str | None:
    """Map a risk-of-bias wording to 'low' / 'some_concerns' / 'high' (None for blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    key = " ".join(str(value).strip().lower().replace("_", " ").split())
    if key == "":
        return None
    if key in _ROB_ALIASES:
        return _ROB_ALIASES[key]
    raise SpecError(
        f"risk of bias={value!r} is not one of 'low', 'some concerns', 'high' (or a PEDro score 0-10)"
    )


def _opt_float(name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number or None, got {value!r}") from None
    if math.isnan(v):
        return None
    if not math.isfinite(v):
        raise SpecError(f"{name} must be finite, got {value!r}")
    return v


@dataclass(frozen=True, slots=True)
class StudyRoB:
    """One study's risk of bias and its share of the analysis weight.

    Give ``judgement`` ('low', 'some_concerns', 'high') or a PEDro ``pedro`` score (0-10), or neither
    (unknown).  ``weight`` need not be normalised; the rule uses shares of the total.
    """

    study: str
    weight: float
    judgement: RobJudgement | None = None
    pedro: float | None = None

    def __post_init__(self) -> None:
        w = _opt_float(f"weight of study {self.study!r}", self.weight)
        if w is None or w < 0:
            raise SpecError(f"weight of study {self.study!r} must be a number >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "judgement", normalize_rob(self.judgement))
        p = _opt_float(f"PEDro score of study {self.study!r}", self.pedro)
        if p is not None and not 0 <= p <= 10:
            raise SpecError(f"PEDro score of study {self.study!r} must be between 0 and 10, got {self.pedro!r}")
        object.__setattr__(self, "pedro", p)

    def to_dict(self) -> dict[str, Any]:
        return {"study": self.study, "weight": self.weight, "judgement": self.judgement, "pedro": self.pedro}


@dataclass(frozen=True, slots=True)
class Override(ResultMixin):
    """A reviewer's judgement replacing the automatic one for ``domain``; ``reason`` is mandatory.

    ``levels`` is 0, -1, -2 (-3 for imprecision) for downgrade domains and 0, +1, +2 for upgrades.
    """

    domain: str
    levels: int
    reason: str
    concern: str | None = None

    def __post_init__(self) -> None:
        check_choice("override domain", self.domain, DOMAINS)
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise SpecError(f"override of {self.domain!r} needs a reason (a non-empty sentence the report prints)")
        try:
            lv = int(self.levels)
        except (TypeError, ValueError):
            raise SpecError(f"override levels for {self.domain!r} must be an integer, got {self.levels!r}") from None
        if lv != self.levels:
            raise SpecError(f"override levels for {self.domain!r} must be an integer, got {self.levels!r}")
        allowed = (0, 1, 2) if self.domain in ("large_effect", "dose_response") else (
            (0, -1, -2, -3) if self.domain == "imprecision" else (0, -1, -2))
        if lv not in allowed:
            raise SpecError(f"override levels={self.levels!r} for {self.domain!r} is not one of {', '.join(map(str, allowed))}")
        object.__setattr__(self, "levels", lv)
        if self.concern is not None:
            object.__setattr__(self, "concern", normalize_concern(self.concern))


@dataclass(frozen=True, slots=True)
class GradeInput:
    """Everything a GRADE rating needs for one outcome/comparison/time point.

    Estimates are on the scale readers see: differences (MD, SMD, RD) as they are, ratios (RR, OR,
    HR, ROM) on the ratio scale (``estimate=0.8``), never on the log scale.  ``i2`` is a fraction
    0..1.  ``study_estimates`` (same scale as ``estimate``) let the inconsistency rule see whether
    point estimates fall on both sides of the null.  ``mid`` is the minimal important difference in
    the measure's units (for ratios: the relative change, 0.25 -> RR 0.75/1.25); None means "no MID
    for this outcome" and the config's default for the measure (if any) is used, with its source.
    ``indirectness`` None means "not assessed" (never "no concern").  ``k`` None means the number
    of studies behind the estimate is unknown (e.g. a review that reported only its total).

    ``source_certainty`` / ``source_override`` / ``discordant``: see the module docstring (the
    source review's own GRADE is the start and the ceiling; None keeps the old behaviour: start
    from high, or low for non-randomised evidence).
    """

    estimate: float
    ci_low: float
    ci_high: float
    measure: str
    benefit: Literal["lower", "higher"]
    k: int | None = None
    n: int | None = None
    events: int | None = None
    control_risk: float | None = None
    i2: float | None = None
    tau2: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    study_estimates: tuple[float, ...] = ()
    rob: tuple[StudyRoB, ...] = ()
    mid: float | None = None
    mid_source: str | None = None
    indirectness: Literal["none", "serious", "very_serious"] | None = None
    indirectness_reason: str | None = None
    small_study_p: float | None = None
    small_study_test: str | None = None
    design: Literal["randomised", "non_randomised"] = "randomised"
    dose_response: bool = False
    basis: Literal["trials", "review"] = "trials"
    review_rating: str | None = None
    review_reasons: str | None = None
    overrides: tuple[Override, ...] = ()
    label: str | None = None
    # (moderator description, p-value) of subgroup/moderator tests that may explain heterogeneity
    # (evigrade.packs.robustness; only those below its SUBGROUP_ALPHA); the inconsistency rule mentions them
    subgroup_explanations: tuple[tuple[str, float], ...] = ()
    source_certainty: Certainty | None = None
    source_override: str | None = None
    discordant: bool | None = None

    def __post_init__(self) -> None:
        set_ = _setter(self)
        _check_source(self, set_)
        for name in ("estimate", "ci_low", "ci_high"):
            v = _opt_float(name, getattr(self, name))
            if v is None:
                raise SpecError(f"{name} is required for a GRADE rating, got {getattr(self, name)!r}")
            set_(name, v)
        if self.ci_low > self.ci_high:
            raise SpecError(f"ci_low={self.ci_low!r} must be <= ci_high={self.ci_high!r}")
        if not isinstance(self.measure, str) or not self.measure.strip():
            raise SpecError(f"measure must be a name such as 'MD', 'SMD', 'RR', got {self.measure!r}")
        set_("measure", self.measure.strip().upper())
        set_("benefit", check_choice("benefit", self.benefit, ("lower", "higher")))
        set_("design", check_choice("design", self.design, ("randomised", "non_randomised")))
        set_("basis", check_choice("basis", self.basis, ("trials", "review")))
        if self.is_ratio and min(self.estimate, self.ci_low) <= 0:
            raise SpecError(
                f"{self.measure} estimate and CI must be > 0 on the ratio scale, got {self.estimate!r} "
                f"({self.ci_low!r} to {self.ci_high!r})"
            )
        if self.k is not None:
            try:
                k = int(self.k)
            except (TypeError, ValueError):
                raise SpecError(f"k must be a whole number >= 1 or None (unknown), got {self.k!r}") from None
            if k != self.k or k < 1:
                raise SpecError(f"k must be a whole number >= 1 or None (unknown), got {self.k!r}")
            set_("k", k)
        for name in ("n", "events"):
            v = _opt_float(name, getattr(self, name))
            if v is not None:
                if v < 0 or v != int(v):
                    raise SpecError(f"{name} must be a whole number >= 0 or None, got {getattr(self, name)!r}")
                v = int(v)
            set_(name, v)
        cr = _opt_float("control_risk", self.control_risk)
        if cr is not None and not 0 < cr < 1:
            raise SpecError(f"control_risk must be a proportion between 0 and 1, got {self.control_risk!r}")
        set_("control_risk", cr)
        i2 = _opt_float("i2", self.i2)
        if i2 is not None and not 0 <= i2 <= 1:
            raise SpecError(f"i2={self.i2!r} must be a fraction between 0 and 1 (I² of 73.4% is 0.734)")
        set_("i2", i2)
        t2 = _opt_float("tau2", self.tau2)
        if t2 is not None and t2 < 0:
            raise SpecError(f"tau2 must be >= 0, got {self.tau2!r}")
        set_("tau2", t2)
        set_("pi_low", _opt_float("pi_low", self.pi_low))
        set_("pi_high", _opt_float("pi_high", self.pi_high))
        set_("study_estimates", tuple(float(x) for x in self.study_estimates if _opt_float("study estimate", x) is not None))
        rob = tuple(self.rob)
        for r in rob:
            if not isinstance(r, StudyRoB):
                raise SpecError(f"rob must hold StudyRoB items, got {r!r}")
        set_("rob", rob)
        mid = _opt_float("mid", self.mid)
        if mid is not None and mid <= 0:
            raise SpecError(f"mid must be > 0 (a distance in the measure's units), got {self.mid!r}")
        if mid is not None and self.is_ratio and mid >= 1:
            raise SpecError(f"mid for {self.measure} is a relative change and must be < 1 (0.25 = 25%), got {self.mid!r}")
        set_("mid", mid)
        if self.indirectness is not None:
            set_("indirectness", check_choice("indirectness", self.indirectness, ("none", "serious", "very_serious")))
        p = _opt_float("small_study_p", self.small_study_p)
        if p is not None and not 0 <= p <= 1:
            raise SpecError(f"small_study_p must be a p-value between 0 and 1, got {self.small_study_p!r}")
        set_("small_study_p", p)
        set_("dose_response", bool(self.dose_response))
        if self.review_rating is not None:
            set_("review_rating", str(self.review_rating))
        set_("subgroup_explanations", tuple((str(d), float(pv)) for d, pv in self.subgroup_explanations))
        ovs = tuple(self.overrides)
        seen: set[str] = set()
        for o in ovs:
            if not isinstance(o, Override):
                raise SpecError(f"overrides must hold Override items, got {o!r}")
            if o.domain in seen:
                raise SpecError(f"override for {o.domain!r} given twice; give one override per domain")
            seen.add(o.domain)
        set_("overrides", ovs)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _setter(obj: Any) -> Callable[[str, Any], None]:
    """``set_(name, value)`` on a frozen dataclass during ``__post_init__``."""
    def set_(name: str, value: Any) -> None:
        object.__setattr__(obj, name, value)
    return set_


def _check_source(obj: Any, set_: Callable[[str, Any], None]) -> None:
    """Validate the shared source fields of GradeInput / NarrativeInput."""
    set_("source_certainty", normalize_certainty(obj.source_certainty, "source_certainty"))
    ov = obj.source_override
    if ov is not None:
        if not isinstance(ov, str):
            raise SpecError(f"source_override must be a sentence (the pack's reason) or None, got {ov!r}")
        set_("source_override", ov.strip() or None)
    if obj.discordant is not None and not isinstance(obj.discordant, bool):
        raise SpecError(f"discordant must be True, False or None (unknown), got {obj.discordant!r}")


@dataclass(frozen=True, slots=True)
class Vote:
    """One result reported without a usable estimate: its direction and its participants.

    ``direction``: 'favours_intervention', 'favours_comparator', 'no_difference' (the source reports
    no statistically significant difference) or 'unclear'.  ``n``: participants behind the result
    (None = unknown).  ``rob``: 'low' / 'some_concerns' / 'high' for the study (or the review's
    judgement of its studies), None = unknown.  ``study``: a label for reports.
    """

    direction: VoteDirection
    n: int | None = None
    rob: RobJudgement | None = None
    study: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", check_choice("vote direction", self.direction, VOTE_DIRECTIONS))
        n = _opt_float(f"n of vote {self.study!r}", self.n)
        if n is not None and (n < 0 or n != int(n)):
            raise SpecError(f"n of vote {self.study!r} must be a whole number >= 0 or None, got {self.n!r}")
        object.__setattr__(self, "n", None if n is None else int(n))
        object.__setattr__(self, "rob", normalize_rob(self.rob))

    def to_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "n": self.n, "rob": self.rob, "study": self.study}


@dataclass(frozen=True, slots=True)
class NarrativeInput:
    """Evidence for one question without a single estimate (Murad 2017; SWiM, Campbell 2020).

    ``votes``: one :class:`Vote` per study or review result (direction, participants, risk of bias).
    ``benefit`` is only used by statements.  ``source_certainty`` / ``source_override`` /
    ``discordant`` / ``indirectness`` have the same meaning as on :class:`GradeInput`.  ``k`` is the
    number of studies (default: the number of votes).
    """

    votes: tuple[Vote, ...]
    source_certainty: Certainty | None = None
    source_override: str | None = None
    discordant: bool | None = None
    indirectness: Literal["none", "serious", "very_serious"] | None = None
    indirectness_reason: str | None = None
    design: Literal["randomised", "non_randomised"] = "randomised"
    k: int | None = None
    overrides: tuple[Override, ...] = ()
    review_rating: str | None = None
    review_reasons: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        set_ = _setter(self)
        votes = tuple(self.votes)
        if not votes:
            raise SpecError("a NarrativeInput needs at least one vote (a result with its direction)")
        for v in votes:
            if not isinstance(v, Vote):
                raise SpecError(f"votes must hold Vote items, got {v!r}")
        set_("votes", votes)
        _check_source(self, set_)
        if self.indirectness is not None:
            set_("indirectness", check_choice("indirectness", self.indirectness, ("none", "serious", "very_serious")))
        set_("design", check_choice("design", self.design, ("randomised", "non_randomised")))
        k = len(votes) if self.k is None else self.k
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise SpecError(f"k must be a whole number >= 1 or None (= number of votes), got {self.k!r}")
        set_("k", k)
        ovs = tuple(self.overrides)
        for o in ovs:
            if not isinstance(o, Override):
                raise SpecError(f"overrides must hold Override items, got {o!r}")
        set_("overrides", ovs)

    @property
    def n(self) -> int | None:
        """Total participants, None when any vote's participants are unknown."""
        ns = [v.n for v in self.votes]
        return None if any(x is None for x in ns) else sum(x for x in ns if x is not None)

    @property
    def direction(self) -> str:
        """'favours_intervention' / 'favours_comparator' / 'no_difference' when every result with a
        known direction says so; 'mixed' when they differ; 'unclear' when none has a known direction."""
        known = {v.direction for v in self.votes if v.direction != "unclear"}
        if not known:
            return "unclear"
        return next(iter(known)) if len(known) == 1 else "mixed"

    def count(self, direction: str) -> tuple[int, int]:
        """(votes, participants with known n) in ``direction``."""
        vs = [v for v in self.votes if v.direction == direction]
        return len(vs), sum(v.n or 0 for v in vs)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "votes"}
        d["votes"] = [v.to_dict() for v in self.votes]
        d["overrides"] = [o.to_dict() for o in self.overrides]
        d["n"] = self.n
        return d


@dataclass(frozen=True, slots=True)
class Disagreement(ResultMixin):
    """One difference between the source review's own GRADE and evigrade's rating or rules."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class DomainJudgement:
    """The result of one domain rule.

    ``levels``: 0, -1, -2 (-3 for imprecision) for downgrade domains; 0, +1, +2 for upgrades.
    ``concern``: one of :data:`CONCERNS` (older words are mapped on construction).
    ``numbers`` holds every number the rule used (JSON-safe), ``rationale`` the sentence a report
    prints, ``source`` whether the rule or a reviewer made the judgement ('source_review': the
    level was left to the source review's own GRADE, which already covers this domain).
    """

    domain: str
    concern: str
    levels: int
    reason_code: str
    rationale: str
    numbers: dict[str, Any] = field(default_factory=dict)
    source: Literal["auto", "override", "source_review"] = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "concern", normalize_concern(self.concern))

    def to_dict(self) -> dict[str, Any]:
        return {**attrs_dict(self, "domain", "concern", "levels", "reason_code", "rationale"),
                "numbers": jsonable(self.numbers), "source": self.source}


@dataclass(frozen=True, slots=True)
class CertaintyRating:
    """The folded GRADE rating: start level, one judgement per domain, final certainty."""

    start: str
    judgements: tuple[DomainJudgement, ...]
    certainty: str
    level: int
    downgrade_levels: int
    upgrade_levels: int
    footnotes: tuple[str, ...]
    basis: str = "trials"
    review_rating: str | None = None
    review_reasons: str | None = None
    notes: tuple[Note, ...] = ()
    source_certainty: str | None = None
    disagreements: tuple[Disagreement, ...] = ()
    capped_by: str | None = None
    not_assessable: tuple[str, ...] = ()
    kind: Literal["estimate", "narrative"] = "estimate"
    #: what evigrade's own rules give on the reported numbers alone, without any source GRADE (equal to
    #: ``certainty`` when there is no source GRADE); agreement studies compare this with published ratings
    own_rules_certainty: str | None = None

    @property
    def not_fully_assessed(self) -> bool:
        """True when, without a source GRADE, two or more downgrade domains were not assessable
        (the statement then says the certainty could not be fully assessed)."""
        return self.source_certainty is None and len(self.not_assessable) >= 2

    @property
    def final(self) -> str:
        """Alias of ``certainty`` (the final level's name)."""
        return self.certainty

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """Reason codes of the judgements that moved the rating (and of any override)."""
        return tuple(j.reason_code for j in self.judgements if j.levels != 0 or j.source == "override")

    @property
    def downgrades(self) -> tuple[dict[str, Any], ...]:
        """(domain, levels, reason_code) for every domain that lowered the rating."""
        return tuple(
            {"domain": j.domain, "levels": j.levels, "reason_code": j.reason_code}
            for j in self.judgements
            if j.levels < 0
        )

    @property
    def upgrades(self) -> tuple[dict[str, Any], ...]:
        return tuple(
            {"domain": j.domain, "levels": j.levels, "reason_code": j.reason_code}
            for j in self.judgements
            if j.levels > 0
        )

    def judgement(self, domain: str) -> DomainJudgement:
        for j in self.judgements:
            if j.domain == domain:
                return j
        raise KeyError(domain)

    @property
    def symbols(self) -> str:
        """GRADE certainty symbols, e.g. ⊕⊕⊕◯ for moderate."""
        return "\u2295" * self.level + "\u25ef" * (4 - self.level)

    @property
    def label(self) -> str:
        """The certainty in words ('very low' with a space)."""
        return self.certainty.replace("_", " ")

    def to_dict(self) -> dict[str, Any]:
        return {
            **attrs_dict(self, "start", "certainty", "level", "symbols", "downgrade_levels", "upgrade_levels"),
            "downgrades": [dict(d) for d in self.downgrades],
            "upgrades": [dict(d) for d in self.upgrades],
            "reason_codes": list(self.reason_codes),
            "judgements": [j.to_dict() for j in self.judgements],
            "footnotes": list(self.footnotes),
            **attrs_dict(self, "basis", "review_rating", "review_reasons"),
            "notes": [n.to_dict() for n in self.notes],
            "source_certainty": self.source_certainty,
            "disagreements": [d.to_dict() for d in self.disagreements],
            "capped_by": self.capped_by,
            "not_assessable": list(self.not_assessable),
            **attrs_dict(self, "not_fully_assessed", "kind", "own_rules_certainty"),
        }
