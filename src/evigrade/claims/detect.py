"""What a sentence claims: its targets (outcomes, mechanisms, safety, the treatment in general) and
what it asserts about them (certainty, size, time frame, universality, negation, direction,
comparator).

Rules, in order (each verdict's explanation lists the cues that fired):

* Questions and calls to action are not claims.
* Outcome, mechanism and safety-event mentions are found together, longest match first, so
  "pressure pain threshold" is not also "pain" and "pain after treatment" is a safety event (but
  "less pain after treatment" is an outcome).  The pack's own outcome names and synonyms are
  found too; they lose ties to the lexicon's outcome and mechanism terms.
* An outcome mention is a claim only with an effect word ("reduces", "relief", "improves" ...),
  a size, time-frame or certainty cue, or a negation.  A mechanism mention is a claim with an
  effect word or a strong cue; a lay metaphor ("flushes toxins") is a claim whenever the treatment
  is named.  A sentence naming the treatment with an efficacy word ("works", "effective") or an
  uncertainty cue but no outcome is a general claim.
* Projected certainty: an explicit GRADE level ("moderate-certainty evidence") wins; then a strong
  cue (proven, guaranteed, definitely, always, cures ...) -> high; otherwise the most hedged cue
  present (very low: "evidence is limited", "uncertain", "sparse", "is thought to"; low: "may",
  "can", "appears", "some trials suggest"; moderate: "probably", "likely"); otherwise a plain
  assertion, which GRADE's wording reads as high ("reduces").  A sentence that reports what a
  study found ("a review of 28 trials found that ...") projects no certainty of its own.
* Size: the largest size cue (complete: eliminates, cures, pain-free; large: dramatic, huge;
  moderate: significant, meaningful; small: slight, modest; trivial: little or no difference).
* Time frame: every bucket named (immediate, short, mid, long/lasting/permanent/cures).
* Negation is looked for after the size, safety, certainty and time-frame phrases are removed
  (so "no more pain", "no side effects" and "no doubt" are not negations); a negation only in a
  clause before "but"/"however" leaves the clause after it as the assertion; "not everyone" is a
  hedge, not a denial.
* Direction: "reduces range of motion", "lowers pressure pain thresholds" or "increases pain" say
  the outcome gets worse (lower stiffness and tenderness are better); a temporary or hedged
  increase in pain is read as an adverse event (soreness after treatment).
* Found while tuning on the real-text set (tests/claims/test_claims_tuning.py has one test each):
  the reader's situation ("many people discover X, what it is ...") is not a claim; a mechanism
  the evidence does not hold is no claim without the intervention; the condition as a cause
  ("caused by TB", "the bacterium that causes TB") is not an effect target; "sore muscles" names
  the condition, not an adverse event; each outcome takes the GRADE level stated nearest before
  it, and a stated range ("moderate- to low-quality") keeps its top; "significantly" in a
  reported result is statistical; "no more effective than" denies a difference; "does not work
  that well" claims a small effect; an effect that "varies widely" reads as very uncertain;
  "not to be confused with X," is an aside; "the injection site" is a place, not a treatment.
* Generic structure (claims16, replacing phrase patches): a leading pronoun is the intervention's agent
  only when the heading or one of the two units before names it (``check`` passes ``antecedent``); in
  a text that has named it (``topic``), an effect noun as subject ("the benefits", "the effects on
  pain", "improvements in function"), a change named as a noun phrase ("results in reduced pain")
  or a statement on "the evidence/research" makes the sentence
  about it (``agent`` stays False: its plain wording is not read as certainty); absence of evidence
  ("no good evidence", "unproven", "pseudoscience", "lacks scientific support") is its own claim
  (``absent``), unlike a denial of the effect ("it does not work"); an effect said to fade denies a
  lasting effect; "works by ..." states how it works; a treatment named as what something is compared
  with or added to does not make the sentence about that treatment; a small/moderate/large size word
  counts only next to an effect or outcome word; how long people have had the condition is no
  claimed time frame; an event word that defines the condition ("TB, an infection") is no adverse
  event; both sexes named is no subgroup; a lead-in ending in ":" is judged with its items; "...
  revealed similar findings" restates the effect claim of the unit before (``restated``).
* Second round (claims16, generic structure): the intervention or its pronoun as agent of an outcome verb whose
  object the lexicon does not know ("it relieves tight hamstrings", "they will not shorten your illness") is a
  claim on something the evidence may not hold; an item of a list under a side-effects heading names an adverse
  event; a pronoun heading a reported clause ("research suggests it may ...") is the agent; a cause that
  qualifies the target ("headaches linked to tension") is no aetiology; "in trials, ..." reports a finding; an
  effect compared with a comparator ("more people improved on X than on placebo") is a general claim.
* Third round (claims16b, from set 3's errors grouped by cause; tests/claims/test_claims_general.py has one test
  each). Structure: an auxiliary before its subject is a question (also without its mark), and so is a unit ending
  in "?" before a closing quote; an infinitive of purpose opening the unit or a study's "whether" question states
  an aim; keywords are page furniture; "this"/"these" before a noun is a determiner, not the intervention; the
  condition as subject describes it; a list under a lead-in sentence naming neither the intervention nor its
  effects or harms lists something else; "found 14 studies" counts studies; "'s recommended for", "popular for"
  say what it is used for; what it "involves" describes it; a mechanism named after an aetiology cue is what the
  condition comes from.  Safety: "not uncommon" is frequent; a severity word ("severe", "prolonged", "requiring
  medical attention") makes an event serious; "without complications" denies complications, not the event; a risk
  subgroup or "varies depending on" is a modifier; "side effects include ..." and items under a harms heading name
  events; "more side effects with X than with Y" is a comparison; a serious event named as a cause is no event.
  Reading: "except X" scopes a denial (the rest is denied); "potential side effects" hedges only the harms; an
  estimate with its interval or a past outcome ("led to a small reduction") reports a result; "aids in",
  "is protective against" take an object; "they" after the named intervention is a general claim's agent; the
  size of an effect noun is a claim in a text about it; "no systematic reviews", "we do not know whether" say the
  evidence is absent; a change noun before the outcome ("higher level of change in pain") carries the direction
  words; a person told what to do ("the provider should apply pressure") is advice; a present passive of
  observation ("is noticed") reports a finding.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from .terms import Lexicon, TermSet

__all__ = ["Assertion", "analyse", "restated"]

_CERT_RANK = {"very_low": 0, "low": 1, "moderate": 2, "high": 3}
_SIZE_RANK = {"trivial": 0, "small": 1, "moderate": 2, "large": 3, "complete": 4}
_TF_ORDER = ("immediate", "short", "mid", "long")
TF_TO_BUCKET = {"immediate": "immediate", "short": "short_term", "mid": "mid_term", "long": "long_term"}


@dataclass(frozen=True, slots=True)
class Assertion:
    """The parsed content of one sentence."""

    text: str
    is_claim: bool
    outcomes: tuple[str, ...] = ()          # outcome concept ids
    outcome_terms: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()           # outcomes/conditions/regions outside the pack
    mechanisms: tuple[str, ...] = ()        # mechanism concept ids
    mechanism_terms: tuple[str, ...] = ()
    safety: str | None = None               # absolute | danger | general | event
    safety_detail: dict[str, Any] = field(default_factory=dict)
    general: bool = False
    mentions_intervention: bool = False
    certainty: str = "high"
    certainty_cue: str | None = None
    size: str | None = None
    size_cue: str | None = None
    timeframes: tuple[str, ...] = ()        # bucket ids
    timeframe_cues: tuple[str, ...] = ()
    universal_cue: str | None = None
    negated: bool = False
    negation_cue: str | None = None
    comparators: tuple[int, ...] = ()       # indexes into Lexicon.comparisons
    comparator_terms: tuple[str, ...] = ()
    regions: tuple[int, ...] = ()          # indexes into Lexicon.region_groups (body regions named)
    harm: tuple[str, ...] = ()              # outcome concepts the sentence says get worse
    reported: bool = False                  # reports what a study found ("a review found that ...")
    reason: str = ""
    mechanism_general: bool = False         # about how the treatment works in general ("how it works is unknown")
    inferior: bool = False                  # the comparator does better ("reduces pain less than injection")
    attributed: bool = False                # the hedge attributes it to studies or theory ("some studies suggest")
    subgroups: tuple[str, ...] = ()         # population subgroups named ("in children", "patients over 40")
    modifier: str | None = None             # a claim about what modifies the effect ("efficacy varied with ...")
    certainty_top: str | None = None        # the upper end of a stated range of levels ("moderate- to low-quality")
    #: (outcome, level, cue, top) when the sentence states a level for each outcome ("moderate-quality evidence
    #: that it reduces pain and low-quality evidence that it improves disability")
    outcome_certainty: tuple[tuple[str, str, str, str | None], ...] = ()
    #: the intervention (its name, a generic noun or a pronoun that resolves to it), a treatment context ("patients
    #: see ... after two sessions") or a strong cue makes the sentence about the intervention; False when only an
    #: effect noun in a text about it does ("the benefits fade within months")
    agent: bool = False
    #: the sentence says there is no evidence or proof, or calls the treatment pseudoscience ("there is no evidence
    #: that it works", "unproven"): an absence claim, judged against the best evidence
    absent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcomes": list(self.outcomes), "mechanisms": list(self.mechanisms), "safety": self.safety,
            "general": self.general, "foreign": list(self.foreign),
            "certainty": self.certainty if self.is_claim else None, "certainty_cue": self.certainty_cue,
            "size": self.size, "size_cue": self.size_cue, "timeframes": list(self.timeframes),
            "timeframe_cues": list(self.timeframe_cues), "universal_cue": self.universal_cue,
            "negated": self.negated, "negation_cue": self.negation_cue,
            "comparators": list(self.comparator_terms), "worse": list(self.harm), "reported": self.reported,
            "mechanism_general": self.mechanism_general, "inferior": self.inferior, "attributed": self.attributed,
        }


#: Each mention of the intervention (by the pack's names or a generic reference) is replaced by this token
#: before the patterns below are matched, so that they name no treatment of their own (``_mask``).
ITV = "ITVX"

#: The treatment does less than its comparator: "reduces pain less than an injection",
#: "is less effective than", "not as effective as", "inferior to" (but "less pain than sham" is a benefit).
_INFERIOR = re.compile(r"(?i)\b((reduces?|relieves?|improves?|helps?|eases?|increases?)\b[^.;]{0,40}?(?<!no )\bless\s+than|"
                       r"(less|not\s+as)\s+(effective|helpful|useful|beneficial|good|efficacious)\s+(than|as)|"
                       r"inferior\s+to|smaller\s+(effect|benefit|improvement|reduction)s?\s+than|"
                       r"(did|does|do|performs?|performed)\s+(less\s+well|worse)\s+than|"
                       # the comparator as the subject: "injection relieves pain better than <the intervention>"
                       r"(better|more\s+(effective|helpful|useful)|superior)\s+(than|to)\s+" + ITV + r")")

#: "It works by ...", "acts by ...", "works through ...": the sentence states how the treatment works.
_WORKS_BY_WORDS = r"(" + ITV + r"|it|this|they)\s+(\w+\s+)?(works?|acts?|functions?|operates?)\s+(by|through|via)\b"
_WORKS_BY = re.compile(r"(?i)\b" + _WORKS_BY_WORDS)
#: A sentence about how the treatment works in general (not one named mechanism) ...
_MECH_GENERAL = re.compile(r"(?i)\b(" + _WORKS_BY_WORDS
                           + r"|how\s+(" + ITV + r"|it|this|the\s+(treatment|technique|therapy|method|procedure))\s+"
                           r"(really\s+|actually\s+|exactly\s+)?(works?|acts?|helps?|relieves\s+pain)|why\s+(" + ITV
                           + r"|it)\s+works?|mechanisms?\s+(of\s+action|behind|of\s+(" + ITV + r")|of\s+(the\s+)?"
                           r"(treatment|technique|it))|(its|the)\s+mechanisms?\b|mode\s+of\s+action)")
#: ... and what it says about that knowledge.
_MECH_DOUBT = re.compile(r"(?i)\b(not\s+(yet\s+|fully\s+|well\s+|clearly\s+|been\s+|completely\s+|entirely\s+)*"
                         r"(understood|known|established|clear|proven|explained|settled)|(only\s+)?(partly|partially|"
                         r"incompletely)\s+(understood|known|explained)|unproven|unknown|unclear|uncertain|mystery|debated|debate|"
                         r"remains?\s+(to\s+be|unclear|uncertain|debated)|poorly\s+understood|little\s+is\s+known)")
_MECH_SURE = re.compile(r"(?i)\b(we\s+(now\s+)?know|(well|fully|clearly)\s+(understood|established|explained)|"
                        r"is\s+(now\s+)?(clear|known|understood|established)|proven|proved|shown|explained|established|"
                        r"science\s+(shows|proves)|research\s+shows)")

_REDUCE_BEFORE = re.compile(r"(?i)\b(less|reduc\w*|reliev\w*|lower\w*|fewer|eas\w*|improv\w*|no more|against|"
                            r"protect\w*|prevent\w*|"
                            r"decreas\w*|free of|rid of)\W+(\w+\W+)?$")


_SAFETY_COMPARATIVE = re.compile(r"(?i)\b(safer|less risky|riskier|more dangerous|less dangerous|fewer side effects|"
                                 r"more side effects|(higher|lower|greater|smaller|more|less) risk( of [\w-]+)?)\s+than\b|"
                                 # "more adverse effects with X than with Y", "more common with X than Y"
                                 r"\b(more|fewer|less)\s+(\w+\s+)?(side[\s-]+effects?|adverse\s+(effects?|events?|reactions?)|"
                                 r"complications?|common|frequent|likely)\s+(with|in|among|on|for)\s+[^.;]{1,40}?\bthan\b")
#: "Moderate-certainty evidence", "low-quality evidence": an explicit GRADE level beats other cues.
_EXPLICIT_CERTAINTY = re.compile(r"(?i)\b(very[\s-]+low|low|moderate|high|strong|weak)[\s-]+(certainty|quality|"
                                 r"evidence|level evidence)\b")
_EXPLICIT_LEVEL = {"very": "very_low", "low": "low", "weak": "low", "moderate": "moderate", "high": "high", "strong": "high"}
#: "Moderate- to low-quality evidence": a stated range of GRADE levels.
_EXPLICIT_RANGE = re.compile(r"(?i)\b(very[\s-]+low|low|moderate|high)[\s-]*(?:to|\u2013|-)\s*(very[\s-]+low|low|moderate|"
                             r"high)[\s-]+(certainty|quality|evidence|level evidence)\b")


def _level(word: str) -> str:
    return _EXPLICIT_LEVEL[word.lower().split()[0].split("-")[0]]


def _explicit_levels(t: str) -> list[tuple[int, int, str, str, str | None]]:
    """Every explicit GRADE level the sentence states, in order: (start, end, level, cue, top).  A range
    ("moderate- to low-quality") gives its lower level and, as ``top``, its upper one."""
    out: list[tuple[int, int, str, str, str | None]] = []
    for m in _EXPLICIT_RANGE.finditer(t):
        lo, hi = sorted((_level(m.group(1)), _level(m.group(2))), key=_CERT_RANK.__getitem__)
        out.append((m.start(), m.end(), lo, m.group(0), hi if hi != lo else None))
    for m in _EXPLICIT_CERTAINTY.finditer(t):
        if not any(a <= m.start() < b for a, b, *_ in out):
            out.append((m.start(), m.end(), _level(m.group(1)), m.group(0), None))
    return sorted(out)
#: "not a magic bullet", "not a cure": a hedge, not a denial of any effect.
_NOT_PANACEA = re.compile(r"(?i)\bnot\s+a\s+(magic bullet|miracle cure|miracle|cure-all|cure|panacea|quick fix)\b")
#: "not everyone", "might not help everyone": a statement that the effect is not universal.
_NOT_UNIVERSAL = re.compile(r"(?i)\b(not|n't|never)\s+(\w+\s+){0,2}(everyone|everybody|all|always|every\w*)\b")
#: "most patients experience no side effects": a majority qualifier turns "no X" into a frequency statement.
_MAJORITY = re.compile(r"(?i)\b(most|the majority of|many)\s+(\w+\s+)?(patients|people|clients|treatments|sessions)\b")
#: "A review of 28 trials found that ...": a sentence that reports what a study found.
_REPORTED = re.compile(r"(?i)^\s*(it|they|this|these)\s+(showed|found|reported|concluded|demonstrated)\b|"
                       r"\b(both|the|each|two)\s+groups?\b.*\b(showed|had|reported|improved)\b|\bthose\s+who\s+"
                       r"received\b|\b(were|was|is|are)\s+(only\s+)?(reported|observed|recorded|found|seen|noted|noticed|documented)\b|"
                       r"^\s*(results|conclusions?)\s*:|"
                       r"\b(a|one|the|this|that|our|recent|large|another|a new|new|several|many|most|some|all|two|three|\d+)\s+([\w-]+\s+){0,5}"
                       r"(reviews?|meta-analys[ie]s|trials?|stud(y|ies)|rcts?|surveys?|experiments?|analys[ie]s)\b.*\b(found|"
                       r"reported|showed|shown|concluded|observed|revealed|demonstrated|indicated|confirmed|documented|noted|"
                       r"points?\s+to|pointed\s+to|supports?\s+that|suggests?\s+that)\b|"
                       r"\bin (one|a|two|three|several|some|a few) ([\w-]+\s+)?(trial|study|rct)s?\b|"
                       r"^\s*in\s+((clinical|randomi[sz]ed|controlled|published|recent)\s+)*(trials|studies|rcts)\b|"
                       # an effect estimate with its interval ("a relative risk of 1.37 (95% CI, 1.21-1.55)") or a past
                       # outcome ("adding it led to a small reduction in pain"): what a study found
                       r"\b95\s*%\s*(CI|confidence\s+interval)|\b(relative\s+risk|risk\s+ratio|odds\s+ratio|hazard\s+ratio|"
                       r"mean\s+difference|number\s+needed\s+to\s+treat)\s+(\w+\s+){0,3}?(was|of|were)\s+(about\s+|around\s+)?\d|"
                       r"\b(led|resulted|yielded|produced)\s+(to|in)?\s*(an?\s+|no\s+)?([\w-]+\s+){0,2}(reductions?|improvements?|"
                       r"decreases?|increases?|benefits?|differences?|changes?|effects?)\b")


#: A hedge that attributes the claim to studies or to a theory ("as some studies suggest", "is thought to",
#: "the theory is that"): it describes evidence that is suggestive, not established.
_ATTRIBUTED = re.compile(r"(?i)\b((some|several|a few|a number of|recent|emerging|limited|preliminary|early|small)\s+"
                         r"(studies|research|trials|evidence|reviews|reports)\s+(suggests?|indicates?|shows?|found|reports?|"
                         r"supports?)|as\s+(some\s+)?(studies|research|trials)\s+(suggests?|indicates?|shows?)|"
                         r"(is|are)\s+(thought|believed|said|claimed|proposed|hypothesi[sz]ed)\s+to|the\s+theory|"
                         r"in\s+theory|theori[sz]ed|it\s+has\s+been\s+(suggested|proposed)|there\s+is\s+(also\s+)?some\s+"
                         r"evidence|some\s+evidence\s+(suggests?|indicates?))\b")

#: Words that make a sentence about harms ("side effects", "complications", "risk"): a serious-event word
#: alone ("the disease affects other organs", "it can become very serious") is not a safety claim.
_SAFETY_NOUN = re.compile(r"(?i)\b(side[- ]effects?|adverse|complications?|risks?|risky|danger\w*|harm\w*|safe\w*|"
                          r"injur\w*|reactions?|events?)\b")
#: A list under a lead-in about who should not have the intervention: contraindications, not claims.
_CONTRAINDICATION = re.compile(r"(?i)\b(should\s+not|shouldn't|must\s+not|cannot|can't|not\s+suitable|not\s+given|"
                               r"not\s+(be\s+)?(used|offered|performed)|not\s+recommended|who\s+(can|should|cannot)|avoid|unless|if\s+you('re|\s+are|\s+have))\b")

#: A population subgroup the claim is limited to ("in children", "in adulthood", "patients over 40 years old").
_SUBGROUP = re.compile(r"(?i)\b(in|for|among|protecting|protects?|of|to)\s+(\w+\s+){0,3}?(?P<g>babies|infants|newborns|"
                       r"children|kids|toddlers|adolescen\w*|teenagers|adults|adulthood|older\s+(people|adults|"
                       r"individuals|patients)|(the\s+)?elderly|pregnan\w+|(wo)?men)\b|\b(?P<g2>over|under|above|below)\s+"
                       r"\d+\s+years")
_ATTRIBUTION_CUE = re.compile(r"(?i)believed|thought|theor|propos|hypothes")

_CAUSE_BEFORE = re.compile(r"(?i)\b(caused\s+by|due\s+to|because\s+of|(that|which)\s+causes?|causes?\s+of|"
                           r"the\s+cause\s+of)\s+(\w+\s+){0,2}$")
_CAUSE_AFTER = re.compile(r"(?i)\s*(\([^)]*\)\s*)?(still\s+|also\s+|mainly\s+|often\s+)?(causes|caused|causing|kills|killed|"
                          r"leads\s+to|led\s+to)\b")
#: "people with", "patients suffering from": what follows names the population's condition
_POPULATION_BEFORE = re.compile(r"(?i)\b(people|patients|adults|children|individuals|those|persons|subjects|participants|"
                                r"clients|sufferers|someone|anyone|women|men)\s+(with|suffering\s+from|who\s+have|who\s+"
                                r"suffer\s+from|living\s+with)\s+([\w/-]+\s+){0,4}$")

#: Bylines and page furniture ("Written by ...", "Posted on 3 May 2024", "Medically reviewed by ...").
_BYLINE = re.compile(r"(?i)^\s*(by(?!\s+(\w+ing|the|a|an|this|these|their|its|our|your|using|means|far|now|then|"
                     r"contrast|comparison|doing|default|itself|themselves)\b)|written by|posted (by|on|in)|authou?r(ed)?( by)?|(medically |clinically )?reviewed by|"
                     r"fact[- ]checked|(last )?updated( on)?|published( on| by)?|share( this)?|tags?|categor(y|ies)|"
                     r"filed under|photo|image|credit|source|key\s*words?|abbreviations|doi|copyright)\b\s*:?|^\s*(\d{1,2}\s+)?(jan|feb|mar|apr|may|jun|jul|aug|"
                     r"sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\s*$|^\s*-\s+[A-Z]")
#: "does the treatment help back pain", "Is it safe": an auxiliary before its subject (the intervention, a pronoun or a
#: determiner) opens a question, also in a title written without its question mark
_QUESTION_ORDER = re.compile(r"(?i)^\W*(do|does|did|is|are|was|were|can|could|will|would|should|has|have|may|might)\s+"
                             r"(" + ITV + r"|it|they|this|these|you|i|we|there|the|a|an|any|all|such)\b")
#: Calls to action ("Book an appointment today", "Contact us to find out more").
_CTA = re.compile(r"(?i)^\s*(book|call|contact|visit|email|phone|ask|click|find out|learn more|read more|sign up|follow us|"
                  r"schedule|get in touch|request|try|don'?t wait|do not wait|make an appointment|talk to|speak (to|with)|"
                  r"reach out|get started|discover|enquire|inquire|come (in|and see)|let us|let'?s|give us a call|"
                  r"download|subscribe|register|join)\b|\b(call|contact|email|visit) us\b|"
                  r"\b(book|schedule) (an?|your) (appointment|session|consultation|assessment)\b")
#: How common a condition is ("one of the most common causes of disability", "affects millions").
_EPIDEMIOLOGY = re.compile(r"(?i)\b((one|some) of the (most common|leading|biggest|main)|most common (causes?|reasons?|"
                           r"complaints?|conditions?|problems?|types?)|leading causes?|(a|the) (common|frequent) (cause|"
                           r"complaint|condition|problem)|affects? (about|around|up to|over|nearly|almost|more than|one in|"
                           r"\d|millions|many|most)|prevalen\w*|incidence|(millions|thousands|billions) of (people|adults|"
                           r"individuals|workers)|at some (point|stage|time) in (their|our|your) li(fe|ves)|"
                           r"(rise|increase|surge|spike) in|on the rise|(is|are) (so |very |extremely |increasingly |"
                           r"really )?common (among|in|for|condition|problems?|complaints?)|no exception|"
                           r"(people|patients|adults|individuals|workers|those) (with|who have|suffering from)\b[^.]*\b"
                           r"(often|usually|commonly|typically|tend to|frequently) (have|experience|report|develop|suffer))")
#: Where a condition comes from ("due to head-down posture", "caused by muscle knots").
_AETIOLOGY = re.compile(r"(?i)\b(due to|caused by|causes?|causing|result(s|ed|ing)? (from|of)|stems? from|lead(s|ing)? "
                        r"to|contribut\w* to|because of|brought on by|risk factors?|associated with|"
                        r"linked (to|with)|develops? (from|when|after)|comes? from)\b")
#: What a study did, without what it found ("A 2019 trial randomised 60 patients to ...").
_STUDY_DID = re.compile(r"(?i)\b(we|stud(y|ies)|trials?|rcts?|reviews?|meta-analys[ie]s|researchers|investigators|authors|"
                        r"participants|subjects|volunteers)\b[^.]*?\b(randomi[sz]ed|recruited|enrolled|allocated|"
                        r"assigned|compared|measured|assessed|included|examined|investigated|looked at|evaluated|"
                        r"followed( up)?|received|underwent|were (treated|given|divided|split)|analy[sz]ed|pooled|"
                        r"searched|tested|explored|aimed to|set out to|involved|(have|has) been (conducted|done|"
                        r"published|carried out))\b")
_STUDY_RESULT = re.compile(r"(?i)\b(found|find|finds|showed?|shows|shown|reported?|concluded?|suggest\w*|demonstrat\w*|"
                           r"revealed?|observed?|indicat\w*|confirm\w*|than|no (effect|difference)|significant\w*|"
                           r"improv\w*|reduc\w*|less|more|better|worse|relie\w*|effective\w*|benefit\w*)\b")
#: "we found 14 studies", "identified 28 trials": what a search found (a count of studies), not what they found
_STUDIES_FOUND = re.compile(r"(?i)\b(found|identified|included|retrieved|located)\s+(\w+\s+){0,2}?(\d+|two|three|four|five|six|"
                            r"seven|eight|nine|ten|several|many|few)\s+([\w-]+\s+){0,2}(studies|trials|reviews|rcts|articles|"
                            r"papers|reports)\b")
#: Sentences that say what the intervention is for, who uses it, how it feels, or give advice: not claims.
_NOT_A_CLAIM = (
    (re.compile(r"(?i)\b(the\s+)?(goal|aim|purpose|objective|intention|idea)\s+(of|is|was|behind)\b|^\s*(objectives?|"
                r"purpose|aims?|background|methods?|design|setting|participants|introduction)\s*:"),
     "states an aim or describes a study, not an effect"),
    # "To assess the effects of ...", "To prevent childhood TB.": an infinitive of purpose opening the unit states an
    # aim (discourse infinitives - "to date", "to sum up" - excepted); "a trial examines whether X improves Y": the
    # question a study asks, not its answer
    (re.compile(r"(?i)^\W*to\s+(?!(date|sum\s+up|summari[sz]e|conclude|recap|be\s+(sure|fair|honest|clear)|put\s+it|this|that|"
                r"these|those|the|a|an|my|our|your|their|some|many|most|me|us|them|him|her|you|everyone|anyone)\b)"
                r"[a-z]+\b|\b(examin|investigat|assess|evaluat|test|explor|determin|ask|question|stud(y|ies|ied)|"
                r"looked\s+at|look(s|ing)?\s+at|wonder)\w*\s+(whether|if)\b"),
     "states an aim or a study's question, not an effect"),
    (re.compile(r"(?i)(\b(is|are|was|were|be|being|been)|['\u2019]s|['\u2019]re)\s+(\w+ly\s+|only\s+|also\s+|now\s+)?(used|designed|"
                r"intended|meant|recommended|indicated|offered|prescribed|performed|applied|administered|given|"
                r"delivered|aimed|targeted|directed)\s+(to|for|by|as|in|at)\b|\b(commonly|often|widely|increasingly|frequently)\s+(used|"
                r"recommended|prescribed|offered)\b|"
                r"\b(recommending|recommends?|gaining popularity|growing in popularity)\b|\bpopular\s+(for|as|with|among|in|"
                r"choice|treatment|option|remed\w+|medications?|therap\w+)\b|"
                r"\b(is|are|isn't|aren't)\s+(not\s+)?(\w+\s+)?suitable\s+for\b|"
                r"\bif\s+(\w+\s+){0,4}(is|are|were)\s+(found|shown|proven)\s+to\b|"
                r"\b(on\s+this\s+page|in\s+this\s+(article|post|blog|guide)|this\s+(article|post|page|blog|guide)\s+"
                r"(will|explains|covers|describes|looks\s+at))\b|"
                r"\b(a|an)\s+(\w+\s+){0,3}(technique|treatment|therapy|procedure|method|modality|approach|tool)\s+"
                r"(used|designed|involving|that involves|which involves|where|in which|that uses)\b|"
                r"\b(targets?|targeting|uses|(we|they|you|i|therapists|physiotherapists|practitioners|clinicians)\s+"
                r"(\w+\s+)?use|using|inserts?|inserted|insertion|involv\w+|aims?|aimed|seeks?|"
                r"designed|intended|applied)\b[^.;]{0,80}?\bto\s+(help|relieve|reduce|reduced|treat|improve|restore|release|"
                r"ease|decrease|increase|enhance|manage|address|alleviate|stimulate|promote|activate)\b"),
     "says what the intervention is for or who uses it, not what it does"),
    (re.compile(r"(?i)\b(may|can|could|might)\s+(also\s+)?be\s+(treated|managed|addressed|used|performed|done|given|"
                r"applied|combined|carried\s+out|delivered|administered|repeated)\b"),
     "says how something can be treated, not what the intervention does"),
    (re.compile(r"(?i)\bbased\s+on\s+the\s+(theory|idea|principle|concept|belief|premise)\b|\b(is|are)\s+based\s+on\b"),
     "states the theory the intervention is based on"),
    (re.compile(r"(?i)\b(feel|feels|felt|feeling|sensations?)\b[^.]{0,80}\b(jerk\w*|jump\w*|insertion|inserted|goes\s+in(to)?|"
                r"dull|heavy|prick\w*|like\s+a)\b|\b(upon|on|during|after)\s+insertion\b"),
     "describes a sensation during the procedure"),
    (re.compile(r"(?i)\byou('ll|\s+will)?\s+need\s+to\b|\b(happy|glad|here)\s+to\s+(help|answer|discuss|"
                r"assist)\b|\banswer\s+(your|any)\s+questions\b"),
     "advice or an invitation"),
)
#: The reader's situation: "many people discover <the intervention>, what it is and why it is beneficial", "you may
#: wonder if it hurts", "when searching for pain relief ..." (matched with the intervention masked as ``ITV``);
#: "patients discover that it relieves pain" and "patients discover relief" are claims.
_READER_SCENARIO = re.compile(r"(?i)\b(people|patients|you|readers|someone|many|most|clients)\s+(\w+\s+){0,4}?(discover|"
                              r"wonder|ask|hear\s+about|come\s+across|learn\s+about|find\s+out\s+about)\s+(" + ITV
                              + r"|if|whether|what|how|why|about)\b|^\s*when\s+(searching|looking)\s+for\b")
#: An effect named as a noun ("the benefits", "the effects on pain", "improvements in function"): in a text about
#: the intervention such a subject is the intervention's effect even when the sentence does not name it.
_EFFECT_NOUN = re.compile(r"(?i)\b(benefits?|(?<!side[\s-])(?<!adverse\s)effects?|improvements?|efficacy|effectiveness|protection|relief|"
                          r"(treatment|clinical)\s+(results?|responses?|outcomes?)|results?\s+(of|from|with)\s+(the\s+)?"
                          r"(treatment|therapy|sessions?))\b")
#: How long people have had the condition ("patients who had back pain for more than three months", "pain lasting
#: over six weeks", "for years"): a description of the population, not the time frame of a claimed effect
_DURATION_OF_CONDITION = re.compile(r"(?i)\b((had|have|has|having|with|suffer\w*|experienc\w*|lived\s+with|"
                                    r"living\s+with)\s+([\w-]+\s+){0,4}?(for|over)|(lasting|persisting|present)\s+(for\s+)?)"
                                    r"\s*(more\s+than|over|at\s+least|longer\s+than|up\s+to|about|around)?\s*([\w-]+\s+)?"
                                    r"(weeks|months|years|a\s+year|one\s+year)\b")
#: A change named as a noun phrase ("reduced pain", "improved function", "less stiffness", "better movement"): in a
#: text about the intervention, an effect of it
_CHANGE_BEFORE = re.compile(r"(?i)\b(reduced|improved|increased|decreased|lower|less|better|greater|fewer|enhanced|"
                            r"restored|relieved|eased)\s+([\w-]+\s+)?$")
#: The evidence itself as the subject ("the research", "the evidence", "studies so far", "the science")
_EVIDENCE_SUBJECT = re.compile(r"(?i)\b(evidence|research|studies|science|scientific\s+support|data|trials|literature)\b")
#: The evidence said to be absent ("there is no evidence that it works", "lack of good evidence", "has not been
#: proven to work", "unproven", "pseudoscience"): an absence claim, judged against the best evidence.  A denial of
#: the effect itself ("it does not work", "no better than sham") stays a denial (contradicted by graded benefit).
_ABSENT = re.compile(r"(?i)\b(no\s+(good|clear|strong|real|reliable|solid|convincing|high[\s-]+quality|scientific|"
                     r"robust|sound|hard|firm|credible|published|systematic)?\s*(evidence|proof|data|research|studies|trials|reviews)\b(?!\s+of\s+"
                     r"(harm|risk|serious))|(lack|absence|dearth)\s+of\s+(\w+\s+)?(evidence|proof|data|research)|"
                     r"(not|never|n't|yet\s+to\s+be)\s+(been\s+|yet\s+been\s+|scientifically\s+)*(proven|shown|demonstrated|"
                     r"established|validated)\s+to\s+(work|be\s+effective|help|have\s+an?\s+effect)|unproven|unproved|"
                     r"pseudo-?scien\w*|quack\w*|junk\s+science|snake\s+oil|no\s+scientific\s+(basis|support|backing)|"
                     r"not\s+(supported|backed)\s+by\s+(any\s+|the\s+|good\s+)?(evidence|science|research|studies|data)|"
                     r"(is\s*n't|is\s+not|are\s*n't|are\s+not|(does|do|has|have)\s*(n't|\s+not)\s+(have|got)|lacks?|lacking|"
                     r"without)\s+(any\s+)?(good\s+|strong\s+|clear\s+|solid\s+|reliable\s+|convincing\s+|scientific\s+|"
                     r"high[\s-]+quality\s+)?(evidence|proof|scientific\s+support)\b)")

#: Advice ("... should be the first option"): not a claim when the sentence does not name the intervention; a
#: person told what to do ("the provider should apply pressure", "you need to rest") is advice
_ADVICE = re.compile(r"(?i)\b(should|must)\s+(be|first|always|never|not|consult|talk|see|try|avoid|consider|tell|ask|"
                     r"wait|check|account)\b|^\W*(the\s+|your\s+)?([\w-]+\s+)?(provider|practitioner|therapist|"
                     r"clinician|physiotherapist|doctor|nurse|patient|client|you|we)s?\s+(should|must|need\s+to|"
                     r"ought\s+to)\s+(?!be\s+(aware|told|informed))\w+")

#: A pronoun that stands for the intervention at the head of a clause ("It may even ... increase the range
#: of motion"), but not an empty "it" ("It is important to ...").
#: a reporting verb before the clause it reports ("research suggests (that) it ...")
_REPORTING = (r"(?:suggests?|suggested|shows?|showed|shown|found|finds|indicates?|indicated|says?|said|believes?|think|"
              r"thinks|claims?|reports?|reported|concluded|demonstrated?|demonstrates)\s+(?:that\s+)?")
_PRONOUN = re.compile(r"(?i)^\s*(?:[^,.;]{0,60},\s*|[^,.;]{0,60}\b" + _REPORTING + r")?(?:(?:so|and|but|also|yet|thus|"
                      r"therefore|however|still)\s+)?"
                      r"(it|this|these|they)\b(?!\s+(is|was|'s|can be|may be)\s+(important|"
                      r"common|normal|possible|worth|best|recommended|essential|vital|a good idea|not uncommon|"
                      r"estimated|true|key|crucial|helpful to|advisable|wise))")
#: Words that put a sentence with no named treatment in a treatment's context ("after two sessions",
#: "patients typically see ...").
_TREATMENT_CONTEXT = re.compile(r"(?i)\b(sessions?|treatments?|treated|patients?|clients?|clinically|appointments?|"
                                r"efficacy|effectiveness|protection|protective\s+effect)\b")
#: A claim about what changes the size of the effect ("efficacy varied with latitude", "protection was
#: greatest in ..."): the evidence holds no such analysis, so it is unsupported.
_MODIFIER = re.compile(r"(?i)\b(efficacy|effectiveness|protection|effects?|benefits?)\b[^.;]{0,60}?\b(var(ied|ies|y)|"
                       r"depend\w*|associated\s+with|according\s+to|(was|were|is|are|appeared)\s+(higher|greater|"
                       r"greatest|weaker|weakest|stronger|strongest|lower|lowest)\s+(in|among|for|when|where))\b|"
                       r"\b(associated\s+with|varied\s+according\s+to)\s+(higher|greater|lower|weaker)?\s*"
                       r"(efficacy|effectiveness|protection)\b")

_UP = re.compile(r"(?i)\b(increas\w*|rais\w*|boost\w*|higher|more pain|heighten\w*|intensif\w*)\b")
_DOWN = re.compile(r"(?i)\b(reduc\w*|decreas\w*|lower\w*|less|fewer|diminish\w*|limits?|restricts?)\b")
_WORSE = re.compile(r"(?i)\b(wors[e]n\w*|aggravat\w*|flare\w*|(make|makes|making|made)\s+(\w+\s+){0,3}worse)\b")
_TEMPORARY = re.compile(r"(?i)\b(temporar\w*|briefly|short.lived|for a (day|few days|while)|a day or two|"
                        r"at first|initially|afterwards|after (the )?(treatment|session|" + ITV + r")|may|might|can|could|"
                        r"sometimes|some people|some patients)\b")
#: Outcome terms for which lower is better even when their concept's benefit is "higher".
_INVERSE_TERM = re.compile(r"(?i)stiff|tender|sensitiv")


#: "no treatment", "no vaccination": a comparison group, not a negation
_NO_TREATMENT = re.compile(r"(?i)\bno[\s-]+(treatment|intervention|therapy|vaccin\w*|control|care|exercise|"
                           r"drug|medication)s?\b")


#: "does not work that well", "is not very effective": a claim of a small effect, not a denial of any effect
_WEAK_DENIAL = re.compile(r"(?i)\b(not|n't)\s+(work\s+|working\s+|worked\s+)?(that|very|all\s+that|particularly|"
                          r"especially|terribly|so|too|hugely|overly)\s+(well|effective|effectively|good|helpful|much)\b")
#: "the benefits fade", "the effect wears off", "the relief does not last": the effect is said not to last
_FADES = re.compile(r"(?i)\b(fades?|faded|fading|wears?\s+off|wore\s+off|worn\s+off|(does|do|did)\s*(not|n't)\s+last|"
                    r"(is|are)\s+not\s+(long[\s-]+lasting|lasting|permanent)|diminish\w*\s+over\s+time)\b")
#: "no more effective than placebo": a denial of a difference, not "no more pain" (a complete effect)
_NO_MORE_THAN = re.compile(r"(?i)\bno\s+more\s+(\w+\s+){0,2}?than\b")

#: "this band", "these knots": a demonstrative before a noun is a determiner, and the noun (not the intervention) is
#: the subject; a noun that stands for the intervention ("this treatment", "these vaccines") is masked as ``ITV``
#: before.  After "this" a word that is no auxiliary, adverb or third-person verb (no final s) is a noun; after "these"
#: a word ending in s (a plural noun: the verb after a plural subject has no s) is one.
_AUX = (r"(?:can|could|may|might|will|would|should|must|shall|is|was|has|does|did|had|not|also|often|usually|then|just|"
        r"gave|brought|made|took|got|kept|felt|left|meant|put|let|cut|set|"
        r"only|really|alone|too|way|time|means|one|kind|type|approach|technique|treatment|therapy|method|procedure)\b")
_NOUN_AFTER_THIS = r"(?!" + _AUX + r")(?![a-z]+(?:s|ly|ed)\b)[a-z]{3,}\b(?!\s*[,;.])"
_NOUN_AFTER_THESE = r"(?!(?:is|was|has|does|always|also|treatments|therapies|techniques|methods|procedures|medicines|"
_NOUN_AFTER_THESE += r"medications|drugs|vaccines|products|remedies)\b)[a-z]{2,}s\b"
#: "this is critical because ...", "this is why ...": an empty "this" (beside _PRONOUN's own list)
_EMPTY_THIS = re.compile(r"(?i)\s+(is|was|'s)\s+(critical|necessary|why|because)\b")
_DEMONSTRATIVE_NOUN = re.compile(r"(?i)(?:this\s+" + _NOUN_AFTER_THIS + r"|these\s+" + _NOUN_AFTER_THESE + r")")


def _pronoun_head(item: str) -> re.Match[str] | None:
    """``_PRONOUN``'s match, unless its "this"/"these" is a determiner before a noun ("these knots can ...") or an
    empty "this" ("this is critical because ...")."""
    m = _PRONOUN.search(item)
    if m is None:
        return None
    if _DEMONSTRATIVE_NOUN.match(item, m.start(1)) or _EMPTY_THIS.match(item, m.end(1)):
        return None
    return m


#: an effect estimate stated with its number ("a relative risk of 1.37", "95% CI 1.21 to 1.55", "NNT 6")
_ESTIMATE = re.compile(r"(?i)\b95\s*%\s*(CI|confidence\s+interval)|\b(relative\s+risk|risk\s+ratio|odds\s+ratio|hazard\s+ratio|"
                       r"mean\s+difference|number\s+needed\s+to\s+treat|(?-i:NNT|RR|OR|SMD))\b[^.;]{0,30}?\d")
#: "... except (for) X", "apart from X", "other than X": what follows is excepted from the sentence's claim
_EXCEPT = re.compile(r"(?i)\b(except(\s+for)?|apart\s+from|other\s+than|with\s+the\s+exception\s+of|save\s+for|but\s+not)\b")
#: "not uncommon", "not unusual", "not rare": a double negative that says the event is frequent
_LITOTES = re.compile(r"(?i)\b(not|n't)\s+(that\s+|so\s+|at\s+all\s+)?(uncommon|unusual|rare|infrequent|unheard\s+of)\b")
#: "significant or prolonged bleeding", "severe bruising": a severity word makes a mild event a serious one
_SEVERE_BEFORE = re.compile(r"(?i)\b(significant|severe|serious|prolonged|major|heavy|excessive|profuse|uncontrolled|"
                            r"life[\s-]threatening)\s+((or|and)\s+\w+\s+)?$")
_SEVERE_AFTER = re.compile(r"(?i)\s+(requiring|that\s+requires?|needing)\s+(\w+\s+)?(medical|hospital|emergency|treatment)")
#: "resolve without complications", "with no further problems": the absence is of complications, not of the event
_NO_COMPLICATIONS = re.compile(r"(?i)\b(without|no|free\s+of)\s+(any\s+)?(further\s+|lasting\s+|serious\s+)?(complications?|"
                               r"problems?|issues|consequences|lasting\s+(effects?|damage|harm))\b")
#: what changes an event's risk or size: a population qualified by a condition or a drug ("those with bleeding
#: disorders", "people taking blood thinners") with a comparative, or "varies depending on ..."
_RISK_GROUP = re.compile(r"(?i)\b(those|people|patients|individuals|persons|anyone|someone)\s+(with|taking|on|who\s+(have|take|"
                         r"are\s+on))\b")
_RISK_MORE = re.compile(r"(?i)\b(higher|greater|increased|elevated|more\s+(extensive|severe|serious|likely|prone)|at\s+risk)\b")
_VARIES_WITH = re.compile(r"(?i)\bvar(y|ies|ied|ying)\s+(\w+\s+){0,2}?(depending\s+on|with|according\s+to|by)\b|\bdepend(s|ing)?\s+on\b")


def _negation(t: str, lex: Lexicon) -> tuple[str, int, int] | None:
    """The first negation cue outside phrases that contain negative words but are not negations
    ("no more pain", "no side effects", "no doubt", "never come back", "without exception")."""
    nm = _NO_MORE_THAN.search(t)
    if nm is not None:
        rest = _negation(t[:nm.start()], lex)
        return rest if rest is not None else (nm.group(0), nm.start(), nm.end())
    consumed = _spans(lex.size["trivial"].find(t)) + _spans(lex.size["large"].find(t)) \
        + _spans(lex.size["complete"].find(t)) \
        + _spans(lex.safety_absolute.find(t)) + _spans(lex.strong.find(t)) \
        + _spans(lex.timeframe["long"].find(t)) + _spans(lex.universality.find(t)) \
        + _spans(lex.very_low.find(t))  # "there isn't much evidence", "not fully understood": uncertainty, not denial
    consumed += [(m.start(), m.end()) for m in _NO_TREATMENT.finditer(t)]
    consumed += [(m.start(), m.end()) for m in _LITOTES.finditer(t)]
    return lex.negation.search(_blank(t, consumed))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _spans(hits: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    return [(a, b) for _, a, b in hits]


def _resolve(hits: list[tuple[str, str, str, int, int]]) -> list[tuple[str, str, str, int, int]]:
    """Greedy longest-first, non-overlapping selection of (kind, concept, term, start, end)."""
    chosen: list[tuple[str, str, str, int, int]] = []
    taken: list[tuple[int, int]] = []
    prio = {"outcome": 0, "mechanism": 1, "mild": 3, "serious": 3, "absolute": 3, "foreign": 4}
    # equal spans: lexicon outcomes, then mechanisms, then pack-only outcomes (6th item = 2), then the rest
    for h in sorted(hits, key=lambda h: (-(h[4] - h[3]), h[5] if len(h) > 5 else prio[h[0]], h[3])):
        if any(h[3] < b and a < h[4] for a, b in taken):
            continue
        chosen.append(h[:5])
        taken.append((h[3], h[4]))
    return sorted(chosen, key=lambda h: h[3])


def _max_cue(sets: dict[str, TermSet], text: str, order: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The highest-ranked level (last in ``order``) whose terms appear, with its cue."""
    for level in reversed(order):
        ts = sets.get(level)
        if ts:
            hit = ts.search(text)
            if hit:
                return level, hit[0]
    return None, None


