"""Size limits benchmark: a giant FAQ entry and a large document through the real command line.

In a temporary folder: the demo knowledge base is indexed, then, on a copy of that index,
`kb-assistant ingest` runs in a fresh process on
- a 50 MB Markdown file holding one FAQ entry (refused: over `KB_MAX_DOCUMENT_CHARS`), and
- a Markdown file with one ~1.9 million-character FAQ entry, just under the limit (split).
Each run's wall time, peak memory (of that process alone, model included), exit code, errors
and chunks are recorded, with the largest stored chunk in model tokens and the index size.
`kb-assistant ask` latency over demo questions (and one matching each generated entry) is
measured on the demo index and on the index after both runs, alternately, one process per run
(the model loaded once; the first question, a warm-up, is not counted).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.datasets import PROJECT_ROOT, read_jsonl
from ingest.limits import DEFAULT_MAX_DOCUMENT_CHARS, MIB

DEMO_KB = PROJECT_ROOT / "demo" / "kb"
GIANT_BYTES = 50 * MIB
LARGE_CHARS = 1_900_000
GIANT_QUESTION = "How do I clean the espresso machine?"
LARGE_QUESTION = "What does the extended warranty cover?"
MATCHING = (GIANT_QUESTION, LARGE_QUESTION)
ROUNDS = 2  # `ask` runs on the index before and after, alternating
ASKED = 12  # demo questions asked, besides the warm-up and the two matching questions
_VOCABULARY = (
    "the order refund parcel delivery warranty kettle lamp return customer account payment "
    "label box within days please contact support cover repair part replace clean water "
    "machine descale filter store receipt"
)


def paragraphs(size: int, seed: int) -> str:
    """`size` characters of numbered, unique paragraphs of plain sentences."""
    generator = random.Random(seed)
    words = _VOCABULARY.split()
    out: list[str] = []
    total = number = 0
    while total < size:
        number += 1
        sentences = [
            " ".join(generator.choices(words, k=generator.randint(8, 18))).capitalize() + "."
            for _ in range(generator.randint(2, 5))
        ]
        paragraph = f"Clause {number}. " + " ".join(sentences)
        out.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(out)[:size]


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """The giant one-entry FAQ file and the large one-entry FAQ file."""
    giant = folder / "giant" / "espresso-faq.md"
    large = folder / "large" / "warranty-faq.md"
    for path, question, size, seed in (
        (giant, GIANT_QUESTION, GIANT_BYTES, 1),
        (large, LARGE_QUESTION, LARGE_CHARS, 2),
    ):
        path.parent.mkdir(parents=True)
        head = f"# Help\n\n## {question}\n\n"
        path.write_text(head + paragraphs(size - len(head), seed) + "\n", encoding="utf-8")
    return giant, large


def timed_process(
    command: list[str], stdin: str | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a command; its exit code, output, wall time, and the peak memory of that process
    alone (`wait4` gives one child's usage, where RUSAGE_CHILDREN keeps the maximum of all)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
        assert process.stdin is not None
        process.stdin.write((stdin or "").encode())
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "exit_code": process.returncode,
            "wall_seconds": wall,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace")[-2000:],
        }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "kb_assistant", *args]


def ingest(path: Path, data_dir: Path) -> dict[str, Any]:
    """`kb-assistant ingest PATH --json` in a fresh process, with its report."""
    run = timed_process(cli("ingest", str(path), "--json", "--data-dir", str(data_dir)))
    try:
        report = json.loads(run["stdout"])
    except json.JSONDecodeError:
        raise RuntimeError(f"ingest printed no report: {run['stderr']}") from None
    errors = [e for e in report["errors"] if e["level"] == "error"]
    return {
        **{k: v for k, v in run.items() if k not in ("stdout", "stderr")},
        "chunks_embedded": report["chunks_embedded"],
        "documents": report["documents"],
        "stage_seconds": report["stage_seconds"],
        "errors": [e["error"] for e in errors],
    }


def ask_replies(data_dir: Path, questions: list[str]) -> list[dict[str, Any]]:
    """`kb-assistant ask -` over the questions in one process (the model on one thread, which
    keeps latency steady on shared cores): each reply but the first (a warm-up)."""
    run = timed_process(
        cli("ask", "-", "--json", "--data-dir", str(data_dir)),
        "\n".join(questions),
        {"KB_EMBEDDING_THREADS": "1"},
    )
    answers = [json.loads(line) for line in run["stdout"].splitlines() if line.strip()]
    if len(answers) != len(questions):
        raise RuntimeError(f"ask answered {len(answers)} of {len(questions)}: {run['stderr']}")
    return answers[1:]


def latency(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """p50 and max of the replies' times (the sum of their stage timings: policy, retrieve,
    gate, compose, verify), the p50 of each stage, and the matching questions' replies."""
    totals = [sum(r["timings_ms"].values()) for r in replies]
    stages = {stage for r in replies for stage in r["timings_ms"]}
    matching = {r["question"]: r for r in replies if r["question"] in MATCHING}
    return {
        "p50_ms": statistics.median(totals),
        "max_ms": max(totals),
        "stage_p50_ms": {
            stage: statistics.median(r["timings_ms"].get(stage, 0.0) for r in replies)
            for stage in sorted(stages)
        },
        "matching": [
            {"question": q, "action": r["action"], "ms": sum(r["timings_ms"].values())}
            for q, r in matching.items()
        ],
    }


