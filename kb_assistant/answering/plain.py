"""Plain-language rewriting for customers: shorter sentences and everyday words.

The rewrites are conservative on purpose — the meaning, numbers and names of the source
sentence must survive, because the verifier checks every sentence against its passage.
"""

from __future__ import annotations

import re

LONG_SENTENCE_WORDS = 20
MIN_PART_WORDS = 5

# Formal word → everyday word (whole words, case kept for a leading capital).
WORD_SWAPS = {
    "approximately": "about",
    "additional": "extra",
    "assistance": "help",
    "commence": "start",
    "commences": "starts",
    "prior to": "before",
    "in order to": "to",
    "utilise": "use",
    "utilize": "use",
    "sufficient": "enough",
    "obtain": "get",
    "subsequently": "then",
    "however,": "but",
    "therefore,": "so",
    "in the event that": "if",
    "is required to": "needs to",
    "are required to": "need to",
    "a number of": "some",
    "at this point in time": "now",
    "with regard to": "about",
    "in addition,": "also,",
    "is able to": "can",
    "are able to": "can",
    "whilst": "while",
    "terminate": "end",
    "inform": "tell",
    "notify": "tell",
    "retain": "keep",
}
_SWAP = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(WORD_SWAPS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_FILLER = re.compile(r"^(?:please note that|note that|it is important to note that)\s+", re.I)
_SPLITTERS = (
    re.compile(r";\s+"),
    re.compile(r",\s+(?=(?:but|so(?! that)|and then|which means)\s)"),
)


def simplify(sentence: str) -> list[str]:
    """One source sentence as one or more short, plain sentences."""
    sentence = _FILLER.sub("", sentence.strip())
    sentence = _SWAP.sub(_swap, sentence)
    parts = [sentence]
    if len(sentence.split()) > LONG_SENTENCE_WORDS:
        for splitter in _SPLITTERS:
            parts = [piece for part in parts for piece in _split(part, splitter)]
    return [_finish(part) for part in parts if part.strip()]


def _swap(match: re.Match[str]) -> str:
    found = match.group(0)
    plain = WORD_SWAPS[found.lower()]
    return plain[0].upper() + plain[1:] if found[0].isupper() else plain


def _split(sentence: str, splitter: re.Pattern[str]) -> list[str]:
    pieces = splitter.split(sentence)
    if len(pieces) < 2 or any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [sentence]
    return pieces


def _finish(part: str) -> str:
    part = part.strip().rstrip(",;")
    if not part:
        return part
    part = part[0].upper() + part[1:]
    return part if part[-1] in ".!?:)\"”'" else part + "."
