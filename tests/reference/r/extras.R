# Golden values for the statistics reviewers reach for after rma() (issue 20):
#   fit statistics (logLik, deviance, AIC, BIC, AICc; ML and REML), anova() (LRT and Wald),
#   predict(newmods=), test="t", trimfill() on a Hartung-Knapp fit, cumul() in data order,
#   robust() (CR1; CR2 through clubSandwich), rma.mv multilevel models and vcalc().
#
# Regenerate (from the repository root):
#     Rscript tests/reference/r/extras.R        (or Rscript tests/reference/make_golden.R)
# Needs R with metafor, metadat and clubSandwich (Debian: r-cran-metafor r-cran-metadat
# r-cran-clubsandwich).  Writes tests/reference/golden/extras_rma.json and extras_mv.json with every
# number at %.17g, the R, metafor, metadat and clubSandwich versions and the R call of every case.
suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(clubSandwich)
})

local({
  outdir <- file.path("tests", "reference", "golden")
  dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)
  # rma.mv: nlminb (metafor's default optimizer) run to tight tolerances so that the optimum, not
  # the stopping rule, is compared
  mvctrl <- list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000)

  num <- function(x) {
    if (is.na(x) || is.infinite(x)) return("null")
    sprintf("%.17g", x)
  }
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
  arr <- function(x) structure(list(v = x), class = "jarr")
  to_json <- function(x) {
    if (inherits(x, "jarr")) {
      v <- x$v
      if (length(v) == 0) return("[]")
      return(paste0("[", paste(vapply(seq_along(v), function(i) to_json(v[[i]]), ""), collapse = ", "), "]"))
    }
    if (is.null(x)) return("null")
    if (is.matrix(x)) return(to_json(lapply(seq_len(nrow(x)), function(i) arr(as.numeric(x[i, ])))))
    if (is.list(x)) {
      nm <- names(x)
      if (is.null(nm)) return(paste0("[", paste(vapply(x, to_json, ""), collapse = ",\n"), "]"))
      parts <- vapply(seq_along(x), function(i) paste0(jstr(nm[i]), ": ", to_json(x[[i]])), "")
      return(paste0("{", paste(parts, collapse = ", "), "}"))
    }
    if (is.factor(x)) x <- as.character(x)
    if (length(x) != 1) return(to_json(arr(x)))
    if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
    if (is.character(x)) return(if (is.na(x)) "null" else jstr(x))
    if (is.numeric(x)) return(num(as.numeric(x)))
    stop("cannot serialise")
  }
  write_golden <- function(obj, name) {
    obj <- c(list(
      generator = "tests/reference/r/extras.R",
      r_version = R.version.string,
      metafor_version = as.character(packageVersion("metafor")),
      metadat_version = as.character(packageVersion("metadat")),
      clubsandwich_version = as.character(packageVersion("clubSandwich")),
      control = "rma: control=list(threshold=1e-12, maxiter=10000, stepadj=0.5, tol=1e-12); rma.mv: control=list(rel.tol=1e-12, eval.max=10000, iter.max=10000)"
    ), obj)
    path <- file.path(outdir, name)
    writeLines(to_json(obj), path)
    cat("wrote", path, "\n")
  }
  v <- function(x) arr(as.numeric(x))
  fstats <- function(fit) {
    fs <- fitstats(fit)
    list(loglik = fs[1, 1], deviance = fs[2, 1], aic = fs[3, 1], bic = fs[4, 1], aicc = fs[5, 1])
  }
  coefs <- function(fit) list(beta = v(fit$beta), se = v(fit$se), zval = v(fit$zval), pval = v(fit$pval),
                              ci_lb = v(fit$ci.lb), ci_ub = v(fit$ci.ub), dfs = if (is.null(fit$ddf)) NA else v(fit$ddf))

  # ---------------------------------------------------------------- datasets
  bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  norm <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                 n2i = n2i, data = dat.normand1999)
  mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
  hack <- dat.hackshaw1998
  bd <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
               data = dat.normand1999)[0, ]
  bang <- dat.bangertdrowns2004
  bang <- bang[!is.na(bang$yi), ]
  datasets <- list(
    bcg = list(yi = v(bcg$yi), vi = v(bcg$vi), ablat = v(bcg$ablat), year = v(bcg$year),
               alloc = as.character(bcg$alloc)),
    normand1999 = list(yi = v(norm$yi), vi = v(norm$vi)),
    molloy2014 = list(yi = v(mol$yi), vi = v(mol$vi), year = v(mol$year)),
    hackshaw1998 = list(yi = v(hack$yi), vi = v(hack$vi), year = v(hack$year)),
    bangertdrowns2004 = list(yi = v(bang$yi), vi = v(bang$vi), year = v(bang$year), grade = v(bang$grade))
  )
  dd <- list(bcg = bcg, normand1999 = norm, molloy2014 = mol, hackshaw1998 = hack, bangertdrowns2004 = bang)

  # ---------------------------------------------------------------- fit statistics + test="t"
  fit_cases <- list()
  for (ds in names(dd)) for (method in c("FE", "DL", "ML", "REML", "PM")) for (test in c("z", "t", "knha")) {
    fit <- rma(yi, vi, data = dd[[ds]], method = method, test = test, control = ctrl)
    fit_cases[[length(fit_cases) + 1]] <- c(list(
      dataset = ds, mods = arr(character(0)), method = method, test = test,
      call = sprintf("fitstats(rma(yi, vi, data=%s, method='%s', test='%s', control=ctrl))", ds, method, test),
      tau2 = fit$tau2, parms = fit$parms), fstats(fit), coefs(fit))
  }
  modsets <- list(bcg = list(c("ablat"), c("ablat", "year")), molloy2014 = list(c("year")),
                  bangertdrowns2004 = list(c("grade"), c("grade", "year")))
  for (ds in names(modsets)) for (ms in modsets[[ds]]) for (method in c("FE", "DL", "ML", "REML")) for (test in c("z", "t")) {
    fml <- as.formula(paste("~", paste(ms, collapse = " + ")))
    fit <- rma(yi, vi, mods = fml, data = dd[[ds]], method = method, test = test, control = ctrl)
    fit_cases[[length(fit_cases) + 1]] <- c(list(
      dataset = ds, mods = arr(ms), method = method, test = test,
      call = sprintf("fitstats(rma(yi, vi, mods=~%s, data=%s, method='%s', test='%s', control=ctrl))",
                     paste(ms, collapse = "+"), ds, method, test),
      tau2 = fit$tau2, parms = fit$parms, QM = fit$QM, QMdf = v(fit$QMdf), QMp = fit$QMp), fstats(fit), coefs(fit))
  }

  # ---------------------------------------------------------------- anova: LRT (ML nested) and Wald
  lrt_cases <- list()
  for (ds in names(modsets)) for (ms in modsets[[ds]]) for (method in c("ML", "FE")) {
    fml <- as.formula(paste("~", paste(ms, collapse = " + ")))
    full <- rma(yi, vi, mods = fml, data = dd[[ds]], method = method, control = ctrl)
    red <- rma(yi, vi, data = dd[[ds]], method = method, control = ctrl)
    a <- anova(full, red)
    lrt_cases[[length(lrt_cases) + 1]] <- list(
      dataset = ds, full_mods = arr(ms), reduced_mods = arr(character(0)), method = method,
      call = sprintf("anova(rma(yi, vi, mods=~%s, method='%s'), rma(yi, vi, method='%s'))", paste(ms, collapse = "+"), method, method),
      LRT = a$LRT, pval = a$pval, df_full = a$parms.f, df_reduced = a$parms.r,
      aic_full = a$fit.stats.f[["AIC"]], aic_reduced = a$fit.stats.r[["AIC"]],
      bic_full = a$fit.stats.f[["BIC"]], bic_reduced = a$fit.stats.r[["BIC"]],
      ll_full = a$fit.stats.f[["ll"]], ll_reduced = a$fit.stats.r[["ll"]],
      QE_full = a$QE.f, QE_reduced = a$QE.r, tau2_full = a$tau2.f, tau2_reduced = a$tau2.r, R2 = a$R2)
  }
  # REML: random-effects vs common-effect model with the same (intercept-only) fixed effects
  for (ds in names(dd)) {
    full <- rma(yi, vi, data = dd[[ds]], method = "REML", control = ctrl)
    red <- rma(yi, vi, data = dd[[ds]], method = "REML", tau2 = 0, control = ctrl)
    a <- anova(full, red)
    lrt_cases[[length(lrt_cases) + 1]] <- list(
      dataset = ds, full_mods = arr(character(0)), reduced_mods = arr(character(0)), method = "REML",
      reduced_tau2_fixed = 0,
      call = "anova(rma(yi, vi, method='REML'), rma(yi, vi, method='REML', tau2=0))",
      LRT = a$LRT, pval = a$pval, df_full = a$parms.f, df_reduced = a$parms.r,
      aic_full = a$fit.stats.f[["AIC"]], aic_reduced = a$fit.stats.r[["AIC"]],
      bic_full = a$fit.stats.f[["BIC"]], bic_reduced = a$fit.stats.r[["BIC"]],
      ll_full = a$fit.stats.f[["ll"]], ll_reduced = a$fit.stats.r[["ll"]],
      QE_full = a$QE.f, QE_reduced = a$QE.r, tau2_full = a$tau2.f, tau2_reduced = a$tau2.r, R2 = NA)
  }
  wald_cases <- list()
  for (ds in c("bcg", "bangertdrowns2004")) for (method in c("DL", "REML")) for (test in c("z", "knha", "t")) {
    ms <- modsets[[ds]][[2]]
    fml <- as.formula(paste("~", paste(ms, collapse = " + ")))
    fit <- rma(yi, vi, mods = fml, data = dd[[ds]], method = method, test = test, control = ctrl)
    for (btt in list(2L, 3L, 2:3, 1:3)) {
      a <- anova(fit, btt = btt)
      wald_cases[[length(wald_cases) + 1]] <- list(
        dataset = ds, mods = arr(ms), method = method, test = test, btt = arr(btt - 1L),
        call = sprintf("anova(rma(yi, vi, mods=~%s, method='%s', test='%s'), btt=c(%s))", paste(ms, collapse = "+"),
                       method, test, paste(btt, collapse = ",")),
        QM = a$QM, QMdf = v(a$QMdf), QMp = a$QMp)
    }
    L <- rbind(c(0, 1, 0), c(0, 1, -1), c(1, 10, 1990))
    a <- anova(fit, X = L)
    wald_cases[[length(wald_cases) + 1]] <- list(
      dataset = ds, mods = arr(ms), method = method, test = test, L = L,
      call = sprintf("anova(rma(yi, vi, mods=~%s, method='%s', test='%s'), X=rbind(c(0,1,0),c(0,1,-1),c(1,10,1990)))",
                     paste(ms, collapse = "+"), method, test),
      Xb = v(a$Xb), se = v(a$se), zval = v(a$zval), pval = v(a$pval), QM = a$QM, QMdf = v(a$QMdf), QMp = a$QMp)
  }

  # ---------------------------------------------------------------- predict(newmods=)
  pred_cases <- list()
  newm <- list(bcg = list(ablat = cbind(c(10, 30, 50, 33.46)), "ablat+year" = cbind(c(10, 30, 50), c(1950, 1970, 1990))),
               bangertdrowns2004 = list(grade = cbind(c(1, 2, 4)), "grade+year" = cbind(c(1, 2, 4), c(1980, 1990, 2000))))
  for (ds in names(newm)) for (nm in names(newm[[ds]])) for (method in c("DL", "REML", "FE")) for (test in c("z", "knha", "t")) {
    fml <- as.formula(paste("~", nm))
    fit <- rma(yi, vi, mods = fml, data = dd[[ds]], method = method, test = test, control = ctrl)
    nmods <- newm[[ds]][[nm]]
    p <- predict(fit, newmods = nmods)
    pred_cases[[length(pred_cases) + 1]] <- list(
      dataset = ds, mods = arr(strsplit(nm, "+", fixed = TRUE)[[1]]), method = method, test = test, newmods = nmods,
      call = sprintf("predict(rma(yi, vi, mods=~%s, method='%s', test='%s'), newmods=...)", nm, method, test),
      pred = v(p$pred), se = v(p$se), ci_lb = v(p$ci.lb), ci_ub = v(p$ci.ub),
      pi_lb = if (is.null(p$pi.lb)) NA else v(p$pi.lb), pi_ub = if (is.null(p$pi.ub)) NA else v(p$pi.ub))
  }

  # ---------------------------------------------------------------- trimfill on a Hartung-Knapp fit
  tf_cases <- list()
  for (ds in names(dd)) for (method in c("REML", "DL")) for (est in c("L0", "R0")) {
    fit0 <- rma(yi, vi, data = dd[[ds]], method = method, test = "knha", control = ctrl)
    tf <- trimfill(fit0, estimator = est, control = ctrl)
    tf_cases[[length(tf_cases) + 1]] <- list(
      dataset = ds, method = method, test = "knha", estimator = est,
      call = sprintf("trimfill(rma(yi, vi, method='%s', test='knha', control=ctrl), estimator='%s')", method, est),
      k0 = tf$k0, side = tf$side, beta = as.numeric(tf$beta), se = tf$se, zval = tf$zval, pval = tf$pval,
      ci_lb = tf$ci.lb, ci_ub = tf$ci.ub, tau2 = tf$tau2, result_test = tf$test)
  }

  # ---------------------------------------------------------------- cumul() in data order (its default)
  cu_cases <- list()
  for (ds in names(dd)) for (test in c("z", "knha")) {
    fit0 <- rma(yi, vi, data = dd[[ds]], method = "REML", test = test, control = ctrl)
    cu <- cumul(fit0)
    cu_cases[[length(cu_cases) + 1]] <- list(
      dataset = ds, method = "REML", test = test,
      call = sprintf("cumul(rma(yi, vi, method='REML', test='%s', control=ctrl))", test),
      estimate = v(cu$estimate), se = v(cu$se), ci_lb = v(cu$ci.lb), ci_ub = v(cu$ci.ub), tau2 = v(cu$tau2))
  }

  write_golden(list(datasets = datasets, fits = fit_cases, lrt = lrt_cases, wald = wald_cases,
                    predict = pred_cases, trimfill_knha = tf_cases, cumul_default = cu_cases), "extras_rma.json")

  # ================================================================ dependent effects
  kon <- dat.konstantopoulos2011
  ass <- dat.assink2016
  # dat.bornmann2007 (gender and grant awards: 66 log odds ratios in 21 studies; metafor's help page fits it with
  # random = ~ 1 | study/obs), a third dataset beyond metafor's example; year centred at 2000
  bor <- escalc(measure = "OR", ai = waward, n1i = wtotal, ci = maward, n2i = mtotal, data = dat.bornmann2007)
  bor$cluster <- as.integer(factor(bor$study, levels = unique(bor$study)))
  mvdata <- list(
    konstantopoulos2011 = list(yi = v(kon$yi), vi = v(kon$vi), cluster = v(kon$district), obs = v(kon$school),
                               year = v(kon$year)),
    assink2016 = list(yi = v(ass$yi), vi = v(ass$vi), cluster = v(ass$study), obs = v(ass$esid),
                      year = v(ass$year)),
    bornmann2007 = list(yi = v(as.numeric(bor$yi)), vi = v(bor$vi), cluster = v(bor$cluster), obs = v(bor$obs),
                        year = v(bor$year - 2000)))
  mvd <- list(konstantopoulos2011 = data.frame(yi = kon$yi, vi = kon$vi, cluster = kon$district, obs = kon$school, year = kon$year),
              assink2016 = data.frame(yi = ass$yi, vi = ass$vi, cluster = ass$study, obs = ass$esid, year = ass$year),
              bornmann2007 = data.frame(yi = as.numeric(bor$yi), vi = bor$vi, cluster = bor$cluster, obs = bor$obs,
                                        year = bor$year - 2000))

  # ---------------------------------------------------------------- robust(): CR1 and CR2 (clubSandwich) on rma.uni
  rob_cases <- list()
  for (ds in names(mvd)) for (mods in c("", "year")) for (method in c("REML", "DL", "FE")) for (cs in c(FALSE, TRUE)) {
    d <- mvd[[ds]]
    fit <- if (mods == "") rma(yi, vi, data = d, method = method, control = ctrl)
           else rma(yi, vi, mods = ~ year, data = d, method = method, control = ctrl)
    r <- robust(fit, cluster = d$cluster, clubSandwich = cs)
    rob_cases[[length(rob_cases) + 1]] <- c(list(
      dataset = ds, model = "rma.uni", mods = arr(if (mods == "") character(0) else mods), method = method, clubSandwich = cs,
      call = sprintf("robust(rma(yi, vi%s, method='%s'), cluster=cluster, clubSandwich=%s)",
                     if (mods == "") "" else ", mods=~year", method, cs),
      vbest = r$vbest, vb = as.matrix(r$vb), QM = r$QM, QMdf = v(r$QMdf), QMp = r$QMp, n = r$n), coefs(r))
  }

  # ---------------------------------------------------------------- rma.mv multilevel (~ 1 | cluster/obs)
  mv_cases <- list()
  # Each model is fitted with three optimiser settings and the fit with the highest log-likelihood is kept (the case
  # records which: control_used): "bobyqa" (minqa, rhoend 1e-12, no gradient), "mvctrl" (nlminb rel.tol 1e-12;
  # it reports "false convergence" on a few flat likelihoods, e.g. assink2016) and "default" (metafor's default
  # control).  nlminb alone stops where its finite-difference gradient is ~1e-6, which left sigma2 up to 8e-7
  # (relative) short of the maximum; bobyqa reaches it to ~1e-13 in logLik.
  mvfit1 <- function(d, method, mods, test, sigma2, control) {
    if (mods == "") rma.mv(yi, vi, random = ~ 1 | cluster/obs, data = d, method = method, test = test, sigma2 = sigma2, control = control)
    else rma.mv(yi, vi, mods = ~ year, random = ~ 1 | cluster/obs, data = d, method = method, test = test, sigma2 = sigma2, control = control)
  }
  mvctrls <- list(bobyqa = list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 1e5), mvctrl = mvctrl, default = list())
  mvfit <- function(d, method, mods, test = "z", sigma2 = NA) {
    best <- NULL
    for (nm in names(mvctrls)) {
      fit <- try(suppressWarnings(mvfit1(d, method, mods, test, sigma2, mvctrls[[nm]])), silent = TRUE)
      if (inherits(fit, "try-error")) next
      if (is.null(best) || logLik(fit) > logLik(best)) { best <- fit; best$ctrl_used <- nm }
    }
    best
  }
  mvsum <- function(fit) c(list(control_used = if (is.null(fit$ctrl_used)) "mvctrl" else fit$ctrl_used, sigma2 = v(fit$sigma2), QE = fit$QE, QEdf = fit$k - fit$p, QEp = fit$QEp,
                                QM = fit$QM, QMdf = v(fit$QMdf), QMp = fit$QMp, parms = fit$parms),
                           fstats(fit), coefs(fit))
  for (ds in names(mvd)) for (mods in c("", "year")) for (method in c("REML", "ML")) for (test in c("z", "t")) {
    fit <- mvfit(mvd[[ds]], method, mods, test)
    ci <- confint(fit, control = list(tol = 1e-10))   # uniroot tolerance (default eps^0.25 = 1.2e-4)
    pr <- predict(fit)
    mv_cases[[length(mv_cases) + 1]] <- c(list(
      dataset = ds, mods = arr(if (mods == "") character(0) else mods), method = method, test = test,
      call = sprintf("rma.mv(yi, vi%s, random=~1|cluster/obs, method='%s', test='%s', control=<control_used>)",
                     if (mods == "") "" else ", mods=~year", method, test),
      sigma2_ci_lb = v(c(ci[[1]]$random[1, 2], ci[[2]]$random[1, 2])),
      sigma2_ci_ub = v(c(ci[[1]]$random[1, 3], ci[[2]]$random[1, 3])),
      pred = v(pr$pred), pi_lb = v(pr$pi.lb), pi_ub = v(pr$pi.ub)), mvsum(fit))
  }
  # LRT: three-level vs two-level (sigma2 of the cluster level fixed at 0), same fixed effects
  mv_lrt <- list()
  for (ds in names(mvd)) for (method in c("REML", "ML")) {
    full <- mvfit(mvd[[ds]], method, "")
    red <- mvfit(mvd[[ds]], method, "", sigma2 = c(0, NA))
    a <- anova(full, red)
    mv_lrt[[length(mv_lrt) + 1]] <- list(
      dataset = ds, method = method,
      call = sprintf("anova(rma.mv(..., method='%s'), rma.mv(..., method='%s', sigma2=c(0,NA)))", method, method),
      LRT = a$LRT, pval = a$pval, df_full = a$parms.f, df_reduced = a$parms.r,
      ll_full = a$fit.stats.f[["ll"]], ll_reduced = a$fit.stats.r[["ll"]],
      aic_full = a$fit.stats.f[["AIC"]], aic_reduced = a$fit.stats.r[["AIC"]],
      sigma2_reduced = v(red$sigma2), beta_reduced = v(red$beta), se_reduced = v(red$se))
  }
  # robust() on rma.mv: CR1 and CR2 (clubSandwich)
  mv_rob <- list()
  for (ds in names(mvd)) for (mods in c("", "year")) for (cs in c(FALSE, TRUE)) {
    fit <- mvfit(mvd[[ds]], "REML", mods)
    r <- robust(fit, cluster = mvd[[ds]]$cluster, clubSandwich = cs)
    mv_rob[[length(mv_rob) + 1]] <- c(list(
      dataset = ds, mods = arr(if (mods == "") character(0) else mods), method = "REML", clubSandwich = cs,
      call = sprintf("robust(rma.mv(yi, vi%s, random=~1|cluster/obs), cluster=cluster, clubSandwich=%s)",
                     if (mods == "") "" else ", mods=~year", cs),
      vbest = r$vbest, vb = as.matrix(r$vb), QM = r$QM, QMdf = v(r$QMdf), QMp = r$QMp, n = r$n), coefs(r))
  }
  # vcalc(): constant within-cluster correlation, then the multilevel model on the full V
  vc_cases <- list()
  for (ds in names(mvd)) for (rho in c(0.3, 0.6)) {
    d <- mvd[[ds]]
    V <- vcalc(vi, cluster = cluster, obs = obs, rho = rho, data = d)
    best <- NULL
    for (nm in names(mvctrls)) {
      f <- try(suppressWarnings(rma.mv(yi, V, random = ~ 1 | cluster/obs, data = d, method = "REML",
                                       control = mvctrls[[nm]])), silent = TRUE)
      if (inherits(f, "try-error")) next
      if (is.null(best) || logLik(f) > logLik(best)) { best <- f; best$ctrl_used <- nm }
    }
    fit <- best
    vc_cases[[length(vc_cases) + 1]] <- c(list(
      dataset = ds, rho = rho,
      call = sprintf("V <- vcalc(vi, cluster=cluster, obs=obs, rho=%s); rma.mv(yi, V, random=~1|cluster/obs)", rho),
      V = as.matrix(V)), mvsum(fit))
  }
  write_golden(list(datasets = mvdata, multilevel = mv_cases, lrt = mv_lrt, robust_uni = rob_cases,
                    robust_mv = mv_rob, vcalc = vc_cases), "extras_mv.json")
})
