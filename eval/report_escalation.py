"""Text, Markdown and the confusion-matrix PNG for the escalation evaluation.

The Markdown is the `escalation` section of `docs/benchmarks.md`; like the figures it holds
counts and rates only, never a dataset's messages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

TOP_NEGATIVES = 12  # negative labels shown in Markdown: the most often escalated
MAX_ROWS = 40  # rows per gold group in Markdown (all of them in --json)
MIN_COUNT = 10  # rarer labels (co-occurring intents of multi-label sets) only in --json


def plot_confusion(summary: dict[str, Any], path: Path) -> Path:
    """The confusion matrix as a PNG: colour is the share of the row, text the count."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table = summary["confusion"]
    counts = np.asarray(table["matrix"], dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure = Figure(figsize=(8, 1.4 + 0.7 * len(table["rows"])), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(len(table["columns"])), table["columns"])
    axes.set_yticks(
        range(len(table["rows"])), [f"{g} ({summary['counts'][g]})" for g in table["rows"]]
    )
    axes.set_xlabel("policy class")
    axes.set_ylabel("gold group (messages)")
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if shares[i, j] > 0.6 else "black"
        axes.text(j, i, f"{int(count)}", ha="center", va="center", color=colour)
    axes.set_title(f"{summary['title']}: {headline(summary)}", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def headline(figures: dict[str, Any]) -> str:
    """ "recall 99.0 %, false escalation 2.1 %" (the parts that apply)."""
    parts = [
        f"{name} {pct(figures[key])}"
        for key, name in (("recall", "recall"), ("false_escalation", "false escalation"))
        if figures[key] is not None
    ]
    return ", ".join(parts)


def _verdict(check: dict[str, Any], unit: str = "") -> str:
    if check["met"] is None:
        return "n/a"
    value = check["value"]
    shown = f"{value:.1f} ms" if unit == "ms" else pct(value)
    return f"{shown} {'met' if check['met'] else '**not met**'}"


def _classes(row: dict[str, Any]) -> str:
    return ", ".join(f"{name} {count}" for name, count in row["classes"].items())


def _shown_rows(rows: list[dict[str, Any]], min_count: int) -> tuple[list[dict[str, Any]], int]:
    """Per gold group: the worst rows first (least escalated positives, most escalated
    negatives), capped; returns them and how many were left out."""
    shown: list[dict[str, Any]] = []
    for group in ("escalate", "borderline", "money_info", "answer"):
        members = [r for r in rows if r["gold"] == group and r["count"] >= min_count]
        worst_first = group in ("money_info", "answer")
        members.sort(key=lambda r: -r["escalated_share"] if worst_first else r["escalated_share"])
        shown += members[: TOP_NEGATIVES if group == "answer" else MAX_ROWS]
    return shown, len(rows) - len(shown)


def _summary_table(datasets: dict[str, Any]) -> list[str]:
    lines = [
        "| dataset | messages | positives | recall | negatives | false escalation | "
        "money_info escalated | borderline escalated | p50 ms | p95 ms |",
        "|---" * 10 + "|",
    ]
    for result in datasets.values():
        counts, timing = result["counts"], result["latency_ms"] or {}
        negatives = counts["answer"] + counts["money_info"]
        lines.append(
            f"| {result['title']} | {result['messages']} | {counts['escalate']} | "
            f"{pct(result['recall'])} | {negatives} | {pct(result['false_escalation'])} | "
            f"{pct(result['money_info_escalated'])} | {pct(result['borderline_escalated'])} | "
            f"{timing.get('p50', 0):.1f} | {timing.get('p95', 0):.1f} |"
        )
    lines += [
        "",
        "| dataset | recall ≥ 98 % | false escalation ≤ 5 % | p95 ≤ 20 ms |",
        "|---|---|---|---|",
    ]
    for result in datasets.values():
        t = result["targets"]
        lines.append(
            f"| {result['title']} | {_verdict(t['recall'])} | "
            f"{_verdict(t['false_escalation'])} | {_verdict(t['p95_ms'], 'ms')} |"
        )
    return lines


def _dataset_section(result: dict[str, Any], report_dir: Path | None, min_count: int) -> list[str]:
    lines = [f"### {result['title']}", "", f"Gold groups: {result['mapping']}.", ""]
    if result.get("figure"):
        figure = Path(result["figure"])
        link = os.path.relpath(figure, report_dir) if report_dir else figure.as_posix()
        lines += [f"![confusion matrix, {result['name']}]({Path(link).as_posix()})", ""]
    rows, left_out = _shown_rows(result["per_label"], min_count)
    lines += [
        "| label | gold | messages | escalated | policy classes |",
        "|---|---|---|---|---|",
        *(
            f"| `{r['label']}` | {r['gold']} | {r['count']} | {pct(r['escalated_share'])} | "
            f"{_classes(r)} |"
            for r in rows
        ),
    ]
    if left_out:
        lines.append(
            f"\n{left_out} more label rows (least escalated negatives, labels with fewer "
            f"than {min_count} messages) in `--json`."
        )
    return lines


def _variant_section(variant: dict[str, Any]) -> list[str]:
    return [
        "### Comparison: a 77-way BANKING77 intent classifier (not the shipped model)",
        "",
        f"Logistic regression (C={variant['c']:g}) over the same embeddings, trained on "
        f"BANKING77's train split ({variant['train']} messages) and scored on its test split "
        f"({variant['test']}). A message counts as escalated when its predicted intent is a "
        "positive one. It shows what a model fitted to this one dataset's 77 intents "
        "reaches; the shipped policy learns from the assistant's own examples only.",
        "",
        f"- 77-way intent accuracy: **{pct(variant['accuracy'])}**",
        f"- recall {pct(variant['recall'])}, false escalation "
        f"{pct(variant['false_escalation'])}, borderline escalated "
        f"{pct(variant['borderline_escalated'])}",
        *_summed_line(variant),
        f"- trained and scored in {variant['seconds']:.0f} s",
    ]


def _summed_line(variant: dict[str, Any]) -> list[str]:
    summed = variant.get("summed")
    if not summed:
        return []
    return [
        f"- escalated when the positive intents' probabilities add up to "
        f"{variant['summed_at']:g}: recall {pct(summed['recall'])}, false escalation "
        f"{pct(summed['false_escalation'])} — this dataset's own labelling conventions, "
        "learnt from its training split, are what reach the targets on it"
    ]


def _intro(report: dict[str, Any], machine_line: str) -> list[str]:
    datasets = report["datasets"]
    versions = sorted({r.get("policy_version", "") for r in datasets.values()} - {""})
    limited = (
        f" (a seeded sample of at most {report['limit']} per dataset)" if report["limit"] else ""
    )
    return [
        "## Escalation (money policy)",
        "",
        f"Every message{limited} classified one at a time by the shipped policy engine, "
        "after a warm-up, as a customer's first message. Positive = the policy must hand it "
        "to a person (`money_action`, `human_request`, `security`); **recall** is the share "
        "of positives escalated (a missed refund is the costly error), **false escalation** "
        "the share of negatives (`money_info` included) escalated; borderline labels are "
        "reported apart and count in neither.",
        "",
        f"- Machine: {machine_line}.",
        f"- Policy version {', '.join(versions) or '—'}; model `{report['model']}`.",
        "- Latency: `classify` per message (embedding, rules, model), wall clock, one at a "
        f"time; load average {report['load_average']:.1f} on {report['cpus']} cores when the "
        "run started and "
        + ", ".join(f"{r['load_average']:.1f}" for r in datasets.values())
        + " after each dataset (a load above the core count, from other processes, "
        "inflates every latency).",
    ]


def render(
    report: dict[str, Any],
    machine_line: str,
    report_dir: Path | None = None,
    min_count: int = MIN_COUNT,
) -> str:
    """The Markdown section of `docs/benchmarks.md` (figure links relative to `report_dir`;
    per-label rows for labels with at least `min_count` messages)."""
    body = [*_intro(report, machine_line), "", *_summary_table(report["datasets"])]
    if report.get("baseline"):
        body += ["", *_baseline_table(report)]
    for result in report["datasets"].values():
        body += ["", *_dataset_section(result, report_dir, min_count)]
    if report.get("banking77_variant"):
        body += ["", *_variant_section(report["banking77_variant"])]
    body += [
        "",
        "Reproduce: `kb-assistant eval escalation --dataset "
        "banking77|bitext|nlupp|complaints|complaints-dev|shop-money|FILE` "
        "(`--limit N`, `--figures DIR`, `--with-banking77-variant`, `--baseline REV`, "
        "`--json` for every "
        "figure) or `make bench` (`.venv/bin/python -m eval.bench --only escalation`); the "
        "data folder is `KB_EVAL_DATA` (default `../shared/data`). "
        f"Whole run: {report['seconds']:.0f} s.",
    ]
    return "\n".join(body)


def _baseline_table(report: dict[str, Any]) -> list[str]:
    """Before (the baseline revision's policy) and after, on the same messages in the same
    run."""
    rows = [
        f"Before and after, the same messages in the same run: the policy at revision "
        f"`{report['baseline']}` (trained afresh from that revision's examples) and now.",
        "",
        "| dataset | recall before → now | false escalation before → now "
        "| money_info escalated before → now |",
        "|---|---|---|---|",
    ]
    for result in report["datasets"].values():
        then = result.get("baseline")
        if not then:
            continue
        cells = [
            f"{pct(then[key])} → {pct(result[key])}"
            for key in ("recall", "false_escalation", "money_info_escalated")
        ]
        rows.append(f"| {result['title']} | " + " | ".join(cells) + " |")
    return rows


def render_text(report: dict[str, Any]) -> str:
    """A plain summary per dataset for the terminal."""
    lines = []
    for result in report["datasets"].values():
        counts, t = result["counts"], result["targets"]
        lines += [
            f"{result['title']}: {result['messages']} messages "
            + ", ".join(f"{n} {g}" for g, n in counts.items() if n),
            f"  recall {pct(result['recall'])}  false escalation "
            f"{pct(result['false_escalation'])}  money_info escalated "
            f"{pct(result['money_info_escalated'])}  borderline escalated "
            f"{pct(result['borderline_escalated'])}",
            *(
                [
                    f"  before ({report['baseline']}): recall "
                    f"{pct(result['baseline']['recall'])}  false escalation "
                    f"{pct(result['baseline']['false_escalation'])}"
                ]
                if result.get("baseline")
                else []
            ),
            f"  targets: recall {_verdict(t['recall'])}; false escalation "
            f"{_verdict(t['false_escalation'])}; p95 {_verdict(t['p95_ms'], 'ms')}".replace(
                "**", ""
            ),
            f"  {'label':<44}{'gold':<12}{'n':>6}{'escalated':>11}  policy classes",
        ]
        for row in result["per_label"]:
            lines.append(
                f"  {row['label'][:43]:<44}{row['gold']:<12}{row['count']:>6}"
                f"{pct(row['escalated_share']):>11}  {_classes(row)}"
            )
        if result.get("figure"):
            lines.append(f"  confusion matrix: {result['figure']}")
        lines.append("")
    if report.get("banking77_variant"):
        v = report["banking77_variant"]
        lines.append(
            f"BANKING77 77-way variant (comparison, not shipped): accuracy {pct(v['accuracy'])}, "
            f"recall {pct(v['recall'])}, false escalation {pct(v['false_escalation'])}"
        )
    lines.append(f"{report['seconds']:.0f} s in all")
    return "\n".join(lines)