#: A graded size word describes the effect only next to an effect or outcome word ("significantly reduces", "a
#: large improvement", "pain relief was significant"), not "a large trial", "a significant number of people", "it
#: is important to", "a major cause"
_SIZE_NOT_EFFECT = re.compile(r"(?i)\s+(\w+\s+)?(trials?|stud(y|ies)|reviews?|samples?|numbers?|amounts?|parts?|roles?|"
                              r"causes?|factors?|percentages?|proportions?|portions?|groups?|cohorts?|needles?|areas?|"
                              r"muscles?|sizes?|doses?|to\s+(note|remember|know|understand|consider|mention))\b")
_SIZE_ANCHOR = re.compile(r"(?i)\b(effects?|benefits?|improv\w*|reduc\w*|reliev\w*|relief|decreas\w*|increas\w*|"
                          r"differences?|changes?|results?|outcomes?|response|protect\w*|effective\w*|efficac\w*|"
                          r"help\w*|better|worse|less|more|lower\w*|eas\w*|boost\w*|gains?|progress)\b")


def _size_cue(ct: str, lex: Lexicon) -> tuple[str | None, str | None]:
    """The largest size the sentence claims, with its cue.  "Complete" and "trivial" cues are effect phrases of
    their own ("pain-free", "little or no difference"); a small, moderate or large cue counts only when it is
    anchored to an effect or outcome word within a few words (``_SIZE_ANCHOR``, the outcome terms) and does not
    qualify a study, a number or a part (``_SIZE_NOT_EFFECT``)."""
    outcome_terms = [c.terms for c in lex.all_outcomes]
    for level in ("complete", "large", "moderate", "small", "trivial"):
        ts = lex.size.get(level)
        if not ts:
            continue
        for term, a, b in ts.find(ct):
            if level in ("complete", "trivial"):
                return level, term
            if _SIZE_NOT_EFFECT.match(ct[b:b + 40]):
                continue
            window = ct[max(0, a - 25):b + 25]
            if _SIZE_ANCHOR.search(window) or any(o.search(window) for o in outcome_terms):
                return level, term
    return None, None


