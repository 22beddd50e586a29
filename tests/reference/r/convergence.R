# Golden values for evigrade's one convergence path of ML/REML/EB (evigrade.stats.fit NEWTON_AFTER,
# shared by the batch engine), from R metafor: the hard cases found when the two engines were made to
# agree (engineer N, issues 2 and 7 follow-up).
#
# Sourced by tests/reference/make_golden.R (run `Rscript tests/reference/make_golden.R` from the repo
# root); can also run alone from the repo root: `Rscript tests/reference/r/convergence.R`.
# Writes tests/reference/golden/rma_convergence.json.  Every number is written with %.17g; the file
# records R.version.string, the metafor version and the R call of every case.
#
# Cases (yi, vi written below at full precision):
# * osc_A68247, osc_A97574: REML, from evigrade.batch.workload.make_workload(100000, seed=20261125)
#   (analysis ids A68247 and A97574).  metafor's Fisher scoring oscillates between two values and
#   never converges (rma() stops with "Fisher scoring algorithm did not converge", with the default
#   control and with threshold=1e-12, maxiter=10000 alike; recorded in default_error/tight_error).
#   With control=list(stepadj=0.5) it converges: that is the REML maximiser evigrade must report.
# * big_tau2_k2: REML with tau2 ~ 4694 (k = 2, variance ratio 400): a step of one ulp of tau2
#   (~1e-12) is larger than threshold = 1e-12, so evigrade's Fisher scoring used to flip between
#   neighbouring floating-point numbers and fall back to PM; metafor converges here.
# * ll0_ML_k2: ML where Fisher scoring stops at a point with a lower likelihood than tau2 = 0;
#   metafor's ll0check sets tau2 = 0 (the batch engine had the sign of that check wrong).
local({
  suppressPackageStartupMessages(library(metafor))

  jnum <- function(x) {
    x <- as.numeric(x)
    ifelse(is.na(x) | is.infinite(x), "null", sprintf("%.17g", x))
  }
  jstr <- function(s) {
    s <- gsub("\\\\", "\\\\\\\\", as.character(s))
    s <- gsub("\"", "\\\\\"", s)
    paste0("\"", s, "\"")
  }
  arr <- function(x) structure(list(v = x), class = "jarr")
  to_json <- function(x) {
    if (inherits(x, "jarr")) return(paste0("[", paste(jnum(x$v), collapse = ", "), "]"))
    if (is.null(x)) return("null")
    if (is.list(x)) {
      nm <- names(x)
      if (is.null(nm)) return(paste0("[", paste(vapply(x, to_json, ""), collapse = ",\n"), "]"))
      parts <- vapply(seq_along(x), function(i) paste0(jstr(nm[i]), ": ", to_json(x[[i]])), "")
      return(paste0("{", paste(parts, collapse = ", "), "}"))
    }
    if (is.character(x)) return(jstr(x))
    if (is.logical(x)) return(if (is.na(x)) "null" else tolower(as.character(x)))
    jnum(x)
  }

  data <- list(
    osc_A68247 = list(method = "REML", stepadj = 0.5,
      yi = c(-0.062820116903443732, 0.059546547241157211, 0.21967675737038797, 0.14894505214385251,
             0.22860393976358404, 0.10433366739987737, 0.25415504227901053),
      vi = c(0.010431035474166508, 0.059876927245981704, 0.014531844982961763, 0.061162056859457858,
             0.033339497199307545, 0.059157022375318752, 0.042918673124673977)),
    osc_A97574 = list(method = "REML", stepadj = 0.5,
      yi = c(0.15658822325890012, 0.34924883107316984, -0.011640624307831516, 0.24851200662107414,
             0.081838908324063736, 0.078722866778651285),
      vi = c(0.083812609768941712, 0.013716079143781399, 0.062202502963155423, 0.10769528485738257,
             0.054411149561813976, 0.047830799889877866)),
    big_tau2_k2 = list(method = "REML", stepadj = 1,
      yi = c(30.224487737538077, -66.6712286677338),
      vi = c(0.0002821760469209001, 0.1143581551939988)),
    ll0_ML_k2 = list(method = "ML", stepadj = 1,
      yi = c(0.32445174624986206, -1.8906092104868304),
      vi = c(0.0013178064630871757, 0.8960743207488967))
  )
  err_or_null <- function(expr) tryCatch({ force(expr); NULL }, error = function(e) conditionMessage(e))

  cases <- list()
  for (id in names(data)) {
    D <- data[[id]]
    default_error <- err_or_null(suppressWarnings(rma(D$yi, D$vi, method = D$method)))
    tight_error <- err_or_null(suppressWarnings(rma(D$yi, D$vi, method = D$method,
                                                    control = list(threshold = 1e-12, maxiter = 10000))))
    ctrl <- list(stepadj = D$stepadj, threshold = 1e-12, maxiter = 10000, tol = 1e-12)
    for (test in c("z", "knha")) {
      r <- suppressWarnings(rma(D$yi, D$vi, method = D$method, test = test, control = ctrl))
      ci <- suppressWarnings(confint(r, control = list(tol = 1e-12, maxiter = 10000)))$random
      p <- predict(r)
      cases[[length(cases) + 1]] <- list(
        id = id, method = D$method, test = test, yi = arr(D$yi), vi = arr(D$vi),
        call = sprintf("rma(yi, vi, method='%s', test='%s', control=list(stepadj=%s, threshold=1e-12, maxiter=10000, tol=1e-12)); confint(., control=list(tol=1e-12, maxiter=10000)); predict(.)",
                       D$method, test, format(D$stepadj)),
        default_error = default_error, tight_error = tight_error,
        estimate = c(r$beta), se = r$se, zval = r$zval, pval = r$pval, ci_low = r$ci.lb, ci_high = r$ci.ub,
        pi_low = p$pi.lb, pi_high = p$pi.ub, tau2 = r$tau2, tau2_se = r$se.tau2, q = r$QE, q_pvalue = r$QEp,
        i2 = r$I2 / 100, h2 = r$H2,
        tau2_ci_low = ci["tau^2", "ci.lb"], tau2_ci_high = ci["tau^2", "ci.ub"],
        i2_ci_low = ci["I^2(%)", "ci.lb"] / 100, i2_ci_high = ci["I^2(%)", "ci.ub"] / 100,
        h2_ci_low = ci["H^2", "ci.lb"], h2_ci_high = ci["H^2", "ci.ub"])
    }
  }
  dir.create("tests/reference/golden", showWarnings = FALSE, recursive = TRUE)
  path <- "tests/reference/golden/rma_convergence.json"
  writeLines(to_json(list(
    r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
    generator = "tests/reference/r/convergence.R via Rscript tests/reference/make_golden.R",
    control = "rma: control=list(stepadj=0.5 for the osc_* cases else 1, threshold=1e-12, maxiter=10000, tol=1e-12); confint: control=list(tol=1e-12, maxiter=10000)",
    cases = cases)), path)
  cat("wrote", path, "\n")
})
