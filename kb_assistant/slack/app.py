"""The Slack app for support agents: `build_slack_app` builds the bolt `App` and registers one
small listener per entry point.

Agents ask with `/kb QUESTION`, by mentioning the app or in a direct message; each listener
acknowledges at once and hands the slow part (answering) to a lazy listener, which bolt runs
on its worker threads. 👍/👎 on an answer is recorded with the agent's Slack user id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from kb_assistant.settings import ConfigurationError, Settings
from kb_assistant.slack.ask import (
    AskFlow,
    Place,
    Replies,
    asked_header,
    cannot_post,
    question_from,
)
from kb_assistant.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, USAGE, WORKING, escape
from kb_assistant.slack.case_listeners import register_case_listeners
from kb_assistant.slack.desk import CaseDesk
from kb_assistant.slack.faq import register_faq_listeners
from kb_assistant.slack.feedback import SlackFeedbackStore, SlackRating

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
Listener = Callable[..., None]
THANKS = "Thanks, your rating of this answer is noted."


def slack_client(settings: Settings) -> WebClient:
    """A Web API client with the bot token, talking to `KB_SLACK_API_URL` (default Slack's)."""
    token = settings.slack_bot_token
    if token is None:
        raise ConfigurationError(
            "KB_SLACK_BOT_TOKEN is not set: copy the app's Bot User OAuth Token (xoxb-…) from "
            "its OAuth & Permissions page"
        )
    base_url = (settings.slack_api_url or SLACK_API_URL).rstrip("/") + "/"
    return WebClient(token=token.get_secret_value(), base_url=base_url)


def build_slack_app(
    settings: Settings,
    replies: Replies,
    *,
    client: WebClient | None = None,
    feedback: SlackFeedbackStore,
    verify_token: bool = True,
    desk: CaseDesk | None = None,
) -> App:
    """The bolt app answering agents through `replies` (the reply flow, agent channel).

    `client` replaces the Web API client built from the settings; `feedback` is the store of
    agents' ratings. `verify_token=False` skips checking the token with Slack at build time
    (it is still checked on the first request). With `desk` (see `build_case_desk`),
    agents also work on handoff cases in its channel: Claim, Resolve, thread replies and
    Save as FAQ.
    """
    secret = settings.slack_signing_secret
    app = App(
        client=client or slack_client(settings),
        signing_secret=secret.get_secret_value() if secret is not None else "",
        token_verification_enabled=verify_token,
        process_before_response=False,
    )
    if desk is not None:  # first: bolt gives an event to the first listener that matches
        register_case_listeners(app, desk.actions, desk.channel)
        register_faq_listeners(app, desk.faq)
    register_listeners(app, AskFlow(replies), feedback)
    return app


def register_listeners(app: App, flow: AskFlow, store: SlackFeedbackStore) -> None:
    """Wire the slash command, mentions, direct messages and feedback buttons."""
    ack_command, answer_command = command_listeners(flow)
    answer_mention, answer_direct = event_listeners(flow)
    record_feedback = feedback_listener(store)
    app.command("/kb")(ack=ack_command, lazy=[answer_command])
    app.event("app_mention")(ack=_ack, lazy=[answer_mention])
    app.event("message")(ack=_ack, lazy=[answer_direct])
    app.action(FEEDBACK_UP)(record_feedback)
    app.action(FEEDBACK_DOWN)(record_feedback)


def command_listeners(flow: AskFlow) -> tuple[Listener, Listener]:
    """`/kb QUESTION`: the acknowledgement (or the usage hint), then the answer."""

    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        question = question_from(command.get("text", ""))
        ack(text=f"{WORKING} _{escape(question)}_" if question else USAGE)

    def answer_command(client: WebClient, command: dict[str, Any], respond: Respond) -> None:
        question = question_from(command.get("text", ""))
        if not question:
            return
        header = asked_header(command["user_id"], question)
        try:
            flow.reply(client, Place(command["channel_id"]), question, header)
        except SlackApiError as error:
            log.warning("cannot post a /kb answer: %s", error)
            respond(text=cannot_post(error), response_type="ephemeral")

    return ack_command, answer_command


def event_listeners(flow: AskFlow) -> tuple[Listener, Listener]:
    """Mentions (answered in their thread) and direct messages (answered in the DM)."""

    def answer_mention(client: WebClient, event: dict[str, Any], context: BoltContext) -> None:
        place = Place(event["channel"], event.get("thread_ts") or event["ts"])
        _answer(flow, client, place, question_from(event.get("text", ""), context.bot_user_id))

    def answer_direct(client: WebClient, event: dict[str, Any], context: BoltContext) -> None:
        if not is_direct_question(event, context.bot_user_id):
            return
        place = Place(event["channel"], event.get("thread_ts"))
        _answer(flow, client, place, question_from(event.get("text", ""), context.bot_user_id))

    return answer_mention, answer_direct


def feedback_listener(store: SlackFeedbackStore) -> Listener:
    """👍/👎 on an answer: stored with the agent's user id, and a quiet thank-you."""

    def record_feedback(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        user, channel = body["user"]["id"], body["channel"]["id"]
        rating: SlackRating = "up" if action["action_id"] == FEEDBACK_UP else "down"
        store.record(
            user_id=user,
            channel_id=channel,
            message_ts=body["message"]["ts"],
            rating=rating,
            question=action.get("value", ""),
        )
        ack()  # after the write (milliseconds): the rating is stored once Slack hears back
        client.chat_postEphemeral(channel=channel, user=user, text=THANKS)

    return record_feedback


def is_direct_question(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's new message in a DM with the app (not an edit, a bot's post or our own)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and event.get("user") not in (None, bot_user_id)
    )


def _ack(ack: Ack) -> None:
    ack()


def _answer(flow: AskFlow, client: WebClient, place: Place, question: str) -> None:
    if question:
        flow.reply(client, place, question)
    else:
        flow.usage(client, place, USAGE)
