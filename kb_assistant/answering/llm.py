"""The LLM adapter: builds a llama-index LLM from `Settings` and calls it with clear errors.

Three providers: any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama's `/v1`,
hosted APIs) through `OpenAILike`, Ollama's native API, and a local GGUF model run inside the
process (`kb_assistant.answering.local_llm`). Construction never touches the
network (the context window is always given, so Ollama does not ask the server for it);
failures surface on the first call, as `LlmError` with a message that says what to check.
The llama-index provider packages are imported only when a provider is configured.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from kb_assistant.answering.llm_errors import LlmError
from kb_assistant.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage, ChatResponse

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
# One retry of a failed call (connection drop, 429, 5xx): an answer has a human waiting for it
# and an extractive fallback, so a longer back-off would cost more than it saves.
DEFAULT_RETRIES = 1
# Endpoints without authentication still need a non-empty key for the OpenAI client; an
# explicit placeholder also keeps the client from picking up OPENAI_API_KEY by itself.
NO_API_KEY = "not-needed"


def build_llm(settings: Settings, *, max_retries: int = DEFAULT_RETRIES) -> LLM | None:
    """The configured LLM, or None when `KB_LLM_PROVIDER=none` (extractive answers only).

    Raises `ConfigurationError` for an endpoint URL that is not http(s), and for a local model
    file that is missing or not GGUF, or when the local runtime is not installed.
    """
    if settings.llm_provider == "none":
        return None
    if settings.llm_provider == "local":
        from kb_assistant.answering.local_llm import build_local_llm

        return build_local_llm(settings)
    if settings.llm_provider == "openai_like":
        return _openai_like(settings, max_retries)
    return _ollama(settings)


def _checked_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            f"KB_LLM_API_BASE must be an http(s) URL such as http://127.0.0.1:8080/v1, got {url!r}"
        )
    return url.rstrip("/")


def _openai_like(settings: Settings, max_retries: int) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return OpenAILike(
        model=settings.llm_model,
        api_base=_checked_url(settings.llm_api_base),
        api_key=key or NO_API_KEY,
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_context_window,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=max_retries,
    )


def _ollama(settings: Settings) -> LLM:
    from llama_index.llms.ollama import Ollama

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return Ollama(
        model=settings.llm_model,
        base_url=_checked_url(settings.llm_api_base or DEFAULT_OLLAMA_URL),
        request_timeout=settings.llm_timeout_s,
        context_window=settings.llm_context_window,
        temperature=settings.llm_temperature,
        additional_kwargs={"num_predict": settings.llm_max_tokens},
        headers={"Authorization": f"Bearer {key}"} if key else None,
        is_function_calling_model=False,
    )


def endpoint_of(llm: LLM) -> str:
    """Where `llm` sends its requests (for messages), or its class name when it has no URL."""
    for attribute in ("api_base", "base_url"):
        value = getattr(llm, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(llm).__name__


def chat(llm: LLM, messages: Sequence[ChatMessage]) -> ChatResponse:
    """`llm.chat(messages)`, with any failure turned into an `LlmError` that says what to fix."""
    try:
        return llm.chat(messages)
    except LlmError:
        raise
    except Exception as exc:
        raise LlmError(describe_failure(exc, llm)) from exc


def stream_chat(llm: LLM, messages: Sequence[ChatMessage]) -> Iterator[ChatResponse]:
    """`llm.stream_chat(messages)`; failures, also those in mid-stream, become `LlmError`."""
    try:
        yield from llm.stream_chat(messages)
    except LlmError:
        raise
    except Exception as exc:
        raise LlmError(describe_failure(exc, llm)) from exc


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from (clients wrap transport errors)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _status_code(exc: BaseException) -> int | None:
    """The HTTP status of an error answer (OpenAI and Ollama clients both set `status_code`)."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) and status > 0 else None


def describe_failure(exc: BaseException, llm: LLM) -> str:
    """A message naming the endpoint, what went wrong and which setting to check."""
    where = f"the LLM at {endpoint_of(llm)}"
    chain = _chain(exc)
    names = " ".join(type(e).__name__ for e in chain)
    status = next((s for s in map(_status_code, chain) if s is not None), None)
    detail = _detail(exc)
    if status is not None:
        return f"{where} answered HTTP {status}: {detail}. {_status_hint(status)}"
    if "Timeout" in names:
        return (
            f"{where} did not answer in time ({detail}). Check that the server is not "
            "overloaded, or raise KB_LLM_TIMEOUT_S."
        )
    if "Connect" in names or any(isinstance(e, OSError) for e in chain):
        start = "`ollama serve`" if "Ollama" in type(llm).__name__ else "the server"
        return (
            f"could not reach {where} ({detail}). Check that {start} is running and that "
            "KB_LLM_API_BASE points at it (OpenAI-compatible servers usually end in /v1; "
            f"Ollama listens on {DEFAULT_OLLAMA_URL})."
        )
    return f"{where} failed: {detail}. Check KB_LLM_PROVIDER, KB_LLM_API_BASE and KB_LLM_MODEL."


def _detail(exc: BaseException) -> str:
    """The server's own error message where the client kept it, else the exception's text."""
    body = getattr(exc, "body", None)  # OpenAI client: the decoded "error" object
    error = getattr(exc, "error", None)  # Ollama client: the "error" string
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        text = body["message"]
    elif isinstance(error, str):
        text = error
    else:
        text = str(exc)
    return " ".join(text.split())[:300] or type(exc).__name__


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "Check KB_LLM_API_KEY."
    if status == 404:
        return (
            "Check KB_LLM_MODEL (is the model served there? for Ollama: `ollama pull`) and "
            "KB_LLM_API_BASE (OpenAI-compatible servers usually end in /v1)."
        )
    if status in (400, 413, 422):
        return (
            "The server rejected the request: check KB_LLM_MODEL, and that "
            "KB_LLM_CONTEXT_WINDOW and KB_LLM_MAX_TOKENS fit the model."
        )
    if status == 429:
        return "The server is rate-limiting requests: try again later or raise its limits."
    return "The server failed: check its log."
