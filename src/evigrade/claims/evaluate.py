"""Evaluate the checker on a labelled set: accuracy, per-verdict precision and recall, aspects.

The labelled set is a CSV with columns ``id, category, sentence, expected_verdict,
expected_aspects`` (aspects separated by ';', empty = not scored) and an optional ``note``.
``scripts/claims_eval.py`` prints these figures; ``tests/unit/test_claims_eval.py`` requires them.
"""
from __future__ import annotations

import csv
import pathlib
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .detect import analyse
from .evidence import Evidence
from .judge import ASPECTS, VERDICTS, judge

__all__ = ["LabelledSentence", "EvalRow", "EvalResult", "read_labelled", "evaluate"]

REQUIRED = ("id", "category", "sentence", "expected_verdict", "expected_aspects")


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    id: str
    category: str
    sentence: str
    verdict: str
    aspects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvalRow:
    item: LabelledSentence
    verdict: str
    aspects: tuple[str, ...]
    explanation: tuple[str, ...]

    @property
    def correct(self) -> bool:
        return self.verdict == self.item.verdict


@dataclass(frozen=True, slots=True)
class EvalResult:
    rows: tuple[EvalRow, ...]
    evidence_origin: str

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.rows) / self.n if self.n else float("nan")

    def per_verdict(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {}
        for v in VERDICTS:
            tp = sum(1 for r in self.rows if r.verdict == v and r.item.verdict == v)
            pred = sum(1 for r in self.rows if r.verdict == v)
            true = sum(1 for r in self.rows if r.item.verdict == v)
            out[v] = {"support": true, "predicted": pred, "correct": tp,
                      "precision": tp / pred if pred else None, "recall": tp / true if true else None}
        return out

    def aspect_agreement(self) -> tuple[int, int]:
        """(exact matches, scored rows): rows labelled overstated with aspects and judged overstated."""
        scored = [r for r in self.rows if r.item.verdict == "overstated" and r.item.aspects and r.verdict == "overstated"]
        exact = sum(1 for r in scored if set(r.aspects) == set(r.item.aspects))
        return exact, len(scored)

    def per_category(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self.rows:
            c, n = out.get(r.item.category, (0, 0))
            out[r.item.category] = (c + r.correct, n + 1)
        return out

    def to_dict(self) -> dict[str, Any]:
        exact, scored = self.aspect_agreement()
        return {
            "evidence_origin": self.evidence_origin, "n": self.n, "accuracy": self.accuracy,
            "per_verdict": self.per_verdict(), "aspects_exact": exact, "aspects_scored": scored,
            "per_category": {k: {"correct": c, "n": n} for k, (c, n) in self.per_category().items()},
            "errors": [{"id": r.item.id, "sentence": r.item.sentence, "expected": r.item.verdict,
                        "got": r.verdict, "aspects": list(r.aspects), "why": list(r.explanation)}
                       for r in self.rows if not r.correct],
        }


def read_labelled(path: str | pathlib.Path) -> tuple[LabelledSentence, ...]:
    p = pathlib.Path(path)
    name = str(p)
    try:
        fh = p.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise InputError("labelled set not found", file=name, fix="give the path of the labelled CSV") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"missing column {missing[0]!r}", file=name, row=1, fix=f"add the columns {', '.join(REQUIRED)}")
        items = []
        for i, row in enumerate(reader, start=2):
            v = (row["expected_verdict"] or "").strip()
            if v not in VERDICTS:
                raise InputError(f"expected_verdict must be one of {', '.join(VERDICTS)}", file=name, row=i,
                                 label=row.get("id"), column="expected_verdict", value=v, fix="use one of the verdicts")
            aspects = tuple(a.strip() for a in (row["expected_aspects"] or "").split(";") if a.strip())
            bad = [a for a in aspects if a not in ASPECTS]
            if bad:
                raise InputError(f"expected_aspects must be among {', '.join(ASPECTS)}", file=name, row=i,
                                 label=row.get("id"), column="expected_aspects", value=bad[0],
                                 fix="separate aspects with ';'")
            items.append(LabelledSentence(row["id"], row["category"], row["sentence"], v, aspects))
    return tuple(items)


def evaluate(items: tuple[LabelledSentence, ...], evidence: Evidence) -> EvalResult:
    from .check import lexicon_for

    lex = lexicon_for(evidence)
    rows = []
    for it in items:
        a = analyse(it.sentence, lex)
        j = judge(a, evidence, lex)
        rows.append(EvalRow(it, j.verdict, j.aspects, j.explanation))
    return EvalResult(tuple(rows), evidence.origin)
