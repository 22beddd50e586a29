"""Frozen result dataclasses shared across the chain, and the Note that records every correction.

Every result has ``to_dict()`` (JSON-safe: numpy scalars become floats, NaN/inf become None) and,
where tabular, ``to_frame()``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["Note", "EstimateCI", "jsonable", "jsonable_dict", "ResultMixin", "json_keys", "attrs_dict"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Note:
    """A stored diagnostic: a correction, exclusion, fallback or undefined quantity.

    ``code`` is a stable machine-readable key (e.g. ``"tau2_truncated"``, ``"zero_cell_correction"``,
    ``"double_zero_excluded"``, ``"fallback"``; the numerical layers take theirs from the catalogue
    :class:`evigrade.notes.NoteCode`); ``message`` is the sentence a report prints.
    """

    code: str
    message: str
    study: str | None = None

    def __post_init__(self) -> None:
        # codes come from the catalogue (evigrade.notes.NoteCode, a StrEnum): store the plain string
        if type(self.code) is not str and isinstance(self.code, str):
            object.__setattr__(self, "code", self.code.value if hasattr(self.code, "value") else str(self.code))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "study": self.study}


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateCI:
    """An effect as a number with its confidence interval: ``measure`` (OR, SMD, ...), ``estimate``, ``ci_low``,
    ``ci_high``; each None when not known.  The block a source's reported row (``packs._Reported``), the
    estimate a finding rests on (``pipeline.findings``) and the claims checker's finding share; keyword-only,
    so each keeps its own positional fields and each JSON keeps its own key order."""

    measure: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


def jsonable(obj: Any) -> Any:
    """Convert results (dataclasses, numpy, tuples) into JSON-safe Python objects."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return [jsonable(x) for x in obj.tolist()]
    if hasattr(obj, "to_dict") and callable(obj.to_dict) and not isinstance(obj, dict):
        return jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in obj]
    return str(obj)


def jsonable_dict(obj: Any) -> dict[str, Any]:
    """:func:`jsonable` of a mapping, typed as the dict it returns (for ``to_dict`` methods)."""
    out: dict[str, Any] = jsonable(obj)
    return out


def attrs_dict(obj: Any, *names: str) -> dict[str, Any]:
    """``{name: obj.name}`` for ``names`` in that order, values as they are (not through :func:`jsonable`)."""
    return {name: getattr(obj, name) for name in names}


def json_keys(*keys: str, **head: Any) -> Callable[[type[_T]], type[_T]]:
    """Class decorator for a :class:`ResultMixin` dataclass: its ``to_dict`` writes the constants ``head`` first,
    then the attributes ``keys`` in that order (``"key=attr"`` writes attribute ``attr`` under ``key``)."""
    spec = (tuple(head.items()), tuple(k.partition("=")[::2] for k in keys))

    def wrap(cls: type[_T]) -> type[_T]:
        setattr(cls, "_json_keys", spec)  # noqa: B010 - a class attribute the mixin reads, set after @dataclass
        return cls

    return wrap


class ResultMixin:
    """Default ``to_dict`` for frozen result dataclasses: every field in order, or the keys named by
    :func:`json_keys`; values go through :func:`jsonable`."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        spec = getattr(type(self), "_json_keys", None)
        if spec is None:
            return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        head, keys = spec
        out = {k: jsonable(v) for k, v in head}
        out.update((key, jsonable(getattr(self, attr or key))) for key, attr in keys)
        return out
