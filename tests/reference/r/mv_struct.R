# Golden values for multivariate models with a structured random effect, metafor 3.8-1:
#   rma.mv(yi, V, mods=, random = ~ inner | outer, struct = "CS" | "HCS" | "UN" | "AR" | "HAR" | "DIAG", method = "REML" | "ML")
# Regenerate: Rscript tests/reference/r/mv_struct.R (also sourced by tests/reference/make_golden.R).
# Datasets: dat.berkey1998 (metafor's own example: V from vcalc(vi=1, cluster=author, rvars=c(v1i, v2i)),
# random = ~ outcome | trial), dat.ishak2007 (metafor's example in long format: V from vcalc(vi, cluster=study,
# time1=time, phi=0.97), random = ~ time | study; also HAR and DIAG) and dat.konstantopoulos2011 (random = ~ school | district, struct CS,
# which is the three-level model ~ 1 | district/school); dat.kalaian1996 (V from vcalc(vi, cluster=study, type=outcome,
# rho=0.66) as in metafor's help page, random = ~ outcome | study; UN, CS, HCS, DIAG).  Each model is fitted with four optimiser settings and the fit
# with the highest log-likelihood is kept (recorded in `control_used`), so that the maximum, not a stopping rule, is
# compared: "bobyqa" (minqa's bobyqa, rhoend 1e-12: no gradient, so no finite-difference noise), "nlm" (gradtol and
# steptol 1e-12), "mvctrl" (nlminb, rel.tol 1e-12) and "default" (metafor's default control).  nlminb alone (the
# earlier goldens) stops where its finite-difference gradient is ~1e-6, leaving tau2 up to 1.8e-5 (relative) short of
# the maximum on this flat likelihood (ishak2007 HCS ML: logLik 9.4e-10 lower); bobyqa or nlm reach it to ~1e-13 in
# logLik (measured: no setting beats the kept one by more than 1e-12).
# Writes tests/reference/golden/extras_mv_struct.json at %.17g.
suppressPackageStartupMessages({ library(metafor); library(metadat) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  svec <- function(x) paste0("[", paste(vapply(as.character(x), jstr, ""), collapse = ", "), "]")
  mat <- function(M) paste0("[", paste(apply(M, 1, vec), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  ctrls <- list(bobyqa = list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 1e5),
                nlm = list(optimizer = "nlm", gradtol = 1e-12, steptol = 1e-12, iterlim = 10000),
                mvctrl = list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000),
                default = list())
  be <- dat.berkey1998
  Vbe <- vcalc(vi = 1, cluster = author, rvars = c(v1i, v2i), data = be)
  ish <- reshape(dat.ishak2007, direction = "long", idvar = "study", v.names = c("yi", "vi"),
                 varying = list(c(2, 4, 6, 8), c(3, 5, 7, 9)))
  ish <- ish[order(ish$study, ish$time), ]
  ish <- ish[!is.na(ish$yi), ]
  rownames(ish) <- NULL
  Vish <- vcalc(vi, cluster = study, time1 = time, phi = 0.97, data = ish)
  ko <- dat.konstantopoulos2011
  # dat.kalaian1996 (SAT coaching, verbal and math outcomes in 47 studies), V as in metafor's help page:
  # vcalc(vi, cluster = study, type = outcome, rho = 0.66); a third dataset for the multivariate structures
  ka <- dat.kalaian1996
  Vka <- vcalc(vi, cluster = study, type = outcome, rho = 0.66, data = ka)
  dd <- list(
    berkey1998 = list(d = data.frame(yi = be$yi, outcome = be$outcome, trial = be$trial, year = be$year), V = Vbe,
                      inner = "outcome", outer = "trial"),
    ishak2007 = list(d = data.frame(yi = ish$yi, time = ish$time, study = ish$study), V = Vish,
                     inner = "time", outer = "study"),
    konstantopoulos2011 = list(d = data.frame(yi = ko$yi, vi = ko$vi, school = ko$school, district = ko$district,
                                              year = ko$year), V = diag(ko$vi), inner = "school", outer = "district"),
    kalaian1996 = list(d = data.frame(yi = ka$yi, outcome = ka$outcome, study = ka$study), V = Vka,
                       inner = "outcome", outer = "study"))
  datasets <- paste(vapply(names(dd), function(n) {
    x <- dd[[n]]
    cols <- lapply(names(x$d), function(cn) if (is.numeric(x$d[[cn]])) vec(x$d[[cn]]) else svec(x$d[[cn]]))
    names(cols) <- names(x$d)
    sprintf("%s: %s", jstr(n), obj(c(cols, list(V = mat(x$V), inner = jstr(x$inner), outer = jstr(x$outer)))))
  }, ""), collapse = ",\n")
  fit1 <- function(ds, mods, struct, method, ctl, tau2 = NULL, rho = NULL) {
    x <- dd[[ds]]
    d <- x$d
    d$V_ <- seq_len(nrow(d))
    rnd <- as.formula(sprintf("~ %s | %s", x$inner, x$outer))
    try(suppressWarnings(rma.mv(d$yi, x$V, mods = as.formula(mods), random = rnd, struct = struct, data = d,
                                method = method, control = ctl, tau2 = tau2, rho = rho)), silent = TRUE)
  }
  # A fit whose maximum lies on a bound of the parameter space (kalaian1996: rho = -1; DIAG: the math tau2 = 0):
  # metafor optimises atanh(rho) and log(tau2), which reach the bound only asymptotically, so its optimisers stop
  # short (rho = -1 + 2e-12, tau2 = 2e-13, logLik up to 8e-10 below the maximum).  The reference ("ref_*") is the
  # same model refitted by metafor with that component fixed at its bound (rma.mv(..., rho = -1) or
  # tau2 = c(NA, 0)), the best of the same four controls: the maximum over the remaining components, which is the
  # maximum of the model (checked: ref_loglik >= loglik).  Only its log-likelihood and estimates are kept (its
  # parms count the fixed component out).
  best_of <- function(...) {
    best <- NULL; used <- NA
    for (nm in names(ctrls)) {
      f <- fit1(..., ctl = ctrls[[nm]])
      if (inherits(f, "try-error")) next
      if (is.null(best) || logLik(f) > logLik(best)) { best <- f; used <- nm }
    }
    list(f = best, used = used)
  }
  grid <- list(
    list("berkey1998", "~ outcome - 1", "UN"), list("berkey1998", "~ outcome - 1", "CS"),
    list("berkey1998", "~ outcome - 1", "HCS"), list("berkey1998", "~ outcome + outcome:I(year - 1983) - 1", "UN"),
    list("ishak2007", "~ factor(time) - 1", "CS"), list("ishak2007", "~ factor(time) - 1", "HCS"),
    list("ishak2007", "~ factor(time) - 1", "AR"), list("ishak2007", "~ factor(time) - 1", "UN"),
    list("konstantopoulos2011", "~ 1", "CS"),
    list("ishak2007", "~ factor(time) - 1", "HAR"), list("ishak2007", "~ factor(time) - 1", "DIAG"),
    list("berkey1998", "~ outcome - 1", "DIAG"),
    list("kalaian1996", "~ outcome - 1", "UN"), list("kalaian1996", "~ outcome - 1", "CS"),
    list("kalaian1996", "~ outcome - 1", "HCS"), list("kalaian1996", "~ outcome - 1", "DIAG"))
  cases <- character(0)
  for (g in grid) for (method in c("REML", "ML")) {
    best <- NULL; used <- NA
    for (nm in names(ctrls)) {
      f <- fit1(g[[1]], g[[2]], g[[3]], method, ctrls[[nm]])
      if (inherits(f, "try-error")) next
      if (is.null(best) || logLik(f) > logLik(best)) { best <- f; used <- nm }
    }
    if (is.null(best)) { cat("skipped", unlist(g), method, "\n"); next }
    f <- best
    fs <- setNames(f$fit.stats[, method], rownames(f$fit.stats))
    ref <- list(ref_call = "null")
    at_rho <- g[[3]] != "DIAG" && max(abs(f$rho)) > 1 - 1e-9
    at_tau2 <- length(f$tau2) > 1 && min(f$tau2) < 1e-9 * max(f$tau2)
    if (at_rho || at_tau2) {
      fr <- if (at_rho) best_of(g[[1]], g[[2]], g[[3]], method, rho = sign(f$rho)) else
        best_of(g[[1]], g[[2]], g[[3]], method, tau2 = ifelse(f$tau2 == min(f$tau2), 0, NA))
      if (!is.null(fr$f)) {
        ffs <- setNames(fr$f$fit.stats[, method], rownames(fr$f$fit.stats))
        ref <- list(ref_call = jstr(sprintf("rma.mv(yi, V, mods = %s, random = ~ %s | %s, struct = '%s', method = '%s', %s, control = <%s>)",
                                            g[[2]], dd[[g[[1]]]]$inner, dd[[g[[1]]]]$outer, g[[3]], method,
                                            if (at_rho) sprintf("rho = %s", deparse(sign(f$rho))) else
                                              sprintf("tau2 = %s", deparse(ifelse(f$tau2 == min(f$tau2), 0, NA))), fr$used)),
                    ref_tau2 = vec(fr$f$tau2), ref_rho = vec(fr$f$rho), ref_beta = vec(fr$f$beta), ref_se = vec(fr$f$se),
                    ref_loglik = num(ffs[["ll"]]))
      }
    }
    X <- model.matrix(as.formula(g[[2]]), data = dd[[g[[1]]]]$d)
    cases <- c(cases, obj(c(list(dataset = jstr(g[[1]]), mods = jstr(g[[2]]), struct = jstr(g[[3]]), method = jstr(method),
      control_used = jstr(used),
      call = jstr(sprintf("rma.mv(yi, V, mods = %s, random = ~ %s | %s, struct = '%s', method = '%s', control = <%s>)",
                          g[[2]], dd[[g[[1]]]]$inner, dd[[g[[1]]]]$outer, g[[3]], method, used)),
      X = mat(X), g_levels = svec(f$g.levels.f[[1]]), tau2 = vec(f$tau2), rho = vec(f$rho), G = mat(f$G),
      beta = vec(f$beta), se = vec(f$se), zval = vec(f$zval), pval = vec(f$pval), ci_lb = vec(f$ci.lb),
      ci_ub = vec(f$ci.ub), QE = num(f$QE), QEp = num(f$QEp), QM = num(f$QM), QMp = num(f$QMp), parms = num(f$parms),
      loglik = num(fs[["ll"]]), deviance = num(fs[["dev"]]), aic = num(fs[["AIC"]]), bic = num(fs[["BIC"]]),
      aicc = num(fs[["AICc"]])), ref)))
  }
  out <- paste0("{\"generator\": \"tests/reference/r/mv_struct.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"datasets\": {", datasets, "},\n\"cases\": [", paste(cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_mv_struct.json"))
  cat("wrote tests/reference/golden/extras_mv_struct.json (", length(cases), "cases )\n")
})
