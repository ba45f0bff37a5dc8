"""How the keyword index turns text into terms: bm25s's English tokenizer, stop words out,
Snowball stemming; a chunk is indexed with its title, as llama-index's BM25 retriever does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from kb_assistant.ports import IndexRecord

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
STOPWORDS = "en"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _bm25s() -> Any:
    import bm25s

    # bm25s forces its logger to DEBUG on import; let the application's configuration decide.
    # Once only: setting a level clears every logger's cache (~0.4 ms a call).
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def indexed_text(record: IndexRecord) -> str:
    """The text a chunk is indexed under: its title (when it has one), then its text."""
    title = record.metadata.get("title")
    if title is None:
        return record.text
    return f"title: {title}\n\n{record.text}".strip()


def terms_of_many(texts: Sequence[str]) -> list[list[str]]:
    """Each text's terms, in order, repeats kept (a term's count is its frequency)."""
    if not texts:
        return []
    tokens = _bm25s().tokenize(
        list(texts),
        stopwords=STOPWORDS,
        stemmer=_stemmer(),
        token_pattern=TOKEN_PATTERN,
        return_ids=False,
        show_progress=False,
    )
    return [[token for token in doc if token] for doc in tokens]


def terms(text: str) -> list[str]:
    """The terms of one text (a question), repeats kept."""
    return terms_of_many([text])[0] if text.strip() else []
