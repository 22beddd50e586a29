"""Constructed findings over the full certainty x magnitude x direction grid, and their statements.

Regenerate the golden file (then review every sentence by eye before committing)::

    python scripts/make_statements_golden.py tests/reference/golden/statements.json

The test ``tests/unit/test_language_statements.py`` rebuilds every statement from the stored
inputs and compares it with the stored sentence.  (A test-data generator: it lives in scripts/, not in
the package, so that evigrade.language does not import evigrade.grade.)
"""
from __future__ import annotations

import json
import sys
from typing import Any

from evigrade.grade import GradeConfig, GradeInput, magnitude
from evigrade.language import statement

__all__ = ["grid_cases", "build_golden", "main"]

CERTAINTIES = ("high", "moderate", "low", "very_low")

# (outcome, measure, benefit, mid, {size: |estimate|}, half-width of the CI)
_OUTCOMES = (
    ("pain intensity", "MD", "lower", 1.0, {"trivial": 0.3, "small": 1.5, "moderate": 3.0, "large": 5.0}, 0.4),
    ("pressure pain threshold", "SMD", "higher", None, {"trivial": 0.1, "small": 0.3, "moderate": 0.6, "large": 1.0}, 0.08),
)


def _case(cid: str, certainty: str, outcome: str, measure: str, benefit: str, mid: float | None, est: float,
          lo: float, hi: float, *, timeframe: str | None = "short term", comparison: str | None = "sham needling",
          intervention: str = "dry needling", intended: dict[str, Any] | None = None,
          comparator_active: bool = False) -> dict[str, Any]:
    f = {"outcome_name": outcome, "measure": measure, "benefit": benefit, "mid": mid, "estimate": est,
         "ci_low": lo, "ci_high": hi, "k": 5, "timeframe": timeframe, "comparison": comparison,
         "intervention": intervention}
    if comparator_active:
        f["comparator_active"] = True
    return {
        "id": cid,
        "certainty": certainty,
        "finding": f,
        "intended": intended or {},
    }


