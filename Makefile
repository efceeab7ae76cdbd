# The README's commands. `make` alone lists the targets.
#
# Everything runs from .venv/bin, never from an activated shell. The virtualenv is made with
# the first Python >= 3.12 found: $(PYTHON) if given (make PYTHON=/path/to/python ...),
# python3.13, python3.12, pyenv's 3.13.x / 3.12.x (newest first), then python3.

SHELL := bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?=
ARGS ?=
SQLITE_URL ?= sqlite:///$(CURDIR)/data/db.sqlite3
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/dossier
ADDRPORT := 127.0.0.1:8000
# makemessages: the nl and en catalogues in locale/, from the project's own code only.
MESSAGES_ARGS := -l nl -l en --ignore=$(VENV) --ignore=bench --ignore=tests --ignore=data --no-location --no-obsolete

# True when an interpreter ($1) is at least Python 3.12.
new_enough = "$(1)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1

# Prints the path of the first suitable interpreter, or explains and fails.
define find_python
pyenv_root=$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}"); \
for candidate in $(PYTHON) python3.13 python3.12 \
		$$(ls -d "$$pyenv_root"/versions/3.1[23].*[0-9]/bin/python 2>/dev/null | sort -rV) python3; do \
	path=$$(command -v "$$candidate" 2>/dev/null) || continue; \
	if $(call new_enough,$$path); then echo "$$path"; exit 0; fi; \
done; \
echo "No Python 3.12 or newer found (tried $(strip $(PYTHON) python3.13 python3.12), pyenv's 3.13.x and 3.12.x, python3)." >&2; \
echo "Install Python 3.12 or newer (for example: pyenv install 3.12), or pass make PYTHON=/path/to/python." >&2; \
exit 1
endef

# A missing .venv, or one made with a Python older than 3.12, is (re)built on the next install.
ifneq ($(shell $(call new_enough,$(PY)) && echo ok),ok)
$(STAMP): FORCE
endif

.PHONY: help venv install migrate seed run test test-postgres screenshots lint check-migrations messages clean FORCE

help: ## List the targets
	@echo "Usage: make <target> [ARGS=...]"
	@echo
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'

venv: install ## Same as install

install: $(STAMP) ## Create .venv (Python >= 3.12) and install requirements-dev.txt when they changed

$(STAMP): requirements.txt requirements-dev.txt
	@if ! $(call new_enough,$(PY)); then \
		python=$$($(find_python)) || exit 1; \
		echo "Creating $(VENV) with $$python ($$("$$python" -V 2>&1))"; \
		rm -rf $(VENV); \
		"$$python" -m venv $(VENV); \
	fi
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

.env: ## Copy .env.example to .env if there is no .env yet
	cp .env.example .env

migrate: install .env ## Apply database migrations
	$(PY) manage.py migrate

seed: migrate ## Load the demo world (idempotent)
	$(PY) manage.py seed_demo

run: seed ## Install, migrate, seed, then run the web server and the task worker
	@echo
	@echo "  Open http://$(ADDRPORT)/admin/"
	@echo "  Demo sign-ins (password = user name, demo world only):"
	@echo "    admin/admin  importeur/importeur  profit/profit  zonderrechten/zonderrechten"
	@echo "  The task worker (manage.py run_worker) and the reaper of imports whose worker died"
	@echo "  (manage.py reap_imports --loop) run in the background, each started again should it"
	@echo "  exit; Ctrl-C stops all three."
	@echo
	@# Ctrl-C reaches the worker and the reaper too (the worker then stops after its current
	@# task): their loops are then only told to start nothing again (USR1). When runserver
	@# ends any other way, the loops get SIGTERM and pass it on. With DEBUG on, run_worker
	@# runs under the autoreloader, so the real worker is its child, which stops gracefully
	@# and the parent follows; signalling the parent itself would kill the child abruptly.
	@$(call keep_running,$(PY) manage.py run_worker,The task worker) & worker=$$!; \
	$(call keep_running,$(PY) manage.py reap_imports --loop,The reaper) & reaper=$$!; \
	trap 'interrupted=1' INT; \
	trap 'if [ -z "$${interrupted:-}" ]; then kill -TERM $$worker $$reaper 2>/dev/null; \
		else kill -USR1 $$worker $$reaper 2>/dev/null; fi; \
		wait $$worker $$reaper 2>/dev/null' EXIT; \
	$(PY) manage.py runserver $(ADDRPORT)

# $(1) run again RESTART_PAUSE seconds after it exits, for as long as `make run` runs; $(2)
# names it in the line that says so. SIGTERM stops the loop and is passed on to the command
# (to its children first: the autoreloader's worker); SIGUSR1 (after Ctrl-C, which reached the
# command itself) only stops the loop, which then waits for the command to end.
RESTART_PAUSE := 2
define keep_running
( trap 'stopping=1; pkill -TERM -P $$child 2>/dev/null || kill -TERM $$child 2>/dev/null' TERM; \
  trap 'stopping=1' USR1; \
  while :; do \
    $(1) & child=$$!; \
    wait $$child; wait $$child 2>/dev/null; \
    [ -n "$${stopping:-}" ] && break; \
    echo "$(2) exited; it starts again in $(RESTART_PAUSE) s." >&2; \
    sleep $(RESTART_PAUSE) & pause=$$!; wait $$pause; kill $$pause 2>/dev/null; \
    [ -n "$${stopping:-}" ] && break; \
  done )
endef

test: install .env ## Run the test suite on SQLite (extra pytest arguments: ARGS="-k spec")
	DATABASE_URL=$(SQLITE_URL) $(PY) -m pytest $(ARGS)

test-postgres: install .env ## Run the test suite on PostgreSQL at 127.0.0.1:5432 (override: POSTGRES_URL=...)
	DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest $(ARGS)

screenshots: install .env ## Run the browser tests (tests/e2e) with SCREENSHOTS=1: they rewrite docs/screenshots/
	@# Without Chromium the browser tests skip, and would silently write nothing.
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || { echo "Chromium is not installed (apt-get install -y chromium)." >&2; exit 1; }
	SCREENSHOTS=1 DATABASE_URL=$(SQLITE_URL) $(PY) -m pytest tests/e2e $(ARGS)

lint: install ## ruff check, ruff format --check and the import contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check-migrations: install .env ## Fail when a model change has no migration
	$(PY) manage.py makemigrations --check --dry-run

messages: install .env ## Update and compile the nl/en translations
	@# Needs GNU gettext. makemessages stamps a new POT-Creation-Date on every run: a catalogue
	@# whose messages did not change is put back as it was, so a second run changes nothing and
	@# recompiles nothing.
	@for po in locale/*/LC_MESSAGES/django.po; do [ -f "$$po" ] && cp -p "$$po" "$$po.orig"; done; \
	$(PY) manage.py makemessages $(MESSAGES_ARGS) || status=$$?; \
	for po in locale/*/LC_MESSAGES/django.po; do \
		[ -f "$$po.orig" ] || continue; \
		if diff -q <(grep -v '^"POT-Creation-Date: ' "$$po") <(grep -v '^"POT-Creation-Date: ' "$$po.orig") >/dev/null; then \
			mv "$$po.orig" "$$po"; \
		else \
			rm "$$po.orig"; \
		fi; \
	done; \
	exit $${status:-0}
	$(PY) manage.py compilemessages -l nl -l en --ignore=$(VENV)
	@# New or changed source strings show up here as untranslated or fuzzy: fill them in
	@# locale/nl/LC_MESSAGES/django.po (and drop the fuzzy flags), then run make messages again.
	@printf 'nl: '; msgfmt --statistics -o /dev/null locale/nl/LC_MESSAGES/django.po 2>&1
	@# locale-overrides/nl (Dutch for Django's and django-import-export's strings, edited by
	@# hand, never by makemessages) is compiled above too: it is in LOCALE_PATHS.
	@printf 'nl overrides: '; msgfmt --statistics -o /dev/null locale-overrides/nl/LC_MESSAGES/django.po 2>&1

clean: ## Remove .venv, caches and collected static files (keeps .env and data/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

FORCE:
