# A careful reference for the standard errors of the selection models in extras_selmodel.json (selmodel.R).
# Regenerate: Rscript tests/reference/r/selmodel_check.R (also sourced by tests/reference/make_golden.R, after
# selmodel.R, whose golden it reads: the datasets and metafor's converged estimates and SEs of every case).
# Needs metafor, numDeriv, jsonlite.  Writes tests/reference/golden/extras_selmodel_check.json at %.17g.
#
# se_check: the SEs from a careful Richardson Hessian of metafor's own log-likelihood (metafor:::.selmodel.ll.stepfun /
# .selmodel.ll.cont: the function selmodel() maximises and differentiates), evaluated at metafor's converged
# estimates from the golden, with integrate() at rel.tol 1e-13.  The function's other arguments (weight function,
# p-values, steps, pval.min, which parameters are estimated) come from a selmodel() object of the same model at
# metafor's default control (they do not depend on the control); at the fit's own integrate() rel.tol the function
# is checked to return the golden's logLik at the golden's estimates (`ll_diff`, 0 to rounding).
# metafor's own Hessian (numDeriv, steps 0.1 |x| halved 5 times, r = 6) uses a step relative to each parameter,
# which for a weight near 0 (molloy2014 halfnorm: delta 0.0016, SE 2.26) is 7e-5 of its SE (2e-6 at the last
# halving), where the integration error of the log-likelihood dominates.  Here every parameter moves by an absolute
# step of eps times metafor's SE of it (u = (par - est) / se; numDeriv at u = 0 uses step eps; Richardson r = 6,
# v = 2), so that each step changes the log-likelihood by about eps^2 / 2 whatever the parameter's scale: eps = 0.2
# (the smallest step, 0.2 / 32 SE, changes it by 2e-5 against an integration error of ~1e-12).  A smooth weight is
# analytic in delta across its bound 0 (exp(-delta p^2), p^(a-1) (1-p)^(b-1) are defined for any real delta), so
# such a step may cross it; tau2 may not (metafor's function sets a negative tau2 to 0: the check is skipped where
# tau2 < eps SE; it is at least 0.72 SE here).  se_check_alt repeats it with eps = 0.1.
# null where a weight sits at metafor's upper bound 100 (SE ~ 1e3: a step of 0.2 SE would take a step-function
# weight below 0, where log(delta) is undefined).
suppressPackageStartupMessages({ library(metafor) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  G <- jsonlite::fromJSON(file.path("tests", "reference", "golden", "extras_selmodel.json"), simplifyVector = FALSE)
  nums <- function(x) vapply(x, function(v) if (is.null(v)) NA_real_ else as.numeric(v), 0)
  check <- function(case) {
    d <- G$datasets[[case$dataset]]
    dat <- data.frame(yi = nums(d$yi), vi = nums(d$vi))
    steps <- if (is.null(case$steps)) NULL else nums(case$steps)
    fit <- rma(yi, vi, data = dat, method = "ML")
    s <- suppressWarnings(if (is.null(steps)) selmodel(fit, type = case$type, alternative = case$alternative)
                          else selmodel(fit, type = case$type, steps = steps, alternative = case$alternative))
    k <- s$k; p <- ncol(s$X)
    par0 <- c(case$beta, case$tau2, nums(case$delta))
    se0 <- c(case$se, case$se_tau2, nums(case$se_delta))
    hest <- s$hest
    llf <- if (case$type == "stepfun") metafor:::.selmodel.ll.stepfun else metafor:::.selmodel.ll.cont
    ll <- function(par, rel.tol = 1e-13) -llf(par, yi = s$yi, vi = s$vi, X = s$X, preci = rep(1, k), k = k, pX = p,
      pvals = s$pvals, deltas = s$deltas, delta.val = rep(NA, s$deltas), delta.transf = FALSE, mapfun = NA,
      delta.min = s$delta.min, delta.max = s$delta.max, tau2.val = NA, tau2.transf = FALSE, tau2.max = Inf,
      beta.val = rep(NA, p), wi.fun = s$wi.fun, steps = s$steps, pgrp = s$pgrp, alternative = s$alternative,
      pval.min = s$pval.min, intCtrl = list(lower = -Inf, upper = Inf, subdivisions = 1000L, rel.tol = rel.tol),
      verbose = 0, digits = 4)
    fit_tol <- if (case$type == "beta") 1e-10 else 1e-12  # selmodel.R's integrate() rel.tol
    ll_diff <- ll(par0, fit_tol) - case$ll
    if (abs(ll_diff) > 1e-10 * max(1, abs(case$ll))) stop("selmodel_check: ll differs from the golden's: ", ll_diff)
    sc <- se0[hest]
    one <- function(eps) {
      if (any(!is.finite(sc)) || any(par0[-(1:(p + 1))] > 99)) return(rep(NA_real_, length(par0)))
      if (hest[p + 1] && case$tau2 <= eps * sc[p + 1]) return(rep(NA_real_, length(par0)))
      f <- function(u) { par <- par0; par[hest] <- par0[hest] + u * sc; ll(par) }
      Hu <- numDeriv::hessian(f, rep(0, sum(hest)), method.args = list(eps = eps, d = eps, zero.tol = Inf, r = 6, v = 2))
      se <- rep(NA_real_, length(par0)); se[hest] <- sqrt(diag(solve(-Hu))) * sc
      se
    }
    t0 <- proc.time()[3]
    chk <- one(0.2); alt <- one(0.1)
    cat(sprintf("%-18s %-8s %-22s ll_diff %.1e  %5.1fs  se_check/metafor - 1: %s\n", case$dataset, case$type,
                deparse(steps), ll_diff, proc.time()[3] - t0, paste(sprintf("%.1e", chk / se0 - 1), collapse = " ")))
    obj(list(dataset = jstr(case$dataset), type = jstr(case$type), steps = if (is.null(steps)) "null" else vec(steps),
             alternative = jstr(case$alternative), ll_diff = num(ll_diff), se_check = vec(chk), se_check_alt = vec(alt)))
  }
  stepfun <- vapply(G$stepfun, check, "")
  smooth <- vapply(G$smooth, check, "")
  out <- paste0("{\"generator\": \"tests/reference/r/selmodel_check.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"numderiv_version\": ", jstr(as.character(packageVersion("numDeriv"))),
                ",\n\"stepfun\": [", paste(stepfun, collapse = ",\n"), "],\n\"smooth\": [", paste(smooth, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_selmodel_check.json"))
  cat("wrote tests/reference/golden/extras_selmodel_check.json\n")
})
