# factcheck: one-command entry points. Needs only python3 (3.11); see docs/running.md.
#
#   make run     manage.py bootstrap, then web + Celery worker + beat from the Procfile (honcho),
#                embedded (SQLite + filesystem broker under var/)
#   make test    the test suite (needs PostgreSQL and Redis running; see docs/running.md)
#   make lint    ruff check + ruff format --check + lint-imports (dependency contracts)
#   make migrate / make seeds / make manage ARGS='shell' / make lock
#
# make run, migrate, seeds and manage defaults, applied only when neither the environment
# (or the make command line) nor .env sets them:
#   DEBUG=1
#   LINKCHECK_EGRESS_ALLOWLIST=127.0.0.0/8   the link checker may only reach this machine.
#       In a real deployment set it EMPTY (LINKCHECK_EGRESS_ALLOWLIST= make run) so that the
#       checker can fetch public URLs (private/loopback addresses stay blocked regardless).
#   PORT=8000 (also HOST=127.0.0.1, WORKER_CONCURRENCY=2; environment or .env)
#   DEMO_SITE_PORT=8765: the demo news site (Procfile `demo`), whose article the seed stores
#       as fetched and the watch finds edited. For it the fetcher may reach 127.0.0.1 and that
#       port: LINKCHECK_ALLOWED_NETWORKS=127.0.0.1/32 and
#       LINKCHECK_ALLOWED_PORTS=80,443,8080,8443,$(DEMO_SITE_PORT) (a deployment sets neither).
#       ARTICLE_WATCH_BEAT_SECONDS=60: the watch looks for due articles every minute.
# Set REDIS_URL and/or DATABASE_URL to use Redis and PostgreSQL instead of the embedded ones.
#
# How: the settings read .env themselves (django-environ; a variable already in the
# environment wins), so make never exports a default for a name that .env assigns, it only
# greps .env for the name. honcho is given no env file (its own .env reading would put .env
# above the environment). PORT, HOST and WORKER_CONCURRENCY are read here and by the Procfile,
# not by the settings, so make takes their plain value from .env.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
ARGS ?=

dotenv_sets = $(shell grep -Eqs '^[[:space:]]*(export[[:space:]]+)?$(1)[[:space:]]*=' .env && echo yes)
dotenv_value = $(shell sed -nE "s/^[[:space:]]*(export[[:space:]]+)?$(1)[[:space:]]*=[[:space:]]*['\"]?([^'\"[:space:]]*).*/\2/p" .env 2>/dev/null | tail -n 1)
PORT ?= $(or $(call dotenv_value,PORT),8000)
HOST ?= $(or $(call dotenv_value,HOST),127.0.0.1)
WORKER_CONCURRENCY ?= $(or $(call dotenv_value,WORKER_CONCURRENCY),2)
DEMO_SITE_PORT ?= $(or $(call dotenv_value,DEMO_SITE_PORT),8765)
APP_HOST := $(if $(filter 127.0.0.1 ::1 localhost,$(HOST)),localhost,$(HOST))
ifneq ($(call dotenv_sets,DEBUG),yes)
run migrate seeds manage: export DEBUG ?= 1
endif
ifneq ($(call dotenv_sets,LINKCHECK_EGRESS_ALLOWLIST),yes)
run migrate seeds manage: export LINKCHECK_EGRESS_ALLOWLIST ?= 127.0.0.0/8
endif
ifneq ($(call dotenv_sets,LINKCHECK_ALLOWED_NETWORKS),yes)
run migrate seeds manage: export LINKCHECK_ALLOWED_NETWORKS ?= 127.0.0.1/32
endif
ifneq ($(call dotenv_sets,LINKCHECK_ALLOWED_PORTS),yes)
run migrate seeds manage: export LINKCHECK_ALLOWED_PORTS ?= 80,443,8080,8443,$(DEMO_SITE_PORT)
endif
ifneq ($(call dotenv_sets,ARTICLE_WATCH_BEAT_SECONDS),yes)
run: export ARTICLE_WATCH_BEAT_SECONDS ?= 60
endif
ifneq ($(call dotenv_sets,FACTCHECK_ORGANIZATION_URL),yes)
run migrate seeds manage: export FACTCHECK_ORGANIZATION_URL ?= http://$(APP_HOST):$(PORT)/
endif
run: export HOST := $(HOST)
run: export WORKER_CONCURRENCY := $(WORKER_CONCURRENCY)
run: export DEMO_SITE_PORT := $(DEMO_SITE_PORT)
run: export PYTHONUNBUFFERED := 1

.DEFAULT_GOAL := help
.PHONY: help install install-test install-bench run test lint migrate seeds manage lock clean-var

help:
	@echo "make run      bootstrap (migrate, demo users, seeds), then web, worker, beat and the demo site from"
	@echo "              the Procfile with honcho (PORT=8000 by default); Ctrl-C stops all"
	@echo "make test     run the tests (PYTEST_ARGS='-k foo'); needs PostgreSQL + Redis"
	@echo "make lint     ruff check, ruff format --check, lint-imports"
	@echo "make migrate  apply database migrations"
	@echo "make seeds    create the demo users and load seeds/"
	@echo "make manage ARGS='createsuperuser'  manage.py with make run's defaults (DEBUG=1, ...)"
	@echo "make lock     regenerate constraints.txt from a fresh virtualenv"
	@echo "make clean-var  delete var/ (embedded database, broker files, beat schedule)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml or constraints.txt change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# What the benchmarks in bench/ need on top of the tests (a load generator's HTTP client).
install-bench: $(VENV)/.installed-test
	$(BIN)/pip install -q -c constraints.txt -e '.[test,bench]'

# honcho prefixes each process's lines with its name, stops all three (SIGTERM to each process
# group, SIGKILL after 5 s) on Ctrl-C or when one exits, and exits non-zero then. exec: honcho
# replaces the recipe's shell, so a SIGTERM that make passes on reaches it. --env /dev/null:
# see the header (the settings read .env).
run: $(VENV)/.installed
	$(BIN)/python manage.py bootstrap --base-url http://$(APP_HOST):$(PORT)/ --demo-site http://127.0.0.1:$(DEMO_SITE_PORT)/
	PATH="$(abspath $(BIN)):$$PATH" exec $(BIN)/honcho --env /dev/null start --port $(PORT)

# The services of the test settings (tests/settings.py), checked before pytest starts.
test: $(VENV)/.installed-test
	@DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py check_services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

seeds: migrate
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py load_seeds

# Quiet (make -s) so that e.g. a token printed by create_token is all that reaches stdout.
manage: $(VENV)/.installed
	@$(BIN)/python manage.py $(ARGS)

# The lock: every package that `pip install -e '.[test]'` pulls in, at the newest versions
# that pyproject.toml allows, resolved in a throwaway virtualenv.
LOCK_VENV := $(CURDIR)/var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q -e '.[test,bench]'
	{ echo "# Generated by 'make lock' from pyproject.toml (direct dependencies, [test] and [bench]). Do not edit."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable | grep -v '^-e' | grep -iv '^factcheck=='; \
	} > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt
	rm -rf $(LOCK_VENV)
	@echo "constraints.txt regenerated; review with: git diff constraints.txt"

clean-var:
	rm -rf var
