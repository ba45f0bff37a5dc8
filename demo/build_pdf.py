"""Build the PDF manuals of the Harbor & Pine demo knowledge base.

Harbor & Pine is a fictional online shop for home goods. This script writes two PDFs
into ``demo/kb/manuals/``:

* ``returns-and-warranty-policy.pdf``: the Returns, Refunds and Warranty Policy
  (about five pages, with a running header, page numbers and a table of return windows);
* ``kettle-quick-start.pdf``: a two-page quick-start manual for the Stovetop Whistle Kettle.

The documents are built with reportlab in invariant mode, so running the script again
produces byte-identical files. Run it from the repository root::

    .venv/bin/python demo/build_pdf.py
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

MANUALS_DIR = Path(__file__).resolve().parent / "kb" / "manuals"
COMPANY = "Harbor & Pine"
HELP_SITE = "https://help.harborpine.example"
CONTACT_URL = f"{HELP_SITE}/contact"
POLICY_TITLE = "Harbor & Pine — Returns, Refunds and Warranty Policy"
KETTLE_TITLE = "Harbor & Pine Stovetop Whistle Kettle — Quick-Start Guide"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm

_BASE = getSampleStyleSheet()
STYLES: dict[str, ParagraphStyle] = {
    "title": ParagraphStyle(
        "DocTitle",
        parent=_BASE["Title"],
        fontName="Helvetica-Bold",
        fontSize=20,
        leading=25,
        spaceAfter=4 * mm,
    ),
    "subtitle": ParagraphStyle(
        "DocSubtitle",
        parent=_BASE["Normal"],
        fontName="Helvetica",
        fontSize=10,
        leading=13,
        alignment=TA_CENTER,
        textColor=colors.HexColor("#555555"),
        spaceAfter=6 * mm,
    ),
    "h1": ParagraphStyle(
        "Heading1",
        parent=_BASE["Heading1"],
        fontName="Helvetica-Bold",
        fontSize=14,
        leading=18,
        spaceBefore=5 * mm,
        spaceAfter=2 * mm,
        textColor=colors.HexColor("#1f4e3d"),
    ),
    "h2": ParagraphStyle(
        "Heading2",
        parent=_BASE["Heading2"],
        fontName="Helvetica-Bold",
        fontSize=11.5,
        leading=15,
        spaceBefore=3 * mm,
        spaceAfter=1.5 * mm,
    ),
    "body": ParagraphStyle(
        "Body",
        parent=_BASE["BodyText"],
        fontName="Helvetica",
        fontSize=10,
        leading=14,
        spaceAfter=2.5 * mm,
    ),
    "cell": ParagraphStyle(
        "Cell",
        parent=_BASE["BodyText"],
        fontName="Helvetica",
        fontSize=9,
        leading=11.5,
    ),
    "cell_head": ParagraphStyle(
        "CellHead",
        parent=_BASE["BodyText"],
        fontName="Helvetica-Bold",
        fontSize=9,
        leading=11.5,
        textColor=colors.white,
    ),
}


# ---------------------------------------------------------------------------
# Small building blocks
# ---------------------------------------------------------------------------


def h1(text: str) -> Paragraph:
    """A numbered section heading."""
    return Paragraph(text, STYLES["h1"])


def h2(text: str) -> Paragraph:
    """A sub-section heading."""
    return Paragraph(text, STYLES["h2"])


def para(text: str) -> Paragraph:
    """A body paragraph (reportlab mini-markup allowed, e.g. ``<b>``)."""
    return Paragraph(text, STYLES["body"])


def _list(items: Sequence[str], numbered: bool) -> ListFlowable:
    flowables = [ListItem(Paragraph(item, STYLES["body"]), leftIndent=14) for item in items]
    if numbered:
        return ListFlowable(flowables, bulletType="1", bulletFormat="%s.", leftIndent=14)
    return ListFlowable(flowables, bulletType="bullet", start="•", leftIndent=14)


def steps(items: Sequence[str]) -> ListFlowable:
    """A numbered procedure."""
    return _list(items, numbered=True)


def bullets(items: Sequence[str]) -> ListFlowable:
    """A bulleted list."""
    return _list(items, numbered=False)


def table(rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    """A simple table whose first row is the header."""
    data = [
        [Paragraph(cell, STYLES["cell_head" if i == 0 else "cell"]) for cell in row]
        for i, row in enumerate(rows)
    ]
    result = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    result.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e3d")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f0")]),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9bb5aa")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return result


def page_decorator(running_header: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    """Draw the running header and the page number on every page."""

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, PAGE_HEIGHT - 12 * mm, running_header)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 12 * mm, HELP_SITE)
        canvas.setStrokeColor(colors.HexColor("#9bb5aa"))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, PAGE_HEIGHT - 14 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 14 * mm)
        canvas.line(MARGIN, 14 * mm, PAGE_WIDTH - MARGIN, 14 * mm)
        canvas.drawString(MARGIN, 9 * mm, f"{COMPANY} customer documentation")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return decorate


def build(
    path: Path,
    title: str,
    subject: str,
    running_header: str,
    story: list[Flowable],
) -> None:
    """Render ``story`` to ``path`` with metadata, header and footer, deterministically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 2 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=COMPANY,
        subject=subject,
        creator=f"{COMPANY} documentation team",
        invariant=1,
    )
    decorate = page_decorator(running_header)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)


