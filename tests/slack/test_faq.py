"""Save as FAQ through the bolt app: signed button clicks and view submissions against the
stand-in Slack Web API, publishing into a private copy of the demo index that the answering
flow then answers from; and the mirror that keeps case messages in step with the store."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App

from kb_assistant.answering.service import AnswerService
from kb_assistant.composition import build_assistant, build_faq_publisher
from kb_assistant.conversations.relay import CustomerRelay
from kb_assistant.conversations.store import ConversationStore
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.embedding.cache import CachedEmbedder
from kb_assistant.handoff import Case, HandoffStore
from kb_assistant.settings import Settings
from kb_assistant.slack import (
    CASE_SAVE_FAQ,
    FAQ_VIEW,
    CaseDesk,
    SlackFeedbackStore,
    SlackHandoffSink,
    build_case_desk,
    build_slack_app,
    slack_client,
)
from kb_assistant.slack.faq import ANSWER_BLOCK, INPUT, NOT_RESOLVED, QUESTION_BLOCK
from kb_assistant.slack.members import NOT_A_MEMBER
from tests.faq.test_faq import ANSWER, ASKED_LATER, QUESTION
from tests.handoff.conftest import make_packet, turn
from tests.slack.conftest import AGENT, CHANNEL, signed
from tests.slack.stand_in import SlackStandIn
from tests.slack.test_cases import STRANGER, blocks_of, case_action, wait_until
from tests.storage.engines import upgraded_engine

FORM = "application/x-www-form-urlencoded"
CUSTOMER_ASKS = "My Orla globe arrived cracked, can you help? Reach me at ana.lopez@example.com"


@dataclass
class FaqDesk:
    app: App
    desk: CaseDesk
    cases: HandoffStore
    relay: CustomerRelay
    answers: AnswerService
    case: Case
    ts: str


@pytest.fixture
def faq_desk(
    own_demo_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    stand_in: SlackStandIn,
    slack_settings: Settings,
) -> FaqDesk:
    """A case posted to the agents' channel, over a private copy of the demo index."""
    settings = own_demo_settings.model_copy(
        update={
            name: getattr(slack_settings, name)
            for name in ("slack_bot_token", "slack_signing_secret", "slack_api_url")
        }
        | {"slack_agent_channel": CHANNEL}
    )
    engine = upgraded_engine(settings.resolved_database_url)
    cases, conversations = HandoffStore(engine), ConversationStore(engine)
    relay = CustomerRelay(cases, conversations, "within a day")
    conversation = conversations.create()
    case, _ = cases.open_case(make_packet(conversation.id, turn(CUSTOMER_ASKS)))
    client = slack_client(settings)
    desk = build_case_desk(
        settings,
        client,
        relay,
        build_faq_publisher(settings, embedder=real_embedder),
        engine=engine,
    )
    SlackHandoffSink(client, CHANNEL, desk.actions.messages).deliver(case)
    assistant = build_assistant(settings, embedder=CachedEmbedder(real_embedder))
    answers = assistant.answers
    app = build_slack_app(
        settings, assistant, client=client, feedback=SlackFeedbackStore(engine), desk=desk
    )
    stand_in.members.append(AGENT)
    place = desk.actions.messages.place_of(case.id)
    assert place is not None
    return FaqDesk(app, desk, cases, relay, answers, case, place[1])


def answered_and_resolved(desk: FaqDesk) -> None:
    desk.relay.reply(desk.case.id, "Sam", "So sorry! Spare globes are in the shop, search Orla.")
    desk.relay.resolve(desk.case.id, "Sam")


def view_submission(draft_id: int, question: str, answer: str, user: str = AGENT) -> str:
    values = {
        QUESTION_BLOCK: {INPUT: {"type": "plain_text_input", "value": question}},
        ANSWER_BLOCK: {INPUT: {"type": "plain_text_input", "value": answer}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "trigger_id": "1.2.3",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": FAQ_VIEW,
            "private_metadata": json.dumps({"draft": draft_id}),
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def opened_view(stand_in: SlackStandIn) -> dict[str, Any]:
    view = stand_in.wait_for("views.open")[-1].body["view"]
    parsed: dict[str, Any] = json.loads(view) if isinstance(view, str) else view
    return parsed


def initial(view: dict[str, Any], block_id: str) -> str:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return str(block["element"].get("initial_value", ""))


def test_save_as_faq_opens_the_redacted_draft_in_a_modal(
    faq_desk: FaqDesk, stand_in: SlackStandIn
) -> None:
    answered_and_resolved(faq_desk)
    faq_desk.desk.actions.update(slack_client_of(faq_desk), faq_desk.cases.get(faq_desk.case.id))
    assert CASE_SAVE_FAQ in blocks_of(stand_in.wait_for("chat.update")[-1].body)

    click = case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts)
    assert faq_desk.app.dispatch(signed(click, FORM)).status == 200

    view = opened_view(stand_in)
    assert view["callback_id"] == FAQ_VIEW
    question = initial(view, QUESTION_BLOCK)
    assert "Orla globe arrived cracked" in question and "ana.lopez" not in question
    assert "[EMAIL]" in question and "1 personal detail" in json.dumps(view)
    assert initial(view, ANSWER_BLOCK) == "So sorry! Spare globes are in the shop, search Orla."
    assert json.loads(view["private_metadata"])["draft"] >= 1


def test_save_as_faq_needs_a_resolved_case_and_a_member(
    faq_desk: FaqDesk, stand_in: SlackStandIn
) -> None:
    click = case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts)
    faq_desk.app.dispatch(signed(click, FORM))
    assert NOT_RESOLVED in stand_in.wait_for("chat.postEphemeral")[0].body["text"]

    answered_and_resolved(faq_desk)
    stranger = case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts, user=STRANGER)
    faq_desk.app.dispatch(signed(stranger, FORM))
    refusal = stand_in.wait_for("chat.postEphemeral", 2)[1].body
    assert (refusal["user"], refusal["text"]) == (STRANGER, NOT_A_MEMBER)
    assert not stand_in.named("views.open")
    assert faq_desk.desk.faq.drafts.for_case(faq_desk.case.id) is None


