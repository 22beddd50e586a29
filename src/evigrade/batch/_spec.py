"""What every batch entry point shares and that needs no pandas: the options' validation, the output
columns and the note legend, and the header check of a CSV (so that ``batch.stream`` can run a plain
``analysis_id, yi, vi`` table without importing pandas; ``batch.core`` re-exports these names)."""
from __future__ import annotations

import csv
from typing import Any

import numpy as np

from .._options import ENGINE_METHODS, ENGINE_TESTS, canonical_level, canonical_method, canonical_test
from .._validate import check_positive
from ..errors import InputError, SpecError
from ..notes import BATCH_CODES, note_messages

__all__ = ["NOTE_MESSAGES", "OUTPUT_COLUMNS", "NUMBER_COLUMNS", "check_spec", "check_control", "header_names"]

#: What each per-analysis note code means (the ``notes`` column holds codes joined by "; "); the
#: codes and their messages come from the catalogue ``evigrade.notes.NoteCode``, shared with ``stats``.
NOTE_MESSAGES: dict[str, str] = note_messages(BATCH_CODES)

#: Output columns, in order (after ``analysis_id``).
OUTPUT_COLUMNS = (
    "k", "method", "test", "estimate", "se", "stat", "pval", "ci_low", "ci_high", "pi_low", "pi_high",
    "tau2", "tau2_se", "tau2_ci_low", "tau2_ci_high", "tau", "i2", "i2_ci_low", "i2_ci_high",
    "h2", "h2_ci_low", "h2_ci_high", "q", "q_df", "q_pvalue", "df", "tau2_raw", "converged",
    "iterations", "method_used", "notes",
)

#: the columns read as numbers (metafor names): only these turn NA-like cells into missing values
NUMBER_COLUMNS = frozenset(("yi", "vi", "sei", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di",
                            "n1i", "n2i", "xi", "ni", "mi", "ri", "ti", "ci_low", "ci_high"))


def check_spec(method: str, test: str, level: float, tau2_ci: bool, pi: bool) -> tuple[Any, Any, float]:
    """(method, test, level as a fraction), canonical; a bad option is a one-line SpecError.  (Typed
    Any: the callers rebind their ``Method`` / ``Test`` literal parameters to the canonical names.)"""
    method = canonical_method(method, ENGINE_METHODS)
    test = canonical_test(test, ENGINE_TESTS)
    lev = canonical_level(level)
    for name, val in (("tau2_ci", tau2_ci), ("pi", pi)):
        if not isinstance(val, (bool, np.bool_)):
            raise SpecError(f"{name}={val!r} must be True or False")
    return method, test, lev


def check_control(control: dict[str, Any] | None) -> tuple[float, int]:
    """(threshold, maxiter) from ``control`` (defaults 1e-12 and 1000, as ``stats.meta_analysis``)."""
    control = dict(control or {})
    unknown = set(control) - {"threshold", "maxiter"}
    if unknown:
        raise SpecError(f"control has unknown keys {sorted(unknown)}; allowed: 'threshold', 'maxiter'")
    threshold = check_positive("control['threshold']", control.get("threshold", 1e-12))
    maxiter = control.get("maxiter", 1000)
    if not isinstance(maxiter, (int, np.integer)) or isinstance(maxiter, bool) or maxiter < 1:
        raise SpecError(f"control['maxiter']={maxiter!r} must be a whole number >= 1")
    return threshold, int(maxiter)


def header_names(text: str, delim: str, name: str) -> list[str]:
    """The column names of the CSV ``text`` (its first non-blank line), stripped; a name that appears
    twice (or a data column twice in another case, "yi" and "YI") is refused, naming both columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    header = next(csv.reader([first], delimiter=delim), [])
    seen: dict[str, int] = {}
    known: dict[str, tuple[int, str]] = {}
    for j, h in enumerate(c.strip().lstrip("\ufeff") for c in header):
        if h and h in seen:
            raise InputError(f"column name appears twice (columns {seen[h] + 1} and {j + 1})", file=name, row=1,
                             column=h, fix="give every column a unique name (remove or rename one of them)")
        seen[h] = j
        if h.lower() in NUMBER_COLUMNS:
            if h.lower() in known:
                k0, h0 = known[h.lower()]
                raise InputError(f"column name appears twice (columns {k0 + 1} and {j + 1}: {h0} and {h})",
                                 file=name, row=1, column=h0,
                                 fix="give every column a unique name (remove or rename one of them)")
            known[h.lower()] = (j, h)
    return list(seen)
