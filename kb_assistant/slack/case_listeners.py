"""The Slack listeners of the case desk: Claim and Resolve buttons and replies in a case's
thread, handed to `CaseActions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from kb_assistant.slack.case_actions import CaseActions
from kb_assistant.slack.case_blocks import CASE_CLAIM, CASE_RESOLVE


def is_case_reply(channel: str) -> Callable[[dict[str, Any]], bool]:
    """Matcher: a person's new message in a thread of the agents' channel."""

    def matches(body: dict[str, Any]) -> bool:
        event = body.get("event") or {}
        return (
            event.get("channel") == channel
            and bool(event.get("thread_ts"))
            and event.get("thread_ts") != event.get("ts")
            and not event.get("subtype")
            and not event.get("bot_id")
            and bool(event.get("user"))
        )

    return matches


def register_case_listeners(app: App, actions: CaseActions, channel: str) -> None:
    """Claim / Resolve buttons and thread replies; register before the app's other
    `message` listener, since bolt hands an event to the first listener that matches."""

    def claim(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actions.button(actions.relay.claim, client, body)

    def resolve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actions.button(actions.relay.resolve, client, body)

    def reply(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        ack()
        actions.thread_reply(client, event)

    app.action(CASE_CLAIM)(claim)
    app.action(CASE_RESOLVE)(resolve)
    app.event("message", matchers=[is_case_reply(channel)])(reply)
