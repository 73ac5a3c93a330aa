"""Crisis detection, text normalisation, the output guard, redaction and pseudonyms.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.safety.builtin import BUILT_IN_DETECTOR, BUILT_IN_SIGNAL, detection_state
from shared.safety.crisis import CrisisDetector, CrisisMatch, load_detector
from shared.safety.output_guard import guard_answer
from shared.safety.pseudonym import Pseudonymizer
from shared.safety.redact import excerpt

__all__ = [
    "BUILT_IN_DETECTOR",
    "BUILT_IN_SIGNAL",
    "CrisisDetector",
    "CrisisMatch",
    "Pseudonymizer",
    "detection_state",
    "excerpt",
    "guard_answer",
    "load_detector",
]
