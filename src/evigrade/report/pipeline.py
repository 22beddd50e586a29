"""From an evidence pack (or a saved summary JSON) to the dict the renderers read.

``summary_for_report(pack)`` = ``evigrade.pipeline`` (load_pack -> build_findings -> grade_summary)
-> ``to_dict()`` plus the ``GradeConfig`` used (printed in the methods section, PRISMA 2020 items 15 and 22).
"""
from __future__ import annotations

import json
import os
import pathlib
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .._escape import first_url
from ..errors import InputError

if TYPE_CHECKING:
    from ..grade import GradeConfig
    from ..packs import Pack, Summary

__all__ = ["summary_for_report", "report_dict", "load_summary_json"]


def _stage(progress: Callable[[str], None] | None, text: str) -> None:
    if progress is not None:
        progress(text)


def summary_for_report(
    pack: str | pathlib.Path | None = None,
    *,
    method: str = "REML",
    test: str = "knha",
    grade: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Load ``pack`` (None = the bundled pack), build and rate its findings; return the report dict."""
    from ..pipeline import FindingsSpec, build_findings, grade_summary, load_pack  # lazy: pulls in effects + stats

    _stage(progress, "loading pack")
    p = load_pack(pack)
    _stage(progress, "pooling findings")
    summary = build_findings(p, FindingsSpec.make(method=method, test=test))
    if grade:
        _stage(progress, "rating certainty (GRADE)")
        summary = grade_summary(summary)
    return report_dict(summary, pack=p)


def report_dict(summary: Summary | Mapping[str, Any], *, config: GradeConfig | None = None,
                pack: Pack | None = None) -> dict[str, Any]:
    """``summary.to_dict()`` plus what the report prints beside it: the GradeConfig used (the
    default one when the findings were rated without an explicit config) and the pack's study
    citations for the reference list."""
    d = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)
    if "grade_config" not in d and any(f.get("certainty") for f in d.get("findings", ())):
        if config is None:  # a GradedSummary carries the config it was rated with
            from ..grade import GradeConfig

            config = getattr(summary, "config", None) or GradeConfig()
        d["grade_config"] = config.to_dict()
    pk = pack if pack is not None else getattr(summary, "pack", None)
    if pk is not None:
        _add_catalogue(d, pk)
    from ..pipeline import GradedSummary

    if isinstance(summary, GradedSummary) and "brief" not in d:  # the report prints the brief first (issue 15)
        from .brief import build_brief

        d["brief"] = build_brief(summary).to_dict()
    return d


def _add_catalogue(d: dict[str, Any], pack: Any) -> None:
    """Add the pack's study citations so the reference list shows citations, not only ids."""
    if "sources" in d:
        return
    cat = []
    for s in getattr(pack, "studies", ()) or ():
        sid = getattr(s, "study_id", None)
        if sid:
            cat.append({"id": sid, "citation": getattr(s, "citation", sid) or sid, "url": first_url(getattr(s, "source", ""))})
    if cat:
        d["sources"] = cat



def load_summary_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a saved ``evigrade summarize --json`` output (or a report's results.json)."""
    p = pathlib.Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p), fix="give the path of a summary JSON file")
    from .._io import read_bytes_limited  # (robust, issue 19: size limit, binary refused on its first megabyte)

    def refuse_binary(head: bytes) -> None:
        if b"\x00" in head:
            head[:4096].decode("utf-8")  # not UTF-8 at all: said so below
            raise InputError("is a binary file, not a summary JSON", file=str(p),
                             fix="give the JSON written by `evigrade summarize --json`")

    try:
        text = read_bytes_limited(p, name=str(p), what="summary JSON file", check_start=refuse_binary).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", file=str(p), fix="give the JSON written by `evigrade summarize --json`") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", file=str(p),
                         fix="give the JSON written by `evigrade summarize --json`") from None
    if not isinstance(d, dict) or not isinstance(d.get("findings"), list):
        raise InputError("the JSON has no 'findings' list", file=str(p), column="findings",
                         fix="give the JSON written by `evigrade summarize --json`")
    for key in ("evigrade_version", "generated_at"):  # a results.json round-trips
        d.pop(key, None)
    return d
