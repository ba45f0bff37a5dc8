"""The result of an ingestion run, as people and cron jobs read it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from kb_assistant.domain import DocumentFailure

COUNT_KEYS = ("seen", "added", "updated", "unchanged", "deleted", "failed")


@dataclass
class IngestReport:
    """Counts of documents by outcome, chunks embedded, failures and duration."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_written: int = 0
    failures: list[DocumentFailure] = field(default_factory=list)
    redactions: Counter[str] = field(default_factory=Counter)
    stage_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    seconds: float = 0.0
    run_id: int = 0

    @property
    def failed(self) -> int:
        return sum(1 for f in self.failures if f.level == "error")

    @property
    def counts(self) -> dict[str, int]:
        return {key: int(getattr(self, key)) for key in COUNT_KEYS}

    @property
    def exit_code(self) -> int:
        """0 when everything went in, 1 when some documents failed (the rest are in)."""
        return 1 if self.failed else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.counts,
            "chunks_embedded": self.chunks_embedded,
            "chunks_reused": self.chunks_reused,
            "errors": [
                {"source": f.source, "error": f.error, "level": f.level} for f in self.failures
            ],
            "redactions": dict(sorted(self.redactions.items())),
            "stage_seconds": {k: round(v, 3) for k, v in sorted(self.stage_seconds.items())},
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
        }

    def to_text(self) -> str:
        counts = self.counts
        lines = [
            "Documents: " + ", ".join(f"{counts[key]} {key}" for key in COUNT_KEYS),
            f"Chunks: {self.chunks_embedded} embedded, {self.chunks_reused} reused "
            f"from identical content",
            f"Time: {self.seconds:.1f} s",
        ]
        for failure in self.failures:
            lines.append(f"{failure.level}: {failure.source}: {failure.error}")
        return "\n".join(lines)
