# The targets everyone runs, CI included: run, test, dev, lint, bench.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The app's address: localhost for the loopback address, since passkeys need a host name.
APP_URL = http://$(if $(filter 127.0.0.1,$(HOST)),localhost,$(HOST)):$(PORT)
export VAR_DIR ?= $(CURDIR)/var

EXAMPLE_BACKEND := example/backend
EXAMPLE_FRONTEND := example/frontend
PACKAGE := packages/django-spa-auth
MANAGE := cd $(EXAMPLE_BACKEND) && ../../$(BIN)/python manage.py
RUNTIME_STAMP := $(VENV)/.runtime-installed
PACKAGE_STAMP := $(VENV)/.package-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_STAMP := $(EXAMPLE_FRONTEND)/node_modules/.installed
DIST := $(EXAMPLE_FRONTEND)/dist/index.html
FRONTEND_SOURCES := $(shell find $(EXAMPLE_FRONTEND)/src -type f 2>/dev/null) \
	$(addprefix $(EXAMPLE_FRONTEND)/,index.html vite.config.ts tsconfig.json package-lock.json)
# The npm packages, which the example installs as file: links (it imports their dist/).
CLIENT := packages/client
VUE := packages/vue
JS_PACKAGES := $(CLIENT) $(VUE)
JS_SOURCES = $(shell find $(1)/src -type f -not -path '*/__tests__/*' 2>/dev/null) \
	$(addprefix $(1)/,package.json package-lock.json tsconfig.json tsconfig.build.json)
JS_DISTS := $(CLIENT)/dist/index.js $(VUE)/dist/index.js
PACKAGE_SOURCES := $(shell find $(PACKAGE)/src -type f -not -path '*/__pycache__/*' 2>/dev/null) \
	$(PACKAGE)/pyproject.toml

.PHONY: help run dev test lint format bench clean dist

help:
	@echo "make run    serve the API and the built app on $(APP_URL)"
	@echo "make test   run every test (Python, the package's version matrix, front-end unit,"
	@echo "            types, lint, end-to-end)"
	@echo "make dev    Django on :8000 plus Vite's dev server with hot reload on :5173"
	@echo "make lint   ruff, mypy, ESLint and vue-tsc"
	@echo "make bench  load and scaling measurements (see bench/README.md)"
	@echo "make dist   the wheel and the npm tarballs, in dist/, to install in another project"

$(RUNTIME_STAMP): $(EXAMPLE_BACKEND)/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r $(EXAMPLE_BACKEND)/requirements.txt
	touch $@

# The example uses django-spa-auth as an installed distribution, built from packages/.
$(PACKAGE_STAMP): $(RUNTIME_STAMP) $(PACKAGE_SOURCES)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --force-reinstall ./$(PACKAGE)
	touch $@

$(DEV_STAMP): $(PACKAGE_STAMP) $(EXAMPLE_BACKEND)/requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r $(EXAMPLE_BACKEND)/requirements-dev.txt
	touch $@

# Each package: npm ci from its own lock, then tsc into dist/. The Vue package links the
# client (file:../client) and builds against its types, so the client comes first.
$(CLIENT)/node_modules/.installed: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VUE)/node_modules/.installed: $(VUE)/package.json $(VUE)/package-lock.json
	cd $(VUE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CLIENT)/dist/index.js: $(CLIENT)/node_modules/.installed $(call JS_SOURCES,$(CLIENT))
	cd $(CLIENT) && npm run build --silent

$(VUE)/dist/index.js: $(VUE)/node_modules/.installed $(CLIENT)/dist/index.js $(call JS_SOURCES,$(VUE))
	cd $(VUE) && npm run build --silent

# Lighthouse, pinned, for the end-to-end test of the login page's best practices. 12.x is the
# last line that runs on Node 20 (13 wants 22.19). Its trace engine asks for two packages at
# `latest`, which npm ci would hold against the registry's newest and refuse the lock; the
# package.json's overrides pin them to the versions the lock holds.
LIGHTHOUSE := tools/lighthouse
LIGHTHOUSE_STAMP := $(LIGHTHOUSE)/node_modules/.installed

