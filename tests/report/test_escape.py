"""Issue 19 item 1: every renderer escapes for its format, links only as http(s)/DOI/PubMed.

Hostile text goes into every kind of field the report prints (title, question, outcome name and
family, time point, comparison label, statement, units, rationale, review label, notes, safety and
mechanism texts, citations) and hostile URLs into every place a link comes from; the Markdown,
HTML and terminal outputs must carry it as inert text.  ``test_markdown_in_chromium`` renders the
Markdown with a real Markdown renderer (markdown-it-py, raw HTML allowed) and loads it into headless
chromium: no payload may run; a control page made from the same payloads unescaped proves that the
probe does see a payload that runs.
"""
from __future__ import annotations

import copy
import json
import pathlib
import re
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from cdp import Browser, find_chromium  # noqa: E402

def _own_conftest():
    """tests/report/conftest.py by its path: a bare ``import conftest`` may find another folder's conftest
    (tests/packs/conftest.py) when several test folders are collected in one run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("report_conftest", pathlib.Path(__file__).parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


small_summary = _own_conftest().small_summary

from evigrade._escape import md_inline, safe_url  # noqa: E402
from evigrade.cli import main  # noqa: E402
from evigrade.report import render  # noqa: E402

STAMP = "2024-01-01T00:00:00Z"

# one payload per way Markdown (CommonMark or pandoc) or rich could turn text into markup
PAYLOADS = {
    "script": '<script>window.__pwned="script";document.title="pwned"</script>',
    "img": '<img src=x onerror="window.__pwned=\'img\'">',
    "link": "[click me](javascript:window.__pwned='link')",
    "refdef": "[r]: javascript:window.__pwned='refdef'",
    "autolink": "<javascript:window.__pwned='autolink'>",
    "image": "![x](javascript:window.__pwned='image')",
    "pandoc_attr": "t {onclick=\"window.__pwned='attr'\"}",
    "pandoc_raw": "`<img src=x onerror=window.__pwned='raw'>`{=html}",
    "emphasis": "**bold** _it_ ~~strike~~",
    "newline": "x\n# injected heading\n<svg onload=\"window.__pwned='svg'\">",
    "pipe": "a | b | c",
    "rich": "[link=javascript:alert(1)]click[/link] [bold red]styled[/]",
}
HOSTILE = " ".join(PAYLOADS.values())
BAD_URLS = ["javascript:window.__pwned='href'", "JavaScript:alert(1)", " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)", "file:///etc/passwd",
            "java\nscript:alert(1)", "//evil.example/x"]


def hostile_summary(text: str = HOSTILE, url: str = BAD_URLS[0]) -> dict:
    """The gold fixture with ``text`` in every kind of text field and ``url`` in every link source."""
    d = copy.deepcopy(small_summary())
    d["title"] = text
    d["question"]["population"] = text
    d["question"]["intervention"] = text
    for f in d["findings"]:
        for key in ("outcome_name", "family", "timepoint_label", "comparison_label"):
            f[key] = text
        if f.get("statement"):
            f["statement"] = text
        for dg in f.get("downgrades") or ():
            dg["rationale"] = text
        for n in f.get("notes") or ():
            n["message"] = text
        for a in f.get("alternatives") or ():
            a["label"] = text
        for nr in f.get("narrative") or ():
            nr["result_as_reported"] = text
            nr["source"] = url
        if f.get("units"):
            f["units"] = text
    d["findings"][2]["sources"][0]["url"] = url
    d["findings"][2]["sources"][0]["citation"] = text
    d["findings"][0]["population"] = text
    d["findings"][1]["population"] = "other"
    d["conclusion"] = text
    for k in d["key_messages"]:
        k["text"] = text
    for c in d["comparisons"]:
        c["sentence"] = text
    d["families"][0]["summary"] = text
    d["families"][0]["label"] = text
    s = d["safety"]
    s["statement"] = text
    s["rates"][0]["event"] = text
    s["other"][0]["event"] = text
    s["other"][0]["design"] = text
    s["case_reports"][0]["description"] = text
    s["common_mild_events"] = [text]
    for m in d["mechanisms"]:
        m["mechanism"] = text
        m["claim"] = text
    d["sources"].append({"id": "Evil", "citation": text, "url": url})
    d["findings"][0]["sources"].append("Evil")
    return d


# ----------------------------------------------------------------------------------------------
# unit: Markdown escaping per character kind, URL policy


@pytest.mark.parametrize("raw, escaped", [
    ("a*b*", r"a\*b\*"),
    ("snake_case", r"snake\_case"),
    ("`code`", r"\`code\`"),
    ("[x](javascript:y)", r"\[x\](javascript:y)"),
    ("![i](y)", r"!\[i\](y)"),
    ("{onclick=x}", r"\{onclick=x\}"),
    ("~~s~~", r"\~\~s\~\~"),
    ("a | b", r"a \| b"),
    ("back\\slash", r"back\\slash"),
    ("<script>", "&lt;script>"),
    ("</b>", "&lt;/b>"),
    ("<!-- c -->", "&lt;!-- c -->"),
    ("line one\nline two\r\n# three", "line one line two # three"),
    ("see [3], [4]", "see [3], [4]"),  # reference marks stay
    ("[3]: javascript:x", r"\[3\]: javascript:x"),  # ... unless they could define or make a link
    ("[3](javascript:x)", r"\[3\](javascript:x)"),
    ("[3]{.x}", r"\[3\]\{.x\}"),
    ("plain text, 95% CI 0.1 to 0.2 (k = 3).", "plain text, 95% CI 0.1 to 0.2 (k = 3)."),
])
def test_md_inline_escapes_each_kind(raw, escaped):
    assert md_inline(raw) == escaped


def test_md_inline_less_than():
    assert md_inline("p < 0.001") == "p &lt; 0.001"  # the md filter: every "<"
    assert md_inline("p < 0.001 <b>", every_lt=False) == "p < 0.001 &lt;b>"  # other values: only a tag start


@pytest.mark.parametrize("url, expected", [
    ("https://example.org/a?b=1#c", "https://example.org/a?b=1#c"),
    ("http://www.pubmed.gov/33066556/", "http://www.pubmed.gov/33066556/"),
    ("HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"),
    ("doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
    ("https://doi.org/10.1000/xyz", "https://doi.org/10.1000/xyz"),
    ("PMID: 33066556", "https://pubmed.ncbi.nlm.nih.gov/33066556/"),
    ('https://example.org/"onmouseover="x', "https://example.org/%22onmouseover=%22x"),
    ("https://example.org/<script>", "https://example.org/%3Cscript%3E"),
    *[(u, None) for u in BAD_URLS],
    ("", None),
    (None, None),
    ("example.org/no-scheme", None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


# ----------------------------------------------------------------------------------------------
# every format with hostile fields


def _md_lines_with_payload_markup(md: str) -> list[str]:
    """Lines where a payload's markup survived unescaped."""
    bad = []
    for line in md.splitlines():
        if re.search(r"<(script|img|svg|javascript)", line, re.I):
            bad.append(line)
        if re.search(r"(?<!\\)\[[^\]\d][^\]]*(?<!\\)\]\(", line):  # a link or image
            bad.append(line)
        if re.search(r"(?<!\\)\{(onclick|=html)", line):
            bad.append(line)
        if re.search(r"(?<!\\)`<img", line):
            bad.append(line)
        if re.match(r"\s*#+ injected", line) or re.match(r"\s*(\[r\]|<svg)", line):
            bad.append(line)
    return bad


