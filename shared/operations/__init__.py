"""Provider health checks, secret rotation and Key Vault.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.operations.health import CheckResult, HealthChecker, HealthSettings, health_report
from shared.operations.readiness import Readiness
from shared.operations.results_table import ResilientHealthStore, health_store_for
from shared.operations.rotation import run_secret_rotation

__all__ = [
    "CheckResult",
    "HealthChecker",
    "HealthSettings",
    "Readiness",
    "ResilientHealthStore",
    "health_report",
    "health_store_for",
    "run_secret_rotation",
]