# ---------------------------------------------------------------------------
# Returns, Refunds and Warranty Policy
# ---------------------------------------------------------------------------


def policy_story() -> list[Flowable]:
    """The content of the Returns, Refunds and Warranty Policy."""
    usable = PAGE_WIDTH - 2 * MARGIN
    return [
        Paragraph("Returns, Refunds and Warranty Policy", STYLES["title"]),
        Paragraph(
            f"{COMPANY} &middot; Version 4.2 &middot; Effective from 1 January 2026 &middot; "
            f"{HELP_SITE}",
            STYLES["subtitle"],
        ),
        h1("1. About this policy"),
        para(
            f"This policy explains how you can return items bought from {COMPANY}, how "
            "exchanges and refunds work, and what our product warranty covers. It applies to "
            "every order placed on our online shop by customers in the United Kingdom, the "
            "European Union and the United States. Where this policy mentions business days, "
            "it means Monday to Friday, excluding public holidays in the United Kingdom."
        ),
        para(
            "Nothing in this policy affects your legal rights as a consumer. If the law where "
            "you live gives you more protection than we describe here, you keep that "
            "protection. The policy is written to be read alongside the answers on our help "
            "site, which cover everyday questions in a shorter form."
        ),
        para(
            "Harbor &amp; Pine Plus is our paid membership. Plus members have a longer return "
            "window and some extra benefits, which are pointed out in each section. The "
            "membership costs £39 a year; its full terms are on the help site."
        ),
        h1("2. Return windows"),
        para(
            "You can return most items for any reason within 30 days of delivery. Plus "
            "members can return them within 60 days of delivery. The window starts on the day "
            "the carrier records the delivery; for orders sent in several parcels, it starts "
            "separately for each parcel. To be on time, you need to start the return in your "
            "account and hand the parcel to the carrier before the window closes. The table "
            "below shows the windows for each product category."
        ),
        table(
            [
                ["Product category", "Standard", "Plus members", "Notes"],
                [
                    "Kitchenware and tableware",
                    "30 days",
                    "60 days",
                    "Unused. Cast-iron pans must not have been heated.",
                ],
                [
                    "Bedding and textiles",
                    "30 days",
                    "60 days",
                    "Pillows, duvets and mattress toppers only in their sealed packaging.",
                ],
                [
                    "Lamps and lighting",
                    "30 days",
                    "60 days",
                    "Include any bulbs, plug adaptors and fittings supplied.",
                ],
                [
                    "Small furniture",
                    "30 days",
                    "60 days",
                    "10% restocking fee if returned assembled or without original packaging.",
                ],
                [
                    "Made-to-order furniture",
                    "Not returnable",
                    "Not returnable",
                    "Unless faulty, damaged or incorrect.",
                ],
                [
                    "Personalised or engraved items",
                    "Not returnable",
                    "Not returnable",
                    "Unless faulty, damaged or incorrect.",
                ],
                ["Gift cards", "Not returnable", "Not returnable", "Valid for 24 months."],
            ],
            [usable * 0.28, usable * 0.15, usable * 0.15, usable * 0.42],
        ),
        Spacer(1, 4 * mm),
        para(
            "Faulty, damaged or incorrect items are not limited by these windows. Section 7 "
            "explains how to report them, and section 8 explains the warranty that applies "
            "after the return window has ended."
        ),
        h1("3. Condition of returned items"),
        para(
            "Returned items should be unused, complete and in the condition you received "
            "them, so that we can sell them again. Please keep the original packaging until "
            "you are sure you want to keep an item, because it protects the item on the way "
            "back to us. You may unpack and inspect an item as you would in a shop: unfolding "
            "a duvet cover, switching a lamp on once or placing a side table in your room is "
            "fine."
        ),
        para(
            "If a returned item shows signs of use beyond this, or parts are missing, we may "
            "reduce the refund to reflect the loss in value. We will always tell you before we "
            "do this and explain why, and you can choose to have the item sent back to you "
            "instead."
        ),
        h1("4. How to return an item"),
        h2("4.1 Starting a return"),
        steps(
            [
                "Sign in to your account and go to <b>Account &gt; Orders</b>.",
                "Open the order and select <b>Return items</b>.",
                "Choose the items you want to return and a reason for each one.",
                "Choose a refund to your original payment method or store credit.",
                "Choose how to send the items: a printable label, a QR code for a drop-off "
                "point, or a collection for large furniture.",
                "Pack the items securely, attach the label and hand the parcel to the carrier.",
            ]
        ),
        para(
            "When you confirm a return, we create an RMA (return merchandise authorisation) "
            "number that links your parcel to your order. It is printed on the label and "
            "included in your confirmation email. If you checked out as a guest, use the "
            "returns form on our help site with your order number and email address."
        ),
        h2("4.2 Return costs"),
        bullets(
            [
                "Returns of faulty, damaged or incorrect items are always free.",
                "UK return labels cost £3.95, which is deducted from your refund. "
                "Plus members get free return labels.",
                "Collections of large furniture cost £25. They are free for Plus members.",
                "Exchanges for a different colour or size include a free return label.",
                "From the EU and the US, you send the item back with a carrier of your choice "
                "and pay the cost of doing so, unless the item is faulty, damaged or incorrect.",
            ]
        ),
        h2("4.3 Restocking fee"),
        para(
            "We only charge a restocking fee in one situation: when large furniture is "
            "returned already assembled or without its original packaging. The fee is 10% of "
            "the item price and covers the extra work of dismantling, repacking and checking "
            "the item. It is never charged for faulty, damaged or incorrect items."
        ),
        h1("5. Exchanges and refunds"),
        h2("5.1 Exchanges"),
        steps(
            [
                "Start a return as described in section 4.1 and choose <b>Exchange</b> as "
                "the reason.",
                "Select the colour or size you want instead.",
                "Send the original item back with the free return label.",
            ]
        ),
        para(
            "We dispatch the replacement as soon as the carrier scans your return parcel. "
            "Plus members receive the replacement straight away, before we receive the "
            "original item. If the new item costs more or less than the original, the "
            "difference is settled through your original payment method. If the item you want "
            "is out of stock, we treat the exchange as a normal return."
        ),
        h2("5.2 How refunds are handled"),
        para(
            "When your return arrives at our warehouse, we check it, normally within 3 "
            "business days. Once the check is complete, the refund is issued to the original "
            "payment method used for the order. Orders paid by gift card are refunded as a "
            "new gift card, and orders paid with Pay in 3 are refunded to our instalments "
            "partner, which reduces your remaining instalments. We cannot refund to a "
            "different card or to a bank account, because this protects you and us against "
            "fraud."
        ),
        para(
            "Refunds are usually processed within 5–10 business days after we receive the "
            "item. The time it then takes for the money to appear on your statement depends on "
            "your bank or payment provider. You can follow each step under "
            "<b>Account &gt; Orders</b>, where a return moves from <i>Received</i> to "
            "<i>Checked</i> and finally to <i>Refund issued</i>."
        ),
        para(
            "Original delivery charges are refunded when the item was faulty, damaged or "
            "incorrect, or when you return a whole order within 14 days of delivery. In other "
            "cases, only the price of the returned items is refunded, minus the return label "
            "cost where it applies."
        ),
        para(
            "All refunds are handled by our billing team. Our help pages and chat assistant "
            "can explain this policy, but they cannot approve, change, speed up or confirm an "
            "individual refund. If you have a question about a specific refund, contact us and "
            "a member of the billing team will reply."
        ),
        h2("5.3 Store credit"),
        para(
            "Instead of a refund, you can choose store credit when you start a return. Store "
            "credit is added to your account as soon as the return has been checked, so it is "
            "usually available sooner than a refund. It is valid for 24 months, is used "
            "automatically at checkout unless you turn it off, and cannot be paid out as cash."
        ),
        h2("5.4 Returning a gift"),
        para(
            "If you received an item as a gift, you can return it within the same window, "
            "counted from the day it was delivered. Use the returns form on our help site with "
            "the order number shown on the gift note. Refunds for gifts returned by the "
            "recipient are issued as a Harbor &amp; Pine gift card in the recipient's name, so "
            "the person who bought the gift is not told about the return. If the buyer starts "
            "the return from their own account instead, the refund goes to the original "
            "payment method, as for any other order."
        ),
        h1("6. Cancelling orders and memberships"),
        h2("6.1 Cancelling an order before dispatch"),
        para(
            "For 60 minutes after you place an order, its status is <i>Received</i> and you "
            "can cancel it yourself under <b>Account &gt; Orders</b>. After that, contact us "
            "as soon as possible and we will try to stop the order before it leaves our "
            "warehouse. When an order is cancelled before dispatch, no payment has been taken: "
            "we release the pre-authorisation hold on your card straight away, and your bank "
            "usually removes it from your available balance within 3–7 business days."
        ),
        para(
            "Once an order has been dispatched, it can no longer be cancelled, but you can "
            "return it under this policy when it arrives. This also covers your legal right to "
            "cancel a distance purchase within 14 days of delivery, because our standard return "
            "window is longer than that."
        ),
        h2("6.2 Cancelling Harbor &amp; Pine Plus"),
        para(
            "You can cancel your Plus membership at any time under <b>Account &gt; "
            "Membership</b>. Cancelling turns off auto-renewal, and your benefits stay active "
            "until the end of the year you have already paid for. If you cancel within 14 days "
            "of joining or renewing and have not used any Plus benefits in that time, you may "
            "be eligible for a refund of the membership fee. These requests are reviewed "
            "individually by our billing team."
        ),
        para(
            "Items you bought while you were a Plus member keep the 60-day return window and "
            "free return labels, even if your membership ends before you send them back."
        ),
        h1("7. Damaged, faulty or incorrect items"),
        para(
            "We pack every order carefully, but sometimes things go wrong on the way. If an "
            "item arrives damaged, is faulty or is not what you ordered, please tell us within "
            "7 days of delivery for damage in transit, and as soon as you notice for faults."
        ),
        steps(
            [
                "Keep the item and all the packaging, even if the box is badly damaged.",
                "Take clear photos of the item, the damage or fault, the outer box and the "
                "shipping label.",
                f"Contact us through the chat on the help site or the contact form at "
                f"{CONTACT_URL}, with your order number and the photos.",
                "Wait for our reply before sending anything back: we will send you a free "
                "label or arrange a free collection.",
            ]
        ),
        para(
            "We will offer a replacement or a repair, or, where neither is possible or you "
            "prefer it, pass your case to our billing team so that a refund can be arranged. "
            "For incorrect items, we usually send the right item by express delivery at no "
            "cost to you."
        ),
        h1("8. Product warranty"),
        h2("8.1 What is covered"),
        para(
            f"In addition to your legal rights, {COMPANY} products carry a warranty against "
            "defects in materials and workmanship that appear with normal household use. The "
            "warranty starts on the day of delivery and lasts:"
        ),
        bullets(
            [
                "<b>2 years</b> for furniture, including benches, tables, shelving and stools;",
                "<b>1 year</b> for electrical items, such as lamps and lighting;",
                "<b>1 year</b> for kitchenware, bedding, textiles and other home goods.",
            ]
        ),
        h2("8.2 What is not covered"),
        bullets(
            [
                "Normal wear and tear, such as fading of fabrics in sunlight or light marks on "
                "wooden surfaces.",
                "Damage caused by accidents, misuse, or not following the care instructions, "
                "for example a cast-iron pan left to soak or put in the dishwasher.",
                "Bulbs and other consumable parts.",
                "Items used for commercial purposes, such as in a café or a rental property.",
                "Items that have been modified or repaired by someone other than us.",
            ]
        ),
        h2("8.3 How to make a warranty claim"),
        steps(
            [
                "Find your order number in your confirmation email or under "
                "<b>Account &gt; Orders</b>.",
                "Take photos or a short video that show the fault clearly.",
                f"Contact us through the chat on the help site or the contact form at "
                f"{CONTACT_URL} and describe what happened.",
                "Keep the item until we have confirmed the outcome of your claim.",
            ]
        ),
        para(
            "We review claims within 3 business days. Depending on the fault, we send a "
            "replacement part, repair the item, replace it, or pass your case to our billing "
            "team if a refund is the right outcome. A replacement item is covered for the "
            "rest of the original warranty period."
        ),
        h1("9. Product names and languages"),
        para(
            "Several of our products have names that use accented letters, such as the Rue "
            "café table, the bedding in our crème linen collection and the Ångström lamp. You "
            "can write these names with or without accents when you search our shop, contact "
            "support or fill in a return form; for example, “cafe table” and “Angstrom lamp” "
            "will find the same products. Product labels and invoices always show the name "
            "exactly as it appears on the product page."
        ),
        h1("10. Contact and changes to this policy"),
        para(
            f"If you have a question about this policy, use the chat on the help site or the "
            f"contact form at {CONTACT_URL}. Our support team is available Monday to Saturday, "
            "8:00 to 20:00 UK time. Please never send card numbers, bank details or passwords "
            "in a message."
        ),
        para(
            "We may update this policy from time to time, for example when we add new "
            "delivery countries. The version that applies to your order is the one in force "
            "on the day you placed it. The current version is always available on our help "
            "site."
        ),
    ]


