"""Finding the internal chunks an answer sentence might have been copied from.

Used by the verifier to keep internal text (tickets, agent notes) out of customer answers.
Keyword search is enough here: a copied passage shares many rare words with its source,
and BM25 finds it in a millisecond, where an embedding per sentence would cost ~10 ms.
"""

from __future__ import annotations

from kb_assistant.ports import KeywordIndex


class KeywordInternalLookup:
    """`InternalLookup` over the internal keyword index."""

    def __init__(self, keywords: KeywordIndex) -> None:
        self.keywords = keywords

    def near(self, text: str, k: int) -> list[str]:
        return [hit.text for hit in self.keywords.query("internal", text, k)]
