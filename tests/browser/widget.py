"""The chat widget on a page, driven through the DOM hooks it promises to keep stable.

Every hook lives in an open shadow root under `div#kb-assistant-root`; Playwright's CSS
locators reach into open shadow roots, scripts go through `shadowRoot` explicitly. The helper
also records what a person would notice going wrong: dialogs (an injected `alert`), console
errors and uncaught page errors.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, Request, expect

SHADOW = "document.querySelector('#kb-assistant-root').shadowRoot"
MARKDOWN_MARKS = re.compile(r"[*_`#>]+")


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Poll `check` until it holds; fail naming `what` when it never does."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.1)


def opening_words(text: str, words: int = 8) -> str:
    """The first words of a reply's first line, without Markdown marks (the widget may render
    them), for finding the reply on screen."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return " ".join(MARKDOWN_MARKS.sub("", first_line).split()[:words])


class Widget:
    """One page with the widget on it, and what went wrong on that page."""

    def __init__(self, page: Page, api_url: str) -> None:
        self.page = page
        self.api_url = api_url
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.message_posts: list[Request] = []
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        page.on("request", self._on_request)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and "favicon" not in where + message.text:
            self.console_errors.append(f"{message.text} ({where})")

    def _on_request(self, request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/messages"):
            self.message_posts.append(request)

    @property
    def launcher(self) -> Locator:
        return self.page.locator("button.kb-launcher")

    @property
    def panel(self) -> Locator:
        return self.page.locator(".kb-panel[role=dialog]")

    def messages(self, role: str) -> Locator:
        return self.page.locator(f".kb-log .kb-msg[data-role={role}]")

    def goto(self, url: str) -> None:
        self.page.goto(url)
        expect(self.launcher).to_be_visible()

    def open(self) -> None:
        """Open the chat panel with the launcher."""
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.launcher).to_have_attribute("aria-expanded", "true")

    def ask(self, text: str) -> dict[str, Any]:
        """Send `text` like a customer, wait for the whole reply; returns the reply as the
        server stored it (the transcript's last assistant message)."""
        replies = self.messages("assistant")
        before = replies.count()
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/messages")
        ) as posted:
            self.page.locator("textarea.kb-input").fill(text)
            self.page.locator("button.kb-send").click()
        response = posted.value
        assert response.status == 200, f"sending a message answered {response.status}"
        response.finished()
        wait_until(lambda: replies.count() > before, "the reply in the chat log")
        stored = [m for m in self.transcript()["messages"] if m["role"] == "assistant"]
        assert stored, "the transcript holds no assistant reply"
        expect(replies.last).to_contain_text(opening_words(stored[-1]["text"]))
        return stored[-1]

    def stored_conversation(self) -> dict[str, str]:
        """What the widget keeps in localStorage: the conversation id and its token."""
        key = f"kb-assistant:{self.api_url}"
        raw = self.page.evaluate("key => window.localStorage.getItem(key)", key)
        assert raw, f"the widget stored no conversation under localStorage[{key!r}]"
        stored: dict[str, str] = json.loads(raw)
        return stored

    def transcript(self) -> dict[str, Any]:
        """The conversation as the API holds it, read with the widget's own token."""
        stored = self.stored_conversation()
        response = httpx.get(
            f"{self.api_url}/api/v1/conversations/{stored['conversation_id']}",
            headers={"Authorization": f"Bearer {stored['token']}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def shadow_count(self, selector: str) -> int:
        """How many elements inside the widget's shadow root match `selector`."""
        count: int = self.page.evaluate(f"sel => {SHADOW}.querySelectorAll(sel).length", selector)
        return count

    def focused(self) -> str:
        """The focused element inside the widget, as `tag.class …`; '' when focus is outside."""
        focused: str = self.page.evaluate(
            """() => {
                const root = document.querySelector('#kb-assistant-root');
                const el = root && root.shadowRoot && root.shadowRoot.activeElement;
                return el ? el.tagName.toLowerCase() + '.' + [...el.classList].join('.') : '';
            }"""
        )
        return focused
