"""The LLM composer: asks a llama-index LLM to rewrite the passages and parses its reply.

The reply is parsed into the same `Draft` of cited statements the extractive composer writes,
so the verifier can check every statement against the passages it cites, whatever the model
said. Citation markers are square brackets around passage numbers, as the prompt asks:
`[1]`, `[2][3]`, `[1, 2]`, `[1-3]` (also `[Passage 2]` / `[Source 2]`). Round brackets are not
markers: "(1)" too often means a quantity or an item number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kb_assistant.answering.llm import chat, stream_chat
from kb_assistant.answering.prompts import system_prompt, user_prompt
from kb_assistant.core.replies import AnswerRequest, Draft, Statement, StatementKind
from kb_assistant.core.text import split_sentences
from kb_assistant.domain import Passage

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage, ChatResponse

COMPOSER_NAME = "llm"
CHARS_PER_TOKEN = 4  # token estimate when the endpoint does not report usage

_NUMBERS = r"\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*"
_MARKER = re.compile(rf"\[\s*(?:(?:passages?|sources?)\s*)?({_NUMBERS})\s*\]", re.IGNORECASE)
_MARKER_RUN = rf"(?:[ \t]*{_MARKER.pattern})+"
# Markers written after the full stop ("Unplug it. [2]") belong to that sentence.
_TRAILING_MARKERS = re.compile(rf"([.!?]+)({_MARKER_RUN})", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+")
# "Sources:" alone on its line, or followed by markers ("Sources: [1] Kettle care, [2] ...").
_SOURCE_LIST = re.compile(
    r"^[\s*_#>]*(?:sources?|references?|citations?)[\s*_]*(?::[\s*_]*)?(?:$|\[\d)", re.I
)
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_HEADING = re.compile(r"^\s*#{1,6}\s")
_MARKDOWN = re.compile(r"\*\*|__|`|^\s*>\s*")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")


@dataclass
class _Block:
    """A paragraph (split into sentences later) or one list item (one step)."""

    is_item: bool
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines if line.strip())


def cited_numbers(marker_body: str, n_passages: int) -> list[int]:
    """Passage numbers inside one marker ("1, 2", "1-3"), without those out of range."""
    found: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", marker_body):
        bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x.isdigit()]
        if len(bounds) == 2 and bounds[0] <= bounds[1] <= n_passages:
            found.extend(range(bounds[0], bounds[1] + 1))
        else:
            found.extend(bounds)
    return [n for n in found if 1 <= n <= n_passages]


def _statement(text: str, kind: StatementKind, n_passages: int) -> Statement:
    """`text` without its markers, citing the in-range numbers the markers named, in order."""
    sources: list[int] = []
    for match in _MARKER.finditer(text):
        sources.extend(n for n in cited_numbers(match.group(1), n_passages) if n not in sources)
    clean = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(_MARKER.sub(" ", text).split()))
    return Statement(text=clean, sources=tuple(sources), kind=kind)


def _blocks(text: str) -> list[_Block]:
    """Paragraphs and list items; an indented line continues the list item above it."""
    blocks: list[_Block] = []
    for raw in text.splitlines():
        if _SOURCE_LIST.match(raw):
            break  # a trailing list of sources repeats the markers and adds no statements
        if _HEADING.match(raw):
            blocks.append(_Block(is_item=False))  # a heading carries no facts; it ends a block
            continue
        line = _MARKDOWN.sub("", raw)
        current = blocks[-1] if blocks else None
        if not line.strip():
            blocks.append(_Block(is_item=False))
        elif _LIST_ITEM.match(line):
            blocks.append(_Block(is_item=True, lines=[_LIST_ITEM.sub("", line, count=1)]))
        elif current is not None and (not current.is_item or raw[:1].isspace()):
            current.lines.append(line)
        else:
            blocks.append(_Block(is_item=False, lines=[line]))
    return [block for block in blocks if block.text]


def draft_from_text(text: str, n_passages: int) -> Draft:
    """Statements parsed from an LLM reply that cites passages 1..`n_passages` by marker.

    Each list item ("1. ...", "- ...") becomes one `step`; other text is split into sentences,
    each a `claim`. Markers are removed from the text; numbers outside 1..`n_passages` are
    dropped; a statement without markers cites nothing (`sources=()`), and a line holding only
    markers adds them to the statement before it. Markdown emphasis, heading lines, `<think>`
    sections and a trailing "Sources:" list are dropped. Token counts are left at 0.
    """
    statements: list[Statement] = []
    for block in _blocks(_THINKING.sub("", text)):
        block_text = _TRAILING_MARKERS.sub(r"\2\1", block.text)
        pieces = [block_text] if block.is_item else split_sentences(block_text)
        kind: StatementKind = "step" if block.is_item else "claim"
        for piece in pieces:
            statement = _statement(piece, kind, n_passages)
            if statement.text.strip(" .,;:!?"):
                statements.append(statement)
            elif statements:
                previous = statements[-1]
                extra = tuple(n for n in statement.sources if n not in previous.sources)
                statements[-1] = replace(previous, sources=previous.sources + extra)
    return Draft(statements=tuple(statements), composer=COMPOSER_NAME)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _pair(prompt: object, completion: object) -> tuple[int, int] | None:
    counts = (_count(prompt), _count(completion))
    if counts[0] is None or counts[1] is None or counts == (0, 0):
        return None
    return counts[0], counts[1]


def reported_usage(response: ChatResponse) -> tuple[int, int] | None:
    """(prompt, completion) tokens as the endpoint reported them, or None when it did not.

    OpenAI-compatible servers send `usage`; Ollama sends `prompt_eval_count`/`eval_count`.
    """
    extra = response.additional_kwargs
    found = _pair(extra.get("prompt_tokens"), extra.get("completion_tokens"))
    raw = response.raw
    usage = raw.get("usage") if isinstance(raw, Mapping) else getattr(raw, "usage", None)
    if found is None and isinstance(usage, Mapping):
        found = _pair(usage.get("prompt_tokens"), usage.get("completion_tokens"))
    elif found is None and usage is not None:
        found = _pair(
            getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
        )
    if found is None and isinstance(raw, Mapping):
        found = _pair(raw.get("prompt_eval_count"), raw.get("eval_count"))
    return found


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters per token) for endpoints that report none."""
    return len(text) // CHARS_PER_TOKEN


