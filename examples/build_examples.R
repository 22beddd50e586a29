# Writes the data tables (studies.csv, results.csv and safety.csv) of the three example packs straight from the
# R package metadat, so that every count, mean and SD is the dataset's own value (no hand transcription).
#
#     Rscript examples/build_examples.R        (working directory = repository root)
#
# Made with R 4.2.2 and metadat 1.2.0.  pack.toml, reviews.csv, claims.csv and README.md of each pack are
# hand-written (they cite web pages, not metadat).  The metafor goldens are tests/reference/r/examples.R.
if (!file.exists("examples/build_examples.R")) stop("run from the repository root: Rscript examples/build_examples.R")
suppressPackageStartupMessages(library(metadat))
md <- paste0("R package metadat ", packageVersion("metadat"))
out <- function(df, pack, file) {
  df[] <- lapply(df, function(x) { x <- as.character(x); x[is.na(x)] <- ""; x })
  write.csv(df, file.path("examples", pack, file), row.names = FALSE, na = "", fileEncoding = "UTF-8")
}

# ---------------------------------------------------------------------------------------------------------------
# 1. bcg-tuberculosis: metadat::dat.bcg (Colditz GA et al. JAMA 1994;271(9):698-702), 13 controlled trials.
# ---------------------------------------------------------------------------------------------------------------
local({
  d <- dat.bcg
  src <- sprintf("Colditz GA et al. JAMA. 1994;271(9):698-702, via %s (dat.bcg, trial %d)", md, d$trial)
  sid <- sprintf("bcg%02d", d$trial)
  nonrandom <- d$alloc != "random"
  studies <- data.frame(
    study_id = sid, citation = paste(d$author, d$year), year = d$year, population = "all",
    design = paste0("controlled trial, ", d$alloc, " allocation"),
    intervention = "BCG vaccine", comparator = "no vaccination", comparison = "no_vaccine",
    rob_d1 = ifelse(nonrandom, "high", ""), rob_overall = ifelse(nonrandom, "high", ""),
    alloc = d$alloc, ablat = d$ablat,
    notes = ifelse(nonrandom,
                   paste0("allocation ", d$alloc, " (not random): RoB 2 domain 1 (randomisation process) judged high ",
                          "by the pack author from dat.bcg's alloc column; other domains not assessed"),
                   "random allocation (dat.bcg alloc); risk of bias not assessed in this pack"),
    source = src, source_row = sprintf("dat.bcg row %d", d$trial), stringsAsFactors = FALSE)
  results <- data.frame(
    result_id = sprintf("TB%02d", d$trial), study_id = sid, outcome = "tb", timepoint = "end_of_follow_up",
    comparison = "no_vaccine", data_type = "arm_level", measure = "RR",
    ai = d$tpos, n1i = d$tpos + d$tneg, ci = d$cpos, n2i = d$cpos + d$cneg,
    timepoint_as_stated = "end of the trial's follow-up (duration not in dat.bcg)",
    notes = sprintf("vaccinated: %d TB cases, %d without TB; not vaccinated: %d TB cases, %d without TB (tpos, tneg, cpos, cneg)",
                    d$tpos, d$tneg, d$cpos, d$cneg),
    source = src, source_row = sprintf("dat.bcg row %d", d$trial), stringsAsFactors = FALSE)
  out(studies, "bcg-tuberculosis", "studies.csv")
  out(results, "bcg-tuberculosis", "results.csv")
})