def questions() -> list[str]:
    """A warm-up, demo questions, then one question matching each generated entry."""
    demo = [row["question"] for row in read_jsonl(PROJECT_ROOT / "demo" / "golden-questions.jsonl")]
    return ["Do you ship abroad?", *demo[:ASKED], *MATCHING]


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / MIB


def largest_chunk(data_dir: Path) -> dict[str, Any]:
    """The stored public chunks per document and the largest one in model tokens."""
    from kb_assistant.composition import build_embedder, build_vector_index
    from kb_assistant.settings import Settings

    settings = Settings(data_dir=data_dir)
    embedder = build_embedder(settings)
    records = list(build_vector_index(settings, embedder).records("public"))
    sizes = [
        (len(embedder.tokenize(r.text)), len(r.text), r.metadata.get("title")) for r in records
    ]
    large = [s for s in sizes if s[2] == LARGE_QUESTION]
    return {
        "public_chunks": len(records),
        "large_entry_chunks": len(large),
        "max_tokens": max(s[0] for s in sizes),
        "max_tokens_large_entry": max((s[0] for s in large), default=0),
        "max_chars": max(s[1] for s in sizes),
        "budget": Settings().chunk_tokens,
    }


def run(root: Path | None = None) -> dict[str, Any]:
    """Index the demo, then ingest the giant and the large file on a copy; see the docstring."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-limits-") as tmp:
        folder = Path(tmp)
        giant, large = write_inputs(folder)
        base, work = folder / "demo-index", folder / "work"
        demo = ingest(DEMO_KB, base)
        asked = questions()
        ask_replies(base, asked[:2])  # trains and caches the policy model, copied along
        shutil.copytree(base, work)
        size_before = folder_mb(work)
        giant_run = ingest(giant, work)
        large_run = ingest(large, work)
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            before += ask_replies(base, asked)
            after += ask_replies(work, asked)
        return {
            "giant_mb": giant.stat().st_size / MIB,
            "large_chars": len(large.read_text(encoding="utf-8")),
            "limit_chars": DEFAULT_MAX_DOCUMENT_CHARS,
            "demo": demo,
            "giant": giant_run,
            "large": large_run,
            "chunks": largest_chunk(work),
            "index_mb": (size_before, folder_mb(work)),
            "ask_before": latency(before),
            "ask_after": latency(after),
            "replies": len(before),
        }


def _stages(summary: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in summary["stage_p50_ms"].items())


def render(result: dict[str, Any], machine: str) -> str:
    """The benchmark's section of docs/benchmarks.md."""
    giant, large, chunks = result["giant"], result["large"], result["chunks"]
    before, after = result["ask_before"], result["ask_after"]
    rows = [
        ("demo knowledge base", result["demo"]),
        (f"giant: one entry, {result['giant_mb']:.0f} MB", giant),
        (f"large: one entry, {result['large_chars']:,} characters", large),
    ]
    table = "\n".join(
        f"| {name} | {run['exit_code']} | {run['wall_seconds']:.1f} s | "
        f"{run['stage_seconds'].get('read', 0):.1f} s | {run['peak_rss_mb']:,.0f} MB | "
        f"{run['chunks_embedded']:,} | {len(run['errors'])} |"
        for name, run in rows
    )
    matching = "; ".join(
        f"{m['question']!r}: {m['action']}, {m['ms']:.0f} ms" for m in after["matching"]
    )
    return f"""## Size limits: a giant FAQ entry and a large document

`kb-assistant ingest` in a fresh process (model load included) on a copy of the indexed demo
knowledge base, with the default limits (`KB_MAX_FILE_MB` 100, `KB_MAX_DOCUMENT_CHARS`
{result["limit_chars"]:,}). Peak memory is that process's own (`wait4`); "read" is parsing,
cleaning, redaction and chunking.

| run | exit | wall | read | peak memory | chunks embedded | errors |
|---|---|---|---|---|---|---|
{table}

- Giant entry refused: {giant["errors"][0] if giant["errors"] else "(no error)"}
- Large entry split into **{chunks["large_entry_chunks"]:,} chunks**; the largest stored chunk
  has **{chunks["max_tokens"]} model tokens** (budget {chunks["budget"]}; largest of the large
  entry {chunks["max_tokens_large_entry"]}), at most {chunks["max_chars"]:,} characters.
- Index: {result["index_mb"][0]:.1f} MB before, {result["index_mb"][1]:.1f} MB after
  ({chunks["public_chunks"]:,} public chunks).
- `kb-assistant ask`, the demo index before and the index after, alternately ({ROUNDS} runs
  each, {result["replies"]} replies each: demo questions and one question matching each
  generated entry; model on one thread): p50 **{before["p50_ms"]:.0f} ms** before,
  **{after["p50_ms"]:.0f} ms** after (max {before["max_ms"]:.0f} / {after["max_ms"]:.0f} ms).
  p50 per stage (ms) before: {_stages(before)}; after: {_stages(after)}.
  Matching questions after: {matching}.

Machine: {machine}. Reproduce: `.venv/bin/python -m eval.bench --only limits`.
"""


def section(root: Path, repeat: int) -> str:
    """`python -m eval.bench --only limits`."""
    from eval.bench import machine

    return render(run(root), machine())
