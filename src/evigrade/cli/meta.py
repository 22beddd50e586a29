"""``evigrade meta STUDIES.csv --measure SMD``: one meta-analysis of a plain studies CSV.

Thin: read the CSV (``effects.read_studies_csv``) -> ``stats.meta_analysis`` -> print.  ``--json``
prints exactly ``MetaResult.to_dict()``; otherwise a metafor-like summary rendered with rich.
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional, cast

import typer

from .._format import fmt_fixed, fmt_num, fmt_pct, fmt_pval, fmt_sig
from ._common import cli_double_zero_fix, naming_file, text_console, use_color

__all__ = ["register", "run_meta", "render_text"]

#: the per-study table of the text output lists at most this many studies (--json has all; issue 19)
STUDY_ROWS_SHOWN = 2000


def run_meta(studies: str, measure: str, *, method: str = "REML", test: str = "knha", level: float = 95,
             preset: Optional[str] = None, ratio_scale: bool = False, keep_double_zero: bool = False,
             columns: Optional[dict[str, str]] = None):
    """The library call behind the command: (EffectTable, MetaResult).

    ``keep_double_zero``: keep OR/RR studies with no events (or only events) in both groups, as
    metafor does (``drop00=False``); by default they are dropped with a note.
    """
    from .._validate import check_choice
    from ..effects import read_studies_csv
    from ..stats import meta_analysis
    from ..stats.fit import canonical_method, canonical_test
    from ..stats.meta import PRESETS

    options: dict[str, Any] = {"scale": "ratio"} if ratio_scale else {}
    if keep_double_zero:
        options["drop00"] = False
    with cli_double_zero_fix():
        table = read_studies_csv(studies, measure, columns=columns, **options)
    with naming_file(studies):
        # the user's spellings, checked in meta_analysis's order; a preset sets method and test itself
        if preset is None:
            result = meta_analysis(table, method=canonical_method(method), test=canonical_test(test), level=level)
        else:
            result = meta_analysis(table, level=level, preset=check_choice("preset", preset, PRESETS))
    return table, result


_MODEL = {
    "FE": "Common-Effect Model",
    "MH": "Common-Effect Model (Mantel-Haenszel)",
    "PETO": "Common-Effect Model (Peto)",
}
_TESTS = {"z": "z", "t": "t", "knha": "knha (Hartung-Knapp-Sidik-Jonkman)", "adhoc": "knha, ad hoc"}


def render_text(table, res, *, color: bool = True, width: int = 100) -> str:
    """A metafor-like ``print(rma)`` summary followed by the per-study table and the notes."""
    from rich.table import Table
    from rich.text import Text

    from ..effects import back_transform, measure_info

    con = text_console(color, width)
    pct = f"{fmt_sig(res.level * 100)}%"
    model = _MODEL.get(res.method, "Random-Effects Model")
    est_name = "" if res.method in _MODEL else f"; tau^2 estimator: {res.method}"
    con.print(f"[bold]{model}[/bold] (k = {res.k}{est_name}; measure: {res.measure})")
    con.print()
    if res.method not in _MODEL:
        tci = ""
        if not math.isnan(res.tau2_ci_low):
            tci = f"  [{pct} CI {fmt_num(res.tau2_ci_low)} to {fmt_num(res.tau2_ci_high)}]"
        con.print(f"tau^2 (estimated amount of total heterogeneity): {fmt_num(res.tau2)} (SE = {fmt_num(res.tau2_se)}){tci}")
        con.print(f"tau (square root of estimated tau^2 value):      {fmt_num(res.tau)}")
    ici = ""
    if not math.isnan(res.i2_ci_low):
        ici = f"  [{pct} CI {fmt_fixed(res.i2_ci_low * 100)}% to {fmt_fixed(res.i2_ci_high * 100)}%]"
    i2 = fmt_pct(res.i2, 2)
    con.print(f"I^2 (total heterogeneity / total variability):   {i2}{ici}")
    con.print(f"H^2 (total variability / sampling variability):  {fmt_num(res.h2, 2)}")
    con.print()
    con.print("[bold]Test for Heterogeneity:[/bold]")
    con.print(f"Q(df = {res.q_df}) = {fmt_num(res.q)}, p-val {'' if fmt_pval(res.q_pvalue).startswith('<') else '= '}"
              f"{fmt_pval(res.q_pvalue)}")
    con.print()
    df = f", df = {res.df}" if res.df is not None else ""
    con.print(f"[bold]Model Results[/bold] (test = {_TESTS.get(res.test, res.test)}{df}):")
    stat = "tval" if res.df is not None else "zval"
    mt = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("estimate", "se", stat, "pval", "ci.lb", "ci.ub"):
        mt.add_column(col, justify="right")
    mt.add_row(fmt_num(res.estimate), fmt_num(res.se), fmt_num(res.zval), fmt_pval(res.pval), fmt_num(res.ci_low), fmt_num(res.ci_high))
    con.print(mt)
    common = res.method in _MODEL
    if not common and not math.isnan(res.pi_low):
        con.print(f"Prediction interval ({pct}): {fmt_num(res.pi_low)} to {fmt_num(res.pi_high)}")
    measure = (res.measure or "").upper()
    info = measure_info(measure)
    if info is not None and info.back_transform != "identity":
        ni = table.n if measure == "PFT" else None
        vals = [res.estimate, res.ci_low, res.ci_high]
        bt = [back_transform(measure, v, ni=ni) for v in vals]
        scale = {"PLO": "proportion", "PFT": "proportion", "ZCOR": "correlation"}.get(measure, measure)
        line = f"Back-transformed ({scale}): {fmt_num(bt[0])} [{pct} CI {fmt_num(bt[1])} to {fmt_num(bt[2])}]"
        if not common and not math.isnan(res.pi_low):
            pb = [back_transform(measure, v, ni=ni) for v in (res.pi_low, res.pi_high)]
            line += f"; prediction interval {fmt_num(pb[0])} to {fmt_num(pb[1])}"
        con.print(line)
    con.print()
    st = Table(title=None, show_edge=False, box=None, pad_edge=False)
    st.add_column("study", justify="left")
    for col in ("yi", "vi", "weight %"):
        st.add_column(col, justify="right")
    for i, s in enumerate(res.study[:STUDY_ROWS_SHOWN]):
        st.add_row(Text(s), fmt_num(res.yi[i]), fmt_num(res.vi[i]), f"{fmt_fixed(float(res.weights[i]) * 100)}")
    con.print(st)
    if len(res.study) > STUDY_ROWS_SHOWN:  # a terminal table of 100,000 rows helps nobody (and takes minutes)
        con.print(f"... the first {STUDY_ROWS_SHOWN:,} of {len(res.study):,} studies are listed; --json lists all of them",
                  markup=False)
    notes = list(res.notes)
    if notes:
        con.print()
        con.print("[bold]Notes:[/bold]")
        for n in notes:
            con.print("- " + n.message, markup=False)
    return con.file.getvalue()


def _parse_map(text: Optional[str], studies: str) -> Optional[dict[str, str]]:
    """``--map ai=tpos,bi=tneg`` -> {"ai": "tpos", "bi": "tneg"}."""
    if not text:
        return None
    from ..errors import InputError

    out = {}
    for item in (x.strip() for x in text.split(",") if x.strip()):
        name, sep, col = item.partition("=")
        if not sep or not name.strip() or not col.strip():
            raise InputError("--map entry is not NAME=COLUMN", file=studies, value=item, fix="write e.g. --map ai=tpos,bi=tneg")
        if name.strip() in out:
            raise InputError(f"--map names {name.strip()} twice", file=studies, value=text,
                             fix="give each NAME once, e.g. --map ai=tpos,bi=tneg")
        out[name.strip()] = col.strip()
    return out


def register(app: typer.Typer) -> None:
    @app.command("meta")
    def meta(
        studies: str = typer.Argument(..., metavar="STUDIES.csv", help="CSV of studies with metafor column names (m1i, sd1i, n1i, ...)."),
        measure: str = typer.Option(..., "--measure", "-m",
                                    help="Effect measure: MD, SMD, ROM, OR, RR, RD, IRR, PR, PLO, PFT, COR, ZCOR, MC, SMCC, SMCR, GEN."),
        method: str = typer.Option("REML", "--method", help="tau^2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman, t) or z (Wald)."),
        level: float = typer.Option(95.0, "--level", help="Confidence level: 95 (percent) or 0.95."),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON (MetaResult.to_dict())."),
        preset: Optional[str] = typer.Option(None, "--preset",
                                             help="revman5: DerSimonian-Laird, Wald z, Mantel-Haenszel for 2x2 data."),
        ratio_scale: bool = typer.Option(False, "--ratio-scale",
                                         help="yi, ci_low, ci_high are ratios as printed (e.g. OR 0.5, CI 0.3 to 0.8)."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain text output (also when NO_COLOR is set)."),
        keep_double_zero: bool = typer.Option(False, "--keep-double-zero",
                                              help="OR/RR: keep studies with no events (or only events) in both "
                                                   "groups, adding 1/2 to each cell (metafor's drop00=FALSE)."),
        subgroup: Optional[str] = typer.Option(None, "--subgroup", metavar="COL",
                                               help="Subgroup analysis by this CSV column (separate tau^2 per subgroup)."),
        mods: Optional[str] = typer.Option(None, "--mods", metavar="COLS",
                                           help="Meta-regression on these CSV columns (comma-separated)."),
        leave_one_out: bool = typer.Option(False, "--leave-one-out", help="Add a leave-one-out sensitivity analysis."),
        bias: bool = typer.Option(False, "--bias", help="Add small-study tests (Egger, rank test, trim-and-fill; k >= 10)."),
        multilevel: Optional[str] = typer.Option(None, "--multilevel", metavar="CLUSTER[,OBS]",
                                                 help="Multilevel model for several effects per study (metafor "
                                                      "rma.mv, random = ~ 1 | CLUSTER/OBS; REML or ML)."),
        robust: Optional[str] = typer.Option(None, "--robust", metavar="COL",
                                             help="Cluster-robust SEs, tests and CIs by this column (metafor robust())."),
        vcov: str = typer.Option("CR1", "--vcov", help="--robust estimator: CR1 (metafor's default) or CR2 "
                                                       "(clubSandwich, Satterthwaite df)."),
        selmodel: Optional[str] = typer.Option(None, "--selmodel", metavar="TYPE",
                                               help="Selection model (metafor selmodel on the ML fit): step, beta, "
                                                    "halfnorm or negexp; a sensitivity analysis for publication bias."),
        steps: Optional[str] = typer.Option(None, "--steps", metavar="P,...",
                                            help="--selmodel step: one-sided p-value cut points (default 0.025,1); "
                                                 "halfnorm/negexp: one p-value below which the weight is 1."),
        struct: Optional[str] = typer.Option(None, "--struct", metavar="CS|HCS|UN|AR|HAR|DIAG",
                                             help="With --multilevel OUTER,INNER: rma.mv random = ~ INNER | OUTER "
                                                  "with this structure (e.g. outcomes or time points in trials)."),
        scale: Optional[str] = typer.Option(None, "--scale", metavar="COLS",
                                            help="Location-scale model: log(tau^2) regressed on these numeric CSV "
                                                 "columns (metafor rma(scale=); location part: --mods columns)."),
        col_map: Optional[str] = typer.Option(None, "--map", metavar="NAME=COL,...",
                                              help="The CSV's own column names, e.g. R's dat.bcg: "
                                                   "ai=tpos,bi=tneg,ci=cpos,di=cneg,study=author."),
        glmm: Optional[str] = typer.Option(None, "--glmm", metavar="MODEL",
                                           help="OR from arm-level counts: a GLMM (metafor rma.glmm) UM.FS, UM.RS, CM.EL "
                                                "or CM.AL; --method FE drops the random treatment effect."),
    ) -> None:
        """Meta-analyse a CSV of studies (effect sizes as metafor's escalc, pooling as rma)."""
        columns = _parse_map(col_map, studies)
        table, res = run_meta(studies, measure, method=method, test=test, level=level, preset=preset,
                              ratio_scale=ratio_scale, keep_double_zero=keep_double_zero,
                              columns=columns)
        extras = run_extras(studies, table, res, subgroup=subgroup, mods=mods, leave_one_out=leave_one_out,
                            bias=bias, multilevel=multilevel, robust=robust, vcov=vcov, selmodel=selmodel,
                            steps=steps, struct=struct, scale=scale, col_map=columns, glmm=glmm)
        if json_out:
            meta_json = res.to_dict()
            bt = back_transformed_result(table, res)
            if bt is not None:  # metafor predict(x, transf=...): the pooled result on the reporting scale
                meta_json["back_transformed"] = bt.to_dict()
            from ..effects.scales import ratio_scales  # ratio measures: log_scale + ratio_scale, as grade --json

            meta_json.update(ratio_scales(res.measure, meta_json, "log"))
            out = meta_json if not extras else {"meta": meta_json, **{k: v.to_dict() for k, v in extras.items()}}
            typer.echo(json.dumps(out, indent=2, sort_keys=False))
            return
        typer.echo(render_text(table, res, color=use_color(no_color)), nl=False)
        if extras:
            typer.echo(render_extras(extras, res.measure), nl=False)


def back_transformed_result(table, res):
    """The pooled result on the reporting scale (None for measures analysed on their own scale)."""
    from ..stats.transf import back_transformed

    measure = (res.measure or "").upper()
    return back_transformed(res, ni=getattr(table, "n", None) if measure == "PFT" else None)


# ---- moderator / sensitivity / small-study options (engineer E: evigrade.stats.subgroups, .regression,
# .sensitivity, .bias).  --json then prints {"meta": MetaResult.to_dict(), "<analysis>": result.to_dict(), ...}.


def _csv_columns(studies: str, table, columns: list[str], col_map: Optional[dict[str, str]] = None) -> dict[str, list]:
    """Values of extra CSV columns, aligned with the table's studies (None for an empty cell); ``col_map``
    is ``--map`` (the study labels are read as ``read_studies_csv`` reads them)."""
    from ..effects.io import _MISSING, _map_columns, _parse, study_labels
    from ..errors import InputError

    name, header, rows = _parse(studies)
    if col_map:
        _map_columns(name, header, col_map)
    labels = study_labels(name, header, rows)
    out: dict[str, list] = {}
    for col in columns:
        key = col.strip().lower()
        if key not in header:
            raise InputError(f"moderator column '{col}' not found", file=name, row=1, column=col,
                             fix=f"use one of: {', '.join(h for h in header if h)}")
        j = header.index(key)
        cells = [(cells[j].strip() if j < len(cells) else "") for _, cells in rows]
        if len(cells) != len(table.study):
            if labels is None:
                raise InputError("rows were dropped, so moderator values cannot be matched to studies", file=name,
                                 column=col, fix="add a 'study' column with a unique label per row")
            by_label = dict(zip(labels, cells))
            cells = [by_label.get(s, "") for s in table.study]
        out[col] = [None if c.lower() in _MISSING else c for c in cells]  # the same missing-value words as the reader
    return out


def _typed(values: list) -> list:
    """Numbers when every non-empty cell is a number, else the text (a categorical moderator)."""
    try:
        return [None if v is None else float(v) for v in values]
    except ValueError:
        return values


def run_extras(studies: str, table, res, *, subgroup=None, mods=None, leave_one_out=False, bias=False,
               multilevel=None, robust=None, vcov="CR1", selmodel=None, steps=None, struct=None,
               scale=None, col_map: Optional[dict[str, str]] = None, glmm=None) -> dict:
    """The optional analyses of ``evigrade meta`` as ``{name: frozen result}`` (empty when none asked).

    ``multilevel="study,es_id"``: ``stats.multilevel`` (metafor ``rma.mv``, ``random = ~ 1 | study/es_id``;
    HKSJ maps to metafor's ``test="t"``, the only t-test rma.mv has).  ``robust="study"``:
    ``stats.robust`` on the multilevel fit when there is one, else on the pooled fit.
    """
    extras: dict = {}
    ml_fit = None
    if glmm:
        from ..errors import SpecError
        from ..stats.glmm import GLMM_MODELS, rma_glmm

        model = glmm.strip().upper()
        if model not in GLMM_MODELS:
            raise SpecError(f"--glmm={glmm!r} is not one of {', '.join(GLMM_MODELS)}")
        if (res.measure or "").upper() != "OR" or not all(c in table.inputs for c in ("ai", "bi", "ci", "di")):
            raise SpecError("--glmm needs --measure OR and arm-level counts (columns ai, bi, ci, di or ai, n1i, ci, n2i)")
        extras["glmm"] = rma_glmm(*(table.inputs[c] for c in ("ai", "bi", "ci", "di")), model=model,
                                  method="FE" if res.method == "FE" else "ML", test="z" if res.test == "z" else "t",
                                  level=res.level, study=table.study)
    if struct and not multilevel:
        from ..errors import SpecError

        raise SpecError(f"--struct {struct} needs --multilevel OUTER,INNER (e.g. --multilevel trial,outcome)")
    if multilevel and struct:
        ml_fit = _multivariate(studies, table, res, multilevel, struct, col_map)
        extras["multilevel"] = ml_fit
    elif multilevel:
        from ..errors import SpecError
        from ..stats.multilevel import multilevel as _ml

        cols = [c.strip() for c in multilevel.split(",") if c.strip()]
        if not 1 <= len(cols) <= 2:
            raise SpecError(f"--multilevel={multilevel!r} must name the cluster column and optionally the "
                            "effect-size column, e.g. study,es_id")
        vals = _csv_columns(studies, table, cols, col_map)
        method = res.method if res.method in ("REML", "ML") else None
        if method is None:
            raise SpecError(f"--multilevel fits by REML or ML; --method {res.method} is not one of 'REML', 'ML'")
        ml_fit = _ml(res.yi, res.vi, vals[cols[0]], vals[cols[1]] if len(cols) == 2 else None, method=method,
                     test="z" if res.test == "z" else "t", level=res.level)
        extras["multilevel"] = ml_fit
    if robust:
        from ..stats.robust import robust as _robust

        cl = _csv_columns(studies, table, [robust.strip()], col_map)[robust.strip()]
        extras["robust"] = _robust(ml_fit if ml_fit is not None else res, cl, vcov=vcov)
    if subgroup:
        from ..stats.subgroups import subgroup_analysis

        g = _csv_columns(studies, table, [subgroup], col_map)[subgroup]
        extras["subgroups"] = subgroup_analysis(res, groups=g, moderator=subgroup)
    if mods:
        from ..stats.regression import meta_regression

        cols = [c.strip() for c in mods.split(",") if c.strip()]
        vals = _csv_columns(studies, table, cols, col_map)
        extras["meta_regression"] = meta_regression(res, mods={c: _typed(v) for c, v in vals.items()})
    if leave_one_out:
        from ..stats.sensitivity import leave_one_out as _l1o

        extras["leave_one_out"] = _l1o(res)
    if bias:
        from ..stats.bias import small_study_summary

        extras["small_study"] = small_study_summary(res)
    if selmodel or steps:
        extras["selection_model"] = _selection(res, selmodel, steps)
    if scale:
        extras["location_scale"] = _location_scale(studies, table, res, scale, mods, col_map)
    return extras


def _multivariate(studies: str, table, res, multilevel: str, struct: str, col_map=None):
    """``--multilevel OUTER,INNER --struct S``: ``stats.multivariate`` (rma.mv, random = ~ INNER | OUTER)."""
    from ..errors import SpecError
    from ..stats.multilevel import MV_STRUCTS, MVStruct, multivariate

    st = struct.strip().upper()
    if st not in MV_STRUCTS:
        raise SpecError(f"--struct {struct!r} must be one of {', '.join(MV_STRUCTS)}")
    cols = [c.strip() for c in multilevel.split(",") if c.strip()]
    if len(cols) != 2:
        raise SpecError(f"--multilevel={multilevel!r} with --struct must name the outer and the inner column, "
                        "e.g. trial,outcome")
    if res.method not in ("REML", "ML"):
        raise SpecError(f"--struct fits by REML or ML; --method {res.method} is not one of 'REML', 'ML'")
    vals = _csv_columns(studies, table, cols, col_map)
    return multivariate(res.yi, res.vi, vals[cols[1]], vals[cols[0]], struct=cast(MVStruct, st), method=res.method,
                        test="z" if res.test == "z" else "t", level=res.level)


def _numeric_design(studies: str, table, cols_arg: str, option: str, col_map=None):
    import numpy as np

    from ..errors import SpecError

    cols = [c.strip() for c in cols_arg.split(",") if c.strip()]
    if not cols:
        raise SpecError(f"{option} {cols_arg!r} must name one or more CSV columns, e.g. {option} year")
    vals = _csv_columns(studies, table, cols, col_map)
    out = [np.ones(len(table.study))]
    for c in cols:
        v = _typed(vals[c])
        if any(isinstance(x, str) for x in v):
            raise SpecError(f"{option} column '{c}' must be numeric (code categories as 0/1 columns)")
        out.append(np.asarray([np.nan if x is None else x for x in v], dtype=float))
    return np.column_stack(out)


def _location_scale(studies: str, table, res, scale: str, mods: str | None, col_map=None):
    """``--scale COLS``: ``stats.location_scale`` (metafor ``rma(yi, vi, mods=~MODS, scale=~COLS)``)."""
    from ..errors import SpecError
    from ..stats.location_scale import location_scale

    if res.method not in ("REML", "ML"):
        raise SpecError(f"--scale fits by REML or ML; --method {res.method} is not one of 'REML', 'ML'")
    Z = _numeric_design(studies, table, scale, "--scale", col_map)
    X = _numeric_design(studies, table, mods, "--mods", col_map) if mods else None
    return location_scale(res.yi, res.vi, X, Z, method=res.method, test="z" if res.test == "z" else "t",
                          level=res.level)


def _selection(res, kind: str | None, steps: str | None):
    """``--selmodel TYPE [--steps P,...]``: ``stats.selection_model`` on the study effects."""
    from ..errors import SpecError
    from ..stats.selection import SelectionType, selection_model

    if not kind:
        raise SpecError("--steps needs --selmodel (step, beta, halfnorm or negexp)")
    kind = {"step": "stepfun", "stepfun": "stepfun"}.get(kind.strip().lower(), kind.strip().lower())
    if kind not in ("stepfun", "beta", "halfnorm", "negexp"):
        raise SpecError(f"--selmodel {kind!r} must be one of step, beta, halfnorm, negexp")
    cuts = None
    if steps:
        try:
            cuts = [float(x) for x in steps.split(",") if x.strip()]
        except ValueError:
            raise SpecError(f"--steps {steps!r} must be p-values separated by commas, e.g. 0.025,1") from None
    return selection_model(res.yi, res.vi, type=cast(SelectionType, kind), steps=cuts, level=res.level,
                           study=list(res.study))


def render_extras(extras: dict, measure: str | None = None) -> str:
    """Plain-text sections for the optional analyses (numbers formatted here only).  For ratio measures
    the subgroup and leave-one-out estimates are followed by their ratio (e.g. ``RR 0.49 [0.33, 0.73]``)."""
    from ..effects.scales import ratio_scales

    def nat(est: float, lo: float, hi: float) -> str:
        sc = ratio_scales(measure, {"estimate": est, "ci_low": lo, "ci_high": hi}, "log").get("ratio_scale")
        if not sc or sc["estimate"] is None:
            return ""
        return f" ({(measure or '').upper()} {fmt_num(sc['estimate'])} [{fmt_num(sc['ci_low'])}, {fmt_num(sc['ci_high'])}])"

    lines: list[str] = []
    pct = fmt_pval
    sg = extras.get("subgroups")
    if sg is not None:
        lines += ["", f"Subgroups by {sg.moderator} ({sg.tau2_mode} tau^2):"]
        for g in sg.groups:
            lines.append(f"  {g.level}: k = {g.k}, estimate {fmt_num(g.estimate)} [{fmt_num(g.ci_low)}, {fmt_num(g.ci_high)}]"
                         f"{nat(g.estimate, g.ci_low, g.ci_high)}, tau^2 = {fmt_num(g.tau2)}")
        df = ", ".join(str(d) for d in sg.q_between_df)
        lines.append(f"  Test for subgroup differences: {'F' if sg.distribution == 'F' else 'Q'}(df = {df}) = "
                     f"{fmt_num(sg.q_between)}, p-val {pct(sg.q_between_pvalue)}")
    mr = extras.get("meta_regression")
    if mr is not None:
        lines += ["", f"Meta-regression (k = {mr.k}; tau^2 = {fmt_num(mr.tau2)}, R^2 = "
                      f"{fmt_pct(mr.r2, 2)}):"]
        for j, n in enumerate(mr.coef_names):
            lines.append(f"  {n}: {fmt_num(mr.coef[j])} (se {fmt_num(mr.se[j])}), p-val {pct(mr.pval[j])}, "
                         f"CI [{fmt_num(mr.ci_low[j])}, {fmt_num(mr.ci_high[j])}]")
        df = ", ".join(str(d) for d in mr.qm_df if d is not None)
        lines.append(f"  Test of moderators: QM(df = {df}) = {fmt_num(mr.qm)}, p-val {pct(mr.qm_pvalue)}")
    lo = extras.get("leave_one_out")
    if lo is not None:
        lines += ["", "Leave-one-out:"]
        for s, r in zip(lo.study, lo.rows):
            lines.append(f"  without {s}: " + ("could not be fitted" if r is None else
                         f"{fmt_num(r.estimate)} [{fmt_num(r.ci_low)}, {fmt_num(r.ci_high)}]"
                         f"{nat(r.estimate, r.ci_low, r.ci_high)}, I^2 = "
                         f"{fmt_pct(r.i2, 1)}"))
    ss = extras.get("small_study")
    if ss is not None:
        lines += ["", "Small-study effects:"]
        if not ss.assessable:
            lines.append("  not assessable (fewer than 10 studies)")
        else:
            lines.append(f"  Egger's test: t = {fmt_num(ss.egger.stat)}, p-val {pct(ss.egger.pval)}; limit estimate "
                         f"{fmt_num(ss.egger.limit_estimate)}")
            er = getattr(ss, "egger_rma", None)
            if er is not None:
                lines.append(f"  Egger's test (mixed-effects, metafor's default regtest): "
                             f"{'t' if er.df is not None else 'z'} = {fmt_num(er.stat)}, p-val {pct(er.pval)}")
            lines.append(f"  Rank correlation: Kendall's tau = {fmt_num(ss.rank.tau)}, p-val {pct(ss.rank.pval)}")
            tf = ss.trimfill
            lines.append(f"  Trim-and-fill ({tf.estimator}): {tf.k0} missing on the {tf.side} side; adjusted "
                         f"{fmt_num(tf.adjusted.estimate)} [{fmt_num(tf.adjusted.ci_low)}, {fmt_num(tf.adjusted.ci_high)}]")
    ml = extras.get("multilevel")
    if ml is not None and hasattr(ml, "struct"):
        lines += _render_multivariate(ml)
    elif ml is not None:
        lines += ["", f"Multilevel model (k = {ml.k} effects in {ml.sigma2_n[0]} clusters; {ml.method}):"]
        for nm, s2, n in zip(ml.sigma2_names, ml.sigma2, ml.sigma2_n):
            lines.append(f"  sigma^2 ({nm}, {n} levels) = {fmt_num(s2)}")
        lines.append(f"  estimate {fmt_num(ml.beta[0])} (se {fmt_num(ml.se[0])}), p-val {pct(ml.pval[0])}, "
                     f"CI [{fmt_num(ml.ci_low[0])}, {fmt_num(ml.ci_high[0])}]")
        if not math.isnan(ml.pi_low):
            lines.append(f"  Prediction interval: {fmt_num(ml.pi_low)} to {fmt_num(ml.pi_high)}")
        lines.append(f"  Test for heterogeneity: Q(df = {ml.qe_df}) = {fmt_num(ml.qe)}, p-val {pct(ml.qe_pvalue)}")
    rb = extras.get("robust")
    if rb is not None:
        lines += ["", f"Cluster-robust inference ({rb.vcov}; {rb.n_clusters} clusters):"]
        lines.append(f"  estimate {fmt_num(rb.beta[0])} (se {fmt_num(rb.se[0])}), t(df = {fmt_num(rb.df[0], 2)}) = "
                     f"{fmt_num(rb.stat[0])}, p-val {pct(rb.pval[0])}, CI [{fmt_num(rb.ci_low[0])}, {fmt_num(rb.ci_high[0])}]")
    sm = extras.get("selection_model")
    if sm is not None:
        what = {"stepfun": "step function, steps " + ", ".join(fmt_num(x) for x in sm.steps)}.get(
            sm.selection_type, sm.selection_type)
        lines += ["", f"Selection model ({what}; k = {sm.k}; ML):"]
        lines.append(f"  adjusted estimate {fmt_num(sm.estimate)} (se {fmt_num(sm.se)}), p-val {pct(sm.pval)}, "
                     f"CI [{fmt_num(sm.ci_low)}, {fmt_num(sm.ci_high)}]{nat(sm.estimate, sm.ci_low, sm.ci_high)}, "
                     f"tau^2 = {fmt_num(sm.tau2)}")
        lines.append("  selection weights (delta): " + ", ".join(fmt_num(d) for d in sm.delta))
        lines.append(f"  LRT against no selection: X^2(df = {sm.lrt_df}) = {fmt_num(sm.lrt)}, p-val {pct(sm.lrt_pvalue)}")
    gm = extras.get("glmm")
    if gm is not None:
        lines += ["", f"Generalised linear mixed model ({gm.model}, {gm.method}; k = {gm.k}; metafor rma.glmm):"]
        if gm.method == "ML":
            lines.append(f"  tau^2 = {fmt_num(gm.tau2)}, I^2 = {fmt_pct(gm.i2, 1)}")
        lines.append(f"  estimate {fmt_num(gm.estimate)} (se {fmt_num(gm.se)}), p-val {pct(gm.pval)}, "
                     f"CI [{fmt_num(gm.ci_low)}, {fmt_num(gm.ci_high)}]{nat(gm.estimate, gm.ci_low, gm.ci_high)}")
        lines.append(f"  Tests for heterogeneity: Wald(df = {gm.qe_df}) = {fmt_num(gm.qe_wald)}, p-val "
                     f"{pct(gm.qe_wald_pvalue)}; LRT(df = {gm.qe_df}) = {fmt_num(gm.qe_lrt)}, p-val {pct(gm.qe_lrt_pvalue)}")
    if extras.get("location_scale") is not None:
        lines += _render_location_scale(extras["location_scale"])
    notes = [n for r in extras.values() for n in getattr(r, "notes", ())]
    if notes:
        lines += ["", "Notes (additional analyses):"] + [f"- {n.message}" for n in notes]
    return "\n".join(lines) + "\n"


def _render_multivariate(ml) -> list[str]:
    """Text lines of an ``rma.mv ~ inner | outer`` fit (``--struct``)."""
    pct = fmt_pval
    lines = ["", f"Multivariate model (k = {ml.k} effects in {ml.n_outer} groups; struct {ml.struct}; "
                      f"{ml.method}):"]
    for lv, t2 in zip(ml.inner_levels if len(ml.tau2) > 1 else ("all levels",), ml.tau2):
        lines.append(f"  tau^2 ({lv}) = {fmt_num(t2)}")
    if len(ml.rho):
        lines.append("  rho = " + ", ".join(fmt_num(r) for r in ml.rho))
    for j in range(ml.p):
        lines.append(f"  coefficient {j + 1}: {fmt_num(ml.beta[j])} (se {fmt_num(ml.se[j])}), p-val "
                     f"{pct(ml.pval[j])}, CI [{fmt_num(ml.ci_low[j])}, {fmt_num(ml.ci_high[j])}]")
    lines.append(f"  Test for heterogeneity: Q(df = {ml.qe_df}) = {fmt_num(ml.qe)}, p-val {pct(ml.qe_pvalue)}")
    return lines


def _render_location_scale(ls) -> list[str]:
    """Text lines of a location-scale fit (``--scale``)."""
    pct = fmt_pval
    lines = ["", f"Location-scale model (k = {ls.k}; {ls.method}; log link):"]
    for j in range(ls.p):
        lines.append(f"  location {j + 1}: {fmt_num(ls.beta[j])} (se {fmt_num(ls.se[j])}), p-val {pct(ls.pval[j])}, "
                     f"CI [{fmt_num(ls.ci_low[j])}, {fmt_num(ls.ci_high[j])}]")
    for j in range(ls.q):
        lines.append(f"  scale {j + 1}: {fmt_num(ls.alpha[j])} (se {fmt_num(ls.alpha_se[j])}), p-val "
                     f"{pct(ls.alpha_pval[j])}, CI [{fmt_num(ls.alpha_ci_low[j])}, {fmt_num(ls.alpha_ci_high[j])}]")
    lines.append(f"  tau^2 per study: {fmt_num(float(ls.tau2.min()))} to {fmt_num(float(ls.tau2.max()))}")
    if not math.isnan(ls.lrt):
        lines.append(f"  LRT of the scale moderators: X^2(df = {ls.lrt_df}) = {fmt_num(ls.lrt)}, p-val "
                     f"{pct(ls.lrt_pvalue)}")
    return lines
