"""The units a health report reads: pieces of text with the document they belong to.

A unit is what a customer's answer is drawn from: a chunk of the live index, or a section
of a document read by a connector. The report's checks take plain `Unit`s, so they run the
same on an index, on files read from disk and on test data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from kb_assistant.domain import VISIBILITIES, Document, Visibility
from kb_assistant.ports import IndexRecord

VisibilityChoice = Literal["public", "internal", "all"]
_FAQ_LABEL = re.compile(r"^\s*[QA]:(?=\s)", re.MULTILINE)


@dataclass(frozen=True)
class Unit:
    """A piece of text as the report sees it; `location` is what a citation would show."""

    id: str
    doc_id: str
    title: str
    kind: str
    location: str
    text: str

    @property
    def word_count(self) -> int:
        """Words of the text, an FAQ entry's "Q:" and "A:" labels aside."""
        return len(_FAQ_LABEL.sub(" ", self.text).split())


def place(location: str, page_start: object = None, page_end: object = None) -> str:
    """A location with its page range: "policy.pdf, p. 3", "manual.pdf, pp. 3–4"."""
    if not isinstance(page_start, int) or isinstance(page_start, bool):
        return location
    if isinstance(page_end, int) and not isinstance(page_end, bool) and page_end != page_start:
        return f"{location}, pp. {page_start}–{page_end}"
    return f"{location}, p. {page_start}"


def units_from_records(records: Iterable[IndexRecord]) -> list[Unit]:
    """Units from index chunks (their metadata says which document and page)."""
    units = []
    for record in records:
        meta = record.metadata
        doc_id = str(meta.get("doc_id") or record.id)
        location = str(meta.get("location") or meta.get("source") or doc_id)
        units.append(
            Unit(
                id=record.id,
                doc_id=doc_id,
                title=str(meta.get("title") or ""),
                kind=str(meta.get("kind") or ""),
                location=place(location, meta.get("page_start"), meta.get("page_end")),
                text=record.text,
            )
        )
    return units


def units_from_documents(documents: Iterable[Document]) -> list[Unit]:
    """One unit per section of each document (a PDF page, an FAQ entry, a ticket)."""
    units = []
    for doc in documents:
        for number, section in enumerate(doc.sections):
            if not section.text.strip():
                continue
            units.append(
                Unit(
                    id=f"{doc.id}#{number}",
                    doc_id=doc.id,
                    title=doc.title,
                    kind=doc.kind,
                    location=place(doc.location, section.page),
                    text=section.text,
                )
            )
    return units


def visibilities(choice: VisibilityChoice) -> Sequence[Visibility]:
    return VISIBILITIES if choice == "all" else (choice,)
