"""Load and validate an evidence pack in one pass.

``load_pack(path)`` reads pack.toml and the CSV tables (results.csv or reviews.csv is required;
studies.csv, safety.csv and claims.csv may be absent: an absent table is empty, with a Note), checks
every cell and every cross reference (unknown study ids, outcomes, time-point buckets, comparison groups, populations are
errors, never silent drops) and raises one :class:`~evigrade.errors.PackError` listing *every*
problem found, each an :class:`~evigrade.errors.InputError` naming file, row (header = row 1),
column, value and a fix.  Loading never writes anything.

What an older pack does not state (``[question] intervention_synonyms``, ``[[comparisons]] kind``,
``[directions]``, ``[safety] context``) gets a default and a Note ``pack_default_assumed`` saying what
was assumed (``Pack.notes``).  ``[columns.<table>]`` maps the pack's names to a CSV's own column names
(``[columns.results] ai = "tpos"``).  Lines of a CSV whose first cell starts with ``#`` are comments.
A string in pack.toml that still starts with ``FILL IN`` (the placeholders ``evigrade init`` writes) is a
problem to fix, as is a pack whose results.csv and reviews.csv have no rows yet.
"""
from __future__ import annotations

import difflib
import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, TypeGuard, TypeVar

from .._csvtext import read_csv_rows, read_csv_text
from .._format import fmt_sig
from ..effects.measures import RATIO_MEASURES
from .._escape import CONTROL_FIX, control_problem, find_control_char
from ..errors import InputError, PackError
from ..notes import NoteCode
from ..results import Note
from .schema import (
    BENEFIT_DIRECTIONS,
    CLAIM_DIRECTIONS,
    DATA_TYPES,
    DEFAULT_BUCKETS,
    DENOMINATOR_BASES,
    EFFECT_MEASURES,
    INDIRECTNESS_JUDGEMENTS,
    COMPARATOR_KINDS,
    COMPARISON_KINDS,
    ORIENTATIONS,
    POOL_MEASURES,
    REPORTED_AS,
    ROB_LEVELS,
    SEVERITIES,
    SUPPORT_KINDS,
    UNSPECIFIED_BUCKET,
    Bucket,
    ClaimRow,
    Comparison,
    Indirectness,
    Moderator,
    Outcome,
    Pack,
    Population,
    ReferenceInstrument,
    ResultRow,
    ReviewRow,
    SafetyRow,
    Study,
    Topic,
    guess_comparator_kind,
)

__all__ = ["load_pack", "bundled_pack_path", "validate_pack", "unanalysed_columns", "BUNDLED_PACKS",
           "REQUIRED_COLUMNS", "OPTIONAL_TABLES", "PLACEHOLDER"]

#: The packs shipped with evigrade: the folders of package data ``packs/bundled/`` that hold a pack.toml (their
#: names come from the data, not the code); the first is the default of ``bundled_pack_path``.
BUNDLED_PACKS: tuple[str, ...] = tuple(sorted(
    d.name for d in resources.files("evigrade.packs").joinpath("bundled").iterdir()
    if d.is_dir() and d.joinpath("pack.toml").is_file()))

#: Tables a pack may leave out (read as empty, with a Note); of results.csv and reviews.csv one is needed.
OPTIONAL_TABLES = ("studies.csv", "safety.csv", "claims.csv")
#: The start of a pack.toml string that is still a template placeholder (``evigrade init``)
PLACEHOLDER = "FILL IN"

#: Pack format versions this loader reads (pack.toml ``schema_version``; absent = the latest).
SCHEMA_VERSIONS = (1,)

#: Required columns per table (optional columns are documented in docs/packs.md).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "studies.csv": ("study_id", "citation", "source"),
    "results.csv": ("result_id", "study_id", "outcome", "timepoint", "comparison", "data_type", "source"),
    "reviews.csv": ("review_row_id", "review_id", "citation", "outcome", "timepoint", "comparison",
                    "population", "reported_as", "source"),
    "safety.csv": ("safety_id", "source_id", "citation", "design", "severity", "event", "source"),
    "claims.csv": ("claim_id", "claim", "support_kind", "direction", "citation", "source"),
}

#: Optional columns the loader reads; other extra columns are kept out of the analysis but allowed
#: (e.g. free-text provenance), unless they look like a misspelling of a known column.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "studies.csv": ("year", "country", "population", "population_description", "design", "n_randomised",
                    "intervention", "comparator", "comparison", "co_interventions", "trp_identification",
                    "chronicity", "rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5", "rob_overall", "pedro",
                    "exclude_from_pooling", "notes", "source_row"),
    "results.csv": ("instrument", "unit", "measure", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "ci",
                    "bi", "di", "estimate", "ci_low", "ci_high", "se", "p_value", "orientation", "direction_reported",
                    "result_as_reported", "timepoint_as_stated", "notes", "source_row", "comparison_kind"),
    "reviews.csv": ("year", "comparison_as_stated", "population_scope", "timepoint_as_stated", "k", "k_scope",
                    "participants", "participants_scope", "measure", "unit", "estimate", "ci_low", "ci_high",
                    "p_value", "i2", "grade", "grade_reasons", "orientation", "direction_note",
                    "result_as_reported", "notes", "source_row", "comparison_kind"),
    "safety.csv": ("severity_as_reported", "population", "region_specific", "aggregate", "n_practitioners",
                   "n_patients", "n_treatments", "events", "denominator_basis", "rate_as_reported", "case_report",
                   "time_window", "notes", "source_row"),
    "claims.csv": ("support_as_reported", "direction_as_reported", "proposed_effect", "study_model", "finding",
                   "caveats", "source_row"),
}

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def bundled_pack_path(name: str = BUNDLED_PACKS[0]) -> Path:
    """Folder of a bundled pack (shipped as package data)."""
    if name not in BUNDLED_PACKS:
        raise InputError(f"unknown bundled pack {name!r}", fix=f"use one of {', '.join(BUNDLED_PACKS)}")
    return Path(str(resources.files("evigrade.packs").joinpath("bundled", name)))


class _Collector:
    def __init__(self) -> None:
        self.problems: list[InputError] = []

    def add(self, problem: str, **kw: Any) -> None:
        self.problems.append(InputError(problem, **kw))