@pytest.mark.parametrize("url", BAD_URLS)
def test_markdown_is_inert_and_has_no_bad_link(url):
    md = render(hostile_summary(url=url), "md", generated=STAMP)
    assert _md_lines_with_payload_markup(md) == []
    assert "javascript:window.__pwned='href'" not in md.replace("\\", "")  # the bad URL is dropped, not linked
    assert not re.search(r"<(?:javascript|data|vbscript|file):", md, re.I)
    for heading in (ln for ln in md.splitlines() if ln.startswith("#")):  # headings carry the text escaped
        assert "<script" not in heading and "](" not in heading.replace("\\](", "")


@pytest.mark.parametrize("url", BAD_URLS)
def test_html_has_no_bad_link(url):
    html = render(hostile_summary(url=url), "html", generated=STAMP)
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("#", "https://", "http://")) for h in hrefs), hrefs
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert "window.__pwned" in html  # the payload is there, as text


def test_safe_urls_are_linked_in_every_format():
    d = hostile_summary(text="Evil citation", url="doi:10.1000/evil.1")
    html = render(d, "html", generated=STAMP)
    md = render(d, "md", generated=STAMP)
    assert '<a href="https://doi.org/10.1000/evil.1">' in html
    assert "<https://doi.org/10.1000/evil.1>" in md


