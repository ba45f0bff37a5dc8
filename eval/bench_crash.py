"""Repeated kill -9 of a real server at random moments of its replies: nothing missed, nothing
lost.

A real `kb-assistant serve` (demo knowledge base, no LLM) answers a few customers at once —
money claims and ordinary questions, as JSON or streamed — and is killed with SIGKILL at a
random moment while it replies; then it is started again over the same data directory (its
start-up recovery runs while new customers already write), and killed again, `--kills` times.
A last server then recovers what is left. Checked against the store afterwards:

- every customer message the server received has one whole reply (none left undecided);
- every message the policy escalates (decided for each text by the same policy, in process)
  belongs to a conversation with a handoff case and an audited escalating decision;
- every part of a reply a customer saw is in the store (as a finished or interrupted reply).

Run: `python -m eval.bench_crash --kills 50` (or `python -m eval.bench --only crash`).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.answers_eval import percentile
from eval.crash_checks import check, escalating
from eval.datasets import PROJECT_ROOT
from eval.questions import load_answerable
from eval.server import ServerProcess

KILLS = 50
CUSTOMERS_PER_KILL = 3
KILL_WINDOW = 2.0  # the kill comes up to this many times the customers' serial reply time
UNLIMITED = "1000000/60"
SERVER_ENV = {"KB_RATE_LIMIT_CONVERSATION": UNLIMITED, "KB_RATE_LIMIT_CLIENT": UNLIMITED}
RECOVERY_TIMEOUT_S = 300
CLAIMS_FILE = PROJECT_ROOT / "eval" / "questions" / "multilingual_claims.jsonl"
# Money claims in the customers' own words, besides those of the claims file.
CLAIMS = (
    "I was charged twice for my order last week and I want my money back",
    "where is my refund?? returned the lamp 3 weeks ago",
    "You took £49.99 from my card but the order was cancelled",
    "I want a refund for the broken kettle",
    "please give me my m0ney b4ck, the sofa never arrived",
    "Quiero un reembolso, me cobraron dos veces.",
    "Ich möchte mein Geld zurück, die Bestellung kam nie an.",
    "there's a payment on my statement I don't recognise",
)


@dataclass
class Sent:
    """One customer message sent to a server that was then killed (or not)."""

    conversation_id: str
    token: str
    text: str
    streamed: bool
    seen: str = ""  # streamed text the customer saw
    finished: bool = False  # the whole reply arrived before the kill


@dataclass
class Run:
    kills: int = 0
    starts_s: list[float] = field(default_factory=list)
    kill_after_s: list[float] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    client_errors: int = 0


def message_pool() -> list[str]:
    """Money claims and ordinary customer questions, about half each."""
    claims = list(CLAIMS)
    if CLAIMS_FILE.exists():
        rows = [json.loads(line) for line in CLAIMS_FILE.read_text("utf-8").splitlines() if line]
        claims += [row["text"] for row in rows if row.get("escalate")]
    questions = [q.question for q in load_answerable() if q.channel == "customer"]
    return claims + questions[: len(claims)]


def converse(url: str, sent: Sent, run: Run) -> None:
    """Send one message and read the reply until it ends or the server dies."""
    headers = {"Authorization": f"Bearer {sent.token}"}
    if sent.streamed:
        headers["Accept"] = "text/event-stream"
    path = f"{url}/api/v1/conversations/{sent.conversation_id}/messages"
    received: list[bytes] = []
    status = 0
    try:
        with httpx.stream("POST", path, json={"text": sent.text}, headers=headers) as reply:
            status = reply.status_code
            for chunk in reply.iter_bytes():
                received.append(chunk)
    except httpx.HTTPError:
        pass  # the server died mid-reply
    except Exception:
        run.client_errors += 1
    body = b"".join(received).decode("utf-8", "replace")
    if sent.streamed:
        sent.seen = "".join(_tokens(body))
        sent.finished = status == 200 and "event: done" in body
    else:
        sent.finished = status == 200 and body.rstrip().endswith("}")


def _tokens(body: str) -> list[str]:
    """The texts of the complete `token` events of a (possibly cut) SSE body."""
    texts = []
    for block in body.split("\n\n")[:-1]:  # the last piece may be cut mid-event
        lines = block.split("\n")
        if "event: token" in lines:
            data = next((line[5:].strip() for line in lines if line.startswith("data:")), "")
            texts.append(json.loads(data)["text"])
    return texts


def start_conversation(url: str, text: str, streamed: bool, earlier: list[Sent]) -> Sent:
    """A new conversation, or (one time in three) a later message in an earlier one."""
    if earlier and random.random() < 1 / 3:
        old = random.choice(earlier)
        return Sent(old.conversation_id, old.token, text, streamed)
    created = httpx.post(f"{url}/api/v1/conversations", json={}, timeout=30)
    created.raise_for_status()
    body = created.json()
    return Sent(body["conversation_id"], body["token"], text, streamed)


def one_kill(data_dir: Path, pool: list[str], reply_s: float, run: Run) -> None:
    """Start a server, let a few customers write, and kill it at a random moment."""
    started = time.perf_counter()
    with ServerProcess(data_dir, SERVER_ENV) as server:
        run.starts_s.append(time.perf_counter() - started)
        batch = [
            start_conversation(server.url, random.choice(pool), random.random() < 0.5, run.sent)
            for _ in range(CUSTOMERS_PER_KILL)
        ]
        threads = [threading.Thread(target=converse, args=(server.url, s, run)) for s in batch]
        for thread in threads:
            thread.start()
            time.sleep(random.uniform(0, reply_s / 3))
        # Replies share two cores with each other and with the restart's recovery: the
        # window spans all of them, so kills fall before, during and after the replies.
        delay = random.uniform(0, KILL_WINDOW * reply_s * CUSTOMERS_PER_KILL)
        time.sleep(delay)
        server.kill()
        run.kills += 1
        run.kill_after_s.append(delay)
        for thread in threads:
            thread.join(timeout=60)
        run.sent.extend(batch)


def typical_reply_s(data_dir: Path, pool: list[str]) -> float:
    """The median time of a whole reply on this machine (JSON and streamed)."""
    timings = []
    with ServerProcess(data_dir, SERVER_ENV) as server:
        scratch = Run()
        for number, text in enumerate(pool[:: max(1, len(pool) // 8)][:8]):
            sent = start_conversation(server.url, text, number % 2 == 1, [])
            began = time.perf_counter()
            converse(server.url, sent, scratch)
            timings.append(time.perf_counter() - began)
    return percentile(timings, 50)


def recover_all(data_dir: Path) -> float:
    """Seconds a fresh server takes (from ready) to decide every message left undecided."""
    from kb_assistant.conversations import TurnLedger
    from kb_assistant.settings import Settings
    from kb_assistant.storage.databases import databases_for

    ledger = TurnLedger(databases_for(Settings(data_dir=data_dir)).main())
    with ServerProcess(data_dir, SERVER_ENV) as server:
        started = time.perf_counter()
        while ledger.count() and time.perf_counter() - started < RECOVERY_TIMEOUT_S:
            time.sleep(0.2)
        if ledger.count():
            print(server.log_tail(), flush=True)
        return time.perf_counter() - started


def run_kills(kills: int = KILLS, seed: int = 7) -> dict[str, Any]:
    """Index the demo knowledge base, then kill and restart its server `kills` times."""
    from eval.calibrate_gate import index_demo
    from kb_assistant.composition import build_embedder
    from kb_assistant.settings import Settings

    random.seed(seed)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        settings = Settings(data_dir=data_dir)
        index_demo(settings, build_embedder(settings))
        pool = message_pool()
        escalate = escalating(data_dir, pool)
        reply_s = typical_reply_s(data_dir, pool)
        record = Run()
        for number in range(kills):
            one_kill(data_dir, pool, reply_s, record)
            print(f"kill {number + 1}/{kills}: {len(record.sent)} messages sent", flush=True)
        recovery_s = recover_all(data_dir)
        counts = check(data_dir, record, escalate)
    return {
        "kills": record.kills,
        "customers_per_kill": CUSTOMERS_PER_KILL,
        "sent": len(record.sent),
        "streamed": sum(s.streamed for s in record.sent),
        "reply_p50_s": reply_s,
        "kill_after_max_s": max(record.kill_after_s, default=0.0),
        "start_p50_s": percentile(record.starts_s, 50),
        "final_recovery_s": recovery_s,
        "client_errors": record.client_errors,
        "minutes": (time.perf_counter() - began) / 60,
        **counts,
    }


def render(result: dict[str, Any], machine_line: str) -> str:
    """The report section for `docs/benchmarks.md`."""
    r = result
    lost = r["undecided"] + r["lost_escalations"] + r["pending"] + r["seen_not_stored"]
    return "\n".join(
        [
            "## Crashes: kill -9 at random moments of a reply",
            "",
            f"A real server (`kb-assistant serve`, demo knowledge base, no LLM) killed with "
            f"SIGKILL {r['kills']} times, each time {r['customers_per_kill']} customers writing "
            "at once (money claims in several languages and spellings, and ordinary questions; "
            "about half streamed; one message in three added to an earlier conversation) and "
            f"the kill at a random moment up to {r['kill_after_max_s']:.2f} s after they began "
            f"(a whole reply takes {r['reply_p50_s'] * 1000:.0f} ms, p50, one at a time). Each "
            "restart's recovery began while new customers wrote, and could be killed with "
            "them; a last server decided what was left in "
            f"{r['final_recovery_s']:.1f} s. Then the store was checked against what every "
            "customer sent and saw.",
            "",
            "| kills | messages sent | received by a server | whole reply before the kill "
            "| streamed reply cut mid-way | decided after a restart | money claims received "
            "| claims without a case | claims without an audited escalation | left undecided "
            "| seen but not stored |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['kills']} | {r['sent']} ({r['streamed']} streamed) | {r['received']} "
            f"| {r['finished_live']} | {r['cut_mid_stream']} "
            f"| {r['received'] - r['finished_live']} | {r['claims']} "
            f"| {r['lost_escalations']} | {r['unaudited_escalations']} "
            f"| {r['undecided'] + r['pending']} | {r['seen_not_stored']} |",
            "",
            f"Messages never received ({r['not_received']}) were sent after the kill or cut off "
            "before the server stored them: the customer's widget keeps them and fetches the "
            f"transcript to find out. Replies cut off mid-stream and kept marked interrupted: "
            f"{r['interrupted']}; replies still marked as being written: {r['in_progress']}; "
            f"messages with two whole replies: {r['duplicated']}. Target: nothing lost "
            f"({lost} here). Server start to ready: {r['start_p50_s']:.1f} s (p50). The whole "
            f"run took {r['minutes']:.0f} min. Machine: {machine_line}.",
            "",
            "Reproduce: `python -m eval.bench --only crash`, or "
            "`python -m eval.bench_crash --kills 50`.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the kills and refresh the `crash` section of the benchmark report."""
    from eval import bench
    from kb_assistant.composition import configure_process
    from kb_assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m eval.bench_crash", description=__doc__)
    parser.add_argument("--kills", type=int, default=KILLS, help="times the server is killed")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random moments")
    parser.add_argument("--out", type=Path, default=bench.REPORT, help="report file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    configure_process(Settings())
    result = run_kills(args.kills, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
    bench.write_section(args.out, "crash", render(result, bench.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
