"""Quantities stated in a sentence, normalised, with the words that say what they measure.

A support knowledge base states its facts as numbers: a return window ("30 days", "a
fortnight", "within 14 working days"), a fee ("£3.95", "4.95 GBP", "EUR 20"), a discount
("15%", "15 per cent"), a limit ("up to 3 items", "5 free returns"). Each becomes a
`Quantity` in a base unit (weeks are days, hours are days, years are months, pence are
pounds) so that "two weeks" and "14 days" compare equal, and a `Mention` ties it to its
sentence, its document and its subject: the content words around it and the title's.

Deliberately rule-based and dependency-free: the point is to compare the same fact across
documents, so consistency matters more than coverage of every way of writing a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from kb_assistant.answering.text import STOPWORDS, split_sentences, stem, words

QuantityKind = Literal["duration", "money", "percent", "count"]
Bound = Literal["exact", "max", "min"]
_Add = Callable[[QuantityKind, str, float, float, int, int, str], None]


def _listed(text: str) -> list[str]:
    """Words written as one space-separated string (long lists stay readable)."""
    return text.split()


_SMALL = _listed(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS: dict[str, float] = {word: float(value) for value, word in enumerate(_SMALL)}
NUMBER_WORDS["thirty"] = 30.0
for _unit in range(1, 10):
    NUMBER_WORDS[f"twenty-{_SMALL[_unit]}"] = 20.0 + _unit
    NUMBER_WORDS[f"twenty {_SMALL[_unit]}"] = 20.0 + _unit
_ARTICLES = {"a": 1.0, "an": 1.0}

_WORD_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)).replace(" ", r"\s")
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number standing on its own: not inside a model name (HP-KT20), a date (12/05), a time
# (10:30), a version (4.2.1) or a phone number.
_NUM = rf"(?:(?<![\w.,/#:£$€-])(?:{_DIGITS})(?![\w/]|[.,:]\d)|\b(?:{_WORD_NUMBER})\b)"
_NUM_OR_ARTICLE = rf"(?:{_NUM}|\b(?:an|a)\b)"
_DASH = r"\s*(?:-|–|—|to|or)\s*"

# Calendar time in days; months and years in months; working days on their own (five
# working days are not five calendar days).
_TIME_UNITS: dict[str, tuple[str, float]] = {
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
_WORKING = ("working", "business", "work")
_TIME = (
    rf"(?P<n1>{_NUM_OR_ARTICLE})(?:{_DASH}(?P<n2>{_NUM}))?[\s-]+"
    r"(?:(?P<mod>working|business|work|calendar|full|consecutive|clear)[\s-]+)?"
    r"(?P<unit>second|sec|minute|min|hour|hr|day|night|week|fortnight|month|year|yr)s?\b"
)

_CURRENCY_SIGNS = {"£": "GBP", "$": "USD", "€": "EUR"}
_CURRENCY_WORDS = {
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
_AMOUNT = rf"(?:{_DIGITS})"
_MONEY_SIGN = (
    rf"(?P<sign>[£$€])\s?(?P<n1>{_AMOUNT})(?:{_DASH}[£$€]?\s?(?P<n2>{_AMOUNT}))?"
    r"(?![\w]|[.,]\d)"
)
_MONEY_AFTER = (
    rf"(?<![\w.,/#:£$€-])(?P<n1>{_AMOUNT})(?:{_DASH}(?P<n2>{_AMOUNT}))?\s?"
    r"(?P<code>GBP|USD|EUR|pounds?|dollars?|euros?)\b"
)
_MONEY_BEFORE = (
    rf"\b(?P<code>GBP|USD|EUR)\s?(?P<n1>{_AMOUNT})(?:{_DASH}(?:GBP|USD|EUR)?\s?(?P<n2>{_AMOUNT}))?"
    r"(?![\w]|[.,]\d)"
)
_PENCE = r"(?<![\w.,/#:£$€-])(?P<n1>\d{1,2})(?:p|\s?pence)\b"
_PERCENT = rf"(?P<n1>{_NUM})(?:{_DASH}(?P<n2>{_NUM}))?\s?(?:%|per\s?cent\b|percent\b)"
# A count: a number and a plural noun ("3 items"), perhaps with one word between ("5 free
# returns", "2 USB ports"); the noun (and that word) is the unit.
_COUNT = (
    rf"(?P<n1>{_NUM})(?:{_DASH}(?P<n2>{_NUM}))?\s+(?P<noun>[a-z][a-z'-]*)"
    r"(?:\s+(?P<noun2>[a-z][a-z'-]*))?"
)

# Words before a number that make it a label, not an amount ("step 2", "page 3").
_LABEL_WORDS = frozenset(
    _listed("""step steps page pages section sections chapter chapters version model no number
    option figure fig table item level grade class type series part channel line room
    code ext extension port hdmi usb apartment flat unit""")
)
# Count nouns that are not things one counts in a policy: units of other kinds, calendar
# words, and words that follow a number without being counted.
_NOT_COUNTED = frozenset(
    _listed("""minutes mins hours hrs days nights weeks fortnights months years yrs pounds dollars
    euros pence percent times ways things others ones cents
    january february march april may june july august september october november december
    mondays tuesdays wednesdays thursdays fridays saturdays sundays
    bits kbps mbps gbps hz khz mhz ghz mm cm km kg lbs inches inch feet ft watts volts amps
    decibels degrees pixels dpi fps gb mb kb tb
    options choices examples tips reasons ways steps methods questions categories types kinds
    parts sections""")
)
# Between a number and its noun, words that do not change what is counted.
_NEUTRAL_COUNT_WORDS = frozenset(
    _listed("more additional extra different separate further other new total individual")
)

_MAX_BEFORE = (
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
_MIN_BEFORE = (
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
_MAX_AFTER = ("or less", "or fewer", "or under", "or below", "at most", "maximum")
_MIN_AFTER = ("or more", "or over", "or longer", "and over", "and above", "+", "or above")


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


@dataclass(frozen=True)
class Mention:
    """A quantity where it is stated: its sentence, its unit of text, and its subject.

    `subject` holds the content words (stemmed, stop words and the quantities' own words
    left out) of the sentence; `clause` those of the quantity's own clause; `qualifiers`
    those within `NEAR_WORDS` words of it in its clause that are not verbs or adverbs
    ("standard" in "standard delivery costs £3.95"); `heading` the title's; `names` the
    clause's capitalised words after the sentence's first ("UK", "Italian", "HEPA").
    `values` are the other quantities of the same unit in the sentence.
    """

    quantity: Quantity
    sentence: str
    unit_id: str
    doc_id: str
    title: str
    location: str
    subject: frozenset[str]
    clause: frozenset[str]
    qualifiers: frozenset[str]
    heading: frozenset[str]
    values: tuple[Quantity, ...]
    names: frozenset[str] = frozenset()


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _format(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# Cheap test first: a digit, a number word or a time word (for "a fortnight").
_MAYBE_QUANTITY = re.compile(
    rf"\d|\b(?:{_WORD_NUMBER}|fortnight|week|month|year|day|hour|minute|night)", re.IGNORECASE
)


def parse_number(text: str) -> float | None:
    """A number written in digits ("1,500", "3.95") or words ("two", "twenty-one", "a")."""
    cleaned = " ".join(text.lower().replace(",", "").split())
    if cleaned in NUMBER_WORDS:
        return NUMBER_WORDS[cleaned]
    if cleaned in _ARTICLES:
        return _ARTICLES[cleaned]
    try:
        return float(cleaned)
    except ValueError:
        return None


def _bound(sentence: str, start: int, end: int) -> Bound:
    before = " ".join(sentence[max(0, start - 24) : start].lower().split())
    after = " ".join(sentence[end : end + 12].lower().split())
    before = f" {before}"
    if any(before.endswith(f" {w}") for w in _MAX_BEFORE) or after.startswith(_MAX_AFTER):
        return "max"
    if any(before.endswith(f" {w}") for w in _MIN_BEFORE) or after.startswith(_MIN_AFTER):
        return "min"
    return "exact"


def _word_before(sentence: str, start: int) -> str:
    before = words(sentence[max(0, start - 20) : start])
    return before[-1] if before else ""


def extract_quantities(sentence: str) -> list[Quantity]:
    """The quantities stated in `sentence`, in order of appearance (spans never overlap)."""
    if not _MAYBE_QUANTITY.search(sentence):
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

    for pattern in (_MONEY_SIGN, _MONEY_BEFORE, _MONEY_AFTER):
        for m in re.finditer(pattern, sentence, re.IGNORECASE):
            code = m.groupdict().get("code")
            currency = _CURRENCY_SIGNS[m["sign"]] if m.groupdict().get("sign") else None
            currency = currency or _CURRENCY_WORDS.get((code or "").lower())
            low = parse_number(m["n1"])
            high = parse_number(m["n2"]) if m["n2"] else low
            if currency and low is not None and high is not None:
                add("money", currency, low, high, m.start(), m.end())
    for m in re.finditer(_PENCE, sentence, re.IGNORECASE):
        add("money", "GBP", int(m["n1"]) / 100, int(m["n1"]) / 100, m.start(), m.end())
    for m in re.finditer(_PERCENT, sentence, re.IGNORECASE):
        low = parse_number(m["n1"])
        high = parse_number(m["n2"]) if m["n2"] else low
        if low is not None and high is not None:
            add("percent", "%", low, high, m.start(), m.end())
    for m in re.finditer(_TIME, sentence, re.IGNORECASE):
        _time(sentence, m, add)
    for m in re.finditer(_COUNT, sentence, re.IGNORECASE):
        _count(sentence, m, add)
    return _between_ranges(sentence, sorted(found, key=lambda q: q.start))


_BETWEEN = re.compile(
    rf"\bbetween\s+[£$€]?\s?(?P<n>{_DIGITS}|{_WORD_NUMBER})(?:\s?(?:%|GBP|USD|EUR))?\s+and\s+$",
    re.IGNORECASE,
)


def _between_ranges(sentence: str, quantities: list[Quantity]) -> list[Quantity]:
    """ "between 3 and 5 days", "between £60 and £1,500": one range, not two amounts."""
    result: list[Quantity] = []
    for quantity in quantities:
        m = None if quantity.is_range else _BETWEEN.search(sentence[: quantity.start])
        low = parse_number(m["n"]) if m else None
        if m is None or low is None:
            result.append(quantity)
            continue
        written = re.search(_NUM, quantity.text)
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
    if first in _ARTICLES:
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
    base, factor = _TIME_UNITS[m["unit"].lower()]
    modifier = (m["mod"] or "").lower()
    if modifier in _WORKING:
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
    if noun in STOPWORDS or noun in _NOT_COUNTED:
        return
    if _word_before(sentence, m.start()) in _LABEL_WORDS or _names_a_thing(sentence, m):
        return
    low = parse_number(m["n1"])
    high = parse_number(m["n2"]) if m["n2"] else low
    if low is None or high is None or low != int(low) or high > 999:
        return
    if _plural(noun):
        unit, end, written = word_stem(noun), m.end("noun"), m["noun"]
    elif second and _plural(second) and second not in STOPWORDS and second not in _NOT_COUNTED:
        if low == 1:
            return
        qualifier = "" if noun in _NEUTRAL_COUNT_WORDS else word_stem(noun) + " "
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


# --- the subject of a quantity ----------------------------------------------------------


def word_stem(word: str) -> str:
    """`answering.text.stem`, also folding a final "e" and "ie"/"y", so that "replace" and
    "replacing", "policy" and "policies" compare equal."""
    stemmed = stem(word)
    if stemmed.endswith("ie") and len(stemmed) > 4:
        stemmed = stemmed[:-2] + "y"
    if stemmed.endswith("y") and len(stemmed) > 4:
        stemmed = stemmed[:-1] + "i"
    if stemmed.endswith("e") and len(stemmed) > 3:
        stemmed = stemmed[:-1]
    return stemmed


# Words that say nothing about which fact a number states (on top of the stop words).
GENERIC_WORDS = frozenset(
    word_stem(w)
    for w in _listed("""within up upto take takes taking usually normally typically generally
    always approximately approx around about roughly least most maximum minimum max min just
    only also can may will please note per every each cost costs costing price priced fee fees
    pay paid pays amount total make makes made need needs needed get gets give gives given
    allow allows allowed apply applies applied start starts started receive received once
    whole full q a one two yes no how much long many often instead example examples eg ie
    etc""")
)
# Different words for one thing in support texts, mapped to one of them.
SYNONYMS: dict[str, str] = {
    word_stem(word): word_stem(canonical)
    for canonical, alternatives in {
        "delivery": "deliver delivered delivering shipping ship shipped shipment dispatch "
        "dispatched postage post posted arrival arrive arrives arrived receipt",
        "refund": "refunded refunding reimburse reimbursed reimbursement money-back",
        "return": "returned returning",
        "purchase": "purchased bought buy order ordered",
        "discount": "off reduction saving savings",
        "fee": "charge charges",
        "customer": "client",
        "parcel": "package",
        "cancel": "cancelled cancellation canceled cancellations",
        "guarantee": "warranty warranties guaranteed",
        "report": "reported tell notify notified inform",
        "replace": "replacing replaced change changed swap",
        "item": "product goods article",
        "member": "membership",
        "faulty": "defective",
    }.items()
    for word in [canonical, *alternatives.split()]
}
NEAR_WORDS = 2  # content words either side of a quantity, within its clause, that qualify it

_UNIT_STEMS = frozenset(
    word_stem(w)
    for w in _listed("""second seconds sec secs minute minutes min mins hour hours hr hrs day
    days night nights week weeks fortnight fortnights month months year years yr yrs working
    business calendar gbp usd eur pound pounds dollar dollars euro euros pence percent cent""")
)
# Words after which the next word is a verb: modals, auxiliaries, "to".
_BEFORE_VERBS = frozenset(
    _listed("""can could will would may might must should shall to be is are was were been
    being do does did not cannot can't won't don't doesn't please""")
)
# Where a clause ends: punctuation (not a thousands comma, a range dash or the colon of
# "Plus members: 60 days") or a conjunction.
_CLAUSE_BREAK = re.compile(
    r"[;()\[\]—]|,(?!\d)|\s[-–]\s|\b(?:and|or|but|while|whereas|although|unless|so|then)\b",
    re.IGNORECASE,
)


def subject_tokens(text: str) -> list[str]:
    """Content words of `text` as the report compares them: stemmed, synonyms mapped, stop
    words, numbers and unit words left out."""
    return [token for token, _ in tagged_tokens(text)]


def tagged_tokens(text: str) -> list[tuple[str, bool]]:
    """`subject_tokens`, each with whether it can qualify a number: not a verb or an adverb
    by its form ("can hold", "to keep", "is issued", "quickly")."""
    tokens: list[tuple[str, bool]] = []
    previous = ""
    for word in words(text):
        before, previous = previous, word
        token = _token(word)
        if token is not None:
            verbal = before in _BEFORE_VERBS or word.endswith(("ed", "ing", "ly"))
            tokens.append((token, not verbal))
    return tokens


@lru_cache(maxsize=65536)
def _token(word: str) -> str | None:
    """The compared form of a word (stemmed, synonyms mapped), or None for a word that
    says nothing about a number's subject."""
    if word in STOPWORDS or word in NUMBER_WORDS or word in _ARTICLES:
        return None
    if any(ch.isdigit() for ch in word):
        return None
    stemmed = word_stem(word)
    if stemmed in _UNIT_STEMS:
        return None
    stemmed = SYNONYMS.get(stemmed, stemmed)
    if stemmed in GENERIC_WORDS or len(stemmed) < 2:
        return None
    return stemmed


