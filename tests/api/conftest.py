"""Fixtures of the HTTP API tests: one real assistant over the demo knowledge base (shared by
every app of the session), and apps with their own settings and SQLite store per test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb_assistant.api.app import create_app
from kb_assistant.assistant import Assistant
from kb_assistant.composition import build_assistant
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import Settings

ADMIN_KEY = "admin-key-for-tests-0123456789"
ANSWERABLE = "How long does delivery take?"
UNANSWERABLE = "What is the capital of Mongolia?"
REFUND = "I was charged twice for my order last week and I want my money back"


@pytest.fixture(scope="session")
def api_assistant(
    demo_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Assistant:
    """The whole reply flow over the demo index; its cases go to a database of its own."""
    database = tmp_path_factory.mktemp("api-cases") / "cases.sqlite3"
    settings = demo_settings.model_copy(
        update={"database_url": f"sqlite:///{database}", "handoff_response_time": "within 2 hours"}
    )
    return build_assistant(settings, embedder=CachedEmbedder(real_embedder))


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(
    clean_env: Path, api_assistant: Assistant, real_embedder: SentenceTransformerEmbedder
) -> Iterator[AppFactory]:
    """Build an app with these settings (started, as a TestClient); closed after the test."""
    clients: list[TestClient] = []

    def make(*, raise_server_exceptions: bool = True, **overrides: Any) -> TestClient:
        settings = Settings(**{"data_dir": clean_env / f"data{len(clients)}", **overrides})
        app = create_app(settings, assistant=api_assistant, embedder=real_embedder)
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    """An app with the admin API enabled and the default limits."""
    return make_client(admin_api_key=ADMIN_KEY)


@dataclass
class Chat:
    """One customer's conversation through the API."""

    client: TestClient
    conversation_id: str
    token: str

    @classmethod
    def start(cls, client: TestClient, **body: Any) -> Chat:
        response = client.post("/api/v1/conversations", json=body)
        assert response.status_code == 201, response.text
        data = response.json()
        return cls(client, data["conversation_id"], data["token"])

    @property
    def url(self) -> str:
        return f"/api/v1/conversations/{self.conversation_id}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, text: str, **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            f"{self.url}/messages", json={"text": text, **extra}, headers=self.auth
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def transcript(self) -> dict[str, Any]:
        response = self.client.get(self.url, headers=self.auth)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a Server-Sent Events body; comments and `retry:` skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def admin(key: str = ADMIN_KEY) -> dict[str, str]:
    return {"X-API-Key": key}
