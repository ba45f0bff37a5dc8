"""Disguised and foreign spellings undone, so the policy's words are written only once.

Customers write "r e f u n d", "r-e-f-u-n-d", "m0ney b4ck", "refuuuund", "ＲＥＦＵＮＤ",
"rеfund" with a Cyrillic "е", "devolución" and "devolucion". Before any pattern reads a
message it is folded:

- compatibility forms become plain characters (full-width letters, ligatures) and invisible
  ones (zero-width spaces, soft hyphens, Arabic elongation) are dropped;
- accents and marks go from Latin, Greek, Cyrillic and Arabic letters ("é" → "e", "ł" → "l",
  "ß" → "ss", "й" → "и", "أ" → "ا"), so a pattern matches with and without them;
- Cyrillic or Greek look-alikes inside an otherwise Latin word become Latin letters;
- letters spaced, dotted or hyphenated apart are joined ("r e f u n d" → "refund") and, where
  the run held several words, split again by the English lexicon ("a refund");
- letters repeated for emphasis are collapsed ("refuuuund" → "refund");
- digits and symbols standing for letters are read as letters ("m0ney" → "money", "ca$h" →
  "cash"), but only where that gives a known word, so "order 12345", "£3.95", "4 items",
  "2nd" and "AB12C" stay as they are.

`fold` (marks and look-alike forms only) is also applied to the policy's own patterns, which
therefore may be written with or without accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import product

from kb_assistant.policy.lexicon import ENGLISH_WORDS

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0640"))
# Letters that carry no separable mark but are written as plain letters on other keyboards.
_PLAIN = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
_PLAIN |= {"đ": "d", "Đ": "D", "ß": "ss", "ı": "i", "ς": "σ", "ħ": "h", "þ": "th"}
# Scripts whose marks are dropped: Latin, Greek, Cyrillic (to U+052F) and Arabic.
_FOLDED_RANGES = ((0x00C0, 0x052F), (0x0600, 0x06FF), (0x1E00, 0x1FFF))
# Cyrillic and Greek letters that look like Latin ones (in words that mix the scripts).
_LOOK_ALIKES = str.maketrans("аеорсухіјѕһкмтнвԁοαερντυκιχ", "aeopcyxijshkmthbdoaepvtukix")
_MIXED_WORD = re.compile(r"\w*(?:[a-z][\u0370-\u04ff]|[\u0370-\u04ff][a-z])\w*")

# Single characters spaced apart with one and the same separator: "r e f u n d", "r.e.f".
_SINGLE = r"[a-z0-9@$\u0370-\u04ff]"
_SPACED = re.compile(
    rf"(?<![\w@$]){_SINGLE}(?P<sep> |-|\.|_|\*|·|/|\+| - ){_SINGLE}(?:(?P=sep){_SINGLE})+"
    r"(?![\w@$])"
)
# Words with a letter and a stand-in digit or symbol, or a letter repeated three times.
_TOKEN = re.compile(r"[a-z0-9@$€]*[a-z][a-z0-9@$€]*")
_STAND_INS = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
_STAND_INS |= {"@": "a", "$": "s", "€": "e"}
_REPEAT = re.compile(r"([a-z])\1{2,}")
MAX_SPLIT = 40  # longest run of spaced letters split back into words


def fold(text: str) -> str:
    """`text` with compatibility forms, invisible characters and marks on letters removed
    (case is kept, so that a regular expression stays valid)."""
    if text.isascii():
        return text
    composed = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return "".join(_fold_char(c) if ord(c) > 0x7F else c for c in composed)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _PLAIN:
        return _PLAIN[char]
    code = ord(char)
    if not any(low <= code <= high for low, high in _FOLDED_RANGES):
        return char
    if unicodedata.combining(char):
        return ""
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare or char


def undisguise(lowered: str) -> str:
    """Folded, lower-case text with spaced-out letters joined, look-alike letters made Latin,
    and repeated or stand-in characters read as the word they spell."""
    if any(ord(c) > 0x7F for c in lowered):
        lowered = _MIXED_WORD.sub(lambda m: m.group(0).translate(_LOOK_ALIKES), lowered)
    lowered = _SPACED.sub(_joined, lowered)
    return _TOKEN.sub(lambda m: _as_word(m.group(0)), lowered)


def _joined(match: re.Match[str]) -> str:
    """A run of spaced characters as one word (or words), when mostly letters."""
    chars = match.group(0).replace(match.group("sep"), "")
    letters = sum(c.isalpha() for c in chars)
    if letters < 3 or letters <= len(chars) - letters:
        return match.group(0)
    word = _as_word(chars)
    if match.group("sep") != " " or word in ENGLISH_WORDS:
        return word
    return " ".join(_split(word)) if len(word) <= MAX_SPLIT else word


@lru_cache(maxsize=8192)
def _as_word(token: str) -> str:
    """A token with repeats collapsed and stand-ins read, where that spells a known word."""
    if token in ENGLISH_WORDS:
        return token
    if _REPEAT.search(token) and len(set(token)) > 1:
        token = _collapsed(token)
    stand_ins = sum(c in _STAND_INS for c in token)
    if stand_ins == 0 or stand_ins > len(token) - stand_ins or stand_ins > 4:
        return token
    options = [_STAND_INS.get(c, c) for c in token]
    for letters in product(*options):
        word = "".join(letters)
        if word in ENGLISH_WORDS and len(word) > 2:
            return word
    return token


def _collapsed(token: str) -> str:
    """Letters repeated three times or more, kept once or twice: whichever is a word."""
    runs = _REPEAT.findall(token)[:4]
    for counts in product((1, 2), repeat=len(runs)):
        word = _REPEAT.sub(_repeated(iter(counts)), token, count=len(runs))
        if word in ENGLISH_WORDS:
            return word
    return _REPEAT.sub(r"\1\1", token)


def _repeated(counts: Iterator[int]) -> Callable[[re.Match[str]], str]:
    """A replacement keeping each repeated letter as often as the next of `counts` says."""
    return lambda match: match.group(1) * next(counts)


def _split(word: str) -> list[str]:
    """`word` as the fewest English words (longer words first among equals), or as it is."""
    best: list[tuple[int, int, list[str]] | None] = [(0, 0, [])] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 20), end):
            piece, before = word[start:end], best[start]
            if before is None or not _splittable(piece):
                continue
            candidate = (before[0] + 1, before[1] - len(piece) ** 2, [*before[2], piece])
            current = best[end]
            if current is None or candidate[:2] < current[:2]:
                best[end] = candidate
    found = best[len(word)]
    return found[2] if found is not None else [word]


def _splittable(piece: str) -> bool:
    return piece in {"a", "i"} or (len(piece) > 1 and piece in ENGLISH_WORDS)
