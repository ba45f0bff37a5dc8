"""Choosing a connector per file and reading many sources in one pass.

The one entry point ingestion needs: `read_sources` walks files and folders, picks a connector
by extension and a cheap look at the file's start, and yields one `LoadResult` per file.
Nothing escapes it: an unexpected error in a connector becomes that file's failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from connectors.base import Connector, ConnectorOptions
from connectors.faq import CsvFaqConnector, JsonFaqConnector, MarkdownFaqConnector
from connectors.pdf import PdfConnector
from connectors.text_io import JSONL_SUFFIXES, file_failure, source_of
from connectors.tickets import TicketCsvConnector, ZendeskJsonConnector
from kb_assistant.domain import Kind, LoadResult, Visibility

SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".csv", ".json", ".pdf"} | JSONL_SUFFIXES)


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(name for name in dirnames if not _is_hidden(name))
        for name in sorted(filenames):
            if not _is_hidden(name) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                yield Path(root) / name


def discover_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read under `paths`: folders are walked recursively in sorted order.

    Hidden files and folders, and files of an unsupported type (images, say) found inside
    folders, are skipped; a path naming a file is always kept, whatever its extension, so
    that an explicit request is answered (with a failure if the file cannot be read).
    Missing paths are left out; `read_sources` reports them. Each file appears once.
    """
    found: dict[Path, Path] = {}
    for path in paths:
        candidates = _walk(path) if path.is_dir() else iter([path] if path.is_file() else [])
        for file in candidates:
            found.setdefault(file.resolve(), file)
    return list(found.values())


def connector_for(path: Path, kind: Kind | None, options: ConnectorOptions) -> Connector | None:
    """The connector for one file, or None when its type is not supported.

    Without `kind`, the extension decides, and for CSV and JSON a look at the file's start
    tells tickets from FAQs. With `kind`, the connector family is forced and only the
    extension picks the format inside it (an unknown extension reads as Markdown FAQ or
    Zendesk JSON).
    """
    suffix = path.suffix.lower()
    if kind == "pdf":
        return PdfConnector(options)
    if kind == "ticket":
        return TicketCsvConnector(options) if suffix == ".csv" else ZendeskJsonConnector(options)
    if kind == "faq":
        if suffix == ".csv":
            return CsvFaqConnector(options)
        if suffix == ".json" or suffix in JSONL_SUFFIXES:
            return JsonFaqConnector(options)
        return MarkdownFaqConnector(options)
    sniffed: list[Connector] = [
        TicketCsvConnector(options),
        ZendeskJsonConnector(options),
        CsvFaqConnector(options),
        JsonFaqConnector(options),
        MarkdownFaqConnector(options),
        PdfConnector(options),
    ]
    return next((connector for connector in sniffed if connector.can_read(path)), None)


def load_file(
    path: Path, kind: Kind | None, visibility: Visibility | None, options: ConnectorOptions
) -> LoadResult:
    """Read one file with the connector that fits it; never raises."""
    result = LoadResult(source=source_of(path))
    connector = connector_for(path, kind, options)
    if connector is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        message = (
            f"{path.name}: unsupported file type {path.suffix or '(no extension)'!r}; "
            f"supported: {supported}, or pass --kind to choose the reader"
        )
        result.failures.append(file_failure(path, message))
        return result
    try:
        return connector.load(path, visibility)
    except Exception as err:  # a connector bug must not abort the batch
        message = f"{path.name}: unexpected error while reading ({type(err).__name__}: {err})"
        result.failures.append(file_failure(path, message))
        return result


def read_sources(
    paths: Sequence[Path],
    kind: Kind | None,
    visibility: Visibility | None,
    options: ConnectorOptions,
) -> Iterator[LoadResult]:
    """One `LoadResult` per file found under `paths`, in order, lazily.

    `kind` forces the connector family; `visibility` overrides each kind's default.
    A path that does not exist yields a failure instead of stopping the run.
    """
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            result = LoadResult(source=source_of(path))
            message = f"{path}: no such file or folder; check the path"
            result.failures.append(file_failure(path, message))
            yield result
            continue
        for file in discover_files([path]):
            if file.resolve() not in seen:
                seen.add(file.resolve())
                yield load_file(file, kind, visibility, options)
