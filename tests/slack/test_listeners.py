"""The Slack app end to end: signed requests through bolt, the real answering flow over the
demo knowledge base, and the replies as the stand-in Slack Web API received them."""

from __future__ import annotations

import json
import time

from slack_bolt import App

from kb_assistant.assistant import Assistant
from kb_assistant.policy import PolicyEngine
from kb_assistant.slack import FEEDBACK_UP, SlackFeedbackStore
from kb_assistant.slack.blocks import USAGE
from tests.slack.conftest import (
    AGENT,
    CHANNEL,
    action_body,
    event_body,
    signed,
    slash_body,
)
from tests.slack.stand_in import BOT_USER, SlackStandIn

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
KETTLE = "How do I descale my kettle?"


def posted_blocks(call_body: dict[str, object]) -> str:
    """The Block Kit of a recorded call as text (the client sends it JSON-encoded)."""
    blocks = call_body.get("blocks")
    return blocks if isinstance(blocks, str) else json.dumps(blocks)


def test_slash_command_is_acknowledged_then_answered_in_the_channel(
    bolt_app: App, stand_in: SlackStandIn
) -> None:
    started = time.monotonic()
    response = bolt_app.dispatch(signed(slash_body(KETTLE), FORM))
    assert response.status == 200
    assert time.monotonic() - started < 3.0
    assert "Searching" in response.body and "descale" in response.body

    placeholder = stand_in.wait_for("chat.postMessage")[0].body
    assert placeholder["channel"] == CHANNEL and "Searching" in placeholder["text"]
    answer = stand_in.wait_for("chat.update")[0].body
    blocks = posted_blocks(answer)
    assert answer["channel"] == CHANNEL
    assert "Kettle" in blocks and "Confidence" in blocks and "Sources" in blocks
    assert f"<@{AGENT}> asked" in blocks
    assert FEEDBACK_UP in blocks


def test_agent_answers_may_use_internal_tickets(bolt_app: App, stand_in: SlackStandIn) -> None:
    question = "kettle stopped whistling even though it still boils"  # a ticket answers it
    bolt_app.dispatch(signed(slash_body(question), FORM))
    blocks = posted_blocks(stand_in.wait_for("chat.update")[0].body)
    assert "_internal_" in blocks


def test_agents_questions_go_through_the_reply_flow_audited_never_handed_off(
    bolt_app: App, stand_in: SlackStandIn, slack_assistant: Assistant
) -> None:
    question = "I was charged twice for order 1234 and I want my money back"
    bolt_app.dispatch(signed(slash_body(question), FORM))
    blocks = posted_blocks(stand_in.wait_for("chat.update")[0].body)
    assert "Sources" in blocks  # answered for the agent, not handed to a person
    assert isinstance(slack_assistant.policy, PolicyEngine)
    audit = slack_assistant.policy.audit
    assert audit is not None
    [decision] = [entry for entry in audit.recent(20) if entry.message == question]
    assert decision.label == "money_action" and decision.action == "escalate"


def test_mention_is_answered_in_its_thread(bolt_app: App, stand_in: SlackStandIn) -> None:
    event = {
        "type": "app_mention",
        "user": AGENT,
        "text": f"<@{BOT_USER}> {KETTLE}",
        "ts": "1700000100.000100",
        "channel": CHANNEL,
    }
    assert bolt_app.dispatch(signed(event_body(event), JSON)).status == 200
    placeholder = stand_in.wait_for("chat.postMessage")[0].body
    assert placeholder["thread_ts"] == "1700000100.000100"
    answer = stand_in.wait_for("chat.update")[0].body
    assert "Kettle" in posted_blocks(answer)
    assert BOT_USER not in posted_blocks(answer)


def test_direct_message_is_answered(bolt_app: App, stand_in: SlackStandIn) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": AGENT,
        "text": KETTLE,
        "ts": "1700000200.000100",
        "channel": "DAGENT001",
    }
    assert bolt_app.dispatch(signed(event_body(event), JSON)).status == 200
    answer = stand_in.wait_for("chat.update")[0].body
    assert answer["channel"] == "DAGENT001" and "Sources" in posted_blocks(answer)


def test_the_apps_own_messages_are_not_answered(bolt_app: App, stand_in: SlackStandIn) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "bot_id": "BBOT0001",
        "user": BOT_USER,
        "text": "an answer the app posted",
        "ts": "1700000300.000100",
        "channel": "DAGENT001",
    }
    assert bolt_app.dispatch(signed(event_body(event), JSON)).status == 200
    time.sleep(0.5)
    assert not stand_in.named("chat.postMessage")


def test_empty_slash_command_gets_the_usage_hint(bolt_app: App, stand_in: SlackStandIn) -> None:
    response = bolt_app.dispatch(signed(slash_body("   "), FORM))
    assert response.status == 200 and "/kb" in response.body
    assert USAGE.split(":")[0] in response.body
    time.sleep(0.5)
    assert not stand_in.named("chat.postMessage")


def test_empty_mention_gets_the_usage_hint(bolt_app: App, stand_in: SlackStandIn) -> None:
    event = {"type": "app_mention", "user": AGENT, "text": f"<@{BOT_USER}>", "ts": "1.2"}
    event["channel"] = CHANNEL
    bolt_app.dispatch(signed(event_body(event), JSON))
    hint = stand_in.wait_for("chat.postMessage")[0].body
    assert "/kb" in hint["text"] and not stand_in.named("chat.update")


def test_thumbs_up_is_recorded_with_the_agent(
    bolt_app: App, stand_in: SlackStandIn, feedback: SlackFeedbackStore
) -> None:
    response = bolt_app.dispatch(signed(action_body(FEEDBACK_UP, KETTLE, "1700.0001"), FORM))
    assert response.status == 200
    [rating] = feedback.ratings()
    assert (rating.user_id, rating.channel_id, rating.message_ts) == (AGENT, CHANNEL, "1700.0001")
    assert rating.rating == "up" and rating.question == KETTLE
    assert stand_in.wait_for("chat.postEphemeral")[0].body["user"] == AGENT


def test_a_tampered_signature_is_refused(bolt_app: App, stand_in: SlackStandIn) -> None:
    request = signed(slash_body(KETTLE), FORM)
    request.headers["x-slack-signature"] = ["v0=" + "0" * 64]
    assert bolt_app.dispatch(request).status == 401
    time.sleep(0.3)
    assert not stand_in.named("chat.postMessage")


def test_a_request_older_than_five_minutes_is_refused(bolt_app: App) -> None:
    stale = int(time.time()) - 6 * 60
    assert bolt_app.dispatch(signed(slash_body(KETTLE), FORM, timestamp=stale)).status == 401


def test_when_the_app_cannot_post_the_agent_is_told(bolt_app: App, stand_in: SlackStandIn) -> None:
    stand_in.failures["chat.postMessage"] = "not_in_channel"
    bolt_app.dispatch(signed(slash_body(KETTLE, response_url=f"{stand_in.base}/respond"), FORM))
    told = stand_in.wait_for("respond")[0].body
    assert "invite" in json.dumps(told)
