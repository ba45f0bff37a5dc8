"""Labelled example messages the policy classifier learns from.

The assistant's own examples live beside this module (`examples/*.jsonl`, one
`{"text": ..., "label": ...}` object per line) and are versioned with the code. Operators can
add their own messages (`KB_POLICY_EXTRA_EXAMPLES`, CSV or JSONL with `text` and `label`), so
the classifier learns their customers' wording without a code change.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb_assistant.core.decisions import POLICY_CLASSES, PolicyClass
from kb_assistant.jsonl import json_objects
from kb_assistant.settings import ConfigurationError

EXAMPLES_DIR = Path(__file__).with_name("examples")
_REQUIRED = ("text", "label")


@dataclass(frozen=True)
class Example:
    """One labelled customer message."""

    text: str
    label: PolicyClass


def load_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """Every example in the `*.jsonl` files of `folder`, in file-name order."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise ConfigurationError(f"no policy examples (*.jsonl) found in {folder}")
    examples: list[Example] = []
    for file in files:
        examples.extend(read_examples(file))
    return examples


def read_examples(path: Path) -> list[Example]:
    """Examples from a CSV or JSONL file with `text` and `label`; other columns are ignored.

    Every problem (missing file, missing column, unknown label, empty text) is a
    `ConfigurationError` naming the file and line, so an operator can fix it.
    """
    if not path.is_file():
        raise ConfigurationError(
            f"policy examples file {path} does not exist; check KB_POLICY_EXTRA_EXAMPLES"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = list(_csv_rows(path))
        elif suffix in (".jsonl", ".ndjson"):
            rows = list(_jsonl_rows(path))
        else:
            raise ConfigurationError(
                f"policy examples file {path} must be .csv or .jsonl (got {suffix or 'none'})"
            )
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read policy examples file {path}: {exc}") from exc
    return _validated(rows, path)


def _csv_rows(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in _REQUIRED if c not in columns]
        if missing:
            raise ConfigurationError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must name "
                f"`text` and `label` (found: {', '.join(columns) or 'no header'})"
            )
        for row in reader:
            yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}


def _jsonl_rows(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    return json_objects(path, ConfigurationError)


def _validated(rows: Sequence[tuple[int, dict[str, object]]], path: Path) -> list[Example]:
    examples: list[Example] = []
    unknown: list[str] = []
    for number, row in rows:
        missing = [key for key in _REQUIRED if key not in row]
        if missing:
            raise ConfigurationError(f"{path}:{number}: missing {', '.join(missing)}")
        text, label = row["text"], row["label"]
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError(f"{path}:{number}: `text` must be a non-empty string")
        label = label.strip() if isinstance(label, str) else label
        if label not in POLICY_CLASSES:
            unknown.append(f"line {number}: {label!r}")
            continue
        examples.append(Example(text.strip(), label))
    if unknown:
        shown = "; ".join(unknown[:5]) + (
            f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
        )
        raise ConfigurationError(
            f"{path}: unknown label(s) {shown}; use one of {', '.join(POLICY_CLASSES)}"
        )
    if not examples:
        raise ConfigurationError(f"{path}: no examples found")
    return examples
