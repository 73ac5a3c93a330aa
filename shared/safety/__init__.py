"""Crisis detection, text normalisation, the output guard, redaction and pseudonyms.

What other rooms may use is exported here; the modules behind it are this room's own.
"""

from shared.safety.crisis import CrisisDetector, CrisisMatch, load_detector
from shared.safety.output_guard import guard_answer
from shared.safety.pseudonym import Pseudonymizer
from shared.safety.redact import excerpt

__all__ = [
    "CrisisDetector",
    "CrisisMatch",
    "Pseudonymizer",
    "excerpt",
    "guard_answer",
    "load_detector",
]
