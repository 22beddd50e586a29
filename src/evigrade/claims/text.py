"""Markdown / plain text -> sentences.

``split_sentences(text)`` strips Markdown syntax (headings, bullet and number markers, emphasis,
inline code, links and images, block quotes, tables, HTML tags, code fences) and splits the
remaining prose into sentences.  It does not split after common abbreviations ("e.g.", "i.e.",
"et al.", "vs.", "Dr.", "approx.") or inside decimals ("1.53"), and it treats every heading, list
item and table row as its own unit (a heading is never glued to the next paragraph).

Text copied from web pages brings its own structure: a heading line with no blank line after it, bullets
inside a line ("Benefits: \u2022 less pain \u2022 better movement") and full stops without a space
("understood.In").  A short line without end punctuation followed by a line that starts with a
capital is a heading; each bullet is an item of its own; a full stop between two words is a sentence
end.  A list item carries its ``context``: the heading or lead-in line ("Benefits of X include:") it
belongs to, so that the item's claim is judged with it.

Each ``Sentence`` records the text as found (after Markdown stripping) and the 1-based line on
which it starts, so a report can point back into the file.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..results import ResultMixin

__all__ = ["Sentence", "strip_markdown_line", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence(ResultMixin):
    """One sentence of the input: its text (Markdown removed) and the line it starts on (1-based)."""

    text: str
    line: int
    #: the heading or lead-in line a list item belongs to ("" for other units)
    context: str = ""
    #: True for a heading (Markdown, Setext or a plain-text heading line): its claim is judged with its list
    heading: bool = False


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
_BULLET = re.compile(r"^\s*(?:[-*+\u2022\u2023\u25e6\u25aa\u25cf\u2043\u2219]|\d{1,3}[.)])\s+")
#: a bullet inside a line ("Benefits: \u2022 less pain \u2022 better sleep"): a list item starts after it
_INLINE_BULLET = re.compile(r"\s+[\u2022\u2023\u25e6\u25aa\u25cf\u2043\u2219]\s*")
#: a full stop (or ?/!) between two words with no space after it ("understood.In"): a sentence end
_MISSING_SPACE = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z][)\]][.!?])(?=[A-Z][a-z])")
#: a line a heading can not be: it ends inside a sentence (a comma, a joining word)
_WH = re.compile(r"(?i)(what|how|why|when|who|where|which|is|are|does|do|can|should)\b")
_CONTINUES = re.compile(r"(?i)(?:[,;(\-\u2013\u2014/&]|\b(?:and|or|but|the|a|an|of|to|in|on|at|for|with|by|from|that|"
                        r"which|who|as|than|is|are|was|were|be|been|its|their|your|our|this|these|such|into|"
                        r"about|after|before|between|like|e\.g|i\.e|vs|et\s+al))\s*$")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_CODE = re.compile(r"`+([^`]*)`+")
# (an emphasised span is at most 1,000 characters, so that an unmatched marker in a long paragraph
# costs a bounded look-ahead rather than a scan to the end of the paragraph)
_EMPH = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.{1,1000}?)(?<=\S)\1")
#: a bare web address in brackets after a sentence ("... period. (https://pubmed...)"): a citation, not prose
_URL_NOTE = re.compile(r"\s*\((?:https?://|www\.)[^)\s]*\)")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_WS = re.compile(r"\s+")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")

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
    s = s.replace("&nbsp;", " ").replace("&amp;", "&").replace("\u00ac\u2020", " ")  # "¬†": a mis-decoded nbsp
    if "(http" in s or "(www." in s:
        s = _URL_NOTE.sub("", s)
    return _WS.sub(" ", s).strip()


@dataclass(frozen=True, slots=True)
class _Block:
    """A unit of prose: its lines, the 1-based line number of each, and (for a list item) its context."""

    lines: tuple[str, ...]
    nums: tuple[int, ...]
    context: str = ""
    heading: bool = False


def _starts_upper(s: str) -> bool:
    """The line's first letter or digit, after leading symbols ("\U0001f4ca Results in numbers"), is a capital."""
    m = _FIRST_ALNUM.search(s)
    return m is not None and m.group(0).isupper()


_FIRST_ALNUM = re.compile(r"[^\W_]")


