"""Script injection and content-security policy: markup from a customer or from a document is
shown as text and runs nothing, and the widget works on a partner site with a strict CSP."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.constants import MARKUP_QUESTION
from tests.browser.hostpage import HostPage
from tests.browser.widget import Widget

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
INJECTED = "img[src=x], .kb-log script, [onerror]"
SCRIPT_LINKS = "[href^='javascript:' i], [src^='javascript:' i]"


def assert_nothing_ran(widget: Widget) -> None:
    assert widget.dialogs == [], f"injected script ran: {widget.dialogs}"
    assert widget.shadow_count(INJECTED) == 0, "markup from the chat became elements"
    assert widget.shadow_count(SCRIPT_LINKS) == 0, "a javascript: link reached the page"


def test_markup_in_a_customer_message_is_shown_as_text(widget: Widget, api_url: str) -> None:
    message = f"Hello {IMG} and {SCRIPT} — is this shown as text?"
    widget.goto(f"{api_url}/")
    widget.open()

    widget.ask(message)

    expect(widget.messages("customer").last).to_contain_text(f"{IMG} and {SCRIPT}")
    assert_nothing_ran(widget)
    widget.page.reload()  # the transcript is rendered again, from the API this time
    widget.open()
    expect(widget.messages("customer").last).to_contain_text(f"{IMG} and {SCRIPT}")
    assert_nothing_ran(widget)


def test_markup_in_a_knowledge_base_document_is_shown_as_text(widget: Widget, api_url: str) -> None:
    widget.goto(f"{api_url}/")
    widget.open()

    reply = widget.ask(MARKUP_QUESTION)

    assert reply["action"] == "answer", reply
    assert any(IMG in c["title"] for c in reply["citations"]), reply["citations"]
    shown = widget.messages("assistant").last
    expect(shown).to_contain_text(SCRIPT)
    expect(shown.locator(".kb-sources")).to_contain_text(IMG)
    assert_nothing_ran(widget)
    widget.page.reload()
    widget.open()
    expect(widget.messages("assistant").last).to_contain_text(SCRIPT)
    assert_nothing_ran(widget)


def test_widget_runs_on_a_partner_site_with_a_strict_csp(
    browser: Browser, api_url: str, host_page: HostPage
) -> None:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolations"
        ".push(e.violatedDirective + ' ' + e.blockedURI), true);"
    )
    widget = Widget(page, api_url)
    try:
        widget.goto(f"{host_page.origin}/")
        widget.open()
        reply = widget.ask("How long does delivery take?")

        assert reply["action"] == "answer", reply
        expect(widget.messages("assistant").last.locator(".kb-sources a").first).to_be_visible()
        assert page.evaluate("window.__cspViolations") == []
        assert widget.console_errors == [], "\n".join(widget.console_errors)
    finally:
        context.close()
