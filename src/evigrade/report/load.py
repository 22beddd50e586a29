"""The JSON edge of the report: saved or hand-written summary parts read back into the pipeline's
typed objects, leniently (missing optional keys take their defaults, unknown keys are ignored, an
entry that is not an object is skipped).

The report reads these typed objects; a GradedSummary's own objects are used as they are, so
``report --from-json`` of a saved result and the live pipeline go through the same code.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from .._access import first
from ..grade.integrate import KeyMessage

__all__ = ["load_key_message", "load_key_messages"]


def load_key_message(d: Mapping[str, object] | KeyMessage) -> KeyMessage:
    """One key message from its ``to_dict()`` form (``kind`` defaults to "effect")."""
    if isinstance(d, KeyMessage):
        return d
    cert, rng, fkey = d.get("certainty"), d.get("certainty_range"), d.get("finding")
    finding = tuple(str(x) for x in fkey) if isinstance(fkey, Sequence) and not isinstance(fkey, str) else None
    sources = d.get("sources")
    text = str(first(d, "text", default=""))
    headline = str(first(d, "headline", default=""))
    return KeyMessage(
        kind=str(first(d, "kind", default="effect")),
        topic=str(first(d, "topic", default="")),
        text=text,
        certainty=None if cert is None else str(cert),
        certainty_range=None if rng is None else str(rng),
        sources=tuple(str(s) for s in sources) if isinstance(sources, Sequence) and not isinstance(sources, str) else (),
        finding=finding,
        headline="" if headline == text else headline,  # to_dict() writes ``headline or text``
    )


def load_key_messages(items: Iterable[object] | None) -> tuple[KeyMessage, ...]:
    """Every key message of ``items`` (KeyMessage objects or their dicts; other entries are skipped)."""
    return tuple(load_key_message(x) for x in items or () if isinstance(x, (Mapping, KeyMessage)))
