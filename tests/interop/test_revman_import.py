"""RevMan import: parsing real files, the pack they become (loads, summarizes, deterministic, atomic)."""
from __future__ import annotations

import math
import os

import pytest
from revman_helpers import RM5_FILES, real_file

from evigrade.cli import main
from evigrade.errors import InputError
from evigrade.interop import read_revman, write_pack
from evigrade.interop import revman as rm
from evigrade.packs import load_pack


def test_fleiss_rm5_parsed(tmp_path):
    rv = read_revman(real_file("Fleiss1993.rm5", tmp_path))
    assert rv.format == "rm5" and rv.title == "Examples from Fleiss 1993" and rv.revman_version == "5.0.23"
    assert [a.id for a in rv.analyses] == ["1.1", "1.2"]
    a, c = rv.analyses
    assert (a.data_type, a.method, a.measure, a.random, a.totals) == ("dichotomous", "MH", "OR", False, "yes")
    assert a.group_label_1 == "Aspirin" and a.graph_label_left == "Favours experimental"
    assert [(e.study_name, e.events_1, e.total_1, e.events_2, e.total_2) for e in a.studies][:2] == [
        ("MRC-1", 49, 615, 67, 624), ("CDP", 44, 758, 64, 771)]
    assert a.pooled.estimate == 0.8968655609130709 and a.pooled.k == 7 and a.pooled.chi2 == 9.946055983220074
    # the continuous analysis was never computed in RevMan: data imported, no pooled result
    assert (c.data_type, c.measure, len(c.studies), c.pooled.estimate) == ("continuous", "SMD", 5, None)
    assert (c.studies[0].mean_1, c.studies[0].sd_1, c.studies[0].total_1) == (5.0, 4.7, 13)
    # RoB items exist but hold only "unclear" judgements
    assert {r.judgement for r in rv.rob} == {"unclear"}


def test_csv_export_matches_rm5_data(tmp_path):
    """The CSV export of the same review holds the same study data (meta's Fleiss1993_CR.csv)."""
    csv_rv = read_revman(real_file("Fleiss1993_CR.csv", tmp_path))
    rm5 = read_revman(real_file("Fleiss1993.rm5", tmp_path))
    assert csv_rv.format == "csv" and len(csv_rv.analyses) == 2
    a_csv, a_rm5 = csv_rv.analyses[0], rm5.analyses[0]
    assert (a_csv.method, a_csv.measure, a_csv.random) == ("MH", "OR", False)
    assert [(e.study_name, e.events_1, e.total_1, e.events_2, e.total_2) for e in a_csv.studies] == \
        [(e.study_name, e.events_1, e.total_1, e.events_2, e.total_2) for e in a_rm5.studies]
    assert a_csv.pooled.estimate == 0.89686556 and a_csv.pooled.chi2 == 9.94605598 and a_csv.pooled.i2 == 39.67458046
    c = csv_rv.analyses[1]
    assert (c.data_type, c.method, c.measure) == ("continuous", "IV", "MD")
    assert [(e.study_name, e.year) for e in c.studies][0] == ("Davis", "1973")


def test_subgroups_and_rob(tmp_path):
    rv = read_revman(real_file("CD003188StatsDataOnly.rm5", tmp_path))
    a = rv.analysis("1.1")
    assert a.data_type == "generic_iv" and a.measure == "HR" and a.log_scale_data and a.random
    assert len(a.subgroups) >= 2 and all(e.subgroup in {g.no for g in a.subgroups} for e in a.studies)
    assert a.subgroup_test.chi2 == 13.532019550692173 and a.subgroup_test.i2 == 70.44048018837368
    rob = read_revman(real_file("CD013437StatsDataOnly.rm5", tmp_path)).rob
    assert len(rob) == 56 and {r.judgement for r in rob} == {"low", "high", "unclear"}
    blinding = [r for r in rob if r.item.startswith("Blinding of participants")]
    assert blinding and all(r.group for r in blinding)  # judged per outcome group in RevMan


# the largest review (CD008625, ~3 s) is slow: CI (`make test`) runs it, the quick loop runs the other files
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "CD008625StatsDataOnly.rm5" else n
                                  for n in RM5_FILES + ("Fleiss1993_CR.csv",)])
