#!/usr/bin/env bash
# The quality gates (issue 12), run by `make lint` and `make test` (so by CI, .ci/run):
#   ruff  with the rule set in pyproject.toml [tool.ruff.lint] over src, tests, scripts and benchmarks;
#   mypy  over src/evigrade with pyproject.toml [tool.mypy] (strict for stats, effects, grade and pipeline;
#         there is no ignore_errors override: the RATCHET list was emptied and must stay empty).
# Uses the tools of the project's venv (VENV, default .venv) when present, else those on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
tool() {
  if [ -x "$VENV/bin/$1" ]; then echo "$VENV/bin/$1"; return; fi
  command -v "$1" || { echo "lint: $1 not found; 'make install-test' installs it (the test extra)" >&2; return 1; }
}
RUFF="$(tool ruff)"
MYPY="$(tool mypy)"
echo "$("$RUFF" --version): ruff check src tests scripts benchmarks"
"$RUFF" check src tests scripts benchmarks
echo "$("$MYPY" --version): mypy (files and settings in pyproject.toml)"
"$MYPY"
