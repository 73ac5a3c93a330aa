"""Benchmarks: `make bench` (figures), `make drill` (chaos scenario), `make soak`."""
