"""Whether a PDF page can hold a ruled table, read cheaply from its content streams.

pdfplumber takes several times longer per page than pypdf, so pages are only handed to it
when their content (directly or in forms) paints enough level and plumb segments for a grid.
"""

from __future__ import annotations

import re

from pypdf import PageObject
from pypdf.generic import PdfObject

from connectors.pdf_objects import xobjects

# Operators that paint a path (stroke, fill or both) and numbers, in a content stream.
_PAINT_OPERATORS = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)")
_FLAT = 1.0  # points: a segment this close to level (or plumb) counts as a rule


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
