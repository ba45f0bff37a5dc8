"""Cutting a streamed LLM reply into complete statements, so each can be verified first.

Nothing reaches the customer before the verifier has seen the whole sentence: tokens are
held until the next sentence (or paragraph) has begun, which also means citation markers
written after a full stop ("… today. [2]") stay with their sentence.
"""

from __future__ import annotations

import re

from kb_assistant.answering.llm_composer import draft_from_text
from kb_assistant.core.replies import Statement

_CUT = re.compile(
    r"[.!?][\"'”’)]*(?:[ \t]*\[[^\]\n]{1,20}\])*(?=[ \t]*\n|\s+[\"'“‘(]?[A-Z0-9*•-])|\n[ \t]*\n"
)

_LIST_NUMBER = re.compile(r"\s*\d{1,2}[.)]")


class SentenceBuffer:
    """Accumulates streamed text and hands out the statements that are complete."""

    def __init__(self, passages: int) -> None:
        self.passages = passages
        self.pending = ""
        self.emitted: list[Statement] = []

    def feed(self, token: str) -> list[Statement]:
        """Add streamed text; the statements it completed."""
        self.pending += token
        cut = 0
        for found in _CUT.finditer(self.pending):
            line_start = self.pending.rfind("\n", 0, found.start()) + 1
            if not _LIST_NUMBER.fullmatch(self.pending[line_start : found.start() + 1]):
                cut = found.end()
        if not cut:
            return []
        done, self.pending = self.pending[:cut], self.pending[cut:]
        return self._parse(done)

    def close(self) -> list[Statement]:
        """The stream ended: the statements left in the buffer."""
        done, self.pending = self.pending, ""
        return self._parse(done)

    def _parse(self, text: str) -> list[Statement]:
        statements = list(draft_from_text(text, self.passages).statements)
        self.emitted.extend(statements)
        return statements
