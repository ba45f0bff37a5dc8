"""Chunking with the embedding model's own tokenizer: no chunk over the chunk size, whatever
the source; FAQ entries that fit stay whole, longer ones are split and keep their question."""

from __future__ import annotations

import random

import pytest

from ingest.chunking import Chunker
from kb_assistant.domain import Document, Kind, Section
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import bundled_model_path

QUESTION = "How do I descale my Harbor kettle?"
WORDS = ["kettle", "descale", "vinegar", "water", "boil", "rinse", "limescale", "lid"]


@pytest.fixture(scope="module")
def tokenizer() -> SentenceTransformerEmbedder:
    """The real model's tokenizer (the model itself is not loaded to count tokens)."""
    return SentenceTransformerEmbedder(bundled_model_path())


@pytest.fixture(scope="module")
def chunker(tokenizer: SentenceTransformerEmbedder) -> Chunker:
    return Chunker(tokenizer.tokenize, chunk_tokens=120, chunk_overlap=20, max_tokens=256)


def sentences(count: int, seed: int = 7) -> list[str]:
    generator = random.Random(seed)
    return [
        " ".join(generator.choice(WORDS) for _ in range(generator.randint(6, 16))).capitalize()
        + f" (step {number})."
        for number in range(count)
    ]


def paragraphs(count: int, seed: int = 7) -> str:
    lines = sentences(count, seed)
    return "\n\n".join(" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4))


def document(
    text: str, kind: Kind = "faq", title: str = QUESTION, pages: list[str] | None = None
) -> Document:
    sections = [Section(page, page=n) for n, page in enumerate(pages, 1)] if pages else []
    return Document(
        id=f"{kind}:/kb/file#entry",
        title=title,
        sections=sections or [Section(text)],
        kind=kind,
        visibility="public",
        source="/kb/file",
        location="file",
    )


def token_count(tokenizer: SentenceTransformerEmbedder, text: str) -> int:
    return len(tokenizer.tokenize(text))


def test_an_faq_entry_that_fits_stays_one_chunk_as_written(chunker: Chunker) -> None:
    text = f"Q: {QUESTION}\nA: Fill it with water and vinegar, boil, then rinse twice."

    (chunk,) = chunker.chunk(document(text), version=1)

    assert chunk.text == chunk.embed_text == text
    assert chunk.index == 0


def test_a_long_faq_entry_is_split_within_the_budget_each_piece_led_by_its_question(
    chunker: Chunker, tokenizer: SentenceTransformerEmbedder
) -> None:
    lines = sentences(120)
    text = f"Q: {QUESTION}\nA: " + " ".join(lines)

    chunks = chunker.chunk(document(text), version=3)

    assert len(chunks) > 5
    lead = f"Q: {QUESTION}\nA: "
    for chunk in chunks:
        assert token_count(tokenizer, chunk.embed_text) <= chunker.chunk_tokens
        assert chunk.text.startswith(lead) and chunk.embed_text == chunk.text
    assert chunks[0].text.startswith(lead + lines[0])
    assert [c.index for c in chunks] == list(range(len(chunks)))
    covered = " ".join(chunk.text for chunk in chunks)
    assert all(line in covered for line in lines)


def test_a_long_ticket_keeps_its_title_in_front_of_every_piece(
    chunker: Chunker, tokenizer: SentenceTransformerEmbedder
) -> None:
    title = "Ticket 4711: kettle keeps switching off"
    chunks = chunker.chunk(document(paragraphs(80), "ticket", title), version=1)

    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.embed_text == f"{title}\n\n{chunk.text}"
        assert token_count(tokenizer, chunk.embed_text) <= chunker.chunk_tokens


@pytest.mark.parametrize(
    "text",
    [
        "x" * 30_000,  # one "word" the tokenizer reads as a single unknown token
        "a," * 15_000,  # a run of one-character tokens without a space
        "word " * 8_000,  # no sentence ends at all
        "\n".join(["Step one."] * 4_000),
    ],
    ids=["blob", "punctuation-run", "no-sentences", "many-lines"],
)
@pytest.mark.parametrize("kind", ["faq", "pdf"])
def test_no_chunk_exceeds_the_budget_whatever_the_text(
    chunker: Chunker, tokenizer: SentenceTransformerEmbedder, text: str, kind: Kind
) -> None:
    body = f"Q: {QUESTION}\nA: {text}" if kind == "faq" else text

    chunks = chunker.chunk(document(body, kind), version=1)

    assert chunks
    for chunk in chunks:
        assert token_count(tokenizer, chunk.embed_text) <= chunker.chunk_tokens
        assert len(chunk.text) <= chunker.max_chars + len(f"Q: {QUESTION}\nA: ")


def test_a_huge_title_is_cut_so_text_still_fits(
    chunker: Chunker, tokenizer: SentenceTransformerEmbedder
) -> None:
    title = " ".join(sentences(40))
    chunks = chunker.chunk(document(paragraphs(20), "pdf", title), version=1)

    for chunk in chunks:
        prefix = chunk.embed_text[: -len(chunk.text)]
        assert prefix.endswith("…\n\n")
        assert token_count(tokenizer, prefix) <= chunker.chunk_tokens // 3
        assert token_count(tokenizer, chunk.embed_text) <= chunker.chunk_tokens


def test_long_text_is_split_window_by_window_into_the_same_chunks(
    tokenizer: SentenceTransformerEmbedder,
) -> None:
    pages = [paragraphs(12, seed) for seed in range(12)]
    doc = document("", "pdf", "Kettle manual", pages)
    whole = Chunker(tokenizer.tokenize, chunk_tokens=120, chunk_overlap=20, max_tokens=256)
    windowed = Chunker(
        tokenizer.tokenize, chunk_tokens=120, chunk_overlap=20, max_tokens=256, window_chars=1000
    )

    expected = whole.chunk(doc, version=1)
    chunks = windowed.chunk(doc, version=1)

    assert len(doc.text) > 10 * 1000
    assert [(c.text, c.page_start, c.page_end) for c in chunks] == [
        (c.text, c.page_start, c.page_end) for c in expected
    ]
    assert chunks[0].page_start == 1 and chunks[-1].page_end == len(pages)


def test_headed_sections_are_chunked_one_heading_at_a_time(
    chunker: Chunker, tokenizer: SentenceTransformerEmbedder
) -> None:
    lines = sentences(30)
    sections = [
        Section("Kettle guide", page=1),
        Section("Safety\n\n" + " ".join(lines[:3]), page=1, heading="Safety"),
        Section("Descaling\n\n" + " ".join(lines[3:14]), page=1, heading="Care › Descaling"),
        Section(" ".join(lines[14:26]), page=2, heading="Care › Descaling"),
        Section("Storage\n\n" + " ".join(lines[26:]), page=2, heading="Care › Storage"),
    ]
    doc = document("", kind="pdf", title="Kettle Guide", pages=None)
    doc.sections = sections
    chunks = chunker.chunk(doc, version=1)

    prefixes = [c.embed_text.split("\n\n", 1)[0] for c in chunks]
    assert prefixes[0] == "Kettle Guide"
    assert prefixes[1] == "Kettle Guide › Safety"
    assert set(prefixes[2:-1]) == {"Kettle Guide › Care › Descaling"}
    assert prefixes[-1] == "Kettle Guide › Care › Storage"
    descaling = [c for c in chunks if c.embed_text.startswith("Kettle Guide › Care › Descaling")]
    assert len(descaling) >= 2 and (descaling[0].page_start, descaling[-1].page_end) == (1, 2)
    assert chunks[-1].text.startswith("Storage") and chunks[-1].page_start == 2
    for chunk in chunks:
        assert token_count(tokenizer, chunk.embed_text) <= chunker.chunk_tokens
        owners = {s.heading for s in sections if chunk.text in s.text or s.text in chunk.text}
        assert len(owners) <= 1  # over the page break of one heading, neither holds the other
        assert not ("Safety" in chunk.text and "Descaling" in chunk.text)


def test_documents_without_headings_are_chunked_as_before(chunker: Chunker) -> None:
    pages = [paragraphs(12), paragraphs(12, seed=3)]
    plain = document("", kind="pdf", title="Kettle Guide", pages=pages)
    headed = document("", kind="pdf", title="Kettle Guide", pages=pages)
    headed.sections = [Section(s.text, page=s.page, heading=None) for s in plain.sections]
    assert chunker.chunk(plain, version=1) == chunker.chunk(headed, version=1)
