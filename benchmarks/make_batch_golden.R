# Golden values from R metafor for the batch engine's tests (tests/unit/test_batch_golden.py).
# Regenerate (from the repository root):  Rscript benchmarks/make_batch_golden.R
# Writes tests/unit/test_batch_metafor_golden.json: the data (60 analyses, k = 1..15, a seeded mix
# of homogeneous and heterogeneous analyses) and, for every method x test, metafor's rma() +
# predict() results (+ confint() Q-profile CIs for tau2 for the random-effects methods), all at
# %.17g precision, with tight convergence: control = list(threshold = 1e-12, maxiter = 10000,
# tol = 1e-12) for rma and control = list(tol = 1e-12) for confint.
suppressMessages({library(metafor); library(jsonlite)})
set.seed(20261125)
n <- 60
analyses <- list()
for (j in seq_len(n)) {
  k <- if (j <= 3) j else sample(2:15, 1)            # k = 1, 2, 3 first, then 2..15
  tau2 <- if (runif(1) < 0.3) 0 else exp(runif(1, log(0.005), log(0.5)))
  n1 <- sample(10:200, k, replace = TRUE); n2 <- sample(10:200, k, replace = TRUE)
  theta <- rnorm(1, 0.3, 0.3) + rnorm(k) * sqrt(tau2)
  vi <- 1 / n1 + 1 / n2 + theta^2 / (2 * (n1 + n2))
  yi <- theta + rnorm(k) * sqrt(vi)
  analyses[[j]] <- list(id = sprintf("G%02d", j), yi = yi, vi = vi)
}
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(x)[1]
fits <- list()
con <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
for (m in c("FE", "DL", "PM", "ML", "REML", "EB")) for (tst in c("z", "knha")) {
  rows <- list()
  for (a in analyses) {
    if (length(a$yi) == 1) next  # k = 1: metafor's conventions differ from evigrade's documented ones
    r <- suppressWarnings(rma(a$yi, a$vi, method = m, test = tst, control = con))
    p <- predict(r)
    row <- list(id = a$id, estimate = num(r$beta), se = num(r$se), stat = num(r$zval), pval = num(r$pval),
                ci_low = num(r$ci.lb), ci_high = num(r$ci.ub), tau2 = num(r$tau2), tau2_se = num(r$se.tau2),
                q = num(r$QE), q_pvalue = num(r$QEp), i2 = num(r$I2) / 100, h2 = num(r$H2),
                pi_low = if (m == "FE") NA_real_ else num(p$pi.lb), pi_high = if (m == "FE") NA_real_ else num(p$pi.ub))
    if (m != "FE") {
      ci <- confint(r, control = list(tol = 1e-12))
      row$tau2_ci_low <- ci$random[1, 2]; row$tau2_ci_high <- ci$random[1, 3]
      row$i2_ci_low <- ci$random[3, 2] / 100; row$i2_ci_high <- ci$random[3, 3] / 100
      row$h2_ci_low <- ci$random[4, 2]; row$h2_ci_high <- ci$random[4, 3]
    }
    rows[[length(rows) + 1]] <- row
  }
  fits[[length(fits) + 1]] <- list(method = m, test = tst, results = rows)
}
out <- list(
  provenance = list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
                    script = "benchmarks/make_batch_golden.R",
                    call = "rma(yi, vi, method=, test=, control=list(threshold=1e-12, maxiter=10000, tol=1e-12)); predict(); confint(control=list(tol=1e-12))"),
  analyses = analyses, fits = fits)
write(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), "tests/unit/test_batch_metafor_golden.json")
cat("wrote tests/unit/test_batch_metafor_golden.json\n")
