"""Keeping the case messages in the agents' channel in step with cases changed elsewhere (the
admin API, another process)."""

from __future__ import annotations

from slack_sdk import WebClient

from kb_assistant.handoff import CaseNotFoundError
from kb_assistant.periodic import Periodic
from kb_assistant.slack.case_actions import CaseActions

MIRROR_INTERVAL_S = 2.0


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
