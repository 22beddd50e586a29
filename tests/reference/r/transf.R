# Golden values for back-transformed pooled results (metafor predict(x, transf=...)), used by the
# `evigrade meta --json` "back_transformed" block.  Regenerate: Rscript tests/reference/r/transf.R
# (also sourced by tests/reference/make_golden.R).  Writes tests/reference/golden/transf.json at %.17g.
suppressPackageStartupMessages({ library(metafor); library(metadat) })
local({
  num <- function(x) if (is.null(x) || is.na(x)) "null" else sprintf("%.17g", x)
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)
  cases <- character(0)
  add <- function(name, measure, dat, tf, tfname, targs = NULL) {
    for (method in c("DL", "REML")) for (test in c("z", "knha")) {
      fit <- rma(yi, vi, data = dat, method = method, test = test, control = ctrl)
      p <- if (is.null(targs)) predict(fit, transf = tf) else predict(fit, transf = tf, targs = targs)
      call <- sprintf("predict(rma(yi, vi, data=escalc(measure='%s', ...%s), method='%s', test='%s'), transf=%s)",
                      measure, name, method, test, tfname)
      cases <<- c(cases, sprintf(paste0("{\"escalc_case\": \"%s\", \"measure\": \"%s\", \"method\": \"%s\", \"test\": \"%s\", ",
                                        "\"call\": \"%s\", \"pred\": %s, \"ci_lb\": %s, \"ci_ub\": %s, \"pi_lb\": %s, \"pi_ub\": %s}"),
                                 name, measure, method, test, call, num(p$pred), num(p$ci.lb), num(p$ci.ub), num(p$pi.lb), num(p$pi.ub)))
    }
  }
  add("bcg_OR", "OR", escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg), exp, "exp")
  add("pritz1997_PLO", "PLO", escalc(measure = "PLO", xi = xi, ni = ni, data = dat.pritz1997), transf.ilogit, "transf.ilogit")
  add("pritz1997_PFT", "PFT", escalc(measure = "PFT", xi = xi, ni = ni, data = dat.pritz1997), transf.ipft.hm,
      "transf.ipft.hm, targs=list(ni=ni)", targs = list(ni = dat.pritz1997$ni))
  add("molloy2014_ZCOR", "ZCOR", escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014), transf.ztor, "transf.ztor")
  out <- paste0("{\"generator\": \"tests/reference/r/transf.R\", \"r_version\": \"", R.version.string,
                "\", \"metafor_version\": \"", as.character(packageVersion("metafor")), "\", \"control\": ",
                "\"control=list(threshold=1e-12, maxiter=10000, stepadj=0.5, tol=1e-12)\", \"cases\": [\n",
                paste(cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "transf.json"))
  cat("wrote tests/reference/golden/transf.json\n")
})
