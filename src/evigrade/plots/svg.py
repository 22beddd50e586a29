"""Deterministic, dependency-free SVG forest and funnel plots for the HTML report.

Pure string building: the same input gives byte-identical SVG.  Every plot carries ``<title>`` and
``<desc>`` (referenced by ``aria-labelledby``), ``role="img"`` and data attributes that tests and
scripts can read (``data-plot``, ``data-study-rows``; one ``<g data-kind=...>`` per drawn row).
Grey-scale readable: estimates are black/grey shapes; risk-of-bias lights carry a symbol as well as
a colour (robvis conventions: + low, - some concerns, x high, ? no information).
"""
from __future__ import annotations

import html
import math
import re
from typing import Any, Sequence

from .. import _dist as _st

from ._data import ForestData, FunnelData, forest_data, funnel_data
from .._format import fmt, fmt_ci, fmt_pct, fmt_sig

__all__ = ["forest_svg", "funnel_svg", "nice_ticks", "log_ticks"]

_FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\""
_ROB_STYLE = {
    "low": ("#3b8f3b", "+", "low risk of bias"),
    "some concerns": ("#e0b000", "\u2212", "some concerns"),
    "high": ("#c0392b", "\u00d7", "high risk of bias"),
    "unknown": ("#b0b0b0", "?", "risk of bias not reported"),
}


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _n(x: float) -> str:
    """Coordinate formatting: two decimals, ASCII minus, no '-0.00'."""
    return fmt(x, 2, minus="-")


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.casefold()).strip("-") or "plot"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] with about ``n`` intervals (steps 1, 2, 2.5, 5 x 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    count = int(round((stop - start) / step))
    return [round(start + i * step, 10) for i in range(count + 1)]


_LOG_CANDIDATES = [
    m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)
]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks 0.1, 0.2, 0.5, 1, 2, 5, ... enclosing [lo, hi] (both > 0)."""
    lo = max(lo, 1e-3)
    hi = min(max(hi, lo * 1.01), 1e3)
    below = [c for c in _LOG_CANDIDATES if c <= lo * (1 + 1e-9)]
    above = [c for c in _LOG_CANDIDATES if c >= hi * (1 - 1e-9)]
    a = below[-1] if below else _LOG_CANDIDATES[0]
    b = above[0] if above else _LOG_CANDIDATES[-1]
    ticks = [c for c in _LOG_CANDIDATES if a * (1 - 1e-9) <= c <= b * (1 + 1e-9)]
    if len(ticks) > 7:  # thin to 1-2-5 decades -> decades and the middle value
        ticks = [t for t in ticks if f"{t:.0e}".startswith(("1", "5"))] or ticks
    return ticks


def _tick_label(t: float, log_scale: bool) -> str:
    if log_scale:
        return fmt_sig(t)
    if abs(t - round(t)) < 1e-9:
        return fmt(round(t), 0)
    digits = 1 if abs(t * 10 - round(t * 10)) < 1e-9 else 2
    return fmt(t, digits)


class _Scale:
    def __init__(self, lo: float, hi: float, x0: float, x1: float, log_scale: bool):
        self.log = log_scale
        self.lo, self.hi = (math.log(lo), math.log(hi)) if log_scale else (lo, hi)
        self.x0, self.x1 = x0, x1

    def __call__(self, v: float) -> float:
        u = math.log(v) if self.log else v
        return self.x0 + (u - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)


def _axis_range(values: Sequence[float], null: float, log_scale: bool) -> tuple[list[float], float, float]:
    vals = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not log_scale)]
    if null is not None and math.isfinite(null):
        vals.append(null)
    if not vals:
        vals = [1.0] if log_scale else [0.0]
    lo, hi = min(vals), max(vals)
    if log_scale:
        ticks = log_ticks(lo, hi)
    else:
        ticks = nice_ticks(lo, hi)
    return ticks, ticks[0], ticks[-1]


def _digits_for(data: ForestData) -> int:
    return 2


def forest_svg(
    data: ForestData | Any,
    *,
    id_prefix: str | None = None,
    width: int = 800,
    **kwargs: Any,
) -> str:
    """SVG forest plot.  ``data`` is :class:`ForestData` or a MetaResult (then ``kwargs`` go to
    :func:`~evigrade.plots._data.forest_data`)."""
    if not isinstance(data, ForestData):
        data = forest_data(data, **kwargs)
    pid = id_prefix or _slug(data.title)
    digits = _digits_for(data)
    row_h = 22.0
    top = 46.0
    x_label_col = 12.0
    x_rob = 262.0
    x0 = 292.0 if data.show_rob else 262.0
    x1 = 560.0
    x_txt = 572.0
    x_w = width - 12.0
    rows = data.rows
    # blank spacer before the first summary row
    n_rows = len(rows) + (1 if any(r.kind != "study" for r in rows) and any(r.kind == "study" for r in rows) else 0)
    plot_bottom = top + n_rows * row_h + 6
    axis_y = plot_bottom + 4
    height = axis_y + 62 + (18 if data.heterogeneity else 0)

    values: list[float] = []
    for r in rows:
        values += [v for v in (r.estimate, r.ci_low, r.ci_high) if v is not None]
    ticks, lo, hi = _axis_range(values, data.null_value, data.log_scale)
    sx = _Scale(lo, hi, x0, x1, data.log_scale)
    max_w = max((r.weight or 0.0 for r in rows if r.kind == "study"), default=0.0)

    title = f"Forest plot: {data.title}"
    n_study = data.n_study_rows
    desc = _forest_desc(data, digits)

    out: list[str] = []
    a = out.append
    a(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot forest" role="img" '
        f'width="{width}" height="{_n(height)}" viewBox="0 0 {width} {_n(height)}" '
        f'aria-labelledby="{pid}-title {pid}-desc" data-plot="forest" data-study-rows="{n_study}" '
        f'data-measure="{_esc(data.measure)}" data-log-scale="{str(data.log_scale).lower()}" {_FONT} font-size="12">'
    )
    a(f'<title id="{pid}-title">{_esc(title)}</title>')
    a(f'<desc id="{pid}-desc">{_esc(desc)}</desc>')
    _forest_header(a, data, top, x_label_col, x_rob, x0, x1, x_txt, x_w)
    # gridline for null value
    if data.null_value is not None and math.isfinite(data.null_value) and lo <= data.null_value <= hi:
        xn = sx(data.null_value)
        a(f'<line class="null-line" x1="{_n(xn)}" y1="{_n(top - 6)}" x2="{_n(xn)}" y2="{_n(plot_bottom)}" stroke="#333" stroke-width="1"/>')
    pooled = next((r for r in rows if r.kind == "pooled"), None)
    if pooled is not None and pooled.estimate is not None:
        xp = sx(pooled.estimate)
        a(f'<line class="pooled-line" x1="{_n(xp)}" y1="{_n(top - 6)}" x2="{_n(xp)}" y2="{_n(plot_bottom)}" stroke="#777" stroke-width="1" stroke-dasharray="3 3"/>')

    i = 0
    spacer_done = False
    for r in rows:
        if r.kind != "study" and not spacer_done and n_rows > len(rows):
            i += 1
            spacer_done = True
        cy = top + i * row_h + row_h / 2
        i += 1
        attrs = _forest_row_attrs(r)
        a(f"<g {attrs}>")
        weight_style = ' font-weight="600"' if r.kind in ("pooled", "subgroup") else ""
        style = ' font-style="italic"' if r.kind in ("reference", "pi") else ""
        a(f'<text x="{_n(x_label_col)}" y="{_n(cy + 4)}"{weight_style}{style}>{_esc(_short(r.label, 38))}</text>')
        if r.kind == "study" and data.show_rob:
            a(_rob_light(r.rob, x_rob, cy))
        est, clo, chi = r.estimate, r.ci_low, r.ci_high
        ends = (est, clo, chi) if est is not None and clo is not None and chi is not None else None
        if ends is not None and data.log_scale and min(ends) <= 0:
            ends = None
        drawable = ends is not None
        if ends is not None:
            mark = _forest_marks(r, ends, sx, cy, max_w)
            if mark is not None:
                a(mark)
        txt = _forest_estimate_text(r, drawable, digits)
        a(f'<text x="{_n(x_txt)}" y="{_n(cy + 4)}"{weight_style}>{_esc(txt)}</text>')
        if r.kind == "study" and r.weight is not None:
            a(f'<text x="{_n(x_w)}" y="{_n(cy + 4)}" text-anchor="end">{fmt_pct(r.weight)}</text>')
        elif r.kind in ("pooled", "reference", "subgroup") and r.k is not None:
            a(f'<text x="{_n(x_w)}" y="{_n(cy + 4)}" text-anchor="end" fill="#555">k = {int(r.k)}</text>')
        a("</g>")

    _forest_axis(a, data, ticks, sx, lo, hi, x0, x1, axis_y)
    if data.heterogeneity:
        a(f'<text class="heterogeneity" x="{_n(x_label_col)}" y="{_n(axis_y + 66)}" font-size="11" fill="#333">{_esc(data.heterogeneity)}</text>')
    a("</svg>")
    return "".join(out)


def _forest_header(a: Any, data: ForestData, top: float, x_label_col: float, x_rob: float, x0: float, x1: float,
                   x_txt: float, x_w: float) -> None:
    """The column headings and the rule under them."""
    hy = top - 14
    a('<g class="header" font-weight="600" fill="#222">')
    a(f'<text x="{_n(x_label_col)}" y="{_n(hy)}">Study</text>')
    if data.show_rob:
        a(f'<text x="{_n(x_rob)}" y="{_n(hy)}" text-anchor="middle">RoB</text>')
    a(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(hy)}" text-anchor="middle">{_esc(data.measure)} ({int(round(data.level * 100))}% CI)</text>')
    a(f'<text x="{_n(x_txt)}" y="{_n(hy)}">Estimate [CI]</text>')
    a(f'<text x="{_n(x_w)}" y="{_n(hy)}" text-anchor="end">Weight</text>')
    a("</g>")
    a(f'<line x1="{_n(x_label_col)}" y1="{_n(top - 8)}" x2="{_n(x_w)}" y2="{_n(top - 8)}" stroke="#444" stroke-width="1"/>')


def _forest_estimate_text(r: Any, drawable: bool, digits: int) -> str:
    """The "Estimate [CI]" column of one row ("not estimable" when the row cannot be drawn)."""
    if r.kind == "pi":
        return f"[{fmt_ci(r.ci_low, r.ci_high, digits, sep=', ')}]" if drawable else "not estimable"
    if drawable:
        return f"{fmt(r.estimate, digits)} [{fmt_ci(r.ci_low, r.ci_high, digits, sep=', ')}]"
    return "not estimable"


def _rob_light(rob: str | None, x: float, cy: float) -> str:
    """A study's risk-of-bias traffic light (colour, symbol and the judgement as its title)."""
    col, sym, word = _ROB_STYLE.get(rob or "unknown", _ROB_STYLE["unknown"])
    return (
        f'<g class="rob-light"><title>{_esc(word)}</title>'
        f'<circle cx="{_n(x)}" cy="{_n(cy)}" r="7.5" fill="{col}" stroke="#333" stroke-width="0.8"/>'
        f'<text x="{_n(x)}" y="{_n(cy + 4)}" text-anchor="middle" font-weight="700" fill="#111">{sym}</text></g>'
    )


