"""Calibrate the verifier's support thresholds on data: `python -m eval.calibrate_support`.

Positives (a statement and the passage it came from):
- sentences of the demo FAQ answers against their own entry;
- gold answer sentences of the E-Manual QA set against their gold manual section (exact title
  matches of the leaf section only), as the chunk a composer would cite;
- lightly reworded versions of both (a clause dropped, common words swapped);
- two consecutive sentences of a passage merged into one, as a rewriter shortens steps.
Negatives (a statement and a passage that does not back it):
- each original positive against the most similar *other* passage of its corpus (hard
  negatives; passages sharing a run of five words with it are skipped as duplicates);
- hand-written plausible-but-unsupported customer-service sentences
  (`eval/questions/support_negatives.jsonl`) against the demo passage each would cite.
The thresholds chosen keep false support at most `TARGET` on every negative set while
maximising the mean recall over the positive sets; the result is written to
`kb_assistant/verify/support_calibration.json`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np

from connectors import ConnectorOptions, read_sources
from eval.datasets import PROJECT_ROOT, eval_data_root, read_jsonl
from ingest.chunking import Chunker
from kb_assistant.composition import build_embedder
from kb_assistant.domain import Document, Kind, Section
from kb_assistant.ports import Embedder
from kb_assistant.settings import Settings
from kb_assistant.verify.leaks import ngrams
from kb_assistant.verify.support import (
    CALIBRATION_FILE,
    SentenceVectors,
    max_cosine,
    passage_sentences,
    token_recall,
    unsupported_numbers,
)

NEGATIVES_FILE = PROJECT_ROOT / "eval" / "questions" / "support_negatives.jsonl"
TARGET = 0.05
RECALL_GRID = [round(0.30 + 0.025 * i, 3) for i in range(29)]  # 0.30 .. 1.00
COSINE_GRID = [round(0.50 + 0.01 * i, 2) for i in range(51)]  # 0.50 .. 1.00


# Light rewording: the kind of change a careful rewriter makes to a sentence.
_SWAPS = (
    *(("select", "choose"), ("contact us", "get in touch with us"), ("usually", "normally")),
    *(("within", "in"), ("you can", "you are able to"), ("items", "products")),
    *(("receive", "get"), ("need to", "have to"), ("press", "push"), ("displays", "shows")),
    *(("appears", "is shown"), ("however", "but"), ("please", ""), ("the following", "these")),
)
_CONDITIONAL = ("if ", "when ", "once ", "after ", "before ", "for ", "to ")


@dataclass(frozen=True)
class Pair:
    """A statement and the passage it is checked against."""

    statement: str
    passage: str


@dataclass(frozen=True)
class LabelledSet:
    name: str
    positive: bool
    pairs: list[Pair]


def reword(sentence: str) -> str | None:
    """The sentence with a clause dropped and common words swapped, or None if unchanged."""
    clauses = sentence.rstrip(".").split(", ")
    if len(clauses) > 1 and clauses[0].lower().startswith(_CONDITIONAL):
        clauses = clauses[1:]
    elif len(clauses) > 1 and len(clauses[-1].split()) >= 3:
        clauses = clauses[:-1]
    text = ", ".join(clauses)
    for old, new in _SWAPS:  # lower case only: "Select" may name a button
        text = re.sub(rf"\b{old}\b ?", f"{new} " if new else "", text)
        if text.startswith(old.capitalize()):
            text = new.capitalize() + text[len(old) :]
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:] + "."
    return text if text != sentence and len(text.split()) >= 4 else None


def _statements(text: str) -> list[str]:
    """Sentences worth checking (at least four words); of a FAQ entry, its answer only."""
    answer = text.split("\nA:", 1)[-1]
    return [s for s in passage_sentences(answer) if len(s.split()) >= 4]


def merged(pairs: list[Pair]) -> list[Pair]:
    """Consecutive sentences of each passage joined in twos ("A, and b")."""
    found = []
    for passage in dict.fromkeys(p.passage for p in pairs):
        sentences = _statements(passage)
        for first, second in zip(sentences[::2], sentences[1::2], strict=False):
            text = f"{first.rstrip('.')}, and {second[:1].lower()}{second[1:]}"
            found.append(Pair(text, passage))
    return found


def _chunks(docs: list[Document], chunker: Chunker) -> list[tuple[str, str]]:
    """(title, text) of every chunk of the documents."""
    return [(doc.title, chunk.text) for doc in docs for chunk in chunker.chunk(doc, 1)]


def _read(path: Path, kind: Kind) -> list[Document]:
    results = read_sources([path], kind, "public", ConnectorOptions())
    return [doc for result in results for doc in result.documents]


def hard_negatives(
    name: str, pairs: list[Pair], pool: list[str], vectors: SentenceVectors
) -> LabelledSet:
    """Each statement against the most similar passage of `pool` that is not its own.

    Passages sharing a run of five words with the statement are duplicates, not negatives.
    """
    owners, sentences = [], []
    for index, passage in enumerate(pool):
        for sentence in passage_sentences(passage):
            owners.append(index)
            sentences.append(sentence)
    found = vectors.vectors(sentences + [p.statement for p in pairs])
    matrix = np.stack([found[s] for s in sentences])
    owner = np.array(owners)
    chosen = []
    for pair in pairs:
        similarity = np.full(len(pool), -1.0)
        np.maximum.at(similarity, owner, matrix @ found[pair.statement])
        grams = ngrams(pair.statement, 5)
        for index in np.argsort(-similarity):
            passage = pool[index]
            if passage != pair.passage and not grams & ngrams(passage, 5):
                chosen.append(Pair(pair.statement, passage))
                break
    return LabelledSet(name, False, chosen)


def demo_sets(kb_root: Path, chunker: Chunker, vectors: SentenceVectors) -> list[LabelledSet]:
    """Demo FAQ positives (original, reworded), hard negatives and the hand-written ones."""
    faqs = _read(kb_root / "faq", "faq")
    originals = [Pair(s, d.text) for d in faqs for s in _statements(d.text)]
    reworded = [Pair(r, p.passage) for p in originals if (r := reword(p.statement))]
    passages = {d.title: [d.text] for d in faqs}
    for title, text in _chunks(_read(kb_root / "manuals", "pdf"), chunker):
        passages.setdefault(title, []).append(text)
    written = []
    for row in read_jsonl(NEGATIVES_FILE):
        candidates = passages[row["cites"]]
        anchor = row.get("anchor", "")
        written.append(Pair(row["text"], next(t for t in candidates if anchor in t)))
    return [
        LabelledSet("faq", True, originals),
        LabelledSet("faq_reworded", True, reworded),
        LabelledSet("faq_merged", True, merged(originals)),
        hard_negatives("faq_hard_negatives", originals, [d.text for d in faqs], vectors),
        LabelledSet("handwritten_negatives", False, written),
    ]


def emanual_sets(data_root: Path, chunker: Chunker, vectors: SentenceVectors) -> list[LabelledSet]:
    """E-Manual QA gold answer sentences against their gold section's best chunk."""
    folder = data_root / "emanual_qa"
    sections = {
        row["section_id"]: row for row in read_jsonl(folder / "smart_tv_manual_sections.jsonl")
    }
    chunks: dict[str, list[str]] = {}
    for key, row in sections.items():
        doc = Document(key, row["title"], [Section(row["text"])], "pdf", "public", key, key)
        chunks[key] = [chunk.text for chunk in chunker.chunk(doc, 1)]
    seen: set[tuple[str, str]] = set()
    originals = []
    for qa in read_jsonl(folder / "smart_tv_qa.jsonl"):
        if qa["gold_match"] != "exact_title_level-0":
            continue
        gold = [text for key in qa["gold_section_ids"] for text in chunks[key]]
        for sentence in _statements(qa["answer"]):
            best = max(gold, key=partial(token_recall, sentence))
            if (sentence, best) not in seen:
                seen.add((sentence, best))
                originals.append(Pair(sentence, best))
    reworded = [Pair(r, p.passage) for p in originals if (r := reword(p.statement))]
    pool = [text for texts in chunks.values() for text in texts]
    return [
        LabelledSet("emanual", True, originals),
        LabelledSet("emanual_reworded", True, reworded),
        LabelledSet("emanual_merged", True, merged(originals)),
        hard_negatives("emanual_hard_negatives", originals, pool, vectors),
    ]


