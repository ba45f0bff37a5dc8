"""What a re-index job reports: its exit code, the consistency of the version it wrote, and
everything else a person or a scheduler reads (`to_text`, `to_json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.gate import GateResult
from ingest.report import IngestReport
from ingest.shrink import shrink_json
from kb_assistant.domain import VISIBILITIES

EXIT_OK = 0
EXIT_DOCUMENT_FAILURES = 1
EXIT_CONFIG = 2
EXIT_GATE_REFUSED = 3
EXIT_BUSY = 4


@dataclass(frozen=True)
class Consistency:
    """Vectors against the manifest's chunks, per visibility."""

    vectors: dict[str, int]
    listed: dict[str, int]
    orphans: dict[str, int]
    missing: dict[str, int]

    @property
    def ok(self) -> bool:
        return not any(self.orphans.values()) and not any(self.missing.values())

    def as_json(self) -> dict[str, Any]:
        return {
            vis: {
                "vectors": self.vectors[vis],
                "manifest_chunks": self.listed[vis],
                "orphan_vectors": self.orphans[vis],
                "missing_vectors": self.missing[vis],
            }
            for vis in self.vectors
        }


@dataclass
class ReindexReport:
    """What a job did, for people (`to_text`) and for cron and monitoring (`to_json`)."""

    mode: str
    exit_code: int = EXIT_OK
    message: str = ""
    version: str | None = None
    live_before: str | None = None
    live_after: str | None = None
    switched: bool = False
    ingest: IngestReport | None = None
    gate: GateResult | None = None
    consistency: Consistency | None = None
    recovered: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    removed_folders: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # The knowledge-base health summary after the job (`kb_assistant.composition.health`):
    # counts of contradictions (and new ones), duplicates and unreadable pages.
    health: dict[str, Any] | None = None
    health_line: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "exit_code": self.exit_code,
            "message": self.message,
            "version": self.version,
            "live_before": self.live_before,
            "live_after": self.live_after,
            "switched": self.switched,
            "ingest": None if self.ingest is None else self.ingest.to_json(),
            "shrink_refused": [] if self.ingest is None else shrink_json(self.ingest),
            "gate": None if self.gate is None else self.gate.as_json(),
            "consistency": None if self.consistency is None else self.consistency.as_json(),
            "recovered": self.recovered,
            "pruned": self.pruned,
            "removed_folders": self.removed_folders,
            "health": self.health,
            "seconds": round(self.seconds, 3),
        }

    def to_text(self) -> str:
        lines = [self.message]
        if self.ingest is not None:
            lines.append(self.ingest.to_text())
        if self.gate is not None:
            lines.append(f"Quality gate: {self.gate.reason}")
            for miss in self.gate.new.misses[:5]:
                lines.append(f"  not found in the top {self.gate.k}: {miss}")
        if self.recovered:
            lines.append(f"Cleaned up after a job that stopped: {', '.join(self.recovered)}")
        if self.pruned:
            lines.append(f"Old versions deleted: {', '.join(self.pruned)}")
        if self.removed_folders:
            lines.append(
                f"Removed {len(self.removed_folders)} vector-index folders of deleted versions"
            )
        lines.append(self.health_line)
        return "\n".join(line for line in lines if line)


def check_consistency(vectors: Any, manifest: Any, full: bool = True) -> Consistency:
    """Compare a version's vectors with its manifest's chunks: every id when `full`, else
    the counts, falling back to every id for a visibility whose counts differ."""
    counts: dict[str, dict[str, int]] = {"vectors": {}, "listed": {}, "orphans": {}, "missing": {}}
    for visibility in VISIBILITIES:
        if not full:
            stored_count, listed_count = vectors.count(visibility), manifest.chunk_count(visibility)
            if stored_count == listed_count:
                counts["vectors"][visibility] = counts["listed"][visibility] = stored_count
                counts["orphans"][visibility] = counts["missing"][visibility] = 0
                continue
        stored, listed = vectors.ids(visibility), manifest.chunk_ids(visibility)
        counts["vectors"][visibility] = len(stored)
        counts["listed"][visibility] = len(listed)
        counts["orphans"][visibility] = len(stored - listed)
        counts["missing"][visibility] = len(listed - stored)
    return Consistency(**counts)
