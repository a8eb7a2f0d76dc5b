# espace — two commands: `make run` (demo portal on http://localhost:$(PORT)) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
PORT ?= 3000
DATA_DIR ?= var
DEMO ?= 1
CHROMIUM_PATH ?= /usr/bin/chromium

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export NPM_CONFIG_REGISTRY := https://registry.npmjs.org
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export PORT DATA_DIR CHROMIUM_PATH

.PHONY: run test test-scale lint install install-dev chromium migrate clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

chromium:
	@test -x "$(CHROMIUM_PATH)" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

migrate: install
	mkdir -p $(DATA_DIR)
	$(PY) -m espace migrate

run: migrate
	DEMO=$(DEMO) $(PY) -m espace demo
	DEMO=$(DEMO) reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

# The rules that hold themselves (pyproject.toml): lint, types, architecture contracts.
lint: install-dev
	$(PY) -m ruff check espace tests bench
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# The checks first (a failing lint fails the run), then the service tests (everything but
# tests/e2e), then the browser tests (Playwright's sync API keeps an event loop running).
test: install-dev chromium
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q -p no:cacheprovider --ignore=tests/e2e tests
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e

# The same suites a second time on the scale path (no lint): databases on PostgreSQL
# (ESPACE_TEST_PG, default 127.0.0.1:5432 user postgres) migrated with Alembic, and the
# browser tests' app on PostgreSQL + a private Redis + 2 workers. A PostgreSQL or Redis
# that does not answer fails the run.
test-scale: install-dev chromium
	ESPACE_TEST_SCALE=1 $(PY) -m pytest -q -p no:cacheprovider --ignore=tests/e2e tests
	ESPACE_TEST_SCALE=1 $(PY) -m pytest -q -p no:cacheprovider -m "not production_path and not single_run" tests/e2e

clean:
	rm -rf .web .states $(DATA_DIR)
