"""The widget without a mouse, and on a phone."""

from __future__ import annotations

from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.widget import Widget, wait_until

PHONE: ViewportSize = {"width": 390, "height": 844}
MAX_TABS = 40


def test_keyboard_only_opens_types_and_closes(widget: Widget, api_url: str) -> None:
    widget.goto(f"{api_url}/")
    page = widget.page

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if widget.focused().startswith("button.") and "kb-launcher" in widget.focused():
            break
    else:
        raise AssertionError(f"Tab never reached the launcher in {MAX_TABS} presses")

    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    wait_until(lambda: widget.focused().startswith("textarea.kb-input"), "focus in the input")
    page.keyboard.type("Hello")
    expect(page.locator("textarea.kb-input")).to_have_value("Hello")

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    wait_until(lambda: "kb-launcher" in widget.focused(), "focus back on the launcher")


def test_panel_fills_the_width_of_a_phone(browser: Browser, api_url: str) -> None:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(20_000)
    try:
        widget = Widget(context.new_page(), api_url)
        widget.goto(f"{api_url}/")
        widget.open()

        box = widget.panel.bounding_box()
        assert box is not None, "the open panel has no box on screen"
        assert box["x"] <= 1 and box["width"] >= PHONE["width"] - 1, f"panel box {box}"
        input_box = widget.page.locator("textarea.kb-input").bounding_box()
        assert input_box is not None and input_box["y"] + input_box["height"] <= PHONE["height"]
    finally:
        context.close()