def _open_line(line: str) -> bool:
    """A line that ends a unit without punctuation (web text): no end punctuation, no joining word at its
    end, at most 20 words."""
    raw = line.rstrip()
    if not raw or raw[-1] in ".!?:;,":  # the common case, decided without stripping Markdown
        return False
    s = strip_markdown_line(line)
    if s and s[-1] == ")" and len(s.split()) <= 6:
        return not _CONTINUES.search(s)  # a short label with a bracket ("Pain intensity (0-10 scale)")
    return bool(s) and s[-1] not in ".!?:;,\"'\u201d)" and not _CONTINUES.search(s) and len(s.split()) <= 20


def _heading_like(line: str, nxt: str | None) -> bool:
    """A plain-text heading: a short line that starts with a capital, ends without punctuation or a
    joining word, and is followed by a line that starts with a capital or a bullet."""
    s = line.strip()
    if not s or nxt is None or len(s) > 80 or len(s.split()) > 12 or not s[0].isupper():
        return False
    if s[-1] in ".!?:;,\"'\u201d)":
        return False
    if _CONTINUES.search(s) and not _WH.match(s):  # "What the vaccine is for" is a heading all the same
        return False
    n = _QUOTE.sub("", nxt).strip()
    return bool(n) and (n[0].isupper() or n[0].isdigit() or _BULLET.match(nxt) is not None
                        or _INLINE_BULLET.match(" " + n) is not None)


# long: a line-by-line reader of web text with its state (the open paragraph, the heading or lead-in a list hangs
# from, fenced code, tables); each kind of line is one commented branch
def _blocks(text: str) -> list[_Block]:
    """Split the document into blocks of prose (paragraphs, headings, list items, table cells).

    Each block keeps its lines and the 1-based line number of each, so that a sentence that starts
    on the third line of a soft-wrapped paragraph can be reported at that line.  A list item's
    context is the heading or lead-in line ("... include:") the list follows.
    """
    blocks: list[_Block] = []
    cur: list[str] = []
    cur_lines: list[int] = []
    cur_item = False
    in_fence = False
    list_ctx = ""
    plain_list = False

    def flush() -> None:
        nonlocal cur, cur_lines, cur_item, list_ctx
        if cur:
            one = strip_markdown_line(cur[0]) if len(cur) == 1 and not cur_item else ""
            if one and _starts_upper(one) and one[-1] not in ".!?:;,\"'\u201d)" and len(one.split()) <= 12:
                # a short line on its own, without end punctuation: a heading
                blocks.append(_Block(tuple(cur), tuple(cur_lines), heading=True))
                list_ctx = one
                cur, cur_lines, cur_item = [], [], False
                return
            blocks.append(_Block(tuple(cur), tuple(cur_lines), list_ctx if cur_item else ""))
            if not cur_item:
                # a paragraph that leads into a list ("Benefits include:") is the list's context (its
                # last sentence); any other paragraph ends the list
                last = strip_markdown_line(cur[-1])
                list_ctx = (_split_block(_space_after_stops(strip_markdown_line(" ".join(cur))))[-1]
                            if last.endswith(":") else "")
            cur, cur_lines, cur_item = [], [], False

    def heading(txt: str, i: int) -> None:
        nonlocal list_ctx, plain_list
        plain_list = False
        blocks.append(_Block((txt,), (i,), heading=True))
        list_ctx = strip_markdown_line(txt)

    def items(line: str, i: int, first_is_item: bool) -> None:
        """A line with bullets inside it: the text before the first bullet leads in, each bullet is an item."""
        nonlocal cur_item, list_ctx
        parts = _INLINE_BULLET.split(" " + line)
        head, rest = parts[0].strip(), [p.strip() for p in parts[1:] if p.strip()]
        if head:
            if first_is_item:
                cur.append(head)
                cur_lines.append(i)
                cur_item = True
                flush()
            else:
                flush()
                blocks.append(_Block((head,), (i,), list_ctx if cur_item else ""))
                list_ctx = strip_markdown_line(head)
        for r in rest:
            blocks.append(_Block((r,), (i,), list_ctx))

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
            plain_list = False
            continue
        if _HR.match(raw) or _TABLE_SEP.match(raw) or _REFDEF.match(raw):
            flush()
            continue
        if _SETEXT.match(raw) and cur:
            if len(cur) == 1 and not cur_item:  # the previous line was a heading
                txt, n = cur[0], cur_lines[0]
                cur, cur_lines = [], []
                heading(txt, n)
            else:
                flush()
            continue
        m = _HEADING.match(raw)
        if m:
            flush()
            heading(m.group(1), i)
            continue
        line = _QUOTE.sub("", raw)
        if "|" in line and line.strip().startswith("|"):
            flush()
            for cell in line.strip().strip("|").split("|"):
                if cell.strip():
                    blocks.append(_Block((cell,), (i,)))
            continue
        b = _BULLET.match(line)
        if cur_item and not b and cur and not raw[:1].isspace() and line.strip()[:1].isupper() \
                and not _CONTINUES.search(cur[-1]):
            flush()  # an unindented line that starts with a capital after a list item is not part of it
        if b:
            flush()
            line = line[b.end():]
            cur_item = True
        if _INLINE_BULLET.search(line):
            was_item = cur_item
            if not was_item:
                flush()
            else:
                cur_item = False
            items(line.strip(), i, was_item)
            continue
        nxt = lines[i] if i < len(lines) else None
        if plain_list and not b and len(line.split()) <= 12 and not _CONTINUES.search(line.strip()):
            # short lines under a lead-in ("Benefits include:") with no bullet markers: one item per line
            flush()
            blocks.append(_Block((line.strip(),), (i,), list_ctx))
            continue
        plain_list = False
        if cur and not cur_item and _starts_upper(line.strip()) and _open_line(cur[-1]):
            flush()  # a short line without end punctuation, then a capital: the line was a unit of its own
        sentence_ended = not cur or cur[-1].rstrip().endswith((".", "!", "?", ":"))
        if not cur_item and sentence_ended and nxt is not None and _heading_like(line, nxt) \
                and not (_SETEXT.match(nxt) or _HR.match(nxt)):
            flush()
            heading(line.strip(), i)
            continue
        cur.append(line.strip())
        cur_lines.append(i)
        if not cur_item and line.rstrip().endswith(":") and nxt is not None and nxt.strip() \
                and not _BULLET.match(nxt):
            flush()  # a lead-in line directly followed by the lines of a list
            plain_list = True
    flush()
    return blocks


