"""Concurrent writers on one database, each with its own store (as separate processes
would have): one case per conversation, no lost turns, one claim wins, messages in order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from kb_assistant.handoff import CaseStateError, HandoffStore
from tests.handoff.conftest import StoreFactory, make_packet, turn

T = TypeVar("T")
WRITERS = 6


def race(
    new_store: StoreFactory, work: Callable[[HandoffStore, int], T], writers: int = WRITERS
) -> list[T]:
    """Run `work(store, n)` in `writers` threads that start together, each with its own store."""
    stores = [new_store() for _ in range(writers)]
    start = threading.Barrier(writers)

    def run(n: int) -> T:
        start.wait(timeout=10)
        return work(stores[n], n)

    with ThreadPoolExecutor(writers) as pool:
        return list(pool.map(run, range(writers)))


def test_racing_opens_create_exactly_one_case(new_store: StoreFactory) -> None:
    results = race(new_store, lambda store, n: store.open_case(make_packet("conv-1")))

    assert sum(created for _, created in results) == 1
    assert len({case.id for case, _ in results}) == 1
    store = new_store()
    assert len(store.list_cases()) == 1


def test_racing_opens_with_new_turns_lose_none(new_store: StoreFactory) -> None:
    new_store().open_case(make_packet("conv-1"))

    race(
        new_store,
        lambda store, n: store.open_case(make_packet("conv-1", turn(f"follow-up {n}", 10 + n))),
    )

    case = new_store().active_case("conv-1")
    assert case is not None
    texts = [t.text for t in case.packet.transcript]
    assert texts[0] == "I was charged twice for my order"
    assert sorted(texts[1:]) == [f"follow-up {n}" for n in range(WRITERS)]


def test_only_one_of_two_racing_agents_claims_the_case(new_store: StoreFactory) -> None:
    case, _ = new_store().open_case(make_packet())
    agents = ["alice", "bob"]

    def claim(store: HandoffStore, n: int) -> str:
        try:
            return store.claim(case.id, agents[n]).claimed_by or ""
        except CaseStateError:
            return "refused"

    outcomes = race(new_store, claim, writers=2)

    assert sorted(outcomes) in (["alice", "refused"], ["bob", "refused"])


def test_racing_messages_are_all_kept_in_order(new_store: StoreFactory) -> None:
    per_writer = 15
    new_store().open_case(make_packet("conv-1"))

    def send(store: HandoffStore, n: int) -> None:
        for i in range(per_writer):
            store.add_message("conv-1", "from_customer", f"writer-{n}", f"{n}:{i}")

    race(new_store, send, writers=3)

    messages = new_store().messages("conv-1")
    assert len(messages) == 3 * per_writer
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    for n in range(3):
        mine = [m.text for m in messages if m.author == f"writer-{n}"]
        assert mine == [f"{n}:{i}" for i in range(per_writer)]
