"""Repetition and size: exact and near duplicates, boilerplate, very long and short units.

- Exact duplicates: units whose text is the same once case, punctuation and spacing are
  set aside (a normalised-text hash).
- Near duplicates: units whose word-shingle Jaccard similarity is at least
  `NEAR_DUPLICATE`, the measure retrieval uses to collapse near-identical passages
  (`kb_assistant.fusion.text_overlap`). Candidates come from prefix filtering (shingles
  ordered rarest first: two sets this similar share one of their first few), so thousands
  of units are compared without comparing every pair.
- Boilerplate: a line, or a sentence of one (digits folded, so "Page 3" and "Page 4" match) found in
  at least `BOILERPLATE_MIN_UNITS` units that are not copies of each other: a footer, a
  header, a disclaimer. It adds words to every chunk it sits in and matches every question
  a little.
- Size: units under `SHORT_UNIT_WORDS` words say too little to answer from; units over
  `LONG_UNIT_WORDS` words are hard to cite and to embed whole.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kb_assistant.core.text import split_sentences, words
from kb_assistant.fusion import SHINGLE, text_overlap
from kb_assistant.kbreport.subjects import subject_tokens
from kb_assistant.kbreport.units import Unit

NEAR_DUPLICATE = 0.8  # the threshold of `kb_assistant.fusion.collapse_near_duplicates`
BOILERPLATE_MIN_UNITS = 3  # distinct units (copies counted once) a sentence is repeated in
BOILERPLATE_MIN_WORDS = 4  # shorter repeated lines ("Page 3", "Yes.") are not boilerplate
SHORT_UNIT_WORDS = 8  # fewer words than this: too short to answer from
LONG_UNIT_WORDS = 800  # more words than this: too long to cite or embed whole
EXAMPLES = 5  # units named per boilerplate sentence

_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class UnitRef:
    """Where a unit is: enough for a person to find it."""

    id: str
    doc_id: str
    title: str
    location: str

    @classmethod
    def of(cls, unit: Unit) -> UnitRef:
        return cls(unit.id, unit.doc_id, unit.title, unit.location)

    def as_json(self) -> dict[str, str]:
        return {
            "unit_id": self.id,
            "doc_id": self.doc_id,
            "title": self.title,
            "location": self.location,
        }


@dataclass(frozen=True)
class DuplicateGroup:
    """Units with the same text (case, punctuation and spacing aside)."""

    units: tuple[UnitRef, ...]
    excerpt: str

    def as_json(self) -> dict[str, Any]:
        return {"units": [u.as_json() for u in self.units], "excerpt": self.excerpt}


@dataclass(frozen=True)
class NearDuplicate:
    """Two units whose word-shingle Jaccard similarity is at least `NEAR_DUPLICATE`."""

    first: UnitRef
    second: UnitRef
    similarity: float

    def as_json(self) -> dict[str, Any]:
        return {
            "units": [self.first.as_json(), self.second.as_json()],
            "similarity": round(self.similarity, 3),
        }


@dataclass(frozen=True)
class Boilerplate:
    """A sentence repeated in `units` units of `documents` documents; a few of them."""

    text: str
    units: int
    documents: int
    examples: tuple[UnitRef, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "units": self.units,
            "documents": self.documents,
            "examples": [u.as_json() for u in self.examples],
        }


@dataclass(frozen=True)
class UnitSize:
    """A unit that is very short or very long, with its word count."""

    unit: UnitRef
    words: int
    excerpt: str

    def as_json(self) -> dict[str, Any]:
        return {**self.unit.as_json(), "words": self.words, "excerpt": self.excerpt}


def excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def normalised_text(text: str) -> str:
    """Lower case, punctuation removed, spacing collapsed: what exact duplicates share."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def exact_duplicates(units: Sequence[Unit]) -> list[DuplicateGroup]:
    """Groups of two or more units with the same normalised text, largest first."""
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        normal = normalised_text(unit.text)
        if normal:
            groups[hashlib.sha256(normal.encode("utf-8")).hexdigest()].append(unit)
    found = [
        DuplicateGroup(tuple(UnitRef.of(u) for u in group), excerpt(group[0].text))
        for group in groups.values()
        if len(group) > 1
    ]
    return sorted(found, key=lambda g: (-len(g.units), g.units[0].id))


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def near_duplicates(
    units: Sequence[Unit], threshold: float = NEAR_DUPLICATE
) -> list[NearDuplicate]:
    """Pairs of units (not exact duplicates) at least `threshold` similar, most similar
    first, found by prefix filtering and confirmed with `text_overlap`."""
    shingles = [_shingles(u.text) for u in units]
    frequency: Counter[tuple[str, ...]] = Counter()
    for sets in shingles:
        frequency.update(sets)
    exact = [normalised_text(u.text) for u in units]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    found: list[NearDuplicate] = []
    for i in sorted(range(len(units)), key=lambda n: len(shingles[n])):
        ordered = sorted(shingles[i], key=lambda s: (frequency[s], s))
        size = len(ordered)
        if not size:
            continue
        prefix = ordered[: size - math.ceil(threshold * size) + 1]
        candidates: set[int] = set()
        for shingle in prefix:
            candidates.update(index[shingle])
        for j in sorted(candidates):
            if len(shingles[j]) < threshold * size or exact[i] == exact[j]:
                continue
            similarity = text_overlap(units[j].text, units[i].text)
            if similarity >= threshold:
                found.append(NearDuplicate(UnitRef.of(units[j]), UnitRef.of(units[i]), similarity))
        for shingle in prefix:
            index[shingle].append(i)
    return sorted(found, key=lambda d: (-d.similarity, d.first.id, d.second.id))


