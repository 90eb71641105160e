# The two set-up commands: `make build` builds the site into _site/, `make test` runs the tests.
# Each creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: build test fuzz check serve clean system-deps lighthouse bench screenshots i18n compile

$(VENV)/.build-deps: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.build-deps requirements-test.txt
	$(PIP) -r requirements-test.txt
	touch $@

# Our modules compiled ahead, as pip compiles the libraries it installs: each `build.py` process (a
# build, the preview, a test's child build) then starts ~0.1 s of CPU sooner, also where PYTHONDONTWRITEBYTECODE
# is set. Only what changed is compiled again.
compile: $(VENV)/.build-deps
	$(BIN)/python -m compileall -q site_src

build: $(VENV)/.build-deps compile
	$(BIN)/python build.py build $(ARGS)

# The site's own words: extract them from the templates and plan.py into templates/locale/messages.pot,
# then bring each language's catalog (templates/locale/<lang>/LC_MESSAGES/messages.po) up to date.
# New strings arrive untranslated: write their msgstr (the tests list any left empty).
I18N := templates/locale
i18n: $(VENV)/.build-deps
	$(BIN)/pybabel -q extract -F $(I18N)/babel.cfg -k N_ --no-location --sort-output --omit-header -o $(I18N)/messages.pot .
	$(BIN)/pybabel -q update -i $(I18N)/messages.pot -d $(I18N) -l de --init-missing --no-wrap --ignore-obsolete --no-fuzzy-matching --omit-header

check: $(VENV)/.build-deps compile
	$(BIN)/python build.py check --strict

serve: $(VENV)/.build-deps compile
	$(BIN)/python build.py serve $(ARGS)

# The quality checks need Chromium and Java (apt, when missing) and the pinned npm checkers.
system-deps:
	./scripts/system-deps.sh

# The checkers `make test` runs; Lighthouse (an optional dependency, 200 packages) is left out.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --omit=optional --no-audit --no-fund

node_modules/.bin/lighthouse: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

# One worker more than there are cores (pytest-xdist): a third of a worker's time is waiting (on
# Chromium, child builds, the preview's watcher), which the extra worker fills. The browser tests drive
# the browser system-deps.sh finds (CHROMIUM_PATH, when set, wins). pytest keeps its rewritten test
# modules (git-ignored __pycache__), also where PYTHONDONTWRITEBYTECODE is set: rewriting them took
# each worker 2 s. `make test PYTEST_ARGS="-n 0 tests/test_x.py"` runs one file serially.
WORKERS := $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(VENV)/.test-deps compile system-deps node_modules/.package-lock.json
	CHROMIUM_PATH="$$(./scripts/system-deps.sh --browser)" PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(WORKERS) $(PYTEST_ARGS)

# The long fuzz run (10,000 mutated inputs per test, 200 reorderings of the content; `make test` runs 40 and 4),
# then the tests marked slow, which `make test` skips; weekly in CI.
fuzz: $(VENV)/.test-deps compile system-deps node_modules/.package-lock.json
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n auto tests/test_fuzz.py tests/test_trust.py $(PYTEST_ARGS)
	CHROMIUM_PATH="$$(./scripts/system-deps.sh --browser)" HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n auto -m slow $(PYTEST_ARGS)

# Lighthouse scores of the home, a device and the Europe page (not part of `make test`).
lighthouse: $(VENV)/.build-deps system-deps node_modules/.bin/lighthouse
	./scripts/lighthouse.sh

# docs/screenshots/ taken again from a fresh build (Playwright on Chromium).
screenshots: $(VENV)/.test-deps system-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf _site .venv .pytest_cache .mypy_cache
	find site_src tests bench -name __pycache__ -prune -exec rm -rf {} +

# The benchmark against Hugo (bench/README.md); `make bench ARGS=--quick` for a smoke run.
bench: $(VENV)/.build-deps bench/requirements.txt
	$(PIP) -r bench/requirements.txt
	$(BIN)/python bench/run.py $(ARGS)
