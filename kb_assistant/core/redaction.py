"""Personal-data redaction: emails, phone numbers, card numbers, IBANs and requester names.

Runs offline on every document before anything is stored, so that no index, keyword index or
answer can leak a customer's contact or payment details. Pure regular expressions plus
checksums (Luhn for cards, ISO 13616 mod-97 for IBANs); the phone-number context rules, which
keep years, dates, prices and order numbers readable, live in `core.phone_numbers`. Matches
become typed placeholders ("[EMAIL]", "[PHONE]", ...) so the text still says what kind of
detail was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from kb_assistant.core.phone_numbers import (
    PHONE,
    PHONE_CUE,
    PHONE_LAYOUT_HINT,
    PHONE_TOKEN,
    blocked_by_context,
    phone_key,
    phone_shape,
    same_phone,
    words_before,
)
from kb_assistant.domain import Document

# Redaction types, in the order they are applied, and the placeholder each leaves behind.
REDACTION_TYPES = ("email", "iban", "card", "phone", "name")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind.upper()}]" for kind in REDACTION_TYPES}

Verdict = Literal["redact", "keep", "no"]
Judge = Callable[[str, int, int], Verdict]  # is text[start:end] a detail of its kind?


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long lists stay readable)."""
    return frozenset(words.split())


# Candidate patterns; each match is then checked (allowlist, checksum).
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]++@(?:[^\W_][\w-]*\.)+[^\W\d_]{2,24}(?![\w-])")
_DOT = r"(?:\s*[\[({]dot[\])}]\s*|\s+dot\s+)"
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|eu|info|me|us|ca|au)"
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]++(?:{_DOT}[\w+-]+)*"
    rf"(?:\s*[\[({{]at[\])}}]\s*[^\W_][\w-]*(?:(?:{_DOT}|\.)[^\W_][\w-]*)*(?:{_DOT}|\.)"
    rf"|\s+at\s+[^\W_][\w-]*(?:{_DOT}[^\W_][\w-]*)*{_DOT}){_TLD}\b",
    re.IGNORECASE,
)
_IBAN = re.compile(
    r"(?<![\w-])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)"
    r"(?![\w-])",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\w.,-])(?:\d{13,19}|\d{4,6}(?:[ -]\d{1,6}){1,9})(?!\w|[.,-]\d)")
_ALNUM_TOKEN = re.compile(r"([A-Za-z0-9]+)")
_DIGIT_TOKEN = re.compile(r"(\d+)")

_NAME_PARTICLES = _word_set(
    "mr mrs ms miss dr prof sir van von der den del della de da di du la le dos das bin"
)


@dataclass(frozen=True)
class RedactionResult:
    """Redacted text and how many details of each type were replaced."""

    text: str
    counts: dict[str, int]


def _luhn_ok(digits: str) -> bool:
    """Luhn checksum: true for real card numbers, false for most order or account numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    """ISO 13616 check: country, check digits, 11-30 characters, mod 97 of the number is 1."""
    if not (15 <= len(compact) <= 34 and compact.isascii() and compact.isalnum()):
        return False
    if not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _iban_verdict(text: str, start: int, end: int) -> Verdict:
    return "redact" if _iban_ok(text[start:end].replace(" ", "")) else "no"


def _card_verdict(text: str, start: int, end: int) -> Verdict:
    digits = "".join(_DIGIT_TOKEN.findall(text[start:end]))
    return "redact" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else "no"


# Details written as runs of digit (or letter) groups: the pattern of one group, and the
# fewest and most digits (letters too for IBANs) such a detail holds.
_RUNS: dict[str, tuple[re.Pattern[str], int, int]] = {
    "iban": (_ALNUM_TOKEN, 15, 34),
    "card": (_DIGIT_TOKEN, 13, 19),
    "phone": (PHONE_TOKEN, 7, 17),
}
Token = tuple[int, int, int]  # start, end, how many digits (and letters) it holds


def _best_spans(
    tokens: Sequence[Token], judge: Judge, text: str, lengths: tuple[int, int]
) -> list[tuple[int, int, Verdict]]:
    """Accepted runs of consecutive tokens: the longest (then leftmost) first, then either side.

    A candidate match can carry neighbouring numbers ("4111 1111 1111 1111 12"); trying runs of
    tokens finds the detail inside it instead of rejecting the whole match.
    """
    totals = [0]
    for token in tokens:
        totals.append(totals[-1] + token[2])
    for size in range(len(tokens), 0, -1):
        for first in range(len(tokens) - size + 1):
            if not lengths[0] <= totals[first + size] - totals[first] <= lengths[1]:
                continue
            start, end = tokens[first][0], tokens[first + size - 1][1]
            verdict = judge(text, start, end)
            if verdict != "no":
                left = _best_spans(tokens[:first], judge, text, lengths)
                right = _best_spans(tokens[first + size :], judge, text, lengths)
                return [*left, (start, end, verdict), *right]
    return []


def _redact_runs(match: re.Match[str], kind: str, judge: Judge, counts: dict[str, int]) -> str:
    """Replace the accepted token runs inside one candidate match with the kind's placeholder."""
    text, base = match.string, match.start()
    pattern, fewest, most = _RUNS[kind]
    tokens = [
        (base + t.start(), base + t.end(), t.end(1) - t.start(1))
        for t in pattern.finditer(match.group())
    ]
    if sum(token[2] for token in tokens) < fewest:
        return match.group()
    pieces: list[str] = []
    position = base
    for start, end, verdict in _best_spans(tokens, judge, text, (fewest, most)):
        if verdict == "redact":
            pieces += [text[position:start], PLACEHOLDERS[kind]]
            counts[kind] += 1
            position = end
    pieces.append(text[position : match.end()])
    return "".join(pieces)