_STOP_CAPITAL = re.compile(r"[.!?](?=[A-Z][a-z])")


def _space_after_stops(text: str) -> str:
    """A space after a full stop written without one ("understood.In"); a quick test first, since the
    substitution scans every position of a long paragraph."""
    return _MISSING_SPACE.sub(" ", text) if _STOP_CAPITAL.search(text) else text


def _is_false_end(text: str, dot_pos: int, punct: str, after: str) -> bool:
    """True when the '.' at ``dot_pos`` does not end a sentence."""
    if punct != ".":
        return False
    # word before the dot (a short window: slicing the whole paragraph here made a long paragraph
    # quadratic - a 200 kB text without blank lines took 20 s)
    m = _WORD_BEFORE.search(text, max(0, dot_pos - 40), dot_pos)
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
        if _is_false_end(block, dot_pos, punct, block[m.end():m.end() + 40]):
            continue
        piece = block[start:m.end(2)].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = block[start:].strip()
    if tail:
        out.append(tail)
    return out


def _alnum(s: str) -> int:
    return sum(1 for ch in s if ch.isalnum())


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split Markdown or plain text into sentences (Markdown syntax removed).

    Each sentence carries the line where it starts.  In a paragraph soft-wrapped over several
    lines that line is found by counting letters and digits: Markdown stripping removes only
    markup (and link targets), so the count of letters and digits before a sentence in the
    stripped paragraph locates it among the paragraph's lines (each stripped on its own).
    """
    sentences: list[Sentence] = []
    for blk in _blocks(text):
        parts, lines = blk.lines, blk.nums
        plain = _space_after_stops(strip_markdown_line(" ".join(parts)))
        if not plain:
            continue
        pieces = _split_block(plain)
        if len(lines) == 1 or len(pieces) == 1:
            starts = None
        else:
            starts, acc = [], 0
            for part in parts:
                starts.append(acc)
                acc += _alnum(strip_markdown_line(part))
        pos = seen = 0
        for piece in pieces:
            line = lines[0]
            if starts is not None:
                idx = plain.find(piece, pos)
                if idx < 0:  # cannot happen (pieces are slices of plain); keep the paragraph's line
                    idx = pos
                seen += _alnum(plain[pos:idx])
                # the last line whose first letter comes at or before the sentence's first letter
                line = lines[max(0, bisect.bisect_right(starts, seen) - 1)]
                seen += _alnum(piece)
                pos = idx + len(piece)
            if _HAS_LETTER.search(piece):
                sentences.append(Sentence(piece, line, blk.context, blk.heading))
    return tuple(sentences)
