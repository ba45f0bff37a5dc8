"""The whole agent loop through a real server on loopback, with the Slack app mounted at
`/slack/events` and a stand-in Slack Web API: a customer's refund request becomes a case
message in the agents' channel; a claim made through the admin API shows in Slack; an
agent's thread reply reaches the customer's live event stream; Resolve tells the customer;
Save as FAQ and its approval make the answer available to the next customer within seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from eval.server import served_in_thread
from kb_assistant.api.app import create_app
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from kb_assistant.slack import CASE_RESOLVE, CASE_SAVE_FAQ
from tests.api.test_live_server import EventReader
from tests.faq.test_faq import ANSWER, ASKED_LATER, QUESTION
from tests.slack.conftest import AGENT, CHANNEL, signed_headers
from tests.slack.stand_in import SlackStandIn
from tests.slack.test_cases import blocks_of, case_action, thread_message, wait_until
from tests.slack.test_faq import view_submission

ADMIN_KEY = "admin-key-for-tests-0123456789"
FORM = "application/x-www-form-urlencoded"
REFUND = (
    "My Orla pendant globe arrived cracked and I want a refund. "
    "You can reach me at ana.lopez@example.com"
)
AGENT_REPLY = "So sorry about the globe! I have sent a new one; it arrives on Thursday."


@pytest.fixture
def server(
    own_demo_settings: Settings,
    slack_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    clean_env: Path,
) -> Iterator[str]:
    """`create_app` with Slack configured, served by uvicorn in a thread; its base URL."""
    slack = ("slack_bot_token", "slack_signing_secret", "slack_api_url", "token_secret")
    settings = own_demo_settings.model_copy(
        update={name: getattr(slack_settings, name) for name in slack}
        | {"slack_agent_channel": CHANNEL, "admin_api_key": SecretStr(ADMIN_KEY)}
    )
    with served_in_thread(create_app(settings, embedder=real_embedder)) as url:
        yield url


def to_slack_app(http: httpx.Client, body: str, content_type: str) -> httpx.Response:
    """POST a request to /slack/events signed as Slack signs it."""
    headers = {"content-type": content_type, **signed_headers(body)}
    response = http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_refund_to_slack_to_customer_to_faq_to_the_next_customer(
    server: str, stand_in: SlackStandIn
) -> None:
    stand_in.members.append(AGENT)
    with httpx.Client(base_url=server, timeout=httpx.Timeout(60, read=30)) as http:
        created = http.post("/api/v1/conversations", json={}).json()
        cid, token = created["conversation_id"], created["token"]
        auth = {"Authorization": f"Bearer {token}"}
        reply = http.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": REFUND}, headers=auth
        )
        case_id = reply.json()["case_id"]
        assert reply.json()["reply"]["action"] == "escalate" and case_id is not None

        [posted] = stand_in.wait_for("chat.postMessage")
        assert posted.body["channel"] == CHANNEL and f"Case {case_id}" in blocks_of(posted.body)
        assert "Orla pendant globe arrived cracked" in blocks_of(posted.body)
        ts = posted.result["ts"]

        admin = {"X-API-Key": ADMIN_KEY}
        claimed = http.post(
            f"/api/v1/admin/cases/{case_id}/claim", json={"agent": "Robin"}, headers=admin
        )
        assert claimed.status_code == 200, claimed.text
        wait_until(lambda: bool(stand_in.named("chat.update")), timeout_s=15)
        assert "Claimed* by Robin" in blocks_of(stand_in.named("chat.update")[0].body)

        events_url = f"/api/v1/conversations/{cid}/events"
        with http.stream("GET", events_url, params={"token": token}) as stream:
            reader = EventReader(stream)
            seen = [reader.next(), reader.next()]  # opened, claimed
            assert [e[2]["state"] for e in seen] == ["open", "claimed"]

            to_slack_app(http, thread_message(AGENT_REPLY, ts), "application/json")
            relayed = reader.next()
            assert (relayed[1], relayed[2]["text"]) == ("agent_message", AGENT_REPLY)

            to_slack_app(http, case_action(CASE_RESOLVE, case_id, ts), FORM)
            resolved = reader.next()
            assert (resolved[1], resolved[2]["state"], resolved[2]["agent"]) == (
                "handoff",
                "resolved",
                "agent",
            )

        to_slack_app(http, case_action(CASE_SAVE_FAQ, case_id, ts), FORM)
        view = stand_in.wait_for("views.open")[0].body["view"]
        view = json.loads(view) if isinstance(view, str) else view
        draft_text = json.dumps(view)
        assert "ana.lopez@example.com" not in draft_text and AGENT_REPLY in draft_text
        draft_id = json.loads(view["private_metadata"])["draft"]

        approved_at = time.monotonic()
        closed = to_slack_app(http, view_submission(draft_id, QUESTION, ANSWER), FORM)
        assert closed.text == ""
        wait_until(
            lambda: any("Saved as FAQ" in blocks_of(c.body) for c in stand_in.named("chat.update")),
            timeout_s=30,
        )
        published_in = time.monotonic() - approved_at

        later = http.post("/api/v1/conversations", json={}).json()
        asked = http.post(
            f"/api/v1/conversations/{later['conversation_id']}/messages",
            json={"text": ASKED_LATER},
            headers={"Authorization": f"Bearer {later['token']}"},
        ).json()
    assert asked["reply"]["action"] == "answer", asked
    assert asked["reply"]["citations"][0]["title"] == QUESTION
    assert published_in < 15, f"approval to published took {published_in:.1f} s"
