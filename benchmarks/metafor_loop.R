# One analysis at a time with R metafor, for the Python benchmark scripts in benchmarks/.
# Usage: Rscript benchmarks/metafor_loop.R MODE TASKS IN1.csv [IN2.csv ...]
#   MODE  "time":  metafor as users call it (default control) in a timed loop; prints
#                  "TIMING <IN> <task> <n> <seconds>" (the loop only: reading and splitting the
#                  table are excluded, which favours metafor).
#         "tight": tightly converged metafor, for agreement: control = list(threshold = 1e-12,
#                  maxiter = 10000) for ML/REML and list(tol = 1e-12, maxiter = 10000) for PM
#                  (metafor's default threshold 1e-5 is only accurate to ~1e-5); writes IN_<task>.out.csv.
#   TASKS "reml" (rma(method = "REML", test = "knha") + predict()), "pm" (rma(method = "PM")),
#         or both separated by a comma ("reml,pm").
#   INi.csv: analysis_id, yi, vi (rows of each analysis contiguous, in order of first appearance).
# Analyses where rma() stops with an error (non-convergence) are left NA and counted ("FAILED ...").
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
tasks <- strsplit(args[2], ",")[[1]]
tight <- identical(mode, "tight")
con_reml <- if (tight) list(threshold = 1e-12, maxiter = 10000) else list()
con_pm <- if (tight) list(tol = 1e-12, maxiter = 10000) else list()

for (path in args[-(1:2)]) {
  d <- read.csv(path, colClasses = c(analysis_id = "character"))
  sp <- split(d[, c("yi", "vi")], factor(d$analysis_id, levels = unique(d$analysis_id)))
  ids <- names(sp)
  n <- length(sp)
  for (task in tasks) {
    est <- se <- cil <- cih <- tau2 <- pil <- pih <- rep(NA_real_, n)
    failed <- 0L
    # one untimed call first (R loads metafor's lazily loaded code and byte-compiles on first use)
    invisible(tryCatch(rma(sp[[1]]$yi, sp[[1]]$vi, method = toupper(task)), error = function(e) NULL))
    t0 <- proc.time()[["elapsed"]]
    if (task == "reml") {
      for (i in seq_len(n)) {
        s <- sp[[i]]
        r <- tryCatch(rma(s$yi, s$vi, method = "REML", test = "knha", control = con_reml),
                      error = function(e) NULL)
        if (is.null(r)) { failed <- failed + 1L; next }
        p <- predict(r)
        est[i] <- r$beta[1]; se[i] <- r$se; cil[i] <- r$ci.lb; cih[i] <- r$ci.ub; tau2[i] <- r$tau2
        pil[i] <- p$pi.lb; pih[i] <- p$pi.ub
      }
    } else if (task == "pm") {
      for (i in seq_len(n)) {
        s <- sp[[i]]
        r <- tryCatch(rma(s$yi, s$vi, method = "PM", control = con_pm), error = function(e) NULL)
        if (is.null(r)) { failed <- failed + 1L; next }
        est[i] <- r$beta[1]; se[i] <- r$se; cil[i] <- r$ci.lb; cih[i] <- r$ci.ub; tau2[i] <- r$tau2
      }
    } else stop("unknown task ", task)
    sec <- proc.time()[["elapsed"]] - t0
    cat("TIMING", path, task, n, sec, "\n")
    if (failed > 0L) cat("FAILED", path, task, failed, "\n")
    if (tight) {
      out <- data.frame(analysis_id = ids, estimate = est, se = se, ci_low = cil, ci_high = cih, tau2 = tau2,
                        pi_low = pil, pi_high = pih)
      for (col in names(out)[-1]) out[[col]] <- sprintf("%.17g", out[[col]])
      write.csv(out, sub("\\.csv$", paste0("_", task, ".out.csv"), path), row.names = FALSE, quote = FALSE)
    }
  }
}
cat("VERSION", R.version.string, "| metafor", as.character(packageVersion("metafor")), "\n")
