# planner: two commands on a fresh machine.
#   make demo   install into .venv and run the demo on the embedded region (writes maps/demo/)
#   make test   install into .venv, lint, type-check and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/planner demo --out maps/demo

lint: install
	$(BIN)/ruff check planner tests $(wildcard benchmarks)
	$(BIN)/ruff format --check planner tests $(wildcard benchmarks)

typecheck: install
	$(BIN)/mypy planner

pytest: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck pytest

$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(VENV)/.bench
	$(BIN)/python benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache maps/demo
