"""How long a customer answer may be, in words.

A chat bubble is read on a phone: the body of a customer answer (its opening, claims and
notes; not the list of sources nor the offer of a person) stays near a fixed number of words.
At 75 for a normal answer, its own sentences (without the opening) come to a median of about
55 words on questions in customers' own words (`eval.customer_eval`); at 60 they came to 42,
and more answers missed the fact the customer asked for.
The steps of a procedure are not counted: a procedure cut short is worse than a long one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kb_assistant.core.replies import Length

WORD_BUDGET: Mapping[Length, int] = {"short": 40, "normal": 75, "detailed": 140}


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of characters between spaces."""
    return len(text.split())


@dataclass
class WordBudget:
    """Words left for an answer body; whole sentences are taken or left, never cut."""

    limit: int
    used: int = 0

    def fits(self, words: int) -> bool:
        """Whether `words` more would stay within the limit."""
        return self.used + words <= self.limit

    def spend(self, words: int) -> None:
        """Count words that stay whatever the budget (the opening, the best sentence)."""
        self.used += words

    def take(self, words: int) -> bool:
        """Spend `words` if they fit; whether they did."""
        if not self.fits(words):
            return False
        self.spend(words)
        return True
