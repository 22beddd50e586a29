"""matplotlib forest and funnel plots: ``ax=None`` creates a private Figure (Agg canvas), never
touching pyplot's global state; every function returns the Axes it drew on."""
from __future__ import annotations

import math
from typing import Any

from .. import _dist as _st

from ._data import ForestData, FunnelData, forest_data, funnel_data
from .._format import fmt, fmt_ci, fmt_pct

__all__ = ["forest", "funnel", "save", "FILE_FORMATS"]

#: File formats ``save`` writes (by the file's suffix); PNG is rendered at ``PNG_DPI``.
FILE_FORMATS = ("png", "svg", "pdf")
PNG_DPI = 300

_ROB_FACE = {"low": "#3b8f3b", "some concerns": "#e0b000", "high": "#c0392b", "unknown": "#b0b0b0"}
_ROB_SYM = {"low": "+", "some concerns": "\u2212", "high": "\u00d7", "unknown": "?"}


def _new_axes(figsize: tuple[float, float], **adjust: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    if adjust:
        fig.subplots_adjust(**adjust)
    return fig.add_subplot(1, 1, 1)


def forest(result: Any, ax: Any = None, **kwargs: Any) -> Any:
    """Forest plot of a MetaResult (or :class:`ForestData`) on ``ax`` (new Figure when None).

    Study rows (square area ~ weight, CI line), subgroup and pooled diamonds, the prediction
    interval (dashed), published reviews' pooled results (open diamonds), a line of no effect,
    a log axis for ratio measures, "favours" labels and the risk-of-bias symbol beside each study.
    Returns the Axes.
    """
    data = result if isinstance(result, ForestData) else forest_data(result, **kwargs)
    n = len(data.rows)
    if ax is None:
        height = 1.4 + 0.3 * (n + 2)
        ax = _new_axes((9.0, height), left=0.27, right=0.70, top=1 - 0.45 / height, bottom=0.95 / height)
    ys = list(range(n, 0, -1))
    max_w = max((r.weight or 0.0 for r in data.rows if r.kind == "study"), default=0.0)
    labels = []
    for y, r in zip(ys, data.rows):
        labels.append(r.label)
        if r.estimate is None or r.ci_low is None or r.ci_high is None:
            continue
        if r.kind == "study":
            ax.plot([r.ci_low, r.ci_high], [y, y], color="#111", lw=1.1, solid_capstyle="butt")
            frac = (r.weight / max_w) if (r.weight is not None and max_w > 0) else 0.35
            ax.plot([r.estimate], [y], marker="s", color="#4d4d4d", ms=4 + 8 * math.sqrt(max(frac, 0.0)), ls="none")
        elif r.kind in ("pooled", "subgroup"):
            h = 0.32 if r.kind == "pooled" else 0.25
            ax.fill(
                [r.ci_low, r.estimate, r.ci_high, r.estimate],
                [y, y + h, y, y - h],
                color="#111" if r.kind == "pooled" else "#666",
                lw=0.8,
            )
        elif r.kind == "pi":
            ax.plot([r.ci_low, r.ci_high], [y, y], color="#111", lw=1.1, ls="--")
            ax.plot([r.ci_low, r.ci_high], [y, y], color="#111", marker="|", ms=8, ls="none")
        elif r.kind == "reference":
            ax.plot([r.ci_low, r.ci_high], [y, y], color="#555", lw=1.1)
            ax.fill(
                [r.ci_low, r.estimate, r.ci_high, r.estimate],
                [y, y + 0.25, y, y - 0.25],
                facecolor="white",
                edgecolor="#333",
                lw=1.1,
            )
    if data.null_value is not None and math.isfinite(data.null_value):
        ax.axvline(data.null_value, color="#333", lw=0.9)
    if data.log_scale:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    ax.set_ylim(0.3, n + 0.7)
    ax.set_xlabel(data.x_label)
    ax.set_title(data.title, loc="left", fontsize=10, pad=16)  # above the column headers
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0, pad=18 if data.show_rob else 4)
    # text columns: estimate [CI] and weight, to the right of the axes
    trans = ax.get_yaxis_transform()
    for y, r in zip(ys, data.rows):
        if r.kind == "pi":
            txt = f"[{fmt_ci(r.ci_low, r.ci_high, sep=', ')}]"
        else:
            txt = f"{fmt(r.estimate)} [{fmt_ci(r.ci_low, r.ci_high, sep=', ')}]"
        if r.kind == "study" and r.weight is not None:
            txt += f"  {fmt_pct(r.weight)}"
        ax.text(1.02, y, txt, transform=trans, va="center", fontsize=8)
        if r.kind == "study" and data.show_rob:
            rob = r.rob or "unknown"
            ax.text(
                -0.02, y, _ROB_SYM[rob], transform=trans, va="center", ha="right", fontsize=8, fontweight="bold",
                bbox={"boxstyle": "circle,pad=0.2", "fc": _ROB_FACE[rob], "ec": "#333", "lw": 0.6},
            )
    # column headers above the first row (RevMan-like) and the heterogeneity line below the axis
    top = n + 0.75
    pct = f"{data.level * 100:g}%"
    ax.text(1.02, top, f"Estimate [{pct} CI]" + ("  Weight" if any(r.weight is not None for r in data.rows) else ""),
            transform=trans, va="bottom", fontsize=8, fontweight="bold")
    if data.show_rob:
        ax.text(-0.02, top, "RoB", transform=trans, va="bottom", ha="right", fontsize=8, fontweight="bold")
    if data.heterogeneity:
        ax.annotate(data.heterogeneity, xy=(0.0, 0.0), xycoords="axes fraction", xytext=(0, -44),
                    textcoords="offset points", fontsize=7, ha="left", va="top", color="#333")
    if data.favours_left or data.favours_right:
        ax.annotate("\u2190 " + data.favours_left, xy=(0.0, 0.0), xycoords="axes fraction", xytext=(0, -30),
                    textcoords="offset points", fontsize=8, style="italic", ha="left", va="top")
        ax.annotate(data.favours_right + " \u2192", xy=(1.0, 0.0), xycoords="axes fraction", xytext=(0, -30),
                    textcoords="offset points", fontsize=8, style="italic", ha="right", va="top")
    return ax


