# Everyday commands. `make run` serves the app; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
COVERAGE_FLOOR ?= 90
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install install-dev run serve test test-sqlite test-postgres check lint format \
	typecheck migrate seed info constraints clean vendor install-load bench bench-smoke capacity

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[postgres,redis]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[postgres,redis]" --group dev
	touch $(VENV)/.installed $@

install: $(VENV)/.installed  ## Create .venv and install the app

install-dev: $(VENV)/.installed-dev  ## Also install the test and lint tools

$(VENV)/.installed-load: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --group load
	touch $@

install-load: install-dev $(VENV)/.installed-load  ## Also install the load-test tools (locust, matplotlib)

run: install  ## Serve on http://127.0.0.1:8000 (development config, embedded SQLite, migrates first)
	$(BIN)/quart_app run --host $(HOST) --port $(PORT)

serve: install  ## Serve like production: hypercorn workers on PORT with WEB_CONCURRENCY (needs SECRET_KEY)
	$(BIN)/quart_app serve

test: install-load  ## Every test on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
	rm -f .coverage .coverage.*
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then echo "CI=true needs TEST_DATABASE_URL (PostgreSQL)"; exit 1; \
	else echo "TEST_DATABASE_URL is not set: skipping the PostgreSQL run"; fi
	$(BIN)/coverage report --fail-under=$(COVERAGE_FLOOR)

test-sqlite: install-load
	env -u TEST_DATABASE_URL $(BIN)/pytest --cov --cov-append --cov-report= $(PYTEST_ARGS)

test-postgres: install-load
	@test -n "$$TEST_DATABASE_URL" || { echo "set TEST_DATABASE_URL"; exit 2; }
	$(BIN)/pytest --cov --cov-append --cov-report= $(PYTEST_ARGS)

check: lint typecheck test  ## What CI runs: lint, types, then every test

lint: install-dev  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev  ## Fix what ruff can, and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install-dev  ## mypy --strict on the package
	$(BIN)/mypy --strict quart_app

migrate: install  ## Upgrade the database schema (DATABASE_URL, or the embedded SQLite file)
	$(BIN)/quart_app migrate

seed: migrate  ## Fill the database with demo users, a project and issues
	$(BIN)/quart_app seed-demo

info: install  ## The versions in use
	@$(BIN)/python --version
	@$(BIN)/python -c "import sqlite3; print('SQLite', sqlite3.sqlite_version)"
	@$(BIN)/pip list 2>/dev/null | grep -iE '^(quart|quart-schema|sqlalchemy|aiosqlite|asyncpg|alembic|hypercorn|pydantic|pytest|ruff|mypy|locust) '
	@psql --version 2>/dev/null || echo "psql: not installed"

# The benchmark runner (load/README.md): NAME names the report, load/reports/$(NAME)/.
NAME ?= bench
DB ?= sqlite
WORKERS ?= 2
DURATION ?= 60
USERS ?= 50
BENCH_ARGS ?=

bench: install-load  ## Locust benchmark with report (NAME, DB, WORKERS, DURATION, USERS, BENCH_ARGS)
	$(BIN)/python load/bench.py --name $(NAME) --database $(DB) --workers $(WORKERS) \
		--duration $(DURATION) --users $(USERS) $(BENCH_ARGS)

bench-smoke: install-load  ## The CI smoke run: small dataset, 2 workers, 30 s on SQLite, thresholds
	$(BIN)/python load/bench.py --smoke --name smoke

capacity: install-load  ## Capacity targets with wrk, as ratios of a bare Quart app (needs wrk)
	$(BIN)/python load/capacity.py --name capacity

constraints:  ## Re-pin the image's runtime dependencies (constraints.txt)
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install --quiet --upgrade "pip>=25.1"
	.constraints-venv/bin/pip install --quiet ".[postgres,redis]"
	{ echo "# Pinned runtime dependencies for the image (regenerate with: make constraints)."; \
	  .constraints-venv/bin/pip freeze --exclude quart_app --exclude pip; } > constraints.txt
	rm -rf .constraints-venv

clean:  ## Remove the virtualenv, caches and the development database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov instance *.egg-info

SWAGGER_UI_VERSION ?= 5.35.0
vendor:  ## Refresh third-party assets from npm into quart_app/static/vendor (see its README)
	rm -rf .vendor && mkdir .vendor
	cd .vendor && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) && tar xzf swagger-ui-dist-*.tgz
	cp .vendor/package/swagger-ui-bundle.js .vendor/package/swagger-ui.css \
		.vendor/package/LICENSE .vendor/package/NOTICE quart_app/static/vendor/swagger-ui/
	sed -i '/^\/\/# sourceMappingURL=/d' quart_app/static/vendor/swagger-ui/swagger-ui-bundle.js
	sed -i 's|/\*# sourceMappingURL=swagger-ui.css.map\*/||' quart_app/static/vendor/swagger-ui/swagger-ui.css
	rm -rf .vendor
