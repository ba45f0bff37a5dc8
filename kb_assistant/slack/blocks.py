"""Block Kit builders for the Slack app: answers with confidence and sources, and short notes.

Everything that came from the knowledge base (answer text, titles, excerpts) is mrkdwn-escaped,
so a document can neither ping `@channel`/a person nor plant a link. Long answers are split to
Slack's limits (3,000 characters per text block, 50 blocks per message).
"""

from __future__ import annotations

import re
from typing import Any

from kb_assistant.core.replies import Answer, Citation
from kb_assistant.domain import Passage, cite

Block = dict[str, Any]

MAX_SECTION_CHARS = 3000
MAX_BLOCKS = 50
MAX_FALLBACK_CHARS = 3000
EXCERPT_CHARS = 300
MAX_BUTTON_VALUE = 2000
FEEDBACK_UP = "kb_feedback_up"
FEEDBACK_DOWN = "kb_feedback_down"
USAGE = (
    "Ask me about the knowledge base: `/kb How do I descale the kettle?`, "
    "mention me with a question, or send me a direct message."
)
WORKING = ":mag: Searching the knowledge base…"
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")


def escape(text: str) -> str:
    """`text` safe as Slack mrkdwn: `&`, `<` and `>` escaped, so no mention or link survives."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraph, line or word ends."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def note_blocks(text: str) -> list[Block]:
    """One section of our own wording (not escaped: it may hold formatting)."""
    return [section(text)]


def excerpt_for(citation: Citation, passages: list[Passage]) -> str:
    """The start of the passage a citation points at ("" when it is not among the passages)."""
    for passage in passages:
        if passage.title == citation.title and cite(passage) == citation.location:
            text = " ".join(passage.text.split())
            return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + "…"
    return ""


def source_block(citation: Citation, passages: list[Passage]) -> Block:
    """One source: number, title (linked when it has a plain web URL), where, and an excerpt."""
    title = escape(citation.title)
    if citation.url and _SAFE_URL.fullmatch(citation.url):
        title = f"<{citation.url}|{title}>"
    line = f"*[{citation.number}] {title}* · {escape(citation.location)} · _{citation.visibility}_"
    excerpt = excerpt_for(citation, passages)
    if excerpt:
        line += "\n>" + escape(excerpt)
    return section(line[:MAX_SECTION_CHARS])


def feedback_actions(question: str) -> Block:
    """👍 / 👎 buttons; their value carries the question so a rating says what it rates."""
    value = question[:MAX_BUTTON_VALUE]
    return {
        "type": "actions",
        "block_id": "kb_feedback",
        "elements": [
            _button(":+1: Helpful", FEEDBACK_UP, value),
            _button(":-1: Not helpful", FEEDBACK_DOWN, value),
        ],
    }


def _button(label: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def answer_blocks(question: str, answer: Answer) -> list[Block]:
    """The whole reply: answer text, confidence line, sources with excerpts, feedback buttons."""
    blocks = [section(piece) for piece in split_text(escape(answer.text))]
    blocks.append(
        context(
            f"Confidence *{answer.confidence:.2f}* · {answer.action.replace('_', ' ')}"
            f" · {escape(answer.reason)[:200]}"
        )
    )
    if answer.citations:
        blocks.append(section("*Sources*"))
        blocks.extend(source_block(c, answer.passages) for c in answer.citations)
    blocks.append(feedback_actions(question))
    return blocks


def pages(blocks: list[Block], size: int = MAX_BLOCKS) -> list[list[Block]]:
    """`blocks` in messages of at most `size` blocks each."""
    return [blocks[start : start + size] for start in range(0, len(blocks), size)] or [[]]


def fallback_text(answer: Answer) -> str:
    """The plain text of the notification (and of clients without Block Kit)."""
    return escape(answer.text)[:MAX_FALLBACK_CHARS]
