"""The API with an LLM configured (a scripted one, at the LLM boundary): the reply streams
sentence by sentence, the verifier still guards it, and the tokens it cost are counted."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from kb_assistant.api.app import create_app
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from tests.answering.test_service import GOOD_REPLY, MONEY
from tests.api.conftest import Chat, parse_sse
from tests.fakes.llm import ScriptedLLM

QUESTION = "How do I descale my kettle?"


def _llm_client(
    demo_settings: Settings, tmp_path: Path, embedder: SentenceTransformerEmbedder, reply: str
) -> TestClient:
    """An app over the demo index whose own assistant uses a scripted LLM."""
    settings = demo_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    )
    app = create_app(settings, embedder=embedder, llm=ScriptedLLM([reply]))
    return TestClient(app)


def test_an_llm_reply_streams_sentence_by_sentence_and_its_tokens_are_counted(
    demo_settings: Settings, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    with _llm_client(demo_settings, tmp_path, real_embedder, GOOD_REPLY) as client:
        chat = Chat.start(client)
        with client.stream(
            "POST",
            f"{chat.url}/messages",
            json={"text": QUESTION},
            headers={**chat.auth, "Accept": "text/event-stream"},
        ) as response:
            assert response.status_code == 200
            events = parse_sse(response.read().decode())
        metrics = client.get("/metrics").text

    tokens = [data["text"] for name, data in events if name == "token"]
    done = [data for name, data in events if name == "done"]
    assert len(tokens) >= 4, "each verified sentence of the LLM's reply comes as it is written"
    assert len(done) == 1 and done[0]["reply"]["action"] == "answer"
    assert "white vinegar" in done[0]["reply"]["text"]
    assert done[0]["reply"]["citations"], "the LLM's reply keeps its sources"
    counted = {
        direction: float(value)
        for direction, value in re.findall(
            r'^kb_llm_tokens_total\{direction="(in|out)"\} (\S+)$', metrics, re.MULTILINE
        )
    }
    assert counted.get("in", 0) > 0 and counted.get("out", 0) > 0, metrics


def test_an_llm_money_promise_never_reaches_the_customer_through_the_api(
    demo_settings: Settings, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    reply = f"{MONEY} {GOOD_REPLY}"
    with _llm_client(demo_settings, tmp_path, real_embedder, reply) as client:
        chat = Chat.start(client)
        with client.stream(
            "POST",
            f"{chat.url}/messages",
            json={"text": QUESTION},
            headers={**chat.auth, "Accept": "text/event-stream"},
        ) as response:
            body = response.read().decode()

    streamed = "".join(data["text"] for name, data in parse_sse(body) if name == "token")
    final = next(data for name, data in parse_sse(body) if name == "done")["reply"]["text"]
    for text in (streamed, final):
        assert "refund" not in text.lower()
        assert "white vinegar" in text
