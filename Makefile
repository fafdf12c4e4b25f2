# chuhai — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-fast screenshots lint bench mutation chromium catalogs calibrate clean help

help:
	@echo "make demo   - install, migrate, seed the demo seller and serve on http://127.0.0.1:8000"
	@echo "make test   - install dev extras (+ Chromium if missing) and run the whole suite"
	@echo "make screenshots - run the browser tests and refresh docs/screenshots (test runs leave them alone)"
	@echo "make lint   - ruff, mypy (core + pure modules), import-linter contracts"
	@echo "make catalogs - extract the marked strings (buyer pages: messages.pot and every catalog; console: console.pot)"
	@echo "make calibrate - embed the screening rules' examples and set the semantic layer's thresholds from the labelled set"
	@echo "make bench  - run bench/*.py, one JSON line per figure"
	@echo "make mutation - mutmut over a fixed 10 % sample of the money and stock path (< 30 min), scores per module"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chuhai needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/chuhai demo

chromium:
	@if [ -x "$(CHROMIUM)" ] && { [ "$$(id -u)" != "0" ] || fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; }; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium (and a CJK font) for the browser tests …"; \
	  (apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-wqy-microhei >/dev/null)) \
	  || { echo "could not install chromium"; exit 1; }; \
	else \
	  echo "Chromium is missing at $(CHROMIUM): run 'sudo apt-get install chromium' (or set CHROMIUM=/path/to/chromium)."; \
	  echo "Browser tests will be skipped (they fail under CI=true)."; \
	fi

test: $(DEV_STAMP) chromium
	CHUHAI_CHROMIUM=$(CHROMIUM) $(BIN)/pytest

# The e2e tests save the docs' screenshots to docs/screenshots only when asked to.
screenshots: $(DEV_STAMP) chromium
	CHUHAI_SCREENSHOTS=1 CHUHAI_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/e2e

test-fast: $(DEV_STAMP)
	$(BIN)/pytest -m "not e2e" -x -q

# Buyer-facing strings: extract them (templates, Python, scripts) into the catalog template
# and merge it into each language's catalog (new messages arrive untranslated; the i18n
# tests then name them).
calibrate: $(DEV_STAMP)
	$(BIN)/chuhai screen-calibrate --labelled tests/comms/data/labelled.jsonl \
	  --labelled tests/comms/data/labelled-2.jsonl --out src/chuhai/rules/screening/semantic

catalogs: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k gettext --no-wrap --sort-by-file \
	  --project chuhai --copyright-holder "chuhai contributors" -o src/chuhai/locale/messages.pot .
	$(BIN)/pybabel update -i src/chuhai/locale/messages.pot -d src/chuhai/locale --no-wrap \
	  --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel extract -F babel-console.cfg -k _ -k N_ -k gettext --no-wrap --sort-by-file \
	  --project chuhai --copyright-holder "chuhai contributors" -o src/chuhai/locale/console.pot .

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	@for f in bench/[a-z]*.py; do $(BIN)/python $$f || exit 1; done

# Mutation testing of checkout, stock, drops, landed cost and erasure ([tool.mutmut] in
# pyproject.toml, docs/testing.md). Incremental: a second run retests only what changed.
MUTATION_JOBS ?= 2
MUTATION_TIMEOUT ?= 1800
MUTATION_SAMPLE ?= 10
MUTATION_MIN ?= 0
mutation: $(DEV_STAMP)
	@$(BIN)/python scripts/mutation_sample.py --percent $(MUTATION_SAMPLE) \
	  --timeout $(MUTATION_TIMEOUT) --jobs $(MUTATION_JOBS) --score-min $(MUTATION_MIN)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache mutants