# --------------------------------------------------------------------------------------------
# cell parsers: each returns the parsed value or records a problem and returns None
# --------------------------------------------------------------------------------------------
class _Row:
    """Accessor for one CSV row that records problems with full location."""

    def __init__(self, fname: str, rownum: int, data: dict[str, str], label: str | None, col: _Collector):
        self.fname, self.rownum, self.data, self.label, self.col = fname, rownum, data, label, col

    def err(self, column: str, problem: str, value: Any = None, fix: str | None = None, has_value: bool | None = None) -> None:
        self.col.add(problem, file=self.fname, row=self.rownum, label=self.label, column=column, value=value,
                     fix=fix, has_value=has_value)

    def text(self, column: str, required: bool = False, fix: str | None = None) -> str:
        v = (self.data.get(column) or "").strip()
        if required and not v:
            self.err(column, "is required but empty", fix=fix or f"fill in {column}")
        return v

    def number(self, column: str, *, positive: bool = False, nonneg: bool = False, integer: bool = False,
               lo: float | None = None, hi: float | None = None) -> Any:
        raw = (self.data.get(column) or "").strip()
        if not raw:
            return None
        try:
            v = float(raw.replace("\u2212", "-"))
        except ValueError:
            self.err(column, "must be a number", raw, fix="write a plain number (decimal point, no units or text); put comments in notes")
            return None
        if not math.isfinite(v):
            self.err(column, "must be finite", raw, fix="write a finite number or leave the cell empty")
            return None
        if integer and v != int(v):
            self.err(column, "must be a whole number", raw, fix="write a whole number")
            return None
        if positive and v <= 0:
            self.err(column, "must be > 0", raw, fix=f"check {column}; leave empty if not reported")
            return None
        if nonneg and v < 0:
            self.err(column, "must be >= 0", raw, fix=f"check {column}; counts cannot be negative")
            return None
        rng: str | None = None  # the allowed range, when v is outside it
        if lo is not None and hi is not None:
            if v < lo or v > hi:
                rng = f"between {fmt_sig(lo)} and {fmt_sig(hi)}"
        elif lo is not None:
            if v < lo:
                rng = f">= {fmt_sig(lo)}"
        elif hi is not None and v > hi:
            rng = f"<= {fmt_sig(hi)}"
        if rng is not None:
            self.err(column, f"must be {rng}", raw, fix=f"check {column}")
            return None
        return int(v) if integer else v

    def choice(self, column: str, allowed: tuple[str, ...], default: str | None = None, required: bool = True) -> str | None:
        raw = (self.data.get(column) or "").strip()
        if not raw:
            if default is not None:
                return default
            if required:
                self.err(column, "is required but empty", fix=f"use one of {', '.join(allowed)}")
            return None
        for a in allowed:
            if a.casefold() == raw.casefold():
                return a
        self.err(column, f"is not one of {', '.join(allowed)}", raw, fix=f"use one of {', '.join(allowed)}")
        return None

    def flag(self, column: str) -> bool:
        raw = (self.data.get(column) or "").strip().casefold()
        if raw in ("", "no", "false", "0", "n"):
            return False
        if raw in ("yes", "true", "1", "y"):
            return True
        self.err(column, "must be yes or no", self.data.get(column), fix="write yes or no")
        return False


def _read_csv(folder: Path, fname: str, col: _Collector, mapping: dict[str, str] | None = None
              ) -> list[tuple[int, dict[str, str]]] | None:
    """The rows of one table as {column: cell}, or None (problem recorded) when it cannot be read.
    ``mapping``: {pack column: the CSV's own column name} from pack.toml ``[columns.<table>]``."""
    path = folder / fname
    if path.is_dir():
        col.add("is a folder, not a CSV file", file=fname, fix=f"replace the folder {fname} by the CSV table")
        return None
    if path.exists() and not path.is_file():  # a device or a pipe (e.g. a link to /dev/zero; issue 19)
        col.add("is not a regular file (a device or a pipe)", file=fname, fix=f"replace {fname} by the CSV table")
        return None
    if not path.is_file():
        col.add("file is missing", file=fname, fix=f"create {fname} with columns {', '.join(REQUIRED_COLUMNS[fname])} (see docs/packs.md)")
        return None
    try:
        parsed = read_csv_rows(path, name=fname,
                               empty_fix=f"add the header row: {', '.join(REQUIRED_COLUMNS[fname])}")
    except InputError as exc:
        col.problems.append(exc)
        return None
    header = list(parsed.header)
    original = tuple(header)
    where = f"[columns.{fname.removesuffix('.csv')}]"
    mapped: dict[str, str] = {}
    for canon, own in (mapping or {}).items():
        if own not in original:
            col.add(f"names a column that is not in {fname}'s header", file="pack.toml", label=where, column=canon,
                    value=own, fix=f"write the name of the column exactly as in {fname}'s first row, or remove the mapping")
        elif own in mapped:
            col.add(f"maps {own!r} a second time (already mapped to {mapped[own]})", file="pack.toml", label=where,
                    column=canon, value=own, fix=f"map each column of {fname} to one pack column")
        elif canon != own and canon in original:
            col.add(f"{fname} already has a column {canon} (mapping {own!r} to it would give two)", file="pack.toml",
                    label=where, column=canon, value=own,
                    fix=f"remove {canon} = {own!r} from {where}, or rename or remove {fname}'s own {canon} column")
        else:
            mapped[own] = canon
            header[original.index(own)] = canon
    missing = [c for c in REQUIRED_COLUMNS[fname] if c not in header]
    for c in missing:
        col.add("required column is missing", file=fname, row=1, column=c, fix=f"add a column named {c!r} to the header row")
    dup = sorted({h for h in header if header.count(h) > 1 and h})
    for c in dup:
        col.add("column appears more than once in the header", file=fname, row=1, column=c, fix="keep one column of that name")
    known = set(REQUIRED_COLUMNS[fname]) | set(OPTIONAL_COLUMNS[fname])
    for h in header:
        if h and h not in known:
            close = difflib.get_close_matches(h, sorted(known), n=1, cutoff=0.85)
            if close:
                col.add(f"unknown column (did you mean {close[0]!r}?)", file=fname, row=1, column=h,
                        fix=f"rename the column to {close[0]!r}; other extra columns are allowed but not analysed")
    if missing or dup:
        return None
    out = []
    for i, r in parsed.rows:
        if r and r[0].lstrip().startswith("#"):  # a comment line (the templates' commented examples)
            continue
        if len(r) > len(header):
            extra = [c for c in r[len(header):] if c.strip()]
            if extra:
                col.add(f"has {len(r)} cells but the header has {len(header)}", file=fname, row=i, value=extra[0],
                        fix="quote cells that contain commas")
                continue
        out.append((i, {h: (r[j] if j < len(r) else "") for j, h in enumerate(header)}))
    return out


def _split_ids(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(";") if p.strip())


# --------------------------------------------------------------------------------------------
# pack.toml
# --------------------------------------------------------------------------------------------
def _toml_err(col: _Collector, where: str, key: str | None, problem: str, value: Any = None, fix: str | None = None,
              has_value: bool | None = None) -> None:
    col.add(problem, file="pack.toml", label=where, column=key, value=value, fix=fix, has_value=has_value)


def _req_str(col: _Collector, tbl: dict, where: str, key: str) -> str:
    v = tbl.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        _toml_err(col, where, key, "required key is missing", fix=f"add {key} = \"...\" to {where}")
        return ""
    if not isinstance(v, str):
        _toml_err(col, where, key, "must be a string", v, fix=f"write {key} = \"...\"")
        return ""
    return v.strip()


def _opt_str(col: _Collector, tbl: dict, where: str, key: str) -> str:
    v = tbl.get(key, "")
    if not isinstance(v, str):
        _toml_err(col, where, key, "must be a string", v, fix=f"write {key} = \"...\"")
        return ""
    return v.strip()


def _read_toml(folder: Path, col: _Collector) -> dict[str, Any] | None:
    """The parsed pack.toml, or None (with the problem recorded) when it is missing or not TOML."""
    path = folder / "pack.toml"
    if path.is_dir():
        col.add("is a folder, not a file", file="pack.toml", fix="replace the folder pack.toml by the pack's TOML file")
        return None
    if path.exists() and not path.is_file():  # a device or a pipe (e.g. a link to /dev/zero; issue 19)
        col.add("is not a regular file (a device or a pipe)", file="pack.toml", fix="replace it by the pack's TOML file")
        return None
    if not path.is_file():
        col.add("file is missing", file="pack.toml",
                fix="create pack.toml with id, title, [question], [[outcomes]] and [[comparisons]] (see docs/packs.md)")
        return None
    try:
        _, text = read_csv_text(path, name="pack.toml", kind="TOML",
                                empty_fix="write id, title, [question], [[outcomes]] and [[comparisons]] (see docs/packs.md)")
        data = tomllib.loads(text)
        found = find_control_char(data)  # (issue 19) e.g. "\u001b" written as a TOML escape
        if found is not None:
            col.add(f"{found[0]} {control_problem(found[1])}", file="pack.toml", fix=CONTROL_FIX)
            return None
        return data
    except InputError as exc:  # empty, binary, not UTF-8 (with the line), unreadable
        col.problems.append(exc)
        return None
    except tomllib.TOMLDecodeError as exc:
        col.add(f"TOML syntax error: {exc}", file="pack.toml", fix="fix the TOML syntax (strings in double quotes, one key = value per line)")
        return None


