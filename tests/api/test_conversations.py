"""Conversations and their tokens: who may read and write a conversation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb_assistant.api.tokens import ConversationTokens, TokenError
from tests.api.conftest import AppFactory, Chat


def test_a_new_conversation_gets_an_id_and_a_signed_token_that_expires(
    make_client: AppFactory,
) -> None:
    client = make_client(token_ttl_s=600)
    response = client.post("/api/v1/conversations", json={})

    assert response.status_code == 201
    body = response.json()
    assert body["conversation_id"].startswith("c_") and len(body["conversation_id"]) == 34
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires.tzinfo is not None
    assert 590 <= (expires - datetime.now(UTC)).total_seconds() <= 601
    transcript = client.get(
        f"/api/v1/conversations/{body['conversation_id']}",
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert transcript.json() == {
        "conversation_id": body["conversation_id"],
        "handoff": None,
        "messages": [],
    }


def test_a_conversation_can_be_created_without_a_body_or_with_a_contact(
    client: TestClient,
) -> None:
    assert client.post("/api/v1/conversations").status_code == 201
    contact = {"contact": {"name": "Ada", "email": "ada@example.com"}}
    assert client.post("/api/v1/conversations", json=contact).status_code == 201
    bad = {"contact": {"email": "not an email"}}
    assert client.post("/api/v1/conversations", json=bad).status_code == 422


def test_calls_without_a_token_are_unauthorized(client: TestClient) -> None:
    chat = Chat.start(client)
    response = client.get(chat.url)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_tampered_token_is_unauthorized(client: TestClient) -> None:
    chat = Chat.start(client)
    body, _, signature = chat.token.rpartition(".")
    flipped = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    longer = chat.token.replace(".", ".9", 2)  # a later expiry under the old signature

    for token in (flipped, longer, "garbage", ""):
        response = client.get(chat.url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorized"


def test_an_expired_token_is_unauthorized(make_client: AppFactory) -> None:
    client = make_client(token_secret="s" * 32)
    chat = Chat.start(client)
    old = ConversationTokens(b"s" * 32, 3600).issue(chat.conversation_id, time.time() - 7200)

    response = client.get(chat.url, headers={"Authorization": f"Bearer {old.token}"})

    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_a_token_for_another_conversation_is_forbidden(client: TestClient) -> None:
    mine, theirs = Chat.start(client), Chat.start(client)

    response = client.get(theirs.url, headers=mine.auth)
    posted = client.post(f"{theirs.url}/messages", json={"text": "hello"}, headers=mine.auth)

    assert response.status_code == 403 and posted.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_the_token_also_works_as_a_query_parameter(client: TestClient) -> None:
    chat = Chat.start(client)
    assert client.get(chat.url, params={"token": chat.token}).status_code == 200


def test_a_still_valid_token_can_be_refreshed(client: TestClient) -> None:
    chat = Chat.start(client)

    response = client.post(f"{chat.url}/token", headers=chat.auth)

    assert response.status_code == 200
    fresh = response.json()
    assert fresh["conversation_id"] == chat.conversation_id
    assert client.get(chat.url, headers={"Authorization": f"Bearer {fresh['token']}"}).is_success


def test_tokens_signed_with_another_secret_are_refused() -> None:
    ours, theirs = ConversationTokens(b"a" * 32, 60), ConversationTokens(b"b" * 32, 60)
    issued = theirs.issue("c_1")
    with pytest.raises(TokenError, match="not valid"):
        ours.verify(issued.token)
    assert ours.verify(ours.issue("c_1").token)[0] == "c_1"


def test_the_generated_secret_is_kept_private_and_survives_a_restart(
    make_client: AppFactory, clean_env: Path
) -> None:
    data_dir = clean_env / "restarted"
    chat = Chat.start(make_client(data_dir=data_dir))

    assert (data_dir / "token_secret").stat().st_mode & 0o777 == 0o600
    restarted = make_client(data_dir=data_dir)
    assert restarted.get(chat.url, headers=chat.auth).status_code == 200
