# Golden values for evigrade.packs.robustness on the test pack tests/packs/data/bcg_moderators (engineer K).
# Run from the repo root:  Rscript tests/reference/r/packs_robustness.R
# Writes tests/reference/golden/packs_robustness.json.
# Data: metadat::dat.bcg (Colditz GA, Brewer TF, Berkey CS, et al. Efficacy of BCG vaccine in the
# prevention of tuberculosis: meta-analysis of the published literature. JAMA. 1994;271(9):698-702),
# log risk ratio of TB (vaccinated / not vaccinated), pooled as `evigrade summarize` does it
# (REML, Hartung-Knapp-Sidik-Jonkman, 95%).  The pack's risk of bias is "high" for the trials with
# alternate or systematic (non-random) allocation (RoB 2 domain 1), unknown for the others.
suppressPackageStartupMessages({library(metafor); library(metadat); library(jsonlite)})
ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5)
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
dat$ni <- with(dat, tpos + tneg + cpos + cneg)
res <- rma(yi, vi, data = dat, method = "REML", test = "knha", control = ctrl)

# ---- subgroups by allocation (separate tau2 per subgroup; Q-between of the subgroup estimates)
lv <- sort(unique(dat$alloc))
groups <- lapply(lv, function(l) {
  r <- rma(yi, vi, data = dat, subset = alloc == l, method = "REML", test = "knha", control = ctrl)
  list(level = l, k = r$k, estimate = as.numeric(r$b), se = r$se, ci_low = r$ci.lb, ci_high = r$ci.ub,
       tau2 = r$tau2, i2 = r$I2 / 100)
})
est <- sapply(groups, function(g) g$estimate); se <- sapply(groups, function(g) g$se)
qb <- rma(est, sei = se, method = "FE")

# ---- meta-regression on absolute latitude (continuous)
mr <- rma(yi, vi, mods = ~ ablat, data = dat, method = "REML", test = "knha", control = ctrl)

# ---- sensitivity
l1o <- leave1out(res)
low <- rma(yi, vi, data = dat, subset = alloc == "random", method = "REML", test = "knha", control = ctrl)
inf <- influence(res)

# ---- small-study tests (binary outcome: Peters = regtest(model="lm", predictor="ninv"))
pet <- regtest(dat$yi, dat$vi, ni = dat$ni, model = "lm", predictor = "ninv")
egg <- regtest(dat$yi, dat$vi, model = "lm", predictor = "sei")
rk <- ranktest(dat$yi, dat$vi)
tf <- trimfill(rma(yi, vi, data = dat, method = "REML", control = ctrl), control = ctrl)

out <- list(
  generator = "tests/reference/r/packs_robustness.R",
  dataset = "metadat::dat.bcg",
  citation = "Colditz GA, et al. Efficacy of BCG vaccine in the prevention of tuberculosis. JAMA. 1994;271(9):698-702.",
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  call = "rma(escalc('RR', ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg), method='REML', test='knha')",
  estimate = as.numeric(res$b), tau2 = res$tau2,
  subgroups_alloc = list(
    call = "rma(yi, vi, subset = alloc == level, method='REML', test='knha'); rma(est, sei=se, method='FE')$QE",
    groups = groups, q_between = qb$QE, q_between_df = length(lv) - 1, q_between_pvalue = qb$QEp),
  regression_ablat = list(
    call = "rma(yi, vi, mods = ~ ablat, method='REML', test='knha')",
    coef = as.numeric(mr$b), se = mr$se, pval = mr$pval, ci_low = mr$ci.lb, ci_high = mr$ci.ub,
    qm = mr$QM, qm_df = c(mr$QMdf[1], mr$QMdf[2]), qm_pvalue = mr$QMp, tau2 = mr$tau2, r2 = mr$R2 / 100),
  leave_one_out = list(call = "leave1out(res)", estimate = as.numeric(l1o$estimate), ci_low = as.numeric(l1o$ci.lb),
                       ci_high = as.numeric(l1o$ci.ub), tau2 = as.numeric(l1o$tau2)),
  without_high_rob = list(call = "rma(yi, vi, subset = alloc == 'random', method='REML', test='knha')",
                          k = low$k, estimate = as.numeric(low$b), ci_low = low$ci.lb, ci_high = low$ci.ub, tau2 = low$tau2),
  influence = list(call = "influence(res)", rstudent = as.numeric(inf$inf$rstudent), cook_d = as.numeric(inf$inf$cook.d),
                   hat = as.numeric(inf$inf$hat), is_infl = as.logical(inf$is.infl)),
  peters = list(call = "regtest(yi, vi, ni = n, model='lm', predictor='ninv')", stat = pet$zval, pval = pet$pval, df = pet$dfs),
  egger = list(call = "regtest(yi, vi, model='lm', predictor='sei')", stat = egg$zval, pval = egg$pval, df = egg$dfs),
  ranktest = list(call = "ranktest(yi, vi)", tau = as.numeric(rk$tau), pval = rk$pval),
  trimfill = list(call = "trimfill(rma(yi, vi, method='REML', control=ctrl), control=ctrl)", k0 = tf$k0, side = tf$side,
                  estimate = as.numeric(tf$b), ci_low = tf$ci.lb, ci_high = tf$ci.ub)
)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_robustness.json")
