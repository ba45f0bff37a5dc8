"""Checks of the kill benchmark (`eval.bench_crash`): what the customers sent and saw,
against what the store holds once every server is gone and a last one recovered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from eval.bench_crash import Run, Sent


def escalating(data_dir: Path, texts: list[str]) -> set[str]:
    """The texts the policy escalates (the same policy and model as the server's)."""
    from kb_assistant.composition import build_embedder, build_policy_engine
    from kb_assistant.settings import Settings

    settings = Settings(data_dir=data_dir)
    engine = build_policy_engine(settings, build_embedder(settings), audit=False)
    return {text for text, d in zip(texts, engine.classify_many(texts), strict=True) if d.escalate}


COUNTS = (
    "received",
    "not_received",
    "finished_live",
    "cut_mid_stream",
    "undecided",
    "duplicated",
    "claims",
    "lost_escalations",
    "unaudited_escalations",
    "seen_not_stored",
    "interrupted",
)


def check(data_dir: Path, run: Run, escalate: set[str]) -> dict[str, int]:
    """Compare what the customers sent and saw with what the store holds."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kb_assistant.conversations import TurnLedger
    from kb_assistant.conversations.tables import ConversationMessageRow as Row
    from kb_assistant.settings import Settings
    from kb_assistant.storage.databases import databases_for

    engine = databases_for(Settings(data_dir=data_dir)).main()
    counts = dict.fromkeys(COUNTS, 0)
    counts["pending"] = TurnLedger(engine).count()
    in_progress = select(Row.id).where(Row.role == "assistant", Row.action.is_(None))
    with Session(engine) as session:
        counts["in_progress"] = len(session.scalars(in_progress).all())
        for sent in run.sent:
            asked = session.scalars(
                select(Row).where(
                    Row.conversation_id == sent.conversation_id,
                    Row.role == "customer",
                    Row.text == sent.text,
                )
            ).all()
            if not asked:
                counts["not_received"] += 1  # killed before the server stored it
                continue
            replies = session.scalars(select(Row).where(Row.reply_to.in_([m.id for m in asked])))
            _tally_replies(counts, sent, len(asked), list(replies))
    _tally_claims(counts, engine, run, escalate)
    return counts


def _tally_replies(counts: dict[str, int], sent: Sent, asked: int, replies: list[Any]) -> None:
    """One received message: decided once, and what its customer saw is stored."""
    from kb_assistant.conversations import INTERRUPTED

    whole = [r for r in replies if r.action not in (None, INTERRUPTED)]
    counts["received"] += 1
    counts["finished_live"] += sent.finished
    counts["cut_mid_stream"] += bool(sent.seen) and not sent.finished
    counts["undecided"] += len(whole) < asked
    counts["duplicated"] += len(whole) > asked
    counts["interrupted"] += sum(r.action == INTERRUPTED for r in replies)
    if sent.seen and not any(r.text.startswith(sent.seen) for r in replies):
        counts["seen_not_stored"] += 1


def _tally_claims(counts: dict[str, int], engine: Engine, run: Run, escalate: set[str]) -> None:
    """Every received message the policy escalates: a case and an audited escalation."""
    from kb_assistant.handoff import HandoffStore
    from kb_assistant.policy import PolicyAudit

    cases, audit = HandoffStore(engine), PolicyAudit(engine)
    for sent in run.sent:
        if sent.text not in escalate or not _stored(engine, sent):
            continue
        counts["claims"] += 1
        counts["lost_escalations"] += cases.active_case(sent.conversation_id) is None
        decided = audit.recent(200, conversation_id=sent.conversation_id)
        counts["unaudited_escalations"] += not any(e.action == "escalate" for e in decided)


def _stored(engine: Engine, sent: Sent) -> bool:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kb_assistant.conversations.tables import ConversationMessageRow as Row

    query = select(Row.id).where(
        Row.conversation_id == sent.conversation_id, Row.role == "customer", Row.text == sent.text
    )
    with Session(engine) as session:
        return session.scalars(query).first() is not None
