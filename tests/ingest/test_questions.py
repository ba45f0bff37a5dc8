"""The questions a chunk answers: FAQ questions, ticket subjects, section headings."""

from __future__ import annotations

from ingest.questions import chunk_questions, headings_in
from kb_assistant.domain import Chunk, Document, Section


def document(kind: str, title: str, *texts: str) -> tuple[Document, list[Chunk]]:
    doc = Document(
        id=f"{kind}:1",
        title=title,
        sections=[Section(t) for t in texts],
        kind=kind,  # type: ignore[arg-type]
        visibility="public",
        source="s",
        location="l",
    )
    chunks = [Chunk(f"c{i}", doc.id, i, t, t) for i, t in enumerate(texts)]
    return doc, chunks


def test_an_faq_entry_answers_its_question() -> None:
    doc, chunks = document(
        "faq", "How do I reset my password?", "Q: How do I reset…\nA: Use the link."
    )

    assert chunk_questions(doc, chunks) == [["How do I reset my password?"]]


def test_a_ticket_answers_its_subject_without_the_number() -> None:
    doc, chunks = document("ticket", "Ticket 4711: Lamp flickers after bulb change", "Agent: …")

    assert chunk_questions(doc, chunks) == [["Lamp flickers after bulb change"]]


def test_manual_chunks_answer_their_headings_and_carry_the_last_one_on() -> None:
    doc, chunks = document(
        "pdf",
        "Kettle guide",
        "Cleaning and descaling\nRinse the kettle after use. Descale it every month.",
        "in hard-water areas, and dry the outside with a soft cloth after you rinse it.",
        "4.2 Return costs\nReturns are free for members.",
    )

    questions = chunk_questions(doc, chunks)

    assert questions[0] == ["Cleaning and descaling", "Kettle guide"]
    assert questions[1] == ["Cleaning and descaling", "Kettle guide"]  # the section runs on
    assert questions[2] == ["4.2 Return costs", "Kettle guide"]


def test_running_headers_and_page_numbers_are_not_headings() -> None:
    header = "Acme customer documentation"
    doc, chunks = document(
        "pdf",
        "Guide",
        f"{header}\nSafety\nKeep away from children.",
        "Use\nFill to the line.",
        f"{header}\nPage 3\nStorage\nKeep it dry.",
    )

    questions = chunk_questions(doc, chunks)

    assert all(header not in q for q in questions)
    assert questions[2] == ["Storage", "Guide"]


def test_wrapped_sentences_and_list_items_are_not_headings() -> None:
    text = "Descale the kettle every month when\nyou live in a hard water area.\n- Warranty card\n"

    assert headings_in(text) == []
