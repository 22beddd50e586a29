# Golden values for evigrade.stats.bias / sensitivity / subgroups / regression (engineer E).
#
# Regenerate (from the repository root):
#     Rscript tests/reference/r/bias.R
# (tests/reference/make_golden.R source()s this file, so `Rscript tests/reference/make_golden.R`
# regenerates these files together with the statistics-core goldens.)
#
# Writes tests/reference/golden/bias_smallstudy.json, bias_sensitivity.json and bias_moderators.json.
# Every number is written with %.17g; every case records the R call that produced it, and each file
# records R.version.string and the metafor/metadat versions.  Iterative fits use tight convergence
# control (threshold 1e-12, maxiter 10000) so that Python can be compared at 1e-8 or tighter.
suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
})

local({
  outdir <- file.path("tests", "reference", "golden")
  dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)   # tol: PM root finding

  # ---------------------------------------------------------------- tiny exact JSON writer
  num <- function(x) {
    if (is.na(x)) return("null")
    if (is.infinite(x)) return("null")
    sprintf("%.17g", x)
  }
  jstr <- function(s) {
    s <- gsub("\\\\", "\\\\\\\\", s)
    s <- gsub("\"", "\\\\\"", s)
    paste0("\"", s, "\"")
  }
  arr <- function(x) structure(list(v = x), class = "jarr")   # force a JSON array
  to_json <- function(x) {
    if (inherits(x, "jarr")) {
      v <- x$v
      if (length(v) == 0) return("[]")
      return(paste0("[", paste(vapply(seq_along(v), function(i) to_json(v[[i]]), ""), collapse = ", "), "]"))
    }
    if (is.null(x)) return("null")
    if (is.list(x)) {
      nm <- names(x)
      if (is.null(nm)) {
        return(paste0("[", paste(vapply(x, to_json, ""), collapse = ",\n"), "]"))
      }
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
      generator = "tests/reference/r/bias.R",
      r_version = R.version.string,
      metafor_version = as.character(packageVersion("metafor")),
      metadat_version = as.character(packageVersion("metadat")),
      control = "control=list(threshold=1e-12, maxiter=10000, stepadj=0.5, tol=1e-12)"
    ), obj)
    path <- file.path(outdir, name)
    writeLines(to_json(obj), path)
    cat("wrote", path, "\n")
  }
  v <- function(x) arr(as.numeric(x))

  # ---------------------------------------------------------------- datasets (yi, vi, ni stored)
  bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  bcg$ni <- with(dat.bcg, tpos + tneg + cpos + cneg)
  hack <- dat.hackshaw1998
  egg <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
  egg$ni <- with(dat.egger2001, n1i + n2i)
  norm <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                 n2i = n2i, data = dat.normand1999)
  norm$ni <- with(dat.normand1999, n1i + n2i)
  mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)

  datasets <- list(
    bcg = list(source = "dat.bcg; escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg); ni = total",
               yi = v(bcg$yi), vi = v(bcg$vi), ni = v(bcg$ni),
               study = arr(paste(dat.bcg$author, dat.bcg$year)),
               year = v(dat.bcg$year), ablat = v(dat.bcg$ablat), alloc = arr(dat.bcg$alloc)),
    hackshaw1998 = list(source = "dat.hackshaw1998 (yi, vi as stored; log OR)",
               yi = v(hack$yi), vi = v(hack$vi), ni = NULL,
               study = arr(paste(hack$author, hack$year)), year = v(hack$year)),
    egger2001 = list(source = "dat.egger2001; escalc(measure='OR', ai, n1i, ci, n2i) (0.5 added to zero cells); ni = n1i+n2i",
               yi = v(egg$yi), vi = v(egg$vi), ni = v(egg$ni),
               study = arr(paste(dat.egger2001$study, dat.egger2001$year)), year = v(dat.egger2001$year),
               ai = v(dat.egger2001$ai), n1i = v(dat.egger2001$n1i),
               ci = v(dat.egger2001$ci), n2i = v(dat.egger2001$n2i)),
    normand1999 = list(source = "dat.normand1999; escalc(measure='MD'); ni = n1i+n2i",
               yi = v(norm$yi), vi = v(norm$vi), ni = v(norm$ni),
               study = arr(dat.normand1999$source)),
    molloy2014 = list(source = "dat.molloy2014; escalc(measure='ZCOR', ri, ni)",
               yi = v(mol$yi), vi = v(mol$vi), ni = v(mol$ni),
               study = arr(paste(dat.molloy2014$authors, dat.molloy2014$year)),
               year = v(dat.molloy2014$year))
  )
  dd <- list(bcg = bcg, hackshaw1998 = hack, egger2001 = egg, normand1999 = norm, molloy2014 = mol)

  # ================================================================ small-study effects
  regtest_cases <- list()
  for (ds in c("bcg", "hackshaw1998", "egger2001", "normand1999", "molloy2014")) {
    d <- dd[[ds]]
    preds <- if (is.null(d$ni)) c("sei", "vi") else c("sei", "vi", "ni", "ninv", "sqrtninv")
    for (method in c("REML", "DL", "FE")) for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      fit0 <- rma(yi, vi, data = d, method = method, test = test, control = ctrl)
      for (model in c("rma", "lm")) for (pr in preds) {
        if (model == "lm" && (method != "REML" || test != "z")) next   # lm ignores method/test
        r <- if (is.null(d$ni)) regtest(fit0, model = model, predictor = pr)
             else regtest(fit0, model = model, predictor = pr, ni = d$ni)
        case <- list(dataset = ds, model = model, predictor = pr,
                     method = if (model == "rma") method else NULL,
                     test = if (model == "rma") test else NULL,
                     call = sprintf("regtest(rma(yi, vi, method='%s', test='%s', control=ctrl), model='%s', predictor='%s'%s)",
                                    method, test, model, pr, if (is.null(d$ni)) "" else ", ni=ni"),
                     zval = r$zval, pval = r$pval, dfs = r$dfs,
                     est = if (is.null(r$est)) NULL else unname(r$est),
                     ci_lb = if (is.null(r$ci.lb)) NULL else unname(r$ci.lb),
                     ci_ub = if (is.null(r$ci.ub)) NULL else unname(r$ci.ub))
        if (model == "rma") {
          case$coef <- v(coef(r$fit)); case$se <- v(r$fit$se); case$tau2 <- r$fit$tau2
        } else {
          st <- coef(summary(r$fit)); case$coef <- v(st[, 1]); case$se <- v(st[, 2])
          case$intercept_pval <- st[1, 4]
        }
        regtest_cases[[length(regtest_cases) + 1]] <- case
      }
    }
  }

  ranktest_cases <- list()
  for (ds in names(dd)) {
    d <- dd[[ds]]
    r <- suppressWarnings(ranktest(d$yi, d$vi))
    ties <- any(duplicated(d$vi))
    ranktest_cases[[length(ranktest_cases) + 1]] <- list(
      dataset = ds, call = "ranktest(yi, vi)", tau = unname(r$tau), pval = r$pval,
      exact = !ties)
  }

  trimfill_cases <- list()
  for (ds in names(dd)) for (method in c("FE", "REML", "DL")) {
    d <- dd[[ds]]
    fit0 <- rma(yi, vi, data = d, method = method, control = ctrl)
    for (est in c("L0", "R0")) for (side in c("auto", "left", "right")) {
      tf <- if (side == "auto") trimfill(fit0, estimator = est, control = ctrl)
            else trimfill(fit0, estimator = est, side = side, control = ctrl)
      trimfill_cases[[length(trimfill_cases) + 1]] <- list(
        dataset = ds, method = method, estimator = est, side = side,
        call = sprintf("trimfill(rma(yi, vi, method='%s', control=ctrl), estimator='%s'%s)",
                       method, est, if (side == "auto") "" else sprintf(", side='%s'", side)),
        side_used = tf$side, k0 = tf$k0, se_k0 = tf$se.k0, p_k0 = tf$p.k0,
        k = tf$k, estimate = as.numeric(tf$beta), se = tf$se, zval = tf$zval, pval = tf$pval,
        ci_lb = tf$ci.lb, ci_ub = tf$ci.ub, tau2 = tf$tau2,
        fill_yi = v(tf$yi[tf$fill]), fill_vi = v(tf$vi[tf$fill]))
    }
  }

  # PET-PEESE: weighted least squares (lm, weights 1/vi) on sei (PET) and vi (PEESE).
  petpeese_cases <- list()
  for (ds in names(dd)) {
    d <- dd[[ds]]
    pet <- regtest(d$yi, d$vi, model = "lm", predictor = "sei")
    peese <- regtest(d$yi, d$vi, model = "lm", predictor = "vi")
    stp <- coef(summary(pet$fit)); sts <- coef(summary(peese$fit))
    petpeese_cases[[length(petpeese_cases) + 1]] <- list(
      dataset = ds,
      call = "regtest(yi, vi, model='lm', predictor='sei') / predictor='vi'",
      pet_est = unname(pet$est), pet_ci_lb = unname(pet$ci.lb), pet_ci_ub = unname(pet$ci.ub),
      pet_se = stp[1, 2], pet_tval = stp[1, 3], pet_pval = stp[1, 4], pet_slope_pval = pet$pval,
      peese_est = unname(peese$est), peese_ci_lb = unname(peese$ci.lb), peese_ci_ub = unname(peese$ci.ub),
      peese_se = sts[1, 2], peese_pval = sts[1, 4], peese_slope_pval = peese$pval)
  }

  # Peters et al. (2006) with their weights: lm(yi ~ I(1/ni), weights = 1/(1/(ai+ci) + 1/(bi+di)))
  e <- dat.egger2001
  ev <- e$ai + e$ci; nev <- (e$n1i - e$ai) + (e$n2i - e$ci)
  pw <- 1 / (1 / ev + 1 / nev)
  pfit <- summary(lm(egg$yi ~ I(1 / egg$ni), weights = pw))
  peters_cases <- list(list(
    dataset = "egger2001",
    call = "lm(yi ~ I(1/ni), weights = 1/(1/(ai+ci) + 1/(bi+di)))",
    events = v(ev), nonevents = v(nev),
    coef = v(coef(pfit)[, 1]), se = v(coef(pfit)[, 2]), tval = coef(pfit)[2, 3],
    pval = coef(pfit)[2, 4], dfs = pfit$df[2]))

  write_golden(list(datasets = datasets, regtest = regtest_cases, ranktest = ranktest_cases,
                    trimfill = trimfill_cases, petpeese = petpeese_cases, peters2006 = peters_cases),
               "bias_smallstudy.json")

  # ================================================================ sensitivity
  l1o_cases <- list(); cumul_cases <- list(); infl_cases <- list(); subset_cases <- list()
  for (ds in c("bcg", "normand1999", "egger2001")) for (method in c("REML", "DL", "FE")) for (test in c("z", "knha")) {
    if (method == "FE" && test == "knha") next
    d <- dd[[ds]]
    fit0 <- rma(yi, vi, data = d, method = method, test = test, control = ctrl)
    l <- leave1out(fit0)
    l1o_cases[[length(l1o_cases) + 1]] <- list(
      dataset = ds, method = method, test = test,
      call = sprintf("leave1out(rma(yi, vi, method='%s', test='%s', control=ctrl))", method, test),
      estimate = v(l$estimate), se = v(l$se), stat = v(if (test == "z") l$zval else l$tval),
      pval = v(l$pval), ci_lb = v(l$ci.lb), ci_ub = v(l$ci.ub), q = v(l$Q), q_pvalue = v(l$Qp),
      tau2 = if (method == "FE") NULL else v(l$tau2), i2 = v(l$I2), h2 = v(l$H2))
    ordvar <- if (!is.null(d$year)) "year" else "precision"
    ord <- if (ordvar == "year") d$year else d$vi     # precision: most precise (smallest vi) first
    cu <- cumul(fit0, order = ord)
    cumul_cases[[length(cumul_cases) + 1]] <- list(
      dataset = ds, method = method, test = test, order_by = ordvar,
      call = sprintf("cumul(rma(yi, vi, method='%s', test='%s', control=ctrl), order=%s)", method, test,
                     if (ordvar == "year") "year" else "vi"),
      order = v(order(ord)), estimate = v(cu$estimate), se = v(cu$se), pval = v(cu$pval),
      ci_lb = v(cu$ci.lb), ci_ub = v(cu$ci.ub), q = v(cu$Q), q_pvalue = v(cu$Qp),
      tau2 = if (method == "FE") NULL else v(cu$tau2), i2 = v(cu$I2), h2 = v(cu$H2))
    inf <- influence(fit0)
    infl_cases[[length(infl_cases) + 1]] <- list(
      dataset = ds, method = method, test = test, mods = NULL,
      call = sprintf("influence(rma(yi, vi, method='%s', test='%s', control=ctrl))", method, test),
      rstudent = v(inf$inf$rstudent), dffits = v(inf$inf$dffits), cook_d = v(inf$inf$cook.d),
      cov_r = v(inf$inf$cov.r), tau2_del = v(inf$inf$tau2.del), qe_del = v(inf$inf$QE.del),
      hat = v(inf$inf$hat), weight = v(inf$inf$weight / 100),
      dfbs = lapply(unclass(inf$dfbs)[seq_len(fit0$p)], function(z) v(z)), inf = arr(as.logical(inf$is.infl)))
    # "without high risk of bias": a fixed mask (every third study flagged as high RoB)
    mask <- seq_len(nrow(d)) %% 3 == 0
    fs <- rma(yi, vi, data = d, subset = !mask, method = method, test = test, control = ctrl)
    subset_cases[[length(subset_cases) + 1]] <- list(
      dataset = ds, method = method, test = test, exclude = arr(mask),
      call = sprintf("rma(yi, vi, subset=!(seq_len(k) %%%% 3 == 0), method='%s', test='%s', control=ctrl)", method, test),
      k = fs$k, estimate = as.numeric(fs$beta), se = fs$se, pval = fs$pval, ci_lb = fs$ci.lb,
      ci_ub = fs$ci.ub, tau2 = fs$tau2, q = fs$QE)
  }
  # influence for a meta-regression model
  for (method in c("REML", "DL")) for (test in c("z", "knha")) {
    fit0 <- rma(yi, vi, mods = ~ ablat, data = bcg, method = method, test = test, control = ctrl)
    inf <- influence(fit0)
    infl_cases[[length(infl_cases) + 1]] <- list(
      dataset = "bcg", method = method, test = test, mods = arr("ablat"),
      call = sprintf("influence(rma(yi, vi, mods=~ablat, method='%s', test='%s', control=ctrl))", method, test),
      rstudent = v(inf$inf$rstudent), dffits = v(inf$inf$dffits), cook_d = v(inf$inf$cook.d),
      cov_r = v(inf$inf$cov.r), tau2_del = v(inf$inf$tau2.del), qe_del = v(inf$inf$QE.del),
      hat = v(inf$inf$hat), weight = v(inf$inf$weight / 100),
      dfbs = lapply(unclass(inf$dfbs)[seq_len(fit0$p)], function(z) v(z)), inf = arr(as.logical(inf$is.infl)))
  }
  write_golden(list(datasets = datasets[c("bcg", "normand1999", "egger2001")], leave1out = l1o_cases,
                    cumul = cumul_cases, influence = infl_cases, subset = subset_cases),
               "bias_sensitivity.json")

  # ================================================================ moderators
  reg_cases <- list()
  # molloy2014 (correlations, Fisher z): meanage continuous, design categorical; "meanage_na" is
  # meanage with study 3 set to NA to check that missing moderator values drop that study (na.omit).
  mol$meanage_na <- mol$meanage
  mol$meanage_na[3] <- NA
  mdat <- list(bcg = bcg, molloy2014 = mol)
  modsets <- list(
    list(dataset = "bcg", name = "ablat", f = ~ ablat, columns = "ablat"),
    list(dataset = "bcg", name = "ablat_year", f = ~ ablat + year, columns = c("ablat", "year")),
    list(dataset = "bcg", name = "alloc", f = ~ factor(alloc), columns = "alloc"),
    list(dataset = "bcg", name = "ablat_alloc", f = ~ ablat + factor(alloc), columns = c("ablat", "alloc")),
    list(dataset = "molloy2014", name = "meanage_design", f = ~ meanage + factor(design), columns = c("meanage", "design")),
    list(dataset = "molloy2014", name = "meanage_na", f = ~ meanage_na, columns = "meanage_na"),
    list(dataset = "molloy2014", name = "a_measure", f = ~ factor(a_measure), columns = "a_measure"))
  for (ms in modsets) for (method in c("REML", "DL", "ML", "PM", "EB", "FE")) for (test in c("z", "knha")) {
    if (method == "FE" && test == "knha") next
    if (ms$dataset == "bcg" && method %in% c("PM", "EB")) next
    d <- mdat[[ms$dataset]]
    f <- suppressWarnings(rma(yi, vi, mods = ms$f, data = d, method = method, test = test, control = ctrl))
    reg_cases[[length(reg_cases) + 1]] <- list(
      dataset = ms$dataset, mods = ms$name, columns = arr(ms$columns),
      formula = paste(deparse(ms$f), collapse = ""), method = method, test = test,
      call = sprintf("rma(yi, vi, mods=%s, data=%s, method='%s', test='%s', control=ctrl)",
                     paste(deparse(ms$f), collapse = ""), ms$dataset, method, test),
      k = f$k, not_na = arr(as.logical(f$not.na)),
      coef_names = arr(rownames(f$beta)), X = lapply(seq_len(ncol(f$X)), function(j) v(f$X[, j])),
      coef = v(f$beta), se = v(f$se), stat = v(f$zval), pval = v(f$pval), ci_lb = v(f$ci.lb),
      ci_ub = v(f$ci.ub), qm = f$QM, qm_df = v(f$QMdf), qm_pvalue = f$QMp, qe = f$QE,
      qe_df = f$k - f$p, qe_pvalue = f$QEp, tau2 = f$tau2, i2 = f$I2 / 100, h2 = f$H2,
      r2 = if (is.null(f$R2)) NULL else f$R2 / 100, df = if (test == "z") NULL else f$ddf)
  }

  sub_cases <- list()
  subsets <- list(list(dataset = "bcg", moderator = "alloc"), list(dataset = "molloy2014", moderator = "design"),
                  list(dataset = "molloy2014", moderator = "a_measure"))
  for (ss in subsets) for (method in c("REML", "DL", "FE")) for (test in c("z", "knha")) {
    if (method == "FE" && test == "knha") next
    d <- mdat[[ss$dataset]]
    gv <- d[[ss$moderator]]
    groups <- sort(unique(gv))
    fits <- lapply(groups, function(g) rma(yi, vi, data = d, subset = gv == g, method = method,
                                           test = test, control = ctrl))
    est <- sapply(fits, function(f) as.numeric(f$beta)); se <- sapply(fits, function(f) f$se)
    qb <- rma(est, sei = se, method = "FE")
    fg <- factor(gv)
    common <- rma(d$yi, d$vi, mods = ~ fg, method = method, test = test, control = ctrl)
    common0 <- rma(d$yi, d$vi, mods = ~ fg - 1, method = method, test = test, control = ctrl)
    sub_cases[[length(sub_cases) + 1]] <- list(
      dataset = ss$dataset, moderator = ss$moderator, method = method, test = test,
      call = sprintf("per level: rma(yi, vi, subset=%s==g, method='%s', test='%s'); Q-between: rma(est, sei=se, method='FE')$QE; common: rma(yi, vi, mods=~factor(%s), method='%s', test='%s')", ss$moderator, method, test, ss$moderator, method, test),
      groups = arr(groups), k = v(sapply(fits, function(f) f$k)), estimate = v(est), se = v(se),
      ci_lb = v(sapply(fits, function(f) f$ci.lb)), ci_ub = v(sapply(fits, function(f) f$ci.ub)),
      pval = v(sapply(fits, function(f) f$pval)),
      tau2 = v(sapply(fits, function(f) f$tau2)), q = v(sapply(fits, function(f) f$QE)),
      i2 = v(sapply(fits, function(f) f$I2 / 100)),
      q_between = qb$QE, q_between_df = qb$k - 1, q_between_pvalue = qb$QEp,
      common_qm = common$QM, common_qm_df = v(common$QMdf), common_qm_pvalue = common$QMp,
      common_tau2 = common$tau2, common_estimate = v(common0$beta), common_se = v(common0$se),
      common_ci_lb = v(common0$ci.lb), common_ci_ub = v(common0$ci.ub))
  }

  perm_cases <- list()
  sub6 <- bcg[1:6, ]
  for (method in c("REML", "DL")) for (test in c("z", "knha")) {
    f <- rma(yi, vi, mods = ~ ablat, data = sub6, method = method, test = test, control = ctrl)
    p <- permutest(f, exact = TRUE)
    perm_cases[[length(perm_cases) + 1]] <- list(
      dataset = "bcg[1:6]", mods = "ablat", method = method, test = test, exact = TRUE,
      yi = v(sub6$yi), vi = v(sub6$vi), X = lapply(1:2, function(j) v(f$X[, j])),
      call = sprintf("permutest(rma(yi, vi, mods=~ablat, data=bcg[1:6,], method='%s', test='%s', control=ctrl), exact=TRUE)", method, test),
      n_perm = length(p$QM.perm), pval = v(p$pval), qm = f$QM, qm_pvalue = p$QMp, stat = v(f$zval))
  }
  sub8 <- bcg[c(1, 2, 3, 4, 7, 9, 12, 13), ]   # 4 random, 2 systematic, 2 alternate... see alloc
  sub8$rand <- as.numeric(sub8$alloc == "random")
  for (method in c("REML", "DL")) for (test in c("z", "knha")) {
    f <- rma(yi, vi, mods = ~ rand, data = sub8, method = method, test = test, control = ctrl)
    p <- permutest(f, exact = TRUE)
    perm_cases[[length(perm_cases) + 1]] <- list(
      dataset = "bcg[c(1,2,3,4,7,9,12,13)]", mods = "alloc=='random'", method = method, test = test,
      exact = TRUE, yi = v(sub8$yi), vi = v(sub8$vi), X = lapply(1:2, function(j) v(f$X[, j])),
      call = sprintf("permutest(rma(yi, vi, mods=~I(alloc=='random'), method='%s', test='%s', control=ctrl), exact=TRUE)", method, test),
      n_perm = length(p$QM.perm), pval = v(p$pval), qm = f$QM, qm_pvalue = p$QMp, stat = v(f$zval))
  }
  for (method in c("REML", "DL")) {
    sub8b <- bcg[1:8, ]
    f <- rma(yi, vi, data = sub8b, method = method, test = "z", control = ctrl)
    p <- permutest(f, exact = TRUE)
    perm_cases[[length(perm_cases) + 1]] <- list(
      dataset = "bcg[1:8]", mods = NULL, method = method, test = "z", exact = TRUE,
      yi = v(sub8b$yi), vi = v(sub8b$vi), X = list(v(rep(1, 8))),
      call = sprintf("permutest(rma(yi, vi, data=bcg[1:8,], method='%s', control=ctrl), exact=TRUE)", method),
      n_perm = length(p$QM.perm), pval = v(p$pval), qm = f$QM, qm_pvalue = p$QMp, stat = v(f$zval))
  }
  # approximate (random) permutation test on the full data: Python's RNG differs from R's, so the
  # test compares within Monte Carlo error; the reference p-value here uses many permutations.
  f <- rma(yi, vi, mods = ~ ablat, data = bcg, method = "REML", test = "z", control = ctrl)
  set.seed(20240601)
  p <- permutest(f, iter = 5000, seed = 20240601)
  perm_cases[[length(perm_cases) + 1]] <- list(
    dataset = "bcg", mods = "ablat", method = "REML", test = "z", exact = FALSE,
    yi = v(bcg$yi), vi = v(bcg$vi), X = lapply(1:2, function(j) v(f$X[, j])),
    call = "permutest(rma(yi, vi, mods=~ablat, data=bcg, method='REML', control=ctrl), iter=5000, seed=20240601)",
    n_perm = length(p$QM.perm), pval = v(p$pval), qm = f$QM, qm_pvalue = p$QMp, stat = v(f$zval))

  mdatasets <- list(
    bcg = datasets$bcg,
    molloy2014 = c(datasets$molloy2014, list(
      meanage = v(mol$meanage), meanage_na = v(mol$meanage_na), design = arr(mol$design),
      a_measure = arr(mol$a_measure))))
  write_golden(list(datasets = mdatasets, metareg = reg_cases, subgroups = sub_cases,
                    permutest = perm_cases), "bias_moderators.json")
})
