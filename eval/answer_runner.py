"""Answer a question file over one knowledge base and write what the assistant replied.

Run as a script inside a checkout (`python answer_runner.py --kb demo --questions Q --out O`):
it imports that checkout's product, so the same runner measures the current pipeline and an
earlier revision of it (`eval.customer_eval` copies it into a worktree of that revision). It
therefore uses only long-standing entry points: `build_answer_service`, `AnswerService.answer`,
`index_demo` and `build_product_index`.

Knowledge bases: `demo` (the bundled one), and from the shared data folder `emanual`,
`stackfaq` and `abcd` (the ABCD guideline passages, one document each); `--drop UNITS` leaves
units out of the index, so questions about them become questions it does not cover.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def abcd_dataset(root: Path) -> Any:
    """The ABCD guideline passages as public documents, one per subflow."""
    from eval.retrieval_corpora import Dataset
    from kb_assistant.domain import Document, Section

    path = root / "abcd_kb" / "guidelines_passages.jsonl"
    documents = [
        Document(
            id=f"abcd:{row['passage_id']}",
            title=f"{row['flow']}: {row['subflow']}",
            sections=[Section(row["text"])],
            kind="pdf",
            visibility="public",
            source=str(path),
            location=f"guidelines › {row['flow']} › {row['subflow']}",
            metadata={"unit": row["passage_id"]},
        )
        for row in _read_jsonl(path)
    ]
    return Dataset("abcd", "ABCD guidelines", documents, [], "unit")


def shared_dataset(name: str, root: Path) -> Any:
    from connectors import ConnectorOptions
    from eval.retrieval_corpora import load_emanual, load_stackfaq

    if name == "emanual":
        return load_emanual(root)
    if name == "stackfaq":
        return load_stackfaq(root, ConnectorOptions())
    return abcd_dataset(root)


def unit_of(document: Any, unit_key: str) -> str:
    return str(document.metadata.get(unit_key, ""))


def build_service(
    kb: str, root: Path, drop: set[str], data_dir: Path, calibrate_on: Path | None = None
) -> tuple[Any, dict[str, str]]:
    """The answer service over the knowledge base, and each indexed title's unit; with
    `calibrate_on` (labelled questions), the gate is first fitted to this index and model."""
    from kb_assistant.composition import build_answer_service, build_embedder, configure_process
    from kb_assistant.settings import Settings

    settings = Settings(data_dir=data_dir, database_url="")
    configure_process(settings)
    embedder = build_embedder(settings)
    titles: dict[str, str] = {}
    if kb == "demo":
        from eval.calibrate_gate import index_demo

        index_demo(settings, embedder)
    else:
        from eval.retrieval_corpora import Dataset, build_product_index

        dataset = shared_dataset(kb, root)
        kept = [d for d in dataset.documents if unit_of(d, dataset.unit_key) not in drop]
        subset = Dataset(dataset.name, dataset.title, kept, [], dataset.unit_key)
        build_product_index(settings, embedder, subset)
        titles = {d.title: unit_of(d, dataset.unit_key) for d in kept}
    service = build_answer_service(settings, embedder=embedder)
    if calibrate_on is not None:
        from eval.calibrate_gate import Labelled, calibrate
        from kb_assistant.answering.gate import CALIBRATION_FILE

        labelled = [
            Labelled(
                row["question"], "customer", bool(row["answerable"]), frozenset(row["expected"])
            )
            for row in _read_jsonl(calibrate_on)
        ]
        calibrate(service, labelled, []).save(data_dir / CALIBRATION_FILE)
        service = build_answer_service(settings, embedder=embedder)
    return service, titles


def answer_all(service: Any, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        from kb_assistant.core.replies import AnswerRequest
    except ImportError:  # revisions before the shared vocabulary moved to `core`
        from kb_assistant.answering.types import AnswerRequest  # type: ignore[import-not-found,no-redef]

    service.answer(AnswerRequest("warm-up: how do I get in touch?", "customer"))
    rows = []
    for item in questions:
        started = time.perf_counter()
        answer = service.answer(AnswerRequest(item["question"], item.get("channel", "customer")))
        elapsed = time.perf_counter() - started
        rows.append(
            {
                "id": item["id"],
                "action": answer.action,
                "text": answer.text,
                "confidence": answer.confidence,
                "citations": [c.title for c in answer.citations],
                "retrieved": [p.title for p in answer.passages],
                "statements": [[s.kind, s.text] for s in answer.statements],
                "unsupported": sum(1 for r in answer.removed if r.check == "support"),
                "latency_s": elapsed,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", choices=("demo", "emanual", "stackfaq", "abcd"), required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--drop", type=Path, help="JSON list of units left out of the index")
    parser.add_argument(
        "--calibrate",
        type=Path,
        help="JSONL of {question, answerable, expected}: fit the gate on them first",
    )
    args = parser.parse_args(argv)
    drop = set(json.loads(args.drop.read_text())) if args.drop else set()
    questions = _read_jsonl(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        service, titles = build_service(args.kb, args.data, drop, Path(tmp), args.calibrate)
        indexed_s = time.perf_counter() - started
        rows = answer_all(service, questions)
    args.out.write_text(
        json.dumps({"index_s": indexed_s, "titles": titles, "answers": rows}) + "\n",
        encoding="utf-8",
    )
    print(
        f"{args.kb}: {len(rows)} answers in {sum(r['latency_s'] for r in rows):.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