def test_terminal_output_shows_markup_as_text():
    from evigrade.report.model import build_model
    from evigrade.report.text import render_text

    m = build_model(hostile_summary())
    for color in (False, True):
        out = render_text(m, color=color, width=200)
        assert "\x1b]8;" not in out  # no OSC 8 hyperlink (rich's [link=...])
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert "[link=javascript:alert(1)]click[/link]" in plain  # shown literally, not interpreted
        assert "[bold red]styled[/]" in plain


def test_report_from_json_writes_no_javascript_href(tmp_path, capsys):
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(hostile_summary()), encoding="utf-8")
    assert main(["report", "--from-json", str(src), "-o", str(tmp_path / "rep")]) == 0
    capsys.readouterr()
    for name in ("index.html", "report.md"):
        text = (tmp_path / "rep" / name).read_text(encoding="utf-8")
        assert not re.search(r'href="\s*javascript', text, re.I)
        assert not re.search(r"<javascript:", text, re.I)
    assert main(["report", "--from-json", str(src), "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "\x1b]8;" not in out and "[bold red]styled[/]" in out


# ----------------------------------------------------------------------------------------------
# the Markdown rendered by a real Markdown renderer, in headless chromium

PROBE = r"""
(() => JSON.stringify({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  title: document.title,
  scripts: document.querySelectorAll('script').length,
  imgs: document.querySelectorAll('img').length,
  handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
  badLinks: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
              .filter(h => !/^(#|https?:)/i.test(h)),
  text: document.body.innerText,
}))()
"""


def _markdown_page(md: str) -> str:
    from markdown_it import MarkdownIt

    # html=True: raw HTML in the source would be passed through, as pandoc and most viewers do
    body = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(md)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>safe</title></head><body>{body}</body></html>"


def _probe_in_chromium(page: pathlib.Path, tmp_path: pathlib.Path) -> dict:
    with Browser(tmp_path / "chromium-profile") as b:
        targets = b.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = b.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        b.send("Page.enable", session=session)
        b.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        b.wait_event("Page.loadEventFired")
        # click every link, as a reader would
        b.send("Runtime.evaluate", {"expression": "document.querySelectorAll('a[href]').forEach(a => { try { a.click(); } catch (e) {} })"},
               session=session)
        res = b.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
        return json.loads(res["result"]["value"])


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (scripts/install-system-deps.sh)")
def test_markdown_in_chromium(tmp_path):
    md = render(hostile_summary(), "md", generated=STAMP)
    page = tmp_path / "report-md.html"
    page.write_text(_markdown_page(md), encoding="utf-8")
    info = _probe_in_chromium(page, tmp_path)
    assert info["pwned"] is None
    assert info["title"] == "safe"
    assert (info["scripts"], info["imgs"], info["handlers"], info["badLinks"]) == (0, 0, 0, [])
    # the payloads are shown to the reader as text
    assert PAYLOADS["script"] in info["text"]
    assert PAYLOADS["link"] in info["text"]
    assert PAYLOADS["rich"] in info["text"]

    # control: the same payloads unescaped do run in this harness
    control = tmp_path / "control.html"
    control.write_text(_markdown_page("# " + PAYLOADS["script"] + "\n\n" + PAYLOADS["img"] + "\n"), encoding="utf-8")
    assert _probe_in_chromium(control, tmp_path / "c")["pwned"] in ("script", "img")
