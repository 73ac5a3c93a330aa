# Headless Chromium for the status page browser test (tests/observability/test_status_browser.py).
# Debian's package, installed only when missing, with apt-get (directly as root, else through
# sudo). If it cannot be installed the target fails: `make test` requires every test, and a
# browser test that skips would read as a pass. Include from the Makefile:
#     include observability.mk
# and make the pytest target depend on `chromium`.

CHROMIUM_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: chromium

chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: installing Debian's package"; \
		{ $(CHROMIUM_SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(CHROMIUM_SUDO) apt-get install -y -qq chromium; } \
			|| { echo "chromium: could not be installed; the browser tests need it" >&2; exit 1; }; \
	else \
		echo "chromium: missing, and there is no apt-get to install it; install Chromium" >&2; \
		exit 1; \
	fi
