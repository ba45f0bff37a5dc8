"""Reading source files as text, and the small text helpers every connector shares.

Decoding is strict: a file in the wrong encoding is refused with a message that says how to
fix it, never read as mojibake that would then be indexed and shown to customers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from connectors.base import ConnectorError
from kb_assistant.core.errors import UsageError
from kb_assistant.domain import DocumentFailure, FailureLevel, LoadResult

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
RecordT = TypeVar("RecordT")
ItemT = TypeVar("ItemT")


def source_of(path: Path) -> str:
    """The absolute path that identifies a file in document ids, sources and failures."""
    return str(path.resolve())


def _is_legacy(encoding: str) -> bool:
    try:
        return not codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        raise ConnectorError(
            f"unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or cp1252"
        ) from None


def _decode(path: Path, data: bytes, encoding: str) -> str:
    offset = 0
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            offset, encoding = len(bom), bom_encoding
            break
    body, text = data[offset:], None
    if _is_legacy(encoding):
        # Valid non-ASCII UTF-8 is practically never meant as an 8-bit legacy encoding, so a
        # batch read with --encoding cp1252 still reads its UTF-8 files correctly.
        with contextlib.suppress(UnicodeDecodeError):
            text = body.decode("utf-8")
    if text is None:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as err:
            position = offset + err.start
            line = data.count(b"\n", 0, position) + 1
            raise ConnectorError(
                f"{path.name} is not valid {encoding} text: byte 0x{data[position]:02x} at "
                f"offset {position} (line {line}); re-save the file as UTF-8, or pass the "
                f"encoding it was written in (for example --encoding cp1252)"
            ) from None
    if "\x00" in text:
        raise ConnectorError(
            f"{path.name} contains NUL characters: it is binary, or UTF-16 without a byte-order "
            f"mark; re-save it as UTF-8"
        )
    return text


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Read a whole text file strictly in `encoding`; a UTF-8 or UTF-16 byte-order mark wins.

    Raises `ConnectorError` naming the file, the offending byte and its offset when the bytes
    are not valid in that encoding, so a wrong encoding is fixed instead of indexed as garbage.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConnectorError(f"cannot read {path}: {err.strerror or err}") from None
    return _decode(path, data, encoding)


def read_head(path: Path, size: int = 65536) -> str:
    """The start of a file decoded leniently, for cheap format sniffing only (never indexed)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except OSError:
        return ""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def slugify(text: str, max_length: int = 80) -> str:
    """A URL-fragment-friendly key for a heading or question (letters of any script kept)."""
    normalized = unicodedata.normalize("NFKC", text).lower()
    slug = re.sub(r"[\W_]+", "-", normalized).strip("-")
    return slug[:max_length].rstrip("-") or "entry"


@dataclass
class UniqueKeys:
    """Hands out keys unique within one file: `key`, then `key-2`, `key-3`…"""

    seen: set[str] = field(default_factory=set)

    def claim(self, key: str) -> str:
        """Return `key`, or the first free numbered variant of it, and remember it."""
        candidate, number = key, 1
        while candidate in self.seen:
            number += 1
            candidate = f"{key}-{number}"
        self.seen.add(candidate)
        return candidate


_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")
_WHITESPACE = re.compile(r"\s+")  # the characters str.split() splits on, exactly
_FENCE = re.compile(r"^\s*(```|~~~)")


def tidy_text(text: str) -> str:
    """Collapse runs of spaces and soft line wraps, keeping paragraphs, list items and code.

    Sources wrap lines and pad with spaces arbitrarily; tidying keeps hashes stable and text
    readable without losing the structure (list items stay one per line). Time and memory
    stay in step with the text, however long its lines or paragraphs.
    """
    out: list[str] = []
    paragraph: list[str] = []  # the soft-wrapped lines of the entry being read
    in_code = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _FENCE.match(raw):
            _close(paragraph, out)
            in_code = not in_code
            out.append(raw.strip())
        elif in_code:
            out.append(raw.rstrip())
        elif not (line := collapse_spaces(raw)):
            _close(paragraph, out)
            if out and out[-1]:
                out.append("")
        elif paragraph and not _LIST_ITEM.match(line):
            paragraph.append(line)
        else:
            _close(paragraph, out)
            paragraph.append(line)
    _close(paragraph, out)
    return "\n".join(out).strip("\n").strip()


