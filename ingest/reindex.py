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

Both guard against sources that shrink by accident (`ingest.shrink`): an incremental run keeps
the entries of a file or source that would lose too many, a rebuild whose sources hold too
few entries compared with the live version is refused; `allow_shrink` lets the loss through.

Nothing a job does can damage the live version: a full rebuild never writes it, and a crash
at any moment leaves at most an unfinished version that the next job deletes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.gate import GoldenQuestion, Search, load_golden, run_gate
from ingest.pipeline import IngestPipeline, SourceSpec
from ingest.reindex_report import (
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_DOCUMENT_FAILURES,
    EXIT_GATE_REFUSED,
    EXIT_OK,
    Consistency,
    ReindexReport,
    check_consistency,
)
from ingest.report import IngestReport
from ingest.shrink import EXIT_SHRINK_REFUSED, ShrinkRefused, read_failures, refusals
from ingest.sources import SourcesConfig
from kb_assistant.index.lease import HeldLease, IndexLease
from kb_assistant.index.versions import IndexVersion, VersionRegistry
from kb_assistant.ports import Manifest

__all__ = [
    "EXIT_BUSY",
    "EXIT_CONFIG",
    "EXIT_DOCUMENT_FAILURES",
    "EXIT_GATE_REFUSED",
    "EXIT_OK",
    "EXIT_SHRINK_REFUSED",
    "Consistency",
    "ReindexJob",
    "ReindexReport",
    "VersionHooks",
    "check_consistency",
]

log = logging.getLogger(__name__)


@dataclass
class VersionHooks:
    """What a job needs from the outside world, built by the composition root."""

    registry: VersionRegistry
    lease: IndexLease
    pipeline_for: Callable[[IndexVersion], IngestPipeline]
    search_for: Callable[[IndexVersion], Search]
    check: Callable[[IndexVersion, bool], Consistency]  # (version, compare ids in full)
    drop: Callable[[IndexVersion], None]
    manifest_for: Callable[[IndexVersion], Manifest]  # what a version holds, to compare with
    keep_versions: int = 3
    extra_sources: Sequence[SourceSpec] = ()
    close: Callable[[], None] | None = None  # release what the hooks hold (Ray actors)
    tidy: Callable[[], list[str]] | None = None  # remove disk leftovers of deleted versions


class ReindexJob:
    """Runs one re-index job with the given hooks."""

    def __init__(self, hooks: VersionHooks) -> None:
        self.hooks = hooks

    def run(
        self, config: SourcesConfig, *, full: bool = False, allow_shrink: bool = False
    ) -> ReindexReport:
        """Run the job; raises `LeaseHeldError` when another job is writing. `allow_shrink`
        lets sources lose any share of their entries (see `ingest.shrink`)."""
        started = time.monotonic()
        golden = _golden(config)  # a bad golden file is a config error before any work
        with self.hooks.lease.hold(f"kb-assistant reindex {config.path.name}") as held:
            recovered = self.recover()
            live = self.hooks.registry.live()
            specs = [*config.sources, *self.hooks.extra_sources]
            if full or live is None:
                report = self._full(config, specs, live, golden, held, allow_shrink)
            else:
                report = self._incremental(specs, live, held, allow_shrink)
            report.recovered = recovered
            if report.mode == "full":
                report.pruned = self.prune(config.keep_versions or self.hooks.keep_versions)
            report.removed_folders = self.tidy()
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

    def tidy(self) -> list[str]:
        """Remove what deleted versions left on disk (call holding the lease); this also
        cleans up after versions deleted before such leftovers were removed."""
        removed = self.hooks.tidy() if self.hooks.tidy is not None else []
        if removed:
            log.info("removed %d vector-index folders of deleted versions", len(removed))
        return removed

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
        self, specs: Sequence[SourceSpec], live: IndexVersion, held: HeldLease, allow_shrink: bool
    ) -> ReindexReport:
        pipeline = self.hooks.pipeline_for(live)
        ingest = pipeline.run_sources(specs, between=held.check, allow_shrink=allow_shrink)
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
        report.exit_code = _exit_code(ingest)
        report.message = (
            f"Updated the live version {live.name} in place." + _failed(ingest) + _kept(ingest)
        )
        return report

    def _full(
        self,
        config: SourcesConfig,
        specs: Sequence[SourceSpec],
        live: IndexVersion | None,
        golden: list[GoldenQuestion] | None,
        held: HeldLease,
        allow_shrink: bool,
    ) -> ReindexReport:
        registry = self.hooks.registry
        version = registry.create("full")
        report = ReindexReport(
            mode="full",
            version=version.name,
            live_before=None if live is None else live.name,
            live_after=None if live is None else live.name,
        )
        baseline = None if live is None or allow_shrink else self.hooks.manifest_for(live)
        try:
            report.ingest = self.hooks.pipeline_for(version).run_sources(
                specs, between=held.check, allow_shrink=allow_shrink, baseline=baseline
            )
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
            code, reason = refusal
            registry.finish(
                version.id, "refused", chunks=chunks, gate=_gate_json(report), note=reason
            )
            report.exit_code, report.message = (
                code,
                (
                    f"Refused {version.name}: {reason}. The live version "
                    f"{report.live_before or '(none)'} keeps serving."
                ),
            )
            return report
        registry.finish(version.id, "ready", chunks=chunks, gate=_gate_json(report))
        held.check()
        registry.switch(version.id)
        report.switched, report.live_after = True, version.name
        report.exit_code = _exit_code(report.ingest)
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
    ) -> tuple[int, str] | None:
        """Why the new version must not go live (with the job's exit code), or None."""
        shrunk = [] if report.ingest is None else refusals(report.ingest)
        if shrunk:
            return EXIT_SHRINK_REFUSED, _shrink_reason(shrunk)
        built = sum((report.consistency.vectors if report.consistency else {}).values())
        if live is not None and built == 0 and sum(live.chunks.values()) > 0:
            reason = "the rebuild holds no chunks at all while the live version has some"
            return EXIT_GATE_REFUSED, reason
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
        return None if report.gate.passed else (EXIT_GATE_REFUSED, report.gate.reason)


def _golden(config: SourcesConfig) -> list[GoldenQuestion] | None:
    path = config.gate.golden_questions
    return None if path is None else load_golden(path)


def _gate_json(report: ReindexReport) -> dict[str, Any] | None:
    return None if report.gate is None else report.gate.as_json()


def _exit_code(ingest: IngestReport) -> int:
    """5 when a shrink was refused, 1 when documents could not be read, else 0."""
    if refusals(ingest):
        return EXIT_SHRINK_REFUSED
    return EXIT_DOCUMENT_FAILURES if read_failures(ingest) else EXIT_OK


def _failed(ingest: IngestReport) -> str:
    failed = read_failures(ingest)
    if not failed:
        return ""
    return f" {failed} document(s) could not be read; the rest are in (see the errors)."


def _kept(ingest: IngestReport) -> str:
    held = refusals(ingest)
    if not held:
        return ""
    return (
        f" Kept the entries of {len(held)} file(s) or source(s) that would have lost more "
        "than allowed (see the errors); if that loss is intended, run again with --allow-shrink."
    )


def _shrink_reason(shrunk: list[ShrinkRefused]) -> str:
    """One line naming what shrank, for the message and the version's note."""
    listed = "; ".join(f"{r.source}: {r.before} → {r.after} entries" for r in shrunk[:5])
    more = f" and {len(shrunk) - 5} more" if len(shrunk) > 5 else ""
    return (
        f"its sources hold too few entries compared with the live version ({listed}{more}); "
        "if that loss is intended, run again with --allow-shrink"
    )
