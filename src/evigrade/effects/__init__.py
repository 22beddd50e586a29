"""Effect sizes (metafor's escalc), conversions and the studies-CSV reader.

>>> from evigrade.effects import escalc
>>> tab = escalc("SMD", m1i=[5.0], sd1i=[2.0], n1i=[20], m2i=[4.0], sd2i=[2.0], n2i=[20])
"""
from __future__ import annotations

from typing import Any

from .escalc import MEASURE_COLUMNS, MEASURES, cmicalc, compute, escalc
from .measures import (
    BINARY_MEASURES,
    MEASURE_REGISTRY,
    TWO_BY_TWO_MEASURES,
    Measure,
    is_ratio,
    measure_info,
    measure_label,
    null_value,
)
from .table import EffectTable
from .transforms import (
    RATIO_MEASURES,
    back_transform,
    transform_pft,
    transform_pft_back,
    transform_plo_back,
    transform_zcor_back,
)

__all__ = [
    "EffectTable",
    "escalc",
    "compute",
    "cmicalc",
    "MEASURES",
    "MEASURE_COLUMNS",
    "RATIO_MEASURES",
    "BINARY_MEASURES",
    "TWO_BY_TWO_MEASURES",
    "MEASURE_REGISTRY",
    "Measure",
    "measure_info",
    "is_ratio",
    "measure_label",
    "null_value",
    "back_transform",
    "transform_pft",
    "transform_pft_back",
    "transform_plo_back",
    "transform_zcor_back",
    "read_studies_csv",
    "read_table_csv",
]


def __getattr__(name: str) -> Any:
    if name in ("read_studies_csv", "read_table_csv"):
        from . import io

        return getattr(io, name)
    raise AttributeError(f"module 'evigrade.effects' has no attribute {name!r}")
