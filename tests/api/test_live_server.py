"""Through a real uvicorn server on a loopback port: a streamed reply as a browser gets it,
and the live event stream that carries an agent's replies to the customer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.server import served_in_thread
from kb_assistant.api.app import create_app
from kb_assistant.assistant import Assistant
from kb_assistant.settings import Settings
from tests.api.conftest import ADMIN_KEY, ANSWERABLE, REFUND, admin, parse_sse


@pytest.fixture
def server(clean_env: Path, api_assistant: Assistant) -> Iterator[str]:
    """The app served by uvicorn in a thread; its base URL."""
    settings = Settings(data_dir=clean_env / "data", admin_api_key=ADMIN_KEY)
    with served_in_thread(create_app(settings, assistant=api_assistant)) as url:
        yield url


def start_chat(http: httpx.Client) -> tuple[str, dict[str, str]]:
    created = http.post("/api/v1/conversations", json={}).json()
    return created["conversation_id"], {"Authorization": f"Bearer {created['token']}"}


def test_a_streamed_reply_over_real_http(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http:
        cid, auth = start_chat(http)
        with http.stream(
            "POST",
            f"/api/v1/conversations/{cid}/messages",
            json={"text": ANSWERABLE},
            headers={**auth, "Accept": "text/event-stream"},
        ) as response:
            assert response.status_code == 200
            assert response.headers["cache-control"].startswith("no-cache")
            events = parse_sse(response.read().decode())
        transcript = http.get(f"/api/v1/conversations/{cid}", headers=auth).json()

    assert [name for name, _ in events][-1] == "done"
    assert any(name == "token" for name, _ in events)
    done = events[-1][1]
    assert done["reply"]["action"] == "answer" and done["reply"]["citations"]
    assert [m["id"] for m in transcript["messages"]] == [
        done["customer_message"]["id"],
        done["reply"]["id"],
    ]


class EventReader:
    """Reads SSE events from an open stream, with a deadline per event."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.response = response

    def next(self, timeout_s: float = 15.0) -> tuple[str, str, Any]:
        """The next event: (id, name, data); comments and `retry:` are skipped."""
        deadline = time.monotonic() + timeout_s
        event_id, name, data = "", "message", ""
        for line in self.lines:
            if time.monotonic() > deadline:
                break
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
            elif line == "" and data:
                return event_id, name, json.loads(data)
        raise AssertionError("no event arrived in time")


def test_the_event_stream_carries_agent_replies_and_case_changes(server: str) -> None:
    with httpx.Client(base_url=server, timeout=httpx.Timeout(30, read=20)) as http:
        cid, auth = start_chat(http)
        case_id = http.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": REFUND}, headers=auth
        ).json()["case_id"]
        token = auth["Authorization"].removeprefix("Bearer ")
        events_url = f"/api/v1/conversations/{cid}/events"
        with http.stream("GET", events_url, params={"token": token}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(response)
            opened = reader.next()
            case = f"/api/v1/admin/cases/{case_id}"
            http.post(f"{case}/messages", json={"agent": "Sam", "text": "On it!"}, headers=admin())
            replied = reader.next()
            http.post(f"{case}/resolve", json={"agent": "Sam"}, headers=admin())
            resolved = reader.next()

        assert opened[1:] == ("handoff", opened[2]) and opened[2]["state"] == "open"
        assert replied[1] == "agent_message"
        assert (replied[2]["role"], replied[2]["text"]) == ("agent", "On it!")
        assert resolved[1] == "handoff"
        assert (resolved[2]["case_id"], resolved[2]["state"], resolved[2]["agent"]) == (
            case_id,
            "resolved",
            "Sam",
        )
        assert "resolved" in resolved[2]["message"]
        assert int(opened[0]) < int(replied[0]) < int(resolved[0])

        with http.stream(
            "GET", events_url, params={"token": token}, headers={"Last-Event-ID": replied[0]}
        ) as again:
            assert EventReader(again).next()[0] == resolved[0]  # nothing repeated
        assert_streams_ended(http, events_url.replace(cid, "{cid}"), expected=2)


def assert_streams_ended(http: httpx.Client, route: str, expected: int) -> None:
    """The server finished both event-stream requests once the client closed them (the
    request counter grows when a response ends)."""
    line = f'kb_requests_total{{method="GET",route="{route}",status="200"}} {float(expected)}'
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if line in http.get("/metrics").text:
            return
        time.sleep(0.2)
    raise AssertionError(f"the event streams were still open on the server: {line} not found")
