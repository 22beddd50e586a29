# Golden values for location-scale models (metafor rma(yi, vi, mods=, scale=), link="log"), metafor 3.8-1.
# Regenerate: Rscript tests/reference/r/location_scale.R (also sourced by tests/reference/make_golden.R).
# Each model is fitted with tight optimiser controls (optim BFGS reltol 1e-14 with ndeps 1e-5 and with the default
# ndeps, nlminb rel.tol 1e-14) and the fit with the highest log-likelihood is kept (`optimizer` in the JSON), so that the maximum, not metafor's default
# stopping rule, is compared.  The SEs of the scale coefficients come from metafor's numDeriv Hessian (hessianCtrl r=8).
# se_alpha_check: the same SEs from a careful Richardson Hessian (absolute step) of metafor's log-likelihood.
# The LRT of the scale part compares the model with scale = ~ 1 (metafor anova()).
# Writes tests/reference/golden/extras_location_scale.json at %.17g.
suppressPackageStartupMessages({ library(metafor); library(metadat) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  bd <- dat.bangertdrowns2004
  bd$ni100 <- bd$ni / 100
  bd <- bd[!is.na(bd$yi) & !is.na(bd$meta), ]  # metafor drops the two rows with missing 'meta'
  bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
  mol$prospective <- as.numeric(mol$design == "prospective")
  dd <- list(
    bangertdrowns2004 = list(yi = bd$yi, vi = bd$vi, ni100 = bd$ni100, meta = bd$meta, imag = bd$imag),
    bcg = list(yi = as.numeric(bcg$yi), vi = bcg$vi, ablat = bcg$ablat, year = bcg$year),
    molloy2014 = list(yi = as.numeric(mol$yi), vi = mol$vi, meanage = mol$meanage, prospective = mol$prospective))
  datasets <- paste(vapply(names(dd), function(n) sprintf("%s: %s", jstr(n),
                    obj(lapply(dd[[n]], vec))), ""), collapse = ",\n")
  # optim's BFGS differentiates numerically with steps ndeps (default 1e-3, too coarse for a 1e-14 stopping rule);
  # BFGS_ndeps1e-5 is tried first and another fit replaces it only with a log-likelihood higher by > 1e-12 (relative)
  ctrls <- list("BFGS_ndeps1e-5" = list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-14, maxit = 10000),
                BFGS = list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-14, maxit = 10000),
                nlminb = list(optimizer = "nlminb", rel.tol = 1e-14, iter.max = 10000, eval.max = 20000))
  fitbest <- function(d, mods, scale, method, test) {
    best <- NULL; used <- NA
    q <- ncol(model.matrix(scale, data = d))
    for (nm in names(ctrls)) {
      ct <- ctrls[[nm]]
      if (nm == "BFGS_ndeps1e-5") ct$ndeps <- rep(1e-5, q)
      f <- try(suppressWarnings(rma(yi, vi, mods = mods, scale = scale, data = d, method = method, test = test,
                                    control = ct)), silent = TRUE)
      if (inherits(f, "try-error")) next
      llf <- f$fit.stats["ll", method]
      if (is.null(best) || llf > best$fit.stats["ll", method] + 1e-12 * abs(llf)) { best <- f; used <- nm }
    }
    list(f = best, used = used)
  }
  fml <- function(v) if (length(v) == 0) "~ 1" else paste("~", paste(v, collapse = " + "))
  grid <- list(
    list("bangertdrowns2004", character(0), character(0)),
    list("bangertdrowns2004", "ni100", "ni100"),
    list("bangertdrowns2004", c("ni100", "meta"), c("ni100", "imag")),
    list("bangertdrowns2004", "meta", "meta"),
    list("bcg", "ablat", "ablat"),
    list("bcg", character(0), "ablat"),
    list("bcg", "ablat", "year"),
    list("molloy2014", "meanage", "meanage"))
  cases <- character(0)
  for (g in grid) for (method in c("REML", "ML")) for (test in c("z", "t")) {
    if (test == "t" && method == "ML") next
    d <- as.data.frame(dd[[g[[1]]]])
    mods <- as.formula(fml(g[[2]])); scale <- as.formula(fml(g[[3]]))
    b <- fitbest(d, mods, scale, method, test)
    f <- b$f
    if (is.null(f)) { cat("skipped", g[[1]], fml(g[[2]]), fml(g[[3]]), method, test, "\n"); next }
    lrt <- list(LRT = "null", LRTp = "null", ll_reduced = "null")
    if (length(g[[3]]) > 0) {
      r <- fitbest(d, mods, ~ 1, method, test)$f
      a <- anova(f, r)
      lrt <- list(LRT = num(a$LRT), LRTp = num(a$pval), ll_reduced = num(r$fit.stats["ll", method]))
    }
    fs <- setNames(f$fit.stats[, method], rownames(f$fit.stats))
    # Independent check of the SEs of alpha: metafor's own come from numDeriv with a step relative to each
    # coefficient (1e-4 |alpha|), which is too small for a coefficient near 0 (bcg, scale = ~ ablat).  Here the
    # same log-likelihood (metafor's .ll.rma.ls, log link, beta profiled out; checked equal to fit.stats' ll at
    # metafor's alpha to 1e-12) is differentiated by numDeriv's Richardson Hessian (r = 6) with an absolute
    # step of 0.3 / max|Z_j| per coefficient (on bcg ~ ablat stable to ~4e-8 between absolute steps 0.03, 0.01, 0.003).
    Xm <- cbind(1, as.matrix(d[, g[[2]], drop = FALSE])); Zm <- cbind(1, as.matrix(d[, g[[3]], drop = FALSE]))
    llfun <- function(a) {
      tau2 <- exp(c(Zm %*% a)); w <- 1 / (d$vi + tau2); XtWX <- crossprod(Xm, w * Xm)
      b <- solve(XtWX, crossprod(Xm, w * d$yi)); RSS <- sum(w * c(d$yi - Xm %*% b)^2)
      if (method == "ML") return(-1/2 * nrow(d) * log(2 * base::pi) - 1/2 * sum(log(d$vi + tau2)) - 1/2 * RSS)
      -1/2 * (nrow(d) - ncol(Xm)) * log(2 * base::pi) + 1/2 * determinant(crossprod(Xm))$modulus -
        1/2 * sum(log(d$vi + tau2)) - 1/2 * determinant(XtWX)$modulus - 1/2 * RSS
    }
    if (abs(llfun(c(f$alpha)) - fs[["ll"]]) > 1e-12 * abs(fs[["ll"]])) stop("llfun differs from metafor's ll")
    # a scale column far from 0 against its spread (year: max 1980, SD 14) makes this Hessian ill-conditioned
    # at these steps; metafor's relative steps serve there (its SEs agree with ours to 6e-8), so no check
    far <- vapply(seq_len(ncol(Zm))[-1], function(j) max(abs(Zm[, j])) / sd(Zm[, j]) > 10, TRUE)
    se_alpha_check <- rep(NA_real_, ncol(Zm))
    if (!any(far)) {
      sz <- apply(abs(Zm), 2, max)  # steps in u = alpha * sz, so that each moves log(tau2) by about the same amount
      Hu <- numDeriv::hessian(function(u) llfun(u / sz), c(f$alpha) * sz,
                              method.args = list(eps = 0.3, d = 0.3, zero.tol = Inf, r = 6, v = 2))
      se_alpha_check <- sqrt(diag(solve(-Hu))) / sz
    }
    cases <- c(cases, obj(c(list(dataset = jstr(g[[1]]), mods = paste0("[", paste(vapply(g[[2]], jstr, ""), collapse = ", "), "]"),
      scale = paste0("[", paste(vapply(g[[3]], jstr, ""), collapse = ", "), "]"), method = jstr(method),
      test = jstr(test), optimizer = jstr(b$used),
      call = jstr(sprintf("rma(yi, vi, mods = %s, scale = %s, method = '%s', test = '%s', control = <%s>)",
                          fml(g[[2]]), fml(g[[3]]), method, test, b$used)),
      beta = vec(f$beta), se = vec(f$se), zval = vec(f$zval), pval = vec(f$pval), ci_lb = vec(f$ci.lb),
      ci_ub = vec(f$ci.ub), alpha = vec(f$alpha), se_alpha = vec(f$se.alpha), zval_alpha = vec(f$zval.alpha),
      pval_alpha = vec(f$pval.alpha), se_alpha_check = vec(se_alpha_check), ci_lb_alpha = vec(f$ci.lb.alpha), ci_ub_alpha = vec(f$ci.ub.alpha),
      tau2 = vec(f$tau2), I2 = vec(f$I2), QE = num(f$QE), QEp = num(f$QEp), QM = num(f$QM), QMp = num(f$QMp),
      QS = num(f$QS), QSp = num(f$QSp), QSdf = vec(f$QSdf), QMdf = vec(f$QMdf), parms = num(f$parms),
      loglik = num(fs[["ll"]]), deviance = num(fs[["dev"]]), aic = num(fs[["AIC"]]), bic = num(fs[["BIC"]]),
      aicc = num(fs[["AICc"]])), lrt)))
  }
  out <- paste0("{\"generator\": \"tests/reference/r/location_scale.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"numderiv_version\": ", jstr(as.character(packageVersion("numDeriv"))),
                ", \"datasets\": {", datasets, "},\n\"cases\": [", paste(cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_location_scale.json"))
  cat("wrote tests/reference/golden/extras_location_scale.json (", length(cases), "cases )\n")
})
