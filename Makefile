# The two set-up commands: `make build` builds the site into _site/, `make test` runs the tests.
# Each creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: build test check serve clean bench

$(VENV)/.build-deps: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.build-deps requirements-test.txt
	$(PIP) -r requirements-test.txt
	touch $@

build: $(VENV)/.build-deps
	$(BIN)/python build.py build $(ARGS)

check: $(VENV)/.build-deps
	$(BIN)/python build.py check --strict

serve: $(VENV)/.build-deps
	$(BIN)/python build.py serve $(ARGS)

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf _site .venv .pytest_cache

# The benchmark against Hugo (bench/README.md); `make bench ARGS=--quick` for a smoke run.
bench: $(VENV)/.build-deps bench/requirements.txt
	$(PIP) -r bench/requirements.txt
	$(BIN)/python bench/run.py $(ARGS)
