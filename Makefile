# Ask Eve failover gateway: local setup, run and test.
# Every target installs what it needs, so a fresh clone works with `make test` or `make run`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 7071

.DEFAULT_GOAL := help
.PHONY: help setup venv npm run test lint typecheck contracts pytest unit integration clean

help:
	@echo "make run    - set up, then serve the gateway on http://127.0.0.1:$(PORT) (Ctrl-C stops)"
	@echo "make test   - set up, then run the whole gate: ruff, mypy, pytest and infra checks"
	@echo "make unit   - fast unit tests only"
	@echo "make safety-case - regenerate the hazard log and the safety case's evidence"

setup: venv npm

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(PY) -m devhost.launcher --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

# The import contracts in pyproject.toml: the layer order of shared/'s rooms, and what the
# core and the deployed code must never import.
contracts: venv
	$(VENV)/bin/lint-imports

# -rs prints every skip's reason and --fail-on-skip fails the run on any skip: every test is
# required, so the tools they need are installed first (chromium, deploy-tools; the infra
# virtualenv, where the hazard log's trace collects tests/infra). The JUnit
# report is one of the inputs of `make safety-case`.
pytest: setup chromium deploy-tools infra-venv
	@mkdir -p test-artifacts
	$(PY) -m scripts.safety_evidence stamp test-artifacts/junit.stamp.json
	$(PY) -m pytest -rs --fail-on-skip --junitxml=test-artifacts/junit.xml

# jq and zip for the deploy script's tests (tests/infra/test_deploy_script.py): Debian's
# packages, installed when missing (apt-get as root, else through sudo); failing loudly if not.
DEPLOY_TOOLS_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
.PHONY: deploy-tools
deploy-tools:
	@missing=""; for tool in jq zip; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then echo "deploy-tools: jq and zip present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "deploy-tools: installing$$missing"; \
		{ $(DEPLOY_TOOLS_SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(DEPLOY_TOOLS_SUDO) apt-get install -y -qq $$missing; } \
			|| { echo "deploy-tools: could not install$$missing; the deploy-script tests need them" >&2; exit 1; }; \
	else echo "deploy-tools: missing$$missing and no apt-get to install them" >&2; exit 1; fi

unit: venv
	$(PY) -m pytest -rs -m "not integration"

integration: setup
	$(PY) -m pytest -m integration

test: lint typecheck contracts scan pytest infra-check

include scanners.mk
include observability.mk
include bench.mk
include clinical-safety.mk

ifneq ($(wildcard infra/infra.mk),)
include infra/infra.mk
else
.PHONY: infra-check infra-venv
infra-check:
	@echo "infra checks: infra/infra.mk not present"
infra-venv:
endif

clean:
	rm -rf $(VENV) .venv-infra node_modules .pytest_cache .mypy_cache .ruff_cache
