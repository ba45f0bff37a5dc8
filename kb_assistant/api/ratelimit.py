"""Rate limits: a sliding window per key (a conversation, a client address), thread-safe.

A sliding-window log is exact ("at most N in any SECONDS-long window") and small at chat
volumes: it keeps at most N timestamps per active key, and forgets keys that went quiet.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from kb_assistant.settings import Settings, parse_rate

MAX_KEYS = 100_000  # beyond this, quiet keys are dropped before a new one is added


class SlidingWindowLimiter:
    """At most `limit` hits per key in any window of `window_s` seconds."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate limit needs limit ≥ 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count a hit for `key` and return 0, or, when the key is over its limit, count
        nothing and return the seconds until it may try again."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._forget_quiet(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            return 0.0

    def _forget_quiet(self, now: float) -> None:
        quiet = [
            key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s
        ]
        for key in quiet:
            del self._hits[key]
        while len(self._hits) >= self._max_keys:  # everyone is active: drop the oldest keys
            del self._hits[next(iter(self._hits))]


def retry_after(seconds: float) -> str:
    """The `Retry-After` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


@dataclass(frozen=True)
class RateLimits:
    """The chat's two limits: messages per conversation, and calls per client address."""

    conversation: SlidingWindowLimiter
    client: SlidingWindowLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        per_conversation = parse_rate(
            settings.rate_limit_conversation, "KB_RATE_LIMIT_CONVERSATION"
        )
        per_client = parse_rate(settings.rate_limit_client, "KB_RATE_LIMIT_CLIENT")
        return cls(SlidingWindowLimiter(*per_conversation), SlidingWindowLimiter(*per_client))
