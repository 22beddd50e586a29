# Golden values for the three example packs under examples/ (issue 14): each pack's analyses as
# `evigrade summarize` runs them (REML with Hartung-Knapp-Sidik-Jonkman, its default, and REML with z), in metafor.
# Run from the repo root:  Rscript tests/reference/r/examples.R   (also sourced by tests/reference/make_golden.R)
# Writes tests/reference/golden/examples_bcg_tuberculosis.json, examples_antihistamines_common_cold.json and
# examples_ssri_depression_primary_care.json, every number at 17 significant digits, with the R call of each case.
#
# Input: the packs' own results.csv / safety.csv (what evigrade reads), each checked here against the metadat
# dataset it was written from (examples/build_examples.R), so the goldens are the published data's numbers.
suppressPackageStartupMessages({library(metafor); library(metadat)})
if (!file.exists("examples/build_examples.R")) stop("run from the repository root")
ctrl <- list(threshold = 1e-12, maxiter = 10000)
versions <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
                 metadat_version = as.character(packageVersion("metadat")), generator = "tests/reference/r/examples.R")
rd <- function(pack, file) read.csv(file.path("examples", pack, file), stringsAsFactors = FALSE, encoding = "UTF-8")
# JSON without extra packages: numbers at %.17g, an atomic vector of length 1 is a scalar, longer ones arrays.
jnum <- function(x) { x <- as.numeric(x); ifelse(is.na(x) | is.infinite(x), "null", sprintf("%.17g", x)) }
jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", as.character(s))), "\"")
to_json <- function(x, ind = "") {
  inner <- paste0(ind, "  ")
  if (is.null(x)) return("null")
  if (is.list(x)) {
    nm <- names(x)
    items <- vapply(seq_along(x), function(i) paste0(inner, if (!is.null(nm)) paste0(jstr(nm[i]), ": ") else "",
                                                    to_json(x[[i]], inner)), "")
    br <- if (is.null(nm)) c("[", "]") else c("{", "}")
    return(paste0(br[1], "\n", paste(items, collapse = ",\n"), "\n", ind, br[2]))
  }
  v <- if (is.character(x)) jstr(x) else if (is.logical(x)) tolower(as.character(x)) else jnum(x)
  if (length(x) == 1) v else paste0("[", paste(v, collapse = ", "), "]")
}
write_golden <- function(x, name)
  writeLines(to_json(c(versions, x)), file.path("tests/reference/golden", paste0(name, ".json")))

# One pooled analysis: escalc + rma + predict on the analysis scale (and back-transformed for ratios).
fit <- function(es, test, call, ratio, ids, participants) {
  res <- rma(yi, vi, data = es, method = "REML", test = test, control = ctrl)
  pr <- predict(res)
  out <- list(call = call, k = res$k, estimate = as.numeric(res$b), se = res$se, ci_low = res$ci.lb, ci_high = res$ci.ub,
              pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = res$tau2, i2 = res$I2 / 100, q = res$QE, q_pvalue = res$QEp,
              pvalue = res$pval, study_ids = ids, yi = as.numeric(es$yi), vi = as.numeric(es$vi),
              weights = as.numeric(weights(res)) / 100, participants = participants)
  if (ratio) {
    pe <- predict(res, transf = exp)
    out$ratio <- list(estimate = pe$pred, ci_low = pe$ci.lb, ci_high = pe$ci.ub, pi_low = pe$pi.lb, pi_high = pe$pi.ub)
  }
  out
}
binary <- function(r, measure, test, label) {
  es <- escalc(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = r)
  fit(es, test, sprintf("rma(escalc(measure='%s', ai, n1i, ci, n2i, data=%s), method='REML', test='%s', control=list(threshold=1e-12)); predict(transf=exp)",
                        measure, label, test), TRUE, r$study_id, sum(r$n1i + r$n2i))
}

# ---- 1. bcg-tuberculosis: log risk ratio of tuberculosis, vaccinated / not vaccinated --------------------------
local({
  r <- rd("bcg-tuberculosis", "results.csv")
  stopifnot(all(r$ai == dat.bcg$tpos), all(r$n1i == dat.bcg$tpos + dat.bcg$tneg),
            all(r$ci == dat.bcg$cpos), all(r$n2i == dat.bcg$cpos + dat.bcg$cneg))
  write_golden(list(
    pack = "examples/bcg-tuberculosis", dataset = "metadat::dat.bcg",
    citation = "Colditz GA, Brewer TF, Berkey CS, et al. Efficacy of BCG vaccine in the prevention of tuberculosis: meta-analysis of the published literature. JAMA. 1994;271(9):698-702.",
    finding = list(outcome = "tb", timepoint = "end_of_follow_up", comparison = "no_vaccine"),
    knha = binary(r, "RR", "knha", "examples/bcg-tuberculosis/results.csv"),
    z = binary(r, "RR", "z", "examples/bcg-tuberculosis/results.csv")), "examples_bcg_tuberculosis")
})