def _forest_desc(data: ForestData, digits: int) -> str:
    """The plot's <desc>: study count, measure, pooled result, intervals, favours, heterogeneity."""
    rows = data.rows
    n_study = data.n_study_rows
    desc_bits = [
        f"{n_study} stud{'y' if n_study == 1 else 'ies'}; effect measure {data.x_label}"
        + ("; logarithmic axis" if data.log_scale else "")
        + "."
    ]
    for r in rows:
        if r.kind == "pooled":
            desc_bits.append(
                f"Pooled estimate {fmt(r.estimate, digits)} ({int(round(data.level * 100))}% CI "
                f"{fmt_ci(r.ci_low, r.ci_high, digits)})."
            )
        elif r.kind == "pi":
            desc_bits.append(f"Prediction interval {fmt_ci(r.ci_low, r.ci_high, digits)}.")
        elif r.kind == "reference":
            desc_bits.append(
                f"Published pooled result {r.label}: {fmt(r.estimate, digits)} "
                f"({fmt_ci(r.ci_low, r.ci_high, digits)})."
            )
    if data.favours_left:
        desc_bits.append(f"Left of the line of no effect: {data.favours_left.lower()}; right: {data.favours_right.lower()}.")
    if data.heterogeneity:
        desc_bits.append(data.heterogeneity + ".")
    return " ".join(desc_bits)


