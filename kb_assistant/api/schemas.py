"""Request and response bodies of the HTTP API (separate from the domain types).

The message text has no length limit in the schema on purpose: a message over
`KB_MAX_MESSAGE_CHARS` is answered 413 `message_too_large` (the chat tells the customer to
shorten it), not 422.

Every string a client sends (body fields here, path and query parameters in the routes) is
checked by `UsableText`: a NUL character or a lone UTF-16 surrogate is refused with 422. No
client means either, PostgreSQL cannot store a NUL, and no database can store half a
character. Numbers that name stored things (ids, event numbers) stop at `MAX_ID`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from kb_assistant.conversations import MAX_COMMENT_CHARS

NAME_CHARS = 200
MAX_ID = 2**31 - 1  # the largest id or event number: a 32-bit INTEGER, in every database
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What makes `value` unusable as text (a NUL character, a lone UTF-16 surrogate), as the
    end of a sentence that names the value; None when nothing does."""
    found = _UNUSABLE.search(value)
    if found is None:
        return None
    char, position = found.group(), found.start()
    if char == "\x00":
        return f"holds a NUL character (\\u0000) at position {position}: remove it"
    return (
        f"holds a lone UTF-16 surrogate (\\u{ord(char):04x}) at position {position}, half of a "
        "character: send whole characters, encoded as UTF-8"
    )


def _refuse_unusable(value: Any) -> Any:
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise PydanticCustomError("unusable_text", "{problem}", {"problem": problem})
    return value


UsableText = BeforeValidator(_refuse_unusable)
"""Refuses text holding a NUL or a lone surrogate (422). Put it last, after any length or
pattern: `Annotated[str, Field(max_length=64), UsableText]` (so those keep their own messages
and their place in the OpenAPI schema)."""
Text = Annotated[str, UsableText]
Name = Annotated[str, Field(max_length=NAME_CHARS), UsableText]
Email = Annotated[str, Field(max_length=NAME_CHARS, pattern=EMAIL_PATTERN), UsableText]
AgentName = Annotated[str, Field(min_length=1, max_length=NAME_CHARS), UsableText]


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case code, e.g. rate_limited")
    message: str = Field(description="what went wrong and what to do, in a sentence")


class ErrorOut(BaseModel):
    error: ErrorDetail


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None


class ConversationIn(BaseModel):
    contact: ContactIn | None = None


class TokenOut(BaseModel):
    conversation_id: str
    token: str = Field(description="send as `Authorization: Bearer <token>` or `?token=`")
    expires_at: str = Field(description="ISO-8601 UTC")


class MessageIn(BaseModel):
    text: Text = Field(description="the customer's message (1 to KB_MAX_MESSAGE_CHARS characters)")
    length: Literal["short", "normal", "detailed"] | None = None
    tone: Literal["casual", "professional"] | None = None


class HandoffIn(BaseModel):
    reason: Text | None = Field(None, description="what the customer needs a person for")


class FeedbackIn(BaseModel):
    message_id: Annotated[str, Field(max_length=64), UsableText]
    rating: Literal["up", "down"]
    comment: Annotated[str, Field(max_length=MAX_COMMENT_CHARS), UsableText] | None = None


class CitationOut(BaseModel):
    number: int
    title: str
    location: str
    url: str | None
    page_start: int | None
    page_end: int | None
    passage_text: str | None = Field(
        None,
        description="the cited passage's text, plain text (never HTML), cut at a sentence end "
        "within about 1,500 characters; null on replies stored before it was kept",
    )
    abridged: bool = Field(
        False, description="whether the reply shows less than `passage_text` (offer to show more)"
    )
    source: str | None = Field(
        None,
        description="an opaque key of the cited document, the same for every passage of it; "
        "null on replies stored before it was kept",
    )


class MessageOut(BaseModel):
    id: str
    role: Literal["customer", "assistant", "agent", "system"]
    text: str
    created_at: str
    citations: list[CitationOut]
    action: Literal["answer", "dont_know", "escalate", "interrupted"] | None = Field(
        description="what the assistant did; `interrupted`: a reply cut off when the server "
        "stopped (the whole reply follows it); null: a reply still being written"
    )
    offer_human: bool
    feedback: Literal["up", "down"] | None


class HandoffOut(BaseModel):
    case_id: int
    state: Literal["open", "claimed", "resolved"]
    agent: str | None


class TranscriptOut(BaseModel):
    conversation_id: str
    handoff: HandoffOut | None
    messages: list[MessageOut]


class ReplyOut(BaseModel):
    customer_message: MessageOut
    reply: MessageOut
    confidence: float
    reason: str
    case_id: int | None


class OkOut(BaseModel):
    ok: bool


class AgentIn(BaseModel):
    agent: AgentName


class AgentMessageIn(BaseModel):
    agent: AgentName
    text: Annotated[str, Field(min_length=1, max_length=20_000), UsableText]


class GapDraftIn(BaseModel):
    """Who starts an FAQ draft from a content gap, over which period the gap was found."""

    operator: AgentName
    days: Annotated[int, Field(ge=1, le=366)] = 30


class FaqDraftIn(BaseModel):
    """An operator's edit of an FAQ draft; `publish` approves and indexes it."""

    operator: AgentName
    question: Annotated[str, Field(max_length=300), UsableText]
    answer: Annotated[str, Field(max_length=3000), UsableText]
    publish: bool = False
