"""View pieces of the report model added for the extended Summary (issue 5 follow-up).

* :func:`key_points` -- the Summary's ``key_messages`` (derived by ``evigrade.grade``) with certainty
  symbols and word, split into the headline and the "not rated" detail;
* :func:`contrasts` -- the Summary's ``comparisons`` (what the intervention does against sham, as an
  add-on, against active treatments ...);
* :func:`narrative_rows` -- results without numbers (source's words, direction, "certainty not rated");
* :func:`absolute_text` -- the SoF "anticipated absolute effect" cell (``evigrade.grade.sof`` logic:
  per 1000 from a baseline risk for binary outcomes, the mean difference in natural units for
  continuous ones, an SMD re-expressed in a reference instrument's units where the grade record has it);
* :func:`safety_view` -- safety classes pooled or not (range across sources, each source's rate with its
  exact CI, the rule-of-three bound where a count is zero), common mild event types, case reports.

Numbers become strings here, once; nothing here prints "NA" where the Summary has a value.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

from .._escape import first_url
from ..effects.measures import BINARY_MEASURES, RATIO_MEASURES
from ..errors import InputError
from ..grade.families import ComparisonContrast
from ..grade.integrate import KeyMessage
from ..packs.summary import SafetyItem, SafetyPool, SafetySummary
from .._format import fmt, fmt_fixed, fmt_pct, fmt_rate
from .._access import finite_float as _f, first as _g

__all__ = ["key_points", "contrasts", "narrative_rows", "absolute_text", "DIRECTION_WORDS"]


def humanise(s: Any) -> str:
    """A snake_case key in words ("some_concerns" -> "some concerns"); other text as it is; None -> ""."""
    if s is None:
        return ""
    s = str(s)
    return s.replace("_", " ") if re.fullmatch(r"[a-z0-9_]+", s) else s


# --------------------------------------------------------------------------------------------
# key messages, conclusion, comparison contrasts

_KIND_ORDER = {"effect": 0, "practice": 1, "safety": 2, "mechanisms": 3}
_NOT_RATED = re.compile(r"\s*Not rated \(no numbers?\):\s*", re.IGNORECASE)


def kind_of(km: KeyMessage) -> str:
    return km.kind


def key_points(messages: Sequence[KeyMessage], certainty_symbols: Callable[[str | None], tuple[str, str]],
               anchors: Mapping[tuple[str, ...], str]) -> tuple[dict[str, Any], ...]:
    """The Summary's key messages, effect messages first, each with symbols + word and a link
    (``messages`` typed; a saved summary's are read by ``report.load.load_key_messages``)."""
    out = []
    for i, km in enumerate(messages):
        text = km.text.strip()
        topic = humanise(km.topic.strip())
        label = ""
        m = re.match(r"([^.:;]{1,100}?):\s+", text)
        if m:  # "Pain: ...", "Safety (reassuring): ...", "Added to another therapy (...): ..."
            head_txt = m.group(1).strip()
            pm = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", head_txt)
            if topic and head_txt.casefold() == topic.casefold():
                pass
            elif pm and topic and pm.group(1).casefold() == topic.casefold():
                label = pm.group(2)
            else:
                topic = head_txt
            text = text[m.end():].strip()
        parts = _NOT_RATED.split(text, maxsplit=1)
        head, rest = parts[0].strip(), (parts[1] if len(parts) > 1 else "")
        nm = re.match(r"no numeric estimate, so certainty is not rated;\s*", head, re.IGNORECASE)
        if nm:  # results without numbers only: a short headline, the sources' results behind a disclosure
            rest = head[nm.end():] + (("; " + rest) if rest else "")
            head = "No numeric estimate, so certainty is not rated."
        # the first sentence is the statement; what follows (counts across the family) is context
        sm = re.search(r"(?<=[).])\s+(?=\d+ of \d+ |[A-Z][a-z]+ )", head)
        context = ""
        if sm and kind_of(km) in ("effect", "practice"):
            head, context = head[:sm.start()].strip(), head[sm.end():].strip()
        kind = km.kind
        sym, word = certainty_symbols(km.certainty)
        if km.certainty is None:
            word = "Not rated" if kind in ("effect", "practice") else "GRADE not applicable"
        anchor = anchors.get(km.finding) if km.finding is not None else None
        rng = humanise(km.certainty_range)
        out.append({
            "kind": kind,
            "topic": topic[:1].upper() + topic[1:],
            "label": label,
            "headline": head[:1].upper() + head[1:],
            "not_rated": rest.strip(),
            "n_not_rated": len([x for x in re.split(r";\s+(?=[A-Z])", rest.strip()) if x]) if rest.strip() else 0,
            "context": context,
            "certainty": km.certainty,
            "symbols": sym,
            "word": word,
            "range": rng if rng and rng.casefold() != word.casefold() else "",
            "anchor": anchor or "",
            "order": (_KIND_ORDER.get(kind, 9) if not (kind == "effect" and km.certainty is None) else 2.5, i),
        })
    out.sort(key=lambda x: x["order"])  # type: ignore[arg-type,return-value]  # (rank, index) tuples
    return tuple(out)


_CONTRAST_LABEL = {
    "sham": "Against sham, placebo or no treatment",
    "add_on": "Added to another therapy (vs that therapy alone)",
    "active": "Instead of another active treatment",
    "between_forms": "Against other forms of the same intervention",
    "mixed": "Against mixed comparators (reviews pooling all comparators)",
}
#: each count's words, in the order a row lists them
_COUNT_WORDS = {"favours": "favour it", "inconclusive": "inconclusive", "harms": "favour the comparator",
                "very uncertain": "very uncertain", "not rated": "no numbers (not rated)"}


def contrasts(comparisons: Sequence[ComparisonContrast]) -> tuple[dict[str, Any], ...]:
    """One row per comparison kind (typed; a saved summary's are read by ``report.load.load_contrasts``)."""
    out = []
    for c in comparisons:
        kind = c.kind
        counts = c.counts
        rated = sum(int(v) for k, v in counts.items() if k != "not rated")
        parts = [f"{int(counts[k])} {words}" for k, words in _COUNT_WORDS.items() if counts.get(k)]
        parts += [f"{int(v)} {humanise(k)}" for k, v in sorted(counts.items()) if k not in _COUNT_WORDS and v]
        sentence = c.sentence.strip()
        sm = re.match(r"[^:]{1,120}:\s+", sentence)
        if sm:  # the label column already names the comparison
            sentence = sentence[sm.end():]
            sentence = sentence[:1].upper() + sentence[1:]
        out.append({
            "kind": kind,
            "label": _CONTRAST_LABEL.get(kind, humanise(kind).capitalize()),
            "sentence": sentence,
            "n_findings": str(c.n_findings) if c.n_findings else "",  # 0: not stated
            "rated": str(rated),
            "certainty_range": humanise(c.certainty_range) or "not rated",
            "counts": "; ".join(parts),
            "is_addon": kind == "add_on",
        })
    return tuple(out)


# --------------------------------------------------------------------------------------------
# results without numbers

DIRECTION_WORDS = {
    "favours_intervention": "favours {i}",
    "favours_comparator": "favours the comparator",
    "no_difference": "no difference reported",
    "mixed": "mixed results",
    "unclear": "direction not clear",
}


def direction_text(direction: Any, intervention: str) -> str:
    if not direction:
        return "direction not stated"
    return DIRECTION_WORDS.get(str(direction), humanise(direction)).format(i=intervention)


def narrative_rows(f: Mapping[str, Any], add_ref: Callable[[Any], tuple[int, ...]], intervention: str) -> tuple[dict[str, str], ...]:
    """One row per result without numbers: the source's own words, the direction, 'certainty not rated'."""
    rows = []
    for n in _g(f, "narrative", default=()) or ():
        if not isinstance(n, Mapping):
            continue
        sid = str(_g(n, "source_id", "review_id", "study_id", default="")).strip()
        cit = _g(n, "citation")
        nums = add_ref({"id": sid, "citation": str(cit), "url": first_url(n.get("source"))}) if sid and cit else add_ref(sid) if sid else ()
        raw = str(_g(n, "result_as_reported", default="")).strip()
        words = re.sub(r"^(qualitative|range)\s*:?\s*", "", raw, flags=re.IGNORECASE).strip()
        said = str(_g(n, "direction_as_reported", default="") or "").strip()
        if not words:  # a bare "qualitative": the direction as the source states it is all there is
            words = said or raw or "no result text"
        pv = str(_g(n, "p_value", default="") or "").strip()
        if pv:
            words += f" (p {pv})" if pv[0] in "<>=" else f" (p = {pv})"
        kind = str(_g(n, "kind", default=""))
        k = _f(n.get("k"))
        what = "review" if kind == "review" else "trial" if kind == "trial" else humanise(kind)
        if kind == "review" and k is not None and k > 1:
            what += f" of {int(k)} trials"
        rows.append({
            "source": sid or "source",
            "kind": what,
            "words": words,
            "as_reported": humanise(_g(n, "direction_as_reported", default="")),
            "direction": direction_text(_g(n, "direction"), intervention),
            "direction_key": str(_g(n, "direction", default="")),
            "refs": ", ".join(f"[{x}]" for x in nums),
        })
    return tuple(rows)



# --------------------------------------------------------------------------------------------
# anticipated absolute effect (SoF column)

#: ratio measures of events: a baseline risk turns them into an absolute effect per 1000 (ROM is no risk)
_RATIO = RATIO_MEASURES & BINARY_MEASURES


def _diff_text(est: float, lo: float, hi: float, unit: str, digits: int, lower: str = "lower", higher: str = "higher",
               prefix: str = "") -> str:
    def one(x: float) -> str:
        if x == 0:
            return "0"
        return f"{fmt(abs(x), digits)} {lower if x < 0 else higher}"
    if unit == "per 1000":
        head = f"{prefix}{fmt(abs(est), digits)} {lower if est < 0 else higher} per 1000" if est != 0 else f"{prefix}no difference"
        return f"{head} ({one(lo)} to {one(hi)})"
    short = unit and len(unit) <= 14
    head = f"{prefix}{fmt(abs(est), digits)}{(' ' + unit) if short else ''} {lower if est < 0 else higher}" if est != 0 else f"{prefix}no difference"
    return f"{head} ({one(lo)} to {one(hi)})" + (f", in {unit}" if unit and not short else "")


def absolute_text(f: Mapping[str, Any], measure: str, est: float | None, lo: float | None, hi: float | None,
                  unit: str) -> str:
    """The anticipated absolute effect, as GRADE SoF tables print it ('' where not estimable is said)."""
    if est is None or lo is None or hi is None:
        return ""
    grade = _g(f, "grade") if isinstance(_g(f, "grade"), Mapping) else {}
    inp = _g(grade, "input", default={}) or {}
    if measure == "RD":
        factor = 10.0 if max(abs(est), abs(lo), abs(hi)) > 1 else 1000.0  # percentage points vs proportion
        return _diff_text(factor * est, factor * lo, factor * hi, "per 1000", 0, "fewer", "more")
    if measure in _RATIO:
        base = _f(_g(f, "baseline_risk", "control_risk", default=_g(inp, "control_risk")))
        if base is None or not 0 < base < 1:
            return "per 1000: not estimable (no baseline risk in the evidence)"
        from ..grade.sof import _risk

        r, rl, rh = (_risk(measure, base, x) for x in (est, lo, hi))
        d, dl, dh = 1000 * (r - base), 1000 * (min(rl, rh) - base), 1000 * (max(rl, rh) - base)
        return (f"{fmt(1000 * base, 0)} per 1000 with the comparator; "
                + _diff_text(d, dl, dh, "per 1000", 0, "fewer", "more"))
    if measure == "SMD":
        mag = _g(grade, "magnitude", default={}) or {}
        rx = _g(mag, "re_expressed") if isinstance(mag, Mapping) else None
        if isinstance(rx, Mapping) and _f(rx.get("estimate")) is not None:
            u = str(_g(rx, "units", "instrument", default=""))
            return _diff_text(float(rx["estimate"]), float(rx["ci_low"]), float(rx["ci_high"]), u, 2,
                              prefix="re-expressed: ")
        return _diff_text(est, lo, hi, "SD", 2)
    if measure in ("MD", "GEN"):
        u = "" if unit in ("", "unit not stated by the source") else unit
        txt = _diff_text(est, lo, hi, u, 2)
        if not u:
            txt += " (units not stated by the source)"
        return txt
    return ""


# --------------------------------------------------------------------------------------------
# safety


def _check(label: str, p: float | None, lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and lo > hi + 1e-12:
        raise InputError("the CI lower bound exceeds the upper bound, so the report cannot describe it",
                         label=label, column="ci_low/ci_high", value=f"{lo} > {hi}", fix="check the safety rows in the pack")
    if p is not None and lo is not None and hi is not None and not (lo - 1e-12 <= p <= hi + 1e-12):
        raise InputError("the rate lies outside its own CI, so the report cannot describe it",
                         label=label, column="proportion", value=f"{p} not in [{lo}, {hi}]",
                         fix="check the safety rows in the pack")


def per_10000(x: float | None) -> str:
    return "" if x is None else f"{fmt_fixed(10000 * x, 1)} per 10,000"


def _rate_ci(p: float | None, lo: float | None, hi: float | None) -> str:
    if p is None:
        return ""
    s = fmt_rate(p, lo, hi)
    if lo is not None and hi is not None:
        s += f" ({fmt_rate(lo, p, hi)} to {fmt_rate(hi, p, lo)})"
    return s


def source_rate(it: SafetyItem, refs: Callable[[SafetyItem], tuple[int, ...]]) -> dict[str, str]:
    """One source's figure: count / denominator, rate with exact CI, rule-of-three bound when zero."""
    p, lo, hi = it.proportion, it.ci_low, it.ci_high
    _check(f"safety {it.source_id} {it.event}".strip(), p, lo, hi)
    ev, den, r3 = it.events, it.denominator, it.rule_of_three
    bound = ""
    if ev == 0 and den:
        bits = []
        if hi is not None:
            bits.append(f"exact upper 95% limit {fmt_pct(hi, 3)} ({per_10000(hi)})")
        if r3 is not None:
            bits.append(f"rule of three {fmt_pct(r3, 3)} ({per_10000(r3)})")
        bound = "; ".join(bits)
    nums = refs(it)
    return {
        "source": it.source_id,
        "event": it.event,
        "counts": f"{ev:,} / {den:,}" if ev is not None and den is not None else "",
        "rate": _rate_ci(p, lo, hi) or "no count (see as reported)",
        "bound": bound,
        "reported": it.rate_as_reported,
        "basis": humanise(it.denominator_basis),
        "refs": ", ".join(f"[{x}]" for x in nums),
    }


_SEVERITY = {"significant_or_serious": "serious or significant", "mild": "mild", "any": "any"}
#: how a severity class's rate was obtained, by the pool's measure
_POOL_METHOD = {
    "PLO": "random-effects proportion meta-analysis (logit), back-transformed",
    "PFT": "random-effects proportion meta-analysis (Freeman-Tukey), back-transformed",
    "PR": "random-effects proportion meta-analysis (raw proportions)",
    "single": "one source: exact (Clopper-Pearson) CI",
}


def pool_row(r: SafetyPool, refs: Callable[[Any], tuple[int, ...]], min_pool_k: int = 3) -> dict[str, Any]:
    """A severity class: the pooled rate (k >= min_pool_k) or the range across sources with each source
    (a stated rate of an older summary: its own ``label``, ``upper_bound`` and ``sources``).  A count of
    0 for ``k`` or ``total`` is not stated (the pipeline's pools have at least one source and treatment)."""
    sev = _SEVERITY.get(r.severity, humanise(r.severity))
    event = r.label or ("any adverse event" if sev in ("", "any") else f"any {sev} adverse event")  # not 'any any ...'
    est, lo, hi = r.estimate, r.ci_low, r.ci_high
    _check(event, est, lo, hi)
    per_source = tuple(source_rate(it, refs) for it in r.items)
    nums: list[int] = []
    for it in r.items:
        for x in refs(it):
            if x not in nums:
                nums.append(x)
    if not r.items:
        nums = list(refs({"sources": r.sources}))
    rl, rh = r.range_low, r.range_high
    if est is not None:
        rate, ci = fmt_pct(est, 2), (f"{fmt_pct(lo, 2)} to {fmt_pct(hi, 2)}" if lo is not None and hi is not None else "")
        method = _POOL_METHOD.get(r.measure, r.measure)
        if r.i2 is not None:
            method += f"; I\u00b2 = {fmt_pct(r.i2)}"
    elif rl is not None and rh is not None:
        n_src = len(r.items) or r.k
        rate = f"{fmt_rate(rl, rh)} to {fmt_rate(rh, rl)}" if rl != rh else fmt_rate(rl)
        rate += f" (range across {n_src} source{'s' if n_src != 1 else ''})"
        ci = "not pooled: each source's exact CI below"
        method = (f"not pooled (fewer than {min_pool_k} sources); "
                  "per-source exact (Clopper-Pearson) CIs")
    else:
        rate, ci, method = "no rate stated", "", r.measure
    ub, ube, r3 = r.upper_bound, r.upper_bound_exact, r.rule_of_three
    upper = "; ".join(x for x in (
        f"upper bound {fmt_pct(ub, 3)}" if ub is not None else "",
        f"exact upper 95% limit {fmt_pct(ube, 3)}" if ube is not None else "",
        f"rule of three {fmt_pct(r3, 3)}" if r3 is not None else "") if x)
    return {
        "event": event,
        "severity": sev,
        "basis": humanise(r.basis),
        "rate": rate,
        "ci": ci,
        "pooled": est is not None,
        "k": str(r.k) if r.k else "",
        "counts": f"{r.events:,} / {r.total:,}" if r.total else "",
        "method": method,
        "upper": upper,
        "sources": per_source,
        "refs": ", ".join(f"[{x}]" for x in sorted(nums)),
        "notes": tuple(n.message for n in r.notes),
    }


def event_type_rows(safety: SafetySummary, refs: Callable[[Mapping[str, Any]], tuple[int, ...]]) -> tuple[dict[str, Any], ...]:
    """Event types with a per-treatment rate (common mild ones first), each source's rate."""
    common = safety.common_mild_events
    out = []
    for e in safety.event_types:
        lo, hi = e.rate_low, e.rate_high
        by_src = []
        nums: list[int] = []
        for r in e.rates:
            p = _f(r.get("proportion"))
            n = refs(r)
            nums += [x for x in n if x not in nums]
            den = _f(r.get("denominator"))
            by_src.append(f"{_g(r, 'source_id', default='source')}: {fmt_pct(p, 2) if p is not None else r.get('rate_as_reported', '')}"
                          + (f" of {int(den):,} treatments" if den is not None else "")
                          + (" " + ", ".join(f"[{x}]" for x in n) if n else ""))
        for m in e.mentions:
            nums += [x for x in refs(m) if x not in nums]
        out.append({
            "event": e.event_type,
            "severity": humanise(e.severity),
            "frequency": humanise(e.frequency) or "no per-treatment rate",
            "range": "" if lo is None else (fmt_pct(lo, 2) if hi is None or hi == lo else f"{fmt_pct(lo, 2)} to {fmt_pct(hi, 2)}"),
            "by_source": tuple(by_src),
            "mentions": len(e.mentions),
            "common": e.event_type in common and e.severity == "mild",
            "refs": ", ".join(f"[{x}]" for x in sorted(nums)),
        })
    out.sort(key=lambda x: (not x["common"], x["severity"] != "mild", not x["range"], x["event"]))
    return tuple(out)
