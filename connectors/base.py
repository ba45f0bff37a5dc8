"""The connector contract: turn one source file into documents plus per-document failures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kb_assistant.core.errors import UsageError
from kb_assistant.domain import Kind, LoadResult, Visibility


class ConnectorError(UsageError):
    """A whole file could not be read; the message says why and what to do."""


@dataclass(frozen=True)
class ConnectorOptions:
    """Knobs shared by the connectors (from `Settings` or the command line)."""

    encoding: str = "utf-8"
    faq_question_field: str | None = None
    faq_answer_field: str | None = None
    faq_id_field: str | None = None
    faq_url_field: str | None = None


class Connector(Protocol):
    """Reads one kind of source file.

    `load` never raises for bad content: problems come back as `LoadResult.failures`
    so that one bad file (or row) never aborts a batch.
    """

    kind: Kind

    def can_read(self, path: Path) -> bool:
        """Whether this connector understands the file (by extension and a cheap sniff)."""
        ...

    def load(self, path: Path, visibility: Visibility | None = None) -> LoadResult:
        """Read the file; `visibility` overrides the connector's default."""
        ...