def funnel(result: Any, ax: Any = None, **kwargs: Any) -> Any:
    """Funnel plot (effect vs standard error, SE axis inverted) of a MetaResult; returns the Axes."""
    data = result if isinstance(result, FunnelData) else funnel_data(result, **kwargs)
    if ax is None:
        ax = _new_axes((5.0, 4.0), left=0.15, right=0.96, top=0.9, bottom=0.14)
    z = float(_st.norm.ppf(1 - (1 - data.level) / 2))
    se_top = max(data.sei) * 1.05
    ax.fill(
        [data.estimate - z * se_top, data.estimate, data.estimate + z * se_top],
        [se_top, 0.0, se_top],
        facecolor="#e6e6e6",
        edgecolor="#777",
        ls="--",
    )
    ax.axvline(data.estimate, color="#111", lw=0.9)
    ax.plot(list(data.yi), list(data.sei), "o", color="#333", mec="white", ms=5)
    ax.set_ylim(se_top, 0.0)
    ax.set_xlabel(data.x_label)
    ax.set_ylabel("Standard error")
    ax.set_title(data.title, loc="left", fontsize=10)
    return ax


def save(ax: Any, path: str | Any, *, fmt: str | None = None) -> str:
    """Write the Figure that holds ``ax`` to ``path`` as PNG (``PNG_DPI`` dpi), SVG or PDF, chosen by
    ``fmt`` or the file's suffix; returns the format written.  Metadata dates are left out so that
    the same plot gives the same SVG/PDF bytes."""
    import pathlib

    from .._validate import check_choice

    p = pathlib.Path(path)
    kind = check_choice("format", (fmt or p.suffix.lstrip(".")).lower(), FILE_FORMATS)
    fig = ax.figure
    meta: dict[str, Any] = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}.get(kind, {})
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "evigrade", "svg.fonttype": "path"}):
        fig.savefig(p, format=kind, dpi=PNG_DPI if kind == "png" else "figure", bbox_inches="tight",
                    metadata=meta or None)
    return str(kind)
