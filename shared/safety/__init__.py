"""Crisis detection (patterns; the content-safety classifier's port and adapter; the
language-model triage's port, config and verdict rule), text
normalisation, the output guard, redaction and pseudonyms.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.safety.builtin import BUILT_IN_DETECTOR, BUILT_IN_SIGNAL, detection_state
from shared.safety.classifier import (
    BREAKER_NAME,
    ClassifierConfig,
    ClassifierError,
    ClassifierFlag,
    ContentSafety,
    ContentSafetySettings,
    build_content_safety,
    crisis_flag,
    load_classifier_config,
)
from shared.safety.crisis import CrisisDetector, CrisisMatch, load_detector
from shared.safety.output_guard import guard_answer, warm_up_link_check
from shared.safety.pseudonym import Pseudonymizer
from shared.safety.redact import excerpt
from shared.safety.triage import (
    TRIAGE_BREAKER,
    CrisisTriage,
    TriageConfig,
    load_triage_config,
)

__all__ = [
    "BREAKER_NAME",
    "BUILT_IN_DETECTOR",
    "BUILT_IN_SIGNAL",
    "TRIAGE_BREAKER",
    "ClassifierConfig",
    "ClassifierError",
    "ClassifierFlag",
    "ContentSafety",
    "ContentSafetySettings",
    "CrisisDetector",
    "CrisisMatch",
    "CrisisTriage",
    "Pseudonymizer",
    "TriageConfig",
    "build_content_safety",
    "crisis_flag",
    "detection_state",
    "excerpt",
    "guard_answer",
    "load_classifier_config",
    "load_detector",
    "load_triage_config",
    "warm_up_link_check",
]
