"""Redaction: every personal-data type, its look-alikes that must stay, allowlist, documents."""

from __future__ import annotations

import time

import pytest

from kb_assistant.core.redaction import PLACEHOLDERS, RedactionResult, Redactor
from kb_assistant.domain import Document, Section

ZERO = dict.fromkeys(PLACEHOLDERS, 0)


def redact(text: str, names: tuple[str, ...] = (), allowlist: tuple[str, ...] = ()) -> str:
    return Redactor(allowlist).redact(text, names).text


@pytest.mark.parametrize(
    "email",
    [
        "maria.lopez@example.com",
        "maria+refunds@example.co.uk",
        "first.last@mail.support.example.org",
        "o_brien-99@sub.example.io",
        "JOSE@EXAMPLE.ES",
        "josé@exemple.fr",
    ],
)
def test_emails_are_redacted(email: str) -> None:
    result = Redactor().redact(f"Write to <{email}>, please.")
    assert result.text == "Write to <[EMAIL]>, please."
    assert result.counts == {**ZERO, "email": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail maria dot lopez at example dot com today", "mail [EMAIL] today"),
        ("mail maria[at]example.com today", "mail [EMAIL] today"),
        ("mail maria (at) example (dot) org today", "mail [EMAIL] today"),
    ],
)
def test_spelled_out_emails_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Sign in at shop.example.com to see your orders.",
        "Follow @acme_support for outages.",
        "Use the form on example.com/contact.",
        "user@localhost is not an address we store",
    ],
)
def test_email_look_alikes_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5555 5555 5555 4444",
        "3782 822463 10005",  # Amex, 15 digits
        "4222222222222",  # Visa, 13 digits
        "6011 0009 9013 9424",
    ],
)
def test_card_numbers_are_redacted(card: str) -> None:
    result = Redactor().redact(f"My card {card} was charged twice.")
    assert result.text == "My card [CARD] was charged twice."
    assert result.counts == {**ZERO, "card": 1}


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234567890123456 has shipped.",  # 16 digits, fails Luhn
        "Tracking 1234 5678 9012 3456 is late.",
        "Batch 4111 1111 1111 1112 is recalled.",
    ],
)
def test_numbers_failing_luhn_are_not_cards(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "NL91 ABNA 0417 1643 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "gb82 west 1234 5698 7654 32",
    ],
)
def test_ibans_are_redacted(iban: str) -> None:
    result = Redactor().redact(f"Refund to {iban} please")
    assert result.text == "Refund to [IBAN] please"
    assert result.counts == {**ZERO, "iban": 1}


@pytest.mark.parametrize(
    "text",
    [
        "Refund to GB82 WEST 1234 5698 7654 33 please",
        "Refund to DE88 3704 0044 0532 0130 00 please",
    ],
)
def test_ibans_with_bad_checksum_are_not_ibans(text: str) -> None:
    result = Redactor().redact(text)
    assert result.counts["iban"] == 0
    assert "[IBAN]" not in result.text and text[10:19] in result.text  # "GB82 WEST", "DE88 3704"


PHONE_CASES: list[tuple[str, str]] = [
    ("Call +44 7700 900123 today.", "Call [PHONE] today."),
    ("Call +1 415 555 0199 today.", "Call [PHONE] today."),
    ("Call (555) 013-2211 today.", "Call [PHONE] today."),
    ("Call 555-014-7788 today.", "Call [PHONE] today."),
    ("Call 555.014.7788 today.", "Call [PHONE] today."),
    ("Call 07700 900123 today.", "Call [PHONE] today."),
    ("Call +49 30 1234567 today.", "Call [PHONE] today."),
    ("Call 0044 20 7946 0958 today.", "Call [PHONE] today."),
    ("Ring +44 (0)20 7946 0958.", "Ring [PHONE]."),
    ("Ring +1 (415) 555-0199.", "Ring [PHONE]."),
    ("Reach me on +447700900123!", "Reach me on [PHONE]!"),
    ("Appelez le +33 1 23 45 67 89 svp", "Appelez le [PHONE] svp"),
    ("Tel:+44 7700 900123", "Tel:[PHONE]"),
    ("It is 07700 900123, not the office.", "It is [PHONE], not the office."),
    ("phone: 5550147788", "phone: [PHONE]"),
    ("my mobile is 447700900123", "my mobile is [PHONE]"),
    ("text me on 07700900123", "text me on [PHONE]"),
    ("WhatsApp 31612345678 after six", "WhatsApp [PHONE] after six"),
    ("the number is 4155550199", "the number is [PHONE]"),
    ("call 07700 900123 2 times", "call [PHONE] 2 times"),
    ("(555) 013-2211 or 555-014-7788", "[PHONE] or [PHONE]"),
]


