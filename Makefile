# Workspace: `make run` starts the app with demo data, `make test` runs every check and test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# pytest-xdist workers (one per core); a test module runs whole on one worker.
PYTEST_WORKERS ?= auto
HOST ?= 127.0.0.1
# uv installs the locked packages (seconds, where pip takes half a minute), compiled:
# every process the tests start (servers, workers, scripts) then loads bytecode instead
# of compiling ~1,900 modules (1.1 s of CPU each time).
UV_VERSION := 0.13.8
# Some machines set PYTHONDONTWRITEBYTECODE; the project's own modules are then
# compiled again by every process. Let Python cache them (__pycache__ is ignored by git).
unexport PYTHONDONTWRITEBYTECODE
# The first interpreter found that is Python 3.12 or newer.
PYTHON := $(shell for p in python3.12 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: help install run worker test lint pytest lock clean

help:
	@echo "make run    - install, migrate, load demo data and serve on http://$(HOST):$(PORT)/"
	@echo "make test   - install, lint, check and run the whole test suite"
	@echo "make lock   - re-pin requirements.lock from pyproject.toml"

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Workspace needs Python 3.12 or newer (python3.12 not found). Install it, e.g. 'pyenv install 3.12'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements.lock
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py prune_live_events --every 3600
	DEBUG=1 $(PY) manage.py rescore_clients --every 86400
	DEBUG=1 $(PY) manage.py automation_clock --every 60
	@echo
	@echo "  Workspace is starting on http://$(HOST):$(PORT)/   (Ctrl-C stops it)"
	@echo
	@trap 'kill 0' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py run_worker --interval 0.2 & \
	DEBUG=1 $(VENV)/bin/daphne -b $(HOST) -p $(PORT) workspace.asgi:application

worker: install
	$(PY) manage.py run_worker --interval 0.2

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=workspace.example.com EMAIL_URL=smtp+tls://mail.example.com:587 \
		$(PY) manage.py check --deploy --fail-level WARNING

pytest: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint pytest

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > .lock-venv/direct.txt
	.lock-venv/bin/pip install --quiet -r .lock-venv/direct.txt --group dev
	.lock-venv/bin/pip freeze --exclude workspace > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
