"""Provider health checks, secret rotation, Key Vault and task hub retention.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.operations.health import (
    CheckResult,
    DetectorState,
    HealthChecker,
    HealthSettings,
    health_report,
)
from shared.operations.readiness import Readiness
from shared.operations.results_table import ResilientHealthStore, health_store_for
from shared.operations.rotation import run_secret_rotation
from shared.operations.taskhub import PurgeReport, TaskHubRetention, purge_task_hub

__all__ = [
    "CheckResult",
    "DetectorState",
    "HealthChecker",
    "HealthSettings",
    "PurgeReport",
    "Readiness",
    "ResilientHealthStore",
    "TaskHubRetention",
    "health_report",
    "health_store_for",
    "purge_task_hub",
    "run_secret_rotation",
]