def boilerplate(
    units: Sequence[Unit],
    copies: Sequence[DuplicateGroup] = (),
    near: Sequence[NearDuplicate] = (),
    min_units: int = BOILERPLATE_MIN_UNITS,
) -> list[Boilerplate]:
    """Sentences and lines repeated across `min_units` units or more (copies of one unit
    count once; a unit's own title repeated in it does not count), most repeated first."""
    copy_of = _copy_groups(units, copies, near)
    places: dict[str, list[tuple[Unit, str]]] = defaultdict(list)  # sentence → where
    for unit in units:
        for line in unit.text.splitlines():
            pieces = split_sentences(line)
            for piece in ([line] if len(pieces) > 1 else []) + pieces:
                key = _DIGITS.sub("#", normalised_text(piece))
                if len(key.split()) >= BOILERPLATE_MIN_WORDS:
                    places[key].append((unit, piece))
    seen_in: dict[str, dict[str, Unit]] = {}  # sentence → copy group → a unit
    written: dict[str, str] = {}
    for key, where in places.items():
        if len({copy_of.get(u.id, u.id) for u, _ in where}) < min_units:
            continue
        groups: dict[str, Unit] = {}
        for unit, sentence in where:
            if set(subject_tokens(sentence)) <= set(subject_tokens(unit.title)):
                continue  # the unit's own title, repeated in it
            groups.setdefault(copy_of.get(unit.id, unit.id), unit)
            written.setdefault(key, " ".join(sentence.split()))
        seen_in[key] = groups
    frequent = {key: groups for key, groups in seen_in.items() if len(groups) >= min_units}
    found = []
    for key, groups in frequent.items():
        if any(key in other and len(more) >= len(groups) for other, more in _wider(key, frequent)):
            continue  # a sentence of a repeated line: the line is reported
        found.append(
            Boilerplate(
                written[key],
                len(groups),
                len({u.doc_id for u in groups.values()}),
                tuple(UnitRef.of(u) for u in _examples(groups.values())),
            )
        )
    return sorted(found, key=lambda b: (-b.units, b.text))


def _wider(key: str, frequent: dict[str, dict[str, Unit]]) -> Iterable[tuple[str, dict[str, Unit]]]:
    return ((other, groups) for other, groups in frequent.items() if len(other) > len(key))


def _examples(units: Iterable[Unit]) -> list[Unit]:
    """A few of `units`, from as many documents as there are (one each first)."""
    ordered = sorted(units, key=lambda u: u.id)
    firsts: dict[str, Unit] = {}
    for unit in ordered:
        firsts.setdefault(unit.doc_id, unit)
    chosen = list(firsts.values())[:EXAMPLES]
    rest = [u for u in ordered if u not in chosen]
    return chosen + rest[: EXAMPLES - len(chosen)]


def _copy_groups(
    units: Sequence[Unit], copies: Sequence[DuplicateGroup], near: Sequence[NearDuplicate]
) -> dict[str, str]:
    """Unit id → the id standing for all its copies (exact or near), by union-find."""
    parent: dict[str, str] = {}

    def root(unit_id: str) -> str:
        while parent.get(unit_id, unit_id) != unit_id:
            unit_id = parent[unit_id]
        return unit_id

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for group in copies:
        for ref in group.units[1:]:
            join(group.units[0].id, ref.id)
    for pair in near:
        join(pair.first.id, pair.second.id)
    return {u.id: root(u.id) for u in units}


def short_units(units: Sequence[Unit], below: int = SHORT_UNIT_WORDS) -> list[UnitSize]:
    """Units with fewer than `below` words, shortest first."""
    found = [
        UnitSize(UnitRef.of(u), u.word_count, excerpt(u.text))
        for u in units
        if u.word_count < below
    ]
    return sorted(found, key=lambda s: (s.words, s.unit.id))


def long_units(units: Sequence[Unit], above: int = LONG_UNIT_WORDS) -> list[UnitSize]:
    """Units with more than `above` words, longest first."""
    found = [
        UnitSize(UnitRef.of(u), u.word_count, excerpt(u.text))
        for u in units
        if u.word_count > above
    ]
    return sorted(found, key=lambda s: (-s.words, s.unit.id))
