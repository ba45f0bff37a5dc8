"""The web chat's HTTP API: `create_app(settings)` builds the FastAPI app.

The app serves the customer endpoints (`/api/v1/conversations…`), the admin endpoints
(`/api/v1/admin…`), operations (`/health`, `/ready`, `/metrics`) and the widget with its demo
page (`/`, `/widget.js`). The assistant comes from the composition root and is built once,
at start-up; everything else is cheap and built here. Nothing is a module-level singleton:
two apps in one process share nothing (not even their metrics registry).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from kb_assistant import __version__
from kb_assistant.api import pages, routes_admin, routes_chat, routes_console, routes_ops
from kb_assistant.api.errors import install_error_handlers
from kb_assistant.api.ingest_jobs import IngestJobs
from kb_assistant.api.metrics import ApiMetrics, MetricsMiddleware
from kb_assistant.api.ratelimit import RateLimits
from kb_assistant.api.recovery import TurnRecovery
from kb_assistant.api.security import BodyLimitMiddleware, CorsMiddleware, SecurityHeadersMiddleware
from kb_assistant.api.slack_mount import mount_slack
from kb_assistant.api.state import ApiState
from kb_assistant.api.tokens import ConversationTokens, token_secret
from kb_assistant.composition import build_conversation_store
from kb_assistant.conversations import CustomerRelay, TurnLedger
from kb_assistant.faults import arm
from kb_assistant.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from ingest.pipeline import IngestPipeline
    from kb_assistant.assistant import Assistant
    from kb_assistant.faq import FaqPublisher
    from kb_assistant.ports import Embedder

log = logging.getLogger(__name__)

DESCRIPTION = """\
Customer chat for KB Assistant: answers from the company's knowledge base, with sources,
and every money matter handed to a person. Customer calls carry a short-lived conversation
token (`Authorization: Bearer`); admin calls carry `X-API-Key`."""


def create_app(
    settings: Settings,
    *,
    assistant: Assistant | None = None,
    embedder: Embedder | None = None,
    llm: LLM | None = None,
) -> FastAPI:
    """The app for `settings`.

    `assistant` replaces the one the composition root would build at start-up (tests share
    one); `embedder` and `llm` are passed to the composition root (a loaded model, a
    scripted LLM at that boundary).
    """
    arm(settings.crash_points)
    state = _state(settings, assistant, embedder, llm)
    state.background.append(TurnRecovery(state))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if state.assistant is None:
            await run_in_threadpool(state.start)
        for work in state.background:
            work.start()
        try:
            yield
        finally:
            for work in state.background:
                await run_in_threadpool(work.stop)

    app = FastAPI(
        title="KB Assistant",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.kb = state
    install_error_handlers(app)
    app.include_router(routes_chat.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_ops.router)
    routes_console.install(app)  # the operator console under /console
    mount_slack(app, settings, state)  # POST /slack/events, when the Slack app is configured
    app.include_router(pages.router)  # last: it serves any other single name as a file
    # Added innermost first: metrics see every response, including the refusals below.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(CorsMiddleware, origins=settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


def _state(
    settings: Settings,
    assistant: Assistant | None,
    embedder: Embedder | None,
    llm: LLM | None,
) -> ApiState:
    from kb_assistant.composition import (
        build_assistant,
        build_faq_publisher,
        build_handoff_store,
        build_ingest_pipeline,
        writing_index,
    )
    from kb_assistant.composition.console import ModelNotReadyError, build_console

    conversations = build_conversation_store(settings)
    cases = assistant.handoffs.store if assistant is not None else build_handoff_store(settings)

    def ingest_pipeline() -> IngestPipeline:  # runs in the job's thread, after start-up
        live = state.assistant
        model = live.answers.embedder if live is not None else embedder
        return build_ingest_pipeline(settings, embedder=model)

    def published_faq() -> FaqPublisher:  # the ingest jobs' lock, with the index lease
        return build_faq_publisher(
            settings, pipeline=state.jobs.pipeline, lock=state.jobs.ingest_lock
        )

    def loaded_model() -> Embedder:
        if state.assistant is None:
            raise ModelNotReadyError(
                "the assistant is still starting, and content gaps need its model: try again "
                "in a moment"
            )
        return state.assistant.answers.embedder

    state = ApiState(
        settings=settings,
        conversations=conversations,
        turns=TurnLedger(conversations.engine),
        cases=cases,
        relay=CustomerRelay(cases, conversations, settings.handoff_response_time),
        tokens=ConversationTokens(token_secret(settings), settings.token_ttl_s),
        limits=RateLimits.from_settings(settings),
        metrics=ApiMetrics(),
        jobs=IngestJobs(
            ingest_pipeline,
            settings.ingest_sources,
            optional_sources=[settings.resolved_agent_faq_path],
            guard=lambda lock: writing_index(settings, "the admin API's ingest job", lock=lock),
        ),
        builder=lambda: build_assistant(settings, embedder=embedder, llm=llm),
        console=build_console(
            settings, conversations.engine, publisher=published_faq, embedder=loaded_model
        ),
        assistant=assistant,
    )
    return state
