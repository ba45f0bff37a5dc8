"""PDF connector: one document per file, cut into sections at its headings and its pages, so
that a passage keeps the heading it is under and citations can give pages.

Text comes from pypdf; headings are found from the PDF's own typography (`connectors.pdf_layout`);
ruled tables are read with pdfplumber (`connectors.pdf_tables`), one paragraph per row, each
row's values paired with the column headers, where the table was.
Every problem (corrupt file, password, scanned pages) comes back as a failure that says what
to do; a PDF never raises out of `load`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import PdfObject

from connectors.base import ConnectorError, ConnectorOptions
from connectors.pdf_layout import sectioned
from connectors.pdf_lines import Line, PageText
from connectors.pdf_objects import xobjects
from connectors.pdf_rules import page_may_have_tables
from connectors.pdf_tables import PageTables, TableReader
from connectors.text_io import file_failure, load_guarded, source_of
from kb_assistant.domain import DEFAULT_VISIBILITY, Document, Kind, LoadResult, Section, Visibility

_GENERIC_TITLES = frozenset({"untitled", "untitled document", "document", "title", "unknown"})
_FILE_LIKE_TITLE = re.compile(
    r"^microsoft (word|powerpoint|excel) - "
    r"|\.(docx?|pdf|rtf|odt|pages|txt|pptx?|xlsx?|indd|html?)$",
    re.IGNORECASE,
)
_INLINE_IMAGE = re.compile(rb"(?:^|\s)BI\s")
_HEADING_LINES_SCANNED = 8


@contextmanager
def quiet_pdf_libraries() -> Iterator[None]:
    """Silence pypdf's and pdfminer's warning-level log lines (one per damaged object) while
    reading a file.

    Damage that matters is reported as a failure instead; the log would only flood the output.
    """
    loggers = [logging.getLogger(name) for name in ("pypdf", "pdfminer")]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous, strict=True):
            logger.setLevel(level)


def _resources_have_images(resources: PdfObject | None) -> bool:
    return any(x.get("/Subtype") == "/Image" for x in xobjects(resources))


def page_has_images(page: PageObject) -> bool:
    """Whether a page draws any raster image (an XObject, in a form, or inline)."""
    if _resources_have_images(page.get("/Resources")):
        return True
    contents = page.get_contents()
    return contents is not None and _INLINE_IMAGE.search(contents.get_data()) is not None


def is_meaningful_title(title: str) -> bool:
    """False for placeholder metadata titles: empty, "Untitled", a file name, no letters."""
    title = " ".join(title.split())
    return (
        any(ch.isalpha() for ch in title)
        and title.lower() not in _GENERIC_TITLES
        and not _FILE_LIKE_TITLE.search(title)
    )


def _looks_like_heading(line: str) -> bool:
    letters = sum(ch.isalpha() for ch in line)
    return (
        3 <= len(line) <= 80
        and letters >= 3
        and letters >= len(line) / 2
        and not line[0].islower()
        and not line.endswith((".", ",", ";", ":"))
    )


def pdf_title(reader: PdfReader, first_page_text: str, path: Path) -> str:
    """The document's title: meaningful metadata, else a heading-like first line, else the stem."""
    try:
        raw = reader.metadata.title if reader.metadata is not None else None
    except Exception:  # damaged info dictionary: fall back to the text
        raw = None
    if isinstance(raw, str) and is_meaningful_title(raw):
        return " ".join(raw.split())
    lines = [" ".join(line.split()) for line in first_page_text.splitlines()]
    candidates = [line for line in lines if line][:_HEADING_LINES_SCANNED]
    return next((line for line in candidates if _looks_like_heading(line)), path.stem)


def _page_ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _unlock(path: Path, reader: PdfReader) -> None:
    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("")  # many PDFs only have an owner password
    except DependencyError:
        raise ConnectorError(
            f"{path.name} is AES-encrypted, which needs the 'cryptography' package: "
            f"pip install cryptography (or remove the encryption) and re-run"
        ) from None
    if unlocked == PasswordType.NOT_DECRYPTED:
        raise ConnectorError(
            f"{path.name} is encrypted with a password; remove the password and re-run"
        )


