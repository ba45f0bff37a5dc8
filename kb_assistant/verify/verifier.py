"""The answer verifier: every statement of every answer passes these checks, whoever wrote it.

Checks, in order (the first that fails removes the statement):
1. `instruction`: injected instructions, or output that obeys one (system-prompt talk,
   "Access Granted", jailbreak personas, encoded or scrambled text);
2. `link`: links only to the company's own sites, and only ones a cited passage contains;
3. `money`: no promise, grant or denial of money to the customer;
4. `personal_data` (customer channel): no emails, phones, cards, IBANs or addresses, except
   the company's own as written in a cited public passage or allow-listed;
5. `internal` (customer channel): no citation of an internal passage, and no run of words
   shared with a nearby internal chunk that no public passage of the answer contains;
6. `support` (all but framing): cites an existing passage that backs it, numbers included.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from kb_assistant.core.replies import Draft, Removal, Statement
from kb_assistant.domain import Channel, Passage
from kb_assistant.ports import Embedder
from kb_assistant.verify.instructions import (
    looks_like_instruction,
    looks_obfuscated,
    strip_instructions,
)
from kb_assistant.verify.leaks import InternalLookup, shared_internal_ngram
from kb_assistant.verify.links import disallowed_link, normalise_hosts
from kb_assistant.verify.money import money_commitment_reason
from kb_assistant.verify.pii import find_personal_data
from kb_assistant.verify.support import (
    SentenceVectors,
    SupportThresholds,
    is_pleasantry,
    max_cosine,
    passage_sentences,
    token_recall,
    unsupported_numbers,
)

INTERNAL_NEIGHBOURS = 5


def is_factual(statement: Statement) -> bool:
    """Whether a statement carries facts: not framing, and not an uncited pleasantry."""
    if statement.kind == "framing":
        return False
    return bool(statement.sources) or not is_pleasantry(statement.text)


@dataclass
class Verification:
    """The statements kept and removed, and whether enough survived to send the answer."""

    kept: list[Statement]
    removed: list[Removal]
    min_kept: int = 1
    min_kept_share: float = 0.5

    @property
    def enough(self) -> bool:
        """At least `min_kept` factual statements kept, and `min_kept_share` of those written."""
        kept = sum(is_factual(s) for s in self.kept)
        written = kept + sum(is_factual(r.statement) for r in self.removed)
        return kept >= self.min_kept and kept >= self.min_kept_share * written


@dataclass
class _Pending:
    """A statement whose support depends on the embedding similarity, and its cited texts."""

    index: int
    statement: Statement
    cited: list[tuple[int, str]]
    best_recall: float


class Verifier:
    """Checks drafts (or single statements, when streaming) against their passages."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        internal: InternalLookup | None = None,
        site_hosts: Collection[str] = (),
        thresholds: SupportThresholds | None = None,
        redact_allowlist: Sequence[str] = (),
        min_kept: int = 1,
        min_kept_share: float = 0.5,
    ) -> None:
        self.internal = internal
        self.site_hosts = normalise_hosts(site_hosts)
        self.thresholds = thresholds or SupportThresholds.calibrated()
        self.redact_allowlist = tuple(redact_allowlist)
        self.min_kept = min_kept
        self.min_kept_share = min_kept_share
        self._vectors = SentenceVectors(embedder)

    def check(
        self, statement: Statement, passages: Sequence[Passage], channel: Channel
    ) -> Removal | None:
        """Why one statement must be removed, or None to keep it."""
        return self._check_all([statement], passages, channel)[0]

    def verify(self, draft: Draft, passages: Sequence[Passage], channel: Channel) -> Verification:
        """Every statement of a draft checked; the kept ones in their original order."""
        verdicts = self._check_all(list(draft.statements), passages, channel)
        kept = [s for s, v in zip(draft.statements, verdicts, strict=True) if v is None]
        removed = [v for v in verdicts if v is not None]
        return Verification(kept, removed, self.min_kept, self.min_kept_share)

    def _check_all(
        self, statements: list[Statement], passages: Sequence[Passage], channel: Channel
    ) -> list[Removal | None]:
        texts = [strip_instructions(p.text) for p in passages]
        verdicts: list[Removal | None] = []
        pending: list[_Pending] = []
        for index, statement in enumerate(statements):
            verdict = self._rules(statement, passages, channel)
            if verdict is None and statement.kind != "framing":
                verdict, waiting = self._lexical_support(index, statement, texts)
                if waiting is not None:
                    pending.append(waiting)
            verdicts.append(verdict)
        for item, verdict in zip(pending, self._semantic_support(pending), strict=True):
            verdicts[item.index] = verdict
        return verdicts

    def _rules(
        self, statement: Statement, passages: Sequence[Passage], channel: Channel
    ) -> Removal | None:
        """The checks that do not depend on support: instructions, links, money, leaks."""
        text = statement.text
        cited = [passages[n - 1] for n in statement.sources if 1 <= n <= len(passages)]
        if looks_like_instruction(text) or looks_obfuscated(text):
            return Removal(statement, "instruction", "reads as an instruction to the assistant")
        link = disallowed_link(text, cited, self.site_hosts)
        if link is not None:
            return Removal(statement, "link", f"link not allowed by its sources: {link}")
        money = money_commitment_reason(text)
        if money is not None:
            return Removal(statement, "money", f"{money[0]}: {money[1]!r}")
        if channel == "customer":
            return self._customer_only(statement, cited, passages)
        return None

    def _customer_only(
        self, statement: Statement, cited: list[Passage], passages: Sequence[Passage]
    ) -> Removal | None:
        internal = _internal_numbers(passages)
        internal_cited = [n for n in statement.sources if n in internal]
        if internal_cited:
            return Removal(statement, "internal", f"cites internal passage {internal_cited}")
        public_cited = "\n".join(p.text for p in cited if p.visibility == "public")
        found = find_personal_data(statement.text, public_cited, allowlist=self.redact_allowlist)
        if found:
            return Removal(statement, "personal_data", f"personal data: {', '.join(found)}")
        if self.internal is not None:
            near = self.internal.near(statement.text, INTERNAL_NEIGHBOURS)
            public = [p.text for p in passages if p.visibility == "public"]
            shared = shared_internal_ngram(statement.text, near, public)
            if shared is not None:
                return Removal(statement, "internal", f"shares internal wording: {shared!r}")
        return None

    def _lexical_support(
        self, index: int, statement: Statement, texts: Sequence[str]
    ) -> tuple[Removal | None, _Pending | None]:
        """Support settled without embeddings, or the statement left for the cosine check."""
        numbers = sorted({n for n in statement.sources if 1 <= n <= len(texts)})
        if not numbers:
            if not statement.sources and is_pleasantry(statement.text):
                return None, None
            return Removal(statement, "support", "cites no passage that exists"), None
        cited = [(n, texts[n - 1]) for n in numbers]
        missing = unsupported_numbers(statement.text, [text for _, text in cited])
        if missing:
            detail = f"numbers not in the cited passages: {', '.join(missing)}"
            return Removal(statement, "support", detail), None
        recalls = [token_recall(statement.text, text) for _, text in cited]
        plain = _flat(statement.text.removesuffix(" …"))  # excerpts end with an ellipsis
        if max(recalls) >= self.thresholds.min_token_recall or any(
            plain and plain in _flat(text) for _, text in cited
        ):
            return None, None
        return None, _Pending(index, statement, cited, max(recalls))

    def _semantic_support(self, pending: list[_Pending]) -> list[Removal | None]:
        """Cosine check for the statements that need it, embedding everything in one batch."""
        if not pending:
            return []
        sentences = {text: passage_sentences(text) for item in pending for _, text in item.cited}
        batch = [item.statement.text for item in pending]
        batch += [s for found in sentences.values() for s in found]
        vectors = self._vectors.vectors(batch)
        verdicts: list[Removal | None] = []
        for item in pending:
            statement_vector = vectors[item.statement.text]
            best = max(
                max_cosine(statement_vector, [vectors[s] for s in sentences[text]])
                for _, text in item.cited
            )
            if best >= self.thresholds.min_cosine:
                verdicts.append(None)
                continue
            cited = [n for n, _ in item.cited]
            detail = (
                f"not supported by passages {cited}: token recall {item.best_recall:.2f}, "
                f"cosine {best:.2f}"
            )
            verdicts.append(Removal(item.statement, "support", detail))
        return verdicts


def _internal_numbers(passages: Sequence[Passage]) -> set[int]:
    return {n for n, p in enumerate(passages, start=1) if p.visibility != "public"}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()
