# Golden values for generalised linear mixed models for 2x2 tables (metafor rma.glmm, measure="OR"),
# metafor 3.8-1 with lme4 (glmer) and BiasedUrn (the noncentral hypergeometric of model="CM.EL").
#
# Regenerate (from the repository root):
#     Rscript tests/reference/r/glmm.R        (or Rscript tests/reference/make_golden.R)
# Needs R with metafor, metadat, lme4, numDeriv and BiasedUrn.  Writes
# tests/reference/golden/extras_glmm.json with every number at %.17g, the versions and the R call of every case.
#
# UM.RS: the heterogeneity tests fit a saturated glmer model whose treatment effects diverge for arms without
# events; lme4 stops at finite values, so its Wald statistic depends on where (evigrade takes the limit).
#
# Two kinds of case:
#   "tight":   the optimisers run to tight tolerances, so that the optimum, not a stopping rule, is compared:
#              glmer: optimizer="bobyqa" (both stages), rhoend=1e-12, tolPwrss=1e-12 (lme4's default Nelder-Mead
#              stops short: on dat.nielweise2007 UM.FS it warns max|grad| = 0.0089 and its logLik is 2.7e-4 lower);
#              the Laplace fits (method="ML" with nAGQ=1, and every UM.RS ML fit) use tolPwrss=1e-14: at 1e-12 the
#              penalised IRLS leaves the Laplace objective noisy at ~1e-6, so that bobyqa stopped UM.RS on
#              dat.nielweise2007 1.1e-6 below the maximum, with tau2 4.2e-6 off; where glmer fails at 1e-14 ("Cannot
#              fit ML model": PIRLS cannot reach it) the case falls back to 1e-12 and says so in its call.  (1e-14 is
#              not used for the nAGQ=7 fits: there it changes nothing in the estimates, but lme4's Hessian, whose every
#              point runs PIRLS to that tolerance, moved the SE of UM.RS FE on dat.nielweise2007 by 1.6e-4);
#              CM.EL: nlminb rel.tol=1e-11 (1e-12 and below end in nlminb's false convergence), integrate() rel.tol=1e-11 (metafor's default is
#              .Machine$double.eps^0.25 = 1.2e-4), BiasedUrn precision 1e-14.
#              The glm() fits (method="FE" of UM.FS and CM.AL, and the saturated models of the heterogeneity tests)
#              keep glm's defaults (epsilon=1e-8, maxit=25): evigrade follows glm's iterations exactly.
#   "default": metafor's own example calls with default controls (compared loosely: ours is the higher maximum).
suppressPackageStartupMessages({ library(metafor); library(metadat); library(lme4) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  tight <- list(glmerCtrl = list(optimizer = "bobyqa", tolPwrss = 1e-12, optCtrl = list(rhoend = 1e-12, maxfun = 1e6)),
                optCtrl = list(rel.tol = 1e-11, eval.max = 1e4, iter.max = 1e4),
                intCtrl = list(rel.tol = 1e-11, subdivisions = 1000L), dnchgprec = 1e-14)
  tight_txt <- paste0("control=list(glmerCtrl=list(optimizer='bobyqa', tolPwrss=1e-12, optCtrl=list(rhoend=1e-12, ",
                      "maxfun=1e6)), optCtrl=list(rel.tol=1e-11, eval.max=1e4, iter.max=1e4), ",
                      "intCtrl=list(rel.tol=1e-11, subdivisions=1000), dnchgprec=1e-14)")
  tab <- function(ai, n1i, ci, n2i) { ok <- !is.na(ai) & !is.na(n1i) & !is.na(ci) & !is.na(n2i)
    data.frame(ai = ai[ok], bi = (n1i - ai)[ok], ci = ci[ok], di = (n2i - ci)[ok]) }
  y9 <- dat.yusuf1985[dat.yusuf1985$table == "9", ]
  y6 <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
  co <- dat.collins1985a
  dd <- list(
    nielweise2007 = tab(dat.nielweise2007$ai, dat.nielweise2007$n1i, dat.nielweise2007$ci, dat.nielweise2007$n2i),
    yusuf1985_table9 = tab(y9$ai, y9$n1i, y9$ci, y9$n2i),
    yusuf1985_table6 = tab(y6$ai, y6$n1i, y6$ci, y6$n2i),
    collins1985a_deaths = tab(co$d.xti, co$nti, co$d.xci, co$nci),
    li2007 = tab(dat.li2007$ai, dat.li2007$n1i, dat.li2007$ci, dat.li2007$n2i))
  sel <- Sys.getenv("GLMM_ONLY", "")
  datasets <- paste(vapply(names(dd), function(n) sprintf("%s: %s", jstr(n),
                    obj(list(ai = vec(dd[[n]]$ai), bi = vec(dd[[n]]$bi), ci = vec(dd[[n]]$ci), di = vec(dd[[n]]$di)))), ""),
                    collapse = ",\n")
  cases <- character(0)
  # glmer_ref: a reference for a glmer fit that is exact to ~1e-8, for the cases where lme4 itself is the limit
  # (its standard errors come from a central-difference Hessian with step 1e-4 (deriv12), and its bobyqa may stop
  # short of the maximum: dat.li2007 UM.FS).  The objective is lme4's own: the second-stage deviance function
  # (theta, beta) -> deviance that glmer minimised, rebuilt with devFunOnly = TRUE from the fitted model's formula,
  # model frame and offset at the same nAGQ and tolPwrss (checked equal to the deviance at lme4's optimum,
  # optinfo$val, to 1e-9: `ref_dev_check`).  Coordinates u = (par - par_lme4) / s, s = each parameter's SE from
  # lme4's own Hessian, so that a unit step moves the deviance by about 1 in every direction.  From lme4's optimum,
  # Newton steps with numDeriv's Richardson gradient (r = 4) and Hessian (r = 6), absolute steps eps = 0.2 in u
  # (the smallest 0.2 / 32 SE: a deviance change of 4e-5 against PIRLS noise of ~1e-11), until the step is below
  # 1e-7 SE (at most 4).  At the end point: beta and the variance components, the gain in log-likelihood over
  # lme4's (ref_ll_gain >= 0), and the SEs from vcov = 2 H^-1 (lme4's formula) with this Hessian (ref_se) and with
  # eps = 0.1 (ref_se_alt; the two agree to ~1e-9 where the reference is sound).  Not computed (null) where a
  # variance component is at its bound 0 (theta < 1e-4: the Hessian there is not the curvature of a maximum).
  glmer_ref <- function(m, nAGQ, tolPwrss, b1) {
    mf <- model.frame(m)
    mf$.off <- if (is.null(mf[["(offset)"]])) 0 else mf[["(offset)"]]
    dfun <- suppressWarnings(suppressMessages(lme4::glmer(formula(m), data = mf, family = family(m), nAGQ = nAGQ,
      offset = .off, devFunOnly = TRUE,
      control = lme4::glmerControl(optimizer = "bobyqa", tolPwrss = tolPwrss, calc.derivs = FALSE))))
    th <- lme4::getME(m, "theta"); be <- lme4::fixef(m); nth <- length(th)
    if (any(th < 1e-4)) return(NULL)
    par0 <- c(th, be)
    dev0 <- dfun(par0)
    dev_check <- dev0 + 2 * c(logLik(m))  # the deviance at lme4's optimum is -2 logLik
    H0 <- m@optinfo$derivs$Hessian
    sc <- sqrt(diag(solve(H0 / 2)))
    at <- function(u0) function(w) dfun(par0 + (u0 + w) * sc)
    ma <- function(eps, r) list(eps = eps, d = eps, zero.tol = Inf, r = r, v = 2)
    u <- rep(0, length(par0))
    for (it in 1:4) {
      g <- numDeriv::grad(at(u), rep(0, length(u)), method.args = ma(0.2, 4))
      Hu <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.2, 6))
      step <- solve(Hu, g)
      u <- u - step
      if (max(abs(step)) < 1e-7) break
    }
    Hu <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.2, 6))
    Hu_alt <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.1, 6))
    par <- par0 + u * sc
    j <- nth + which.min(abs(be - b1))  # the log odds ratio among the fixed effects
    sej <- function(H) sqrt(2 * solve(H)[j, j]) * sc[j]
    list(par = par, theta = par[seq_len(nth)], theta0 = th, beta = par[j], se = sej(Hu), se_alt = sej(Hu_alt),
         ll_gain = (dev0 - dfun(par)) / 2, dev_check = dev_check, newton = it)
  }
  one <- function(ds, model, method, kind, test = "z", nAGQ = 7, ctrl = NULL, ctrl_txt = NULL) {
    if (is.null(ctrl)) ctrl <- if (kind == "tight") tight else list()
    if (is.null(ctrl_txt)) ctrl_txt <- if (kind == "tight") tight_txt else ""
    laplace <- kind == "tight" && method == "ML" && (model == "UM.RS" || nAGQ == 1)
    if (laplace) {
      ctrl$glmerCtrl$tolPwrss <- 1e-14
      ctrl_txt <- sub("tolPwrss=1e-12", "tolPwrss=1e-14", ctrl_txt, fixed = TRUE)
    }
    t0 <- proc.time()[3]
    r <- try(suppressWarnings(rma.glmm(measure = "OR", ai = ai, bi = bi, ci = ci, di = di, data = dd[[ds]],
                                       model = model, method = method, test = test, nAGQ = nAGQ, control = ctrl,
                                       retfit = TRUE)), silent = TRUE)
    if (inherits(r, "try-error") && laplace) {
      ctrl$glmerCtrl$tolPwrss <- 1e-12
      ctrl_txt <- sub("tolPwrss=1e-14", "tolPwrss=1e-12", ctrl_txt, fixed = TRUE)
      r <- try(suppressWarnings(rma.glmm(measure = "OR", ai = ai, bi = bi, ci = ci, di = di, data = dd[[ds]],
                                         model = model, method = method, test = test, nAGQ = nAGQ, control = ctrl,
                                         retfit = TRUE)), silent = TRUE)
    }
    cat(sprintf("%-22s %-5s %-2s %-7s %6.1fs\n", ds, model, method, kind, proc.time()[3] - t0))
    if (inherits(r, "try-error")) { cat("  skipped:", r); return(invisible()) }
    # CM.EL: metafor's standard errors come from numDeriv::hessian(r = 16) of a likelihood computed by integrate(),
    # whose Richardson steps reach 3e-6 where the integration error dominates (about 1e-4 relative on the SE); an
    # independent check: the same numDeriv Hessian of metafor's own .dnchg with r = 4, d = 0.01 and rel.tol = 1e-13
    # (method="FE": the same check on the conditional likelihood itself, no integral)
    se_check <- NA; se_exact <- NA
    if (model == "CM.EL" && kind == "tight") {
      D <- dd[[ds]]; ok <- !((D$ai == 0 & D$ci == 0) | (D$bi == 0 & D$di == 0)); D <- D[ok, ]
      random <- method == "ML"
      h <- numDeriv::hessian(metafor:::.dnchg, x = c(r$beta[1], if (random) log(r$tau2) else 0),
                             method.args = list(d = 0.01, r = 4),
                             ai = D$ai, bi = D$bi, ci = D$ci, di = D$di, X.fit = matrix(1, nrow(D), 1), random = random,
                             dnchgcalc = "dFNCHypergeo", dnchgprec = 1e-14,
                             intCtrl = list(lower = -Inf, upper = Inf, rel.tol = 1e-13, subdivisions = 1000L))
      se_check <- if (random) sqrt(solve(h)[1, 1]) else sqrt(1 / h[1, 1])
      # method="FE": the exact Fisher information of the conditional likelihood, the sum over the tables of the
      # variance of Fisher's noncentral hypergeometric at metafor's estimate (BiasedUrn::varFNCHypergeo, precision
      # 1e-14): no numerical derivative at all (se_check's r=4 Hessian is 3.3e-6 off it on li2007's large tables)
      if (!random) se_exact <- 1 / sqrt(sum(mapply(function(a, b, c, d) BiasedUrn::varFNCHypergeo(a + b, c + d, a + c,
                                                   exp(r$beta[1]), precision = 1e-14), D$ai, D$bi, D$ci, D$di)))
    }
    # the glmer fits' reference (see glmer_ref); a variance component maps to its theta by value (tau2 = theta^2)
    ref <- NULL
    if (kind == "tight" && model %in% c("UM.FS", "UM.RS", "CM.AL") && (method == "ML" || model == "UM.RS")) {
      m <- if (method == "ML") r$res.ML else r$res.FE
      ref <- try(glmer_ref(m, if (model == "UM.RS" && method == "ML") 1 else nAGQ, ctrl$glmerCtrl$tolPwrss, r$beta[1]),
                 silent = TRUE)
      if (inherits(ref, "try-error")) { cat("  glmer_ref failed:", ref); ref <- NULL }
    }
    vc_ref <- function(v) {
      if (is.null(ref) || length(v) != 1 || is.na(v) || v == 0) return(NA)
      i <- which.min(abs(ref$theta0^2 - v)); ref$theta[i]^2
    }
    # the heterogeneity tests of a Laplace fit whose saturated model glmer cannot fit at tolPwrss = 1e-14
    # (nielweise2007 UM.RS ML): the same rma.glmm call at tolPwrss = 1e-12 (its QE_LRT is the same to 1e-10 at
    # tolPwrss 1e-10, 1e-12 and 1e-13: the plateau of the saturated likelihood), stored as QE_*_alt
    qalt <- NULL; qalt_call <- NA
    if (laplace && is.na(r$QE.LRT)) {
      c12 <- ctrl; c12$glmerCtrl$tolPwrss <- 1e-12
      qalt <- try(suppressWarnings(rma.glmm(measure = "OR", ai = ai, bi = bi, ci = ci, di = di, data = dd[[ds]],
                                             model = model, method = method, test = test, nAGQ = nAGQ, control = c12)),
                  silent = TRUE)
      if (inherits(qalt, "try-error")) qalt <- NULL
      qalt_call <- sprintf("rma.glmm(measure='OR', ai, bi, ci, di, model='%s', method='%s', nAGQ=%d, %s)", model,
                           method, nAGQ, sub("tolPwrss=1e-14", "tolPwrss=1e-12", ctrl_txt, fixed = TRUE))
    }
    objll <- NA  # the maximised objective: lme4's logLik (Laplace/AGQ) or CM.EL's exact log-likelihood
    if (method == "ML" && model != "CM.EL") objll <- c(logLik(r$res.ML))
    if (method == "FE" && model == "UM.RS") objll <- c(logLik(r$res.FE))
    if (model == "CM.EL") objll <- r$fit.stats["ll", "ML"]
    call <- sprintf("rma.glmm(measure='OR', ai, bi, ci, di, model='%s', method='%s', test='%s', nAGQ=%d%s)",
                    model, method, test, nAGQ, if (nzchar(ctrl_txt)) paste0(", ", ctrl_txt) else "")
    cases <<- c(cases, obj(list(dataset = jstr(ds), model = jstr(model), method = jstr(method), kind = jstr(kind),
      test = jstr(test), nAGQ = num(nAGQ), call = jstr(call),
      beta = num(r$beta[1]), se = num(r$se), zval = num(r$zval), pval = num(r$pval), ci_lb = num(r$ci.lb),
      ci_ub = num(r$ci.ub), tau2 = num(r$tau2), se_tau2 = num(r$se.tau2), sigma2 = num(r$sigma2),
      ll = num(r$fit.stats["ll", "ML"]), dev = num(r$fit.stats["dev", "ML"]), AIC = num(r$fit.stats["AIC", "ML"]),
      BIC = num(r$fit.stats["BIC", "ML"]), AICc = num(r$fit.stats["AICc", "ML"]), objective_ll = num(objll),
      QE_Wld = num(r$QE.Wld), QEp_Wld = num(r$QEp.Wld), QE_LRT = num(r$QE.LRT), QEp_LRT = num(r$QEp.LRT),
      QE_df = num(r$QE.df), QE_LRT_alt = num(qalt$QE.LRT), QE_Wld_alt = num(qalt$QE.Wld), QE_df_alt = num(qalt$QE.df),
      QE_alt_call = if (is.null(qalt)) "null" else jstr(qalt_call),
      ref_beta = num(ref$beta), ref_se = num(ref$se), ref_se_alt = num(ref$se_alt), ref_tau2 = num(vc_ref(r$tau2)),
      ref_sigma2 = num(vc_ref(r$sigma2)), ref_ll_gain = num(ref$ll_gain), ref_dev_check = num(ref$dev_check),
      ref_newton = num(ref$newton), se_exact = num(se_exact), se_check = num(se_check), I2 = num(r$I2), H2 = num(r$H2), k = num(r$k), k_all = num(r$k.all))))
  }
  for (ds in names(dd)) {
    if (nzchar(sel) && ds != sel) next
    for (model in c("UM.FS", "CM.EL", "CM.AL", "UM.RS")) for (method in c("FE", "ML")) {
      # yusuf1985 table 9, CM.EL ML: the likelihood is largest at tau2 = 0 and metafor stops with "Cannot compute
      # var-cov matrix of the fixed effects" (after about 5 minutes at these controls); the test checks that
      # evigrade returns the CM.EL fixed-effect fit there, with a note
      # (yusuf1985 table 6 likewise: nlminb ends in false convergence at the boundary)
      # dat.li2007 CM.EL ML: nlminb at rel.tol 1e-11 ends in false convergence; optim's BFGS at reltol 1e-14 is used
      if (ds %in% c("yusuf1985_table9", "yusuf1985_table6") && model == "CM.EL" && method == "ML") next
      if (ds == "li2007" && model == "CM.EL" && method == "ML") {
        bctrl <- tight; bctrl$optimizer <- "BFGS"; bctrl$optCtrl <- list(reltol = 1e-14, maxit = 1e4)
        one(ds, model, method, "tight", ctrl = bctrl, ctrl_txt = sub("optCtrl=list(rel.tol=1e-11, eval.max=1e4, iter.max=1e4)",
            "optimizer='BFGS', optCtrl=list(reltol=1e-14, maxit=1e4)", tight_txt, fixed = TRUE))
        next
      }
      one(ds, model, method, "tight")
    }
    # the tight CM.EL fits lose the heterogeneity tests (nlminb runs the saturated model's zero-cell studies
    # out until "Cannot fit saturated model"); metafor's default controls give them
    one(ds, "CM.EL", "FE", "default")
  }
  if (!nzchar(sel) || sel == "nielweise2007") {
    # metafor's own examples (?rma.glmm), default controls
    one("nielweise2007", "UM.FS", "ML", "default")
    one("nielweise2007", "CM.EL", "ML", "default")
    # t-based inference and Laplace (nAGQ=1) on the first model
    one("nielweise2007", "UM.FS", "ML", "tight", test = "t")
    one("nielweise2007", "UM.FS", "ML", "tight", nAGQ = 1)
    one("nielweise2007", "CM.AL", "ML", "tight", nAGQ = 1)
    one("nielweise2007", "CM.EL", "ML", "tight", test = "t")
  }
  out <- paste0("{\"generator\": \"tests/reference/r/glmm.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"lme4_version\": ", jstr(as.character(packageVersion("lme4"))),
                ", \"biasedurn_version\": ", jstr(as.character(packageVersion("BiasedUrn"))),
                ", \"datasets\": {", datasets, "},\n\"cases\": [", paste(cases, collapse = ",\n"), "]}")
  f <- if (nzchar(sel)) file.path(tempdir(), "extras_glmm.json") else file.path("tests", "reference", "golden", "extras_glmm.json")
  if (nzchar(sel)) f <- Sys.getenv("GLMM_OUT", f)
  writeLines(out, f)
  cat("wrote", f, "\n")
})
