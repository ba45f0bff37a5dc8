"""Re-index jobs at 100,000 chunks: full builds, incremental runs, queries during a rebuild.

Corpus: JSON Lines FAQ files written to a temporary folder from the shared datasets (E-Manual
sections, StackFAQ answers, Bitext replies, the PDFs' text; see `eval.bench_ask.filler_texts`).
Every entry is one chunk (an FAQ entry is never split; entries are cut to fit the model's
input). The unique texts are repeated with a variant number woven into each answer, so every
entry has its own content hash, until the target size; ~1,000 entries per file. One public
source in a `sources.yaml`, and ~30 golden questions (an entry's question → its title) so the
quality gate runs.

Measured, in this order (each figure is printed as soon as it is known):
1. the bare encoder (`embed_documents`) on a 2,000-text sample, before and after the full
   build (the faster run counts: on a shared machine the load changes): the physical limit;
2. a full build in this process (`kb-assistant reindex --full`);
3. incremental runs on that index: nothing changed, then 1 % of the entries edited;
4. answer latency with that index live (questions at up to `QUESTIONS_PER_S`), at rest and
   while a full rebuild runs in another process (`kb-assistant reindex --full --json`), until
   a few seconds after the switch, and when this process started serving the new version;
5. a full build with the embedding on a local Ray (2 actors × 1 thread).
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eval.answers_eval import percentile
from eval.bench_ask import filler_texts
from eval.datasets import PROJECT_ROOT, stackfaq_queries
from kb_assistant.settings import Settings

TARGET_CHUNKS = 100_000
ENTRIES_PER_FILE = 1_000
ENTRY_CHARS = 850
ENCODER_SAMPLE = 2_000
GOLDEN_QUESTIONS = 30
QUERY_QUESTIONS = 200
CHANGED_SHARE = 0.01
RAY_ACTORS = 2
QUERY_THREADS = 1
QUESTIONS_PER_S = 5  # a steady stream of customers, not a saturated core
AFTER_SWITCH_S = 6.0

Log = Callable[[str], None]


@dataclass(frozen=True)
class Entry:
    """One FAQ entry of the corpus: one chunk once indexed."""

    id: str
    question: str
    answer: str

    @property
    def embed_text(self) -> str:
        return f"Q: {self.question}\nA: {self.answer}"


@dataclass
class Corpus:
    """The files of the benchmark corpus and what they hold."""

    folder: Path
    config: Path
    entries: list[Entry]
    unique: int
    files: list[Path] = field(default_factory=list)


@dataclass
class BuildFigures:
    """One re-index job's figures."""

    label: str
    seconds: float
    chunks_embedded: int
    chunks_written: int
    documents: int
    stage_seconds: dict[str, float]
    gate_seconds: float = 0.0
    gate_recall: float | None = None
    exit_code: int = 0
    message: str = ""

    @property
    def rate(self) -> float:
        return self.chunks_embedded / self.seconds if self.seconds else 0.0


@dataclass
class Latencies:
    """Answer latencies in seconds, and how many answers failed."""

    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self) -> dict[str, float | int]:
        return {
            "questions": len(self.seconds) + self.errors,
            "errors": self.errors,
            "p50_ms": percentile(self.seconds, 50) * 1000,
            "p95_ms": percentile(self.seconds, 95) * 1000,
            "max_ms": max(self.seconds, default=0.0) * 1000,
        }


# --- corpus ---------------------------------------------------------------------------------


def base_entries(root: Path) -> list[tuple[str, str]]:
    """Unique (question, answer) pairs from the shared datasets, each one chunk long."""
    seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for title, text in filler_texts(root):
        question = " ".join(title.split())[:200] or "Support article"
        answer = " ".join(text.split())[: ENTRY_CHARS - len(question)]
        if len(answer) < 40 or answer in seen:
            continue
        seen.add(answer)
        pairs.append((question, answer))
    return pairs


def variant_entries(pairs: Sequence[tuple[str, str]], count: int) -> list[Entry]:
    """`count` entries: the pairs in turn, each repeat tagged with its variant number."""
    entries = []
    for i in range(count):
        question, answer = pairs[i % len(pairs)]
        variant = i // len(pairs)
        entries.append(Entry(f"e{i:06d}", question, f"{answer} (Variant {variant}, entry {i}.)"))
    return entries


