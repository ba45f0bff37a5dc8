"""Sentence splitting and word tokens shared by the composers and the verifier.

Deliberately small and dependency-free (no NLTK data to download): support and overlap
checks compare the same tokens on both sides, so consistency matters more than linguistics.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by quotes/brackets) before whitespace and an
# upper-case letter, digit, quote or bracket; common abbreviations do not end sentences.
_ABBREVIATIONS = (
    "e.g",
    "i.e",
    "etc",
    "vs",
    "approx",
    "incl",
    "no",
    "nr",
    "p",
    "pp",
    "fig",
    "dr",
    "mr",
    "mrs",
    "ms",
    "st",
)
_BOUNDARY = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_NUMBER_ABBREVIATIONS = ("no", "nr", "p", "pp", "fig")
_LINE_BREAKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?", re.IGNORECASE)
HEADING_WORDS = 8
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")

_STOPWORD_LIST = """a about above after again against all am an and any are aren't as at be
    because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he her here hers herself him himself his how i if in into is isn't it it's its itself
    just let's me more most mustn't my myself no nor not now of off on once only or other ought
    our ours ourselves out over own same shan't she should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they this those through to
    too under until up very was wasn't we were weren't what what's when where which while who
    whom why will with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves also may might must shall get got us i'm i've i'd we're we'll we've they're
    they'll it'll"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())
# Conversational words that carry no topic ("hey, honestly, a bit of a weird one").
_FILLER_LIST = """hey hi hello hiya ok okay actually honestly basically really bit weird please
    pls thanks thank cheers ago bunch rather quite just still anyway anymore ive im dont doesnt
    cant wont isnt didnt lot lots thing things stuff kind sort maybe guys folks"""
FILLER_WORDS = frozenset(_FILLER_LIST.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, in order; list items and paragraphs always start a new sentence."""
    sentences: list[str] = []
    for block in (piece for part in _LINE_BREAKS.split(text) for piece in _headings_apart(part)):
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        for match in _BOUNDARY.finditer(block):
            candidate = block[start : match.end(1)].strip()
            last_word = block[start : match.start()].rsplit(" ", 1)[-1].rstrip(".").lower()
            before_digit = block[match.end() : match.end() + 1].isdigit()
            if last_word in _NUMBER_ABBREVIATIONS and not before_digit:
                last_word = ""
            if last_word in _ABBREVIATIONS or len(candidate) < 3:
                continue
            sentences.append(candidate)
            start = match.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _headings_apart(block: str) -> list[str]:
    """Split a heading line ("Safety", "3. Condition of returned items") from the text below
    it: a short line without closing punctuation followed by a line starting a sentence."""
    lines = block.split("\n")
    parts: list[str] = []
    current: list[str] = []
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        current.append(line)
        stripped = line.strip()
        if (
            stripped
            and following.strip()[:1].isupper()
            and len(stripped.split()) <= HEADING_WORDS
            and stripped[-1] not in ".!?:;,"
        ):
            parts.append("\n".join(current))
            current = []
    if current:
        parts.append("\n".join(current))
    return parts


def is_heading(sentence: str) -> bool:
    """A short piece of text without closing punctuation: a title, not a sentence."""
    return len(sentence.split()) <= HEADING_WORDS and sentence.rstrip()[-1:] not in ".!?:;)"


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits, with inner apostrophes)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def stem(word: str) -> str:
    """A light suffix stripper so that "returns", "returned" and "returning" compare equal."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
                return word[:-1]
            return word[: -len(suffix)]
    return word


def content_tokens(text: str) -> list[str]:
    """Stemmed words of `text` without stop words: what overlap and support checks compare."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def numbers(text: str) -> set[str]:
    """The numbers written in `text` (digits only; "5–10" gives {"5", "10"})."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}