def _forest_row_attrs(r: Any) -> str:
    """The data-* attributes of one forest row's <g>."""
    attrs = f'class="row row-{r.kind}" data-kind="{r.kind}" data-label="{_esc(r.label)}"'
    if r.estimate is not None:
        attrs += f' data-estimate="{fmt_sig(r.estimate)}"'
    if r.ci_low is not None and r.ci_high is not None:
        attrs += f' data-ci-low="{fmt_sig(r.ci_low)}" data-ci-high="{fmt_sig(r.ci_high)}"'
    if r.weight is not None:
        attrs += f' data-weight="{fmt_sig(r.weight)}"'
    if r.rob is not None:
        attrs += f' data-rob="{_esc(r.rob)}"'
    return attrs


def _forest_marks(r: Any, ends: tuple[float, float, float], sx: Any, cy: float, max_w: float) -> str | None:
    """The marks of one row with a drawable estimate and CI: box and whiskers, diamond, dashed PI, open diamond."""
    xe, xl, xh = (sx(v) for v in ends)
    if r.kind == "study":
        frac = (r.weight / max_w) if (r.weight is not None and max_w > 0) else 0.35
        half = 2.5 + 5.5 * math.sqrt(max(frac, 0.0))
        return (f'<line x1="{_n(xl)}" y1="{_n(cy)}" x2="{_n(xh)}" y2="{_n(cy)}" stroke="#111" stroke-width="1.2"/>'
                f'<rect x="{_n(xe - half)}" y="{_n(cy - half)}" width="{_n(2 * half)}" height="{_n(2 * half)}" fill="#4d4d4d"/>')
    elif r.kind in ("pooled", "subgroup"):
        hh = 7.0 if r.kind == "pooled" else 5.5
        fill = "#111" if r.kind == "pooled" else "#666"
        return (
            f'<polygon points="{_n(xl)},{_n(cy)} {_n(xe)},{_n(cy - hh)} {_n(xh)},{_n(cy)} {_n(xe)},{_n(cy + hh)}" '
            f'fill="{fill}" stroke="#111" stroke-width="0.8"/>'
        )
    elif r.kind == "pi":
        return (
            f'<line x1="{_n(xl)}" y1="{_n(cy)}" x2="{_n(xh)}" y2="{_n(cy)}" stroke="#111" stroke-width="1.2" stroke-dasharray="5 3"/>'
            f'<line x1="{_n(xl)}" y1="{_n(cy - 4)}" x2="{_n(xl)}" y2="{_n(cy + 4)}" stroke="#111" stroke-width="1.2"/>'
            f'<line x1="{_n(xh)}" y1="{_n(cy - 4)}" x2="{_n(xh)}" y2="{_n(cy + 4)}" stroke="#111" stroke-width="1.2"/>'
        )
    elif r.kind == "reference":
        return (
            f'<line x1="{_n(xl)}" y1="{_n(cy)}" x2="{_n(xh)}" y2="{_n(cy)}" stroke="#555" stroke-width="1.2"/>'
            f'<polygon points="{_n(xl)},{_n(cy)} {_n(xe)},{_n(cy - 5.5)} {_n(xh)},{_n(cy)} {_n(xe)},{_n(cy + 5.5)}" '
            f'fill="#fff" stroke="#333" stroke-width="1.2"/>'
        )
    return None


