# Benchmarks and chaos runs (issue 9). Included by the Makefile; uses its PY, VENV and setup.
#   make bench                 every figure B1a-B11 and B13; table and JSON under bench/results/
#   make drill                 the chaos drill (about 2 minutes, Flex topology); drill/report.md + plot
#   make soak                  two Flex hosts, one Azurite, 10 minutes of traffic with faults
# The shortened drill runs in `make test` (tests/drill, marked integration).

PY_SPY_VERSION ?= 0.4.3
DRILL_ARGS     ?=
BENCH_ARGS     ?=
SOAK_MINUTES   ?= 10
SOAK_RATE      ?= 10

.PHONY: bench drill soak bench-tools

# py-spy profiles a host that misses a target; installed here until requirements-dev pins it.
bench-tools: venv
	@test -x $(VENV)/bin/py-spy || $(PY) -m pip install --quiet --disable-pip-version-check "py-spy==$(PY_SPY_VERSION)"

bench: setup bench-tools
	$(PY) -m scripts.safety_evidence stamp bench/results/latest.stamp.json
	$(PY) -m bench $(BENCH_ARGS)

drill: setup
	$(PY) -m scripts.safety_evidence stamp drill/result.stamp.json
	$(PY) -m drill $(DRILL_ARGS)

soak: setup
	$(PY) -m bench.soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE)