#: "sore muscles", "stiff joints": an adjective before a plural noun names the condition, not an adverse event
#: ("sore afterwards", "feel sore for a day" are events)
_CONDITION_ADJECTIVE = re.compile(r"(?i)(sore|aching|achy)\s+(?!(after|afterwards|for|and|or|the|at|in|to|from|but|"
                                  r"when|during|as|like|later|until|around|following|is|was|this|these|days|hours)\b)"
                                  r"[a-z]+s\b")


#: "TB, an infection spread by ...", "is a bacterial infection": the word names what the condition is, not an event
_DEFINES = re.compile(r"(?i)(,|\bis|\bare|\bwas|\bwere)\s+(\w+ly\s+)?(an?|the)\s+([\w'\u2019-]+\s+){0,2}$")


def _targets(t: str, lex: Lexicon) -> list[tuple[str, str, str, int, int]]:
    """Targets, longest match first across outcomes, mechanisms and safety events: (kind, concept, term, start, end)."""
    hits: list[tuple[str, str, str, int, int]] = []
    for c in lex.outcomes:
        hits += [("outcome", c.concept, term, a, b) for term, a, b in c.terms.find(t)]
    for c in lex.mechanisms:
        hits += [("mechanism", c.concept, term, a, b) for term, a, b in c.terms.find(t)]
    for c in lex.pack_outcomes:
        hits += [("outcome", c.concept, term, a, b, 2) for term, a, b in c.terms.find(t)]  # type: ignore[misc]
    # "less pain after treatment" is an outcome claim, not the mild event "pain after treatment"
    # and "helps tension headaches" is a condition the treatment is claimed to treat, not the
    # adverse event "headache after treatment"
    treats = "headache" in t.lower() and (bool(lex.effect.find(t)) or bool(lex.size["complete"].find(t)))
    hits += [("serious", "serious", term, a, b) for term, a, b in lex.mild_events.find(t)
             if _SEVERE_BEFORE.search(t[max(0, a - 40):a]) or _SEVERE_AFTER.match(t[b:b + 40])]
    hits += [("mild", "mild", term, a, b) for term, a, b in lex.mild_events.find(t)
             if not (re.match(r"(?i)(pain|discomfort|aching)", term)
                     and _REDUCE_BEFORE.search(t[max(0, a - 25):a]))
             and not _CONDITION_ADJECTIVE.match(t[a:])
             and not _DEFINES.search(t[max(0, a - 30):a])
             and not (treats and re.match(r"(?i)headache", term))]
    named = bool(lex.intervention.find(t))
    hits += [("serious", "serious", term, a, b) for term, a, b in lex.serious_events.find(t)
             if not _REDUCE_BEFORE.search(t[max(0, a - 25):a]) and not _DEFINES.search(t[max(0, a - 30):a])
             and (named or _SAFETY_NOUN.search(t) or lex.safety_rare.search(t) or lex.safety_frequent.search(t))]
    hits += [("absolute", "absolute", term, a, b) for term, a, b in lex.safety_absolute.find(t)]
    hits += [("foreign", "foreign", term, a, b) for term, a, b in lex.unsupported_outcomes.find(t)]
    return _resolve(hits)


