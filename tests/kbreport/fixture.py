"""A small knowledge base of a fictional home-goods shop, with its problems planted.

About forty short documents (help-centre FAQ entries, policy sections, product manuals, an
app guide) in which:

- `PLANTED` facts are stated with different values in two places (durations, prices,
  percentages, counts; digits against words, weeks against days, symbols against codes);
- `AGREEING` pairs state one fact in different words with the same value, and many other
  sentences share words without stating the same fact (standard and express delivery,
  kitchenware and mattresses, the kettle and the toaster): none of these may be flagged;
- one FAQ entry is copied word for word into a second file, one manual section exists in two
  slightly different versions, every policy section ends with the same footer, one entry is
  very short and the terms and conditions are very long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kb_assistant.kbreport.contradictions import Contradiction
from kb_assistant.kbreport.units import Unit

FOOTER = (
    "Larkspur Living Ltd, registered in England and Wales, Company No. 09876543.\n"
    "Questions about this policy? Email help@larkspur.example or use the chat on our website."
)


@dataclass(frozen=True)
class Doc:
    id: str
    kind: str
    title: str
    location: str
    sections: tuple[str, ...]


def faq(doc_id: str, question: str, answer: str, file: str = "help-centre.md") -> Doc:
    return Doc(doc_id, "faq", question, f"{file} › {question}", (f"Q: {question}\nA: {answer}",))


def policy(doc_id: str, title: str, *paragraphs: str) -> Doc:
    text = "\n".join(paragraphs) + "\n" + FOOTER
    return Doc(doc_id, "pdf", f"Larkspur policies — {title}", f"policies.pdf › {title}", (text,))


def manual(doc_id: str, title: str, *pages: str) -> Doc:
    return Doc(doc_id, "pdf", title, f"{doc_id}.pdf", pages)


DOCS: tuple[Doc, ...] = (
    # --- help-centre FAQ -------------------------------------------------------------------
    faq(
        "f-return-window",
        "How long do I have to return an item?",
        "You can return most items within 30 days of delivery for a full refund. Start the "
        "return from Account > Orders and print the label.",
    ),
    faq(
        "f-kitchenware",
        "Can I return kitchenware?",
        "Yes. Kitchenware can be returned within 30 days of delivery if it is unused and in "
        "its original box.",
    ),
    faq(
        "f-delivery-cost",
        "How much does delivery cost?",
        "Standard delivery costs £3.95 and express delivery costs £6.95. The exact cost is "
        "shown at checkout.",
    ),
    faq(
        "f-free-delivery",
        "Is delivery ever free?",
        "UK standard delivery is free on orders over £50. Plus members never pay for delivery.",
    ),
    faq(
        "f-refund-time",
        "How long do refunds take?",
        "Refunds are issued within 5 working days of your return reaching our warehouse. "
        "Your bank may take a little longer to show the money.",
    ),
    faq(
        "f-student",
        "Do you offer a student discount?",
        "Students get a 10% discount on full-price items with a valid student card.",
    ),
    faq(
        "f-warranty",
        "How long is the warranty on appliances?",
        "All our small appliances come with a 2-year warranty from the date of purchase. "
        "Keep your order confirmation as proof of purchase.",
    ),
    faq(
        "f-cancel",
        "Can I cancel my order?",
        "You can cancel an order within 1 hour of placing it from Account > Orders. After "
        "that, you can return it once it arrives.",
    ),
    faq(
        "f-collect",
        "How does Click & Collect work?",
        "Click & Collect orders can hold up to 3 items. We text you when your order is ready "
        "at the store.",
    ),
    faq(
        "f-purifier-filter",
        "How often should I change the purifier filter?",
        "We recommend replacing the HEPA filter every 12 months. Filters are sold in our shop.",
    ),
    faq(
        "f-price-match",
        "Do you match prices?",
        "If you find the same item cheaper elsewhere within 7 days of purchase, we will refund "
        "the difference.",
    ),
    faq(
        "f-gift-cards",
        "How long can I use a gift card?",
        "Gift cards are valid for 12 months from the date of purchase. Gift cards start at £10.",
    ),
    faq(
        "f-rewards",
        "How do Larkspur Rewards work?",
        "Larkspur Rewards members earn 5% back in points on every order.",
    ),
    faq(
        "f-damaged",
        "My item arrived damaged. What should I do?",
        "Please tell us about damaged items within 48 hours of delivery, with a photo of the "
        "damage and the packaging.",
    ),
    faq(
        "f-opened",
        "Can I return an opened item?",
        "Yes. Opened items that are not faulty are subject to a 20% restocking fee.",
    ),
    faq(
        "f-international",
        "Do you deliver to the EU?",
        "Yes. Delivery to the EU takes 7–10 working days, and duties are included in the price.",
    ),
    faq(
        "f-plus",
        "What is Larkspur Plus?",
        "Larkspur Plus membership costs £49 a year. Plus members get 5 free returns a month "
        "and free delivery on every order.",
    ),
    faq(
        "f-assembly",
        "Can you assemble my furniture?",
        "Yes. Our assembly service costs £29 per item, booked at checkout.",
    ),
    faq(
        "f-password",
        "I forgot my password.",
        "Select Forgot password on the sign-in page. The password reset link is valid for 24 "
        "hours.",
    ),
    faq(
        "f-contact",
        "How do I contact customer service?",
        "Use the chat on our website or email help@larkspur.example. We reply to emails "
        "within one working day.",
    ),
    faq(
        "f-mattress-trial",
        "Can I try a mattress at home?",
        "Yes. Sleep on your new mattress for 100 nights before deciding whether to keep it.",
    ),
    faq(
        "f-app-devices",
        "How many devices can use the app?",
        "You can sign in to the Larkspur app on up to 6 devices at the same time.",
    ),
    faq(
        "f-made-to-order",
        "How do I pay for made-to-order furniture?",
        "Made-to-order furniture needs a 50% deposit when you order; the rest is taken on "
        "dispatch.",
    ),
    faq(
        "f-exchange",
        "Can I exchange an item?",
        "Exchanges must be requested within 14 days of delivery.",
    ),
    faq(
        "f-black-friday",
        "Do you have sales?",
        "During Black Friday week, everything in the home office range is 20% off.",
    ),
    faq(
        "f-gift-wrap",
        "Do you offer gift wrapping?",
        "Gift wrapping costs £2.50 per item and includes a handwritten card.",
    ),
    faq("f-vouchers", "Do you sell gift vouchers?", "Yes."),
    faq(
        "f-furniture-warranty",
        "How long is the warranty on furniture?",
        "Five years, from the day of delivery.",
    ),
    # The contact entry again, word for word, in the billing FAQ file.
    faq(
        "f-contact-billing",
        "How do I contact customer service?",
        "Use the chat on our website or email help@larkspur.example. We reply to emails "
        "within one working day.",
        file="billing.csv",
    ),
    # --- policy sections -------------------------------------------------------------------
    policy(
        "p-returns-windows",
        "2. Return windows",
        "You can return most items within 28 days of delivery for a full refund.",
        "Mattresses and bedding can be returned within 14 days of delivery, sealed in their "
        "original covers.",
        "You can ask for an exchange within a fortnight of delivery.",
    ),
    policy(
        "p-delivery-charges",
        "3. Delivery charges",
        "Standard delivery is £4.95 for orders under the free delivery threshold.",
        "Express delivery is £7.95 and arrives the next working day.",
        "Orders over £40 qualify for free standard delivery in the UK.",
    ),
    policy(
        "p-delivery-times",
        "4. Delivery times",
        "UK delivery takes 3–5 working days from dispatch.",
        "EU delivery takes 5–7 working days from dispatch.",
    ),
    policy(
        "p-refunds",
        "6. Refunds",
        "Refunds take up to 10 working days from the day your return reaches our warehouse.",
        "PayPal refunds arrive within 1 working day of being issued.",
    ),
    policy(
        "p-discounts",
        "7. Discounts",
        "Students receive 15 per cent off full-price items when they show a valid student card.",
        "Discounts cannot be combined with other offers.",
    ),
    policy(
        "p-orders",
        "1. Placing and cancelling orders",
        "Orders can be cancelled within 30 minutes of being placed.",
        "Made-to-order furniture requires a 30% deposit when you order.",
    ),
    policy(
        "p-price-promise",
        "8. Price promise",
        "If you find the same item cheaper elsewhere within a fortnight of purchase, we will "
        "refund the difference.",
    ),
    policy(
        "p-gift-cards",
        "9. Gift cards",
        "Gift cards are valid for 2 years from the date of purchase and cannot be exchanged "
        "for cash.",
    ),
    policy(
        "p-damaged",
        "5. Damaged and faulty items",
        "Damaged items must be reported within 3 days of delivery.",
        "A restocking fee of 15% applies to opened items that are not faulty.",
    ),
    policy(
        "p-warranty",
        "12. Warranty",
        "Furniture is covered by a 10-year warranty from the day of delivery.",
        "The warranty does not cover wear and tear.",
    ),
    policy(
        "p-membership",
        "10. Larkspur Plus",
        "Larkspur Plus membership costs £59 a year and renews automatically.",
        "Plus members get 3 free returns a month.",
    ),
    policy(
        "p-services",
        "11. Services",
        "The assembly service is 39 GBP per item.",
        "We aim to reply to all emails within 3 working days.",
        "Sleep on your new mattress for 60 nights before deciding whether to keep it.",
    ),
    # --- manuals and guides ----------------------------------------------------------------
    manual(
        "m-kettle",
        "Larkspur Electric Kettle — User Manual",
        "Cleaning and descaling\nDescale the kettle every 4 weeks in hard-water areas. Let the "
        "kettle cool for 10 minutes before refilling it. Wipe the outside with a damp cloth.",
        "Warranty\nThis appliance comes with a three-year warranty from the date of purchase.",
    ),
    manual(
        "m-kettle-v2",
        "Larkspur Electric Kettle — User Manual (2024 edition)",
        "Cleaning and descaling\nDescale the kettle every 4 weeks in hard-water areas. Let the "
        "kettle cool for 10 minutes before refilling it. Wipe the outside with a damp cloth. "
        "Never put the kettle in the dishwasher.",
    ),
    manual(
        "m-toaster",
        "Larkspur Toaster — User Manual",
        "Let the toaster cool for 5 minutes before cleaning it. Empty the crumb tray weekly.",
        "The toaster has a 24-month warranty from the date of purchase.",
    ),
    manual(
        "m-purifier",
        "Larkspur Air Purifier — User Manual",
        "Filter care\nReplace the HEPA filter every 6 months. Vacuum the pre-filter every 2 weeks.",
    ),
    manual(
        "m-speaker",
        "Larkspur Bluetooth Speaker — Quick Start",
        "Charge the speaker for 3 hours before first use. The battery lasts up to 8 hours "
        "at medium volume. Up to 2 phones can be paired at once.",
    ),
    manual(
        "m-app-guide",
        "Larkspur App Guide",
        "Rewards\nLarkspur Rewards members earn 3% back in points on every order placed in the "
        "app.",
        "Your account\nYou can sign in to the Larkspur app on up to 4 devices at the same time. "
        "Password reset links expire after 48 hours. Click & Collect orders can hold up to "
        "five items.",
    ),
    Doc(
        "t-4411",
        "ticket",
        "Ticket 4411: Late delivery",
        "ticket #4411",
        (
            "Customer: My order took 3 weeks to arrive and nobody replied to my emails for 4 "
            "days.\nResolution: Apologised and refunded the £3.95 delivery charge.",
        ),
    ),
    Doc(
        "p-terms",
        "pdf",
        "Larkspur Living — Terms and Conditions",
        "terms.pdf",
        (
            " ".join(
                f"Clause {n}. These terms explain how we handle {topic} and what you can "
                f"expect from us when something about {topic} does not go as planned."
                for n, topic in enumerate(
                    [
                        "orders",
                        "payments",
                        "pricing errors",
                        "stock availability",
                        "personal data",
                        "product descriptions",
                        "colour differences",
                        "delivery slots",
                        "missed deliveries",
                        "collections",
                        "faulty goods",
                        "repairs",
                        "replacements",
                        "marketplace sellers",
                        "reviews",
                        "accounts",
                        "promotions",
                        "gift cards",
                        "complaints",
                        "disputes",
                    ]
                    * 2,
                    start=1,
                )
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Planted:
    """A fact stated twice with different values: (document, value as written) each."""

    name: str
    kind: str
    first: tuple[str, str]
    second: tuple[str, str]

    def matches(self, finding: Contradiction) -> bool:
        stated = {
            (COPY_OF.get(m.doc_id, m.doc_id), m.quantity.text)
            for m in (finding.first, finding.second)
        }
        return stated == {self.first, self.second}


PLANTED: tuple[Planted, ...] = (
    Planted(
        "return window",
        "duration",
        ("f-return-window", "30 days"),
        ("p-returns-windows", "28 days"),
    ),
    Planted(
        "standard delivery fee",
        "money",
        ("f-delivery-cost", "£3.95"),
        ("p-delivery-charges", "£4.95"),
    ),
    Planted(
        "express delivery fee",
        "money",
        ("f-delivery-cost", "£6.95"),
        ("p-delivery-charges", "£7.95"),
    ),
    Planted(
        "refund time",
        "duration",
        ("f-refund-time", "5 working days"),
        ("p-refunds", "10 working days"),
    ),
    Planted(
        "free delivery threshold",
        "money",
        ("f-free-delivery", "£50"),
        ("p-delivery-charges", "£40"),
    ),
    Planted("student discount", "percent", ("f-student", "10%"), ("p-discounts", "15 per cent")),
    Planted("appliance warranty", "duration", ("f-warranty", "2-year"), ("m-kettle", "three-year")),
    Planted("cancellation window", "duration", ("f-cancel", "1 hour"), ("p-orders", "30 minutes")),
    Planted(
        "click and collect items", "count", ("f-collect", "3 items"), ("m-app-guide", "five items")
    ),
    Planted(
        "filter replacement",
        "duration",
        ("f-purifier-filter", "12 months"),
        ("m-purifier", "6 months"),
    ),
    Planted(
        "price match window",
        "duration",
        ("f-price-match", "7 days"),
        ("p-price-promise", "a fortnight"),
    ),
    Planted(
        "gift card validity", "duration", ("f-gift-cards", "12 months"), ("p-gift-cards", "2 years")
    ),
    Planted("rewards rate", "percent", ("f-rewards", "5%"), ("m-app-guide", "3%")),
    Planted("damage report window", "duration", ("f-damaged", "48 hours"), ("p-damaged", "3 days")),
    Planted("restocking fee", "percent", ("f-opened", "20%"), ("p-damaged", "15%")),
    Planted(
        "EU delivery time",
        "duration",
        ("f-international", "7–10 working days"),
        ("p-delivery-times", "5–7 working days"),
    ),
    Planted(
        "free returns", "count", ("f-plus", "5 free returns"), ("p-membership", "3 free returns")
    ),
    Planted("membership fee", "money", ("f-plus", "£49"), ("p-membership", "£59")),
    Planted("assembly price", "money", ("f-assembly", "£29"), ("p-services", "39 GBP")),
    Planted(
        "reset link lifetime", "duration", ("f-password", "24 hours"), ("m-app-guide", "48 hours")
    ),
    Planted(
        "email reply time",
        "duration",
        ("f-contact", "one working day"),
        ("p-services", "3 working days"),
    ),
    Planted(
        "mattress trial",
        "duration",
        ("f-mattress-trial", "100 nights"),
        ("p-services", "60 nights"),
    ),
    Planted("app devices", "count", ("f-app-devices", "6 devices"), ("m-app-guide", "4 devices")),
    Planted("made-to-order deposit", "percent", ("f-made-to-order", "50%"), ("p-orders", "30%")),
    Planted(
        "furniture warranty",
        "duration",
        ("f-furniture-warranty", "Five years"),
        ("p-warranty", "10-year"),
    ),
)
# The contact entry exists twice, word for word: either copy states its planted value.
COPY_OF = {"f-contact-billing": "f-contact"}

# One fact, one value, different words: never a contradiction.
AGREEING: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("f-warranty", "2-year"), ("m-toaster", "24-month")),
    (("f-exchange", "14 days"), ("p-returns-windows", "a fortnight")),
    (("f-kitchenware", "30 days"), ("f-return-window", "30 days")),
)
# Different facts that share words: never a contradiction.
DIFFERENT_FACTS: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("f-delivery-cost", "£3.95"), ("p-delivery-charges", "£7.95")),
    (("f-delivery-cost", "£6.95"), ("p-delivery-charges", "£4.95")),
    (("f-kitchenware", "30 days"), ("p-returns-windows", "14 days")),
    (("f-return-window", "30 days"), ("f-warranty", "2-year")),
    (("f-international", "7–10 working days"), ("p-delivery-times", "3–5 working days")),
    (("m-kettle", "10 minutes"), ("m-toaster", "5 minutes")),
    (("m-kettle", "three-year"), ("m-toaster", "24-month")),
    (("f-student", "10%"), ("f-black-friday", "20%")),
    (("f-gift-wrap", "£2.50"), ("f-gift-cards", "£10")),
    (("f-refund-time", "5 working days"), ("p-refunds", "1 working day")),
    (("m-speaker", "3 hours"), ("m-speaker", "8 hours")),
    (("f-exchange", "14 days"), ("f-return-window", "30 days")),
    (("p-returns-windows", "a fortnight"), ("f-return-window", "30 days")),
    (("f-warranty", "2-year"), ("p-warranty", "10-year")),
    (("t-4411", "£3.95"), ("p-delivery-charges", "£4.95")),
    (("t-4411", "3 weeks"), ("f-return-window", "30 days")),
)

EXACT_DUPLICATES = (frozenset({"f-contact", "f-contact-billing"}),)
NEAR_DUPLICATES = (frozenset({"m-kettle", "m-kettle-v2"}),)
BOILERPLATE = FOOTER.splitlines()
SHORT_DOCS = ("f-vouchers",)
LONG_DOCS = ("p-terms",)


def units(docs: Iterable[Doc] = DOCS) -> list[Unit]:
    """One unit per section, ids `<doc>#<n>`."""
    return [
        Unit(f"{doc.id}#{n}", doc.id, doc.title, doc.kind, doc.location, text)
        for doc in docs
        for n, text in enumerate(doc.sections)
    ]


def score(findings: Iterable[Contradiction]) -> tuple[list[Planted], list[Contradiction]]:
    """The planted contradictions found, and the findings that are not planted."""
    found: list[Planted] = []
    false_alarms: list[Contradiction] = []
    for finding in findings:
        match = next((p for p in PLANTED if p.matches(finding)), None)
        if match is None:
            false_alarms.append(finding)
        elif match not in found:
            found.append(match)
    return [p for p in PLANTED if p in found], false_alarms
