"""The case store on a real database: one active case per conversation, its life cycle and
its messages."""

from __future__ import annotations

import time
from datetime import UTC

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from kb_assistant.handoff import (
    MAX_TEXT_CHARS,
    CaseNotFoundError,
    CaseStateError,
    CustomerContact,
    HandoffInputError,
    HandoffStore,
    NoActiveCaseError,
)
from kb_assistant.handoff.tables import HandoffCaseRow, HandoffMessageRow, HandoffTurnRow
from tests.handoff.conftest import StoreFactory, make_packet, turn


def test_open_case_stores_the_whole_packet(store: HandoffStore) -> None:
    packet = make_packet(
        "conv-1",
        turn("Hi"),
        turn("Hello! How can I help?", 1, "assistant"),
        turn("I was charged twice", 2),
        contact=CustomerContact(email="sam@example.org", name="Sam"),
        sentiment=0.7,
        sentiment_signals=("repeated failure",),
    )

    case, created = store.open_case(packet)

    assert created
    assert case.state == "open" and case.active
    assert case.packet == packet
    assert store.get(case.id) == case
    assert store.active_case("conv-1") == case
    assert case.created_at.tzinfo is UTC and case.created_at == case.updated_at
    assert case.claimed_by is None and case.resolved_at is None


def test_a_second_open_returns_the_case_and_appends_only_new_turns(store: HandoffStore) -> None:
    first, _ = store.open_case(make_packet("conv-1", turn("Where is my refund?")))
    time.sleep(0.01)
    again = make_packet(
        "conv-1",
        turn("Where is my refund?"),
        turn("Someone stole my card", 5),
        label="security",
        urgent=True,
    )

    case, created = store.open_case(again)

    assert not created
    assert case.id == first.id
    assert [t.text for t in case.packet.transcript] == [
        "Where is my refund?",
        "Someone stole my card",
    ]
    assert case.packet.urgent  # a security matter raised later still marks the case
    assert case.packet.label == "money_action"  # the reason it was opened is kept
    assert case.updated_at > first.updated_at
    assert store.list_cases() == [case]


def test_opening_again_with_nothing_new_changes_nothing(store: HandoffStore) -> None:
    first, _ = store.open_case(make_packet("conv-1"))

    case, created = store.open_case(make_packet("conv-1"))

    assert not created
    assert case == first


def test_a_resolved_conversation_opens_a_new_case(store: HandoffStore) -> None:
    first, _ = store.open_case(make_packet("conv-1"))
    store.resolve(first.id, "alice")

    second, created = store.open_case(make_packet("conv-1", turn("It happened again", 60)))

    assert created and second.id != first.id
    assert [t.text for t in second.packet.transcript] == ["It happened again"]
    assert store.active_case("conv-1") == second
    assert [c.id for c in store.list_cases()] == [second.id, first.id]


def test_cases_are_kept_in_the_database(new_store: StoreFactory) -> None:
    case, _ = new_store().open_case(make_packet())

    reopened = new_store()

    assert reopened.get(case.id) == case


def test_claim_records_the_agent_and_the_time(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet())

    claimed = store.claim(case.id, "alice")

    assert claimed.state == "claimed" and claimed.active
    assert claimed.claimed_by == "alice"
    assert claimed.claimed_at is not None and claimed.claimed_at.tzinfo is UTC
    assert claimed.claimed_at >= case.created_at
    assert store.claim(case.id, "alice") == claimed  # claiming again changes nothing


def test_another_agent_cannot_claim_a_claimed_case(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet())
    store.claim(case.id, "alice")

    with pytest.raises(CaseStateError, match=r"cannot claim case \d+: alice claimed it"):
        store.claim(case.id, "bob")
    assert store.get(case.id).claimed_by == "alice"


def test_resolve_closes_a_claimed_case_and_frees_the_conversation(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet())
    store.claim(case.id, "alice")

    resolved = store.resolve(case.id, "bob")

    assert resolved.state == "resolved" and not resolved.active
    assert (resolved.claimed_by, resolved.resolved_by) == ("alice", "bob")
    assert resolved.resolved_at is not None and resolved.resolved_at.tzinfo is UTC
    assert store.active_case(case.conversation_id) is None


def test_an_open_case_can_be_resolved_directly(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet())

    resolved = store.resolve(case.id, "alice")

    assert resolved.state == "resolved" and resolved.claimed_by is None


@pytest.mark.parametrize("step", ["claim", "resolve"])
def test_nothing_happens_to_a_resolved_case(store: HandoffStore, step: str) -> None:
    case, _ = store.open_case(make_packet())
    resolved = store.resolve(case.id, "alice")

    with pytest.raises(CaseStateError, match=f"cannot {step} case .* resolved by alice"):
        getattr(store, step)(case.id, "bob")
    assert store.get(case.id) == resolved


def test_unknown_case_ids_are_reported(store: HandoffStore) -> None:
    with pytest.raises(CaseNotFoundError, match="no handoff case has id 404"):
        store.get(404)
    with pytest.raises(CaseNotFoundError):
        store.claim(404, "alice")
    with pytest.raises(CaseNotFoundError):
        store.resolve(404, "alice")


