"""A ruled table's rows as units of text: its cells as single-line text, whether the grid is
a table at all, which row is its header, and each row as one sentence pairing the header
cells with the row's values ("Product: Desk lamp; Warranty: 1 year.").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_CELL_WORDS = 80  # a longer "cell" is a frame around a text block, not a table cell
MAX_HEADER_WORDS = 8
NO_LETTERS = re.compile(r"[\W\d_]+")
_LINE_HYPHEN = re.compile(r"(?<=[^\W\d_])-[ \t]*\n\s*(?=[^\W\d_])")
_SENTENCE_END = (".", "!", "?", "…", ":", ";")
_INNER_STOP = re.compile(r"(?<=[a-z0-9)])[.;]\s+(?=[A-Z0-9])")  # a sentence ending inside a cell


def _cell_text(text: str | None) -> str:
    """A cell's lines joined with spaces ("rainbow-" + "coloured" keeps its hyphen, unspaced)."""
    return " ".join(_LINE_HYPHEN.sub("-", text or "").split())


def table_grid(raw: list[list[str | None]]) -> list[list[str]]:
    """The table's cells as single-line text, without empty rows and empty columns."""
    rows = [[_cell_text(cell) for cell in row] for row in raw]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    keep = [column for column in range(width) if any(row[column] for row in rows)]
    return [[row[column] for column in keep] for row in rows]


def is_table(rows: list[list[str]]) -> bool:
    """At least two rows and two columns of content, with short cells."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return False
    if sum(1 for row in rows if sum(1 for cell in row if cell) >= 2) < 2:
        return False
    return all(len(cell.split()) <= MAX_CELL_WORDS for row in rows for cell in row)


def is_header(row: Sequence[str]) -> bool:
    """Whether a row reads like column headings: short labels, no sentences, no bare figures."""
    cells = [cell for cell in row if cell]
    return (
        len(cells) >= 2
        and len({cell.lower() for cell in cells}) == len(cells)
        and all(
            len(cell.split()) <= MAX_HEADER_WORDS
            and not NO_LETTERS.fullmatch(cell)
            and not cell.endswith((".", ",", ";"))
            for cell in cells
        )
    )


def same_row(first: Sequence[str], second: Sequence[str]) -> bool:
    return [cell.lower() for cell in first] == [cell.lower() for cell in second]


def _clause(value: str) -> str:
    """A cell as one clause of its row: sentences inside it joined with semicolons, so that
    the row stays one sentence (a sentence splitter must not cut "Standard: 30 days" away
    from the "Lamps and lighting" it belongs to)."""
    return _INNER_STOP.sub("; ", value).rstrip(" .;")


def row_unit(row: Sequence[str], header: Sequence[str] | None, caption: str) -> str:
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
