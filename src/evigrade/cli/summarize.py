"""``evigrade summarize [PACK] [--details] [--format text|markdown] [--json] [--method REML] [--test knha]``.

Thin: ``evigrade.pipeline`` (load_pack -> build_findings -> grade_summary) -> render.  With no PACK
the bundled pack is used.  By default it prints the brief (``evigrade.report.brief``), wrapped to the
terminal; ``--details`` (or ``--no-grade``) prints the full listing; ``--format markdown`` the brief as
Markdown; ``--json`` prints exactly ``summary.to_dict()``.
"""
from __future__ import annotations

import json
import math
import pathlib
from typing import TYPE_CHECKING, Any, Optional

from .._format import fmt_fixed, fmt_pct, fmt_sig
from ..packs import Summary, load_pack
from ..packs.summary import Finding, NotPoolable, SafetyItem
from ..pipeline import FindingsSpec, GradedFinding, GradedSummary, build_findings, grade_summary
from ._plain import echo, parse

if TYPE_CHECKING:
    import typer
    from rich.console import Console

__all__ = ["register", "run_summarize", "render_text", "summarize_command", "plain_args", "DEFAULTS", "PLAIN_OPTIONS"]


def run_summarize(pack: Optional[str] = None, *, method: str = "REML", test: str = "knha", grade: bool = True,
                  safety_measure: str = "PLO") -> Summary:
    """The library call behind the command (pack path or None for the bundled pack): the pipeline's
    GradedSummary, or with ``grade=False`` the ungraded Summary."""
    p = load_pack(pack)
    summary = build_findings(p, FindingsSpec.make(method=method, test=test, safety_measure=safety_measure))
    return grade_summary(summary) if grade else summary


def _n(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:,.0f}"


def _item_line(it: SafetyItem) -> str:
    extra = f"; rule of three <= {fmt_pct(it.rule_of_three, 3)}" if it.rule_of_three is not None else ""
    return (f"      {it.source_id} [{it.safety_id}]: {it.events:,}/{it.denominator:,} = {fmt_pct(it.proportion, 2)} "
            f"[exact {fmt_pct(it.ci_low, 3)}, {fmt_pct(it.ci_high, 3)}]{extra}")


def _effect(f: Finding) -> str:
    """'MD -2.31 [-3.64, -0.99] points (scale not stated in abstract)'; RD also in percentage points."""
    if f.estimate is None:
        return "no estimate"
    if f.measure == "RD":
        return (f"RD {_n(f.estimate)} [{_n(f.ci_low)}, {_n(f.ci_high)}] as a proportion, i.e. "
                f"{fmt_fixed(100 * f.estimate, 0)} percentage points [{_pp(f.ci_low)}, {_pp(f.ci_high)}]")
    unit = getattr(f, "effect_unit", "") or ""
    tail = f" {unit}" if unit and unit not in ("ratio",) else ""
    return f"{f.measure} {_n(f.estimate)} [{_n(f.ci_low)}, {_n(f.ci_high)}]{tail}"


def _pp(x: float | None) -> str:
    """A proportion in whole percentage points (``NA`` when missing)."""
    return fmt_fixed(None if x is None else 100 * x, 0, missing="NA")


def _k_n(f: Finding) -> str:
    k = (f"k={f.k}" if f.k is not None else "k not reported")
    k_effects = getattr(f.meta, "k_effects", None)  # several results per study: a multilevel pool
    if k_effects is not None and f.k is not None:
        k += f" ({k_effects} results)"
    n = (f"n={f.participants:,}" if f.participants is not None else "participants not reported")
    return f"{k}; {n}"


_DIRECTION_WORDS = {"favours_intervention": "favours {x}", "no_difference": "no difference or no effect",
                    "favours_comparator": "favours the comparator", "mixed": "mixed", "unclear": "direction unclear"}


# data types that never carry a number to pool; in a cell without an estimate they are narrative results
_NARRATIVE_TYPES = ("p_value_only", "qualitative", "within_group")


def _not_pooled_text(np_: NotPoolable) -> str:
    """'not pooled: T1 [R1]: arm-level data incomplete (...)' for one result left out of pooling."""
    return f"not pooled: {np_.study_id} [{np_.result_id}]: {np_.reason}"


