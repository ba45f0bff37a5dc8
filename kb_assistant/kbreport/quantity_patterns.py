"""How quantities are written: number words, the patterns that find amounts, durations,
percentages and counts in a sentence, the unit tables, and the words that make a number a
limit ("within", "or more") or a label ("step 2").

`quantities` reads sentences with these; `subjects` leaves their words out of a subject.
"""

from __future__ import annotations

import re


def word_list(text: str) -> list[str]:
    """Words written as one space-separated string (long lists stay readable)."""
    return text.split()


_SMALL = word_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS: dict[str, float] = {word: float(value) for value, word in enumerate(_SMALL)}
NUMBER_WORDS["thirty"] = 30.0
for _unit in range(1, 10):
    NUMBER_WORDS[f"twenty-{_SMALL[_unit]}"] = 20.0 + _unit
    NUMBER_WORDS[f"twenty {_SMALL[_unit]}"] = 20.0 + _unit
ARTICLES = {"a": 1.0, "an": 1.0}

WORD_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)).replace(" ", r"\s")
DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number standing on its own: not inside a model name (HP-KT20), a date (12/05), a time
# (10:30), a version (4.2.1) or a phone number.
NUM = rf"(?:(?<![\w.,/#:£$€-])(?:{DIGITS})(?![\w/]|[.,:]\d)|\b(?:{WORD_NUMBER})\b)"
_NUM_OR_ARTICLE = rf"(?:{NUM}|\b(?:an|a)\b)"
_DASH = r"\s*(?:-|–|—|to|or)\s*"

# Calendar time in days; months and years in months; working days on their own (five
# working days are not five calendar days).
TIME_UNITS: dict[str, tuple[str, float]] = {
    "second": ("day", 1 / 86400),
    "sec": ("day", 1 / 86400),
    "minute": ("day", 1 / 1440),
    "min": ("day", 1 / 1440),
    "hour": ("day", 1 / 24),
    "hr": ("day", 1 / 24),
    "day": ("day", 1.0),
    "night": ("day", 1.0),
    "week": ("day", 7.0),
    "fortnight": ("day", 14.0),
    "month": ("month", 1.0),
    "year": ("month", 12.0),
    "yr": ("month", 12.0),
}
WORKING = ("working", "business", "work")
TIME = (
    rf"(?P<n1>{_NUM_OR_ARTICLE})(?:{_DASH}(?P<n2>{NUM}))?[\s-]+"
    r"(?:(?P<mod>working|business|work|calendar|full|consecutive|clear)[\s-]+)?"
    r"(?P<unit>second|sec|minute|min|hour|hr|day|night|week|fortnight|month|year|yr)s?\b"
)

CURRENCY_SIGNS = {"£": "GBP", "$": "USD", "€": "EUR"}
CURRENCY_WORDS = {
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
}
_AMOUNT = rf"(?:{DIGITS})"
MONEY_SIGN = (
    rf"(?P<sign>[£$€])\s?(?P<n1>{_AMOUNT})(?:{_DASH}[£$€]?\s?(?P<n2>{_AMOUNT}))?"
    r"(?![\w]|[.,]\d)"
)
MONEY_AFTER = (
    rf"(?<![\w.,/#:£$€-])(?P<n1>{_AMOUNT})(?:{_DASH}(?P<n2>{_AMOUNT}))?\s?"
    r"(?P<code>GBP|USD|EUR|pounds?|dollars?|euros?)\b"
)
MONEY_BEFORE = (
    rf"\b(?P<code>GBP|USD|EUR)\s?(?P<n1>{_AMOUNT})(?:{_DASH}(?:GBP|USD|EUR)?\s?(?P<n2>{_AMOUNT}))?"
    r"(?![\w]|[.,]\d)"
)
PENCE = r"(?<![\w.,/#:£$€-])(?P<n1>\d{1,2})(?:p|\s?pence)\b"
PERCENT = rf"(?P<n1>{NUM})(?:{_DASH}(?P<n2>{NUM}))?\s?(?:%|per\s?cent\b|percent\b)"
# A count: a number and a plural noun ("3 items"), perhaps with one word between ("5 free
# returns", "2 USB ports"); the noun (and that word) is the unit.
COUNT = (
    rf"(?P<n1>{NUM})(?:{_DASH}(?P<n2>{NUM}))?\s+(?P<noun>[a-z][a-z'-]*)"
    r"(?:\s+(?P<noun2>[a-z][a-z'-]*))?"
)

# Words before a number that make it a label, not an amount ("step 2", "page 3").
LABEL_WORDS = frozenset(
    word_list("""step steps page pages section sections chapter chapters version model no number
    option figure fig table item level grade class type series part channel line room
    code ext extension port hdmi usb apartment flat unit""")
)
# Count nouns that are not things one counts in a policy: units of other kinds, calendar
# words, and words that follow a number without being counted.
NOT_COUNTED = frozenset(
    word_list("""minutes mins hours hrs days nights weeks fortnights months years yrs pounds dollars
    euros pence percent times ways things others ones cents
    january february march april may june july august september october november december
    mondays tuesdays wednesdays thursdays fridays saturdays sundays
    bits kbps mbps gbps hz khz mhz ghz mm cm km kg lbs inches inch feet ft watts volts amps
    decibels degrees pixels dpi fps gb mb kb tb
    options choices examples tips reasons ways steps methods questions categories types kinds
    parts sections""")
)
# Between a number and its noun, words that do not change what is counted.
NEUTRAL_COUNT_WORDS = frozenset(
    word_list("more additional extra different separate further other new total individual")
)

MAX_BEFORE = (
    "within",
    "up to",
    "upto",
    "no more than",
    "not more than",
    "no longer than",
    "at most",
    "maximum of",
    "a maximum of",
    "maximum",
    "max",
    "max.",
    "under",
    "less than",
    "fewer than",
    "below",
    "before",
    "inside",
)
MIN_BEFORE = (
    "at least",
    "minimum of",
    "a minimum of",
    "minimum",
    "min",
    "min.",
    "over",
    "more than",
    "above",
    "from",
    "after",
    "exceeding",
    "longer than",
    "starting at",
    "starting from",
)
MAX_AFTER = ("or less", "or fewer", "or under", "or below", "at most", "maximum")
MIN_AFTER = ("or more", "or over", "or longer", "and over", "and above", "+", "or above")

# Cheap test first: a digit, a number word or a time word (for "a fortnight").
MAYBE_QUANTITY = re.compile(
    rf"\d|\b(?:{WORD_NUMBER}|fortnight|week|month|year|day|hour|minute|night)", re.IGNORECASE
)
# "between 3 and " just before a quantity: the quantity is the top of a range.
BETWEEN = re.compile(
    rf"\bbetween\s+[£$€]?\s?(?P<n>{DIGITS}|{WORD_NUMBER})(?:\s?(?:%|GBP|USD|EUR))?\s+and\s+$",
    re.IGNORECASE,
)


def parse_number(text: str) -> float | None:
    """A number written in digits ("1,500", "3.95") or words ("two", "twenty-one", "a")."""
    cleaned = " ".join(text.lower().replace(",", "").split())
    if cleaned in NUMBER_WORDS:
        return NUMBER_WORDS[cleaned]
    if cleaned in ARTICLES:
        return ARTICLES[cleaned]
    try:
        return float(cleaned)
    except ValueError:
        return None
