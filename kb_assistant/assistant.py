"""One customer message through the whole flow: the policy first, then an answer or a person.

Every channel (command line, HTTP API, Slack) replies through `Assistant.reply`, so the money
policy runs before any retrieval wherever a message comes from:

- a message the policy escalates (money action, a request for a person, a security matter)
  opens a handoff case with its packet (transcript, class, score, sentiment, the passages
  and the bot's draft, which the customer never sees) and the customer gets the handoff
  message;
- once a conversation is with a person, money questions in it are not answered by the bot:
  the customer hears that a person is on the way, and the message joins the case;
- a general money question is answered from public knowledge, commits to nothing (the
  verifier removes any commitment) and offers a person;
- a frustrated customer gets a calmer answer and the offer of a person.

Agents asking in Slack are classified too (the decision is audited) but never handed off:
they are the people a handoff goes to.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kb_assistant.answering.service import AnswerService
from kb_assistant.answering.types import Answer, AnswerRequest
from kb_assistant.handoff import (
    CasePacket,
    CasePassage,
    CustomerContact,
    HandoffError,
    HandoffSink,
    HandoffStore,
    TranscriptTurn,
    handoff_message,
)
from kb_assistant.policy.types import PolicyDecision

log = logging.getLogger(__name__)

# Classes about money: once a person has the conversation, the bot stays out of these.
MONEY_CLASSES = frozenset({"money_action", "money_info"})


class Policy(Protocol):
    """The policy engine as the flow uses it."""

    def classify(
        self, message: str, *, conversation_id: str | None = None, history: Sequence[str] = ()
    ) -> PolicyDecision: ...


@dataclass(frozen=True)
class Handoffs:
    """Where cases go: the store (always) and a sink that tells people about new ones."""

    store: HandoffStore
    sink: HandoffSink | None
    response_time: str


class Assistant:
    """Replies to one message of a conversation under the money and escalation policy."""

    def __init__(
        self, policy: Policy, answers: AnswerService, handoffs: Handoffs, *, store_cases: bool
    ) -> None:
        self.policy = policy
        self.answers = answers
        self.handoffs = handoffs
        # Without a conversation (a one-off `ask`) a case is stored only when this is set.
        self.store_cases = store_cases

    def reply(
        self,
        request: AnswerRequest,
        conversation_id: str | None = None,
        contact: CustomerContact | None = None,
    ) -> Answer:
        """The reply to `request`: an answer, an honest "I don't know", or a handoff."""
        started = time.perf_counter()
        earlier = [t.text for t in request.history if t.role == "customer"]
        decision = self.policy.classify(
            request.question, conversation_id=conversation_id, history=earlier
        )
        policy_seconds = time.perf_counter() - started
        answer = self._act(request, decision, conversation_id, contact)
        answer.timings = {"policy": policy_seconds, **answer.timings}
        return answer

    def _act(
        self,
        request: AnswerRequest,
        decision: PolicyDecision,
        conversation_id: str | None,
        contact: CustomerContact | None,
    ) -> Answer:
        """Escalate, wait for the person already on it, or answer (softened where needed)."""
        if request.channel == "agent":
            return _with_policy(self.answers.answer(request), decision)
        active = self.handoffs.store.active_case(conversation_id) if conversation_id else None
        if active is not None and (decision.escalate or decision.label in MONEY_CLASSES):
            self.handoffs.store.add_message(
                active.conversation_id, "from_customer", "customer", request.question
            )
            text = handoff_message(
                active.packet.label, self.handoffs.response_time, already_open=True
            )
            return _handoff_answer(text, decision, active.id)
        if decision.escalate:
            return self._hand_off(request, decision, conversation_id, contact)
        if decision.frustration.frustrated:
            request = dataclasses.replace(request, upset=True)
        if decision.label == "money_info":
            request = dataclasses.replace(request, offer_human=True)
        return _with_policy(self.answers.answer(request), decision)

    def _hand_off(
        self,
        request: AnswerRequest,
        decision: PolicyDecision,
        conversation_id: str | None,
        contact: CustomerContact | None,
    ) -> Answer:
        """Open (or join) the conversation's case and tell the customer a person will reply."""
        if conversation_id is None and not self.store_cases:
            text = handoff_message(decision.label, self.handoffs.response_time)
            return _handoff_answer(text, decision, None)
        draft = self.answers.answer(request)  # kept in the case, never shown to the customer
        packet = case_packet(
            request, decision, conversation_id or f"conv-{uuid.uuid4().hex}", draft, contact
        )
        case, created = self.handoffs.store.open_case(packet)
        if created and self.handoffs.sink is not None:
            try:
                self.handoffs.sink.deliver(case)
            except HandoffError as exc:  # the case is stored; people still find it there
                log.error("handoff case %s stored but not delivered: %s", case.id, exc)
        text = handoff_message(
            decision.label,
            self.handoffs.response_time,
            urgent=decision.urgent,
            already_open=not created,
        )
        return _handoff_answer(text, decision, case.id)


def case_packet(
    request: AnswerRequest,
    decision: PolicyDecision,
    conversation_id: str,
    draft: Answer,
    contact: CustomerContact | None,
) -> CasePacket:
    """Everything a person needs to take the conversation over."""
    transcript = [TranscriptTurn(t.role, t.text) for t in request.history]
    transcript.append(TranscriptTurn("customer", request.question))
    signals = decision.frustration.signals
    return CasePacket(
        conversation_id=conversation_id,
        label=decision.label,
        reason=f"{decision.label} ({decision.rule}, score {decision.score:.2f})",
        score=decision.score,
        policy_version=decision.policy_version,
        transcript=tuple(transcript),
        sentiment=decision.frustration.score,
        sentiment_signals=tuple(signals),
        passages=tuple(CasePassage.from_passage(p) for p in draft.passages),
        draft_answer=draft.text if draft.action == "answer" else None,
        contact=contact,
        urgent=decision.urgent,
    )


def _handoff_answer(text: str, decision: PolicyDecision, case_id: int | None) -> Answer:
    return Answer(
        text=text,
        action="escalate",
        confidence=decision.score,
        reason=decision.label,
        composer="handoff",
        policy=decision,
        case_id=case_id,
    )


def _with_policy(answer: Answer, decision: PolicyDecision) -> Answer:
    answer.policy = decision
    return answer
