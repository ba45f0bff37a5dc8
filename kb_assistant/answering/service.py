"""Answering a question: retrieve, gate, compose, verify, render.

The same flow serves every channel. The verifier runs on every draft, whoever wrote it; an
LLM draft that fails verification falls back to the extractive composer, and a reply with
too little verified content becomes the honest "I don't know" with the offer of a person.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from kb_assistant.answering.evidence import Evidence, gather
from kb_assistant.answering.extractive import ExtractiveComposer
from kb_assistant.answering.followup import contextualize
from kb_assistant.answering.gate import ConfidenceGate, GateDecision
from kb_assistant.answering.llm_composer import LlmComposer
from kb_assistant.answering.render import render
from kb_assistant.answering.streaming import SentenceBuffer
from kb_assistant.answering.wording import OFFER_HUMAN, dont_know
from kb_assistant.core.replies import Answer, AnswerRequest, Draft, Removal, Statement
from kb_assistant.domain import Passage
from kb_assistant.ports import Embedder
from kb_assistant.retrieval import HybridRetriever, RetrievalResult
from kb_assistant.verify import Verifier, strip_instructions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEvent:
    """A verified piece of the reply (`delta`), then the whole reply (`final`)."""

    kind: Literal["delta", "final"]
    text: str = ""
    answer: Answer | None = None


@dataclass
class _Prepared:
    request: AnswerRequest
    question: str
    retrieval: RetrievalResult
    evidence: Evidence
    decision: GateDecision
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passages(self) -> list[Passage]:
        return self.retrieval.passages


class AnswerService:
    """Answers questions from the knowledge base for one channel at a time."""

    def __init__(
        self,
        retriever: HybridRetriever,
        embedder: Embedder,
        gate: ConfidenceGate,
        verifier: Verifier,
        extractive: ExtractiveComposer,
        llm: LlmComposer | None = None,
        *,
        passages: int = 5,
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.gate = gate
        self.verifier = verifier
        self.extractive = extractive
        self.llm = llm
        self.passages = passages

    def answer(self, request: AnswerRequest) -> Answer:
        """The verified reply to one question."""
        prepared = self.prepare(request)
        if not prepared.decision.answer:
            return self._dont_know(prepared, prepared.decision.reason)
        draft = self._llm_draft(prepared) if self.llm else None
        return self._finish(prepared, draft)

    def stream(self, request: AnswerRequest) -> Iterator[StreamEvent]:
        """Verified sentences as the LLM writes them, then the final answer.

        Without an LLM (or when the gate refuses) the whole reply comes as one delta. The
        final answer is authoritative: a client shows it in place of the deltas.
        """
        prepared = self.prepare(request)
        if self.llm is None or not prepared.decision.answer:
            answer = (
                self._finish(prepared, None)
                if prepared.decision.answer
                else self._dont_know(prepared, prepared.decision.reason)
            )
            yield StreamEvent("delta", answer.text)
            yield StreamEvent("final", answer=answer)
            return
        started = time.perf_counter()
        buffer = SentenceBuffer(len(prepared.passages))
        try:
            reply = self.llm.stream(request, prepared.passages)
            for token in reply:
                yield from self._verified_deltas(buffer.feed(token), prepared)
            yield from self._verified_deltas(buffer.close(), prepared)
            draft: Draft | None = Draft(
                tuple(buffer.emitted), "llm", tokens_in=reply.tokens_in, tokens_out=reply.tokens_out
            )
        except Exception as exc:  # an unreachable or failing LLM must not lose the answer
            log.warning("LLM failed while streaming, answering extractively: %s", exc)
            draft = None
        prepared.timings["compose"] = time.perf_counter() - started
        yield StreamEvent("final", answer=self._finish(prepared, draft))

    def _verified_deltas(
        self, statements: list[Statement], prepared: _Prepared
    ) -> Iterator[StreamEvent]:
        for statement in statements:
            problem = self.verifier.check(statement, prepared.passages, prepared.request.channel)
            if problem is None:
                yield StreamEvent("delta", statement.text + " ")

    def prepare(self, request: AnswerRequest) -> _Prepared:
        """Retrieval, evidence and the confidence gate's decision for a request."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        question = contextualize(request.question, request.history)
        retrieval = self.retriever.search(question, request.channel, self.passages)
        retrieval.passages = [sanitize_passage(p) for p in retrieval.passages]
        timings["retrieve"] = time.perf_counter() - started
        started = time.perf_counter()
        evidence = gather(question, retrieval, self.embedder)
        decision = self.gate.decide(evidence.features)
        timings["gate"] = time.perf_counter() - started
        return _Prepared(request, question, retrieval, evidence, decision, timings)

    def _llm_draft(self, prepared: _Prepared) -> Draft | None:
        assert self.llm is not None
        started = time.perf_counter()
        try:
            return self.llm.compose(prepared.request, prepared.passages)
        except Exception as exc:  # an unreachable or failing LLM must not lose the answer
            log.warning("LLM failed, answering extractively: %s", exc)
            return None
        finally:
            prepared.timings["compose"] = time.perf_counter() - started

    def _finish(self, prepared: _Prepared, draft: Draft | None) -> Answer:
        request = prepared.request
        removed: list[Removal] = []
        tokens = (draft.tokens_in, draft.tokens_out) if draft else (0, 0)
        for attempt in (draft, None):
            if attempt is None:
                started = time.perf_counter()
                attempt = self.extractive.compose(request, prepared.passages, prepared.evidence)
                prepared.timings["compose"] = time.perf_counter() - started
            passages = [*prepared.passages, *attempt.extra_passages]
            started = time.perf_counter()
            verification = self.verifier.verify(attempt, passages, request.channel)
            prepared.timings["verify"] = time.perf_counter() - started
            removed.extend(verification.removed)
            if verification.enough:
                return self._reply(prepared, attempt, verification.kept, passages, removed, tokens)
            if attempt.composer == "extractive":
                break
        reason = "too little of the drafted answer could be checked against the sources"
        answer = self._dont_know(prepared, reason)
        answer.removed = removed
        return answer

    def _reply(
        self,
        prepared: _Prepared,
        draft: Draft,
        statements: list[Statement],
        passages: list[Passage],
        removed: list[Removal],
        tokens: tuple[int, int],
    ) -> Answer:
        request = prepared.request
        offer = request.upset or request.offer_human or prepared.decision.confidence < 0.7
        if request.channel == "customer" and offer:
            statements = [*statements, Statement(OFFER_HUMAN[request.tone], kind="framing")]
        text, citations = render(statements, passages, request.channel)
        return Answer(
            text=text,
            action="answer",
            confidence=prepared.decision.confidence,
            reason=prepared.decision.reason,
            citations=citations,
            statements=statements,
            removed=removed,
            passages=prepared.passages,
            question_used=prepared.question,
            composer=draft.composer,
            tokens_in=tokens[0],
            tokens_out=tokens[1],
            timings=prepared.timings,
        )

    def _dont_know(self, prepared: _Prepared, reason: str) -> Answer:
        return Answer(
            text=dont_know(prepared.request),
            action="dont_know",
            confidence=prepared.decision.confidence,
            reason=reason,
            passages=prepared.passages,
            question_used=prepared.question,
            timings=prepared.timings,
        )


def sanitize_passage(passage: Passage) -> Passage:
    """The passage without sentences that are instructions planted for the assistant."""
    cleaned = strip_instructions(passage.text)
    return passage if cleaned == passage.text else dataclasses.replace(passage, text=cleaned)
