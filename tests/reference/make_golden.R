# The ONE generator of evigrade's metafor golden files.
#
#     Rscript tests/reference/make_golden.R        (working directory = repository root)
#
# Needs R with metafor + metadat (Debian: r-base-core r-cran-metafor r-cran-metadat; the goldens in
# the repo were made with R 4.2.2 and metafor 3.8-1).  Each part script below is self-contained
# (wrapped in local()) and writes its own JSON under tests/reference/golden/ with every number at
# %.17g, the R and metafor versions and the R call of every case.  The Python tests only read the
# JSON; they never call R.
if (!file.exists("tests/reference/make_golden.R"))
  stop("run from the repository root: Rscript tests/reference/make_golden.R")
suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
})
cat(R.version.string, "- metafor", as.character(packageVersion("metafor")), "\n")

# Every part script in tests/reference/r/ (each owned by the engineer of that module), pooling first:
#   r/rma.R    pooling: rma.uni (all tau2 estimators x z/knha) + confint + predict, models with a design
#              matrix, rma.mh, rma.peto (stats core)
#   r/escalc.R effect sizes;  r/bias.R meta-regression, small-study tests, sensitivity;
#   r/packs_multilevel.R packs with several results per study (rma.mv + robust CR2, needs clubSandwich);  others as added.
#   r/glmm.R   rma.glmm (UM.FS, UM.RS, CM.EL, CM.AL; needs lme4, numDeriv and BiasedUrn; ~15 minutes), then
#   r/glmm_laplace.R (reads glmm.R's golden: the exact Laplace references; sorted after glmm.R);
#   r/selmodel.R, then r/selmodel_check.R (reads selmodel.R's golden: careful Hessians at metafor's estimates)
parts <- sort(Sys.glob("tests/reference/r/*.R"))
parts <- c(intersect("tests/reference/r/rma.R", parts), setdiff(parts, "tests/reference/r/rma.R"))
for (part in parts) {
  if (file.exists(part)) {
    cat("source:", part, "\n")
    source(part, local = new.env())
  } else {
    cat("missing (skipped):", part, "\n")
  }
}
cat("done:", length(parts), "part scripts\n")
