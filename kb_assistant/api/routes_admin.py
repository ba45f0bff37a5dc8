"""The admin endpoints under `/api/v1/admin` (header `X-API-Key`): re-indexing, handoff cases
(claim, resolve, reply to the customer), the content gaps customers revealed, and as JSON
everything the operator console shows (overview, grouped gaps and the FAQ drafts made from
them, conversations with their traces, the case queue, the knowledge base).

Disabled (503 `admin_disabled`) until `KB_ADMIN_API_KEY` is set. Every text and number
a call carries is checked as the customer API checks it (see `schemas`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from kb_assistant.api.deps import StateDep, admin_access
from kb_assistant.api.errors import ApiError
from kb_assistant.api.ingest_jobs import IngestJobError
from kb_assistant.api.schemas import (
    MAX_ID,
    AgentIn,
    AgentMessageIn,
    ErrorOut,
    FaqDraftIn,
    GapDraftIn,
    UsableText,
)
from kb_assistant.composition.console import draft_view
from kb_assistant.core.errors import KbError
from kb_assistant.handoff.types import utcnow
from kb_assistant.insights.cases import case_queue
from kb_assistant.insights.overview import overview, period_ending

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
Days = Annotated[int, Query(ge=1, le=366, description="the period: this many days to today")]
DraftId = Annotated[int, Path(ge=1, le=MAX_ID, description="the FAQ draft id")]
GapKey = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the content gap's key")]


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


@router.get("/overview")
def console_overview(state: StateDep, days: Days = 30) -> dict[str, Any]:
    """Conversations per day, outcome shares, escalations by reason, ratings and latency
    over the last `days` days (UTC), as the console's overview shows them."""
    seen = overview(state.console.engine, period_ending(utcnow().date(), days))
    return {
        **seen.as_json(),
        "shares": {o: round(seen.share(o), 4) for o in seen.outcomes},
        "thumbs_up_rate": seen.thumbs_up_rate,
    }


@router.get("/gaps")
def grouped_gaps(state: StateDep, days: Days = 30) -> dict[str, Any]:
    """Questions the knowledge base failed on ("I don't know", rated down), grouped by
    meaning and ranked by how often they were asked, with the passages retrieved for them
    and the FAQ draft started from each."""
    return state.console.gap_report(days).as_json()


@router.post("/gaps/{key}/draft", status_code=201)
def draft_gap(state: StateDep, key: GapKey, body: GapDraftIn) -> dict[str, Any]:
    """Start the FAQ draft of a content gap (or return the one already started)."""
    return {"draft": draft_view(state.console.draft_gap(key, body.days, body.operator)).as_json()}


@router.get("/faq-drafts/{draft_id}")
def faq_draft(state: StateDep, draft_id: DraftId) -> dict[str, Any]:
    """An FAQ draft (from a case or a content gap) and its state."""
    return {"draft": draft_view(state.console.drafts.get(draft_id)).as_json()}


@router.post("/faq-drafts/{draft_id}")
def edit_faq_draft(state: StateDep, draft_id: DraftId, body: FaqDraftIn) -> dict[str, Any]:
    """Save an operator's edit; with `publish`, approve it and index it as a public FAQ
    entry (as an agent's approval in Slack does)."""
    if body.publish:
        try:
            draft = state.console.publish(draft_id, body.question, body.answer, body.operator)
        except (ApiError, KbError):
            raise
        except Exception as error:
            raise ApiError(503, f"the entry could not be published: {error}") from None
    else:
        draft = state.console.drafts.save(draft_id, body.question, body.answer)
    return {"draft": draft_view(draft).as_json()}


@router.get("/conversations")
def conversations(
    state: StateDep,
    q: Annotated[str, Query(max_length=200), UsableText] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Conversations, newest first; with `q`, those with a message holding it. Texts are
    redacted of personal data."""
    return state.console.transcripts.search(q, offset=offset, limit=limit).as_json()


@router.get("/conversations/{cid}")
def conversation(
    state: StateDep, cid: Annotated[str, Path(max_length=64), UsableText]
) -> dict[str, Any]:
    """A whole transcript, redacted, with what the assistant did for each reply: passages
    retrieved, gate confidence, sentences the verifier removed, the policy's decision."""
    return state.console.transcripts.detail(cid).as_json()


@router.get("/queue")
def queue(
    state: StateDep,
    case_state: Annotated[
        Literal["open", "claimed", "resolved"] | None, Query(alias="state")
    ] = None,
    reason: Annotated[str | None, Query(max_length=32), UsableText] = None,
    agent: Annotated[str | None, Query(max_length=200), UsableText] = None,
) -> dict[str, Any]:
    """The handoff queue as the console shows it: filtered, with ages and counts by state."""
    return case_queue(
        state.cases.engine,
        state.console.redactor,
        state=case_state,
        reason=reason,
        agent=agent,
    ).as_json()


@router.get("/kb")
def knowledge_base(state: StateDep) -> dict[str, Any]:
    """Index versions with the re-index gate's recall, the live version's sources and their
    last sync, and the health report's summary."""
    return state.console.knowledge_base().as_json()
