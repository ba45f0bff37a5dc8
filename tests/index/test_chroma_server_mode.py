"""Server mode: the vector index on a real `chroma run` server on loopback.

Several processes (web server, Slack app, ingestion) can share one index only through a
Chroma server; these tests run the index contract, ingestion and answering over one, and
check that a second process sees the vectors at once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest

from eval.server import free_port
from kb_assistant.composition import build_answer_service, build_ingest_pipeline
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.index.chroma import PAGE_SIZE, ChromaIndex, IndexMismatchError
from kb_assistant.index.chroma_client import IndexUnavailableError, chroma_client
from kb_assistant.ports import IndexRecord, Vector
from kb_assistant.settings import Settings
from tests.chroma_server import ChromaServer, chroma_server  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_FAQ = REPO_ROOT / "demo" / "kb" / "faq"


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def open_index(server: ChromaServer, prefix: str, model_id: str = "m1") -> ChromaIndex:
    client = chroma_client(server.url, Path("/nonexistent/embedded-chroma"))
    return ChromaIndex(client, prefix=prefix, model_id=model_id)


@pytest.fixture
def index(chroma_server: ChromaServer) -> ChromaIndex:  # noqa: F811
    return open_index(chroma_server, unique_prefix())


def unit(*values: float) -> Vector:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def random_units(n: int, dim: int, seed: int) -> Vector:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def records(n: int, prefix: str = "c") -> list[IndexRecord]:
    return [IndexRecord(f"{prefix}{i}", f"text {i}", {"doc_id": f"d{i}", "n": i}) for i in range(n)]


def test_upsert_query_and_count(index: ChromaIndex) -> None:
    index.upsert("public", records(3), np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(1, 1, 0)]))

    hits = index.query("public", unit(1, 0.1, 0), k=2)

    assert [h.id for h in hits] == ["c0", "c2"]
    assert hits[0].score == pytest.approx(0.995, abs=0.01) and hits[0].score > hits[1].score
    assert hits[0].text == "text 0" and hits[0].metadata == {"doc_id": "d0", "n": 0}
    assert index.count("public") == 3 and index.count("internal") == 0
    assert index.query("internal", unit(1, 0, 0), k=5) == []


def test_delete_ids_embeddings_and_replace(index: ChromaIndex) -> None:
    index.upsert("public", records(3), np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))
    index.delete("public", ["c1"])
    index.upsert("public", [IndexRecord("c2", "new text", {"doc_id": "d2"})], unit(0, 1)[None])

    assert index.ids("public") == {"c0", "c2"}
    stored = index.get_embeddings("public", ["c0", "c1", "c2"])
    assert set(stored) == {"c0", "c2"} and np.allclose(stored["c2"], unit(0, 1))
    assert {r.id: r.text for r in index.records("public")} == {"c0": "text 0", "c2": "new text"}


def test_matching_by_metadata(index: ChromaIndex) -> None:
    index.upsert("public", records(3), np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))

    assert [r.id for r in index.matching("public", {"doc_id": "d1"})] == ["c1"]
    assert index.matching("public", {"doc_id": "d1", "n": "nope"}) == []
    assert index.matching("internal", {"doc_id": "d1"}) == []


def test_more_records_than_a_page(index: ChromaIndex) -> None:
    exact, ragged = 2 * PAGE_SIZE, PAGE_SIZE + 7
    public, internal = random_units(exact, 8, seed=1), random_units(ragged, 8, seed=2)
    index.upsert("public", records(exact), public)
    index.upsert("internal", records(ragged, "i"), internal)

    assert index.count("public") == exact and index.count("internal") == ragged
    assert index.ids("public") == {f"c{i}" for i in range(exact)}
    assert len({r.id for r in index.records("internal")}) == ragged
    stored = index.get_embeddings("public", [f"c{i}" for i in range(exact)])
    assert len(stored) == exact and np.allclose(stored[f"c{exact - 1}"], public[-1], atol=1e-6)


def test_other_model_is_refused(chroma_server: ChromaServer) -> None:  # noqa: F811
    prefix = unique_prefix()
    open_index(chroma_server, prefix, "m1").upsert("public", records(1), unit(1, 0)[None])

    with pytest.raises(IndexMismatchError, match=r"'m1'.*'m2'"):
        open_index(chroma_server, prefix, "m2").query("public", unit(1, 0), k=1)


def test_ingest_and_answer_over_the_server(
    chroma_server: ChromaServer,  # noqa: F811
    clean_env: Path,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    settings = Settings(
        data_dir=clean_env / "data", chroma_url=chroma_server.url, collection_prefix=unique_prefix()
    )

    report = build_ingest_pipeline(settings, embedder=real_embedder).run(
        [DEMO_FAQ], visibility="public"
    )
    answer = build_answer_service(settings, embedder=real_embedder).answer(
        AnswerRequest("How long does delivery take?")
    )

    assert report.failures == [] and report.chunks_written > 0
    assert answer.action == "answer", answer.reason
    assert answer.citations[0].title == "How long does delivery take?"
    embedded = settings.resolved_chroma_path
    assert not embedded.exists() or not any(embedded.iterdir())


CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from kb_assistant.index.chroma import ChromaIndex
    from kb_assistant.index.chroma_client import chroma_client
    from kb_assistant.ports import IndexRecord

    url, prefix, vector = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    index = ChromaIndex(chroma_client(url, Path("unused")), prefix=prefix, model_id="m1")
    seen = index.count("public")
    record = IndexRecord("from-child", "written by another process", {"doc_id": "child"})
    index.upsert("public", [record], np.asarray([vector], dtype=np.float32))
    print(json.dumps({"seen": seen, "after": index.count("public")}))
    """
)


