PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format migrate seed bench clean

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

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
