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

import re
from typing import Any

from .._validate import check_choice
from ..errors import SpecError

__all__ = ["statement", "timeframe_phrase", "comparator_label", "SIZES", "CERTAINTIES"]

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


#: the standard follow-up buckets in time order, with how a sentence names each one
_BUCKET_ORDER = ("immediate", "short", "medium", "long")
_BUCKET_OF = {"immediate": "immediate", "immediately": "immediate", "immediately after treatment": "immediate",
              "short term": "short", "short": "short", "mid term": "medium", "mid": "medium",
              "medium term": "medium", "medium": "medium", "long term": "long", "long": "long"}


def _bucket(word: str) -> str | None:
    w = " ".join(word.lower().replace("_", " ").replace("-", " ").split())
    w = w.removeprefix("in the ").removeprefix("the ").strip()
    return _BUCKET_OF.get(w)


def _combined_buckets(buckets: list[str]) -> str:
    """Several follow-up buckets as one natural time frame.

    Adjacent buckets read as a range: 'short + mid term' -> 'in the short and medium term';
    'immediate + short term' -> 'from immediately after treatment to the short term' (never
    'immediately after treatment and in the short term' or 'in the immediate to short term').
    Non-adjacent buckets are listed: 'immediately after treatment and in the long term'.
    """
    order = sorted(dict.fromkeys(buckets), key=_BUCKET_ORDER.index)
    if len(order) == 1:
        return _TIMEFRAMES["immediate" if order[0] == "immediate" else f"{order[0]} term"]
    idx = [_BUCKET_ORDER.index(b) for b in order]
    adjacent = idx == list(range(idx[0], idx[0] + len(idx)))
    if order[0] == "immediate":
        if adjacent:
            return f"from immediately after treatment to the {order[-1]} term"
        rest = order[1:]
        return "immediately after treatment and " + _combined_buckets(rest)
    words = order[:-1]
    listed = (", ".join(words) + " and " + order[-1]) if words else order[-1]
    return f"in the {listed} term"


def timeframe_phrase(timeframe: str | None) -> str:
    """'short term' -> 'in the short term'; 'short term + mid term' or 'short to mid term' -> 'in the short
    and medium term'; 'immediate to short term' -> 'from immediately after treatment to the short term';
    other free text is kept as given ('in the first week'), a bare time gets 'at' ('6 months' -> 'at 6
    months'); None -> ''."""
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
    # combined buckets: "short term + mid term", "immediate to short term", "in the short term to mid term",
    # "short and medium term"
    bare = key.removeprefix("in the ").removeprefix("from ")
    for sep in ("+", " to ", " and ", "/"):
        if sep not in bare:
            continue
        parts = [p.strip() for p in bare.split(sep)]
        if len(parts) == 2 and sep != "+" and not parts[0].endswith("term") and parts[1].endswith(" term"):
            parts[0] = parts[0] if parts[0].startswith("immediate") else parts[0] + " term"
        buckets = [_bucket(p) for p in parts]
        if len(parts) > 1 and all(buckets):
            return _combined_buckets(buckets)  # type: ignore[arg-type]
    if key.split()[0] in ("in", "at", "after", "immediately", "over", "during", "within", "up", "from", "by"):
        return t
    return f"at {t}"


#: comparison labels that do not say what the comparator was: the sentence says so in words
_UNSTATED = re.compile(r"^(?:the )?(?:comparators? (?:was |were )?not (?:stated|reported)|not (?:stated|reported)|"
                       r"unspecified|unknown|any comparators?|all comparators|mixed comparators?|various comparators?|"
                       r"either comparison group|any control|mixed controls?)$")
_UNSTATED_PHRASE = "compared with the comparators used in the trials"
_LEAD_WORDS = ("compared", "when ", "versus ", "vs ", "against ", "in addition", "added to", "as an add-on")


def _balanced(text: str) -> str:
    """Drop a ')' that closes nothing and a '(' never closed, so that a sentence never shows a stray bracket."""
    out: list[str] = []
    opened: list[int] = []
    for ch in text:
        if ch == "(":
            opened.append(len(out))
        elif ch == ")":
            if not opened:
                continue
            opened.pop()
        out.append(ch)
    for i in reversed(opened):
        del out[i]
    return " ".join("".join(out).split())


def _or_list(text: str) -> str:
    """'sham/placebo/waiting list' -> 'sham, placebo or waiting list' (a raw label never reaches a sentence)."""
    def repl(m: re.Match) -> str:
        items = [i.strip() for i in m.group(0).split("/") if i.strip()]
        return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else m.group(0)

    if "/" not in text:
        return text
    text = re.sub(r"(?i)\band\s*/\s*or\b", "or", text)
    return re.sub(r"[\w][\w\- ]*(?:\s*/\s*[\w][\w\- ]*)+", repl, text)


