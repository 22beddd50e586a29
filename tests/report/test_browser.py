"""Headless chromium opens the report from disk: no console errors, no network requests, the SoF
table and every plot present with the expected number of study rows; a screenshot is saved."""
from __future__ import annotations

import base64
import json
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from cdp import Browser, find_chromium  # noqa: E402

from evigrade.report import write_report  # noqa: E402

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (scripts/install-system-deps.sh)"),
    pytest.mark.slow,  # a browser launch each (~2-5 s); CI (`make test`) runs them
]

PROBE = r"""
(() => {
  const closed = [...document.querySelectorAll('details')].filter(d => !d.open).length;
  document.querySelectorAll('details').forEach(d => { d.open = true; });  // the details layer, opened
  const svgs = [...document.querySelectorAll('svg[data-plot]')].map(s => ({
    plot: s.dataset.plot,
    declared: parseInt(s.dataset.studyRows, 10),
    drawn: s.querySelectorAll('[data-kind="study"]').length,
    title: (s.querySelector(':scope > title') || {}).textContent || '',
    desc: (s.querySelector(':scope > desc') || {}).textContent || '',
    width: s.getBoundingClientRect().width,
  }));
  const sof = [...document.querySelectorAll('table.sof')];  // one table per comparison
  return JSON.stringify({
    title: document.title,
    closed,
    sofTables: sof.length,
    sofRows: sof.reduce((n, t) => n + t.querySelectorAll('tbody tr').length, 0),
    sofHeaders: sof.flatMap(t => [...t.querySelectorAll('thead th')].map(th => th.scope)),
    svgs,
    resources: performance.getEntriesByType('resource').length,
    height: Math.ceil(document.documentElement.scrollHeight),
  });
})()
"""


def _open(browser: Browser, url: str) -> str:
    targets = browser.send("Target.getTargets")["targetInfos"]
    page = next(t for t in targets if t["type"] == "page")
    session = browser.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired")
    return session


def _inspect(out: pathlib.Path, tmp_path: pathlib.Path, full_page: bool = True):
    """Open out/index.html; return (probe info, console errors, requests, url, screenshot path)."""
    url = (out / "index.html").resolve().as_uri()
    with Browser(tmp_path / "chromium-profile") as b:
        session = _open(b, url)
        res = b.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
        info = json.loads(res["result"]["value"])
        if full_page:
            b.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": min(info["height"], 16000), "deviceScaleFactor": 1, "mobile": False}, session=session)
        shot = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}, session=session)
        png = tmp_path / "report.png"
        png.write_bytes(base64.b64decode(shot["data"]))
        events = list(b.events)

    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [e for e in events if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")]
    errors += [e for e in events if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    requests = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    return info, errors, requests, url, png


def test_report_in_headless_chromium(summary, tmp_path):
    out = write_report(summary, tmp_path / "report", generated="2024-01-01T00:00:00Z")
    info, errors, requests, url, png = _inspect(out, tmp_path)
    assert errors == []
    assert requests == [url]  # the page itself, nothing else: self-contained
    assert info["resources"] == 0

    assert info["title"] == summary["title"]
    assert info["sofRows"] == sum(f["estimate"] is not None for f in summary["findings"])
    assert info["sofTables"] == len({f["comparison_label"] for f in summary["findings"] if f["estimate"] is not None})
    assert info["closed"] > 0  # the details layer is collapsed until opened
    assert info["sofHeaders"] and set(info["sofHeaders"]) == {"col"}
    expected = [("forest", 9), ("forest", 13), ("funnel", 13)]
    assert [(s["plot"], s["declared"]) for s in info["svgs"]] == expected
    for s in info["svgs"]:
        assert s["drawn"] == s["declared"], s
        assert s["title"] and s["desc"] and s["width"] > 100
    assert png.stat().st_size > 50_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# viewport-only screenshot: a full-page capture of the bundled report takes 10-20 s
def test_bundled_pack_report_in_headless_chromium(tmp_path):
    from evigrade.report.pipeline import summary_for_report

    d = summary_for_report(None)
    out = write_report(d, tmp_path / "report", generated="2024-01-01T00:00:00Z")
    info, errors, requests, url, png = _inspect(out, tmp_path, full_page=False)
    assert errors == [] and requests == [url] and info["resources"] == 0
    assert info["sofRows"] == sum(f["estimate"] is not None for f in d["findings"]) > 0
    assert info["svgs"]
    for s in info["svgs"]:
        assert s["drawn"] == s["declared"] and s["title"] and s["desc"], s


def test_a_link_to_a_question_opens_its_folded_details(summary, tmp_path):
    """The SoF and key-message links point inside the folded details: following one opens the question
    (and its family), as GRADEpro's interactive SoF opens a row's details."""
    import re

    out = write_report(summary, tmp_path / "report", generated="2024-01-01T00:00:00Z")
    html = (out / "index.html").read_text(encoding="utf-8")
    anchor = re.search(r'<th scope="row"><a href="#([^"]+)">', html).group(1)  # the first SoF row's link
    url = (out / "index.html").resolve().as_uri()
    with Browser(tmp_path / "chromium-profile") as b:
        session = _open(b, f"{url}#{anchor}")
        probe = (f"JSON.stringify((() => {{ const el = document.getElementById({json.dumps(anchor)});"
                 " const q = el.closest('details'); const fam = q.parentElement.closest('details');"
                 " return [q.open, fam.open, document.querySelectorAll('details[open]').length]; })())")
        res = b.send("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
    q_open, fam_open, n_open = json.loads(res["result"]["value"])
    assert q_open and fam_open and n_open == 2  # that question and its family only
