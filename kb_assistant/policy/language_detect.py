"""Which language a customer message is in, told apart from English with care.

The detector (lingua, offline: its models ship inside its wheel) is restricted to the policy's
languages, in its low-accuracy mode (tens of megabytes instead of hundreds, well under a
millisecond a message), built once per process on first use. It is only asked at all when a
message is not plainly English, and its answer only counts when it is sure:

1. A message mostly in another script (Cyrillic, Greek, Arabic, Devanagari, CJK, Hangul…) is
   never English; the detector names its language ("und" when it cannot).
2. A message in Latin letters whose words are mostly English ("pls refund me", "wheres my
   parcel??", "hi") is English, without asking the detector.
3. Any other message in Latin letters needs `min_letters` letters and enough everyday words of
   a language (`kb_assistant.policy.language_words`); the detector then chooses among the
   languages whose words were found, and must be at least `min_confidence` sure. A long
   message (`LONG_LETTERS`) with hardly an English word also counts when the detector is
   nearly certain (named only for a language without a word list, else "und").

Everything else is treated as English: a detector's guess must never be the reason an English
message goes to a person.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from kb_assistant.policy.language_config import LanguagePolicy
from kb_assistant.policy.language_words import foreign_words
from kb_assistant.policy.lexicon import english_share

if TYPE_CHECKING:
    from lingua import LanguageDetector as LinguaDetector

UNDETERMINED = "und"  # ISO 639-2 for a language that cannot be named
ENGLISH_SHARE = 0.5  # this share of English words (one English alone) makes a message English
FOREIGN_SHARE = 0.34  # the share of a language's everyday words that makes a message foreign
LONG_LETTERS = 40  # a message this long may count as foreign on the detector alone ...
LONG_ENGLISH_SHARE = 0.2  # ... with no more than this share of English words ...
LONG_CONFIDENCE = 0.9  # ... when the detector is at least this sure
_WORD = re.compile(r"[^\W\d_]{2,}")
_build_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageGuess:
    """A message's language (ISO 639-1, or "und") and how sure the detector is (0–1)."""

    code: str
    confidence: float


class LanguageDetector:
    """Tells which configured language a message is in; None means English (or unsure)."""

    def __init__(self, policy: LanguagePolicy) -> None:
        self.policy = policy
        self.codes = tuple(sorted(policy.detect))

    def warm_up(self) -> None:
        """Build the detector and load its models now rather than on the first message."""
        _lingua(self.codes).compute_language_confidence_values("warm up")

    def detect(self, normalised: str, raw: str) -> LanguageGuess | None:
        """The language of a message that is not English, or None (English, or unsure).

        `normalised` is the policy's normalised form of `raw` (`kb_assistant.policy.text`).
        """
        latin, other = _letters(normalised)
        if other >= 2 and other >= latin:
            return self._other_script(raw)
        share, distinct, _ = english_share(normalised)
        if latin < self.policy.min_letters or (share >= ENGLISH_SHARE and distinct >= 1):
            return None
        words = _WORD.findall(normalised)
        candidates = [code for code in self.codes if _share(words, code) >= FOREIGN_SHARE]
        if candidates:
            return self._best(raw, candidates, self.policy.min_confidence)
        if latin >= LONG_LETTERS and share <= LONG_ENGLISH_SHARE:
            return self._unlisted(raw)
        return None

    def _unlisted(self, raw: str) -> LanguageGuess | None:
        """A long message with hardly an English word and none of any word list: foreign when
        the detector is nearly sure. The language is named only when it has no word list (had
        it one, its words would have been found), else "und": it is likely one outside the
        detector's set, and a wrong name would be worse than none."""
        guess = self._best(raw, [c for c in self.codes if c != "en"], LONG_CONFIDENCE)
        if guess is None or not foreign_words(guess.code):
            return guess
        return LanguageGuess(UNDETERMINED, guess.confidence)

    def _other_script(self, raw: str) -> LanguageGuess:
        """A message not in Latin letters: its language, or "und" when the detector is unsure."""
        guess = self._best(raw, self.codes, self.policy.min_confidence)
        return guess if guess is not None else LanguageGuess(UNDETERMINED, 1.0)

    def _best(self, raw: str, candidates: Sequence[str], threshold: float) -> LanguageGuess | None:
        """The candidate the detector is surest of, if sure enough and not English; its
        confidence is taken among the candidates and English only."""
        values = _lingua(self.codes).compute_language_confidence_values(raw)
        scored = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
        best = max(candidates, key=lambda code: scored.get(code, 0.0))
        english = scored.get("en", 0.0)
        pool = sum(scored.get(code, 0.0) for code in candidates if code != "en") + english
        confidence = scored.get(best, 0.0) / pool if pool > 0 else 0.0
        if best == "en" or confidence < threshold or english >= scored.get(best, 0.0):
            return None
        return LanguageGuess(best, round(confidence, 4))


def _letters(text: str) -> tuple[int, int]:
    """(letters of the Latin script, letters of any other script) in `text`."""
    latin = other = 0
    for char in text:
        if char.isalpha():
            if char.isascii() or "\u00c0" <= char <= "\u024f" or "\u1e00" <= char <= "\u1eff":
                latin += 1
            else:
                other += 1
    return latin, other


def _share(words: Sequence[str], code: str) -> float:
    known = foreign_words(code)
    if not words or not known:
        return 0.0
    return sum(1 for w in words if w in known) / len(words)


def _lingua(codes: tuple[str, ...]) -> LinguaDetector:
    """One detector per set of languages and process (built once, even when several
    threads ask for it first at the same time)."""
    with _build_lock:
        return _built(codes)


@lru_cache(maxsize=4)
def _built(codes: tuple[str, ...]) -> LinguaDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, code.upper()) for code in codes]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_low_accuracy_mode().build()