# Words that make a number an example rather than a fact.
_EXAMPLE = re.compile(
    r"(?:\be\.\s?g\b|\bi\.\s?e\b|\bfor (?:example|instance)\b|\bsuch as\b|\bsay\b)",
    re.IGNORECASE,
)
_QA_LABEL = re.compile(r"^\s*[QA]:\s+")
# A sentence's first word, after a "Q:"/"A:" label, a list marker or emphasis marks.
_LEAD = re.compile(r"^\s*(?:[QA]:\s*)?(?:[-*•]\s+|\d+[.)]\s+)?[*_\"'“‘(\[]*[^\s]+")


def _capitalised(sentence: str) -> frozenset[str]:
    """Stems of the words written with a capital, the sentence's first word aside."""
    rest = _LEAD.sub("", sentence, count=1)
    return frozenset(
        token
        for word in re.findall(r"[A-Za-z][\w'’-]*", rest)
        if any(ch.isupper() for ch in word)
        for token in subject_tokens(word)
    )


def mentions_in(
    text: str,
    *,
    unit_id: str,
    doc_id: str,
    title: str,
    location: str,
) -> list[Mention]:
    """Every quantity stated in `text`, with its sentence and subject."""
    heading = frozenset(subject_tokens(title))
    found: list[Mention] = []
    for sentence in split_sentences(text):
        sentence = _QA_LABEL.sub("", sentence)
        quantities = extract_quantities(sentence)
        if not quantities:
            continue
        subject = frozenset(subject_tokens(sentence))
        if len(subject) < 2:  # "A: Two years.": the question (the title) says of what
            subject |= heading
        capitalised = _capitalised(sentence)
        for quantity in quantities:
            before = _CLAUSE_BREAK.split(sentence[: quantity.start])[-1]
            after = _CLAUSE_BREAK.split(sentence[quantity.end :])[0]
            if _EXAMPLE.search(before) or _EXAMPLE.search(after):
                continue  # "e.g. £20", "make it $20 instead, for example": not a fact
            before_tokens, after_tokens = tagged_tokens(before), tagged_tokens(after)
            near = before_tokens[-NEAR_WORDS:] + after_tokens[:NEAR_WORDS]
            found.append(
                Mention(
                    quantity=quantity,
                    sentence=sentence,
                    unit_id=unit_id,
                    doc_id=doc_id,
                    title=title,
                    location=location,
                    subject=subject,
                    clause=frozenset(t for t, _ in before_tokens + after_tokens) or heading,
                    qualifiers=frozenset(t for t, qualifies in near if qualifies),
                    heading=heading,
                    values=tuple(
                        q for q in quantities if q.unit == quantity.unit and q is not quantity
                    ),
                    names=frozenset(t for t, _ in before_tokens + after_tokens) & capitalised,
                )
            )
    return found
