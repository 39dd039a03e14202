# journeystack: the two commands are `make serve` and `make test`; both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "journeystack needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,console]'
	touch $(STAMP)

## Start the server on the embedded SQLite store (./.journeystack/journeystack.db) at http://127.0.0.1:4599/
serve: $(STAMP)
	$(BIN)/journeystack serve $(ARGS)

## Run the whole test suite (lint, types, unit, API in-process and against a real server, on SQLite and PostgreSQL, the console in Chromium)
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## The benchmarks (bench/README.md): SQLite, then PostgreSQL with 2 worker processes (installed when missing)
bench: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .journeystack .pytest_cache .mypy_cache .ruff_cache
