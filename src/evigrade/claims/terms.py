"""Load and compile the claims lexicon (the data file ``lexicon/claims.toml``).

Terms are matched case-insensitively; a term's edges must not touch a letter, digit, apostrophe
or hyphen (so "can" does not match "can't" and "pain" does not match "pain-free").  Inside a
term, a space or hyphen matches any run of spaces/hyphens ("short term" = "short-term");
a trailing ``*`` matches any word ending.
"""
from __future__ import annotations

import dataclasses
import functools
import pathlib
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["TermSet", "Concept", "Lexicon", "load_lexicon", "LEXICON_PATH"]

LEXICON_PATH = pathlib.Path(__file__).resolve().parent / "lexicon" / "claims.toml"

_LEFT = r"(?<![\w'\u2019-])"
_RIGHT = r"(?![\w'\u2019-])"


def _term_regex(term: str) -> str:
    t = term.strip()
    star = t.endswith("*")
    if star:
        t = t[:-1]
    parts = re.split(r"[\s\-]+", t)
    body = r"[\s\-]*".join(re.escape(p) for p in parts if p)
    if star:
        body += r"[\w\-]*"
    left = _LEFT if re.match(r"\w", t) else ""
    right = _RIGHT if (star or re.search(r"\w$", t)) else ""
    return left + body + right


def _alternation(ordered: list[str]) -> str:
    """One pattern for all terms (longest first).  The left word-edge test is hoisted out of the
    alternation for the terms that start with a word character, so that at a position inside a
    word the engine fails once instead of once per term (this halves the time on long texts)."""
    regs = [_term_regex(t) for t in ordered]
    hoist = [r[len(_LEFT):] for r in regs if r.startswith(_LEFT)]
    rest = [r for r in regs if not r.startswith(_LEFT)]
    parts = []
    if hoist:
        parts.append(_LEFT + "(?:" + "|".join(f"(?:{r})" for r in hoist) + ")")
    parts += [f"(?:{r})" for r in rest]
    return "|".join(parts)


@functools.lru_cache(maxsize=256)
def _tokens(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"\w+", text))