def _narrative_line(f: Finding, n: dict[str, Any], intervention: str) -> str:
    kind = "review (narrative)" if n.get("kind") == "review" else f"trial ({n.get('reported_as', '')})"
    import re

    words = re.sub(r"^(qualitative|range)\s*:?\s*", "", str(n.get("result_as_reported") or "").strip(), flags=re.I)
    said = str(n.get("direction_as_reported") or "")
    if not words or words.startswith("("):
        words = f"{said} {words}".strip() or str(n.get("reported_as") or "")
    direc = _DIRECTION_WORDS.get(str(n.get("direction")), "direction unclear").format(x=intervention)
    return (f"  {f.outcome_name} | {f.timepoint_label} | vs {f.comparison_label} | {f.population_label}: "
            f"{kind} {n.get('source_id')} [{n.get('row_id')}]: \"{words}\" ({direc}) — certainty not rated: no numeric estimate")


def render_text(summary: Summary, *, color: bool = True, width: int = 120, all_findings: bool = False) -> str:
    """Terminal summary: key messages (one line each, with certainty), the overall conclusion and the
    comparison contrasts first; then the details: findings by outcome family (numbers with their
    units and sources; results without numbers shown as narrative), safety, mechanisms."""
    import io

    from rich.console import Console
    from rich.markup import escape

    buf = io.StringIO()
    con = Console(file=buf, width=width, no_color=not color, color_system="standard" if color else None,
                  highlight=False, force_terminal=color, emoji=False, soft_wrap=True)
    con.print(f"[bold]{escape(summary.title)}[/bold]")
    q = summary.question or {}
    x = summary.topic.name
    if q.get("population"):
        con.print(f"Population: {escape(str(q['population']))}")
    if q.get("intervention"):
        con.print(f"Intervention: {escape(str(q['intervention']))}")

    graded = summary if isinstance(summary, GradedSummary) else None
    if graded is not None:
        _print_key_messages(con, graded)
    _print_findings(con, summary, graded, x, all_findings)
    _print_safety(con, summary, graded)
    _print_mechanisms(con, summary, graded)
    return buf.getvalue()


def _print_key_messages(con: Console, graded: GradedSummary) -> None:
    """Key messages (one line each, with certainty), the overall conclusion, the comparison contrasts."""
    from rich.markup import escape

    msgs = list(graded.key_messages)
    if msgs:
        con.print()
        con.print("[bold underline]Key messages[/bold underline]")
        for m in msgs:
            cert = m.certainty
            tag = f"[{cert.replace('_', ' ')}]" if cert else ("[not rated]" if m.kind == "effect" else "")
            line = m.headline or m.text
            con.print(escape(f"  * {tag + ' ' if tag else ''}{line}"))
    if graded.conclusion:
        con.print()
        con.print("[bold underline]Overall conclusion[/bold underline]")
        con.print(escape(f"  {graded.conclusion}"))
    comps = list(graded.comparisons)
    if comps:
        con.print()
        con.print("[bold underline]How it compares (by kind of comparison)[/bold underline]")
        for c in comps:
            con.print(escape(f"  {c.sentence}"))


