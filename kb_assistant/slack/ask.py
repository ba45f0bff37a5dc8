"""The ask flow: a support agent's question (slash command, mention or DM) to an agent-mode
answer posted in Slack.

The listener acknowledges at once (Slack allows three seconds); this flow runs afterwards, off
the request thread: it posts a placeholder, answers from public and internal knowledge, and
replaces the placeholder with the answer (further pages go in the thread).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from kb_assistant.core.replies import Answer, AnswerRequest
from kb_assistant.slack.blocks import (
    WORKING,
    Block,
    answer_blocks,
    escape,
    fallback_text,
    note_blocks,
    pages,
    section,
)

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
FAILED = ":warning: I could not answer that just now ({kind}). Please try again in a minute."


class Replies(Protocol):
    """What the Slack app asks: the reply flow (`Assistant.reply`, so an agent's question is
    classified and audited like every channel's), or anything like it."""

    def reply(self, request: AnswerRequest) -> Answer: ...


@dataclass(frozen=True)
class Place:
    """Where a reply goes: a channel (or DM), and the thread in it if any."""

    channel: str
    thread_ts: str | None = None


def question_from(text: str, bot_user_id: str | None = None) -> str:
    """The question in a Slack message: the bot's mention (or a leading one) removed, links
    reduced to their text, Slack's `&amp;`/`&lt;`/`&gt;` decoded, at most 2,000 characters."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = re.sub(rf"^\s*{_MENTION.pattern}", " ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


class AskFlow:
    """Answers agents' questions in agent mode and posts the replies."""

    def __init__(self, replies: Replies) -> None:
        self.replies = replies

    def placeholder(self, client: WebClient, place: Place, header: str = "") -> str:
        """Post the "searching…" note where the answer will go; returns its `ts`."""
        text = f"{header}\n{WORKING}" if header else WORKING
        reply = client.chat_postMessage(
            channel=place.channel, thread_ts=place.thread_ts, text=text, blocks=note_blocks(text)
        )
        return str(reply["ts"])

    def answer(self, question: str) -> Answer:
        """The agent-mode answer: internal sources allowed, technical wording."""
        return self.replies.reply(
            AnswerRequest(question, channel="agent", tone="professional", length="detailed")
        )

    def reply(self, client: WebClient, place: Place, question: str, header: str = "") -> None:
        """Answer `question` and post it at `place`; failures become a short note there."""
        ts = self.placeholder(client, place, header)
        try:
            answer = self.answer(question)
        except Exception as exc:  # the agent must hear back whatever went wrong
            log.exception("answering a Slack question failed")
            text = FAILED.format(kind=type(exc).__name__)
            client.chat_update(channel=place.channel, ts=ts, text=text, blocks=note_blocks(text))
            return
        header_blocks = [section(header)] if header else []
        self.deliver(client, place, ts, [*header_blocks, *answer_blocks(question, answer)], answer)

    def deliver(
        self, client: WebClient, place: Place, ts: str, blocks: list[Block], answer: Answer
    ) -> None:
        """Replace the placeholder with the first page; post the others in its thread."""
        first, *rest = pages(blocks)
        text = fallback_text(answer)
        client.chat_update(channel=place.channel, ts=ts, text=text, blocks=first)
        for page in rest:
            client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts or ts, text=text, blocks=page
            )

    def usage(self, client: WebClient, place: Place, text: str) -> None:
        """Tell the agent how to ask (an empty question)."""
        client.chat_postMessage(
            channel=place.channel, thread_ts=place.thread_ts, text=text, blocks=note_blocks(text)
        )


def asked_header(user_id: str, question: str) -> str:
    """The line above a slash command's answer: who asked what (the question escaped)."""
    return f"<@{user_id}> asked: *{escape(question)}*"


def cannot_post(error: SlackApiError) -> str:
    """What to tell an agent when the app cannot post in the channel they asked in."""
    code = error.response.get("error", "unknown_error") if error.response else "unknown_error"
    if code in ("not_in_channel", "channel_not_found"):
        return "I can't post in this channel: invite me with `/invite @KB Assistant` or DM me."
    return f"I couldn't post the answer here (Slack said `{code}`)."
