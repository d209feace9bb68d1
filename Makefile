# Two commands do everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
TEST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo $${TMPDIR:-/tmp})

.PHONY: demo test ui lint install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/cpt demo

test: install
	scripts/ensure-test-deps
	$(BIN)/ruff check core_practice_twenty core_practice_twenty_tests benchmarks
	$(BIN)/dg check defs
	$(BIN)/lint-imports  # the layers and the pipeline apart from the stand-in Twenty (pyproject.toml)
	# one worker per core; whole-wave (e2e) tests start first, each with its own Twenty, DuckDB and Dagster home;
	# loadscope keeps a file's tests on one worker (test_faults.py builds its staged wave once).
	# Temporary files (each test's DuckDB, Dagster home, sandbox database) in memory where the machine has a
	# writable /dev/shm: Dagster commits every event to SQLite, and on disk those commits cost a sixth of a wave.
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest -n auto --dist loadscope

ui: install
	$(BIN)/cpt ui

lint: install
	$(BIN)/ruff check core_practice_twenty core_practice_twenty_tests benchmarks

clean:
	rm -rf .dagster_home data/warehouse.duckdb* data/sandbox data/exports/demo data/reports
