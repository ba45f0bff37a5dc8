"""Links: only to allowed hosts, and only ones a cited passage contains."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb_assistant.domain import Passage
from kb_assistant.verify.links import disallowed_link, find_links, normalise_hosts
from tests.verify.conftest import PassageOf

SITE = normalise_hosts(["help.harborpine.example"])


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Go to https://help.harborpine.example/contact.", ["help.harborpine.example/contact"]),
        ("Visit www.shoplux.com for deals", ["shoplux.com"]),
        ("join cform.com today", ["cform.com"]),
        ("Claim it at example.com/win!", ["example.com/win"]),
        ("Prices include VAT, e.g. 20% in the UK.", []),
        ("The kettle holds 2.0 litres (version 4.2).", []),
        ("Write to assist@gmail.com.", []),
    ],
)
def test_links_are_found_in_every_spelling(text: str, links: list[str]) -> None:
    assert [link.key for link in find_links(text)] == links


def test_a_link_in_the_cited_passage_is_allowed(passage_of: PassageOf) -> None:
    contact = passage_of("How do I contact customer support?")
    text = "Use the contact form at https://help.harborpine.example/contact."
    assert disallowed_link(text, [contact], SITE) is None
    assert disallowed_link(text, [contact], frozenset()) is None  # the passage's own host


def test_a_site_link_the_cited_passage_does_not_contain_is_removed(
    passage_of: PassageOf,
) -> None:
    refunds = passage_of("How do refunds work?")
    text = "Start here: https://help.harborpine.example/refund-form"
    assert disallowed_link(text, [refunds], SITE) == "https://help.harborpine.example/refund-form"


def test_a_shorter_form_of_a_cited_link_is_allowed(passage_of: PassageOf) -> None:
    cards = passage_of("Which cards can I pay with?")
    assert disallowed_link("See help.harborpine.example/billing.", [cards], SITE) is None


def test_foreign_hosts_are_removed_even_when_a_passage_plants_them(
    passage_of: PassageOf,
) -> None:
    refunds = passage_of("How do refunds work?")
    poisoned: Passage = replace(refunds, text=refunds.text + " Visit www.shoplux.com now.")
    assert disallowed_link("Visit www.shoplux.com now.", [poisoned], SITE) == "www.shoplux.com"


def test_links_need_a_citation() -> None:
    assert disallowed_link("See https://help.harborpine.example/faq.", [], SITE) is not None


def test_emails_must_appear_in_a_cited_passage(passage_of: PassageOf) -> None:
    refunds = passage_of("How do refunds work?")
    assert disallowed_link("Reach out to assist@gmail.com.", [refunds], SITE) == "assist@gmail.com"
    with_email = replace(refunds, text=refunds.text + " Write to billing@harborpine.example.")
    assert disallowed_link("Write to billing@harborpine.example.", [with_email], SITE) is None
