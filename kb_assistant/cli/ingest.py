"""`kb-assistant ingest` and `kb-assistant status`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)
from kb_assistant.domain import KINDS, VISIBILITIES
from kb_assistant.settings import Settings


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "ingest",
        help="index files or folders (incremental)",
        description="Read FAQs (Markdown, CSV, JSON/JSONL), PDFs and ticket exports "
        "(Zendesk JSON, CSV), redact personal data, and index them. Unchanged documents "
        "are skipped; documents gone from a path given again are removed, unless a file or "
        "folder would lose all its entries or more than KB_MAX_SHRINK of them (then they are "
        "kept, and the exit code is 5).",
        epilog="exit codes: 0 done, 1 some documents could not be read (the rest are in), 2 "
        "usage or configuration error, 4 another job is writing the index (nothing changed), "
        "5 a file or folder lost more entries than allowed (they were kept; the rest is in).",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or folder")
    parser.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        help="who may see these documents (default: public for FAQs and PDFs, "
        "internal for tickets)",
    )
    parser.add_argument("--kind", choices=KINDS, help="read every file as this kind")
    parser.add_argument("--full", action="store_true", help="forget the index and rebuild it")
    parser.add_argument(
        "--allow-shrink",
        action="store_true",
        help="let files and folders lose any share of their entries, all of them included "
        "(default: at most KB_MAX_SHRINK, and never all)",
    )
    parser.add_argument(
        "--encoding", default="utf-8", help="text encoding of CSV/JSON/Markdown files"
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_ingest)

    status = commands.add_parser(
        "status",
        help="what is indexed",
        description="Documents and chunks by kind and "
        "visibility, index sizes, and the last ingestion run.",
    )
    add_common_options(status)
    status.set_defaults(handler=run_status)


def run_ingest(args: argparse.Namespace) -> int:
    from ingest.progress import progress_for
    from ingest.shrink import exit_code, shrink_json
    from kb_assistant.composition import build_ingest_pipeline

    settings = load_settings(args)
    with translated_errors(), _writing(settings):
        pipeline = build_ingest_pipeline(
            settings, progress=progress_for(not args.json), encoding=args.encoding
        )
        report = pipeline.run(
            args.paths,
            kind=args.kind,
            visibility=args.visibility,
            full=args.full,
            allow_shrink=args.allow_shrink,
        )
        if args.full:
            _restore_agent_faq(pipeline, settings.resolved_agent_faq_path, args.paths, args.json)
    if args.json:
        print_json({**report.to_json(), "shrink_refused": shrink_json(report)})
    else:
        print(report.to_text())
    return exit_code(report)


@contextmanager
def _writing(settings: Settings) -> Iterator[None]:
    """Hold the index lease: one job writes at a time (exit code 4 when another one does)."""
    from kb_assistant.composition import writing_index
    from kb_assistant.index.lease import LeaseHeldError

    try:
        with writing_index(settings, "kb-assistant ingest"):
            yield
    except LeaseHeldError as error:
        raise CliError(str(error), 4) from None


def _restore_agent_faq(pipeline: Any, faq_file: Path, paths: list[Path], quiet: bool) -> None:
    """A full rebuild forgets everything, the FAQ entries agents approved included: index
    their file again (unless it was among the paths)."""
    if not faq_file.is_file():
        return
    resolved = faq_file.resolve()
    if any(resolved == p.resolve() or p.resolve() in resolved.parents for p in paths):
        return
    restored = pipeline.run([faq_file], kind="faq", visibility="public")
    if not quiet:
        print(f"Also re-indexed the FAQ entries agents approved ({faq_file}):")
        print(restored.to_text())


def run_status(args: argparse.Namespace) -> int:
    from kb_assistant.composition import (
        build_embedder,
        build_keyword_index,
        build_manifest,
        build_vector_index,
        live_version,
    )
    from kb_assistant.index.chroma_client import chroma_client
    from kb_assistant.index.live import EmptyKeywordIndex, EmptyVectorIndex

    settings = load_settings(args)
    with translated_errors():
        chroma_client(settings.chroma_url, settings.resolved_chroma_path)  # reachable?
        version = live_version(settings)  # reading only: no version is made here
        if version is None:
            status = _status(settings.data_dir, None, EmptyVectorIndex(), EmptyKeywordIndex())
        else:
            manifest = build_manifest(settings, version)
            vectors = build_vector_index(settings, build_embedder(settings), version)
            keywords = build_keyword_index(settings, version)
            status = _status(settings.data_dir, manifest, vectors, keywords)
        status["live_version"] = None if version is None else version.name
    if args.json:
        print_json(status)
    else:
        print(_status_text(status))
    return 0


def _status(data_dir: Path, manifest: Any, vectors: Any, keywords: Any) -> dict[str, Any]:
    stats = {} if manifest is None else manifest.stats()
    by_kind = [
        {"kind": kind, "visibility": vis, "documents": docs, "chunks": chunks}
        for (kind, vis), (docs, chunks) in sorted(stats.items())
    ]
    last = None if manifest is None else manifest.last_run()
    return {
        "data_dir": str(data_dir.resolve()),
        "documents": by_kind,
        "indexes": {
            vis: {"vectors": vectors.count(vis), "keyword": keywords.count(vis)}
            for vis in VISIBILITIES
        },
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "status": last.status,
            "paths": last.paths,
            "documents": last.counts,
            "chunks_embedded": last.chunks_embedded,
            "errors": len(last.errors),
            "seconds": round(last.seconds, 3),
        },
    }


def _status_text(status: dict[str, Any]) -> str:
    lines = [f"Data directory: {status['data_dir']}"]
    if status.get("live_version"):
        lines.append(f"Live index version: {status['live_version']} (kb-assistant versions)")
    if not status["documents"]:
        lines.append("Nothing indexed yet: run `kb-assistant ingest PATH...`.")
    for row in status["documents"]:
        lines.append(
            f"  {row['kind']:<7} {row['visibility']:<9} "
            f"{row['documents']:>7} documents {row['chunks']:>8} chunks"
        )
    for vis, sizes in status["indexes"].items():
        lines.append(f"Index {vis}: {sizes['vectors']} vectors, {sizes['keyword']} keyword entries")
    last = status["last_run"]
    if last:
        counts = ", ".join(f"{v} {k}" for k, v in last["documents"].items())
        lines.append(
            f"Last run #{last['id']} ({last['status']}) at {last['started_at']}: {counts}; "
            f"{last['chunks_embedded']} chunks embedded in {last['seconds']} s, "
            f"{last['errors']} errors/warnings"
        )
    return "\n".join(lines)
