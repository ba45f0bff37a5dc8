"""The keyword index's snapshots: same scores as llama-index's BM25 retriever, and an index
updated in place equal to one built afresh from the same chunks."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from kb_assistant.index import bm25_snapshot
from kb_assistant.index.bm25 import Bm25Index
from kb_assistant.index.bm25_snapshot import Snapshot
from kb_assistant.index.bm25_terms import terms
from kb_assistant.ports import IndexRecord

DEMO_FAQ = Path(__file__).resolve().parents[2] / "demo" / "kb" / "faq" / "help-center.md"


@pytest.fixture(scope="module")
def words() -> list[str]:
    return sorted(set(re.findall(r"[A-Za-z]{2,}", DEMO_FAQ.read_text(encoding="utf-8"))))


def make_records(words: list[str], count: int, rng: random.Random, tag: str) -> list[IndexRecord]:
    """Chunks of demo words (a skewed draw, so some words are common), with edge cases:
    a chunk of stop words only, one without a title, one with an empty title."""
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    records = []
    for i in range(count):
        text = " ".join(rng.choices(words, weights=weights, k=rng.randint(5, 60)))
        metadata: dict[str, object] = {"title": f"{rng.choice(words)} {tag}{i}", "doc_id": f"d{i}"}
        if i % 17 == 3:
            text = "the of and to"
        if i % 13 == 5:
            del metadata["title"]
        if i % 19 == 7:
            metadata["title"] = ""
        records.append(IndexRecord(f"{tag}-{i}", text, metadata))
    return records


def queries(words: list[str], rng: random.Random, count: int = 40) -> list[str]:
    asked = [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(count)]
    return [*asked, "zzqx unknownword", "the and of", "return return refund"]


def by_id(snapshot: Snapshot, question: str) -> dict[str, float]:
    scores = snapshot.scores(terms(question))
    return {snapshot.ids[i]: float(scores[i]) for i in range(snapshot.size)}


def test_scores_equal_llama_index_bm25_retriever(words: list[str]) -> None:
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    rng = random.Random(7)
    records = make_records(words, 300, rng, "a")
    nodes = [
        TextNode(
            id_=r.id,
            text=r.text,
            metadata=dict(r.metadata),
            excluded_embed_metadata_keys=[key for key in r.metadata if key != "title"],
        )
        for r in records
    ]
    reference = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)
    ours = Snapshot.empty().apply(records, ())
    assert ours.size == len(records)
    matched = 0
    for question in queries(words, rng):
        tokens = [t for t in terms(question) if t in reference.bm25.vocab_dict]
        expected = (
            reference.bm25.get_scores(tokens) if tokens else np.zeros(len(records), np.float32)
        )
        np.testing.assert_allclose(ours.scores(terms(question)), expected, rtol=1e-5, atol=1e-6)
        matched += bool(expected.max() > 0)
    assert matched >= 35, "most questions must match some chunks for the comparison to count"


def test_updates_equal_a_fresh_build(words: list[str]) -> None:
    rng = random.Random(11)
    current = {r.id: r for r in make_records(words, 200, rng, "a")}
    snapshot = Snapshot.empty().apply(list(current.values()), ())
    for round_ in range(6):
        ids = sorted(current)
        deletes = set(rng.sample(ids, 15)) | {"never-indexed"}
        replaced = rng.sample([i for i in ids if i not in deletes], 10)
        fresh = make_records(words, 12, rng, f"n{round_}-")
        edits = [
            IndexRecord(i, f"{current[i].text} edited kettle", current[i].metadata)
            for i in replaced
        ]
        snapshot = snapshot.apply([*edits, *fresh], deletes)
        for chunk_id in deletes:
            current.pop(chunk_id, None)
        current.update({r.id: r for r in [*edits, *fresh]})
    rebuilt = Snapshot.empty().apply(list(current.values()), ())
    assert snapshot.size == rebuilt.size == len(current)
    assert set(snapshot.ids) == set(current)
    assert set(snapshot.live_terms()) == set(rebuilt.live_terms())
    for question in queries(words, rng):
        ours, fresh_scores = by_id(snapshot, question), by_id(rebuilt, question)
        assert ours.keys() == fresh_scores.keys()
        for chunk_id, score in fresh_scores.items():
            assert ours[chunk_id] == pytest.approx(score, rel=1e-5, abs=1e-6), (question, chunk_id)
    assert snapshot.record(0) == current[snapshot.ids[0]]


def test_unused_terms_are_renumbered(words: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bm25_snapshot, "COMPACT_MIN_UNUSED", 1)
    first = [IndexRecord(f"x{i}", f"alphaword{i} betaword{i} kettle", {}) for i in range(40)]
    kept = [IndexRecord("k", "kettle descaling vinegar", {})]
    snapshot = Snapshot.empty().apply([*first, *kept], ())
    after = snapshot.apply([], {r.id for r in first})
    assert len(after.vocabulary) < len(snapshot.vocabulary)
    assert set(after.vocabulary) == set(after.live_terms()) == {"kettl", "descal", "vinegar"}
    assert after.top(terms("vinegar kettle"), 3) == [
        (0, pytest.approx(by_id(after, "vinegar kettle")["k"]))
    ]


def test_index_saves_loads_and_updates_on_disk(tmp_path: Path, words: list[str]) -> None:
    rng = random.Random(3)
    records = make_records(words, 120, rng, "a")
    index = Bm25Index(tmp_path / "bm25")
    assert index.rebuild("public", records) == 120
    question = " ".join(rng.sample(words, 3))
    before = index.query("public", question, 5)

    reader = Bm25Index(tmp_path / "bm25")  # another process: maps the saved folder
    assert [(h.id, h.text, h.metadata) for h in reader.query("public", question, 5)] == [
        (h.id, h.text, h.metadata) for h in before
    ]
    assert (
        index.update(
            "public",
            [IndexRecord("new", "descaling the kettle with vinegar", {"title": "Descaling"})],
            {"a-0"},
        )
        == 120
    )
    assert reader.count("public") == 120
    hit = reader.query("public", "vinegar descaling", 1)[0]
    assert (hit.id, hit.metadata) == ("new", {"title": "Descaling"})
    assert "a-0" not in {h.id for h in reader.query("public", records[0].text, 120)}
    folders = [p.name for p in (tmp_path / "bm25").iterdir() if p.is_dir()]
    assert len(folders) == 1, "older snapshots are removed"
    assert index.update("public", [], {r.id for r in records} | {"new"}) == 0
    assert reader.query("public", "vinegar", 3) == [] and reader.count("public") == 0


def test_index_from_an_earlier_release_is_read_and_rewritten(
    tmp_path: Path, words: list[str]
) -> None:
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    rng = random.Random(5)
    records = make_records(words, 60, rng, "a")
    nodes = [TextNode(id_=r.id, text=r.text, metadata=dict(r.metadata)) for r in records]
    folder = tmp_path / "bm25" / "public-1"
    BM25Retriever.from_defaults(nodes=nodes).persist(str(folder))
    (tmp_path / "bm25" / "public.current").write_text("public-1")
    fresh = Bm25Index(tmp_path / "fresh")
    fresh.rebuild("public", records)

    legacy = Bm25Index(tmp_path / "bm25")
    question = " ".join(rng.sample(words, 4))
    assert legacy.count("public") == 60
    assert [(h.id, h.score) for h in legacy.query("public", question, 5)] == [
        (h.id, h.score) for h in fresh.query("public", question, 5)
    ]
    assert legacy.update("public", [], {"a-1"}) == 59
    assert (
        tmp_path / "bm25" / (tmp_path / "bm25" / "public.current").read_text() / "snapshot.json"
    ).exists()
