# GONV-uppföljning: `make run` (the app with demo data) and `make test` (the whole suite).
# Both install what they need: the virtualenv, pinned packages, compiled translations and,
# for the browser tests, Debian's Chromium.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# One stamp per pinned set: `make run` installs only what running needs, `make test` the rest.
STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | md5sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
CHROMIUM ?= /usr/bin/chromium

TEST_DATABASE_URL ?= postgres://postgres@localhost:5432/gonv
TEST_REDIS_URL ?= redis://localhost:6379/0

.PHONY: run test lint bench bench-pages install install-dev requirements messages chromium services clean

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	@rm -f $(VENV)/.installed-run-* && touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@ && touch $(STAMP)

# Re-pin both sets from the .in files (after editing them): hashes for every package.
requirements: install-dev
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe -o requirements-dev.txt requirements-dev.in

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
	  else echo "make: GNU gettext (msgfmt) is missing: install the 'gettext' package." >&2; exit 1; fi; }
	@$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: Chromium is missing at $(CHROMIUM): install Debian's 'chromium' package or set CHROMIUM=/path." >&2; exit 1; fi; }

# The app with demo data, for people trying it: DEBUG off, so they get the Swedish 404 and 500
# pages, not Django's technical ones (`DJANGO_DEBUG=true make run` gives those back). With DEBUG
# off runserver serves the static files only with --insecure, which is fine on 127.0.0.1.
run: messages
	env -u DATABASE_URL -u REDIS_URL -u DJANGO_ENV $(PY) manage.py migrate --verbosity 0
	env -u DATABASE_URL -u REDIS_URL -u DJANGO_ENV $(PY) manage.py load_demo
	@echo ""
	@echo "GONV-uppföljning: open http://127.0.0.1:8000/ and log in with an account above (password: demo)."
	env -u DATABASE_URL -u REDIS_URL -u DJANGO_ENV DJANGO_DEBUG="$${DJANGO_DEBUG:-false}" \
	  $(PY) manage.py runserver --insecure 127.0.0.1:8000

# Style, the layers (import-linter contracts in pyproject.toml) and the type hints (mypy).
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=:memory: $(VENV)/bin/mypy

services: $(DEV_STAMP)
	@DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(PY) scripts/check_services.py

test: messages chromium services lint
	# Models against migrations, on an in-memory SQLite: no database of the app's to look up.
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=:memory: \
	  $(PY) manage.py makemigrations --check --dry-run --verbosity 0
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  CHROMIUM=$(CHROMIUM) CELERY_QUEUE="gonv-test-$$$$" $(PY) -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP) services
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(PY) -m bench.run $(BENCH_ARGS)

# Page timings against a bare logged-in page (base.html only), one scale (default Gävleborg).
bench-pages: $(DEV_STAMP) services
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	  $(PY) -m bench.pages $(BENCH_PAGES_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 locale/*/LC_MESSAGES/*.mo
