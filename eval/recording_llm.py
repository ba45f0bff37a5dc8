"""An LLM wrapper that keeps what a real model was asked and what it wrote.

Benchmarks and the safety run judge the model's own drafts (before the verifier) as well as
the final answers; wrapping the model at the LLM boundary records them without a second
generation. Prompts are flattened the way llama-index flattens chat messages
("system: ...\\nuser: ..."), as the scripted test models record them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms import LLM, CustomLLM


def flattened(messages: Sequence[ChatMessage]) -> str:
    """The messages as one text: "role: content" lines."""
    return "\n".join(f"{m.role.value}: {m.content or ''}" for m in messages)


class RecordingLLM(CustomLLM):
    """Passes every call to `inner`; `prompts` and `replies` grow with each finished call."""

    prompts: list[str] = Field(default_factory=list)
    replies: list[str] = Field(default_factory=list)
    _inner: LLM = PrivateAttr()

    def __init__(self, inner: LLM, **fields: Any) -> None:
        super().__init__(**fields)
        self._inner = inner

    @classmethod
    def class_name(cls) -> str:
        return "recording"

    @property
    def inner(self) -> LLM:
        return self._inner

    @property
    def metadata(self) -> LLMMetadata:
        return self._inner.metadata

    def take(self) -> tuple[list[str], list[str]]:
        """The prompts and replies recorded since the last `take()`, then forgets them."""
        taken = (list(self.prompts), list(self.replies))
        self.prompts.clear()
        self.replies.clear()
        return taken

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self.prompts.append(flattened(messages))
        text = ""  # a failed call records an empty reply, so prompts and replies stay paired
        try:
            response = self._inner.chat(messages, **kwargs)
            text = response.message.content or ""
            return response
        finally:
            self.replies.append(text)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self.prompts.append(flattened(messages))

        def relayed() -> ChatResponseGen:
            text = ""
            try:
                for response in self._inner.stream_chat(messages, **kwargs):
                    text += response.delta or ""
                    yield response
            finally:
                self.replies.append(text)

        return relayed()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        text = ""
        try:
            response = self._inner.complete(prompt, formatted=formatted, **kwargs)
            text = response.text
            return response
        finally:
            self.replies.append(text)

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        self.prompts.append(prompt)

        def relayed() -> CompletionResponseGen:
            text = ""
            try:
                for response in self._inner.stream_complete(prompt, formatted=formatted, **kwargs):
                    text += response.delta or ""
                    yield response
            finally:
                self.replies.append(text)

        return relayed()