def _print_findings(con: Console, summary: Summary, graded: GradedSummary | None, x: str, all_findings: bool) -> None:
    """The details: findings by outcome family; results without numbers as narrative lines."""
    from rich.markup import escape

    con.print()
    con.print("[bold]Details[/bold]")
    con.print(f"Pooling: {summary.method}, {summary.test}; {fmt_sig(summary.level * 100)}% CIs; effects are intervention minus "
              "comparator (ratios: intervention / comparator; RD as a proportion).")
    fams: dict[str, list] = {}
    for f in summary.findings:
        fams.setdefault(f.family, []).append(f)
    hidden = 0
    for fam, fs in fams.items():
        con.print()
        con.print(f"[bold underline]{escape(fam)}[/bold underline]")
        fs_sum = next((y for y in graded.families if y.family == fam), None) if graded is not None else None
        if fs_sum is not None and fs_sum.sentence:
            con.print(escape(f"  {fs_sum.sentence}"))
        trial_narr = 0
        for f in fs:
            cell = f"  {f.outcome_name} | {f.timepoint_label} | vs {f.comparison_label} | {f.population_label}"
            if f.estimate is None:
                narr = list(getattr(f, "narrative", ()) or ())
                # rows with numbers that could not be used are always listed with their reason
                excluded = [np_ for np_ in (getattr(f, "not_poolable", ()) or ()) if np_.data_type not in _NARRATIVE_TYPES]
                excluded_ids = {np_.result_id for np_ in excluded}
                for nd in narr:
                    if nd.get("kind") == "trial" and nd.get("row_id") in excluded_ids:
                        continue
                    if nd.get("kind") == "review" or all_findings:
                        con.print(escape(_narrative_line(f, nd, x)))
                    else:
                        trial_narr += 1
                for np_ in excluded:
                    con.print(escape(f"{cell}: {_not_pooled_text(np_)}"))
                if not narr and not excluded:
                    hidden += 1
                continue
            src = {"pooled": "pooled trials", "single_trial": "single trial", "review": "review",
                   "no_estimate": "no estimate"}[f.status]
            if f.status == "review" and f.primary_review:
                rv = next((r for r in f.reviews if r.primary), None)
                if rv is not None:
                    src = f"review: {rv.review_id} [{rv.review_row_id}]"
            elif f.trials:
                src += ": " + ", ".join(f"{t.study_id} [{t.result_id}]" for t in f.trials)
            line = (f"  {f.outcome_name} | {f.timepoint_label} | vs {f.comparison_label} | "
                    f"{f.population_label}: {_effect(f)}; {_k_n(f)} ({src})")
            fg = f.grade if isinstance(f, GradedFinding) else None
            if fg is not None and fg.certainty:
                line += f" — certainty: {fg.certainty.replace('_', ' ')}"
            con.print(escape(line))
            if fg is not None and fg.statement:
                con.print(f"      {escape(fg.statement)}")
            for np_ in getattr(f, "not_poolable", ()) or ():  # every result left out, with its reason
                con.print(escape(f"      - {_not_pooled_text(np_)}"))
            if f.status == "review" and f.trials:
                ids = ", ".join(f"{t.study_id} [{t.result_id}]" for t in f.trials)
                con.print(escape(f"      - not used: {ids} (the estimate rests on the published review; "
                                 "fewer than 2 trials with usable data to pool)"))
            rob = getattr(f, "robustness", None)
            if rob is not None:  # moderators, sensitivity, small-study tests (evigrade.pipeline.robustness)
                from ..report.robustness import robustness_lines

                for rl in robustness_lines(rob.to_dict()):
                    con.print(f"      - {escape(rl)}")
        if trial_narr:
            con.print(escape(f"  ({trial_narr} trial result{'s' if trial_narr != 1 else ''} without an effect estimate "
                             "in this family, counted above; --all lists each one)"))
    if hidden:
        con.print()
        con.print(f"({hidden} outcome/time point/comparison cells have neither a numeric estimate nor a narrative result; see --json)")


