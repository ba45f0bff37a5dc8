"""Discovery and dispatch: which files are read, by which connector, and nothing ever aborts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors import ConnectorOptions, discover_files, read_sources
from connectors.faq import CsvFaqConnector, JsonFaqConnector, MarkdownFaqConnector
from connectors.pdf import PdfConnector
from connectors.registry import connector_for
from connectors.tickets import TicketCsvConnector, ZendeskJsonConnector
from tests.connectors.test_pdf import make_pdf

OPTIONS = ConnectorOptions()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_sources(root: Path) -> None:
    write(root / "faq.md", "# Shipping?\nFive days.\n")
    write(root / "README.md", "# How to edit this folder?\nAdd Markdown files.\n")
    write(root / "faq.csv", "question,answer\nOpen on Sunday?,No.\n")
    write(root / "logo.png", b"\x89PNG\r\n")
    write(root / ".drafts" / "draft.md", "# Draft?\nNot yet.\n")
    write(root / ".hidden.md", "# Hidden?\nYes.\n")
    write(root / "exports" / "tickets.csv", "ID,Subject,Resolution,Status\n7,Late,Sent,solved\n")
    write(root / "exports" / "zendesk.json", json.dumps({"tickets": [], "users": []}))
    rows = [{"id": 8, "subject": "Wi-Fi", "status": "closed", "resolution": "Reboot."}]
    write(root / "exports" / "more.jsonl", "\n".join(json.dumps(r) for r in rows))
    write(root / "exports" / "faq.json", json.dumps({"items": [{"q": "Gift?", "a": "Yes."}]}))
    write(root / "manuals" / "guide.pdf", make_pdf([["User guide", "Press the button."]]))


def test_discover_files_walks_sorted_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    make_sources(tmp_path)
    found = discover_files([tmp_path, tmp_path / "faq.md"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "README.md",
        "faq.csv",
        "faq.md",
        "exports/faq.json",
        "exports/more.jsonl",
        "exports/tickets.csv",
        "exports/zendesk.json",
        "manuals/guide.pdf",
    ]
    assert discover_files([tmp_path / "logo.png"]) == [tmp_path / "logo.png"]
    assert discover_files([tmp_path / "missing"]) == []


def test_connector_is_chosen_by_extension_and_sniffing(tmp_path: Path) -> None:
    make_sources(tmp_path)
    expected = {
        "faq.md": MarkdownFaqConnector,
        "faq.csv": CsvFaqConnector,
        "exports/tickets.csv": TicketCsvConnector,
        "exports/zendesk.json": ZendeskJsonConnector,
        "exports/more.jsonl": ZendeskJsonConnector,
        "exports/faq.json": JsonFaqConnector,
        "manuals/guide.pdf": PdfConnector,
    }
    for name, connector_type in expected.items():
        assert type(connector_for(tmp_path / name, None, OPTIONS)) is connector_type, name
    assert connector_for(tmp_path / "logo.png", None, OPTIONS) is None
    forced = connector_for(tmp_path / "faq.csv", "ticket", OPTIONS)
    assert type(forced) is TicketCsvConnector


def test_read_sources_reads_every_kind(tmp_path: Path) -> None:
    make_sources(tmp_path)
    results = {Path(r.source).name: r for r in read_sources([tmp_path], None, None, OPTIONS)}

    kinds = {name: [d.kind for d in r.documents] for name, r in results.items()}
    assert kinds == {
        "README.md": ["faq"],
        "faq.csv": ["faq"],
        "faq.md": ["faq"],
        "faq.json": ["faq"],
        "more.jsonl": ["ticket"],
        "tickets.csv": ["ticket"],
        "zendesk.json": [],
        "guide.pdf": ["pdf"],
    }
    assert results["zendesk.json"].complete
    visibilities = {
        d.visibility for r in results.values() for d in r.documents if d.kind == "ticket"
    }
    assert visibilities == {"internal"}


def test_kind_and_visibility_are_forced(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.txt", "# Opening hours?\nNine to five.\n")
    (unsupported,) = read_sources([notes], None, None, OPTIONS)
    assert unsupported.documents == []
    assert "unsupported file type '.txt'" in unsupported.failures[0].error

    (forced,) = read_sources([notes], "faq", "internal", OPTIONS)
    (doc,) = forced.documents
    assert (doc.kind, doc.visibility, doc.title) == ("faq", "internal", "Opening hours?")


def test_missing_paths_and_crashing_connectors_do_not_abort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faq = write(tmp_path / "a" / "faq.md", "# Shipping?\nFive days.\n")
    guide = write(tmp_path / "b" / "guide.pdf", make_pdf([["User guide"]]))

    def crash(self: PdfConnector, path: Path, visibility: object = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(PdfConnector, "load", crash)
    results = list(read_sources([tmp_path / "nope", guide, faq], None, None, OPTIONS))

    assert [Path(r.source).name for r in results] == ["nope", "guide.pdf", "faq.md"]
    assert "no such file or folder" in results[0].failures[0].error
    assert "unexpected error while reading (RuntimeError: boom)" in results[1].failures[0].error
    assert not results[1].complete
    assert [d.title for d in results[2].documents] == ["Shipping?"]


def test_each_file_is_read_once(tmp_path: Path) -> None:
    faq = write(tmp_path / "faq.md", "# Shipping?\nFive days.\n")
    results = list(read_sources([tmp_path, faq, tmp_path], None, None, OPTIONS))
    assert [Path(r.source).name for r in results] == ["faq.md"]
