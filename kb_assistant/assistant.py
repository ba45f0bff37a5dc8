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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from kb_assistant.answering.service import AnswerService, StreamEvent
from kb_assistant.core.decisions import PolicyDecision
from kb_assistant.core.replies import Answer, AnswerRequest
from kb_assistant.faults import crash_point
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

log = logging.getLogger(__name__)

# Classes about money: once a person has the conversation, the bot stays out of these.
MONEY_CLASSES = frozenset({"money_action", "money_info"})
# The audited rule of a handoff the customer asked for with a button rather than in words.
PERSON_BUTTON_RULE = "request:talk_to_a_person"
# A case opened without a draft answer (nothing retrieved for it).
_NO_DRAFT = Answer(text="", action="dont_know", confidence=0.0, reason="no draft")


class Policy(Protocol):
    """The policy engine as the flow uses it."""

    def classify(
        self, message: str, *, conversation_id: str | None = None, history: Sequence[str] = ()
    ) -> PolicyDecision: ...

    def warm_up(self) -> None: ...


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

    def warm_up(self) -> None:
        """Load the models (embedding, language detection) before the first customer."""
        self.answers.embedder.embed_query("warm up")
        self.policy.warm_up()

    def reply(
        self,
        request: AnswerRequest,
        conversation_id: str | None = None,
        contact: CustomerContact | None = None,
    ) -> Answer:
        """The reply to `request`: an answer, an honest "I don't know", or a handoff."""
        started = time.perf_counter()
        decision = self._classify(request, conversation_id)
        policy_seconds = time.perf_counter() - started
        routed = self._route(request, decision, conversation_id, contact)
        answer = routed if isinstance(routed, Answer) else self._answer(routed, decision)
        answer.timings = {"policy": policy_seconds, **answer.timings}
        return answer

    def stream(
        self,
        request: AnswerRequest,
        conversation_id: str | None = None,
        contact: CustomerContact | None = None,
    ) -> Iterator[StreamEvent]:
        """The reply to `request` as it is written: verified deltas, then the final `Answer`.

        The same policy-first flow as `reply`: a handoff (or "a person is already on the
        way") comes as one delta and the final answer; nothing is retrieved before the policy
        has decided.
        """
        started = time.perf_counter()
        decision = self._classify(request, conversation_id)
        policy_seconds = time.perf_counter() - started
        routed = self._route(request, decision, conversation_id, contact)
        if isinstance(routed, Answer):
            routed.timings = {"policy": policy_seconds, **routed.timings}
            yield StreamEvent("delta", routed.text)
            yield StreamEvent("final", answer=routed)
            return
        for event in self.answers.stream(routed):
            if event.kind == "final" and event.answer is not None:  # completed in place
                _with_policy(event.answer, decision)
                event.answer.timings = {"policy": policy_seconds, **event.answer.timings}
            yield event

    def request_person(
        self,
        request: AnswerRequest,
        conversation_id: str,
        contact: CustomerContact | None = None,
        *,
        rule: str = PERSON_BUTTON_RULE,
        draft: bool = True,
    ) -> Answer:
        """The customer asked for a person (a "talk to a person" button): hand the
        conversation over whatever the message says, as a `human_request` unless the
        message itself escalates for a weightier reason (a security matter, a money claim).

        `rule` names why in the audit when the message itself does not escalate; without
        `draft` the case gets no draft answer (nothing is retrieved). Idempotent: while the
        conversation's case is open, the customer hears that a person is already on the way.
        """
        started = time.perf_counter()
        decision = self._classify(request, conversation_id)
        if not decision.escalate:
            decision = dataclasses.replace(
                decision,
                label="human_request",
                action="escalate",
                score=1.0,
                rule=rule,
                decided_by="rule",
            )
        policy_seconds = time.perf_counter() - started
        answer = self._hand_off(request, decision, conversation_id, contact, draft=draft)
        answer.timings = {"policy": policy_seconds, **answer.timings}
        return answer

    def _classify(self, request: AnswerRequest, conversation_id: str | None) -> PolicyDecision:
        earlier = [t.text for t in request.history if t.role == "customer"]
        decision = self.policy.classify(
            request.question, conversation_id=conversation_id, history=earlier
        )
        crash_point("policy.decided")
        return decision

    def _answer(self, request: AnswerRequest, decision: PolicyDecision) -> Answer:
        return _with_policy(self.answers.answer(request), decision)

    def _route(
        self,
        request: AnswerRequest,
        decision: PolicyDecision,
        conversation_id: str | None,
        contact: CustomerContact | None,
    ) -> Answer | AnswerRequest:
        """Escalate, or wait for the person already on it (a finished `Answer`); otherwise
        the request to answer, softened where needed."""
        if request.channel == "agent":
            return request
        active = self.handoffs.store.active_case(conversation_id) if conversation_id else None
        if active is not None and (decision.escalate or decision.label in MONEY_CLASSES):
            self.handoffs.store.add_message(
                active.conversation_id, "from_customer", "customer", request.question
            )
            text = handoff_message(
                active.packet.label,
                self.handoffs.response_time,
                already_open=True,
                language=decision.language,
            )
            return _handoff_answer(text, decision, active.id)
        if decision.escalate:
            return self._hand_off(request, decision, conversation_id, contact)
        if decision.frustration.frustrated:
            request = dataclasses.replace(request, upset=True)
        if decision.label == "money_info":
            request = dataclasses.replace(request, offer_human=True)
        return request

    def _hand_off(
        self,
        request: AnswerRequest,
        decision: PolicyDecision,
        conversation_id: str | None,
        contact: CustomerContact | None,
        *,
        draft: bool = True,
    ) -> Answer:
        """Open (or join) the conversation's case and tell the customer a person will reply."""
        if conversation_id is None and not self.store_cases:
            text = handoff_message(
                decision.label,
                self.handoffs.response_time,
                language=decision.language,
                rule=decision.rule,
            )
            return _handoff_answer(text, decision, None)
        # The draft is kept in the case, never shown to the customer.
        written = self.answers.answer(request) if draft else _NO_DRAFT
        packet = case_packet(
            request, decision, conversation_id or f"conv-{uuid.uuid4().hex}", written, contact
        )
        case, created = self.handoffs.store.open_case(packet)
        crash_point("case.opened")
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
            language=decision.language,
            rule=decision.rule,
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