# ---------------------------------------------------------------------------
# Stovetop Whistle Kettle quick-start guide
# ---------------------------------------------------------------------------


def kettle_story() -> list[Flowable]:
    """The content of the two-page kettle quick-start guide."""
    usable = PAGE_WIDTH - 2 * MARGIN
    return [
        Paragraph("Stovetop Whistle Kettle", STYLES["title"]),
        Paragraph(
            f"Quick-start guide &middot; Model HP-KT20 &middot; {COMPANY}",
            STYLES["subtitle"],
        ),
        para(
            "Thank you for choosing the Harbor &amp; Pine Stovetop Whistle Kettle. It holds "
            "2.0 litres, with a maximum fill of 1.7 litres, and is made of brushed stainless "
            "steel with a heat-resistant handle. It works on gas, electric, ceramic and "
            "induction hobs. Please read this guide before you use it for the first time and "
            "keep it for later."
        ),
        h1("Safety"),
        bullets(
            [
                "Never heat the kettle when it is empty, and never let it boil dry.",
                "Do not fill above the MAX mark inside the kettle (1.7 litres). Boiling water "
                "can spit out of the spout.",
                "The body, lid and spout get very hot. Only hold the kettle by its handle and "
                "use the trigger to open the spout cap.",
                "On a gas hob, keep the flame under the base. Flames around the sides can "
                "damage the handle.",
                "Place the kettle on a burner that is the same size as the base or smaller.",
                "Keep the kettle out of reach of children while it is hot.",
                "Do not use the kettle in a microwave or an oven.",
            ]
        ),
        h1("Before first use"),
        steps(
            [
                "Remove all labels and packaging, including the protective film on the base.",
                "Wash the inside and outside with warm, soapy water, then rinse well.",
                "Fill the kettle with fresh water up to the MAX mark and bring it to the boil.",
                "Pour the water away. Repeat once more.",
                "Dry the outside with a soft cloth. The kettle is now ready to use.",
            ]
        ),
        h1("Everyday use"),
        steps(
            [
                "Open the lid and fill with fresh cold water, between the MIN and MAX marks.",
                "Close the lid and make sure the spout cap is fully closed. The whistle only "
                "works when the cap is closed.",
                "Place the kettle on the hob and heat on a medium setting.",
                "When the water boils, the kettle whistles. Turn off the heat.",
                "Press the trigger on the handle to lift the spout cap, then pour.",
            ]
        ),
        PageBreak(),
        h1("Cleaning and descaling"),
        para(
            "After use, empty the kettle and let it dry with the lid open. Clean the outside "
            "with a soft cloth and mild washing-up liquid. Do not use scouring pads or "
            "abrasive cleaners, which scratch the brushed finish. The kettle is not "
            "dishwasher-safe."
        ),
        para(
            "In hard-water areas, limescale builds up inside the kettle and in the whistle. "
            "Descale about once a month, or whenever you see a white layer:"
        ),
        steps(
            [
                "Fill the kettle halfway with a mix of equal parts water and white vinegar, "
                "or dissolve two tablespoons of citric acid in one litre of water.",
                "Bring it to the boil, turn off the heat and leave it to stand for 30 minutes.",
                "Pour the solution away. Loosen any remaining scale with a soft brush, "
                "including inside the spout and the whistle opening.",
                "Rinse thoroughly, then boil fresh water once and pour it away.",
            ]
        ),
        h1("Troubleshooting"),
        KeepTogether(
            table(
                [
                    ["Problem", "Likely cause", "What to do"],
                    [
                        "The kettle does not whistle.",
                        "The spout cap is not fully closed, or the whistle is blocked by "
                        "limescale.",
                        "Close the cap until it clicks. Descale the kettle and clean the "
                        "whistle opening with a soft brush.",
                    ],
                    [
                        "Water spits out of the spout.",
                        "The kettle is filled above the MAX mark, or the heat is too high.",
                        "Pour some water out and heat on a medium setting.",
                    ],
                    [
                        "The kettle does not heat on induction.",
                        "The base is smaller than the induction zone's minimum size.",
                        "Use a smaller cooking zone, or check the hob manual for the "
                        "minimum pan size.",
                    ],
                    [
                        "White or rainbow-coloured marks inside.",
                        "Minerals from hard water. They are harmless.",
                        "Descale as described above.",
                    ],
                    [
                        "The handle feels hot.",
                        "Flames or heat are reaching the sides of the kettle.",
                        "Turn the heat down and use a burner no larger than the base.",
                    ],
                ],
                [usable * 0.27, usable * 0.36, usable * 0.37],
            )
        ),
        Spacer(1, 4 * mm),
        h1("Warranty and support"),
        para(
            "Your kettle has a 1-year Harbor &amp; Pine warranty against manufacturing defects "
            "from the day of delivery, in addition to your legal rights. The warranty does not "
            "cover damage from boiling dry, from flames reaching the handle, or from limescale. "
            f"If you need help, use the chat on our help site or the contact form at "
            f"{CONTACT_URL}, and have your order number ready."
        ),
    ]


def main() -> None:
    """Write both PDFs into ``demo/kb/manuals``."""
    build(
        MANUALS_DIR / "returns-and-warranty-policy.pdf",
        title="Harbor & Pine Returns, Refunds and Warranty Policy",
        subject="How returns, exchanges, refunds and the product warranty work",
        running_header=POLICY_TITLE,
        story=policy_story(),
    )
    build(
        MANUALS_DIR / "kettle-quick-start.pdf",
        title="Harbor & Pine Stovetop Whistle Kettle Quick-Start Guide",
        subject="Safety, first use, cleaning, descaling and troubleshooting",
        running_header=KETTLE_TITLE,
        story=kettle_story(),
    )
    for name in ("returns-and-warranty-policy.pdf", "kettle-quick-start.pdf"):
        print(f"wrote {MANUALS_DIR / name}")


if __name__ == "__main__":
    main()