def test_pack_loads_and_summarizes(name, tmp_path, capsys):
    rv = read_revman(real_file(name, tmp_path))
    dest = write_pack(rv, tmp_path / "pack")
    pack = load_pack(dest)
    assert len(pack.outcomes) == len(rv.analyses)
    assert len(pack.results) == sum(len(a.studies) for a in rv.analyses)
    assert len(pack.reviews) == sum(1 for a in rv.analyses if a.pooled is not None and a.pooled.estimate is not None)
    # arm-level numbers are the file's numbers
    a = rv.analyses[0]
    first = next(r for r in pack.results if r.result_id == f"r{a.comparison_no}_{a.outcome_no}_1")
    e = a.studies[0]
    if a.data_type == "dichotomous" and first.data_type == "arm_level":
        assert (first.ai, first.n1i, first.ci, first.n2i) == (e.events_1, e.total_1, e.events_2, e.total_2)
    elif a.data_type == "continuous" and first.data_type == "arm_level":
        assert (first.m1i, first.sd1i, first.n1i) == (e.mean_1, e.sd_1, e.total_1)
    # every review row is RevMan's pooled result, as stored
    for rvw in pack.reviews:
        an = rv.analysis(rvw.source.split("analysis ")[1].split(",")[0])
        assert rvw.estimate == an.pooled.estimate and rvw.ci_low == an.pooled.ci_low
    assert main(["summarize", str(dest), "--no-color"]) == 0
    out, err = capsys.readouterr()
    assert out and "Traceback" not in err


def test_generic_iv_row_on_ratio_scale(tmp_path):
    rv = read_revman(real_file("CD008625StatsDataOnly.rm5", tmp_path))
    pack = load_pack(write_pack(rv, tmp_path / "p"))
    a = next(a for a in rv.analyses if a.data_type == "generic_iv" and a.measure == "ROM")
    e = a.studies[0]
    row = next(r for r in pack.results if r.result_id == f"r{a.comparison_no}_{a.outcome_no}_1")
    assert row.data_type == "effect" and row.measure == "ROM" and row.se == e.se
    assert math.isclose(row.estimate, math.exp(e.estimate), rel_tol=1e-15)
    assert math.isclose(row.estimate, e.revman_estimate, rel_tol=1e-12)  # RevMan's displayed ratio


def test_double_zero_rows_kept_but_not_pooled(tmp_path):
    rv = read_revman(real_file("CD008625StatsDataOnly.rm5", tmp_path))
    pack = load_pack(write_pack(rv, tmp_path / "p"))
    dz = [r for r in pack.results if r.measure in ("OR", "RR") and r.ai == 0 and r.ci == 0]
    assert dz and all(r.data_type == "qualitative" and "not estimable" in r.notes for r in dz)


def test_extra_files_hold_what_the_pack_cannot(tmp_path):
    rv = read_revman(real_file("CD013437StatsDataOnly.rm5", tmp_path))
    dest = write_pack(rv, tmp_path / "p")
    analyses = (dest / "revman" / "analyses.csv").read_text().splitlines()
    assert len(analyses) == 1 + len(rv.analyses) and analyses[0].startswith("analysis,outcome,comparison,")
    assert "MH,RR" in analyses[1]
    rob = (dest / "revman" / "rob.csv").read_text().splitlines()
    assert len(rob) == 1 + 56


def test_deterministic_output(tmp_path):
    rv = read_revman(real_file("CD003188StatsDataOnly.rm5", tmp_path))
    d1, d2 = write_pack(rv, tmp_path / "a"), write_pack(rv, tmp_path / "b")
    files = sorted(p.relative_to(d1) for p in d1.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(d2) for p in d2.rglob("*") if p.is_file())
    for f in files:
        assert (d1 / f).read_bytes() == (d2 / f).read_bytes(), f


def test_existing_folder_refused_then_overwritten(tmp_path):
    rv = read_revman(real_file("Fleiss1993.rm5", tmp_path))
    dest = tmp_path / "p"
    dest.mkdir()
    (dest / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        write_pack(rv, dest)
    assert (dest / "keep.txt").read_text() == "x"
    write_pack(rv, dest, overwrite=True)
    assert not (dest / "keep.txt").exists() and (dest / "pack.toml").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch):
    rv = read_revman(real_file("Fleiss1993.rm5", tmp_path))
    real_open = open
    calls = {"n": 0}

    def failing_open(path, mode="r", *a, **kw):
        if "w" in mode:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device")
        return real_open(path, mode, *a, **kw)

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(InputError, match="No space left"):
        write_pack(rv, tmp_path / "p")
    monkeypatch.undo()
    assert not (tmp_path / "p").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ids_are_valid_and_unique(tmp_path):
    """Study names with accents, spaces and duplicates become unique pack ids."""
    rv = read_revman(real_file("CD013437StatsDataOnly.rm5", tmp_path))
    files = rm.pack_files(rv)
    ids = [line.split(",")[0] for line in files["studies.csv"].splitlines()[1:]]
    assert len(ids) == len(set(ids)) and "Martinez-de-Cuellar-2015" in ids
    assert all(os.path.basename(i) == i for i in ids)


