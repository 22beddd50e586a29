"""GRADE informative statements (Santesso N, et al. J Clin Epidemiol 2020;119:126-135).

Certainty picks the verb phrase (high: plain verb; moderate: "probably" / "likely"; low: "may";
very low: "The evidence is very uncertain about the effect of X on Y"); the size of the effect
picks "a large reduction", plain "reduces", "slightly reduces" or "little to no difference".

Rule kept throughout: "no evidence of an effect" is never turned into "evidence of no effect".
"Little to no difference" is said only when the CI excludes important benefit *and* important
harm; a trivial point estimate whose CI still reaches an important effect gets the "uncertain"
wording instead, as does an estimate without an MID whose CI includes no effect.

Size words (issue 13; GRADE guidance 34, Zeng 2022; Santesso 2020): with a
:class:`~evigrade.grade.Magnitude` the size word is ``magnitude.size_claim`` -- the size the
*whole* CI supports -- never the point estimate's band; without one ("large" point estimate, CI
reaching a small effect) the sentence states the direction only.  A plain size string passed by a
caller is taken as the caller's claim.  :func:`statement_with_size` returns the sentence and the
size word it actually used (None when none): that is the ``size_claim`` output.
:func:`size_claim_of` gives the size the CI supports (what a sentence may claim).

When the rating's ``not_fully_assessed`` is True (two or more domains not assessable, no source
GRADE) the sentence is followed by "Certainty could not be fully assessed (...)".

``kind='between_forms'`` (two forms of the intervention, e.g. a high dose vs a low dose) describes which arm had lower or higher values of the outcome, never
that one "works" or is favoured.  :func:`narrative_statement` words evidence without a single
estimate (Murad 2017; SWiM) from :class:`~evigrade.grade.NarrativeInput` votes.
"""
from __future__ import annotations

import functools
import inspect
import re
from typing import Any, Callable, ParamSpec

from .._validate import check_choice
from ..errors import SpecError

P = ParamSpec("P")

__all__ = ["statement", "statement_with_size", "narrative_statement", "size_claim_of", "timeframe_phrase", "comparator_label", "SIZES",
           "CERTAINTIES", "KINDS"]

#: kinds of comparison a sentence can describe
KINDS = ("comparative", "between_forms")

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


def _open_question(certainty: str, x: str, what: str) -> str:
    """'X may or may not <what>' with the certainty's own hedge (issue 13: a low statement says "may", a
    moderate one "probably"), for results that show neither an effect nor its absence; no size word."""
    if certainty == "low":
        return f"{x} may or may not {what}"
    if certainty == "moderate":
        return f"it is probably not possible to say whether {x} will {what}"
    return f"it is not possible to say whether {x} will {what}"


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
    def repl(m: re.Match[str]) -> str:
        items = [i.strip() for i in m.group(0).split("/") if i.strip()]
        return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else m.group(0)

    if "/" not in text:
        return text
    text = re.sub(r"(?i)\band\s*/\s*or\b", "or", text)
    return re.sub(r"[\w][\w\- ]*(?:\s*/\s*[\w][\w\- ]*)+", repl, text)


