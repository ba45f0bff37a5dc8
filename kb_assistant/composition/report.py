"""What the report reads from a data directory, read only: the live index's chunks and
documents, the last ingestion run's unreadable sources, the content gaps customers revealed
and the sources customers' answers cited; `health_report` makes the report from them.

Nothing here makes, adopts or switches an index version, and no model is loaded: the index
is opened as a reader, and a store whose tables do not exist yet is skipped, not created.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import inspect

from kb_assistant.composition.indexes import NothingIndexedError, build_embedder, build_registry
from kb_assistant.composition.stores import build_conversation_store
from kb_assistant.domain import Visibility
from kb_assistant.kbreport.report import ContentGap, UnreadableSource, ranked
from kb_assistant.kbreport.units import Unit, VisibilityChoice, units_from_records, visibilities
from kb_assistant.kbreport.usage import Entry, entries_from_records
from kb_assistant.ports import IndexRecord
from kb_assistant.storage.databases import database_exists, databases_for

if TYPE_CHECKING:
    from kb_assistant.conversations.types import SourceUsage
    from kb_assistant.index.versions import IndexVersion
    from kb_assistant.kbreport import KbReport
    from kb_assistant.kbreport.contradictions import EmbedTexts
    from kb_assistant.settings import Settings

GAPS_LIMIT = 100  # newest questions of each kind (unanswered, rated down) in the report


_CONVERSATION_TABLES = ("conversations", "conversation_messages", "conversation_feedback")


def index_units(settings: Settings, choice: VisibilityChoice = "all") -> list[Unit]:
    """The live index's chunks as units (an index built before versions existed is read in
    place); `NothingIndexedError` when the data directory has no index."""
    return units_from_records(_index_records(settings, visibilities(choice)))


def index_contents(
    settings: Settings, choice: VisibilityChoice = "all"
) -> tuple[list[Unit], list[Entry]]:
    """`index_units`, and the public documents among them as entries (the index read once)."""
    records = list(_index_records(settings, visibilities(choice)))
    return units_from_records(records), entries_from_records(records)


def _live(settings: Settings) -> IndexVersion | None:
    return build_registry(settings).live()


def _index_records(settings: Settings, wanted: Sequence[Visibility]) -> Iterator[IndexRecord]:
    from kb_assistant.index.chroma import ChromaIndex
    from kb_assistant.index.chroma_client import chroma_client

    if not settings.chroma_url and not settings.resolved_chroma_path.is_dir():
        raise NothingIndexedError(
            f"nothing is indexed in {settings.data_dir}: run `kb-assistant ingest PATH...` first"
        )
    live = _live(settings)
    index = ChromaIndex(
        chroma_client(settings.chroma_url, settings.resolved_chroma_path),
        prefix=live.collection_prefix if live is not None else settings.collection_prefix,
        model_id=build_embedder(settings).model_id,  # names the model; loads nothing
    )
    for visibility in wanted:
        yield from index.records(visibility)


def ingest_problems(settings: Settings) -> list[UnreadableSource]:
    """The errors and warnings of the last ingestion run into the live index: files and
    pages that could not be read (scanned pages, damaged files, empty documents)."""
    from kb_assistant.storage.manifest import ManifestStore

    live = _live(settings)
    databases = databases_for(settings)
    url = live.manifest_url if live is not None else settings.resolved_database_url
    if not database_exists(url):
        return []
    engine = databases.manifest(url) if live is not None else databases.main()
    if not inspect(engine).has_table("ingest_runs"):
        return []
    last = ManifestStore(engine).last_run()
    if last is None:
        return []
    return [
        UnreadableSource(
            str(error.get("source", "")),
            str(error.get("error", "")),
            str(error.get("level", "error")),
        )
        for error in last.errors
    ]


def content_gaps(settings: Settings, limit: int = GAPS_LIMIT) -> list[ContentGap]:
    """Customer questions answered "I don't know" and replies rated down, the most often asked
    first (the newest `limit` of each kind are read)."""

    if not database_exists(settings.resolved_database_url):
        return []
    engine = databases_for(settings).main()
    if not all(inspect(engine).has_table(t) for t in _CONVERSATION_TABLES):
        return []
    gaps = build_conversation_store(settings).content_gaps(limit=limit)
    return ranked(
        [
            *(ContentGap(q.question, "unanswered", q.reason) for q in gaps.unanswered),
            *(ContentGap(t.question, "thumbs_down", t.comment) for t in gaps.thumbs_down),
        ]
    )


def source_usage(settings: Settings) -> SourceUsage:
    """How many customers' answers cited each source, over every answer stored (no answers
    when no conversation is stored yet)."""
    from kb_assistant.conversations.types import SourceUsage

    if not database_exists(settings.resolved_database_url):
        return SourceUsage()
    engine = databases_for(settings).main()
    if not all(inspect(engine).has_table(t) for t in _CONVERSATION_TABLES):
        return SourceUsage()
    return build_conversation_store(settings).source_usage()


def health_report(
    settings: Settings,
    choice: VisibilityChoice = "all",
    embed: EmbedTexts | None = None,
) -> KbReport:
    """The knowledge-base health report of the live index, as `kb-assistant kb report`
    makes it (`embed`: also compare contradictions' sentences with the model);
    `NothingIndexedError` when nothing is indexed."""
    from kb_assistant.kbreport import build_report
    from kb_assistant.kbreport.usage import entry_usage

    units, entries = index_contents(settings, choice)
    return build_report(
        units,
        embed=embed,
        unreadable=ingest_problems(settings),
        gaps=content_gaps(settings),
        usage=entry_usage(entries, source_usage(settings)),
    )
