"""Building the LLM from settings, and the errors a misconfigured or failing endpoint gives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.llms.ollama import Ollama
from llama_index.llms.openai_like import OpenAILike
from pydantic import ValidationError

from kb_assistant.answering.llm import NO_API_KEY, LlmError, build_llm, chat
from kb_assistant.settings import ConfigurationError, Settings
from tests.fakes.openai_server import ErrorReply, LlmServer, unused_port

HELLO = [ChatMessage(role="user", content="Hello")]


def make_settings(clean_env: Path, **values: Any) -> Settings:
    return Settings(data_dir=clean_env / "data", **values)


@pytest.fixture
def server() -> Iterator[LlmServer]:
    with LlmServer() as running:
        yield running


def test_no_provider_means_no_llm(clean_env: Path) -> None:
    assert build_llm(make_settings(clean_env)) is None


def test_openai_like_takes_every_setting(clean_env: Path) -> None:
    settings = make_settings(
        clean_env,
        llm_provider="openai_like",
        llm_model="qwen2.5-7b-instruct",
        llm_api_base="http://127.0.0.1:8080/v1/",
        llm_api_key="sk-local",
        llm_context_window=16384,
        llm_max_tokens=300,
        llm_temperature=0.1,
        llm_timeout_s=12.5,
    )

    llm = build_llm(settings)

    assert isinstance(llm, OpenAILike)
    assert llm.model == "qwen2.5-7b-instruct"
    assert llm.api_base == "http://127.0.0.1:8080/v1"
    assert llm.api_key == "sk-local"
    assert (llm.context_window, llm.max_tokens, llm.temperature) == (16384, 300, 0.1)
    assert llm.timeout == 12.5
    assert llm.metadata.is_chat_model and llm.metadata.context_window == 16384


def test_openai_like_without_key_uses_a_placeholder_not_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-somewhere-else")
    settings = make_settings(
        clean_env, llm_provider="openai_like", llm_model="m", llm_api_base="http://127.0.0.1:1/v1"
    )

    llm = build_llm(settings)

    assert isinstance(llm, OpenAILike) and llm.api_key == NO_API_KEY


def test_ollama_takes_every_setting_and_never_calls_at_construction(clean_env: Path) -> None:
    closed = f"http://127.0.0.1:{unused_port()}"
    settings = make_settings(
        clean_env,
        llm_provider="ollama",
        llm_model="llama3.2:3b",
        llm_api_base=closed,
        llm_api_key="secret",
        llm_context_window=4096,
        llm_max_tokens=200,
        llm_temperature=0.3,
        llm_timeout_s=9.0,
    )

    llm = build_llm(settings)

    assert isinstance(llm, Ollama)
    # metadata would ask the (closed) server for the context window if none were given
    assert llm.metadata.context_window == 4096
    assert (llm.model, llm.base_url, llm.request_timeout) == ("llama3.2:3b", closed, 9.0)
    assert llm.temperature == 0.3 and llm.additional_kwargs == {"num_predict": 200}
    assert llm.headers == {"Authorization": "Bearer secret"}


def test_ollama_defaults_to_the_local_server(clean_env: Path) -> None:
    llm = build_llm(make_settings(clean_env, llm_provider="ollama", llm_model="llama3.2"))

    assert isinstance(llm, Ollama) and llm.base_url == "http://127.0.0.1:11434"
    assert llm.headers is None


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"llm_provider": "openai_like", "llm_api_base": "http://127.0.0.1/v1"}, "KB_LLM_MODEL"),
        ({"llm_provider": "ollama"}, "KB_LLM_MODEL"),
        ({"llm_provider": "openai_like", "llm_model": "m"}, "KB_LLM_API_BASE"),
        ({"llm_provider": "openai"}, "llm_provider"),
        ({"llm_provider": "ollama", "llm_model": "m", "llm_max_tokens": 0}, "llm_max_tokens"),
    ],
)
def test_settings_refuse_an_incomplete_llm_configuration(
    clean_env: Path, values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        make_settings(clean_env, **values)


@pytest.mark.parametrize("url", ["127.0.0.1:8080/v1", "ftp://models.local/v1", "http://"])
def test_an_endpoint_that_is_not_an_http_url_is_a_configuration_error(
    clean_env: Path, url: str
) -> None:
    settings = make_settings(clean_env, llm_provider="openai_like", llm_model="m", llm_api_base=url)

    with pytest.raises(ConfigurationError, match="KB_LLM_API_BASE"):
        build_llm(settings)


def test_answering_modules_import_no_llm_library() -> None:
    code = (
        "import sys, kb_assistant.answering.llm, kb_assistant.answering.llm_composer;"
        "print(sorted(m for m in sys.modules if m.startswith('llama_index')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"


def openai_llm(clean_env: Path, url: str, *, retries: int = 1, **values: Any) -> OpenAILike:
    values = {"llm_provider": "openai_like", "llm_model": "m", "llm_api_base": url, **values}
    llm = build_llm(make_settings(clean_env, **values), max_retries=retries)
    assert isinstance(llm, OpenAILike)
    return llm


def test_the_request_carries_model_limits_and_key(clean_env: Path, server: LlmServer) -> None:
    server.replies.append("Hi.")
    llm = openai_llm(clean_env, server.openai_url, llm_api_key="sk-test", llm_max_tokens=77)

    assert chat(llm, HELLO).message.content == "Hi."

    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert (request.body["model"], request.body["max_tokens"]) == ("m", 77)
    assert request.body["temperature"] == 0.2 and not request.body.get("stream")


def test_one_failed_call_is_retried(clean_env: Path, server: LlmServer) -> None:
    server.replies.extend([ErrorReply(503), "Back again."])

    response = chat(openai_llm(clean_env, server.openai_url), HELLO)

    assert response.message.content == "Back again." and len(server.requests) == 2


def test_a_server_error_names_the_endpoint_and_the_status(
    clean_env: Path, server: LlmServer
) -> None:
    server.replies.extend([ErrorReply(500, "CUDA out of memory"), ErrorReply(500)])

    with pytest.raises(LlmError) as caught:
        chat(openai_llm(clean_env, server.openai_url), HELLO)

    message = str(caught.value)
    assert server.openai_url in message and "HTTP 500" in message
    assert "the model failed" in message and "check its log" in message
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "KB_LLM_API_KEY"), (404, "KB_LLM_MODEL"), (400, "KB_LLM_CONTEXT_WINDOW")],
)
def test_client_errors_say_which_setting_to_fix(
    clean_env: Path, server: LlmServer, status: int, hint: str
) -> None:
    server.replies.append(ErrorReply(status, "no such thing"))

    with pytest.raises(LlmError, match=hint) as caught:
        chat(openai_llm(clean_env, server.openai_url, retries=0), HELLO)

    assert f"HTTP {status}" in str(caught.value)


def test_an_unreachable_endpoint_says_to_start_the_server(clean_env: Path) -> None:
    url = f"http://127.0.0.1:{unused_port()}/v1"

    with pytest.raises(LlmError) as caught:
        chat(openai_llm(clean_env, url, retries=0), HELLO)

    message = str(caught.value)
    assert message.startswith(f"could not reach the LLM at {url}")
    assert "KB_LLM_API_BASE" in message


def test_a_slow_endpoint_says_to_raise_the_timeout(clean_env: Path) -> None:
    with LlmServer(["Too late."], delay_s=2.0) as slow:
        llm = openai_llm(clean_env, slow.openai_url, retries=0, llm_timeout_s=0.2)

        with pytest.raises(LlmError, match="KB_LLM_TIMEOUT_S"):
            chat(llm, HELLO)


def ollama_llm(clean_env: Path, url: str) -> Ollama:
    settings = make_settings(clean_env, llm_provider="ollama", llm_model="m", llm_api_base=url)
    llm = build_llm(settings)
    assert isinstance(llm, Ollama)
    return llm


def test_ollama_unreachable_says_to_start_ollama(clean_env: Path) -> None:
    with pytest.raises(LlmError, match="ollama serve"):
        chat(ollama_llm(clean_env, f"http://127.0.0.1:{unused_port()}"), HELLO)


def test_ollama_missing_model_says_to_pull_it(clean_env: Path, server: LlmServer) -> None:
    server.replies.append(ErrorReply(404, "model 'm' not found"))

    with pytest.raises(LlmError, match="ollama pull") as caught:
        chat(ollama_llm(clean_env, server.ollama_url), HELLO)

    assert "model 'm' not found" in str(caught.value)