def _parse_toml(folder: Path, col: _Collector) -> dict[str, Any] | None:
    data = _read_toml(folder, col)
    if data is None:
        return None
    meta: dict[str, Any] = {}
    meta["id"] = _req_str(col, data, "top level", "id")
    meta["title"] = _req_str(col, data, "top level", "title")
    meta["description"] = _opt_str(col, data, "top level", "description")
    meta["version"] = str(data.get("version", ""))
    meta["sign_convention"] = _opt_str(col, data, "top level", "sign_convention")
    meta["primary_review_rule"] = _opt_str(col, data, "top level", "primary_review_rule")
    sv = data.get("schema_version", SCHEMA_VERSIONS[-1])
    if isinstance(sv, bool) or not isinstance(sv, int):
        _toml_err(col, "top level", "schema_version", "must be a whole number", sv,
                  fix=f"write schema_version = {SCHEMA_VERSIONS[-1]}")
    elif sv not in SCHEMA_VERSIONS:
        _toml_err(col, "top level", "schema_version", "is not a pack format this evigrade reads", sv,
                  fix=f"use schema_version = {SCHEMA_VERSIONS[-1]} (see docs/packs.md) or upgrade evigrade")

    q = data.get("question")
    if not isinstance(q, dict):
        _toml_err(col, "[question]", None, "table is missing", fix="add a [question] table with population and intervention")
        q = {}
    else:
        _req_str(col, q, "[question]", "population")
        _req_str(col, q, "[question]", "intervention")
    meta["question"] = q
    notes: list[Note] = []
    meta["topic"] = _parse_topic(col, data, q, notes)
    meta["columns"] = _parse_columns(col, data.get("columns"))
    meta["event_types"] = _parse_event_types(col, data)
    meta["analysis_rho"] = _parse_analysis(col, data)
    _placeholders(col, data)
    meta["buckets"] = _parse_buckets(col, data.get("buckets"))

    meta["comparisons"] = comps = _required_tables(
        col, data, "comparisons", _parse_comparison, "at least one comparison group is required",
        fix="add [[comparisons]] tables with id and label (e.g. id = \"sham\", label = \"sham or placebo\")",
        entry_fix="write [[comparisons]] with id and label")
    meta["populations"] = _parse_populations(col, data.get("populations"))
    meta["outcomes"] = outs = _required_tables(
        col, data, "outcomes", _parse_outcome, "at least one outcome is required",
        fix="add [[outcomes]] tables with id, name, family and benefit = \"lower\" or \"higher\"",
        entry_fix="write [[outcomes]] tables")

    mods = []
    for where, m in _table_entries(col, data.get("moderators"), "moderators",
                                   fix="write [[moderators]] with id and description"):
        mods.append(Moderator(_req_str(col, m, where, "id"), _req_str(col, m, where, "description"), _opt_str(col, m, where, "column")))
    meta["moderators"] = tuple(mods)
    meta["indirectness"] = _parse_indirectness(col, data.get("indirectness"), outs, comps, meta["populations"])
    for c in comps:
        if c.kind_assumed:
            notes.append(NoteCode.PACK_DEFAULT_ASSUMED.note(
                f"pack.toml [[comparisons]] {c.id!r} has no kind: {c.kind!r} assumed from its id and label "
                f"(write kind = \"{c.kind}\" or another of {', '.join(COMPARATOR_KINDS)})."))
    meta["notes"] = notes
    return meta


def _str_list(col: _Collector, tbl: dict, where: str, key: str) -> tuple[str, ...] | None:
    """A list of strings (one string is a list of one), None when the key is absent; a problem when not."""
    v = tbl.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        _toml_err(col, where, key, "must be a list of strings", v, fix=f'write {key} = ["...", "..."]')
        return ()
    return tuple(x for x in v if x.strip())


def _opt_table(col: _Collector, data: dict, key: str, fix: str) -> dict | None:
    v = data.get(key)
    if v is None:
        return None
    if not isinstance(v, dict):
        _toml_err(col, f"[{key}]", None, "must be a table", v, fix=fix)
        return None
    return v


def _parse_topic(col: _Collector, data: dict, q: dict, notes: list[Note]) -> Topic:
    """The pack's topic: names and synonyms ([question]), direction phrases ([directions]), safety context
    ([safety]); a Note ``pack_default_assumed`` for each key the pack does not state."""
    short = q.get("intervention_short") if isinstance(q.get("intervention_short"), str) else ""
    full = q.get("intervention") if isinstance(q.get("intervention"), str) else ""
    syn = _str_list(col, q, "[question]", "intervention_synonyms")
    topic = Topic.make(short or "", full or "", syn or ())
    if syn is None:
        names = " and ".join(repr(n) for n in topic.synonyms) or "none"
        notes.append(NoteCode.PACK_DEFAULT_ASSUMED.note(
            f"pack.toml [question] has no intervention_synonyms: sources are read for the intervention's names "
            f"only ({names})."))
    d = _opt_table(col, data, "directions", 'write [directions] with favours_intervention = ["..."] and '
                                            'favours_comparator = ["..."]')
    fav_i = fav_c = unclear = None
    if d is not None:
        fav_i = _str_list(col, d, "[directions]", "favours_intervention")
        fav_c = _str_list(col, d, "[directions]", "favours_comparator")
        unclear = _str_list(col, d, "[directions]", "unclear")
        for k in d:
            if k not in ("favours_intervention", "favours_comparator", "unclear"):
                _toml_err(col, "[directions]", k, "unknown key", fix="use favours_intervention, favours_comparator or unclear")
    if fav_i is None and fav_c is None:
        notes.append(NoteCode.PACK_DEFAULT_ASSUMED.note(
            "pack.toml has no [directions]: only the generic phrases ('favours the intervention', 'favours control', "
            "'no difference', ...) and 'favours' followed by one of the intervention's names are read."))
    sf = _opt_table(col, data, "safety", 'write [safety] with context = ["..."]')
    ctx = _str_list(col, sf, "[safety]", "context") if sf is not None else None
    if sf is not None:
        for k in sf:
            if k not in ("context", "event_types"):
                _toml_err(col, "[safety]", k, "unknown key", fix="use context = [\"...\"] or [safety.event_types]")
    if ctx is None:  # said only for a pack with safety rows (load_pack drops it otherwise)
        notes.append(NoteCode.PACK_DEFAULT_ASSUMED.note(_NO_SAFETY_CONTEXT))
    return Topic.make(topic.name, topic.full_name, topic.synonyms, fav_i or (), fav_c or (), ctx or (), unclear or ())


