"""Work a server repeats beside its requests, in a daemon thread, until it is stopped.

The Slack case mirror and the recovery of undecided customer messages both run one round of
work every few seconds; a round that fails (a database or Slack away for a moment) is logged
and the next round tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Calls `work` every `interval_s` seconds (first at once when `immediately`)."""

    def __init__(
        self,
        work: Callable[[], object],
        interval_s: float,
        *,
        name: str,
        immediately: bool = False,
        failure: str = "a background round failed",
    ) -> None:
        self.work = work
        self.interval_s = interval_s
        self.name = name
        self.immediately = immediately
        self.failure = failure
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30) -> None:
        """Stop after the round in progress, waiting up to `timeout_s` for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None

    def _run(self) -> None:
        if not self.immediately and self._stop.wait(self.interval_s):
            return
        while True:
            try:
                self.work()
            except Exception:
                log.warning(
                    "%s; trying again in %g s", self.failure, self.interval_s, exc_info=True
                )
            if self._stop.wait(self.interval_s):
                return
