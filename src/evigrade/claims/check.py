"""``check(text, evidence) -> ClaimsReport`` and ``read_text_file(path)`` with its input checks."""
from __future__ import annotations

import dataclasses
import pathlib
import re
from dataclasses import dataclass
from typing import Any

from .._format import fmt_fixed
from ..errors import InputError
from ..results import Note, attrs_dict, jsonable
from .detect import ITV, Assertion, analyse, restated
from .evidence import Evidence, default_evidence
from .judge import VERDICTS, Judgement, judge
from .learned import features, load_model, revise
from .reliability import Reliability, load_reliability
from .terms import TermSet, load_lexicon
from .text import Sentence, split_sentences

__all__ = ["ClaimVerdict", "ClaimsReport", "check", "judged_sentences", "read_text_file", "MAX_BYTES"]

#: Largest text file check-claims reads: 6 MB (about 900,000 words).  Measured on the shared
#: 2-core machine (python scripts/claims_eval.py is unrelated; see tests/cli/test_check_claims_cli.py
#: ::test_five_megabyte_text): a generated 5 MiB text of ~88,000 sentences is checked in about 18 s
#: and rendered as JSON in about 8 s (text and HTML in under 2 s), using about 1 GB of memory.
#: Larger files are refused with a message that states the limit and how to split the file.
MAX_BYTES = 6_000_000


@dataclass(frozen=True, slots=True)
class ClaimVerdict:
    """The verdict on one sentence.

    ``aspects`` lists what is overstated (certainty, size, time_frame, universality) when the verdict
    is overstated (or another part of the sentence is), and what is understated (certainty, size)
    when the verdict is understated.  ``evidence`` holds the finding, mechanism or safety profile
    used (with certainty and source); ``explanation`` the rules that fired; ``rewording`` an honest
    sentence in GRADE's wording (GRADE's own statement for the finding when there is one).
    """

    sentence: str
    line: int
    verdict: str
    aspects: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...]
    rewording: str | None
    explanation: tuple[str, ...]
    asserted: Assertion | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "sentence": self.sentence,
            "line": self.line,
            "verdict": self.verdict,
            "aspects": list(self.aspects),
            "evidence": list(self.evidence),
            "rewording": self.rewording,
            "explanation": list(self.explanation),
            "asserted": None if self.asserted is None or not self.asserted.is_claim else self.asserted.to_dict(),
        })


@dataclass(frozen=True, slots=True)
class ClaimsReport:
    """Verdicts for every sentence of a text, with where the evidence came from."""

    claims: tuple[ClaimVerdict, ...]
    source: str | None
    evidence_origin: str
    intervention: str
    notes: tuple[Note, ...] = ()
    #: the checker's own measured accuracy on held-out real texts (claims.reliability), said with every report
    reliability: Reliability | None = None

    @property
    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for c in self.claims:
            out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        out = {**attrs_dict(self, "source", "intervention", "evidence_origin", "counts"),
               "claims": [c.to_dict() for c in self.claims], "notes": [n.to_dict() for n in self.notes]}
        if self.reliability is not None:
            out["reliability"] = {**self.reliability.to_dict(), "sentence": self.reliability.sentence()}
        return out


#: (id of the evidence, lexicon path) -> (the evidence, its lexicon): building one compiles about a hundred
#: patterns (about half a second), which every ``check`` of a text against the same evidence would repeat
_LEXICON_CACHE: dict[tuple[int, str | None], tuple[Evidence, Any]] = {}


def lexicon_for(ev: Evidence, lexicon_path: str | None = None):
    """The lexicon plus the evidence's own outcomes (names and pack synonyms) as extra concepts."""
    key = (id(ev), lexicon_path)
    hit = _LEXICON_CACHE.get(key)
    if hit is not None and hit[0] is ev:  # (the id of a freed evidence object may be reused)
        return hit[1]
    lex = _lexicon_for(ev, lexicon_path)
    if len(_LEXICON_CACHE) > 16:
        _LEXICON_CACHE.clear()
    _LEXICON_CACHE[key] = (ev, lex)
    return lex


def _lexicon_for(ev: Evidence, lexicon_path: str | None):
    lex = load_lexicon(lexicon_path)
    seen: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
    for f in ev.findings:
        if f.outcome not in seen:
            seen[f.outcome] = (f.outcome, f.outcome_name, f.synonyms, f.benefit)
    lex = (lex.with_topic(ev.names).with_pack_outcomes(seen.values())
           .with_evidence_mechanisms((m.name, m.synonyms) for m in ev.mechanisms))
    # a word the lexicon keeps for outcomes outside a pack ("depression") is inside this one when the pack's own
    # outcome families name it (the condition its findings are about): "SSRIs help depression" is a general claim
    families = " ; ".join(sorted({f.family for f in ev.findings if f.family}))
    own = [t for t in lex.unsupported_outcomes.terms if families and TermSet.of([t]).search(families)]
    if own:
        lex = dataclasses.replace(lex, unsupported_outcomes=TermSet.of(
            [t for t in lex.unsupported_outcomes.terms if t not in own]))
    return lex


#: "SSRIs are a class of antidepressants", "the vaccine is a live vaccine", "X is a technique that ...": the text
#: says what kind of thing the intervention is (the noun after up to three words of description)
_IS_A = re.compile(r"(?i)\b" + ITV + r"\s+(?:is|are)\s+(?:(?:a|an|the|one\s+of\s+the)\s+)?(?:(?:type|kind|class|"
                   r"form|group|family|sort)\s+of\s+)?(?:[\w-]+\s+){0,3}?(?P<noun>[a-z]{5,}?)(?P<pl>e?s)?(?=\s+(?:that|"
                   r"which|used|given|for|to|where|in|made|containing|with)\b|\s*[,.;:(])")
