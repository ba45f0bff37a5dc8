"""PDF connector: pages as sections, titles, and a clear failure for every kind of bad PDF."""

from __future__ import annotations

import io
import logging
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PageObject, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from connectors.pdf import PdfConnector, is_meaningful_title


def make_pdf(pages: list[list[str]], title: str | None = None, image_pages: int = 0) -> bytes:
    """A PDF with one page per entry of `pages` (lines of text; [] is a blank page),
    followed by `image_pages` pages that only draw a picture."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        for number, line in enumerate(lines):
            pdf.drawString(72, 720 - 16 * number, line)
        pdf.showPage()
    picture = ImageReader(Image.new("RGB", (40, 40), "red"))
    for _ in range(image_pages):
        pdf.drawImage(picture, 72, 500, width=200, height=200)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_text_pdf_has_one_section_per_non_empty_page(tmp_path: Path) -> None:
    data = make_pdf(
        [["Returns guide", "Send items back."], [], ["Refunds take 5 days."]], "Returns"
    )
    path = write(tmp_path / "returns.pdf", data)
    os.utime(path, (1_700_000_000, 1_700_000_000))

    first = PdfConnector().load(path)
    second = PdfConnector().load(path)

    assert first.failures == []
    (doc,) = first.documents
    assert doc.id == second.documents[0].id == f"pdf:{path.resolve()}"
    assert doc.title == "Returns"
    assert [s.page for s in doc.sections] == [1, 3]
    assert doc.sections[0].text == "Returns guide\nSend items back."
    assert doc.sections[1].text == "Refunds take 5 days."
    assert doc.location == "returns.pdf"
    assert (doc.kind, doc.visibility, doc.url) == ("pdf", "public", None)
    assert doc.updated_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert doc.metadata["pages"] == "3"


def test_title_falls_back_to_a_heading_line_then_to_the_file_stem(tmp_path: Path) -> None:
    generic = make_pdf([["1 of 6", "Warranty Terms", "Body text."]], "Microsoft Word - w.docx")
    assert PdfConnector().load(write(tmp_path / "w.pdf", generic)).documents[0].title == (
        "Warranty Terms"
    )
    no_heading = make_pdf([["this starts in lower case and is a plain sentence."]])
    doc = PdfConnector().load(write(tmp_path / "care-guide.pdf", no_heading)).documents[0]
    assert doc.title == "care-guide"


@pytest.mark.parametrize(
    ("title", "meaningful"),
    [("Untitled", False), ("  ", False), ("report.docx", False), ("2024", False), ("FAQ", True)],
)
def test_meaningful_titles(title: str, meaningful: bool) -> None:
    assert is_meaningful_title(title) is meaningful


def test_random_bytes_and_truncated_pdf_are_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    noise = random.Random(7).randbytes(4000)
    valid = make_pdf([["Some text"]] * 3)
    cases = {
        "noise.pdf": noise,
        "fake.pdf": b"%PDF-1.7\n" + noise,
        "cut.pdf": valid[: len(valid) // 2],
        "zero.pdf": b"",
    }
    caplog.set_level(logging.WARNING)
    for name, data in cases.items():
        result = PdfConnector().load(write(tmp_path / name, data))
        assert result.documents == [], name
        assert [f.level for f in result.failures] == ["error"], name
        assert name in result.failures[0].error
    assert "not a PDF" in PdfConnector().load(tmp_path / "noise.pdf").failures[0].error
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET


def encrypted(data: bytes, user_password: str, algorithm: str = "RC4-128") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_password_protected_pdf_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.pdf", encrypted(make_pdf([["Secret"]]), "s3cret"))
    result = PdfConnector().load(path)
    assert result.documents == []
    assert result.failures[0].level == "error"
    assert "encrypted with a password; remove the password" in result.failures[0].error


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_owner_password_only_pdf_opens(tmp_path: Path, algorithm: str) -> None:
    path = write(tmp_path / "owner.pdf", encrypted(make_pdf([["Open to all"]]), "", algorithm))
    result = PdfConnector().load(path)
    assert result.failures == []
    assert result.documents[0].sections[0].text == "Open to all"


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("pages", [0, 2])
def test_empty_pdf_is_a_warning(tmp_path: Path, pages: int) -> None:
    result = PdfConnector().load(write(tmp_path / "blank.pdf", blank_pdf(pages)))
    assert result.documents == []
    assert [f.level for f in result.failures] == ["warning"]
    assert "empty PDF, nothing to index" in result.failures[0].error


def test_image_only_pdf_asks_for_ocr(tmp_path: Path) -> None:
    result = PdfConnector().load(write(tmp_path / "scan.pdf", make_pdf([], image_pages=2)))
    assert result.documents == []
    assert [f.level for f in result.failures] == ["error"]
    assert "no extractable text (scanned or image-only PDF?); run OCR first" in (
        result.failures[0].error
    )


def test_image_only_pages_in_a_text_pdf_are_reported(tmp_path: Path) -> None:
    data = make_pdf([["Cover page"]], image_pages=2)
    result = PdfConnector().load(write(tmp_path / "mixed.pdf", data))
    assert [s.page for s in result.documents[0].sections] == [1]
    assert [f.level for f in result.failures] == ["warning"]
    assert "pages 2–3 have images but no text" in result.failures[0].error


def test_a_page_that_fails_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "manual.pdf", make_pdf([["One"], ["Two"], ["Three"]]))
    real_extract = PageObject.extract_text

    def flaky_extract(self: PageObject, *args: object, **kwargs: object) -> str:
        text = real_extract(self, *args, **kwargs)  # type: ignore[arg-type]
        if text.strip() == "Two":
            raise ValueError("broken content stream")
        return text

    monkeypatch.setattr(PageObject, "extract_text", flaky_extract)
    result = PdfConnector().load(path)
    assert [s.page for s in result.documents[0].sections] == [1, 3]
    assert [f.level for f in result.failures] == ["warning"]
    assert "page 2" in result.failures[0].error


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    result = PdfConnector().load(tmp_path / "gone.pdf")
    assert result.documents == []
    assert "cannot read" in result.failures[0].error


def test_shared_pdfs_load_with_page_numbers(eval_data: Path) -> None:
    paths = sorted((eval_data / "pdfs").glob("*.pdf"))
    assert paths
    for path in paths:
        result = PdfConnector().load(path)
        assert result.complete, result.failures
        (doc,) = result.documents
        pages = [s.page or 0 for s in doc.sections]
        assert pages and pages == sorted(pages), path.name
        assert pages[0] >= 1 and pages[-1] <= int(doc.metadata["pages"]), path.name
        assert all(s.text for s in doc.sections)
        assert doc.title