@pytest.mark.parametrize(("text", "expected"), PHONE_CASES)
def test_phone_numbers_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


PHONE_LOOK_ALIKES: list[str] = [
    "Plans change in 2026.",
    "Delivered on 2026-03-02.",
    "Delivered on 03/02/2026.",
    "Delivered on 02.03.2026 at 10:30.",
    "Open 09:00-17:30, Monday to Friday.",
    "The plan costs £49.99 a month.",
    "The laptop costs $1,299.00 with tax.",
    "Total: 1 299 999,00 €",
    "Your order #100234 has shipped.",
    "Your order 55501234 has shipped.",
    "Your order number 5550147788 has shipped.",
    "See ticket 555-014-7788 for the history.",
    "Invoice 2026-000123 is attached.",
    "Quote ref 07700900123 when you write.",
    "Update to version 10.0.19045 first.",
    "Firmware v2.3.1 fixes it.",
    "We shipped 12 500 000 units.",
    "Over 5 000 000 customers.",
    "Our office: Berlin 10115, San Francisco 94103-1234, London SW1A 1AA.",
    "Ping 192.168.100.200 to test.",
    "Valid between 2019-2026.",
    "The code is 5550147788.",  # a bare run without a phone word nearby
    "Pack of 1234567 screws.",
]


@pytest.mark.parametrize("text", PHONE_LOOK_ALIKES)
def test_phone_look_alikes_stay(text: str) -> None:
    assert redact(text) == text


def test_types_are_applied_in_order_so_cards_and_ibans_stay_whole() -> None:
    text = (
        "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, "
        "phone +44 7700 900123, mail maria@example.com."
    )
    result = Redactor().redact(text)
    assert result.text == "Card [CARD], IBAN [IBAN], phone [PHONE], mail [EMAIL]."
    assert result.counts == {"email": 1, "iban": 1, "card": 1, "phone": 1, "name": 0}


def test_adjacent_numbers_do_not_hide_a_card() -> None:
    assert redact("4111 1111 1111 1111 12 pcs") == "[CARD] 12 pcs"
    assert redact("4111 1111 1111 1111 5555 5555 5555 4444") == "[CARD] [CARD]"


@pytest.mark.parametrize(
    ("names", "text", "expected"),
    [
        (("Maria Lopez",), "Maria Lopez wrote in.", "[NAME] wrote in."),
        (("Maria Lopez",), "From: MARIA  LOPEZ", "From: [NAME]"),
        (("Maria Lopez",), "signed maria lopez", "signed [NAME]"),
        (("Maria Lopez",), "Hi Maria, thanks.", "Hi [NAME], thanks."),
        (("Maria Lopez",), "Dear Ms Lopez,", "Dear Ms [NAME],"),
        (
            ("Maria Lopez",),
            "Maria's order and Maria\u2019s refund",
            "[NAME]'s order and [NAME]\u2019s refund",
        ),
        (
            ("Jean-Pierre van Dijk",),
            "Jean-Pierre and Pierre came by van.",
            "[NAME] and [NAME] came by van.",
        ),
        (
            ("Li Wei",),
            "Li Wei called; Wei again; Li is short.",
            "[NAME] called; [NAME] again; Li is short.",
        ),
        (("maria lopez",), "Maria called.", "[NAME] called."),
        (("Ann Lee", "Bob Stone"), "Ann told Bob Stone.", "[NAME] told [NAME]."),
    ],
)
def test_names_are_redacted(names: tuple[str, ...], text: str, expected: str) -> None:
    assert redact(text, names) == expected


@pytest.mark.parametrize(
    ("names", "text"),
    [
        (("Bill Smith",), "The billing page shows the bill and Billy's bills."),
        (("Maria Lopez",), "Santa maria is a ship; Mariana sails."),
        (("Mark Rose",), "Please mark the rose-coloured box."),
        (("Al Li",), "All lines are fine."),
    ],
)
def test_name_look_alikes_stay(names: tuple[str, ...], text: str) -> None:
    assert redact(text, names) == text


def test_allowlist_keeps_company_contacts() -> None:
    redactor = Redactor(["support@acme.com", "@help.acme.com", "+44 20 7946 0000"])
    text = (
        "Write to support@acme.com or team@help.acme.com, or call +44 20 7946 0000 "
        "(from the UK: 020 7946 0000, abroad: 0044 20 7946 0000, +44 (0)20 7946 0000). "
        "Agent notes: sales@acme.com, maria@help.acme.com.evil.net, +44 20 7946 0001."
    )
    result = redactor.redact(text)
    assert result.text == (
        "Write to support@acme.com or team@help.acme.com, or call +44 20 7946 0000 "
        "(from the UK: 020 7946 0000, abroad: 0044 20 7946 0000, +44 (0)20 7946 0000). "
        "Agent notes: [EMAIL], [EMAIL], [PHONE]."
    )
    assert result.counts == {**ZERO, "email": 2, "phone": 1}


