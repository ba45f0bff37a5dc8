"""Embedding on Ray actors: the `Embedder` port, with `embed_documents` spread over a cluster.

The driver keeps reading, chunking and writing (one writer, as always); only the vectors are
computed remotely. Each actor holds one `SentenceTransformerEmbedder`; a batch of texts is cut
into shards that the actors embed in parallel, and the rows come back in the original order.
Token counting, `embed_query` and the model id come from a copy of the model in the driver, so
the index sees the same model id as with the plain embedder.

With no address, Ray starts on this machine only; `auto` or `ray://host:10001` joins a
running cluster. Ray is an optional dependency: `pip install "kb-assistant[ray]"`.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.ports import Vector
from kb_assistant.settings import ConfigurationError, bundled_model_path

INSTALL_HINT = 'pip install "kb-assistant[ray]"'

# Process-wide: read by Ray when it starts or joins a cluster. No usage reports leave the
# machine, and nothing is fetched from a model hub by the actors.
_DRIVER_ENV = {"RAY_USAGE_STATS_ENABLED": "0"}
_ACTOR_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


@dataclass
class RayEmbedStats:
    """Work done by the actors since the embedder was created."""

    calls: int = 0
    shards: int = 0
    texts: int = 0
    seconds: float = 0.0

    @property
    def texts_per_second(self) -> float:
        return self.texts / self.seconds if self.seconds > 0 else 0.0

    def add(self, texts: int, shards: int, seconds: float) -> None:
        self.calls += 1
        self.texts += texts
        self.shards += shards
        self.seconds += seconds


class EmbeddingActor:
    """One model on one Ray worker (wrapped with `ray.remote` when the actors start)."""

    def __init__(self, model: str, bundled: bool, options: dict[str, Any]) -> None:
        path = bundled_model_path() if bundled else model
        self._embedder = SentenceTransformerEmbedder(path, **options)

    def warm_up(self) -> str:
        """Load the model; returns its id so the driver can check it is the same model."""
        self._embedder.warm_up()
        return self._embedder.model_id

    def embed(self, texts: list[str]) -> Vector:
        return self._embedder.embed_documents(texts)


class RayEmbedder:
    """An `Embedder` whose `embed_documents` runs on Ray actors, in shards of `shard_size`.

    A batch smaller than `actors × shard_size` is cut into one shard per actor instead
    (never smaller than `batch_size`), so every actor works on it.
    """

    def __init__(
        self,
        model: str,
        *,
        address: str | None,
        actors: int | None = None,
        device: str = "cpu",
        dtype: str = "auto",
        batch_size: int = 32,
        batch_tokens: int = 512,
        threads: int = 0,
        allow_download: bool = False,
        shard_size: int = 256,
        connect_timeout: float = 5.0,
        start_timeout: float = 300.0,
    ) -> None:
        if actors is not None and actors < 1:
            raise ConfigurationError(f"the number of Ray actors must be at least 1, got {actors}")
        if shard_size < 1:
            raise ConfigurationError(f"the Ray shard size must be at least 1, got {shard_size}")
        self.model = model
        self.address = address
        self.requested_actors = actors
        self.device = device
        self.threads = threads
        self.shard_size = shard_size
        self.batch_size = batch_size
        self.connect_timeout = connect_timeout
        self.start_timeout = start_timeout
        self.stats = RayEmbedStats()
        self._actor_options: dict[str, Any] = {
            "device": device,
            "dtype": dtype,
            "batch_size": batch_size,
            "batch_tokens": batch_tokens,
            "allow_download": allow_download,
            "threads": self._threads_per_actor(),
        }
        # Token counts, queries and the model id: a CPU copy in the driver, loaded lazily.
        self._local = SentenceTransformerEmbedder(
            model,
            dtype=dtype,
            batch_size=batch_size,
            batch_tokens=batch_tokens,
            allow_download=allow_download,
        )
        self._actors: list[Any] = []
        self._started_ray = False

    # -- the Embedder port -------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._local.model_id

    @property
    def max_tokens(self) -> int:
        return self._local.max_tokens

    def tokenize(self, text: str) -> list[int]:
        return self._local.tokenize(text)

    def embed_query(self, text: str) -> Vector:
        return self._local.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> Vector:
        """One normalised float32 row per text, in order, computed by the actors."""
        if not texts:
            return np.zeros((0, self._dimension()), dtype=np.float32)
        from ray.util import ActorPool

        actors = self.start()
        started = time.monotonic()
        shards = list(_shards(texts, self._shard_size(len(texts), len(actors))))
        pool = ActorPool(actors)
        parts = list(pool.map(lambda actor, shard: actor.embed.remote(shard), shards))
        vectors = np.vstack(parts).astype(np.float32, copy=False)
        self.stats.add(len(texts), len(shards), time.monotonic() - started)
        return vectors

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def actor_count(self) -> int:
        """Actors running now (0 before the first batch and after `close`)."""
        return len(self._actors)

    def start(self) -> list[Any]:
        """Join or start Ray and launch the actors (once); returns the actor handles."""
        if self._actors:
            return self._actors
        ray = _import_ray()
        self._connect(ray)
        count = self._actor_count(ray)
        actor_class = ray.remote(EmbeddingActor).options(**self._resources())
        bundled = _is_bundled(self.model)
        actors = [
            actor_class.remote(self.model, bundled, self._actor_options) for _ in range(count)
        ]
        self._actors = actors
        self._check_models(ray, actors)
        return actors

    def close(self) -> None:
        """Stop the actors; shut Ray down only when this embedder started it."""
        if not self._actors and not self._started_ray:
            return
        ray = _import_ray()
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    def _shard_size(self, texts: int, actors: int) -> int:
        """`shard_size`, made smaller when that keeps every actor busy on a small batch
        (the ingestion writer sends `KB_INGEST_FLUSH_CHUNKS` chunks at a time), but never
        below one model batch."""
        even = -(-texts // actors)
        return min(self.shard_size, max(even, self.batch_size))

    def _threads_per_actor(self) -> int:
        """CPU threads (and Ray CPUs) per actor; 0 ("every core") means one per actor here,
        since the actors themselves spread over the cores."""
        return max(self.threads, 1)

    def _uses_gpu(self) -> bool:
        return self.device.startswith("cuda")

    def _resources(self) -> dict[str, Any]:
        options: dict[str, Any] = {"runtime_env": {"env_vars": dict(_ACTOR_ENV)}}
        if self._uses_gpu():
            options.update(num_gpus=1, num_cpus=1)
        else:
            options["num_cpus"] = self._threads_per_actor()
        return options

    def _connect(self, ray: Any) -> None:
        """Start Ray here (no address) or join the cluster at `address`; a Ray already
        running in this process is reused, once an explicit address has proved reachable."""
        for name, value in _DRIVER_ENV.items():
            os.environ.setdefault(name, value)
        if self.address and self.address != "auto":
            _probe(self.address, self.connect_timeout)
        if ray.is_initialized():
            return
        try:
            ray.init(
                address=self.address or None,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
            where = self.address or "a local Ray instance"
            raise ConfigurationError(f"cannot start or reach Ray at {where!r}: {exc}") from exc
        self._started_ray = True

    def _actor_count(self, ray: Any) -> int:
        if self.requested_actors is not None:
            return self.requested_actors
        resources = ray.cluster_resources()
        if self._uses_gpu():
            gpus = int(resources.get("GPU", 0))
            if gpus < 1:
                raise ConfigurationError(
                    f"the embedding device is {self.device!r} but the Ray cluster has no GPUs"
                )
            return gpus
        return max(int(resources.get("CPU", 1)) // self._threads_per_actor(), 1)

    def _check_models(self, ray: Any, actors: list[Any]) -> None:
        """Wait for every actor to load its model, and insist it is the driver's model."""
        from ray.exceptions import GetTimeoutError

        try:
            ids = ray.get([actor.warm_up.remote() for actor in actors], timeout=self.start_timeout)
        except GetTimeoutError as exc:
            self.close()
            raise ConfigurationError(
                f"{len(actors)} Ray actors did not start within {self.start_timeout:.0f} s; "
                f"the cluster may lack the resources they ask for ({self._resources_text()})"
            ) from exc
        wrong = sorted(set(ids) - {self.model_id})
        if wrong:
            self.close()
            raise ConfigurationError(
                f"the Ray actors loaded model {wrong[0]!r}, not {self.model_id!r}; install the "
                "same embedding model on every Ray node"
            )

    def _resources_text(self) -> str:
        if self._uses_gpu():
            return "1 GPU and 1 CPU each"
        return f"{self._threads_per_actor()} CPU each"

    def _dimension(self) -> int:
        model = self._local.warm_up()
        # Renamed in sentence-transformers 5.x; the older name still works, with a warning.
        get_dimension = getattr(model, "get_embedding_dimension", None)
        if get_dimension is None:
            get_dimension = model.get_sentence_embedding_dimension
        return int(get_dimension() or 0)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigurationError(
            f"distributed embedding needs Ray, which is not installed: {INSTALL_HINT}"
        ) from exc
    return ray


def _shards(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def _is_bundled(model: str) -> bool:
    """True for the model shipped with the package: each node then loads its own copy."""
    try:
        return Path(model).resolve() == Path(bundled_model_path()).resolve()
    except (ImportError, OSError):
        return False


def _probe(address: str, timeout: float) -> None:
    """Fail fast, naming the address, when nothing listens there (Ray itself retries ~30 s)."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigurationError(f"bad Ray address {address!r}: {exc}") from exc
    if not host or port is None:
        raise ConfigurationError(
            f"bad Ray address {address!r}: expected ray://HOST:PORT, HOST:PORT or auto"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"cannot connect to the Ray cluster at {address!r}: {exc}"
        ) from exc
