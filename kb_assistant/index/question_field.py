"""How a chunk's questions travel in its metadata (vector stores take scalar values only).

Ingestion finds the questions a chunk answers (`ingest.questions`); the vector index embeds
each of them as a field of its own, beside the chunk's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

QUESTIONS_KEY = "questions"
MAX_QUESTIONS = 4  # per chunk: a page of short sections names a few
_SEPARATOR = "\n"


def joined(questions: Sequence[str]) -> str:
    """The questions as one metadata value."""
    return _SEPARATOR.join(" ".join(q.split()) for q in questions if q.strip())


def questions_of(metadata: Mapping[str, object]) -> list[str]:
    """The questions stored with a chunk; its title when none were stored (an index written
    before questions were kept)."""
    stored = [q for q in str(metadata.get(QUESTIONS_KEY) or "").split(_SEPARATOR) if q.strip()]
    if stored:
        return stored
    title = " ".join(str(metadata.get("title") or "").split())
    return [title] if title else []