def test_hostile_names_still_give_a_loadable_pack(tmp_path):
    """Quotes, backslashes, control characters, commas and non-Latin names survive into a valid pack."""
    import tomllib

    from evigrade.interop.revman import _toml_str

    for s in ('a"b\\c\nd\x7fe\x01', "Ünïcødé, \"quoted\"", "\u4e2d\u6587"):
        assert tomllib.loads("x = " + _toml_str(s))["x"] == s
    xml = ('<?xml version="1.0"?><COCHRANE_REVIEW><COVER_SHEET><TITLE>T "q" \\ x</TITLE></COVER_SHEET><STUDIES_AND_REFERENCES>'
           '<STUDIES><INCLUDED_STUDIES><STUDY ID="S1" NAME="\u4e2d\u6587 2001" YEAR="2001"/><STUDY ID="S2" NAME="A, &quot;B&quot; 2002"/>'
           '<STUDY ID="S3" NAME="A, &quot;B&quot; 2002"/></INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES><ANALYSES_AND_DATA>'
           '<COMPARISON NO="1"><NAME>C, "x"&#10;y</NAME><CONT_OUTCOME NO="1" EFFECT_MEASURE="MD" RANDOM="YES"><NAME>Pain, 0-10</NAME>'
           '<CONT_DATA STUDY_ID="S1" MEAN_1="1" SD_1="1" TOTAL_1="10" MEAN_2="2" SD_2="1" TOTAL_2="10"/>'
           '<CONT_DATA STUDY_ID="S2" MEAN_1="1" SD_1="1.5" TOTAL_1="12" MEAN_2="2.5" SD_2="1" TOTAL_2="11"/>'
           '<CONT_DATA STUDY_ID="S3" MEAN_1="1" SD_1="0" TOTAL_1="12" MEAN_2="2.5" SD_2="1" TOTAL_2="11"/>'
           '</CONT_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>')
    src = tmp_path / "weird.rm5"
    src.write_text(xml, encoding="utf-8")
    pack = load_pack(write_pack(read_revman(src), tmp_path / "p"))
    assert [s.study_id for s in pack.studies] == ["S1", "A-B-2002", "A-B-2002-2"]
    assert pack.comparisons[0].label == 'C, "x" y' and pack.outcomes[0].benefit == "lower"
    assert "assumed lower - check" in pack.outcomes[0].description
    assert [r.data_type for r in pack.results] == ["arm_level", "arm_level", "qualitative"]  # SD 0: kept, not pooled


@pytest.mark.parametrize("name", ["CD008625StatsDataOnly.rm5", "CD003188StatsDataOnly.rm5", "CD007868StatsDataOnly.rm5"])
def test_summarize_on_the_pack_reproduces_revman_iv_md(name, tmp_path):
    """The pack route: `summarize --method DL --test z` on the imported pack gives RevMan's pooled MD for every
    random-effects inverse-variance MD analysis in which each study appears once.  Where RevMan lists a study
    twice (multi-arm trials split by the review authors), summarize pools every row with a multilevel model
    (results nested in studies, CR2 robust variance; docs/revman.md, "Not supported"), where RevMan treats the
    rows as independent studies."""
    from evigrade.interop.revman_meta import study_effects
    from evigrade.packs import summarize

    rv = read_revman(real_file(name, tmp_path))
    s = summarize(load_pack(write_pack(rv, tmp_path / "p")), method="DL", test="z")
    matched = 0
    for a in rv.analyses:
        if (a.data_type, a.measure, a.random) != ("continuous", "MD", True) or a.pooled is None or a.pooled.estimate is None:
            continue
        f = next(f for f in s.findings if f.outcome == f"a{a.comparison_no}_{a.outcome_no}")
        _, _, ok = study_effects(a)
        ids = [e.study_id for e, good in zip(a.studies, ok) if good]  # RevMan pools the estimable rows
        if len(ids) < 2:
            continue  # one estimable study: summarize shows the review's result (basis "review")
        if len(set(ids)) == len(ids):
            assert f.status == "pooled" and f.k == len(ids)
            for got, want in ((f.estimate, a.pooled.estimate), (f.ci_low, a.pooled.ci_low), (f.ci_high, a.pooled.ci_high)):
                assert math.isclose(got, want, rel_tol=1e-10, abs_tol=1e-12), (a.id, got, want)
            matched += 1
        else:
            assert f.k == len(set(ids))
            if len(set(ids)) >= 2:  # a study listed twice: every estimable row enters the multilevel model
                assert (f.meta.model, f.meta.k_studies, f.meta.k) == ("multilevel", len(set(ids)), len(ids)), a.id
                assert not any("same study" in n.reason for n in f.not_poolable), a.id
            else:  # one study only: its first row is shown, the others listed
                assert any("another result of the same study is already used" in n.reason for n in f.not_poolable), a.id
    assert matched == {"CD008625StatsDataOnly.rm5": 14, "CD003188StatsDataOnly.rm5": 1, "CD007868StatsDataOnly.rm5": 1}[name]
