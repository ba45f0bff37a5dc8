"""Handoff cases in the agents' channel end to end: the sink posts the case, and signed Claim,
Resolve and thread-reply requests through bolt change the real case store and reach the
customer's chat, as the stand-in Slack Web API and the stores show."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from slack_bolt import App

from kb_assistant.assistant import Assistant
from kb_assistant.composition import build_faq_publisher, build_handoff_sink
from kb_assistant.conversations.relay import CustomerRelay
from kb_assistant.conversations.store import ConversationStore
from kb_assistant.handoff import Case, FanOutSink, HandoffStore
from kb_assistant.settings import Settings
from kb_assistant.slack import (
    CASE_CLAIM,
    CASE_RESOLVE,
    ChannelMembers,
    SlackCaseMessages,
    SlackFeedbackStore,
    SlackHandoffSink,
    build_case_desk,
    build_slack_app,
    slack_client,
)
from kb_assistant.slack.members import NOT_A_MEMBER
from tests.handoff.conftest import make_packet
from tests.slack.conftest import AGENT, CHANNEL, event_body, signed
from tests.slack.stand_in import SlackStandIn
from tests.storage.engines import upgraded_engine

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
STRANGER = "USTRANGER"


@dataclass
class Desk:
    """The stores, the relay and the bolt app of one test, with one case posted to Slack."""

    app: App
    cases: HandoffStore
    conversations: ConversationStore
    case: Case
    ts: str
    sink: SlackHandoffSink


@pytest.fixture
def desk(
    slack_settings: Settings,
    slack_assistant: Assistant,
    feedback: SlackFeedbackStore,
    stand_in: SlackStandIn,
) -> Desk:
    settings = slack_settings.model_copy(update={"slack_agent_channel": CHANNEL})
    engine = upgraded_engine(settings.resolved_database_url)
    cases, conversations = HandoffStore(engine), ConversationStore(engine)
    relay = CustomerRelay(cases, conversations, "within a day")
    conversation = conversations.create()
    case, _ = cases.open_case(make_packet(conversation.id, urgent=True))
    sink = build_handoff_sink(settings)
    assert isinstance(sink, FanOutSink)
    [slack_sink] = [s for s in sink.sinks if isinstance(s, SlackHandoffSink)]
    slack_sink.deliver(case)
    client = slack_client(settings)
    publisher = build_faq_publisher(settings, embedder=slack_assistant.answers.embedder)
    case_desk = build_case_desk(settings, client, relay, publisher, engine=engine)
    app = build_slack_app(
        settings, slack_assistant, client=client, feedback=feedback, desk=case_desk
    )
    messages = case_desk.actions.messages
    stand_in.members.append(AGENT)
    place = messages.place_of(case.id)
    assert place is not None
    return Desk(app, cases, conversations, case, place[1], slack_sink)


def blocks_of(body: dict[str, object]) -> str:
    """The Block Kit of a recorded call as readable text (unicode kept)."""
    blocks = body.get("blocks")
    parsed = json.loads(blocks) if isinstance(blocks, str) else blocks
    return json.dumps(parsed, ensure_ascii=False)


def case_action(action_id: str, case_id: int, message_ts: str, user: str = AGENT) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
        "message": {"ts": message_ts, "text": "case"},
        "trigger_id": "1.2.3",
        "response_url": "http://127.0.0.1:9/respond",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "kb_case_actions",
                "value": str(case_id),
                "action_ts": "1700000001.0",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def thread_message(text: str, thread_ts: str, user: str = AGENT) -> str:
    event = {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
    }
    return event_body(event)


def wait_until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the expected change did not happen in time")


def test_a_new_case_is_posted_once_with_the_draft_marked_and_both_buttons(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    [post] = stand_in.named("chat.postMessage")
    blocks = blocks_of(post.body)
    assert post.body["channel"] == CHANNEL
    assert "charged twice" in blocks and "money_action" in blocks and "URGENT" in blocks
    assert "Draft — not sent to the customer" in blocks and "Payments" in blocks
    assert CASE_CLAIM in blocks and CASE_RESOLVE in blocks
    assert f'"value": "{desk.case.id}"' in blocks
    desk.sink.deliver(desk.case)  # a later turn of the same case: no second message
    assert len(stand_in.named("chat.postMessage")) == 1


def test_customer_text_cannot_ping_the_channel(
    slack_settings: Settings, stand_in: SlackStandIn
) -> None:
    engine = upgraded_engine(slack_settings.resolved_database_url)
    case, _ = HandoffStore(engine).open_case(
        make_packet("conv-ping", draft_answer="<!channel> <https://evil.example|click>")
    )
    SlackHandoffSink(slack_client(slack_settings), CHANNEL, SlackCaseMessages(engine)).deliver(case)
    blocks = blocks_of(stand_in.wait_for("chat.postMessage")[0].body)
    assert "<!channel>" not in blocks and "&lt;!channel&gt;" in blocks


def test_a_member_claims_the_case_and_the_message_follows(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    response = desk.app.dispatch(signed(case_action(CASE_CLAIM, desk.case.id, desk.ts), FORM))
    assert response.status == 200
    update = stand_in.wait_for("chat.update")[0].body
    assert update["ts"] == desk.ts and f"Claimed* by <@{AGENT}>" in blocks_of(update)
    assert CASE_CLAIM not in blocks_of(update) and CASE_RESOLVE in blocks_of(update)
    claimed = desk.cases.get(desk.case.id)
    assert claimed.state == "claimed" and claimed.claimed_by == "agent"
    texts = [m.text for m in desk.conversations.transcript(desk.case.conversation_id)]
    assert any("has joined the conversation" in text for text in texts)


def test_a_non_member_is_refused_and_the_case_stays_open(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    request = signed(case_action(CASE_CLAIM, desk.case.id, desk.ts, user=STRANGER), FORM)
    assert desk.app.dispatch(request).status == 200
    refusal = stand_in.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == STRANGER and refusal["text"] == NOT_A_MEMBER
    assert desk.cases.get(desk.case.id).state == "open"
    assert not stand_in.named("chat.update")


def test_a_thread_reply_from_a_member_reaches_the_customer(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    text = "Hello, I am looking at the double charge now."
    assert desk.app.dispatch(signed(thread_message(text, desk.ts), JSON)).status == 200

    def relayed() -> bool:
        messages = desk.conversations.transcript(desk.case.conversation_id)
        return any(m.role == "agent" and m.text == text for m in messages)

    wait_until(relayed)
    [sent] = [m for m in desk.cases.messages(desk.case.conversation_id) if m.text == text]
    assert sent.direction == "to_customer" and sent.author == "agent"


def test_a_thread_reply_from_a_non_member_does_not_reach_the_customer(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    request = signed(thread_message("psst", desk.ts, user=STRANGER), JSON)
    assert desk.app.dispatch(request).status == 200
    assert stand_in.wait_for("chat.postEphemeral")[0].body["user"] == STRANGER
    assert not desk.cases.messages(desk.case.conversation_id)


def test_resolve_resolves_and_resolving_twice_gives_a_note(
    desk: Desk, stand_in: SlackStandIn
) -> None:
    body = case_action(CASE_RESOLVE, desk.case.id, desk.ts)
    assert desk.app.dispatch(signed(body, FORM)).status == 200
    update = stand_in.wait_for("chat.update")[0].body
    assert f"Resolved* by <@{AGENT}>" in blocks_of(update)
    assert CASE_RESOLVE not in blocks_of(update)
    assert desk.cases.get(desk.case.id).state == "resolved"

    assert desk.app.dispatch(signed(body, FORM)).status == 200
    note = stand_in.wait_for("chat.postEphemeral")[0].body
    assert note["user"] == AGENT and "resolved" in note["text"]
    assert len(stand_in.named("chat.update")) == 1


def test_with_a_user_group_its_members_may_act_and_channel_members_may_not(
    stand_in: SlackStandIn, slack_settings: Settings
) -> None:
    members = ChannelMembers(CHANNEL, group="SAGENTS")
    stand_in.members.append(STRANGER)  # in the channel, not in the group
    stand_in.group_members.append(AGENT)
    client = slack_client(slack_settings)

    assert members.is_member(client, AGENT) and not members.is_member(client, STRANGER)
    [asked] = stand_in.named("usergroups.users.list")  # cached: one call for both
    assert asked.body["usergroup"] == "SAGENTS" and not stand_in.named("conversations.members")
