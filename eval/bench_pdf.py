"""PDF reading: tables read row by row, headings found, and what it costs (the `pdf` section
of `make bench`).

For the demo manuals and the shared PDFs, every file is read through the product's
`PdfConnector` twice in the same process: as shipped (ruled tables read with pdfplumber, one
"Header: value; Header: value." sentence per row) and with table reading switched off
(pypdf's text alone, the reader before tables were read). Reported per file: pages, the
table rows read as units, the headings found and the sections they cut the text into,
examples of both, and the best reading time of several rounds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.datasets import PROJECT_ROOT, shared_pdfs

DEMO_MANUALS = PROJECT_ROOT / "demo" / "kb" / "manuals"
ROUNDS = 3
EXAMPLES = 2  # table units shown per file
HEADING_EXAMPLES = 4  # headings shown per file


@contextmanager
def plain_text_only() -> Iterator[None]:
    """Table reading switched off: every page read as pypdf's plain text."""
    import connectors.pdf as pdf

    original = pdf.page_may_have_tables
    pdf.page_may_have_tables = lambda page: False
    try:
        yield
    finally:
        pdf.page_may_have_tables = original


def table_units(text: str) -> list[str]:
    """The paragraphs of a page that are table rows ("Header: value; Header: value.")."""
    return [p for p in text.split("\n\n") if p.count(": ") >= 2 and "\n" not in p.strip()]


def read_seconds(path: Path, rounds: int = ROUNDS) -> tuple[float, Any]:
    """The best of `rounds` reads of one file, and what the last one gave."""
    from connectors.pdf import PdfConnector

    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = PdfConnector().load(path)
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(paths: Sequence[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        with plain_text_only():
            before, plain = read_seconds(path)
        after, read = read_seconds(path)
        sections = [s for d in read.documents for s in d.sections]
        headings = list(dict.fromkeys(s.heading for s in sections if s.heading))
        plain_units = sum(len(table_units(s.text)) for d in plain.documents for s in d.sections)
        units = [u for s in sections for u in table_units(s.text)]
        rows.append(
            {
                "file": path.name,
                "pages": sum(int(d.metadata.get("pages", 0)) for d in read.documents),
                "sections": len(sections),
                "headings": len(headings),
                "heading_examples": _spread(headings, HEADING_EXAMPLES),
                "table_units": len(units) - plain_units,
                "examples": units[:EXAMPLES] if len(units) > plain_units else [],
                "plain_s": before,
                "tables_s": after,
                "warnings": [f.error for f in read.failures],
            }
        )
    return rows


def _spread(values: Sequence[str], count: int) -> list[str]:
    """Up to `count` values taken evenly from the start to the end."""
    if len(values) <= count:
        return list(values)
    return [values[i * (len(values) - 1) // (count - 1)] for i in range(count)]


def run(root: Path | None) -> dict[str, Any]:
    demo = sorted(DEMO_MANUALS.glob("*.pdf"))
    shared = shared_pdfs(root) if root is not None else []
    return {"demo": measure(demo), "shared": measure(shared)}


def render(report: dict[str, Any], machine_line: str) -> str:
    lines = [
        "## PDF reading: tables row by row, sections by heading",
        "",
        "Each file read through the product's PDF connector as shipped (ruled tables read "
        "with pdfplumber, one `Header: value; Header: value.` sentence per row in the "
        "table's place, the rest of the page as before) "
        "and with table reading switched off (pypdf's text alone), in the same process; "
        f"time: the best of {ROUNDS} reads.",
        "",
        "| set | file | pages | headings | sections | table rows read with their headers | "
        "read s, plain text | read s, with tables | × |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    totals = {"plain_s": 0.0, "tables_s": 0.0}
    for name in ("demo", "shared"):
        for row in report[name]:
            totals["plain_s"] += row["plain_s"]
            totals["tables_s"] += row["tables_s"]
            ratio = row["tables_s"] / row["plain_s"] if row["plain_s"] else 0.0
            lines.append(
                f"| {name} | {row['file']} | {row['pages']} | {row.get('headings', 0)} | "
                f"{row.get('sections', 0)} | {row['table_units']} | "
                f"{row['plain_s']:.2f} | {row['tables_s']:.2f} | {ratio:.2f} |"
            )
    if totals["plain_s"]:
        lines.append(
            f"| all | | | | | | {totals['plain_s']:.2f} | {totals['tables_s']:.2f} | "
            f"{totals['tables_s'] / totals['plain_s']:.2f} |"
        )
    examples = [
        (row["file"], text)
        for n in ("demo", "shared")
        for row in report[n]
        for text in row["examples"]
    ]
    if examples:
        lines += ["", "Examples of table rows as they are indexed:", ""]
        lines += [f"- {file}: “{text}”" for file, text in examples]
    headings = [
        (row["file"], row.get("heading_examples", []))
        for n in ("demo", "shared")
        for row in report[n]
    ]
    if any(found for _, found in headings):
        lines += [
            "",
            "Headings are found from each PDF's own type (larger, bold, or numbered like a "
            "section, against the body text's size); the text is cut into one section per "
            "heading and page, and chunks never span two headings. Examples, as a section's "
            "heading reads (the heading it sits under first):",
            "",
        ]
        lines += [
            f"- {file}: " + "; ".join(f"“{text}”" for text in found)
            for file, found in headings
            if found
        ]
    lines += [
        "",
        "Only tables drawn with rules are read as tables: pdfplumber's text-alignment "
        "strategy turned ordinary paragraphs into tables on nearly every page of the "
        "benefit booklets, and a frame around a text box or a picture (a cell of more than "
        "80 words, one row or one column) stays plain text. None of the shared PDFs has a "
        "fully ruled data table, so their text is what it was.",
        "",
        f"Machine: {machine_line}",
        "",
        "Reproduce: `.venv/bin/python -m eval.bench --only pdf`.",
    ]
    return "\n".join(lines)
