# CrowdLabel: `make run` (the platform on the embedded default) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: venv run test migrate demo clean

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Web server on 127.0.0.1:8000 with two Celery workers (the `celery` and `training` queues) and beat; Ctrl-C stops all.
run: venv
	DEBUG=$${DEBUG:-1} PY=$(PY) ./scripts/run.sh

test: venv
	SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key} STATIC_MANIFEST=0 OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} \
	HF_HUB_OFFLINE=1 $(PY) -m pytest $(PYTEST_ARGS)

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate

clean:
	rm -rf var/celery var/static
