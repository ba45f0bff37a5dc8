"""Markdown for the ingestion benchmark."""

from __future__ import annotations

import statistics
from typing import Any


def render(data: dict[str, Any], machine: str) -> str:
    results = data["results"]
    rows = []
    for dtype, r in results.items():
        ratio = r.pipeline_rate / r.encoder_rate
        rows.append(
            f"| {dtype} | {r.chunks} | {r.encoder_rate:.1f} | {r.pipeline_rate:.1f} | "
            f"**{ratio:.2f}** | {r.rerun_seconds:.2f} s / {r.rerun_embedded} | "
            f"{r.recall_at_5:.3f} |"
        )
    stages = []
    for dtype, r in results.items():
        total = statistics.median(r.pipeline_seconds)
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(r.stages.items()))
        embed_ratio = (
            (r.chunks / r.stages["embed"]) / r.encoder_rate if r.stages.get("embed") else 0
        )
        stages.append(
            f"- {dtype}: {total:.1f} s in all — {parts}; the embedding stage alone runs at "
            f"**{embed_ratio:.2f}** of the bare encoder"
        )
    speedup = results["bfloat16"].encoder_rate / results["float32"].encoder_rate
    cold = data["cold"]
    cold_docs = cold["report"]["documents"]
    return f"""## Ingestion throughput

Corpus: the shared PDFs ({", ".join(data["files"][:-1])}) and StackFAQ `faqs.jsonl`
({cold_docs["seen"]} documents). Machine: {machine}.

- **encoder**: `SentenceTransformer.encode(batch_size=32)` alone on exactly the unique chunk
  texts the pipeline embeds — the physical limit.
- **pipeline**: a full build in the same process with the same loaded model: read PDFs and
  FAQs, clean, redact, chunk, embed, write Chroma, BM25 and the SQLite manifest.
- **ratio**: pipeline chunks/s divided by encoder chunks/s.
- **re-run**: the same sources again, nothing changed (time / chunks embedded).
- **recall@5**: dense retrieval of the 1,249 StackFAQ rephrasings with that dtype's vectors.

| dtype | chunks | encoder chunks/s | pipeline chunks/s | ratio | unchanged re-run | recall@5 |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Where the pipeline's time goes (seconds per stage; on a CPU, reading and embedding
alternate, because overlapping them only makes them compete for the same cores):
{chr(10).join(stages)}

The embedding stage keeps pace with the bare encoder; what separates the pipeline from it is
reading (pypdf's text extraction of ~230 pages, pdfplumber's on the pages that draw a
grid, and chunking: fixed work that bf16 does not speed up, so its share grows as the
encoder gets faster) and writing Chroma, BM25 and the manifest.

bf16 encodes **{speedup:.2f}×** as fast as fp32 here; bf16 and fp32 vectors of the same
chunks agree to cosine ≥ {data["cosine_min"]:.4f} (mean {data["cosine_mean"]:.4f}).
`KB_EMBEDDING_DTYPE=auto` chose **{data["auto_dtype"]}** on this CPU (bf16 only where the CPU
has native bf16: AMX or AVX512-BF16); `float32` or `bfloat16` forces either.

Cold command line (`kb-assistant ingest … --json`, new process, model load included):
{cold["wall_seconds"]:.1f} s wall, {cold["report"]["chunks_embedded"]} chunks embedded,
pipeline {cold["report"]["seconds"]:.1f} s, **peak memory {cold["peak_rss_mb"]:.0f} MB**.

Reproduce: `make bench` (or `.venv/bin/python -m eval.bench --only ingest`); the data
folder is `KB_EVAL_DATA` (default `../shared/data`)."""