# ---------------------------------------------------------------------------------------------------------------
# 2. antihistamines-common-cold: metadat::dat.dagostino1998 (D'Agostino RB Sr et al. Clin Pharmacol Ther
#    1998;64(6):579-596), 9 placebo-controlled trials; continuous outcomes rnic1/rnic2 (runny nose) and
#    snic1/snic2 (sneezing): improvement in severity after 1 and 2 days (higher = more improvement).
# ---------------------------------------------------------------------------------------------------------------
local({
  d <- dat.dagostino1998
  s <- unique(d[, c("study", "cold", "scale.rn", "scale.sn", "drug", "tnt", "tnc")])
  src_s <- sprintf("D'Agostino RB Sr et al. Clin Pharmacol Ther. 1998;64(6):579-596, via %s (dat.dagostino1998, study %d)", md, s$study)
  studies <- data.frame(
    study_id = sprintf("dag%d", s$study),
    citation = sprintf("Study %d of D'Agostino 1998 (%s, %s cold)", s$study, s$drug, s$cold), population = "cold",
    design = "placebo-controlled trial", n_randomised = s$tnt + s$tnc,
    intervention = s$drug, comparator = "placebo", comparison = "placebo",
    notes = sprintf("%s cold; runny-nose severity scale %s, sneezing scale %s; total sample size %d (%s) + %d (placebo); trial names are not in dat.dagostino1998",
                    s$cold, s$scale.rn, s$scale.sn, s$tnt, s$drug, s$tnc),
    source = src_s, source_row = sprintf("dat.dagostino1998 study %d", s$study), stringsAsFactors = FALSE)
  map <- data.frame(code = c("rnic1", "rnic2", "snic1", "snic2"), outcome = c("runny_nose", "runny_nose", "sneezing", "sneezing"),
                    timepoint = c("day_1", "day_2", "day_1", "day_2"), stringsAsFactors = FALSE)
  rows <- d[d$outcome %in% map$code & !is.na(d$mt), ]
  rows <- rows[order(match(rows$outcome, map$code), rows$study), ]
  m <- map[match(rows$outcome, map$code), ]
  scale <- ifelse(m$outcome == "runny_nose", rows$scale.rn, rows$scale.sn)
  instr <- ifelse(m$outcome == "runny_nose", "runny nose severity", "sneezing severity")
  results <- data.frame(
    result_id = sprintf("%s_%d", rows$outcome, rows$study), study_id = sprintf("dag%d", rows$study),
    outcome = m$outcome, timepoint = m$timepoint, comparison = "placebo", data_type = "arm_level", measure = "SMD",
    instrument = instr, unit = sprintf("improvement in %s score (scale %s; higher = more improvement)", instr, scale),
    m1i = rows$mt, sd1i = rows$sdt, n1i = rows$nt, m2i = rows$mc, sd2i = rows$sdc, n2i = rows$nc,
    timepoint_as_stated = ifelse(m$timepoint == "day_1", "after 1 day of treatment", "after 2 days of treatment"),
    notes = sprintf("dat.dagostino1998 outcome %s (incremental change = improvement in severity)", rows$outcome),
    source = sprintf("D'Agostino RB Sr et al. Clin Pharmacol Ther. 1998;64(6):579-596, via %s (dat.dagostino1998, study %d, outcome %s)",
                     md, rows$study, rows$outcome),
    source_row = sprintf("dat.dagostino1998 row %s", rownames(rows)), stringsAsFactors = FALSE)
  out(studies, "antihistamines-common-cold", "studies.csv")
  out(results, "antihistamines-common-cold", "results.csv")
})

