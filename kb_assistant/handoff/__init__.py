"""Handing a conversation to a person: the case store, the sinks that announce new cases,
and what the customer is told.

The composition root (`kb_assistant.composition.stores`) builds them from `Settings`.
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
    "handoff_message",
]
