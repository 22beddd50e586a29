#!/usr/bin/env python
"""Evaluate the claims checker on the labelled set and print precision and recall per verdict.

    python scripts/claims_eval.py                      # against the bundled pack (live summary + GRADE)
    python scripts/claims_eval.py --evidence snapshot  # against the stored snapshot the tests use
    python scripts/claims_eval.py --evidence reference # against the hand-curated reference evidence
    python scripts/claims_eval.py --show-errors        # list every disagreement with the reasons
    python scripts/claims_eval.py --all                # all six labelled sets together (282 sentences)
    python scripts/claims_eval.py --write-snapshot     # store the live bundled evidence as the snapshot
                                                       # (tests/claims/bundled_evidence_snapshot.json)

tests/unit/test_claims_eval.py runs the same evaluation and requires the figures printed here.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "claims" / "claims_labelled.csv"
SNAPSHOT = ROOT / "tests" / "claims" / "bundled_evidence_snapshot.json"


def main(argv: list[str] | None = None) -> int:
    from evigrade.claims import default_evidence, load_evidence, reference_evidence
    from evigrade.claims.evaluate import evaluate, read_labelled

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", default=str(LABELLED))
    ap.add_argument("--all", action="store_true", help="evaluate every tests/claims/claims_*.csv together")
    ap.add_argument("--evidence", default="bundled", help="bundled | snapshot | reference | PATH.json")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--write-snapshot", action="store_true")
    args = ap.parse_args(argv)

    if args.evidence == "bundled":
        ev = default_evidence()
    elif args.evidence == "snapshot":
        ev = load_evidence(SNAPSHOT)
    elif args.evidence == "reference":
        ev = reference_evidence()
    else:
        ev = load_evidence(args.evidence)
    if args.write_snapshot:
        if any(n.code == "claims_reference_evidence" for n in ev.notes):
            print("not writing the snapshot: the bundled pack could not be summarised "
                  f"({ev.notes[-1].message})", file=sys.stderr)
            return 3
        SNAPSHOT.write_text(json.dumps(ev.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({len(ev.findings)} findings)")
    if args.all:
        items = sum((read_labelled(p) for p in sorted(LABELLED.parent.glob("claims_*.csv"))), ())
    else:
        items = read_labelled(args.labelled)
    res = evaluate(items, ev)
    if args.json:
        print(json.dumps(res.to_dict(), indent=2))
        return 0
    print(f"evidence: {res.evidence_origin}")
    for n in ev.notes:
        print(f"note: {n.message}")
    print(f"labelled sentences: {res.n}   accuracy: {res.accuracy:.3f} ({sum(r.correct for r in res.rows)}/{res.n})")
    print(f"{'verdict':14s}{'support':>8s}{'predicted':>10s}{'precision':>10s}{'recall':>8s}")
    for v, d in res.per_verdict().items():
        p = "-" if d["precision"] is None else f"{d['precision']:.3f}"
        r = "-" if d["recall"] is None else f"{d['recall']:.3f}"
        print(f"{v:14s}{d['support']:>8d}{d['predicted']:>10d}{p:>10s}{r:>8s}")
    exact, scored = res.aspect_agreement()
    print(f"overstated aspects: exact match {exact}/{scored}")
    print("by category: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in res.per_category().items()))
    if args.show_errors:
        for r in res.rows:
            if not r.correct or (r.item.aspects and r.verdict == "overstated" and set(r.aspects) != set(r.item.aspects)):
                print(f"\n{r.item.id} expected {r.item.verdict} {list(r.item.aspects)} got {r.verdict} {list(r.aspects)}")
                print(f"  {r.item.sentence}")
                for w in r.explanation:
                    print(f"  why: {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
