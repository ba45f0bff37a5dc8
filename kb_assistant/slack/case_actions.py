"""What agents do on a case from Slack (Claim, Resolve, a reply in the case's thread), checked
(only members of the agents' team may act) and carried out through `CustomerRelay`, which
carries each step into the customer's chat; a refused or failed step is told to the agent
alone and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from kb_assistant.conversations.relay import CustomerRelay
from kb_assistant.faq import FaqDraftStore
from kb_assistant.handoff import Case, HandoffError
from kb_assistant.slack.case_blocks import case_blocks, case_fallback
from kb_assistant.slack.case_messages import SlackCaseMessages
from kb_assistant.slack.members import NOT_A_MEMBER, ChannelMembers, agent_name

Step = Callable[[int, str], Case]


class CaseActions:
    """What agents do on a case from Slack, checked and carried out through the relay."""

    def __init__(
        self,
        relay: CustomerRelay,
        messages: SlackCaseMessages,
        members: ChannelMembers,
        drafts: FaqDraftStore | None = None,
    ) -> None:
        """With `drafts`, a resolved case's message offers Save as FAQ and shows its entry."""
        self.relay = relay
        self.messages = messages
        self.members = members
        self.drafts = drafts

    def button(self, step: Step, client: WebClient, body: dict[str, Any]) -> None:
        """Claim or Resolve: the step, then the channel message brought up to date."""
        user, channel = body["user"]["id"], body["channel"]["id"]
        if not self.members.is_member(client, user):
            client.chat_postEphemeral(channel=channel, user=user, text=NOT_A_MEMBER)
            return
        try:
            case = step(int(body["actions"][0]["value"]), agent_name(client, user))
        except (HandoffError, ValueError) as error:
            client.chat_postEphemeral(channel=channel, user=user, text=_short(error))
            return
        self.update(client, case, user)

    def thread_reply(self, client: WebClient, event: dict[str, Any]) -> None:
        """A member's message in a case thread goes to the customer."""
        channel, user = event["channel"], event["user"]
        case_id = self.messages.case_at(channel, event["thread_ts"])
        if case_id is None:
            return
        thread = event["thread_ts"]
        if not self.members.is_member(client, user):
            client.chat_postEphemeral(
                channel=channel, user=user, text=NOT_A_MEMBER, thread_ts=thread
            )
            return
        try:
            self.relay.reply(case_id, agent_name(client, user), event.get("text", ""))
        except HandoffError as error:
            client.chat_postEphemeral(
                channel=channel, user=user, text=_short(error), thread_ts=thread
            )

    def update(self, client: WebClient, case: Case, actor: str | None = None) -> None:
        """Bring the case's channel message in line with the store."""
        place = self.messages.place_of(case.id)
        if place is None:
            return
        faq = None if self.drafts is None else self.drafts.for_case(case.id)
        blocks = case_blocks(case, actor, offer_faq=self.drafts is not None, faq=faq)
        client.chat_update(channel=place[0], ts=place[1], text=case_fallback(case), blocks=blocks)
        self.messages.shown(case.id, case.state)


def _short(error: Exception) -> str:
    return f":warning: {str(error)[:300]}"
