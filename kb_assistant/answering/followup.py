"""Follow-up questions: make "and how long does that take?" searchable using the conversation.

A follow-up that leans on an earlier message (a pronoun, "and …", "what about …", or almost
no words of its own) is searched together with the customer's previous question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.core.replies import Turn
from kb_assistant.core.text import content_tokens

_LEADS = re.compile(
    r"^\s*(?:and|also|but|so|then|ok(?:ay)?|what about|how about|same for|and if|what if)\b",
    re.IGNORECASE,
)
_REFERS_BACK = re.compile(r"\b(?:it|that|they|them|those|the same)\b", re.IGNORECASE)
MAX_OWN_WORDS = 4
MAX_WORDS_WITH_PRONOUN = 2


def contextualize(question: str, history: Sequence[Turn]) -> str:
    """The text to search for `question`, given the conversation before it."""
    previous = next((t.text for t in reversed(history) if t.role == "customer"), "")
    if not previous.strip() or not is_follow_up(question):
        return question
    return f"{previous.strip()} {question.strip()}"


def is_follow_up(question: str) -> bool:
    """Whether `question` needs an earlier message to make sense."""
    own_words = content_tokens(question)
    if len(own_words) <= 1:
        return True
    if len(own_words) > MAX_OWN_WORDS:
        return False
    if _LEADS.search(question):
        return True
    return len(own_words) <= MAX_WORDS_WITH_PRONOUN and bool(_REFERS_BACK.search(question))
