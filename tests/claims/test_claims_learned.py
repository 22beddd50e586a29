"""The learned reader (claims.learned): its features name no topic, it overrules the rules only by its margin and
says so, and the stored model was fitted on tuning texts only (scripts/fit_claims_model.py)."""
from __future__ import annotations

import json
import re

from evigrade.claims import check
from evigrade.claims.check import judged_sentences, lexicon_for
from evigrade.claims.learned import CLASSES, MODEL_PATH, Model, features, group_of, load_model, revise


def _model(weights: dict[str, dict[str, float]], margin: float = 0.3) -> Model:
    return Model({c: weights.get(c, {}) for c in CLASSES}, frozenset({"feel"}), margin, {})


def test_features_name_no_treatment(snap):
    lex = lexicon_for(snap)
    (s, a, j), = judged_sentences("Dry needling reduces neck pain.", snap, lex)
    f = features(s.text, a, j.verdict, lex, vocabulary=frozenset({"reduces", "itvx"}))
    assert f["names_itv"] == 1.0 and f["itv_head"] == 1.0 and f["rule=flag"] == 1.0 and f["verdict=overstated"] == 1.0
    assert f["w=reduces"] == 1.0 and "w=itvx" in f  # the intervention is the token itvx, never its name
    assert not any("needl" in k for k in f)
    # without the rules' reading: form and words only
    bare = features(s.text, a, j.verdict, lex, vocabulary=frozenset({"reduces"}), rules=False)
    assert not any(k.startswith(("rule=", "verdict=", "a_")) for k in bare)


def test_revise_overrules_only_by_the_margin_and_says_so(snap):
    lex = lexicon_for(snap)
    (s, a, j), = judged_sentences("Dry needling reduces neck pain.", snap, lex)
    assert j.verdict == "overstated"
    m = _model({"none": {"names_itv": 3.0}})
    p = m.probabilities(features(s.text, a, j.verdict, lex, vocabulary=m.vocabulary))
    assert abs(sum(p.values()) - 1.0) < 1e-12 and max(p, key=p.__getitem__) == "none"
    got = revise(m, p, a, j, snap, lex)
    assert got.verdict == "not_a_claim" and "learned reader" in got.explanation[0] and "overstated" in got.explanation[0]
    # a margin larger than the gap keeps the rules' verdict
    assert revise(_model({"none": {"names_itv": 3.0}}, margin=0.99), p, a, j, snap, lex) is j
    # between a supported and a flagged claim the rules decide
    p_ok = {"none": 0.0, "ok": 1.0, "flag": 0.0}
    assert revise(m, p_ok, a, j, snap, lex) is j


def test_revise_reads_a_missed_claim_as_a_general_claim(snap):
    lex = lexicon_for(snap)
    (s, a, j), = judged_sentences("Dry needling is popular with athletes.", snap, lex)
    assert j.verdict == "not_a_claim"
    got = revise(_model({}), {"none": 0.0, "ok": 0.1, "flag": 0.9}, a, j, snap, lex)
    assert got.verdict != "not_a_claim" and got.explanation[0].startswith("read as a claim about the intervention")
    assert group_of(got.verdict) in ("ok", "flag")


def test_check_without_the_learned_reader_is_the_rules(snap):
    text = "Dry needling reduces neck pain. It is popular with athletes. Call us today."
    lex = lexicon_for(snap)
    rules = [j.verdict for _, _, j in judged_sentences(text, snap, lex)]
    assert [c.verdict for c in check(text, snap, learned=False).claims] == rules
    assert [c.verdict for c in check(text, snap).claims] == rules  # off by default
    # on, every verdict it changes says so
    on = check(text, snap, learned=True).claims
    assert all(c.explanation[0].startswith("read as") for c, r in zip(on, rules) if c.verdict != r)


def test_the_stored_model_was_fitted_on_tuning_texts_only():
    m = load_model()
    if m is None:
        assert not MODEL_PATH.exists()
        return
    d = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert d["meta"]["split"] == "tune" and d["meta"]["script"] == "scripts/fit_claims_model.py"
    assert not any("realtext2" in s for s in d["meta"]["fitted_on"])  # set 2 is held out
    assert 0.0 <= m.margin < 1.0 and set(m.weights) == set(CLASSES)
    # its words occur in texts of more than one topic: none names the bundled topic (cf. tests/unit/test_no_topic_words)
    topic = re.compile(r"needl|trigger|myofascial|neck|shoulder|pneumothora|twitch|^dn$")
    assert not [w for w in m.vocabulary if topic.search(w)]
