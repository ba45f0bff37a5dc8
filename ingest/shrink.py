"""The guard against a source that shrinks by accident.

A FAQ file truncated by a failed upload, or a folder emptied by a sync gone wrong, read as it
is, would delete every entry it had, and customers would get "I don't know" where they had an
answer. So a run does not delete the entries of a file, or of a source as a whole (a path given
to `kb-assistant ingest`, a path or glob of a sources file), that would lose more than
`max_share` of its entries, or all of them whatever the share, unless it is asked to
(`--allow-shrink`, `allow_shrink: true` on a source). The old entries keep answering, the
report names the source with its counts before and after, and the remembered state of the
files concerned is left as it was, so the next run checks them again.

An entry is one indexed document: a FAQ question with its answer, a PDF, a ticket. The
counts are net: a renamed file or a reworded question replaces an entry, it does not lose one.
A file is checked on its own when it was read completely (a deleted file or one that failed to
read is not "shrunk": the first counts against its source, the second keeps its entries).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.known import KnownDocuments
from ingest.report import IngestReport
from kb_assistant.domain import DocumentFailure
from kb_assistant.ports import DocumentEntry, Manifest

EXIT_SHRINK_REFUSED = 5
DEFAULT_MAX_SHRINK = 0.5

Scope = Literal["file", "source"]


@dataclass(frozen=True)
class ShrinkRefused(DocumentFailure):
    """A file or source whose entries were not deleted because it lost too many of them.

    It is a failure of level `error`, so every report (the command line's, the admin API's
    job, the run history) lists it with the rest; `refusals` picks these out.
    """

    scope: Scope = "file"
    before: int = 0
    after: int = 0
    max_share: float = DEFAULT_MAX_SHRINK

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "scope": self.scope,
            "before": self.before,
            "after": self.after,
            "max_share": self.max_share,
            "message": self.error,
        }


def refused(
    scope: Scope,
    path: str,
    before: int,
    after: int,
    max_share: float,
    *,
    name: str = "",
    against_live: bool = False,
) -> ShrinkRefused:
    """A refusal with a message that says what happened and what to do."""
    lost = before - after
    if after == 0:
        why = "a run never removes every entry of a file or source unless asked"
    else:
        share = f"{lost / before:.0%} fewer"
        why = f"{share}, more than the {max_share:.0%} a run may remove (KB_MAX_SHRINK)"
    if against_live:
        outcome = "Compared with the live version; the rebuild was not made live"
    else:
        outcome = f"The {lost} entries were kept and keep answering"
    message = (
        f"{_subject(scope, name)} now holds {after} of its {before} entries ({why}). {outcome}. "
        "If the loss is intended, run again with --allow-shrink."
    )
    return ShrinkRefused(path, message, "error", scope, before, after, max_share)


def _subject(scope: Scope, name: str) -> str:
    """What shrank, as the start of a message that follows the path in every report."""
    if scope == "file":
        return "this file" + (f" (source {name!r})" if name else "")
    return f"source {name!r}" if name else "everything under this path"


def refusals(report: IngestReport) -> list[ShrinkRefused]:
    """The refused shrinks of a run."""
    return [failure for failure in report.failures if isinstance(failure, ShrinkRefused)]


def shrink_json(report: IngestReport) -> list[dict[str, Any]]:
    return [refusal.as_json() for refusal in refusals(report)]


def read_failures(report: IngestReport) -> int:
    """Documents or files that could not be read (errors other than refused shrinks)."""
    return report.failed - len(refusals(report))


def exit_code(report: IngestReport) -> int:
    """5 when a shrink was refused, else the report's own code (1 when documents failed)."""
    return EXIT_SHRINK_REFUSED if refusals(report) else report.exit_code


def too_much(before: int, after: int, max_share: float) -> bool:
    """Whether going from `before` to `after` entries loses everything or more than the share."""
    if before <= 0 or after >= before:
        return False
    return after == 0 or (before - after) / before > max_share


def is_under(path: str, root: str) -> bool:
    """Whether `path` is `root` or inside it (as the manifest matches paths to roots)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass
class ShrinkCheck:
    """What a check found: the refusals and the files and roots whose entries stay."""

    refusals: list[ShrinkRefused] = field(default_factory=list)
    held_files: set[str] = field(default_factory=set)
    held_roots: list[str] = field(default_factory=list)

    def holds(self, source: str) -> bool:
        """Whether the entries of file `source` must not be deleted."""
        return source in self.held_files or any(is_under(source, r) for r in self.held_roots)


def check_shrink(
    before: Mapping[str, str],
    after: Mapping[str, str],
    *,
    files: Collection[str],
    roots: Sequence[str],
    max_share: float,
    name: str = "",
    against_live: bool = False,
) -> ShrinkCheck:
    """Compare a source's entries before and after a run (document id → file).

    Each file of `files` (those read completely) is checked on its own, then each root as a
    whole, counting the entries of a held file as kept.
    """
    check = ShrinkCheck()

    def refuse(scope: Scope, path: str, was: int, now: int) -> None:
        check.refusals.append(
            refused(scope, path, was, now, max_share, name=name, against_live=against_live)
        )

    had, has = Counter(before.values()), Counter(after.values())
    for path in sorted(set(files) & set(had)):
        if too_much(had[path], has[path], max_share):
            check.held_files.add(path)
            refuse("file", path, had[path], has[path])
    kept = {**after, **{i: s for i, s in before.items() if s in check.held_files}}
    for root in roots:
        was = sum(1 for source in before.values() if is_under(source, root))
        now = sum(1 for source in kept.values() if is_under(source, root))
        if too_much(was, now, max_share):
            check.held_roots.append(root)
            refuse("source", root, was, now)
    return check


@dataclass(frozen=True)
class ShrinkGuard:
    """How one run guards its sources: against what the index being written holds, or
    against a `baseline` manifest (the live version's, for a rebuild into a new version,
    which holds nothing yet); not at all with `allow`."""

    max_share: float = DEFAULT_MAX_SHRINK
    allow: bool = False
    baseline: Manifest | None = None

    def check(
        self,
        known: KnownDocuments,
        gone: Sequence[DocumentEntry],
        written: Mapping[str, str],
        *,
        files: Collection[str],
        roots: Sequence[str],
        matches: Callable[[str], bool],
        name: str = "",
        allow: bool = False,
    ) -> ShrinkCheck:
        """Check one source after reading it: `known` are its indexed documents, `gone` those
        about to be deleted, `written` the documents written (id → file), `files` the files
        read completely and `allow` the source's own permission to shrink."""
        if self.allow or allow:
            return ShrinkCheck()
        before = known.sources
        if self.baseline is not None:
            before = KnownDocuments.under(self.baseline, roots, matches).sources
        deleted = {entry.id for entry in gone}
        after = {doc_id: path for doc_id, path in known.sources.items() if doc_id not in deleted}
        after.update(written)
        return check_shrink(
            before,
            after,
            files=files,
            roots=roots,
            max_share=self.max_share,
            name=name,
            against_live=self.baseline is not None,
        )
