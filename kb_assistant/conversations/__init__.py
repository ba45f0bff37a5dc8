"""Customer conversations of the web chat: the store of their messages (which is also each
chat's event log), customers' ratings, content gaps, and the relay that carries agents'
replies and case changes into the chat.

The composition root builds the store from `Settings`; `TurnLedger` keeps the customer
messages still awaiting a decided reply, on the store's database (`ConversationStore.engine`).
"""

from __future__ import annotations

from kb_assistant.conversations.relay import (
    CustomerRelay,
    claimed_text,
    opened_text,
    resolved_text,
)
from kb_assistant.conversations.store import ConversationStore, new_id
from kb_assistant.conversations.turns import INTERRUPTED, PendingTurn, TurnKind, TurnLedger
from kb_assistant.conversations.types import (
    MAX_COMMENT_CHARS,
    RATINGS,
    ROLES,
    ContentGaps,
    Conversation,
    ConversationError,
    ConversationInputError,
    ConversationNotFoundError,
    EventKind,
    MessageNotFoundError,
    Rating,
    Role,
    StoredMessage,
    ThumbsDown,
    UnansweredQuestion,
)

__all__ = [
    "INTERRUPTED",
    "MAX_COMMENT_CHARS",
    "RATINGS",
    "ROLES",
    "ContentGaps",
    "Conversation",
    "ConversationError",
    "ConversationInputError",
    "ConversationNotFoundError",
    "ConversationStore",
    "CustomerRelay",
    "EventKind",
    "MessageNotFoundError",
    "PendingTurn",
    "Rating",
    "Role",
    "StoredMessage",
    "ThumbsDown",
    "TurnKind",
    "TurnLedger",
    "UnansweredQuestion",
    "claimed_text",
    "new_id",
    "opened_text",
    "resolved_text",
]
