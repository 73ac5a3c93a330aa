# Security scanners for the test gate, included by the top-level Makefile; the work is done by
# scripts/scan.sh, from the project's virtualenv (bandit and detect-secrets are pinned in
# requirements-dev.txt). `make scan` runs both.

.PHONY: scan bandit detect-secrets secrets-baseline

scan: bandit detect-secrets

bandit: venv
	VENV=$(VENV) scripts/scan.sh bandit

# Recipe comments reach the shell, which ignores them; detect-secrets reads this file as INI.
detect-secrets: venv  # pragma: allowlist secret
	VENV=$(VENV) scripts/scan.sh detect-secrets  # pragma: allowlist secret

secrets-baseline: venv
	VENV=$(VENV) scripts/scan.sh secrets-baseline  # pragma: allowlist secret