def write_corpus(folder: Path, root: Path, chunks: int) -> Corpus:
    """The FAQ files, the sources file and the golden questions in `folder`."""
    pairs = base_entries(root)
    entries = variant_entries(pairs, chunks)
    faq = folder / "faq"
    faq.mkdir(parents=True)
    corpus = Corpus(folder, folder / "sources.yaml", entries, unique=min(len(pairs), chunks))
    corpus.files = write_faq_files(faq, entries)
    golden = folder / "golden.jsonl"
    step = max(1, corpus.unique // GOLDEN_QUESTIONS)
    with golden.open("w", encoding="utf-8") as out:
        for entry in entries[: corpus.unique : step][:GOLDEN_QUESTIONS]:
            row = {"question": entry.question, "expected": [entry.question], "channel": "customer"}
            out.write(json.dumps(row) + "\n")
    sources = {
        "sources": [{"name": "faq", "connector": "faq", "paths": ["faq"], "visibility": "public"}],
        "gate": {"golden_questions": golden.name, "max_recall_drop": 0.1, "k": 5},
        "keep_versions": 1,
    }
    corpus.config.write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")
    return corpus


def write_faq_files(faq: Path, entries: Sequence[Entry]) -> list[Path]:
    """~1,000 entries per JSON Lines file; rewrites the files with the entries given."""
    files = []
    for number in range(math.ceil(len(entries) / ENTRIES_PER_FILE)):
        path = faq / f"faq-{number:03d}.jsonl"
        part = entries[number * ENTRIES_PER_FILE : (number + 1) * ENTRIES_PER_FILE]
        lines = (json.dumps({"id": e.id, "question": e.question, "answer": e.answer}) for e in part)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def change_entries(entries: list[Entry], share: float) -> list[Entry]:
    """A copy with `share` of the entries' answers edited, spread evenly over the files."""
    step = max(1, round(1 / share))
    return [
        Entry(e.id, e.question, f"Updated: {e.answer}") if i % step == step // 2 else e
        for i, e in enumerate(entries)
    ]


# --- builds ---------------------------------------------------------------------------------


def figures(label: str, report: Any) -> BuildFigures:
    """The figures of a `ReindexReport`."""
    ingest, gate = report.ingest, report.gate
    return BuildFigures(
        label=label,
        seconds=report.seconds,
        chunks_embedded=ingest.chunks_embedded if ingest else 0,
        chunks_written=ingest.chunks_written if ingest else 0,
        documents=ingest.seen if ingest else 0,
        stage_seconds={k: round(v, 2) for k, v in (ingest.stage_seconds if ingest else {}).items()},
        gate_seconds=gate.seconds if gate else 0.0,
        gate_recall=gate.new.value if gate else None,
        exit_code=report.exit_code,
        message=report.message,
    )


def run_job(
    label: str, settings: Settings, embedder: Any, config: Path, full: bool
) -> BuildFigures:
    """One re-index job in this process."""
    from ingest.sources import load_sources_config
    from kb_assistant.composition import build_reindex_job

    job = build_reindex_job(settings, embedder=embedder)
    return figures(label, job.run(load_sources_config(config), full=full))


def encoder_rate(embedder: Any, entries: Sequence[Entry]) -> dict[str, float]:
    """The bare encoder's chunks/s on a sample of the texts the pipeline embeds."""
    step = max(1, len(entries) // ENCODER_SAMPLE)
    sample = [e.embed_text for e in entries[::step][:ENCODER_SAMPLE]]
    embedder.embed_documents(sample[:64])  # warm-up
    started = time.perf_counter()
    embedder.embed_documents(sample)
    seconds = time.perf_counter() - started
    return {"texts": len(sample), "seconds": seconds, "chunks_per_s": len(sample) / seconds}


def ray_build(corpus: Corpus, data_dir: Path, embedder: Any) -> BuildFigures:
    """A full build with the embedding on a local Ray (2 actors × 1 thread)."""
    settings = Settings(
        data_dir=data_dir, ray_enabled=True, ray_actors=RAY_ACTORS, embedding_threads=1
    )
    try:
        return run_job("full build, Ray local", settings, embedder, corpus.config, full=True)
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()


# --- queries during a rebuild ---------------------------------------------------------------


def timed_answer(service: Any, question: str, into: Latencies) -> float:
    """Answer one question, recording its latency (or an error); returns the latency."""
    from kb_assistant.core.replies import AnswerRequest

    started = time.perf_counter()
    try:
        service.answer(AnswerRequest(question))
    except Exception:
        into.errors += 1
        return time.perf_counter() - started
    seconds = time.perf_counter() - started
    into.seconds.append(seconds)
    return seconds


class SwitchWatcher(logging.Handler):
    """Notes when this process starts serving another index version (the live indexes log
    it once the new version is open)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.served_at: float | None = None
        self.message = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("now serving index version") and self.served_at is None:
            self.served_at, self.message = time.monotonic(), message

    def __enter__(self) -> SwitchWatcher:
        logger = logging.getLogger("kb_assistant.index.live")
        self._level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger("kb_assistant.index.live")
        logger.removeHandler(self)
        logger.setLevel(self._level)


def pace(latency: float) -> None:
    """Wait out the rest of the interval between two customers' questions."""
    time.sleep(max(0.0, 1 / QUESTIONS_PER_S - latency))


def cycle(questions: Sequence[str]) -> Iterator[str]:
    while True:
        yield from questions


def rebuild_process(config: Path, data_dir: Path, out: Path) -> subprocess.Popen[bytes]:
    """`kb-assistant reindex --full --json` in a new process, on the same data folder."""
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "kb_assistant", "reindex", "--config", str(config)]
    with out.open("wb") as stdout:
        return subprocess.Popen(
            [*command, "--full", "--json"],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=PROJECT_ROOT,
        )


def queries_during_rebuild(corpus: Corpus, data_dir: Path, questions: list[str]) -> dict[str, Any]:
    """Latency at rest, then while a full rebuild runs in another process, then after it."""
    from kb_assistant.composition import build_answer_service, build_embedder, build_registry

    settings = Settings(data_dir=data_dir, embedding_threads=QUERY_THREADS)
    service = build_answer_service(settings, embedder=build_embedder(settings))
    registry = build_registry(settings)
    timed_answer(service, questions[0], Latencies())  # warm-up
    rest = Latencies()
    for question in questions:
        pace(timed_answer(service, question, rest))
    live_before = registry.live_id()
    during, after = Latencies(), Latencies()
    out = corpus.folder / "rebuild.json"
    started = time.monotonic()
    process = rebuild_process(corpus.config, data_dir, out)
    switched_at: float | None = None
    first_after_switch: float | None = None
    asked = cycle(questions)
    with SwitchWatcher() as watcher:
        while True:
            running, elapsed = process.poll() is None, time.monotonic() - started
            if switched_at is None and registry.live_id() != live_before:
                switched_at = elapsed
            if switched_at is None:
                if not running:
                    break
                pace(timed_answer(service, next(asked), during))
                continue
            if not running and elapsed > switched_at + AFTER_SWITCH_S:
                break
            latency = timed_answer(service, next(asked), after)
            first_after_switch = latency if first_after_switch is None else first_after_switch
            pace(latency)
    if switched_at is None:
        switched_at = math.nan
    served_after = (
        watcher.served_at - started - switched_at if watcher.served_at is not None else math.nan
    )
    text = out.read_text(encoding="utf-8")
    report = json.loads(text) if text.strip() else {}
    return {
        "query_threads": QUERY_THREADS,
        "questions_per_s": QUESTIONS_PER_S,
        "rest": rest.summary(),
        "during": during.summary(),
        "after_switch": after.summary(),
        "first_after_switch_ms": (first_after_switch or 0.0) * 1000,
        "switched_at_s": switched_at,
        "served_new_after_s": served_after,
        "serving_log": watcher.message,
        "rebuild_exit": process.returncode,
        "rebuild_seconds": report.get("seconds"),
        "rebuild_switched": report.get("switched"),
        "live_before": live_before,
        "live_after": registry.live_id(),
    }


# --- the whole run --------------------------------------------------------------------------


def run(
    root: Path,
    chunks: int = TARGET_CHUNKS,
    *,
    with_ray: bool = True,
    log: Log = lambda line: print(line, flush=True),
) -> dict[str, Any]:
    """Every measurement on a fresh corpus of `chunks` entries; figures logged as they come."""
    from kb_assistant.composition import build_embedder

    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    result: dict[str, Any] = {"chunks_target": chunks, "load_at_start": load}
    with tempfile.TemporaryDirectory(prefix="kb-bench-reindex-") as tmp:
        folder = Path(tmp)
        corpus = write_corpus(folder / "corpus", root, chunks)
        result["corpus"] = {
            "entries": len(corpus.entries),
            "unique_texts": corpus.unique,
            "files": len(corpus.files),
            "bytes": sum(p.stat().st_size for p in corpus.files),
        }
        log(f"reindex corpus: {json.dumps(result['corpus'])}, load average {load}")
        embedder = build_embedder(Settings())
        result["encoder"] = encoder_rate(embedder, corpus.entries)
        log(f"reindex encoder: {json.dumps(result['encoder'])}")
        step(result, "full", log, lambda: _full(corpus, folder / "local", embedder))
        again = encoder_rate(embedder, corpus.entries)  # the load may have changed meanwhile
        log(f"reindex encoder after the build: {json.dumps(again)}")
        result["encoder_runs"] = [result["encoder"]["chunks_per_s"], again["chunks_per_s"]]
        result["encoder"] = max(result["encoder"], again, key=lambda e: e["chunks_per_s"])
        step(result, "unchanged", log, lambda: _incremental(corpus, folder / "local", embedder))
        corpus.entries = change_entries(corpus.entries, CHANGED_SHARE)
        write_faq_files(corpus.folder / "faq", corpus.entries)
        step(result, "changed", log, lambda: _incremental(corpus, folder / "local", embedder))
        questions = [q for q, _ in stackfaq_queries(root)][:QUERY_QUESTIONS]
        result["queries"] = queries_during_rebuild(corpus, folder / "local", questions)
        log(f"reindex queries: {json.dumps(result['queries'])}")
        if with_ray:
            step(result, "ray", log, lambda: ray_build(corpus, folder / "ray", embedder))
    return result


def _full(corpus: Corpus, data_dir: Path, embedder: Any) -> BuildFigures:
    return run_job(
        "full build, in-process", Settings(data_dir=data_dir), embedder, corpus.config, True
    )


def _incremental(corpus: Corpus, data_dir: Path, embedder: Any) -> BuildFigures:
    return run_job("incremental", Settings(data_dir=data_dir), embedder, corpus.config, False)


def step(result: dict[str, Any], name: str, log: Log, measure: Callable[[], BuildFigures]) -> None:
    """Run one job, keep its figures and log them at once."""
    built = measure()
    result[name] = built
    log(f"reindex {name}: {json.dumps({**asdict(built), 'chunks_per_s': round(built.rate, 1)})}")


# --- the report -----------------------------------------------------------------------------


def _stages(built: BuildFigures) -> str:
    ordered = sorted(built.stage_seconds.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:.0f} s" for k, v in ordered)


def _runs(result: dict[str, Any]) -> str:
    """The encoder's measured rates, as text."""
    runs = result.get("encoder_runs") or [result["encoder"]["chunks_per_s"]]
    return " and ".join(f"{rate:.1f}" for rate in runs)


def _secs(seconds: float) -> str:
    """Seconds, with a decimal when short."""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


def _build_row(built: BuildFigures, encoder: float) -> str:
    gate = f"{built.gate_seconds:.1f} s" if built.gate_recall is not None else "—"
    ratio = f"{built.rate / encoder:.2f}" if built.label.startswith("full") else "—"
    return (
        f"| {built.label} | {_secs(built.seconds)} | {built.chunks_embedded:,} "
        f"| {built.chunks_written:,} | {built.rate:.1f} | {ratio} | {gate} | {_stages(built)} |"
    )


def render(result: dict[str, Any], machine: str) -> str:
    """The Markdown section of `docs/benchmarks.md`."""
    encoder = result["encoder"]["chunks_per_s"]
    builds = [result[k] for k in ("full", "ray", "unchanged", "changed") if k in result]
    corpus = result["corpus"]
    shared = float(result["load_at_start"]) > 1.5 if result["load_at_start"] != "?" else False
    lines = [
        f"## Re-index jobs at {corpus['entries']:,} chunks",
        "",
        f"Corpus: {corpus['entries']:,} FAQ entries (one chunk each) in {corpus['files']} JSON "
        f"Lines files ({corpus['bytes'] / 1e6:.1f} MB), one public source in a `sources.yaml`: "
        f"{corpus['unique_texts']:,} unique texts from the shared datasets (E-Manual sections, "
        "StackFAQ answers, Bitext replies, the PDFs' text), repeated with a variant number in "
        f"each answer so every entry is new content; {GOLDEN_QUESTIONS} golden questions for "
        "the quality gate. Built in a temporary folder by `eval/bench_reindex.py`.",
        "",
        f"Bare encoder (`embed_documents` on {result['encoder']['texts']:,} of the texts): "
        f"**{encoder:.1f} chunks/s** — the limit a build can approach (the faster of a run "
        f"before and one after the in-process build: {_runs(result)} chunks/s).",
        "",
        "| job | time | embedded | written | chunks/s | of encoder | gate | stages |",
        "|---|---|---|---|---|---|---|---|",
        *(_build_row(b, encoder) for b in builds),
        "",
        *_incremental_lines(result),
        *_query_lines(result),
        f"Machine: {machine}."
        + (
            f" Measured while the machine was shared (load average {result['load_at_start']} "
            "at the start)."
            if shared
            else ""
        ),
        "",
        "Reproduce: `python -m eval.bench --only reindex` (the data folder is `KB_EVAL_DATA`, "
        "default `../shared/data`)"
        + (
            "."
            if corpus["entries"] >= TARGET_CHUNKS
            else f"; this smaller run: `python -m eval.bench_reindex --chunks {corpus['entries']}`."
        ),
    ]
    return "\n".join(lines)


def _incremental_lines(result: dict[str, Any]) -> list[str]:
    if "changed" not in result:
        return []
    unchanged, changed = result["unchanged"], result["changed"]
    return [
        f"Incremental runs on the in-process index: nothing changed, {_secs(unchanged.seconds)} "
        f"({unchanged.chunks_embedded} chunks embedded); {CHANGED_SHARE:.0%} of the entries "
        f"edited (spread over every file), {_secs(changed.seconds)} ({changed.chunks_embedded:,} "
        f"embedded). The full build took {result['full'].seconds:,.0f} s.",
        "",
    ]


def _query_lines(result: dict[str, Any]) -> list[str]:
    if "queries" not in result:
        return []
    q = result["queries"]
    rest, during, after = q["rest"], q["during"], q["after_switch"]
    return [
        f"Answer latency (`AnswerService.answer`, extractive, {QUERY_QUESTIONS} StackFAQ "
        f"rephrasings, `KB_EMBEDDING_THREADS={q['query_threads']}` on the query side) with the "
        "in-process index live:",
        "",
        f"The questions come at up to {q['questions_per_s']} a second, one at a time, at rest "
        "as during and after the rebuild.",
        "",
        "| when | answers | errors | p50 | p95 | max |",
        "|---|---|---|---|---|---|",
        _latency_row("at rest", rest),
        _latency_row("during a full rebuild (other process)", during),
        _latency_row(f"first {AFTER_SWITCH_S:.0f} s after the switch", after),
        "",
        f"The rebuild (`kb-assistant reindex --full --json`, exit {q['rebuild_exit']}) switched "
        f"the live version at {q['switched_at_s']:.0f} s; the first answer after the switch "
        f"took {q['first_after_switch_ms']:.0f} ms. The answering process served the new "
        f"version {q['served_new_after_s']:.1f} s after the switch (it checks every "
        f'`KB_INDEX_REFRESH_S`, 2 s; its log: "{q["serving_log"]}").',
        "",
    ]


def _latency_row(label: str, summary: dict[str, float | int]) -> str:
    return (
        f"| {label} | {summary['questions']:,} | {summary['errors']} | {summary['p50_ms']:.0f} ms "
        f"| {summary['p95_ms']:.0f} ms | {summary['max_ms']:.0f} ms |"
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m eval.bench_reindex --chunks 5000`: a quick run, printed, no report written."""
    import argparse

    from eval.bench import machine
    from eval.datasets import eval_data_root
    from kb_assistant.composition import configure_process

    parser = argparse.ArgumentParser(prog="python -m eval.bench_reindex")
    parser.add_argument("--chunks", type=int, default=TARGET_CHUNKS)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args(argv)
    configure_process(Settings())
    print(render(run(eval_data_root(), args.chunks, with_ray=not args.no_ray), machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
