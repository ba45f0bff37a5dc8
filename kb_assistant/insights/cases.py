"""The handoff queue as a support lead filters it: by state, reason and agent, with each
case's age and the customer's question (redacted)."""

from __future__ import annotations

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from kb_assistant.core.redaction import Redactor
from kb_assistant.handoff.tables import HandoffCaseRow, HandoffTurnRow
from kb_assistant.handoff.types import CASE_STATES, as_utc, utcnow
from kb_assistant.insights.types import CaseQueue, CaseRow

MAX_CASES = 500
QUESTION_CHARS = 200


def case_queue(
    engine: Engine,
    redactor: Redactor,
    *,
    state: str | None = None,
    reason: str | None = None,
    agent: str | None = None,
    limit: int = 200,
) -> CaseQueue:
    """Cases matching every filter given, newest first (at most `limit`)."""
    state = state if state in CASE_STATES else None
    limit = max(1, min(limit, MAX_CASES))
    case = HandoffCaseRow
    query = select(case).order_by(case.id.desc()).limit(limit)
    if state:
        query = query.where(case.state == state)
    if reason:
        query = query.where(case.label == reason)
    if agent:
        query = query.where(or_(case.claimed_by == agent, case.resolved_by == agent))
    now = utcnow()
    with Session(engine) as session:
        rows = list(session.scalars(query))
        questions = _questions(session, [row.id for row in rows])
        by_state = {
            str(s): int(n)
            for s, n in session.execute(select(case.state, func.count()).group_by(case.state))
        }
        reasons = sorted(str(r) for r in session.scalars(select(case.label).distinct()))
        agents = sorted(
            str(a)
            for a in session.scalars(
                select(case.claimed_by).where(case.claimed_by.is_not(None)).distinct()
            )
        )
    cases = []
    for row in rows:
        names = _names(row.packet)
        created = as_utc(row.created_at)
        cases.append(
            CaseRow(
                id=row.id,
                conversation_id=row.conversation_id,
                state=row.state,
                reason=row.label,
                urgent=bool(row.urgent),
                agent=row.resolved_by or row.claimed_by,
                created_at=created,
                age_s=max(0.0, (now - created).total_seconds()),
                question=redactor.redact(questions.get(row.id, ""), names).text[:QUESTION_CHARS],
            )
        )
    return CaseQueue(
        state=state,
        reason=reason or None,
        agent=agent or None,
        cases=cases,
        by_state={s: by_state.get(s, 0) for s in CASE_STATES},
        reasons=reasons,
        agents=agents,
    )


def _questions(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Each case's last customer turn before the handoff."""
    if not case_ids:
        return {}
    turn = HandoffTurnRow
    last = (
        select(turn.case_id, func.max(turn.position).label("position"))
        .where(turn.case_id.in_(case_ids), turn.role == "customer")
        .group_by(turn.case_id)
        .subquery()
    )
    query = select(turn.case_id, turn.text).join(
        last, (turn.case_id == last.c.case_id) & (turn.position == last.c.position)
    )
    return {cid: " ".join(text.split()) for cid, text in session.execute(query)}


def _names(packet: object) -> list[str]:
    contact = packet.get("contact") if isinstance(packet, dict) else None
    name = contact.get("name") if isinstance(contact, dict) else None
    return [name] if isinstance(name, str) and name else []
