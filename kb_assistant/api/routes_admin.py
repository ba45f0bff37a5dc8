"""The admin endpoints under `/api/v1/admin` (header `X-API-Key`): re-indexing, handoff cases
(claim, resolve, reply to the customer) and the content gaps customers revealed.

Disabled (503 `admin_disabled`) until `KB_ADMIN_API_KEY` is set. Every text and number
a call carries is checked as the customer API checks it (see `schemas`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from kb_assistant.api.deps import StateDep, admin_access
from kb_assistant.api.errors import ApiError
from kb_assistant.api.ingest_jobs import IngestJobError
from kb_assistant.api.schemas import MAX_ID, AgentIn, AgentMessageIn, ErrorOut, UsableText

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 404, 409, 422, 503)
}
router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(admin_access)],
    responses=_ERRORS,
)
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="the handoff case id")]
JobId = Annotated[str, Path(max_length=64, description="the ingest job id"), UsableText]


@router.post("/ingest", status_code=202)
def start_ingest(state: StateDep) -> dict[str, Any]:
    """Index the configured sources (`KB_INGEST_SOURCES`) in the background."""
    try:
        job = state.jobs.start()
    except IngestJobError as exc:
        raise ApiError(409, str(exc), exc.code) from None
    return {"job_id": job.id, "state": job.state}


@router.get("/ingest/{job_id}")
def ingest_job(state: StateDep, job_id: JobId) -> dict[str, Any]:
    """An ingest job's state (running, done, failed) and, once finished, its report."""
    job = state.jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no ingest job {job_id!r} (only the last few are kept)")
    return job.as_json()


@router.get("/cases")
def list_cases(
    state: StateDep,
    case_state: Annotated[
        Literal["open", "claimed", "resolved"] | None, Query(alias="state")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Handoff cases, newest first, optionally only those in one state."""
    return {"cases": [c.as_json() for c in state.cases.list_cases(case_state, limit=limit)]}


@router.get("/cases/{case_id}")
def get_case(state: StateDep, case_id: CaseId) -> dict[str, Any]:
    """A case (its packet: transcript, reason, passages, draft) and the relayed messages."""
    case = state.cases.get(case_id)
    messages = [
        m.as_json() for m in state.cases.messages(case.conversation_id) if m.case_id == case.id
    ]
    return {"case": case.as_json(), "messages": messages}


@router.post("/cases/{case_id}/claim")
def claim_case(state: StateDep, case_id: CaseId, body: AgentIn) -> dict[str, Any]:
    """An agent takes the case; the customer's chat hears who joined."""
    return {"case": state.relay.claim(case_id, body.agent).as_json()}


@router.post("/cases/{case_id}/resolve")
def resolve_case(state: StateDep, case_id: CaseId, body: AgentIn) -> dict[str, Any]:
    """An agent closes the case; the customer's chat hears it is resolved."""
    return {"case": state.relay.resolve(case_id, body.agent).as_json()}


@router.post("/cases/{case_id}/messages")
def reply_to_customer(state: StateDep, case_id: CaseId, body: AgentMessageIn) -> dict[str, Any]:
    """An agent's reply to the customer: stored on the case and shown in their chat (live on
    its event stream, and in the transcript)."""
    relayed, shown = state.relay.reply(case_id, body.agent, body.text)
    return {
        "case_message": relayed.as_json(),
        "message": None if shown is None else shown.as_json(),
    }


@router.get("/content-gaps")
def content_gaps(
    state: StateDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Questions answered "I don't know" and replies rated down: what the knowledge base
    is missing."""
    return state.conversations.content_gaps(limit=limit).as_json()
