"""The operator console over HTTP: who may sign in and how, CSRF, its security headers, and
the JSON the admin API gives for each of its pages — through real apps on real SQLite, with
the real assistant over the demo knowledge base."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb_assistant.operators import OperatorAccounts
from tests.api.conftest import ADMIN_KEY, ANSWERABLE, REFUND, UNANSWERABLE, AppFactory, Chat

PASSWORD = "correct horse battery staple"
SSO_SECRET = "proxy-secret-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_operator(client: TestClient, name: str = "lead", password: str = PASSWORD) -> None:
    OperatorAccounts(client.app.state.kb.console.engine).add(name, password)  # type: ignore[attr-defined]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, name: str = "lead", password: str = PASSWORD) -> Any:
    form = client.get("/console/login")
    assert form.status_code == 200
    return client.post(
        "/console/login",
        data={"username": name, "password": password, "csrf": csrf_of(form.text), "next": ""},
        follow_redirects=False,
    )


@pytest.fixture
def console(make_client: AppFactory) -> TestClient:
    client = make_client(admin_api_key=ADMIN_KEY)
    add_operator(client)
    return client


def test_pages_need_a_signed_in_operator_and_the_admin_key_is_not_a_login(
    console: TestClient,
) -> None:
    for path in ("/console", "/console/gaps", "/console/conversations", "/console/kb"):
        response = console.get(path, headers=ADMIN, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=")


def test_signing_in_with_the_password_opens_the_console(console: TestClient) -> None:
    signed = sign_in(console)
    assert signed.status_code == 303 and signed.headers["location"] == "/console"
    cookie = signed.headers["set-cookie"]
    assert "kb_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    page = console.get("/console")
    assert page.status_code == 200 and "lead" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["cache-control"] == "no-store"


def test_a_wrong_password_an_unknown_name_and_a_missing_token_are_refused(
    console: TestClient,
) -> None:
    wrong = sign_in(console, password="not the password at all")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    unknown = sign_in(console, name="nobody")
    assert unknown.status_code == 401
    assert "kb_console=" not in wrong.headers.get("set-cookie", "").replace("kb_console_login", "")
    console.get("/console/login")
    missing = console.post(
        "/console/login",
        data={"username": "lead", "password": PASSWORD},
        follow_redirects=False,
    )
    assert missing.status_code == 403
    assert console.get("/console", follow_redirects=False).status_code == 303


def test_a_post_without_the_sessions_csrf_token_or_from_another_site_is_refused(
    console: TestClient,
) -> None:
    sign_in(console)
    no_token = console.post("/console/logout", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    forged = console.post("/console/logout", data={"csrf": "guess"}, follow_redirects=False)
    assert forged.status_code == 403
    token = csrf_of(console.get("/console").text)
    elsewhere = console.post(
        "/console/logout",
        data={"csrf": token},
        headers={"Origin": "https://attacker.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403
    assert console.get("/console").status_code == 200  # still signed in
    out = console.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert console.get("/console", follow_redirects=False).status_code == 303


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(console: TestClient) -> None:
    sign_in(console)
    accounts = OperatorAccounts(console.app.state.kb.console.engine)  # type: ignore[attr-defined]
    accounts.set_disabled("lead", True)
    assert console.get("/console", follow_redirects=False).status_code == 303
    assert sign_in(console).status_code == 401


def test_sign_in_attempts_are_limited_per_address(console: TestClient) -> None:
    statuses = [sign_in(console, password=f"wrong password {i}").status_code for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_single_sign_on_needs_the_proxys_secret(make_client: AppFactory) -> None:
    client = make_client(console_sso_header="X-Forwarded-User", console_sso_secret=SSO_SECRET)
    named = {"X-Forwarded-User": "sam"}
    assert client.get("/console", headers=named, follow_redirects=False).status_code == 303
    wrong = {**named, "X-Console-Proxy-Secret": "not-the-secret"}
    assert client.get("/console", headers=wrong, follow_redirects=False).status_code == 303
    proved = {**named, "X-Console-Proxy-Secret": SSO_SECRET}
    page = client.get("/console", headers=proved)
    assert page.status_code == 200 and "sam" in page.text
    token = csrf_of(page.text)
    forged = client.post("/console/logout", data={"csrf": "x"}, headers=proved)
    assert forged.status_code == 403
    assert client.post("/console/logout", data={"csrf": token}, headers=proved).status_code in (
        200,
        303,
    )


def test_next_after_sign_in_stays_in_the_console(console: TestClient) -> None:
    form = console.get("/console/login?next=https://evil.example/")
    signed = console.post(
        "/console/login",
        data={
            "username": "lead",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "//evil.example/console",
        },
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/console"


def _traffic(client: TestClient) -> dict[str, Chat]:
    answered = Chat.start(client)
    answered.send(ANSWERABLE)
    unknown = Chat.start(client, contact={"email": "ana@example.com", "name": "Ana"})
    unknown.send(f"{UNANSWERABLE} You can reach me at ana@example.com or +44 20 7946 0958.")
    refund = Chat.start(client)
    refund.send(REFUND)
    return {"answered": answered, "unknown": unknown, "refund": refund}


def test_the_overview_counts_outcomes_escalations_ratings_and_latency(
    console: TestClient,
) -> None:
    chats = _traffic(console)
    reply = chats["answered"].transcript()["messages"][-1]
    rated = console.post(
        f"{chats['answered'].url}/feedback",
        json={"message_id": reply["id"], "rating": "down"},
        headers=chats["answered"].auth,
    )
    assert rated.status_code == 200, rated.text
    seen = console.get("/api/v1/admin/overview?days=7", headers=ADMIN).json()
    assert seen["conversations"] == 3 and seen["replies"] == 3
    assert seen["outcomes"] == {"answer": 1, "dont_know": 1, "escalate": 1}
    assert list(seen["escalations"]) == ["money_action"]
    assert (seen["thumbs_up"], seen["thumbs_down"]) == (0, 1)
    assert 0 < seen["latency_median_ms"] <= seen["latency_p95_ms"]
    assert sum(d["conversations"] for d in seen["daily"]) == 3 and len(seen["daily"]) == 7
    sign_in(console)
    page = console.get("/console?days=7")
    assert page.status_code == 200 and "<svg" in page.text


def test_a_transcript_shows_each_turns_trace_with_personal_data_redacted(
    console: TestClient,
) -> None:
    chats = _traffic(console)
    cid = chats["unknown"].conversation_id
    detail = console.get(f"/api/v1/admin/conversations/{cid}", headers=ADMIN).json()
    text = " ".join(line["text"] for line in detail["lines"])
    assert "ana@example.com" not in text and "7946" not in text
    [reply] = [line for line in detail["lines"] if line["role"] == "assistant"]
    trace = reply["trace"]
    assert trace["action"] == "dont_know" and 0 <= trace["confidence"] < 1
    assert trace["passages"] and trace["passages"][0]["rank"] == 1
    assert trace["policy"]["class"] == "none"
    refund_id = chats["refund"].conversation_id
    refund = console.get(f"/api/v1/admin/conversations/{refund_id}", headers=ADMIN).json()
    [handed] = [line for line in refund["lines"] if line["role"] == "assistant"]
    assert handed["trace"]["escalation"] == "money_action" and refund["case_ids"]
    sign_in(console)
    page = console.get(f"/console/conversations/{cid}")
    assert page.status_code == 200
    shown = page.text
    assert "ana@example.com" not in shown, shown[shown.find("ana@example.com") - 300 :][:400]
    assert "dont_know" in shown or "I don" in shown
    found = console.get("/api/v1/admin/conversations?q=Mongolia", headers=ADMIN).json()
    assert [c["id"] for c in found["conversations"]] == [cid] and found["total"] == 1
    assert console.get("/console/conversations?q=Mongolia").status_code == 200


def test_the_case_queue_filters_by_state_and_reason(console: TestClient) -> None:
    refund = _traffic(console)["refund"].conversation_id
    queue = console.get("/api/v1/admin/queue?state=open", headers=ADMIN).json()
    [case] = [c for c in queue["cases"] if c["conversation_id"] == refund]
    assert case["reason"] == "money_action" and case["state"] == "open" and case["age_s"] >= 0
    assert "charged twice" in case["question"]
    assert queue["by_state"]["open"] >= 1 and "money_action" in queue["reasons"]
    assert all(c["state"] == "open" for c in queue["cases"])
    others = console.get("/api/v1/admin/queue?reason=security", headers=ADMIN).json()
    assert all(c["reason"] == "security" for c in others["cases"])
    resolved = console.get("/api/v1/admin/queue?state=resolved", headers=ADMIN).json()
    assert refund not in {c["conversation_id"] for c in resolved["cases"]}
    sign_in(console)
    assert console.get("/console/cases?state=open").status_code == 200


def test_gaps_group_questions_by_meaning_and_a_draft_is_started_once(
    console: TestClient,
) -> None:
    asked = [
        "Do you ship to Antarctica?",
        "can you deliver to antarctica",
        "What is the capital of Mongolia?",
    ]
    for question in asked:
        Chat.start(console).send(question)
    report = console.get("/api/v1/admin/gaps?days=7", headers=ADMIN).json()
    assert report["questions"] >= 2
    sizes = sorted((g["count"] for g in report["gaps"]), reverse=True)
    assert sum(sizes) == report["questions"]
    biggest = report["gaps"][0]
    assert biggest["examples"] and biggest["key"]
    made = console.post(
        f"/api/v1/admin/gaps/{biggest['key']}/draft",
        json={"operator": "lead"},
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    draft = made.json()["draft"]
    assert draft["origin"] == "gap" and draft["state"] == "draft"
    again = console.post(
        f"/api/v1/admin/gaps/{biggest['key']}/draft",
        json={"operator": "sam"},
        headers=ADMIN,
    )
    assert again.json()["draft"]["id"] == draft["id"]
    empty = console.post(
        f"/api/v1/admin/faq-drafts/{draft['id']}",
        json={"operator": "lead", "question": "Do you ship to Antarctica?", "answer": ""},
        headers=ADMIN,
    )
    assert empty.status_code == 422
    unknown = console.post(
        f"/api/v1/admin/gaps/{'0' * 16}/draft", json={"operator": "lead"}, headers=ADMIN
    )
    assert unknown.status_code == 404 and "no content gap" in unknown.text
    regrouped = console.get("/api/v1/admin/gaps?days=7", headers=ADMIN).json()
    assert {g["key"]: g["draft_id"] for g in regrouped["gaps"]}[biggest["key"]] == draft["id"]


def test_the_knowledge_base_json_lists_versions_and_health(console: TestClient) -> None:
    kb = console.get("/api/v1/admin/kb", headers=ADMIN).json()  # a data directory, no index
    assert (kb["live_version"], kb["versions"], kb["sources"]) == (None, [], [])
    assert "nothing is indexed" in kb["health_error"] and kb["health"] == {}


def test_console_json_needs_the_admin_key(console: TestClient) -> None:
    for path in ("overview", "gaps", "conversations", "queue", "kb"):
        assert console.get(f"/api/v1/admin/{path}").status_code == 401, path