def _parse_analysis(col: _Collector, data: dict) -> float | None:
    """[analysis] rho: the correlation between two results of one study (-1 < rho < 1), or None."""
    a = _opt_table(col, data, "analysis", "write [analysis] with rho = 0.6")
    if a is None:
        return None
    for k in a:
        if k != "rho":
            _toml_err(col, "[analysis]", k, "unknown key", fix="use rho = 0.6 (the correlation between two results of one study)")
    rho = a.get("rho")
    if rho is None:
        return None
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1 < float(rho) < 1:
        _toml_err(col, "[analysis]", "rho", "must be a number between -1 and 1 (exclusive)", rho, fix="write rho = 0.6")
        return None
    return float(rho)


_NO_SAFETY_CONTEXT = "pack.toml has no [safety] context: the safety section is shown without a context line."


def _parse_event_types(col: _Collector, data: dict) -> tuple[tuple[tuple[str, ...], str], ...]:
    """[safety.event_types]: type name = [keywords found in the event text]; ((keywords, name), ...)."""
    sf = data.get("safety")
    raw = sf.get("event_types") if isinstance(sf, dict) else None
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        _toml_err(col, "[safety]", "event_types", "must be a table", raw,
                  fix='write [safety.event_types] with lines such as bruising = ["bruis", "haematoma"]')
        return ()
    out = []
    for name in raw:
        kw = _str_list(col, raw, "[safety.event_types]", name)
        if kw:
            out.append((tuple(k.lower() for k in kw), str(name).replace("_", " ")))
    return tuple(out)


def _parse_columns(col: _Collector, raw: Any) -> dict[str, dict[str, str]]:
    """[columns.<table>]: {table file: {pack column: the CSV's own column name}}."""
    out: dict[str, dict[str, str]] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        _toml_err(col, "[columns]", None, "must be a table of tables", raw,
                  fix='write [columns.results] with lines such as ai = "tpos"')
        return out
    for table, m in raw.items():
        fname = table if table.endswith(".csv") else f"{table}.csv"
        where = f"[columns.{table}]"
        if fname not in REQUIRED_COLUMNS:
            _toml_err(col, where, None, "is not a table of the pack", table,
                      fix=f"use one of {', '.join(t.removesuffix('.csv') for t in REQUIRED_COLUMNS)}")
            continue
        if not isinstance(m, dict):
            _toml_err(col, where, None, "must be a table of column = \"CSV column\" lines", m,
                      fix=f'write {where} with lines such as study_id = "trial"')
            continue
        known = set(REQUIRED_COLUMNS[fname]) | set(OPTIONAL_COLUMNS[fname])
        good: dict[str, str] = {}
        for canon, own in m.items():
            if canon not in known:
                close = difflib.get_close_matches(canon, sorted(known), n=1, cutoff=0.6)
                _toml_err(col, where, canon, f"is not a column of {fname}", canon,
                          fix=f"use {close[0]!r}" if close else f"use a column named in docs/packs.md for {fname}")
            elif not isinstance(own, str) or not own.strip():
                _toml_err(col, where, canon, "must be the CSV's column name (a string)", own,
                          fix=f'write {canon} = "the column name in {fname}"')
            else:
                good[canon] = own.strip()
        out[fname] = good
    return out


def _placeholders(col: _Collector, node: Any, path: tuple[str, ...] = ()) -> None:
    """Every string of pack.toml that still starts with the template's placeholder is a problem to fix."""
    if isinstance(node, str):
        if node.strip().upper().startswith(PLACEHOLDER):
            parent = path[:-1]
            where = "top level" if not parent else (parent[0] if len(parent) == 1 and parent[0].endswith("]")
                                                     else "[" + ".".join(parent) + "]")
            _toml_err(col, where, path[-1] if path else None, "still holds the template's placeholder (fill in)", node,
                      fix="replace the placeholder by the pack's own text (the comment above it says what)")
    elif isinstance(node, dict):
        for k, v in node.items():
            _placeholders(col, v, (*path, str(k)))
    elif isinstance(node, list) and path:
        for i, v in enumerate(node):
            _placeholders(col, v, (*path[:-1], f"{path[-1]}[{i + 1}]"))


def _required_tables(col: _Collector, data: dict[str, Any], key: str, parse: Callable[[_Collector, str, dict], _T],
                     missing: str, *, fix: str, entry_fix: str) -> tuple[_T, ...]:
    """The entries of a required, non-empty array of tables ``[[key]]``, each parsed, ids unique (a problem
    recorded when it is absent)."""
    raw = data.get(key)
    if not isinstance(raw, list) or not raw:
        _toml_err(col, f"[[{key}]]", None, missing, fix=fix)
        items: list[_T] = []
    else:
        items = [parse(col, where, t) for where, t in _table_entries(col, raw, key, fix=entry_fix)]
    _dupes(col, [x.id for x in items], key)
    return tuple(items)


def _parse_comparison(col: _Collector, where: str, c: dict) -> Comparison:
    """One [[comparisons]] table; ``kind`` guessed from the id and label when absent (a Note says so)."""
    cid, label = _req_str(col, c, where, "id"), _req_str(col, c, where, "label")
    kind = c.get("kind")
    assumed = kind is None
    if assumed:
        kind = guess_comparator_kind(cid, label)
    elif isinstance(kind, str) and kind.strip().upper().startswith(PLACEHOLDER):
        kind = guess_comparator_kind(cid, label)  # the placeholder itself is the problem reported
    elif kind not in COMPARATOR_KINDS:
        _toml_err(col, where + (f" ({cid})" if cid else ""), "kind", f"is not one of {', '.join(COMPARATOR_KINDS)}",
                  kind, fix="write kind = \"sham\", \"no_treatment\", \"usual_care\", \"active\", \"add_on\", "
                            "\"between_forms\" or \"mixed\" (see docs/packs.md)")
        kind = guess_comparator_kind(cid, label)
    return Comparison(cid, label, _opt_str(col, c, where, "description"), str(kind), assumed)


def _parse_buckets(col: _Collector, raw_b: Any) -> tuple[Bucket, ...]:
    """[[buckets]] (follow-up windows), in increasing order of upper_days; the defaults when absent."""
    buckets: list[Bucket] = []
    if raw_b is None:
        buckets = list(DEFAULT_BUCKETS)
    elif not isinstance(raw_b, list) or not raw_b:
        _toml_err(col, "[[buckets]]", None, "must be a non-empty array of tables", fix="write [[buckets]] tables or remove the key to use the defaults")
    else:
        prev = -math.inf
        for where, b in _table_entries(col, raw_b, "buckets", fix="write [[buckets]] with id, label, upper_days"):
            bid = _req_str(col, b, where, "id")
            label = _opt_str(col, b, where, "label") or bid
            ud = b.get("upper_days")
            if ud is not None and (not isinstance(ud, (int, float)) or isinstance(ud, bool) or ud <= 0):
                _toml_err(col, where, "upper_days", "must be a positive number of days", ud, fix="e.g. upper_days = 84 (12 weeks); omit for the open last bucket")
                ud = None
            elif ud is not None:
                if ud <= prev:
                    _toml_err(col, where, "upper_days", "buckets must be in increasing order of upper_days", ud, fix="order the [[buckets]] tables from earliest to latest")
                prev = float(ud)
            if bid and (bid == UNSPECIFIED_BUCKET or "+" in bid):
                _toml_err(col, where, "id", f"bucket id may not be {UNSPECIFIED_BUCKET!r} or contain '+'", bid, fix="choose another id")
            buckets.append(Bucket(bid, label, None if ud is None else float(ud)))
    _dupes(col, [b.id for b in buckets], "buckets")
    return tuple(buckets)


