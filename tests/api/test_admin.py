"""The admin API: the key, handoff cases and what reaches the customer, content gaps, ingest."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN_KEY, ANSWERABLE, REFUND, UNANSWERABLE, AppFactory, Chat, admin


def test_the_admin_api_is_disabled_without_a_key(make_client: AppFactory) -> None:
    client = make_client()

    response = client.get("/api/v1/admin/cases", headers=admin())

    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "admin_disabled",
        "message": "set KB_ADMIN_API_KEY to enable the admin API",
    }


def test_a_wrong_or_missing_key_is_unauthorized_and_the_right_one_works(
    client: TestClient,
) -> None:
    wrong = client.get("/api/v1/admin/cases", headers=admin("not-the-key"))
    missing = client.get("/api/v1/admin/cases")
    right = client.get("/api/v1/admin/cases", headers=admin(ADMIN_KEY))

    assert wrong.status_code == 401 and missing.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    assert right.status_code == 200 and isinstance(right.json()["cases"], list)


def test_an_agent_claims_replies_and_resolves_and_the_customer_sees_each_step(
    client: TestClient,
) -> None:
    chat = Chat.start(client)
    case_id = chat.send(REFUND)["case_id"]
    base = f"/api/v1/admin/cases/{case_id}"

    listed = client.get("/api/v1/admin/cases", params={"state": "open"}, headers=admin())
    claimed = client.post(f"{base}/claim", json={"agent": "Sam"}, headers=admin())
    replied = client.post(
        f"{base}/messages", json={"agent": "Sam", "text": "I'm looking at it now."}, headers=admin()
    )
    detail = client.get(base, headers=admin())
    resolved = client.post(f"{base}/resolve", json={"agent": "Sam"}, headers=admin())

    assert case_id in [c["id"] for c in listed.json()["cases"]]
    assert claimed.json()["case"]["state"] == "claimed"
    assert replied.status_code == 200 and replied.json()["message"]["role"] == "agent"
    assert [m["text"] for m in detail.json()["messages"]] == [
        "I'm looking at it now.",
    ]
    assert resolved.json()["case"]["state"] == "resolved"
    transcript = chat.transcript()
    assert transcript["handoff"] == {"case_id": case_id, "state": "resolved", "agent": "Sam"}
    shown = [(m["role"], m["text"]) for m in transcript["messages"]]
    assert shown[2] == (
        "system",
        "Sam from our support team has joined the conversation and will reply here.",
    )
    assert shown[3] == ("agent", "I'm looking at it now.")
    assert shown[4][0] == "system" and "marked your conversation as resolved" in shown[4][1]
    assert "refund" not in shown[4][1].lower()


def test_a_resolved_case_takes_no_more_replies(client: TestClient) -> None:
    chat = Chat.start(client)
    case_id = chat.send(REFUND)["case_id"]
    client.post(f"/api/v1/admin/cases/{case_id}/resolve", json={"agent": "Sam"}, headers=admin())

    late = client.post(
        f"/api/v1/admin/cases/{case_id}/messages",
        json={"agent": "Sam", "text": "one more thing"},
        headers=admin(),
    )
    again = client.post(
        f"/api/v1/admin/cases/{case_id}/claim", json={"agent": "Kim"}, headers=admin()
    )

    assert late.status_code == 409 and again.status_code == 409
    assert late.json()["error"]["code"] == "conflict"
    missing = client.get("/api/v1/admin/cases/99999999", headers=admin())
    assert missing.status_code == 404


def test_content_gaps_list_unanswered_questions_and_thumbs_down(client: TestClient) -> None:
    chat = Chat.start(client)
    unknown = chat.send(UNANSWERABLE)
    answered = chat.send(ANSWERABLE)
    client.post(
        f"{chat.url}/feedback",
        json={"message_id": answered["reply"]["id"], "rating": "down", "comment": "not my country"},
        headers=chat.auth,
    )

    gaps = client.get("/api/v1/admin/content-gaps", headers=admin()).json()

    assert unknown["reply"]["action"] == "dont_know" and unknown["reply"]["offer_human"]
    assert gaps["unanswered"][0]["question"] == UNANSWERABLE
    assert gaps["unanswered"][0]["conversation_id"] == chat.conversation_id
    assert gaps["unanswered"][0]["reason"]
    down = gaps["thumbs_down"][0]
    assert (down["question"], down["comment"]) == (ANSWERABLE, "not my country")
    assert down["answer"] == answered["reply"]["text"]
    metrics = client.get("/metrics").text
    assert 'kb_feedback_total{rating="down"} 1.0' in metrics
    assert "kb_dont_know_total 1.0" in metrics


def test_ingest_without_sources_is_a_conflict(client: TestClient) -> None:
    response = client.post("/api/v1/admin/ingest", headers=admin())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_sources"


def test_ingest_indexes_the_configured_sources_in_the_background(
    make_client: AppFactory, clean_env: Path
) -> None:
    faq = clean_env / "faq.md"
    faq.write_text(
        "# Opening hours\n\n## When is the shop open?\n\nThe shop is open from nine to five "
        "on weekdays.\n",
        encoding="utf-8",
    )
    client = make_client(admin_api_key=ADMIN_KEY, ingest_sources=str(faq))

    started = client.post("/api/v1/admin/ingest", headers=admin())
    job = wait_for_job(client, started.json()["job_id"])

    assert started.status_code == 202 and started.json()["state"] == "running"
    assert job["state"] == "done", job
    assert job["report"]["documents"]["added"] >= 1  # type: ignore[index]
    unknown = client.get("/api/v1/admin/ingest/ingest-nope", headers=admin())
    assert unknown.status_code == 404


def wait_for_job(client: TestClient, job_id: str, timeout_s: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, object] = client.get(
            f"/api/v1/admin/ingest/{job_id}", headers=admin()
        ).json()
        if job["state"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"ingest job {job_id} still running after {timeout_s} s")


def test_changes_made_on_the_case_elsewhere_reach_the_chat_once(client: TestClient) -> None:
    chat = Chat.start(client)
    case_id = chat.send(REFUND)["case_id"]
    cases = client.app.state.kb.cases  # type: ignore[attr-defined]

    cases.claim(case_id, "Kim")  # as another channel (Slack) would, straight on the case store
    cases.add_message(chat.conversation_id, "to_customer", "Kim", "Hello from Kim")
    first, second = chat.transcript(), chat.transcript()

    shown = [(m["role"], m["text"]) for m in first["messages"][2:]]
    assert shown == [
        ("system", "Kim from our support team has joined the conversation and will reply here."),
        ("agent", "Hello from Kim"),
    ]
    assert second["messages"] == first["messages"]  # nothing mirrored twice
    assert first["handoff"] == {"case_id": case_id, "state": "claimed", "agent": "Kim"}
