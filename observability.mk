# Headless Chromium for the status page browser test (tests/observability/test_status_browser.py).
# Debian's package, installed only when missing and only where it can be (root with apt-get);
# otherwise the browser tests skip and say why. Include from the Makefile:
#     include observability.mk
# and make the pytest target depend on `chromium`.

.PHONY: chromium

chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: installing Debian's package"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
			|| echo "chromium: could not be installed; the browser tests will skip"; \
	else \
		echo "chromium: missing, and installing it needs root and apt-get; the browser tests will skip"; \
	fi
