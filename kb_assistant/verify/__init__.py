"""Answer verification: the checks every answer passes before a customer or agent sees it.

See `kb_assistant.verify.verifier` for the checks and their order.
"""

from kb_assistant.verify.instructions import (
    looks_like_instruction,
    looks_obfuscated,
    strip_instructions,
)
from kb_assistant.verify.leaks import InternalLookup, VectorInternalLookup
from kb_assistant.verify.money import money_commitment
from kb_assistant.verify.pii import find_personal_data
from kb_assistant.verify.support import CalibrationMissingError, SupportThresholds
from kb_assistant.verify.verifier import Verification, Verifier, is_factual

__all__ = [
    "CalibrationMissingError",
    "InternalLookup",
    "SupportThresholds",
    "VectorInternalLookup",
    "Verification",
    "Verifier",
    "find_personal_data",
    "is_factual",
    "looks_like_instruction",
    "looks_obfuscated",
    "money_commitment",
    "strip_instructions",
]
