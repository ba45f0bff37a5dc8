"""General money questions through the whole reply flow: answered, committing to nothing.

Every Bitext message labelled as a general money question (refund policy, invoices, payment
methods) is sent through `Assistant.reply` over the demo knowledge base, exactly as
`kb-assistant ask` runs it: the policy first, then the answer. Measured: how many were
answered, refused ("I don't know") or escalated; how many final replies contain a money
commitment by the verifier's own check (must be 0); how many answers offer a person.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from eval.answers_eval import percentile
from eval.calibrate_gate import index_demo
from eval.escalation_datasets import load_bitext
from kb_assistant.answering.wording import OFFER_HUMAN
from kb_assistant.core.replies import AnswerRequest
from kb_assistant.settings import Settings
from kb_assistant.verify.money import money_commitment


def run(root: Path, settings: Settings, limit: int | None = None) -> dict[str, Any]:
    """Reply to every money_info message of Bitext (or the first `limit`)."""
    from kb_assistant.composition import build_assistant, build_embedder

    messages = [m for m in load_bitext(root).messages if m.gold == "money_info"][:limit]
    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""})
        index_demo(local, embedder)
        assistant = build_assistant(local, embedder=embedder, store_cases=False)
        actions: Counter[str] = Counter()
        commitments: list[dict[str, str]] = []
        offers = 0
        latencies: list[float] = []
        for message in messages:
            started = time.perf_counter()
            reply = assistant.reply(AnswerRequest(message.text))
            latencies.append(time.perf_counter() - started)
            actions[reply.action] += 1
            found = money_commitment(reply.text)
            if found is not None:
                commitments.append({"message": message.text, "reply": reply.text})
            offers += reply.action == "answer" and any(
                o in reply.text for o in OFFER_HUMAN.values()
            )
    return {
        "messages": len(messages),
        "actions": dict(actions),
        "commitments": commitments,
        "answers_offering_a_person": offers,
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else 0.0,
        "p95_ms": percentile(latencies, 95) * 1000 if latencies else 0.0,
    }


def render(result: dict[str, Any], machine_line: str) -> str:
    actions = result["actions"]
    answered = actions.get("answer", 0)
    return "\n".join(
        [
            "## General money questions: answered, committing to nothing",
            "",
            f"Every Bitext message labelled as a general money question ({result['messages']}: "
            "refund policy, invoices, payment methods) through the whole reply flow "
            "(`Assistant.reply`: the policy, then the answer) over the demo knowledge base, "
            "no LLM.",
            "",
            '| answered | "I don\'t know" | escalated | replies with a money commitment '
            "| answers offering a person | p50 | p95 |",
            "|---|---|---|---|---|---|---|",
            f"| {answered} | {actions.get('dont_know', 0)} | {actions.get('escalate', 0)} "
            f"| **{len(result['commitments'])}** | {result['answers_offering_a_person']} of "
            f"{answered} | {result['p50_ms']:.0f} ms | {result['p95_ms']:.0f} ms |",
            "",
            "A money commitment is what the verifier's money check recognises (refund, credit, "
            "compensation or waiver promises in any wording it knows); the verifier removes "
            "such sentences from every answer, and this run checks the final replies again. "
            f"Machine: {machine_line}.",
            "",
            "Reproduce: `python -m eval.bench --only money_info`.",
        ]
    )
