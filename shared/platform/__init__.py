"""Settings, typed config, storage clients, errors and the small utilities every room uses.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.platform.clock import iso, now_iso
from shared.platform.config import (
    CRISIS_CATEGORIES,
    DEFAULT_AZURE_API_VERSION,
    DEFAULT_CONFIG_DIR,
    SAFETY_CRITICAL_FILES,
    STANDARD_SETTINGS,
    AppConfig,
    BreakerSettings,
    BucketConfig,
    ConfigError,
    ConfigReader,
    FailoverConfig,
    RateLimitConfig,
    SafetyConfig,
    SlaConfig,
    TierConfig,
    TierSettings,
    config_path,
    content_hash,
    emergency_tier,
    load_config,
    loaded_safety_hashes,
    read_config_file,
    with_tier_regions,
)
from shared.platform.errors import ApiError, invalid
from shared.platform.flags import flag
from shared.platform.operators import OperatorAccess
from shared.platform.ports import (
    ALERT_QUEUE,
    CHAT_ORCHESTRATION,
    ESCALATION_ORCHESTRATION,
    FALLBACK_QUEUE,
    OUTBOX_QUEUE,
    HttpReply,
    Orchestrations,
    OrchestrationsUnavailable,
)
from shared.platform.queues import MAX_MESSAGE_TEXT, StorageQueue, queue_client
from shared.platform.settings import Settings
from shared.platform.storage import ensure_table, table_client
from shared.platform.worker import SerialWorker

__all__ = [
    "ALERT_QUEUE",
    "CHAT_ORCHESTRATION",
    "CRISIS_CATEGORIES",
    "DEFAULT_AZURE_API_VERSION",
    "DEFAULT_CONFIG_DIR",
    "ESCALATION_ORCHESTRATION",
    "FALLBACK_QUEUE",
    "MAX_MESSAGE_TEXT",
    "OUTBOX_QUEUE",
    "SAFETY_CRITICAL_FILES",
    "STANDARD_SETTINGS",
    "ApiError",
    "AppConfig",
    "BreakerSettings",
    "BucketConfig",
    "ConfigError",
    "ConfigReader",
    "FailoverConfig",
    "HttpReply",
    "OperatorAccess",
    "Orchestrations",
    "OrchestrationsUnavailable",
    "RateLimitConfig",
    "SafetyConfig",
    "SerialWorker",
    "Settings",
    "SlaConfig",
    "StorageQueue",
    "TierConfig",
    "TierSettings",
    "config_path",
    "content_hash",
    "emergency_tier",
    "ensure_table",
    "flag",
    "invalid",
    "iso",
    "load_config",
    "loaded_safety_hashes",
    "now_iso",
    "queue_client",
    "read_config_file",
    "table_client",
    "with_tier_regions",
]