def grid_cases() -> list[dict[str, Any]]:
    """The constructed findings (without their statements)."""
    cases = []
    for outcome, measure, benefit, mid, sizes, hw in _OUTCOMES:
        for certainty in CERTAINTIES:
            for size, mag in sizes.items():
                for direction in ("benefit", "harm"):
                    good_sign = -1.0 if benefit == "lower" else 1.0
                    est = round(mag * (good_sign if direction == "benefit" else -good_sign), 6)
                    lo, hi = round(est - hw, 6), round(est + hw, 6)
                    cases.append(_case(f"{measure}-{benefit}-{certainty}-{size}-{direction}", certainty, outcome,
                                       measure, benefit, mid, est, lo, hi,
                                       intended={"size": size, "direction": direction, "kind": "grid"}))
    # "no evidence of an effect" is not "evidence of no effect": trivial estimates whose CI reaches
    # an important benefit, an important harm, or both; and estimates without an MID whose CI includes 0
    for certainty in CERTAINTIES:
        for tag, (lo, hi) in {"reaches_benefit": (-1.6, 0.4), "reaches_harm": (-0.8, 1.3), "reaches_both": (-1.7, 1.5)}.items():
            cases.append(_case(f"MD-lower-{certainty}-trivial-{tag}", certainty, "pain intensity", "MD", "lower", 1.0,
                               -0.3, lo, hi, intended={"size": "trivial", "kind": tag}))
        cases.append(_case(f"MD-nomid-{certainty}-includes-null", certainty, "neck disability", "MD", "lower", None,
                           -4.0, -9.0, 1.0, intended={"size": "unclassified", "kind": "no_mid_includes_null"}))
        cases.append(_case(f"MD-nomid-{certainty}-excludes-null", certainty, "neck disability", "MD", "lower", None,
                           -4.0, -7.0, -1.0, intended={"size": "unclassified", "kind": "no_mid_excludes_null"}))
    # time frames and comparisons in the sentence
    for tf in ("immediate", "mid term", "long term", "short term + mid term", "at 12 months", None,
               "immediate + short term", "mid term + long term", "immediate + long term"):
        cases.append(_case(f"timeframe-{tf}", "moderate", "pain intensity", "MD", "lower", 1.0, -3.0, -3.4, -2.6,
                           timeframe=tf, intended={"kind": "timeframe"}))
    for cmp_ in ("exercise alone", "when added to exercise", None,
                 # raw labels never reach the sentence: slashes, a region bracket, an unstated comparator
                 "DN vs sham/placebo/waiting list/other DN (neck)", "DN vs comparator not stated (neck)",
                 "any comparator (reviews pooling all comparators)", "DN added to exercise vs exercise alone (neck)"):
        cases.append(_case(f"comparison-{cmp_}", "low", "pain intensity", "MD", "lower", 1.0, -1.5, -1.9, -1.1,
                           comparison=cmp_, intended={"kind": "comparison"}))
    # an active comparator (e.g. trigger-point injection): comparative wording, never "increases pain"
    for certainty in CERTAINTIES:
        for size, est in (("small", 1.5), ("moderate", 3.0), ("large", 5.0)):
            cases.append(_case(f"active-MD-lower-{certainty}-{size}-favours-comparator", certainty, "pain intensity", "MD",
                               "lower", 1.0, est, round(est - 0.4, 6), round(est + 0.4, 6),
                               comparison="trigger-point injection", comparator_active=True,
                               intended={"kind": "active_comparator", "size": size, "direction": "harm"}))
        cases.append(_case(f"active-SMD-higher-{certainty}-moderate-favours-comparator", certainty,
                           "pressure pain threshold", "SMD", "higher", None, -0.6, -0.68, -0.52,
                           comparison="manual therapy", comparator_active=True,
                           intended={"kind": "active_comparator", "size": "moderate", "direction": "harm"}))
        cases.append(_case(f"active-MD-lower-{certainty}-moderate-favours-intervention", certainty, "pain intensity",
                           "MD", "lower", 1.0, -3.0, -3.4, -2.6, comparison="manual therapy", comparator_active=True,
                           intended={"kind": "active_comparator", "size": "moderate", "direction": "benefit"}))
        cases.append(_case(f"active-MD-nomid-{certainty}-includes-null", certainty, "pressure pain threshold", "MD",
                           "higher", None, -25.8, -58.0, 6.4, comparison="trigger-point injection",
                           comparator_active=True, intended={"kind": "active_comparator", "size": "unclassified"}))
    return cases


def render_case(case: dict[str, Any], config: GradeConfig | None = None) -> tuple[dict[str, Any], str]:
    """(magnitude dict, statement) for one constructed case."""
    f = case["finding"]
    inp = GradeInput(estimate=f["estimate"], ci_low=f["ci_low"], ci_high=f["ci_high"], measure=f["measure"],
                     benefit=f["benefit"], k=f["k"], mid=f["mid"])
    mag = magnitude(inp, config)
    text = statement(case["certainty"], mag, outcome_name=f["outcome_name"], timeframe=f["timeframe"],
                     intervention=f["intervention"], comparison=f["comparison"],
                     comparator_active=bool(f.get("comparator_active", False)))
    return {"size": mag.size, "direction": mag.direction, "change": mag.change,
            "ci_excludes_important": mag.ci_excludes_important, "ci_includes_null": mag.ci_includes_null}, text


def build_golden() -> dict[str, Any]:
    out = []
    for case in grid_cases():
        mag, text = render_case(case)
        out.append({**case, "magnitude": mag, "statement": text})
    return {
        "description": "GRADE informative statements for constructed findings (certainty x magnitude x direction).",
        "source": "Santesso N, Glenton C, Dahm P, et al. GRADE guidelines 26: informative statements to communicate "
                  "the findings of systematic reviews of interventions. J Clin Epidemiol 2020;119:126-135.",
        "regenerate": "python scripts/make_statements_golden.py tests/reference/golden/statements.json",
        "reviewed": "every sentence read by eye when generated",
        "cases": out,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(build_golden(), indent=2, ensure_ascii=False) + "\n"
    if not args:
        sys.stdout.write(text)
        return 0
    import os
    import tempfile

    path = args[0]
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