@dataclass(frozen=True)
class TermSet:
    """A compiled list of terms; ``find`` returns (matched text, start, end) for every match.

    A quick pre-check on the sentence's words skips the regular expression when no term's key word
    (its longest plain word, or its prefix for a one-word ``word*`` term) occurs, which keeps long
    texts fast.
    """

    terms: tuple[str, ...]
    pattern: re.Pattern[str] | None
    first_words: frozenset[str] = frozenset()
    prefix_re: re.Pattern[str] | None = None
    always: bool = False

    @classmethod
    def of(cls, terms: Iterable[str]) -> "TermSet":
        terms = tuple(dict.fromkeys(t for t in terms if t and t.strip()))
        if not terms:
            return cls((), None)
        # longest first so the alternation prefers the longest term at a position
        ordered = sorted(terms, key=lambda t: -len(t))
        pat = re.compile(_alternation(ordered), re.IGNORECASE)
        first: set[str] = set()
        prefixes: list[str] = []
        always = False
        for t in ordered:
            words = re.findall(r"\w+\*?", t.strip())
            if not words or not re.match(r"\w", t.strip()):
                always = True
                continue
            plain = [w.lower() for w in words if not w.endswith("*")]
            if len(words) == 1 and t.strip().endswith("*"):
                prefixes.append(words[0].lower().rstrip("*"))
            elif plain:
                # the term's longest plain word must be a word of the text: a rarer key than its first word
                # ("is limited" -> "limited"), so fewer sentences reach the regular expression
                first.add(max(plain, key=len))
            else:
                prefixes.append(words[0].lower().rstrip("*"))
        prefix_re = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in sorted(set(prefixes))) + ")", re.I)
                     if prefixes else None)
        return cls(tuple(ordered), pat, frozenset(first), prefix_re, always)

    def _may_match(self, text: str) -> bool:
        if self.always:
            return True
        toks = _tokens(text)
        if not self.first_words.isdisjoint(toks):
            return True
        return self.prefix_re is not None and self.prefix_re.search(text) is not None

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Every match as (matched text, start, end)."""
        if self.pattern is None or not self._may_match(text):
            return []
        return [(m.group(0), m.start(), m.end()) for m in self.pattern.finditer(text)]

    def search(self, text: str) -> tuple[str, int, int] | None:
        if self.pattern is None or not self._may_match(text):
            return None
        m = self.pattern.search(text)
        return (m.group(0), m.start(), m.end()) if m else None

    def __bool__(self) -> bool:
        return self.pattern is not None


@dataclass(frozen=True)
class Concept:
    """An outcome or mechanism concept: the words that find it and the pattern that finds it in a pack."""

    concept: str
    label: str
    terms: TermSet
    pack_match: re.Pattern[str] | None
    pack_exclude: re.Pattern[str] | None = None
    benefit: str = "lower"

    def matches_pack_text(self, text: str) -> bool:
        if self.pack_match is None:
            return False
        if not self.pack_match.search(text):
            return False
        return not (self.pack_exclude is not None and self.pack_exclude.search(text))


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon.  ``pack_outcomes`` are outcome concepts built from an evidence pack's
    own outcome names and synonyms (see ``with_pack_outcomes``); they lose ties to the lexicon's
    own outcome and mechanism terms."""

    intervention_name: str
    intervention: TermSet
    outcomes: tuple[Concept, ...]
    unsupported_outcomes: TermSet
    pack_regions: TermSet
    mechanisms: tuple[Concept, ...]
    strong: TermSet
    very_low: TermSet
    low: TermSet
    moderate: TermSet
    size: dict[str, TermSet]
    timeframe: dict[str, TermSet]
    universality: TermSet
    negation: TermSet
    effect: TermSet
    general: TermSet
    non_claim: tuple[re.Pattern[str], ...]
    safety_terms: TermSet
    safety_absolute: TermSet
    safety_general: TermSet
    safety_danger: TermSet
    safety_frequent: TermSet
    safety_possible: TermSet
    safety_rare: TermSet
    safety_absent: TermSet
    mild_events: TermSet
    serious_events: TermSet
    comparisons: tuple[tuple[TermSet, re.Pattern[str]], ...]
    source: str = ""
    pack_outcomes: tuple[Concept, ...] = ()
    add_on_groups: frozenset[int] = frozenset()
    background_groups: frozenset[int] = frozenset()
    #: body regions, each a group of words for one region: a sentence naming one region is judged
    #: against the findings for that region
    region_groups: tuple[TermSet, ...] = ()
    #: the mechanism concepts the evidence holds (``with_evidence_mechanisms``); None = not known, every
    #: concept with a ``pack_match`` counts as one the evidence may hold
    evidence_mechanisms: frozenset[str] | None = None
    #: words saying someone has had the intervention ("vaccinated"; ``with_topic``): a treatment context
    treated: TermSet = TermSet((), None)

    def is_evidence_mechanism(self, concept: "Concept") -> bool:
        """A mechanism concept that names one of the evidence's own mechanisms (not a lay metaphor, and
        not a mechanism the evidence does not study): such a mention is about the intervention by itself."""
        if concept.pack_match is None:
            return False
        return self.evidence_mechanisms is None or concept.concept in self.evidence_mechanisms

    def with_evidence_mechanisms(self, mechanisms: Iterable[tuple[str, Iterable[str]]]) -> "Lexicon":
        """A copy that knows which mechanism concepts the evidence holds: (name, synonyms) of each of its
        mechanisms, matched as the judge matches them."""
        held = set()
        for name, synonyms in mechanisms:
            syn = tuple(synonyms)
            for c in self.mechanisms:
                if c.matches_pack_text(" ".join((name, *syn))) or any(c.terms.search(x) for x in syn):
                    held.add(c.concept)
        return dataclasses.replace(self, evidence_mechanisms=frozenset(held))

    @property
    def all_outcomes(self) -> tuple[Concept, ...]:
        return self.outcomes + self.pack_outcomes

    def with_topic(self, names: Iterable[str]) -> "Lexicon":
        """A copy that finds the intervention by the pack's own names (``summary.topic.synonyms``) as well
        as the lexicon's generic references ("this treatment").  A multi-word name also gives its last
        word when that word is specific (a gerund or a noun of six letters or more that is not a generic
        word such as "therapy" or "treatment"): sources and web pages shorten names that way."""
        terms: list[str] = []
        treated: list[str] = []
        for n in names:
            n = str(n).strip()
            if not n:
                continue
            terms.append(n)
            words = re.findall(r"[A-Za-z][\w'-]*", n)
            head = words[-1].lower() if len(words) >= 2 else ""
            if len(head) >= 6 and head not in _GENERIC_HEADS:
                terms.append(head)
            if len(words) >= 2:  # an acronym inside a longer name ("BCG vaccination") stands for it too
                terms += [w for w in words if 2 <= len(w) <= 6 and w.isupper()]
            terms += _instrument_names(words)
            treated += _participles(words)
        if not terms:
            return self
        return dataclasses.replace(self, intervention=TermSet.of([*terms, *self.intervention.terms]),
                                   intervention_name=next(iter(terms)), treated=TermSet.of(treated))

    def with_text_acronyms(self, text: str) -> "Lexicon":
        """A copy that also finds the acronyms a text defines for an outcome or for the intervention:
        "tuberculosis (TB)" makes "TB" the outcome tuberculosis for the rest of the text, "Bacillus
        Calmette-Guerin (BCG) vaccine" ... the intervention."""
        extra: dict[str, set[str]] = {}
        interv: set[str] = set()
        for lead, acr in _acronym_definitions(text):
            if sum(ch.isupper() for ch in acr) < 2:
                continue
            if any(b == len(lead) for _, _, b in self.intervention.find(lead)):
                interv.add(acr)
                continue
            for c in self.all_outcomes:
                if any(b == len(lead) for _, _, b in c.terms.find(lead)):
                    extra.setdefault(c.concept, set()).add(acr)
                    break
        if not extra and not interv:
            return self

        def grown(cs: tuple[Concept, ...]) -> tuple[Concept, ...]:
            return tuple(dataclasses.replace(c, terms=TermSet.of([*c.terms.terms, *sorted(extra[c.concept])]))
                         if c.concept in extra else c for c in cs)
        return dataclasses.replace(self, outcomes=grown(self.outcomes), pack_outcomes=grown(self.pack_outcomes),
                                   intervention=TermSet.of([*self.intervention.terms, *sorted(interv)])
                                   if interv else self.intervention)

    def with_pack_outcomes(self, outcomes: Iterable[tuple[str, str, Iterable[str], str]]) -> "Lexicon":
        """A copy that also finds the given pack outcomes: (id, name, synonyms, benefit) each.

        Outcomes that one of the lexicon's own concepts already covers (its ``pack_match`` finds
        the id or name) are skipped, so their lay synonyms keep working as before.
        """
        extra: list[Concept] = []
        for oid, name, synonyms, benefit in outcomes:
            text = f"{oid} {name}"
            if any(c.matches_pack_text(text) for c in self.outcomes):
                continue
            terms = {name, *synonyms}
            # "relief of runny nose (improvement in severity score)": texts name the thing measured ("runny nose"),
            # without the bracketed measure and the change noun before it
            core = re.sub(r"\s*\([^)]*\)", "", name).strip()
            core = re.sub(r"(?i)^(relief|improvement|reduction|change|severity|risk|incidence|rate|number|proportion|"
                          r"frequency|duration)\s+(of|in)\s+", "", core)
            for part in [core, *re.split(r"\s+or\s+|\s+and\s+|/", name)]:
                if len(part.strip()) > 3:
                    terms.add(part.strip())
            extra.append(Concept(concept=f"pack:{oid}", label=name, terms=TermSet.of(sorted(terms)),
                                 pack_match=re.compile(rf"^{re.escape(oid)}\b"), benefit=benefit))
        return dataclasses.replace(self, pack_outcomes=tuple(extra))


