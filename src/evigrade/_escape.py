"""Escaping for each output format, and the one rule for links (issue 19).

Every text that comes from a pack, a saved summary or a claims file is data, never markup:

* HTML: Jinja2 autoescape (``report/_render.py``); nothing here.
* Markdown: :func:`md_inline` backslash-escapes every character that can open Markdown markup in
  running text -- emphasis and code (``* _ `` ` ``), links, images and reference definitions
  (``[ ]``), pandoc attributes and raw-format spans (``{ }``), strikeout and fences (``~``), table
  cells (``|``) -- and turns ``<`` into ``&lt;`` so no HTML tag or autolink can start; newlines become
  spaces so a value cannot start a new block (a heading, a fence, a raw HTML block); control
  characters are shown as escapes (``\\u001b``).
* Terminal: rich markup is escaped with ``rich.markup.escape`` (or printed with ``markup=False``);
  control characters (ESC, C1, bidirectional overrides) are shown as escapes by :func:`term_safe`,
  which the CLI applies to everything it prints (:class:`TermSafeStream`).
* Links: :func:`safe_url` lets through only ``http(s)`` URLs and DOI / PubMed identifiers (turned
  into their https links); ``javascript:``, ``data:``, ``file:`` and every other scheme give None
  (the reference is printed without a link).
"""
from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["md_inline", "md_cell", "safe_url", "first_url", "MD_SPECIAL", "term_safe", "TermSafeStream", "control_char",
           "control_problem", "find_control_char", "CONTROL_FIX"]

# C0 controls except tab and newline, DEL, C1 controls (0x80-0x9f: CSI, OSC, ... in 8-bit form) and
# the Unicode bidirectional overrides that can make a terminal line read differently from its bytes
_TERM_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# the same, but a colour/style sequence (SGR, ESC [ ... m) as rich writes it is kept whole (not SGR 8,
# "concealed", which would hide text)
_TERM_UNSAFE_KEEP_SGR = re.compile("(\x1b\\[(?!(?:[0-9;]*;)?8(?:;|m))[0-9;]*m)|" + _TERM_UNSAFE.pattern)


def _visible(m: "re.Match[str]") -> str:
    # \u001b rather than \x1b: the same escape is valid in JSON, Python and JavaScript strings, so a
    # JSON document printed through the filter still parses to the same text
    return "\\u%04x" % ord(m.group())


def term_safe(s: object, *, newlines: bool = True) -> str:
    """``s`` with every terminal control character shown as a visible escape (ESC -> ``\\u001b``), so
    a value from a file cannot move the cursor, clear the screen, set the window title or hide text
    (robust, issue 19).  ``newlines=False`` also turns newlines into spaces (one-line messages)."""
    text = _TERM_UNSAFE.sub(_visible, str(s))
    return text if newlines else " ".join(text.split("\n"))


class TermSafeStream:
    """A text stream that writes to ``stream`` through :func:`term_safe` (the CLI's stdout while a
    command runs: no value from a file reaches the terminal as a control sequence, whichever renderer
    printed it).  With ``keep_style=True`` (colour output on a terminal) rich's colour sequences are
    kept; everything else that could move the cursor, clear the screen, set the title or reorder the
    line is shown as an escape.  Everything else (``isatty``, ``fileno``, ``encoding``, ...) is the
    wrapped stream's."""

    def __init__(self, stream: Any, *, keep_style: bool) -> None:
        self._stream = stream
        self._re = _TERM_UNSAFE_KEEP_SGR if keep_style else _TERM_UNSAFE

    def _clean(self, s: str) -> str:
        if self._re is _TERM_UNSAFE:
            return self._re.sub(_visible, s)
        return self._re.sub(lambda m: m.group(1) or _visible(m), s)

    def write(self, s: str) -> int:
        self._stream.write(self._clean(s))
        return len(s)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# control characters that no text data holds (C0 except tab, LF and CR; DEL; C1): a pack or CSV cell
# with one is refused (an ESC rewrites a terminal; no control character fits in a Word file)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_FIX: Final = ("remove it (a control character is never data: it can rewrite a terminal and cannot be "
                      "stored in a Word file)")


def visible_controls(s: str) -> str:
    """``s`` with every control character of ``_CONTROL`` written out as ``\\uXXXX`` text (as the Markdown
    and terminal outputs show it): a raw ESC or BEL in a page is a parse error and can act in a terminal."""
    return _CONTROL.sub(_visible, s)