def _name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for the given people: full names in any case, name parts as capitalised.

    Single parts are matched case-sensitively and only from three letters on, so a requester
    called "Bill" does not turn "the bill" or "billing" into a placeholder.
    """
    alternatives: dict[str, str] = {}
    for name in names:
        words = name.split()
        if not words or " ".join(words).lower() in REDACTION_TYPES:
            continue
        if len(words) > 1:
            alternatives[" ".join(words).lower()] = (
                "(?i:" + r"\s+".join(map(re.escape, words)) + ")"
            )
        for part in {*words, *(p for word in words for p in word.split("-"))}:
            if len(part) >= 3 and part.lower() not in _NAME_PARTICLES:
                for form in {part[0].upper() + part[1:], part.capitalize()}:
                    alternatives.setdefault(form, re.escape(form))
    if not alternatives:
        return None
    ordered = sorted(alternatives.items(), key=lambda item: -len(item[0]))
    return re.compile(r"(?<!\w)(?:" + "|".join(p for _, p in ordered) + r")(?!\w)")


class Redactor:
    """Replaces personal data in text with typed placeholders, leaving allowlisted contacts.

    The allowlist holds the company's own contacts, which public documents must keep: exact
    emails, "@domain" entries (any email at that domain) and phone numbers (compared by digits).
    """

    def __init__(self, allowlist: Sequence[str] = ()) -> None:
        entries = [entry.strip().lower() for entry in allowlist if entry.strip()]
        self._domains = frozenset(e[1:] for e in entries if e.startswith("@"))
        self._emails = frozenset(e for e in entries if "@" in e and not e.startswith("@"))
        phones = (phone_key(e) for e in entries if "@" not in e)
        self._phones = frozenset(key for key in phones if len(key) >= 5)

    @property
    def config(self) -> str:
        """What, besides the text, decides the redaction (part of each document's fingerprint)."""
        allowed = sorted({*self._emails, *(f"@{d}" for d in self._domains), *self._phones})
        return "allow=" + ",".join(allowed)

    def redact(self, text: str, names: Sequence[str] = ()) -> RedactionResult:
        """Redact emails, IBANs, cards, phones (in that order), then the given people's names."""
        counts = dict.fromkeys(REDACTION_TYPES, 0)
        text = _EMAIL.sub(lambda m: self._email(m, counts), text)
        text = _SPOKEN_EMAIL.sub(lambda m: self._email(m, counts), text)
        text = _IBAN.sub(lambda m: _redact_runs(m, "iban", _iban_verdict, counts), text)
        text = _CARD.sub(lambda m: _redact_runs(m, "card", _card_verdict, counts), text)
        text = PHONE.sub(lambda m: self._redact_phones(m, counts), text)
        pattern = _name_pattern(names)
        if pattern is not None:
            text, counts["name"] = pattern.subn(PLACEHOLDERS["name"], text)
        return RedactionResult(text=text, counts=counts)

    def redact_document(self, doc: Document) -> tuple[Document, dict[str, int]]:
        """A redacted copy of a document (title, sections, metadata values) and the counts.

        The document's `people` are the names to redact; the copy has none, so names are never
        stored.
        """
        totals = dict.fromkeys(REDACTION_TYPES, 0)

        def redact(text: str) -> str:
            result = self.redact(text, doc.people)
            for kind, count in result.counts.items():
                totals[kind] += count
            return result.text

        copy = replace(
            doc,
            title=redact(doc.title),
            sections=[replace(s, text=redact(s.text)) for s in doc.sections],
            metadata={key: redact(value) for key, value in doc.metadata.items()},
            people=(),
        )
        return copy, totals

    def _email(self, match: re.Match[str], counts: dict[str, int]) -> str:
        address = match.group().lower()
        if address in self._emails or address.rpartition("@")[2] in self._domains:
            return match.group()
        counts["email"] += 1
        return PLACEHOLDERS["email"]

    def _redact_phones(self, match: re.Match[str], counts: dict[str, int]) -> str:
        """Redact the phone numbers in one run of digit groups.

        Only a run after a cue word or with an international, trunk, parenthesised or
        North American layout can hold one; other runs (tables of figures) are skipped at once.
        """
        cue = PHONE_CUE.search(words_before(match.string, match.start())[-30:])
        if cue is None and PHONE_LAYOUT_HINT.search(match.group()) is None:
            return match.group()
        return _redact_runs(match, "phone", self._phone, counts)

    def _phone(self, text: str, start: int, end: int) -> Verdict:
        """Whether text[start:end] is a phone number, judged by its layout and its context."""
        window, before = text[start:end], words_before(text, start)
        shape = phone_shape(window)
        if shape == "no" or (shape == "weak" and not PHONE_CUE.search(before[-30:])):
            return "no"
        if blocked_by_context(before, text[end : end + 12]):
            return "no"
        key = phone_key(window)
        return "keep" if any(same_phone(key, listed) for listed in self._phones) else "redact"
