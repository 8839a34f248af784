# EduCRM: `make run` to try it, `make test` to check it. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint migrate seed messages clean bench

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "EduCRM needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirement or lock files change (stamps), so re-runs are fast.
.stamp-python: $(VENV)/bin/python requirements.txt requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

.stamp-npm: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: .stamp-python .stamp-npm messages

messages: .stamp-python
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install GNU gettext (apt-get install gettext)"; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0

seed: migrate
	$(PY) manage.py seeddemo

# The web server in the foreground, the background worker (imports, emails, the periodic pool
# sweep) beside it; Ctrl+C stops both.
run: seed
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py pool_sweep --schedule
	$(PY) manage.py ticket_sweep --schedule
	$(PY) manage.py risk_sweep --schedule
	@echo ""
	@echo "EduCRM is starting on http://$(HOST):$(PORT)/ with its worker  (Ctrl+C to stop)"
	@$(PY) manage.py db_worker --queue-name '*' --interval 2 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Two pytest-xdist workers, which steal pending tests from each other so that the slow browser and
# load tests do not leave one worker running alone at the end: the suite takes about 13 minutes on
# SQLite and 16 on PostgreSQL on a 2-core machine (about twice that serially). TEST_WORKERS=0 runs
# it in one process.
TEST_WORKERS ?= 2
test: install lint
	$(PY) manage.py makemigrations --check --dry-run -v 1
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

# The benchmark (README "Performance"): SIZE=S (10k customers), M (100k) or L (1M). Its data is
# generated once into var/bench/ and reused; DATABASE_URL=postgres://... runs it on PostgreSQL.
# Connections are kept as in production (DATABASE_CONN_MAX_AGE, README "Configuration").
SIZE ?= S
bench: install
	mkdir -p var/bench
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench/bench-$(SIZE).sqlite3} \
	DATABASE_CONN_MAX_AGE=$${DATABASE_CONN_MAX_AGE:-60} \
		$(PY) manage.py bench --size $(SIZE) --output var/bench

clean:
	rm -rf $(VENV) node_modules staticfiles .stamp-python .stamp-npm