def _instrument_names(words: list[str]) -> list[str]:
    """What texts call the thing an intervention named by an action noun gives or uses: "X-ation" -> "the
    X-e" ("vaccination" gives "the vaccine"), "X-ing" -> "the X-es" ("taping" uses "the tapes"); with a
    determiner only, and the whole name with that noun as its head ("BCG vaccine").  For an "-ing" name
    only the plural stands for the treatment: "the tape is then stretched ...", "the insertion of the
    pin ..." narrate one step of the procedure."""
    if not words:
        return []
    head = words[-1].lower()
    if head in _GENERIC_HEADS:
        return []
    if head.endswith("ation") and len(head) >= 8:
        one, many = head[:-5] + "e", head[:-5] + "es"
        out = [f"{d} {one}" for d in ("the", "this", "our")] + [f"{d} {many}" for d in ("the", "these", "our")]
        nouns = (one, many)
    elif head.endswith("ing") and len(head) >= 6 and head[-4] not in "aeiou":
        many = head[:-3] + "es"
        out = [f"{d} {many}" for d in ("the", "these", "our")]
        nouns = (head[:-3] + "e", many)
    else:
        return []
    if len(words) >= 2:
        out += [" ".join([*words[:-1], n]) for n in nouns]
    return out


def _participles(words: list[str]) -> list[str]:
    """The participle of an action-noun name: "X-ation" -> "X-ated" ("vaccinated"), "X-ing" -> "X-ed"."""
    head = words[-1].lower() if words else ""
    if head in _GENERIC_HEADS:
        return []
    if head.endswith("ation") and len(head) >= 8:
        return [head[:-5] + "ated"]
    if head.endswith("ing") and len(head) >= 6 and head[-4] not in "aeiou":
        return [head[:-3] + "ed"]
    return []


