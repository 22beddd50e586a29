#!/usr/bin/env python
"""Fit the claims checker's learned reader on labelled tuning texts and report its cross-validated figures.

    python scripts/fit_claims_model.py --set tests/claims/realtext --set tests/claims/realtext3 --write
    python scripts/fit_claims_model.py --set tests/claims/realtext --cv          # figures only
    python scripts/fit_claims_model.py --set tests/claims/realtext --test tests/claims/realtext3

Only texts with ``split = tune`` are read (held-out texts are never opened).  Each text is checked by the rules
alone (``claims.check.judged_sentences``); each checker sentence takes the label of the labelled unit it overlaps
most (units with no sentence are left out of fitting, and count as not_a_claim when scoring, as in
``scripts/claims_eval.py``).  The model (``evigrade.claims.learned``) is a three-class logistic regression
(not a claim / supported claim / flagged claim) with an L2 penalty, fitted by Newton-free gradient descent in
numpy.  ``--cv`` scores it by leaving out one text at a time (the vocabulary and the weights are fitted
without that text) and prints unit-level precision and recall for "flagged" and for claim detection, the
rules' figures on the same units beside them.  ``--test DIR`` fits on the --set texts and scores the tune
texts of DIR.  ``--write`` stores the model fitted on every --set text in
src/evigrade/claims/lexicon/learned_model.json.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("claims_eval", ROOT / "scripts" / "claims_eval.py")
assert _spec is not None and _spec.loader is not None
ce = importlib.util.module_from_spec(_spec)
sys.modules["claims_eval"] = ce
_spec.loader.exec_module(ce)

# L2 penalty (per unit of the mean log-loss) and the probability margin by which the model must beat the rules'
# class before it overrules them; both chosen by the leave-one-text-out figures on the tuning texts
L2 = 0.03
MARGIN = 0.1
MIN_TEXTS = 3
ACTIONS = ("flag_to_ok", "none_to_flag", "ok_to_flag", "to_none")
ACTION_SETS = ["to_none+from_none"]  # the action sets --cv scores (--actions)  # what the stored model may change (see claims.learned.Model.actions)
SET_OF: dict[str, str] = {}  # text id -> the folder it came from (figures per set)
RULES = True  # the rules' reading as features (False: the sentence's form and words only)  # a word enters the vocabulary when it occurs in at least this many texts of at least two topics


@dataclass
class Row:
    text_id: str
    topic: str
    unit: int | None          # index into the text's units (None: overlaps no labelled unit)
    label: str                # the unit's class (none/ok/flag)
    sentence: Any
    assertion: Any
    judgement: Any
    ev: Any
    lex: Any
    words: frozenset[str]


def load_rows(set_dirs: list[str], evidence: str = "bundled") -> tuple[list[Row], dict[str, list[Any]]]:
    from evigrade.claims import default_evidence, evidence_from_pack, load_evidence
    from evigrade.claims.check import judged_sentences, lexicon_for, with_text_classes
    from evigrade.claims.learned import group_of, words

    cache: dict[str, Any] = {}

    def evidence_for(key: str) -> Any:
        if key not in cache:
            if key == "bundled":
                cache[key] = default_evidence() if evidence == "bundled" else load_evidence(ce.SNAPSHOT)
            else:
                cache[key] = evidence_from_pack(ROOT / key.removeprefix("pack:"))
        return cache[key]

    rows: list[Row] = []
    units_by_text: dict[str, list[Any]] = {}
    for d in set_dirs:
        texts, units = ce.read_realtext(pathlib.Path(d) / "labels.csv")
        topics = {r["text_id"]: r.get("topic", "") for _, r in ce._read_csv(pathlib.Path(d) / "texts.csv", ce.TEXT_COLUMNS)}
        for t in texts.values():
            if t.split != "tune":
                continue
            mine = sorted((u for u in units if u.text_id == t.text_id), key=lambda u: u.unit_no)
            units_by_text[t.text_id] = mine
            SET_OF[t.text_id] = pathlib.Path(d).name
            ev = evidence_for(t.evidence)
            body = t.file.read_text(encoding="utf-8")
            lex = with_text_classes(lexicon_for(ev).with_text_acronyms(body), body)
            judged = judged_sentences(body, ev, lex)
            uspans = ce.locate(body, [u.unit for u in mine])
            sspans = ce.locate(body, [s.text for s, _, _ in judged])
            for (s, a, j), sp in zip(judged, sspans):
                best, best_ov = None, 0
                if sp is not None:
                    for k, up in enumerate(uspans):
                        if up is not None:
                            ov = min(sp[1], up[1]) - max(sp[0], up[0])
                            if ov > best_ov:
                                best, best_ov = k, ov
                label = group_of(mine[best].verdict) if best is not None else "none"
                rows.append(Row(t.text_id, topics.get(t.text_id, ""), best, label, s, a, j, ev, lex,
                                frozenset(words(s.text, lex))))
    return rows, units_by_text


def vocabulary(rows: list[Row]) -> frozenset[str]:
    texts_of: dict[str, set[str]] = {}
    topics_of: dict[str, set[str]] = {}
    for r in rows:
        for w in r.words:
            texts_of.setdefault(w, set()).add(r.text_id)
            topics_of.setdefault(w, set()).add(r.topic)
    return frozenset(w for w in texts_of if w != "itvx" and len(texts_of[w]) >= MIN_TEXTS and len(topics_of[w]) >= 2)


def feats(r: Row, vocab: frozenset[str]) -> dict[str, float]:
    from evigrade.claims.learned import features

    return features(r.sentence.text, r.assertion, r.judgement.verdict, r.lex, heading=r.sentence.heading,
                    context=r.sentence.context, vocabulary=vocab, rules=RULES)


def fit(rows: list[Row], l2: float = L2) -> dict[str, Any]:
    from evigrade.claims.learned import CLASSES

    vocab = vocabulary(rows)
    fs = [feats(r, vocab) for r in rows]
    names = sorted({k for f in fs for k in f})
    idx = {k: i for i, k in enumerate(names)}
    X = np.zeros((len(rows), len(names)))
    for i, f in enumerate(fs):
        for k, v in f.items():
            X[i, idx[k]] = v
    y = np.array([CLASSES.index(r.label) for r in rows])
    Y = np.eye(len(CLASSES))[y]
    # class weights: each class counts as much in total (the flagged class is the rarest)
    counts = Y.sum(0)
    w_row = (len(rows) / (len(CLASSES) * np.maximum(counts, 1)))[y]
    W = np.zeros((len(names), len(CLASSES)))
    pen = np.ones(len(names))
    pen[idx["bias"]] = 0.0
    lr = 0.5
    for _ in range(3000):
        Z = X @ W
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        G = X.T @ ((P - Y) * w_row[:, None]) / len(rows) + l2 * pen[:, None] * W
        W -= lr * G
    weights = {c: {k: float(W[idx[k], ci]) for k in names if abs(W[idx[k], ci]) > 1e-6}
               for ci, c in enumerate(CLASSES)}
    return {"weights": weights, "vocabulary": sorted(vocab), "margin": MARGIN}


def apply(model_d: dict[str, Any], rows: list[Row], margin: float | None = None,
          actions: frozenset[str] | None = None) -> list[str]:
    from evigrade.claims.learned import CLASSES, Model, revise

    m = Model({c: model_d["weights"][c] for c in CLASSES}, frozenset(model_d["vocabulary"]),
              model_d["margin"] if margin is None else margin, {},
              frozenset(model_d.get("actions", ACTIONS)) if actions is None else actions)
    out = []
    for r in rows:
        p = m.probabilities(feats(r, m.vocabulary))
        out.append(revise(m, p, r.assertion, r.judgement, r.ev, r.lex).verdict)
    return out


def unit_scores(rows: list[Row], verdicts: list[str], units_by_text: dict[str, list[Any]]) -> dict[str, Any]:
    """Unit-level scores as claims_eval computes them: each unit takes the most severe verdict over it."""
    got: dict[tuple[str, int], str] = {}
    for r, v in zip(rows, verdicts):
        if r.unit is None:
            continue
        k = (r.text_id, r.unit)
        old = got.get(k, "not_a_claim")
        got[k] = min((old, v), key=ce.SEVERITY.index)
    res = []
    for t, us in units_by_text.items():
        for k, u in enumerate(us):
            res.append(ce.UnitResult(u, got.get((t, k), "not_a_claim"), ()))
    return ce.score(res)


def line(title: str, sc: dict[str, Any]) -> str:
    f, c = sc["flagged"], sc["claim"]
    return (f"{title:28s} flagged P/R {ce._fmt(f['precision'])}/{ce._fmt(f['recall'])} "
            f"(tp {f['correct']}, pred {f['predicted']}, true {f['support']})   claim P/R "
            f"{ce._fmt(c['precision'])}/{ce._fmt(c['recall'])}   accuracy {ce._fmt(sc['accuracy'])}")


def cross_validate(rows: list[Row], units_by_text: dict[str, list[Any]], l2: float, margins: list[float]) -> None:
    texts = list(units_by_text)
    action_sets = [frozenset(a.split("+")) for a in ACTION_SETS]
    keys = [(m, acts) for m in margins for acts in action_sets]
    preds: dict[Any, list[str]] = {k: [""] * len(rows) for k in keys}
    for t in texts:
        train = [r for r in rows if r.text_id != t and r.unit is not None]
        model_d = fit(train, l2)
        test_i = [i for i, r in enumerate(rows) if r.text_id == t]
        for m, acts in keys:
            vs = apply(model_d, [rows[i] for i in test_i], m, acts)
            for i, v in zip(test_i, vs):
                preds[(m, acts)][i] = v
    sets = sorted({SET_OF[t] for t in texts})
    for name in ([None] + sets if len(sets) > 1 else [None]):
        keep = [i for i, r in enumerate(rows) if name is None or SET_OF[r.text_id] == name]
        ut = {t: u for t, u in units_by_text.items() if name is None or SET_OF[t] == name}
        sub = [rows[i] for i in keep]
        print(f"-- {name or 'all'}")
        print(line("rules alone", unit_scores(sub, [r.judgement.verdict for r in sub], ut)))
        for m, acts in keys:
            print(line(f"LOTO m={m} {'+'.join(sorted(acts))}", unit_scores(sub, [preds[(m, acts)][i] for i in keep],
                                                                            ut)))
    raw = [""] * len(rows)
    for t in texts:
        model_d = fit([r for r in rows if r.text_id != t and r.unit is not None], l2)
        for i, r in enumerate(rows):
            if r.text_id == t:
                raw[i] = standalone(model_d, r)
    print(line("model alone (LOTO)", unit_scores(rows, raw, units_by_text)))


def standalone(model_d: dict[str, Any], r: Row) -> str:
    """The model's own class as a verdict (flag: the rules' flag when they flag, else unsupported)."""
    from evigrade.claims.learned import CLASSES, Model

    m = Model({c: model_d["weights"][c] for c in CLASSES}, frozenset(model_d["vocabulary"]), 0.0, {})
    p = m.probabilities(feats(r, m.vocabulary))
    best = max(CLASSES, key=p.__getitem__)
    if best == "none":
        return "not_a_claim"
    if best == "ok":
        return "consistent"
    return r.judgement.verdict if r.judgement.verdict not in ("consistent", "not_a_claim") else "unsupported"


def main(argv: list[str] | None = None) -> int:
    global RULES, ACTION_SETS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", dest="sets", action="append", required=True, help="a labelled folder (tune texts read)")
    ap.add_argument("--test", action="append", default=[], help="fit on --set, score the tune texts of this folder")
    ap.add_argument("--cv", action="store_true", help="leave-one-text-out figures")
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--margins", default=str(MARGIN), help="comma-separated margins to score")
    ap.add_argument("--evidence", default="bundled", choices=("bundled", "snapshot"))
    ap.add_argument("--write", action="store_true", help="store the model fitted on every --set text")
    ap.add_argument("--text-only", action="store_true", help="no rule features (an honest CV on rule-tuned texts)")
    ap.add_argument("--actions", default=",".join(ACTION_SETS),
                    help="comma-separated action sets to score, each '+'-joined (to_none, from_none, flag_to_ok)")
    ap.add_argument("--store-actions", default="+".join(ACTIONS), help="the action set stored with --write")
    args = ap.parse_args(argv)
    ACTION_SETS = args.actions.split(",")
    RULES = not args.text_only
    margins = [float(x) for x in args.margins.split(",")]
    rows, units = load_rows(args.sets, args.evidence)
    print(f"{len(units)} texts, {sum(len(u) for u in units.values())} units, {len(rows)} sentences; "
          f"labels {dict(Counter(r.label for r in rows))}")
    if args.cv:
        cross_validate(rows, units, args.l2, margins)
    if args.test:
        model_d = fit([r for r in rows if r.unit is not None], args.l2)
        trows, tunits = load_rows(args.test, args.evidence)
        print(line("test: rules alone", unit_scores(trows, [r.judgement.verdict for r in trows], tunits)))
        for m in margins:
            for acts in ACTION_SETS:
                print(line(f"test: model m={m} {acts}", unit_scores(trows, apply(model_d, trows, m,
                                                                                 frozenset(acts.split("+"))), tunits)))
    if args.write:
        model_d = fit([r for r in rows if r.unit is not None], args.l2)
        model_d["actions"] = sorted(args.store_actions.split("+"))
        model_d["margin"] = margins[0]
        model_d["meta"] = {"fitted_on": [str(pathlib.Path(s)) for s in args.sets], "split": "tune",
                           "texts": len(units), "sentences": sum(1 for r in rows if r.unit is not None),
                           "l2": args.l2, "script": "scripts/fit_claims_model.py"}
        out = ROOT / "src" / "evigrade" / "claims" / "lexicon" / "learned_model.json"
        out.write_text(json.dumps(model_d, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
