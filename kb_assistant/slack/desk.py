"""The agents' case desk in Slack, wired in one place: case messages, Claim / Resolve /
thread replies, Save as FAQ, and the mirror that keeps messages in step with the store."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine

from kb_assistant.conversations.relay import CustomerRelay
from kb_assistant.core.redaction import Redactor
from kb_assistant.faq import FaqDraftStore, FaqPublisher
from kb_assistant.settings import ConfigurationError, Settings
from kb_assistant.slack.case_actions import CaseActions
from kb_assistant.slack.case_messages import SlackCaseMessages
from kb_assistant.slack.case_mirror import CaseMirror
from kb_assistant.slack.faq import FaqFlow
from kb_assistant.slack.members import ChannelMembers


@dataclass(frozen=True)
class CaseDesk:
    """Everything agents do on handoff cases in `channel`."""

    channel: str
    actions: CaseActions
    faq: FaqFlow
    mirror: CaseMirror


def agent_channel(settings: Settings) -> str:
    """The support agents' channel id; `ConfigurationError` when it is not set."""
    channel = (settings.slack_agent_channel or "").strip()
    if not channel:
        raise ConfigurationError(
            "KB_SLACK_AGENT_CHANNEL is not set: give the channel id (C…) of the support "
            "agents' channel, where handoff cases are posted, and invite the app to it"
        )
    return channel


def build_case_desk(
    settings: Settings,
    client: WebClient,
    relay: CustomerRelay,
    publisher: FaqPublisher,
    *,
    engine: Engine,
) -> CaseDesk:
    """The desk for `KB_SLACK_AGENT_CHANNEL`; its stores live on `engine` (the main
    database's). Start `desk.mirror` to follow changes made elsewhere."""
    channel = agent_channel(settings)
    drafts = FaqDraftStore(engine)
    group = (settings.slack_agent_group or "").strip() or None
    members = ChannelMembers(channel, group=group)
    actions = CaseActions(relay, SlackCaseMessages(engine), members, drafts)
    flow = FaqFlow(actions, drafts, publisher, Redactor(settings.redact_allowlist))
    return CaseDesk(channel, actions, flow, CaseMirror(actions, client))
