"""Operations endpoints: liveness (`/health`), readiness (`/ready`) and `/metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from kb_assistant.api.deps import StateDep
from kb_assistant.api.errors import error_body
from kb_assistant.api.state import ApiState

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process is alive (says nothing about the index or the database)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "a check failed; `checks` says which"}})
async def ready(state: StateDep) -> JSONResponse:
    """Whether the server can answer: the index is reachable and not empty, the store is up."""
    checks = await run_in_threadpool(readiness, state)
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = "; ".join(f"{name}: {value}" for name, value in checks.items() if value != "ok")
    body: dict[str, Any] = {"status": "not_ready", "checks": checks}
    body.update(error_body("not_ready", f"not ready to answer ({failing})"))
    return JSONResponse(body, status_code=503)


@router.get("/metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    """Prometheus metrics of this server process."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


def readiness(state: ApiState) -> dict[str, str]:
    """Each check's result: "ok", or what is wrong."""
    return {"index": _index_check(state), "store": _store_check(state)}


def _index_check(state: ApiState) -> str:
    state.retry_start()
    if state.assistant is None:
        return f"unreachable ({state.start_error or 'starting'})"
    retriever = state.assistant.answers.retriever
    try:
        vectors = retriever.vectors.count("public")
        keywords = retriever.keywords.count("public")
    except Exception as exc:
        return f"unreachable ({type(exc).__name__}: {exc})"
    if not vectors or not keywords:
        return (
            "empty: nothing public is indexed yet (run `kb-assistant ingest` or the admin ingest)"
        )
    return "ok"


def _store_check(state: ApiState) -> str:
    try:
        state.conversations.ping()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"
