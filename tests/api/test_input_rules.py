"""What the API accepts as text and as numbers: a NUL character or a lone UTF-16 surrogate
anywhere (body field, path, query, header), a body that is not UTF-8, and an event cursor
beyond what the database stores are refused with 4xx and the one error shape, never a 500."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb_assistant.api.tokens import ConversationTokens, TokenError
from tests.api.conftest import ANSWERABLE, Chat, admin
from tests.api.test_limits import assert_error

SURROGATE, NUL = "\ud800", "\x00"
HUGE = "9" * 40


def post_json(
    client: TestClient, url: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    """POST `body` as JSON, lone surrogates and NULs escaped as JSON allows (`\\ud800`)."""
    headers = {**(headers or {}), "Content-Type": "application/json"}
    return client.post(url, content=json.dumps(body).encode(), headers=headers)


def assert_refused_text(response: Any, field: str, bad: str) -> None:
    assert_error(response, 422, "invalid_request")
    message = response.json()["error"]["message"]
    assert field in message
    assert ("surrogate" if bad == SURROGATE else "NUL") in message


@pytest.mark.parametrize("bad", [SURROGATE, NUL], ids=["surrogate", "nul"])
def test_unusable_text_in_a_customer_body_field_is_refused(client: TestClient, bad: str) -> None:
    chat = Chat.start(client)
    stream = {**chat.auth, "Accept": "text/event-stream"}
    cases = [
        (f"{chat.url}/messages", {"text": f"{bad} hello"}, chat.auth, "text"),
        (f"{chat.url}/messages", {"text": f"{bad} hello"}, stream, "text"),
        (f"{chat.url}/handoff", {"reason": f"help {bad}"}, chat.auth, "reason"),
        (f"{chat.url}/feedback", {"message_id": bad, "rating": "up"}, chat.auth, "message_id"),
        (
            f"{chat.url}/feedback",
            {"message_id": "m_x", "rating": "up", "comment": f"ok{bad}"},
            chat.auth,
            "comment",
        ),
        ("/api/v1/conversations", {"contact": {"name": f"Ann{bad}"}}, {}, "contact.name"),
        ("/api/v1/conversations", {"contact": {"email": f"a{bad}@b.co"}}, {}, "contact.email"),
    ]
    for url, body, headers, field in cases:
        assert_refused_text(post_json(client, url, body, headers), field, bad)
    # A field with a fixed set of values names them instead.
    refused = post_json(client, f"{chat.url}/messages", {"text": "hi", "tone": bad}, chat.auth)
    assert_error(refused, 422, "invalid_request")
    assert "tone" in refused.json()["error"]["message"]

    assert chat.transcript()["messages"] == []  # nothing was stored, nothing answered


@pytest.mark.parametrize("bad", [SURROGATE, NUL], ids=["surrogate", "nul"])
def test_unusable_text_in_an_admin_body_field_is_refused(client: TestClient, bad: str) -> None:
    chat = Chat.start(client)
    case_id = post_json(client, f"{chat.url}/handoff", {}, chat.auth).json()["case_id"]
    base = f"/api/v1/admin/cases/{case_id}"
    cases = [
        (f"{base}/claim", {"agent": f"Sam{bad}"}, "agent"),
        (f"{base}/resolve", {"agent": f"{bad}"}, "agent"),
        (f"{base}/messages", {"agent": "Sam", "text": f"Hello {bad}"}, "text"),
    ]
    for url, body, field in cases:
        assert_refused_text(post_json(client, url, body, admin()), field, bad)

    assert client.get(base, headers=admin()).json()["case"]["state"] == "open"


def test_nul_in_a_path_or_query_parameter_is_refused(client: TestClient) -> None:
    chat = Chat.start(client)
    cases = [
        (f"/api/v1/conversations/{chat.conversation_id}%00", chat.auth, "cid"),
        (f"{chat.url}?token=a%00b", {}, "token"),
        ("/api/v1/admin/ingest/job%00", admin(), "job_id"),
    ]
    for url, headers, field in cases:
        assert_refused_text(client.get(url, headers=headers), field, NUL)


def test_bytes_that_are_not_utf8_in_a_path_or_query_are_not_a_failure(client: TestClient) -> None:
    chat = Chat.start(client)  # such bytes arrive as U+FFFD, an ordinary character
    assert_error(client.get(f"{chat.url}%ED%A0%80", headers=chat.auth), 403, "forbidden")
    assert_error(client.get(f"{chat.url}?token=%FF%ED%A0%80"), 401, "unauthorized")


def test_nul_in_a_header_the_app_reads_is_refused(client: TestClient) -> None:
    chat = Chat.start(client)  # (HTTP/1.1 servers refuse it already; other servers may not)
    cases = [
        ("GET", chat.url, "Authorization", b"Bearer " + chat.token.encode() + b"\x00"),
        ("GET", "/api/v1/admin/cases", "X-API-Key", b"key\x00"),
        ("POST", "/api/v1/conversations", "Origin", b"https://shop.example.com\x00"),
    ]
    for method, url, name, value in cases:
        response = client.request(method, url, headers={name.encode(): value})
        assert_error(response, 422, "invalid_request")
        assert f"the {name} header holds a NUL" in response.json()["error"]["message"]


def test_a_body_that_is_not_utf8_is_a_bad_request(client: TestClient) -> None:
    chat = Chat.start(client)
    headers = {**chat.auth, "Content-Type": "application/json"}

    response = client.post(f"{chat.url}/messages", content=b'{"text": "a\xffb"}', headers=headers)

    assert_error(response, 400, "bad_request")
    assert "UTF-8" in response.json()["error"]["message"]
    assert chat.transcript()["messages"] == []


def test_a_body_nested_too_deeply_to_read_is_a_bad_request(client: TestClient) -> None:
    chat = Chat.start(client)
    headers = {**chat.auth, "Content-Type": "application/json"}

    response = client.post(f"{chat.url}/messages", content=b"[" * 30_000, headers=headers)

    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_an_unusable_unknown_field_name_is_refused_without_echoing_it(client: TestClient) -> None:
    response = post_json(client, "/api/v1/conversations", {"contact": {f"x{SURROGATE}": 1}})

    assert_error(response, 422, "invalid_request")
    assert "\\ud800" in response.json()["error"]["message"]  # shown escaped


def test_a_token_that_is_not_ascii_is_malformed() -> None:
    tokens = ConversationTokens(b"s" * 32, 3600)
    good = tokens.issue("c_1").token
    for bad in (good + "é", good.replace("v1.", f"v1.{SURROGATE}")):
        with pytest.raises(TokenError, match="malformed"):
            tokens.verify(bad)


def short_lived_chat(client: TestClient, seconds: int = 2) -> Chat:
    """A conversation whose token expires in `seconds`, so that any event stream ends."""
    chat = Chat.start(client)
    tokens = client.app.state.kb.tokens  # type: ignore[attr-defined]
    issued = tokens.issue(chat.conversation_id, now=time.time() - tokens.ttl_s + seconds)
    return Chat(client, chat.conversation_id, issued.token)


@pytest.mark.parametrize(
    ("query", "header"),
    [(HUGE, None), ("-1", None), (None, HUGE), (None, "abc"), (None, "-1"), (None, "")],
)
def test_an_absurd_event_cursor_is_refused_and_nothing_polls(
    client: TestClient, caplog: pytest.LogCaptureFixture, query: str | None, header: str | None
) -> None:
    chat = short_lived_chat(client)
    url = f"{chat.url}/events" + (f"?after={query}" if query is not None else "")
    headers = {**chat.auth, **({"Last-Event-ID": header} if header is not None else {})}

    with caplog.at_level(logging.WARNING):
        response = client.get(url, headers=headers)
        time.sleep(1.2)  # the stream polls every half second: long enough to log twice

    assert_error(response, 422, "invalid_request")
    assert (
        "after" in response.json()["error"]["message"]
        or "Last-Event-ID" in (response.json()["error"]["message"])
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_largest_event_cursor_is_accepted(client: TestClient) -> None:
    chat = short_lived_chat(client)
    headers = {**chat.auth, "Last-Event-ID": str(2**31 - 1)}
    with client.stream("GET", f"{chat.url}/events?after=0", headers=headers) as response:
        assert response.status_code == 200


def test_the_openapi_document_states_the_bounds_of_every_number(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    events = document["paths"]["/api/v1/conversations/{cid}/events"]["get"]["parameters"]
    case = document["paths"]["/api/v1/admin/cases/{case_id}"]["get"]["parameters"]
    numbers = [p for p in events + case if "integer" in json.dumps(p["schema"])]

    assert {p["name"] for p in numbers} == {"after", "Last-Event-ID", "case_id"}
    for parameter in numbers:
        assert f'"maximum": {2**31 - 1}' in json.dumps(parameter["schema"]), parameter


def test_ordinary_text_still_gets_an_answer(client: TestClient) -> None:
    chat = Chat.start(client, contact={"name": "Zoë 🙂", "email": "zoe@example.com"})
    assert chat.send(f"{ANSWERABLE} 🙂")["reply"]["action"] == "answer"
