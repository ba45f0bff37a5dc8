"""The handoff sink that posts each new case to the agents' Slack channel
(`KB_SLACK_AGENT_CHANNEL`) and remembers where, once per case."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from kb_assistant.handoff import Case, HandoffDeliveryError
from kb_assistant.slack.case_blocks import case_blocks, case_fallback
from kb_assistant.slack.case_messages import SlackCaseMessages


class SlackHandoffSink:
    """Posts each new case to the agents' channel (the `HandoffSink` interface)."""

    def __init__(self, client: WebClient, channel: str, messages: SlackCaseMessages) -> None:
        self.client = client
        self.channel = channel
        self.messages = messages

    def deliver(self, case: Case) -> None:
        """One message for the case; `HandoffDeliveryError` when Slack refuses it."""
        if self.messages.place_of(case.id) is not None:
            return  # already announced: a later turn of the same case
        try:
            posted = self.client.chat_postMessage(
                channel=self.channel, text=case_fallback(case), blocks=case_blocks(case)
            )
        except SlackApiError as error:
            raise HandoffDeliveryError(
                f"case {case.id} was not posted to the Slack channel {self.channel} "
                f"({error.response.get('error')}): check KB_SLACK_AGENT_CHANNEL and that the "
                "app is invited to it (/invite @app); the case is stored"
            ) from error
        self.messages.record(case.id, str(posted["channel"]), str(posted["ts"]), case.state)
