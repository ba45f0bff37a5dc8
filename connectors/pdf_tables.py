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
"""

from __future__ import annotations

import re
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
from pypdf.generic import PdfObject

from connectors.pdf_objects import xobjects

TABLE_SETTINGS: dict[str, str] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
MAX_CELL_WORDS = 80  # a longer "cell" is a frame around a text block, not a table cell
MAX_HEADER_WORDS = 8
MAX_CAPTION_WORDS = 8
CAPTION_GAP = 1.5  # a caption sits at most this many of its line heights above the table
CAPTION_REACH = 40.0  # how far above a table (in points) a caption is looked for

# Operators that paint a path (stroke, fill or both) and numbers, in a content stream.
_PAINT_OPERATORS = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)")
_FLAT = 1.0  # points: a segment this close to level (or plumb) counts as a rule
Box = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber) or x0, y0, x1, y1
_NO_LETTERS = re.compile(r"[\W\d_]+")
_LINE_HYPHEN = re.compile(r"(?<=[^\W\d_])-[ \t]*\n\s*(?=[^\W\d_])")
_SENTENCE_END = (".", "!", "?", "…", ":", ";")
_INNER_STOP = re.compile(r"(?<=[a-z0-9)])[.;]\s+(?=[A-Z0-9])")  # a sentence ending inside a cell


@dataclass(frozen=True)
class PageTables:
    """A page's text with each table's rows in its place, and the rows themselves."""

    # As pypdf reads it, with the runs of text that start inside a table's cells replaced by
    # that table's units, one paragraph each, where the table was read.
    text: str
    units: list[str]


@dataclass(frozen=True)
class _Head:
    """The last table read, for tables that go on over the next page."""

    page: int
    columns: int
    header: list[str] | None
    caption: str
    font: str  # of the table's first row


def _rules(data: bytes) -> tuple[int, int]:
    """How many horizontal and vertical segments the painted paths of a content stream draw.

    A rough reading of the path operators (m, l, re, h, then a painting operator; "n" ends a
    clipping path, which paints nothing). Coordinates are taken as written, so a rotated
    table swaps its counts, which does not matter to the test below.
    """
    across = down = 0  # painted so far
    path_across = path_down = 0  # in the path being built
    numbers: list[float] = []
    start = point = None

    def segment(a: tuple[float, float], b: tuple[float, float]) -> tuple[int, int]:
        dx, dy = abs(b[0] - a[0]), abs(b[1] - a[1])
        return int(dy < _FLAT and dx >= _FLAT), int(dx < _FLAT and dy >= _FLAT)

    for token in data.split():
        if _NUMBER.fullmatch(token):
            numbers.append(float(token))
            continue
        if token == b"m" and len(numbers) >= 2:
            start = point = (numbers[-2], numbers[-1])
        elif token == b"l" and len(numbers) >= 2 and point is not None:
            h, v = segment(point, (numbers[-2], numbers[-1]))
            path_across, path_down = path_across + h, path_down + v
            point = (numbers[-2], numbers[-1])
        elif token in (b"c", b"v", b"y") and len(numbers) >= 2:
            point = (numbers[-2], numbers[-1])
        elif token == b"h" and point is not None and start is not None:
            h, v = segment(point, start)
            path_across, path_down = path_across + h, path_down + v
            point = start
        elif token == b"re" and len(numbers) >= 4:
            width, height = abs(numbers[-2]), abs(numbers[-1])
            path_across += 2 if height >= _FLAT else int(width >= _FLAT)
            path_down += 2 if width >= _FLAT else int(height >= _FLAT)
        elif token in _PAINT_OPERATORS:
            across, down = across + path_across, down + path_down
            path_across = path_down = 0
            start = point = None
        elif token == b"n":
            path_across = path_down = 0
            start = point = None
        numbers = []
    return across, down


def _ruled(stream: PdfObject | None) -> bool:
    """Whether a content stream draws enough rules for a grid of 2 × 2 cells."""
    stream = stream.get_object() if stream is not None else None
    get_data = getattr(stream, "get_data", None)
    if get_data is None:
        return False
    across, down = _rules(get_data())
    return across >= 3 and down >= 3


def _ruled_forms(resources: PdfObject | None) -> bool:
    return any(x.get("/Subtype") == "/Form" and _ruled(x) for x in xobjects(resources))


def page_may_have_tables(page: PageObject) -> bool:
    """Whether the page draws enough rules (lines, borders, boxes) to hold a ruled table.

    A cheap test on the raw content, directly or in forms: False means the page cannot hold
    a table that pdfplumber would find, so it is read as plain text without pdfplumber
    (which takes several times longer per page than pypdf).
    """
    return _ruled(page.get_contents()) or _ruled_forms(page.get("/Resources"))


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _cell_text(text: str | None) -> str:
    """A cell's lines joined with spaces ("rainbow-" + "coloured" keeps its hyphen, unspaced)."""
    return " ".join(_LINE_HYPHEN.sub("-", text or "").split())


