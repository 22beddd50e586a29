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

Real texts (tests/claims/realtext/, labelled blind; see its README.md):

    python scripts/claims_eval.py --realtext --split tune      # the texts the rules may be tuned on
    python scripts/claims_eval.py --realtext --split heldout   # report separately, never tune on these
    python scripts/claims_eval.py --realtext --split all --show-errors
    python scripts/claims_eval.py --realtext --unit-mode units # judge each labelled unit on its own
    python scripts/claims_eval.py --set DIR --split all        # another labelled folder in the same format
    python scripts/claims_eval.py --realtext --learned         # with the learned reader (claims.learned) on
    python scripts/claims_eval.py --write-reliability          # store the held-out figures the reports print

``--set DIR`` scores a folder laid out like tests/claims/realtext/: ``DIR/texts.csv`` (text_id, file,
evidence, split; ``file`` relative to DIR) and ``DIR/labels.csv`` (text_id, unit_no, split, unit, is_claim,
expected_verdict, expected_aspects[, reason]).  It implies --realtext.

In --realtext mode each whole text is checked (``claims.check``), so sentence splitting counts: the
checker's sentences are aligned with the labelled units by their letters and digits, and each unit
gets the most severe verdict among the checker sentences that overlap it (contradicted > unsupported >
overstated > understated > consistent > not_a_claim; a unit no sentence covers is not_a_claim).
Precision and recall are printed per verdict, for "flagged" (any verdict other than consistent and
not_a_claim) and for claim detection (any verdict other than not_a_claim), per split.  Texts whose
``evidence`` column is ``bundled`` are judged against --evidence; ``pack:PATH`` (relative to the
repository) against that pack's evidence.
"""

import argparse
import csv
import json
import pathlib
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

ROOT = pathlib.Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "claims" / "claims_labelled.csv"
SNAPSHOT = ROOT / "tests" / "claims" / "bundled_evidence_snapshot.json"
REALTEXT = ROOT / "tests" / "claims" / "realtext" / "labels.csv"

SPLITS = ("tune", "heldout")
#: Most severe first: a unit covered by several checker sentences takes the first verdict found here.
SEVERITY = ("contradicted", "unsupported", "overstated", "understated", "consistent", "not_a_claim")
FLAGS = frozenset({"contradicted", "unsupported", "overstated", "understated"})
LABEL_COLUMNS = ("text_id", "unit_no", "split", "unit", "is_claim", "expected_verdict", "expected_aspects")
TEXT_COLUMNS = ("text_id", "file", "evidence", "split")


@dataclass(frozen=True, slots=True)
class RealText:
    text_id: str
    file: pathlib.Path
    evidence: str
    split: str


@dataclass(frozen=True, slots=True)
class LabelledUnit:
    text_id: str
    unit_no: int
    split: str
    unit: str
    verdict: str
    aspects: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class UnitResult:
    item: LabelledUnit
    verdict: str
    sentences: tuple[str, ...]


def _read_csv(path: pathlib.Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    from evigrade.errors import InputError

    try:
        fh = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), fix="give the path of the labelled real-text CSV") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"missing column {missing[0]!r}", file=str(path), row=1,
                             fix=f"add the columns {', '.join(required)}")
        return list(enumerate(reader, start=2))


def read_realtext(labels_path: str | pathlib.Path) -> tuple[dict[str, RealText], tuple[LabelledUnit, ...]]:
    """Read ``labels.csv`` and the ``texts.csv`` beside it, checking every value once."""
    from evigrade.claims import ASPECTS, VERDICTS
    from evigrade.errors import InputError

    lp = pathlib.Path(labels_path)
    tp = lp.parent / "texts.csv"
    texts: dict[str, RealText] = {}
    for i, row in _read_csv(tp, TEXT_COLUMNS):
        if row["split"] not in SPLITS:
            raise InputError(f"split must be one of {', '.join(SPLITS)}", file=str(tp), row=i, column="split",
                             value=row["split"], fix="use tune or heldout")
        ev = row["evidence"]
        if ev != "bundled" and not ev.startswith("pack:"):
            raise InputError("evidence must be 'bundled' or 'pack:PATH'", file=str(tp), row=i, column="evidence",
                             value=ev, fix="name the bundled pack or a pack folder relative to the repository")
        f = tp.parent / row["file"]
        if not f.is_file():
            raise InputError("text file not found", file=str(tp), row=i, column="file", value=row["file"],
                             fix="put the text next to texts.csv")
        texts[row["text_id"]] = RealText(row["text_id"], f, ev, row["split"])
    units = []
    for i, row in _read_csv(lp, LABEL_COLUMNS):
        def bad(column: str, msg: str, fix: str, i: int = i, row: dict[str, str] = row) -> InputError:
            return InputError(msg, file=str(lp), row=i, label=row.get("text_id"), column=column,
                              value=row.get(column), fix=fix)
        if row["text_id"] not in texts:
            raise bad("text_id", "text_id is not in texts.csv", "add the text to texts.csv")
        if row["split"] != texts[row["text_id"]].split:
            raise bad("split", "split differs from texts.csv", "use the text's split from texts.csv")
        v = (row["expected_verdict"] or "").strip()
        if v not in VERDICTS:
            raise bad("expected_verdict", f"expected_verdict must be one of {', '.join(VERDICTS)}", "use one of the verdicts")
        if (row["is_claim"] == "yes") != (v != "not_a_claim") or row["is_claim"] not in ("yes", "no"):
            raise bad("is_claim", "is_claim must be 'no' exactly when the verdict is not_a_claim, else 'yes'",
                      "make is_claim agree with expected_verdict")
        aspects = tuple(a.strip() for a in (row["expected_aspects"] or "").split(";") if a.strip())
        if any(a not in ASPECTS for a in aspects):
            raise bad("expected_aspects", f"expected_aspects must be among {', '.join(ASPECTS)}", "separate aspects with ';'")
        try:
            n = int(row["unit_no"])
        except ValueError:
            raise bad("unit_no", "unit_no must be a whole number", "number the units 1, 2, 3 ... per text") from None
        units.append(LabelledUnit(row["text_id"], n, row["split"], row["unit"], v, aspects, row.get("reason", "")))
    return texts, tuple(units)


def _letters(s: str) -> tuple[str, list[int]]:
    """The lower-cased letters and digits of ``s`` and, for each, its index in ``s``."""
    keep = [(i, c.lower()) for i, c in enumerate(s) if c.isalnum()]
    return "".join(c for _, c in keep), [i for i, _ in keep]


def locate(text: str, pieces: Sequence[str]) -> list[tuple[int, int] | None]:
    """Character spans of ``pieces`` in ``text``, found in order (letters and digits only compared).

    Each piece is searched from the end of the previous one, then from the start; ``None`` when it
    is not in the text at all.
    """
    hay, pos = _letters(text)
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for p in pieces:
        needle, _ = _letters(p)
        if not needle:
            out.append(None)
            continue
        k = hay.find(needle, cursor)
        if k < 0:
            k = hay.find(needle)
        if k < 0:
            out.append(None)
            continue
        out.append((pos[k], pos[k + len(needle) - 1] + 1))
        cursor = k + len(needle)
    return out


def assign(text: str, units: Sequence[LabelledUnit],
           sentences: Sequence[tuple[str, str]]) -> tuple[list[UnitResult], list[str]]:
    """Give each labelled unit the most severe verdict of the checker sentences overlapping it.

    ``sentences`` are the checker's (sentence, verdict) pairs for ``text``.  Returns the unit results
    and notes (a labelled unit or a checker sentence that could not be found in the text).
    """
    notes = []
    uspans = locate(text, [u.unit for u in units])
    sspans = locate(text, [s for s, _ in sentences])
    for (s, _), sp in zip(sentences, sspans):
        if sp is None:
            notes.append(f"checker sentence not found in the text: {s[:80]!r}")
    out = []
    for u, up in zip(units, uspans):
        if up is None:
            notes.append(f"{u.text_id} unit {u.unit_no} not found in the text: {u.unit[:80]!r}")
            out.append(UnitResult(u, "not_a_claim", ()))
            continue
        hits = [(s, v) for (s, v), sp in zip(sentences, sspans)
                if sp is not None and sp[0] < up[1] and up[0] < sp[1]]
        verdict = min((v for _, v in hits), key=SEVERITY.index, default="not_a_claim")
        out.append(UnitResult(u, verdict, tuple(s for s, _ in hits)))
    return out, notes


def _pr(tp: int, pred: int, true: int) -> dict[str, float | int | None]:
    return {"support": true, "predicted": pred, "correct": tp,
            "precision": tp / pred if pred else None, "recall": tp / true if true else None}


def score(results: Sequence[UnitResult]) -> dict[str, object]:
    """Accuracy, per-verdict precision/recall, and precision/recall for 'flagged' and 'claim'."""
    from evigrade.claims import VERDICTS

    per = {}
    for v in VERDICTS:
        per[v] = _pr(sum(1 for r in results if r.verdict == v and r.item.verdict == v),
                     sum(1 for r in results if r.verdict == v), sum(1 for r in results if r.item.verdict == v))

    def binary(pred: Callable[[str], bool]) -> dict[str, float | int | None]:
        return _pr(sum(1 for r in results if pred(r.verdict) and pred(r.item.verdict)),
                   sum(1 for r in results if pred(r.verdict)), sum(1 for r in results if pred(r.item.verdict)))

    n = len(results)
    correct = sum(1 for r in results if r.verdict == r.item.verdict)
    return {"n": n, "correct": correct, "accuracy": correct / n if n else None, "per_verdict": per,
            "flagged": binary(lambda v: v in FLAGS), "claim": binary(lambda v: v != "not_a_claim")}


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def print_scores(title: str, sc: dict[str, object]) -> None:
    print(f"\n{title}: {sc['n']} units   accuracy: {_fmt(sc['accuracy'])} ({sc['correct']}/{sc['n']})")
    print(f"{'verdict':14s}{'support':>8s}{'predicted':>10s}{'correct':>8s}{'precision':>10s}{'recall':>8s}")
    rows = dict(sc["per_verdict"])  # type: ignore[arg-type]
    rows["flagged"] = sc["flagged"]
    rows["claim"] = sc["claim"]
    for v, d in rows.items():
        print(f"{v:14s}{d['support']:>8d}{d['predicted']:>10d}{d['correct']:>8d}"
              f"{_fmt(d['precision']):>10s}{_fmt(d['recall']):>8s}")


def unit_results(labels: str, wanted: Sequence[str], evidence: str = "bundled", learned: bool = False,
                 unit_mode: str = "text") -> tuple[dict, list[UnitResult], list[str]]:
    """(texts, one result per labelled unit of the texts in the splits ``wanted``, alignment notes)."""
    from evigrade.claims import check, default_evidence, evidence_from_pack, judge, load_evidence, reference_evidence
    from evigrade.claims.check import lexicon_for
    from evigrade.claims.detect import analyse

    texts, units = read_realtext(labels)
    cache: dict[str, object] = {}

    def evidence_for(key: str):
        if key not in cache:
            if key == "bundled":
                cache[key] = {"bundled": default_evidence, "reference": reference_evidence,
                              "snapshot": lambda: load_evidence(SNAPSHOT)}.get(
                                  evidence, lambda: load_evidence(evidence))()
            else:
                cache[key] = evidence_from_pack(ROOT / key.removeprefix("pack:"))
        return cache[key]

    results: list[UnitResult] = []
    notes: list[str] = []
    for t in texts.values():
        if t.split not in wanted:
            continue
        mine = sorted((u for u in units if u.text_id == t.text_id), key=lambda u: u.unit_no)
        ev = evidence_for(t.evidence)
        body = t.file.read_text(encoding="utf-8")
        if unit_mode == "text":
            rep = check(body, ev, source=str(t.file), learned=learned)
            got, why = assign(body, mine, [(c.sentence, c.verdict) for c in rep.claims])
            notes.extend(why)
        else:
            lex = lexicon_for(ev)
            got = [UnitResult(u, judge(analyse(u.unit, lex), ev, lex).verdict, (u.unit,)) for u in mine]
        results.extend(got)
    return texts, results, notes


#: The held-out real texts (labels file, split): never tuned on; ``--write-reliability`` scores them.
HELD_OUT = ((REALTEXT, "heldout"), (REALTEXT.parent.parent / "realtext2" / "labels.csv", "heldout"))
RELIABILITY = ROOT / "src" / "evigrade" / "claims" / "lexicon" / "reliability.json"


def write_reliability() -> int:
    """Score the held-out texts (aggregate counts only: no unit is printed) and store the "flagged"
    figures the reports print (claims.reliability)."""
    import datetime

    n_texts = n_units = flags = right = should = 0
    sets = []
    for labels, split in HELD_OUT:
        texts, results, _ = unit_results(str(labels), (split,))
        sc = score(results)["flagged"]
        n_texts += sum(1 for t in texts.values() if t.split == split)
        n_units += len(results)
        flags, right, should = flags + sc["predicted"], right + sc["correct"], should + sc["support"]  # type: ignore[operator]
        sets.append(f"{labels.parent.relative_to(ROOT)} ({split})")
    from evigrade.claims.reliability import sources_hash

    out = {"measured": datetime.date.today().isoformat(), "texts": n_texts, "units": n_units, "flags": flags,
           "flags_right": right, "should_flag": should, "sets": sets, "sources_sha256": sources_hash()}
    RELIABILITY.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RELIABILITY.relative_to(ROOT)}: {n_texts} texts, {n_units} units; flagged {right}/{flags} right "
          f"(precision {right / flags:.3f}), {right}/{should} found (recall {right / should:.3f})")
    return 0


def run_realtext(args: argparse.Namespace) -> int:
    wanted = SPLITS if args.split == "all" else (args.split,)
    texts, results, notes = unit_results(args.labels_realtext, wanted, args.evidence, args.learned, args.unit_mode)
    by_split = {sp: score([r for r in results if r.item.split == sp]) for sp in wanted}
    if args.json:
        print(json.dumps({"unit_mode": args.unit_mode, "evidence": args.evidence, "splits": by_split,
                          "notes": notes,
                          "errors": [{"text_id": r.item.text_id, "unit_no": r.item.unit_no, "split": r.item.split,
                                      "unit": r.item.unit, "expected": r.item.verdict, "got": r.verdict}
                                     for r in results if r.verdict != r.item.verdict]}, indent=2))
        return 0
    print(f"real texts: {args.labels_realtext}   unit mode: {args.unit_mode}   "
          f"dry-needling evidence: {args.evidence}")
    for sp in wanted:
        n_texts = sum(1 for t in texts.values() if t.split == sp)
        print_scores(f"{sp} ({n_texts} texts)", by_split[sp])
    if len(wanted) > 1:
        print_scores("all", score(results))
    for n in notes:
        print(f"note: {n}")
    if args.show_errors:
        for r in results:
            if r.verdict != r.item.verdict:
                print(f"\n{r.item.text_id} #{r.item.unit_no} [{r.item.split}] expected {r.item.verdict} got {r.verdict}")
                print(f"  unit: {r.item.unit}")
                print(f"  label reason: {r.item.reason}")
                for s in r.sentences:
                    print(f"  checker sentence: {s}")
    return 0


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
    ap.add_argument("--realtext", action="store_true",
                    help="evaluate on the labelled real texts (tests/claims/realtext) instead of the sentence sets")
    ap.add_argument("--labels-realtext", default=str(REALTEXT), help="labels.csv of the real texts (texts.csv beside it)")
    ap.add_argument("--set", dest="set_dir", metavar="DIR", default=None,
                    help="score a labelled folder in the real-text format (DIR/texts.csv + DIR/labels.csv, files "
                         "relative to DIR); implies --realtext")
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="all",
                    help="which real texts to score (--realtext): tune, heldout or all (reported per split)")
    ap.add_argument("--learned", action="store_true",
                    help="--realtext: let the learned reader (claims.learned, lexicon/learned_model.json) overrule the "
                         "rules where it is confident (off by default, as in claims.check)")
    ap.add_argument("--unit-mode", choices=("text", "units"), default="text",
                    help="text: check each whole text and align its sentences with the units (default); "
                         "units: judge each labelled unit on its own")
    ap.add_argument("--write-reliability", action="store_true",
                    help="score the held-out real texts (aggregate only) and store the figures every claims "
                         "report prints (src/evigrade/claims/lexicon/reliability.json)")
    args = ap.parse_args(argv)
    if args.write_reliability:
        return write_reliability()
    if args.set_dir is not None:
        d = pathlib.Path(args.set_dir)
        if not d.is_dir():
            print(f"error: --set {args.set_dir}: not a folder; give a folder holding texts.csv and labels.csv",
                  file=sys.stderr)
            return 3
        args.realtext, args.labels_realtext = True, str(d / "labels.csv")

    if args.realtext:
        from evigrade.errors import EvigradeError

        try:
            return run_realtext(args)
        except EvigradeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3

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
