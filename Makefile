# Two commands do all the set-up: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest google-genai that pyproject.toml allows; the emulator's SDK-compat tests run against it too.
OLDEST_GENAI := $(shell sed -n 's/.*"google-genai>=\([0-9.]*\)".*/\1/p' pyproject.toml)
OLDEST_VENV := .venv-oldest-sdk
OLDEST_STAMP := $(OLDEST_VENV)/.installed

.PHONY: venv test lint format demo lab bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(OLDEST_STAMP): pyproject.toml
	@test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -e ".[dev]" "google-genai==$(OLDEST_GENAI)"
	@touch $(OLDEST_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint $(OLDEST_STAMP)
	$(BIN)/python -m pytest -q tests notebooks --nbmake
	$(OLDEST_VENV)/bin/python -m pytest -q -m sdk_compat tests

demo: $(STAMP)
	$(BIN)/python -m notebookllm demo

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

# Every benchmark, each bounded in time, with the peer (the bench extra) installed; figures, load average,
# machine, versions and commands go to benchmarks/results.md (benchmarks/README.md says what they mean).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .pytest_cache .ruff_cache
