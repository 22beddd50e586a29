"""The ``EffectTable``: one effect size (yi) and sampling variance (vi) per study, plus notes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import Note, jsonable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EffectTable"]


@dataclass(frozen=True, slots=True)
class EffectTable:
    """Effect sizes as metafor's ``escalc`` returns them, after evigrade's documented exclusions.

    ``yi``/``vi`` are on the analysis scale (log scale for OR, RR and ROM; logit for PLO; the
    double arcsine for PFT; Fisher's z for ZCOR).  ``study`` holds one label per kept row;
    ``excluded`` lists labels that were dropped (e.g. double-zero studies for OR/RR), each with a
    Note.  ``n`` is the total sample size per study (NaN where unknown), ``ni1``/``ni2`` the arm
    sizes for two-group measures.  ``inputs`` keeps the validated raw columns of the kept rows
    (e.g. ``ai, bi, ci, di`` for Mantel-Haenszel pooling).
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    study: tuple[str, ...]
    n: np.ndarray | None = None
    ni1: np.ndarray | None = None
    ni2: np.ndarray | None = None
    excluded: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    inputs: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return int(len(self.yi))

    @property
    def k(self) -> int:
        return len(self)

    @property
    def sei(self) -> np.ndarray:
        out: np.ndarray = np.sqrt(self.vi)
        return out

    def notes_for(self, study: str) -> tuple[Note, ...]:
        """The notes that concern one study."""
        return tuple(n for n in self.notes if n.study == study)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for i, s in enumerate(self.study):
            row: dict[str, Any] = {"study": s, "yi": self.yi[i], "vi": self.vi[i]}
            if self.n is not None:
                row["n"] = self.n[i]
            if self.ni1 is not None:
                row["n1i"] = self.ni1[i]
            if self.ni2 is not None:
                row["n2i"] = self.ni2[i]
            row["notes"] = [n.to_dict() for n in self.notes_for(s)]
            rows.append(row)
        out: dict[str, Any] = jsonable(
            {
                "measure": self.measure,
                "k": len(self),
                "studies": rows,
                "excluded": list(self.excluded),
                "notes": [n.to_dict() for n in self.notes],
            }
        )
        return out

    def to_frame(self) -> pd.DataFrame:
        """Per-study table: study, yi, vi, sei (+ n, n1i, n2i where known) and the study's notes."""
        import pandas as pd

        data: dict[str, Any] = {
            "study": list(self.study),
            "yi": np.asarray(self.yi, dtype=float),
            "vi": np.asarray(self.vi, dtype=float),
            "sei": np.sqrt(np.asarray(self.vi, dtype=float)),
        }
        if self.n is not None:
            data["n"] = np.asarray(self.n, dtype=float)
        if self.ni1 is not None:
            data["n1i"] = np.asarray(self.ni1, dtype=float)
        if self.ni2 is not None:
            data["n2i"] = np.asarray(self.ni2, dtype=float)
        data["notes"] = ["; ".join(n.message for n in self.notes_for(s)) for s in self.study]
        return pd.DataFrame(data)
