"""Property-based fuzzing of every operation the API's OpenAPI description declares.

A real server (`kb-assistant serve` on loopback, the demo knowledge base) receives requests
generated from its own `/openapi.json`: valid ones and ones that break the schema, with and
without a valid conversation token and admin key, so that the authorised paths are reached
too. Whatever comes in, the server must not fail (no 5xx) and every error must have the
contract's shape `{"error": {"code": ..., "message": ...}}`.

Bounded so it stays fast: a fixed number of examples per operation, derandomised (the same
requests every run), no shrinking. The conversation and client rate limits are raised for
the server so that fuzzing reaches the handlers instead of the limiter.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok

from eval.server import ServerProcess
from kb_assistant.settings import Settings

ADMIN_KEY = "fuzzing-admin-key"
UNLIMITED = "1000000/60"
EXAMPLES = 25
STREAM_EXAMPLES = 4  # the customer event stream stays open until the read timeout
TIMEOUT_S = 2.0  # an event stream is read until this runs out
REPLY_TIMEOUT_S = 60.0  # a reply on a busy 2-core machine can take seconds
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
def server(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a private copy of the demo index; yields its base URL."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(demo_settings.data_dir, data_dir)
    env = {
        "KB_ADMIN_API_KEY": ADMIN_KEY,
        "KB_RATE_LIMIT_CONVERSATION": UNLIMITED,
        "KB_RATE_LIMIT_CLIENT": UNLIMITED,
    }
    with ServerProcess(data_dir, env) as running:
        yield running.url


@pytest.fixture(scope="module")
def known_ids(server: str) -> dict[str, str]:
    """A real conversation (its token, a reply in it) and a real handoff case, so that
    generated requests can be pointed at things that exist."""
    created = httpx.post(f"{server}/api/v1/conversations", json={})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    chat = f"{server}/api/v1/conversations/{created.json()['conversation_id']}"
    auth = {"Authorization": f"Bearer {token}"}
    asked = httpx.post(
        f"{chat}/messages", json={"text": "How long does delivery take?"}, headers=auth
    )
    assert asked.status_code == 200, asked.text
    handoff = httpx.post(f"{chat}/handoff", json={}, headers=auth)
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


def fuzz_operation(
    operation: Any, base_url: str, ids: dict[str, str], reached: set[str]
) -> list[str]:
    """Send generated requests to one operation; returns the contract problems seen and adds
    the operation to `reached` once a request to it succeeds."""
    problems: list[str] = []
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES))
    streams = operation.path.endswith("/events")

    @settings(
        max_examples=STREAM_EXAMPLES if streams else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, authorised=st.booleans())
    def send(case: Case, authorised: bool) -> None:
        headers = authorise(case, ids) if authorised else {}
        timeout = TIMEOUT_S if streams else REPLY_TIMEOUT_S
        response = case.call(base_url=base_url, headers=headers, timeout=timeout)
        if response.status_code < 300:
            reached.add(f"{case.method} {operation.path}")
        for problem in contract_problems(response.status_code, response.headers, response.content):
            request = f"{case.method} {case.formatted_path} (authorised: {authorised})"
            problems.append(f"{request}: {problem}")

    send()
    return problems


def test_no_request_makes_the_server_fail_or_break_the_error_contract(
    server: str, known_ids: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    results = list(schema.get_all_operations())
    invalid = [str(result.err()) for result in results if not isinstance(result, Ok)]
    assert not invalid, f"operations the OpenAPI description gets wrong: {invalid}"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    paths = {op.path for op in operations}
    assert "/api/v1/conversations" in paths, f"the OpenAPI description lacks the chat: {paths}"

    reached: set[str] = set()
    problems = [p for op in operations for p in fuzz_operation(op, server, known_ids, reached)]

    assert not problems, f"{len(problems)} contract problems:\n" + "\n".join(problems[:30])
    assert reached >= MUST_REACH, f"never got past validation or auth: {MUST_REACH - reached}"