def _concepts(items: list[dict[str, Any]]) -> tuple[Concept, ...]:
    out = []
    for it in items:
        pm = it.get("pack_match") or ""
        pe = it.get("pack_exclude") or ""
        out.append(Concept(
            concept=it["concept"], label=it.get("label", it["concept"]), terms=TermSet.of(it.get("terms", ())),
            pack_match=re.compile(pm) if pm else None, pack_exclude=re.compile(pe) if pe else None,
            benefit=it.get("benefit", "lower"),
        ))
    return tuple(out)


#: "tuberculosis (TB)": an acronym defined right after the words it stands for
_ACRONYM_DEFINED = re.compile(r"([A-Za-z][\w'-]*(?:[ \t]+[A-Za-z][\w'-]*){0,5})[ \t]*\([ \t]*([A-Z][A-Za-z]{1,5})[ \t]*\)")
#: the same, found from its bracket: "(TB)" first, then up to six words before it (``_acronym_definitions``)
_ACRONYM_BRACKET = re.compile(r"\([ \t]*([A-Z][A-Za-z]{1,5})[ \t]*\)")
_ACRONYM_LEAD = re.compile(r"[A-Za-z][\w'-]*(?:[ \t]+[A-Za-z][\w'-]*){0,5}[ \t]*\Z")