_AFTER_UP = re.compile(r"(?i)\s*(is\s+|are\s+|was\s+|were\s+|gets?\s+|got\s+|becomes?\s+)?(increas\w*|ris(es|en|ing)|"
                       r"goes\s+up|higher|worse|wors[e]n\w*|aggravat\w*)")
_AFTER_DOWN = re.compile(r"(?i)\s*(is\s+|are\s+|was\s+|were\s+|gets?\s+|got\s+|becomes?\s+)?(reduc\w*|decreas\w*|"
                         r"lower\w*|limited|restricted|drops?|falls?|goes\s+down)")
#: "change in", "improvement in", "reduction of": a change noun before the outcome carries the direction words
_CHANGE_OF = re.compile(r"(?i)\b(changes?|improvements?|reductions?|relief|differences?|benefits?|effects?)\s+(in|of|on)\s+"
                        r"(the\s+|their\s+|your\s+)?$")
_LIST_GLUE = re.compile(r"(?i)[\s,]*(and|or|as\s+well\s+as|&|and/or)?[\s,]*")


def _harmful_outcomes(t: str, lex: Lexicon, chosen: list[tuple[str, str, str, int, int]]) -> list[str]:
    """The outcomes the sentence says change for the worse ("reduces range of motion", "increases pain").

    The direction is read next to each outcome (the 40 characters before it, back to the previous
    outcome, and the words right after it), so that "relieving pain and increasing pain thresholds" does
    not read as "increasing pain"; outcomes joined by "and" / "or" / commas share their verb."""
    harm: list[str] = []
    concept_benefit = {c.concept: c.benefit for c in lex.all_outcomes}
    prev_end, prev_dir = 0, None
    for h in chosen:
        if h[0] != "outcome":
            continue
        a, b = h[3], h[4]
        d: str | None
        if prev_dir is not None and _LIST_GLUE.fullmatch(t[prev_end:a]):
            d = prev_dir
        elif _CHANGE_OF.search(t[max(0, a - 30):a]):
            d = None  # "a much higher level of change in pain": the words before describe the change, not the outcome
        else:
            before, after = t[max(prev_end, a - 40):a], t[b:b + 30]
            worse = _WORSE.search(before) is not None or re.match(r"(?i)\s*(gets?|got|becomes?|is|are)?\s*worse", after)
            up = _UP.search(before) is not None or _AFTER_UP.match(after) is not None
            down = _DOWN.search(before) is not None or _AFTER_DOWN.match(after) is not None
            d = "worse" if worse else "up" if up and not down else "down" if down and not up else None
        prev_end, prev_dir = b, d
        good = "lower" if _INVERSE_TERM.search(h[2]) else concept_benefit.get(h[1], "lower")
        if h[1] not in harm and (d == "worse" or (d == "up" and good == "lower") or (d == "down" and good == "higher")):
            harm.append(h[1])
    return harm


