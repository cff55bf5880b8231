# Two commands on a fresh machine:
#   make dist   set up, then build dist/ from manuscript/ (PDF and EPUB)
#   make test   set up, then run the test suite
# Setting up installs the system libraries WeasyPrint and the validators need
# (scripts/install-system-deps) and the Python packages into .venv/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dist test setup clean

dist: setup
	$(BIN)/hkcq-press build

test: setup
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install-system-deps
	scripts/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf dist $(VENV)
