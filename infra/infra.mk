# Offline checks of the infrastructure code, included by the top-level Makefile.
# `make infra-check` needs no Azure access: it lints the deploy script, scans the Bicep with
# checkov, and runs tests/infra (pycep-parser based) in a virtualenv of its own, because
# checkov's dependency tree must not mix with the app's.

INFRA_PYTHON ?= $(if $(PYTHON),$(PYTHON),python3)
INFRA_VENV   := .venv-infra
INFRA_PY     := $(INFRA_VENV)/bin/python
INFRA_STAMP  := $(INFRA_VENV)/.installed
# As root (CI) apt-get runs directly; elsewhere through sudo.
INFRA_SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: infra-check infra-venv infra-shellcheck infra-checkov infra-pytest

infra-check: infra-shellcheck infra-checkov infra-pytest

# The stamp is newer than requirements-infra.txt once installed, so a second run skips pip.
infra-venv: $(INFRA_STAMP)
$(INFRA_STAMP): requirements-infra.txt
	@test -x $(INFRA_PY) || $(INFRA_PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_PY) -m pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	@touch $@

infra-shellcheck:
	@command -v shellcheck >/dev/null 2>&1 || { \
	  echo "shellcheck not found: installing it from Debian's packages"; \
	  $(INFRA_SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(INFRA_SUDO) apt-get install -y -qq shellcheck >/dev/null; }
	shellcheck infra/*.sh

# checkov exits non-zero on a failed check but not on a file it cannot parse, and an unparsed
# file is an unchecked file; so a parsing error fails the target too.
infra-checkov: infra-venv
	@out="$$($(INFRA_VENV)/bin/checkov --directory infra --framework bicep --quiet --compact \
	  --skip-download 2>&1)"; status=$$?; printf '%s\n' "$$out"; \
	if printf '%s\n' "$$out" | grep -q 'Parsing errors'; then \
	  echo "checkov could not parse every Bicep file"; exit 1; fi; \
	exit $$status

# deploy-tools (jq, zip; in the Makefile) for the deploy script's tests; any skip fails the run.
infra-pytest: infra-venv deploy-tools
	@mkdir -p test-artifacts
	$(PY) -m scripts.safety_evidence stamp test-artifacts/junit-infra.stamp.json
	$(INFRA_PY) -m pytest -c infra/pytest.ini --rootdir . -rs --fail-on-skip \
		--junitxml=test-artifacts/junit-infra.xml tests/infra