#: "the injection site": a place on the body, not a treatment named
_SITE = re.compile(r"(?i)\b[\w-]+\s+sites?\b")


def _comparators(t: str, lex: Lexicon) -> tuple[list[int], list[str]]:
    """The comparison groups named (index into ``lex.comparisons``) and their terms; background therapy dropped."""
    comp_idx: list[int] = []
    comp_terms: list[str] = []
    t = _SITE.sub(lambda m: " " * len(m.group(0)), t)
    for i, (ts, _pat) in enumerate(lex.comparisons):
        hit = next((h for h in ts.find(t) if not _MEASURED.search(t[max(0, h[1] - 40):h[1]])), None)
        if hit:
            comp_idx.append(i)
            comp_terms.append(hit[0])
    if any(i in lex.add_on_groups for i in comp_idx):
        # "added to physiotherapy": physiotherapy is the background therapy, not the comparator
        keep = [k for k, i in enumerate(comp_idx) if i not in lex.background_groups]
        comp_idx, comp_terms = [comp_idx[k] for k in keep], [comp_terms[k] for k in keep]
    return comp_idx, comp_terms


def _safety_stance(t: str, lex: Lexicon, chosen: list[tuple[str, str, str, int, int]], absolute: list[str],
                   mild: list[str], serious: list[str], outcomes: tuple[str, ...]) -> tuple[str | None, dict[str, Any]]:
    """The sentence's stance on safety (absolute, danger, event, comparative, general or None) and its cue."""
    safety: str | None = None
    detail: dict[str, Any] = {}
    danger = lex.safety_danger.search(t)
    if absolute and _MAJORITY.search(t):
        safety, detail = "general", {"cue": _MAJORITY.search(t).group(0) + " ... " + absolute[0]}  # type: ignore[union-attr]
    elif absolute:
        safety, detail = "absolute", {"cue": absolute[0]}
    elif danger:
        safety, detail = "danger", {"cue": danger[0]}
    elif mild or serious:
        freq = lex.safety_frequent.search(t)
        rare = lex.safety_rare.search(t)
        poss = lex.safety_possible.search(t)
        # "absent" cues only count outside the event phrase itself
        rest = _blank(t, [(h[3], h[4]) for h in chosen if h[0] in ("mild", "serious")]
                      + [m.span() for m in _NO_COMPLICATIONS.finditer(t)] + [m.span() for m in _LITOTES.finditer(t)])
        absent = lex.safety_absent.search(rest)
        litotes = _LITOTES.search(t)
        if litotes is not None:
            freq, rare = (litotes.group(0), litotes.start(), litotes.end()), None
        stance = "rare" if rare else "absent" if absent else "frequent" if freq else "possible" if poss else None
        is_mild_effect_claim = bool(mild) and not serious and outcomes == () and stance is None
        if stance is not None or serious:
            safety = "event"
            detail = {"severity": "serious" if serious else "mild", "events": serious or mild,
                      "stance": stance or "mentioned",
                      "cue": (rare or absent or freq or poss or (None,))[0]}
        elif is_mild_effect_claim:
            safety = "event"
            detail = {"severity": "mild", "events": mild, "stance": "mentioned", "cue": None}
    comparative = _SAFETY_COMPARATIVE.search(t)
    if comparative and safety in (None, "event"):  # "more side effects with X than with Y": a comparison
        safety, detail = "comparative", {"cue": comparative.group(0)}
    if safety is None:
        gen = lex.safety_general.search(t)
        if gen:
            safety, detail = "general", {"cue": gen[0]}
    return safety, detail