def _print_safety(con: Console, summary: Summary, graded: GradedSummary | None) -> None:
    from rich.markup import escape

    s = summary.safety
    con.print()
    con.print("[bold underline]Safety (adverse events)[/bold underline]")
    if not s.pools and not s.items and not s.case_reports:
        con.print("  No adverse-event data in this pack.")
    elif summary.topic.safety_context:  # the pack's own words on where the counts come from
        for line in summary.topic.safety_context:
            con.print(escape(f"  {line}"))
    pooled_ids = set()
    for p in s.pools:
        sev = p.severity.replace("_", " ")
        if getattr(p, "pooled", False):
            head = (f"  {sev} per {p.basis[:-1]}: pooled {fmt_pct(p.estimate, 2)} [{fmt_pct(p.ci_low, 2)}, {fmt_pct(p.ci_high, 2)}] "
                    f"({p.measure}, {summary.method}, {summary.test}; k={p.k}, {p.events:,}/{p.total:,})")
        elif p.k >= 2:
            head = (f"  {sev} per {p.basis[:-1]}: {fmt_pct(p.range_low, 2)} to {fmt_pct(p.range_high, 2)} across {p.k} sources "
                    f"(not pooled: fewer than {getattr(s, 'min_pool_k', 3)} sources; each source's exact CI below)")
        else:
            head = (f"  {sev} per {p.basis[:-1]}: {fmt_pct(p.estimate, 2)} [{fmt_pct(p.ci_low, 2)}, {fmt_pct(p.ci_high, 2)}] exact "
                    f"(one source, {p.events:,}/{p.total:,})")
        con.print(escape(head))
        for it in p.items:
            pooled_ids.add(it.safety_id)
            con.print(escape(_item_line(it)))
    rest = [it for it in s.items if it.safety_id not in pooled_ids]
    if rest:
        con.print("  Other counts (single events):")
        for it in rest:
            con.print(escape(_item_line(it) + f" ({it.severity}: {it.event})"))
    types = [e for e in (getattr(s, "event_types", ()) or ()) if e.rates]
    if types:
        con.print("  Event types with a stated rate per treatment (CIOMS: common >= 1%, uncommon 0.1-1%, rare < 0.1%):")
        for e in types:
            rates = "; ".join(f"{fmt_sig(100 * r['proportion'], 3)}% of {r['denominator']:,} ({r['source_id']} [{r['safety_id']}])"
                              for r in e.rates)
            more = f"; also named by {len(e.mentions)} other source row(s)" if e.mentions else ""
            con.print(escape(f"      {e.event_type} ({e.severity}, {e.frequency}): {rates}{more}"))
    for n in s.notes:
        con.print(escape(f"  Note: {n.message}"))
    for p in s.pools:
        for n in p.notes:
            if n.code == "not_pooled_few_sources":
                con.print(escape(f"  Note ({p.severity.replace('_', ' ')}): {n.message}"))
    if s.case_reports:
        con.print(f"  Case reports ({len(s.case_reports)}):")
        for c in s.case_reports:
            con.print(escape(f"      {c['source_id']} [{c['safety_id']}]: {c['event']}"))  # the whole line: "[" is markup
    if graded is not None and graded.safety_rating is not None and graded.safety_rating.sentence:
        con.print(f"  {escape(graded.safety_rating.sentence)}")


def _print_mechanisms(con: Console, summary: Summary, graded: GradedSummary | None) -> None:
    from rich.markup import escape

    con.print()
    con.print("[bold underline]Mechanisms[/bold underline]")
    if not summary.mechanisms:
        con.print("  No mechanism claims in this pack.")
    labels = graded.mechanism_labels if graded is not None else (None,) * len(summary.mechanisms)
    for m, label in zip(summary.mechanisms, labels):
        sup = m.strongest_support.replace("_", " ") if m.strongest_support else "none (theory or no supporting study)"
        lab = f" — {label}" if label else ""
        con.print(escape(f"  {m.claim}: strongest support {sup} ({m.supporting} supporting, {m.not_supporting} against/critical){lab}"))


#: The default of every option of ``evigrade summarize``: the typer signature below and the typer-free
#: parse of a plain line (``plain_args``) both read them.
DEFAULTS: dict[str, Any] = {
    "as_json": False, "method": "REML", "test": "knha", "safety_measure": "PLO", "no_grade": False,
    "all_findings": False, "details": False, "fmt": "text", "no_color": False, "report_dir": None,
}

#: The options ``plain_args`` reads: option -> (parameter, type of its value, or the value a flag sets).
#: tests/cli/test_summarize_plain_args.py checks them against the typer command.
PLAIN_OPTIONS: dict[str, tuple[str, Any]] = {
    "--json": ("as_json", True), "--method": ("method", str), "--test": ("test", str),
    "--safety-measure": ("safety_measure", str), "--no-grade": ("no_grade", True), "--all": ("all_findings", True),
    "--details": ("details", True), "--format": ("fmt", str), "--no-color": ("no_color", True),
    "--report": ("report_dir", str),
}


