"""PDF headings from the PDF's own typography: sections follow headings, lists stay lists."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from connectors.pdf import PdfConnector
from connectors.pdf_layout import numbering_depth
from ingest.chunking import Chunker
from ingest.clean import clean_document
from kb_assistant.domain import Chunk, Document
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import bundled_model_path
from tests.conftest import DEMO_KB

# (font, size, text) per line; a page is a list of lines, drawn top down.
Run = tuple[str, float, str]
BODY = "Helvetica"
BOLD = "Helvetica-Bold"
HEADER = [(BODY, 8, "Harbor & Pine — Lamp Care Guide"), (BODY, 8, "help.harborpine.example")]


def layout_pdf(pages: list[list[Run]]) -> bytes:
    """A PDF drawing each page's lines in their own font and size, every page under a
    two-line running header and above a "Page n of N" footer."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, lines in enumerate(pages, start=1):
        y = 800.0
        for font, size, text in [*HEADER, *lines]:
            y -= size * 1.6
            pdf.setFont(font, size)
            pdf.drawString(72, y, text)
        pdf.setFont(BODY, 8)
        pdf.drawString(72, 40, f"Page {number} of {len(pages)}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def body(*lines: str) -> list[Run]:
    return [(BODY, 10, line) for line in lines]


LAMP_GUIDE = [
    [
        (BOLD, 20, "Lamp Care Guide"),
        *body("Thank you for choosing an Ångström lamp. Read this guide before first use."),
        (BOLD, 14, "1. Safety"),
        *body(
            "Unplug the lamp before you clean it or change the bulb. Let the bulb cool",
            "down for ten minutes first.",
        ),
        (BOLD, 12, "1.1 Bulbs"),
        *body(
            "Use bulbs of 9 W or less:",
            "• LED bulbs with an E27 screw base, which last the longest and stay cool to",
            "the touch;",
            "• halogen bulbs marked for enclosed fittings;",
            "• never incandescent bulbs over 40 W.",
            "The shade can discolour when a bulb runs too hot.",
        ),
        (BOLD, 14, "2. Cleaning"),
        *body("Dust the shade with a dry, soft brush once a week."),
    ],
    [
        *body(
            "Wipe the base with a damp cloth and dry it at once. Do not use sprays or",
            "polish on the brass parts.",
        ),
        (BOLD, 14, "3. Warranty"),
        *body("Your lamp has a 1-year warranty against defects from the day of delivery."),
    ],
    [
        (BOLD, 10, "Contact us"),
        *body("Use the chat on the help site, Monday to Saturday, 8:00 to 20:00."),
    ],
]


@pytest.fixture
def lamp_guide(tmp_path: Path) -> Document:
    path = tmp_path / "lamp-care.pdf"
    path.write_bytes(layout_pdf(LAMP_GUIDE))
    result = PdfConnector().load(path)
    assert result.failures == []
    (doc,) = result.documents
    return doc


def headings_under(doc: Document, chunk: Chunk) -> set[str | None]:
    """The headings of the sections whose text the chunk's text overlaps."""
    start = doc.text.find(chunk.text)
    assert start >= 0
    end, offset, found = start + len(chunk.text), 0, set()
    for section in doc.sections:
        if offset < end and start < offset + len(section.text):
            found.add(section.heading)
        offset += len(section.text) + 2
    return found


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    tokenizer = SentenceTransformerEmbedder(bundled_model_path())
    return Chunker(tokenizer.tokenize, chunk_tokens=60, chunk_overlap=10, max_tokens=256)


def test_sections_follow_headings_and_keep_their_pages(lamp_guide: Document) -> None:
    assert [(s.page, s.heading) for s in lamp_guide.sections] == [
        (1, None),  # the running header above the first heading
        (1, "Lamp Care Guide"),
        (1, "1. Safety"),
        (1, "1. Safety › 1.1 Bulbs"),
        (1, "2. Cleaning"),
        (2, "2. Cleaning"),  # the section goes on over the page, under the same heading
        (2, "3. Warranty"),
        (3, "3. Warranty"),
        (3, "3. Warranty › Contact us"),  # bold at the body's size: under the larger heading
    ]
    headed = [s for s in lamp_guide.sections if s.heading == "1. Safety › 1.1 Bulbs"]
    assert headed[0].text.startswith("1.1 Bulbs\n\nUse bulbs of 9 W or less:")


def test_cleaned_sections_keep_lists_and_lose_page_furniture(lamp_guide: Document) -> None:
    doc = clean_document(lamp_guide)
    text = doc.text
    assert "help.harborpine.example" not in text and "Page 1 of 3" not in text
    assert (doc.sections[0].page, doc.sections[0].heading) == (1, "Lamp Care Guide")
    (bulbs,) = [s.text for s in doc.sections if s.heading == "1. Safety › 1.1 Bulbs"]
    assert bulbs.split("\n") == [
        "1.1 Bulbs",
        "",
        "Use bulbs of 9 W or less:",
        "• LED bulbs with an E27 screw base, which last the longest and stay cool to the touch;",
        "• halogen bulbs marked for enclosed fittings;",
        "• never incandescent bulbs over 40 W.",
        "The shade can discolour when a bulb runs too hot.",
    ]
    (cleaning,) = [s.text for s in doc.sections if s.heading == "2. Cleaning" and s.page == 2]
    assert cleaning == (
        "Wipe the base with a damp cloth and dry it at once. "
        "Do not use sprays or polish on the brass parts."
    )


def test_chunks_never_cross_headings_and_are_found_by_them(
    lamp_guide: Document, chunker: Chunker
) -> None:
    doc = clean_document(lamp_guide)
    chunks = chunker.chunk(doc, version=1)
    assert len(chunks) > len({s.heading for s in doc.sections})
    for chunk in chunks:
        (heading,) = headings_under(doc, chunk)  # one heading's text only
        assert heading is not None
        if heading in doc.title:
            assert chunk.embed_text.startswith(f"{doc.title}\n\n")
        else:
            assert chunk.embed_text.startswith(f"{doc.title} › {heading}\n\n")
        pages = {s.page or 0 for s in doc.sections if s.heading == heading}
        assert min(pages) <= (chunk.page_start or 0) <= (chunk.page_end or 0) <= max(pages)
    (cleaning,) = [c for c in chunks if "2. Cleaning" in c.text]
    assert (cleaning.page_start, cleaning.page_end) == (1, 2)


def test_a_pdf_in_one_type_style_keeps_one_section_per_page(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    path.write_bytes(layout_pdf([body("Returns are free.", "Refunds take 5 days.")] * 2))
    (doc,) = PdfConnector().load(path).documents
    assert [(s.page, s.heading) for s in doc.sections] == [(1, None), (2, None)]


@pytest.mark.parametrize(
    ("line", "depth"),
    [("4. Refunds", 1), ("4.2 Return costs", 2), ("Section 4 Delivery", 1), ("Refunds", 0)],
)
def test_numbering_depth(line: str, depth: int) -> None:
    assert numbering_depth(line) == depth


def test_demo_manuals_are_cut_at_their_headings(chunker: Chunker) -> None:
    result = PdfConnector().load(DEMO_KB / "manuals" / "returns-and-warranty-policy.pdf")
    doc = clean_document(result.documents[0])
    headings = list(dict.fromkeys(s.heading for s in doc.sections))
    assert headings[:4] == [
        "Returns, Refunds and Warranty Policy",
        "1. About this policy",
        "2. Return windows",
        "3. Condition of returned items",
    ]
    assert "4. How to return an item › 4.2 Return costs" in headings
    assert "8. Product warranty › 8.3 How to make a warranty claim" in headings
    assert len(headings) == 19
    (costs,) = [s.text for s in doc.sections if s.heading and s.heading.endswith("Return costs")]
    assert costs.split("\n")[2:4] == [
        "• Returns of faulty, damaged or incorrect items are always free.",
        "• UK return labels cost £3.95, which is deducted from your refund. "
        "Plus members get free return labels.",
    ]
    # A section running over a page break keeps its heading on the next page.
    assert [s.page for s in doc.sections if s.heading == "3. Condition of returned items"] == [
        1,
        2,
    ]
    for chunk in chunker.chunk(doc, version=1):
        assert len(headings_under(doc, chunk)) == 1, chunk.text

    kettle = clean_document(
        PdfConnector().load(DEMO_KB / "manuals" / "kettle-quick-start.pdf").documents[0]
    )
    assert [s.heading for s in kettle.sections] == [
        "Stovetop Whistle Kettle",
        "Safety",
        "Before first use",
        "Everyday use",
        "Cleaning and descaling",
        "Troubleshooting",
        "Warranty and support",
    ]
    assert "Harbor & Pine customer documentation" not in kettle.text  # its running header
    (everyday,) = [s.text for s in kettle.sections if s.heading == "Everyday use"]
    assert [line[:3] for line in everyday.split("\n")[2:]] == ["1. ", "2. ", "3. ", "4. ", "5. "]
