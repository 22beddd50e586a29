"""How the real texts were cut into reader units (written for this set; no code shared with the checker).

    python tests/claims/realtext/cut_units.py tests/claims/realtext/dn01_vaop.md   # numbered units

Rules: blank-line paragraphs (hard-wrapped lines of 90+ characters are joined when the next line goes
on with a lower-case word or the line ends in an article); a bullet or list item and a short title-case
line are units of their own; within a paragraph a sentence ends at '.', '!' or '?' (after closing quotes
and footnote markers such as [3]) followed by a space or directly by a capital letter, unless the dot
ends an abbreviation (e.g., i.e., et al., vs.) or sits inside a number; a bare citation such as
"(Xie et al. 2016)." or "(https://...)" belongs to the sentence before it.
"""
from __future__ import annotations

import pathlib
import re
import sys

ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "Dr.", "U.S.", "No.", " M.", "Fig.")
BULLET = re.compile(r"^\s*(?:[-•*]|\d+\.)\s+")
CITATION = re.compile(r"^\((?:https?://\S+|[^()]*\bet al\.?[^()]*\d{4})\)\.?$")
LEADING_URL = re.compile(r"^\(https?://\S+\)\s+\S")
FOOTNOTE = re.compile(r"\[\d+\]")
JUNK = "\u00ac\u2020\u00a0"  # mojibake of a no-break space ("¬†") and the no-break space itself


def paragraphs(text: str) -> list[str]:
    paras: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        if not line.strip():
            if current is not None:
                paras.append(current)
                current = None
            continue
        wrapped = (current is not None and len(current) >= 90 and not re.search(r"[.!?:)]\s*$", current)
                   and not BULLET.match(current)
                   and (line[:1].islower() or re.search(r"\b(The|the|a|an|of|to)$", current.rstrip())))
        if wrapped:
            current = current.rstrip() + " " + line.strip()  # type: ignore[union-attr]
            continue
        if current is not None:
            paras.append(current)
        current = line
    if current is not None:
        paras.append(current)
    return paras


def _sentence_end(s: str, i: int) -> int | None:
    """Where the sentence whose final mark is ``s[i]`` ends, or None when ``s[i]`` ends no sentence."""
    ch = s[i]
    j = i + 1
    while j < len(s) and s[j] in "\"”’)":
        j += 1
    while j < len(s) and s[j] == "[":
        m = FOOTNOTE.match(s, j)
        if not m:
            break
        j = m.end()
    while j < len(s) and s[j] in JUNK:
        j += 1
    if any(s[max(0, i - 6):i + 1].endswith(a) for a in ABBREVIATIONS):
        return None
    if ch == "." and i > 0 and s[i - 1].isdigit() and s[j:j + 1].isdigit():
        return None  # a decimal point
    if j >= len(s):
        return None
    nxt = s[j]
    if nxt == " " or nxt in JUNK or (nxt.isupper() and ch == "."):
        rest = s[j:].lstrip(" " + JUNK)
        if rest and (rest[0].isupper() or rest[0] in "\"“‘(" or rest[0].isdigit()):
            return j
    return None


def sentences(paragraph: str) -> list[str]:
    s = paragraph.strip()
    out, start, i = [], 0, 0
    while i < len(s):
        end = _sentence_end(s, i) if s[i] in ".!?" else None
        if end is not None:
            out.append(s[start:end].strip())
            start = i = end
            continue
        i += 1
    if s[start:].strip():
        out.append(s[start:].strip())
    return out


def is_title(paragraph: str) -> bool:
    p = paragraph.strip()
    words = [w for w in re.findall(r"[A-Za-z’']+", p) if len(w) >= 4]
    return len(p) <= 100 and bool(words) and all(w[0].isupper() for w in words)


def units(text: str) -> list[str]:
    res: list[str] = []
    for p in paragraphs(text):
        if BULLET.match(p) or is_title(p):
            res.append(p.strip())
            continue
        for u in sentences(p):
            if res and CITATION.match(u):
                res[-1] = res[-1] + " " + u
            elif res and LEADING_URL.match(u):
                cite, rest = u.split(" ", 1)
                res[-1] = res[-1] + " " + cite
                res.append(rest)
            else:
                res.append(u)
    return [u for u in res if u]


if __name__ == "__main__":
    for f in sys.argv[1:]:
        print("==", pathlib.Path(f).stem)
        for n, u in enumerate(units(pathlib.Path(f).read_text(encoding="utf-8")), 1):
            print(f"{n:3d} {u}")
