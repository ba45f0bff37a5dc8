"""Where the shared evaluation datasets are, and small loaders for them.

The datasets are never copied into the project: they are read from `KB_EVAL_DATA`
(default: `../shared/data` beside the project).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class DatasetMissingError(FileNotFoundError):
    """The evaluation data is not where it was looked for."""


def eval_data_root(environ: dict[str, str] | None = None) -> Path:
    """The datasets folder: `KB_EVAL_DATA`, else `../shared/data` next to the project."""
    env = os.environ if environ is None else environ
    root = Path(env.get("KB_EVAL_DATA") or PROJECT_ROOT.parent / "shared" / "data")
    if not root.is_dir():
        raise DatasetMissingError(
            f"evaluation data not found at {root}; set KB_EVAL_DATA to the datasets folder"
        )
    return root


def shared_pdfs(root: Path) -> list[Path]:
    return sorted((root / "pdfs").glob("*.pdf"))


def stackfaq_faqs(root: Path) -> Path:
    return root / "stackfaq" / "faqs.jsonl"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def stackfaq_queries(root: Path) -> list[tuple[str, str]]:
    """(query, gold FAQ id) pairs: human rephrasings of each FAQ's question."""
    return [(q["query"], q["gold_faq_id"]) for q in read_jsonl(root / "stackfaq" / "queries.jsonl")]
