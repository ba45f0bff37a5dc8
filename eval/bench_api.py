"""The web chat API under load: many customers chatting at once with a real server.

A real `kb-assistant serve` (uvicorn, demo knowledge base, no LLM) runs on loopback in a
child process. Simulated customers (asyncio + httpx) each open a conversation and send the
customer questions of `eval/questions/demo_answerable.jsonl` with short think times, every
other message as a Server-Sent Events stream. Reported: replies per second, reply latency,
time to the first streamed token, errors by status and the server's peak memory (VmHWM).

All customers come from one address, so the per-client and per-conversation rate limits are
raised for the run through the environment: the benchmark measures serving, not limiting.

Run: `python -m eval.bench_api --seconds 60` (or `python -m eval.bench --only api`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.answers_eval import percentile
from eval.questions import load_answerable
from eval.server import ServerProcess

CUSTOMERS = 20
SECONDS = 60.0
THINK_S = (0.2, 1.0)
QUESTIONS_PER_CONVERSATION = 5
UNLIMITED = "1000000/60"
RATE_LIMIT_ENV = {"KB_RATE_LIMIT_CONVERSATION": UNLIMITED, "KB_RATE_LIMIT_CLIENT": UNLIMITED}


@dataclass
class LoadStats:
    """What the simulated customers saw."""

    latencies: list[float] = field(default_factory=list)
    first_tokens: list[float] = field(default_factory=list)
    streamed: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def error(self, kind: str) -> None:
        self.errors[kind] += 1


async def _open_conversation(client: httpx.AsyncClient, stats: LoadStats) -> dict[str, str] | None:
    response = await client.post("/api/v1/conversations", json={})
    if response.status_code != 201:
        stats.error(f"{response.status_code} (create conversation)")
        return None
    body = response.json()
    return {"cid": body["conversation_id"], "token": body["token"]}


async def _ask(
    client: httpx.AsyncClient, conv: dict[str, str], text: str, stats: LoadStats, stream: bool
) -> None:
    """One message and its whole reply, plain JSON or streamed (SSE)."""
    started, first = time.perf_counter(), None
    events: list[str] = []
    headers = {"Authorization": f"Bearer {conv['token']}"}
    headers.update({"Accept": "text/event-stream"} if stream else {})
    url = f"/api/v1/conversations/{conv['cid']}/messages"
    async with client.stream("POST", url, json={"text": text}, headers=headers) as response:
        if response.status_code != 200:
            stats.error(f"{response.status_code}{' (stream)' if stream else ''}")
            return
        async for line in response.aiter_lines():
            if stream and line.startswith("event:"):
                events.append(line.removeprefix("event:").strip())
                if events[-1] == "token" and first is None:
                    first = time.perf_counter() - started
    if stream and "done" not in events:
        stats.error("stream error" if "error" in events else "stream ended without done")
        return
    stats.latencies.append(time.perf_counter() - started)
    if stream:
        stats.streamed.append(stats.latencies[-1])
        stats.first_tokens.extend([first] if first is not None else [])


async def _customer(
    client: httpx.AsyncClient, number: int, questions: list[str], deadline: float, stats: LoadStats
) -> None:
    """One customer: conversations of a few questions each, until the deadline."""
    rng = random.Random(number)
    sent = 0
    conv: dict[str, str] | None = None
    while time.perf_counter() < deadline:
        if conv is None or sent % QUESTIONS_PER_CONVERSATION == 0:
            conv = await _open_conversation(client, stats)
            if conv is None:
                await asyncio.sleep(1.0)
                continue
        try:
            await _ask(client, conv, rng.choice(questions), stats, (number + sent) % 2 == 1)
        except httpx.HTTPError as exc:
            stats.error(type(exc).__name__)
        sent += 1
        await asyncio.sleep(rng.uniform(*THINK_S))


async def drive(base_url: str, customers: int, seconds: float) -> tuple[LoadStats, float]:
    """Run `customers` simulated customers against `base_url` for `seconds`; returns the
    stats and the wall time the last reply finished at."""
    questions = [q.question for q in load_answerable() if q.channel == "customer"]
    stats = LoadStats()
    limits = httpx.Limits(max_connections=customers * 2, max_keepalive_connections=customers)
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        warm_up = LoadStats()
        conv = await _open_conversation(client, warm_up)
        if conv is None:
            raise RuntimeError(f"the server at {base_url} refused a conversation: {warm_up}")
        await _ask(client, conv, questions[0], warm_up, stream=False)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(_customer(client, n, questions, deadline, stats) for n in range(customers))
        )
    return stats, time.perf_counter() - started


def run(seconds: float = SECONDS, customers: int = CUSTOMERS) -> dict[str, Any]:
    """Index the demo knowledge base, serve it and put it under load; returns the figures."""
    from eval.calibrate_gate import index_demo
    from kb_assistant.composition import build_embedder
    from kb_assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        index_demo(settings, build_embedder(settings))
        with ServerProcess(settings.data_dir, RATE_LIMIT_ENV) as server:
            stats, wall = asyncio.run(drive(server.url, customers, seconds))
            peak_rss = server.peak_rss_bytes()
    replies = len(stats.latencies)
    return {
        "customers": customers,
        "seconds": seconds,
        "wall_s": wall,
        "replies": replies,
        "streamed": len(stats.streamed),
        "stream_p50_ms": percentile(stats.streamed, 50) * 1000,
        "throughput": replies / wall if wall else 0.0,
        "p50_ms": percentile(stats.latencies, 50) * 1000,
        "p95_ms": percentile(stats.latencies, 95) * 1000,
        "ttft_p50_ms": percentile(stats.first_tokens, 50) * 1000,
        "ttft_p95_ms": percentile(stats.first_tokens, 95) * 1000,
        "errors": dict(stats.errors),
        "peak_rss_mib": peak_rss / 2**20,
    }


def render(result: dict[str, Any], machine_line: str) -> str:
    """The report section for `docs/benchmarks.md`."""
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(result["errors"].items())) or "none"
    return "\n".join(
        [
            "## Web chat API under load (no LLM)",
            "",
            f"A real server (`kb-assistant serve`, one process, demo knowledge base) on loopback; "
            f"{result['customers']} simulated customers at once for {result['seconds']:.0f} s, "
            "each opening a conversation every "
            f"{QUESTIONS_PER_CONVERSATION} questions and sending the demo customer questions "
            f"with {THINK_S[0]:g}–{THINK_S[1]:g} s think times; every other message streamed "
            "(Server-Sent Events). Rate limits raised for the run "
            f"(`KB_RATE_LIMIT_CONVERSATION` and `KB_RATE_LIMIT_CLIENT` = `{UNLIMITED}`): every "
            "customer comes from the same address. The load generator shares the machine.",
            "",
            "| replies | replies/s | reply p50 | reply p95 | first token p50 | first token p95 "
            "| errors | server peak RSS |",
            "|---|---|---|---|---|---|---|---|",
            f"| {result['replies']} ({result['streamed']} streamed) "
            f"| {result['throughput']:.1f} | {result['p50_ms']:.0f} ms "
            f"| {result['p95_ms']:.0f} ms | {result['ttft_p50_ms']:.0f} ms "
            f"| {result['ttft_p95_ms']:.0f} ms | {errors} | {result['peak_rss_mib']:.0f} MiB |",
            "",
            "Latency is from sending the message to the whole reply (the `done` event when "
            "streamed); first token is the first `token` event, at "
            f"{result['ttft_p50_ms']:.0f} ms of a {result['stream_p50_ms']:.0f} ms streamed reply "
            "(p50). Target: no errors. "
            f"Machine: {machine_line}.",
            "",
            "Reproduce: `python -m eval.bench --only api`, or "
            "`python -m eval.bench_api --seconds 60 --customers 20`.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the load and refresh the `api` section of the benchmark report."""
    from eval import bench
    from kb_assistant.composition import configure_process
    from kb_assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m eval.bench_api", description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length of the load")
    parser.add_argument("--customers", type=int, default=CUSTOMERS, help="concurrent customers")
    parser.add_argument("--out", type=Path, default=bench.REPORT, help="report file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    configure_process(Settings())
    result = run(args.seconds, args.customers)
    if args.json:
        print(json.dumps(result, indent=2))
    bench.write_section(args.out, "api", render(result, bench.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
