"""Embedding on Ray actors: a local Ray on this machine, the real model, real Chroma.

Ray starts once for the module (two single-thread actors); the vectors must be the plain
embedder's, row for row, and ingestion must work unchanged with the Ray embedder in place.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "ray", reason='Ray is an optional extra: pip install "kb-assistant[ray]" to run these tests'
)

from ingest.ray_embedder import RayEmbedder
from kb_assistant.composition import build_ingest_pipeline, build_vector_index
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import ConfigurationError, Settings, bundled_model_path
from tests.conftest import DEMO_KB

SHARD_SIZE = 40


@pytest.fixture(scope="module")
def plain() -> SentenceTransformerEmbedder:
    """The plain embedder in float32 (bf16 rounding depends on how texts are batched)."""
    return SentenceTransformerEmbedder(bundled_model_path(), dtype="float32")


@pytest.fixture(scope="module")
def ray_embedder() -> Iterator[RayEmbedder]:
    embedder = RayEmbedder(
        bundled_model_path(),
        address=None,
        actors=2,
        threads=1,
        dtype="float32",
        shard_size=SHARD_SIZE,
    )
    embedder.start()
    yield embedder
    embedder.close()


def varied_texts(count: int = 300) -> list[str]:
    """Help-centre words in texts from one word to past the model's 256-token limit."""
    words = (DEMO_KB / "faq" / "help-center.md").read_text(encoding="utf-8").split()
    rng = random.Random(7)
    texts = [
        " ".join(rng.choices(words, k=rng.choice([1, 3, 8, 20, 40, 80]))) for _ in range(count)
    ]
    texts[:4] = ["", "Où est ma commande ? 🚚", "Wie lange dauert die Lieferung?", "  refund  "]
    texts[count // 2] = " ".join(words[:400])  # truncated to the model's 256 tokens
    return texts


def test_vectors_equal_the_plain_embedders_in_order(
    ray_embedder: RayEmbedder, plain: SentenceTransformerEmbedder
) -> None:
    texts = varied_texts()
    before = ray_embedder.stats.shards

    vectors = ray_embedder.embed_documents(texts)

    expected = plain.embed_documents(texts)
    assert ray_embedder.actor_count == 2
    assert vectors.dtype == np.float32
    assert vectors.shape == expected.shape == (300, 384)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    assert ray_embedder.stats.shards - before == 8  # ceil(300 / 40)
    assert ray_embedder.stats.texts_per_second > 0


def test_a_permutation_comes_back_permuted(ray_embedder: RayEmbedder) -> None:
    texts = varied_texts(80)
    order = np.random.default_rng(3).permutation(len(texts))

    straight = ray_embedder.embed_documents(texts)
    shuffled = ray_embedder.embed_documents([texts[i] for i in order])

    np.testing.assert_allclose(shuffled, straight[order], atol=1e-5)


def test_empty_input_gives_an_empty_matrix(ray_embedder: RayEmbedder) -> None:
    vectors = ray_embedder.embed_documents([])

    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_model_facts_are_the_plain_embedders(
    ray_embedder: RayEmbedder, plain: SentenceTransformerEmbedder
) -> None:
    text = "How do I return a kettle that arrived damaged?"

    assert ray_embedder.model_id == plain.model_id
    assert ray_embedder.max_tokens == plain.max_tokens == 256
    assert ray_embedder.tokenize(text) == plain.tokenize(text)
    np.testing.assert_allclose(ray_embedder.embed_query(text), plain.embed_query(text), atol=1e-5)


def test_an_unreachable_address_is_named_quickly() -> None:
    embedder = RayEmbedder(bundled_model_path(), address="ray://127.0.0.1:1", connect_timeout=2)
    started = time.monotonic()

    with pytest.raises(ConfigurationError, match=r"ray://127\.0\.0\.1:1"):
        embedder.start()

    assert time.monotonic() - started < 5
    assert embedder.actor_count == 0


def test_a_malformed_address_is_refused() -> None:
    embedder = RayEmbedder(bundled_model_path(), address="ray://head-node")

    with pytest.raises(ConfigurationError, match="HOST:PORT"):
        embedder.start()


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    embedder = RayEmbedder(bundled_model_path(), address=None)

    with pytest.raises(ConfigurationError, match=r'pip install "kb-assistant\[ray\]"'):
        embedder.embed_documents(["a parcel"])


def test_ingestion_writes_what_the_actors_embedded(
    ray_embedder: RayEmbedder,
    plain: SentenceTransformerEmbedder,
    clean_env: Path,
) -> None:
    settings = Settings(data_dir=clean_env / "data")
    pipeline = build_ingest_pipeline(settings, embedder=ray_embedder)
    shards_before = ray_embedder.stats.shards

    report = pipeline.run([DEMO_KB / "faq"], visibility="public")

    assert report.failures == []
    assert report.chunks_embedded > 0
    assert report.chunks_written > 0
    assert ray_embedder.stats.shards > shards_before
    index = build_vector_index(settings, plain)
    assert index.count("public") == report.chunks_written
