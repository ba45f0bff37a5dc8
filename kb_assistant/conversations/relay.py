"""What people do on a handoff case, carried into the customer's chat.

The case store is the truth about a case: who claimed it, when it was resolved, what the
agent wrote to the customer (direction `to_customer`). `CustomerRelay.sync` mirrors what the
chat has not seen yet into the conversation, in the order it happened: a reply becomes an
`agent` message, a change of the case a `handoff` event with a kind sentence. Whoever
changed the case (the admin API, Slack, another server process) the customer's chat
catches up: the relay syncs right after its own writes, and the event stream syncs while
it waits. Each change and reply is stored once (unique in the store) however many
processes notice it together. A case whose conversation is not a web chat (a one-off
question from the command line) only lives in the case store.

The sentences say who is helping and what happens next, and nothing about money: only the
person handling the case may decide that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from kb_assistant.conversations.store import ConversationStore
from kb_assistant.conversations.types import StoredMessage
from kb_assistant.handoff import Case, CaseMessage, CaseNotFoundError, CaseStateError, HandoffStore

Change = tuple[datetime, Callable[[], object]]


def opened_text(response_time: str) -> str:
    """The customer's line when their conversation goes to a person."""
    when = " ".join(response_time.split()).rstrip(".")
    return f"A person from our team will reply here {when}."


def claimed_text(agent: str) -> str:
    """The customer's line when an agent takes the case."""
    return f"{agent} from our support team has joined the conversation and will reply here."


def resolved_text(agent: str) -> str:
    """The customer's line when an agent closes the case."""
    return (
        f"{agent} has marked your conversation as resolved. If there's anything else, "
        "just write here and we'll help."
    )


class CustomerRelay:
    """Keeps the customer's chat in step with the conversation's handoff cases."""

    def __init__(
        self, cases: HandoffStore, conversations: ConversationStore, response_time: str
    ) -> None:
        self.cases = cases
        self.conversations = conversations
        self.response_time = response_time

    def claim(self, case_id: int, agent: str) -> Case:
        """`agent` takes the case; the customer hears who joined."""
        case = self.cases.claim(case_id, agent)
        self.sync(case.conversation_id)
        return case

    def resolve(self, case_id: int, agent: str) -> Case:
        """`agent` closes the case; the customer hears it is resolved."""
        case = self.cases.resolve(case_id, agent)
        self.sync(case.conversation_id)
        return case

    def reply(
        self, case_id: int, agent: str, text: str
    ) -> tuple[CaseMessage, StoredMessage | None]:
        """`agent`'s reply to the customer of an open or claimed case, and its chat copy.

        Raises `CaseStateError` when the case is resolved (its conversation may have a newer
        case by then: reply on that one).
        """
        case = self.cases.get(case_id)
        if not case.active:
            raise CaseStateError(
                f"case {case_id} is {case.state}: reply on the conversation's current case, or "
                "wait for the customer to write again"
            )
        relayed = self.cases.add_message(case.conversation_id, "to_customer", agent, text)
        self.sync(case.conversation_id)
        return relayed, self.conversations.relayed(relayed.id)

    def sync(self, conversation_id: str) -> None:
        """Store in the chat every case change and agent reply it has not seen, oldest first."""
        if not self.conversations.exists(conversation_id):
            return
        cases = self._cases(conversation_id)
        if not cases:
            return
        changes: list[Change] = []
        for case in cases:
            changes.extend(self._case_changes(case))
        after = self.conversations.last_relayed(conversation_id)
        for message in self.cases.messages(conversation_id, after_id=after):
            if message.direction == "to_customer":
                changes.append((message.created_at, _bind(self._store_reply, message)))
        for _, store in sorted(changes, key=lambda change: change[0]):
            store()

    def _cases(self, conversation_id: str) -> list[Case]:
        """The conversation's active case and the last one its chat knows about."""
        found: dict[int, Case] = {}
        active = self.cases.active_case(conversation_id)
        if active is not None:
            found[active.id] = active
        last = self.conversations.last_handoff(conversation_id)
        if last is not None and last.case_id is not None and last.case_id not in found:
            with contextlib.suppress(CaseNotFoundError):  # a case removed from the store
                found[last.case_id] = self.cases.get(last.case_id)
        return sorted(found.values(), key=lambda case: case.id)

    def _case_changes(self, case: Case) -> list[Change]:
        told = self.conversations.handoff_states(case.id)
        changes: list[Change] = []
        if "open" not in told:
            text = opened_text(self.response_time)
            changes.append((case.created_at, _bind(self._store_state, case, "open", None, text)))
        if case.claimed_at is not None and case.claimed_by and "claimed" not in told:
            text = claimed_text(case.claimed_by)
            event = _bind(self._store_state, case, "claimed", case.claimed_by, text)
            changes.append((case.claimed_at, event))
        if case.resolved_at is not None and case.resolved_by and "resolved" not in told:
            text = resolved_text(case.resolved_by)
            event = _bind(self._store_state, case, "resolved", case.resolved_by, text)
            changes.append((case.resolved_at, event))
        return changes

    def _store_state(self, case: Case, state: str, agent: str | None, text: str) -> None:
        self.conversations.add_once(
            case.conversation_id,
            "system",
            text,
            case_id=case.id,
            event="handoff",
            handoff_state=state,
            agent=agent,
            in_transcript=state != "open",  # the assistant's reply already said so
        )

    def _store_reply(self, message: CaseMessage) -> None:
        self.conversations.add_once(
            message.conversation_id,
            "agent",
            message.text,
            case_id=message.case_id,
            case_message_id=message.id,
            event="agent_message",
            agent=message.author,
        )


def _bind(function: Callable[..., None], *args: object) -> Callable[[], object]:
    return lambda: function(*args)
