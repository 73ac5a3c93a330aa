"""The infra tests need pycep-parser, which only the infra virtualenv (.venv-infra) has.

Under the app's virtualenv these files are not collected at all, so `make pytest` stays
independent of the infra toolchain and `make infra-check` runs them with it.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("pycep") is None:
    collect_ignore_glob = ["test_*.py"]
