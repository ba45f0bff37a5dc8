"""Recovery of customer messages left undecided: no message ends without a decision.

A server can die (or a reply fail) after a customer's message was stored and before its
reply was. Such a turn stays pending in the ledger (`TurnLedger`). At start-up, and every
`KB_RECOVERY_INTERVAL_S` seconds, each server takes over the pending turns nobody works on
(their process died on this machine, the reply failed or the customer left mid-stream, or
no progress for `KB_TURN_TIMEOUT_S`) and decides them through the same flow as a live
message: the policy (audited), a handoff case for anything a person must take, and the reply
stored in the conversation, where the customer finds it when they come back.

A turn that keeps failing is not tried forever: after `MAX_ANSWER_ATTEMPTS` it goes to a
person with an apology, without the retrieval and composing that kept failing.
"""

from __future__ import annotations

import logging
from typing import cast

from kb_assistant.api.chat import Turn, finish_turn
from kb_assistant.api.state import ApiState
from kb_assistant.assistant import Assistant
from kb_assistant.conversations import PendingTurn
from kb_assistant.core.replies import Answer, AnswerRequest, Length, Tone
from kb_assistant.handoff import handoff_message
from kb_assistant.periodic import Periodic

log = logging.getLogger(__name__)

MAX_ANSWER_ATTEMPTS = 3  # tries at a normal reply (the first included) before the apology
RECOVERY_RULE = "recovery:reply_failed"
APOLOGY = "Sorry — something went wrong on our side while I was answering your message."


class TurnRecovery:
    """Decides pending turns in a background thread (`Background` of the app)."""

    def __init__(self, state: ApiState) -> None:
        self.state = state
        self._rounds = Periodic(
            self.sweep,
            state.settings.recovery_interval_s,
            name="kb-turn-recovery",
            immediately=True,
            failure="recovering undecided customer messages failed",
        )

    def start(self) -> None:
        if self.state.settings.recovery_interval_s > 0:  # 0: other servers recover
            self._rounds.start()

    def stop(self) -> None:
        self._rounds.stop()

    def sweep(self) -> int:
        """Decide every pending turn nobody works on; how many were settled."""
        assistant = self.state.assistant
        if assistant is None:  # not started yet: the next sweep will do it
            return 0
        settled = 0
        turns = self.state.turns
        for turn in turns.recoverable(self.state.settings.turn_timeout_s):
            if self._rounds.stopping:
                break
            claimed = turns.claim(turn)
            if claimed is not None and self.settle(claimed, assistant):
                settled += 1
        return settled

    def settle(self, turn: PendingTurn, assistant: Assistant) -> bool:
        """Decide and answer one claimed turn; False when it failed again (it is released
        and tried at a later sweep)."""
        chat_turn = self._chat_turn(turn)
        apology = turn.attempts > MAX_ANSWER_ATTEMPTS
        try:
            answer = (
                self._apologise(chat_turn, assistant)
                if apology
                else answer_turn(chat_turn, turn, assistant)
            )
            finish_turn(self.state, chat_turn, answer)
        except Exception as exc:
            log.exception("deciding the undecided message %s failed", turn.message.id)
            self.state.turns.release(turn, f"{type(exc).__name__}: {exc}")
            return False
        outcome = "apology" if apology else "answered"
        self.state.metrics.recovered_turns.labels(outcome).inc()
        log.warning(
            "decided the undecided message %s of conversation %s (%s, attempt %d): %s",
            turn.message.id,
            turn.message.conversation_id,
            outcome,
            turn.attempts,
            answer.action,
        )
        return True

    def _chat_turn(self, turn: PendingTurn) -> Turn:
        """The turn as the live flow had it: the question, the conversation before it."""
        conversations, settings = self.state.conversations, self.state.settings
        conversation_id = turn.message.conversation_id
        request = AnswerRequest(
            turn.message.text,
            "customer",
            history=conversations.history(conversation_id, before=turn.message.seq),
            length=cast(Length, turn.length or settings.answer_length),
            tone=cast(Tone, turn.tone or settings.answer_tone),
        )
        contact = conversations.get(conversation_id).contact
        return Turn(conversation_id, turn, request, contact)

    def _apologise(self, chat_turn: Turn, assistant: Assistant) -> Answer:
        """A person takes the message over (a case, audited), and the customer hears why."""
        answer = assistant.request_person(
            chat_turn.request,
            chat_turn.conversation_id,
            chat_turn.contact,
            rule=RECOVERY_RULE,
            draft=False,
        )
        label = "recovery" if answer.policy and answer.policy.rule == RECOVERY_RULE else None
        response_time = self.state.settings.handoff_response_time
        policy = answer.policy
        urgent = policy is not None and policy.urgent
        language = policy.language if policy is not None else None
        text = handoff_message(
            label or answer.reason, response_time, urgent=urgent, language=language
        )
        answer.text = f"{APOLOGY} {text}"
        return answer


def answer_turn(chat_turn: Turn, turn: PendingTurn, assistant: Assistant) -> Answer:
    """The reply the live flow would have given: a message through `Assistant.reply`, the
    "talk to a person" button through `Assistant.request_person`."""
    cid, contact = chat_turn.conversation_id, chat_turn.contact
    if turn.kind == "person":
        return assistant.request_person(chat_turn.request, cid, contact)
    return assistant.reply(chat_turn.request, cid, contact)
