"""Ticket connectors: solved support tickets from a Zendesk JSON export or a CSV file.

Only solved or closed tickets that carry a resolution are worth retrieving (they show how a
problem was fixed); the others are skipped. Customer names are never written into the text:
they go to `Document.people` so that redaction can remove them where the customer wrote them.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import ConnectorOptions
from connectors.text_io import (
    JSONL_SUFFIXES,
    RecordError,
    UniqueKeys,
    csv_rows,
    file_failure,
    gather,
    load_guarded,
    parse_json_records,
    read_head,
    read_text,
    source_of,
    tidy_text,
)
from kb_assistant.domain import DEFAULT_VISIBILITY, Document, Kind, LoadResult, Section, Visibility

SOLVED_STATUSES = frozenset({"solved", "closed"})
TICKET_CSV_COLUMNS = ("id", "subject", "status", "resolution")
_TICKET_KEYS = re.compile(r'(?<!\\)"(?:tickets|comments|requester_id)"\s*:')
_STATUS_KEY = re.compile(r'(?<!\\)"status"\s*:')
_SUBJECT_KEY = re.compile(r'(?<!\\)"subject"\s*:')
_HTML_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass
class Ticket:
    """The parts of a ticket that make its document."""

    ticket_id: str
    subject: str
    status: str
    lines: list[str]
    tags: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    people: tuple[str, ...] = ()


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive ones are taken as UTC), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def looks_like_tickets(head: str) -> bool:
    """Cheap sniff of a JSON file's start: Zendesk keys, or objects with a status and subject."""
    if _TICKET_KEYS.search(head):
        return True
    return bool(_STATUS_KEY.search(head) and _SUBJECT_KEY.search(head))


def ticket_document(path: Path, ticket: Ticket, visibility: Visibility) -> Document:
    """Build the document for one ticket (shared by the JSON and CSV formats)."""
    return Document(
        id=f"ticket:{source_of(path)}#{ticket.ticket_id}",
        title=f"Ticket {ticket.ticket_id}: {ticket.subject}",
        sections=[Section("\n".join(ticket.lines))],
        kind="ticket",
        visibility=visibility,
        source=source_of(path),
        location=f"ticket #{ticket.ticket_id}",
        updated_at=ticket.updated_at,
        metadata={
            "status": ticket.status,
            "tags": ",".join(ticket.tags),
            "ticket_id": ticket.ticket_id,
        },
        people=ticket.people,
    )


class _TicketConnector:
    """What the ticket formats share: options and the never-raise `load`."""

    kind: Kind = "ticket"

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()

    def load(self, path: Path, visibility: Visibility | None = None) -> LoadResult:
        """Read the solved tickets of a file; bad rows and bad files come back as failures."""
        chosen = visibility or DEFAULT_VISIBILITY[self.kind]

        def read(file: Path, result: LoadResult) -> None:
            text = read_text(file, self.options.encoding)
            if text.strip():
                for ticket in self._tickets(file, text, result):
                    result.documents.append(ticket_document(file, ticket, chosen))
            if not result.documents and not result.failures:
                message = "no solved ticket with a resolution in the file, nothing to index"
                result.failures.append(file_failure(file, message, "warning"))

        return load_guarded(path, read)

    def _tickets(self, path: Path, text: str, result: LoadResult) -> list[Ticket]:
        raise NotImplementedError


# --- Zendesk JSON -----------------------------------------------------------------------


