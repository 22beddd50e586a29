"""The catalogue of note codes: every code a :class:`~evigrade.results.Note` of the numerical
layers (effects, stats, batch, grade rules) can carry, with the code's message.

One code per event, whichever engine reports it: ``stats.meta_analysis`` and ``batch.run`` write
the same code when, say, tau2 was truncated or only one study was given.  ``message`` is the
code's meaning in general (the batch legend, ``batch.NOTE_MESSAGES``); a stored Note's own
message says what happened in that analysis, with its numbers.

Codes that name a class of events rather than one event (``undefined``: a statistic that does
not exist for this model or k; ``k_small``: too few studies; ``fallback``: another estimator was
used) are kept as ``stats`` has always written them; their message lists the cases.
"""
from __future__ import annotations

from enum import StrEnum

from .results import Note

__all__ = ["NoteCode", "BATCH_CODES", "note_messages"]


class NoteCode(StrEnum):
    """A note code.  ``str(code)`` and ``code.value`` are the code string written to outputs."""

    # -- reading and computing effects (effects/, batch input)
    BLANK_ROWS_SKIPPED = "blank_rows_skipped"
    COLUMNS_NOT_USED = "columns_not_used"
    CSV_DELIMITER = "csv_delimiter"
    ANALYSIS_EMPTY = "analysis_empty"
    SE_FROM_CI = "se_from_ci"
    RATIO_SCALE = "ratio_scale"
    ZERO_CELL_CORRECTION = "zero_cell_correction"
    DOUBLE_ZERO_EXCLUDED = "double_zero_excluded"
    DOUBLE_ZERO_KEPT = "double_zero_kept"
    # -- fitting (stats.fit, stats.meta, stats.heterogeneity, stats.mh, batch engine)
    TAU2_TRUNCATED = "tau2_truncated"
    K_SMALL = "k_small"
    UNDEFINED = "undefined"
    FALLBACK = "fallback"
    LOCAL_MAXIMUM = "local_maximum"
    SLOW_CONVERGENCE = "slow_convergence"
    PM_INTERVAL_EXTENDED = "pm_interval_extended"
    NO_INTERCEPT = "no_intercept"
    KNHA_FE = "knha_fe"
    KNHA_ADHOC = "knha_adhoc"
    KNHA_ZERO_SCALE = "knha_zero_scale"
    TAU2_CI_NULL = "tau2_ci_null"
    TAU2_CI_BOUND = "tau2_ci_bound"
    TAU2_CI_FAILED = "tau2_ci_failed"
    PFT_BACK_TRANSFORM = "pft_back_transform"
    NON_FINITE = "non_finite"
    # -- small-study effects (stats.bias)
    NOT_ASSESSABLE = "not_assessable"
    TIES = "ties"
    NO_CONVERGENCE = "no_convergence"
    TRIMFILL_FILLED = "trimfill_filled"
    PET_PEESE_RULE = "pet_peese_rule"
    # -- sensitivity, subgroups, meta-regression
    REFIT_FAILED = "refit_failed"
    INFLUENTIAL = "influential"
    EXCLUDED = "excluded"
    NOTHING_EXCLUDED = "nothing_excluded"
    NOTHING_LEFT = "nothing_left"
    MISSING_MODERATOR = "missing_moderator"
    R2_UNDEFINED = "r2_undefined"
    PERMUTATION_FIT_FAILED = "permutation_fit_failed"
    # -- dependent effects, robust variance, selection models, other bias methods (stats)
    TRIMFILL_WALD = "trimfill_wald"
    NOT_NESTED = "not_nested"
    SELMODEL_BOUNDARY = "selmodel_boundary"
    SELMODEL_HESSIAN = "selmodel_hessian"
    SELMODEL_SENSITIVITY = "selmodel_sensitivity"
    ROBUST_REPLACES_KNHA = "robust_replaces_knha"
    ROBUST_FEW_CLUSTERS = "robust_few_clusters"
    ROBUST_CR2 = "robust_cr2"
    ROBUST_SMALL_DF = "robust_small_df"
    FSN_CAUTION = "fsn_caution"
    HC_FIXED_EFFECT = "hc_fixed_effect"
    MULTILEVEL_ONE_PER_CLUSTER = "multilevel_one_per_cluster"
    PROFILE_CI_OPEN = "profile_ci_open"
    SEVERAL_RESULTS_PER_STUDY = "several_results_per_study"
    # -- GRADE inputs (grade.rules, grade.analysis)
    MID_FROM_REFERENCE_SD = "mid_from_reference_sd"
    MID_UNITS_DIFFER = "mid_units_differ"
    MID_NOT_FOR_RATIO = "mid_not_for_ratio"
    ROB_NOT_GIVEN = "rob_not_given"
    # -- reading an evidence pack (packs.loader)
    PACK_DEFAULT_ASSUMED = "pack_default_assumed"
    PACK_TABLE_ABSENT = "pack_table_absent"

    @property
    def message(self) -> str:
        """What the code means (the sentence a table of codes prints next to it)."""
        return _MESSAGES[self]

    def note(self, message: str | None = None, *, study: str | None = None) -> Note:
        """A Note with this code and ``message`` (default: the code's own message)."""
        return Note(self.value, self.message if message is None else message, study)