def _forest_axis(a: Any, data: ForestData, ticks: list[float], sx: Any, lo: float, hi: float, x0: float, x1: float,
                 axis_y: float) -> None:
    """The x axis: line, ticks and labels, the measure's label and the favours labels."""
    a('<g class="axis" fill="#222">')
    a(f'<line x1="{_n(x0)}" y1="{_n(axis_y)}" x2="{_n(x1)}" y2="{_n(axis_y)}" stroke="#222" stroke-width="1"/>')
    for t in ticks:
        xt = sx(t)
        a(f'<line x1="{_n(xt)}" y1="{_n(axis_y)}" x2="{_n(xt)}" y2="{_n(axis_y + 5)}" stroke="#222" stroke-width="1"/>')
        a(f'<text x="{_n(xt)}" y="{_n(axis_y + 17)}" text-anchor="middle" font-size="11">{_esc(_tick_label(t, data.log_scale))}</text>')
    a(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(axis_y + 33)}" text-anchor="middle" font-size="11.5">{_esc(data.x_label)}</text>')
    if data.favours_left or data.favours_right:
        xm = sx(data.null_value) if (data.null_value is not None and math.isfinite(data.null_value) and lo <= data.null_value <= hi) else (x0 + x1) / 2
        a(f'<text class="favours-left" x="{_n(xm - 6)}" y="{_n(axis_y + 49)}" text-anchor="end" font-size="11" font-style="italic">\u2190 {_esc(data.favours_left)}</text>')
        a(f'<text class="favours-right" x="{_n(xm + 6)}" y="{_n(axis_y + 49)}" text-anchor="start" font-size="11" font-style="italic">{_esc(data.favours_right)} \u2192</text>')
    a("</g>")


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def funnel_svg(data: FunnelData | Any, *, id_prefix: str | None = None, width: int = 460, height: int = 340, **kwargs: Any) -> str:
    """SVG funnel plot: effect (analysis scale) on x, standard error on y (0 at the top), with the
    pooled estimate and the pseudo-confidence region ``estimate +/- z * se``."""
    if not isinstance(data, FunnelData):
        data = funnel_data(data, **kwargs)
    pid = id_prefix or _slug(data.title)
    z = float(_st.norm.ppf(1 - (1 - data.level) / 2))
    ml, mr, mt, mb = 62.0, 18.0, 16.0, 52.0
    x0, x1, y0, y1 = ml, width - mr, mt, height - mb
    se_max = max(data.sei) * 1.05 if data.sei else 1.0
    ys_ticks = nice_ticks(0.0, se_max, 4)
    se_top = ys_ticks[-1]
    xs = list(data.yi) + [data.estimate - z * se_top, data.estimate + z * se_top]
    xt = nice_ticks(min(xs), max(xs), 5)
    xlo, xhi = xt[0], xt[-1]

    def px(v: float) -> float:
        return x0 + (v - xlo) / (xhi - xlo) * (x1 - x0)

    def py(s: float) -> float:
        return y0 + s / se_top * (y1 - y0)

    k = len(data.yi)
    title = f"Funnel plot: {data.title}"
    desc = (
        f"{k} studies; x axis {data.x_label}, y axis standard error (0 at the top). "
        f"Vertical line at the pooled estimate {fmt(data.estimate, 3)}; the triangle is the "
        f"{int(round(data.level * 100))}% pseudo-confidence region. Asymmetry can suggest small-study effects."
    )
    out: list[str] = []
    a = out.append
    a(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot funnel" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{pid}-title {pid}-desc" data-plot="funnel" '
        f'data-study-rows="{k}" data-measure="{_esc(data.measure)}" {_FONT} font-size="11">'
    )
    a(f'<title id="{pid}-title">{_esc(title)}</title>')
    a(f'<desc id="{pid}-desc">{_esc(desc)}</desc>')
    a(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" fill="#fafafa" stroke="#999"/>')
    a(
        f'<polygon class="funnel-region" points="{_n(px(data.estimate - z * se_top))},{_n(py(se_top))} {_n(px(data.estimate))},{_n(py(0))} '
        f'{_n(px(data.estimate + z * se_top))},{_n(py(se_top))}" fill="#e6e6e6" stroke="#777" stroke-dasharray="4 3"/>'
    )
    a(f'<line x1="{_n(px(data.estimate))}" y1="{_n(y0)}" x2="{_n(px(data.estimate))}" y2="{_n(y1)}" stroke="#111" stroke-width="1"/>')
    for lab, yi, se in zip(data.study, data.yi, data.sei):
        a(
            f'<circle class="study-point" data-kind="study" data-label="{_esc(lab)}" data-yi="{fmt_sig(yi)}" data-sei="{fmt_sig(se)}" '
            f'cx="{_n(px(yi))}" cy="{_n(py(se))}" r="4" fill="#333" stroke="#fff" stroke-width="0.8"><title>{_esc(lab)}: '
            f'{_esc(fmt(yi, 3))} (SE {_esc(fmt(se, 3))})</title></circle>'
        )
    a('<g class="axis" fill="#222">')
    for t in xt:
        a(f'<line x1="{_n(px(t))}" y1="{_n(y1)}" x2="{_n(px(t))}" y2="{_n(y1 + 5)}" stroke="#222"/>')
        a(f'<text x="{_n(px(t))}" y="{_n(y1 + 17)}" text-anchor="middle">{_esc(_tick_label(t, False))}</text>')
    for t in ys_ticks:
        a(f'<line x1="{_n(x0 - 5)}" y1="{_n(py(t))}" x2="{_n(x0)}" y2="{_n(py(t))}" stroke="#222"/>')
        a(f'<text x="{_n(x0 - 8)}" y="{_n(py(t) + 4)}" text-anchor="end">{_esc(_tick_label(t, False))}</text>')
    a(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(height - 12)}" text-anchor="middle">{_esc(data.x_label)}</text>')
    a(f'<text transform="translate(16 {_n((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">Standard error</text>')
    a("</g></svg>")
    return "".join(out)