def test_an_agent_must_be_named(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet())

    with pytest.raises(HandoffInputError, match="agent name is empty"):
        store.claim(case.id, "  ")
    assert store.get(case.id).state == "open"


def test_messages_go_both_ways_in_the_order_they_were_stored(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet("conv-1"))
    store.open_case(make_packet("conv-2"))
    store.claim(case.id, "alice")
    sent = [
        store.add_message("conv-1", "to_customer", "alice", "Hi, I'm Alice. I'm looking at it."),
        store.add_message("conv-1", "from_customer", "customer", "Thanks!"),
        store.add_message("conv-2", "from_customer", "customer", "Hello?"),
        store.add_message("conv-1", "to_customer", "alice", "Found it."),
    ]

    messages = store.messages("conv-1")

    assert [m.text for m in messages] == [
        "Hi, I'm Alice. I'm looking at it.",
        "Thanks!",
        "Found it.",
    ]
    assert [m.direction for m in messages] == ["to_customer", "from_customer", "to_customer"]
    assert all(m.case_id == case.id and m.created_at.tzinfo is UTC for m in messages)
    assert store.messages("conv-1", after_id=sent[1].id) == [sent[3]]
    assert store.messages("conv-1", after_id=sent[3].id) == []
    assert store.get(case.id).updated_at >= sent[3].created_at


def test_messages_of_every_case_of_the_conversation_are_kept(store: HandoffStore) -> None:
    first, _ = store.open_case(make_packet("conv-1"))
    store.add_message("conv-1", "to_customer", "alice", "first case")
    store.resolve(first.id, "alice")
    second, _ = store.open_case(make_packet("conv-1", turn("again", 90)))
    store.add_message("conv-1", "to_customer", "bob", "second case")

    messages = store.messages("conv-1")

    assert [(m.case_id, m.text) for m in messages] == [
        (first.id, "first case"),
        (second.id, "second case"),
    ]


def test_a_message_needs_an_active_case(store: HandoffStore) -> None:
    case, _ = store.open_case(make_packet("conv-1"))
    store.resolve(case.id, "alice")

    with pytest.raises(NoActiveCaseError, match="'conv-1' has no open case"):
        store.add_message("conv-1", "to_customer", "alice", "Anything else?")
    with pytest.raises(NoActiveCaseError):
        store.add_message("never-handed-over", "from_customer", "customer", "Hi")
    assert store.messages("conv-1") == []


def test_oversized_and_empty_messages_are_refused_and_nothing_is_lost(store: HandoffStore) -> None:
    store.open_case(make_packet("conv-1"))
    kept = store.add_message("conv-1", "from_customer", "customer", "x" * MAX_TEXT_CHARS)

    with pytest.raises(HandoffInputError, match="20,001 characters long; at most 20,000"):
        store.add_message("conv-1", "from_customer", "customer", "x" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(HandoffInputError, match="message is empty"):
        store.add_message("conv-1", "from_customer", "customer", " \n ")
    with pytest.raises(HandoffInputError, match="unknown direction"):
        store.add_message("conv-1", "sideways", "customer", "Hi")  # type: ignore[arg-type]
    assert store.messages("conv-1") == [kept]


def test_nul_characters_are_dropped_so_any_database_can_store_the_text(
    store: HandoffStore,
) -> None:
    store.open_case(make_packet("conv-1", turn("bad\x00 byte")))

    message = store.add_message("conv-1", "from_customer", "customer", "a\x00b")

    assert message.text == "ab"
    case = store.active_case("conv-1")
    assert case is not None and case.packet.transcript[0].text == "bad byte"


def test_an_oversized_transcript_turn_opens_no_case(store: HandoffStore) -> None:
    packet = make_packet("conv-1", turn("y" * (MAX_TEXT_CHARS + 1)))

    with pytest.raises(HandoffInputError, match="transcript turn 1 is 20,001 characters"):
        store.open_case(packet)
    assert store.list_cases() == []


def test_list_cases_filters_by_state_newest_first(store: HandoffStore) -> None:
    ids = [store.open_case(make_packet(f"conv-{n}"))[0].id for n in range(4)]
    store.claim(ids[1], "alice")
    store.resolve(ids[2], "alice")

    assert [c.id for c in store.list_cases()] == ids[::-1]
    assert [c.id for c in store.list_cases("open")] == [ids[3], ids[0]]
    assert [c.id for c in store.list_cases("claimed")] == [ids[1]]
    assert [c.id for c in store.list_cases(limit=2)] == [ids[3], ids[2]]
    with pytest.raises(HandoffInputError, match="unknown case state 'closed'"):
        store.list_cases("closed")  # type: ignore[arg-type]


def test_the_schema_is_valid_postgresql() -> None:
    ddl = "\n".join(
        str(CreateTable(row.__table__).compile(dialect=postgresql.dialect()))  # type: ignore[arg-type]
        for row in (HandoffCaseRow, HandoffTurnRow, HandoffMessageRow)
    )

    assert "UNIQUE (active_conversation)" in ddl
    assert "UNIQUE (case_id, position)" in ddl
    assert "TIMESTAMP WITH TIME ZONE" in ddl and "SERIAL" in ddl