def _key(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _users(root: object) -> dict[str, dict[str, object]]:
    users = root.get("users") if isinstance(root, dict) else None
    if not isinstance(users, list):
        return {}
    return {
        key: user
        for user in users
        if isinstance(user, dict) and (key := _key(user.get("id"))) is not None
    }


def _comment_body(comment: dict[str, object]) -> str:
    for name in ("body", "plain_body"):
        value = comment.get(name)
        if isinstance(value, str) and value.strip():
            return tidy_text(value)
    markup = comment.get("html_body")
    if isinstance(markup, str):
        return tidy_text(html.unescape(_HTML_TAG.sub("", _HTML_BREAK.sub("\n", markup))))
    return ""


def _name(person: object) -> str | None:
    name = person.get("name") if isinstance(person, dict) else None
    return " ".join(name.split()) if isinstance(name, str) and name.strip() else None


@dataclass
class _Conversation:
    lines: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    agent_replied: bool = False


def _conversation(
    ticket: dict[str, object], requester: str | None, users: dict[str, dict[str, object]]
) -> _Conversation:
    """Label each comment Customer / Agent / Internal note and collect end-users' names."""
    talk = _Conversation()
    comments = ticket.get("comments")
    description = tidy_text(str(ticket.get("description") or ""))
    for position, comment in enumerate(comments if isinstance(comments, list) else []):
        if not isinstance(comment, dict):
            continue
        body = _comment_body(comment)
        if not body or (position == 0 and body == description):
            continue  # Zendesk repeats the description as the first comment
        embedded = comment.get("author")
        author_id = _key(comment.get("author_id")) or _key(
            embedded.get("id") if isinstance(embedded, dict) else None
        )
        author = users.get(author_id or "", embedded if isinstance(embedded, dict) else {})
        is_customer = author_id is not None and author_id == requester
        if author.get("role") == "end-user" or is_customer:
            name = _name(author)
            talk.customers += [name] if name else []
            is_customer = True
        if comment.get("public", True) is False:
            talk.lines.append(f"Internal note: {body}")
        elif is_customer:
            talk.lines.append(f"Customer: {body}")
        else:
            talk.lines.append(f"Agent: {body}")
            talk.agent_replied = True
    return talk


def _claim(keys: UniqueKeys, ticket_id: str) -> None:
    if ticket_id in keys.seen:
        raise RecordError(f"duplicate ticket id {ticket_id}; ids must be unique within a file")
    keys.seen.add(ticket_id)


def _zendesk_ticket(
    record: object, users: dict[str, dict[str, object]], keys: UniqueKeys
) -> list[Ticket]:
    if not isinstance(record, dict):
        raise RecordError("expected a ticket object")
    status = str(record.get("status") or "").strip().lower()
    if status not in SOLVED_STATUSES:
        return []
    ticket_id = _key(record.get("id"))
    if ticket_id is None:
        raise RecordError("ticket has no id")
    description = tidy_text(str(record.get("description") or ""))
    subject = " ".join(str(record.get("subject") or record.get("raw_subject") or "").split())
    subject = subject or description.split("\n")[0][:80]
    if not subject:
        raise RecordError(f"ticket {ticket_id} has no subject and no description")
    embedded = record.get("requester")
    requester = _key(record.get("requester_id")) or _key(
        embedded.get("id") if isinstance(embedded, dict) else None
    )
    talk = _conversation(record, requester, users)
    resolution = tidy_text(str(record.get("resolution") or ""))
    if not resolution and not talk.agent_replied:
        return []
    _claim(keys, ticket_id)
    lines = [f"Subject: {subject}"] + ([f"Customer: {description}"] if description else [])
    lines += talk.lines + ([f"Resolution: {resolution}"] if resolution else [])
    requester_name = _name(users.get(requester or "")) or _name(embedded)
    people = [requester_name] if requester_name else []
    tags = record.get("tags")
    ticket = Ticket(
        ticket_id=ticket_id,
        subject=subject,
        status=status,
        lines=lines,
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [],
        updated_at=parse_timestamp(record.get("updated_at") or record.get("created_at")),
        people=tuple(dict.fromkeys(people + talk.customers)),
    )
    return [ticket]


class ZendeskJsonConnector(_TicketConnector):
    """Zendesk exports: `{"tickets": [...], "users": [...]}`, a list of tickets, or JSONL."""

    def can_read(self, path: Path) -> bool:
        """Whether the file is JSON / JSONL whose start looks like tickets."""
        suffix = path.suffix.lower()
        return (suffix == ".json" or suffix in JSONL_SUFFIXES) and looks_like_tickets(
            read_head(path)
        )

    def _tickets(self, path: Path, text: str, result: LoadResult) -> list[Ticket]:
        parsed = parse_json_records(path, text, ("tickets", "results"))
        result.failures.extend(parsed.failures)
        users, keys = _users(parsed.root), UniqueKeys()
        return gather(parsed.records, lambda record: _zendesk_ticket(record, users, keys), result)


# --- CSV --------------------------------------------------------------------------------


def _csv_ticket(row: dict[str, str], keys: UniqueKeys) -> list[Ticket]:
    if row.get("status", "").lower() not in SOLVED_STATUSES or not row.get("resolution"):
        return []
    ticket_id, subject = row.get("id", ""), " ".join(row.get("subject", "").split())
    if not ticket_id or not subject:
        raise RecordError("row has no id or no subject; fill them in or delete the row")
    _claim(keys, ticket_id)
    lines = [f"Subject: {subject}"]
    if row.get("description"):
        lines.append(f"Customer: {tidy_text(row['description'])}")
    lines.append(f"Resolution: {tidy_text(row['resolution'])}")
    requester = " ".join(row.get("requester", "").split())
    ticket = Ticket(
        ticket_id=ticket_id,
        subject=subject,
        status=row["status"].lower(),
        lines=lines,
        tags=[tag.strip() for tag in row.get("tags", "").split(";") if tag.strip()],
        updated_at=parse_timestamp(row.get("updated_at") or row.get("created_at")),
        people=(requester,) if requester else (),
    )
    return [ticket]


class TicketCsvConnector(_TicketConnector):
    """Tickets as CSV: `id,subject,description,resolution,status,created_at,tags` (tags `;`).

    An optional `requester` column names the customer (kept out of the text, for redaction).
    """

    def can_read(self, path: Path) -> bool:
        """Whether the file is CSV with a `resolution` and a `status` column."""
        if path.suffix.lower() != ".csv":
            return False
        first_line = read_head(path, 4096).split("\n", 1)[0]
        header = {name.strip().lower() for name in next(csv.reader([first_line]), [])}
        return {"resolution", "status"} <= header

    def _tickets(self, path: Path, text: str, result: LoadResult) -> list[Ticket]:
        expected = "id,subject,description,resolution,status,created_at,tags"
        rows = csv_rows(path, text, TICKET_CSV_COLUMNS, expected)
        keys = UniqueKeys()
        return gather(rows, lambda row: _csv_ticket(row, keys), result)
