"""Contradictions: one fact stated with different values in two places.

Two quantity mentions contradict each other when they come from different units, measure
the same thing (the same unit: days, working days, GBP, %...), differ in value, and say the
same thing otherwise. "The same thing" is measured on content words
(`subjects.subject_tokens`), each weighted by its rarity in the knowledge base, with an
overlap that is the mean of the weighted Jaccard and the weighted containment of the smaller
side (a short statement inside a longer one still matches):

- the two sentences overlap (words outside the number's own clause count half, the title's
  words half) and the two numbers' own clauses ("standard delivery costs £3.95" in
  "standard delivery costs £3.95 and express delivery costs £6.95") overlap by at least
  `SCORE_MIN` on average, each at least `SIMILARITY_MIN` and `CLAUSE_MIN`;
- the sentences themselves share `MIN_SHARED_WORDS` content words.

Overlap alone would confuse facts that share words, so a pair is also dropped when:

- each number has a qualifier next to it that the other sentence lacks ("standard" /
  "express", "kitchenware" / "bedding"), or a name in its clause the other lacks ("UK" /
  "Italian");
- either value is also stated in the other sentence (a sentence listing both prices), or
  one is a range holding the other;
- one is a lower and the other an upper limit ("at least 3 days", "within 5 days"), or one
  amount is a threshold and the other is not ("orders over £50", "delivery costs £3.95");
- either document states the other's value for a closer match (each mention's best match in
  the other document must be the conflicting one, both ways);
- an embedder is given and the sentences' cosine similarity is below `COSINE_MIN` (a floor
  for unrelated sentences only: "standard delivery costs £3.95" and "express delivery costs
  £6.95" are as close to an embedding model as two statements of one fact).

What a customer wrote in a ticket is not the company's statement and is left out, and so
are numbers given as examples ("e.g. £20").

Candidates come from an inverted index over the words, per unit of measure, so thousands of
units are checked in about a second of pure Python.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb_assistant.kbreport.mentions import Mention, mentions_in
from kb_assistant.kbreport.subjects import subject_tokens
from kb_assistant.kbreport.units import Unit
from kb_assistant.ports import Vector

SCORE_MIN = 0.5  # mean of the sentences' and the clauses' overlap
SIMILARITY_MIN = 0.3  # overlap of the two sentences (and titles), at least
CLAUSE_MIN = 0.45  # overlap of the two numbers' own clauses, at least
MIN_SHARED_WORDS = 2  # content words the sentences themselves (not titles) share, at least
CANDIDATE_MIN = 0.2  # sentence overlap from which a pair competes for "best match"
REST_WEIGHT = 0.5  # words of the sentence outside the number's own clause count half
HEADING_WEIGHT = 0.5  # a title's words (those the sentence lacks) count half
COSINE_MIN = 0.3  # with an embedder: the sentences' cosine similarity, at least
MAX_POSTING_SHARE = 0.5  # a word in more of a unit's mentions than this is skipped
MAX_SENTENCE_CHARS = 600  # longer "sentences" are tables or run-on text, not statements

EmbedTexts = Callable[[Sequence[str]], Vector]


@dataclass(frozen=True)
class Contradiction:
    """Two statements of one fact with different values: `similarity` is the mean of their
    sentences' and their clauses' overlap, `cosine` their embedding similarity when an
    embedder was given."""

    first: Mention
    second: Mention
    similarity: float
    cosine: float | None = None

    @property
    def kind(self) -> str:
        return self.first.quantity.kind

    @property
    def unit(self) -> str:
        return self.first.quantity.unit

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "similarity": round(self.similarity, 3),
            "cosine": None if self.cosine is None else round(self.cosine, 3),
            "statements": [_statement(m) for m in (self.first, self.second)],
        }


def _statement(mention: Mention) -> dict[str, Any]:
    return {
        "value": mention.quantity.text,
        "normalised": mention.quantity.label(),
        "sentence": mention.sentence,
        "title": mention.title,
        "location": mention.location,
        "doc_id": mention.doc_id,
        "unit_id": mention.unit_id,
    }


def collect_mentions(units: Sequence[Unit]) -> list[Mention]:
    """Every quantity of every unit, each sentence of a document once (chunks overlap)."""
    seen: set[tuple[str, str, int]] = set()
    mentions: list[Mention] = []
    for unit in units:
        for mention in mentions_in(
            company_text(unit),
            unit_id=unit.id,
            doc_id=unit.doc_id,
            title=unit.title,
            location=unit.location,
        ):
            if len(mention.sentence) > MAX_SENTENCE_CHARS:
                continue
            key = (mention.doc_id, _normalised(mention.sentence), mention.quantity.start)
            if key not in seen:
                seen.add(key)
                mentions.append(mention)
    return mentions


def company_text(unit: Unit) -> str:
    """The text a company stands behind: a ticket without its customer's messages."""
    if unit.kind != "ticket":
        return unit.text
    return "\n".join(
        line for line in unit.text.splitlines() if not line.lstrip().startswith(_NOT_OURS)
    )


