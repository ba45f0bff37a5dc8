"""A deterministic, dependency-free embedder for fast unit tests of pure logic.

Feature hashing of word unigrams and bigrams: texts sharing words get similar vectors, so
retrieval logic behaves sensibly without loading a neural model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from kb_assistant.ports import Vector

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class HashingEmbedder:
    """Embedder with the same interface as the real one; tokens are words and punctuation."""

    def __init__(self, dimension: int = 256, max_tokens: int = 512) -> None:
        self._dimension = dimension
        self._max_tokens = max_tokens
        self.calls = 0
        self.texts_embedded = 0

    @property
    def model_id(self) -> str:
        return f"hashing-{self._dimension}"

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def tokenize(self, text: str) -> list[int]:
        return [_bucket(token.lower(), 1 << 30) for token in _WORD.findall(text)]

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        self.calls += 1
        self.texts_embedded += len(texts)
        rows = [self._embed(text) for text in texts]
        return np.stack(rows) if rows else np.zeros((0, self._dimension), dtype=np.float32)

    def embed_query(self, text: str) -> Vector:
        return self._embed(text)

    def _embed(self, text: str) -> Vector:
        words = [w.lower() for w in _WORD.findall(text) if w.isalnum()]
        features = words + [f"{a} {b}" for a, b in pairwise(words)]
        vector = np.zeros(self._dimension, dtype=np.float32)
        for feature in features:
            bucket = _bucket(feature, 2 * self._dimension)
            vector[bucket % self._dimension] += 1.0 if bucket < self._dimension else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm


def _bucket(feature: str, buckets: int) -> int:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % buckets
