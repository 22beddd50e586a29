# Golden values for `evigrade meta/grade --keep-double-zero` (engineer O): metafor's escalc with
# drop00=FALSE / TRUE for RR and OR, then rma(REML, knha).  Regenerate (repository root):
#     Rscript tests/reference/r/double_zero.R        (or tests/reference/make_golden.R)
# Writes tests/reference/golden/double_zero.json; numbers at %.17g with the R and metafor versions
# and the R call of every case.  tests/cli/test_cli_audit2.py reads it and never calls R.
local({
  suppressPackageStartupMessages({ library(metafor); library(metadat) })
  num <- function(x) {
    x <- as.numeric(x)
    out <- ifelse(is.na(x) | is.infinite(x), "null", sprintf("%.17g", x))
    paste0("[", paste(out, collapse = ","), "]")
  }
  q <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  strs <- function(s) paste0("[", paste(vapply(as.character(s), q, ""), collapse = ","), "]")
  ctl <- "control=list(threshold=1e-12, maxiter=10000, tol=1e-12)"
  cases <- character()
  add <- function(name, ai, n1i, ci, n2i, slab, measure, drop00) {
    es <- escalc(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, drop00 = drop00, slab = slab)
    fit <- rma(yi, vi, data = es, method = "REML", test = "knha",
               control = list(threshold = 1e-12, maxiter = 10000, tol = 1e-12))
    call <- sprintf("es <- escalc(measure='%s', ai, n1i, ci, n2i, drop00=%s, slab=study); rma(yi, vi, data=es, method='REML', test='knha', %s)",
                    measure, if (drop00) "TRUE" else "FALSE", ctl)
    cases <<- c(cases, paste0(
      "{\"name\": ", q(name), ", \"measure\": ", q(measure), ", \"drop00\": ", tolower(drop00), ", \"call\": ", q(call),
      ", \"study\": ", strs(slab), ", \"ai\": ", num(ai), ", \"n1i\": ", num(n1i), ", \"ci\": ", num(ci), ", \"n2i\": ", num(n2i),
      ", \"yi\": ", num(es$yi), ", \"vi\": ", num(es$vi), ", \"k\": ", fit$k,
      ", \"estimate\": ", sprintf("%.17g", fit$b[1]), ", \"se\": ", sprintf("%.17g", fit$se),
      ", \"ci_low\": ", sprintf("%.17g", fit$ci.lb), ", \"ci_high\": ", sprintf("%.17g", fit$ci.ub),
      ", \"tau2\": ", sprintf("%.17g", fit$tau2), ", \"q\": ", sprintf("%.17g", fit$QE), "}"))
  }
  d <- dat.nielweise2007
  slab <- paste(d$author, d$year)
  for (m in c("RR", "OR")) for (dz in c(FALSE, TRUE))
    add(sprintf("nielweise2007_%s_drop00_%s", m, dz), d$ai, d$n1i, d$ci, d$n2i, slab, m, dz)
  add("all_double_zero_RR_drop00_FALSE", c(0, 0, 0), c(20, 30, 25), c(0, 0, 0), c(20, 31, 25), c("A", "B", "C"), "RR", FALSE)
  out <- paste0("{\"r_version\": ", q(R.version.string), ", \"metafor_version\": ", q(as.character(packageVersion("metafor"))),
                ", \"cases\": [\n", paste(cases, collapse = ",\n"), "\n]}\n")
  writeLines(out, "tests/reference/golden/double_zero.json")
  cat("wrote tests/reference/golden/double_zero.json:", length(cases), "cases\n")
})