def _grid(raw: list[list[str | None]]) -> list[list[str]]:
    """The table's cells as single-line text, without empty rows and empty columns."""
    rows = [[_cell_text(cell) for cell in row] for row in raw]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    keep = [column for column in range(width) if any(row[column] for row in rows)]
    return [[row[column] for column in keep] for row in rows]


def _is_table(rows: list[list[str]]) -> bool:
    """At least two rows and two columns of content, with short cells."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return False
    if sum(1 for row in rows if sum(1 for cell in row if cell) >= 2) < 2:
        return False
    return all(len(cell.split()) <= MAX_CELL_WORDS for row in rows for cell in row)


def _is_header(row: Sequence[str]) -> bool:
    """Whether a row reads like column headings: short labels, no sentences, no bare figures."""
    cells = [cell for cell in row if cell]
    return (
        len(cells) >= 2
        and len({cell.lower() for cell in cells}) == len(cells)
        and all(
            len(cell.split()) <= MAX_HEADER_WORDS
            and not _NO_LETTERS.fullmatch(cell)
            and not cell.endswith((".", ",", ";"))
            for cell in cells
        )
    )


def _same_row(first: Sequence[str], second: Sequence[str]) -> bool:
    return [cell.lower() for cell in first] == [cell.lower() for cell in second]


def _clause(value: str) -> str:
    """A cell as one clause of its row: sentences inside it joined with semicolons, so that
    the row stays one sentence (a sentence splitter must not cut "Standard: 30 days" away
    from the "Lamps and lighting" it belongs to)."""
    return _INNER_STOP.sub("; ", value).rstrip(" .;")


def _unit(row: Sequence[str], header: Sequence[str] | None, caption: str) -> str:
    """One row as one sentence: "Header: value; Header: value." pairs, or the cells joined
    by " | " without a header."""
    if header is None:
        body = " | ".join(cell for cell in row if cell)
    else:
        body = "; ".join(
            f"{label}: {_clause(value)}" if label else _clause(value)
            for label, value in zip(header, row, strict=True)
            if value
        )
        body = body if body.endswith(_SENTENCE_END) else body + "."
    return f"{caption} — {body}" if caption else body


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
        or _NO_LETTERS.fullmatch(text)
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


def text_with_tables(page: PageObject, tables: Sequence[tuple[list[Box], list[str]]]) -> str:
    """pypdf's text of the page with each table's cells replaced by its units.

    `tables` are (cells, units) pairs, cells in PDF user space (x0, y0, x1, y1, y upwards).
    pypdf hands its text over in runs, each with the position where it starts; the page text
    is exactly those runs one after the other, so leaving out the runs in a table's cells
    keeps everything else as pypdf reads it (the same lines, running headers and order as on
    pages without tables), and the table's units go where its first run was, each as a
    paragraph of its own. A table none of whose text was met has its units at the end.
    """
    runs: list[str] = []
    placed: set[int] = set()

    def table_of(x: float, y: float) -> int | None:
        for index, (cells, _) in enumerate(tables):
            if any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in cells):
                return index
        return None

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if not text:
            return
        _, b, _, d, e, f = tm  # where the run starts, in text space, then in user space
        x = e * cm[0] + f * cm[2] + cm[4]
        y = e * cm[1] + f * cm[3] + cm[5]
        lift = 0.3 * size * abs(b * cm[2] + d * cm[3])  # from the baseline into the glyphs
        index = None if text.isspace() else table_of(x, y + lift)
        if index is None:
            runs.append(text)
            return
        if index not in placed:
            placed.add(index)
            runs.append(_paragraphs(tables[index][1]))
        elif "\n" in text:
            runs.append("\n")

    page.extract_text(visitor_text=visit)
    rest = [_paragraphs(units) for i, (_, units) in enumerate(tables) if i not in placed]
    return "".join([*runs, *rest])


def _paragraphs(units: Sequence[str]) -> str:
    return "".join(f"\n\n{unit}\n\n" for unit in units)


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
                rows = _grid(table.extract())
                if _is_table(rows) and _whole(table, page.chars):
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
            units = [_unit(row, header, caption) for row in body]
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
            if _same_row(rows[0], previous.header):
                return rows[0], rows[1:], previous.caption
            if not _is_header(rows[0]) or font != previous.font:
                return previous.header, rows, previous.caption
        if _is_header(rows[0]):
            return rows[0], rows[1:], ""
        return None, rows, ""
