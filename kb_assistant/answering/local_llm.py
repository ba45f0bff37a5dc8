"""The local LLM as a llama-index `LLM`: a GGUF model run by llama.cpp inside the process.

It sits at the same boundary as the endpoint providers, so the composer, the sentence-by-sentence
streaming and the verifier treat it exactly like them. Messages go to llama.cpp as chat
messages (the model's own chat template formats them); every generation, streamed or not, has
the time limit of `KB_LLM_TIME_LIMIT_S`, and one that passes it raises
`GenerationTimeLimitError`, so the answer falls back to the extractive one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from kb_assistant.answering.local_engine import EngineConfig, LocalEngine
from kb_assistant.answering.local_model import require_runtime, resolve_model_path
from kb_assistant.settings import Settings

# A fixed sampling seed: the same prompt gets the same reply, so runs can be compared.
SEED = 7


def build_local_llm(settings: Settings) -> LocalLLM:
    """The local model of `settings`, checked but not loaded yet (it loads on first use).

    Raises `ConfigurationError` when the runtime is not installed or the file is missing or
    not GGUF.
    """
    require_runtime()
    path = resolve_model_path(settings.llm_model_path)
    engine = LocalEngine(EngineConfig(path, settings.llm_context_window, settings.llm_threads))
    return LocalLLM(
        engine,
        model_name=path.stem,
        context_window=settings.llm_context_window,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        time_limit_s=settings.llm_time_limit_s,
    )


def _delta(chunk: Mapping[str, Any]) -> str:
    choices = chunk.get("choices") or []
    delta = choices[0].get("delta", {}) if choices else {}
    content = delta.get("content") if isinstance(delta, Mapping) else None
    return content if isinstance(content, str) else ""


def _usage(chunk: Mapping[str, Any]) -> dict[str, int]:
    usage = chunk.get("usage")
    if not isinstance(usage, Mapping):
        return {}
    return {
        key: int(usage[key])
        for key in ("prompt_tokens", "completion_tokens")
        if isinstance(usage.get(key), int)
    }


class LocalLLM(CustomLLM):
    """A GGUF chat model run in this process by llama.cpp (see `LocalEngine`)."""

    model_name: str = Field(description="The model file's name, for messages and metrics.")
    context_window: int = Field(gt=0)
    max_tokens: int = Field(gt=0)
    temperature: float = Field(ge=0.0)
    time_limit_s: float = Field(gt=0, description="Seconds one generation may take.")
    _engine: LocalEngine = PrivateAttr()

    def __init__(self, engine: LocalEngine, **fields: Any) -> None:
        super().__init__(**fields)
        self._engine = engine

    @classmethod
    def class_name(cls) -> str:
        return "local_gguf"

    @property
    def engine(self) -> LocalEngine:
        return self._engine

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_name,
        )

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self._engine.start()

    def close(self) -> None:
        """Unload the model (also done when the process exits)."""
        self._engine.close()

    def _body(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": SEED,
            "cache_prompt": True,
            "stream_options": {"include_usage": True},
        }

    def _responses(self, messages: Sequence[ChatMessage]) -> ChatResponseGen:
        """One response per text piece, then one without text that carries the token usage."""
        text, usage = "", dict[str, int]()
        for chunk in self._engine.stream(self._body(messages), self.time_limit_s):
            usage = _usage(chunk) or usage
            piece = _delta(chunk)
            if piece:
                text += piece
                yield ChatResponse(
                    message=ChatMessage(role="assistant", content=text), delta=piece, raw=chunk
                )
        yield ChatResponse(
            message=ChatMessage(role="assistant", content=text),
            delta="",
            raw={"usage": usage},
            additional_kwargs=usage,
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        *_, last = self._responses(messages)  # the last response has the text and the usage
        return last

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._responses(messages)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        response = self.chat([ChatMessage(role="user", content=prompt)])
        return CompletionResponse(
            text=response.message.content or "", additional_kwargs=response.additional_kwargs
        )

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def pieces() -> CompletionResponseGen:
            for response in self._responses([ChatMessage(role="user", content=prompt)]):
                yield CompletionResponse(
                    text=response.message.content or "",
                    delta=response.delta,
                    additional_kwargs=response.additional_kwargs,
                )

        return pieces()
