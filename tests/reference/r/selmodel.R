# Golden values for step-function selection models (metafor selmodel(type="stepfun")), metafor 3.8-1.
# Regenerate: Rscript tests/reference/r/selmodel.R (also sourced by tests/reference/make_golden.R).
# Needs numDeriv (Debian r-cran-numderiv) for metafor's Hessian.  The optimiser is run to a tight
# tolerance (control=list(optimizer='BFGS', reltol=1e-14, maxit=10000)) so that the maximum, not metafor's default
# stopping rule (reltol 1e-8), is compared.  Writes tests/reference/golden/extras_selmodel.json at %.17g.
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
  for (g in grid) for (alt in "greater") {
    ds <- g[[1]]; steps <- g[[2]]
    fit <- rma(yi, vi, data = dd[[ds]], method = "ML", control = ctrl)
    s <- try(selmodel(fit, type = "stepfun", steps = steps, alternative = alt, control = sctrl), silent = TRUE)
    if (inherits(s, "try-error")) { cat("skipped", ds, deparse(steps), alt, ":", s); next }
    cases <- c(cases, obj(list(dataset = jstr(ds), steps = vec(steps), alternative = jstr(alt),
      call = jstr(sprintf("selmodel(rma(yi, vi, method='ML'), type='stepfun', steps=c(%s), alternative='%s', control=list(optimizer='BFGS', reltol=1e-14, maxit=10000))",
                          paste(steps, collapse = ", "), alt)),
      beta = num(s$beta[1]), se = num(s$se), zval = num(s$zval), pval = num(s$pval), ci_lb = num(s$ci.lb),
      ci_ub = num(s$ci.ub), tau2 = num(s$tau2), se_tau2 = num(s$se.tau2), delta = vec(s$delta),
      se_delta = vec(s$se.delta), ll = num(s$ll), ll0 = num(s$ll0), LRT = num(s$LRT), LRTdf = num(s$LRTdf),
      LRTp = num(s$LRTp), ptable = vec(s$ptable$k))))
  }
  out <- paste0("{\"generator\": \"tests/reference/r/selmodel.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"numderiv_version\": ", jstr(as.character(packageVersion("numDeriv"))),
                ", \"datasets\": {", datasets, "},\n\"stepfun\": [", paste(cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_selmodel.json"))
  cat("wrote tests/reference/golden/extras_selmodel.json\n")
})
