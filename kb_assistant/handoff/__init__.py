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
    """The log, plus the helpdesk webhook when `KB_HANDOFF_WEBHOOK_URL` is set, plus the
    support agents' Slack channel when `KB_SLACK_BOT_TOKEN` and `KB_SLACK_AGENT_CHANNEL` are."""
    sinks: list[HandoffSink] = [LogSink()]
    if settings.handoff_webhook_url:
        secret = settings.handoff_webhook_secret
        sinks.append(
            WebhookSink(
                settings.handoff_webhook_url,
                None if secret is None else secret.get_secret_value(),
                settings.handoff_webhook_timeout_s,
            )
        )
    if settings.slack_bot_token is not None and (settings.slack_agent_channel or "").strip():
        sinks.append(_slack_sink(settings))
    return sinks[0] if len(sinks) == 1 else FanOutSink(sinks)


def _slack_sink(settings: Settings) -> HandoffSink:
    # Imported here: the Slack app imports this package, not the other way round.
    from kb_assistant.slack.app import slack_client
    from kb_assistant.slack.cases import SlackCaseMessages, SlackHandoffSink

    messages = SlackCaseMessages(make_engine(settings.resolved_database_url))
    channel = (settings.slack_agent_channel or "").strip()
    return SlackHandoffSink(slack_client(settings), channel, messages)
