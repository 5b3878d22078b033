# Two commands do all the set-up: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest google-genai that pyproject.toml allows; the emulator's SDK-compat tests run against it too.
OLDEST_GENAI := $(shell sed -n 's/.*"google-genai>=\([0-9.]*\)".*/\1/p' pyproject.toml)
OLDEST_VENV := .venv-oldest-sdk
OLDEST_STAMP := $(OLDEST_VENV)/.installed

.PHONY: venv test test-ui lint format demo lab bench soak check-live clean

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

# JupyterLab refuses to start as root (as in most containers) unless told it may.
LAB_DIR ?= notebooks/
LAB_ARGS ?=

LAB_STAMP := $(VENV)/.installed-lab
UI_STAMP := $(VENV)/.installed-ui

$(LAB_STAMP) $(UI_STAMP): $(VENV)/.installed-%: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,$*]"
	@touch $@

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) $(LAB_DIR)

# The notebooks run through JupyterLab in headless Chromium (Debian's, never a downloaded browser): tests/ui.
CHROMIUM ?= /usr/bin/chromium

test-ui: $(UI_STAMP)
	@test -x $(CHROMIUM) || if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	else echo "make test-ui needs Debian's Chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; fi
	NOTEBOOKLLM_UI=1 CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q -p no:cacheprovider tests/ui/test_ui_browser.py

# Every benchmark, each bounded in time, with the peer (the bench extra) installed; figures, load average,
# machine, versions and commands go to benchmarks/results.md (benchmarks/README.md says what they mean).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/run_all.py

# The long fault soak of issue 11: 10,000 items with seeded faults against the emulator (CI runs 300 in the suite).
soak: $(STAMP)
	NOTEBOOKLLM_SOAK_ITEMS=10000 $(BIN)/python -m pytest -q -s -p no:cacheprovider --timeout=1800 tests/reliability/test_reliability_soak.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .pytest_cache .ruff_cache