# ---- 2. antihistamines-common-cold: SMD (Hedges' g) of improvement, antihistamine - placebo --------------------
local({
  r <- rd("antihistamines-common-cold", "results.csv")
  d <- dat.dagostino1998
  code <- c(runny_nose.day_1 = "rnic1", runny_nose.day_2 = "rnic2", sneezing.day_1 = "snic1", sneezing.day_2 = "snic2")
  one <- function(outcome, timepoint, test) {
    s <- r[r$outcome == outcome & r$timepoint == timepoint, ]
    m <- d[d$outcome == code[[paste(outcome, timepoint, sep = ".")]] & !is.na(d$mt), ]
    stopifnot(nrow(s) == nrow(m), all(s$m1i == m$mt), all(s$sd1i == m$sdt), all(s$n1i == m$nt),
              all(s$m2i == m$mc), all(s$sd2i == m$sdc), all(s$n2i == m$nc))
    es <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = s)
    fit(es, test, sprintf("rma(escalc(measure='SMD', m1i, sd1i, n1i, m2i, sd2i, n2i, data=results.csv rows outcome=='%s' & timepoint=='%s'), method='REML', test='%s', control=list(threshold=1e-12))",
                          outcome, timepoint, test), FALSE, s$study_id, sum(s$n1i + s$n2i))
  }
  cases <- list()
  for (o in c("runny_nose", "sneezing")) for (t in c("day_1", "day_2"))
    cases[[paste(o, t, sep = "__")]] <- list(outcome = o, timepoint = t, comparison = "placebo",
                                              knha = one(o, t, "knha"), z = one(o, t, "z"))
  write_golden(list(
    pack = "examples/antihistamines-common-cold", dataset = "metadat::dat.dagostino1998",
    citation = "D'Agostino RB Sr, Weintraub M, Russell HK, et al. The effectiveness of antihistamines in reducing the severity of runny nose and sneezing: a meta-analysis. Clin Pharmacol Ther. 1998;64(6):579-596.",
    findings = cases), "examples_antihistamines_common_cold")
})

# ---- 3. ssri-depression-primary-care: odds ratios SSRI / placebo; adverse-event proportion of the SSRI arms ------
local({
  r <- rd("ssri-depression-primary-care", "results.csv")
  sf <- rd("ssri-depression-primary-care", "safety.csv")
  d <- dat.linde2015
  # cross-check a few cells against metadat (full mapping in examples/build_examples.R)
  lep <- d[d$author == "Lepola", ]
  stopifnot(r$ai[r$result_id == "response_26"] == lep$resp1, r$ci[r$result_id == "response_26"] == lep$resp2,
            sf$events[sf$safety_id == "AE26"] == lep$ae1, sf$n_patients[sf$safety_id == "AE26"] == lep$n1)
  cases <- list()
  for (o in c("response", "remission", "dropout_ae", "any_ae")) {
    s <- r[r$outcome == o, ]
    cases[[o]] <- list(outcome = o, timepoint = "end_of_treatment", comparison = "placebo",
                       knha = binary(s, "OR", "knha", sprintf("results.csv rows outcome=='%s'", o)),
                       z = binary(s, "OR", "z", sprintf("results.csv rows outcome=='%s'", o)))
  }
  prop <- function(test) {
    res <- rma(measure = "PLO", xi = sf$events, ni = sf$n_patients, method = "REML", test = test, control = ctrl)
    pr <- predict(res, transf = transf.ilogit)
    ex <- lapply(seq_len(nrow(sf)), function(i) {
      b <- binom.test(sf$events[i], sf$n_patients[i])
      list(safety_id = sf$safety_id[i], x = sf$events[i], n = sf$n_patients[i], ci_low = b$conf.int[1], ci_high = b$conf.int[2])
    })
    list(call = sprintf("rma(measure='PLO', xi=c(%s), ni=c(%s), method='REML', test='%s', control=list(threshold=1e-12)); predict(transf=transf.ilogit)",
                        paste(sf$events, collapse = ","), paste(sf$n_patients, collapse = ","), test),
         k = res$k, xi = sf$events, ni = sf$n_patients, estimate = pr$pred, ci_low = pr$ci.lb, ci_high = pr$ci.ub,
         pi_low = pr$pi.lb, pi_high = pr$pi.ub, estimate_logit = as.numeric(res$b), se_logit = res$se,
         tau2 = res$tau2, i2 = res$I2 / 100, events = sum(sf$events), total = sum(sf$n_patients), exact = ex)
  }
  write_golden(list(
    pack = "examples/ssri-depression-primary-care", dataset = "metadat::dat.linde2015",
    citation = "Linde K, Kriston L, Rücker G, et al. Efficacy and acceptability of pharmacological treatments for depressive disorders in primary care: systematic review and network meta-analysis. Ann Fam Med. 2015;13(1):69-79.",
    findings = cases,
    safety_any_per_patient = list(severity = "any", basis = "patients", knha = prop("knha"), z = prop("z"))),
    "examples_ssri_depression_primary_care")
})
cat("wrote tests/reference/golden/examples_*.json\n")
