"""Everything one app instance works with, built once from `Settings`.

The cheap parts (stores, token signer, limits, metrics) are built with the app; the
assistant (model, indexes, policy) is built at start-up, in the lifespan. When it cannot be
built then (a Chroma server that is not up yet), the server still starts, `/ready` says
why it is not ready and tries again, and customer messages get 503 meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kb_assistant.api.errors import ApiError
from kb_assistant.api.ingest_jobs import IngestJobs
from kb_assistant.api.metrics import ApiMetrics
from kb_assistant.api.ratelimit import RateLimits
from kb_assistant.api.tokens import ConversationTokens
from kb_assistant.assistant import Assistant
from kb_assistant.composition.console import ConsoleServices
from kb_assistant.conversations import ConversationStore, CustomerRelay, TurnLedger
from kb_assistant.handoff import HandoffStore
from kb_assistant.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

RETRY_START_S = 5.0  # at most one attempt to build the assistant per this many seconds


class Background(Protocol):
    """Work that runs beside the server (a thread), started and stopped with it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ApiState:
    """The app's settings, stores, limits and metrics, and the assistant once it is built."""

    settings: Settings
    conversations: ConversationStore
    turns: TurnLedger
    cases: HandoffStore
    relay: CustomerRelay
    tokens: ConversationTokens
    limits: RateLimits
    metrics: ApiMetrics
    jobs: IngestJobs
    builder: Callable[[], Assistant]
    console: ConsoleServices
    assistant: Assistant | None = None
    start_error: str | None = None
    background: list[Background] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_attempt: float = float("-inf")

    def start(self) -> None:
        """Build the assistant (load the model, open the indexes, train or load the policy).

        A configuration error stops the server; anything else (an index that cannot be
        reached) leaves it running and not ready.
        """
        with self._lock:
            if self.assistant is not None:
                return
            self._last_attempt = time.monotonic()
            try:
                assistant = self.builder()
                assistant.warm_up()  # load the models now
            except ConfigurationError:
                raise
            except Exception as exc:
                self.start_error = f"{type(exc).__name__}: {exc}"
                log.error("the assistant could not start; retrying on /ready: %s", exc)
                return
            self.assistant, self.start_error = assistant, None

    def retry_start(self) -> None:
        """Try to build the assistant again, unless that was tried a moment ago."""
        if self.assistant is None and time.monotonic() - self._last_attempt >= RETRY_START_S:
            self.start()

    def ready_assistant(self) -> Assistant:
        """The assistant, or 503 `not_ready` while it is not built."""
        if self.assistant is None:
            reason = self.start_error or "the assistant is still starting"
            raise ApiError(503, f"not ready to answer yet ({reason}); try again shortly")
        return self.assistant
