"""The operator console in a real Chromium against the real server on loopback: signing in,
every page with the server's own data, a content gap drafted into an FAQ entry and published
(and then answered), refusals, markup from customers shown as text, the keyboard and a phone.

Screenshots of each page go to `test-artifacts/console-*.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from kb_assistant.operators import OperatorAccounts
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for
from tests.browser.widget import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
OPERATOR, PASSWORD = "lead", "a long console passphrase"
MONEY = re.compile(r"money.action", re.IGNORECASE)  # a reason's key, or its words
PHONE: ViewportSize = {"width": 375, "height": 812}
PAGES = ("", "/gaps", "/conversations", "/cases", "/kb")
MARKUP = 'Is this <img src=x onerror="window.__pwned=1"> <b>bold</b> safe?'
GAP_QUESTIONS = (
    "Can you embroider a monogram on the bath towels?",
    "do you do monogram embroidery on towels",
)
GAP_ANSWER = (
    "Yes. We embroider up to three initials on our bath towels and bathrobes. Choose "
    "Add a monogram on the product page before you add the towel to your basket; "
    "monogrammed towels are dispatched two working days later than other items."
)


def _chat(api_url: str, text: str) -> dict[str, Any]:
    """One customer's question through the API; the reply as the API returned it."""
    made = httpx.post(f"{api_url}/api/v1/conversations", json={}, timeout=60).json()
    reply = httpx.post(
        f"{api_url}/api/v1/conversations/{made['conversation_id']}/messages",
        json={"text": text},
        headers={"Authorization": f"Bearer {made['token']}"},
        timeout=120,
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    body["conversation_id"] = made["conversation_id"]
    return body


@pytest.fixture(scope="module")
def traffic(api_url: str, served_data_dir: Path) -> dict[str, str]:
    """An operator account, and conversations the console has to show."""
    engine = databases_for(Settings(data_dir=served_data_dir)).main()
    accounts = OperatorAccounts(engine)
    if accounts.get(OPERATOR) is None:
        accounts.add(OPERATOR, PASSWORD)
    _chat(api_url, "How long does delivery take?")
    markup = _chat(api_url, MARKUP)
    refund = _chat(api_url, "I was charged twice for my order and want my money back")
    gaps = [_chat(api_url, question) for question in GAP_QUESTIONS]
    assert all(g["reply"]["action"] == "dont_know" for g in gaps), [g["reply"] for g in gaps]
    return {"markup": markup["conversation_id"], "refund": refund["conversation_id"]}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 900})
    made.set_default_timeout(30_000)
    yield made
    made.close()


def sign_in(page: Page, api_url: str, password: str = PASSWORD) -> None:
    page.goto(f"{api_url}/console")
    expect(page).to_have_url(f"{api_url}/console/login?next=/console")
    page.get_by_label("User name").fill(OPERATOR)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def no_csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return errors


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url, password="not the right passphrase")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    shot(page, "login")
    page.get_by_label("User name").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{api_url}/console")
    expect(page.get_by_text(f"Signed in as {OPERATOR}")).to_be_visible()


def test_every_page_renders_the_servers_data(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    csp_errors = no_csp_errors(page)
    sign_in(page, api_url)
    expect(page.locator("main svg").first).to_be_visible()
    expect(page.locator("main")).to_contain_text(MONEY)
    shot(page, "overview")

    page.get_by_role("link", name="Content gaps").click()
    expect(page.locator("main")).to_contain_text("monogram")
    shot(page, "gaps")

    page.get_by_role("link", name="Conversations").click()
    expect(page.locator("main table")).to_be_visible()
    shot(page, "conversations")
    page.goto(f"{api_url}/console/conversations/{traffic['refund']}")
    expect(page.locator("main")).to_contain_text("charged twice")
    page.locator("main details").first.evaluate("d => d.open = true")
    expect(page.locator("main")).to_contain_text(MONEY)
    shot(page, "conversation")

    page.get_by_role("link", name="Cases").click()
    page.get_by_label("State", exact=True).select_option("open")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("main table")).to_contain_text(MONEY)
    shot(page, "cases")

    page.get_by_role("link", name="Knowledge base").click()
    expect(page.locator("main")).to_contain_text("v1")
    shot(page, "kb")
    assert csp_errors == [], csp_errors


def test_a_gap_drafted_into_an_faq_and_published_is_answered(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url)
    page.goto(f"{api_url}/console/gaps")
    gap = page.locator("main article").filter(has_text="monogram").first
    expect(gap).to_contain_text("2")
    gap.get_by_role("button", name="Draft an FAQ entry").click()
    expect(page).to_have_url(re.compile(r"/console/faq/\d+$"))
    expect(page.get_by_label("Question")).to_have_value(re.compile("monogram", re.IGNORECASE))
    page.get_by_role("button", name="Approve and publish").click()  # no answer yet: kept
    assert page.get_by_label("Answer").evaluate("el => el.validity.valueMissing")
    expect(page.locator("main")).not_to_contain_text("Published")
    page.get_by_label("Answer").fill(GAP_ANSWER)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator("main")).to_contain_text("Published", timeout=120_000)
    shot(page, "faq-published")

    def answered() -> bool:
        reply = _chat(api_url, "Can I get a monogram embroidered on a bath towel?")["reply"]
        return bool(reply["action"] == "answer" and "initials" in reply["text"])

    wait_until(answered, "the published entry to answer the gap's question", timeout_s=60)


def test_a_form_without_its_csrf_token_is_refused(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url)
    page.locator("form[action='/console/logout'] input[name=csrf]").evaluate("i => i.remove()")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("main")).to_contain_text("expired or did not come from the console")
    page.goto(f"{api_url}/console")
    expect(page).to_have_url(f"{api_url}/console")  # still signed in


def test_nothing_a_customer_wrote_renders_as_html(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url)
    page.goto(f"{api_url}/console/conversations/{traffic['markup']}")
    main = page.locator("main")
    expect(main).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(main).to_contain_text("<b>bold</b>")
    assert main.locator("img, b").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    page.goto(f"{api_url}/console/conversations?q=onerror")
    expect(page.locator("main")).to_contain_text("onerror")
    assert page.evaluate("() => window.__pwned") is None


def test_keyboard_only_reaches_the_skip_link_and_every_page(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url)
    expect(page).to_have_url(f"{api_url}/console")  # keys pressed mid-redirect are lost
    page.wait_for_load_state()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to content"
    for label in ("Content gaps", "Conversations", "Cases", "Knowledge base"):
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.textContent.trim()") == label:
                break
        else:
            raise AssertionError(f"Tab never reached the {label!r} link")
        page.keyboard.press("Enter")
        expect(page.locator("nav a[aria-current=page]")).to_have_text(label)
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name)"""
    )
    assert unlabeled == []


def test_every_page_fits_a_phone(browser: Browser, api_url: str, traffic: dict[str, str]) -> None:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, api_url)
        for path in PAGES:
            page.goto(f"{api_url}/console{path}")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"] + 1, f"{path or '/'} scrolls sideways: {width}px"
            if path == "":
                shot(page, "overview-phone")
    finally:
        context.close()


CONTRAST = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('svg')) continue;
    const fg = rgb(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < 4.5) low.push(`${el.tagName} "${text}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def test_text_on_every_page_has_enough_contrast(
    context: BrowserContext, api_url: str, traffic: dict[str, str]
) -> None:
    page = context.new_page()
    sign_in(page, api_url)
    for path in PAGES:
        page.goto(f"{api_url}/console{path}")
        assert page.evaluate(CONTRAST) == [], path or "/"