def plain_args(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of ``evigrade summarize`` for a plain command line, parsed without typer (see
    ``cli._plain``); None for anything else (typer then parses it and reports what is wrong)."""
    return parse(argv, PLAIN_OPTIONS, DEFAULTS, "pack")


def register(app: typer.Typer) -> None:
    import typer

    d = DEFAULTS

    @app.command("summarize")
    def summarize_cmd(
        pack: Optional[str] = typer.Argument(None, help="Evidence pack folder (default: the bundled pack)."),
        as_json: bool = typer.Option(d["as_json"], "--json", help="Print the full structured result (summary.to_dict())."),
        method: str = typer.Option(d["method"], "--method", help="tau2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option(d["test"], "--test", help="knha (Hartung-Knapp-Sidik-Jonkman) or z."),
        safety_measure: str = typer.Option(d["safety_measure"], "--safety-measure", help="Proportion scale for adverse events: PLO (logit) or PFT (Freeman-Tukey)."),
        no_grade: bool = typer.Option(d["no_grade"], "--no-grade", help="Skip GRADE certainty and plain-language statements."),
        all_findings: bool = typer.Option(d["all_findings"], "--all", help="Also list cells without a numeric estimate (with --details)."),
        details: bool = typer.Option(d["details"], "--details", help="Print the full listing (every finding, safety row and mechanism) instead of the brief."),
        fmt: str = typer.Option(d["fmt"], "--format", help="The brief as 'text' (terminal) or 'markdown' (numbered citations)."),
        no_color: bool = typer.Option(d["no_color"], "--no-color", help="Plain text output."),
        report_dir: Optional[str] = typer.Option(d["report_dir"], "--report", help="Also write the report (index.html, report.md, results.json) to this folder."),
    ) -> None:
        """Summarise an evidence pack: findings by outcome, time point and comparison; safety; mechanisms."""
        summarize_command(pack=pack, as_json=as_json, method=method, test=test, safety_measure=safety_measure,
                          no_grade=no_grade, all_findings=all_findings, details=details, fmt=fmt, no_color=no_color,
                          report_dir=report_dir)


def summarize_command(pack: Optional[str], as_json: bool, method: str, test: str, safety_measure: str, no_grade: bool,
                      all_findings: bool, details: bool, fmt: str, no_color: bool, report_dir: Optional[str]) -> None:
    """The command once its arguments are parsed (by typer, or by ``plain_args``)."""
    from .._validate import check_choice
    from ..errors import PackError

    fmt = check_choice("format", fmt, ("text", "markdown"))
    if report_dir is not None:  # refuse an unusable folder before computing anything
        from ..report import check_report_folder

        check_report_folder(report_dir)
    try:
        summary = run_summarize(pack, method=method, test=test, grade=not no_grade, safety_measure=safety_measure)
    except PackError as exc:  # one line naming the pack, its first problem and how to list them all
        from .report import _with_validate_hint

        raise _with_validate_hint(exc, pathlib.Path(pack) if pack is not None else None) from None
    if report_dir is not None:  # the report (engineer H): written atomically before anything is printed
        from ..report import write_report
        from ..report.pipeline import report_dict

        try:
            write_report(report_dict(summary), report_dir)
        except OSError as exc:  # e.g. a read-only folder or a full disk: nothing was left behind
            from ..errors import InputError

            raise InputError(f"cannot write the report ({exc.strerror or exc})", file=str(report_dir),
                             fix="choose a folder you can write to (--report DIR)") from None
    if as_json:
        echo(json.dumps(summary.to_dict(), indent=2, sort_keys=False))
    elif details or not isinstance(summary, GradedSummary):
        echo(render_text(summary, color=not no_color, all_findings=all_findings), nl=False)
    else:
        echo(_brief_text(summary, fmt, no_color), nl=False)
    if not as_json:  # the pack's own notes (defaults assumed, absent tables): said, on stderr beside the text
        for n in summary.notes:
            echo(f"note: {n.message}", err=True)


def _brief_text(summary: GradedSummary, fmt: str, no_color: bool) -> str:
    """The brief of ``summary`` as Markdown, or for the terminal wrapped to its width (COLUMNS)."""
    import shutil

    from ..report.brief import build_brief, render_brief_markdown, render_brief_text
    from ._common import use_color

    brief = build_brief(summary)
    if fmt == "markdown":
        return render_brief_markdown(brief, summary)
    width = max(40, shutil.get_terminal_size((100, 24)).columns)
    return render_brief_text(brief, width=width, color=use_color(no_color))
