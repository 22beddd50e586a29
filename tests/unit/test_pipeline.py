"""evigrade.pipeline: the chain load_pack -> build_findings -> grade_summary as frozen, typed hand-offs."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from evigrade.errors import SpecError
from evigrade.grade import GradeConfig
from evigrade.grade import grade_summary as grade_report
from evigrade.packs import Finding, Summary
from evigrade.pipeline import (
    FindingsSpec,
    GradedFinding,
    GradedSummary,
    build_findings,
    grade_summary,
    load_pack,
    run,
)

BCG = Path(__file__).parents[1] / "packs" / "data" / "bcg"
GRADE_KEYS = ("certainty", "downgrades", "statement", "grade")


@pytest.fixture(scope="module")
def stages():
    pack = load_pack(BCG)
    summary = build_findings(pack, FindingsSpec.make())
    return pack, summary, grade_summary(summary)


def test_each_stage_returns_its_own_frozen_type(stages):
    _, summary, graded = stages
    assert type(summary) is Summary and all(type(f) is Finding for f in summary.findings)
    assert isinstance(graded, GradedSummary) and all(isinstance(f, GradedFinding) for f in graded.findings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        graded.conclusion = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        graded.findings[0].grade = None  # type: ignore[misc]


def test_grading_leaves_the_ungraded_summary_as_it_was(stages):
    _, summary, graded = stages
    d = summary.to_dict()
    assert all(f[k] is None for f in d["findings"] for k in GRADE_KEYS)
    assert (d["families"], d["key_messages"], d["conclusion"], d["comparisons"]) == ([], [], "", [])
    assert d["safety"]["rating"] is None and all(m["label"] is None for m in d["mechanisms"])
    assert not hasattr(summary.findings[0], "certainty")
    assert graded.findings[0].certainty is not None


def test_graded_json_is_the_ungraded_json_plus_the_grade_keys(stages):
    _, summary, graded = stages
    u, g = summary.to_dict(), graded.to_dict()
    assert list(u) == list(g)  # same keys in the same order
    for fu, fg in zip(u["findings"], g["findings"]):
        assert list(fu) == list(fg)
        assert {k: v for k, v in fu.items() if k not in GRADE_KEYS} == {k: v for k, v in fg.items() if k not in GRADE_KEYS}
    assert u["pack"] == g["pack"] and u["spec"] == g["spec"]
    json.dumps(g, allow_nan=False)


def test_graded_values_are_the_grade_packages_own(stages):
    _, summary, graded = stages
    rep = grade_report(summary, GradeConfig())
    for gf, fg in zip(graded.findings, rep.findings):
        assert (gf.grade is None) == (fg is None)
        if fg is not None:
            assert gf.certainty == fg.certainty and gf.statement == fg.statement
            assert gf.downgrades == tuple(dict(d) for d in fg.downgrades)
            assert gf.to_dict()["grade"] == fg.to_dict()
    assert graded.conclusion == rep.conclusion
    assert [m.text for m in graded.key_messages] == [m.text for m in rep.key_messages]
    assert graded.safety_rating is not None and graded.safety_rating.label == rep.safety.label
    assert graded.sof is not None and len(graded.sof.rows) == len(rep.sof.rows)
    assert len(graded.mechanism_labels) == len(summary.mechanisms)
    assert graded.config == GradeConfig()


def test_run_equals_the_stages_and_accepts_a_path_or_a_pack(stages):
    pack, _, graded = stages
    assert run(BCG).to_dict() == graded.to_dict()
    assert run(pack).to_dict() == graded.to_dict()


def test_spec_is_validated_once_with_aliases_resolved():
    assert FindingsSpec.make(method="reml", test="hksj") == FindingsSpec("REML", "knha", 0.95, "PLO") == FindingsSpec()
    assert FindingsSpec.make(level=90).level == FindingsSpec.make(level=0.9).level == 0.9
    with pytest.raises(SpecError, match="method"):
        FindingsSpec.make(method="REML2")
    with pytest.raises(SpecError, match="safety_measure"):
        run(BCG, safety_measure="logit")


def test_old_entry_points_are_thin_wrappers(stages):
    from evigrade.grade import apply
    from evigrade.packs import summarize

    _, summary, graded = stages
    old = summarize(BCG)
    assert old.to_dict() == summary.to_dict()
    assert apply(old).to_dict() == graded.to_dict()
