# Golden values for evigrade.effects.escalc from R metafor's escalc().
#
# Regenerate (working directory = repository root):
#     Rscript tests/reference/r/escalc.R
# or via tests/reference/make_golden.R, which source()s this file.
# Writes tests/reference/golden/escalc.json with every number at %.17g (full double precision),
# together with R.version.string, packageVersion("metafor") and the escalc() call of each case.
# The tests (tests/reference/test_escalc_golden.py) read the JSON and never call R.
local({
  suppressPackageStartupMessages(library(metafor))

  num <- function(x) {
    x <- as.numeric(x)
    out <- ifelse(is.na(x), "null", sprintf("%.17g", x))
    out[is.infinite(x)] <- "null"
    paste0("[", paste(out, collapse = ","), "]")
  }
  str1 <- function(s) {
    s <- gsub("\\\\", "\\\\\\\\", s)
    s <- gsub("\"", "\\\\\"", s)
    paste0("\"", s, "\"")
  }
  strs <- function(s) paste0("[", paste(vapply(as.character(s), str1, ""), collapse = ","), "]")
  obj <- function(named) {
    paste0("{", paste(sprintf("%s: %s", vapply(names(named), str1, ""), unlist(named)), collapse = ", "), "}")
  }

  cases <- list()
  # name: case id; measure; data: named list of metafor-named columns (already mapped);
  # slab; opts: named list of escalc options (R spelling) passed to both R and Python.
  add_case <- function(name, measure, data, slab, opts = list(), py = list()) {
    args <- c(list(measure = measure), data, opts, list(slab = slab))
    res <- do.call(escalc, args)
    call_txt <- paste0("escalc(measure=\"", measure, "\", ",
                       paste(names(data), collapse = ", "),
                       if (length(opts)) paste0(", ", paste(sprintf("%s=%s", names(opts),
                         vapply(opts, function(o) if (is.character(o)) str1(o) else format(o), "")),
                         collapse = ", ")) else "",
                       ", slab=...)")
    optjson <- if (length(opts) + length(py)) {
      all <- c(opts, py)
      obj(lapply(all, function(o) if (is.character(o)) str1(o) else if (is.logical(o)) tolower(as.character(o)) else sprintf("%.17g", o)))
    } else "{}"
    cases[[length(cases) + 1]] <<- paste0(
      "{", "\"name\": ", str1(name), ", \"measure\": ", str1(measure), ", \"call\": ", str1(call_txt),
      ", \"options\": ", optjson,
      ", \"slab\": ", strs(slab),
      ", \"data\": ", obj(lapply(data, num)),
      ", \"yi\": ", num(res$yi), ", \"vi\": ", num(res$vi), "}")
  }

  # --- continuous: dat.normand1999 -------------------------------------------------------
  d <- dat.normand1999
  cont <- list(m1i = d$m1i, sd1i = d$sd1i, n1i = d$n1i, m2i = d$m2i, sd2i = d$sd2i, n2i = d$n2i)
  add_case("normand1999_MD", "MD", cont, d$source)
  add_case("normand1999_MD_HO", "MD", cont, d$source, list(vtype = "HO"))
  add_case("normand1999_MD_UB", "MD", cont, d$source, list(vtype = "UB"))
  add_case("normand1999_SMD", "SMD", cont, d$source)
  add_case("normand1999_SMD_UB", "SMD", cont, d$source, list(vtype = "UB"))
  add_case("normand1999_SMD_LS2", "SMD", cont, d$source, list(vtype = "LS2"))
  add_case("normand1999_SMD_AV", "SMD", cont, d$source, list(vtype = "AV"))
  add_case("normand1999_ROM", "ROM", cont, d$source)
  add_case("normand1999_ROM_HO", "ROM", cont, d$source, list(vtype = "HO"))
  add_case("normand1999_ROM_AV", "ROM", cont, d$source, list(vtype = "AV"))
  add_case("normand1999_ROM_AVHO", "ROM", cont, d$source, list(vtype = "AVHO"))

  # --- 2x2 tables: dat.bcg (no zero cells) ------------------------------------------------
  d <- dat.bcg
  bin <- list(ai = d$tpos, bi = d$tneg, ci = d$cpos, di = d$cneg)
  lab <- paste(d$author, d$year)
  add_case("bcg_OR", "OR", bin, lab)
  add_case("bcg_RR", "RR", bin, lab)
  add_case("bcg_RD", "RD", bin, lab)
  add_case("bcg_RD_UB", "RD", bin, lab, list(vtype = "UB"))
  add_case("bcg_RD_AV", "RD", bin, lab, list(vtype = "AV"))

  # --- zero cells: dat.nielweise2007 (study 15, Yucel 2004, is double-zero) -----------------
  d <- dat.nielweise2007
  bin <- list(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  lab <- paste(d$author, d$year)
  add_case("nielweise2007_OR_default", "OR", bin, lab, list(drop00 = FALSE))
  add_case("nielweise2007_OR_drop00", "OR", bin, lab, list(drop00 = TRUE))
  add_case("nielweise2007_RR_drop00", "RR", bin, lab, list(drop00 = TRUE))
  add_case("nielweise2007_RR_default", "RR", bin, lab, list(drop00 = FALSE))
  add_case("nielweise2007_RD_default", "RD", bin, lab, list(drop00 = FALSE))
  add_case("nielweise2007_OR_to_all", "OR", bin, lab, list(to = "all", drop00 = TRUE))
  add_case("nielweise2007_OR_if0all", "OR", bin, lab, list(to = "if0all", drop00 = TRUE))
  add_case("nielweise2007_OR_add0.1", "OR", bin, lab, list(add = 0.1, drop00 = TRUE))
  add_case("nielweise2007_RD_drop00", "RD", bin, lab, list(drop00 = TRUE))
  add_case("nielweise2007_RD_to_all_UB", "RD", bin, lab, list(to = "all", vtype = "UB", drop00 = FALSE))
  add_case("nielweise2007_RR_add0.25_if0all", "RR", bin, lab, list(add = 0.25, to = "if0all", drop00 = TRUE))

  # --- zero cells in many tables: dat.yusuf1985, table 6 + 7 ----------------------------------
  d <- dat.yusuf1985[dat.yusuf1985$table %in% c("6", "7", "8", "9"), ]
  d <- d[!is.na(d$ai) & !is.na(d$ci), ]
  bin <- list(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  lab <- paste(d$table, d$id, d$trial)
  add_case("yusuf1985_OR_drop00", "OR", bin, lab, list(drop00 = TRUE))
  add_case("yusuf1985_RR_drop00", "RR", bin, lab, list(drop00 = TRUE))

  # --- proportions: dat.pritz1997 (Tanabe: 10/10) and dat.debruin2009 ------------------------
  d <- dat.pritz1997
  prop <- list(xi = d$xi, ni = d$ni)
  lab <- paste(d$study, d$authors)
  add_case("pritz1997_PR", "PR", prop, lab)
  add_case("pritz1997_PR_UB", "PR", prop, lab, list(vtype = "UB"))
  add_case("pritz1997_PR_AV", "PR", prop, lab, list(vtype = "AV"))
  add_case("pritz1997_PLO", "PLO", prop, lab)
  add_case("pritz1997_PLO_AV", "PLO", prop, lab, list(vtype = "AV"))
  add_case("pritz1997_PR_to_all", "PR", prop, lab, list(to = "all"))
  add_case("pritz1997_PLO_if0all", "PLO", prop, lab, list(to = "if0all"))
  add_case("pritz1997_PFT", "PFT", prop, lab)
  add_case("pritz1997_PFT_add0.5", "PFT", prop, lab, list(add = 0.5))
  d <- dat.debruin2009
  prop <- list(xi = d$xi, ni = d$ni)
  lab <- paste(d$study, d$author, d$year)
  add_case("debruin2009_PLO", "PLO", prop, lab)
  add_case("debruin2009_PFT", "PFT", prop, lab)

  # --- correlations: dat.molloy2014 ------------------------------------------------------
  d <- dat.molloy2014
  add_case("molloy2014_ZCOR", "ZCOR", list(ri = d$ri, ni = d$ni), paste(d$authors, d$year))

  # --- generic: yi with vi, and yi with sei (from dat.bcg log risk ratios) ----------------
  d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  lab <- paste(dat.bcg$author, dat.bcg$year)
  add_case("bcg_GEN_vi", "GEN", list(yi = as.numeric(d$yi), vi = as.numeric(d$vi)), lab)
  add_case("bcg_GEN_sei", "GEN", list(yi = as.numeric(d$yi), sei = sqrt(as.numeric(d$vi))), lab)

  # --- raw correlations (COR): dat.molloy2014, dat.craft2003 ------------------------------------
  d <- dat.molloy2014
  add_case("molloy2014_COR", "COR", list(ri = d$ri, ni = d$ni), paste(d$authors, d$year))
  add_case("molloy2014_COR_AV", "COR", list(ri = d$ri, ni = d$ni), paste(d$authors, d$year), list(vtype = "AV"))
  d <- dat.craft2003[!is.na(dat.craft2003$ri), ]  # rows with a correlation (metafor gives NA otherwise)
  add_case("craft2003_COR", "COR", list(ri = d$ri, ni = d$ni), paste(d$study, d$var1, d$var2))

  # --- incidence rate ratios (IRR): dat.hart1999, dat.nielweise2008 (zero counts) --------------
  d <- dat.hart1999
  rates <- list(x1i = d$x1i, t1i = d$t1i, x2i = d$x2i, t2i = d$t2i)
  add_case("hart1999_IRR", "IRR", rates, paste(d$trial, d$study))
  d <- dat.nielweise2008
  rates <- list(x1i = d$x1i, t1i = d$t1i, x2i = d$x2i, t2i = d$t2i)
  lab <- paste(d$authors, d$year)
  add_case("nielweise2008_IRR", "IRR", rates, lab, list(drop00 = FALSE))
  add_case("nielweise2008_IRR_to_all", "IRR", rates, lab, list(to = "all", drop00 = FALSE))
  add_case("nielweise2008_IRR_add0.1", "IRR", rates, lab, list(add = 0.1, drop00 = FALSE))

  # --- single-group change (MC, SMCC, SMCR): illustrative pretest-posttest data -----------------
  # (five groups; m1i = posttest, m2i = pretest, ri = pre-post correlation; no metadat dataset in
  # this metadat version has pre-post means with correlations)
  pp <- list(m1i = c(38.5, 26.8, 0.7, 75.9, 36.0), m2i = c(30.6, 23.5, 0.5, 53.4, 35.6),
             sd1i = c(11.6, 4.1, 0.1, 4.4, 4.6), sd2i = c(15.0, 3.1, 0.1, 14.5, 4.7),
             ni = c(20, 50, 9, 10, 14), ri = c(0.47, 0.64, 0.77, 0.89, 0.44))
  lab <- paste("group", 1:5)
  add_case("prepost_MC", "MC", pp, lab)
  add_case("prepost_SMCC", "SMCC", pp, lab)
  add_case("prepost_SMCC_LS2", "SMCC", pp, lab, list(vtype = "LS2"))
  ppr <- pp[c("m1i", "m2i", "sd1i", "ni", "ri")]
  add_case("prepost_SMCR", "SMCR", ppr, lab)
  add_case("prepost_SMCR_LS2", "SMCR", ppr, lab, list(vtype = "LS2"))

  # --- back-transformations and the SMD correction factor ----------------------------------
  x <- seq(-1, 2, by = 0.125)
  ni_pft <- dat.pritz1997$ni
  z <- seq(0.05, 1.55, by = 0.1)
  mm <- c(2, 3, 5, 10, 38, 100, 1000, 1e5)
  extra <- obj(list(
    x = num(x),
    ilogit = num(transf.ilogit(x)),
    ztor = num(transf.ztor(x)),
    exp = num(exp(x)),
    pft_x = num(z),
    pft_ni = num(ni_pft),
    ipft_hm = num(transf.ipft.hm(z, targs = list(ni = ni_pft))),
    ipft_n20 = num(transf.ipft(z, ni = 20)),
    pft_p = num(c(0, 0.1, 0.5, 0.9, 1)),
    pft_of_p_n20 = num(transf.pft(c(0, 0.1, 0.5, 0.9, 1), 20)),
    cmi_m = num(mm),
    cmi = num(metafor:::.cmicalc(mm))
  ))

  out <- paste0(
    "{\n",
    "\"provenance\": ", obj(list(
      r_version = str1(R.version.string),
      metafor_version = str1(as.character(packageVersion("metafor"))),
      metadat_version = str1(as.character(packageVersion("metadat"))),
      script = str1("tests/reference/r/escalc.R"),
      generated = str1(format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")))), ",\n",
    "\"transforms\": ", extra, ",\n",
    "\"cases\": [\n", paste(cases, collapse = ",\n"), "\n]\n}\n")
  dir.create("tests/reference/golden", showWarnings = FALSE, recursive = TRUE)
  writeLines(out, "tests/reference/golden/escalc.json", useBytes = TRUE)
  message("wrote tests/reference/golden/escalc.json (", length(cases), " escalc cases)")
})
