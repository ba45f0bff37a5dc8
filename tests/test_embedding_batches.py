"""The real embedder's forward passes: texts of like length together, within a token budget."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from kb_assistant.embedding import SentenceTransformerEmbedder

TEXTS = [
    "refund",
    "How long does delivery to the Channel Islands take, and who pays the import duty on "
    "arrival if the parcel is held at customs for more than a week?",
    "Descale the kettle once a month.",
    "gift",
    "Unplug the kettle and let it cool completely before you pour in the vinegar and water, "
    "then leave it for an hour and rinse it out three times with clean water.",
    "Which cards do you take?",
]


@pytest.fixture()
def embedder(real_embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """The session's loaded model under its own batching settings."""
    return copy.copy(real_embedder)


def test_every_text_is_in_exactly_one_pass_within_the_budget(
    embedder: SentenceTransformerEmbedder,
) -> None:
    embedder.batch_tokens, embedder.batch_size = 64, 32
    lengths = [len(embedder.tokenize(t)) + 2 for t in TEXTS]  # with [CLS] and [SEP]
    batches = embedder._batches(TEXTS, 256)
    assert sorted(i for batch in batches for i in batch) == list(range(len(TEXTS)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 64
    # longest first, so each pass pads only to texts of like length
    firsts = [lengths[batch[0]] for batch in batches]
    assert firsts == sorted(firsts, reverse=True)
    assert len(batches) > 1


def test_short_texts_share_one_pass_up_to_the_batch_size(
    embedder: SentenceTransformerEmbedder,
) -> None:
    words = [f"word{i}" for i in range(40)]
    embedder.batch_tokens, embedder.batch_size = 512, 32
    assert [len(b) for b in embedder._batches(words, 256)] == [32, 8]


def test_vectors_do_not_depend_on_how_texts_are_batched(
    embedder: SentenceTransformerEmbedder,
) -> None:
    embedder.batch_tokens = 1  # one text per pass
    alone = embedder.embed_documents(TEXTS)
    embedder.batch_tokens = 100_000  # everything in one pass
    together = embedder.embed_documents(TEXTS)
    assert alone.shape == together.shape == (len(TEXTS), 384)
    cosines = np.sum(alone * together, axis=1)
    assert cosines.min() > 0.999  # same texts, same order (bf16 rounding aside)
