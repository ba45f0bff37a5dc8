"""Support: is a statement backed by a passage it cites?

Two signals, either enough: the share of the statement's content words found in the passage
(token recall; robust for extractive sentences and light rewording), and the best cosine
similarity between the statement and one of the passage's sentences (for paraphrase). Every
number the statement writes must also be in a cited passage, whatever the similarity: a
wrong number ("within 90 days") is the likeliest harmful error and embeddings barely see it.
The thresholds are calibrated on data by `eval.calibrate_support` and shipped as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb_assistant.core.errors import NotFoundError
from kb_assistant.core.text import content_tokens, numbers, split_sentences, stem, words
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.ports import Embedder, Vector

CALIBRATION_FILE = Path(__file__).with_name("support_calibration.json")
RECALL_WINDOW = 2  # consecutive passage sentences a statement's words must be found in


def _word_list(text: str) -> list[str]:
    """Words written as one space-separated string (long lists stay readable)."""
    return text.split()


_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        _word_list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90", "hundred": "100"}
_LABEL = re.compile(r"^\s*(?:[QA]:\s*)")
_PLEASANTRY_WORDS = frozenset(
    stem(word)
    for word in _word_list(
        """thanks thank glad happy help helps helped helping hope hopes sorry hear hearing
    question questions welcome pleasure assist assistance anything else great good nice day
    let know ask feel free reach contact understand apologise apologize apologies inconvenience
    trouble hello hi hey dear morning afternoon evening wish wonderful lovely sure certainly
    absolutely problem worry worries frustrating frustration patience message get touch"""
    )
)
_PLEASANTRY_MAX_WORDS = 20


class CalibrationMissingError(NotFoundError, FileNotFoundError):
    """The shipped support calibration is missing; run `python -m eval.calibrate_support`."""


@dataclass(frozen=True)
class SupportThresholds:
    """When a statement counts as supported by a passage (either signal suffices)."""

    min_token_recall: float
    min_cosine: float

    @classmethod
    def calibrated(cls, path: Path = CALIBRATION_FILE) -> SupportThresholds:
        """The thresholds chosen on data by `eval.calibrate_support`."""
        if not path.is_file():
            raise CalibrationMissingError(
                f"{path} not found; run `python -m eval.calibrate_support` to create it"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            min_token_recall=float(data["min_token_recall"]), min_cosine=float(data["min_cosine"])
        )


def token_recall(statement: str, passage: str) -> float:
    """Best share of the statement's content tokens found together in the passage.

    "Together" means within `RECALL_WINDOW` consecutive sentences. Whole-passage recall is
    too easy to reach: a short generic sentence finds its few words scattered over any long
    passage on the same product. A window of two keeps extractive, reworded and merged
    statements ("Sign in, open the order and select Return items") while rejecting those
    (see the calibration report).
    """
    tokens = content_tokens(statement)
    if not tokens:
        return 0.0
    sentences = [set(content_tokens(s)) for s in passage_sentences(passage)]
    best = 0
    for start in range(len(sentences)):
        available = set().union(*sentences[start : start + RECALL_WINDOW])
        best = max(best, sum(token in available for token in tokens))
    return best / len(tokens)


def passage_numbers(text: str) -> set[str]:
    """Numbers a passage states, in digits or as number words ("three business days")."""
    found = numbers(text)
    found.update(_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS)
    return found


def unsupported_numbers(statement: str, passages: Sequence[str]) -> list[str]:
    """Numbers in the statement that no cited passage states."""
    available: set[str] = set()
    for passage in passages:
        available |= passage_numbers(passage)
    return sorted(numbers(statement) - available)


def is_pleasantry(text: str) -> bool:
    """A short courtesy with no facts ("Glad I could help!"), which needs no source."""
    tokens = words(text)
    if not tokens or len(tokens) > _PLEASANTRY_MAX_WORDS or any(c.isdigit() for c in text):
        return False
    if "/" in text or "@" in text or "www." in text.lower():
        return False
    return all(token in _PLEASANTRY_WORDS for token in content_tokens(text))


def passage_sentences(text: str) -> list[str]:
    """The sentences a statement is compared with (question/answer labels removed)."""
    return [s for s in (_LABEL.sub("", sentence) for sentence in split_sentences(text)) if s]


class SentenceVectors:
    """Vectors by text, embedded in one batch per call; `CachedEmbedder` remembers them."""

    def __init__(self, embedder: Embedder, capacity: int = 4096) -> None:
        self.embedder = (
            embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder, capacity)
        )

    def vectors(self, texts: Sequence[str]) -> dict[str, Vector]:
        """A vector for each distinct text; the ones not cached are embedded together."""
        wanted = list(dict.fromkeys(texts))
        if not wanted:
            return {}
        return dict(zip(wanted, self.embedder.embed_documents(wanted), strict=True))


def max_cosine(statement: Vector, sentences: Sequence[Vector]) -> float:
    """Best cosine similarity between a statement and any of a passage's sentences."""
    if not sentences:
        return 0.0
    return float(np.max(np.stack(sentences) @ statement))
