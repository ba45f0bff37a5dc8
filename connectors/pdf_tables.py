"""Ruled tables in PDF pages, read one row at a time so that a row's cells stay together.

Plain PDF text extraction runs a table's cells together line by line, so the problem, cause
and fix of different rows of a troubleshooting table end up mixed in one paragraph. Here
pdfplumber finds the tables drawn with rules (lines and cell borders) and every row becomes
one unit of text that pairs the header cells with the row's values:

    Troubleshooting — Problem: The kettle does not whistle. Likely cause: Limescale. ...

The page text outside the tables is returned separately, so nothing is read twice.

Only ruled tables are looked for: pdfplumber's text-alignment strategy also turns ordinary
paragraphs into "tables" (every page of a plain booklet comes out as one), so its guesses
would do more harm than good. A grid must hold at least two rows and two columns of short
cells to count as a table; frames around pictures or text boxes are left to the plain text.

`pdf_rules` picks the pages worth handing to pdfplumber; `pdf_table_rows` turns a table's
grid into units; `pdf_table_text` puts them into the page's text in the table's place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pdfplumber
from pdfplumber.page import Page
from pdfplumber.pdf import PDF
from pdfplumber.table import Table
from pypdf import PageObject

from connectors.pdf_lines import PageText
from connectors.pdf_table_rows import (
    NO_LETTERS,
    is_header,
    is_table,
    row_unit,
    same_row,
    table_grid,
)
from connectors.pdf_table_text import Box, text_with_tables

TABLE_SETTINGS: dict[str, str] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
MAX_CAPTION_WORDS = 8
CAPTION_GAP = 1.5  # a caption sits at most this many of its line heights above the table
CAPTION_REACH = 40.0  # how far above a table (in points) a caption is looked for


@dataclass(frozen=True)
class PageTables:
    """A page's text with each table's rows in its place, and the rows themselves."""

    # As pypdf reads it (with each run's type style), with the runs of text that start
    # inside a table's cells replaced by that table's units, one paragraph each, where the
    # table was read.
    content: PageText
    units: list[str]

    @property
    def text(self) -> str:
        return self.content.text


@dataclass(frozen=True)
class _Head:
    """The last table read, for tables that go on over the next page."""

    page: int
    columns: int
    header: list[str] | None
    caption: str
    font: str  # of the table's first row


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _caption(page: Page, bbox: Box, cells: Sequence[Box]) -> str:
    """The short heading-like line just above the table, or ""."""
    x0, top, x1, _ = bbox

    def near(obj: dict[str, object]) -> bool:
        return (
            obj["object_type"] == "char"
            and top - CAPTION_REACH <= _num(obj["bottom"]) <= top + 1
            and not _inside(obj, cells)
        )

    above = [
        line
        for line in page.filter(near).extract_text_lines()
        if _num(line["x1"]) > x0 and _num(line["x0"]) < x1
    ]
    if not above:
        return ""
    line = max(above, key=lambda candidate: _num(candidate["bottom"]))
    height = _num(line["bottom"]) - _num(line["top"])
    text = " ".join(str(line["text"]).split()).rstrip(":").strip()
    if (
        top - _num(line["bottom"]) > CAPTION_GAP * height
        or not text
        or len(text.split()) > MAX_CAPTION_WORDS
        or NO_LETTERS.fullmatch(text)
        or text[0].islower()
        or text.endswith((".", ",", ";"))
    ):
        return ""
    return text


def _inside(obj: dict[str, object], cells: Sequence[Box]) -> bool:
    """Whether a character's middle lies in one of the cells (as pdfplumber assigns them)."""
    x = (_num(obj["x0"]) + _num(obj["x1"])) / 2
    y = (_num(obj["top"]) + _num(obj["bottom"])) / 2
    return any(x0 <= x < x1 and top <= y < bottom for x0, top, x1, bottom in cells)


def _whole(table: Table, chars: list[dict[str, object]]) -> bool:
    """Whether every character within the table's frame lies in one of its cells.

    Text in the frame but outside the cells means the rules only drew part of the table (a
    form with some rows or columns unruled): its rows would come out without their labels.
    """
    frame = [table.bbox]
    return not any(
        str(char["text"]).strip() and _inside(char, frame) and not _inside(char, table.cells)
        for char in chars
    )


