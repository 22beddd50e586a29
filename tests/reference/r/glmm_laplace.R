# An exact reference for rma.glmm's Laplace fits: nAGQ = 1 (UM.FS, CM.AL) and every UM.RS fit with method = "ML".
# Regenerate: Rscript tests/reference/r/glmm_laplace.R (also sourced by tests/reference/make_golden.R; run it after
# glmm.R: it reads the datasets and the tight control from tests/reference/golden/extras_glmm.json).
# Needs metafor, lme4, numDeriv, jsonlite.  Writes tests/reference/golden/extras_glmm_laplace.json at %.17g.
#
# Why: lme4 evaluates the Laplace deviance with the conditional modes from its penalised IRLS, which stops when the
# penalised deviance changes by less than tolPwrss (1e-14 at the tightest glmer accepts); the log-determinant term
# is not stationary at the modes, so lme4's deviance function carries an error that varies from point to point
# (dat.nielweise2007 CM.AL: 5e-8 between two points 0.05 apart at tolPwrss 1e-14, 5e-7 at 1e-12), and a careful
# Hessian of it (glmm.R's ref_se) reproduces lme4's standard errors, not those of the Laplace approximation itself.
# Here the same objective is computed with exact modes: the penalised deviance
#     sum_i devres(y_i, n_i, mu_i) + |u|^2,  mu = plogis(X beta + offset + Z Lambda(theta) u),
# is minimised over u by Newton's method to machine precision, and the Laplace deviance is its minimum plus
# log det(I + Lambda' Z' W Z Lambda), W = diag(n mu (1 - mu)) (lme4's 2 log|L|).  X, Z, Lambda (Lambdat, Lind), the
# responses and the offset are lme4's own (getME and the model frame of metafor's retfit=TRUE fit); the function is
# checked against lme4's deviance function: they differ by a constant (`lme4_dev_diff`: lme4 keeps the binomial
# coefficients) that varies by the PIRLS error only (`lme4_dev_diff_var`, over points half an SE away).
# From lme4's optimum: Newton steps with numDeriv's Richardson gradient (r = 4) and Hessian (r = 6) in u = (par -
# par_lme4) / s (s: lme4's own SEs), absolute steps eps = 0.5 (halved 5 times: the smallest, 0.5 / 32 SE, moves the
# deviance by 2.4e-4, against its rounding of ~1e-11 on dat.li2007's large trials; at eps = 0.2 / 0.1 the two
# Hessians of li2007 UM.RS differed by 8e-7), until the step is below 1e-9 SE.  Then beta, the variance components
# (theta^2) and the SE of the log odds ratio from vcov = 2 H^-1 (lme4's formula) with eps = 0.5 (se) and
# eps = 0.25 (se_alt).
suppressPackageStartupMessages({ library(metafor); library(lme4) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  G <- jsonlite::fromJSON(file.path("tests", "reference", "golden", "extras_glmm.json"), simplifyVector = TRUE)
  cs <- G$cases
  # every Laplace fit: nAGQ = 1, and UM.RS with method = "ML" (metafor fits it by the Laplace approximation whatever
  # nAGQ says), except where a variance component is at 0 (theta < 1e-4: no curvature of a maximum there)
  sel <- which(cs$kind == "tight" & cs$method == "ML" & (cs$nAGQ == 1 | cs$model == "UM.RS") & cs$model != "CM.EL")
  exact_laplace <- function(m) {
    mf <- model.frame(m)
    X <- as.matrix(lme4::getME(m, "X")); Z <- as.matrix(lme4::getME(m, "Z"))
    Lt <- lme4::getME(m, "Lambdat"); Lind <- lme4::getME(m, "Lind"); nth <- length(lme4::getME(m, "theta"))
    off <- if (is.null(mf[["(offset)"]])) rep(0, nrow(X)) else mf[["(offset)"]]
    Y <- model.response(mf); yy <- Y[, 1]; n <- rowSums(Y)
    devres <- function(mu) binomial()$dev.resids(yy / n, mu, n)
    I <- diag(ncol(Z))
    function(par) {
      Lt@x <- par[seq_len(nth)][Lind]
      ZL <- Z %*% t(as.matrix(Lt))  # b = Lambda u, eta = X beta + offset + Z Lambda u (lme4's parameterisation)
      eta0 <- c(X %*% par[-seq_len(nth)]) + off
      pdev <- function(u) sum(devres(plogis(eta0 + c(ZL %*% u)))) + sum(u^2)
      u <- rep(0, ncol(Z)); f0 <- pdev(u)
      for (it in 1:200) {
        mu <- plogis(eta0 + c(ZL %*% u))
        g <- -2 * c(crossprod(ZL, yy - n * mu)) + 2 * u
        step <- solve(2 * (crossprod(ZL, n * mu * (1 - mu) * ZL) + I), g); lam <- 1
        repeat { f1 <- pdev(u - lam * step); if (f1 <= f0 + 1e-12 * (1 + abs(f0)) || lam < 1e-10) break; lam <- lam / 2 }
        u <- u - lam * step; f0 <- f1
        if (max(abs(lam * step)) < 1e-15 * max(1, max(abs(u)))) break
      }
      mu <- plogis(eta0 + c(ZL %*% u))
      f0 + c(determinant(crossprod(ZL, n * mu * (1 - mu) * ZL) + I)$modulus)
    }
  }
  cases <- character(0)
  for (i in sel) {
    ds <- cs$dataset[i]; model <- cs$model[i]
    d <- as.data.frame(G$datasets[[ds]])
    tp <- if (grepl("tolPwrss=1e-14", cs$call[i], fixed = TRUE)) 1e-14 else 1e-12
    ctrl <- list(glmerCtrl = list(optimizer = "bobyqa", tolPwrss = tp, optCtrl = list(rhoend = 1e-12, maxfun = 1e6)))
    r <- suppressWarnings(rma.glmm(measure = "OR", ai = ai, bi = bi, ci = ci, di = di, data = d, model = model,
                                   method = "ML", test = cs$test[i], nAGQ = cs$nAGQ[i], control = ctrl, retfit = TRUE))
    m <- r$res.ML
    if (abs(r$beta[1] - cs$beta[i]) > 1e-12) stop("the refit differs from the golden's fit")
    dev <- exact_laplace(m)
    th <- lme4::getME(m, "theta"); be <- lme4::fixef(m); par0 <- c(th, be)
    if (any(th < 1e-4)) { cat("skipped (a variance component at 0):", ds, model, "\n"); next }
    sc <- sqrt(diag(solve(m@optinfo$derivs$Hessian / 2)))
    # the same objective as lme4's deviance function (rebuilt with devFunOnly = TRUE at the fit's tolPwrss), up to
    # a constant (lme4 keeps the binomial coefficients) and the PIRLS error: the offset at lme4's optimum and its
    # largest change over 2 x npar points half an SE away along each parameter
    mf <- model.frame(m); mf$.off <- if (is.null(mf[["(offset)"]])) 0 else mf[["(offset)"]]
    lfun <- suppressWarnings(suppressMessages(lme4::glmer(formula(m), data = mf, family = family(m), nAGQ = 1,
      offset = .off, devFunOnly = TRUE, control = lme4::glmerControl(optimizer = "bobyqa", tolPwrss = tp))))
    lme4_dev_diff <- lfun(par0) - dev(par0)
    pts <- lapply(seq_along(par0), function(q) { e <- rep(0, length(par0)); e[q] <- 0.5 * sc[q]; list(par0 + e, par0 - e) })
    lme4_dev_diff_var <- max(abs(vapply(unlist(pts, recursive = FALSE), function(x) lfun(x) - dev(x), 0) - lme4_dev_diff))
    at <- function(u0) function(w) dev(par0 + (u0 + w) * sc)
    ma <- function(eps, r) list(eps = eps, d = eps, zero.tol = Inf, r = r, v = 2)
    u <- rep(0, length(par0))
    for (it in 1:6) {
      g <- numDeriv::grad(at(u), rep(0, length(u)), method.args = ma(0.5, 4))
      Hu <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.5, 6))
      step <- solve(Hu, g); u <- u - step
      if (max(abs(step)) < 1e-9) break
    }
    Hu <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.5, 6))
    Hu_alt <- numDeriv::hessian(at(u), rep(0, length(u)), method.args = ma(0.25, 6))
    par <- par0 + u * sc
    j <- length(th) + which.min(abs(be - r$beta[1]))
    sej <- function(H) sqrt(2 * solve(H)[j, j]) * sc[j]
    vc <- function(v) if (length(v) != 1 || is.na(v)) NA else par[which.min(abs(th^2 - v))]^2  # theta^2 by value
    cat(sprintf("%-20s %-5s lme4 dev - exact %.2e (varies by %.1e), Newton %d, se %.12g (alt %.12g; lme4 %.12g)\n", ds, model,
                lme4_dev_diff, lme4_dev_diff_var, it, sej(Hu), sej(Hu_alt), r$se))
    cases <- c(cases, obj(list(dataset = jstr(ds), model = jstr(model), method = jstr("ML"), nAGQ = num(1),
      test = jstr(cs$test[i]), lme4_call = jstr(cs$call[i]), beta = num(par[j]), tau2 = num(vc(r$tau2)),
      sigma2 = num(vc(r$sigma2)),
      se = num(sej(Hu)), se_alt = num(sej(Hu_alt)), deviance = num(dev(par)), lme4_dev_diff = num(lme4_dev_diff),
      lme4_dev_diff_var = num(lme4_dev_diff_var),
      gain = num((dev(par0) - dev(par)) / 2), newton = num(it), lme4_beta = num(r$beta[1]), lme4_se = num(r$se))))
  }
  out <- paste0("{\"generator\": \"tests/reference/r/glmm_laplace.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"lme4_version\": ", jstr(as.character(packageVersion("lme4"))),
                ", \"numderiv_version\": ", jstr(as.character(packageVersion("numDeriv"))),
                ",\n\"cases\": [", paste(cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_glmm_laplace.json"))
  cat("wrote tests/reference/golden/extras_glmm_laplace.json (", length(cases), "cases )\n")
})
