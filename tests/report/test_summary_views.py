"""The report says what `evigrade summarize` says (issue 5 follow-up): key messages with certainty,
the conclusion, the comparison contrasts, narrative findings, unpooled safety classes and the SoF
table's anticipated absolute effect."""
from __future__ import annotations

import re

import pytest

from evigrade.report import render
from evigrade.report.model import build_model
from evigrade.report.views import absolute_text
from sofhtml import sof_body, sof_tables

STAMP = "2024-01-01T00:00:00Z"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_key_messages_come_first_with_symbols_and_word(summary):
    html = render(summary, "html", generated=STAMP)
    km, toc, sof = html.index('id="key-messages"'), html.index('class="toc"'), html.index('id="sof"')
    assert km < toc < html.index('id="question"') < sof
    m = build_model(summary)
    kinds = [k["kind"] for k in m.key_points]
    assert kinds == ["effect", "practice", "safety", "effect"]  # rated effects, practice, safety, then not rated
    pain = m.key_points[0]
    assert (pain["topic"], pain["symbols"], pain["word"]) == ("Pain", "\u2295\u25ef\u25ef\u25ef", "Very low")
    assert pain["headline"].startswith("Dry needling may reduce pain intensity") and pain["headline"].endswith("MD -2.31).")
    assert pain["context"] == "1 of 1 rated findings favour dry needling."
    assert pain["not_rated"].startswith("Review2021 reported no significant effect")
    assert pain["anchor"] and f'id="{pain["anchor"]}"' in html  # the "Details" link resolves
    strength = m.key_points[3]
    assert strength["word"] == "Not rated" and strength["headline"] == "No numeric estimate, so certainty is not rated."
    assert "Trial2019 reported a benefit" in strength["not_rated"]  # never dropped
    safety = m.key_points[2]
    assert safety["label"] == "reassuring" and safety["headline"].startswith("Serious adverse events appear rare")
    top = _text(html[km:toc])
    assert "Very low certainty" in top and "Low certainty" in top
    assert "Overall conclusion" in top and summary["conclusion"] in top
    # contrasts: the label column names the comparison, the sentence says what the rated findings show
    assert "Added to another therapy (vs that therapy alone)" in top
    assert "1 rated finding (certainty low); 1 favours dry needling." in top
    md = render(summary, "md", generated=STAMP)
    assert md.index("## Key messages") < md.index("### Overall conclusion") < md.index("### How it compares") < md.index("## The question")
    assert "- **Pain** (\u2295\u25ef\u25ef\u25ef Very low certainty): Dry needling may reduce" in md


def test_narrative_findings_listed_with_words_direction_and_not_rated(summary):
    html = render(summary, "html", generated=STAMP)
    fam = html[html.index('id="family-pain"'):html.index("</section>", html.index('id="family-pain"'))]
    assert "Results without numbers" in fam and "certainty not rated" in fam
    assert "\u201cno significant effect on pain at 6 months\u201d" in fam
    assert "\u201cVAS lower with needling (p = 0.04)\u201d" in fam
    m = build_model(summary)
    nf = [f for f in m.findings if not f.has_estimate][0]
    assert [r["direction"] for r in nf.narrative] == ["no difference reported", "favours specialist care / BCG vaccine"]
    assert nf.certainty_note == "certainty not rated: no numeric estimate" and nf.forest is None
    row = fam[fam.index('id="f-pain-long-term-add-on-neck"'):]
    row = row[:row.index("</tr>")]
    assert "no difference reported" in row and "not rated" in row
    # never drawn as if it had numbers: no plot, no SoF row
    sof = sof_body(html)
    assert sof.count("<tr>") == 3
    assert len(re.findall(r"<svg\b", html)) == 3
    md = render(summary, "md", generated=STAMP)
    assert '"no significant effect on pain at 6 months"' in md and "| not rated |" in md


def test_unpooled_safety_shows_range_each_source_and_bounds_never_na(summary):
    html = render(summary, "html", generated=STAMP)
    saf = html[html.index('id="safety"'):html.index("</section>", html.index('id="safety"'))]
    txt = _text(saf)
    assert ">NA<" not in saf and " NA " not in txt
    assert "0.000% to 0.098% (range across 2 sources)" in txt
    # each source's rate with its exact (Clopper-Pearson) CI
    assert "0.098% (0.060% to 0.151%)" in txt and "20 / 20,494" in txt
    # zero events: the exact upper limit and the rule of three (3/7629)
    assert "0 / 7,629" in txt and "exact upper 95% limit 0.048% (4.8 per 10,000)" in txt
    assert "rule of three 0.039% (3.9 per 10,000)" in txt
    assert 3 / 7629 == pytest.approx(0.00039323633503735744, rel=1e-12)
    # common mild event types, each source's rate, case reports
    assert "Common mild, short-lived events" in txt and "bruising" in txt
    assert "Brady2014: 7.55% of 7,629 treatments" in txt and "Boyce2020: 7.70% of 20,464 treatments" in txt
    assert "fainting" in txt and "no per-treatment rate" in txt
    assert "pneumothorax" in txt
    assert "syncope" in txt and "13% (of respondents)" in txt  # a survey's figure per respondent, labelled as such
    md = render(summary, "md", generated=STAMP)
    assert "0.000% to 0.098% (range across 2 sources)" in md and "rule of three 0.039%" in md
    text = render(summary, "text", generated=STAMP)
    assert "Brady2014: 0 / 7,629" in text and " NA" not in text.split("Safety")[-1]


