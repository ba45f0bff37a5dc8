"""Property-based fuzzing of every operation the API's OpenAPI description declares.

A real server (`kb-assistant serve` on loopback, the demo knowledge base) receives requests
generated from its own `/openapi.json`: valid ones and ones that break the schema, with and
without a valid conversation token and admin key, so that the authorised paths are reached
too. Whatever comes in, the server must not fail (no 5xx) and every error must have the
contract's shape `{"error": {"code": ..., "message": ...}}`.

Besides schemathesis' requests, every operation gets hostile ones (`tests/api/hostile.py`):
a valid request with one path or query parameter, header the app reads, or body field holding
a lone UTF-16 surrogate, a NUL character, bytes that are not UTF-8, or an absurd number. Each
such value is sent in each place once, and random ones on top.

Bounded so it stays fast: a fixed number of examples per operation, derandomised (the same
requests every run), no shrinking. `KB_FUZZ_EXAMPLES` (default 25) sets the examples per
operation for a longer run (`KB_FUZZ_EXAMPLES=500 pytest tests/api/test_openapi_fuzz.py -s`
prints what was sent). The conversation and client rate limits are raised for the server so
that fuzzing reaches the handlers instead of the limiter.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok

from eval.server import ServerProcess
from kb_assistant.settings import Settings
from tests.api.hostile import explicit_mutations, hostile_request, mutations, send, slots

ADMIN_KEY = "fuzzing-admin-key"
UNLIMITED = "1000000/60"
EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "25"))
STREAM_EXAMPLES = max(4, EXAMPLES // 6)  # the event stream stays open until the read timeout
HOSTILE_EXAMPLES = max(2, EXAMPLES // 5)  # random hostile requests, besides the explicit ones
BOUNDED = settings(  # the same requests every run, no shrinking, however slow the server
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
TIMEOUT_S = 2.0  # an event stream is read until this runs out
REPLY_TIMEOUT_S = 60.0  # a reply on a busy 2-core machine can take seconds
READY_TIMEOUT_S = 600.0  # the model and indexes load slowly on a busy machine
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Operations some generated request must succeed on: proof that the token, the admin key and
# the real ids were used, not only refused.
MUST_REACH = {
    "GET /api/v1/conversations/{cid}",
    "POST /api/v1/conversations/{cid}/messages",
    "POST /api/v1/conversations/{cid}/feedback",
    "POST /api/v1/conversations/{cid}/handoff",
    "GET /api/v1/admin/cases",
    "GET /api/v1/admin/cases/{case_id}",
}


@pytest.fixture(scope="module")
def server(
    demo_settings: Settings, trained_policy: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server over a private copy of the demo index (with the policy trained already, so
    that it starts quickly); yields its base URL."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(demo_settings.data_dir, data_dir)
    env = {
        "KB_ADMIN_API_KEY": ADMIN_KEY,
        "KB_RATE_LIMIT_CONVERSATION": UNLIMITED,
        "KB_RATE_LIMIT_CLIENT": UNLIMITED,
    }
    with ServerProcess(data_dir, env, ready_timeout_s=READY_TIMEOUT_S) as running:
        yield running.url


@pytest.fixture(scope="module")
def known_ids(server: str) -> dict[str, str]:
    """A real conversation (its token, a reply in it) and a real handoff case, so that
    generated requests can be pointed at things that exist."""
    created = httpx.post(f"{server}/api/v1/conversations", json={}, timeout=REPLY_TIMEOUT_S)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    chat = f"{server}/api/v1/conversations/{created.json()['conversation_id']}"
    auth = {"Authorization": f"Bearer {token}"}
    asked = httpx.post(
        f"{chat}/messages",
        json={"text": "How long does delivery take?"},
        headers=auth,
        timeout=REPLY_TIMEOUT_S,
    )
    assert asked.status_code == 200, asked.text
    handoff = httpx.post(f"{chat}/handoff", json={}, headers=auth, timeout=REPLY_TIMEOUT_S)
    assert handoff.status_code == 200, handoff.text
    return {
        "conversation": created.json()["conversation_id"],
        "token": token,
        "message": asked.json()["reply"]["id"],
        "case": str(handoff.json()["case_id"]),
    }


def authorise(case: Case, ids: dict[str, str]) -> dict[str, str]:
    """Point `case` at the real conversation, message and case; returns the headers that
    authorise it."""
    for name in list(case.path_parameters or {}):
        if "case" in name:
            case.path_parameters[name] = int(ids["case"])
        elif "conversation" in name or name == "cid":
            case.path_parameters[name] = ids["conversation"]
    if isinstance(case.body, dict) and "message_id" in case.body:
        case.body["message_id"] = ids["message"]
    if case.operation.path.startswith("/api/v1/admin"):
        return {"X-API-Key": ADMIN_KEY}
    return {"Authorization": f"Bearer {ids['token']}"}


def contract_problems(status: int, headers: dict[str, Any], content: bytes) -> list[str]:
    """What in a response breaks the error contract (empty when nothing does)."""
    if status >= 500:
        return [f"server error {status}: {content[:300]!r}"]
    if status < 400:
        return []
    try:
        error = json.loads(content)["error"]
    except (ValueError, KeyError, TypeError):
        return [f"{status} error body is not {{'error': {{...}}}}: {content[:300]!r}"]
    problems = []
    if not isinstance(error, dict) or not all(
        isinstance(error.get(key), str) and error.get(key) for key in ("code", "message")
    ):
        problems.append(f"{status} error lacks a code or message: {error!r}")
    if status == 429 and not any(k.lower() == "retry-after" for k in headers):
        problems.append("429 without a Retry-After header")
    return problems


@dataclass
class Tally:
    """Requests sent per operation, the server errors among them, the time they took, and
    the contract problems seen."""

    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # 5xx, or the connection reset
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    problems: list[str] = field(default_factory=list)

    def record(self, label: str, request: str, status: int, headers: Any, content: bytes) -> None:
        self.sent[label] += 1
        self.failed[label] += status >= 500
        self.problems += [
            f"{request}: {problem}" for problem in contract_problems(status, headers, content)
        ]

    def broken(self, label: str, request: str, error: Exception) -> None:
        """A request whose connection failed (the server reset it) instead of answering."""
        self.sent[label] += 1
        self.failed[label] += 1
        self.problems.append(f"{request}: the connection failed: {error!r}")

    def report(self) -> None:
        """Per operation: requests, server failures and seconds; then the totals (shown with
        `pytest -s`)."""
        width = max(map(len, self.sent), default=0)
        print(f"\n{'operation':<{width}}  {'sent':>6}  {'5xx':>4}  {'seconds':>7}")
        for label in sorted(self.sent):
            counts = f"{self.sent[label]:>6}  {self.failed[label]:>4}"
            print(f"{label:<{width}}  {counts}  {self.seconds[label]:>7.1f}")
        totals = f"{self.sent.total():>6}  {self.failed.total():>4}"
        print(f"{'total':<{width}}  {totals}  {sum(self.seconds.values()):>7.1f}")


def fuzz_operation(
    operation: Any, base_url: str, ids: dict[str, str], reached: set[str], tally: Tally
) -> None:
    """Send schemathesis' requests (valid and not) to one operation; adds the operation to
    `reached` once a request to it succeeds."""
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES))
    streams = operation.path.endswith("/events")
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        BOUNDED,
        max_examples=STREAM_EXAMPLES if streams else EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=cases, authorised=st.booleans())
    def send_generated(case: Case, authorised: bool) -> None:
        headers = authorise(case, ids) if authorised else {}
        timeout = TIMEOUT_S if streams else REPLY_TIMEOUT_S
        request = f"{case.method} {case.formatted_path} (authorised: {authorised})"
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=timeout)
        except requests.ConnectionError as exc:
            tally.broken(label, request, exc)
            return
        if response.status_code < 300:
            reached.add(f"{case.method} {operation.path}")
        tally.record(label, request, response.status_code, response.headers, response.content)

    started = time.monotonic()
    send_generated()
    tally.seconds[label] += time.monotonic() - started


def fuzz_hostile(
    operation: Any, document: dict[str, Any], base_url: str, ids: dict[str, str], tally: Tally
) -> None:
    """Send valid, authorised requests with one hostile value each to one operation: random
    ones, then every explicit one (on the valid requests the random ones started from)."""
    label = f"{operation.method.upper()} {operation.path} (hostile)"
    operation_slots = slots(document, operation.path, operation.method)
    bases: list[tuple[Case, dict[str, str]]] = []

    def check(client: httpx.Client, case: Case, headers: dict[str, str], mutation: Any) -> None:
        request = hostile_request(case, base_url, headers, mutation)
        shown = f"{request[0]} {request[1][:200]} with {mutation}"
        try:
            status, response_headers, content = send(client, request, REPLY_TIMEOUT_S)
        except httpx.TransportError as exc:
            tally.broken(label, shown, exc)
            return
        tally.record(label, shown, status, response_headers, content)

    started = time.monotonic()
    with httpx.Client() as client:

        @settings(BOUNDED, max_examples=HOSTILE_EXAMPLES, phases=[Phase.generate])
        @given(
            case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            mutation=mutations(operation_slots),
        )
        def send_random(case: Case, mutation: Any) -> None:
            bases.append((case, authorise(case, ids)))
            check(client, *bases[-1], mutation)

        send_random()
        for number, mutation in enumerate(explicit_mutations(operation_slots)):
            check(client, *bases[number % len(bases)], mutation)
    tally.seconds[label] += time.monotonic() - started


def test_no_request_makes_the_server_fail_or_break_the_error_contract(
    server: str, known_ids: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    document = httpx.get(f"{server}/openapi.json", timeout=REPLY_TIMEOUT_S).json()
    results = list(schema.get_all_operations())
    invalid = [str(result.err()) for result in results if not isinstance(result, Ok)]
    assert not invalid, f"operations the OpenAPI description gets wrong: {invalid}"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    paths = {op.path for op in operations}
    assert "/api/v1/conversations" in paths, f"the OpenAPI description lacks the chat: {paths}"

    reached: set[str] = set()
    tally = Tally()
    for op in operations:
        fuzz_operation(op, server, known_ids, reached, tally)
        fuzz_hostile(op, document, server, known_ids, tally)
    tally.report()

    problems = tally.problems
    assert not problems, f"{len(problems)} contract problems:\n" + "\n".join(problems[:30])
    assert reached >= MUST_REACH, f"never got past validation or auth: {MUST_REACH - reached}"