# ---------------------------------------------------------------------------------------------------------------
# 3. ssri-depression-primary-care: metadat::dat.linde2015 (Linde K et al. Ann Fam Med 2015;13(1):69-79), the 8
#    trials with an SSRI arm and a placebo arm; arm-level counts of early response, early remission, loss to
#    follow-up due to adverse events and patients with any adverse event; safety.csv = the SSRI arms' adverse-event
#    counts (patients with at least one adverse event).
# ---------------------------------------------------------------------------------------------------------------
local({
  d <- dat.linde2015
  arm <- function(i, tr) { a <- which(c(d$treatment1[i], d$treatment2[i], d$treatment3[i]) == tr); if (length(a)) a[1] else NA }
  keep <- which(sapply(seq_len(nrow(d)), function(i) !is.na(arm(i, "SSRI")) && !is.na(arm(i, "Placebo"))))
  get <- function(i, var, a) d[[paste0(var, a)]][i]
  src <- function(i) sprintf("Linde K et al. Ann Fam Med. 2015;13(1):69-79, via %s (dat.linde2015, study id %d, %s %d)",
                             md, d$id[i], d$author[i], d$year[i])
  sid <- function(i) sprintf("linde%02d", d$id[i])
  studies <- do.call(rbind, lapply(keep, function(i) {
    s <- arm(i, "SSRI"); p <- arm(i, "Placebo")
    arms <- c(d$treatment1[i], d$treatment2[i], d$treatment3[i]); arms <- arms[arms != ""]
    data.frame(study_id = sid(i), citation = paste(d$author[i], d$year[i]), year = d$year[i], population = "primary_care",
               design = "randomised controlled trial in primary care",
               n_randomised = sum(c(d$n1[i], d$n2[i], d$n3[i]), na.rm = TRUE),
               intervention = "SSRI", comparator = "placebo", comparison = "placebo",
               notes = sprintf("arms in dat.linde2015: %s; SSRI arm n = %d, placebo arm n = %d; the specific SSRI is not named in dat.linde2015",
                               paste(arms, collapse = ", "), get(i, "n", s), get(i, "n", p)),
               source = src(i), source_row = sprintf("dat.linde2015 row %d", i), stringsAsFactors = FALSE)
  }))
  outcomes <- list(c("resp", "response", "early response (>= 50% reduction on a depression scale after treatment)"),
                   c("remi", "remission", "early remission (symptom score below a fixed threshold after treatment)"),
                   c("loss.ae", "dropout_ae", "lost to follow-up due to adverse events"),
                   c("ae", "any_ae", "patients with any adverse event"))
  results <- do.call(rbind, lapply(outcomes, function(o) do.call(rbind, lapply(keep, function(i) {
    s <- arm(i, "SSRI"); p <- arm(i, "Placebo")
    a <- get(i, o[1], s); c_ <- get(i, o[1], p)
    if (is.na(a) || is.na(c_)) return(NULL)
    data.frame(result_id = sprintf("%s_%02d", o[2], d$id[i]), study_id = sid(i), outcome = o[2], timepoint = "end_of_treatment",
               comparison = "placebo", data_type = "arm_level", measure = "OR",
               ai = a, n1i = get(i, "n", s), ci = c_, n2i = get(i, "n", p),
               timepoint_as_stated = "after completion of treatment",
               notes = sprintf("dat.linde2015 columns %s%d/n%d (SSRI arm %d) and %s%d/n%d (placebo arm %d): %s",
                               o[1], s, s, s, o[1], p, p, p, o[3]),
               source = src(i), source_row = sprintf("dat.linde2015 row %d", i), stringsAsFactors = FALSE)
  }))))
  safety <- do.call(rbind, lapply(keep, function(i) {
    s <- arm(i, "SSRI"); ev <- get(i, "ae", s)
    if (is.na(ev)) return(NULL)
    data.frame(safety_id = sprintf("AE%02d", d$id[i]), source_id = sid(i), citation = paste(d$author[i], d$year[i]),
               design = "randomised controlled trial (SSRI arm)", severity = "any",
               severity_as_reported = "any adverse event", event = "any adverse event (patients with at least one)",
               population = "adults with depression treated in primary care", region_specific = "yes", aggregate = "yes",
               n_patients = get(i, "n", s), events = ev, denominator_basis = "patients",
               time_window = "during the trial (until completion of treatment)",
               notes = sprintf("dat.linde2015 columns ae%d/n%d (SSRI arm); placebo arm: %d of %d (results.csv any_ae_%02d)",
                               s, s, get(i, "ae", arm(i, "Placebo")), get(i, "n", arm(i, "Placebo")), d$id[i]),
               source = src(i), source_row = sprintf("dat.linde2015 row %d", i), stringsAsFactors = FALSE)
  }))
  out(studies, "ssri-depression-primary-care", "studies.csv")
  out(results, "ssri-depression-primary-care", "results.csv")
  out(safety, "ssri-depression-primary-care", "safety.csv")
})
cat("wrote the data tables of examples/bcg-tuberculosis, examples/antihistamines-common-cold, examples/ssri-depression-primary-care\n")
