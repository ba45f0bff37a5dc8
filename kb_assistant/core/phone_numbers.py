"""Phone-number rules for redaction: candidate patterns, layout checks and context words.

Used by `kb_assistant.core.redaction`, which applies them; kept apart so the phone
heuristics (which keep years, dates, prices and order numbers readable) can be read and tuned
on their own.
"""

from __future__ import annotations

import re
from typing import Literal


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long lists stay readable)."""
    return frozenset(words.split())


# Candidate runs of digit groups; each run is then checked for layout and context.
PHONE = re.compile(
    r"(?<![\w#/.,@+$£€¥-])"
    r"(?:\+ ?|\(\+?\d{1,5}\) ?)?\d{1,15}"
    r"(?:(?:[ .-]| ?\(\d{1,5}\) ?)\d{1,15}){0,6}"
    r"(?![\w/@]|[.,:-]\d)"
)
PHONE_TOKEN = re.compile(r"\(?(?:\+ ?)?(\d+)\)?")  # 0123, +44, (0), (+44)
PHONE_LAYOUT_HINT = re.compile(r"[+(]|(?<!\d)0|(?<!\d)\d{3}[ .-]\d{3}[ .-]\d{4}(?!\d)")
PHONE_CUE = re.compile(
    r"(?<![\w\[])(?:phone|phones|telephone|tel|mobile|cell|cellphone|number|whatsapp|sms"
    r"|text me|fax|call|calls|called|calling|ring|dial|reach me|contact)(?!\w)",
    re.IGNORECASE,
)

_DIGIT_TOKEN = re.compile(r"(\d+)")
_NON_DIGITS = re.compile(r"\D+")
_THROUGH_LAST_NUMBER = re.compile(r".*[\d\]]", re.DOTALL)  # a digit or a placeholder
_NOT_PHONE = re.compile(
    r"\d{4}([-./])\d{1,2}\1\d{1,2}"  # 2026-03-02
    r"|\d{1,2}([-./])\d{1,2}\2\d{2,4}"  # 03.02.2026
    r"|(?:19|20)\d{2} ?[-–] ?(?:19|20)\d{2}"  # 2019-2026
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # 192.168.10.200
)
_NATIONAL_PHONE = re.compile(
    r"(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"  # (555) 013-2211, 555.014.7788
    r"|\(\d{2,5}\) ?\d{3,4}[ .-]?\d{3,5}"  # (020) 7946 0958
    r"|0\d{1,4}(?:[ .-]\d{2,8}){1,4}"  # 07700 900123, 030 1234567, 01 23 45 67 89
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


def phone_shape(window: str) -> Literal["strong", "weak", "no"]:
    """Rate how phone-like a digit group's layout is, so only plausible runs get redacted.

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


def blocked_by_context(before: str, after: str) -> bool:
    """Tell whether nearby words mark a number as an order, price, version or amount, to keep it.

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


def phone_key(text: str) -> str:
    """Digits of a phone number without its 00, trunk 0 or "(0)" prefix, for allowlist lookups."""
    return "".join(_DIGIT_TOKEN.findall(text.replace("(0)", ""))).lstrip("0")


def same_phone(key: str, listed: str) -> bool:
    """Match two phone keys even if one is national and one international, for the allowlist."""
    shorter, longer = sorted((key, listed), key=len)
    return key == listed or (len(shorter) >= 8 and longer.endswith(shorter))


def words_before(text: str, start: int) -> str:
    """The text before a number back to the previous number, so each number has its own context.

    A number's context words are its own: "order 1234 07700 900123" holds a phone, and a
    second pass over redacted text sees the same context as the first (idempotence).
    """
    chunk = text[max(0, start - 40) : start]
    previous = _THROUGH_LAST_NUMBER.match(chunk)
    return chunk[previous.end() :] if previous else chunk
