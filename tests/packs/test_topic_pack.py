"""Any treatment is just another pack (issue 14): the pack states the intervention's names, each comparison's
kind, the direction phrases of its sources and the safety context; older packs keep loading with a Note for
every default assumed.  Checked on the BCG test pack (metadat::dat.bcg), the topic the issue was found with."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evigrade.cli import main
from evigrade.errors import PackError
from evigrade.grade.families import item_kind
from evigrade.packs import load_pack
from evigrade.packs.schema import COMPARATOR_KINDS, Topic, guess_comparator_kind
from evigrade.pipeline import run
from evigrade.pipeline.findings import direction_class

BCG = Path(__file__).parent / "data" / "bcg"

TOPIC_KEYS = '''
[directions]
favours_intervention = ["protective effect of vaccination"]
favours_comparator = ["more cases among the vaccinated"]

[safety]
context = ["Adverse events of BCG vaccination are not part of dat.bcg."]
'''


def _bcg(tmp_path: Path, *, stated: bool, review_note: str = "favours BCG vaccination") -> Path:
    """A copy of the BCG pack; ``stated``: with the issue-14 keys; plus one review row reported in words."""
    dst = tmp_path / "bcg"
    shutil.copytree(BCG, dst)
    toml = (dst / "pack.toml").read_text()
    if stated:
        toml = toml.replace('intervention_short = "BCG vaccination"\n',
                            'intervention_short = "BCG vaccination"\nintervention_synonyms = ["BCG", "BCG vaccine"]\n')
        toml = toml.replace('label = "no vaccination"\n', 'label = "no vaccination"\nkind = "no_treatment"\n')
        toml += TOPIC_KEYS
    (dst / "pack.toml").write_text(toml)
    (dst / "reviews.csv").write_text(
        "review_row_id,review_id,citation,outcome,timepoint,comparison,population,reported_as,direction_note,source\n"
        f'V1,Review1994,A review,tb,long_term,none,all,qualitative,{review_note},"a review, p. 1"\n')
    return dst


def test_an_old_pack_loads_with_a_note_for_every_default(tmp_path):
    p = load_pack(_bcg(tmp_path, stated=False))
    assert p.topic.name == "BCG vaccination" and p.topic.synonyms == ("BCG vaccination",)
    assert p.topic.favours_intervention == () and p.topic.safety_context == ()
    (c,) = p.comparisons
    # the old keyword guess, kept only as the fallback: "no vaccination" reads as another active treatment
    assert (c.kind, c.kind_assumed) == ("active", True)
    msgs = [n.message for n in p.notes if n.code == "pack_default_assumed"]
    assert len(msgs) == 3  # synonyms, kind of 'none', [directions] (no safety rows: no safety-context note)
    assert any("intervention_synonyms" in m for m in msgs)
    assert any("'none' has no kind: 'active' assumed" in m for m in msgs)
    assert any("[directions]" in m for m in msgs)
    s = run(p)
    assert [n.code for n in s.notes].count("pack_default_assumed") == 3  # the Notes reach the summary


def test_the_pack_states_kind_phrases_and_context(tmp_path):
    p = load_pack(_bcg(tmp_path, stated=True))
    assert p.notes == ()
    assert p.topic == Topic(name="BCG vaccination", full_name="BCG vaccination",
                            synonyms=("BCG vaccination", "BCG", "BCG vaccine"),
                            favours_intervention=("protective effect of vaccination",),
                            favours_comparator=("more cases among the vaccinated",),
                            safety_context=("Adverse events of BCG vaccination are not part of dat.bcg.",))
    assert (p.comparisons[0].kind, p.comparisons[0].kind_assumed) == ("no_treatment", False)
    s = run(p)
    (f,) = s.findings
    assert f.comparator_kind == "no_treatment" and item_kind(f) == "sham"
    assert [c.kind for c in s.comparisons] == ["sham"]
    assert s.comparisons[0].sentence.startswith("BCG vaccination against sham, placebo or no treatment: 1 rated")
    # no practice message "Instead of another active treatment (... compared with that treatment)"
    assert not any("active treatment" in k.text for k in s.key_messages)
    # the review row reported only as "favours BCG vaccination" favours the intervention
    (n,) = f.narrative
    assert (n["row_id"], n["direction"]) == ("V1", "favours_intervention")


def test_the_old_guess_is_what_the_issue_saw(tmp_path):
    s = run(load_pack(_bcg(tmp_path, stated=False)))
    assert item_kind(s.findings[0]) == "active"
    assert s.comparisons[0].sentence.startswith("BCG vaccination against other active treatments")


def test_topic_is_in_the_json_and_read_back(tmp_path, capsys):
    pack = _bcg(tmp_path, stated=True)
    assert main(["summarize", "--json", str(pack)]) == 0
    d = json.loads(capsys.readouterr().out)
    t = d["pack"]["topic"]
    assert t["name"] == "BCG vaccination" and t["synonyms"] == ["BCG vaccination", "BCG", "BCG vaccine"]
    assert t["safety_context"] == ["Adverse events of BCG vaccination are not part of dat.bcg."]
    assert Topic.from_dict(t) == load_pack(pack).topic
    assert d["findings"][0]["comparator_kind"] == "no_treatment"
    assert Topic.from_dict(None) == Topic() and Topic().name == "the intervention"
    # a summary saved before the topic existed: its question gives the names
    assert Topic.from_question({"intervention": "BCG vaccination", "intervention_short": "BCG"}).synonyms == (
        "BCG", "BCG vaccination")


def test_the_text_output_names_only_the_pack_s_intervention(tmp_path, capsys):
    pack = _bcg(tmp_path, stated=True)
    assert main(["summarize", "--details", str(pack)]) == 0
    out = capsys.readouterr().out
    assert "BCG vaccination" in out
    for word in ("dry needling", "needling", "DN ", "neck", "shoulder"):
        assert word not in out, word


@pytest.mark.parametrize("text, expected", [
    ("favours BCG vaccination", "favours_intervention"),
    ("favours BCG", "favours_intervention"),
    ("in favour of BCG vaccine", "favours_intervention"),
    ("protective effect of vaccination", "favours_intervention"),      # the pack's phrase
    ("more cases among the vaccinated", "favours_comparator"),         # the pack's phrase
    ("favours no vaccination", "favours_comparator"),
    ("favours the intervention", "favours_intervention"),              # generic
    ("favours control", "favours_comparator"),                         # generic
    ("no significant difference", "no_difference"),
    ("favours BCG vaccination but not statistically significant", "no_difference"),
    ("BCG better than no vaccination; similar to isoniazid", "mixed"),
    ("something else", "unclear"),
])
def test_direction_phrases_come_from_the_pack(tmp_path, text, expected):
    topic = load_pack(_bcg(tmp_path, stated=True)).topic
    assert direction_class(text, topic) == expected


def test_without_a_topic_only_generic_words_are_read():
    assert direction_class("favours BCG vaccination") == "favours_comparator"  # nothing names BCG as the intervention
    assert direction_class("favours the intervention") == "favours_intervention"
    assert direction_class("favours intervention group") == "favours_intervention"


def test_unclear_phrases_of_the_pack():
    t = Topic.make("X", "X therapy", ("XT",), unclear_directions=("favours deep XT",))
    assert direction_class("favours deep XT", t) == "unclear"
    assert direction_class("favours XT", t) == "favours_intervention"
    assert direction_class("favours shallow needles", t) == "favours_comparator"


@pytest.mark.parametrize("key, value, column, fix", [
    ("kind", '"placebo"', "kind", "sham"),
    ("intervention_synonyms", '"a", 3', "intervention_synonyms", "list of strings"),
])
def test_bad_values_are_one_line_naming_file_key_value_fix(tmp_path, capsys, key, value, column, fix):
    pack = _bcg(tmp_path, stated=True)
    toml = (pack / "pack.toml").read_text()
    if key == "kind":
        toml = toml.replace('kind = "no_treatment"', f"kind = {value}")
    else:
        toml = toml.replace('intervention_synonyms = ["BCG", "BCG vaccine"]', f"intervention_synonyms = [{value}]")
    (pack / "pack.toml").write_text(toml)
    with pytest.raises(PackError) as exc:
        load_pack(pack)
    (p,) = exc.value.problems
    assert p.file == "pack.toml" and p.column == column and fix in f"{p.problem} {p.fix}"
    assert main(["validate", str(pack)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "pack.toml" in err[0] and column in err[0] and "fix:" in err[0]


def test_kinds_and_the_keyword_guess():
    assert COMPARATOR_KINDS == ("sham", "no_treatment", "usual_care", "active", "add_on", "between_forms", "mixed")
    assert guess_comparator_kind("none", "no vaccination") == "active"  # why packs state their kinds
    assert guess_comparator_kind("wl", "waiting list") == "no_treatment"
    assert guess_comparator_kind("placebo", "placebo tablets") == "sham"
    assert guess_comparator_kind("addon", "X plus usual care") == "add_on"
    assert guess_comparator_kind("variant", "another form of X") == "between_forms"
    assert item_kind({"comparison": "uc", "comparison_label": "usual care", "comparator_kind": "usual_care"}) == \
        "usual_care"
    assert item_kind({"comparison": "uc", "comparison_label": "usual care"}) == "active"  # guessed: no kind saved
