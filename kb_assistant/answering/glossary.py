"""Jargon explained from the knowledge base's own glossary.

Any public FAQ entry in a category named "Glossary" (or "Glossary of terms"…), or titled
`What does "TERM" mean?`, defines TERM. When an answer uses a term the customer did not
use themselves, the extractive composer adds the first sentence of its definition, cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb_assistant.answering.evidence import answer_text
from kb_assistant.core.text import split_sentences
from kb_assistant.domain import Passage
from kb_assistant.ports import IndexRecord, VectorIndex
from kb_assistant.retrieval import passage_from_record

_DEFINES = re.compile(
    r"^\s*what\s+(?:does|is|are)\s+(?:an?\s+|the\s+)?[\"“']?(?P<term>[^\"”'?]{2,40}?)[\"”']?"
    r"(?:\s+mean)?\s*\??\s*$",
    re.IGNORECASE,
)
GLOSSARY_CATEGORIES = ("Glossary", "Glossary of terms", "Terms", "Jargon")


@dataclass(frozen=True)
class Term:
    term: str
    definition: str
    passage: Passage
    pattern: re.Pattern[str]


class Glossary:
    """Terms and their one-sentence definitions, each with the passage it comes from."""

    def __init__(self, terms: Sequence[Term] = ()) -> None:
        self.terms = list(terms)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def from_records(cls, records: Sequence[IndexRecord]) -> Glossary:
        terms: dict[str, Term] = {}
        for record in records:
            passage = passage_from_record(record)
            found = _DEFINES.match(passage.title)
            sentences = split_sentences(answer_text(passage))
            if found is None or not sentences:
                continue
            term = found.group("term").strip()
            pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
            terms.setdefault(term.lower(), Term(term, sentences[0], passage, pattern))
        return cls(sorted(terms.values(), key=lambda t: t.term.lower()))

    @classmethod
    def from_index(cls, vectors: VectorIndex) -> Glossary:
        """The glossary entries among the public documents."""
        records: list[IndexRecord] = []
        for category in GLOSSARY_CATEGORIES:
            records.extend(vectors.matching("public", {"meta_category": category}))
        return cls.from_records(records)

    def explain(self, answer: str, question: str, limit: int = 2) -> list[Term]:
        """Terms used in `answer` but not in `question`, in order of first use."""
        used = [
            (found.start(), term)
            for term in self.terms
            if (found := term.pattern.search(answer)) and not term.pattern.search(question)
        ]
        return [term for _, term in sorted(used, key=lambda pair: pair[0])][:limit]


class FollowingGlossary(Glossary):
    """The glossary of the live index version: read again when `version()` changes (after
    a re-index switched versions), so explanations follow the knowledge base served."""

    def __init__(self, vectors: VectorIndex, version: Callable[[], object]) -> None:
        super().__init__()
        self._vectors = vectors
        self._version = version
        self._read_for: object = _NOT_READ

    def __len__(self) -> int:
        self._follow()
        return super().__len__()

    def explain(self, answer: str, question: str, limit: int = 2) -> list[Term]:
        self._follow()
        return super().explain(answer, question, limit)

    def _follow(self) -> None:
        current = self._version()
        if current != self._read_for:
            self.terms = Glossary.from_index(self._vectors).terms
            self._read_for = current


_NOT_READ = object()
