"""Save as FAQ: a resolved case's question and answer become a public FAQ entry.

**Save as FAQ** on a resolved case opens a modal with the draft: the customer's question and
what the agents wrote back, with personal data removed. The agent edits it and approves;
the entry is written to the agents' FAQ file and indexed as public, the case's thread says
so and the case message shows who approved it. Only members of the agents' channel may open
or approve a draft; everyone else gets the same polite refusal as for the other case steps.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from kb_assistant.core.redaction import Redactor
from kb_assistant.faq import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    FaqDraft,
    FaqDraftStore,
    FaqError,
    FaqInputError,
    FaqPublisher,
    checked_entry,
    draft_text,
)
from kb_assistant.handoff import HandoffError
from kb_assistant.slack.blocks import Block, context, escape, section
from kb_assistant.slack.case_actions import CaseActions
from kb_assistant.slack.case_blocks import CASE_SAVE_FAQ
from kb_assistant.slack.members import NOT_A_MEMBER, agent_name

log = logging.getLogger(__name__)

FAQ_VIEW = "kb_faq_draft"
QUESTION_BLOCK = "faq_question"
ANSWER_BLOCK = "faq_answer"
INPUT = "value"
NOT_RESOLVED = "Only a resolved case can be saved as a FAQ entry: resolve it first."
APPROVE_NOTE = (
    "Approving publishes this as a *public* FAQ entry: customers can get it as an answer "
    "within seconds. Check that it holds no personal details and no promise about money."
)


class FaqFlow:
    """Opens, approves and publishes FAQ drafts from case messages."""

    def __init__(
        self,
        actions: CaseActions,
        drafts: FaqDraftStore,
        publisher: FaqPublisher,
        redactor: Redactor,
    ) -> None:
        self.actions = actions
        self.drafts = drafts
        self.publisher = publisher
        self.redactor = redactor

    def open(self, client: WebClient, body: dict[str, Any]) -> None:
        """The Save as FAQ button: the case's draft (started now if needed) in a modal."""
        user, channel = body["user"]["id"], body["channel"]["id"]
        if not self.actions.members.is_member(client, user):
            client.chat_postEphemeral(channel=channel, user=user, text=NOT_A_MEMBER)
            return
        try:
            draft = self._draft(client, int(body["actions"][0]["value"]), user)
        except (HandoffError, FaqError, ValueError) as error:
            client.chat_postEphemeral(channel=channel, user=user, text=f":warning: {error}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=draft_view(draft))

    def submit(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """The modal's Approve: checked, recorded with the approver, then published."""
        user = body["user"]["id"]
        if not self.actions.members.is_member(client, user):
            ack(response_action="errors", errors={QUESTION_BLOCK: NOT_A_MEMBER})
            return
        question, answer = _values(view)
        try:
            question, answer = checked_entry(question, answer)
            question = self.redactor.redact(question).text  # in case the edit added details
            answer = self.redactor.redact(answer).text
            draft_id = int(json.loads(view.get("private_metadata") or "{}")["draft"])
            draft = self.drafts.approve(
                draft_id, question, answer, agent_name(client, user), approver_id=user
            )
        except FaqInputError as error:
            ack(response_action="errors", errors={_block_of(error.field): str(error)})
            return
        except (FaqError, KeyError, ValueError) as error:
            ack(response_action="errors", errors={QUESTION_BLOCK: str(error)[:150]})
            return
        ack()  # closes the modal; publishing takes a moment more
        self.publish(client, draft, user)

    def publish(self, client: WebClient, draft: FaqDraft, user: str) -> None:
        """Index the approved draft; the case's thread hears how it went."""
        try:
            published = self.drafts.published(draft.id, self.publisher.publish(draft))
        except Exception as error:  # reported to the agents; the draft stays approved
            log.exception("FAQ draft %s could not be published", draft.id)
            self.drafts.failed(draft.id, f"{type(error).__name__}: {error}")
            self._tell(
                client,
                draft.case_id,
                f":warning: The FAQ entry could not be published: {escape(str(error))[:400]}. "
                "Press *Save as FAQ* to try again.",
            )
            return
        self._tell(
            client,
            draft.case_id,
            f":books: <@{user}> saved this case as a FAQ entry. Customers who ask "
            f"“{escape(published.question)}” now get this answer.",
        )
        if draft.case_id is None:
            return
        try:
            self.actions.update(client, self.actions.relay.cases.get(draft.case_id))
        except (HandoffError, SlackApiError) as error:
            log.warning("cannot update the message of case %s: %s", draft.case_id, error)

    def _draft(self, client: WebClient, case_id: int, user: str) -> FaqDraft:
        case = self.actions.relay.cases.get(case_id)
        if case.state != "resolved":
            raise FaqError(NOT_RESOLVED)
        draft = self.drafts.for_case(case_id)
        if draft is None:
            messages = self.actions.relay.cases.messages(case.conversation_id)
            text = draft_text(case, messages, self.redactor)
            draft = self.drafts.start(case_id, text, agent_name(client, user))
        if draft.state == "published":
            raise FaqError(
                f"This case is already a FAQ entry, approved by {draft.approved_by}. Edit "
                "it in the agents' FAQ file if it needs a change."
            )
        return draft

    def _tell(self, client: WebClient, case_id: int | None, text: str) -> None:
        place = None if case_id is None else self.actions.messages.place_of(case_id)
        if place is None:
            return
        try:
            client.chat_postMessage(channel=place[0], thread_ts=place[1], text=text)
        except SlackApiError as error:
            log.warning("cannot post in the thread of case %s: %s", case_id, error)


def draft_view(draft: FaqDraft) -> dict[str, Any]:
    """The modal: the question and answer, editable, and what approving does."""
    removed = (
        f" {draft.redactions} personal detail{'s' if draft.redactions != 1 else ''} "
        "(emails, phone numbers, card numbers, names) were replaced by placeholders."
        if draft.redactions
        else ""
    )
    blocks: list[Block] = [
        section(
            f"*Case {draft.case_id}*: the customer's question and your team's reply, ready to "
            f"become a FAQ entry. Edit them for every customer, not just this one.{removed}"
        ),
        _input(QUESTION_BLOCK, "Question, as a customer would ask it", draft.question, False),
        _input(ANSWER_BLOCK, "Answer", draft.answer, True),
        context(APPROVE_NOTE),
    ]
    if draft.error:
        blocks.insert(1, context(f":warning: Last try failed: {escape(draft.error)[:300]}"))
    return {
        "type": "modal",
        "callback_id": FAQ_VIEW,
        "private_metadata": json.dumps({"draft": draft.id}),
        "title": {"type": "plain_text", "text": "Save as FAQ"},
        "submit": {"type": "plain_text", "text": "Approve & publish"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def register_faq_listeners(app: App, flow: FaqFlow) -> None:
    """The Save as FAQ button and the draft modal's submission."""

    def save(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        flow.open(client, body)

    app.action(CASE_SAVE_FAQ)(save)
    app.view(FAQ_VIEW)(flow.submit)


def _input(block_id: str, label: str, value: str, multiline: bool) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "multiline": multiline,
        "max_length": MAX_ANSWER_CHARS if multiline else MAX_QUESTION_CHARS,
    }
    if value:
        element["initial_value"] = value
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _values(view: dict[str, Any]) -> tuple[str, str]:
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str:
        found = (values.get(block) or {}).get(INPUT) or {}
        return str(found.get("value") or "")

    return value(QUESTION_BLOCK), value(ANSWER_BLOCK)


def _block_of(field: str) -> str:
    return QUESTION_BLOCK if field == "question" else ANSWER_BLOCK
