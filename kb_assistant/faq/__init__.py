"""FAQ entries grown from resolved handoff cases: drafts, approval and publishing.

An agent turns a resolved case into a draft (the customer's question and the agent's answer,
redacted), edits and approves it; the approved entry is written to the agents' FAQ file and
indexed as a public FAQ, answerable within seconds.
"""

from __future__ import annotations

from kb_assistant.faq.drafts import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    DraftText,
    FaqDraft,
    FaqDraftStore,
    FaqError,
    FaqInputError,
    FaqNotFoundError,
    FaqStateError,
    checked_entry,
    draft_text,
)
from kb_assistant.faq.publisher import AgentFaqFile, FaqFields, FaqPublisher, FaqPublishError

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_QUESTION_CHARS",
    "AgentFaqFile",
    "DraftText",
    "FaqDraft",
    "FaqDraftStore",
    "FaqError",
    "FaqFields",
    "FaqInputError",
    "FaqNotFoundError",
    "FaqPublishError",
    "FaqPublisher",
    "FaqStateError",
    "checked_entry",
    "draft_text",
]
