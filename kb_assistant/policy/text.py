"""The normalised form of a customer message that the policy's patterns are written for.

Customers write "didn't", "didnt", "did'nt" and "did not"; "refnd", "erfund" and "refund";
"r e f u n d", "m0ney b4ck" and "reembolsó". Patterns should be written once, so messages are
normalised first: lower case, one kind of apostrophe, accents and disguises undone
(`kb_assistant.policy.spelling`), single spaces, contractions spelled out, and misspellings
of the words the policy turns on ("reimbursment", "somone", "cancelaltion") corrected when
they are one typo away (an extra, missing, wrong or swapped letter) from exactly such a word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb_assistant.policy.spelling import fold, undisguise

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4`", "'"))
_SPACES = re.compile(r"\s+")
_NEGATION = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need)"
    r"(?:n'?t|'nt|n t)\b"
)
_SPELLED_OUT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bca(?:n'?t|nnot)\b", "can not"),
        (r"\bwo(?:n't|nt)\b", "will not"),
        (r"\bai(?:n'?t)\b", "is not"),
        (r"\bi'?m\b", "i am"),
        (r"\bi'?ve\b", "i have"),
        (r"\bi'd\b", "i would"),
        (r"\bi'll\b", "i will"),
        (r"\b(what|where|when|why|how|who|it|that|there)'s\b", r"\1 is"),
        (r"\b(you|we|they)'re\b", r"\1 are"),
        (r"\bpa(?:y|i)ed\b", "paid"),
        (r"\btransfere?d\b", "transferred"),
        (r"\bu\b", "you"),
        (r"\b(?:pls|plz)\b", "please"),
    )
)

# Words the policy turns on; a word one typo away from exactly one of them becomes it.
_KEYWORD_LIST = """
    refund refunds refunded refunding reimburse reimbursed reimbursement reimbursements
    rebate rebates rebating compensation compensate compensated cancellation cancellations
    termination charges charged payment payments transfer transfers transferred transaction
    transactions withdrawal withdrawals declined pending dispute disputed chargeback invoice
    invoices penalty penalties receive received unauthorised unauthorized unrecognised
    unrecognized fraudulent someone somebody person human agent agents assistant
    representative operator account
"""
KEYWORDS = frozenset(_KEYWORD_LIST.split())
# Real words one typo away from a keyword, which must stay as they are.
_KEEP_LIST = """
    charger chargers change changes changed changing relate related debate debates berate
    persona prison humane humans argent reclined spending sending bending ending lending
    tending mending vending attending receiver receivers deceive deceived pavement agenda
"""
_KEEP = frozenset(_KEEP_LIST.split())
_WORD = re.compile(r"[a-z]{5,}")
TYPO_CHARS = 5000  # typos are corrected in this much of a message (patterns still see all)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """One letter inserted, deleted, replaced, or two neighbours swapped (not more)."""
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 2 and diffs[1] == diffs[0] + 1:
            first, second = diffs
            return a[first] == b[second] and a[second] == b[first]
        return len(diffs) == 1
    shorter, longer = sorted((a, b), key=len)
    return len(longer) - len(shorter) == 1 and shorter in _deletions(longer)


def _index() -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for keyword in KEYWORDS:
        for variant in {keyword} | _deletions(keyword):
            index.setdefault(variant, set()).add(keyword)
    return index


_INDEX = _index()


@lru_cache(maxsize=8192)
def corrected(word: str) -> str:
    """`word`, or the one keyword it is a single typo away from."""
    if word in KEYWORDS or word in _KEEP:
        return word
    candidates: set[str] = set()
    for variant in {word} | _deletions(word):
        candidates |= {c for c in _INDEX.get(variant, ()) if _one_edit(word, c)}
    # A plural or past form of a keyword is not a typo of it ("payments" stays).
    if len(candidates) != 1 or any(word.startswith(c) or c.startswith(word) for c in candidates):
        return word
    return candidates.pop()


def normalise(text: str) -> str:
    """The form patterns read: lower case, plain apostrophes, accents and disguises undone,
    contractions and typos fixed."""
    lowered = _SPACES.sub(" ", fold(text.translate(_APOSTROPHES).lower()).lower()).strip()
    lowered = undisguise(lowered)
    lowered = _NEGATION.sub(r"\1 not", lowered)
    for pattern, replacement in _SPELLED_OUT:
        lowered = pattern.sub(replacement, lowered)
    head, tail = lowered[:TYPO_CHARS], lowered[TYPO_CHARS:]
    return _WORD.sub(lambda m: corrected(m.group(0)), head) + tail
