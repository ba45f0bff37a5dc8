"""Real server processes killed at each point of the reply flow: every customer message is
decided once a server runs again, every money claim ends as a case, and the customer's
chat never showed text the store does not hold.

Each crashing server is a real `kb-assistant serve` armed with one crash point
(`KB_CRASH_POINTS`): it kills itself with SIGKILL the first time a reply reaches it. The
crashing servers do not recover (`KB_RECOVERY_INTERVAL_S=0`), so that one fresh server,
started afterwards over the same data directory, has every undecided message to recover.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from eval.server import ServerProcess
from kb_assistant.conversations import INTERRUPTED, TurnLedger
from kb_assistant.handoff import HandoffStore
from kb_assistant.policy import PolicyAudit
from kb_assistant.settings import Settings
from tests.api.conftest import ANSWERABLE, REFUND, parse_sse
from tests.storage.engines import upgraded_engine

ADMIN_KEY = "crash-test-admin-key-0123456789"
RECOVERY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Scenario:
    point: str
    streamed: bool
    text: str
    claim: bool


SCENARIOS = [
    *(
        Scenario(point, False, REFUND, True)
        for point in (
            "turn.stored",
            "policy.decided",
            "case.opened",
            "reply.composed",
            "reply.stored",
        )
    ),
    Scenario("reply.streaming", True, REFUND, True),
    Scenario("reply.streaming", True, ANSWERABLE, False),
]


@dataclass
class Crash:
    """What one crashed conversation left: its id, and the text the customer saw."""

    scenario: Scenario
    conversation_id: str
    token: str
    seen: str = ""
    statuses: list[int] = field(default_factory=list)


def send_until_death(server: ServerProcess, scenario: Scenario) -> Crash:
    """Start a conversation, send the scenario's message and read until the server dies."""
    created = httpx.post(f"{server.url}/api/v1/conversations", json={})
    assert created.status_code == 201, created.text
    body = created.json()
    crash = Crash(scenario, body["conversation_id"], body["token"])
    url = f"{server.url}/api/v1/conversations/{crash.conversation_id}/messages"
    headers = {"Authorization": f"Bearer {crash.token}"}
    if scenario.streamed:
        headers["Accept"] = "text/event-stream"
    received = b""
    try:
        with httpx.stream("POST", url, json={"text": scenario.text}, headers=headers) as reply:
            crash.statuses.append(reply.status_code)
            for chunk in reply.iter_bytes():
                received += chunk
    except httpx.HTTPError:
        pass  # the server died mid-reply, as it should
    events = parse_sse(received.decode("utf-8", "replace").rpartition("\n\n")[0] + "\n\n")
    crash.seen = "".join(data["text"] for name, data in events if name == "token")
    assert not any(name == "done" for name, _ in events), "the reply finished before the crash"
    return crash


@pytest.fixture(scope="module")
def crashed(
    demo_settings: Settings, trained_policy: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, list[Crash]]]:
    """A copy of the demo data directory after one crashed server per scenario."""
    data_dir = tmp_path_factory.mktemp("crash") / "data"
    shutil.copytree(demo_settings.data_dir, data_dir)
    crashes = []
    for scenario in SCENARIOS:
        env = {"KB_CRASH_POINTS": scenario.point, "KB_RECOVERY_INTERVAL_S": "0"}
        server = ServerProcess(data_dir, env)
        with server:
            crashes.append(send_until_death(server, scenario))
            assert server.wait_exit(60) == -signal.SIGKILL, server.log_tail()
    yield data_dir, crashes


@pytest.fixture(scope="module")
def recovered(crashed: tuple[Path, list[Crash]]) -> Iterator[tuple[str, Path, list[Crash]]]:
    """A fresh server over the crashed data directory, once it decided what was left."""
    data_dir, crashes = crashed
    ledger = TurnLedger(upgraded_engine(Settings(data_dir=data_dir).resolved_database_url))
    left = ledger.count()
    assert left >= len([c for c in crashes if c.scenario.point != "reply.stored"])
    with ServerProcess(data_dir, {"KB_ADMIN_API_KEY": ADMIN_KEY}) as server:
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while ledger.count() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ledger.count() == 0, f"still undecided:\n{server.log_tail()}"
        yield server.url, data_dir, crashes


def transcript(url: str, crash: Crash) -> list[dict[str, object]]:
    response = httpx.get(
        f"{url}/api/v1/conversations/{crash.conversation_id}",
        headers={"Authorization": f"Bearer {crash.token}"},
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, object]] = response.json()["messages"]
    return messages


def test_every_crashed_money_claim_ends_as_a_case_with_an_audited_decision(
    recovered: tuple[str, Path, list[Crash]],
) -> None:
    url, data_dir, crashes = recovered
    engine = upgraded_engine(Settings(data_dir=data_dir).resolved_database_url)
    cases, audit = HandoffStore(engine), PolicyAudit(engine)
    for crash in (c for c in crashes if c.scenario.claim):
        case = cases.active_case(crash.conversation_id)
        assert case is not None, f"no case after a crash at {crash.scenario}"
        assert case.packet.label == "money_action"
        labels = {e.label for e in audit.recent(conversation_id=crash.conversation_id)}
        assert labels == {"money_action"}, crash.scenario
        messages = transcript(url, crash)
        assert messages[-1]["action"] == "escalate", (crash.scenario, messages)
        assert [m["role"] for m in messages].count("customer") == 1


def test_every_crashed_message_has_one_whole_reply_after_what_the_customer_saw(
    recovered: tuple[str, Path, list[Crash]],
) -> None:
    url, _data_dir, crashes = recovered
    for crash in crashes:
        messages = transcript(url, crash)
        replies = [m for m in messages if m["role"] == "assistant"]
        whole = [m for m in replies if m["action"] != INTERRUPTED]
        assert len(whole) == 1, (crash.scenario, messages)
        assert all(m["action"] is not None for m in replies), (crash.scenario, messages)
        if crash.seen:  # the part the customer saw before the crash is in the store
            cut = [m for m in replies if m["action"] == INTERRUPTED]
            assert [m["text"] for m in cut] == [crash.seen], (crash.scenario, messages)
            assert replies[-1] is whole[0]


def test_a_crash_after_the_reply_was_stored_recovers_nothing_twice(
    recovered: tuple[str, Path, list[Crash]],
) -> None:
    url, _data_dir, crashes = recovered
    [stored] = [c for c in crashes if c.scenario.point == "reply.stored"]
    messages = transcript(url, stored)
    assert [m["role"] for m in messages] == ["customer", "assistant"]
    assert json.dumps(messages).count("escalate") == 1
