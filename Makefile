# Two commands do everything on a fresh machine:
#   make run   - set up, load the sample data, serve on http://localhost:3000
#   make test  - set up with the dev extras, lint, type-check and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: run test lint check seed rebuild bench bench-audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@if [ -z "$$TASKSTORE_TOKENS" ]; then echo "TASKSTORE_TOKENS is not set: configuring the development token YOUR_TOKEN."; fi
	TASKSTORE_TOKENS="$${TASKSTORE_TOKENS:-dev:YOUR_TOKEN}" $(BIN)/taskstore serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

check: test

rebuild: $(VENV)/.installed
	$(BIN)/taskstore rebuild

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.rebuild

bench-audit: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.audit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