def _projected_certainty(ct: str, lex: Lexicon, explicit: list[tuple[int, int, str, str, str | None]],
                         strong: tuple[str, int, int] | None) -> tuple[str, str | None]:
    """The certainty the wording projects (an explicit GRADE level, strong words, hedges) and its cue."""
    cue: str | None
    if explicit:
        certainty, cue = explicit[0][2], explicit[0][3]
    elif strong:
        certainty, cue = "high", strong[0]
    else:
        vl, lo, mo = lex.very_low.search(ct), lex.low.search(ct), lex.moderate.search(ct)
        if vl:
            certainty, cue = "very_low", vl[0]
        elif lo:
            certainty, cue = "low", lo[0]
        elif mo:
            certainty, cue = "moderate", mo[0]
        else:
            certainty, cue = "high", None
    return certainty, cue


#: "Not to be confused with acupuncture, ...": an aside that names another treatment to set it apart; neither a
#: negation nor a comparison of effects ("unlike massage, it ..." does compare, and is not one).
_CONTRAST_ASIDE = re.compile(r"(?i)\b(not\s+to\s+be\s+confused\s+with|(which\s+is\s+)?(not\s+the\s+same\s+as|"
                             r"different\s+from|distinct\s+from))\s+[^,;.]{1,80}[,;]")


#: "the potential side effects", "possible risks": a hedge on the harms named, not on the sentence's effect claim
_HEDGED_HARMS = re.compile(r"(?i)\b(potential|possible)\s+(side[\s-]+effects?|risks?|complications?|harms?|dangers?|adverse\s+\w+)\b"
                           r"(?!\s+(\w+\s+){0,2}?(include|includes|are|were|such\s+as|like)\b)")  # (a list of them: hedged)
#: "other established therapies", "other proven treatments": words describing the comparators, not certainty cues
_OTHER_ESTABLISHED = re.compile(r"(?i)\bother\s+(well[\s-]+)?(established|proven|accepted|evidence[\s-]+based|standard|"
                                r"conventional)\b")


def _cue_text(t: str, lex: Lexicon) -> tuple[str, list[tuple[int, int, str, str, str | None]]]:
    """The text the assertion cues are read in, and the explicit certainty levels.  "X is not a cure, but it may
    ease pain": when the only negation sits in a clause before "but"/"however", the assertion is the clause after it."""
    ct = _NOT_PANACEA.sub(lambda m: " " * len(m.group(0)), t)
    ct = _CONTRAST_ASIDE.sub(lambda m: " " * len(m.group(0)), ct)
    ct = _OTHER_ESTABLISHED.sub(lambda m: " " * len(m.group(0)), ct)
    ct = _HEDGED_HARMS.sub(lambda m: " " * len(m.group(0)), ct)
    explicit = _explicit_levels(ct)
    # "moderate evidence" is a certainty level, not a size
    ct = _blank(ct, [(a, b) for a, b, *_ in explicit])
    m_but = re.search(r"(?i)[,;]?\s+(but|however|yet)\s+", t)
    if m_but:
        pre, post = ct[:m_but.start()], ct[m_but.end():]
        if _negation(pre, lex) is not None and _negation(post, lex) is None:
            ct = post
    return ct, explicit


def _negation_cue(ct: str, lex: Lexicon) -> tuple[tuple[str, int, int] | None, re.Match[str] | None]:
    """The negation cue, and a "not everyone" hedge (whose "not" is not a negation of the effect)."""
    neg = _negation(ct, lex)
    non_universal = _NOT_UNIVERSAL.search(ct)
    if non_universal is not None:
        if neg is not None and non_universal.start() <= neg[1] < non_universal.end():
            neg = _negation(ct[:non_universal.start()] + " " * (non_universal.end() - non_universal.start())
                            + ct[non_universal.end():], lex)
    return neg, non_universal


def _mechanism_stance(t: str, strong: tuple[str, int, int] | None, certainty: str,
                      cue: str | None) -> tuple[bool, bool, str, str | None]:
    """How the treatment works, in general: (a claim?, doubted?, certainty, cue) when the sentence takes a stance."""
    if _MECH_GENERAL.search(t):
        doubt = _MECH_DOUBT.search(t)
        if not doubt and _WORKS_BY.search(t):
            # "it works by introducing ...": a plain statement of how it works
            return True, False, ("high" if cue is None else certainty), cue

        if doubt:
            return True, True, "very_low", doubt.group(0)
        sure = _MECH_SURE.search(t)
        if sure or strong is not None:
            if certainty != "high" or cue is None:
                certainty, cue = "high", (strong[0] if strong else sure.group(0))  # type: ignore[union-attr]
            return True, False, certainty, cue
    return False, False, certainty, cue


def _general_efficacy(t: str, lex: Lexicon, named: bool, has_effect: bool, negated: bool, certainty: str,
                      cue: str | None, emphatic: bool, timed: bool) -> bool:
    """Whether the sentence asserts the treatment works (or not) in general, with no outcome named.
    ``emphatic``: strong words, a size or a universality cue; ``timed``: a time frame."""
    general_cue = lex.general.search(t) is not None
    return ((named and (general_cue or certainty == "very_low" or (has_effect and negated)
                        or (has_effect and (emphatic or cue is not None))))
            # texts about the treatment often leave it unnamed: "most clients notice a
            # difference after one session, and results last for months"
            or (general_cue and has_effect and (timed or emphatic)))


#: The intervention (or a pronoun for it) as the agent of a transitive effect verb, and the verb's object: "it
#: relieves tight hamstrings", "the vaccine also boosts general immunity", "it can help to restore balance".
#: (Verbs of an outcome only: how it acts on the body - "relaxes the muscles" - is the mechanisms' to read.)
_AGENT_EFFECT = re.compile(r"(?i)(?:^|[,;:]\s*|\b(?:and|but|so|also)\s+|\b" + _REPORTING + r")(?:" + ITV
                           + r"|it|this|they|these)\s+"
                           r"(?:(?:also|can|could|may|might|will|would|should|often|usually|really|even|further|not|never|does|do|did|"
                           r"doesn't|don't|won't|cannot|can't|"
                           r"actually|is\s+able\s+to|are\s+able\s+to|has\s+been\s+shown\s+to|is\s+known\s+to|"
                           r"helps?(?:\s+to)?|can\s+help(?:\s+to)?|may\s+help(?:\s+to)?|aids?\s+in|assists?\s+in|"
                           # "is consistently protective against": a copula before an adjective of effect
                           r"(?:is|are|was|were)(?=\s+(?:\w+ly\s+)?protect)|\w+ly)\s+){0,3}"
                           r"(?P<verb>reduc\w*|reliev\w*|improv\w*|treat(?:s|ed)?|heal(?:s|ed)?|boost\w*|enhanc\w*|"
                           r"restor\w*|increas\w*|decreas\w*|prevent\w*|protect\w*\s+against|promot\w*|speeds?\s+up|"
                           r"alleviat\w*|eas(?:es|ed)|eliminat\w*|resolv\w*|lower\w*|strengthen\w*|shorten\w*|cur(?:es|ed))\s+"
                           r"(?P<obj>[^.;:,()]{3,80})")
_OBJECT_END = re.compile(r"(?i)\s+(by|in|for|with|when|after|because|that|which|while|as|if|from|so|than|and\s+(?:can|may|"
                         r"will|is|are)|at|during|within|over|without|through|via|into)\b.*$")
_OBJECT_DET = re.compile(r"(?i)^(the|a|an|your|their|his|her|its|our|any|some|this|these|those|overall|general|"
                         r"both|all|many|various)\s+")
#: objects too vague to name an outcome ("relieves symptoms", "helps patients"): left to the general reading
_VAGUE_OBJECT = re.compile(r"(?i)^(symptoms?|problems?|issues?|conditions?|the\s+condition|patients?|people|you|them|"
                           r"it|things?|results?|outcomes?|effects?|suffering|discomfort|complaints?|this|these|those|"
                           r"the\s+problem|quality|health|treatment|recovery)$")


_THAN = re.compile(r"(?i)\b(than|compared\s+(with|to)|versus|vs\.?)\b")


def _unknown_object(tm: str) -> str | None:
    """The object of an effect verb whose agent is the intervention (``tm``: the sentence with the intervention
    masked), when the sentence names no outcome, mechanism or event the lexicon knows: a claim on something the
    evidence may not hold ("it relieves tight hamstrings")."""
    m = _AGENT_EFFECT.search(tm)
    if m is None:
        return None
    obj = _OBJECT_END.sub("", m.group("obj")).strip()
    while True:
        o2 = _OBJECT_DET.sub("", obj)
        if o2 == obj:
            break
        obj = o2
    if not obj or _VAGUE_OBJECT.match(obj) or ITV in obj or not re.search(r"[A-Za-z]{4,}", obj):
        return None
    return " ".join(obj.split()[:5])


def _mask(t: str, lex: Lexicon) -> str:
    """``t`` with each mention of the intervention replaced by the token ``ITV``."""
    hits = lex.intervention.find(t)
    for _, a, b in sorted(hits, key=lambda h: -h[1]):
        t = t[:a] + ITV + t[b:]
    return t


_MEASURED_WORDS = (r"reliance\s+on|dependence\s+on|need\s+for|use\s+of|intake\s+of|consumption\s+of|cut\s+down\s+on|"
                   # a population described by what it takes ("those taking blood-thinning medications")
                   r"taking|who\s+take|who\s+are\s+on|(those|people|patients|anyone)\s+on")
#: A treatment named as what something is compared with or added to ("when compared to no treatment", "combined
#: with other treatments", "other therapies like massage"), or as what is measured ("reliance on painkillers"):
#: the sentence is not about that treatment.
_COMPARED = re.compile(r"(?i)\b(compared\s+(to|with)|comparisons?\s+(to|with)|than|versus|vs\.?|relative\s+to|"
                       r"combined\s+with|added\s+to|alongside|in\s+addition\s+to|plus|like|such\s+as|including|"
                       r"instead\s+of|rather\s+than|" + _MEASURED_WORDS + r")\s+([\w-]+\s+){0,4}$")
#: ... a treatment that is what is measured ("reduced reliance on painkillers"): no comparator either
_MEASURED = re.compile(r"(?i)\b(" + _MEASURED_WORDS + r")\s+([\w-]+\s+){0,2}$")


#: "involves", "consists of", "entails": the clause describes what the procedure is made of
_DESCRIBES_AFTER = re.compile(r"(?i)\s+(\w+ly\s+)?(involves|involved|consists\s+of|entails|is)\s+(the\s+|a\s+)?(insert\w*|"
                              r"plac\w*|use|using|appl\w*|inject\w*|putting|administ\w*|giving)\b")
_CLAUSE_END = re.compile(r";|,\s+(and|but|so|yet|while|whereas)\s+(it|this|they|" + ITV + r")\b|,\s+(it|this|they)\s+"
                         r"|\.\s")


#: "Side effects include ...", "adverse events were ...": a list of harms follows
_EVENT_LIST = re.compile(r"(?i)\b(side[\s-]+effects?|adverse\s+(events?|effects?|reactions?)|complications?)\s+(\S+\s+){0,5}?"
                         r"(include|includes|included|including|are|were|such\s+as|like)\b")


def _described_from(t: str, lex: Lexicon) -> int | None:
    """Where a description of the procedure starts: after the intervention (or "it", "this") and "involves",
    "consists of", "entails" ("... as the treatment involves the insertion of thin needles into tight bands")."""
    ends = [b for _, _a, b in lex.intervention.find(t)] + [m.end() for m in re.finditer(r"(?i)\b(it|this)\b", t)]
    starts = [m.end() for b in ends if (m := _DESCRIBES_AFTER.match(t, b)) is not None]
    return min(starts) if starts else None