@dataclass(frozen=True)
class Scores:
    """Per pair: token recall, best sentence cosine, and whether the numbers check passes."""

    recall: np.ndarray
    cosine: np.ndarray
    numbers_ok: np.ndarray

    def supported(self, min_recall: float, min_cosine: float, numbers: bool = True) -> np.ndarray:
        passed = (self.recall >= min_recall) | (self.cosine >= min_cosine)
        return passed & self.numbers_ok if numbers else passed


def score(pairs: list[Pair], vectors: SentenceVectors) -> Scores:
    """The support signals of every pair, embedding all texts in one batch."""
    sentences = {p.passage: passage_sentences(p.passage) for p in pairs}
    batch = [p.statement for p in pairs] + [s for found in sentences.values() for s in found]
    found = vectors.vectors(batch)
    cosine = [
        max_cosine(found[p.statement], [found[s] for s in sentences[p.passage]]) for p in pairs
    ]
    return Scores(
        recall=np.array([token_recall(p.statement, p.passage) for p in pairs]),
        cosine=np.array(cosine),
        numbers_ok=np.array([not unsupported_numbers(p.statement, [p.passage]) for p in pairs]),
    )


def choose(
    positives: dict[str, Scores], negatives: dict[str, Scores]
) -> tuple[float, float, float]:
    """Thresholds with false support <= TARGET on each negative set and the best mean recall.

    Ties go to the stricter thresholds (higher cosine, then higher recall).
    """
    best: tuple[float, float, float] | None = None
    for min_recall in RECALL_GRID:
        for min_cosine in COSINE_GRID:
            worst = max(
                float(s.supported(min_recall, min_cosine).mean()) for s in negatives.values()
            )
            if worst > TARGET:
                continue
            mean = float(
                np.mean([s.supported(min_recall, min_cosine).mean() for s in positives.values()])
            )
            candidate = (mean, min_cosine, min_recall)
            if best is None or candidate > best:
                best = candidate
    if best is None:
        raise RuntimeError(f"no thresholds keep false support under {TARGET:.0%}")
    mean, min_cosine, min_recall = best
    return min_recall, min_cosine, mean


