"""`kb-assistant reindex`, `kb-assistant versions` and `kb-assistant rollback`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)

EXIT_CODES = """\
exit codes: 0 done, 1 some documents could not be read (the rest are in), 2 configuration
error (nothing changed), 3 the quality gate refused the rebuild (the live version keeps
serving), 4 another job is writing the index (nothing changed), 5 a file or source lost more
entries than allowed (KB_MAX_SHRINK): its entries were kept, or the rebuild was refused;
rerun with --allow-shrink if the loss is intended."""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "reindex",
        help="re-index the sources listed in a sources file (for cron and schedulers)",
        description="Read every source listed in the sources file into the index. "
        "Incremental by default: the live version is updated in place and unchanged "
        "documents are skipped. With --full, a new index version is built while the live "
        "one keeps serving, checked by the quality gate (the golden questions' recall), and "
        "switched to atomically; running servers follow within seconds.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, required=True, help="the sources file (YAML)")
    parser.add_argument("--full", action="store_true", help="build a new version from scratch")
    parser.add_argument(
        "--allow-shrink",
        action="store_true",
        help="let sources lose any share of their entries, all of them included (default: at "
        "most KB_MAX_SHRINK, and never all; a rebuild is compared with the live version)",
    )
    parser.add_argument(
        "--ray",
        action="store_true",
        help="embed on Ray (KB_RAY_ADDRESS, or a local Ray when unset); needs kb-assistant[ray]",
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_reindex)

    versions = commands.add_parser(
        "versions",
        help="list the index versions with their quality-gate results",
        description="Every index version: which one is live, how each build ended, its "
        "chunk counts and quality-gate results.",
    )
    add_common_options(versions)
    versions.set_defaults(handler=run_versions)

    rollback = commands.add_parser(
        "rollback",
        help="make an earlier index version live again",
        description="Switch the live index to VERSION (default: the version that was live "
        "before the current one). Running servers follow within seconds.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rollback.add_argument("version", nargs="?", help="a version such as v3 (default: previous)")
    add_common_options(rollback)
    rollback.set_defaults(handler=run_rollback)


def run_reindex(args: argparse.Namespace) -> int:
    from ingest.gate import GoldenQuestionsError
    from ingest.pipeline import IngestUsageError
    from ingest.progress import progress_for
    from ingest.reindex import EXIT_BUSY, EXIT_CONFIG
    from ingest.sources import SourcesConfigError, load_sources_config
    from kb_assistant.composition import build_reindex_job
    from kb_assistant.index.lease import LeaseHeldError

    settings = load_settings(args)
    if args.ray:
        settings = settings.model_copy(update={"ray_enabled": True})
    try:
        config = load_sources_config(args.config)
    except SourcesConfigError as error:
        raise CliError(str(error), EXIT_CONFIG) from None
    with translated_errors():
        job = build_reindex_job(settings, progress=progress_for(not args.json))
        try:
            report = job.run(config, full=args.full, allow_shrink=args.allow_shrink)
        except LeaseHeldError as error:
            raise CliError(str(error), EXIT_BUSY) from None
        except (GoldenQuestionsError, IngestUsageError) as error:
            raise CliError(str(error), EXIT_CONFIG) from None
        finally:
            job.close()
    if report.exit_code in (0, 1):  # a version was written: say how healthy it is
        from kb_assistant.composition.health import health_summary, summary_line

        report.health = health_summary(settings)
        report.health_line = summary_line(report.health) if report.health else ""
    if args.json:
        print_json(report.to_json())
    else:
        print(report.to_text())
    return report.exit_code


def run_versions(args: argparse.Namespace) -> int:
    from kb_assistant.composition import build_registry, live_version

    settings = load_settings(args)
    with translated_errors():
        registry = build_registry(settings)
        live_version(settings, registry)
        versions = registry.all()
        live_id = registry.live_id()
    if args.json:
        print_json(
            {
                "live": None if live_id is None else f"v{live_id}",
                "versions": [{**v.as_json(), "live": v.id == live_id} for v in versions],
            }
        )
        return 0
    if not versions:
        print("No index versions yet: run kb-assistant ingest or kb-assistant reindex.")
        return 0
    for version in versions:
        print(_version_line(version, version.id == live_id))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from ingest.reindex import EXIT_BUSY
    from kb_assistant.composition import build_lease, build_registry, live_version
    from kb_assistant.index.lease import LeaseHeldError
    from kb_assistant.index.versions import VersionError

    settings = load_settings(args)
    with translated_errors():
        registry = build_registry(settings)
        current = live_version(settings, registry)
        try:
            with build_lease(settings).hold("kb-assistant rollback"):
                target = _target(registry, args.version, current)
                switched = registry.switch(target)
        except LeaseHeldError as error:
            raise CliError(str(error), EXIT_BUSY) from None
        except VersionError as error:
            raise CliError(str(error)) from None
    before = "nothing" if current is None else current.name
    if args.json:
        print_json({"live": switched.name, "previous": None if current is None else before})
    else:
        print(f"{switched.name} is live again (was {before}); servers follow within seconds.")
    return 0


def _target(registry: Any, wanted: str | None, current: Any) -> int:
    from kb_assistant.index.versions import VersionError

    if wanted:
        try:
            return int(wanted.lower().removeprefix("v"))
        except ValueError:
            raise VersionError(f"{wanted!r} is not a version: write it as v3") from None
    earlier = [
        v
        for v in registry.all()
        if v.state in ("retired", "ready") and (current is None or v.id != current.id)
    ]
    earlier.sort(key=lambda v: v.live_since or v.created_at, reverse=True)
    if not earlier:
        raise VersionError(
            "there is no earlier version to roll back to (see kb-assistant versions)"
        )
    return int(earlier[0].id)


def _version_line(version: Any, live: bool) -> str:
    chunks = sum(version.chunks.values())
    gate = version.gate or {}
    recall = gate.get("recall_new")
    gate_text = f" · recall@{gate.get('k')} {recall:.3f}" if recall is not None else ""
    mark = "*" if live else " "
    when = version.created_at.isoformat(timespec="seconds")
    note = f" · {version.note}" if version.note and version.state in ("refused", "failed") else ""
    return f"{mark} {version.name:>4}  {version.state:<9} {when}  {chunks} chunks{gate_text}{note}"
