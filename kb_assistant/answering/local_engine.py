"""The local model runtime: llama.cpp (through xllamacpp) loaded once inside this process.

The model loads on the first request and stays loaded until `close()`, which also runs when
the process exits. Requests go straight to llama.cpp's chat-completions handler, in the
process; no other process is started. xllamacpp also opens llama.cpp's HTTP endpoint: it is
bound to loopback, answers only with a random key this object keeps (so nothing else on the
machine can use the model), and has its web UI and extra endpoints off. Model hubs are never
contacted: only a local file is loaded, with llama.cpp's offline mode on.

Every generation has a time limit, counted from the request: a stream that passes it is cut
at once (`GenerationTimeLimitError`), and llama.cpp stops generating at its next token.
"""

from __future__ import annotations

import atexit
import importlib
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb_assistant.answering.llm_errors import GenerationTimeLimitError, LlmError

LOOPBACK = "127.0.0.1"
# Seconds `close()` waits for a generation in progress to notice it was cancelled (at its
# next token; reading a long prompt cannot be interrupted).
CLOSE_WAIT_S = 60.0


@dataclass(frozen=True)
class EngineConfig:
    """How the model is loaded: file, context size and CPU threads (0: llama.cpp's default)."""

    model_path: Path
    context_size: int
    threads: int = 0


@dataclass
class _Finished:
    error: BaseException | None = None


class _Generation:
    """One request running on a worker thread; its chunks arrive on a queue.

    The worker is not a daemon: a generation that was cut or abandoned still runs inside
    llama.cpp until its next token, and the interpreter must wait for it rather than stop the
    thread in native code at exit.
    """

    def __init__(
        self, server: Any, body: Mapping[str, Any], done: Callable[[_Generation], None]
    ) -> None:
        self.chunks: queue.SimpleQueue[Mapping[str, Any] | _Finished] = queue.SimpleQueue()
        self.cancelled = threading.Event()
        self._done = done
        self.worker = threading.Thread(
            target=self._run, args=(server, dict(body)), name="kb-local-llm"
        )

    def _run(self, server: Any, body: dict[str, Any]) -> None:
        try:
            result = server.handle_chat_completions(body, self._on_chunk)
            if isinstance(result, Mapping) and "error" in result:
                self.chunks.put(result)
            self.chunks.put(_Finished())
        except BaseException as exc:  # handed to the consumer's thread, raised there
            self.chunks.put(_Finished(exc))
        finally:
            self._done(self)

    def _on_chunk(self, chunk: Mapping[str, Any]) -> bool:
        """Called by llama.cpp for each streamed chunk; True stops the generation."""
        self.chunks.put(chunk)
        return self.cancelled.is_set()


def _error_text(chunk: Mapping[str, Any]) -> str | None:
    error = chunk.get("error")
    if error is None:
        return None
    message = error.get("message") if isinstance(error, Mapping) else error
    return " ".join(str(message).split())[:300]


class LocalEngine:
    """A GGUF model loaded by llama.cpp in this process, streaming chat completions."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._server: Any = None
        self._lock = threading.Lock()
        self._running: set[_Generation] = set()
        self._closed = False

    @property
    def started(self) -> bool:
        return self._server is not None

    def start(self) -> Any:
        """Load the model (once); raises `LlmError` when llama.cpp cannot load it."""
        with self._lock:
            if self._closed:
                raise LlmError("the local model was shut down")
            if self._server is None:
                self._server = self._load()
                atexit.register(self.close)
            return self._server

    def _load(self) -> Any:
        xllamacpp = importlib.import_module("xllamacpp")  # untyped; imported only when used

        params = xllamacpp.CommonParams()
        params.model.path = str(self.config.model_path)
        params.n_ctx = self.config.context_size
        params.n_parallel = 1
        if self.config.threads:
            params.cpuparams.n_threads = self.config.threads
            params.cpuparams_batch.n_threads = self.config.threads
        params.offline = True
        params.hostnames = [LOOPBACK]
        params.port = 0
        params.api_keys = [secrets.token_urlsafe(32)]
        params.ui = False
        params.endpoint_slots = False
        params.endpoint_metrics = False
        params.endpoint_props = False
        params.verbosity = 0
        try:
            return xllamacpp.Server(params)
        except RuntimeError as exc:
            raise LlmError(
                f"llama.cpp could not load the model {str(self.config.model_path)!r} ({exc}); "
                "check that it is a complete GGUF file of a model llama.cpp supports, and that "
                "KB_LLM_CONTEXT_WINDOW fits in memory"
            ) from exc

    def stream(self, body: Mapping[str, Any], time_limit_s: float) -> Iterator[Mapping[str, Any]]:
        """The streamed chunks of one chat completion, cut after `time_limit_s` seconds.

        Raises `GenerationTimeLimitError` when the limit passes, `LlmError` when llama.cpp
        refuses the request (a prompt longer than the context, say). Closing the iterator
        early cancels the generation.
        """
        deadline = time.monotonic() + time_limit_s
        server = self.start()
        generation = _Generation(server, {**body, "stream": True}, self._finished)
        with self._lock:
            self._running.add(generation)
        generation.worker.start()
        try:
            while True:
                item = self._next(generation, deadline, time_limit_s)
                if isinstance(item, _Finished):
                    if item.error is not None:
                        raise LlmError(f"the local model failed: {item.error}") from item.error
                    return
                problem = _error_text(item)
                if problem is not None:
                    raise LlmError(f"the local model refused the request: {problem}")
                yield item
        finally:
            generation.cancelled.set()  # llama.cpp stops at its next token, if still running

    def _finished(self, generation: _Generation) -> None:
        with self._lock:
            self._running.discard(generation)

    @staticmethod
    def _next(
        generation: _Generation, deadline: float, time_limit_s: float
    ) -> Mapping[str, Any] | _Finished:
        left = deadline - time.monotonic()
        try:
            if left > 0:
                return generation.chunks.get(timeout=left)
        except queue.Empty:
            pass
        raise GenerationTimeLimitError(
            f"the local model did not finish within its time limit of {time_limit_s:g} s "
            "(KB_LLM_TIME_LIMIT_S); the generation was cut"
        )

    def close(self) -> None:
        """Cancel running generations and unload the model; safe to call more than once."""
        with self._lock:
            self._closed = True
            running, self._running = list(self._running), set()
            server, self._server = self._server, None
        for generation in running:
            generation.cancelled.set()
        for generation in running:
            generation.worker.join(CLOSE_WAIT_S)
        if server is not None:
            atexit.unregister(self.close)
            del server  # llama.cpp stops its loop and frees the model here
