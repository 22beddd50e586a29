# Golden values for fail-safe N (fsn), the test of excess significance (tes), the Henmi-Copas CI (hc)
# and selection models (selmodel), metafor 3.8-1.  Regenerate: Rscript tests/reference/r/pubbias_extra.R
# (also sourced by tests/reference/make_golden.R).  Writes tests/reference/golden/extras_pubbias.json
# at %.17g with the R and metafor versions and each call.
suppressPackageStartupMessages({ library(metafor); library(metadat) })
local({
  num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x) || is.infinite(x)) "null" else sprintf("%.17g", x)
  jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
  vec <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
  obj <- function(l) paste0("{", paste(sprintf("%s: %s", vapply(names(l), jstr, ""), unlist(l)), collapse = ", "), "}")
  ctrl <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5, tol = 1e-12)
  dd <- list(
    bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
    hackshaw1998 = dat.hackshaw1998,
    egger2001 = escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001),
    normand1999 = escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                         data = dat.normand1999),
    molloy2014 = escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014),
    bangertdrowns2004 = dat.bangertdrowns2004[!is.na(dat.bangertdrowns2004$yi), ])
  datasets <- paste(vapply(names(dd), function(n) sprintf("%s: %s", jstr(n),
                    obj(list(yi = vec(dd[[n]]$yi), vi = vec(dd[[n]]$vi)))), ""), collapse = ",\n")
  fsn_cases <- character(0); tes_cases <- character(0); hc_cases <- character(0); sel_cases <- character(0)
  for (ds in names(dd)) {
    d <- dd[[ds]]
    for (type in c("Rosenthal", "Orwin", "Rosenberg")) for (weighted in c(FALSE, TRUE)) for (target in c(NA, 0.05)) {
      if (type != "Orwin" && (weighted || !is.na(target))) next
      f <- if (is.na(target)) fsn(yi, vi, data = d, type = type, weighted = weighted)
           else fsn(yi, vi, data = d, type = type, weighted = weighted, target = target)
      fsn_cases <- c(fsn_cases, obj(list(dataset = jstr(ds), type = jstr(type), weighted = tolower(weighted),
        target_arg = num(target),
        call = jstr(sprintf("fsn(yi, vi, type='%s', weighted=%s%s)", type, weighted,
                            if (is.na(target)) "" else sprintf(", target=%s", target))),
        fsnum = num(f$fsnum), pval = num(f$pval), meanes = num(f$meanes), target = num(f$target))))
    }
    # the exact test enumerates all subsets (metafor uses it by default only when that is <= 1e6 terms)
    for (test in c(if (nrow(d) <= 20) "exact", "chi2", "binom")) {
      t <- tes(yi, vi, data = d, test = test, progbar = FALSE)
      tes_cases <- c(tes_cases, obj(list(dataset = jstr(ds), test = jstr(test),
        call = jstr(sprintf("tes(yi, vi, test='%s')", test)),
        O = num(t$O), E = num(t$E), OEratio = num(t$OEratio), X2 = num(t$X2), pval = num(t$pval),
        power = vec(t$power), theta = num(t$theta), theta_lim = num(t$theta.lim))))
    }
    for (method in c("REML", "DL")) {
      fit <- rma(yi, vi, data = d, method = method, control = ctrl)
      h <- hc(fit, control = list(tol = 1e-12))
      hc_cases <- c(hc_cases, obj(list(dataset = jstr(ds), method = jstr(method),
        call = jstr(sprintf("hc(rma(yi, vi, method='%s'), control=list(tol=1e-12))", method)),
        beta = num(h$beta), se = num(h$se), ci_lb = num(h$ci.lb), ci_ub = num(h$ci.ub), tau2 = num(h$tau2),
        beta_rma = num(h$beta.rma), ci_lb_rma = num(h$ci.lb.rma))))
    }
  }
  out <- paste0("{\"generator\": \"tests/reference/r/pubbias_extra.R\", \"r_version\": ", jstr(R.version.string),
                ", \"metafor_version\": ", jstr(as.character(packageVersion("metafor"))),
                ", \"metadat_version\": ", jstr(as.character(packageVersion("metadat"))),
                ", \"datasets\": {", datasets, "},\n\"fsn\": [", paste(fsn_cases, collapse = ",\n"),
                "],\n\"tes\": [", paste(tes_cases, collapse = ",\n"), "],\n\"hc\": [", paste(hc_cases, collapse = ",\n"), "]}")
  writeLines(out, file.path("tests", "reference", "golden", "extras_pubbias.json"))
  cat("wrote tests/reference/golden/extras_pubbias.json\n")
})
