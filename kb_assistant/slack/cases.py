"""Handoff cases in the support agents' Slack channel.

`SlackHandoffSink` posts one message per new case to `KB_SLACK_AGENT_CHANNEL` and remembers
where (`slack_case_messages`), so the buttons and the message's thread find the case.
`register_case_listeners` wires Claim, Resolve and thread replies to `CustomerRelay`, which
carries each step into the customer's chat. Only members of the agents' channel may act on a
case; a refused or failed step is told to the agent alone and changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.conversations.relay import CustomerRelay
from kb_assistant.faq import FaqDraftStore
from kb_assistant.handoff import (
    Case,
    CaseNotFoundError,
    HandoffDeliveryError,
    HandoffError,
)
from kb_assistant.periodic import Periodic
from kb_assistant.slack.case_blocks import CASE_CLAIM, CASE_RESOLVE, case_blocks, case_fallback
from kb_assistant.storage.db import Base

log = logging.getLogger(__name__)

NOT_A_MEMBER = (
    "Sorry, only members of the support agents' team can work on handoff cases. "
    "Ask to be added to the agents' channel (or user group), then try again."
)
MEMBERS_TTL_S = 60.0
MIRROR_INTERVAL_S = 2.0


class SlackCaseMessageRow(Base):
    __tablename__ = "slack_case_messages"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts"),)

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    message_ts: Mapped[str] = mapped_column(String(32))
    shown_state: Mapped[str] = mapped_column(String(16), default="open")


class SlackCaseMessages:
    """Which channel message shows which case, on any SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine, tables=[cast(Table, SlackCaseMessageRow.__table__)])
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def record(self, case_id: int, channel_id: str, message_ts: str, state: str = "open") -> None:
        """Remember that `case_id` is shown at (`channel_id`, `message_ts`) in `state`."""
        with self._sessions.begin() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            if row is None:
                row = SlackCaseMessageRow(case_id=case_id)
                session.add(row)
            row.channel_id, row.message_ts, row.shown_state = channel_id, message_ts, state

    def shown(self, case_id: int, state: str) -> None:
        """The case's message now shows `state`."""
        with self._sessions.begin() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            if row is not None:
                row.shown_state = state

    def unsettled(self) -> dict[int, str]:
        """Case id → the state its message shows, for the messages not showing "resolved"."""
        query = select(SlackCaseMessageRow.case_id, SlackCaseMessageRow.shown_state).where(
            SlackCaseMessageRow.shown_state != "resolved"
        )
        with self._sessions() as session:
            return {case_id: state for case_id, state in session.execute(query)}

    def case_at(self, channel_id: str, message_ts: str) -> int | None:
        """The case shown at (`channel_id`, `message_ts`), if any."""
        with self._sessions() as session:
            return session.scalar(
                select(SlackCaseMessageRow.case_id).where(
                    SlackCaseMessageRow.channel_id == channel_id,
                    SlackCaseMessageRow.message_ts == message_ts,
                )
            )

    def place_of(self, case_id: int) -> tuple[str, str] | None:
        """(channel, ts) of the case's message, if one was posted."""
        with self._sessions() as session:
            row = session.get(SlackCaseMessageRow, case_id)
            return None if row is None else (row.channel_id, row.message_ts)


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


class ChannelMembers:
    """Who may work on cases: the members of the agents' channel, or of a user group when one
    is configured (`KB_SLACK_AGENT_GROUP`); asked of Slack at most once per `ttl_s`."""

    def __init__(
        self, channel: str, ttl_s: float = MEMBERS_TTL_S, group: str | None = None
    ) -> None:
        self.channel = channel
        self.group = group
        self.ttl_s = ttl_s
        self._members: frozenset[str] = frozenset()
        self._fetched = float("-inf")
        self._lock = threading.Lock()

    def is_member(self, client: WebClient, user: str) -> bool:
        """Whether `user` may act (a fresh list when the cached one is old)."""
        with self._lock:
            if time.monotonic() - self._fetched > self.ttl_s:
                self._members = self._fetch(client)
                self._fetched = time.monotonic()
            return user in self._members

    def _fetch(self, client: WebClient) -> frozenset[str]:
        if self.group:
            return frozenset(client.usergroups_users_list(usergroup=self.group).get("users") or [])
        members: set[str] = set()
        cursor: str | None = None
        while True:
            page = client.conversations_members(channel=self.channel, cursor=cursor, limit=200)
            members.update(page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return frozenset(members)


def agent_name(client: WebClient, user: str) -> str:
    """The name the customer sees for a Slack user: display name, real name, or user name."""
    try:
        found = client.users_info(user=user).get("user") or {}
    except SlackApiError as error:
        log.warning("cannot look up Slack user %s: %s", user, error)
        return user
    profile = found.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), found.get("name")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return user


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


class CaseMirror:
    """Keeps case messages in step with cases changed elsewhere (the admin API, another
    process): every `interval_s`, each message not showing "resolved" is compared with the
    store and updated when its case moved on."""

    def __init__(
        self,
        actions: CaseActions,
        client: WebClient,
        interval_s: float = MIRROR_INTERVAL_S,
    ) -> None:
        self.actions = actions
        self.client = client
        self.interval_s = interval_s
        self._rounds = Periodic(
            self.sync_once,
            interval_s,
            name="kb-slack-case-mirror",
            failure="cannot bring case messages up to date",
        )

    def sync_once(self) -> int:
        """Update the messages whose case changed; returns how many were updated."""
        updated = 0
        for case_id, shown in self.actions.messages.unsettled().items():
            try:
                case = self.actions.relay.cases.get(case_id)
            except CaseNotFoundError:
                self.actions.messages.shown(case_id, "resolved")  # gone: stop watching it
                continue
            if case.state != shown:
                self.actions.update(self.client, case)
                updated += 1
        return updated

    def start(self) -> None:
        """Run `sync_once` in a daemon thread until `stop`."""
        self._rounds.start()

    def stop(self) -> None:
        self._rounds.stop(timeout_s=5)


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


def _short(error: Exception) -> str:
    return f":warning: {str(error)[:300]}"