$(LIGHTHOUSE_STAMP): $(LIGHTHOUSE)/package.json $(LIGHTHOUSE)/package-lock.json
	cd $(LIGHTHOUSE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# panva's oidc-provider, pinned: the OpenID provider the live and end-to-end tiers sign in
# with, on loopback (tools/oidc-provider/server.js).
OIDC_PROVIDER := tools/oidc-provider
OIDC_PROVIDER_STAMP := $(OIDC_PROVIDER)/node_modules/.installed

$(OIDC_PROVIDER_STAMP): $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The packages are built before the example installs them (order only: a rebuilt package
# needs no new npm ci, the links stay) and before the example is built against them.
$(NODE_STAMP): $(EXAMPLE_FRONTEND)/package.json $(EXAMPLE_FRONTEND)/package-lock.json | $(JS_DISTS)
	cd $(EXAMPLE_FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST): $(NODE_STAMP) $(FRONTEND_SOURCES) $(JS_DISTS)
	cd $(EXAMPLE_FRONTEND) && npm run build --silent

# Migrations, the cache table and static files: quick no-ops when nothing changed.
.PHONY: prepare
prepare: $(PACKAGE_STAMP) $(DIST)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) createcachetable
	$(MANAGE) collectstatic --noinput -v0

run: prepare
	$(MANAGE) check --deploy --fail-level ERROR
	$(MANAGE) ensure_superuser
	@echo "Serving on $(APP_URL)"
	cd $(EXAMPLE_BACKEND) && FRONTEND_URL=$${FRONTEND_URL:-$(APP_URL)} \
		exec ../../$(BIN)/gunicorn config.wsgi -c gunicorn.conf.py --bind $(HOST):$(PORT)

dev: prepare
	@echo "Django on http://127.0.0.1:8000, the app with hot reload on http://127.0.0.1:5173"
	$(MANAGE) ensure_superuser
	trap 'kill 0' EXIT; \
	(cd $(EXAMPLE_BACKEND) && DEBUG=true FRONTEND_URL=http://localhost:5173 \
		../../$(BIN)/python manage.py runserver 127.0.0.1:8000) & \
	(cd $(EXAMPLE_FRONTEND) && npx vite --port 5173 --strictPort) & \
	wait

PY_TREES := $(EXAMPLE_BACKEND) $(PACKAGE) bench

# The npm packages: types, then the packed package through publint and attw. attw runs with
# --profile esm-only: they are ESM only by design, and CommonJS resolution is not a goal.
lint: $(DEV_STAMP) $(NODE_STAMP) $(JS_DISTS)
	$(BIN)/ruff check $(PY_TREES) && $(BIN)/ruff format --check $(PY_TREES)
	cd $(EXAMPLE_BACKEND) && ../../$(BIN)/mypy ../../$(PACKAGE)/src/spa_auth api config
	cd $(EXAMPLE_FRONTEND) && npm run --silent lint && npm run --silent typecheck
	for p in $(JS_PACKAGES); do \
		(cd $$p && npm run --silent typecheck && npx publint --strict && npx attw --pack . --profile esm-only) || exit 1; \
	done

format: $(DEV_STAMP)
	$(BIN)/ruff format $(PY_TREES) && $(BIN)/ruff check --fix $(PY_TREES)

# Test modules spread over this many processes (a module stays on one: its fixtures are
# module-wide); the live and browser tiers start their own servers per process.
PYTEST_WORKERS ?= 2

test: $(DEV_STAMP) prepare lint $(LIGHTHOUSE_STAMP) $(OIDC_PROVIDER_STAMP)
	for p in $(JS_PACKAGES); do (cd $$p && npx vitest run) || exit 1; done
	cd $(EXAMPLE_FRONTEND) && npx vitest run
	cd $(PACKAGE) && ../../$(BIN)/nox --no-color
	cd $(EXAMPLE_BACKEND) && ../../$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(DEV_STAMP) bench/requirements-bench.txt
	$(BIN)/pip install -q --disable-pip-version-check -r bench/requirements-bench.txt
	touch $@

bench: $(BENCH_STAMP) prepare
	$(BIN)/python bench/run.py

# What a project installs until the packages are published: the wheel and the two npm
# tarballs (npm pack: what a registry would serve).
dist: $(RUNTIME_STAMP) $(JS_DISTS)
	mkdir -p dist
	$(BIN)/pip wheel -q --disable-pip-version-check --no-deps -w dist ./$(PACKAGE)
	for p in $(JS_PACKAGES); do (cd $$p && npm pack --silent --pack-destination ../../dist) || exit 1; done

clean:
	rm -rf dist $(VENV) $(EXAMPLE_FRONTEND)/node_modules $(EXAMPLE_FRONTEND)/dist var \
		$(addsuffix /node_modules,$(JS_PACKAGES)) $(addsuffix /dist,$(JS_PACKAGES)) \
		$(LIGHTHOUSE)/node_modules $(OIDC_PROVIDER)/node_modules \
		$(EXAMPLE_BACKEND)/test-artifacts