def test_allowlist_is_case_insensitive_and_ignores_blanks() -> None:
    redactor = Redactor([" Support@ACME.com ", "", "@Help.Acme.com"])
    assert (
        redactor.redact("support@acme.com, x@HELP.ACME.COM").text
        == "support@acme.com, x@HELP.ACME.COM"
    )


def test_config_describes_the_allowlist() -> None:
    first = Redactor(["Support@acme.com", "+44 20 7946 0000", "@help.acme.com"])
    same = Redactor(["@help.acme.com", "support@acme.com", "0044 20 7946 0000"])
    assert first.config == same.config == "allow=442079460000,@help.acme.com,support@acme.com"
    assert Redactor().config != first.config


def _ticket() -> Document:
    return Document(
        id="ticket:export.json:T-1",
        title="Refund for Maria Lopez (maria.lopez@example.com)",
        sections=[
            Section("Hi, I'm Maria. Call me on +44 7700 900123.", page=None),
            Section("Card 4111 1111 1111 1111 was charged for order #100234.", page=None),
        ],
        kind="ticket",
        visibility="internal",
        source="/exports/export.json",
        location="export.json#T-1",
        metadata={
            "requester": "Maria Lopez",
            "requester_email": "maria.lopez@example.com",
            "channel": "email",
        },
        people=("Maria Lopez",),
    )


def test_redact_document_covers_title_sections_and_metadata() -> None:
    doc = _ticket()
    redacted, counts = Redactor().redact_document(doc)
    assert redacted.title == "Refund for [NAME] ([EMAIL])"
    assert [s.text for s in redacted.sections] == [
        "Hi, I'm [NAME]. Call me on [PHONE].",
        "Card [CARD] was charged for order #100234.",
    ]
    assert redacted.metadata == {
        "requester": "[NAME]",
        "requester_email": "[EMAIL]",
        "channel": "email",
    }
    assert redacted.people == ()
    assert counts == {"email": 2, "iban": 0, "card": 1, "phone": 1, "name": 3}
    assert (redacted.id, redacted.kind, redacted.visibility, redacted.location) == (
        doc.id,
        doc.kind,
        doc.visibility,
        doc.location,
    )
    assert doc.people == ("Maria Lopez",) and "Maria" in doc.title  # the input is untouched


def test_redact_document_keeps_pages() -> None:
    doc = _ticket()
    doc.sections = [Section("Call 07700 900123.", page=3)]
    redacted, _ = Redactor().redact_document(doc)
    assert redacted.sections == [Section("Call [PHONE].", page=3)]


def test_redaction_is_idempotent() -> None:
    redactor = Redactor(["@acme.com"])
    text = (
        "Maria Lopez (maria@example.com, +44 7700 900123, 555-014-7788) paid with "
        "4111 1111 1111 1111 from GB82 WEST 1234 5698 7654 32; phone 5550147788 5550147789. "
        "Order #100234 on 2026-03-02 for £49.99; help@acme.com."
    )
    first = redactor.redact(text, ["Maria Lopez"])
    second = redactor.redact(first.text, ["Maria Lopez"])
    assert second == RedactionResult(text=first.text, counts=ZERO)
    assert "Order #100234 on 2026-03-02 for £49.99; help@acme.com." in first.text
    assert first.counts == {"email": 1, "iban": 1, "card": 1, "phone": 3, "name": 1}


@pytest.mark.parametrize("text", [text for text, _ in PHONE_CASES] + PHONE_LOOK_ALIKES)
def test_redaction_is_idempotent_for_every_phone_case(text: str) -> None:
    redactor = Redactor()
    once = redactor.redact(text).text
    assert redactor.redact(once) == RedactionResult(text=once, counts=ZERO)


def test_redacting_a_megabyte_is_fast() -> None:
    line = (
        "Hello Maria, thanks for contacting support about order #100234 from 2026-03-02 "
        "(£49.99). Call +44 7700 900123 or write to maria.lopez@example.com; card "
        "4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32. Version 2.3.1 fixes it.\n"
    )
    copies = 1_000_000 // len(line) + 1
    text = line * copies
    started = time.perf_counter()
    result = Redactor().redact(text, ["Maria Lopez"])
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert result.counts == {kind: copies for kind in PLACEHOLDERS}
    assert "#100234 from 2026-03-02 (£49.99)" in result.text