#: "The disease usually attacks the lungs", "The infection spreads ...": the condition is the sentence's subject
_CONDITION_SUBJECT = re.compile(r"(?i)^\W*(?:[a-z]\s*:\s*)?(the|this|that|such\s+an?|an?)\s+([\w-]+\s+)?(disease|illness|"
                                r"condition|infection|virus|bacteri\w*|disorder|syndrome)\s+(\w+ly\s+)?(is|are|was|were|"
                                r"can|may|might|could|affects?|attacks?|spreads?|causes?|starts?|develops?|occurs?|leads?|"
                                r"results?|tends?|has|have|progress\w*|spread)\b")


def _not_about_the_intervention(t: str, lex: Lexicon, named: bool, agent: bool, treated: bool) -> str | None:
    """Why a sentence is not a claim about the intervention (or None): a byline, a call to action, how
    common a condition is, where it comes from, what a study did, or another treatment."""
    if _BYLINE.search(t):
        return "a byline or page furniture"
    if not named and _CONDITION_SUBJECT.search(t):
        return "describes the condition (its subject), not the intervention"
    if not named and _EPIDEMIOLOGY.search(t):
        return "about how common a condition is (epidemiology), not about the intervention"
    aet = _AETIOLOGY.search(t)
    if aet is not None and agent and re.search(r"(?i)\b(that|which|who)\s+(\w+\s+)?$", t[:aet.start()]):
        aet = None  # "it does not prevent the infection with the bacteria that cause disease": a relative clause
    if aet is not None and agent and _AGENT_EFFECT.search(_mask(t[:aet.start()], lex) + " x x x"):
        aet = None  # "it may reduce headaches linked to tension": the cause qualifies what the intervention acts on
    # (a mechanism of the evidence named before the cue is what acts - "local blood flow leads to ..."; named after it,
    # it is what a condition comes from - "these knots are associated with excess acetylcholine")
    if not named and not treated and aet is not None and not any(
            lex.is_evidence_mechanism(c) and c.terms.search(t[:aet.start()]) for c in lex.mechanisms):
        return "about what causes a condition (aetiology), not about the intervention"
    if _STUDY_DID.search(t) and not _STUDY_RESULT.search(_STUDIES_FOUND.sub(" ", t)):
        return "describes what a study did, not what it found"
    if not agent:
        bare = _SITE.sub(lambda m: " " * len(m.group(0)), t)
        for i, (ts, _pat) in enumerate(lex.comparisons):
            if i not in lex.add_on_groups and any(not _COMPARED.search(bare[max(0, a - 60):a])
                                                  for _, a, _b in ts.find(bare)):
                return "about another treatment, not the intervention"
    return None


def _subgroups(item: str) -> tuple[str, ...]:
    """The population subgroups a claim is limited to; "in both women and men" names everyone, not a subgroup."""
    gs = list(dict.fromkeys(re.sub(r"\s+", " ", m.group("g") or m.group(0)).lower() for m in _SUBGROUP.finditer(item)))
    if re.search(r"(?i)\bwomen\b", item) and re.search(r"(?i)(?<!wo)\bmen\b", item):
        gs = [g for g in gs if g not in ("men", "women")]
    return tuple(gs)


def _title_like(s: str) -> bool:
    """A title: no end punctuation and most of its longer words capitalised ("Massage To Relieve Back Pain")."""
    if not s or s[-1] in ".!?\"'\u201d)":
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", s) if len(w) >= 4]
    caps = sum(w[0].isupper() for w in words)
    return len(words) >= 3 and caps >= 0.6 * len(words)


def _own_targets(t: str, lex: Lexicon, off: int) -> list[tuple[str, str, str, int, int]]:
    """The item's own targets (from ``off``), longest match first across outcomes, mechanisms and safety events,
    without the population's condition ("in people with back pain", when another outcome is named) and without
    the condition as a cause ("deaths caused by TB", "TB still causes ...", "the bacterium that causes TB")."""
    chosen = [h for h in _targets(t, lex) if h[3] >= off]
    who = [h for h in chosen if h[0] == "outcome" and _POPULATION_BEFORE.search(t[max(0, h[3] - 60):h[3]])]
    if who and any(h[0] == "outcome" and h not in who for h in chosen):
        chosen = [h for h in chosen if h not in who]
    return [h for h in chosen if not (h[0] == "outcome" and (_CAUSE_BEFORE.search(t[max(0, h[3] - 30):h[3]])
                                                             or _CAUSE_AFTER.match(t[h[4]:h[4] + 30])))
            and not (h[0] == "serious" and _CAUSE_BEFORE.search(t[max(0, h[3] - 30):h[3]]))]


def _levels_per_outcome(explicit: list[tuple[int, int, str, str, str | None]],
                        chosen: list[tuple[str, str, str, int, int]]) -> list[tuple[str, str, str, str | None]]:
    """(outcome, level, cue, top) when the sentence states several GRADE levels: each outcome takes the one
    stated nearest before it."""
    out: list[tuple[str, str, str, str | None]] = []
    if len(explicit) > 1:
        for h in chosen:
            if h[0] == "outcome" and h[1] not in [x[0] for x in out]:
                e = [x for x in explicit if x[0] < h[3]]
                if e:
                    out.append((h[1], e[-1][2], e[-1][3], e[-1][4]))
    return out