def _acronym_definitions(text: str) -> list[tuple[str, str]]:
    """(lead words, acronym) for each "words (ACR)" in ``text``: what ``_ACRONYM_DEFINED.finditer`` finds, but
    searched from each bracket backwards.  Tried at every word of a long text, the forward pattern took about
    two seconds per megabyte; a text has few brackets."""
    out: list[tuple[str, str]] = []
    last = 0
    for m in _ACRONYM_BRACKET.finditer(text):
        start = max(last, m.start() - 400)
        while start > last and (text[start - 1].isalnum() or text[start - 1] in "_'-"):
            start -= 1  # do not cut a word in two
        lead = _ACRONYM_LEAD.search(text, start, m.start())
        if lead is None:
            continue
        out.append((lead.group(0).rstrip(" \t"), m.group(1)))
        last = m.end()
    return out

#: last words of an intervention's name too generic to stand for it on their own
_GENERIC_HEADS = frozenset("""therapy therapies treatment treatments training exercise exercises care intervention
    interventions programme programmes program programs management medicine medicines stimulation injection injections
    surgery procedure procedures technique techniques session sessions approach method counselling counseling support
    education advice drug drugs supplement supplements""".split())

_POSSIBLE = ("can", "may", "might", "possible", "occur", "occurs", "happen", "happens", "could")


def _build(d: dict[str, Any], source: str) -> Lexicon:
    s = d["safety"]
    frequent = [t for t in s["frequent"] if t not in _POSSIBLE]
    possible = [t for t in s["frequent"] if t in _POSSIBLE]
    return Lexicon(
        intervention_name=d["intervention"]["name"],
        intervention=TermSet.of(d["intervention"]["terms"]),
        outcomes=_concepts(d["outcome"]),
        unsupported_outcomes=TermSet.of(d["unsupported_outcomes"]["terms"]),
        pack_regions=TermSet.of(d["regions"]["pack"]),
        region_groups=tuple(TermSet.of(g) for g in d["regions"].get("groups", ())),
        mechanisms=_concepts(d["mechanism"]),
        strong=TermSet.of(d["certainty"]["strong"]),
        very_low=TermSet.of(d["certainty"]["very_low"]),
        low=TermSet.of(d["certainty"]["low"]),
        moderate=TermSet.of(d["certainty"]["moderate"]),
        size={k: TermSet.of(v) for k, v in d["size"].items()},
        timeframe={k: TermSet.of(v) for k, v in d["timeframe"].items()},
        universality=TermSet.of(d["universality"]["terms"]),
        negation=TermSet.of(d["negation"]["terms"]),
        effect=TermSet.of(d["effect"]["terms"]),
        general=TermSet.of(d["claim_cues"]["general"]),
        non_claim=tuple(re.compile(p, re.IGNORECASE) for p in d["non_claim"]["patterns"]),
        safety_terms=TermSet.of(s["terms"]),
        safety_absolute=TermSet.of(s["absolute"]),
        safety_general=TermSet.of(s["general"]),
        safety_danger=TermSet.of(s["danger"]),
        safety_frequent=TermSet.of(frequent),
        safety_possible=TermSet.of(possible),
        safety_rare=TermSet.of(s["rare"]),
        safety_absent=TermSet.of(s["absent"]),
        mild_events=TermSet.of(s["mild_events"]),
        serious_events=TermSet.of(s["serious_events"]),
        comparisons=tuple((TermSet.of(g["terms"]), re.compile(g["pack_match"])) for g in d["comparison"]["group"]),
        add_on_groups=frozenset(i for i, g in enumerate(d["comparison"]["group"]) if g.get("add_on")),
        background_groups=frozenset(i for i, g in enumerate(d["comparison"]["group"]) if g.get("background")),
        source=source,
    )


@functools.lru_cache(maxsize=8)
def load_lexicon(path: str | None = None) -> Lexicon:
    """Read and compile a lexicon TOML (the bundled one by default); cached per path."""
    p = pathlib.Path(path) if path else LEXICON_PATH
    with p.open("rb") as fh:
        data = tomllib.load(fh)
    return _build(data, str(p))
