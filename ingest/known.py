"""The documents a source already has in the index, loaded only where a run needs them.

Every run needs each indexed document's id and file (to skip unchanged files and to find
documents that disappeared); full entries, with their chunk lists, only for the documents of
files read again and for those that are gone. Loading just those keeps a run that changes
little cheap however large the index is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from kb_assistant.ports import DocumentEntry, Manifest

Loader = Callable[[Sequence[str]], dict[str, DocumentEntry]]


class KnownDocuments:
    """Indexed documents of one source: id → file up front, entries on demand."""

    def __init__(self, sources: Mapping[str, str], load: Loader) -> None:
        self.sources = dict(sources)
        self._load = load
        self._by_source: dict[str, list[str]] = {}
        for doc_id, source in self.sources.items():
            self._by_source.setdefault(source, []).append(doc_id)

    @classmethod
    def under(
        cls, manifest: Manifest, roots: Sequence[str], matches: Callable[[str], bool]
    ) -> KnownDocuments:
        """The manifest's documents in `roots` whose file `matches` the source's pattern."""
        sources = {
            doc_id: source
            for doc_id, source in manifest.document_sources_under(roots).items()
            if matches(source)
        }
        return cls(sources, manifest.documents)

    @classmethod
    def of(cls, entries: Mapping[str, DocumentEntry]) -> KnownDocuments:
        """Documents given in full (a benchmark or a test without a manifest)."""
        return cls(
            {doc_id: entry.source for doc_id, entry in entries.items()},
            lambda ids: {i: entries[i] for i in ids if i in entries},
        )

    def __len__(self) -> int:
        return len(self.sources)

    def ids_from(self, source: str) -> list[str]:
        return self._by_source.get(source, [])

    def entries(self, ids: Sequence[str]) -> dict[str, DocumentEntry]:
        """The entries of those of `ids` that are known (one lookup for the lot)."""
        wanted = [doc_id for doc_id in ids if doc_id in self.sources]
        return self._load(wanted) if wanted else {}

    def gone(self, seen: Collection[str], unreadable: Collection[str]) -> list[DocumentEntry]:
        """Known documents not seen by this run, except those of files that failed to read."""
        missing = [
            doc_id
            for doc_id, source in self.sources.items()
            if doc_id not in seen and source not in unreadable
        ]
        return list(self.entries(missing).values())
