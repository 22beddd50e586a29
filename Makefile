# The two fresh-machine commands (see README):
#   make run    install evigrade into .venv and summarise the bundled dry-needling pack
#   make test   install evigrade + test deps + headless chromium, then run the gates (ruff, mypy) and ALL tests
#   make lint   only the gates (scripts/lint.sh)
# A developer's quick loop is plain `.venv/bin/python -m pytest`: pyproject's addopts skip tests marked `slow`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint install install-test system-deps golden bench

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --upgrade pip >/dev/null

# after installing: the batch kernel compiled ahead of time (evigrade/batch/_aot.py; skipped with a note
# without numba or a C compiler, kept when up to date)
AOT := $(PY) -m evigrade.batch._aot --if-possible --quiet

install: $(PY)
	$(PIP) install -q -e .
	$(AOT)

install-test: $(PY)
	$(PIP) install -q -e '.[test]'
	$(AOT)

system-deps:
	bash scripts/install-system-deps.sh

run: install
	$(VENV)/bin/evigrade summarize

lint: install-test
	VENV=$(VENV) bash scripts/lint.sh

# -m "slow or not slow" overrides the default -m "not slow" of pyproject's addopts: CI runs every test,
# spread over the machine's cores by pytest-xdist (-n auto: 2 workers on the 2-core CI machine)
test: install-test system-deps
	$(AOT)
	VENV=$(VENV) bash scripts/lint.sh
	$(PY) -m pytest -m "slow or not slow" -n auto

# Regenerate the metafor goldens (needs R: bash scripts/install-system-deps.sh --with-r)
golden:
	bash scripts/install-system-deps.sh --with-r
	Rscript tests/reference/make_golden.R

bench: $(PY)
	$(PIP) install -q -e '.[test,bench]'
	$(PY) benchmarks/run_benchmarks.py
