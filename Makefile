# Quick start: `make demo` opens the app on a demo database; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install compile bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)

# Bytecode for src/ (an editable install has none; pip compiles a regular install the same way).
# Python writes it itself on first use unless PYTHONDONTWRITEBYTECODE is set; then every start
# would compile arterm's modules again (~40-90 ms of each start on a 2-core machine).
compile: $(STAMP)
	$(BIN)/python -m compileall -q src

demo: compile
	$(BIN)/arterm demo

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
