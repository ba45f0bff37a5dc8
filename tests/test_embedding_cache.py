"""The memoising embedder: same vectors as the inner one, fewer calls to it."""

from __future__ import annotations

import numpy as np

from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.embedding.hashing import HashingEmbedder

TEXTS = ["Unplug the kettle.", "Let it cool.", "Fill it with vinegar."]


def test_vectors_equal_the_inner_embedders() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(HashingEmbedder())
    expected = inner.embed_documents(TEXTS)
    first = cached.embed_documents(TEXTS)
    again = cached.embed_documents(list(reversed(TEXTS)))
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(again, expected[::-1])


def test_the_inner_embedder_sees_only_unseen_texts() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner)
    cached.embed_documents(TEXTS[:2])
    assert (inner.calls, inner.texts_embedded) == (1, 2)
    cached.embed_documents(TEXTS)  # one new text
    assert (inner.calls, inner.texts_embedded) == (2, 3)
    cached.embed_documents(TEXTS)  # all known
    assert (inner.calls, inner.texts_embedded) == (2, 3)


def test_repeated_texts_in_one_call_are_embedded_once() -> None:
    inner = HashingEmbedder()
    vectors = CachedEmbedder(inner).embed_documents(["a b", "c d", "a b"])
    assert inner.texts_embedded == 2
    assert vectors.shape == (3, 256)
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_least_recently_used_texts_are_evicted_beyond_capacity() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner, capacity=2)
    cached.embed_documents(["one"])
    cached.embed_documents(["two"])
    cached.embed_documents(["one"])  # "one" is now the most recently used
    cached.embed_documents(["three"])  # evicts "two"
    assert inner.texts_embedded == 3
    cached.embed_documents(["one", "three"])
    assert inner.texts_embedded == 3
    cached.embed_documents(["two"])
    assert inner.texts_embedded == 4


def test_a_returned_array_can_be_changed_without_changing_the_cache() -> None:
    cached = CachedEmbedder(HashingEmbedder())
    vectors = cached.embed_documents(TEXTS)
    vectors[:] = 0.0
    np.testing.assert_array_equal(
        cached.embed_documents(TEXTS), HashingEmbedder().embed_documents(TEXTS)
    )


def test_empty_input_and_queries_go_to_the_inner_embedder() -> None:
    inner = HashingEmbedder(dimension=32)
    cached = CachedEmbedder(inner)
    assert cached.embed_documents([]).shape == (0, 32)
    query = cached.embed_query("descale the kettle")
    np.testing.assert_array_equal(query, inner.embed_query("descale the kettle"))
    assert cached.model_id == inner.model_id
    assert cached.max_tokens == inner.max_tokens
    assert cached.tokenize("Unplug it.") == inner.tokenize("Unplug it.")


class _SymmetricHashing(HashingEmbedder):
    """Embeds a query exactly as a document, as the sentence-transformers adapter does."""

    symmetric = True


def test_a_symmetric_models_query_is_served_from_the_document_cache() -> None:
    inner = _SymmetricHashing()
    cached = CachedEmbedder(inner)
    message = "my parcel never came"
    document = cached.embed_documents([message])[0]  # the money policy embeds the message
    query = cached.embed_query(message)  # retrieval asks for it again
    assert (inner.calls, inner.texts_embedded) == (1, 1)
    np.testing.assert_array_equal(query, document)


class _QueryCounting(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.queries += 1
        return super().embed_query(text)


def test_an_asymmetric_models_query_is_never_taken_for_a_document() -> None:
    inner = _QueryCounting()  # no `symmetric`: a query may be embedded differently
    cached = CachedEmbedder(inner)
    cached.embed_documents(["my parcel never came"])
    cached.embed_query("my parcel never came")
    cached.embed_query("my parcel never came")
    assert not cached.symmetric
    assert (inner.calls, inner.queries) == (1, 2)