def comparator_label(comparison: str | None) -> str:
    """A comparison label as the words after 'compared with' ('' when there is none).

    'DN vs sham/placebo/waiting list (neck)' -> 'sham, placebo or waiting list': the part after 'vs',
    a trailing bracket naming a body region dropped (the population is said elsewhere), slashes read as
    'or', unbalanced brackets removed.  Labels that do not name the comparator ('comparator not stated',
    'any comparator', 'mixed comparators') give 'the comparators used in the trials'.
    """
    if not comparison:
        return ""
    c = _strip_region(" ".join(str(comparison).split()))
    c = _balanced(c)
    m = re.search(r"(?i)\b(?:vs\.?|versus)\s+(.*)$", c)
    if m and not c.lower().startswith(("vs", "versus")):
        c = m.group(1).strip()
    core = re.sub(r"\s*\([^()]*\)\s*$", "", c).strip().lower()  # '(reviews pooling all comparators)' etc.
    if _UNSTATED.match(core) or _UNSTATED.match(c.lower()):
        return "the comparators used in the trials"
    return _balanced(_or_list(c))


def _expand_abbreviation(text: str, intervention: str) -> str:
    """'other DN' -> 'other dry needling' when 'DN' is the intervention's initials (labels use it; sentences do not)."""
    words = intervention.split()
    if len(words) < 2 or not text:
        return text
    initials = "".join(w[0] for w in words if w[:1].isalpha()).upper()
    return re.sub(rf"\b{re.escape(initials)}\b", intervention.lower() if intervention[:1].isupper() and
                  not intervention[1:2].isupper() else intervention, text)


def _strip_region(text: str) -> str:
    """Drop a trailing bracket naming a body region ('manual therapy (neck)', even when unclosed)."""
    return re.sub(r"(?i)\s*\((?:neck|shoulder|neck and shoulder|neck and/or shoulder|neck or shoulder|back|spine|"
                  r"trapezius|upper trapezius)\)?\s*$", "", text).strip()


#: 'DN added to exercise vs exercise alone', 'dry needling + exercise vs exercise' -> 'exercise'
_ADD_ON = re.compile(r"(?i)^(?:dn|dry needling|the intervention|[\w-]+(?: [\w-]+)?)\s*(?:added to|\+|plus)\s+(.*?)"
                     r"(?:\s+(?:vs\.?|versus)\s+.*)?$")


def _comparison_phrase(comparison: str | None) -> str:
    if not comparison:
        return ""
    c = _balanced(_strip_region(" ".join(str(comparison).split())))
    m = _ADD_ON.match(c)
    if m and m.group(1).strip():
        return f"when added to {_or_list(_strip_region(m.group(1).strip()))}"
    low = c.lower()
    if low.startswith(_LEAD_WORDS):
        if low.startswith(("compared with ", "compared to ")):
            label = comparator_label(c.split(" ", 2)[2] if len(c.split(" ", 2)) > 2 else "")
            return f"compared with {label}" if label else ""
        return _or_list(c)
    label = comparator_label(c)
    if not label:
        return ""
    if label == "the comparators used in the trials":
        return _UNSTATED_PHRASE
    return f"compared with {label}"


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
    event: bool = False,
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

    ``event=True`` (a dichotomous outcome pooled as RR, OR or RD) speaks of the chance of the event
    ("may increase the chance of patient-rated improvement"), never of increasing the outcome itself.
    """
    c = _coerce(rating, magnitude, direction, benefit)
    certainty, size, change = c["certainty"], c["size"], c["change"]
    x = " ".join(str(intervention).split()) or "the intervention"
    y = " ".join(str(outcome_name).split()) or "the outcome"
    y_effect = y  # 'the effect of X on <outcome>' keeps the bare outcome
    if event and c["certainty"] != "very_low" and not y.lower().startswith(("the chance", "the risk", "the number",
                                                                              "the proportion")):
        y = f"the chance of {y}"
    if population:
        y_effect = f"{y_effect} in people with {' '.join(str(population).split())}"
    if population:
        y = f"{y} in people with {' '.join(str(population).split())}"
    tf = timeframe_phrase(timeframe)
    cmp_ = _expand_abbreviation(_comparison_phrase(comparison), x)
    if certainty == "very_low":
        return _sentence(f"the evidence is very uncertain about the effect of {x} on {y_effect}", [tf, cmp_])
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
    comp_raw = _expand_abbreviation(comparator_label(comparison), x)
    if (comparator_active and comp_raw and comp_raw != "the comparators used in the trials"
            and not " ".join(str(comparison).split()).lower().startswith(_LEAD_WORDS)):
        good = _good_change(magnitude, benefit)
        if size == "unclassified" and c["inc_null"]:
            return _sentence(f"it is uncertain whether {x} differs from {comp_raw} in its effect on {y}", [tf])[:-1] + (
                ": the confidence interval includes no effect and no minimal important difference is available.")
        if good is not None and change != good:
            good_verb = "reduce" if good == "decrease" else "increase"
            v3, _ = _VERB[certainty]
            less = {"large": "much less than", "small": "slightly less than"}.get(size, "less than")
            comp_raw = re.sub(r"(?i)^other active (therap|treatment)(y|)$",
                              lambda m: f"other active {m.group(1)}{'ies' if m.group(1).lower() == 'therap' else 's'}",
                              comp_raw)  # 'less than other active therapies
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
