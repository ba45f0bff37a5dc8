"""Who may work on handoff cases from Slack: the members of the agents' channel (or user
group), asked of Slack at most once a minute, and the name the customer sees for an agent."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

NOT_A_MEMBER = (
    "Sorry, only members of the support agents' team can work on handoff cases. "
    "Ask to be added to the agents' channel (or user group), then try again."
)


MEMBERS_TTL_S = 60.0


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
