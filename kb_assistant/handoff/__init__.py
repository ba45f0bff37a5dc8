"""Handing a conversation to a person: the case store, the sinks that announce new cases,
and what the customer is told.

`build_handoff_store` and `build_handoff_sink` build them from `Settings`.
"""

from __future__ import annotations

from kb_assistant.handoff.errors import (
    CaseNotFoundError,
    CaseStateError,
    HandoffDeliveryError,
    HandoffError,
    HandoffInputError,
    NoActiveCaseError,
)
from kb_assistant.handoff.messages import handoff_message
from kb_assistant.handoff.sinks import FanOutSink, HandoffSink, LogSink, WebhookSink
from kb_assistant.handoff.store import MAX_TEXT_CHARS, HandoffStore
from kb_assistant.handoff.types import (
    Case,
    CaseMessage,
    CasePacket,
    CasePassage,
    CaseState,
    CustomerContact,
    Direction,
    TranscriptTurn,
)
from kb_assistant.settings import Settings
from kb_assistant.storage.db import make_engine

__all__ = [
    "MAX_TEXT_CHARS",
    "Case",
    "CaseMessage",
    "CaseNotFoundError",
    "CasePacket",
    "CasePassage",
    "CaseState",
    "CaseStateError",
    "CustomerContact",
    "Direction",
    "FanOutSink",
    "HandoffDeliveryError",
    "HandoffError",
    "HandoffInputError",
    "HandoffSink",
    "HandoffStore",
    "LogSink",
    "NoActiveCaseError",
    "TranscriptTurn",
    "WebhookSink",
    "build_handoff_sink",
    "build_handoff_store",
    "handoff_message",
]


def build_handoff_store(settings: Settings) -> HandoffStore:
    """The case store on the configured database (`KB_DATABASE_URL`, default SQLite)."""
    return HandoffStore(make_engine(settings.resolved_database_url))


def build_handoff_sink(settings: Settings) -> HandoffSink:
    """The log, plus the helpdesk webhook when `KB_HANDOFF_WEBHOOK_URL` is set."""
    log = LogSink()
    if not settings.handoff_webhook_url:
        return log
    secret = settings.handoff_webhook_secret
    webhook = WebhookSink(
        settings.handoff_webhook_url,
        None if secret is None else secret.get_secret_value(),
        settings.handoff_webhook_timeout_s,
    )
    return FanOutSink([log, webhook])
