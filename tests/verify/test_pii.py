"""Personal data in answers: the seeded details are found; the company's own may stay."""

from __future__ import annotations

import json

import pytest

from kb_assistant.verify import find_personal_data
from tests.conftest import REPO_ROOT

SEEDED = json.loads((REPO_ROOT / "demo" / "seeded_pii.json").read_text(encoding="utf-8"))
DETAILS = [d for kind in ("emails", "phones", "cards", "ibans") for d in SEEDED[kind]]


@pytest.mark.parametrize("detail", DETAILS)
def test_seeded_details_are_found(detail: str) -> None:
    assert find_personal_data(f"You can reach the customer on {detail} today.") == [detail]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The address is 14 Tern Lane, Whitby YO21 3PR.", ["14 Tern Lane", "YO21 3PR"]),
        (
            "New address: 2140 Alder Street, Apt 5B, Portland, OR 97205.",
            ["2140 Alder Street", "OR 97205"],
        ),
        ("We will collect it from 12 Elm Street tomorrow.", ["12 Elm Street"]),
        ("Her postcode is M14 5RT.", ["M14 5RT"]),
    ],
)
def test_postal_addresses_are_found(text: str, expected: list[str]) -> None:
    assert find_personal_data(text) == expected


def test_details_written_in_the_allowed_text_are_left_alone() -> None:
    text = "Write to help@harborpine.example or call 0800 123 4567."
    cited = "Contact us at help@harborpine.example or call 0800 123 4567 (free)."
    assert find_personal_data(text) == ["help@harborpine.example", "0800 123 4567"]
    assert find_personal_data(text, cited) == []
    assert find_personal_data(text, "Contact us at help@harborpine.example.") == ["0800 123 4567"]


def test_the_redaction_allowlist_is_honoured() -> None:
    text = "Write to help@harborpine.example or call 0800 123 4567."
    found = find_personal_data(text, allowlist=["@harborpine.example", "0800 123 4567"])
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "Order HP-203117 was dispatched on 2026-01-06 and cost £4.95.",
        "Your return number is RMA-47388.",
        "UK standard delivery takes 3–5 business days.",
        "Pay in 3 splits orders between £60 and £1,500 into three monthly instalments.",
        "The kettle model HP-KT20 holds 2.0 litres.",
        "Use the contact form at https://help.harborpine.example/contact.",
    ],
)
def test_ordinary_figures_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == []


def test_the_public_knowledge_base_holds_no_personal_data(public_sentences: list[str]) -> None:
    assert [s for s in public_sentences if find_personal_data(s)] == []
