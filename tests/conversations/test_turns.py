"""The ledger of pending customer turns, on a real SQLite database: a message and its pending
decision are stored together, the reply closes the turn, and turns nobody works on can be
taken over exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kb_assistant.conversations import INTERRUPTED, ConversationStore, TurnLedger
from kb_assistant.storage.processes import ProcessId, this_process
from tests.conftest import dead_process
from tests.storage.engines import upgraded_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")


@pytest.fixture
def store(engine: Engine) -> ConversationStore:
    return ConversationStore(engine)


@pytest.fixture
def ledger(engine: Engine, store: ConversationStore) -> TurnLedger:
    return TurnLedger(engine)


def test_a_message_is_stored_with_its_pending_turn_and_the_reply_closes_it(
    store: ConversationStore, ledger: TurnLedger
) -> None:
    conversation = store.create()
    turn = ledger.begin(conversation.id, "Where is my parcel?", length="short")

    assert [m.text for m in store.transcript(conversation.id)] == ["Where is my parcel?"]
    [pending] = ledger.pending()
    assert pending.message.id == turn.message.id
    assert (pending.kind, pending.length, pending.owner) == (
        "message",
        "short",
        this_process().key(),
    )

    reply = ledger.settle(turn, "It is on its way.", action="answer", citations=[{"number": 1}])

    assert ledger.count() == 0
    assert (reply.text, reply.action, reply.reply_to) == (
        "It is on its way.",
        "answer",
        turn.message.id,
    )
    assert [m.role for m in store.transcript(conversation.id)] == ["customer", "assistant"]


def test_a_streamed_reply_is_stored_before_it_is_sent_and_completed_in_place(
    store: ConversationStore, ledger: TurnLedger
) -> None:
    conversation = store.create()
    turn = ledger.begin(conversation.id, "How do returns work?")

    reply_id = ledger.progress(turn, "You have 30 days. ", None)
    assert ledger.progress(turn, "You have 30 days. Print the label. ", reply_id) == reply_id
    shown = store.transcript(conversation.id)[-1]
    assert (shown.id, shown.text, shown.action) == (
        reply_id,
        "You have 30 days. Print the label. ",
        None,
    )

    final = ledger.settle(
        turn, "You have 30 days. Print the label.", reply_id=reply_id, action="answer"
    )

    assert final.id == reply_id
    assert [(m.role, m.action) for m in store.transcript(conversation.id)] == [
        ("customer", None),
        ("assistant", "answer"),
    ]


def test_settling_twice_stores_one_reply(store: ConversationStore, ledger: TurnLedger) -> None:
    conversation = store.create()
    turn = ledger.begin(conversation.id, "Hello")

    first = ledger.settle(turn, "Hi there!", action="answer")
    second = ledger.settle(turn, "Hello again!", action="answer")

    assert second.id == first.id and second.text == "Hi there!"
    assert len(store.transcript(conversation.id)) == 2


def test_turns_of_a_dead_process_released_or_stale_are_recoverable_others_not(
    engine: Engine,
    store: ConversationStore,
    ledger: TurnLedger,
) -> None:
    conversation = store.create()
    mine = ledger.begin(conversation.id, "in progress here")
    orphan = TurnLedger(engine, dead_process()).begin(conversation.id, "its server died")
    released = ledger.begin(conversation.id, "the reply failed")
    ledger.release(released, "RuntimeError: boom")
    far = TurnLedger(engine, ProcessId("elsewhere", 1, "1")).begin(conversation.id, "far away")

    found = {t.message.id for t in ledger.recoverable(stale_after_s=300)}
    assert found == {orphan.message.id, released.message.id}
    # Another machine's process cannot be checked: only its lack of progress tells.
    stale = {t.message.id for t in ledger.recoverable(stale_after_s=0.0)}
    assert far.message.id in stale and mine.message.id in stale
    assert [t.last_error for t in ledger.pending() if t.message.id == released.message.id] == [
        "RuntimeError: boom"
    ]


def test_a_turn_is_taken_over_by_exactly_one_claimant(
    engine: Engine,
    store: ConversationStore,
) -> None:
    conversation = store.create()
    TurnLedger(engine, dead_process()).begin(conversation.id, "I was charged twice")
    claimants = [TurnLedger(engine, ProcessId("host", n, "1")) for n in range(6)]
    [turn] = claimants[0].recoverable(stale_after_s=300)
    won: list[int] = []
    start = threading.Barrier(len(claimants))

    def claim(number: int) -> None:
        start.wait()
        if claimants[number].claim(turn) is not None:
            won.append(number)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(claimants))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(won) == 1
    [pending] = claimants[0].pending()
    assert pending.owner == ProcessId("host", won[0], "1").key() and pending.attempts == 2


def test_a_half_streamed_reply_is_marked_interrupted_when_its_turn_is_taken_over(
    engine: Engine,
    store: ConversationStore,
    ledger: TurnLedger,
) -> None:
    conversation = store.create()
    gone = TurnLedger(engine, dead_process())
    turn = gone.begin(conversation.id, "How do I clean the kettle?")
    gone.progress(turn, "Descale it once a month ", None)

    [orphan] = ledger.recoverable(stale_after_s=300)
    claimed = ledger.claim(orphan)
    assert claimed is not None and claimed.reply_id is None
    ledger.settle(claimed, "Descale it once a month with the descaler.", action="answer")

    shown = [(m.role, m.text, m.action) for m in store.transcript(conversation.id)]
    assert shown == [
        ("customer", "How do I clean the kettle?", None),
        ("assistant", "Descale it once a month ", INTERRUPTED),
        ("assistant", "Descale it once a month with the descaler.", "answer"),
    ]
    assert ledger.count() == 0


def test_text_no_database_can_store_is_cleaned(
    store: ConversationStore, ledger: TurnLedger
) -> None:
    conversation = store.create()
    turn = ledger.begin(conversation.id, "help \ud800 me\x00")
    assert turn.message.text == "help \ufffd me"
