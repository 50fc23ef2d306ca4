# Two commands on a fresh machine with Python 3.11 and make:
#   make run    set up, migrate, load the demo, run web + Celery worker + scheduler
#   make test   set up and run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# The translations, compiled from the committed .po files (the .mo files are built, not committed).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

.PHONY: run test lint format clean

run: $(VENV)/.installed-run $(CATALOGUES)
	$(BIN)/python scripts/run.py

test: $(VENV)/.installed-dev $(CATALOGUES)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# Pure Python (polib): no GNU gettext needed to run or test.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(VENV)/.installed-run
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