def test_sof_has_absolute_effect_and_units(summary):
    html = render(summary, "html", generated=STAMP)
    tables = sof_tables(html)
    assert tables and all("Anticipated absolute effect (95% CI)" in t for t in tables)
    m = build_model(summary)
    los = m.sof[0]  # MD in days
    assert los.effect_unit == "days" and los.absolute_effect.startswith(f"{abs(los.estimate):.2f} days lower")
    assert "per 1000: not estimable (no baseline risk in the evidence)" == m.sof[1].absolute_effect
    assert m.sof[2].effect_unit == "points on a 0-10 scale"
    assert "2.31 lower (3.64 lower to 0.99 lower), in points on a 0-10 scale" == m.sof[2].absolute_effect
    assert html.count("Risk of bias: rated down 1 level") >= 1  # footnotes name each downgrade
    text = render(summary, "text", generated=STAMP)
    assert "Absolute effect" in text


@pytest.mark.parametrize("measure,est,lo,hi,extra,expected", [
    ("RD", 0.24, 0.04, 0.45, {}, "240 more per 1000 (40 more to 450 more)"),
    ("RD", -3.0, -5.0, -1.0, {}, "30 fewer per 1000 (50 fewer to 10 fewer)"),  # percentage points
    # RR 0.5 (0.25 to 1) from a baseline of 200 per 1000: 100 fewer (150 fewer to 0)
    ("RR", 0.5, 0.25, 1.0, {"control_risk": 0.2}, "200 per 1000 with the comparator; 100 fewer per 1000 (150 fewer to 0)"),
    # OR 2 at baseline 0.1: 2*0.1/(0.9+0.2) = 0.181818 -> 82 more per 1000
    ("OR", 2.0, 2.0, 2.0, {"baseline_risk": 0.1}, "100 per 1000 with the comparator; 82 more per 1000 (82 more to 82 more)"),
    ("SMD", -0.5, -0.8, -0.2, {}, "0.50 SD lower (0.80 lower to 0.20 lower)"),
    ("SMD", -0.5, -0.8, -0.2, {"grade": {"magnitude": {"re_expressed": {"estimate": -1.2, "ci_low": -1.9, "ci_high": -0.5, "units": "NPRS points"}}}},
     "re-expressed: 1.20 NPRS points lower (1.90 lower to 0.50 lower)"),
    ("MD", 2.0, -1.0, 5.0, {}, "2.00 higher (1.00 lower to 5.00 higher) (units not stated by the source)"),
])
def test_absolute_text(measure, est, lo, hi, extra, expected):
    unit = "" if measure != "SMD" else "SD units"
    assert absolute_text(extra, measure, est, lo, hi, unit) == expected


def test_bundled_pack_page_says_what_summarize_says():
    """The bundled pack: every key message, the conclusion, every contrast, every narrative finding and
    every safety source appear on the page; nothing meaningful is shown as NA."""
    from evigrade.report.pipeline import summary_for_report

    d = summary_for_report(None)
    html = render(d, "html", generated=STAMP)
    txt = _text(html)
    top = _text(html[html.index('id="key-messages"'):html.index('class="toc"')])
    assert len(d["key_messages"]) >= 5 and d["conclusion"] and d["comparisons"]
    m = build_model(d)
    assert len(m.key_points) == len(d["key_messages"])
    for k in m.key_points:
        assert k["headline"][:60] in top
    assert _text(d["conclusion"])[:200] in top
    for c in d["comparisons"]:
        assert c["sentence"].split(": ", 1)[1][:80] in top
    # narrative findings: listed in their family section, with the source's id, never in the SoF or a plot
    narrative = [f for f in d["findings"] if f["evidence_form"] == "narrative"]
    assert narrative
    views = {(v.outcome, v.anchor): v for v in m.findings}
    for v in m.findings:
        if not v.has_estimate:
            assert f'<tr id="{v.anchor}">' in html and v.forest is None
    for f in narrative:
        for n in f["narrative"]:
            assert n["source_id"] in txt
    # safety: unpooled classes show the range and each source, never NA
    saf = html[html.index('id="safety"'):html.index("</section>", html.index('id="safety"'))]
    assert ">NA<" not in saf and " NA " not in _text(saf)
    for pool in d["safety"]["pools"]:
        if not pool["pooled"]:
            assert "range across" in _text(saf)
        for it in pool["items"]:
            assert f"{it['events']:,} / {it['denominator']:,}" in _text(saf)
    for e in d["safety"]["common_mild_events"]:
        assert e in _text(saf)
    for c in d["safety"]["case_reports"]:
        assert c["event"][:30] in _text(saf)
    # SoF: one row per numeric finding, each with an absolute-effect cell
    sof = sof_body(html)
    assert sof.count('<td class="abs">') == sum(f["estimate"] is not None for f in d["findings"])
    # ES = effect size of unstated type (e.g. Rodriguez-Mansilla 2016 'd'): no absolute effect can be computed either
    assert "not estimable</td>" not in sof or all(v.measure in ("RR", "OR", "HR", "ES") for v in m.sof if not v.absolute_effect)
    assert len(views) == len(m.findings)
