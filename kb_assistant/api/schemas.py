"""Request and response bodies of the HTTP API (separate from the domain types).

The message text has no length limit in the schema on purpose: a message over
`KB_MAX_MESSAGE_CHARS` is answered 413 `message_too_large` (the chat tells the customer to
shorten it), not 422.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kb_assistant.conversations import MAX_COMMENT_CHARS

NAME_CHARS = 200


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case code, e.g. rate_limited")
    message: str = Field(description="what went wrong and what to do, in a sentence")


class ErrorOut(BaseModel):
    error: ErrorDetail


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=NAME_CHARS)
    email: str | None = Field(None, max_length=NAME_CHARS, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConversationIn(BaseModel):
    contact: ContactIn | None = None


class TokenOut(BaseModel):
    conversation_id: str
    token: str = Field(description="send as `Authorization: Bearer <token>` or `?token=`")
    expires_at: str = Field(description="ISO-8601 UTC")


class MessageIn(BaseModel):
    text: str = Field(description="the customer's message (1 to KB_MAX_MESSAGE_CHARS characters)")
    length: Literal["short", "normal", "detailed"] | None = None
    tone: Literal["casual", "professional"] | None = None


class HandoffIn(BaseModel):
    reason: str | None = Field(None, description="what the customer needs a person for")


class FeedbackIn(BaseModel):
    message_id: str = Field(max_length=64)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)


class CitationOut(BaseModel):
    number: int
    title: str
    location: str
    url: str | None
    page_start: int | None
    page_end: int | None


class MessageOut(BaseModel):
    id: str
    role: Literal["customer", "assistant", "agent", "system"]
    text: str
    created_at: str
    citations: list[CitationOut]
    action: Literal["answer", "dont_know", "escalate"] | None
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
    agent: str = Field(min_length=1, max_length=NAME_CHARS)


class AgentMessageIn(BaseModel):
    agent: str = Field(min_length=1, max_length=NAME_CHARS)
    text: str = Field(min_length=1, max_length=20_000)