#: nouns too general to stand for the intervention on their own ("a way", "an option")
_NOT_A_CLASS = frozenset("""thing option choice method process example alternative group number part
    range variety option possibility substance chemical product person problem condition disease infection""".split())


def with_text_classes(lex: Any, text: str) -> Any:
    """A copy of ``lex`` that also finds the intervention by the class noun a text gives it ("SSRIs are a type of
    antidepressant" makes "the antidepressants", "this antidepressant" and "these antidepressants" stand for it
    in the rest of the text), with a determiner only (a bare class noun may mean other members of the class)."""
    from .detect import _mask

    nouns = set()
    for line in text.splitlines():
        if "is" not in line and "are" not in line:
            continue
        for m in _IS_A.finditer(_mask(line, lex)):
            n = m.group("noun").lower()
            if n not in _NOT_A_CLASS and not lex.intervention.find(n):
                nouns.add(n)
    if not nouns:
        return lex
    terms = [f"{d} {n}{s}" for n in sorted(nouns) for d, s in (("the", ""), ("this", ""), ("the", "s"), ("these", "s"))]
    return dataclasses.replace(lex, intervention=TermSet.of([*lex.intervention.terms, *terms]))


def judged_sentences(text: str, ev: Evidence, lex: Any) -> list[tuple[Sentence, Assertion, Judgement]]:
    """Each sentence of ``text`` with its parse and the rules' judgement (no learned reader)."""
    out = []
    # what a pronoun ("it", "this") or an effect noun ("the benefits") can stand for: the intervention when the
    # current heading or one of the two units before names it (or had it as a resolved agent); ``topic``: the
    # text has named it before
    heading_names, recent, topic = False, [True, True], False
    previous: Assertion | None = None  # the last unit's assertion ("... revealed similar findings" restates it)
    for s in split_sentences(text):
        antecedent = heading_names or any(recent[-2:])
        a = analyse(s.text, lex, s.context, s.heading, antecedent=antecedent, topic=topic)
        if not a.is_claim and not s.heading and previous is not None:
            a = restated(previous, s.text) or a
        previous = a
        names = bool(lex.intervention.find(s.text)) or bool(s.context and lex.intervention.find(s.context))
        if s.heading:
            heading_names = names
        recent.append(names or a.agent)
        topic = topic or names
        out.append((s, a, judge(a, ev, lex)))
    return out


def check(text: str, evidence: Evidence | None = None, *, source: str | None = None,
          lexicon_path: str | None = None, learned: bool = False) -> ClaimsReport:
    """Split ``text`` (Markdown or plain) into sentences and judge each against ``evidence``.

    ``evidence`` defaults to ``default_evidence()`` (the bundled pack, summarised and graded on
    each call, about two seconds): pass it explicitly when checking many texts.  ``learned=True`` lets the
    learned reader (``claims.learned``, fitted on labelled tuning texts) overrule the rules where it is
    confident; it is off by default: it raises the figures on texts the rules were not written on but
    overrules verdicts the rules' tests pin (see the README's claims figures).
    """
    if not isinstance(text, str):
        raise InputError("text must be a str", value=type(text).__name__, fix="decode the file as UTF-8 first")
    ev = default_evidence() if evidence is None else evidence
    lex = with_text_classes(lexicon_for(ev, lexicon_path).with_text_acronyms(text), text)
    model = load_model() if learned else None
    verdicts = []
    for s, a, j in judged_sentences(text, ev, lex):
        if model is not None:
            feats = features(s.text, a, j.verdict, lex, heading=s.heading, context=s.context,
                             vocabulary=model.vocabulary)
            j = revise(model, model.probabilities(feats), a, j, ev, lex)
        verdicts.append(ClaimVerdict(s.text, s.line, j.verdict, j.aspects, j.evidence, j.rewording,
                                     j.explanation, a))
    notes = list(ev.notes)
    if not verdicts:
        notes.append(Note("claims_no_sentences", "The text contains no sentences to check."))
    return ClaimsReport(tuple(verdicts), source, ev.origin, ev.intervention, tuple(notes), load_reliability())


def _size(n: int) -> str:
    return f"{fmt_fixed(n / 1e6, 1)} MB" if n >= 1_000_000 else f"{fmt_fixed(n / 1e3, 0)} kB"


def read_text_file(path: str | pathlib.Path, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 text/Markdown file, refusing missing, empty, binary, non-UTF-8 and oversized files."""
    p = pathlib.Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("file not found", file=name, fix="give the path of a text or Markdown file")
    if p.is_dir():
        raise InputError("is a folder, not a text file", file=name, fix="give the path of a text or Markdown file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"file is too large to check ({_size(size)}; the limit is {_size(max_bytes)})",
                         file=name, fix="split the text into files under the limit and check each one")
    from .._io import read_bytes_limited  # (robust, issue 19: /dev/zero has size 0 and no end)

    def refuse_binary(head: bytes) -> None:  # on the first megabyte, before the rest is read
        if b"\x00" in head[:8192]:
            raise InputError("looks like a binary file (it contains NUL bytes), not text", file=name,
                             fix="save the text as plain UTF-8 text or Markdown")

    data = read_bytes_limited(p, name=name, limit=max_bytes, check_start=refuse_binary)
    if not data.strip():
        raise InputError("file is empty", file=name, fix="give a file that contains the text to check")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line})", file=name,
                         fix="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    return text
