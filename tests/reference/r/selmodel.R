# Golden values for selection models (metafor selmodel: stepfun, halfnorm, negexp, beta), metafor 3.8-1.
# Regenerate: Rscript tests/reference/r/selmodel.R (also sourced by tests/reference/make_golden.R).
# Needs numDeriv (Debian r-cran-numderiv) for metafor's Hessian.  The optimiser is run to a tight
# tolerance with two optimizers (BFGS reltol 1e-14 and Nelder-Mead reltol 1e-16; integrate() rel.tol 1e-12 for the
# smooth types) and the fit with the higher log-likelihood is kept (`optimizer` in the JSON), so that the maximum,
# not metafor's default stopping rule (reltol 1e-8), is compared.  type="beta" fails with those controls (BFGS: "Error
# during the optimization"; nlminb at rel.tol 1e-14: no convergence), and metafor's default control stops 2.5e-4
# below the maximum in logLik (integrate() at its default rel.tol 1.2e-4); it is fitted with Nelder-Mead (reltol
# 1e-16) and with minqa's bobyqa (rhoend 1e-12), both with integrate() at rel.tol 1e-10, and the higher maximum is
# kept (measured on hackshaw1998: the two agree to 3e-8 on the estimate and 4e-8 on delta; the default control's
# estimate is 8e-5 away).  Writes tests/reference/golden/extras_selmodel.json at %.17g.
suppressPackageStartupMessages({ library(metafor); library(metadat) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)
  sctrl <- list(optimizer = "BFGS", reltol = 1e-14, maxit = 10000)
  dd <- list(
    hackshaw1998 = dat.hackshaw1998,
    bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
    egger2001 = escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001),
    bangertdrowns2004 = dat.bangertdrowns2004[!is.na(dat.bangertdrowns2004$yi), ],
    molloy2014 = escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014))
  datasets <- paste(vapply(names(dd), function(n) sprintf("%s: %s", jstr(n),
                    obj(list(yi = vec(dd[[n]]$yi), vi = vec(dd[[n]]$vi)))), ""), collapse = ",\n")
  cases <- character(0)
  # metafor's example (hackshaw1998 with steps 0.025, 0.10, 0.50, 1) and a few more; each fit at
  # reltol 1e-14 takes tens of seconds (BFGS + numDeriv Hessian), so the grid is small
  grid <- list(list("hackshaw1998", c(0.025, 1)), list("hackshaw1998", c(0.025, 0.5, 1)),
               list("hackshaw1998", c(0.025, 0.10, 0.50, 1)), list("bcg", c(0.025, 1)),
               list("bangertdrowns2004", c(0.025, 1)), list("bangertdrowns2004", c(0.025, 0.5, 1)),
               list("molloy2014", c(0.025, 1)), list("egger2001", c(0.025, 1)))
  ic <- list(rel.tol = 1e-12, subdivisions = 1000L)
  tight <- list(BFGS = list(optimizer = "BFGS", reltol = 1e-14, maxit = 10000, intCtrl = ic),
                NM = list(optimizer = "Nelder-Mead", reltol = 1e-16, maxit = 100000, intCtrl = ic))
  ib <- list(rel.tol = 1e-10, subdivisions = 1000L)
  tight_beta <- list("NM_int1e-10" = list(optimizer = "Nelder-Mead", reltol = 1e-16, maxit = 100000, intCtrl = ib),
                     "bobyqa_int1e-10" = list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 1e5, intCtrl = ib))
  best_fit <- function(fit, type, steps, alt) {
    best <- NULL; used <- NA
    ctrls <- if (type == "beta") tight_beta else tight
    for (nm in names(ctrls)) {
      s <- if (is.null(steps)) try(selmodel(fit, type = type, alternative = alt, control = ctrls[[nm]]), silent = TRUE)
           else try(selmodel(fit, type = type, steps = steps, alternative = alt, control = ctrls[[nm]]), silent = TRUE)
      if (inherits(s, "try-error")) next
      if (is.null(best) || s$ll > best$ll) { best <- s; used <- nm }
    }
    list(s = best, used = used)
  }
  one_case <- function(ds, type, steps, alt) {
    fit <- rma(yi, vi, data = dd[[ds]], method = "ML", control = ctrl)
    b <- suppressWarnings(best_fit(fit, type, steps, alt))
    s <- b$s
    if (is.null(s)) { cat("skipped", ds, type, deparse(steps), alt, "\n"); return(NULL) }
    obj(list(dataset = jstr(ds), type = jstr(type), steps = if (is.null(steps)) "null" else vec(steps),
      alternative = jstr(alt), optimizer = jstr(b$used),
      call = jstr(sprintf("selmodel(rma(yi, vi, method='ML'), type='%s'%s, alternative='%s', control=<%s>)", type,
                          if (is.null(steps)) "" else sprintf(", steps=c(%s)", paste(steps, collapse = ", ")), alt, b$used)),
      beta = num(s$beta[1]), se = num(s$se), zval = num(s$zval), pval = num(s$pval), ci_lb = num(s$ci.lb),
      ci_ub = num(s$ci.ub), tau2 = num(s$tau2), se_tau2 = num(s$se.tau2), delta = vec(s$delta),
      se_delta = vec(s$se.delta), ll = num(s$ll), ll0 = num(s$ll0), LRT = num(s$LRT), LRTdf = num(s$LRTdf),
      LRTp = num(s$LRTp), ptable = if (is.data.frame(s$ptable)) vec(s$ptable$k) else "null"))
  }
  for (g in grid) { x <- one_case(g[[1]], "stepfun", g[[2]], "greater"); if (!is.null(x)) cases <- c(cases, x) }
  smooth <- character(0)
  sgrid <- list(list("hackshaw1998", "halfnorm", NULL), list("hackshaw1998", "negexp", NULL),
                list("hackshaw1998", "beta", NULL), list("hackshaw1998", "halfnorm", c(0.025, 1)),
                list("bangertdrowns2004", "halfnorm", NULL), list("bangertdrowns2004", "negexp", NULL),
                list("molloy2014", "halfnorm", NULL), list("molloy2014", "negexp", NULL),
                list("bangertdrowns2004", "beta", NULL), list("molloy2014", "beta", NULL))
  for (g in sgrid) { x <- one_case(g[[1]], g[[2]], g[[3]], "greater"); if (!is.null(x)) smooth <- c(smooth, x) }
  out <- paste0("{\"generator\": \"tests/reference/r/selmodel.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"numderiv_version\": ", jstr(as.character(packageVersion("numDeriv"))),
                ", \"datasets\": {", datasets, "},\n\"stepfun\": [", paste(cases, collapse = ",\n"),
                "],\n\"smooth\": [", paste(smooth, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_selmodel.json"))
  cat("wrote tests/reference/golden/extras_selmodel.json\n")
})
