"""Quantities stated in a sentence, normalised so that one fact written two ways compares equal.

A support knowledge base states its facts as numbers: a return window ("30 days", "a
fortnight", "within 14 working days"), a fee ("£3.95", "4.95 GBP", "EUR 20"), a discount
("15%", "15 per cent"), a limit ("up to 3 items", "5 free returns"). Each becomes a
`Quantity` in a base unit (weeks are days, hours are days, years are months, pence are
pounds) so that "two weeks" and "14 days" compare equal. How they are written is in
`quantity_patterns`; `mentions` ties each to its sentence and subject.

Deliberately rule-based and dependency-free: the point is to compare the same fact across
documents, so consistency matters more than coverage of every way of writing a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from kb_assistant.core.text import STOPWORDS, words
from kb_assistant.kbreport.quantity_patterns import (
    ARTICLES,
    BETWEEN,
    COUNT,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    LABEL_WORDS,
    MAX_AFTER,
    MAX_BEFORE,
    MAYBE_QUANTITY,
    MIN_AFTER,
    MIN_BEFORE,
    MONEY_AFTER,
    MONEY_BEFORE,
    MONEY_SIGN,
    NEUTRAL_COUNT_WORDS,
    NOT_COUNTED,
    NUM,
    PENCE,
    PERCENT,
    TIME,
    TIME_UNITS,
    WORKING,
    parse_number,
)
from kb_assistant.kbreport.subjects import word_stem

QuantityKind = Literal["duration", "money", "percent", "count"]
Bound = Literal["exact", "max", "min"]
_Add = Callable[[QuantityKind, str, float, float, int, int, str], None]

_SMALLER_THAN_A_DAY = ((24.0, "hour"), (1440.0, "minute"), (86400.0, "second"))


@dataclass(frozen=True)
class Quantity:
    """A number with its unit, normalised: `low` to `high` (equal unless a range) in `unit`.

    `kind` groups units that measure the same sort of thing; `unit` is what two quantities
    must share to be compared ("day", "working day", "month", "GBP", "%", "item"...).
    `bound` says whether the text gives a limit ("within 30 days": max; "over £50": min).
    `text` is the quantity as written; `start` and `end` its place in the sentence; `noun`
    what a count counts, as written ("free returns").
    """

    kind: QuantityKind
    unit: str
    low: float
    high: float
    bound: Bound
    text: str
    start: int
    end: int
    noun: str = ""

    @property
    def is_range(self) -> bool:
        return self.high != self.low

    def same_value(self, other: Quantity) -> bool:
        return _close(self.low, other.low) and _close(self.high, other.high)

    def agrees_with(self, other: Quantity) -> bool:
        """The same value, or a single value that lies within the other's range."""
        if self.same_value(other):
            return True
        if self.is_range == other.is_range:
            return False
        point, span = (other, self) if self.is_range else (self, other)
        return span.low - 1e-9 <= point.low <= span.high + 1e-9

    def label(self) -> str:
        """The normalised value, for reports: "14 days", "GBP 3.95", "15%", "3 items"."""
        scale, unit = 1.0, self.unit
        if self.unit == "day" and self.high < 1:
            scale, unit = next(
                (s, u) for s, u in _SMALLER_THAN_A_DAY if self.low * s >= 1 or s == 86400
            )
        value = _format(self.low * scale)
        if self.is_range:
            value += "–" + _format(self.high * scale)
        if self.kind == "money":
            return f"{unit} {value}"
        if self.kind == "percent":
            return f"{value}%"
        if self.kind == "count":
            return f"{value} {self.noun or unit}"
        return f"{value} {unit}" if value == "1" else f"{value} {unit}s"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _format(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _bound(sentence: str, start: int, end: int) -> Bound:
    before = " ".join(sentence[max(0, start - 24) : start].lower().split())
    after = " ".join(sentence[end : end + 12].lower().split())
    before = f" {before}"
    if any(before.endswith(f" {w}") for w in MAX_BEFORE) or after.startswith(MAX_AFTER):
        return "max"
    if any(before.endswith(f" {w}") for w in MIN_BEFORE) or after.startswith(MIN_AFTER):
        return "min"
    return "exact"


def _word_before(sentence: str, start: int) -> str:
    before = words(sentence[max(0, start - 20) : start])
    return before[-1] if before else ""


def extract_quantities(sentence: str) -> list[Quantity]:
    """The quantities stated in `sentence`, in order of appearance (spans never overlap)."""
    if not MAYBE_QUANTITY.search(sentence):
        return []
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(
        kind: QuantityKind,
        unit: str,
        low: float,
        high: float,
        start: int,
        end: int,
        noun: str = "",
    ) -> None:
        if not free(start, end):
            return
        low, high = min(low, high), max(low, high)
        bound = _bound(sentence, start, end) if low == high else "exact"
        text = sentence[start:end]
        found.append(Quantity(kind, unit, low, high, bound, text, start, end, noun))
        taken.append((start, end))

    for pattern in (MONEY_SIGN, MONEY_BEFORE, MONEY_AFTER):
        for m in re.finditer(pattern, sentence, re.IGNORECASE):
            code = m.groupdict().get("code")
            currency = CURRENCY_SIGNS[m["sign"]] if m.groupdict().get("sign") else None
            currency = currency or CURRENCY_WORDS.get((code or "").lower())
            low = parse_number(m["n1"])
            high = parse_number(m["n2"]) if m["n2"] else low
            if currency and low is not None and high is not None:
                add("money", currency, low, high, m.start(), m.end())
    for m in re.finditer(PENCE, sentence, re.IGNORECASE):
        add("money", "GBP", int(m["n1"]) / 100, int(m["n1"]) / 100, m.start(), m.end())
    for m in re.finditer(PERCENT, sentence, re.IGNORECASE):
        low = parse_number(m["n1"])
        high = parse_number(m["n2"]) if m["n2"] else low
        if low is not None and high is not None:
            add("percent", "%", low, high, m.start(), m.end())
    for m in re.finditer(TIME, sentence, re.IGNORECASE):
        _time(sentence, m, add)
    for m in re.finditer(COUNT, sentence, re.IGNORECASE):
        _count(sentence, m, add)
    return _between_ranges(sentence, sorted(found, key=lambda q: q.start))


def _between_ranges(sentence: str, quantities: list[Quantity]) -> list[Quantity]:
    """ "between 3 and 5 days", "between £60 and £1,500": one range, not two amounts."""
    result: list[Quantity] = []
    for quantity in quantities:
        m = None if quantity.is_range else BETWEEN.search(sentence[: quantity.start])
        low = parse_number(m["n"]) if m else None
        if m is None or low is None:
            result.append(quantity)
            continue
        written = re.search(NUM, quantity.text)
        raw = parse_number(written[0]) if written else None
        if raw:  # the unit's factor: "between 2 and 3 weeks" is 14 to 21 days
            low *= quantity.low / raw
        result = [q for q in result if q.end <= m.start()]
        result.append(
            replace(
                quantity,
                low=min(low, quantity.low),
                high=max(low, quantity.high),
                bound="exact",
                text=sentence[m.start() : quantity.end],
                start=m.start(),
            )
        )
    return result


def _time(sentence: str, m: re.Match[str], add: _Add) -> None:
    first = m["n1"].lower()
    if first in ARTICLES:
        # "a week" is a duration after "within", "in", "for"...; "twice a day" is a rate.
        before = _word_before(sentence, m.start())
        if before not in ("within", "in", "for", "after", "to", "than", "about", "over", "once"):
            return
        if before == "once":
            return
    if sentence[m.end() :].lstrip().lower().startswith("ago"):
        return  # "20 minutes ago": when something happened, not a fact
    low = parse_number(m["n1"])
    high = parse_number(m["n2"]) if m["n2"] else low
    if low is None or high is None:
        return
    base, factor = TIME_UNITS[m["unit"].lower()]
    modifier = (m["mod"] or "").lower()
    if modifier in WORKING:
        if base != "day" or factor != 1.0:
            return  # "working weeks", "business hours": not a count of working days
        unit = "working day"
    else:
        unit = base
    if _word_before(sentence, m.start()) in ("per", "every") and low == 1 and not m["n2"]:
        return  # "once per day"
    add("duration", unit, low * factor, high * factor, m.start(), m.end(), "")


def _count(sentence: str, m: re.Match[str], add: _Add) -> None:
    noun, second = m["noun"].lower(), (m["noun2"] or "").lower()
    if noun in STOPWORDS or noun in NOT_COUNTED:
        return
    if _word_before(sentence, m.start()) in LABEL_WORDS or _names_a_thing(sentence, m):
        return
    low = parse_number(m["n1"])
    high = parse_number(m["n2"]) if m["n2"] else low
    if low is None or high is None or low != int(low) or high > 999:
        return
    if _plural(noun):
        unit, end, written = word_stem(noun), m.end("noun"), m["noun"]
    elif second and _plural(second) and second not in STOPWORDS and second not in NOT_COUNTED:
        if low == 1:
            return
        qualifier = "" if noun in NEUTRAL_COUNT_WORDS else word_stem(noun) + " "
        unit, end = qualifier + word_stem(second), m.end("noun2")
        written = sentence[m.start("noun") : end]
    else:
        return
    if not unit or unit in ("s",):
        return
    add("count", unit, low, high, m.start(), end, written)


def _names_a_thing(sentence: str, m: re.Match[str]) -> bool:
    """A number in a name rather than a count: after a capitalised word ("Favorites 1",
    "Windows 10") or before one ("1 Favorites")."""
    if m["noun"][:1].isupper():
        return True
    before = re.findall(r"[A-Za-z][\w'’-]*", sentence[: m.start()])
    return len(before) > 1 and before[-1][:1].isupper() and m["n1"][:1].isdigit()


def _plural(word: str) -> bool:
    if word in ("people", "children", "men", "women"):
        return True
    return (
        len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous", "'s"))
    )
