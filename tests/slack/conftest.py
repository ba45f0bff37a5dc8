"""Fixtures of the Slack app tests: the real answering flow over the demo knowledge base, a
stand-in Slack Web API on loopback, and requests signed the way Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_bolt import App, BoltRequest

from kb_assistant.assistant import Assistant
from kb_assistant.composition import build_assistant
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import Settings
from kb_assistant.slack import SlackFeedbackStore, build_slack_app
from tests.slack.stand_in import SlackStandIn
from tests.storage.engines import upgraded_engine

SIGNING_SECRET = "signing-secret-for-tests"
AGENT = "UAGENT001"
CHANNEL = "CSUPPORT1"


@pytest.fixture(scope="session")
def slack_assistant(
    demo_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Assistant:
    """The reply flow over the demo index; its store lives in a database of its own."""
    database = tmp_path_factory.mktemp("slack-store") / "kb.sqlite3"
    settings = demo_settings.model_copy(update={"database_url": f"sqlite:///{database}"})
    return build_assistant(settings, embedder=CachedEmbedder(real_embedder))


@pytest.fixture
def stand_in() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def slack_settings(demo_settings: Settings, stand_in: SlackStandIn, tmp_path: Path) -> Settings:
    """The demo settings with the Slack app configured against the stand-in."""
    return demo_settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
            "token_secret": SecretStr("token-secret-for-tests-0123456789"),
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": stand_in.api_url,
        }
    )


@pytest.fixture
def feedback(slack_settings: Settings) -> SlackFeedbackStore:
    return SlackFeedbackStore(upgraded_engine(slack_settings.resolved_database_url))


@pytest.fixture
def bolt_app(
    slack_settings: Settings, slack_assistant: Assistant, feedback: SlackFeedbackStore
) -> App:
    return build_slack_app(slack_settings, slack_assistant, feedback=feedback)


def signed_headers(body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body`, made with the test signing secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(
        SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {"x-slack-signature": f"v0={digest}", "x-slack-request-timestamp": stamp}


def signed(body: str, content_type: str, timestamp: int | None = None) -> BoltRequest:
    headers = {"content-type": content_type, **signed_headers(body, timestamp)}
    return BoltRequest(body=body, headers={k: [v] for k, v in headers.items()})


def slash_body(text: str, response_url: str = "http://127.0.0.1:9/respond") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0001",
            "channel_id": CHANNEL,
            "user_id": AGENT,
            "command": "/kb",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def event_body(event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
    )


def action_body(action_id: str, question: str, message_ts: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": AGENT},
        "api_app_id": "A0001",
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
        "message": {"ts": message_ts, "text": "answer"},
        "trigger_id": "1.2.3",
        "response_url": "http://127.0.0.1:9/respond",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "kb_feedback",
                "value": question,
                "action_ts": "1700000001.0",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})
