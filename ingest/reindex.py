"""Re-index jobs: incremental runs on the live version, full rebuilds as new versions.

A job holds the index lease from start to end, so only one job writes at a time. It first
cleans up after jobs that died (a version left `building` is deleted and recorded as
failed; an interrupted incremental run is repaired by the pipeline's own reconciliation).

- **Incremental** (the default): the sources are read into the live version in place;
  unchanged documents are skipped, so the time follows the change, not the corpus.
- **Full** (`--full`, or when nothing is live yet): a new version is built beside the live
  one, which keeps serving. The new version is checked (every chunk in the manifest has its
  vector and no vector is unlisted), then the quality gate compares its recall@k on the
  golden questions with the live version's. A refused version stays for inspection and is
  never served; an accepted one becomes live in one transaction. Old versions beyond the
  configured number are deleted.

Nothing a job does can damage the live version: a full rebuild never writes it, and a crash
at any moment leaves at most an unfinished version that the next job deletes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.gate import GateResult, GoldenQuestion, Search, load_golden, run_gate
from ingest.pipeline import IngestPipeline, SourceSpec
from ingest.report import IngestReport
from ingest.sources import SourcesConfig
from kb_assistant.domain import VISIBILITIES
from kb_assistant.index.lease import HeldLease, IndexLease
from kb_assistant.index.versions import IndexVersion, VersionRegistry

log = logging.getLogger(__name__)

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
class VersionHooks:
    """What a job needs from the outside world, built by the composition root."""

    registry: VersionRegistry
    lease: IndexLease
    pipeline_for: Callable[[IndexVersion], IngestPipeline]
    search_for: Callable[[IndexVersion], Search]
    check: Callable[[IndexVersion, bool], Consistency]  # (version, compare ids in full)
    drop: Callable[[IndexVersion], None]
    keep_versions: int = 3
    extra_sources: Sequence[SourceSpec] = ()
    close: Callable[[], None] | None = None  # release what the hooks hold (Ray actors)


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
    seconds: float = 0.0

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
            "gate": None if self.gate is None else self.gate.as_json(),
            "consistency": None if self.consistency is None else self.consistency.as_json(),
            "recovered": self.recovered,
            "pruned": self.pruned,
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
        return "\n".join(line for line in lines if line)


class ReindexJob:
    """Runs one re-index job with the given hooks."""

    def __init__(self, hooks: VersionHooks) -> None:
        self.hooks = hooks

    def run(self, config: SourcesConfig, *, full: bool = False) -> ReindexReport:
        """Run the job; raises `LeaseHeldError` when another job is writing."""
        started = time.monotonic()
        golden = _golden(config)  # a bad golden file is a config error before any work
        with self.hooks.lease.hold(f"kb-assistant reindex {config.path.name}") as held:
            recovered = self.recover()
            live = self.hooks.registry.live()
            specs = [*config.sources, *self.hooks.extra_sources]
            if full or live is None:
                report = self._full(config, specs, live, golden, held)
            else:
                report = self._incremental(specs, live, held)
            report.recovered = recovered
            if report.mode == "full":
                report.pruned = self.prune(config.keep_versions or self.hooks.keep_versions)
        report.seconds = time.monotonic() - started
        return report

    def close(self) -> None:
        """Release what the job's hooks hold (the embedding actors on Ray)."""
        if self.hooks.close is not None:
            self.hooks.close()

    def recover(self) -> list[str]:
        """Delete versions whose job stopped while building them (call holding the lease)."""
        cleaned = []
        for version in self.hooks.registry.abandoned():
            log.warning("deleting %s, left unfinished by a job that stopped", version.name)
            self.hooks.drop(version)
            self.hooks.registry.finish(
                version.id, "failed", note="unfinished: the job building it stopped; deleted"
            )
            cleaned.append(version.name)
        return cleaned

    def prune(self, keep: int) -> list[str]:
        """Delete the data of versions beyond the `keep` newest besides the live one."""
        registry = self.hooks.registry
        live_id = registry.live_id()
        others = [v for v in registry.all() if v.id != live_id and v.state != "building"]
        pruned = []
        for version in others[keep:]:
            # Out of the rollback targets first: a job killed mid-deletion leaves a failed
            # version, which the next prune deletes again, never a retired one without data.
            registry.finish(version.id, "failed", note="being deleted: older than kept")
            self.hooks.drop(version)
            registry.forget(version.id)
            pruned.append(version.name)
        return pruned

    def _incremental(
        self, specs: Sequence[SourceSpec], live: IndexVersion, held: HeldLease
    ) -> ReindexReport:
        ingest = self.hooks.pipeline_for(live).run_sources(specs, between=held.check)
        consistency = self.hooks.check(live, False)  # counts: cheap at any corpus size
        self.hooks.registry.record_counts(live.id, consistency.vectors)
        report = ReindexReport(
            mode="incremental",
            version=live.name,
            live_before=live.name,
            live_after=live.name,
            ingest=ingest,
            consistency=consistency,
        )
        report.exit_code = EXIT_DOCUMENT_FAILURES if ingest.failed else EXIT_OK
        report.message = f"Updated the live version {live.name} in place." + _failed(ingest)
        return report

    def _full(
        self,
        config: SourcesConfig,
        specs: Sequence[SourceSpec],
        live: IndexVersion | None,
        golden: list[GoldenQuestion] | None,
        held: HeldLease,
    ) -> ReindexReport:
        registry = self.hooks.registry
        version = registry.create("full")
        report = ReindexReport(
            mode="full",
            version=version.name,
            live_before=None if live is None else live.name,
            live_after=None if live is None else live.name,
        )
        try:
            report.ingest = self.hooks.pipeline_for(version).run_sources(specs, between=held.check)
            report.consistency = self.hooks.check(version, True)
            if not report.consistency.ok:
                raise RuntimeError(
                    f"{version.name} is inconsistent after building: {report.consistency.as_json()}"
                )
        except BaseException as error:  # a crash leaves "building" rows; this is a clean failure
            self.hooks.drop(version)
            registry.finish(version.id, "failed", note=f"{type(error).__name__}: {error}"[:2000])
            raise
        chunks = report.consistency.vectors
        refusal = self._gate(config, golden, version, live, report)
        if refusal is not None:
            registry.finish(
                version.id, "refused", chunks=chunks, gate=_gate_json(report), note=refusal
            )
            report.exit_code, report.message = (
                EXIT_GATE_REFUSED,
                (
                    f"Refused {version.name}: {refusal}. The live version "
                    f"{report.live_before or '(none)'} keeps serving."
                ),
            )
            return report
        registry.finish(version.id, "ready", chunks=chunks, gate=_gate_json(report))
        held.check()
        registry.switch(version.id)
        report.switched, report.live_after = True, version.name
        report.exit_code = EXIT_DOCUMENT_FAILURES if report.ingest.failed else EXIT_OK
        report.message = (
            f"Built {version.name} ({sum(chunks.values())} chunks) and made it live"
            f"{' in place of ' + live.name if live else ''}." + _failed(report.ingest)
        )
        return report

    def _gate(
        self,
        config: SourcesConfig,
        golden: list[GoldenQuestion] | None,
        version: IndexVersion,
        live: IndexVersion | None,
        report: ReindexReport,
    ) -> str | None:
        """Why the new version must not go live, or None."""
        built = sum((report.consistency.vectors if report.consistency else {}).values())
        if live is not None and built == 0 and sum(live.chunks.values()) > 0:
            return "the rebuild holds no chunks at all while the live version has some"
        if golden is None:
            return None
        gate = config.gate
        report.gate = run_gate(
            golden,
            self.hooks.search_for(version),
            None if live is None else self.hooks.search_for(live),
            k=gate.k,
            max_recall_drop=gate.max_recall_drop,
            min_recall=gate.min_recall,
        )
        return None if report.gate.passed else report.gate.reason


def _golden(config: SourcesConfig) -> list[GoldenQuestion] | None:
    path = config.gate.golden_questions
    return None if path is None else load_golden(path)


def _gate_json(report: ReindexReport) -> dict[str, Any] | None:
    return None if report.gate is None else report.gate.as_json()


def _failed(ingest: IngestReport) -> str:
    if not ingest.failed:
        return ""
    return f" {ingest.failed} document(s) could not be read; the rest are in (see the errors)."


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
