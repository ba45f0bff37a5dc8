"""Prometheus metrics of one app, in its own registry (two apps in a process never mix).

Requests are labelled by their route template (`/api/v1/conversations/{cid}/messages`), not
the raw path, so ids cannot blow up the number of series.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb_assistant.core.replies import Answer

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ApiMetrics:
    """The chat's counters and request-time histogram."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "kb_requests",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "kb_request_seconds",
            "Seconds from a request's arrival to the end of its response (for event streams: "
            "how long the stream stayed open)",
            ["route"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.replies = Counter("kb_replies", "Replies to customers", ["action"], registry=registry)
        self.escalations = Counter(
            "kb_escalations",
            "Conversations handed to a person",
            ["policy_class"],
            registry=registry,
        )
        self.dont_know = Counter(
            "kb_dont_know", 'Honest "I don\'t know" replies', registry=registry
        )
        self.feedback = Counter("kb_feedback", "Customers' ratings", ["rating"], registry=registry)
        self.llm_tokens = Counter(
            "kb_llm_tokens", "LLM tokens used by replies", ["direction"], registry=registry
        )
        self.rate_limited = Counter(
            "kb_rate_limited", "Requests refused by a rate limit", ["scope"], registry=registry
        )
        self.recovered_turns = Counter(
            "kb_recovered_turns",
            "Customer messages left undecided (a server stopped, a reply failed) and decided "
            "later: answered, or handed to a person with an apology",
            ["outcome"],
            registry=registry,
        )

    def record_answer(self, answer: Answer) -> None:
        """Count a reply by its action, an escalation by its class, and the LLM's tokens."""
        self.replies.labels(answer.action).inc()
        if answer.action == "escalate":
            label = answer.policy.label if answer.policy is not None else answer.reason
            self.escalations.labels(label).inc()
        elif answer.action == "dont_know":
            self.dont_know.inc()
        if answer.tokens_in:
            self.llm_tokens.labels("in").inc(answer.tokens_in)
        if answer.tokens_out:
            self.llm_tokens.labels("out").inc(answer.tokens_out)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: streaming responses pass untouched)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
