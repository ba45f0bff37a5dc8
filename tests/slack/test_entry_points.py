"""The Slack app's entry points: `POST /slack/events` on the API, and `kb-assistant slack`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kb_assistant.api.app import create_app
from kb_assistant.assistant import Assistant
from kb_assistant.cli import main
from kb_assistant.settings import Settings
from kb_assistant.slack import SlackCaseMessages, SlackHandoffSink, slack_client
from tests.handoff.conftest import make_packet
from tests.slack.conftest import AGENT, CHANNEL, signed_headers, slash_body
from tests.slack.stand_in import SlackStandIn
from tests.slack.test_cases import case_action, wait_until
from tests.storage.engines import upgraded_engine

FORM = "application/x-www-form-urlencoded"


def test_the_api_answers_a_signed_slash_command(
    slack_settings: Settings, slack_assistant: Assistant, stand_in: SlackStandIn
) -> None:
    body = slash_body("How do I descale my kettle?")
    with TestClient(create_app(slack_settings, assistant=slack_assistant)) as client:
        headers = {"content-type": FORM, **signed_headers(body)}
        response = client.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200 and "Searching" in response.text
        answer = stand_in.wait_for("chat.update")[0].body
        assert answer["channel"] == CHANNEL and "Sources" in str(answer["blocks"])
        forged = {**headers, "x-slack-signature": "v0=" + "1" * 64}
        assert client.post("/slack/events", content=body, headers=forged).status_code == 401


def test_the_api_has_no_slack_route_unless_configured(
    settings: Settings, slack_assistant: Assistant
) -> None:
    with TestClient(create_app(settings, assistant=slack_assistant)) as client:
        assert client.post("/slack/events", content="{}").status_code in (404, 405)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "KB_SLACK_BOT_TOKEN"),
        ({"KB_SLACK_BOT_TOKEN": "xoxb-1"}, "KB_SLACK_APP_TOKEN"),
    ],
)
def test_slack_command_names_the_missing_token(
    clean_env: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    missing: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["slack"]) == 2
    assert missing in capsys.readouterr().err


def test_the_api_lets_agents_work_cases_in_the_agents_channel(
    slack_settings: Settings, slack_assistant: Assistant, stand_in: SlackStandIn
) -> None:
    settings = slack_settings.model_copy(update={"slack_agent_channel": CHANNEL})
    with TestClient(create_app(settings, assistant=slack_assistant)) as client:
        conversation = client.post("/api/v1/conversations", json={}).json()["conversation_id"]
        cases = slack_assistant.handoffs.store
        case, _ = cases.open_case(make_packet(conversation))
        messages = SlackCaseMessages(upgraded_engine(settings.resolved_database_url))
        SlackHandoffSink(slack_client(settings), CHANNEL, messages).deliver(case)
        place = messages.place_of(case.id)
        assert place is not None
        stand_in.members.append(AGENT)

        body = case_action("kb_case_claim", case.id, place[1])
        response = client.post(
            "/slack/events", content=body, headers={"content-type": FORM, **signed_headers(body)}
        )

        assert response.status_code == 200
        wait_until(lambda: cases.get(case.id).state == "claimed")
        assert stand_in.wait_for("chat.update")[0].body["ts"] == place[1]
