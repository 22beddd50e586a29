"""Markdown / plain text -> sentences.

``split_sentences(text)`` strips Markdown syntax (headings, bullet and number markers, emphasis,
inline code, links and images, block quotes, tables, HTML tags, code fences) and splits the
remaining prose into sentences.  It does not split after common abbreviations ("e.g.", "i.e.",
"et al.", "vs.", "Dr.", "approx.") or inside decimals ("1.53"), and it treats every heading, list
item and table row as its own unit (a heading is never glued to the next paragraph).

Each ``Sentence`` records the text as found (after Markdown stripping) and the 1-based line on
which it starts, so a report can point back into the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Sentence", "strip_markdown_line", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the input: its text (Markdown removed) and the line it starts on (1-based)."""

    text: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "line": self.line}


# Abbreviations after which a full stop does not end a sentence (compared lower-cased, without
# the final dot).
_ABBREVIATIONS = frozenset(
    """e.g i.e et al vs v etc cf dr mr mrs ms prof approx ca fig figs no nos vol eq ref refs
    st jr sr inc ltd co dept univ min max mo yr yrs wk wks hr hrs mins sec pp p incl resp
    e.g., i.e., al jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k""".split()
)

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022\u2023\u25e6]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_CODE = re.compile(r"`+([^`]*)`+")
_EMPH = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_WS = re.compile(r"\s+")

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) followed by
# whitespace; the candidate is then vetoed for abbreviations, initials and decimals.
_END = re.compile(r"([.!?\u2026]+)([\"'\u201d\u2019)\]]*)(\s+)")


def strip_markdown_line(line: str) -> str:
    """Remove inline Markdown syntax from one line and return plain text."""
    s = _IMAGE.sub(r"\1", line)
    s = _LINK.sub(r"\1", s)
    s = _REFLINK.sub(r"\1", s)
    s = _AUTOLINK.sub(r"\1", s)
    s = _FOOTNOTE.sub("", s)
    s = _HTML_TAG.sub(" ", s)
    s = _CODE.sub(r"\1", s)
    for _ in range(3):  # nested emphasis (***bold italic***)
        s2 = _EMPH.sub(r"\2", s)
        if s2 == s:
            break
        s = s2
    s = s.replace("&nbsp;", " ").replace("&amp;", "&")
    return _WS.sub(" ", s).strip()


def _blocks(text: str) -> list[tuple[str, int]]:
    """Split the document into blocks of prose (paragraphs, headings, list items, table cells)."""
    blocks: list[tuple[str, int]] = []
    cur: list[str] = []
    cur_line = 0
    in_fence = False

    def flush() -> None:
        nonlocal cur
        if cur:
            blocks.append((" ".join(cur), cur_line))
            cur = []

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue  # code is not prose
        if not raw.strip():
            flush()
            continue
        if _HR.match(raw) or _TABLE_SEP.match(raw) or _REFDEF.match(raw):
            flush()
            continue
        if _SETEXT.match(raw) and cur:
            flush()  # the previous line was a heading
            continue
        m = _HEADING.match(raw)
        if m:
            flush()
            blocks.append((m.group(1), i))
            continue
        line = _QUOTE.sub("", raw)
        if "|" in line and line.strip().startswith("|"):
            flush()
            for cell in line.strip().strip("|").split("|"):
                if cell.strip():
                    blocks.append((cell, i))
            continue
        b = _BULLET.match(line)
        if b:
            flush()
            line = line[b.end():]
        if not cur:
            cur_line = i
        cur.append(line.strip())
    flush()
    return blocks


def _is_false_end(text: str, dot_pos: int, punct: str, after: str) -> bool:
    """True when the '.' at ``dot_pos`` does not end a sentence."""
    if punct != ".":
        return False
    # word before the dot
    m = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:dot_pos])
    word = m.group(1).lower() if m else ""
    if word.rstrip(".") in _ABBREVIATIONS or word in _ABBREVIATIONS:
        # "etc." at the very end of a sentence followed by a capital is ambiguous; keep joined
        return True
    if m and len(m.group(1)) == 1 and m.group(1).isupper():
        return True  # an initial: "J. Smith"
    nxt = after.lstrip()
    if nxt and (nxt[0].islower() or nxt[0].isdigit() and word in {"p", "n", "no", "fig"}):
        return True  # "... vs. sham", "p. 12"
    return False


def _split_block(block: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _END.finditer(block):
        dot_pos = m.start(1)
        punct = m.group(1)
        if _is_false_end(block, dot_pos, punct, block[m.end():]):
            continue
        piece = block[start:m.end(2)].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = block[start:].strip()
    if tail:
        out.append(tail)
    return out


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split Markdown or plain text into sentences (Markdown syntax removed)."""
    sentences: list[Sentence] = []
    for block, line in _blocks(text):
        plain = strip_markdown_line(block)
        if not plain:
            continue
        for piece in _split_block(plain):
            if re.search(r"[A-Za-z]", piece):
                sentences.append(Sentence(piece, line))
    return tuple(sentences)
