"""The background reader: order kept, errors carried over, producer stopped on early exit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ingest.background import Prefetcher


def test_items_arrive_in_order() -> None:
    assert list(Prefetcher(range(1000), buffer=8)) == list(range(1000))


def test_producer_error_reaches_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad file")

    received = []
    with pytest.raises(ValueError, match="bad file"):
        for item in Prefetcher(broken()):
            received.append(item)
    assert received == [1]


def test_consumer_stopping_early_stops_the_producer() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    for item in Prefetcher(endless(), buffer=4):
        if item == 10:
            break
    time.sleep(0.5)
    count = len(produced)
    time.sleep(0.3)

    assert len(produced) == count <= 10 + 4 + 2
    assert not any(t.name == "prefetch" for t in threading.enumerate())


def test_has_ready_tells_whether_taking_would_block() -> None:
    gate = threading.Event()

    def slow() -> Iterator[int]:
        yield 1
        gate.wait(5)
        yield 2

    prefetcher = Prefetcher(slow())
    items = iter(prefetcher)
    assert next(items) == 1
    assert not prefetcher.has_ready()
    gate.set()
    assert next(items) == 2
