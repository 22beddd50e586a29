"""Forest/funnel plots: SVG structure, numbers on the display scale, accessibility, matplotlib API."""
from __future__ import annotations

import json
import math
import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats

from evigrade.errors import InputError, SpecError
from evigrade.plots import forest, forest_data, funnel, funnel_data
from evigrade.plots.svg import forest_svg, funnel_svg, log_ticks, nice_ticks

DATA = pathlib.Path(__file__).parent / "data"
NS = "{http://www.w3.org/2000/svg}"
# attributes carry 6 significant digits (format "%.6g"), so compare at that precision
ATTR_RTOL = 5e-6


@pytest.fixture
def md() -> dict:
    return json.loads((DATA / "meta_fixture.json").read_text())["normand1999_md"]


@pytest.fixture
def rr() -> dict:
    return json.loads((DATA / "meta_fixture.json").read_text())["bcg_rr"]


def _rows(svg: str, kind: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{NS}g") if g.get("data-kind") == kind]


def test_forest_svg_rows_and_study_cis(md):
    svg = forest_svg(md, title="LOS", benefit="lower", intervention="specialist care", comparator="routine care")
    root = ET.fromstring(svg)
    assert root.get("data-plot") == "forest"
    assert root.get("data-study-rows") == str(md["k"]) == "9"
    studies = _rows(svg, "study")
    assert len(studies) == 9
    z = stats.norm.ppf(0.975)
    for g, s in zip(studies, md["studies"]):
        assert g.get("data-label") == s["study"]
        lo, hi = s["yi"] - z * math.sqrt(s["vi"]), s["yi"] + z * math.sqrt(s["vi"])
        np.testing.assert_allclose(
            [float(g.get("data-estimate")), float(g.get("data-ci-low")), float(g.get("data-ci-high")), float(g.get("data-weight"))],
            [s["yi"], lo, hi, s["weight"]], rtol=ATTR_RTOL)
    (pooled,) = _rows(svg, "pooled")
    np.testing.assert_allclose([float(pooled.get("data-estimate")), float(pooled.get("data-ci-low")), float(pooled.get("data-ci-high"))],
                               [md["estimate"], md["ci_low"], md["ci_high"]], rtol=ATTR_RTOL)
    (pi,) = _rows(svg, "pi")
    np.testing.assert_allclose([float(pi.get("data-ci-low")), float(pi.get("data-ci-high"))], [md["pi_low"], md["pi_high"]], rtol=ATTR_RTOL)
    assert "Favours specialist care" in svg and "Favours routine care" in svg
    # weights printed as percentages that add up to about 100
    pct = [float(x) for x in re.findall(r">(\d+\.\d)%<", svg)]
    assert len(pct) == 9 and abs(sum(pct) - 100) < 0.5


def test_forest_svg_ratio_measure_log_axis(rr):
    svg = forest_svg(rr, title="TB")
    root = ET.fromstring(svg)
    assert root.get("data-log-scale") == "true"
    (pooled,) = _rows(svg, "pooled")
    np.testing.assert_allclose(float(pooled.get("data-estimate")), math.exp(rr["estimate"]), rtol=ATTR_RTOL)
    for g, s in zip(_rows(svg, "study"), rr["studies"]):
        np.testing.assert_allclose(float(g.get("data-estimate")), math.exp(s["yi"]), rtol=ATTR_RTOL)
    assert "Risk ratio" in svg


def test_forest_favours_flip_with_benefit_direction(md):
    d_low = forest_data(md, benefit="lower", intervention="X", comparator="Y")
    d_high = forest_data(md, benefit="higher", intervention="X", comparator="Y")
    assert (d_low.favours_left, d_low.favours_right) == ("Favours X", "Favours Y")
    assert (d_high.favours_left, d_high.favours_right) == ("Favours Y", "Favours X")
    with pytest.raises(SpecError, match="benefit='up'"):
        forest_data(md, benefit="up")


def test_forest_svg_reference_subgroup_and_rob_rows(md):
    rob = {s["study"]: r for s, r in zip(md["studies"], ["low", "some_concerns", "high"] + [None] * 6)}
    svg = forest_svg(md, rob=rob, references=[{"label": "Review A", "estimate": -10, "ci_low": -20, "ci_high": -1, "k": 7}],
                     subgroups=[{"label": "Subgroup 1", "estimate": -5, "ci_low": -9, "ci_high": -1, "k": 3}])
    assert len(_rows(svg, "reference")) == 1 and len(_rows(svg, "subgroup")) == 1
    robs = [g.get("data-rob") for g in _rows(svg, "study")]
    assert robs[:4] == ["low", "some concerns", "high", "unknown"]
    # grey-scale readable: each light carries a symbol and a text title, not only a colour
    assert svg.count('class="rob-light"') == 9 and "<title>high risk of bias</title>" in svg


def test_svg_accessibility_and_determinism(md, rr):
    for svg in (forest_svg(md, id_prefix="a"), funnel_svg(rr, id_prefix="b")):
        root = ET.fromstring(svg)
        title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
        assert title is not None and title.text and desc is not None and len(desc.text) > 40
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert forest_svg(md, id_prefix="a") == forest_svg(md, id_prefix="a")


def test_funnel_svg_points(rr):
    svg = funnel_svg(rr, title="TB")
    root = ET.fromstring(svg)
    pts = [c for c in root.iter(f"{NS}circle") if c.get("data-kind") == "study"]
    assert root.get("data-study-rows") == "13" and len(pts) == 13
    for c, s in zip(pts, rr["studies"]):
        np.testing.assert_allclose([float(c.get("data-yi")), float(c.get("data-sei"))], [s["yi"], math.sqrt(s["vi"])], rtol=ATTR_RTOL)
    assert funnel_data(rr).x_label == "Log risk ratio"


def test_plot_refusals(md):
    bad = dict(md, studies=[dict(s) for s in md["studies"]])
    bad["studies"][2]["vi"] = None
    with pytest.raises(InputError, match="Orpington-Moderate"):
        forest_data(bad)
    with pytest.raises(SpecError, match="PFT"):
        forest_data(md, measure="PFT")
    with pytest.raises(InputError, match="no per-study effects"):
        forest_data({"estimate": 1.0})


def test_ticks():
    assert nice_ticks(-36.3, 6.1) == [-40.0, -30.0, -20.0, -10.0, 0.0, 10.0]
    assert log_ticks(0.09, 1.66) == [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    assert log_ticks(0.5, 2.0) == [0.5, 1.0, 2.0]
    assert log_ticks(0.01, 30) == [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 50.0]  # thinned to 1 and 5


def test_matplotlib_forest_and_funnel_return_axes_without_pyplot_state(md, rr):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = forest(md, benefit="lower", rob={"Edinburgh": "low"})
    assert ax.__class__.__name__ == "Axes" and len(ax.get_yticklabels()) == len(forest_data(md).rows)
    ax2 = funnel(rr)
    assert ax2.get_ylim()[0] > ax2.get_ylim()[1]  # SE axis inverted
    assert len(ax2.lines[-1].get_xdata()) == 13
    assert forest(rr).get_xscale() == "log"
    assert plt.get_fignums() == before
    # drawing on a given Axes uses it
    from matplotlib.figure import Figure

    fig = Figure()
    given = fig.add_subplot(1, 1, 1)
    assert forest(md, ax=given) is given