def _parse_populations(col: _Collector, raw_p: Any) -> tuple[Population, ...]:
    """[[populations]] (optional; default one population "all")."""
    pops: list[Population] = []
    if raw_p is None:
        pops = [Population("all", "all participants")]
    elif not isinstance(raw_p, list) or not raw_p:
        _toml_err(col, "[[populations]]", None, "must be a non-empty array of tables", fix="write [[populations]] tables or remove the key")
    else:
        for where, p in _table_entries(col, raw_p, "populations", fix="write [[populations]] with id and label"):
            broader = p.get("broader", False)
            if not isinstance(broader, bool):
                _toml_err(col, where, "broader", "must be true or false", broader, fix="write broader = true or false")
                broader = False
            pops.append(Population(_req_str(col, p, where, "id"), _req_str(col, p, where, "label"),
                                   _opt_str(col, p, where, "description"), broader))
    _dupes(col, [p.id for p in pops], "populations")
    return tuple(pops)


def _parse_outcome(col: _Collector, where: str, o: dict) -> Outcome:
    """One [[outcomes]] table."""
    where += f" ({o['id']})" if isinstance(o.get("id"), str) else ""
    oid = _req_str(col, o, where, "id")
    name = _req_str(col, o, where, "name")
    family = _req_str(col, o, where, "family")
    benefit = o.get("benefit")
    if benefit not in BENEFIT_DIRECTIONS:
        _toml_err(col, where, "benefit", "must be \"lower\" or \"higher\" (which direction is benefit)",
                  benefit, fix="write benefit = \"lower\" (e.g. pain) or benefit = \"higher\" (e.g. range of motion)",
                  has_value=benefit is not None)
        benefit = ""
    mid = o.get("mid")
    mid_source = _opt_str(col, o, where, "mid_source")
    if mid is not None:
        if not _positive_number(mid):
            _toml_err(col, where, "mid", "minimal important difference must be a positive number", mid,
                      fix="give the MID as a positive number in the outcome's units, or remove it")
            mid = None
        elif not mid_source:
            _toml_err(col, where, "mid_source", "an MID needs its source", fix="add mid_source = \"citation\" or remove mid")
            mid = None
    pm = o.get("pool_measure")
    if pm is not None and pm not in POOL_MEASURES:
        _toml_err(col, where, "pool_measure", f"must be one of {', '.join(POOL_MEASURES)}", pm, fix="write pool_measure = \"MD\" or \"SMD\"")
        pm = None
    ref = _parse_reference(col, where, o.get("reference"))
    return Outcome(
        id=oid, name=name, family=family, benefit=benefit or "",
        instrument=_opt_str(col, o, where, "instrument"), scale=_opt_str(col, o, where, "scale"),
        unit=_opt_str(col, o, where, "unit"), mid=None if mid is None else float(mid),
        mid_unit=_opt_str(col, o, where, "mid_unit"), mid_source=mid_source if mid is not None else "",
        reference=ref, pool_measure=pm,
        description=_opt_str(col, o, where, "description"))


def _parse_reference(col: _Collector, where: str, rr: Any) -> ReferenceInstrument | None:
    """An outcome's [outcomes.reference] table (the instrument whose SD converts an SMD), or None."""
    if rr is None:
        return None
    if not isinstance(rr, dict):
        _toml_err(col, where, "reference", "must be a table", rr, fix="write [outcomes.reference] with instrument, scale, sd, sd_source")
        return None
    sd = rr.get("sd")
    if not _positive_number(sd):
        _toml_err(col, where, "reference.sd", "reference SD must be a positive number", sd, fix="give the typical SD of the reference instrument", has_value=sd is not None)
        return None
    src = _req_str(col, rr, where, "reference.sd_source") if "sd_source" not in rr else _opt_str(col, rr, where, "sd_source")
    if not src:
        _toml_err(col, where, "reference.sd_source", "a reference SD needs its source", fix="add sd_source or remove the reference table")
        return None
    return ReferenceInstrument(_opt_str(col, rr, where, "instrument"), _opt_str(col, rr, where, "scale"), float(sd), src)


def _parse_indirectness(col: _Collector, raw: Any, outs: tuple[Outcome, ...], comps: tuple[Comparison, ...],
                        pops: tuple[Population, ...]) -> tuple[Indirectness, ...]:
    """[[indirectness]] judgements, each naming a known outcome, comparison and population (or "*")."""
    ind = []
    oids = {o.id for o in outs} | {"*"}
    cids = {c.id for c in comps} | {"*"}
    pids = {p.id for p in pops} | {"*"}
    for where, j in _table_entries(col, raw, "indirectness",
                                   fix="write [[indirectness]] with outcome, judgement, reason"):
        out_id = str(j.get("outcome", "*"))
        cmp_id = str(j.get("comparison", "*"))
        pop_id = str(j.get("population", "*"))
        if out_id not in oids:
            _toml_err(col, where, "outcome", "unknown outcome", out_id, fix="use an outcome id from [[outcomes]] or \"*\"")
        if cmp_id not in cids:
            _toml_err(col, where, "comparison", "unknown comparison group", cmp_id, fix="use a comparison id from [[comparisons]] or \"*\"")
        if pop_id not in pids:
            _toml_err(col, where, "population", "unknown population", pop_id, fix="use a population id from [[populations]] or \"*\"")
        jd = j.get("judgement")
        if jd not in INDIRECTNESS_JUDGEMENTS:
            _toml_err(col, where, "judgement", f"must be one of {', '.join(INDIRECTNESS_JUDGEMENTS)}", jd,
                      fix="write judgement = \"none\", \"serious\" or \"very_serious\"", has_value=jd is not None)
            jd = None
        reason = _req_str(col, j, where, "reason")
        if jd and reason:
            ind.append(Indirectness(out_id, cmp_id, pop_id, jd, reason))
    return tuple(ind)


def _positive_number(x: Any) -> TypeGuard[int | float]:
    """True for a finite number above 0 written as a TOML number (booleans are not numbers here)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _table_entries(col: _Collector, raw: Any, key: str, *, fix: str) -> list[tuple[str, dict]]:
    """(where, table) for each entry of a pack.toml array of tables ``[[key]]``; an entry that is not a
    table, or a key that is not an array of tables at all, is recorded as a problem (None = absent)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        _toml_err(col, f"[[{key}]]", None, "must be an array of tables", raw, fix=fix)
        return []
    out = []
    for i, t in enumerate(raw):
        where = f"{key}[{i + 1}]"
        if not isinstance(t, dict):
            _toml_err(col, where, None, "must be a table", t, fix=fix)
            continue
        out.append((where, t))
    return out


