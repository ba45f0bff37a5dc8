"""`POST /slack/events`: the Slack app for support agents over HTTP, mounted on the API when
`KB_SLACK_BOT_TOKEN` and `KB_SLACK_SIGNING_SECRET` are set.

Requests go through slack_bolt's Starlette/FastAPI request conversion; bolt verifies the
signature. Dispatch runs on a worker thread so the event loop never waits on Slack's Web API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from kb_assistant.api.state import ApiState
from kb_assistant.core.replies import Answer, AnswerRequest
from kb_assistant.settings import Settings

SLACK_EVENTS_PATH = "/slack/events"


class LiveReplies:
    """The reply flow of the assistant the API built at start-up."""

    def __init__(self, state: ApiState) -> None:
        self.state = state

    def reply(self, request: AnswerRequest) -> Answer:
        assistant = self.state.assistant
        if assistant is None:
            raise RuntimeError("the assistant is still starting; ask again in a moment")
        return assistant.reply(request)


def mount_slack(app: FastAPI, settings: Settings, state: ApiState) -> bool:
    """Add `POST /slack/events` when the Slack app is configured; returns whether it was.

    With an agents' channel, escalated cases are worked there (claim, reply, resolve, save
    as FAQ); approved FAQ entries are indexed under the API's ingestion lock, with the
    assistant's loaded model, and its case messages follow changes made through the admin
    API while the app runs.
    """
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return False
    from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

    from kb_assistant.composition import build_faq_publisher
    from kb_assistant.composition.channels import build_slack_channel

    publisher = build_faq_publisher(
        settings, pipeline=state.jobs.pipeline, lock=state.jobs.ingest_lock
    )  # the lock of the API's ingest jobs, with the index lease
    slack = build_slack_channel(
        settings, LiveReplies(state), relay=state.relay, publisher=publisher, verify_token=False
    )
    if slack.desk is not None:
        state.background.append(slack.desk.mirror)
    bolt = slack.app

    @app.post(SLACK_EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return True
