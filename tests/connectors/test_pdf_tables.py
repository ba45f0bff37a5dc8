"""PDF tables: every row read as one unit pairing the column headers with that row's values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.page import Page
from pypdf import PdfReader
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Table
from reportlab.platypus import TableStyle as Style

from connectors.pdf import PdfConnector
from kb_assistant.domain import Document
from tests.conftest import DEMO_KB

BODY = getSampleStyleSheet()["BodyText"]
HEADING = getSampleStyleSheet()["Heading2"]

WARRANTY_ROWS = [
    ["Product", "Warranty", "How to claim"],
    ["Desk lamp", "1 year", "Send a photo of the fault."],
    ["Oak bench", "2 years", "Book a visit from our repair team."],
    ["Linen duvet", "6 months", "Return it unwashed in its bag."],
]


def grid(rows: Sequence[Sequence[str]], repeat_header: int = 1) -> Table:
    """A ruled table like the ones in our manuals, the first row as its header."""
    table = Table([list(row) for row in rows], repeatRows=repeat_header, hAlign="LEFT")
    table.setStyle(
        Style(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ]
        )
    )
    return table


def build(path: Path, story: list[Flowable]) -> Path:
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build(story)
    return path


def load(path: Path) -> Document:
    result = PdfConnector().load(path)
    assert result.failures == []
    (doc,) = result.documents
    return doc


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def page_text(doc: Document, page: int) -> str:
    """The text of one page: its sections (one per heading on it) one after the other."""
    return "\n\n".join(section.text for section in doc.sections if section.page == page)


@pytest.fixture
def warranty_pdf(tmp_path: Path) -> Path:
    return build(
        tmp_path / "warranty.pdf",
        [
            Paragraph("Every product comes with a warranty against faults.", BODY),
            Paragraph("Warranty periods", HEADING),
            grid(WARRANTY_ROWS),
            Paragraph("Keep your order number ready when you contact us.", BODY),
        ],
    )


def test_each_row_pairs_the_headers_with_its_own_values(warranty_pdf: Path) -> None:
    """A row is one sentence: a sentence splitter must not cut a value from its row."""
    units = [line for line in lines(page_text(load(warranty_pdf), 1)) if "Product: " in line]
    assert units == [
        "Warranty periods — Product: Desk lamp; Warranty: 1 year; "
        "How to claim: Send a photo of the fault.",
        "Warranty periods — Product: Oak bench; Warranty: 2 years; "
        "How to claim: Book a visit from our repair team.",
        "Warranty periods — Product: Linen duvet; Warranty: 6 months; "
        "How to claim: Return it unwashed in its bag.",
    ]
    for row in WARRANTY_ROWS[1:]:  # no unit holds a cell of another row
        (unit,) = [unit for unit in units if row[0] in unit]
        others = {cell for other in WARRANTY_ROWS[1:] if other is not row for cell in other}
        assert not any(cell in unit for cell in others)


def test_text_around_the_table_is_kept_once_and_the_cells_only_in_the_units(
    warranty_pdf: Path,
) -> None:
    text = page_text(load(warranty_pdf), 1)
    before, _, after = text.partition("Warranty periods — ")
    assert lines(before) == [
        "Every product comes with a warranty against faults.",
        "Warranty periods",
    ]  # the rows take the table's place: after the text above it, before the text below
    assert lines(after)[-1] == "Keep your order number ready when you contact us."
    assert text.count("Keep your order number ready") == 1
    assert text.count("Warranty periods") == 4  # the heading, then as the caption of each row
    for row in WARRANTY_ROWS[1:]:
        for cell in row:
            assert text.count(cell) == 1, cell
    assert "How to claim\n" not in text  # no loose header cells left in the page text


def test_rows_are_paragraphs_of_their_own(warranty_pdf: Path) -> None:
    paragraphs = page_text(load(warranty_pdf), 1).split("\n\n")
    assert sum(paragraph.startswith("Warranty periods — ") for paragraph in paragraphs) == 3


@pytest.mark.parametrize("repeat_header", [1, 0], ids=["repeated-header", "header-once"])
def test_a_table_over_two_pages_keeps_its_header(tmp_path: Path, repeat_header: int) -> None:
    rows = [["Order", "Status", "Next step"]] + [
        [f"Order {n:02d}", "Shipped" if n % 2 else "Packed", f"Track parcel {n:02d}"]
        for n in range(1, 61)
    ]
    path = build(tmp_path / "orders.pdf", [grid(rows, repeat_header)])
    doc = load(path)
    assert [section.page for section in doc.sections] == [1, 2]
    units = [line for section in doc.sections for line in lines(section.text)]
    units = [line for line in units if "Order " in line]
    assert len(units) == 60
    for n, unit in enumerate(units, start=1):
        status = "Shipped" if n % 2 else "Packed"
        assert unit == (f"Order: Order {n:02d}; Status: {status}; Next step: Track parcel {n:02d}.")
    second = doc.sections[1].text
    assert "Order: Order 60;" in second
    assert "Next step\n" not in second and not second.startswith("Order\n")


def test_a_page_without_a_table_reads_as_plain_text(tmp_path: Path) -> None:
    one_row = [["Opening hours", "Monday to Saturday, 8:00 to 20:00"]]
    path = build(
        tmp_path / "notice.pdf",
        [
            Paragraph("Returns are free within 30 days of delivery.", BODY),
            grid([["Warranty periods"], ["1 year"], ["2 years"]]),  # one column
            grid(one_row),  # one row
            PageBreak(),
            Paragraph("Refunds reach your account within 5 business days.", BODY),
        ],
    )
    doc = load(path)
    plain = [page.extract_text() for page in PdfReader(path).pages]
    assert [section.text for section in doc.sections] == [text.strip() for text in plain]
    assert "Opening hours: " not in doc.sections[0].text
    assert doc.sections[1].text == "Refunds reach your account within 5 business days."


def test_a_table_without_a_header_row_joins_its_cells(tmp_path: Path) -> None:
    rows = [["Order total", "$120.00"], ["Delivery", "$4.95"], ["Paid", "$124.95"]]
    (section,) = load(build(tmp_path / "receipt.pdf", [grid(rows)])).sections
    assert lines(section.text) == ["Order total | $120.00", "Delivery | $4.95", "Paid | $124.95"]


def test_a_page_whose_tables_fail_falls_back_to_plain_text_with_a_warning(
    warranty_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Page, *args: object, **kwargs: object) -> list[object]:
        raise ValueError("damaged table")

    monkeypatch.setattr(Page, "find_tables", broken)
    result = PdfConnector().load(warranty_pdf)
    text = page_text(result.documents[0], 1)
    assert lines(text) == lines(PdfReader(warranty_pdf).pages[0].extract_text())
    assert "Desk lamp" in text
    assert [failure.level for failure in result.failures] == ["warning"]
    assert "warranty.pdf: tables on page 1 could not be read (ValueError: damaged table)" in (
        result.failures[0].error
    )


def test_a_file_pdfplumber_cannot_open_is_read_as_plain_text_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["Order", "Status"]] + [[f"Order {n:02d}", "Shipped"] for n in range(1, 61)]
    path = build(tmp_path / "orders.pdf", [grid(rows)])

    def unreadable(*args: object, **kwargs: object) -> None:
        raise OSError("cannot parse")

    monkeypatch.setattr(pdfplumber, "open", unreadable)
    result = PdfConnector().load(path)
    plain = [page.extract_text().strip() for page in PdfReader(path).pages]
    assert [section.text for section in result.documents[0].sections] == plain
    assert [failure.level for failure in result.failures] == ["warning"]
    assert "orders.pdf: tables on pages 1–2 could not be read (OSError: cannot parse)" in (
        result.failures[0].error
    )


def test_demo_manuals_read_their_tables_row_by_row() -> None:
    kettle = load(DEMO_KB / "manuals" / "kettle-quick-start.pdf")
    kettle_lines = lines(page_text(kettle, 2))
    assert (
        "Troubleshooting — Problem: The kettle does not whistle; Likely cause: The spout cap "
        "is not fully closed, or the whistle is blocked by limescale; What to do: Close the "
        "cap until it clicks; Descale the kettle and clean the whistle opening with a soft "
        "brush."
    ) in kettle_lines
    assert (
        "Troubleshooting — Problem: Water spits out of the spout; Likely cause: The kettle is "
        "filled above the MAX mark, or the heat is too high; What to do: Pour some water out "
        "and heat on a medium setting."
    ) in kettle_lines
    assert sum(line.startswith("Troubleshooting — Problem: ") for line in kettle_lines) == 5

    policy = load(DEMO_KB / "manuals" / "returns-and-warranty-policy.pdf")
    policy_lines = lines(page_text(policy, 1))
    assert (
        "Product category: Kitchenware and tableware; Standard: 30 days; Plus members: "
        "60 days; Notes: Unused; Cast-iron pans must not have been heated."
    ) in policy_lines
    assert (
        "Product category: Gift cards; Standard: Not returnable; Plus members: Not returnable; "
        "Notes: Valid for 24 months."
    ) in policy_lines
    assert sum(line.startswith("Product category: ") for line in policy_lines) == 7
    assert "Plus\nmembers" not in page_text(policy, 1)