def collapse_spaces(text: str, block: int = 1 << 20) -> str:
    """`" ".join(text.split())`, a block at a time: a line of many megabytes never becomes
    millions of separate words in memory at once."""
    if len(text) <= block:
        return _WHITESPACE.sub(" ", text).strip()
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + block, len(text))
        run = _WHITESPACE.match(text, end)  # a run of spaces is never cut in two
        end = run.end() if run else end
        parts.append(_WHITESPACE.sub(" ", text[start:end]))
        start = end
    return "".join(parts).strip()


def _close(paragraph: list[str], out: list[str]) -> None:
    """Append the lines read so far of one paragraph or list item to `out`, joined."""
    if paragraph:
        out.append(" ".join(paragraph))
        paragraph.clear()


class RecordError(UsageError, ValueError):
    """One record (row, line, item) of a file is unusable; the rest of the file still loads."""


def file_failure(path: Path, message: str, level: FailureLevel = "error") -> DocumentFailure:
    """A failure that concerns a whole file."""
    return DocumentFailure(source=source_of(path), error=message, level=level)


def load_guarded(path: Path, read: Callable[[Path, LoadResult], None]) -> LoadResult:
    """Run a connector's reader, turning a `ConnectorError` into a file-level failure.

    Connectors never raise for bad content, so one bad file never aborts a batch.
    """
    result = LoadResult(source=source_of(path))
    try:
        read(path, result)
    except ConnectorError as err:
        result.documents.clear()
        result.failures.append(file_failure(path, str(err)))
    return result


@dataclass
class JsonRecords:
    """Records read from a JSON or JSON Lines file; `root` is the parsed top-level value."""

    records: list[tuple[str, object]] = field(default_factory=list)
    failures: list[DocumentFailure] = field(default_factory=list)
    root: object = None


def _jsonl_records(path: Path, text: str) -> JsonRecords:
    parsed = JsonRecords()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source_of(path)}:line {number}"
        try:
            parsed.records.append((where, json.loads(line)))
        except json.JSONDecodeError as err:
            parsed.failures.append(
                DocumentFailure(
                    where, f"invalid JSON at column {err.colno}: {err.msg}; fix the line"
                )
            )
    return parsed


def parse_json_records(path: Path, text: str, list_keys: Sequence[str]) -> JsonRecords:
    """Records from a JSON array, an object holding a list under one of `list_keys`, or JSONL.

    A malformed JSONL line is a per-line failure; malformed JSON is a `ConnectorError`
    giving the line and column to fix.
    """
    if path.suffix.lower() in JSONL_SUFFIXES:
        return _jsonl_records(path, text)
    try:
        root = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data":  # several top-level values: one object per line
            return _jsonl_records(path, text)
        raise ConnectorError(
            f"{path.name} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}; "
            f"fix the file (or save one object per line as .jsonl)"
        ) from None
    items: object = root
    if isinstance(root, dict):
        key = next((k for k in list_keys if isinstance(root.get(k), list)), None)
        items = root[key] if key is not None else [root]
    if not isinstance(items, list):
        raise ConnectorError(
            f"{path.name}: expected a JSON array of objects or an object with a list under "
            f"one of {', '.join(list_keys)}"
        )
    where = source_of(path)
    records: list[tuple[str, object]] = [(f"{where}:item {i}", v) for i, v in enumerate(items, 1)]
    return JsonRecords(records=records, root=root)


def csv_rows(
    path: Path, text: str, required: Sequence[str], expected: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """Non-blank rows of a CSV text keyed by lower-cased header names, each with its
    `path:line N` (the line the row starts on), so a bad row can be pointed at exactly.

    A header without the `required` columns is a `ConnectorError` quoting `expected`.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in required if name not in header]
        if header and missing:
            raise ConnectorError(
                f"{path.name}: missing column(s) {', '.join(missing)} (header: "
                f"{','.join(header)}); the header must be {expected}"
            )
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if any(cell.strip() for cell in row):
                cells = zip(header, row, strict=False)
                yield f"{source_of(path)}:line {start}", {k: v.strip() for k, v in cells}
    except csv.Error as err:
        raise ConnectorError(f"{path.name}: unreadable CSV near line {line}: {err}") from None


def gather(
    records: Iterable[tuple[str, RecordT]],
    build: Callable[[RecordT], list[ItemT]],
    result: LoadResult,
) -> list[ItemT]:
    """Build items from every record; a `RecordError` becomes that record's failure."""
    items: list[ItemT] = []
    for where, record in records:
        try:
            items.extend(build(record))
        except RecordError as err:
            result.failures.append(DocumentFailure(where, str(err)))
    return items
