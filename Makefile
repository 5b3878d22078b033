# Two commands do all the set-up: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest google-genai that pyproject.toml allows; the emulator's SDK-compat tests run against it too.
OLDEST_GENAI := $(shell sed -n 's/.*"google-genai>=\([0-9.]*\)".*/\1/p' pyproject.toml)
OLDEST_VENV := .venv-oldest-sdk
OLDEST_STAMP := $(OLDEST_VENV)/.installed

.PHONY: venv test lint format demo lab bench check-live clean

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

# A few cheap real calls compared with the emulator (GEMINI_API_KEY needed; never part of `make test`).
check-live: $(STAMP)
	$(BIN)/python -m notebookllm check-live

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

# Each benchmark prints its figures; benchmarks/README.md says what they mean and records the last run.
BENCHMARKS := overhead memory emulator_throughput store_speed notebook_speed evaluation_speed media_run

bench: $(STAMP)
	@for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .pytest_cache .ruff_cache
