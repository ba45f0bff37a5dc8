"""Text and Markdown for the retrieval evaluation (`kb-assistant eval retrieval`)."""

from __future__ import annotations

from typing import Any

from eval.retrieval_metrics import METRICS

COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "p50 ms", "p95 ms")
_U = "best_without_collapse"
UNIT_NAMES = {"stackfaq": "FAQ threads", "emanual": "manual sections"}


def _cells(entry: dict[str, Any], best: dict[str, float] | None = None) -> list[str]:
    """Metric cells (with `best`, the best value of each metric in bold), latency cells."""
    cells = []
    for name in METRICS:
        value = entry["metrics"][name]
        text = f"{value:.3f}"
        cells.append(f"**{text}**" if best and f"{best[name]:.3f}" == text else text)
    timing = entry["latency_ms"]
    cells += ["—", "—"] if timing is None else [f"{timing['p50']:.1f}", f"{timing['p95']:.1f}"]
    return cells


def _verdict(check: dict[str, Any], which: str) -> str:
    entry = check[which]
    return (
        f"`{entry['name']}` nDCG@10 {entry['ndcg@10']:.3f} = **{entry['ratio']:.3f}×** "
        f"{check['best_single']} ({check['best_single_ndcg@10']:.3f}): "
        f"{'met' if entry['met'] else 'not met'}"
    )