def comparator_label(comparison: str | None) -> str:
    """A comparison label as the words after 'compared with' ('' when there is none).

    'X vs sham/placebo/waiting list (adults)' -> 'sham, placebo or waiting list': the part after 'vs',
    a trailing one- or two-word bracket dropped (the population is said elsewhere), slashes read as
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
    return _balanced(_or_list(_balanced(c)))  # the 'vs' split can leave a lone bracket next to a slash


def _expand_abbreviation(text: str, intervention: str) -> str:
    """'other CBT' -> 'other cognitive behavioural therapy' when 'CBT' is the intervention's initials (labels use
    it; sentences do not)."""
    words = intervention.split()
    if len(words) < 2 or not text:
        return text
    initials = "".join(w[0] for w in words if w[:1].isalpha()).upper()
    return re.sub(rf"\b{re.escape(initials)}\b", intervention.lower() if intervention[:1].isupper() and
                  not intervention[1:2].isupper() else intervention, text)


def _strip_region(text: str) -> str:
    """Drop a trailing bracket that qualifies a whole 'A vs B' label ('A vs manual therapy (adults)': the
    population is said elsewhere) and a trailing bracket left unclosed ('manual therapy (adults')."""
    t = re.sub(r"\s*\([^()]*$", "", text.strip())
    if re.search(r"(?i)\b(?:vs\.?|versus)\s", t):
        t = re.sub(r"\s*\([^()]*\)\s*$", "", t)
    return t.strip()


#: 'X added to exercise vs exercise alone', 'the intervention + exercise vs exercise' -> 'exercise' (the
#: intervention named in one or two words)
_ADD_ON = re.compile(r"(?i)^(?:[\w-]+(?: [\w-]+)?)\s*(?:added to|\+|plus)\s+(.*?)"
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
    claim: str | None
    if hasattr(magnitude, "size"):
        size = magnitude.size
        claim = getattr(magnitude, "size_claim", None)
        change = magnitude.change
        inc_b = magnitude.ci_includes_important_benefit
        inc_h = magnitude.ci_includes_important_harm
        inc_null = magnitude.ci_includes_null
    else:
        size = check_choice("magnitude", magnitude, SIZES)
        claim = None if size == "unclassified" else size
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
    return {"certainty": certainty, "size": size, "claim": claim, "change": change, "inc_b": inc_b, "inc_h": inc_h,
            "inc_null": inc_null}


def size_claim_of(magnitude: Any, ci_excludes_important: bool | None = None) -> str | None:
    """The size the whole CI supports ('trivial', 'small', 'moderate', 'large'; the most a sentence
    may claim), or None.  The word a sentence actually used comes from :func:`statement_with_size`."""
    if hasattr(magnitude, "size_claim"):
        claim = magnitude.size_claim
        return str(claim) if claim is not None else None
    size = check_choice("magnitude", magnitude, SIZES)
    if size == "trivial":
        return "trivial" if ci_excludes_important else None
    return None if size == "unclassified" else size


def _not_fully_assessed(rating: Any) -> str:
    if not getattr(rating, "not_fully_assessed", False):
        return ""
    names = [d.replace("_", " ") for d in getattr(rating, "not_assessable", ())]
    listed = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else "".join(names)
    return f" Certainty could not be fully assessed (missing inputs for {listed})."


def _good_change(magnitude: Any, benefit: str | None) -> str | None:
    """'decrease' when lower values are better, 'increase' when higher are; None when unknown."""
    b = benefit
    if b is None and hasattr(magnitude, "direction") and hasattr(magnitude, "change"):
        if magnitude.direction == "benefit":
            return str(magnitude.change)
        if magnitude.direction == "harm":
            return {"decrease": "increase", "increase": "decrease"}.get(magnitude.change)
        return None
    if b in ("lower", "higher"):
        return "decrease" if b == "lower" else "increase"
    return None


def _sentence(core: str, tail: list[str]) -> str:
    s = " ".join([core] + [t for t in tail if t])
    return s[0].upper() + s[1:] + "."


def _sentence_of(with_size: Callable[P, tuple[str, str | None]]) -> Callable[[Callable[[], None]], Callable[P, str]]:
    """Decorator: the decorated stub (its name and docstring) becomes ``with_size(...)[0]``, taking
    ``with_size``'s arguments, so that one signature serves :func:`statement` and :func:`statement_with_size`."""
    def make(stub: Callable[[], None]) -> Callable[P, str]:
        @functools.wraps(stub)
        def sentence(*args: P.args, **kwargs: P.kwargs) -> str:
            return with_size(*args, **kwargs)[0]

        sentence.__signature__ = inspect.signature(with_size).replace(return_annotation="str")  # type: ignore[attr-defined]
        return sentence
    return make


def statement_with_size(
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
    kind: str = "comparative",
    comparator_phrase: str | None = None,
) -> tuple[str, str | None]:
    """:func:`statement` and the size word it actually used: 'large' ("a large reduction", "much
    less/lower"), 'small' ("slightly"), 'trivial' ("little to no difference"), or None (no size word:
    plain verb, uncertain wording, very low certainty).  This is the ``size_claim`` output."""
    text, used = _statement(rating, magnitude, direction, outcome_name, timeframe, intervention, comparison,
                            benefit=benefit, ci_excludes_important=ci_excludes_important, population=population,
                            comparator_active=comparator_active, event=event, kind=kind,
                            comparator_phrase=comparator_phrase)
    return text + _not_fully_assessed(rating), used


