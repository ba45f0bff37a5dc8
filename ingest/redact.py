"""Personal-data redaction: emails, phone numbers, card numbers, IBANs and requester names.

Runs offline on every document before anything is stored, so that no index, keyword index or
answer can leak a customer's contact or payment details. Pure regular expressions plus
checksums (Luhn for cards, ISO 13616 mod-97 for IBANs) and context rules for phone numbers,
which keep years, dates, prices and order numbers readable. Matches become typed placeholders
("[EMAIL]", "[PHONE]", ...) so the text still says what kind of detail was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from kb_assistant.domain import Document, Section

# Redaction types, in the order they are applied, and the placeholder each leaves behind.
REDACTION_TYPES = ("email", "iban", "card", "phone", "name")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind.upper()}]" for kind in REDACTION_TYPES}

Verdict = Literal["redact", "keep", "no"]
Judge = Callable[[str, int, int], Verdict]  # is text[start:end] a detail of its kind?


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long lists stay readable)."""
    return frozenset(words.split())


# Candidate patterns; each match is then checked (allowlist, checksum, layout, context).
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
_PHONE = re.compile(
    r"(?<![\w#/.,@+$£€¥-])"
    r"(?:\+ ?|\(\+?\d{1,5}\) ?)?\d{1,15}"
    r"(?:(?:[ .-]| ?\(\d{1,5}\) ?)\d{1,15}){0,6}"
    r"(?![\w/@]|[.,:-]\d)"
)
_ALNUM_TOKEN = re.compile(r"([A-Za-z0-9]+)")
_DIGIT_TOKEN = re.compile(r"(\d+)")
_NON_DIGITS = re.compile(r"\D+")
_THROUGH_LAST_NUMBER = re.compile(r".*[\d\]]", re.DOTALL)  # a digit or a placeholder
_PHONE_TOKEN = re.compile(r"\(?(?:\+ ?)?(\d+)\)?")  # 0123, +44, (0), (+44)

_NOT_PHONE = re.compile(
    r"\d{4}([-./])\d{1,2}\1\d{1,2}"  # 2026-03-02
    r"|\d{1,2}([-./])\d{1,2}\2\d{2,4}"  # 03.02.2026
    r"|(?:19|20)\d{2} ?[-–] ?(?:19|20)\d{2}"  # 2019-2026
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # 192.168.10.200
)
_PHONE_LAYOUT_HINT = re.compile(r"[+(]|(?<!\d)0|(?<!\d)\d{3}[ .-]\d{3}[ .-]\d{4}(?!\d)")
_NATIONAL_PHONE = re.compile(
    r"(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"  # (555) 013-2211, 555.014.7788
    r"|\(\d{2,5}\) ?\d{3,4}[ .-]?\d{3,5}"  # (020) 7946 0958
    r"|0\d{1,4}(?:[ .-]\d{2,8}){1,4}"  # 07700 900123, 030 1234567, 01 23 45 67 89
)
_PHONE_CUE = re.compile(
    r"(?<![\w\[])(?:phone|phones|telephone|tel|mobile|cell|cellphone|number|whatsapp|sms"
    r"|text me|fax|call|calls|called|calling|ring|dial|reach me|contact)(?!\w)",
    re.IGNORECASE,
)
_STOP_WORDS = _word_set(
    "phone phones telephone tel mobile cell cellphone whatsapp sms text fax call calls called "
    "calling ring dial reach contact hotline helpline"
)
_NOT_PHONE_WORDS = _word_set(
    "order orders ticket tickets invoice inv ref reference case tracking receipt transaction txn "
    "booking reservation confirmation po sku serial account acct id version ver v release build "
    "model part item article parcel shipment policy claim batch lot eur usd gbp sek nok dkk chf "
    "price cost total amount qty quantity"
)
_TRANSPARENT_WORDS = _word_set("number numbers no nr num is was the your my our a an")
_WORD = re.compile(r"[^\W\d_]+")
_UNIT_AFTER = re.compile(
    r"\s?(?:%|[€$£¥]|(?:kg|km|cm|mm|ml|kb|mb|gb|eur|usd|gbp|sek|nok|dkk|chf|units?|items?"
    r"|pcs|pieces|users|customers|people|times|pages)(?!\w))",
    re.IGNORECASE,
)
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


