"""A small learned reader on top of the rules: is a sentence a claim about the intervention, and is it flagged?

The rules in ``detect`` and ``judge`` were written on a few dozen texts and miss or over-read sentences in
texts they were not written on.  This module scores each sentence with a multinomial logistic model over
three classes - ``none`` (not a claim), ``ok`` (a claim the evidence supports) and ``flag`` (overstated,
understated, unsupported or contradicted) - from features that name no topic: what the rules read (agent,
targets, certainty cue, negation, reported finding, verdict ...) and the sentence's form (a heading, a list
item, a question, a pronoun or the intervention at its head, hedges, words about studies, length), plus the
common words of the tuning texts that occur in texts of more than one topic.

The weights are fitted on the labelled tuning texts only (``scripts/fit_claims_model.py``, which writes
``lexicon/learned_model.json`` and reports the figures of a cross-validation across texts).  ``revise``
applies the model: it changes the rules' verdict only when the model is confident (its margin) and says so
in the explanation, with the probabilities.  No numpy at run time: the model is a dot product over a dict.
``check(..., learned=True)`` and ``scripts/claims_eval.py --learned`` turn it on; it is off by default.
"""
from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import re
from functools import lru_cache
from typing import Any

from .detect import ITV, Assertion, _mask
from .terms import Lexicon

__all__ = ["CLASSES", "features", "words", "Model", "load_model", "group_of"]

CLASSES = ("none", "ok", "flag")
_FLAGS = frozenset({"overstated", "understated", "unsupported", "contradicted"})
MODEL_PATH = pathlib.Path(__file__).with_name("lexicon") / "learned_model.json"


def group_of(verdict: str) -> str:
    """The model's class of a checker verdict."""
    return "none" if verdict == "not_a_claim" else "flag" if verdict in _FLAGS else "ok"


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_HEDGE = re.compile(r"(?i)\b(may|might|could|can|possibly|perhaps|appears?|seems?|suggests?|likely|probably|"
                    r"believed|thought|theory|potential(ly)?)\b")
_STUDY = re.compile(r"(?i)\b(stud(y|ies)|trials?|review|meta-?analys[ie]s|research|evidence|rct|participants|"
                    r"randomi[sz]ed|cochrane|found|showed|reported)\b")
_NUMBER = re.compile(r"\d")
_PERCENT = re.compile(r"%|\bper\s*cent\b|\bpercent\b")
_YOU = re.compile(r"(?i)\b(you|your|you're|yourself)\b")
_FIRST = re.compile(r"(?i)\b(we|our|us|i|my)\b")
_PRONOUN_HEAD = re.compile(r"(?i)^\W*(it|this|these|they|that)\b")
_NEG = re.compile(r"(?i)\b(no|not|never|n't|none|neither|nor|without|cannot)\b")
_COMPARE = re.compile(r"(?i)\b(than|compared|versus|vs|sham|placebo|control)\b")
_SAFETY = re.compile(r"(?i)\b(side[- ]effects?|adverse|risks?|safe(ty|ly)?|complications?|reactions?|sore(ness)?|"
                     r"bruis\w*|bleed\w*|infection)\b")


def words(text: str, lex: Lexicon) -> list[str]:
    """The lower-cased words of ``text`` with each mention of the intervention replaced by ``itvx``."""
    return _WORD.findall(_mask(text, lex).lower())


def features(text: str, a: Assertion, verdict: str, lex: Lexicon, *, heading: bool = False,
             context: str = "", vocabulary: frozenset[str] = frozenset(), rules: bool = True) -> dict[str, float]:
    """Topic-free features of one sentence, its parse ``a`` and the rules' ``verdict`` (``rules=False``: the
    sentence's form and words only)."""
    f: dict[str, float] = {"bias": 1.0}
    if rules:
        f[f"rule={group_of(verdict)}"] = 1.0
        f[f"verdict={verdict}"] = 1.0
    m = _mask(text, lex)
    ws = _WORD.findall(m.lower())
    n = len(ws)
    f["log_words"] = math.log1p(n)
    f["short"] = float(n <= 6)
    if heading:
        f["heading"] = 1.0
    if context:
        f["list_item"] = 1.0
    s = text.strip()
    if s.endswith("?"):
        f["question"] = 1.0
    if s.endswith(":"):
        f["lead_in"] = 1.0
    if not s.endswith((".", "!", "?", ":", ")", '"', "\u201d")):
        f["no_end_punct"] = 1.0
    if ITV in m:
        f["names_itv"] = 1.0
        if m.lstrip().startswith(ITV) or re.match(r"(?i)\W*(the\s+)?" + ITV, m):
            f["itv_head"] = 1.0
    if _PRONOUN_HEAD.search(m):
        f["pronoun_head"] = 1.0
    for name, pat in (("hedge", _HEDGE), ("study", _STUDY), ("number", _NUMBER), ("percent", _PERCENT),
                      ("you", _YOU), ("first_person", _FIRST), ("neg", _NEG), ("compare", _COMPARE),
                      ("safety_word", _SAFETY)):
        if pat.search(m):
            f[name] = 1.0
    for w in set(ws) & vocabulary:
        f[f"w={w}"] = 1.0
    if not rules:
        return f
    # what the rules read
    if a.is_claim:
        f["a_claim"] = 1.0
        f[f"a_cert={a.certainty}"] = 1.0
    elif a.reason:
        f[f"a_reason={a.reason[:40]}"] = 1.0
    for name, on in (("a_agent", a.agent), ("a_mentions", a.mentions_intervention), ("a_outcomes", bool(a.outcomes)),
                     ("a_mechanisms", bool(a.mechanisms)), ("a_general", a.general), ("a_foreign", bool(a.foreign)),
                     ("a_reported", a.reported), ("a_negated", a.negated), ("a_absent", a.absent),
                     ("a_attributed", a.attributed), ("a_mech_general", a.mechanism_general),
                     ("a_inferior", a.inferior), ("a_subgroups", bool(a.subgroups)), ("a_modifier", bool(a.modifier)),
                     ("a_size", a.size is not None), ("a_timeframes", bool(a.timeframes)),
                     ("a_universal", a.universal_cue is not None), ("a_comparators", bool(a.comparators)),
                     ("a_harm", bool(a.harm))):
        if on:
            f[name] = 1.0
    if a.safety is not None:
        f[f"a_safety={a.safety}"] = 1.0
    return f


