PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format migrate seed bench bench-import clean vendor

install: $(STAMP) .env

# A local .env puts manage.py in development mode on this checkout, as `make run` does, so
# the README's commands work as written. Never committed; a server has none.
.env:
	@printf '# Local development settings for manage.py (not committed). See README.\nDEBUG=1\n' > .env

# Reinstalls only when pyproject.toml changes, so a second `make install` takes a moment.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput

seed: migrate
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_if_empty

run: seed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install lint
	DEBUG=0 SECRET_KEY=makemigrations-check $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# Builds one database per size (SQLite files in BENCH_DIR, or PostgreSQL databases when
# DATABASE_URL points at a server) unless it is already there (BENCH_FRESH=1 rebuilds), fills
# it with generate_entries, measures every surface in-process and then requests per second
# on gunicorn, and prints the tables for the smallest and largest size. See docs/benchmarks.md.
BENCH_SIZES ?= 10000 1000000
BENCH_DIR ?= /tmp/parallax-bench
BENCH_LOAD_SECONDS ?= 10
bench: install
	mkdir -p $(BENCH_DIR)
	set -e; server="$${DATABASE_URL%/*}"; for n in $(BENCH_SIZES); do \
	  fresh=$(BENCH_FRESH); \
	  if [ -n "$$server" ]; then \
	    url="$$server/parallax_bench_$$n"; tag="postgresql-$$n"; \
	    if [ -n "$$fresh" ] || ! psql "$$url" -qc "SELECT 1" >/dev/null 2>&1; then fresh=1; \
	      psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS parallax_bench_$$n" -c "CREATE DATABASE parallax_bench_$$n"; fi; \
	  else url="sqlite:///$(BENCH_DIR)/bench-$$n.sqlite3"; tag="sqlite-$$n"; \
	    if [ -n "$$fresh" ] || [ ! -f $(BENCH_DIR)/bench-$$n.sqlite3 ]; then fresh=1; rm -f $(BENCH_DIR)/bench-$$n.sqlite3*; fi; fi; \
	  export DATABASE_URL=$$url DEBUG=0 SECRET_KEY=bench ALLOWED_HOSTS=127.0.0.1; \
	  $(BIN)/python manage.py collectstatic --noinput -v0; \
	  $(BIN)/python manage.py migrate --noinput -v0; \
	  if [ -n "$$fresh" ]; then $(BIN)/python manage.py generate_entries $$n; fi; \
	  $(BIN)/python manage.py bench --out $(BENCH_DIR)/bench-$$tag.json; \
	  $(BIN)/python manage.py bench --load --seconds $(BENCH_LOAD_SECONDS) --out $(BENCH_DIR)/load-$$tag.json; \
	done
	set -e; server="$${DATABASE_URL%/*}"; engine=$$([ -n "$$server" ] && echo postgresql || echo sqlite); \
	$(BIN)/python manage.py bench --table $(BENCH_DIR)/bench-$$engine-$(firstword $(BENCH_SIZES)).json $(BENCH_DIR)/bench-$$engine-$(lastword $(BENCH_SIZES)).json

# Times import_events on a synthetic ACLED file against loading the same file with sqlite3
# (BENCH_IMPORT_ROWS rows, default 200000; DATABASE_URL=postgres://... for PostgreSQL).
bench-import: install
	$(BIN)/python scripts/bench_import.py

# Leaflet, its marker-cluster plugin and the map's boundaries, from the npm registry at the
# versions pinned in vendor/package-lock.json, copied with their licences into
# timeline/static/timeline/vendor/ (committed, so `make run` needs no Node). Needs node and npm.
VENDOR_TMP ?= /tmp/parallax-vendor
vendor:
	rm -rf $(VENDOR_TMP) && mkdir -p $(VENDOR_TMP)
	cp vendor/package.json vendor/package-lock.json $(VENDOR_TMP)/
	cd $(VENDOR_TMP) && npm ci --ignore-scripts --no-audit --no-fund
	node vendor/build.mjs $(VENDOR_TMP)/node_modules timeline/static/timeline/vendor

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts

# A consistent copy while the site runs: backups/parallax-<timestamp>.sqlite3 (SQLite's online
# backup API) or .dump (pg_dump, when DATABASE_URL is PostgreSQL).
backup: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py backup

# make restore FILE=backups/parallax-20251125-040000.sqlite3 (replaces the database whole).
restore: install
	@test -n "$(FILE)" || (echo "Say which backup: make restore FILE=backups/parallax-....sqlite3" && exit 2)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py restore "$(FILE)"

# 50 readers and 3 editors writing through the API against gunicorn on 127.0.0.1 for
# LOAD_SECONDS (default 60), on SQLite, or PostgreSQL when DATABASE_URL names a server.
# Fails on any 5xx or any write lost. See docs/benchmarks.md, "Load with writes".
LOAD_SECONDS ?= 60
load: install
	LOAD_SECONDS=$(LOAD_SECONDS) $(BIN)/python scripts/load.py
