"""GRADE informative statements (Santesso N, et al. J Clin Epidemiol 2020;119:126-135).

Certainty picks the verb phrase (high: plain verb; moderate: "probably" / "likely"; low: "may";
very low: "The evidence is very uncertain about the effect of X on Y"); the size of the effect
picks "a large reduction", plain "reduces", "slightly reduces" or "little to no difference".

Rule kept throughout: "no evidence of an effect" is never turned into "evidence of no effect".
"Little to no difference" is said only when the CI excludes important benefit *and* important
harm; a trivial point estimate whose CI still reaches an important effect gets the "uncertain"
wording instead, as does an estimate without an MID whose CI includes no effect.
"""
from __future__ import annotations

from typing import Any

from .._validate import check_choice
from ..errors import SpecError

__all__ = ["statement", "timeframe_phrase", "SIZES", "CERTAINTIES"]

CERTAINTIES = ("high", "moderate", "low", "very_low")
SIZES = ("trivial", "small", "moderate", "large", "unclassified")

_TIMEFRAMES = {
    "immediate": "immediately after treatment",
    "short term": "in the short term",
    "short_term": "in the short term",
    "mid term": "in the medium term",
    "mid_term": "in the medium term",
    "medium term": "in the medium term",
    "long term": "in the long term",
    "long_term": "in the long term",
    "unspecified": "",
    "not stated": "",
}

# certainty -> (large phrase prefix, plain verb prefix, small prefix, trivial phrase)
_VERB = {
    # (third person verb, noun phrase verb)
    "high": ("{v}s", "results in"),
    "moderate": ("probably {v}s", "likely results in"),
    "low": ("may {v}", "may result in"),
}
_TRIVIAL = {
    "high": "results in little to no difference in",
    "moderate": "probably results in little to no difference in",
    "low": "may result in little to no difference in",
}


def timeframe_phrase(timeframe: str | None) -> str:
    """'short term' -> 'in the short term'; free text is kept as given; None -> ''."""
    if timeframe is None:
        return ""
    t = " ".join(str(timeframe).strip().split())
    if not t:
        return ""
    key = t.lower()
    if key in _TIMEFRAMES:
        return _TIMEFRAMES[key]
    key = key.replace("_", " ")
    if key in _TIMEFRAMES:
        return _TIMEFRAMES[key]
    if "+" in key:  # combined buckets, e.g. "short term + mid term"
        parts = [p.strip() for p in key.split("+")]
        if all(p in _TIMEFRAMES for p in parts):
            words = [_TIMEFRAMES[p].replace("in the ", "") for p in parts]
            if words[0].startswith("immediately"):
                return words[0] + " and in the " + " and ".join(words[1:]) if len(words) > 1 else words[0]
            return "in the " + " and ".join(words)
    if key.split()[0] in ("in", "at", "after", "immediately", "over", "during", "within", "up", "from", "by"):
        return t
    return f"at {t}"


def _comparison_phrase(comparison: str | None) -> str:
    if not comparison:
        return ""
    c = " ".join(str(comparison).strip().split())
    low = c.lower()
    if low.startswith(("compared", "when ", "versus ", "vs ", "against ", "in addition", "added to", "as an add-on")):
        return c
    return f"compared with {c}"


def _coerce(rating: Any, magnitude: Any, direction: Any, benefit: str | None) -> dict[str, Any]:
    """Accept a CertaintyRating / Magnitude or plain strings."""
    if hasattr(rating, "certainty"):
        certainty = rating.certainty
    else:
        certainty = str(rating).strip().lower().replace(" ", "_").replace("-", "_")
    certainty = check_choice("certainty", certainty, CERTAINTIES)
    if hasattr(magnitude, "size"):
        size = magnitude.size
        change = magnitude.change
        inc_b = magnitude.ci_includes_important_benefit
        inc_h = magnitude.ci_includes_important_harm
        inc_null = magnitude.ci_includes_null
    else:
        size = check_choice("magnitude", magnitude, SIZES)
        change, inc_b, inc_h, inc_null = None, None, None, None
    if direction is not None:
        d = check_choice("direction", direction, ("decrease", "increase", "none", "benefit", "harm"))
        if d in ("benefit", "harm"):
            if benefit is None:
                raise SpecError(f"direction={direction!r} needs benefit='lower' or 'higher' to choose the verb")
            benefit = check_choice("benefit", benefit, ("lower", "higher"))
            d = "decrease" if (d == "benefit") == (benefit == "lower") else "increase"
        change = d
    if change is None:
        raise SpecError("statement() needs a direction ('decrease'/'increase', or 'benefit'/'harm' with benefit=)")
    return {"certainty": certainty, "size": size, "change": change, "inc_b": inc_b, "inc_h": inc_h,
            "inc_null": inc_null}


def _good_change(magnitude: Any, benefit: str | None) -> str | None:
    """'decrease' when lower values are better, 'increase' when higher are; None when unknown."""
    b = benefit
    if b is None and hasattr(magnitude, "direction") and hasattr(magnitude, "change"):
        if magnitude.direction == "benefit":
            return magnitude.change
        if magnitude.direction == "harm":
            return {"decrease": "increase", "increase": "decrease"}.get(magnitude.change)
        return None
    if b in ("lower", "higher"):
        return "decrease" if b == "lower" else "increase"
    return None


