# One analysis at a time with R metafor, for benchmarks/run_benchmarks.py.
# Usage: Rscript benchmarks/metafor_loop.R IN.csv OUT_PREFIX N_RMA N_CONFINT
#   IN.csv: analysis_id, yi, vi (rows of each analysis contiguous, in order of first appearance)
# Writes OUT_PREFIX_rma.csv (REML + knha + predict, DL and PM on the first N_RMA analyses) and
# OUT_PREFIX_confint.csv (REML + confint() Q-profile on the first N_CONFINT analyses), and prints
# one line per timed loop: "TIMING <task> <n> <seconds>" (the loop only; reading/splitting excluded).
# metafor is run to tight convergence (its default threshold 1e-5 is only accurate to ~3e-5):
# control=list(threshold=1e-10, maxiter=1000); confint() with control=list(tol=1e-10).
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = c(analysis_id = "character"))
prefix <- args[2]
n_rma <- as.integer(args[3])
n_ci <- as.integer(args[4])
sp <- split(d[, c("yi", "vi")], factor(d$analysis_id, levels = unique(d$analysis_id)))
ids <- names(sp)
con <- list(threshold = 1e-10, maxiter = 1000)

n <- min(n_rma, length(sp))
est <- tau2 <- pil <- piu <- cil <- rep(NA_real_, n)
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  s <- sp[[i]]
  r <- tryCatch(rma(s$yi, s$vi, method = "REML", test = "knha", control = con), error = function(e) NULL)
  if (is.null(r)) next  # did not converge: left NA (evigrade falls back to PM, with a note)
  p <- predict(r)
  est[i] <- r$beta[1]; tau2[i] <- r$tau2; cil[i] <- r$ci.lb; pil[i] <- p$pi.lb; piu[i] <- p$pi.ub
}
cat("TIMING rma_reml_knha_predict", n, proc.time()[["elapsed"]] - t0, "\n")

dl_est <- dl_tau2 <- pm_est <- pm_tau2 <- rep(NA_real_, n)
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  s <- sp[[i]]
  r <- rma(s$yi, s$vi, method = "DL")
  dl_est[i] <- r$beta[1]; dl_tau2[i] <- r$tau2
}
cat("TIMING rma_dl", n, proc.time()[["elapsed"]] - t0, "\n")
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  s <- sp[[i]]
  r <- rma(s$yi, s$vi, method = "PM", control = list(tol = 1e-12, maxiter = 1000))
  pm_est[i] <- r$beta[1]; pm_tau2[i] <- r$tau2
}
cat("TIMING rma_pm", n, proc.time()[["elapsed"]] - t0, "\n")
write.csv(data.frame(analysis_id = ids[seq_len(n)], estimate = est, tau2 = tau2, ci_low = cil, pi_low = pil,
                     pi_high = piu, dl_estimate = dl_est, dl_tau2 = dl_tau2, pm_estimate = pm_est,
                     pm_tau2 = pm_tau2),
          paste0(prefix, "_rma.csv"), row.names = FALSE)

n <- min(n_ci, length(sp))
lo <- hi <- rep(NA_real_, n)
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  s <- sp[[i]]
  r <- tryCatch(rma(s$yi, s$vi, method = "REML", test = "knha", control = con), error = function(e) NULL)
  if (is.null(r)) next
  ci <- confint(r, control = list(tol = 1e-10))
  lo[i] <- ci$random[1, 2]; hi[i] <- ci$random[1, 3]
}
cat("TIMING rma_confint", n, proc.time()[["elapsed"]] - t0, "\n")
write.csv(data.frame(analysis_id = ids[seq_len(n)], tau2_ci_low = lo, tau2_ci_high = hi),
          paste0(prefix, "_confint.csv"), row.names = FALSE)
cat("VERSION", R.version.string, "metafor", as.character(packageVersion("metafor")), "\n")
