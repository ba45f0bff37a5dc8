"""The assistant's own fixed wording: openings, "I don't know", offers of a person.

These sentences carry no facts about the company, so they need no source; everything
else in an answer comes from a passage.
"""

from __future__ import annotations

import re

from kb_assistant.core.replies import AnswerRequest

_PROBLEM = re.compile(
    r"\b(?:damaged|broken|faulty|wrong|missing|lost|late|not (?:working|arrived)|"
    r"hasn't arrived|never arrived|doesn't work|stopped working|problem|issue|can't|cannot)\b",
    re.IGNORECASE,
)
_HOW = re.compile(r"^\s*(?:how\s+(?:do|can|should|to)|what\s+should|where\s+(?:do|can))\b", re.I)
_WHEN = re.compile(r"^\s*(?:when|how\s+long|how\s+soon|how\s+quickly)\b", re.IGNORECASE)
_MEANING = re.compile(r"^\s*what\s+(?:does|is|are)\b.*\bmean", re.IGNORECASE)
_FIGURE = re.compile(
    r"^\W*when\b|\bwhen\s+(?:will|do|does|did|can|is|are|should)\b"
    r"|\b(?:how\s+(?:long|much|many|soon|quickly|often|far)|what\s+(?:time|date|price)"
    r"|costs?|price|fee)\b",
    re.IGNORECASE,
)

OPENINGS = {
    ("casual", "upset"): "I'm sorry this has been frustrating. Let's get it sorted.",
    ("casual", "problem"): "Sorry to hear that! Here's what you can do.",
    ("casual", "how"): "Happy to help! Here's how it works.",
    ("casual", "when"): "Good question! Here's what to expect.",
    ("casual", "meaning"): "Here's a quick explanation.",
    ("casual", "other"): "Thanks for asking! Here's what our help centre says.",
    ("professional", "upset"): "I'm sorry for the trouble. Here is what will help.",
    ("professional", "problem"): "I'm sorry to hear that. Here is what you can do.",
    ("professional", "how"): "Thank you for your question. Here is how it works.",
    ("professional", "when"): "Thank you for your question. Here is what to expect.",
    ("professional", "meaning"): "Here is a short explanation.",
    ("professional", "other"): "Thank you for your question. Here is what our help centre says.",
}

DONT_KNOW = {
    "casual": "I'm sorry, I couldn't find this in our help centre, and I don't want to guess. "
    "Would you like me to pass your question to a member of our team?",
    "professional": "I'm sorry, our help centre doesn't cover this question, and I would rather "
    "not guess. Would you like a member of our team to help you?",
}
DONT_KNOW_AGENT = (
    "Nothing in the knowledge base answers this with enough confidence. "
    "Check with the team, and consider adding an FAQ entry once it is answered."
)
OFFER_HUMAN = {
    "casual": "If that doesn't solve it, just ask and I'll bring in a person from our team.",
    "professional": "If this does not resolve it, I can connect you with a member of our team.",
}

FRAMING_TEXTS = frozenset(
    [*OPENINGS.values(), *DONT_KNOW.values(), DONT_KNOW_AGENT, *OFFER_HUMAN.values()]
)


def question_kind(question: str) -> str:
    if _MEANING.search(question):
        return "meaning"
    if _PROBLEM.search(question):
        return "problem"
    if _WHEN.search(question):
        return "when"
    if _HOW.search(question):
        return "how"
    return "other"


def asks_how(question: str) -> bool:
    """Whether the question asks how to do something (or reports a problem to solve)."""
    return question_kind(question) in ("how", "problem")


def wants_figure(question: str) -> bool:
    """Whether the question asks for a duration, an amount or a date."""
    return bool(_FIGURE.search(question))


def opening(request: AnswerRequest) -> str:
    """A friendly first line that fits the question and the customer's mood."""
    kind = "upset" if request.upset else question_kind(request.question)
    return OPENINGS[(request.tone, kind)]


def dont_know(request: AnswerRequest) -> str:
    if request.channel == "agent":
        return DONT_KNOW_AGENT
    return DONT_KNOW[request.tone]
