# The clinical safety documents (docs/clinical-safety/). Included by the Makefile.
#   make safety-case   regenerate hazard-log.md from hazard-log.yaml, and the safety case's
#                      evidence section from the latest results on this machine: the pytest
#                      reports of `make test` (test-artifacts/), `make drill` (drill/result.json)
#                      and `make bench` (bench/results/latest.json), and the held-out crisis
#                      figures measured now. Exits non-zero if the hazard log is inconsistent or
#                      a safety-critical config file differs from the hash the case assessed.
#                      Each of those runs stamps its commit and the hashes of the safety-critical
#                      code and config first (scripts/safety_evidence.py); a result whose stamp
#                      is missing, older than it, or of other code is refused, and then
#                      safety-case.md is not written at all.
#   make safety-case SAFETY_CASE_ARGS=--documents-only
#                      only the parts rendered from hazard-log.yaml: hazard-log.md, the argument
#                      and the deployment constraints (the evidence section is left as it is).
#                      It also rewrites the README's UK services table and the safety case's
#                      list of unapproved reply texts from config/ (scripts/signposting_docs.py).
# The trace between the hazard log and the tests is checked in `make test`
# (tests/clinical_safety/).

.PHONY: safety-case

safety-case: venv
	$(PY) -m scripts.signposting_docs
	$(PY) -m scripts.clinical_safety $(SAFETY_CASE_ARGS)