def _sentence(core: str, tail: list[str]) -> str:
    s = " ".join([core] + [t for t in tail if t])
    return s[0].upper() + s[1:] + "."


def statement(
    rating: Any,
    magnitude: Any,
    direction: str | None = None,
    outcome_name: str = "the outcome",
    timeframe: str | None = None,
    intervention: str = "the intervention",
    comparison: str | None = None,
    *,
    benefit: str | None = None,
    ci_excludes_important: bool | None = None,
    population: str | None = None,
    comparator_active: bool = False,
) -> str:
    """The plain-language sentence for one finding.

    ``rating``: a :class:`~evigrade.grade.CertaintyRating` or 'high'/'moderate'/'low'/'very_low'.
    ``magnitude``: a :class:`~evigrade.grade.Magnitude` (preferred: it carries the CI flags) or a
    size word ('trivial', 'small', 'moderate', 'large', 'unclassified').  ``direction`` is the
    change the estimate shows ('decrease' / 'increase'), or 'benefit' / 'harm' together with
    ``benefit='lower'|'higher'``; it is taken from the Magnitude when omitted.  When a plain size
    word 'trivial' is given, pass ``ci_excludes_important=True`` to allow "little to no
    difference"; otherwise the uncertain wording is used.  ``population`` (e.g. 'neck pain') adds
    "in people with neck pain" after the outcome.

    ``comparator_active=True`` (the comparison is another active treatment, e.g. trigger-point
    injection or manual therapy) switches to comparative wording (GRADE: the effect is relative to a
    treatment that itself works): an effect favouring the comparator reads "X probably reduces Y less
    than C" (not "X increases Y", which would read as if X caused harm), and an uncertain effect reads
    "it is uncertain whether X differs from C in its effect on Y".  Needs ``benefit`` (or a Magnitude
    with a direction) to know which way is better.
    """
    c = _coerce(rating, magnitude, direction, benefit)
    certainty, size, change = c["certainty"], c["size"], c["change"]
    x = " ".join(str(intervention).split()) or "the intervention"
    y = " ".join(str(outcome_name).split()) or "the outcome"
    if population:
        y = f"{y} in people with {' '.join(str(population).split())}"
    tf = timeframe_phrase(timeframe)
    cmp_ = _comparison_phrase(comparison)
    if certainty == "very_low":
        return _sentence(f"the evidence is very uncertain about the effect of {x} on {y}", [tf, cmp_])
    excludes = (c["inc_b"] is False and c["inc_h"] is False) if ci_excludes_important is None else bool(ci_excludes_important)
    if size == "trivial" or change == "none":
        if excludes:
            return _sentence(f"{x} {_TRIVIAL[certainty]} {y}", [tf, cmp_])
        reach = []
        if c["inc_b"]:
            reach.append("an important benefit")
        if c["inc_h"]:
            reach.append("an important harm")
        what = " or ".join(reach) if reach else "an important effect"
        return _sentence(
            f"it is uncertain whether {x} makes an important difference to {y}", [tf, cmp_]
        )[:-1] + f": the results are compatible with little to no difference but do not rule out {what}."
    verb = "reduce" if change == "decrease" else "increase"
    noun = "reduction" if change == "decrease" else "increase"
    comp_raw = " ".join(str(comparison or "").split())
    if comparator_active and comp_raw and not comp_raw.lower().startswith(("compared", "when ", "versus ", "vs ", "against ",
                                                                          "in addition", "added to", "as an add-on")):
        good = _good_change(magnitude, benefit)
        if size == "unclassified" and c["inc_null"]:
            return _sentence(f"it is uncertain whether {x} differs from {comp_raw} in its effect on {y}", [tf])[:-1] + (
                ": the confidence interval includes no effect and no minimal important difference is available.")
        if good is not None and change != good:
            good_verb = "reduce" if good == "decrease" else "increase"
            v3, _ = _VERB[certainty]
            less = {"large": "much less than", "small": "slightly less than"}.get(size, "less than")
            return _sentence(f"{x} {v3.format(v=good_verb)} {y} {less} {comp_raw}", [tf])
    if size == "unclassified" and c["inc_null"]:
        return _sentence(f"it is uncertain whether {x} {verb}s {y}", [tf, cmp_])[:-1] + (
            ": the confidence interval includes no effect and no minimal important difference is available.")
    v3, vnoun = _VERB[certainty]
    if size == "large":
        return _sentence(f"{x} {vnoun} a large {noun} in {y}", [tf, cmp_])
    if size == "small":
        phrase = {"high": f"slightly {verb}s", "moderate": f"probably slightly {verb}s",
                  "low": f"may slightly {verb}"}[certainty]
        return _sentence(f"{x} {phrase} {y}", [tf, cmp_])
    return _sentence(f"{x} {v3.format(v=verb)} {y}", [tf, cmp_])