def run_child(server: ChromaServer, prefix: str, vector: Vector, workdir: Path) -> dict[str, int]:
    script = workdir / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), server.url, prefix, json.dumps(vector.tolist())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_second_process_shares_the_index(chroma_server: ChromaServer, tmp_path: Path) -> None:  # noqa: F811
    prefix = unique_prefix()
    index = open_index(chroma_server, prefix)
    vectors = random_units(50, 16, seed=3)
    index.upsert("public", records(50), vectors)
    assert index.query("public", vectors[0], k=1)[0].id == "c0"  # collection open and queried

    child_vector = random_units(1, 16, seed=4)[0]
    child = run_child(chroma_server, prefix, child_vector, tmp_path)

    assert child == {"seen": 50, "after": 51}
    assert index.count("public") == 51
    hit = index.query("public", child_vector, k=1)[0]
    assert hit.id == "from-child" and hit.score == pytest.approx(1.0, abs=1e-4)


def test_url_with_no_server_is_a_configuration_error(
    clean_env: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(data_dir=clean_env / "data", chroma_url=url)

    with pytest.raises(IndexUnavailableError, match=re.escape(f"KB_CHROMA_URL={url!r}")):
        build_ingest_pipeline(settings, embedder=real_embedder)
    with pytest.raises(IndexUnavailableError, match="no Chroma server answers"):
        build_answer_service(settings, embedder=real_embedder)
    assert not settings.resolved_chroma_path.exists()


def test_versions_built_by_reindex_jobs_live_on_the_server(
    chroma_server: ChromaServer,  # noqa: F811
    real_embedder: SentenceTransformerEmbedder,
    clean_env: Path,
) -> None:
    from ingest.sources import load_sources_config
    from kb_assistant.composition import build_registry, build_reindex_job

    sources = clean_env / "sources.yaml"
    prefix = unique_prefix()
    sources.write_text(
        f"sources:\n  - name: faq\n    paths: [{DEMO_FAQ}]\nkeep_versions: 1\n", encoding="utf-8"
    )
    settings = Settings(
        data_dir=clean_env / "data", chroma_url=chroma_server.url, collection_prefix=prefix
    )
    config = load_sources_config(sources)
    for _ in range(3):
        report = build_reindex_job(settings, embedder=real_embedder).run(config, full=True)
        assert report.switched and report.consistency is not None and report.consistency.ok

    names = {c.name for c in chroma_client(chroma_server.url, Path("/x")).list_collections()}
    ours = sorted(name for name in names if name.startswith(prefix))
    assert ours == [  # v1 pruned on the server, its questions with it
        f"{prefix}-v2-public",
        f"{prefix}-v2-public-questions",
        f"{prefix}-v3-public",
        f"{prefix}-v3-public-questions",
    ]
    assert build_registry(settings).live_id() == 3
    answer = build_answer_service(settings, embedder=real_embedder).answer(
        AnswerRequest("How long does delivery take?")
    )
    assert answer.action == "answer"
    assert not settings.resolved_chroma_path.exists()