_NOT_OURS = ("Customer:", "Subject:")  # how the ticket reader labels a customer's words


def _normalised(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def overlap(shared: float, total_a: float, total_b: float) -> float:
    """The mean of the weighted Jaccard overlap and the weighted containment of the smaller
    side: a short statement wholly inside a longer one still scores well."""
    if total_a <= 0 or total_b <= 0:
        return 0.0
    jaccard = shared / (total_a + total_b - shared)
    containment = shared / min(total_a, total_b)
    return (jaccard + containment) / 2


class WordWeights:
    """Inverse document frequency of content words over the units: rare words weigh more."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self.count = max(1, len(units))
        self.frequency: Counter[str] = Counter()
        for unit in units:
            self.frequency.update(set(subject_tokens(unit.text)))

    def __call__(self, word: str) -> float:
        return 1.0 + math.log(self.count / (1 + self.frequency.get(word, 0)) + 1.0)


@dataclass(frozen=True)
class _Weighted:
    """A mention's words with their weights: the whole sentence's, and its clause's."""

    sentence: dict[str, float]
    clause: dict[str, float]

    @classmethod
    def of(cls, mention: Mention, weight: WordWeights) -> _Weighted:
        sentence = {
            word: weight(word) * (1.0 if word in mention.clause else REST_WEIGHT)
            for word in mention.subject
        }
        for word in mention.heading - mention.subject:
            sentence[word] = HEADING_WEIGHT * weight(word)
        return cls(sentence, {word: weight(word) for word in mention.clause})

    def clause_overlap(self, other: _Weighted) -> float:
        shared = sum(v for word, v in self.clause.items() if word in other.clause)
        return overlap(shared, sum(self.clause.values()), sum(other.clause.values()))


def find_contradictions(
    units: Sequence[Unit],
    *,
    embed: EmbedTexts | None = None,
    mentions: Sequence[Mention] | None = None,
) -> list[Contradiction]:
    """Pairs of statements that give one fact different values, most similar first.

    `mentions` (from `collect_mentions(units)`) saves extracting them again.
    """
    mentions = list(mentions if mentions is not None else collect_mentions(units))
    weight = WordWeights(units)
    weighted = [_Weighted.of(m, weight) for m in mentions]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, mention in enumerate(mentions):
        groups[mention.quantity.unit].append(index)
    flagged: list[Contradiction] = []
    for members in groups.values():
        pairs = _candidate_pairs(members, weighted, mentions)
        flagged.extend(_conflicts(pairs, mentions))
    if embed is not None and flagged:
        flagged = _with_cosines(flagged, embed)
    return _distinct(sorted(flagged, key=lambda c: -c.similarity))


@dataclass(frozen=True)
class _Pair:
    sentence: float
    clause: float

    @property
    def score(self) -> float:
        return (self.sentence + self.clause) / 2


def _candidate_pairs(
    members: list[int], weighted: list[_Weighted], mentions: Sequence[Mention]
) -> dict[tuple[int, int], _Pair]:
    """The overlaps of every pair of mentions (from different units) whose sentences share
    `MIN_SHARED_WORDS` words and overlap by `CANDIDATE_MIN` at least."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i in members:
        for word in weighted[i].sentence:
            postings[word].append(i)
    limit = max(20, int(MAX_POSTING_SHARE * len(members)))
    shared: dict[tuple[int, int], float] = defaultdict(float)
    words_shared: Counter[tuple[int, int]] = Counter()
    for word, posting in postings.items():
        if len(posting) < 2 or len(posting) > limit:
            continue
        for position, i in enumerate(posting):
            weight_i = weighted[i].sentence[word]
            in_i = word in mentions[i].subject
            for j in posting[position + 1 :]:
                if mentions[i].unit_id == mentions[j].unit_id:
                    continue
                shared[(i, j)] += min(weight_i, weighted[j].sentence[word])
                if in_i and word in mentions[j].subject:
                    words_shared[(i, j)] += 1
    totals = [sum(w.sentence.values()) for w in weighted]
    pairs: dict[tuple[int, int], _Pair] = {}
    for (i, j), inter in shared.items():
        if words_shared[(i, j)] < MIN_SHARED_WORDS:
            continue
        similarity = overlap(inter, totals[i], totals[j])
        if similarity >= CANDIDATE_MIN:
            pairs[(i, j)] = _Pair(similarity, weighted[i].clause_overlap(weighted[j]))
    return pairs


def _conflicts(
    pairs: dict[tuple[int, int], _Pair], mentions: Sequence[Mention]
) -> list[Contradiction]:
    # Each mention's closest statement in every other document (its best match there).
    best: dict[tuple[int, str], tuple[float, int]] = {}
    for (i, j), pair in pairs.items():
        for a, b in ((i, j), (j, i)):
            key = (a, mentions[b].doc_id)
            if key not in best or pair.score > best[key][0]:
                best[key] = (pair.score, b)
    found = []
    for (i, j), pair in pairs.items():
        if pair.score < SCORE_MIN or pair.sentence < SIMILARITY_MIN or pair.clause < CLAUSE_MIN:
            continue
        first, second = mentions[i], mentions[j]
        if not disagree(first, second) or different_facts(first, second):
            continue
        if not (_best_is(best, mentions, i, j) and _best_is(best, mentions, j, i)):
            continue
        found.append(Contradiction(first, second, pair.score))
    return found


def disagree(a: Mention, b: Mention) -> bool:
    """Different values that cannot both hold: not a range and a value inside it, not a
    lower and an upper limit (nor an amount and a threshold), and neither value also given
    in the other sentence."""
    qa, qb = a.quantity, b.quantity
    if qa.agrees_with(qb):
        return False
    if {qa.bound, qb.bound} == {"min", "max"}:
        return False
    if qa.kind == "money" and (qa.bound == "min") != (qb.bound == "min"):
        return False  # "orders over £50" is a threshold, "£3.95" a price
    if any(qa.agrees_with(other) for other in b.values):
        return False
    return not any(qb.agrees_with(other) for other in a.values)


def different_facts(a: Mention, b: Mention) -> bool:
    """Each number has a qualifier the other sentence lacks ("standard" / "express"), or
    its clause a name the other lacks ("UK" / "Italian")."""
    context_a, context_b = a.subject | a.heading, b.subject | b.heading
    if (a.qualifiers - context_b) and (b.qualifiers - context_a):
        return True
    return bool(a.names - context_b) and bool(b.names - context_a)


def _best_is(
    best: dict[tuple[int, str], tuple[float, int]], mentions: Sequence[Mention], a: int, b: int
) -> bool:
    """Whether `b` is `a`'s closest statement in `b`'s document (or one of the same
    sentence), so that document states no other value for a closer match."""
    closest = best[(a, mentions[b].doc_id)][1]
    if closest == b:
        return True
    same = mentions[closest].quantity.agrees_with(mentions[a].quantity)
    return not same and mentions[closest].sentence == mentions[b].sentence


def _with_cosines(flagged: list[Contradiction], embed: EmbedTexts) -> list[Contradiction]:
    sentences = sorted({m.sentence for c in flagged for m in (c.first, c.second)})
    vectors = np.asarray(embed(sentences), dtype=np.float32)
    row = {sentence: vectors[n] for n, sentence in enumerate(sentences)}
    kept = []
    for c in flagged:
        cosine = float(np.dot(row[c.first.sentence], row[c.second.sentence]))
        if cosine >= COSINE_MIN:
            kept.append(Contradiction(c.first, c.second, c.similarity, cosine))
    return kept


def _distinct(flagged: list[Contradiction]) -> list[Contradiction]:
    """One finding per pair of sentences and values (copies of a document repeat them)."""
    seen: set[frozenset[tuple[str, str]]] = set()
    kept = []
    for c in flagged:
        key = frozenset((_normalised(m.sentence), m.quantity.label()) for m in (c.first, c.second))
        if key not in seen:
            seen.add(key)
            kept.append(c)
    return kept
