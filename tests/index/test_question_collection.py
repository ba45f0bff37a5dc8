"""The questions chunks answer, embedded beside them in Chroma and matched on their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kb_assistant.embedding.hashing import HashingEmbedder
from kb_assistant.index.chroma import ChromaIndex
from kb_assistant.index.chroma_client import chroma_client
from kb_assistant.index.question_field import joined
from kb_assistant.ports import IndexRecord

RECORDS = [
    IndexRecord(
        "a",
        "Q: How do I update my email address?\nA: Open Account settings and edit Profile.",
        {
            "title": "How do I update my email address?",
            "questions": joined(["How do I update my email address?"]),
        },
    ),
    IndexRecord(
        "b",
        "Q: How do I reset my password?\nA: Use the reset link on the sign-in page.",
        {
            "title": "How do I reset my password?",
            "questions": joined(["How do I reset my password?"]),
        },
    ),
    IndexRecord(
        "c",
        "Descale the kettle monthly with citric acid.",
        {"title": "Kettle guide", "questions": joined(["Cleaning and descaling", "Kettle guide"])},
    ),
]


def index(path: Path, embedder: HashingEmbedder, writes: bool = True) -> ChromaIndex:
    return ChromaIndex(
        chroma_client(None, path),
        prefix="q",
        model_id=embedder.model_id,
        embed_questions=embedder.embed_documents if writes else None,
    )


def write(target: ChromaIndex, embedder: HashingEmbedder) -> None:
    vectors = embedder.embed_documents([r.text for r in RECORDS])
    target.upsert("public", RECORDS, np.asarray(vectors))


def test_a_question_finds_the_chunk_whose_question_it_repeats(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    chroma = index(tmp_path, embedder)
    write(chroma, embedder)

    hits = chroma.query_questions("public", embedder.embed_query("Cleaning and descaling"), 2)

    assert hits[0].id == "c" and hits[0].score > 0.99
    assert hits[0].text.startswith("Descale")  # the chunk's own text and metadata
    assert hits[0].metadata["title"] == "Kettle guide"
    assert len({h.id for h in hits}) == len(hits)  # each chunk once
    assert chroma.count("public") == 3  # the questions are not counted as chunks


def test_deleting_a_chunk_deletes_its_questions(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    chroma = index(tmp_path, embedder)
    write(chroma, embedder)

    chroma.delete("public", ["c"])

    hits = chroma.query_questions("public", embedder.embed_query("Cleaning and descaling"), 3)
    assert "c" not in {h.id for h in hits}


def test_an_index_written_without_questions_gets_them_on_sync(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    write(index(tmp_path, embedder, writes=False), embedder)
    chroma = index(tmp_path, embedder)
    assert chroma.query_questions("public", embedder.embed_query("Kettle guide"), 1) == []

    assert chroma.sync_questions("public") == 4
    assert chroma.sync_questions("public") == 0  # already there

    assert chroma.query_questions("public", embedder.embed_query("Kettle guide"), 1)[0].id == "c"


def test_reset_removes_the_question_collections(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    chroma = index(tmp_path, embedder)
    write(chroma, embedder)

    chroma.reset()

    names = {c.name for c in chroma_client(None, tmp_path).list_collections()}
    assert not {n for n in names if n.startswith("q-")}


def test_chunks_the_caller_already_has_come_without_their_text(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    chroma = index(tmp_path, embedder)
    write(chroma, embedder)
    query = embedder.embed_query("Cleaning and descaling")

    hits = {h.id: h for h in chroma.query_questions("public", query, 3, known={"c"})}

    assert hits["c"].text == "" and hits["c"].score > 0.99  # scored, not fetched again
    assert all(h.text for i, h in hits.items() if i != "c")
