"""The subject of a number: the content words of its text as the report compares them.

Two statements of one fact rarely use the same words ("delivery takes 3 days", "we ship
within three days"), so words are stemmed, synonyms mapped to one of them, and words that
say nothing about which fact a number states (stop words, number and unit words, "usually",
"cost") left out.
"""

from __future__ import annotations

from functools import lru_cache

from kb_assistant.core.text import STOPWORDS, stem, words
from kb_assistant.kbreport.quantity_patterns import ARTICLES, NUMBER_WORDS, word_list


def word_stem(word: str) -> str:
    """`core.text.stem`, also folding a final "e" and "ie"/"y", so that "replace" and
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
    for w in word_list("""within up upto take takes taking usually normally typically generally
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

_UNIT_STEMS = frozenset(
    word_stem(w)
    for w in word_list("""second seconds sec secs minute minutes min mins hour hours hr hrs day
    days night nights week weeks fortnight fortnights month months year years yr yrs working
    business calendar gbp usd eur pound pounds dollar dollars euro euros pence percent cent""")
)
# Words after which the next word is a verb: modals, auxiliaries, "to".
_BEFORE_VERBS = frozenset(
    word_list("""can could will would may might must should shall to be is are was were been
    being do does did not cannot can't won't don't doesn't please""")
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
    if word in STOPWORDS or word in NUMBER_WORDS or word in ARTICLES:
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
