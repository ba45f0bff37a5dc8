"""Content gaps: the questions the knowledge base failed on, grouped by meaning.

A question is a gap when the assistant answered it "I don't know" or the customer rated the
answer down. The newest of them in the period are embedded (the assistant's own model) and
grouped by average-linkage clustering on cosine distance, so "can I pay with PayPal?" and
"do you take paypal" land together however they are worded. Groups are ranked by how many
customers asked, and each carries example questions, the passages retrieved for them (what
the knowledge base offered instead) and the FAQ draft an operator started from it, if any.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from kb_assistant.conversations.tables import ConversationMessageRow, FeedbackRow
from kb_assistant.conversations.traces import traces_of
from kb_assistant.core.redaction import Redactor
from kb_assistant.handoff.types import as_utc
from kb_assistant.insights.overview import bounds
from kb_assistant.insights.transcripts import trace_passages
from kb_assistant.insights.types import ContentGap, GapExample, GapReport, Period, TracePassage
from kb_assistant.ports import Embedder

MOST_QUESTIONS = 2000  # the newest gap questions of a period that are grouped
EXAMPLES = 5
PASSAGES = 3
QUESTION_CHARS = 300
DEFAULT_SIMILARITY = 0.6  # average cosine similarity within a group, at least


@dataclass(frozen=True)
class _Asked:
    question: str
    conversation_id: str
    asked_at: datetime
    kind: str  # "unanswered" or "rated_down"
    reply_id: str
    reply: str | None = None


def gap_key(label: str) -> str:
    """A group's stable name: a hash of its central question, normalised."""
    normal = " ".join(label.lower().split())
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class GapFinder:
    """Groups the period's failed questions; `embedder` is the assistant's model."""

    def __init__(
        self,
        engine: Engine,
        embedder: Embedder,
        redactor: Redactor,
        *,
        similarity: float = DEFAULT_SIMILARITY,
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self._redactor = redactor
        self.similarity = similarity

    def report(self, period: Period, drafts: dict[str, int] | None = None) -> GapReport:
        """The period's gaps, largest first; `drafts` maps gap keys to FAQ draft ids."""
        start, end = bounds(period)
        with Session(self._engine) as session:
            asked = _failed_questions(session, start, end)
            traces = traces_of(session, [a.reply_id for a in asked])
        asked = [
            _Asked(
                self._redactor.redact(" ".join(a.question.split())).text[:QUESTION_CHARS],
                a.conversation_id,
                a.asked_at,
                a.kind,
                a.reply_id,
                None if a.reply is None else self._redactor.redact(a.reply).text[:QUESTION_CHARS],
            )
            for a in asked
            if a.question.strip()
        ]
        gaps = []
        for members, label in self._groups(asked):
            passages = _passages(
                [traces[m.reply_id].passages for m in members if m.reply_id in traces]
            )
            kinds = Counter(m.kind for m in members)
            newest = sorted(members, key=lambda m: m.asked_at, reverse=True)
            key = gap_key(label)
            gaps.append(
                ContentGap(
                    key=key,
                    label=label,
                    count=len(members),
                    unanswered=kinds["unanswered"],
                    rated_down=kinds["rated_down"],
                    last_asked=newest[0].asked_at,
                    examples=[
                        GapExample(m.question, m.conversation_id, m.asked_at, m.kind, m.reply)
                        for m in _distinct(newest)[:EXAMPLES]
                    ],
                    passages=passages,
                    draft_id=(drafts or {}).get(key),
                )
            )
        gaps.sort(key=lambda g: (-g.count, -g.last_asked.timestamp(), g.label))
        return GapReport(period.start, period.end, len(asked), gaps)

    def _groups(self, asked: list[_Asked]) -> list[tuple[list[_Asked], str]]:
        """Groups of questions meaning the same thing, each with its central question."""
        if not asked:
            return []
        texts = [a.question for a in asked]
        vectors = np.asarray(self._embedder.embed_documents(texts), dtype=np.float32)
        labels = _cluster(vectors, 1.0 - self.similarity)
        groups = []
        for label in sorted(set(labels.tolist())):
            index = np.flatnonzero(labels == label)
            centre = vectors[index].mean(axis=0)
            central = int(index[int(np.argmax(vectors[index] @ centre))])
            groups.append(([asked[i] for i in index], texts[central]))
        return groups


def _cluster(vectors: np.ndarray, distance: float) -> np.ndarray:
    """Average-linkage groups of unit vectors no further apart than `distance` (cosine)."""
    if len(vectors) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
    )
    return np.asarray(model.fit_predict(vectors))


def _failed_questions(session: Session, start: datetime, end: datetime) -> list[_Asked]:
    reply = ConversationMessageRow
    question = aliased(ConversationMessageRow)
    unanswered = (
        select(question.text, reply.conversation_id, reply.created_at, reply.id)
        .join(question, question.id == reply.reply_to)
        .where(reply.action == "dont_know", reply.created_at >= start, reply.created_at < end)
        .order_by(reply.created_at.desc())
        .limit(MOST_QUESTIONS)
    )
    rated = (
        select(question.text, reply.conversation_id, FeedbackRow.updated_at, reply.id, reply.text)
        .join(reply, reply.id == FeedbackRow.message_id)
        .join(question, question.id == reply.reply_to)
        .where(
            FeedbackRow.rating == "down",
            FeedbackRow.updated_at >= start,
            FeedbackRow.updated_at < end,
        )
        .order_by(FeedbackRow.updated_at.desc())
        .limit(MOST_QUESTIONS)
    )
    found = [
        _Asked(text, cid, as_utc(when), "unanswered", rid)
        for text, cid, when, rid in session.execute(unanswered)
    ]
    found += [
        _Asked(text, cid, as_utc(when), "rated_down", rid, answer)
        for text, cid, when, rid, answer in session.execute(rated)
    ]
    found.sort(key=lambda a: a.asked_at, reverse=True)
    return found[:MOST_QUESTIONS]


def _passages(stored: Sequence[Sequence[dict[str, Any]]]) -> list[TracePassage]:
    """The passages retrieved most often for a group's questions (first ranks first)."""
    seen: dict[tuple[str, str], TracePassage] = {}
    times: Counter[tuple[str, str]] = Counter()
    for passages in stored:
        for passage in trace_passages(list(passages))[:PASSAGES]:
            key = (passage.title, passage.location)
            times[key] += 1
            if key not in seen or passage.score > seen[key].score:
                seen[key] = passage
    ranked = sorted(times, key=lambda k: (-times[k], -seen[k].score))
    return [seen[k] for k in ranked[:PASSAGES]]


def _distinct(asked: list[_Asked]) -> list[_Asked]:
    """Questions with the same wording shown once."""
    seen: set[str] = set()
    kept = []
    for a in asked:
        normal = " ".join(a.question.lower().split())
        if normal not in seen:
            seen.add(normal)
            kept.append(a)
    return kept