def control_char(s: str) -> str | None:
    """The first control character of ``s`` that no text data holds (see ``_CONTROL``), or None."""
    m = _CONTROL.search(s)
    return m.group() if m else None


def control_problem(ch: str) -> str:
    """'contains the control character U+001B (ESC)' for ``InputError``s."""
    names = {"\x1b": " (ESC)", "\x07": " (BEL)", "\x08": " (backspace)", "\x9b": " (CSI)", "\x9d": " (OSC)"}
    return f"contains the control character U+{ord(ch):04X}{names.get(ch, '')}"


def find_control_char(obj: Any, where: str = "") -> tuple[str, str] | None:
    """(the key path, the character) of the first control character in any string of a nested
    dict/list (a parsed pack.toml), or None."""
    if isinstance(obj, str):
        ch = control_char(obj)
        return (where, ch) if ch is not None else None
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        found = find_control_char(v, f"{where}.{k}" if where and not isinstance(k, int) else
                                  f"{where}[{k + 1}]" if isinstance(k, int) else str(k))
        if found is not None:
            return found
    return None


#: characters backslash-escaped in Markdown text (all ASCII punctuation, so CommonMark and pandoc
#: both take the backslash away again and show the character itself)
MD_SPECIAL: Final = "\\`*_[]{}~|"
# a reference mark "[12]" stays as it is (it is no link without a definition, and "[12]:" / "[12](" /
# "[12][" / "[12]{" that could make one are escaped); every other special character gets a backslash
_MD_RE = re.compile(r"\[\d{1,4}\](?![:(\[{])|([" + re.escape(MD_SPECIAL) + "])")
_DOI_RE = re.compile(r"(?i)^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/\S+)$")
_PMID_RE = re.compile(r"(?i)^(?:pmid:?\s*|pubmed:\s*)(\d{1,9})$")
_HTTP_RE = re.compile(r"(?i)^https?://[^\s/?#]+[^\s]*$")
# characters that may not appear raw in a link target (HTML attribute, Markdown autolink)
_URL_UNSAFE = {c: f"%{ord(c):02X}" for c in "<>\"'`\\{}|^ "}


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def md_inline(s: object, *, every_lt: bool = True) -> str:
    """``s`` as inert Markdown text (see the module docstring); the rendered text reads as ``s``.

    ``every_lt=False`` turns only a ``<`` that could open a tag or an autolink (a letter, ``/``,
    ``!`` or ``?`` after it) into ``&lt;``, so "p < 0.001" stays as it is.
    """
    t = str(s)
    text = " ".join(t.splitlines()) if "\n" in t or "\r" in t else t
    text = _CONTROL.sub(_visible, text)  # an ESC in a .md file would still act in `cat report.md`
    text = _MD_RE.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(0), text)
    return text.replace("<", "&lt;") if every_lt else _TAG_START.sub("&lt;", text)


def md_cell(s: object) -> str:
    """Markdown text for a table cell (``|`` is escaped by :func:`md_inline` already)."""
    return md_inline(s)


_URL_IN_TEXT = re.compile(r"https?://\S+")


def first_url(text: object) -> str | None:
    """The first http(s) URL written in ``text`` (a source or citation), without trailing punctuation."""
    if not text:
        return None
    m = _URL_IN_TEXT.search(str(text))
    return m.group(0).rstrip(".,;)") if m else None


def safe_url(url: object) -> str | None:
    """An http(s) link for ``url``, or None.

    ``http://`` and ``https://`` URLs pass (characters that could end an attribute or an autolink
    are percent-encoded); ``doi:10.x/y`` becomes ``https://doi.org/10.x/y`` and ``PMID: 123``
    ``https://pubmed.ncbi.nlm.nih.gov/123/``.  Any other scheme (``javascript:``, ``data:``,
    ``vbscript:``, ``file:``, a relative path, ...) gives None.
    """
    if url is None:
        return None
    u = str(url).strip()
    if not u or any(ord(c) < 32 or ord(c) == 127 for c in u):
        return None
    m = _DOI_RE.match(u)
    if m and not u.lower().startswith("http"):
        return "https://doi.org/" + "".join(_URL_UNSAFE.get(c, c) for c in m.group(1))
    m = _PMID_RE.match(u)
    if m:
        return f"https://pubmed.ncbi.nlm.nih.gov/{m.group(1)}/"
    if _HTTP_RE.match(u):
        return "".join(_URL_UNSAFE.get(c, c) for c in u)
    return None
