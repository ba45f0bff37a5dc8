"""Value types of the answering flow: requests, drafts made of statements, the final answer.

A composer (extractive or LLM) writes a `Draft`: an ordered list of `Statement`s, each citing
the numbered passages (1-based) it rests on. The verifier keeps or removes statements; the
renderer turns what is left into the customer's text with a source list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.domain import Channel, Passage, cite, source_key

Action = Literal["answer", "dont_know", "escalate"]
Length = Literal["short", "normal", "detailed"]
Tone = Literal["casual", "professional"]
Role = Literal["customer", "assistant", "agent"]
StatementKind = Literal["framing", "claim", "step", "note", "excerpt"]


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Role
    text: str


@dataclass(frozen=True)
class AnswerRequest:
    """A question and how its answer should be written."""

    question: str
    channel: Channel = "customer"
    history: tuple[Turn, ...] = ()
    length: Length = "normal"
    tone: Tone = "casual"
    upset: bool = False
    offer_human: bool = False  # end a customer answer with the offer of a person


@dataclass(frozen=True)
class Statement:
    """One sentence (or list item) of a draft and the passages it cites (1-based numbers).

    `framing` statements are the composer's own fixed wording (an opening, a hand-off line)
    and carry no facts; every other kind must be supported by a passage it cites.
    """

    text: str
    sources: tuple[int, ...] = ()
    kind: StatementKind = "claim"
    bullet: bool = False  # a claim shown as a bullet point: one item of a list in the source


@dataclass(frozen=True)
class Draft:
    """What a composer wrote, before verification."""

    statements: tuple[Statement, ...]
    composer: str
    tokens_in: int = 0
    tokens_out: int = 0
    # Passages the composer cited beyond the retrieved ones (glossary entries), numbered
    # after them.
    extra_passages: tuple[Passage, ...] = ()


@dataclass(frozen=True)
class Removal:
    """A statement the verifier removed, and which check removed it."""

    statement: Statement
    check: str
    detail: str = ""


@dataclass(frozen=True)
class Citation:
    """A source shown under an answer."""

    number: int
    title: str
    location: str
    visibility: str
    url: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    # The cited passage's text (bounded), for a reader who wants more than the answer shows.
    passage_text: str | None = None
    abridged: bool = False  # the answer shows less than `passage_text`
    source: str | None = None  # the cited document's opaque key (`domain.source_key`)

    @classmethod
    def of(
        cls,
        number: int,
        passage: Passage,
        *,
        passage_text: str | None = None,
        abridged: bool = False,
    ) -> Citation:
        return cls(
            number=number,
            title=passage.title,
            location=cite(passage),
            visibility=passage.visibility,
            url=passage.url,
            page_start=passage.page_start,
            page_end=passage.page_end,
            passage_text=passage_text,
            abridged=abridged,
            source=source_key(passage.doc_id),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "title": self.title,
            "location": self.location,
            "visibility": self.visibility,
            "url": self.url,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "passage_text": self.passage_text,
            "abridged": self.abridged,
            "source": self.source,
        }


@dataclass
class Answer:
    """The reply to one question, after retrieval, the confidence gate, composing and checks."""

    text: str
    action: Action
    confidence: float
    reason: str
    citations: list[Citation] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    question_used: str = ""
    composer: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    policy: PolicyDecision | None = None  # the escalation policy's decision on the message
    case_id: int | None = None  # the handoff case, when the conversation went to a person

    def as_json(self) -> dict[str, object]:
        """The public shape: answer, citations, action, confidence, reason (+ diagnostics)."""
        return {
            "answer": self.text,
            "citations": [c.as_json() for c in self.citations],
            "action": self.action,
            "confidence": round(self.confidence, 4),
            "reason": self.reason,
            "case": self.case_id,
            "policy": self.policy.as_json() if self.policy is not None else None,
            "composer": self.composer,
            "question_used": self.question_used,
            "removed": [
                {"text": r.statement.text, "check": r.check, "detail": r.detail}
                for r in self.removed
            ],
            "timings_ms": {k: round(v * 1000, 1) for k, v in self.timings.items()},
        }


def numbered(passages: Sequence[Passage]) -> list[tuple[int, Passage]]:
    """Passages with the 1-based numbers statements cite them by."""
    return list(enumerate(passages, start=1))