def rates(sets: dict[str, Scores], min_recall: float, min_cosine: float) -> dict[str, object]:
    """Share judged supported per set, with and without the numbers rule."""
    return {
        name: {
            "supported": round(float(s.supported(min_recall, min_cosine).mean()), 4),
            "supported_without_numbers_rule": round(
                float(s.supported(min_recall, min_cosine, numbers=False).mean()), 4
            ),
        }
        for name, s in sets.items()
    }


def calibrate(
    embedder: Embedder, settings: Settings, data_root: Path, kb_root: Path
) -> dict[str, object]:
    """Build the labelled sets, score them and choose the thresholds; the report as a dict."""
    vectors = SentenceVectors(embedder, capacity=1_000_000)
    chunker = Chunker(
        embedder.tokenize,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_tokens=embedder.max_tokens,
    )
    sets = demo_sets(kb_root, chunker, vectors) + emanual_sets(data_root, chunker, vectors)
    scored = {s.name: score(s.pairs, vectors) for s in sets}
    positives = {s.name: scored[s.name] for s in sets if s.positive}
    negatives = {s.name: scored[s.name] for s in sets if not s.positive}
    min_recall, min_cosine, mean_recall = choose(positives, negatives)
    return {
        "min_token_recall": min_recall,
        "min_cosine": min_cosine,
        "target_false_support": TARGET,
        "mean_recall": round(mean_recall, 4),
        "model": embedder.model_id,
        "date": datetime.now(UTC).date().isoformat(),
        "sizes": {s.name: len(s.pairs) for s in sets},
        "recall": rates(positives, min_recall, min_cosine),
        "false_support": rates(negatives, min_recall, min_cosine),
        "method": __doc__.split("\n\n", 1)[1].strip() if __doc__ else "",
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    report = calibrate(
        build_embedder(settings), settings, eval_data_root(), PROJECT_ROOT / "demo" / "kb"
    )
    CALIBRATION_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "method"}, indent=2))
    print(f"written to {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
