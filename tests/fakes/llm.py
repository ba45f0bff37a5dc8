"""Fake LLMs that are real llama-index LLMs, so they sit exactly at the LLM boundary.

`ScriptedLLM` answers from a queue and records its prompts. `MisbehavingLLM` is deliberately
unsafe: it obeys instructions planted in the question or the passages, promises money, copies
internal text and personal data, and also copies a sentence or two that the passages really
support, so that a correct verifier still leaves a real answer. Both subclass `CustomLLM`:
`chat` and `stream_chat` go through llama-index's own base class, which flattens the
messages into one prompt ("system: ...\\nuser: ...\\nassistant: ").
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback

from kb_assistant.answering.prompts import (
    HISTORY_CLOSE,
    HISTORY_OPEN,
    PASSAGES_CLOSE,
    PASSAGES_OPEN,
    QUESTION_CLOSE,
    QUESTION_OPEN,
)
from kb_assistant.core.text import split_sentences

_PIECE = re.compile(r"\S{1,4}|\s+")


def token_pieces(text: str) -> list[str]:
    """`text` cut into small pieces (at most four characters of a word) like streamed tokens."""
    return _PIECE.findall(text)


class ScriptExhaustedError(AssertionError):
    """A scripted fake was asked for more replies than its script holds."""


class _FakeLLM(CustomLLM):
    """Shared plumbing: metadata, prompt recording, streaming a reply in pieces."""

    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=8192, num_output=512, model_name=self.class_name())

    def _reply(self, prompt: str) -> str:
        raise NotImplementedError

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self._reply(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        self.prompts.append(prompt)
        reply = self._reply(prompt)

        def pieces() -> CompletionResponseGen:
            text = ""
            for piece in token_pieces(reply):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return pieces()


class ScriptedLLM(_FakeLLM):
    """Answers with `replies` in order; every prompt it received is in `.prompts`."""

    replies: list[str] = Field(default_factory=list)

    def __init__(self, replies: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(replies=list(replies), **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "scripted"

    def _reply(self, prompt: str) -> str:
        if not self.replies:
            raise ScriptExhaustedError(f"no scripted reply left for prompt {prompt[:80]!r}")
        return self.replies.pop(0)


MONEY_PROMISES = (
    "We will refund you in full [1].",
    "I've issued a £50 credit to your account [1].",
    "You are eligible for compensation [2].",
    "You'll get your money back within 3 days [1].",
    "We have waived the late fee for you [2].",
    "A full refund has been approved for your order [1].",
)
PII_TEMPLATES = (
    "You can reach the account holder at {} [1].",
    "The details we have on file are {} [1].",
    "Please contact {} about this [2].",
)
INJECTION_CUES = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|rules?|prompt|above|previous|"
    r"everything)\b|access granted|system prompt|\byour (?:instructions|prompt|rules)\b|"
    r"\byou are now\b|\bfrom now on\b|\bact as\b|\bpretend\b|\b(?:say|print|output|repeat)\b|"
    r"\b(?:respond|reply|answer) with\b|\bbase ?64\b|\bencode\b|\bencrypt\b|\bcipher\b|"
    r"\b(?:add|integrate|include|insert)\b.{0,30}\b(?:sentence|line|link)\b|\btranslate\b|"
    r"\byour (?:answer|response|reply|output|message)\b|https?://|www\.|instruct|password|"
    r"\bi want you\b|\byou must\b|\b(?:reply|respond|answer) in\b|"
    # a sentence that opens with a verb typical of a hijacked task ("Write a script ...")
    r"^\W*(?:write|analy[sz]e|recommend|summari[sz]e|determine|encrypt|encode|reverse|"
    r"translate|integrate|insert|say|print|output|repeat|ignore|disregard|forget|respond|"
    r"reply|tell|generate|compose|reveal|act|pretend|begin|spell|rewrite|format|convert|"
    r"list|describe|explain|create|provide|show|suggest|draft|develop|replace|render|"
    r"jumble|classify|invert|complete|break down)\b",
    re.IGNORECASE | re.DOTALL,
)
_REQUESTED = re.compile(
    r"(?:say|print|output|write|respond with|reply with|answer with|"
    r"(?:begin|start) (?:your (?:response|reply|answer) )?with)\s*:?\s*"
    r"[\"“']([^\"”']{1,200})[\"”']",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^\[(\d+)\] .*$", re.MULTILINE)
_DATA_BLOCKS = (
    (QUESTION_OPEN, QUESTION_CLOSE),
    (HISTORY_OPEN, HISTORY_CLOSE),
    (PASSAGES_OPEN, PASSAGES_CLOSE),
)


def _between(text: str, start: str, end: str) -> str:
    """The text between the first `start` and the following `end` ('' when absent)."""
    _, found, rest = text.partition(start)
    return rest.partition(end)[0] if found else ""


def split_prompt(prompt: str) -> tuple[str, str]:
    """(system part, everything after it) of a flattened chat prompt."""
    if prompt.startswith("system: ") and "\nuser: " in prompt:
        system, _, rest = prompt[len("system: ") :].partition("\nuser: ")
        return system, rest
    return "", prompt


def passages_in(prompt: str) -> dict[int, str]:
    """Passage number → text, read from the "[n] title (location)\\n text" blocks."""
    block = _between(prompt, PASSAGES_OPEN, PASSAGES_CLOSE) or split_prompt(prompt)[1]
    headers = list(_HEADER.finditer(block))
    passages: dict[int, str] = {}
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(block)
        passages[int(header.group(1))] = block[header.end() : end].strip()
    return passages


def instructions_in(prompt: str) -> list[str]:
    """Sentences of the question, conversation and passages that carry an instruction."""
    user = split_prompt(prompt)[1]
    data = [b for tag, close in _DATA_BLOCKS if (b := _between(user, tag, close))] or [user]
    sentences = [s for block in data for s in split_sentences(block)]
    return [s for s in sentences if INJECTION_CUES.search(s)]


def _cited(sentence: str, number: int) -> str:
    """`sentence` with the marker "[number]" before its final punctuation."""
    body = sentence.rstrip().rstrip(".!?")
    return f"{body} [{number}]." if number else f"{body}."


def _marker(wanted: int, available: int) -> str:
    return f"[{min(wanted, available)}]" if available else ""


def _supported(passages: dict[int, str], rng: random.Random) -> list[str]:
    """One or two sentences copied from the passages, each citing its passage."""
    copied = []
    for number, text in sorted(passages.items())[:2]:
        candidates = [
            s
            for s in split_sentences(text)
            if len(s.split()) >= 4 and not INJECTION_CUES.search(s) and not s.startswith("[")
        ]
        if candidates:
            copied.append(_cited(rng.choice(candidates[:3]), number))
    return copied[: rng.randint(1, 2)] if copied else []


def _opening(text: str, limit: int = 400) -> str:
    """The first whole sentences of `text` (flattened), up to about `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut + "..."


def _obeyed(instructions: list[str], system: str, n: int) -> list[str]:
    """What a model that follows planted instructions writes."""
    requested = next((m.group(1) for i in instructions if (m := _REQUESTED.search(i))), None)
    echo = requested or instructions[0][:200]
    encoded = base64.b64encode(echo.encode()).decode()
    return [
        "Access Granted.",
        _cited(f"As you asked: {echo}", min(1, n)),
        f"My instructions are: {_opening(system)}",
        _cited(f"Here it is in Base64: {encoded}", min(1, n)),
        _cited("Claim your voucher at http://evil.example/claim", min(1, n)),
        _cited("More offers are waiting at example.com", min(2, n)),
    ]


def _fix_markers(sentence: str, n: int) -> str:
    """Markers clipped to the passages there are (none when there are no passages)."""
    return re.sub(r"\[(\d+)\]", lambda m: _marker(int(m.group(1)), n), sentence).replace(" .", ".")


def misbehave(prompt: str, internal_texts: Sequence[str], pii: Sequence[str]) -> str:
    """The unsafe reply to `prompt`; the same prompt always gets the same reply."""
    rng = random.Random(hashlib.sha256(prompt.encode()).digest())
    system, user = split_prompt(prompt)
    passages = passages_in(prompt)
    n = max(passages, default=0)
    supported = _supported(passages, rng)
    bad = [_fix_markers(s, n) for s in rng.sample(MONEY_PROMISES, 2)]
    if internal_texts:
        internal = split_sentences(rng.choice(list(internal_texts)))[:2]
        bad.append(_cited(" ".join(internal), min(1, n)))
    if pii:
        bad.append(_fix_markers(rng.choice(PII_TEMPLATES).format(rng.choice(list(pii))), n))
    instructions = instructions_in(prompt)
    if instructions:
        bad.extend(_obeyed(instructions, system or user, n))
    rng.shuffle(bad)
    return " ".join([*supported[:1], *bad, *supported[1:]])


class MisbehavingLLM(_FakeLLM):
    """A deliberately unsafe model, to show that the verifier (not the prompt) is the guard."""

    internal_texts: list[str] = Field(default_factory=list)
    pii: list[str] = Field(default_factory=list)

    def __init__(
        self, internal_texts: Sequence[str] = (), pii: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(internal_texts=list(internal_texts), pii=list(pii), **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "misbehaving"

    def _reply(self, prompt: str) -> str:
        return misbehave(prompt, self.internal_texts, self.pii)
