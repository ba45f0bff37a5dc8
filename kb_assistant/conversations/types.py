"""Value types of customer conversations: the conversation, its messages, content gaps,
the sources answers cited.

A conversation's messages are also its event log: every message gets the next event number
of its conversation, so a chat that reconnects asks for "everything after event N" and
misses nothing and repeats nothing. Agent replies and changes of the handoff case
(a person joined, the case was resolved) are the events a customer's open chat receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kb_assistant.core.errors import KbError, NotFoundError, UsageError
from kb_assistant.handoff.types import CustomerContact, as_utc

Role = Literal["customer", "assistant", "agent", "system"]
Rating = Literal["up", "down"]
EventKind = Literal["agent_message", "handoff"]

ROLES: tuple[Role, ...] = ("customer", "assistant", "agent", "system")
RATINGS: tuple[Rating, ...] = ("up", "down")
MAX_TEXT_CHARS = 20_000  # one stored message
MAX_COMMENT_CHARS = 1_000  # a feedback comment
_PAGE_RANGE = re.compile(r", pp?\. \d+(?:–\d+)?\Z")  # as a citation shows it: ", p. 3"


class ConversationError(KbError):
    """Something about a conversation failed; the message says what and what to do."""


class ConversationNotFoundError(ConversationError, NotFoundError):
    """No conversation has this id."""


class MessageNotFoundError(ConversationError, NotFoundError):
    """The conversation has no message with this id."""


class ConversationInputError(ConversationError, UsageError, ValueError):
    """A text, rating or id given to the store is empty, too long or not allowed."""


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC (a naive time from SQLite is taken to be UTC already)."""
    return as_utc(moment).isoformat()


@dataclass(frozen=True)
class Conversation:
    """One customer's chat: when it began, which site it came from, how to reach them."""

    id: str
    created_at: datetime
    client: str | None = None
    contact: CustomerContact | None = None


@dataclass(frozen=True)
class StoredMessage:
    """One message of a conversation, with its event number (`seq`, 1, 2, … per conversation).

    Assistant replies carry their citations (public sources only), the action taken and
    whether a person was offered; `reply_to` is the customer message they answer. Handoff
    events (`event="handoff"`, role `system`) carry the case, its new state and the agent.
    `in_transcript` is false for events the chat shows elsewhere (a case being opened is
    already told by the assistant's reply).
    """

    id: str
    conversation_id: str
    seq: int
    role: Role
    text: str
    created_at: datetime
    citations: tuple[Mapping[str, Any], ...] = ()
    action: str | None = None
    offer_human: bool = False
    reason: str | None = None
    reply_to: str | None = None
    case_id: int | None = None
    event: EventKind | None = None
    handoff_state: str | None = None
    agent: str | None = None
    in_transcript: bool = True
    feedback: Rating | None = None

    def as_json(self) -> dict[str, Any]:
        """The chat's `Message` shape."""
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            "created_at": iso(self.created_at),
            "citations": [dict(c) for c in self.citations],
            "action": self.action,
            "offer_human": self.offer_human,
            "feedback": self.feedback,
        }

    def handoff_json(self) -> dict[str, Any]:
        """The chat's `handoff` event shape: the case, its state, the agent, a kind message."""
        return {
            "case_id": self.case_id,
            "state": self.handoff_state,
            "agent": self.agent,
            "message": self.text,
        }


@dataclass(frozen=True)
class UnansweredQuestion:
    """A customer question the assistant answered with "I don't know"."""

    question: str
    conversation_id: str
    created_at: datetime
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "conversation_id": self.conversation_id,
            "created_at": iso(self.created_at),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ThumbsDown:
    """An answer a customer rated down, with the question it answered."""

    question: str
    answer: str
    comment: str | None
    conversation_id: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "comment": self.comment,
            "conversation_id": self.conversation_id,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class ContentGaps:
    """What the knowledge base is missing, as customers showed it: newest first."""

    unanswered: list[UnansweredQuestion] = field(default_factory=list)
    thumbs_down: list[ThumbsDown] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "unanswered": [q.as_json() for q in self.unanswered],
            "thumbs_down": [t.as_json() for t in self.thumbs_down],
        }


@dataclass(frozen=True)
class CitedSource:
    """A source as customers' answers cite it: the document's title and where it is (its
    URL, or its location without a page range), so every page of one PDF is one source."""

    title: str
    where: str

    @classmethod
    def keyed(cls, key: str) -> CitedSource:
        """The source of a citation that carries its document's key (`domain.source_key`)."""
        return cls("", f"#{key}")

    @classmethod
    def of(cls, citation: Mapping[str, Any]) -> CitedSource:
        """The source a stored citation names (the chat's citation shape): its document's key
        when it has one, else its title and place (citations stored before keys were kept)."""
        key = citation.get("source")
        if isinstance(key, str) and key:
            return cls.keyed(key)
        title = str(citation.get("title") or "")
        url = citation.get("url")
        if url:
            return cls(title, str(url))
        where = str(citation.get("location") or "")
        if isinstance(citation.get("page_start"), int):
            where = _PAGE_RANGE.sub("", where)
        return cls(title, where)


@dataclass(frozen=True)
class SourceUsage:
    """How often customers' answers cited each source, over every answer stored.

    `answers` counts the assistant's replies that answered (action `answer`), between
    `first_answer` and `last_answer`; `cited` counts, per source, the answers that cited it
    (an answer citing three pages of one PDF counts once for that PDF).
    """

    answers: int = 0
    first_answer: datetime | None = None
    last_answer: datetime | None = None
    cited: Mapping[CitedSource, int] = field(default_factory=dict)
