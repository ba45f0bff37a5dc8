"""Building the agents' Slack app, once for both of its hosts: `kb-assistant slack` (Socket
Mode) and the HTTP API (`POST /slack/events`).

Agents' questions go through the reply flow (`Assistant.reply`, agent channel), classified and
audited like every channel's. With an agents' channel, the case desk comes with it: escalated
cases posted there, Claim / Resolve / thread replies, Save as FAQ, and the mirror that keeps
case messages in step with changes made elsewhere (start `desk.mirror`).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from kb_assistant.conversations import CustomerRelay
from kb_assistant.faq import FaqPublisher
from kb_assistant.settings import Settings
from kb_assistant.slack import (
    CaseDesk,
    Replies,
    SlackFeedbackStore,
    build_case_desk,
    build_slack_app,
    slack_client,
)
from kb_assistant.storage.databases import databases_for


@dataclass(frozen=True)
class SlackChannel:
    """The bolt app, and the case desk when an agents' channel is configured."""

    app: App
    desk: CaseDesk | None


def build_slack_channel(
    settings: Settings,
    replies: Replies,
    *,
    relay: CustomerRelay,
    publisher: FaqPublisher,
    verify_token: bool = True,
) -> SlackChannel:
    """The Slack app answering agents through `replies`; `relay` carries agents' case work to
    the customers' chats and `publisher` indexes the FAQ entries they approve (both supplied
    by the host, which owns the ingestion lock). `verify_token=False` leaves checking the bot
    token to the first request (a server that must start without reaching Slack)."""
    client = slack_client(settings)
    engine = databases_for(settings).main()
    desk = None
    if settings.slack_agent_channel:
        desk = build_case_desk(settings, client, relay, publisher, engine=engine)
    app = build_slack_app(
        settings,
        replies,
        client=client,
        feedback=SlackFeedbackStore(engine),
        verify_token=verify_token,
        desk=desk,
    )
    return SlackChannel(app, desk)
