"""Run a producer in a background thread, so reading files overlaps with embedding.

The embedding model leaves CPU idle between its batches; parsing PDFs and chunking in
another thread fills it. A bounded queue keeps memory flat, and an error on either side
stops both.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class _Raised:
    error: BaseException


class _Done:
    pass


class Prefetcher(Generic[T]):
    """Iterates `items` in a daemon thread, up to `buffer` items ahead of the consumer."""

    def __init__(self, items: Iterable[T], buffer: int = 64, name: str = "prefetch") -> None:
        self._items = items
        self._queue: queue.Queue[T | _Raised | _Done] = queue.Queue(maxsize=buffer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)

    def __iter__(self) -> Iterator[T]:
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if isinstance(item, _Done):
                    return
                if isinstance(item, _Raised):
                    raise item.error
                yield item
        finally:
            self._stop.set()
            self._thread.join()

    def has_ready(self) -> bool:
        """Whether an item is waiting, so taking it now would not block."""
        return not self._queue.empty()

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
        except BaseException as error:  # handed to the consumer, re-raised there
            self._put(_Raised(error))
            return
        self._put(_Done())

    def _put(self, item: T | _Raised | _Done) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False