def _first_row_font(table: Table, chars: list[dict[str, object]]) -> str:
    """The font most of the table's first row with text is set in ("" when unknown)."""
    for row in table.rows:
        cells = [cell for cell in row.cells if cell is not None]
        fonts = Counter(
            str(char.get("fontname", ""))
            for char in chars
            if str(char["text"]).strip() and _inside(char, cells)
        )
        if fonts:
            return fonts.most_common(1)[0][0]
    return ""


class TableReader:
    """Reads the tables of one PDF with pdfplumber, opening the file once, on first use.

    Pages must be read in order for a table that goes on over the next page to keep its
    header; any error (a damaged file or page) is raised for the caller to fall back on.
    """

    def __init__(self, path: Path, page_count: int) -> None:
        self.path = path
        self.page_count = page_count
        self._pdf: PDF | None = None
        self._error: Exception | None = None
        self._previous: _Head | None = None

    def __enter__(self) -> TableReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pdfplumber document, if it was opened."""
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def _open(self) -> PDF:
        if self._error is not None:
            raise self._error
        if self._pdf is None:
            try:
                pdf = pdfplumber.open(self.path)
            except Exception as err:
                self._error = err
                raise
            if len(pdf.pages) != self.page_count:
                pdf.close()
                self._error = ValueError(
                    f"{len(pdf.pages)} pages found where {self.page_count} were expected"
                )
                raise self._error
            self._pdf = pdf
        return self._pdf

    def read(self, number: int, page: PageObject) -> PageTables | None:
        """The tables of page `number` (1-based; `page` is pypdf's copy of it), or None when
        it has none (or is rotated: those pages are left to the plain text)."""
        plumbed = self._open().pages[number - 1]
        try:
            found = self._tables(plumbed, number)
        except Exception:
            self._previous = None
            raise
        finally:
            plumbed.close()
        if found is None:
            return None
        return PageTables(
            text_with_tables(page, found), [unit for _, units in found for unit in units]
        )

    def _tables(self, page: Page, number: int) -> list[tuple[list[Box], list[str]]] | None:
        """Each table of the page: its cells in PDF user space, and its units."""
        found: list[tuple[Table, list[list[str]]]] = []
        if page.rotation == 0:
            for table in page.find_tables(TABLE_SETTINGS):
                rows = table_grid(table.extract())
                if is_table(rows) and _whole(table, page.chars):
                    found.append((table, rows))
        if not found:
            self._previous = None
            return None
        found.sort(key=lambda item: (item[0].bbox[1], item[0].bbox[0]))
        cells = [cell for table, _ in found for cell in table.cells]
        height = float(page.height)
        tables: list[tuple[list[Box], list[str]]] = []
        for index, (table, rows) in enumerate(found):
            font = _first_row_font(table, page.chars)
            header, body, caption = self._layout(rows, font, index == 0, number)
            caption = _caption(page, table.bbox, cells) or caption
            units = [row_unit(row, header, caption) for row in body]
            self._previous = _Head(number, len(rows[0]), header, caption, font)
            user_space = [
                (x0, height - bottom, x1, height - top) for x0, top, x1, bottom in table.cells
            ]
            tables.append((user_space, units))
        return tables

    def _layout(
        self, rows: list[list[str]], font: str, first_on_page: bool, number: int
    ) -> tuple[list[str] | None, list[list[str]], str]:
        """The header, the data rows and an inherited caption of a table.

        The first table of a page continues the previous page's last table when it has as
        many columns and either repeats its header or starts with a row that is no header
        (one that does not read like headings, or is not set in the header's font).
        """
        previous = self._previous
        if (
            first_on_page
            and previous is not None
            and previous.page == number - 1
            and previous.columns == len(rows[0])
            and previous.header is not None
        ):
            if same_row(rows[0], previous.header):
                return rows[0], rows[1:], previous.caption
            if not is_header(rows[0]) or font != previous.font:
                return previous.header, rows, previous.caption
        if is_header(rows[0]):
            return rows[0], rows[1:], ""
        return None, rows, ""
