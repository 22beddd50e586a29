"""Loader and validator: good packs load; every kind of bad input gives a clear one-line error
naming file, row, column and value, all problems are reported at once, and nothing is written."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from evigrade.errors import InputError, PackError
from evigrade.packs import bundled_pack_path, load_pack, validate_pack

from pack_helpers import NORMAND, set_cell, snapshot


def test_bundled_pack_loads():
    p = load_pack()
    c = p.counts()
    # reviews: 72 from the shared curation + 13 from scripts/evidence_supplement (docs/evidence-sources.md)
    assert c == {"studies": 56, "results": 132, "reviews": 85, "safety": 56, "claims": 40, "outcomes": 14}
    assert p.id == "dry-needling-neck-shoulder"
    assert {b.id for b in p.buckets} == {"immediate", "short_term", "mid_term", "long_term"}
    pain = p.outcome("pain")
    assert pain.benefit == "lower" and pain.mid == 1.3 and "Cleland" in pain.mid_source
    assert pain.reference is None  # no cited typical SD -> no re-expression
    assert p.outcome("ppt").mid is None  # no MID with a source
    # every row keeps its provenance
    assert all(r.source and r.source_row.startswith("outcomes.csv O") for r in p.results)
    assert all(r.source and r.source_row.startswith(("pooled.csv P", "evidence_supplement/pooled.csv X")) for r in p.reviews)
    assert load_pack(bundled_pack_path()).counts() == c


def test_normand_pack_loads():
    p = load_pack(NORMAND)
    assert len(p.studies) == 9 and len(p.results) == 9
    r = p.results[0]
    assert (r.m1i, r.sd1i, r.n1i, r.m2i, r.sd2i, r.n2i) == (55.0, 47.0, 155, 75.0, 64.0, 156)
    assert r.has_arm_continuous()
    assert validate_pack(NORMAND) == []


def test_orientation_reversed_is_applied_on_harmonise():
    p = load_pack()
    row = next(r for r in p.reviews if r.review_row_id == "P040")
    assert (row.estimate, row.ci_low, row.ci_high) == (-2.13, -3.22, -1.03)  # as printed
    assert row.orientation == "reversed"
    assert row.harmonised() == (2.13, 1.03, 3.22)
    stieven = next(r for r in p.results if r.result_id == "O037")
    assert stieven.harmonised() == (-1.56, -2.36, -1.11)


def _problems(folder: Path) -> list[InputError]:
    before = snapshot(folder) if folder.exists() else {}
    with pytest.raises(PackError) as ei:
        load_pack(folder)
    after = snapshot(folder) if folder.exists() else {}
    assert before == after, "loading must never write anything"
    probs = ei.value.problems
    assert probs and all(isinstance(p, InputError) for p in probs)
    for p in probs:
        assert "\n" not in str(p) and "Traceback" not in str(p)
    return probs


def _one(probs: list[InputError], **want) -> InputError:
    hits = [p for p in probs if all(getattr(p, k) == v for k, v in want.items())]
    assert hits, f"no problem with {want}; got: {[str(p) for p in probs]}"
    return hits[0]


def _edit_toml(folder: Path, old: str, new: str) -> None:
    f = folder / "pack.toml"
    s = f.read_text()
    assert old in s
    f.write_text(s.replace(old, new, 1))


# ---- the bad-input catalogue (each: clear error, right location, nothing written) ----------------
def test_bad_missing_pack_folder(tmp_path):
    probs = _problems(tmp_path / "nope")
    assert "does not exist" in str(probs[0])


def test_bad_missing_pack_toml(normand_copy):
    (normand_copy / "pack.toml").unlink()
    p = _one(_problems(normand_copy), file="pack.toml")
    assert "missing" in p.problem and p.fix


def test_bad_toml_syntax(normand_copy):
    _edit_toml(normand_copy, 'id = "normand1999"', 'id = "normand1999')
    p = _one(_problems(normand_copy), file="pack.toml")
    assert "TOML syntax error" in str(p)


def test_bad_missing_required_key(normand_copy):
    _edit_toml(normand_copy, 'title = "Specialist', 'subtitle = "Specialist')
    p = _one(_problems(normand_copy), file="pack.toml", column="title")
    assert "required key is missing" in str(p)


def test_bad_benefit_direction(normand_copy):
    _edit_toml(normand_copy, 'benefit = "lower"', 'benefit = "down"')
    p = _one(_problems(normand_copy), file="pack.toml", column="benefit")
    assert "'down'" in str(p) and "lower" in p.fix


@pytest.mark.parametrize("mid", ["0", "-1.3"])
def test_bad_mid_not_positive(normand_copy, mid):
    _edit_toml(normand_copy, 'pool_measure = "MD"', f'pool_measure = "MD"\nmid = {mid}\nmid_source = "x"')
    p = _one(_problems(normand_copy), file="pack.toml", column="mid")
    assert "positive" in p.problem


def test_bad_mid_without_source(normand_copy):
    _edit_toml(normand_copy, 'pool_measure = "MD"', 'pool_measure = "MD"\nmid = 2.0')
    _one(_problems(normand_copy), file="pack.toml", column="mid_source")


def test_bad_missing_csv(normand_copy):
    (normand_copy / "results.csv").unlink()
    p = _one(_problems(normand_copy), file="results.csv")
    assert "missing" in p.problem and "result_id" in p.fix


def test_bad_missing_column(normand_copy):
    f = normand_copy / "studies.csv"
    rows = list(csv.reader(f.open()))
    j = rows[0].index("source")
    with f.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([r[:j] + r[j + 1:] for r in rows])
    p = _one(_problems(normand_copy), file="studies.csv", column="source", row=1)
    assert "required column" in p.problem


def test_bad_misspelled_column(normand_copy):
    f = normand_copy / "studies.csv"
    f.write_text(f.read_text().replace("n_randomised", "n_randomized", 1))
    p = _one(_problems(normand_copy), file="studies.csv", row=1, column="n_randomized")
    assert "did you mean 'n_randomised'" in p.problem


def test_bad_unknown_study_id(normand_copy):
    set_cell(normand_copy / "results.csv", 3, "study_id", "Nowhere2001")
    p = _one(_problems(normand_copy), file="results.csv", row=3, column="study_id")
    assert "unknown study id" in str(p) and "'Nowhere2001'" in str(p) and "studies.csv" in p.fix


def test_bad_unknown_outcome(normand_copy):
    set_cell(normand_copy / "results.csv", 2, "outcome", "mortality")
    _one(_problems(normand_copy), file="results.csv", row=2, column="outcome", value="mortality")


def test_bad_unknown_bucket(normand_copy):
    set_cell(normand_copy / "results.csv", 4, "timepoint", "next_week")
    p = _one(_problems(normand_copy), file="results.csv", row=4, column="timepoint")
    assert "unknown time-point bucket" in str(p) and "short_term" in p.fix


def test_bad_unknown_comparison(normand_copy):
    set_cell(normand_copy / "results.csv", 5, "comparison", "placebo")
    _one(_problems(normand_copy), file="results.csv", row=5, column="comparison", value="placebo")


def test_bad_non_numeric(normand_copy):
    set_cell(normand_copy / "results.csv", 2, "m1i", "55 days")
    p = _one(_problems(normand_copy), file="results.csv", row=2, column="m1i")
    assert str(p).startswith("results.csv row 2 (R1), column m1i: must be a number, got '55 days'")


def test_bad_ci_low_above_ci_high(normand_copy):
    f = normand_copy / "results.csv"
    set_cell(f, 2, "data_type", "effect")
    with open(f, newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] += ["measure", "estimate", "ci_low", "ci_high"]
    for r in rows[1:]:
        r += ["", "", "", ""]
    rows[1][-4:] = ["MD", "-20", "3", "-40"]
    with open(f, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    p = _one(_problems(normand_copy), file="results.csv", row=2, column="ci_low")
    assert "greater than ci_high" in p.problem


def test_bad_effect_row_without_measure(normand_copy):
    f = normand_copy / "results.csv"
    set_cell(f, 3, "data_type", "effect")  # no measure column, no estimate
    probs = _problems(normand_copy)
    _one(probs, file="results.csv", row=3, column="measure")
    _one(probs, file="results.csv", row=3, column="estimate")


def test_bad_negative_n(normand_copy):
    set_cell(normand_copy / "results.csv", 6, "n2i", "-13")
    p = _one(_problems(normand_copy), file="results.csv", row=6, column="n2i")
    assert "> 0" in p.problem


def test_bad_events_exceed_n(normand_copy):
    f = normand_copy / "results.csv"
    with open(f, newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] += ["ai", "ci"]
    for r in rows[1:]:
        r += ["", ""]
    rows[1][-2:] = ["200", "3"]  # 200 events among n1i = 155
    with open(f, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    p = _one(_problems(normand_copy), file="results.csv", row=2, column="ai")
    assert "more events than participants" in p.problem


def test_bad_duplicate_study_id(normand_copy):
    set_cell(normand_copy / "studies.csv", 3, "study_id", "Edinburgh")
    p = _one(_problems(normand_copy), file="studies.csv", row=3, column="study_id")
    assert "duplicate study id (first on row 2)" in p.problem


def test_bad_missing_source(normand_copy):
    set_cell(normand_copy / "results.csv", 7, "source", "")
    p = _one(_problems(normand_copy), file="results.csv", row=7, column="source")
    assert "required" in p.problem


def test_bad_unknown_population_in_reviews(normand_copy):
    with open(normand_copy / "reviews.csv", "a", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["RV1", "Rev2020", "A review", "los", "short_term", "routine", "children", "numeric", "somewhere"])
    probs = _problems(normand_copy)
    _one(probs, file="reviews.csv", row=2, column="population", value="children")
    _one(probs, file="reviews.csv", row=2, column="estimate")  # numeric result without a number
    _one(probs, file="reviews.csv", row=2, column="measure")


def test_bad_p_value_and_orientation(normand_copy):
    f = normand_copy / "results.csv"
    with open(f, newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] += ["p_value", "orientation"]
    for r in rows[1:]:
        r += ["", ""]
    rows[1][-2:] = ["significant", "backwards"]
    with open(f, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    probs = _problems(normand_copy)
    _one(probs, file="results.csv", row=2, column="p_value")
    _one(probs, file="results.csv", row=2, column="orientation", value="backwards")


def test_bad_safety_events_exceed_denominator(normand_copy):
    f = normand_copy / "safety.csv"
    f.write_text("safety_id,source_id,citation,design,severity,event,n_patients,events,denominator_basis,source\n"
                 "S1,Src,Cit,survey,mild,bruising,10,12,patients,somewhere\n"
                 "S2,Src,Cit,survey,awful,bruising,10,1,patients,somewhere\n")
    probs = _problems(normand_copy)
    _one(probs, file="safety.csv", row=2, column="events")
    _one(probs, file="safety.csv", row=3, column="severity", value="awful")


def test_every_problem_reported_at_once(normand_copy):
    set_cell(normand_copy / "results.csv", 2, "study_id", "X1")
    set_cell(normand_copy / "results.csv", 3, "sd1i", "0")
    set_cell(normand_copy / "studies.csv", 4, "n_randomised", "many")
    _edit_toml(normand_copy, 'benefit = "lower"', 'benefit = "up"')
    probs = _problems(normand_copy)
    assert len(probs) == 4
    locs = {(p.file, p.row, p.column) for p in probs}
    assert locs == {("results.csv", 2, "study_id"), ("results.csv", 3, "sd1i"), ("studies.csv", 4, "n_randomised"),
                    ("pack.toml", None, "benefit")}
    assert validate_pack(normand_copy) and len(validate_pack(normand_copy)) == 4


def test_comparison_kind_is_read_and_validated(normand_copy):
    # old packs (no comparison_kind column) keep loading: every row is comparative
    assert {r.comparison_kind for r in load_pack(normand_copy).results} == {"comparative"}
    f = normand_copy / "results.csv"
    with open(f, newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] += ["comparison_kind"]
    for r in rows[1:]:
        r += [""]
    rows[1][-1] = "Between_Forms"  # case-insensitive, stored canonical
    rows[2][-1] = "intervention_in_all_arms"
    with open(f, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    kinds = [r.comparison_kind for r in load_pack(normand_copy).results]
    assert kinds[:3] == ["between_forms", "intervention_in_all_arms", "comparative"]
    rows[3][-1] = "head_to_head"
    with open(f, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    p = _one(_problems(normand_copy), file="results.csv", row=4, column="comparison_kind", value="head_to_head")
    assert "comparative, between_forms, intervention_in_all_arms, partly_between_forms" in str(p)


def test_bundled_comparison_kinds():
    p = load_pack()
    assert {r.comparison_kind for r in p.results} == {"comparative", "between_forms", "intervention_in_all_arms",
                                                      "partly_between_forms"}
    assert {r.comparison_kind for r in p.reviews if r.comparison == "dn_variant"} == {"between_forms"}
