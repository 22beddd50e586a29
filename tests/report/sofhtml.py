"""The Summary-of-Findings tables of a rendered report (one ``<table class="sof">`` per comparison)."""
from __future__ import annotations

import re

_TABLE = re.compile(r'<table class="sof" id="sof-\d+">.*?</table>', re.DOTALL)


def sof_tables(html: str) -> list[str]:
    """Every SoF table of ``html``, in order (at least one is expected by the callers)."""
    return _TABLE.findall(html)


def sof_body(html: str) -> str:
    """The body rows of every SoF table, joined: one ``<tr>`` per finding with an estimate."""
    return "".join(t[t.index("<tbody>"):t.index("</tbody>")] for t in sof_tables(html))