@dataclasses.dataclass(frozen=True, slots=True)
class Model:
    """A multinomial logistic model: one weight dict per class, the vocabulary and how it was fitted."""

    weights: dict[str, dict[str, float]]
    vocabulary: frozenset[str]
    margin: float
    meta: dict[str, Any]
    #: what the model may change: "to_none" (a claim the rules read is none), "from_none" (a claim the rules
    #: missed, judged as a general claim), "none_to_flag" (a missed claim the model reads as flagged: unsupported),
    #: "ok_to_flag" (a supported claim the model reads as flagged: unsupported), "flag_to_ok" (a flag the model
    #: reads as a supported claim: consistent)
    actions: frozenset[str] = frozenset({"to_none", "from_none"})

    def probabilities(self, feats: dict[str, float]) -> dict[str, float]:
        z = {c: sum(self.weights[c].get(k, 0.0) * v for k, v in feats.items()) for c in CLASSES}
        top = max(z.values())
        e = {c: math.exp(v - top) for c, v in z.items()}
        s = sum(e.values())
        return {c: v / s for c, v in e.items()}


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model | None:
    """The stored model (``lexicon/learned_model.json``), or None when there is none."""
    p = pathlib.Path(path) if path else MODEL_PATH
    if not p.is_file():
        return None
    d = json.loads(p.read_text(encoding="utf-8"))
    return Model({c: dict(d["weights"][c]) for c in CLASSES}, frozenset(d["vocabulary"]), float(d["margin"]),
                 dict(d.get("meta", {})), frozenset(d.get("actions", ("to_none", "from_none"))))


def _pct(p: float) -> str:
    return f"{round(100 * p)}%"


def revise(model: Model, probs: dict[str, float], a: Assertion, j: Any, ev: Any, lex: Lexicon) -> Any:
    """The rules' judgement ``j``, changed where the model disagrees with it by at least ``model.margin``.

    * The model reads no claim: not_a_claim.
    * The model reads a claim the rules did not: the sentence is judged as a general claim about the
      intervention (its verdict from the evidence, as for "it works"); when that finds nothing, it stays
      not_a_claim.
    * A flag the model reads as a supported claim (only when the stored model allows ``flag_to_ok``): consistent,
      with the rules' reasons for the flag kept in the explanation.
    * A claim the rules found supported, or no claim, that the model reads as flagged (``ok_to_flag``,
      ``none_to_flag``): unsupported, "read as claiming more than the evidence matched supports", with the rules'
      reasons kept.
    """
    from .judge import Judgement, judge

    rule = group_of(j.verdict)
    best = max(CLASSES, key=probs.__getitem__)
    if best == rule or probs[best] - probs[rule] < model.margin:
        return j
    note = (f"learned reader: {_pct(probs['none'])} not a claim, {_pct(probs['ok'])} supported claim, "
            f"{_pct(probs['flag'])} flagged claim")
    if best == "none":
        if "to_none" not in model.actions:
            return j
        return Judgement("not_a_claim", explanation=(f"read as no claim about the intervention ({note}); the rules "
                                                     f"read it as {j.verdict.replace('_', ' ')}",))
    if best == "flag" and rule == "ok" and "ok_to_flag" in model.actions:
        return Judgement("unsupported", evidence=j.evidence,
                         explanation=(f"read as claiming more than the evidence matched supports ({note}); the rules "
                                      "found it consistent:", *j.explanation))
    if best == "flag" and rule == "none" and "none_to_flag" in model.actions:
        return Judgement("unsupported", explanation=(f"read as a claim about the intervention that the evidence does "
                                                     f"not support ({note}); the rules found no claim "
                                                     f"({a.reason or 'no assertion'})",))
    if rule == "flag" and best == "ok" and "flag_to_ok" in model.actions:
        return Judgement("consistent", evidence=j.evidence,
                         explanation=(f"read as a claim the evidence supports ({note}); the rules flagged it as "
                                      f"{j.verdict}:", *j.explanation))
    if rule != "none" or "from_none" not in model.actions:
        return j
    forced = dataclasses.replace(a, is_claim=True, general=True, agent=True, reason="")
    j2 = judge(forced, ev, lex)
    if j2.verdict == "not_a_claim":
        return j
    return dataclasses.replace(j2, explanation=(f"read as a claim about the intervention ({note}); the rules found "
                                                f"no claim ({a.reason or 'no assertion'})", *j2.explanation))
