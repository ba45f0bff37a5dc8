"""Refusals: too long, empty, malformed, too many; and the one error shape for all of them."""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

from fastapi.testclient import TestClient

from tests.api.conftest import ANSWERABLE, AppFactory, Chat


class Response(Protocol):
    """What the checks read of a response (the test client's httpx flavour varies)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def assert_error(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"] and "Traceback" not in response.text


def test_a_message_over_the_limit_is_refused_before_anything_runs(
    make_client: AppFactory,
) -> None:
    client = make_client(max_message_chars=50)
    chat = Chat.start(client)

    response = client.post(f"{chat.url}/messages", json={"text": "x" * 51}, headers=chat.auth)

    assert_error(response, 413, "message_too_large")
    assert "50" in response.json()["error"]["message"]
    assert chat.transcript()["messages"] == []  # nothing stored, nothing answered
    assert client.post(
        f"{chat.url}/messages", json={"text": "x" * 50}, headers=chat.auth
    ).is_success


def test_a_body_over_64_kib_is_refused(client: TestClient) -> None:
    chat = Chat.start(client)
    huge = '{"text": "' + "x" * (70 * 1024) + '"}'
    headers = {**chat.auth, "Content-Type": "application/json"}

    declared = client.post(f"{chat.url}/messages", content=huge, headers=headers)
    streamed = client.post(
        f"{chat.url}/messages",
        content=iter([huge[:40_000].encode(), huge[40_000:].encode()]),
        headers=headers,
    )

    assert_error(declared, 413, "message_too_large")
    assert_error(streamed, 413, "message_too_large")


def test_an_empty_message_is_invalid(client: TestClient) -> None:
    chat = Chat.start(client)
    for body in ({"text": ""}, {"text": "   "}, {}, {"text": 5}, {"text": "hi", "tone": "rude"}):
        response = client.post(f"{chat.url}/messages", json=body, headers=chat.auth)
        assert_error(response, 422, "invalid_request")


def test_malformed_json_is_a_bad_request(client: TestClient) -> None:
    chat = Chat.start(client)
    response = client.post(
        f"{chat.url}/messages",
        content=b'{"text": "hello"',
        headers={**chat.auth, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "bad_request")
    assert "JSON" in response.json()["error"]["message"]


def test_a_conversation_over_its_message_limit_is_told_when_to_retry(
    make_client: AppFactory,
) -> None:
    client = make_client(rate_limit_conversation="2/60")
    chat, other = Chat.start(client), Chat.start(client)
    chat.send(ANSWERABLE)
    chat.send(ANSWERABLE)

    response = client.post(f"{chat.url}/messages", json={"text": ANSWERABLE}, headers=chat.auth)

    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert other.send(ANSWERABLE)["reply"]["action"] == "answer"  # others are not affected
    metrics = client.get("/metrics").text
    assert 'kb_rate_limited_total{scope="conversation"} 1.0' in metrics


def test_a_client_over_its_limit_cannot_open_more_conversations(
    make_client: AppFactory,
) -> None:
    client = make_client(rate_limit_client="3/60")
    for _ in range(3):
        assert client.post("/api/v1/conversations", json={}).status_code == 201

    response = client.post("/api/v1/conversations", json={})

    assert_error(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1
    assert 'kb_rate_limited_total{scope="client"} 1.0' in client.get("/metrics").text


def test_unknown_addresses_and_methods_answer_in_the_same_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/v1/conversations"), 405, "method_not_allowed")
    assert_error(client.get("/no-such-file.js"), 404, "not_found")
    assert_error(
        client.get("/api/v1/conversations/c_x", headers={"Authorization": "Basic x"}),
        401,
        "unauthorized",
    )


def test_an_unexpected_failure_is_a_500_without_a_traceback(
    make_client: AppFactory,
) -> None:
    client = make_client(raise_server_exceptions=False)
    chat = Chat.start(client)
    database = client.app.state.kb.settings.resolved_database_url  # type: ignore[attr-defined]
    with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
        connection.execute("DROP TABLE conversation_feedback")
        connection.execute("DROP TABLE conversation_messages")

    response = client.get(chat.url, headers=chat.auth)

    assert_error(response, 500, "internal_error")
    assert "conversation_messages" not in response.text  # no internals leak
