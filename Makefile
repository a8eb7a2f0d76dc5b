# espace — two commands: `make run` (demo portal on http://localhost:$(PORT)) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
PORT ?= 3000
DATA_DIR ?= var
DEMO ?= 1
CHROMIUM_PATH ?= /usr/bin/chromium
CHROMIUM_SHELL_PATH ?= /usr/bin/chromium-headless-shell

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export NPM_CONFIG_REGISTRY := https://registry.npmjs.org
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export PORT DATA_DIR CHROMIUM_PATH CHROMIUM_SHELL_PATH

.PHONY: run test test-services test-browser bench frontend lint install install-dev chromium migrate clean

# The packages are installed by uv (itself from PyPI, pinned): the same versions pip
# resolves (`pip freeze` identical), in 12 s instead of 56 s with warm caches (2026-12-08).
UV_VERSION := 0.13.8
UV := $(CURDIR)/$(VENV)/bin/uv

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install -q uv==$(UV_VERSION)
	$(UV) pip install -q --python $(PY) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(UV) pip install -q --python $(PY) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium (the benches, a headed run) and its headless shell (the browser tests).
chromium:
	@test -x "$(CHROMIUM_PATH)" -a -x "$(CHROMIUM_SHELL_PATH)" || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell >/dev/null)

migrate: install
	mkdir -p $(DATA_DIR)
	$(PY) -m espace migrate

# The portal on http://localhost:$(PORT): SQLite in $(DATA_DIR), one process, emails to
# $(DATA_DIR)/outbox. The frontend is built once per version of the code (.cache/frontend,
# espace/frontend.py): the first start takes a minute more, the next ones seconds.
run: migrate
	DEMO=$(DEMO) $(PY) -m espace demo
	DEMO=$(DEMO) $(PY) -m espace serve

# The compiled frontend of this version of the code, if no earlier start built it.
frontend: install
	$(PY) -m espace.frontend

# The rules that hold themselves (pyproject.toml): lint, types, architecture contracts.
lint: install-dev
	$(PY) -m ruff check espace tests bench
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Everything CI runs, phase by phase, each timed (.ci/test says which): lint and the
# frontend build side by side, the service tests on SQLite then PostgreSQL (both cores),
# the attack suite, every browser test on the production path (PostgreSQL + Redis + 2
# workers), the files marked `embedded` again on SQLite, the page bench's gate (`make bench`).
test: install-dev chromium
	bash .ci/test

# One part of it (PostgreSQL at ESPACE_TEST_PG, default 127.0.0.1:5432).
test-services: install-dev
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --ignore=tests/e2e --ignore=tests/attack tests
	ESPACE_TEST_SCALE=1 $(PY) -m pytest -q -p no:cacheprovider -n 2 --ignore=tests/e2e --ignore=tests/attack tests

test-browser: install-dev chromium frontend
	ESPACE_E2E_PATH=production $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup tests/e2e
	ESPACE_E2E_PATH=embedded $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup -m embedded tests/e2e

# The page bench as CI runs it (≤ 3 min, no browser, its data in a temporary folder): the app
# against a bare Reflex app, /admin on a heavy firm; fails when a figure regresses past its
# threshold (bench/gate.py). `bench/pages.py --quick` gives every figure (≈ 7 min).
# Its client (aiohttp) comes with the dev requirements.
bench: install-dev
	$(PY) bench/pages.py --ci

clean:
	rm -rf .web .states .cache $(DATA_DIR)
