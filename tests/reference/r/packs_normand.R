# Golden values for the arm-level test pack tests/packs/data/normand1999 (engineer C).
# Run from the repo root:  Rscript tests/reference/r/packs_normand.R
# Writes tests/reference/golden/packs_normand1999.json.
# Data: metadat::dat.normand1999 (Normand SLT. Meta-analysis: formulating, evaluating, combining,
# and reporting. Stat Med. 1999;18(3):321-359), length of hospital stay (days), specialist (group 1)
# vs routine (group 2) care for stroke.
suppressPackageStartupMessages({library(metafor); library(metadat); library(jsonlite)})
dat <- dat.normand1999
one <- function(measure) {
  es <- escalc(measure = measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat)
  res <- rma(yi, vi, data = es, method = "REML", test = "knha", control = list(threshold = 1e-12, maxiter = 1000))
  pr <- predict(res)
  list(
    call = sprintf("rma(escalc(measure='%s', m1i, sd1i, n1i, m2i, sd2i, n2i, data=dat.normand1999), method='REML', test='knha', control=list(threshold=1e-12))", measure),
    k = res$k, estimate = as.numeric(res$b), se = res$se, ci_low = res$ci.lb, ci_high = res$ci.ub,
    pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = res$tau2, i2 = res$I2 / 100, q = res$QE, q_pvalue = res$QEp,
    yi = as.numeric(es$yi), vi = as.numeric(es$vi), weights = as.numeric(weights(res)) / 100,
    participants = sum(dat$n1i + dat$n2i)
  )
}
out <- list(
  dataset = "metadat::dat.normand1999",
  citation = "Normand SLT. Meta-analysis: formulating, evaluating, combining, and reporting. Stat Med. 1999;18(3):321-359.",
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  MD = one("MD"), SMD = one("SMD")
)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_normand1999.json")

# Safety pooling of the bundled dry-needling pack (adverse events per treatment; counts from
# safety.csv rows S001/S017 (mild) and S002/S021 (significant/major)), and exact intervals.
prop <- function(measure, xi, ni, transf) {
  res <- rma(measure = measure, xi = xi, ni = ni, method = "REML", test = "knha", control = list(threshold = 1e-12, maxiter = 1000))
  pr <- if (measure == "PFT") predict(res, transf = transf.ipft.hm, targs = list(ni = ni)) else predict(res, transf = transf)
  list(call = sprintf("rma(measure='%s', xi=c(%s), ni=c(%s), method='REML', test='knha'); predict(transf=%s)", measure,
                      paste(xi, collapse = ","), paste(ni, collapse = ","), if (measure == "PFT") "transf.ipft.hm" else "transf.ilogit"),
       xi = xi, ni = ni, estimate = pr$pred, ci_low = pr$ci.lb, ci_high = pr$ci.ub, pi_low = pr$pi.lb, pi_high = pr$pi.ub,
       tau2 = res$tau2, i2 = res$I2 / 100, estimate_raw = as.numeric(res$b))
}
bt <- function(x, n) { b <- binom.test(x, n); list(x = x, n = n, ci_low = b$conf.int[1], ci_high = b$conf.int[2]) }
out2 <- list(
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  mild_per_treatment_PLO = prop("PLO", c(1463, 7531), c(7629, 20464), transf.ilogit),
  mild_per_treatment_PFT = prop("PFT", c(1463, 7531), c(7629, 20464), NULL),
  serious_per_treatment_PLO = prop("PLO", c(0, 20), c(7629, 20494), transf.ilogit),
  serious_per_treatment_PFT = prop("PFT", c(0, 20), c(7629, 20494), NULL),
  exact = list(bt(1463, 7629), bt(0, 7629), bt(7531, 20464), bt(20, 20494), bt(0, 40))
)
writeLines(toJSON(out2, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_safety.json")

# Synthetic reported-effects pack tests/packs/data/effects_mini: rows R1, R2 (sign reversed), R7
# enter the pool with se = (ci_high - ci_low) / (2 * qnorm(0.975)).
yi <- c(-1.2, -0.9, -2.0)
sei <- c(-0.4 - -2.0, -0.1 - -1.7, -0.9 - -3.1) / (2 * qnorm(0.975))
res <- rma(yi = yi, sei = sei, method = "REML", test = "knha", control = list(threshold = 1e-12, maxiter = 1000))
pr <- predict(res)
out3 <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
             call = "rma(yi=c(-1.2,-0.9,-2.0), sei=c(1.6,1.6,2.2)/(2*qnorm(0.975)), method='REML', test='knha')",
             estimate = as.numeric(res$b), se = res$se, ci_low = res$ci.lb, ci_high = res$ci.ub, pi_low = pr$pi.lb,
             pi_high = pr$pi.ub, tau2 = res$tau2, i2 = res$I2 / 100, weights = as.numeric(weights(res)) / 100)
writeLines(toJSON(out3, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_effects_mini.json")

# Arm-level binary test pack tests/packs/data/bcg (metadat::dat.bcg): log risk ratio, REML + knha.
es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = es, method = "REML", test = "knha", control = list(threshold = 1e-12, maxiter = 1000))
pr <- predict(res, transf = exp)
out4 <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
             call = "rma(escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg), method='REML', test='knha'); predict(transf=exp)",
             estimate_log = as.numeric(res$b), se = res$se, estimate = pr$pred, ci_low = pr$ci.lb, ci_high = pr$ci.ub,
             pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = res$tau2, i2 = res$I2 / 100,
             yi = as.numeric(es$yi), vi = as.numeric(es$vi), participants = sum(dat.bcg$tpos + dat.bcg$tneg + dat.bcg$cpos + dat.bcg$cneg))
writeLines(toJSON(out4, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/golden/packs_bcg.json")
