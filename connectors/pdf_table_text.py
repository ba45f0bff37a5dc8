"""A PDF page's text as pypdf reads it, with each table's cells replaced by its units, so
that nothing is read twice and everything outside the tables stays as on other pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from pypdf import PageObject

from connectors.pdf_lines import PageText

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber) or x0, y0, x1, y1


def text_with_tables(page: PageObject, tables: Sequence[tuple[list[Box], list[str]]]) -> PageText:
    """pypdf's text of the page with each table's cells replaced by its units.

    `tables` are (cells, units) pairs, cells in PDF user space (x0, y0, x1, y1, y upwards).
    pypdf hands its text over in runs, each with the position where it starts; the page text
    is exactly those runs one after the other, so leaving out the runs in a table's cells
    keeps everything else as pypdf reads it (the same lines, running headers and order as on
    pages without tables), and the table's units go where its first run was, each as a
    paragraph of its own. A table none of whose text was met has its units at the end.
    """
    content = PageText()
    placed: set[int] = set()

    def table_of(x: float, y: float) -> int | None:
        for index, (cells, _) in enumerate(tables):
            if any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in cells):
                return index
        return None

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text:
            return
        _, b, _, d, e, f = tm  # where the run starts, in text space, then in user space
        x = e * cm[0] + f * cm[2] + cm[4]
        y = e * cm[1] + f * cm[3] + cm[5]
        lift = 0.3 * size * abs(b * cm[2] + d * cm[3])  # from the baseline into the glyphs
        index = None if text.isspace() else table_of(x, y + lift)
        if index is None:
            content.visit(text, cm, tm, font, size)
            return
        if index not in placed:
            placed.add(index)
            content.add(_paragraphs(tables[index][1]))
        elif "\n" in text:
            content.add("\n")

    page.extract_text(visitor_text=visit)
    for index, (_, units) in enumerate(tables):
        if index not in placed:
            content.add(_paragraphs(units))
    return content


def _paragraphs(units: Sequence[str]) -> str:
    return "".join(f"\n\n{unit}\n\n" for unit in units)