@_sentence_of(statement_with_size)
def statement() -> None:
    """The plain-language sentence for one finding (followed, when the rating says so, by
    "Certainty could not be fully assessed (...)").

    ``rating``: a :class:`~evigrade.grade.CertaintyRating` or 'high'/'moderate'/'low'/'very_low'.
    ``magnitude``: a :class:`~evigrade.grade.Magnitude` (preferred: it carries the CI flags) or a
    size word ('trivial', 'small', 'moderate', 'large', 'unclassified').  ``direction`` is the
    change the estimate shows ('decrease' / 'increase'), or 'benefit' / 'harm' together with
    ``benefit='lower'|'higher'``; it is taken from the Magnitude when omitted.  When a plain size
    word 'trivial' is given, pass ``ci_excludes_important=True`` to allow "little to no
    difference"; otherwise the uncertain wording is used.  ``population`` (e.g. 'chronic pain') adds
    "in people with chronic pain" after the outcome.

    ``comparator_active=True`` (the comparison is another active treatment, e.g. an injection or
    manual therapy) switches to comparative wording (GRADE: the effect is relative to a
    treatment that itself works): an effect favouring the comparator reads "X probably reduces Y less
    than C" (not "X increases Y", which would read as if X caused harm), and an effect whose CI includes
    no difference reads "X may differ from C in its effect on Y, but the confidence interval includes no
    difference ...".  Every sentence carries its certainty's hedge (high plain, moderate "probably",
    low "may", very low "very uncertain"); a result that shows neither an effect nor its absence reads
    "X may or may not ..." (low) or "it is probably not possible to say whether ..." (moderate).  Needs ``benefit`` (or a Magnitude
    with a direction) to know which way is better.

    The sentence of :func:`statement_with_size` (the same arguments), without the size word it used.

    ``event=True`` (a dichotomous outcome pooled as RR, OR or RD) speaks of the chance of the event
    ("may increase the chance of patient-rated improvement"), never of increasing the outcome itself.

    ``comparator_phrase`` (e.g. 'compared with the low dose only') replaces the
    phrase built from ``comparison``.  ``kind='between_forms'`` words a comparison of two forms of
    the intervention neutrally ("Pain intensity may be lower with X than with Y"), never as one
    favouring the other; it needs ``comparator_phrase`` or ``comparison`` to name the other form.
    """


def _between_forms(c: dict[str, Any], x: str, y: str, y_effect: str, tf: str, other: str,
                   excludes: bool) -> tuple[str, str | None]:
    certainty, claim, change = c["certainty"], c["claim"], c["change"]
    if certainty == "very_low":
        return _sentence(f"the evidence is very uncertain about whether {x} and {other} differ in their effect on "
                         f"{y_effect}", [tf]), None
    if (claim == "trivial" or c["size"] == "trivial") and excludes:
        return _sentence(f"{x} {_TRIVIAL[certainty]} {y} compared with {other}", [tf]), "trivial"
    if change == "none" or c["inc_null"] or (c["size"] == "trivial" and not excludes):
        if change == "none":
            return _sentence(_open_question(certainty, x, f"differ from {other} in its effect on {y_effect}"),
                             [tf])[:-1] + ": the confidence interval includes no difference.", None
        word = "lower" if change == "decrease" else "higher"
        be = {"high": "is", "moderate": "is probably", "low": "may be"}[certainty]
        caveat = (", but the confidence interval includes no difference." if c["inc_null"] else
                  ", but the results do not show whether the difference is important.")
        return _sentence(f"{y} {be} {word} with {x} than with {other}", [tf])[:-1] + caveat, None
    word = "lower" if change == "decrease" else "higher"
    word = {"large": f"much {word}", "small": f"slightly {word}"}.get(claim or "", word)
    be = {"high": "is", "moderate": "is probably", "low": "may be"}[certainty]
    return _sentence(f"{y} {be} {word} with {x} than with {other}", [tf]), (claim if claim in ("large", "small") else None)