class LlmComposer:
    """Writes a draft by asking an LLM to rewrite the retrieved passages for the reader."""

    name = COMPOSER_NAME

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    def messages(self, request: AnswerRequest, passages: Sequence[Passage]) -> list[ChatMessage]:
        """The system and user messages sent for this request."""
        from llama_index.core.llms import ChatMessage

        return [
            ChatMessage(role="system", content=system_prompt(request)),
            ChatMessage(role="user", content=user_prompt(request, passages)),
        ]

    def compose(self, request: AnswerRequest, passages: Sequence[Passage]) -> Draft:
        """A draft of cited statements; raises `LlmError` when the endpoint fails."""
        messages = self.messages(request, passages)
        response = chat(self.llm, messages)
        text = response.message.content or ""
        usage = reported_usage(response)
        if usage is None:
            sent = "\n".join(message.content or "" for message in messages)
            usage = (estimate_tokens(sent), estimate_tokens(text))
        draft = draft_from_text(text, len(passages))
        return replace(draft, tokens_in=usage[0], tokens_out=usage[1])

    def stream(self, request: AnswerRequest, passages: Sequence[Passage]) -> LlmStream:
        """The reply as it is generated, in text pieces; raises `LlmError` when it fails.

        The pieces are the model's raw text, not yet verified: join them and pass the result
        through `draft_from_text` and the verifier before a customer sees it. Once iterated,
        the stream holds the tokens the reply cost.
        """
        return LlmStream(self.llm, self.messages(request, passages))


class LlmStream:
    """One streamed LLM reply: iterate it for the text pieces; afterwards `tokens_in` and
    `tokens_out` hold what the endpoint reported (or an estimate when it reports nothing)."""

    def __init__(self, llm: LLM, messages: Sequence[ChatMessage]) -> None:
        self.llm = llm
        self.messages = list(messages)
        self.tokens_in = 0
        self.tokens_out = 0

    def __iter__(self) -> Iterator[str]:
        text, last = "", None
        for response in stream_chat(self.llm, self.messages):
            last = response
            if response.delta:
                text += response.delta
                yield response.delta
        usage = reported_usage(last) if last is not None else None
        if usage is None:
            sent = "\n".join(message.content or "" for message in self.messages)
            usage = (estimate_tokens(sent), estimate_tokens(text))
        self.tokens_in, self.tokens_out = usage
