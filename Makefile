# CrowdLabel: `make run` (the platform on the embedded default), `make test` (the whole suite) and `make lint`
# (ruff, the import-linter contract of ARCHITECTURE.md's layers, and the check that each app writes only its tables).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: venv venv-dev run test lint migrate demo clean

# The runtime (`make run`); venv-dev adds the test and lint tools (`make test`, `make lint`, CI).
venv: $(STAMP)

venv-dev: $(DEV_STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-[0-9]*
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-*
	touch $@

# Web server on 127.0.0.1:8000 with two Celery workers (the `celery` and `training` queues) and beat; Ctrl-C stops all.
run: venv
	DEBUG=$${DEBUG:-1} PY=$(PY) ./scripts/run.sh

test: venv-dev
	SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key} STATIC_MANIFEST=0 OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} \
	HF_HUB_OFFLINE=1 $(PY) -m pytest $(PYTEST_ARGS)

# The guard rails: lint errors, imports only downwards (.importlinter), each table written by its own app.
lint: venv-dev
	$(VENV)/bin/ruff check .
	SECRET_KEY=$${SECRET_KEY:-insecure-lint-only-key} PYTHONPATH=. $(VENV)/bin/lint-imports
	SECRET_KEY=$${SECRET_KEY:-insecure-lint-only-key} $(PY) scripts/check_writes.py

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate

clean:
	rm -rf var/celery var/static