def _statement(
    rating: Any,
    magnitude: Any,
    direction: str | None,
    outcome_name: str,
    timeframe: str | None,
    intervention: str,
    comparison: str | None,
    *,
    benefit: str | None,
    ci_excludes_important: bool | None,
    population: str | None,
    comparator_active: bool,
    event: bool,
    kind: str,
    comparator_phrase: str | None,
) -> tuple[str, str | None]:
    kind = check_choice("kind", kind, KINDS)
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
    cmp_ = (" ".join(comparator_phrase.split()) if comparator_phrase
            else _expand_abbreviation(_comparison_phrase(comparison), x))
    if kind == "between_forms":
        other = cmp_
        for lead in ("compared with ", "compared to ", "versus ", "vs "):
            if other.lower().startswith(lead):
                other = other[len(lead):]
        if not other:
            raise SpecError("kind='between_forms' needs comparator_phrase or comparison naming the other form")
        excl = (c["inc_b"] is False and c["inc_h"] is False) if ci_excludes_important is None else bool(ci_excludes_important)
        return _between_forms(c, x, y, y_effect, tf, other, excl)
    if certainty == "very_low":
        return _sentence(f"the evidence is very uncertain about the effect of {x} on {y_effect}", [tf, cmp_]), None
    excludes = (c["inc_b"] is False and c["inc_h"] is False) if ci_excludes_important is None else bool(ci_excludes_important)
    claim = c["claim"]
    if claim == "trivial" and excludes:
        return _sentence(f"{x} {_TRIVIAL[certainty]} {y}", [tf, cmp_]), "trivial"
    if size == "trivial" or change == "none":
        if excludes:
            return _sentence(f"{x} {_TRIVIAL[certainty]} {y}", [tf, cmp_]), "trivial"
        reach = []
        if c["inc_b"]:
            reach.append("an important benefit")
        if c["inc_h"]:
            reach.append("an important harm")
        what = " or ".join(reach) if reach else "an important effect"
        return _sentence(_open_question(certainty, x, f"make an important difference to {y}"), [tf, cmp_]
                         )[:-1] + f": the results are compatible with little to no difference but do not rule out {what}.", None
    verb = "reduce" if change == "decrease" else "increase"
    noun = "reduction" if change == "decrease" else "increase"
    comp_raw = _expand_abbreviation(comparator_label(comparison), x)
    if (comparator_active and comp_raw and comp_raw != "the comparators used in the trials"
            and not " ".join(str(comparison).split()).lower().startswith(_LEAD_WORDS)):
        good = _good_change(magnitude, benefit)
        if size == "unclassified" and c["inc_null"]:
            differs = {"high": "differs", "moderate": "probably differs", "low": "may differ"}[certainty]
            return _sentence(f"{x} {differs} from {comp_raw} in its effect on {y}", [tf])[:-1] + (
                ", but the confidence interval includes no difference and no minimal important difference is "
                "available."), None
        if good is not None and change != good:
            good_verb = "reduce" if good == "decrease" else "increase"
            v3, _ = _VERB[certainty]
            less = {"large": "much less than", "small": "slightly less than"}.get(claim or "", "less than")
            comp_raw = re.sub(r"(?i)^other active (therap|treatment)(y|)$",
                              lambda m: f"other active {m.group(1)}{'ies' if m.group(1).lower() == 'therap' else 's'}",
                              comp_raw)  # 'less than other active therapies
            return (_sentence(f"{x} {v3.format(v=good_verb)} {y} {less} {comp_raw}", [tf]),
                    claim if claim in ("large", "small") else None)
    v3, vnoun = _VERB[certainty]
    if size == "unclassified" and c["inc_null"]:
        return _sentence(f"{x} {v3.format(v=verb)} {y}", [tf, cmp_])[:-1] + (
            ", but the confidence interval includes no effect and no minimal important difference is available."), None
    if claim == "large":
        return _sentence(f"{x} {vnoun} a large {noun} in {y}", [tf, cmp_]), "large"
    if claim == "small":
        phrase = {"high": f"slightly {verb}s", "moderate": f"probably slightly {verb}s",
                  "low": f"may slightly {verb}"}[certainty]
        return _sentence(f"{x} {phrase} {y}", [tf, cmp_]), "small"
    return _sentence(f"{x} {v3.format(v=verb)} {y}", [tf, cmp_]), None


# ------------------------------------------------------------------------------ narrative evidence

#: results reported only as "no significant difference": no CI, so no claim of little or no difference (that
#: would turn "no evidence of an effect" into "evidence of no effect"); the words say no clear difference was found
_NARR_TRIVIAL = {"high": "does not make a clear difference to", "moderate": "probably does not make a clear difference to",
                 "low": "may not make a clear difference to"}


def _votes_clause(narrative: Any, x: str, between: bool = False) -> str:
    words = {"favours_intervention": f"favoured {x}", "favours_comparator": "favoured the comparator",
             "no_difference": "found no difference", "unclear": "did not report a direction"}
    groups = {d: [v for v in narrative.votes if v.direction == d] for d in words}
    if between:  # two forms of the intervention: a difference, not a form 'favoured'
        words = {"favours_intervention": "found a difference", "no_difference": "found no difference",
                 "unclear": "did not report a direction"}
        groups = {"favours_intervention": groups["favours_intervention"] + groups["favours_comparator"],
                  "no_difference": groups["no_difference"], "unclear": groups["unclear"]}
    parts = []
    total = len(narrative.votes)
    for d, w in words.items():
        vs = groups[d]
        if vs:
            n = sum(v.n or 0 for v in vs)
            known = all(v.n is not None for v in vs)
            parts.append(f"{len(vs)} {w}" + (f" ({n} participants)" if known and n else ""))
    return f" Of {total} result{'s' if total != 1 else ''} without a pooled estimate, " + ", ".join(parts) + "."