def render_text(report: dict[str, Any]) -> str:
    """A plain table per dataset for the terminal."""
    lines = []
    for result in report["datasets"].values():
        lines.append(
            f"{result['title']}: {result['queries']} queries; {result['documents']} documents, "
            f"{result['chunks']} chunks, {result['units']} units"
        )
        header = f"  {'retriever':<36}" + "".join(f"{c:>9}" for c in COLUMNS)
        lines += [header, "  " + "-" * (len(header) - 2)]
        for entry in result["retrievers"]:
            lines.append(f"  {entry['label']:<36}" + "".join(f"{c:>9}" for c in _cells(entry)))
        lines.append("  fusion variants (comparison only):")
        for entry in result["alternatives"]:
            cells = _cells(entry)[: len(METRICS)]
            lines.append(f"  {entry['label']:<36}" + "".join(f"{c:>9}" for c in cells))
        check = result["target"]
        lines.append(f"  target: hybrid nDCG@10 ≥ {check['ratio_required']:.2f}× the better single")
        shown = {"default": "default", "best": "best", _U: "no collapse"}
        for which, name in shown.items():
            if check[which]:
                text = f"    {name:<12}{_verdict(check, which)}"
                lines.append(text.replace("**", "").replace("`", ""))
        lines += [f"    best dense weight: {check['best_weight']:g}", ""]
    lines.append(f"{report['seconds']:.0f} s in all")
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]], first: str, timed: bool = True) -> list[str]:
    columns = COLUMNS if timed else COLUMNS[: len(METRICS)]
    best = {name: max(r["metrics"][name] for r in rows) for name in METRICS}
    lines = [
        f"| {first} | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for entry in rows:
        cells = _cells(entry, best)[: len(columns)]
        lines.append(f"| {entry['label']} | " + " | ".join(cells) + " |")
    return lines


def _dataset_section(name: str, result: dict[str, Any], config: dict[str, Any]) -> str:
    check = result["target"]
    rows = result["retrievers"]
    ndcg = {r["name"]: r["metrics"]["ndcg@10"] for r in rows}
    best_weighted = ndcg[f"hybrid-weighted-{check['best_weight']:g}"]
    ceiling = check["best_single_ndcg@10"] * check["ratio_required"]
    lines = [
        f"### {result['title']}",
        "",
        f"{result['queries']} queries. Corpus: {result['documents']} documents → "
        f"{result['chunks']} chunks over {result['units']} {UNIT_NAMES.get(name, 'units')}",
        f"(llama-index's default parser: {result['baseline_chunks']} nodes); indexed in "
        f"{result['index_seconds']:.0f} s; load average after the timed searches: "
        f"{result['load_average']:.1f}.",
        "",
        *_table(rows, "retriever"),
        "",
        "Fusion variants, for comparison (same rankings, not product settings):",
        "",
        *_table(result["alternatives"], "variant", timed=False),
        "",
        f"Target — hybrid nDCG@10 ≥ {check['ratio_required']:.2f}× the better single retriever:",
        "",
        f"- default fusion ({_fusion_name(config)}): {_verdict(check, 'default')}",
        f"- best fusion: {_verdict(check, 'best')}",
        *(
            [f"- best without the near-duplicate collapse: {_verdict(check, _U)}"]
            if check[_U]
            else []
        ),
        f"- best dense weight: **{check['best_weight']:g}**; RRF {ndcg['hybrid-rrf']:.3f} "
        f"against the best weighted {best_weighted:.3f}",
    ]
    if ceiling > 1.0:
        lines.append(
            f"- {check['ratio_required']:.2f} × {check['best_single_ndcg@10']:.3f} = "
            f"{ceiling:.3f} > 1: no ranking can meet the target on this dataset"
        )
    return "\n".join(lines)


def _fusion_name(config: dict[str, Any]) -> str:
    if config["fusion"] == "rrf":
        return "RRF"
    return f"weighted, w={config['dense_weight']:g}"


def render(report: dict[str, Any], machine_line: str) -> str:
    """The Markdown section of `docs/benchmarks.md`."""
    config = report["config"]
    sections = "\n\n".join(
        _dataset_section(name, result, config) for name, result in report["datasets"].items()
    )
    limited = f" (at most {config['limit']} queries per dataset)" if config["limit"] else ""
    return f"""## Retrieval quality

Every retriever on the same queries{limited}; each dataset indexed by the product's own
ingestion (clean, redact, chunk, embed, Chroma + BM25) in a temporary folder.

- Machine: {machine_line}.
- Model `{config["model"]}` ({config["dtype"]}); chunks of {config["chunk_tokens"]} tokens
  (overlap {config["chunk_overlap"]}); {config["candidates"]} candidates per ranking;
  configured fusion: {_fusion_name(config)}.
- **BM25**, **dense**: one ranking alone. **hybrid**: `HybridRetriever.retrieve` (fusion,
  then near-duplicate collapse), RRF or a weighted sum of min-max-normalised scores with
  dense weight w.
- **llama-index default**: `VectorStoreIndex.from_documents` (default node parser) with
  `HuggingFaceEmbedding` of the same model over the same documents, `as_retriever` with
  `similarity_top_k` 10 (and 30, to show whether depth limits it).
- Relevance per gold unit (FAQ thread, manual section): chunks map to their unit and only
  a unit's first chunk counts. Recall@k is the share of a query's gold units in the top k;
  MRR@10; binary nDCG@10 with the ideal over min(#gold, 10). Best value per column in bold.
- Latency: per query, end to end (query embedding included where the retriever embeds),
  on real searches; untimed rows reuse those searches' rankings. Load average when the
  run started: {config["load_average"]:.1f} on {config["cpus"]} cores (a load above the
  core count, from other processes, inflates every latency, the model's most; each
  dataset gives the load after its timed searches).
- E-Manual repeats some sections (quick guide and full manual, same title and near-same
  text), and a question's gold then lists every copy. Copies (same title, word-shingle
  Jaccard ≥ 0.8, the measure the hybrid retriever collapses near-duplicates by) count as one
  unit for every retriever: finding either copy finds the section, and a second copy adds
  nothing (261 sections → 246 units). The "no collapse" variants show the fusion alone.

{sections}

Reproduce: `kb-assistant eval retrieval` (`--dataset stackfaq|emanual`, `--limit N` for a
quick run, `--json` for every figure) or `make bench` (`.venv/bin/python -m eval.bench
--only retrieval`); the data folder is `KB_EVAL_DATA` (default `../shared/data`).
Whole run: {report["seconds"]:.0f} s."""
