"""Mentions: each quantity stated in a text, tied to its sentence, its document and its
subject, the words around it that say what it measures ("standard delivery costs £3.95").

Numbers given as examples ("e.g. £20") are left out: they state no fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb_assistant.core.text import split_sentences
from kb_assistant.kbreport.quantities import Quantity, extract_quantities
from kb_assistant.kbreport.subjects import subject_tokens, tagged_tokens

NEAR_WORDS = 2  # content words either side of a quantity, within its clause, that qualify it


@dataclass(frozen=True)
class Mention:
    """A quantity where it is stated: its sentence, its unit of text, and its subject.

    `subject` holds the content words (stemmed, stop words and the quantities' own words
    left out) of the sentence; `clause` those of the quantity's own clause; `qualifiers`
    those within `NEAR_WORDS` words of it in its clause that are not verbs or adverbs
    ("standard" in "standard delivery costs £3.95"); `heading` the title's; `names` the
    clause's capitalised words after the sentence's first ("UK", "Italian", "HEPA").
    `values` are the other quantities of the same unit in the sentence.
    """

    quantity: Quantity
    sentence: str
    unit_id: str
    doc_id: str
    title: str
    location: str
    subject: frozenset[str]
    clause: frozenset[str]
    qualifiers: frozenset[str]
    heading: frozenset[str]
    values: tuple[Quantity, ...]
    names: frozenset[str] = frozenset()


# Where a clause ends: punctuation (not a thousands comma, a range dash or the colon of
# "Plus members: 60 days") or a conjunction.
_CLAUSE_BREAK = re.compile(
    r"[;()\[\]—]|,(?!\d)|\s[-–]\s|\b(?:and|or|but|while|whereas|although|unless|so|then)\b",
    re.IGNORECASE,
)


# Words that make a number an example rather than a fact.
_EXAMPLE = re.compile(
    r"(?:\be\.\s?g\b|\bi\.\s?e\b|\bfor (?:example|instance)\b|\bsuch as\b|\bsay\b)",
    re.IGNORECASE,
)
_QA_LABEL = re.compile(r"^\s*[QA]:\s+")
# A sentence's first word, after a "Q:"/"A:" label, a list marker or emphasis marks.
_LEAD = re.compile(r"^\s*(?:[QA]:\s*)?(?:[-*•]\s+|\d+[.)]\s+)?[*_\"'“‘(\[]*[^\s]+")


def _capitalised(sentence: str) -> frozenset[str]:
    """Stems of the words written with a capital, the sentence's first word aside."""
    rest = _LEAD.sub("", sentence, count=1)
    return frozenset(
        token
        for word in re.findall(r"[A-Za-z][\w'’-]*", rest)
        if any(ch.isupper() for ch in word)
        for token in subject_tokens(word)
    )


def mentions_in(
    text: str,
    *,
    unit_id: str,
    doc_id: str,
    title: str,
    location: str,
) -> list[Mention]:
    """Every quantity stated in `text`, with its sentence and subject."""
    heading = frozenset(subject_tokens(title))
    found: list[Mention] = []
    for sentence in split_sentences(text):
        sentence = _QA_LABEL.sub("", sentence)
        quantities = extract_quantities(sentence)
        if not quantities:
            continue
        subject = frozenset(subject_tokens(sentence))
        if len(subject) < 2:  # "A: Two years.": the question (the title) says of what
            subject |= heading
        capitalised = _capitalised(sentence)
        for quantity in quantities:
            before = _CLAUSE_BREAK.split(sentence[: quantity.start])[-1]
            after = _CLAUSE_BREAK.split(sentence[quantity.end :])[0]
            if _EXAMPLE.search(before) or _EXAMPLE.search(after):
                continue  # "e.g. £20", "make it $20 instead, for example": not a fact
            before_tokens, after_tokens = tagged_tokens(before), tagged_tokens(after)
            near = before_tokens[-NEAR_WORDS:] + after_tokens[:NEAR_WORDS]
            found.append(
                Mention(
                    quantity=quantity,
                    sentence=sentence,
                    unit_id=unit_id,
                    doc_id=doc_id,
                    title=title,
                    location=location,
                    subject=subject,
                    clause=frozenset(t for t, _ in before_tokens + after_tokens) or heading,
                    qualifiers=frozenset(t for t, qualifies in near if qualifies),
                    heading=heading,
                    values=tuple(
                        q for q in quantities if q.unit == quantity.unit and q is not quantity
                    ),
                    names=frozenset(t for t, _ in before_tokens + after_tokens) & capitalised,
                )
            )
    return found