def narrative_statement(
    rating: Any,
    narrative: Any,
    outcome_name: str = "the outcome",
    timeframe: str | None = None,
    intervention: str = "the intervention",
    comparison: str | None = None,
    *,
    benefit: str | None = None,
    population: str | None = None,
    kind: str = "comparative",
    comparator_phrase: str | None = None,
) -> str:
    """The sentence for evidence without a single estimate (a :class:`~evigrade.grade.NarrativeInput`
    rated by :func:`~evigrade.grade.assess_narrative`), followed by the vote count.

    No size word is ever used (there is no estimate).  Direction (``narrative.direction``, see
    :func:`~evigrade.grade.narrative_direction`): all results favouring the intervention -> "may
    reduce/increase" (``benefit`` picks the verb; "improve" without it); all finding no difference ->
    "may not make a clear difference to" (not Santesso's "little or no difference": without a CI a
    non-significant result is no evidence of an effect, not evidence of no effect; the vote count
    that follows says it rests on results without an estimate); favouring the comparator -> "may be
    less effective than"; mixed -> "the effect ... may vary"; unclear -> "X may or may not affect Y" (low);
    very low -> "the evidence is very uncertain".  ``kind='between_forms'`` never says which form is
    better: "may not differ" or "may differ" from the other form.
    """
    kind = check_choice("kind", kind, KINDS)
    certainty = _coerce(rating, "unclassified", "none", None)["certainty"]
    d = str(narrative.direction)
    x = " ".join(str(intervention).split()) or "the intervention"
    y = " ".join(str(outcome_name).split()) or "the outcome"
    if population:
        y = f"{y} in people with {' '.join(str(population).split())}"
    tf = timeframe_phrase(timeframe)
    cmp_ = (" ".join(comparator_phrase.split()) if comparator_phrase
            else _expand_abbreviation(_comparison_phrase(comparison), x))
    tail = _votes_clause(narrative, x, kind == "between_forms") + _not_fully_assessed(rating)
    if certainty == "very_low":
        return _sentence(f"the evidence is very uncertain about the effect of {x} on {y}", [tf, cmp_]) + tail
    hedge = {"high": "", "moderate": "probably ", "low": "may "}[certainty]
    if d == "unclear" or (kind == "between_forms" and d == "mixed"):
        other = cmp_.removeprefix("compared with ") if cmp_.startswith("compared with ") else "the comparator"
        what = (f"differ from {other} in its effect on {y}" if kind == "between_forms" else f"affect {y}")
        return _sentence(_open_question(certainty, x, what), [tf] if kind == "between_forms" else [tf, cmp_])[:-1] + (
            ": the direction of the results was not reported." if d == "unclear" else
            ": the results differ in direction or significance.") + tail
    if kind == "between_forms":
        other = cmp_.removeprefix("compared with ") if cmp_.startswith("compared with ") else "the comparator"
        forms = ({"high": "does not differ", "moderate": "probably does not differ", "low": "may not differ"}
                 if d == "no_difference" else {"high": "differs", "moderate": "probably differs", "low": "may differ"})
        return _sentence(f"{x} {forms[certainty]} from {other} in its effect on {y}", [tf]) + tail
    if d == "no_difference":
        return _sentence(f"{x} {_NARR_TRIVIAL[certainty]} {y}", [tf, cmp_]) + tail
    if d == "favours_intervention":
        v = {"lower": "reduce", "higher": "increase"}.get(benefit or "", "improve")
        verb = f"{v}s" if certainty == "high" else f"{hedge}{v}" if certainty == "low" else f"{hedge}{v}s"
        return _sentence(f"{x} {verb} {y}", [tf, cmp_]) + tail
    if d == "favours_comparator":
        be = {"high": "is", "moderate": "is probably", "low": "may be"}[certainty]
        other = cmp_.removeprefix("compared with ") if cmp_.startswith("compared with ") else "the comparator"
        return _sentence(f"{x} {be} less effective than {other} for {y}", [tf]) + tail
    vary = {"high": "varies", "moderate": "probably varies", "low": "may vary"}[certainty]
    return _sentence(f"the effect of {x} on {y} {vary}", [tf, cmp_])[:-1] + (
        ": the results differ in direction or significance.") + tail
