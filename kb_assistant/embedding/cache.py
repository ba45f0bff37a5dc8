"""A memoising wrapper for an `Embedder`: passage sentences and titles recur across questions.

Answering embeds the sentences of the top passages for every question; popular passages come
back again and again, so their vectors are kept in a bounded LRU cache. A model that embeds a
query exactly as a document (`symmetric`: no query prompt) also serves queries from it, so a
message the money policy has just embedded is not embedded again for retrieval.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from threading import Lock

import numpy as np

from kb_assistant.ports import Embedder, Vector


class CachedEmbedder:
    """`Embedder` that remembers document vectors by text; queries too where the inner
    model embeds them the same way (`symmetric`)."""

    def __init__(self, inner: Embedder, capacity: int = 20_000) -> None:
        self.inner = inner
        self.capacity = capacity
        self.symmetric = bool(getattr(inner, "symmetric", False))
        self._vectors: OrderedDict[str, Vector] = OrderedDict()
        self._lock = Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def tokenize(self, text: str) -> list[int]:
        return self.inner.tokenize(text)

    def embed_query(self, text: str) -> Vector:
        if self.symmetric:
            return self.embed_documents([text])[0]
        return self.inner.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return self.inner.embed_documents([])
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = self.inner.embed_documents(missing)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                for text in missing:
                    self._vectors[text] = known[text]
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)
