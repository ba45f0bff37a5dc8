"""The error every LLM adapter raises when its model cannot answer."""

from __future__ import annotations

from kb_assistant.core.errors import UnavailableError


class LlmError(UnavailableError, RuntimeError):
    """The LLM could not be reached or answered with an error; the message says why."""


class GenerationTimeLimitError(LlmError):
    """A generation ran past its time limit and was cut (the answer falls back)."""
