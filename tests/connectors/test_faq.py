"""FAQ connectors: Markdown, CSV and JSON / JSONL files into one document per entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.base import ConnectorOptions
from connectors.faq import CsvFaqConnector, JsonFaqConnector, MarkdownFaqConnector
from kb_assistant.domain import Document, LoadResult

MARKDOWN_FAQ = """---
title: Acme Help Center
url: https://help.example.com/faq
---
# Billing

## How do I pay?
We accept:
- credit cards
- bank   transfer

## Can I get an invoice?
Yes. Open *Account*,
then *Invoices*.

# Account

## How do I pay?
From the account page.

## How do I reset my password?
Use the "Forgot password" link.

```bash
# not a heading
reset-password --email you@example.com
```
"""


def by_title(result: LoadResult) -> dict[str, Document]:
    return {doc.title: doc for doc in result.documents}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_markdown_entries_with_categories_urls_and_unique_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.md", MARKDOWN_FAQ)
    result = MarkdownFaqConnector().load(path)

    assert result.failures == []
    docs = result.documents
    assert [d.title for d in docs] == [
        "How do I pay?",
        "Can I get an invoice?",
        "How do I pay?",
        "How do I reset my password?",
    ]
    base = f"faq:{path.resolve()}#"
    assert [d.id for d in docs] == [
        base + "how-do-i-pay",
        base + "can-i-get-an-invoice",
        base + "how-do-i-pay-2",
        base + "how-do-i-reset-my-password",
    ]
    assert [d.metadata["category"] for d in docs] == ["Billing", "Billing", "Account", "Account"]
    assert docs[2].url == "https://help.example.com/faq#how-do-i-pay-2"
    assert docs[2].location == docs[2].url
    assert docs[0].text == "Q: How do I pay?\nA: We accept:\n- credit cards\n- bank transfer"
    assert docs[1].text == "Q: Can I get an invoice?\nA: Yes. Open *Account*, then *Invoices*."
    assert "# not a heading" in docs[3].text
    assert all(d.kind == "faq" and d.visibility == "public" for d in docs)
    assert all(len(d.sections) == 1 and d.sections[0].page is None for d in docs)


def test_markdown_ids_stay_stable_when_an_answer_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.md", MARKDOWN_FAQ)
    before = MarkdownFaqConnector().load(path).documents
    write(path, MARKDOWN_FAQ.replace("From the account page.", "From Settings › Billing."))
    after = MarkdownFaqConnector().load(path).documents

    assert [d.id for d in before] == [d.id for d in after]
    changed = [b.id for b, a in zip(before, after, strict=True) if b.content_hash != a.content_hash]
    assert changed == [before[2].id]


def test_markdown_without_sections_uses_top_headings_as_questions(tmp_path: Path) -> None:
    text = (
        "Intro text that belongs to no entry.\n\n"
        "# Do you ship abroad?\nYes, to 40 countries.\n\n"
        "# Returns policy\nReturns are free for 30 days.\n\n"
        "# Is there a phone line?\n\n"
        "# Warranty?\nTwo years.\n\n### Exclusions\nWater damage.\n"
    )
    path = write(tmp_path / "shipping.md", text)
    result = MarkdownFaqConnector().load(path)

    docs = by_title(result)
    assert list(docs) == ["Do you ship abroad?", "Returns policy", "Warranty?"]
    assert docs["Do you ship abroad?"].url is None
    assert docs["Do you ship abroad?"].location == "shipping.md › Do you ship abroad?"
    assert "category" not in docs["Do you ship abroad?"].metadata
    assert docs["Warranty?"].text == "Q: Warranty?\nA: Two years.\n\nExclusions\n\nWater damage."
    assert [f.level for f in result.failures] == ["warning"]
    assert "Is there a phone line?" in result.failures[0].error


def test_markdown_without_headings_is_a_warning(tmp_path: Path) -> None:
    result = MarkdownFaqConnector().load(write(tmp_path / "notes.md", "Just some notes.\n"))
    assert result.documents == []
    assert [f.level for f in result.failures] == ["warning"]
    assert result.complete


CSV_FAQ = (
    " Question , ANSWER ,url,Category,id\n"
    "How do I pay?,By card.,https://help.example.com/pay,Billing,pay\n"
    'Can I pay later?,"Yes,\nwith an invoice.",,Billing,\n'
    "Where is my order?,,,Orders,\n"
    ",An answer with no question,,,\n"
    "\n"
    "Can I pay later?,Twice asked.,,Billing,\n"
)


def test_csv_rows_with_missing_fields_fail_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", CSV_FAQ)
    result = CsvFaqConnector().load(path)

    base = f"faq:{path.resolve()}#"
    assert [d.id for d in result.documents] == [
        base + "pay",
        base + "can-i-pay-later",
        base + "can-i-pay-later-2",
    ]
    first = result.documents[0]
    assert first.url == first.location == "https://help.example.com/pay"
    assert first.metadata == {"faq_id": "pay", "category": "Billing"}
    assert result.documents[1].text == "Q: Can I pay later?\nA: Yes, with an invoice."
    assert result.documents[1].url is None
    assert [(f.source, f.level) for f in result.failures] == [
        (f"{path.resolve()}:line 5", "error"),
        (f"{path.resolve()}:line 6", "error"),
    ]
    assert "no answer" in result.failures[0].error
    assert "no question" in result.failures[1].error


def test_csv_without_required_columns_is_a_file_error(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "title,body\nHow?,Like this.\n")
    result = CsvFaqConnector().load(path)

    assert result.documents == []
    assert len(result.failures) == 1
    assert result.failures[0].source == str(path.resolve())
    assert "missing column(s) question, answer" in result.failures[0].error
    assert not result.complete


def test_csv_duplicate_explicit_id_is_a_row_failure(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "question,answer,id\nA?,One.,x\nB?,Two.,x\n")
    result = CsvFaqConnector().load(path)
    assert [d.title for d in result.documents] == ["A?"]
    assert "duplicate id 'x'" in result.failures[0].error


def test_non_utf8_csv_is_refused_clearly_and_read_with_its_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "legacy.csv", "question,answer\nCafé hours?,Open 8–18.\n", "cp1252")
    refused = CsvFaqConnector().load(path)

    assert refused.documents == []
    message = refused.failures[0].error
    for needle in (
        "legacy.csv",
        "utf-8",
        "0xe9",
        "offset 19",
        "line 2",
        "UTF-8",
        "--encoding cp1252",
    ):
        assert needle in message

    loaded = CsvFaqConnector(ConnectorOptions(encoding="cp1252")).load(path)
    assert loaded.failures == []
    assert loaded.documents[0].text == "Q: Café hours?\nA: Open 8–18."


def test_utf8_file_still_reads_when_a_legacy_encoding_is_given(tmp_path: Path) -> None:
    path = write(tmp_path / "modern.csv", "question,answer\nCafé hours?,Open 8–18.\n")
    loaded = CsvFaqConnector(ConnectorOptions(encoding="cp1252")).load(path)
    assert loaded.documents[0].text == "Q: Café hours?\nA: Open 8–18."


def test_unknown_encoding_and_utf16_without_bom_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "question,answer\nA?,B.\n", "utf-16-le")
    assert "NUL characters" in CsvFaqConnector().load(path).failures[0].error
    unknown = CsvFaqConnector(ConnectorOptions(encoding="klingon")).load(path)
    assert "unknown encoding 'klingon'" in unknown.failures[0].error


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_csv_with_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "bom.csv", "question,answer\nCafé?,Oui.\n", encoding)
    result = CsvFaqConnector().load(path)
    assert result.failures == []
    assert result.documents[0].text == "Q: Café?\nA: Oui."


def test_json_object_with_list_key_and_answer_lists(tmp_path: Path) -> None:
    data = {
        "faqs": [
            {"id": 7, "question": "How do I pay?", "answers": ["By card.", "  ", "By bank."]},
            {"Q": "Refunds?", "A": "Within 30 days.", "link": "https://help.example.com/r"},
            {"question": "No answer here"},
            "not an object",
        ]
    }
    path = write(tmp_path / "faq.json", json.dumps(data))
    result = JsonFaqConnector().load(path)

    base = f"faq:{path.resolve()}#"
    assert [d.id for d in result.documents] == [base + "7/0", base + "7/2", base + "refunds"]
    assert [d.metadata["faq_id"] for d in result.documents] == ["7", "7", "refunds"]
    assert result.documents[1].text == "Q: How do I pay?\nA: By bank."
    assert result.documents[2].url == "https://help.example.com/r"
    assert [f.source for f in result.failures] == [
        f"{path.resolve()}:item 3",
        f"{path.resolve()}:item 4",
    ]


def test_json_configured_field_names(tmp_path: Path) -> None:
    rows = [{"ref": "a1", "ask": "Opening hours?", "reply": "9 to 5.", "answer": "ignored"}]
    path = write(tmp_path / "faq.json", json.dumps(rows))
    options = ConnectorOptions(
        faq_question_field="ask", faq_answer_field="reply", faq_id_field="ref"
    )
    result = JsonFaqConnector(options).load(path)
    assert [d.id for d in result.documents] == [f"faq:{path.resolve()}#a1"]
    assert result.documents[0].text == "Q: Opening hours?\nA: 9 to 5."


def test_jsonl_bad_line_fails_alone(tmp_path: Path) -> None:
    lines = [
        '{"faq_id": "f1", "question": "One?", "answer": "First."}',
        '{"faq_id": "f2", "question": "Two?", "answer": ',
        '{"faq_id": "f3", "question": "Three?", "answer": "Third."}',
    ]
    path = write(tmp_path / "faq.jsonl", "\n".join(lines) + "\n")
    result = JsonFaqConnector().load(path)

    assert [d.metadata["faq_id"] for d in result.documents] == ["f1", "f3"]
    assert len(result.failures) == 1
    assert result.failures[0].source == f"{path.resolve()}:line 2"


def test_malformed_json_is_a_file_error_with_position(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.json", '[\n  {"question": "One?",\n   "answer": "x",,}\n]\n')
    result = JsonFaqConnector().load(path)
    assert result.documents == []
    assert "line 3, column" in result.failures[0].error
    assert "faq.json" in result.failures[0].error


def test_visibility_override(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.json", '[{"question": "Q?", "answer": "A."}]')
    assert JsonFaqConnector().load(path, "internal").documents[0].visibility == "internal"


def test_stackfaq_dataset(eval_data: Path) -> None:
    result = JsonFaqConnector().load(eval_data / "stackfaq" / "faqs.jsonl")

    assert result.failures == []
    assert len(result.documents) == 719
    assert len({d.metadata["faq_id"] for d in result.documents}) == 125
    assert len({d.id for d in result.documents}) == 719
    assert all(d.text.startswith(f"Q: {d.title}\nA: ") for d in result.documents)
