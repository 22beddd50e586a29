"""Forest and funnel plots: functions of results.

``forest(result, ax=None)`` and ``funnel(result, ax=None)`` draw with matplotlib on a private
Figure when ``ax`` is None and return the Axes (pyplot's global state is never touched).
``plots.svg.forest_svg`` / ``funnel_svg`` give deterministic SVG strings for the HTML report.
matplotlib is imported only when a matplotlib plot is drawn.
"""
from __future__ import annotations

from typing import Any

from ._data import ForestData, ForestRow, FunnelData, forest_data, funnel_data

__all__ = ["forest", "funnel", "forest_data", "funnel_data", "ForestData", "ForestRow", "FunnelData"]


def forest(result: Any, ax: Any = None, **kwargs: Any) -> Any:
    """Forest plot on ``ax`` (a new private Figure when None); returns the Axes.  See ``plots._mpl.forest``."""
    from ._mpl import forest as _forest

    return _forest(result, ax=ax, **kwargs)


def funnel(result: Any, ax: Any = None, **kwargs: Any) -> Any:
    """Funnel plot on ``ax`` (a new private Figure when None); returns the Axes."""
    from ._mpl import funnel as _funnel

    return _funnel(result, ax=ax, **kwargs)
