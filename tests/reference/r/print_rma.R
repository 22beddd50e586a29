# Golden text of metafor's print.rma (issue 17 item 4: MetaResult.summary() prints like metafor).
#
# Regenerate (from the repository root, in a UTF-8 locale):
#     Rscript tests/reference/r/print_rma.R        (or Rscript tests/reference/make_golden.R)
# Writes tests/reference/golden/print_rma.json: per case the R call, yi and vi at %.17g (so Python fits
# exactly the same numbers) and the lines print(rma(...)) writes, with the R and metafor versions.
suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
})

local({
  outdir <- file.path("tests", "reference", "golden")
  dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)
  nums <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
  bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  cases <- list(
    list(name = "bcg_RR_REML_z", dat = bcg, method = "REML", test = "z"),
    list(name = "bcg_RR_DL_knha", dat = bcg, method = "DL", test = "knha"),
    list(name = "bcg_RR_FE_z", dat = bcg, method = "FE", test = "z"),
    list(name = "bcg4_RR_REML_knha", dat = bcg[1:4, ], method = "REML", test = "knha"),
    list(name = "bcg6_RR_PM_z", dat = bcg[c(1, 3, 7, 8, 12, 13), ], method = "PM", test = "z")
  )
  out <- character()
  for (cs in cases) {
    # iterative estimators (REML, PM) run to a tight threshold, as in r/rma.R, so that the optimum and not
    # the stopping rule is printed (metafor's default PM threshold 1e-5 moves tau^2 in the 6th digit)
    fit <- rma(yi, vi, data = cs$dat, method = cs$method, test = cs$test, control = ctrl)
    txt <- capture.output(print(fit))
    call <- sprintf("rma(yi, vi, data = escalc(\"RR\", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)[%s], method = \"%s\", test = \"%s\", control = list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12))",
                    paste(which(dat.bcg$trial %in% cs$dat$trial), collapse = ","), cs$method, cs$test)
    out <- c(out, paste0("{\"name\": ", jstr(cs$name), ", \"method\": ", jstr(cs$method), ", \"test\": ", jstr(cs$test),
                         ", \"call\": ", jstr(call), ", \"yi\": ", nums(as.numeric(cs$dat$yi)),
                         ", \"vi\": ", nums(as.numeric(cs$dat$vi)),
                         ", \"lines\": [", paste(vapply(txt, jstr, ""), collapse = ", "), "]}"))
  }
  json <- paste0("{\"r_version\": ", jstr(R.version.string), ", \"metafor_version\": ",
                 jstr(as.character(packageVersion("metafor"))), ", \"cases\": [\n",
                 paste(out, collapse = ",\n"), "\n]}\n")
  writeLines(json, file.path(outdir, "print_rma.json"), useBytes = TRUE)
  cat("wrote", file.path(outdir, "print_rma.json"), "\n")
})