# long: one pass of ordered rules over values they share (the item with its lead-in, the targets, the cue text
# with hedges and asides removed, the negation); the module docstring lists the rules in this order
def analyse(text: str, lex: Lexicon, context: str = "", heading: bool = False, *, antecedent: bool = True,
            topic: bool = False) -> Assertion:
    """Parse one sentence into an ``Assertion``.  ``context`` is the heading or lead-in line a list
    item belongs to ("Benefits of X include:"): the item is read with it (its hedges and its naming of
    the intervention), but only the item's own outcomes and mechanisms are its targets.  A heading
    (``heading``, or a title-cased line without end punctuation) is not judged on its own: its claim is
    judged with the list under it; only an emphatic one ("Banish back pain for good") is a claim.

    ``antecedent``: whether a pronoun at the head of the sentence can stand for the intervention (``check``
    passes False when neither the current heading nor the two units before name it, so that "It" after a
    sentence about a condition is about that condition).  ``topic``: the text has named the intervention before,
    so an effect noun as subject ("the effects on pain were found only at short term", "several studies
    point to short-term benefits") is about it."""
    item = text.strip()
    for pat in lex.non_claim:
        if pat.search(item):
            return Assertion(text=text, is_claim=False, reason="a question, call to action or instruction")
    if _QUESTION_ORDER.match(_mask(item, lex)) and not item.rstrip().endswith((".", "!")):
        return Assertion(text=text, is_claim=False, reason="a question (an auxiliary before its subject), not a claim")
    if (heading or _title_like(item)) and not (lex.strong.search(item) or lex.universality.search(item)
                                               or lex.size["complete"].search(item) or lex.size["large"].search(item)):
        return Assertion(text=text, is_claim=False, reason="a heading or title; its claim is judged with the text under it")
    if item.endswith(":") and not context.strip() and not (lex.strong.search(item) or lex.universality.search(item)):
        # "Benefits of X include:": a lead-in, whose claim is read with each of its list items
        return Assertion(text=text, is_claim=False, reason="a lead-in to a list; its claim is judged with the items")
    for pat, why in _NOT_A_CLAIM:
        if pat.search(item) and not lex.strong.search(item) and not (why.startswith("says how") and
                                                                     _SAFETY_NOUN.search(item)):
            return Assertion(text=text, is_claim=False, reason=why)
    if _READER_SCENARIO.search(_mask(item, lex)) and not lex.strong.search(item):
        return Assertion(text=text, is_claim=False, reason="describes the reader's situation, not what the intervention does")
    if _ADVICE.search(item) and not lex.intervention.find(item):
        return Assertion(text=text, is_claim=False, reason="advice, not a claim about the intervention")
    ctx = context.strip()
    if ctx and _CONTRAINDICATION.search(ctx):
        return Assertion(text=text, is_claim=False, reason="an item of a list of who should not have it")
    if ctx and not ctx.endswith((":", ".", "!", "?")):
        ctx += ":"
    off = len(ctx) + 1 if ctx else 0
    t = f"{ctx} {item}" if ctx else item

    named = bool(lex.intervention.find(t))
    agent = named or (antecedent and _pronoun_head(item) is not None)
    treated = (_TREATMENT_CONTEXT.search(t) is not None or _REPORTED.search(t) is not None
               or bool(lex.treated.find(t)))
    why_not = _not_about_the_intervention(item, lex, named, agent, treated)
    if why_not is None and _CTA.search(item) and not lex.strong.search(t) and not any(
            lex.size[k].search(t) for k in ("large", "complete")):
        why_not = "a call to action"
    if why_not is None and ctx.endswith(":") and len(ctx.split()) >= 6 and not (named or agent or treated) \
            and not (_SAFETY_NOUN.search(ctx) or lex.effect.find(ctx) or _EFFECT_NOUN.search(t) or lex.strong.search(t)):
        # "... the familiar allergy symptoms, which include: • itching eyes": a lead-in sentence that names neither
        # the intervention nor an effect or a harm lists something else
        why_not = "an item of a list about something else (its lead-in names neither the intervention nor its effects)"
    if why_not is not None:
        return Assertion(text=text, is_claim=False, reason=why_not)

    chosen = _own_targets(t, lex, off)
    desc = _described_from(t, lex)
    desc_span = (len(t), len(t))
    if desc is not None:
        # "the procedure involves the insertion of a needle into tender spots, which are painful": what the clause
        # names describes the procedure; it claims no effect on it (events stay: "involves a small risk of bruising")
        end = _CLAUSE_END.search(t, desc)
        desc_span = (desc, len(t) if end is None else end.start())
        chosen = [h for h in chosen if not (h[0] in ("outcome", "mechanism", "foreign")
                                             and desc_span[0] <= h[3] < desc_span[1])]
    evl = _EVENT_LIST.search(t)
    if evl is not None:  # "side effects include flu-like symptoms": what follows names events, not outcomes
        chosen = [h for h in chosen if not (h[0] == "outcome" and h[3] >= evl.end())]

    outcomes = tuple(dict.fromkeys(h[1] for h in chosen if h[0] == "outcome"))
    outcome_terms = tuple(dict.fromkeys(h[2] for h in chosen if h[0] == "outcome"))
    mechanisms = tuple(dict.fromkeys(h[1] for h in chosen if h[0] == "mechanism"))
    mechanism_terms = tuple(dict.fromkeys(h[2] for h in chosen if h[0] == "mechanism"))
    foreign = tuple(dict.fromkeys(h[2] for h in chosen if h[0] == "foreign"))
    mild = [h[2] for h in chosen if h[0] == "mild"]
    serious = [h[2] for h in chosen if h[0] == "serious"]
    absolute = [h[2] for h in chosen if h[0] == "absolute"]
    if ctx and outcomes and _SAFETY_NOUN.search(ctx) \
            and not _CONTRAINDICATION.search(ctx) and len(item.split()) <= 8 and not lex.effect.find(item):
        outcomes, outcome_terms = (), ()  # "Common side effects: • soreness and discomfort": events, not outcomes
    if ctx and not (mild or serious or absolute or outcomes) and _SAFETY_NOUN.search(ctx) \
            and not _CONTRAINDICATION.search(ctx) and len(item.split()) <= 8 and not lex.effect.find(item):
        # an item of a list of side effects ("Side effects: \u2022 weight gain") names an adverse event, known
        # to the lexicon or not
        mild = [item.rstrip(".;,")]

    # direction of the claimed change: "reduces range of motion" or "increases pain" say "worse"
    harm = _harmful_outcomes(t, lex, chosen)
    # a temporary increase in pain is an adverse event (soreness after treatment, aggravation)
    tm = _mask(t, lex)
    if "pain" in harm and not mild and not serious and _TEMPORARY.search(tm):
        mild = ["pain increase"]
        harm = [x for x in harm if x != "pain"]
        outcomes = tuple(x for x in outcomes if x != "pain")

    interv = lex.intervention.find(t)
    regions = tuple(dict.fromkeys(i for i, g in enumerate(lex.region_groups) if g.search(t)))

    # --- assertion cues
    ct, explicit = _cue_text(t, lex)
    # ("doesn't have strong evidence": the explicit level is blanked in ct, so look in the sentence too)
    absent = _ABSENT.search(ct) or (_ABSENT.search(t) if len(ct) == len(t) else None)
    # "has not been proven to work": the strong word is inside the statement that proof is absent
    strong = lex.strong.search(_blank(ct, [absent.span()]) if absent is not None else ct)
    size_level, size_cue = _size_cue(_blank(ct, [m.span() for m in _NO_MORE_THAN.finditer(ct)]), lex)
    tct = _blank(ct, [m.span() for m in _DURATION_OF_CONDITION.finditer(ct)])
    tf_hits = {k: ts.find(tct) for k, ts in lex.timeframe.items()}
    timeframes = tuple(TF_TO_BUCKET[k] for k in _TF_ORDER if tf_hits.get(k))
    timeframe_cues = tuple(h[0] for k in _TF_ORDER for h in tf_hits.get(k, ()))
    universal = lex.universality.search(ct)
    effect = [e for e in lex.effect.find(t) if not desc_span[0] <= e[1] < desc_span[1]]
    comp_idx, comp_terms = _comparators(_CONTRAST_ASIDE.sub(lambda m: " " * len(m.group(0)), t), lex)

    # safety stance
    safety, detail = _safety_stance(t, lex, chosen, absolute, mild, serious, outcomes)

    neg, non_universal = _negation_cue(ct, lex)
    exc = _EXCEPT.search(t)
    any_outcome = False
    if exc is not None and neg is not None and neg[1] < exc.start():
        # "no difference in any outcome except range of movement": the denial covers the outcomes not excepted; those
        # named after "except" are the exception (neither denied nor claimed here)
        excepted = {h[1] for h in chosen if h[0] == "outcome" and h[3] >= exc.start()}
        kept = [h for h in chosen if not (h[0] == "outcome" and h[1] in excepted)]
        outcomes = tuple(dict.fromkeys(h[1] for h in kept if h[0] == "outcome"))
        outcome_terms = tuple(dict.fromkeys(h[2] for h in kept if h[0] == "outcome"))
        harm = [x for x in harm if x in outcomes]
        any_outcome = not outcomes
    if non_universal is not None:  # "not everyone": neither a universal claim nor a denial of the effect, a hedge
        universal = None
    weak = _WEAK_DENIAL.search(ct)
    if weak is not None and neg is not None and neg[1] < weak.end() and weak.start() < neg[2]:
        # "does not work that well": a small effect, not no effect
        neg = _negation(_blank(ct, [weak.span()]), lex)
        if size_level is None or _SIZE_RANK[size_level] > _SIZE_RANK["small"]:
            size_level, size_cue = "small", weak.group(0)
    negated = neg is not None or size_level == "trivial"
    neg_cue = neg[0] if neg else (size_cue if size_level == "trivial" else None)
    fade = _FADES.search(ct)
    if fade is not None and not negated:
        # "the benefits fade within a few months": a denial of a lasting effect
        negated, neg_cue = True, fade.group(0)
        timeframes, timeframe_cues = ("long_term",), (fade.group(0),)

    certainty, cue = _projected_certainty(ct, lex, explicit, strong)
    if absent is not None and not strong and not _REPORTED.search(t):  # (a study that found "no evidence of" an
        # effect reports a null result: a denial, judged as one)
        # "there is no evidence that it works", "unproven": the sentence says the evidence is absent
        certainty, cue = "very_low", absent.group(0)
        negated, neg_cue = True, absent.group(0)
    elif absent is not None:
        absent = None
    if certainty == "very_low" and cue is not None and _ATTRIBUTION_CUE.search(cue) and not _mask(t, lex).lstrip() \
            .lower().startswith(("how", "why")):
        # "is believed to", "the theory is": an attribution, a hedge like "may" - not a statement that the
        # evidence is very uncertain
        certainty = "low"
    if non_universal is not None and certainty == "high" and not strong:
        certainty, cue = "low", non_universal.group(0)
    reported = _REPORTED.search(t) is not None and not strong
    top = explicit[0][4] if explicit and certainty == explicit[0][2] and cue == explicit[0][3] else None
    per_outcome = _levels_per_outcome(explicit, chosen)
    if reported and size_cue is not None and size_cue.lower().startswith("significant"):
        size_level, size_cue = None, None  # "significantly greater" in a study's result: statistical significance

    # --- is it a claim?
    has_effect = bool(effect)
    # a claim about the intervention has it (or a pronoun for it) as its agent; with neither, only a
    # sentence in a treatment's context ("after two sessions", "patients typically see") or a strong cue
    # ("clinically proven to ...") is read as one ("knee pain is no exception" is not)
    nominal = topic and (_EFFECT_NOUN.search(item) is not None or any(
        h[0] == "outcome" and _CHANGE_BEFORE.search(t[max(0, h[3] - 25):h[3]]) for h in chosen))
    about = agent or treated or strong is not None or nominal
    # a time frame alone does not make a claim ("I had back pain for 3 years")
    outcome_claim = about and bool(outcomes) and (has_effect or size_level is not None
                                                  or strong is not None or negated or cue is not None)
    lay = {c.concept for c in lex.mechanisms if c.pack_match is None}
    held = {c.concept for c in lex.mechanisms if lex.is_evidence_mechanism(c)}
    # a lay metaphor ("flushes toxins", "rebalances energy") asserts by itself
    # (a named mechanism of the evidence - "local blood flow" - is about the intervention by itself)
    mech_claim = (about or any(m in held for m in mechanisms)) and bool(mechanisms) and (has_effect or strong is not None
                                                 or (agent and any(m in lay for m in mechanisms)))
    foreign_claim = about and bool(foreign) and (has_effect or size_level is not None or strong is not None
                                                 or outcome_claim)
    if agent and has_effect and absent is None and not (outcome_claim or mech_claim or safety is not None
                                                        or foreign_claim):
        # the intervention as agent of an effect verb whose object the lexicon does not know: a claim on it
        obj = _unknown_object(tm)
        if obj is not None:
            foreign, foreign_claim = (obj,), True
    general = (not outcome_claim and not mech_claim and safety is None and not foreign_claim
               and ((absent is not None and (agent or treated or nominal))
                    or (any_outcome and about)
                    # "for SSRIs, the relative risk of improvement was 1.37 (95% CI ...)": a reported estimate
                    or (reported and bool(interv) and _ESTIMATE.search(t) is not None)
                    # "the research is still limited", in a text about the intervention: a statement on its evidence
                    or (topic and certainty == "very_low" and cue is not None and not _ATTRIBUTION_CUE.search(cue)
                        and _EVIDENCE_SUBJECT.search(item) is not None)
                    # "more people improved on X than on placebo": an effect compared with a comparator
                    or (bool(interv) and has_effect and bool(comp_idx) and _THAN.search(t) is not None)
                    # "the effect is negligible", "a tremendous effect", in a text about it: a claim on the size
                    or (nominal and size_level is not None and _EFFECT_NOUN.search(item) is not None)
                    or _general_efficacy(t, lex, bool(interv) or (antecedent and re.match(r"(?i)\s*(it|this|they|these)\b", t)
                                                                   is not None and _pronoun_head(t) is not None),
                                         has_effect, negated, certainty, cue,
                                         strong is not None or size_level is not None or universal is not None,
                                         bool(timeframes))))
    # how the treatment works, in general: a claim when the sentence takes a stance on it
    mech_general = False
    if not mech_claim:
        mech_general, doubted, certainty, cue = _mechanism_stance(tm, strong, certainty, cue)
        if doubted:
            negated, neg_cue = True, cue
    if mech_general:
        general = False
    if about and has_effect and not (outcome_claim or mech_claim or safety is not None or foreign_claim) \
            and _SUBGROUP.search(item):
        general = True  # "patients over 40 benefitted more": a claim for a subgroup
    mod = _MODIFIER.search(item)
    if mod is not None and about and not (outcome_claim or mech_claim or safety is not None or foreign_claim):
        general = True  # "protection was greatest in infants": a claim about the effect, judged as unsupported
    if mod is None and safety in ("event", "general", "danger"):
        # "those with bleeding disorders are at higher risk", "the size of the bruise varies depending on ...": what
        # changes a harm's risk, which the safety profile (rates across all patients) does not hold
        mod = ((_RISK_MORE.search(item) if _RISK_GROUP.search(item) else None) or _VARIES_WITH.search(item))
    is_claim = outcome_claim or mech_claim or safety is not None or foreign_claim or general or mech_general
    if not outcome_claim:
        outcomes, outcome_terms = (), ()
    if not mech_claim:
        mechanisms, mechanism_terms = (), ()
    if not foreign_claim:
        foreign = ()
    reason = "" if is_claim else "no outcome, mechanism, safety or efficacy assertion found"
    harm = [x for x in harm if x in outcomes]
    inf = _INFERIOR.search(tm) if comp_idx else None
    inferior = inf is not None
    if inf is not None and neg is not None and neg_cue is not None and neg_cue.lower() in inf.group(0).lower():
        negated, neg_cue = False, None  # "less effective than massage" compares; it does not deny an effect
    return Assertion(
        harm=tuple(harm), reported=reported, text=text, is_claim=is_claim, outcomes=outcomes, outcome_terms=outcome_terms, foreign=foreign,
        mechanisms=mechanisms, mechanism_terms=mechanism_terms, safety=safety, safety_detail=detail,
        general=general, mentions_intervention=bool(interv), certainty=certainty, certainty_cue=cue,
        size=size_level, size_cue=size_cue, timeframes=timeframes, timeframe_cues=timeframe_cues,
        universal_cue=universal[0] if universal else None, negated=negated, negation_cue=neg_cue,
        comparators=tuple(comp_idx), comparator_terms=tuple(comp_terms), regions=regions, reason=reason,
        mechanism_general=mech_general, inferior=inferior,
        attributed=certainty in ("low", "very_low") and _ATTRIBUTED.search(ct) is not None,
        subgroups=_subgroups(item),
        modifier=mod.group(0) if mod is not None and is_claim else None,
        certainty_top=top, outcome_certainty=tuple(x for x in per_outcome if x[0] in outcomes),
        agent=agent or treated or strong is not None, absent=absent is not None and is_claim,
    )


#: "... revealed similar findings", "the same results were seen in ...": the claim of the sentence before, reported again
_SAME_FINDINGS = re.compile(r"(?i)\b(similar|the\s+same|comparable|consistent|matching|identical)\s+(\w+\s+)?(findings|"
                            r"results|effects|benefits|conclusions?|outcomes|improvements)\b")


def restated(previous: Assertion, text: str) -> Assertion | None:
    """The effect claim of ``previous`` as reported again by ``text`` ("A meta-analysis ... revealed similar
    findings"), or None when ``text`` does not refer back to a finding.  The restatement is a reported result: it
    keeps the outcomes, direction and comparators claimed, but no certainty, size, time frame, subgroup or
    outcome the evidence lacks of its own."""
    if not previous.is_claim or _SAME_FINDINGS.search(text) is None:
        return None
    if previous.absent or previous.certainty == "very_low" or not (previous.outcomes or previous.general):
        return None  # "similar findings" refer back to a finding, not to a statement that evidence is lacking
    return dataclasses.replace(previous, text=text, reported=True, certainty="high", certainty_cue=None,
                               certainty_top=None, outcome_certainty=(), size=None, size_cue=None, timeframes=(),
                               timeframe_cues=(), universal_cue=None, attributed=False, foreign=(), modifier=None,
                               subgroups=(), mechanisms=(), mechanism_terms=(), safety=None, safety_detail={},
                               mechanism_general=False)
