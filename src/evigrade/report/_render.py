"""Renderers: one report model, four formats (html, md, json, text), atomic report folders."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import pathlib
import re
import tempfile  # noqa: F401  -- tests fail the write by patching tempfile.mkdtemp through this module
from typing import TYPE_CHECKING, Any, Mapping

from .._escape import md_inline, safe_url, visible_controls
from .._io import write_folder_atomic
from .._validate import check_choice
from ..errors import InputError
from ..results import jsonable
from .model import FUNNEL_MIN_K, ReportModel, build_model

if TYPE_CHECKING:
    import jinja2

    from ..packs.summary import Summary

__all__ = ["render", "write_report", "generated_at", "FORMATS", "REPORT_FILES"]

FORMATS = ("html", "md", "json", "text")
#: the files a report folder holds (and the only ones write_report will replace)
REPORT_FILES = ("index.html", "report.md", "results.json")


def generated_at() -> str:
    """UTC time stamp for the one generated-at line; ``SOURCE_DATE_EPOCH`` fixes it (reproducible builds)."""
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        try:
            t = _dt.datetime.fromtimestamp(int(sde), tz=_dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise InputError(
                "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01",
                column="SOURCE_DATE_EPOCH", value=sde, fix="unset it or set e.g. SOURCE_DATE_EPOCH=1700000000",
            ) from None
    else:
        t = _dt.datetime.now(tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _MdText(str):
    """Markdown that is already escaped (or built by the template from escaped parts)."""


_REFS_RE = re.compile(r"(?:\[\d+\](?:,? )?)*")


def _md_finalize(v: object) -> str:
    """Every ``{{ ... }}`` of the Markdown template is escaped unless a filter escaped it already."""
    return v if isinstance(v, _MdText) else md_inline("" if v is None else v, every_lt=False)


def _env(markdown: bool = False) -> jinja2.Environment:
    """The HTML environment (autoescape), or with ``markdown=True`` the Markdown one (every value escaped)."""
    import jinja2
    from markupsafe import Markup, escape

    from ..plots._format import fmt, fmt_pct

    def md(s: object) -> str:
        # keep Markdown inert: escape characters that would start markup inside running text
        return _MdText(md_inline(s))

    def refs(s: object) -> str:
        """A reference list the model built ("[1], [3]"): kept as is; anything else is escaped."""
        t = str(s or "")
        return _MdText(t) if _REFS_RE.fullmatch(t) else md(t)

    def url(u: object) -> str:
        return _MdText(safe_url(u) or "")

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evigrade.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_md_finalize if markdown else None,
    )
    def reflinks(s: object) -> Markup:
        """Escape, then turn "[12]" into a link to reference 12."""
        return Markup(re.sub(r"\[(\d+)\]", r'<a href="#ref-\1">[\1]</a>', str(escape(s))))

    env.filters["md"] = md
    env.filters["reflinks"] = reflinks
    env.filters["cell"] = md
    env.filters["refs"] = refs
    env.filters["url"] = url
    env.filters["code"] = lambda s: _MdText(f"`{s}`") if "`" not in str(s) and "\n" not in str(s) else md(s)
    env.filters["built"] = lambda s: _MdText(s)  # composed in the template from escaped parts only
    env.globals["fmt"] = lambda x, d=2: fmt(x, d)
    env.globals["pct"] = fmt_pct
    return env


def _as_dict(summary: Summary | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(summary, Mapping):
        return summary
    if hasattr(summary, "to_dict"):
        return summary.to_dict()
    raise InputError("the report needs a Summary (or Summary.to_dict())", value=type(summary).__name__,
                     fix="call evigrade.packs.summarize(pack) and pass its result")


def _html(m: ReportModel) -> str:
    from ..plots.svg import forest_svg, funnel_svg

    env = _env()
    loader = env.loader
    if loader is None:  # pragma: no cover -- _env always sets the package loader
        raise RuntimeError("the report templates are not installed")
    css = loader.get_source(env, "style.css")[0].rstrip("\n")
    svgs = {}
    for f in m.findings:
        svgs[f.anchor] = {
            # the heterogeneity line is printed under the plot as text, so not repeated inside the SVG
            "forest": forest_svg(dataclasses.replace(f.forest, heterogeneity=None), id_prefix=f"{f.anchor}-forest")
            if f.forest is not None
            else "",
            "funnel": funnel_svg(f.funnel, id_prefix=f"{f.anchor}-funnel") if f.funnel is not None else "",
        }
    page = env.get_template("report.html.j2").render(m=m, css=css, svgs=svgs, funnel_min_k=FUNNEL_MIN_K)
    return visible_controls(page)  # a saved summary may hold control characters (packs refuse them)


def _md(m: ReportModel) -> str:
    out = _env(markdown=True).get_template("report.md.j2").render(m=m)
    # collapse runs of blank lines the template's conditionals leave behind
    lines, blank = [], 0
    for line in out.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


def _json(d: Mapping[str, Any], stamp: str | None) -> str:
    from .. import __version__

    payload = {"evigrade_version": __version__, "generated_at": stamp}
    payload.update(jsonable(dict(d)))
    return json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n"


def _text(m: ReportModel, *, color: bool = False, width: int = 120) -> str:
    from .text import render_text

    return render_text(m, color=color, width=width)


def render(summary: Summary | Mapping[str, Any], fmt: str = "html", *, generated: str | None = None, color: bool = False, width: int = 120) -> str:
    """Render a Summary (or its ``to_dict()``) as ``html``, ``md``, ``json`` or ``text``.

    Pure: the same input and ``generated`` stamp give the same string.  ``generated=None`` prints
    "not recorded" (use :func:`generated_at` for the current or SOURCE_DATE_EPOCH time).
    """
    fmt = check_choice("fmt", fmt, FORMATS)
    d = _as_dict(summary)
    m = build_model(summary, generated_at=generated)  # validates (refuses) even for JSON; typed parts read typed
    if fmt == "json":
        return _json(d, generated)
    if fmt == "md":
        return _md(m)
    if fmt == "text":
        return _text(m, color=color, width=width)
    return _html(m)


def check_report_folder(outdir: str | os.PathLike[str]) -> pathlib.Path:
    """Refuse a report folder that :func:`write_report` could not fill (one line, exit 3), so a command can
    check it before it computes anything: an existing file, a folder holding other files, or a missing parent."""
    out = pathlib.Path(outdir)
    if out.exists() and not out.is_dir():
        raise InputError("the report folder path is an existing file", file=str(out), fix="choose a folder name (-o DIR)")
    if out.is_dir():
        extra = sorted(p.name for p in out.iterdir() if p.name not in REPORT_FILES)
        if extra:
            raise InputError(
                "the report folder already holds other files, which a report would replace",
                file=str(out), value=", ".join(extra[:3]) + (" ..." if len(extra) > 3 else ""),
                fix="choose a new or empty folder (-o DIR)",
            )
    parent = out.resolve().parent
    if not parent.is_dir():
        raise InputError("the folder that should contain the report does not exist", file=str(parent),
                         fix="create it first or choose another -o DIR")
    return out


def write_report(summary: Summary | Mapping[str, Any], outdir: str | os.PathLike[str], *, generated: str | None = None) -> pathlib.Path:
    """Write ``outdir/index.html``, ``report.md`` and ``results.json`` atomically.

    Everything is rendered in memory first, written into a temporary folder beside ``outdir`` and
    then moved into place, so a failure leaves no partial report.  An existing ``outdir`` is
    replaced only if it holds nothing but report files (never a folder with other content).
    """
    out = check_report_folder(outdir)
    stamp = generated if generated is not None else generated_at()
    files = {
        "index.html": render(summary, "html", generated=stamp),
        "report.md": render(summary, "md", generated=stamp),
        "results.json": render(summary, "json", generated=stamp),
    }
    check_report_folder(out)  # again: the folder may have changed while the report was rendered
    return write_folder_atomic(out, files)