def test_approving_publishes_the_entry_and_the_case_shows_who_approved(
    faq_desk: FaqDesk, stand_in: SlackStandIn
) -> None:
    answered_and_resolved(faq_desk)
    faq_desk.app.dispatch(signed(case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts), FORM))
    draft_id = json.loads(opened_view(stand_in)["private_metadata"])["draft"]
    assert faq_desk.answers.answer(AnswerRequest(ASKED_LATER)).action == "dont_know"

    response = faq_desk.app.dispatch(signed(view_submission(draft_id, QUESTION, ANSWER), FORM))

    assert response.status == 200 and response.body == ""  # the modal closes
    drafts = faq_desk.desk.faq.drafts
    wait_until(lambda: drafts.get(draft_id).state == "published", timeout_s=30)
    published = drafts.get(draft_id)
    assert (published.approved_by, published.approved_by_id) == ("agent", AGENT)
    assert (published.question, published.answer) == (QUESTION, ANSWER)
    said = [c.body for c in stand_in.named("chat.postMessage") if c.body.get("thread_ts")]
    assert said and said[-1]["thread_ts"] == faq_desk.ts and "saved this case" in said[-1]["text"]

    def latest_update() -> str:  # the case message is updated from a worker thread
        updates = stand_in.named("chat.update")
        return blocks_of(updates[-1].body) if updates else ""

    wait_until(lambda: "Saved as FAQ" in latest_update())
    assert CASE_SAVE_FAQ not in blocks_of(stand_in.named("chat.update")[-1].body)

    answer = faq_desk.answers.answer(AnswerRequest(ASKED_LATER))
    assert answer.action == "answer" and answer.citations[0].title == QUESTION

    faq_desk.app.dispatch(signed(case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts), FORM))
    assert "already a FAQ entry" in stand_in.wait_for("chat.postEphemeral")[-1].body["text"]
    again = faq_desk.app.dispatch(signed(view_submission(draft_id, QUESTION, "new"), FORM))
    assert "already published" in again.body and drafts.get(draft_id).answer == ANSWER


@pytest.mark.parametrize(
    ("answer", "user", "block", "says"),
    [
        ("   ", AGENT, ANSWER_BLOCK, "Write the answer"),
        (ANSWER, STRANGER, QUESTION_BLOCK, "only members"),
    ],
)
def test_the_modal_shows_why_an_approval_is_refused(
    faq_desk: FaqDesk, stand_in: SlackStandIn, answer: str, user: str, block: str, says: str
) -> None:
    answered_and_resolved(faq_desk)
    faq_desk.app.dispatch(signed(case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts), FORM))
    draft_id = json.loads(opened_view(stand_in)["private_metadata"])["draft"]

    response = faq_desk.app.dispatch(
        signed(view_submission(draft_id, QUESTION, answer, user), FORM)
    )

    refusal = json.loads(response.body)
    assert refusal["response_action"] == "errors" and says in refusal["errors"][block]
    draft = faq_desk.desk.faq.drafts.get(draft_id)
    assert (draft.state, draft.approved_by) == ("draft", None)
    assert not faq_desk.desk.faq.publisher.file.path.exists()


def test_the_mirror_follows_case_changes_made_outside_slack(
    faq_desk: FaqDesk, stand_in: SlackStandIn
) -> None:
    mirror = faq_desk.desk.mirror
    assert mirror.sync_once() == 0
    faq_desk.relay.claim(faq_desk.case.id, "Robin")  # as the admin API does

    assert mirror.sync_once() == 1
    update = stand_in.wait_for("chat.update")[0].body
    assert update["ts"] == faq_desk.ts and "Claimed* by Robin" in blocks_of(update)
    assert mirror.sync_once() == 0

    faq_desk.relay.resolve(faq_desk.case.id, "Robin")
    mirror.start()
    try:
        wait_until(lambda: len(stand_in.named("chat.update")) == 2)
    finally:
        mirror.stop()
    last = blocks_of(stand_in.named("chat.update")[-1].body)
    assert "Resolved* by Robin" in last and CASE_SAVE_FAQ in last
    assert faq_desk.desk.actions.messages.unsettled() == {}


def slack_client_of(desk: FaqDesk) -> Any:
    return desk.desk.mirror.client


def test_an_approval_with_a_bad_or_old_signature_is_refused(
    faq_desk: FaqDesk, stand_in: SlackStandIn
) -> None:
    answered_and_resolved(faq_desk)
    faq_desk.app.dispatch(signed(case_action(CASE_SAVE_FAQ, faq_desk.case.id, faq_desk.ts), FORM))
    draft_id = json.loads(opened_view(stand_in)["private_metadata"])["draft"]
    body = view_submission(draft_id, QUESTION, ANSWER)
    tampered = signed(body, FORM)
    tampered.headers["x-slack-signature"] = ["v0=" + "0" * 64]

    assert faq_desk.app.dispatch(tampered).status == 401
    assert faq_desk.app.dispatch(signed(body, FORM, timestamp=int(time.time()) - 360)).status == 401
    assert faq_desk.desk.faq.drafts.get(draft_id).state == "draft"
