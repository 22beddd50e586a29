#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium (headless browser test of the report).
# With --with-r also R + metafor + metadat (only needed to regenerate goldens and run benchmarks).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# a C compiler and the Python headers: `make install` compiles the batch kernel ahead of time (numba.pycc)
command -v cc >/dev/null 2>&1 || need+=(gcc)
python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  2>/dev/null || need+=(python3-dev)
if [[ "${1:-}" == "--with-r" ]]; then
  command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
  Rscript -e 'library(metafor); library(metadat)' >/dev/null 2>&1 || need+=(r-cran-metafor r-cran-metadat)
  # tests/reference/r/extras.R (CR2 goldens) and selmodel.R (metafor's Hessian) need these two
  Rscript -e 'library(clubSandwich); library(numDeriv)' >/dev/null 2>&1 || need+=(r-cran-clubsandwich r-cran-numderiv)
  # packs_normand.R and packs_robustness.R read packs' JSON; glmm.R fits rma.glmm (lme4, BiasedUrn)
  Rscript -e 'library(jsonlite)' >/dev/null 2>&1 || need+=(r-cran-jsonlite)
  Rscript -e 'library(lme4); library(BiasedUrn)' >/dev/null 2>&1 || need+=(r-cran-lme4 r-cran-biasedurn)
fi
if (( ${#need[@]} )); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi
