# Writes tests/report/data/meta_fixture.json: two real metafor fits used as the fixed, small input
# of the report gold-file tests (so the gold files do not churn when the bundled pack changes).
# Regenerate (from the repo root):  Rscript tests/report/data/make_fixture.R
suppressPackageStartupMessages({library(metafor); library(metadat); library(jsonlite)})
ctrl <- list(threshold = 1e-12, maxiter = 10000)
fit_dict <- function(dat, res, labels, measure, call) {
  pr <- predict(res)
  ci <- confint(res)
  list(call = call, k = res$k, measure = measure, method = res$method, test = res$test, level = 95,
       estimate = as.numeric(res$beta), se = res$se, ci_low = res$ci.lb, ci_high = res$ci.ub,
       pval = res$pval, pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = res$tau2,
       tau2_ci_low = ci$random["tau^2", "ci.lb"], tau2_ci_high = ci$random["tau^2", "ci.ub"],
       i2 = res$I2 / 100, h2 = res$H2, q = res$QE, q_df = res$k - 1, q_pvalue = res$QEp,
       studies = lapply(seq_len(res$k), function(i) list(study = labels[i], yi = as.numeric(dat$yi[i]),
                 vi = as.numeric(dat$vi[i]), weight = as.numeric(weights(res)[i] / 100))))
}
d1 <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
r1 <- rma(yi, vi, data = d1, method = "REML", test = "knha", control = ctrl)
d2 <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
r2 <- rma(yi, vi, data = d2, method = "REML", test = "knha", control = ctrl)
out <- list(
  R = R.version.string, metafor = as.character(packageVersion("metafor")),
  normand1999_md = fit_dict(d1, r1, as.character(dat.normand1999$source), "MD",
    "rma(escalc('MD', m1i, sd1i, n1i, m2i, sd2i, n2i, data=dat.normand1999), method='REML', test='knha')"),
  bcg_rr = fit_dict(d2, r2, paste(dat.bcg$author, dat.bcg$year), "RR",
    "rma(escalc('RR', ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg), method='REML', test='knha')"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/report/data/meta_fixture.json")
