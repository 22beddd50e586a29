"""evigrade: clinical-trial data to graded, plain-language evidence.

The chain: packs.load_pack -> effects.escalc -> stats.meta_analysis -> grade.assess
-> language.statement -> report.render.  Heavy modules are imported lazily.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
