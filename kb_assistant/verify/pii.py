"""Personal data in an answer: emails, phone numbers, card numbers, IBANs and postal addresses.

Emails, phones, cards and IBANs are found with the same rules that redact documents at
ingestion (`core.redaction.Redactor`), so the answer check and the stored text agree on what
personal data is. Postal addresses, which ingestion leaves alone, are found here: UK
postcodes, US ZIP codes after a state, and street addresses ("12 Elm Street").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.core.redaction import PLACEHOLDERS, Redactor

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_UK_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
_US_ZIP = re.compile(
    r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI"
    r"|S[CD]|T[NX]|UT|V[AT]|W[AIVY]),? \d{5}(?:-\d{4})?\b"
)
_STREET_TYPES = (
    "Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Way|Terrace"
    "|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Mews|Gardens|Grove|Hill|Walk|Circle"
)
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,? (?:(?:[NSEW]|North|South|East|West)\.? )?(?:[A-Z][a-z'’-]+ ){1,3}"
    rf"(?:{_STREET_TYPES})\b\.?"
)
_ADDRESS_PATTERNS = (_STREET, _UK_POSTCODE, _US_ZIP)


def _redacted_spans(original: str, redacted: str) -> list[str]:
    """The strings of `original` that redaction replaced with placeholders in `redacted`."""
    pieces = _PLACEHOLDER.split(redacted)
    if len(pieces) == 1:
        return []
    pattern = "(.+?)".join(re.escape(piece) for piece in pieces)
    match = re.fullmatch(pattern, original, re.DOTALL)
    if match is None:  # cannot align: report the placeholders' kinds instead
        return _PLACEHOLDER.findall(redacted)
    return [found for found in match.groups() if not _PLACEHOLDER.fullmatch(found)]


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def find_personal_data(text: str, allowed: str = "", *, allowlist: Sequence[str] = ()) -> list[str]:
    """Personal data found in `text`, leaving out any string that appears verbatim in `allowed`.

    `allowed` is the text the answer may repeat (the cited public passages: a company's own
    contact details); `allowlist` holds the company's own emails, "@domain"s and phone
    numbers, as configured for redaction.
    """
    redacted = Redactor(allowlist).redact(text).text
    found = _redacted_spans(text, redacted)
    for pattern in _ADDRESS_PATTERNS:
        found.extend(match.group().rstrip(".") for match in pattern.finditer(text))
    permitted = _normal(allowed)
    listed = {_normal(entry) for entry in allowlist}
    kept: dict[str, str] = {}
    for item in found:
        key = _normal(item)
        if key and key not in listed and key not in permitted:
            kept.setdefault(key, item)
    return list(kept.values())