_FALLBACK_ITER = ("{m} did not converge within maxiter updates (Fisher scoring, then Newton); Paule-Mandel used "
                  "(see method_used)")

_MESSAGES: dict[NoteCode, str] = {
    NoteCode.BLANK_ROWS_SKIPPED: "blank rows in the input were skipped",
    NoteCode.COLUMNS_NOT_USED: "columns the measure does not use were ignored",
    NoteCode.CSV_DELIMITER: "the CSV delimiter was detected (not a comma)",
    NoteCode.ANALYSIS_EMPTY: "an analysis had no usable study rows",
    NoteCode.SE_FROM_CI: "the sampling variance was derived from the reported CI",
    NoteCode.RATIO_SCALE: "effects given on the ratio scale were log-transformed",
    NoteCode.ZERO_CELL_CORRECTION: "a continuity correction was added to a table with a zero cell",
    NoteCode.DOUBLE_ZERO_EXCLUDED: "a study without events (or only events) in both groups was excluded",
    NoteCode.DOUBLE_ZERO_KEPT: "a study without events (or only events) in both groups was kept",
    NoteCode.TAU2_TRUNCATED: "the tau2 estimate was negative and was truncated at 0 (raw value in tau2_raw)",
    NoteCode.K_SMALL: ("only one study: tau2 cannot be estimated and was set to 0; or only two studies: tau2, I2 "
                       "and their intervals are very imprecise"),
    NoteCode.UNDEFINED: (
        "a statistic is undefined for this model or number of studies: only one study: the Knapp-Hartung test "
        "needs k > 1, so a Wald z-test is used; the prediction interval equals the CI; no CI for tau2; or a "
        "common-effect (FE) model has no between-study variance, so no prediction interval (as metafor)"),
    NoteCode.FALLBACK: (
        _FALLBACK_ITER.format(m="ML, REML or EB") + "; or Paule-Mandel failed (no root within maxiter "
        "root-finding iterations, or beyond the widened search interval); DerSimonian-Laird used"),
    NoteCode.LOCAL_MAXIMUM: ("Fisher scoring stopped at a local maximum below the likelihood at tau2 = 0; tau2 set "
                             "to 0 (as metafor)"),
    NoteCode.SLOW_CONVERGENCE: (
        "Fisher scoring had not converged after 100 iterations (metafor's default would stop without a result); "
        "the maximum was reached by Newton steps (= metafor with stepadj=0.5)"),
    NoteCode.PM_INTERVAL_EXTENDED: (
        "the Paule-Mandel root lies beyond metafor's search limit max(100, 10 mad(y)^2); the interval was widened "
        "(metafor stops with 'tau2.max too low')"),
    NoteCode.NO_INTERCEPT: "the model has no intercept; tau2 and Q use the mean-centred outcome (as metafor)",
    NoteCode.KNHA_FE: ("the Hartung-Knapp-Sidik-Jonkman adjustment is not meant for common-effect models (metafor "
                       "warns likewise)"),
    NoteCode.KNHA_ADHOC: "the HKSJ scale factor was below 1 and was set to 1 (ad hoc correction)",
    NoteCode.KNHA_ZERO_SCALE: "the weighted residuals are all 0, so the HKSJ standard error is 0 (as metafor)",
    NoteCode.TAU2_CI_NULL: "the Q-profile CI for tau2 is the null set {0}; reported as [0, 0] (as metafor)",
    NoteCode.TAU2_CI_BOUND: "a Q-profile bound reached the search limit max(100, 10 tau2) (as metafor)",
    NoteCode.TAU2_CI_FAILED: "the root finder for a Q-profile bound (lower or upper) did not converge",
    NoteCode.NON_FINITE: ("the estimate, its standard error or an interval is not a finite number (values beyond "
                          "floating-point range, e.g. yi = 1e300): the analysis failed (converged is False); "
                          "rescale the effect sizes or check them for entry errors"),
    NoteCode.PFT_BACK_TRANSFORM: "Freeman-Tukey back-transformation with the harmonic mean of the denominators",
    NoteCode.NOT_ASSESSABLE: "small-study effects were not assessed (too few studies)",
    NoteCode.TIES: "tied values: the p-value uses the normal approximation with a tie correction",
    NoteCode.NO_CONVERGENCE: "an iterative procedure did not converge",
    NoteCode.TRIMFILL_FILLED: "trim-and-fill imputed missing studies",
    NoteCode.PET_PEESE_RULE: "which of PET and PEESE is reported, by the PET intercept's p-value",
    NoteCode.REFIT_FAILED: "a model without some studies could not be fitted",
    NoteCode.INFLUENTIAL: "a study is influential by metafor's criteria",
    NoteCode.EXCLUDED: "a study was excluded from a sensitivity analysis",
    NoteCode.NOTHING_EXCLUDED: "no study met the exclusion rule; the sensitivity analysis equals the main one",
    NoteCode.NOTHING_LEFT: "every study met the exclusion rule; no analysis remains",
    NoteCode.MISSING_MODERATOR: "a study without a moderator value was excluded from the moderator analysis",
    NoteCode.R2_UNDEFINED: "tau2 is 0 without moderators, so R2 is undefined",
    NoteCode.PERMUTATION_FIT_FAILED: "permuted models that could not be fitted were skipped",
    NoteCode.MID_FROM_REFERENCE_SD: "the outcome's MID was expressed as an SMD with the reference SD",
    NoteCode.MID_UNITS_DIFFER: "the outcome's MID is in other units than the finding; it is not used",
    NoteCode.MID_NOT_FOR_RATIO: "the outcome's MID is in natural units and does not apply to a ratio measure",
    NoteCode.ROB_NOT_GIVEN: "no risk-of-bias judgements were given",
    NoteCode.PACK_DEFAULT_ASSUMED: "the pack does not state a key; a default was assumed (the note names it)",
    NoteCode.PACK_TABLE_ABSENT: "an optional table of the pack is absent and was read as empty",
    NoteCode.TRIMFILL_WALD: "the trim-and-fill data were refitted with a Wald z-test, as metafor does",
    NoteCode.NOT_NESTED: "the two models are not nested; the likelihood-ratio test may not be valid",
    NoteCode.SELMODEL_BOUNDARY: "a selection weight is at the edge of its range; the model is weakly identified",
    NoteCode.SELMODEL_HESSIAN: "the Hessian of the selection model could not be inverted; no standard errors",
    NoteCode.SELMODEL_SENSITIVITY: "a selection model is a sensitivity analysis, not a corrected effect",
    NoteCode.ROBUST_REPLACES_KNHA: "cluster-robust inference replaces the Hartung-Knapp adjustment of the fit",
    NoteCode.ROBUST_FEW_CLUSTERS: "few clusters: cluster-robust tests are unreliable",
    NoteCode.ROBUST_CR2: "cluster-robust CR2 variance with Satterthwaite degrees of freedom (clubSandwich)",
    NoteCode.ROBUST_SMALL_DF: "a robust test has fewer than 4 degrees of freedom and is unreliable",
    NoteCode.FSN_CAUTION: "the fail-safe N is a rough guide and does not correct for publication bias",
    NoteCode.HC_FIXED_EFFECT: "tau2 is 0: the Henmi-Copas interval equals the common-effect interval",
    NoteCode.MULTILEVEL_ONE_PER_CLUSTER: "every cluster has one effect: the levels cannot be separated",
    NoteCode.PROFILE_CI_OPEN: "a profile-likelihood bound was not found within the search range",
    NoteCode.SEVERAL_RESULTS_PER_STUDY: (
        "a study gives several results for one question: with results from at least 2 studies they are pooled by "
        "a multilevel model (results nested in studies, sampling correlation rho) with cluster-robust CR2 "
        "variance; with one study only its first result is shown and the others are listed"),
}

#: The codes the batch engine writes in its ``notes`` column.
BATCH_CODES: tuple[NoteCode, ...] = (
    NoteCode.TAU2_TRUNCATED, NoteCode.K_SMALL, NoteCode.UNDEFINED, NoteCode.KNHA_ZERO_SCALE, NoteCode.KNHA_FE,
    NoteCode.LOCAL_MAXIMUM, NoteCode.TAU2_CI_NULL, NoteCode.TAU2_CI_BOUND, NoteCode.TAU2_CI_FAILED,
    NoteCode.FALLBACK, NoteCode.PM_INTERVAL_EXTENDED, NoteCode.SLOW_CONVERGENCE, NoteCode.NON_FINITE,
)


def note_messages(codes: tuple[NoteCode, ...]) -> dict[str, str]:
    """``{code: message}`` for ``codes`` (plain strings, as JSON writes them)."""
    return {c.value: c.message for c in codes}