def _dupes(col: _Collector, ids: list[str], table: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i and i in seen:
            _toml_err(col, f"[[{table}]]", "id", "duplicate id", i, fix="give every entry a unique id")
        seen.add(i)


# --------------------------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------------------------
def _id_rows(rows: Any, fname: str, id_col: str, what: str, col: _Collector, *,
             fix: str) -> Iterator[tuple[int, _Row, str]]:
    """(row number, row accessor labelled by its id, id) for each row, recording an empty or duplicated id."""
    seen: dict[str, int] = {}
    for n, d in rows:
        r = _Row(fname, n, d, (d.get(id_col) or "").strip() or None, col)
        rid = r.text(id_col, required=True)
        if rid in seen:
            r.err(id_col, f"duplicate {what} (first on row {seen[rid]})", rid, fix=fix)
        elif rid:
            seen[rid] = n
        yield n, r, rid


def _check_timepoint(r: _Row, column: str, bucket_ids: set[str] | None) -> str:
    """``bucket_ids`` None: pack.toml could not be read, so only emptiness is checked (its own error says why)."""
    raw = r.text(column, required=True,
                 fix=f"use a bucket id ({', '.join(sorted(bucket_ids or ()))}) or {UNSPECIFIED_BUCKET}")
    if not raw or bucket_ids is None:
        return raw
    parts = [p.strip() for p in raw.split("+")]
    allowed = bucket_ids | {UNSPECIFIED_BUCKET}
    bad = [p for p in parts if p not in allowed or (p == UNSPECIFIED_BUCKET and len(parts) > 1)]
    if bad:
        r.err(column, "unknown time-point bucket", raw,
              fix=f"use one of {', '.join(sorted(bucket_ids))}, {UNSPECIFIED_BUCKET}, or several joined by '+'")
        return ""
    return "+".join(parts)


def _check_ref(r: _Row, column: str, value: str, known: set[str] | None, what: str, where: str) -> bool:
    """``known`` None: the declaring file could not be read (its own error is reported), so nothing is checked."""
    if value and known is not None and value not in known:
        r.err(column, f"unknown {what}", value, fix=f"use an id declared in {where}")
        return False
    return True


def _ci_check(r: _Row, est: float | None, lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and lo > hi:
        r.err("ci_low", f"ci_low is greater than ci_high ({fmt_sig(hi)})", lo, fix="swap ci_low and ci_high, or check the source")
    if (lo is None) != (hi is None):
        r.err("ci_high" if hi is None else "ci_low", "only one confidence limit is given", fix="give both ci_low and ci_high, or neither")


def _p_check(r: _Row, column: str) -> str:
    """p-values are kept as printed (text such as '<0.01' or '0.157 and 0.799'); every number in
    the cell must lie in [0, 1] and there must be at least one."""
    raw = r.text(column)
    if raw:
        nums = re.findall(r"(?<![\w.])(\d*\.?\d+)", raw)
        if not nums or any(float(x) > 1 for x in nums):
            r.err(column, "is not a p-value", raw, fix="write the p-value as printed, e.g. 0.03, <0.01, >=0.05")
    return raw


def _load_studies(rows, col, ids) -> list[Study]:
    out = []
    for n, r, sid in _id_rows(rows, "studies.csv", "study_id", "study id", col,
                              fix="give every study a unique id (e.g. add a/b suffixes)"):
        if sid and not _ID_RE.match(sid):
            r.err("study_id", "ids may contain only letters, digits, '_', '-' and '.'", sid, fix="rename the id (no spaces)")
        citation = r.text("citation", required=True)
        source = r.text("source", required=True, fix="say where the data come from (citation, URL, page/table)")
        pop = r.text("population")
        if pop:
            _check_ref(r, "population", pop, ids["populations"], "population", "pack.toml [[populations]]")
        comps = _split_ids(r.text("comparison"))
        for c in comps:
            _check_ref(r, "comparison", c, ids["comparisons"], "comparison group", "pack.toml [[comparisons]]")
        rob = {}
        for dom in ("rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5", "rob_overall"):
            v = r.choice(dom, ROB_LEVELS, required=False)
            if v:
                rob[dom.removeprefix("rob_")] = v
        out.append(Study(
            study_id=sid, citation=citation, source=source, row=n,
            year=r.number("year", integer=True, lo=1900, hi=2100), country=r.text("country"), population=pop,
            population_description=r.text("population_description"), design=r.text("design"),
            n_randomised=r.number("n_randomised", integer=True, positive=True),
            intervention=r.text("intervention"), comparator=r.text("comparator"), comparisons=comps,
            co_interventions=r.text("co_interventions"), trp_identification=r.text("trp_identification"),
            chronicity=r.text("chronicity"), rob=rob, pedro=r.number("pedro", integer=True, lo=0, hi=10),
            in_pooling=not r.flag("exclude_from_pooling"), notes=r.text("notes"), source_row=r.text("source_row")))
    return out


def _outcome_list(r: _Row, ids, allow_multi: bool) -> tuple[str, ...]:
    raw = r.text("outcome", required=True, fix="use an outcome id from pack.toml [[outcomes]]")
    outs = _split_ids(raw)
    ok = True
    for o in outs:
        ok &= _check_ref(r, "outcome", o, ids["outcomes"], "outcome", "pack.toml [[outcomes]]")
    if len(outs) > 1 and not allow_multi:
        r.err("outcome", "several outcomes are allowed only on qualitative, p-value-only or within-group rows", raw,
              fix="split the row into one row per outcome")
        ok = False
    return outs if ok else ()


def _sizes_from_non_events(r: _Row, vals: dict[str, Any]) -> None:
    """2x2 cells (bi, di: participants without the event, as R's dat.bcg tneg/cneg) give the arm sizes
    n1i = ai + bi and n2i = ci + di; an arm size given as well must agree."""
    for ev, non, nn in (("ai", "bi", "n1i"), ("ci", "di", "n2i")):
        cells = r.number(non, integer=True, nonneg=True)
        if cells is None:
            continue
        if vals[ev] is None:
            r.err(non, f"needs {ev} (the events of the same arm)", cells, fix=f"give {ev}, or leave {non} empty")
        elif vals[nn] is None:
            if vals[ev] + cells <= 0:
                r.err(non, f"{ev} + {non} must be > 0 (the arm's participants)", cells, fix=f"check {ev} and {non}")
            else:
                vals[nn] = vals[ev] + cells
        elif vals[nn] != vals[ev] + cells:
            r.err(nn, f"is not {ev} + {non} = {fmt_sig(vals[ev] + cells)}", vals[nn],
                  fix=f"give either {nn} or {non}, or check both against the source")


def _load_results(rows, col, ids, study_ids) -> list[ResultRow]:
    out = []
    for n, r, rid in _id_rows(rows, "results.csv", "result_id", "result id", col,
                              fix="give every result row a unique id"):
        sid = r.text("study_id", required=True)
        if sid and study_ids is not None:
            _check_ref(r, "study_id", sid, study_ids, "study id", "studies.csv")
        dtype = r.choice("data_type", DATA_TYPES)
        outs = _outcome_list(r, ids, allow_multi=dtype in ("qualitative", "p_value_only", "within_group"))
        tp = _check_timepoint(r, "timepoint", ids["buckets"])
        comp = r.text("comparison", required=True, fix="use a comparison id from pack.toml [[comparisons]]")
        _check_ref(r, "comparison", comp, ids["comparisons"], "comparison group", "pack.toml [[comparisons]]")
        source = r.text("source", required=True, fix="cite where the number comes from (citation and where in it)")
        measure = r.choice("measure", EFFECT_MEASURES, required=False)
        vals = dict(
            m1i=r.number("m1i"), sd1i=r.number("sd1i", positive=True), n1i=r.number("n1i", integer=True, positive=True),
            m2i=r.number("m2i"), sd2i=r.number("sd2i", positive=True), n2i=r.number("n2i", integer=True, positive=True),
            ai=r.number("ai", integer=True, nonneg=True), ci=r.number("ci", integer=True, nonneg=True),
            estimate=r.number("estimate"), ci_low=r.number("ci_low"), ci_high=r.number("ci_high"),
            se=r.number("se", positive=True))
        _sizes_from_non_events(r, vals)
        for ev, nn in (("ai", "n1i"), ("ci", "n2i")):
            if vals[ev] is not None and vals[nn] is not None and vals[ev] > vals[nn]:
                r.err(ev, f"more events than participants ({nn} = {vals[nn]})", vals[ev], fix=f"check {ev} and {nn}")
        _ci_check(r, vals["estimate"], vals["ci_low"], vals["ci_high"])
        if vals["estimate"] is not None and vals["ci_low"] is not None and vals["ci_high"] is not None \
                and not (vals["ci_low"] <= vals["estimate"] <= vals["ci_high"]):
            r.err("estimate", f"estimate lies outside its CI [{fmt_sig(vals['ci_low'])}, {fmt_sig(vals['ci_high'])}]", vals["estimate"],
                  fix="check the numbers against the source")
        if measure in RATIO_MEASURES:  # of the pack measures: OR, RR, ROM
            for c in ("estimate", "ci_low", "ci_high"):
                if vals[c] is not None and vals[c] <= 0:
                    r.err(c, f"a ratio ({measure}) must be > 0", vals[c], fix="give the ratio itself, not its logarithm")
        if dtype == "effect":
            if measure is None and not (r.data.get("measure") or "").strip():
                r.err("measure", "an effect row needs its measure", fix=f"use one of {', '.join(EFFECT_MEASURES)}")
            if vals["estimate"] is None:
                r.err("estimate", "an effect row needs an estimate", fix="give the estimate, or change data_type to p_value_only/qualitative")
        orientation = r.choice("orientation", ORIENTATIONS, default="as_reported")
        out.append(ResultRow(
            result_id=rid, study_id=sid, outcomes=outs, timepoint=tp, comparison=comp, data_type=dtype or "",
            source=source, row=n, instrument=r.text("instrument"), unit=r.text("unit"), measure=measure,
            p_value=_p_check(r, "p_value"), orientation=orientation or "as_reported",
            direction_reported=r.text("direction_reported"), result_as_reported=r.text("result_as_reported"),
            timepoint_as_stated=r.text("timepoint_as_stated"), notes=r.text("notes"), source_row=r.text("source_row"),
            comparison_kind=r.choice("comparison_kind", COMPARISON_KINDS, default="comparative") or "comparative",
            **vals))
    return out


def _load_reviews(rows, col, ids) -> list[ReviewRow]:
    out = []
    for n, r, rid in _id_rows(rows, "reviews.csv", "review_row_id", "review row id", col,
                              fix="give every row a unique id"):
        rep = r.choice("reported_as", REPORTED_AS)
        outs = _outcome_list(r, ids, allow_multi=rep != "numeric")
        tp = _check_timepoint(r, "timepoint", ids["buckets"])
        comp = r.text("comparison", required=True)
        _check_ref(r, "comparison", comp, ids["comparisons"], "comparison group", "pack.toml [[comparisons]]")
        pop = r.text("population", required=True)
        _check_ref(r, "population", pop, ids["populations"], "population", "pack.toml [[populations]]")
        measure = r.choice("measure", EFFECT_MEASURES, required=False)
        est, lo, hi = r.number("estimate"), r.number("ci_low"), r.number("ci_high")
        _ci_check(r, est, lo, hi)
        if rep == "numeric":
            if est is None:
                r.err("estimate", "a numeric review result needs an estimate", fix="give the estimate or set reported_as to qualitative")
            if measure is None and not (r.data.get("measure") or "").strip():
                r.err("measure", "a numeric review result needs its measure", fix=f"use one of {', '.join(EFFECT_MEASURES)}")
        k_scope = r.choice("k_scope", ("estimate", "review_total"), required=False) or ""
        p_scope = r.choice("participants_scope", ("estimate", "review_total"), required=False) or ""
        out.append(ReviewRow(
            review_row_id=rid, review_id=r.text("review_id", required=True), citation=r.text("citation", required=True),
            outcomes=outs, timepoint=tp, comparison=comp, population=pop, reported_as=rep or "",
            source=r.text("source", required=True, fix="cite where the pooled result comes from"), row=n,
            year=r.number("year", integer=True, lo=1900, hi=2100), comparison_as_stated=r.text("comparison_as_stated"),
            population_scope=r.text("population_scope"), timepoint_as_stated=r.text("timepoint_as_stated"),
            k=r.number("k", integer=True, positive=True), k_scope=k_scope,
            participants=r.number("participants", integer=True, positive=True), participants_scope=p_scope,
            measure=measure, unit=r.text("unit"), estimate=est, ci_low=lo, ci_high=hi, p_value=_p_check(r, "p_value"),
            i2=r.number("i2", lo=0, hi=100), grade=r.text("grade"), grade_reasons=r.text("grade_reasons"),
            orientation=r.choice("orientation", ORIENTATIONS, default="as_reported") or "as_reported",
            direction_note=r.text("direction_note"), result_as_reported=r.text("result_as_reported"),
            notes=r.text("notes"), source_row=r.text("source_row"),
            comparison_kind=r.choice("comparison_kind", COMPARISON_KINDS, default="comparative") or "comparative"))
    return out


def _load_safety(rows, col) -> list[SafetyRow]:
    out = []
    for n, r, sid in _id_rows(rows, "safety.csv", "safety_id", "safety id", col,
                              fix="give every row a unique id"):
        basis = r.choice("denominator_basis", DENOMINATOR_BASES, default="none")
        npat = r.number("n_patients", integer=True, positive=True)
        ntrt = r.number("n_treatments", integer=True, positive=True)
        ev = r.number("events", integer=True, nonneg=True)
        denom = {"patients": npat, "treatments": ntrt}.get(basis or "")
        if ev is not None and denom is not None and ev > denom:
            r.err("events", f"more events than the denominator (n_{basis} = {denom})", ev, fix="check events and the denominator")
        if basis in ("patients", "treatments") and ev is not None and denom is None:
            r.err(f"n_{basis}", f"denominator_basis is {basis} but n_{basis} is empty", fix=f"give n_{basis} or change denominator_basis")
        out.append(SafetyRow(
            safety_id=sid, source_id=r.text("source_id", required=True), citation=r.text("citation", required=True),
            design=r.text("design", required=True), severity=r.choice("severity", SEVERITIES) or "",
            event=r.text("event", required=True), source=r.text("source", required=True, fix="cite where the count comes from"),
            row=n, severity_as_reported=r.text("severity_as_reported"), population=r.text("population"),
            region_specific=r.flag("region_specific"), aggregate=r.flag("aggregate"),
            n_practitioners=r.number("n_practitioners", integer=True, positive=True), n_patients=npat,
            n_treatments=ntrt, events=ev, denominator_basis=basis or "none", rate_as_reported=r.text("rate_as_reported"),
            case_report=r.flag("case_report"), time_window=r.text("time_window"), notes=r.text("notes"),
            source_row=r.text("source_row")))
    return out


def _load_claims(rows, col) -> list[ClaimRow]:
    out = []
    for n, r, cid in _id_rows(rows, "claims.csv", "claim_id", "claim id", col,
                              fix="give every row a unique id"):
        out.append(ClaimRow(
            claim_id=cid, claim=r.text("claim", required=True), support_kind=r.choice("support_kind", SUPPORT_KINDS) or "",
            direction=r.choice("direction", CLAIM_DIRECTIONS) or "", citation=r.text("citation", required=True),
            source=r.text("source", required=True), row=n, support_as_reported=r.text("support_as_reported"),
            direction_as_reported=r.text("direction_as_reported"), proposed_effect=r.text("proposed_effect"),
            study_model=r.text("study_model"), finding=r.text("finding"), caveats=r.text("caveats"),
            source_row=r.text("source_row")))
    return out


def _check_pack_path(path: Path) -> None:
    if not path.exists():
        raise PackError([InputError("pack folder does not exist", file=str(path), fix="give the path of a folder that holds pack.toml")], pack=str(path))
    if not path.is_dir():
        raise PackError([InputError("is not a folder", file=str(path), fix="give the folder that holds pack.toml, not a file")], pack=str(path))


def _read_tables(folder: Path, col: _Collector, columns: dict[str, dict[str, str]], notes: list[Note]
                 ) -> dict[str, list[tuple[int, dict[str, str]]] | None]:
    """Every table's rows; an absent optional table is empty (a Note), results.csv or reviews.csv is needed."""
    tables: dict[str, list[tuple[int, dict[str, str]]] | None] = {}
    absent = [n for n in REQUIRED_COLUMNS if not (folder / n).exists()]
    for name in REQUIRED_COLUMNS:
        if name in absent and (name in OPTIONAL_TABLES or
                               (name in ("results.csv", "reviews.csv") and not {"results.csv", "reviews.csv"} <= set(absent))):
            tables[name] = []
            notes.append(NoteCode.PACK_TABLE_ABSENT.note(
                f"{name} is absent: read as a table without rows" + (
                    "; each study_id of results.csv is its own study (citation = the id, no risk of bias)."
                    if name == "studies.csv" else ".")))
            continue
        if name == "reviews.csv" and name in absent:  # both absent: one problem, not two
            tables[name] = None
            continue
        if name == "results.csv" and name in absent:
            col.add("results.csv and reviews.csv are both missing", file=name,
                    fix="create results.csv (trial results) or reviews.csv (published pooled results), or start "
                        "from `evigrade init DIR` (see docs/packs.md)")
            tables[name] = None
            continue
        tables[name] = _read_csv(folder, name, col, columns.get(name))
    return tables


def _studies_from_results(rows: list[tuple[int, dict[str, str]]]) -> list[Study]:
    """Without studies.csv each study id of results.csv is its own study (citation = the id)."""
    seen: dict[str, Study] = {}
    for _, d in rows:
        sid = (d.get("study_id") or "").strip()
        if sid and sid not in seen:
            seen[sid] = Study(study_id=sid, citation=sid, source="results.csv (studies.csv is absent)", row=0)
    return list(seen.values())


def load_pack(path: str | Path | None = None) -> Pack:
    """Load and validate the pack at ``path`` (None = the bundled pack).

    Raises PackError listing every problem; never writes anything.
    """
    folder = bundled_pack_path() if path is None else Path(path)
    _check_pack_path(folder)
    col = _Collector()
    meta = _parse_toml(folder, col)
    # an unreadable pack.toml, or a section of it that declares nothing usable (already reported), is one
    # problem, not one "unknown id" per CSV row: None skips those cross-checks
    ids: dict[str, set[str] | None] = {}
    for key in ("outcomes", "comparisons", "populations", "buckets"):
        declared = {x.id for x in (meta or {}).get(key, ())}
        ids[key] = declared or None
    notes: list[Note] = list((meta or {}).get("notes", ()))
    tables = _read_tables(folder, col, (meta or {}).get("columns", {}), notes)
    studies = _load_studies(tables["studies.csv"] or [], col, ids)
    if not (folder / "studies.csv").exists():
        studies = _studies_from_results(tables["results.csv"] or [])
    study_ids = {s.study_id for s in studies}
    # when studies.csv itself is unreadable, its own problem is the one to report (not every study id)
    results = _load_results(tables["results.csv"] or [], col, ids, study_ids if tables["studies.csv"] is not None else None)
    reviews = _load_reviews(tables["reviews.csv"] or [], col, ids)
    safety = _load_safety(tables["safety.csv"] or [], col)
    claims = _load_claims(tables["claims.csv"] or [], col)
    if not results and not reviews and tables["results.csv"] is not None and tables["reviews.csv"] is not None \
            and not any(p.file in ("results.csv", "reviews.csv") for p in col.problems):
        gone = [n for n in ("results.csv", "reviews.csv") if not (folder / n).exists()]
        if gone:
            other = "reviews.csv" if gone[0] == "results.csv" else "results.csv"
            col.add(f"file is missing and {other} has no data rows", file=gone[0],
                    fix=f"create {gone[0]} with columns {', '.join(REQUIRED_COLUMNS[gone[0]])} or add rows to {other}")
        else:
            col.add("no rows yet (fill in): results.csv and reviews.csv have no data rows", file="results.csv",
                    fix="add at least one row to results.csv (trial results) or reviews.csv (published pooled "
                        "results); lines starting with # are comments")
    if col.problems:
        raise PackError(col.problems, pack=str(folder))
    if meta is None:  # pragma: no cover - a missing/broken pack.toml always records a problem
        raise PackError([InputError("pack.toml could not be read", file="pack.toml")], pack=str(folder))
    if not safety:
        notes = [n for n in notes if n.message != _NO_SAFETY_CONTEXT]
    return Pack(
        path=str(folder), id=meta["id"], title=meta["title"], question=meta["question"], outcomes=meta["outcomes"],
        buckets=meta["buckets"], comparisons=meta["comparisons"], populations=meta["populations"],
        moderators=meta["moderators"], indirectness=meta["indirectness"], studies=tuple(studies),
        results=tuple(results), reviews=tuple(reviews), safety=tuple(safety), claims=tuple(claims),
        description=meta["description"], version=meta["version"], sign_convention=meta["sign_convention"],
        primary_review_rule=meta["primary_review_rule"], topic=meta["topic"], notes=tuple(notes),
        event_types=meta["event_types"], analysis_rho=meta["analysis_rho"],
        columns=tuple((t, c, own) for t, m in meta["columns"].items() for c, own in m.items()))


def unanalysed_columns(path: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Per table, the header columns the loader does not read (kept for provenance, never analysed).

    Columns that look like a misspelling of a known column are problems reported by ``load_pack``."""
    folder = bundled_pack_path() if path is None else Path(path)
    col = _Collector()
    data = _read_toml(folder, col) or {}
    mapped = _parse_columns(col, data.get("columns"))  # columns mapped by [columns.<table>] are read
    # the columns of studies.csv that [[moderators]] name are analysed (subgroups, meta-regression)
    raw_mods = data.get("moderators")
    mods = raw_mods if isinstance(raw_mods, list) else []
    moderator_cols = {str(m.get("column") or m.get("id") or "") for m in mods if isinstance(m, dict)}
    out: dict[str, tuple[str, ...]] = {}
    for fname in REQUIRED_COLUMNS:
        try:
            header = read_csv_rows(folder / fname, name=fname).header
        except InputError:
            continue
        known = set(REQUIRED_COLUMNS[fname]) | set(OPTIONAL_COLUMNS[fname]) | set(mapped.get(fname, {}).values())
        if fname == "studies.csv":
            known |= moderator_cols
        extra = tuple(h for h in header if h and h not in known)
        if extra:
            out[fname] = extra
    return out


def validate_pack(path: str | Path | None = None) -> list[InputError]:
    """Return every problem of the pack at ``path`` (empty list = valid)."""
    try:
        load_pack(path)
    except PackError as exc:
        return list(exc.problems)
    return []
