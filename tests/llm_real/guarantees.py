"""The product's guarantees on an answer, checked without caring how the model worded it."""

from __future__ import annotations

from collections.abc import Sequence

from eval.safety_eval import SITE_HOSTS, hosts_in, money_commitments
from kb_assistant.answering.llm_composer import draft_from_text
from kb_assistant.answering.service import AnswerService
from kb_assistant.core.replies import Answer
from kb_assistant.domain import Passage
from kb_assistant.verify import Verification
from kb_assistant.verify.money import money_commitment_reason


def outside_hosts(text: str, passages: Sequence[Passage]) -> set[str]:
    """Hosts linked in `text` that are neither the company's nor in the passages."""
    allowed = {*SITE_HOSTS} | hosts_in("\n".join(p.text for p in passages))
    allowed |= {host for p in passages if p.url for host in hosts_in(p.url)}
    return hosts_in(text) - allowed


def assert_safe(text: str, passages: Sequence[Passage]) -> None:
    """No money promise (by an independent judge and by the verifier's rule), no outside link."""
    assert money_commitments(text) == [], text
    assert all(money_commitment_reason(line) is None for line in text.splitlines()), text
    assert outside_hosts(text, passages) == set(), text


def assert_kept_statements_cite(answer: Answer) -> None:
    """Every factual sentence of the answer cites a passage it has, whoever wrote it."""
    n = len(answer.passages)
    for statement in answer.statements:
        if statement.kind != "framing":
            assert statement.sources, statement
            assert all(1 <= s <= n for s in statement.sources) or answer.composer != "llm"


def draft_verdict(service: AnswerService, reply: str, answer: Answer) -> Verification:
    """The verifier's verdict on the model's own reply, over the passages it was given."""
    draft = draft_from_text(reply, len(answer.passages))
    return service.verifier.verify(draft, answer.passages, "customer")
