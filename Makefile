# The targets everyone runs, CI included: run, test, dev, lint, bench.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export VAR_DIR ?= $(CURDIR)/var

MANAGE := cd backend && ../$(BIN)/python manage.py
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_STAMP := frontend/node_modules/.installed
DIST := frontend/dist/index.html
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html \
	frontend/vite.config.ts frontend/tsconfig.json frontend/package-lock.json

.PHONY: help run dev test lint format bench clean

help:
	@echo "make run    serve the API and the built app on http://$(HOST):$(PORT)"
	@echo "make test   run every test (Python, front-end unit, types, lint, end-to-end)"
	@echo "make dev    Django on :8000 plus Vite's dev server with hot reload on :5173"
	@echo "make lint   ruff, mypy, ESLint and vue-tsc"
	@echo "make bench  load and scaling measurements (see bench/README.md)"

$(RUNTIME_STAMP): backend/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r backend/requirements.txt
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) backend/requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r backend/requirements-dev.txt
	touch $@

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent

# Migrations, the cache table and static files: quick no-ops when nothing changed.
.PHONY: prepare
prepare: $(RUNTIME_STAMP) $(DIST)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) createcachetable
	$(MANAGE) collectstatic --noinput -v0

run: prepare
	$(MANAGE) check --deploy --fail-level ERROR
	$(MANAGE) ensure_superuser
	@echo "Serving on http://$(HOST):$(PORT)"
	cd backend && exec ../$(BIN)/gunicorn config.wsgi -c gunicorn.conf.py --bind $(HOST):$(PORT)

dev: prepare
	@echo "Django on http://127.0.0.1:8000, the app with hot reload on http://127.0.0.1:5173"
	$(MANAGE) ensure_superuser
	trap 'kill 0' EXIT; \
	(cd backend && DEBUG=true ../$(BIN)/python manage.py runserver 127.0.0.1:8000) & \
	(cd frontend && npx vite --port 5173 --strictPort) & \
	wait

lint: $(DEV_STAMP) $(NODE_STAMP)
	cd backend && ../$(BIN)/ruff check . ../bench && ../$(BIN)/ruff format --check . ../bench
	cd backend && ../$(BIN)/mypy spa_auth api config
	cd frontend && npm run --silent lint && npm run --silent typecheck

format: $(DEV_STAMP)
	cd backend && ../$(BIN)/ruff format . ../bench && ../$(BIN)/ruff check --fix . ../bench

test: $(DEV_STAMP) prepare lint
	cd frontend && npx vitest run
	cd backend && ../$(BIN)/pytest

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(DEV_STAMP) bench/requirements-bench.txt
	$(BIN)/pip install -q --disable-pip-version-check -r bench/requirements-bench.txt
	touch $@

bench: $(BENCH_STAMP) prepare
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var backend/test-artifacts
