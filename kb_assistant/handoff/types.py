"""Value types of a handoff: the packet a person receives, the case around it, its messages.

A `CasePacket` is everything an agent needs to take over without asking the customer to
repeat themselves: the transcript, why the policy handed the conversation over, how upset the
customer sounds, the passages the assistant found and the answer it drafted (which is never
sent to the customer). A `Case` is the packet plus its life cycle (open → claimed →
resolved); a `CaseMessage` is one message relayed between the agent and the customer.
Every type has `as_json()`, the shape webhooks and the HTTP API send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from kb_assistant.core.decisions import PolicyClass
from kb_assistant.domain import Passage
from kb_assistant.handoff.errors import HandoffInputError

CaseState = Literal["open", "claimed", "resolved"]
TurnRole = Literal["customer", "assistant", "agent"]
Direction = Literal["to_customer", "from_customer"]

CASE_STATES: tuple[CaseState, ...] = ("open", "claimed", "resolved")
ACTIVE_STATES: tuple[CaseState, ...] = ("open", "claimed")
TURN_ROLES: tuple[TurnRole, ...] = ("customer", "assistant", "agent")
DIRECTIONS: tuple[Direction, ...] = ("to_customer", "from_customer")
MAX_ID_CHARS = 200  # conversation ids and agent names
EXCERPT_CHARS = 600  # passage text kept in a packet


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already (as SQLite returns it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()


def _parse_time(value: object) -> datetime:
    return as_utc(datetime.fromisoformat(str(value)))


@dataclass(frozen=True)
class TranscriptTurn:
    """One message of the conversation before (or while) a person took over."""

    role: TurnRole
    text: str
    at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.role not in TURN_ROLES:
            raise HandoffInputError(
                f"unknown transcript role {self.role!r}: use one of {', '.join(TURN_ROLES)}"
            )
        object.__setattr__(self, "at", as_utc(self.at))

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "text": self.text, "at": _iso(self.at)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TranscriptTurn:
        return cls(cast(TurnRole, data["role"]), str(data["text"]), _parse_time(data["at"]))


@dataclass(frozen=True)
class CasePassage:
    """A passage the assistant retrieved, as an agent sees it in the case."""

    title: str
    location: str
    visibility: str
    excerpt: str
    url: str | None = None

    @classmethod
    def from_passage(cls, passage: Passage, excerpt_chars: int = EXCERPT_CHARS) -> CasePassage:
        """The case's view of a retrieved passage, its text cut to `excerpt_chars`."""
        text = passage.text
        if len(text) > excerpt_chars:
            text = text[: excerpt_chars - 1].rstrip() + "…"
        return cls(passage.title, passage.location, passage.visibility, text, passage.url)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "location": self.location,
            "visibility": self.visibility,
            "excerpt": self.excerpt,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CasePassage:
        return cls(
            str(data["title"]),
            str(data["location"]),
            str(data["visibility"]),
            str(data["excerpt"]),
            None if data.get("url") is None else str(data["url"]),
        )


@dataclass(frozen=True)
class CustomerContact:
    """How to reach the customer outside the chat, when they gave it."""

    email: str | None = None
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name}


@dataclass(frozen=True)
class CasePacket:
    """What a person receives when a conversation is handed over.

    `label` is the policy class, `reason` the rule or model that decided (for the audit),
    `score` the policy's confidence (0–1), `sentiment` how upset the customer sounds
    (0 calm – 1 very upset) with the signals that said so. `draft_answer` is what the
    assistant would have said; it is for the agent only.
    """

    conversation_id: str
    label: PolicyClass
    reason: str
    score: float
    policy_version: str
    transcript: tuple[TranscriptTurn, ...] = ()
    sentiment: float = 0.0
    sentiment_signals: tuple[str, ...] = ()
    passages: tuple[CasePassage, ...] = ()
    draft_answer: str | None = None
    contact: CustomerContact | None = None
    urgent: bool = False

    def __post_init__(self) -> None:
        check_name(self.conversation_id, "conversation id")

    @property
    def frustrated(self) -> bool:
        return self.sentiment >= 0.5

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "label": self.label,
            "reason": self.reason,
            "score": self.score,
            "policy_version": self.policy_version,
            "urgent": self.urgent,
            "sentiment": self.sentiment,
            "sentiment_label": "frustrated" if self.frustrated else "calm",
            "sentiment_signals": list(self.sentiment_signals),
            "transcript": [turn.as_json() for turn in self.transcript],
            "passages": [passage.as_json() for passage in self.passages],
            "draft_answer": self.draft_answer,
            "contact": None if self.contact is None else self.contact.as_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CasePacket:
        """The packet `as_json()` described (extra keys such as `sentiment_label` ignored)."""
        contact = data.get("contact")
        return cls(
            conversation_id=str(data["conversation_id"]),
            label=cast(PolicyClass, data["label"]),
            reason=str(data["reason"]),
            score=float(data["score"]),
            policy_version=str(data["policy_version"]),
            transcript=tuple(TranscriptTurn.from_json(t) for t in data.get("transcript", ())),
            sentiment=float(data.get("sentiment", 0.0)),
            sentiment_signals=tuple(str(s) for s in data.get("sentiment_signals", ())),
            passages=tuple(CasePassage.from_json(p) for p in data.get("passages", ())),
            draft_answer=data.get("draft_answer"),
            contact=None if contact is None else CustomerContact(**contact),
            urgent=bool(data.get("urgent", False)),
        )


@dataclass(frozen=True)
class Case:
    """A handed-over conversation and where it stands. Times are UTC."""

    id: int
    conversation_id: str
    state: CaseState
    packet: CasePacket
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None

    @property
    def active(self) -> bool:
        """Open or claimed: a person is (or will be) handling the conversation."""
        return self.state in ACTIVE_STATES

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "state": self.state,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "claimed_at": _iso(self.claimed_at),
            "claimed_by": self.claimed_by,
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "packet": self.packet.as_json(),
        }


@dataclass(frozen=True)
class CaseMessage:
    """One message relayed between an agent and the customer while a case is active."""

    id: int
    case_id: int
    conversation_id: str
    direction: Direction
    author: str
    text: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "conversation_id": self.conversation_id,
            "direction": self.direction,
            "author": self.author,
            "text": self.text,
            "created_at": _iso(self.created_at),
        }


def check_name(value: str, what: str) -> str:
    """`value` unchanged, or a `HandoffInputError` when it is blank or longer than allowed."""
    if not isinstance(value, str) or not value.strip():
        raise HandoffInputError(f"the {what} is empty: give a non-empty string")
    if len(value) > MAX_ID_CHARS:
        raise HandoffInputError(
            f"the {what} is {len(value)} characters long; at most {MAX_ID_CHARS} are allowed"
        )
    return value
