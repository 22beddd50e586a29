# Goldens for packs with several results per study (issue 20): evigrade.pipeline.pooling.pool_multilevel, i.e.
#
#     V   <- vcalc(vi, cluster = study, obs = es_id, rho = rho)
#     res <- rma.mv(yi, V, random = ~ 1 | study/es_id, method = "REML")
#     rob <- robust(res, cluster = study, clubSandwich = TRUE)      # CR2, Satterthwaite df (clubSandwich)
#     predict(rob)                                                  # CI and PI with the robust df
#
# rma.mv runs nlminb (metafor's default optimizer) to rel.tol = 1e-12 so that the optimum, not the stopping rule,
# is compared (as extras.R).
#
# plus the multilevel I² (metafor FAQ, Nakagawa & Santos 2012) in total and per level, QE, and
# weights(res) (diagonal, the default) and weights(res, type = "rowsum").  Each case reads the test pack's own CSV, so the inputs are the ones
# `summarize` sees.  Run from the repository root (part of tests/reference/make_golden.R):
#     Rscript tests/reference/r/packs_multilevel.R
# Needs metafor, metadat, clubSandwich (Debian r-cran-clubsandwich) and jsonlite.
suppressPackageStartupMessages({library(metafor); library(metadat); library(clubSandwich); library(jsonlite)})

ml_case <- function(yi, vi, study, es_id, rho, call) {
  V <- vcalc(vi, cluster = study, obs = es_id, rho = rho)
  ctrl <- "nlminb rel.tol = 1e-12"
  res <- tryCatch(rma.mv(yi, V, random = ~ 1 | study/es_id, method = "REML",
                         control = list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000)),
                  error = function(e) NULL)
  if (is.null(res)) {
    # nlminb reports no convergence when a component's REML optimum is on its boundary 0; Nelder-Mead reaches
    # it.  The likelihood is flat there: R's optimisers (Nelder-Mead, BFGS, nlm, nlminb with that component
    # fixed at 0) agree on the other component to about 1e-7 only, so these cases are compared at 1e-6.
    ctrl <- "optim Nelder-Mead reltol = 1e-14 (nlminb at rel.tol = 1e-12 reports no convergence: a component at 0)"
    res <- rma.mv(yi, V, random = ~ 1 | study/es_id, method = "REML",
                  control = list(optimizer = "optim", optmethod = "Nelder-Mead", reltol = 1e-14, maxit = 100000))
  }
  rob <- robust(res, cluster = study, clubSandwich = TRUE)
  pr <- predict(rob)
  W <- solve(V)
  X <- model.matrix(res)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  typical <- (res$k - res$p) / sum(diag(P))
  list(call = call, control = ctrl, rho = rho, k_effects = res$k, k_studies = length(unique(study)),
       estimate = as.numeric(rob$b), se = as.numeric(rob$se), tval = as.numeric(rob$zval), df = as.numeric(rob$ddf),
       pval = as.numeric(rob$pval), ci_low = as.numeric(rob$ci.lb), ci_high = as.numeric(rob$ci.ub),
       pi_low = pr$pi.lb, pi_high = pr$pi.ub, sigma2 = res$sigma2,
       i2 = sum(res$sigma2) / (sum(res$sigma2) + typical), i2_levels = res$sigma2 / (sum(res$sigma2) + typical),
       qe = res$QE, qe_df = res$k - res$p, qe_pvalue = res$QEp,
       weights = as.numeric(weights(res)) / 100, weights_rowsum = as.numeric(weights(res, type = "rowsum")) / 100,
       es_id = as.character(es_id))
}

cases <- list()
# 1-2. tests/packs/data/konstantopoulos2011 (metadat::dat.konstantopoulos2011): districts = studies, schools = results
k11 <- read.csv("tests/packs/data/konstantopoulos2011/results.csv", colClasses = "character")
stopifnot(all(as.numeric(k11$estimate) == dat.konstantopoulos2011$yi),
          isTRUE(all.equal(as.numeric(k11$se)^2, dat.konstantopoulos2011$vi, tolerance = 1e-15)))
yi <- as.numeric(k11$estimate); vi <- as.numeric(k11$se)^2
for (rho in c(0.6, 0.8)) {
  cases[[sprintf("konstantopoulos2011_rho%g", rho)]] <- ml_case(yi, vi, k11$study_id, k11$result_id, rho, sprintf(
    "yi = estimate, vi = se^2 of tests/packs/data/konstantopoulos2011/results.csv; V <- vcalc(vi, study_id, obs = result_id, rho = %g); robust(rma.mv(yi, V, random = ~ 1 | study_id/result_id), cluster = study_id, clubSandwich = TRUE); predict()", rho))
}
# 3. tests/packs/data/effects_mini: R1, R2 (sign reversed), R3 (a second result of B2002), R7; se from the 95% CIs
yi <- c(-1.2, -0.9, -1.0, -2.0)
vi <- (c(-0.4 - -2.0, -0.1 - -1.7, -0.5 - -1.5, -0.9 - -3.1) / (2 * qnorm(0.975)))^2
cases[["effects_mini"]] <- ml_case(yi, vi, c("A2001", "B2002", "B2002", "F2006"), c("R1", "R2", "R3", "R7"), 0.6,
  "yi = c(-1.2, -0.9, -1.0, -2.0), sei = CI width / (2 qnorm(0.975)), study = A2001, B2002, B2002, F2006; rho = 0.6")
# 4. tests/packs/data/nrt_hartmannboyce2018: log RR per NRT arm (Moolchan 2005: 2 arms, Piper 2009: 3 arms)
nrt <- read.csv("tests/packs/data/nrt_hartmannboyce2018/results.csv", stringsAsFactors = FALSE)
es <- escalc(measure = "RR", ai = nrt$ai, n1i = nrt$n1i, ci = nrt$ci, n2i = nrt$n2i)
cases[["nrt_hartmannboyce2018"]] <- ml_case(as.numeric(es$yi), as.numeric(es$vi), nrt$study_id, nrt$result_id, 0.6,
  "escalc('RR', ai, n1i, ci, n2i) of tests/packs/data/nrt_hartmannboyce2018/results.csv; vcalc(vi, study_id, obs = result_id, rho = 0.6); robust(rma.mv(...), clubSandwich = TRUE)")

out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            clubsandwich_version = as.character(packageVersion("clubSandwich")), cases = cases)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_multilevel.json")
