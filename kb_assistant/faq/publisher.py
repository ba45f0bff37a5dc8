"""Publishing approved FAQ drafts: the agents' FAQ file, then the index.

Approved entries are kept in one JSON Lines file (`KB_AGENT_FAQ_PATH`, by default
`<data_dir>/agent-faq.jsonl`), a FAQ source like any other: people can read it, back it up
and re-index it, and a full rebuild of the index picks it up again. Publishing writes the
entry to the file (atomically: a crash leaves the old file or the new one) and runs the
ingestion pipeline on that file alone, as a `public` FAQ; unchanged entries are skipped, so
only the new entry is embedded and the keyword index is rebuilt once.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.text_io import source_of
from ingest.pipeline import IngestPipeline
from kb_assistant.core.errors import ConflictError
from kb_assistant.faq.drafts import FaqDraft, FaqError

AGENT_FAQ_CATEGORY = "Answers from our support team"


class FaqPublishError(FaqError, ConflictError):
    """The entry could not be indexed; the message says why and the draft stays approved."""


@dataclass(frozen=True)
class FaqFields:
    """The field names the JSON FAQ reader is configured to read (`KB_FAQ_*_FIELD`)."""

    question: str = "question"
    answer: str = "answer"
    id: str = "id"


class AgentFaqFile:
    """The JSON Lines file of FAQ entries that agents approved."""

    def __init__(self, path: Path, fields: FaqFields | None = None) -> None:
        self.path = path
        self.fields = fields or FaqFields()

    @staticmethod
    def key(draft: FaqDraft) -> str:
        """The entry's id in the file: its case's, or the draft's when it has no case."""
        return f"case-{draft.case_id}" if draft.case_id is not None else f"draft-{draft.id}"

    def doc_id(self, draft: FaqDraft) -> str:
        """The id the FAQ reader gives the entry's document."""
        return f"faq:{source_of(self.path)}#{self.key(draft)}"

    def put(self, draft: FaqDraft) -> None:
        """Add the draft's entry, or replace the entry of the same case; atomic."""
        record = self._record(draft)
        lines, replaced = [], False
        for line in self._lines():
            if _record_id(line, self.fields.id) == record[self.fields.id]:
                line, replaced = json.dumps(record, ensure_ascii=False), True
            lines.append(line)
        if not replaced:
            lines.append(json.dumps(record, ensure_ascii=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def _record(self, draft: FaqDraft) -> dict[str, Any]:
        return {
            self.fields.id: self.key(draft),
            self.fields.question: draft.question,
            self.fields.answer: draft.answer,
            "category": AGENT_FAQ_CATEGORY,
            "approved_by": draft.approved_by,
            "approved_at": None if draft.approved_at is None else draft.approved_at.isoformat(),
            "case": draft.case_id,
        }

    def _lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]


def _record_id(line: str, field: str) -> object:
    """The id of a JSON Lines record, or None for a line that is not one (kept as it is)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get(field) if isinstance(record, dict) else None


class FaqPublisher:
    """Writes approved drafts to the agents' FAQ file and indexes it as public FAQs.

    `guard` is entered while the pipeline runs (the composition root holds the process's
    ingestion lock and the index lease there), so that two runs never write the index at
    once; an error from it (another job is writing) fails this publication, which can be
    tried again.
    """

    def __init__(
        self,
        faq_file: AgentFaqFile,
        pipeline: Callable[[], IngestPipeline],
        guard: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.file = faq_file
        self._pipeline = pipeline
        lock = threading.Lock()
        self._guard = guard or (lambda: lock)

    def publish(self, draft: FaqDraft) -> str:
        """Index the approved draft; returns its document id, `FaqPublishError` on failure."""
        if draft.state == "draft" or not draft.approved_by:
            raise FaqPublishError(f"FAQ draft {draft.id} is not approved yet")
        with self._guard():
            self.file.put(draft)
            report = self._pipeline().run([self.file.path], kind="faq", visibility="public")
        errors = [f.error for f in report.failures if f.level == "error"]
        if errors:
            raise FaqPublishError(
                f"{self.file.path} could not be indexed ({'; '.join(errors)[:500]}); the entry "
                "is saved in the file and will be indexed once the file is fixed"
            )
        return self.file.doc_id(draft)
