# The README's commands: `make demo` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell command -v python3.11 || command -v python3)
DEV_ENV := ACCREDITATION_ENV=development
# Test processes: one per core (at most four); TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

.PHONY: demo test install assets lint bench ci clean

## Set everything up and serve the demo on http://127.0.0.1:5000 (SQLite, local disk).
demo: install assets
	$(DEV_ENV) $(BIN)/accreditation db upgrade
	$(DEV_ENV) $(BIN)/accreditation demo-data
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(DEV_ENV) $(BIN)/accreditation run --host 127.0.0.1 --port 5000

## The whole test suite, on SQLite and on a throwaway PostgreSQL.
test: install assets
	$(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=4 --durations=25

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	@scripts/ensure-system-deps base app
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

assets: accreditation/static/dist/.built

node_modules/.installed: package.json package-lock.json
	@scripts/ensure-system-deps base
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

accreditation/static/dist/.built: node_modules/.installed assets/build.mjs $(wildcard assets/scss/*.scss)
	npm run --silent build
	touch $@

lint: install
	$(BIN)/ruff check accreditation tests bench migrations scripts

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules accreditation/static/dist instance
