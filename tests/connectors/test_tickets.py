"""Ticket connectors: solved tickets with a resolution, conversation labels, people kept apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from connectors.tickets import TicketCsvConnector, ZendeskJsonConnector
from kb_assistant.domain import Document

ZENDESK_EXPORT: dict[str, list[dict[str, object]]] = {
    "users": [
        {"id": 1, "name": "Jane Roe", "email": "jane.roe@example.com", "role": "end-user"},
        {"id": 2, "name": "Sam Agent", "role": "agent"},
        {"id": 3, "name": "Lee Friend", "role": "end-user"},
    ],
    "tickets": [
        {
            "id": 101,
            "subject": "Cannot log in",
            "description": "I cannot log in   since Monday.",
            "status": "Solved",
            "requester_id": 1,
            "created_at": "2024-03-01T10:00:00Z",
            "updated_at": "2024-03-02T12:30:00Z",
            "tags": ["login", "password"],
            "comments": [
                {"author_id": 1, "body": "I cannot log in since Monday.", "public": True},
                {"author_id": 2, "body": "Logs: account locked.", "public": False},
                {
                    "author_id": 2,
                    "html_body": "<p>Please reset your password&nbsp;from the login page.</p>",
                    "public": True,
                },
                {"author_id": 3, "plain_body": "Same problem here!", "public": True},
                {"author_id": 1, "body": "That worked, thanks.", "public": True},
            ],
        },
        {
            "id": 102,
            "subject": "Refund",
            "description": "Where is my refund?",
            "status": "open",
            "requester_id": 1,
            "comments": [{"author_id": 2, "body": "Looking into it.", "public": True}],
        },
        {
            "id": 103,
            "subject": "Dark mode?",
            "description": "Is there a dark mode?",
            "status": "closed",
            "requester_id": 1,
            "comments": [{"author_id": 1, "body": "Please answer.", "public": True}],
        },
        {"subject": "No id", "status": "solved", "resolution": "Fixed."},
    ],
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def added_by_us(doc: Document) -> list[str]:
    """Everything the connector writes besides the source's own words."""
    return [doc.title, doc.location, doc.id, *doc.metadata.values()]


def test_zendesk_export_keeps_solved_tickets_with_a_resolution(tmp_path: Path) -> None:
    path = write(tmp_path / "export.json", json.dumps(ZENDESK_EXPORT))
    result = ZendeskJsonConnector().load(path)

    (doc,) = result.documents
    assert doc.id == f"ticket:{path.resolve()}#101"
    assert doc.title == "Ticket 101: Cannot log in"
    assert doc.location == "ticket #101"
    assert (doc.kind, doc.visibility, doc.url) == ("ticket", "internal", None)
    assert doc.metadata == {"status": "solved", "tags": "login,password", "ticket_id": "101"}
    assert doc.updated_at == datetime(2024, 3, 2, 12, 30, tzinfo=UTC)
    assert doc.text == (
        "Subject: Cannot log in\n"
        "Customer: I cannot log in since Monday.\n"
        "Internal note: Logs: account locked.\n"
        "Agent: Please reset your password from the login page.\n"
        "Customer: Same problem here!\n"
        "Customer: That worked, thanks."
    )
    assert doc.people == ("Jane Roe", "Lee Friend")
    for value in [doc.text, *added_by_us(doc)]:
        assert "Jane" not in value and "jane.roe@" not in value and "Sam Agent" not in value
    assert [f.source for f in result.failures] == [f"{path.resolve()}:item 4"]
    assert "no id" in result.failures[0].error


def test_ticket_ids_are_stable_across_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "export.json", json.dumps(ZENDESK_EXPORT))
    first = ZendeskJsonConnector().load(path).documents
    assert [d.id for d in first] == [d.id for d in ZendeskJsonConnector().load(path).documents]


def test_bare_list_with_embedded_requester_and_explicit_resolution(tmp_path: Path) -> None:
    tickets = [
        {
            "id": "A-7",
            "subject": "Invoice copy",
            "description": "Please send my invoice again.",
            "status": "CLOSED",
            "requester": {"id": 9, "name": "Max  Mustermann", "email": "max@example.com"},
            "resolution": "Re-sent the invoice from the billing page.",
            "created_at": "2024-04-01 09:00:00",
            "comments": [
                {"author": {"id": 9, "name": "Max Mustermann"}, "body": "Any news?"},
                {"author_id": 50, "body": "Checked with billing.", "public": False},
            ],
        }
    ]
    path = write(tmp_path / "tickets.json", json.dumps(tickets))
    (doc,) = ZendeskJsonConnector().load(path).documents

    assert doc.people == ("Max Mustermann",)
    assert doc.updated_at == datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    assert doc.text == (
        "Subject: Invoice copy\n"
        "Customer: Please send my invoice again.\n"
        "Customer: Any news?\n"
        "Internal note: Checked with billing.\n"
        "Resolution: Re-sent the invoice from the billing page."
    )
    assert not any("Max" in value for value in added_by_us(doc))


def test_jsonl_tickets_with_a_bad_line(tmp_path: Path) -> None:
    good = {"id": 5, "subject": "Wi-Fi", "status": "solved", "resolution": "Restart the router."}
    path = write(tmp_path / "tickets.jsonl", json.dumps(good) + "\n{oops\n")
    result = ZendeskJsonConnector().load(path)
    assert [d.metadata["ticket_id"] for d in result.documents] == ["5"]
    assert [f.source for f in result.failures] == [f"{path.resolve()}:line 2"]


def test_file_with_no_solved_ticket_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "open.json", json.dumps({"tickets": ZENDESK_EXPORT["tickets"][1:3]}))
    result = ZendeskJsonConnector().load(path)
    assert result.documents == []
    assert [f.level for f in result.failures] == ["warning"]


TICKET_CSV = (
    "id,subject,description,resolution,status,created_at,tags,requester\n"
    '1,Late delivery,"Parcel is\nlate.",Re-shipped with express.,Solved,'
    "2024-01-05T08:00:00,shipping; delay,Ann Lee\n"
    "2,Still open,Broken screen.,,open,,,\n"
    "3,No resolution yet,Help.,,solved,,,\n"
    ",Missing id,Help.,Fixed.,closed,,,\n"
    "4,,Help.,Fixed.,closed,,,\n"
    "5,Pending,Help.,Fixed.,pending,,,\n"
)


def test_ticket_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.csv", TICKET_CSV)
    result = TicketCsvConnector().load(path)

    (doc,) = result.documents
    assert doc.id == f"ticket:{path.resolve()}#1"
    assert doc.title == "Ticket 1: Late delivery"
    assert doc.text == (
        "Subject: Late delivery\nCustomer: Parcel is late.\nResolution: Re-shipped with express."
    )
    assert doc.metadata == {"status": "solved", "tags": "shipping,delay", "ticket_id": "1"}
    assert doc.updated_at == datetime(2024, 1, 5, 8, 0, tzinfo=UTC)
    assert doc.people == ("Ann Lee",)
    assert [f.source for f in result.failures] == [
        f"{path.resolve()}:line 6",
        f"{path.resolve()}:line 7",
    ]
    assert all("no id or no subject" in f.error for f in result.failures)


def test_ticket_csv_without_resolution_column_is_a_file_error(tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.csv", "id,subject,status\n1,Hi,solved\n")
    result = TicketCsvConnector().load(path)
    assert result.documents == []
    assert "missing column(s) resolution" in result.failures[0].error