def _check_header(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        what = "the file is empty" if not head else "no %PDF header"
        raise ConnectorError(
            f"{path.name} is not a PDF ({what}); "
            f"replace it with the real PDF or remove it from the sources"
        )


def _report_missing_text(
    path: Path, has_text: bool, image_only: list[int], failed: list[int], result: LoadResult
) -> None:
    """Say why a PDF (or some of its pages) gave no text, and what to do about it."""
    if has_text:
        if image_only:
            message = (
                f"{path.name}: pages {_page_ranges(image_only)} have images but no text "
                f"(scanned?) and were skipped; run OCR on the file to index them"
            )
            result.failures.append(file_failure(path, message, "warning"))
        return
    if failed:
        raise ConnectorError(f"{path.name}: no page could be read; re-export the PDF")
    if image_only:
        raise ConnectorError(
            f"{path.name} has no extractable text (scanned or image-only PDF?); "
            f"run OCR first (for example with ocrmypdf) and re-run"
        )
    result.failures.append(
        file_failure(path, f"{path.name}: empty PDF, nothing to index", "warning")
    )


class PdfConnector:
    """Reads text PDFs: one section per heading and page (`page` 1-based), or one per
    non-empty page where the PDF has no headings.

    pypdf gives the text and the type it is set in, from which headings are found; on pages
    with a ruled table, pdfplumber reads the table and its rows take its place in the text,
    one paragraph per row ("Header: value." pairs).
    """

    kind: Kind = "pdf"

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()

    def can_read(self, path: Path) -> bool:
        """Whether the file is a PDF by extension."""
        return path.suffix.lower() == ".pdf"

    def load(self, path: Path, visibility: Visibility | None = None) -> LoadResult:
        """Read the PDF; damaged, locked, empty or scanned files come back as failures."""
        chosen = visibility or DEFAULT_VISIBILITY[self.kind]

        def read(file: Path, result: LoadResult) -> None:
            with quiet_pdf_libraries():
                try:
                    self._read(file, result, chosen)
                except ConnectorError:
                    raise
                except OSError as err:
                    raise ConnectorError(f"cannot read {file}: {err.strerror or err}") from None
                except Exception as err:  # pypdf raises many types for damaged files
                    raise ConnectorError(
                        f"{file.name} could not be read as a PDF ({type(err).__name__}: {err}); "
                        f"check that it is a complete PDF (open it in a viewer) and re-export it"
                    ) from None

        return load_guarded(path, read)

    def _read(self, path: Path, result: LoadResult, visibility: Visibility) -> None:
        _check_header(path)
        reader = PdfReader(path)
        _unlock(path, reader)
        sections, image_only, failed = self._sections(path, reader, result)
        _report_missing_text(path, bool(sections), image_only, failed, result)
        if not sections:
            return
        first_page = "\n\n".join(s.text for s in sections if s.page == 1)
        result.documents.append(
            Document(
                id=f"pdf:{source_of(path)}",
                title=pdf_title(reader, first_page, path),
                sections=sections,
                kind="pdf",
                visibility=visibility,
                source=source_of(path),
                location=path.name,
                updated_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                metadata={"pages": str(len(reader.pages))},
            )
        )

    @staticmethod
    def _sections(
        path: Path, reader: PdfReader, result: LoadResult
    ) -> tuple[list[Section], list[int], list[int]]:
        read: list[tuple[int, list[Line]]] = []
        image_only: list[int] = []
        failed: list[int] = []
        table_errors: dict[str, list[int]] = {}
        with TableReader(path, len(reader.pages)) as tables:
            for number, page in enumerate(reader.pages, start=1):
                try:
                    found = _page_tables(tables, page, number, table_errors)
                    content = found.content if found is not None else PageText.read(page)
                    lines = content.lines()
                    if not any(line.text.strip() for line in lines) and page_has_images(page):
                        image_only.append(number)
                except Exception as err:  # one damaged page must not lose the others
                    failed.append(number)
                    message = f"{path.name}: page {number} could not be read ({err}); page skipped"
                    result.failures.append(file_failure(path, message, "warning"))
                    continue
                read.append((number, lines))
        for error, numbers in table_errors.items():
            pages = f"page {numbers[0]}" if len(numbers) == 1 else f"pages {_page_ranges(numbers)}"
            message = (
                f"{path.name}: tables on {pages} could not be read ({error}); "
                f"read as plain text instead"
            )
            result.failures.append(file_failure(path, message, "warning"))
        return sectioned(read), image_only, failed


def _page_tables(
    tables: TableReader, page: PageObject, number: int, errors: dict[str, list[int]]
) -> PageTables | None:
    """The page's tables, or None to read it as plain text (no table, or reading them failed;
    failures are collected in `errors`, pages by message)."""
    try:
        if not page_may_have_tables(page):
            return None
    except Exception:  # a damaged content stream: the plain-text read reports it
        return None
    try:
        return tables.read(number, page)
    except Exception as err:  # a damaged table must not lose the page's text
        errors.setdefault(f"{type(err).__name__}: {err}", []).append(number)
        return None
