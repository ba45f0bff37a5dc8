"""Contract for `VectorIndex` adapters, run against real embedded Chroma."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kb_assistant.index.chroma import ChromaIndex, IndexMismatchError
from kb_assistant.index.chroma_client import chroma_client
from kb_assistant.ports import IndexRecord, VectorIndex


@pytest.fixture
def client_path(tmp_path: Path) -> Path:
    return tmp_path / "chroma"


@pytest.fixture
def index(client_path: Path) -> Iterator[VectorIndex]:
    yield ChromaIndex(chroma_client(None, client_path), prefix="test", model_id="m1")


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def records(n: int, prefix: str = "c") -> list[IndexRecord]:
    return [IndexRecord(f"{prefix}{i}", f"text {i}", {"doc_id": f"d{i}", "n": i}) for i in range(n)]


def test_query_ranks_by_cosine(index: VectorIndex) -> None:
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(1, 1, 0)])
    index.upsert("public", records(3), vectors)

    hits = index.query("public", unit(1, 0.1, 0), k=2)

    assert [h.id for h in hits] == ["c0", "c2"]
    assert hits[0].score > hits[1].score and hits[0].score == pytest.approx(0.995, abs=0.01)
    assert hits[0].text == "text 0" and hits[0].metadata["doc_id"] == "d0"


def test_visibilities_are_separate_collections(index: VectorIndex) -> None:
    index.upsert("internal", records(2, "secret"), np.stack([unit(1, 0), unit(0, 1)]))

    assert index.query("public", unit(1, 0), k=5) == []
    assert index.count("public") == 0 and index.count("internal") == 2


def test_delete_get_ids_records(index: VectorIndex) -> None:
    index.upsert("public", records(3), np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))
    index.delete("public", ["c1"])

    assert index.ids("public") == {"c0", "c2"}
    stored = index.get_embeddings("public", ["c0", "c1"])
    assert set(stored) == {"c0"} and np.allclose(stored["c0"], unit(1, 0))
    assert sorted(r.id for r in index.records("public")) == ["c0", "c2"]


def test_upsert_replaces_same_id(index: VectorIndex) -> None:
    index.upsert("public", records(1), np.stack([unit(1, 0)]))
    index.upsert(
        "public", [IndexRecord("c0", "new text", {"doc_id": "d0"})], np.stack([unit(0, 1)])
    )

    assert index.count("public") == 1
    assert next(iter(index.records("public"))).text == "new text"


def test_many_records_page_through(index: VectorIndex) -> None:
    n = 4500
    vectors = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    index.upsert("public", records(n), vectors / np.linalg.norm(vectors, axis=1, keepdims=True))

    assert index.count("public") == n
    assert len(index.ids("public")) == n
    assert sum(1 for _ in index.records("public")) == n


def test_reset_empties_everything(index: VectorIndex) -> None:
    index.upsert("public", records(2), np.stack([unit(1, 0), unit(0, 1)]))

    index.reset()

    assert index.count("public") == 0 and index.ids("public") == set()


def test_reopened_with_another_model_is_refused(index: VectorIndex, client_path: Path) -> None:
    index.upsert("public", records(1), np.stack([unit(1, 0)]))
    other = ChromaIndex(chroma_client(None, client_path), prefix="test", model_id="m2")

    with pytest.raises(IndexMismatchError, match="m1"):
        other.count("public")


def test_bad_server_url_is_explained() -> None:
    with pytest.raises(ValueError, match="KB_CHROMA_URL"):
        chroma_client("localhost:8000", Path("unused"))


def test_matching_finds_records_by_metadata(index: VectorIndex) -> None:
    index.upsert("public", records(3), np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))
    index.upsert("internal", records(1), np.stack([unit(1, 0)]))

    found = index.matching("public", {"doc_id": "d1"})

    assert [r.id for r in found] == ["c1"] and found[0].text == "text 1"
    assert index.matching("public", {"doc_id": "d1", "n": "nope"}) == []
    assert index.matching("public", {"doc_id": "missing"}) == []