def _phone_shape(window: str) -> Literal["strong", "weak", "no"]:
    """How much a digit group looks like a phone number on its own.

    "strong": international (+44 ..., 0044 ...) or a national layout (trunk 0, area code in
    parentheses, North American 3-3-4); "weak": a bare run of 10-15 digits or other spaced or
    dashed groups, a phone only after a cue word; "no": too short or long, a date, a year
    range, an IP address, dotted groups that fit no phone layout (versions, times), or
    groups with a single digit ("2 07700 900123" is a quantity and a phone).
    """
    digits = len(_NON_DIGITS.sub("", window))
    if not 7 <= digits <= 17 or _NOT_PHONE.fullmatch(window):
        return "no"
    if window.lstrip("(").startswith("+"):
        return "strong" if 8 <= digits <= 15 else "no"
    if window.startswith("00") and not window.isdigit():
        return "strong" if 10 <= digits <= 17 and window[2] != "0" else "no"
    if digits > 15:
        return "no"
    if _NATIONAL_PHONE.fullmatch(window) and digits >= 9:
        return "strong"
    if window.isdigit():
        return "weak" if digits >= 10 else "no"
    if "." in window or min(map(len, _DIGIT_TOKEN.findall(window))) < 2:
        return "no"
    return "weak"


def _blocked_by_context(before: str, after: str) -> bool:
    """True when the words around a number say it is an order number, price, version or amount.

    Looks back over the last two significant words ("number", "is", "your" ... are skipped):
    a phone word there ("call", "mobile") wins, an order/price/version word blocks.
    """
    if before.rstrip().endswith(("#", "£", "$", "€", "¥")):
        return True
    significant = 0
    for word in reversed(_WORD.findall(before.lower())):
        if word in _TRANSPARENT_WORDS:
            continue
        if word in _STOP_WORDS:
            return False
        if word in _NOT_PHONE_WORDS:
            return True
        significant += 1
        if significant == 2:
            break
    return bool(_UNIT_AFTER.match(after))


def _phone_key(text: str) -> str:
    """Digits of a phone number without its 00, trunk 0 or "(0)" prefix, for allowlist lookups."""
    return "".join(_DIGIT_TOKEN.findall(text.replace("(0)", ""))).lstrip("0")


def _same_phone(key: str, listed: str) -> bool:
    """Equal digits, or one is the national form of the other ("020 7946 0000", "+44 20 ...")."""
    shorter, longer = sorted((key, listed), key=len)
    return key == listed or (len(shorter) >= 8 and longer.endswith(shorter))


def _words_before(text: str, start: int) -> str:
    """The text just before a number, back to the previous number or placeholder.

    A number's context words are its own: "order 1234 07700 900123" holds a phone, and a
    second pass over redacted text sees the same context as the first (idempotence).
    """
    chunk = text[max(0, start - 40) : start]
    previous = _THROUGH_LAST_NUMBER.match(chunk)
    return chunk[previous.end() :] if previous else chunk


# Details written as runs of digit (or letter) groups: the pattern of one group, and the
# fewest and most digits (letters too for IBANs) such a detail holds.
_RUNS: dict[str, tuple[re.Pattern[str], int, int]] = {
    "iban": (_ALNUM_TOKEN, 15, 34),
    "card": (_DIGIT_TOKEN, 13, 19),
    "phone": (_PHONE_TOKEN, 7, 17),
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
        phones = (_phone_key(e) for e in entries if "@" not in e)
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
        text = _PHONE.sub(lambda m: self._redact_phones(m, counts), text)
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
            sections=[Section(text=redact(s.text), page=s.page) for s in doc.sections],
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
        cue = _PHONE_CUE.search(_words_before(match.string, match.start())[-30:])
        if cue is None and _PHONE_LAYOUT_HINT.search(match.group()) is None:
            return match.group()
        return _redact_runs(match, "phone", self._phone, counts)

    def _phone(self, text: str, start: int, end: int) -> Verdict:
        """Whether text[start:end] is a phone number, judged by its layout and its context."""
        window, before = text[start:end], _words_before(text, start)
        shape = _phone_shape(window)
        if shape == "no" or (shape == "weak" and not _PHONE_CUE.search(before[-30:])):
            return "no"
        if _blocked_by_context(before, text[end : end + 12]):
            return "no"
        key = _phone_key(window)
        return "keep" if any(_same_phone(key, listed) for listed in self._phones) else "redact"
