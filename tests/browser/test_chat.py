"""A customer chatting on the demo page: streamed answers with sources, a handoff to a person,
the agent's reply arriving live, and a transcript that survives a reload."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Route, expect

from tests.browser.constants import ADMIN_KEY
from tests.browser.widget import Widget, opening_words, wait_until
from tests.conftest import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts"
ANSWERABLE = "How long does delivery take?"
ONE_REGION = "How long does delivery take to the EU?"
REFUND = "I want a refund for my broken lamp"


def admin(method: str, url: str, **kwargs: Any) -> httpx.Response:
    response = httpx.request(method, url, headers={"X-API-Key": ADMIN_KEY}, **kwargs)
    assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text}"
    return response


def test_answer_streams_with_sources_and_survives_a_reload(widget: Widget, api_url: str) -> None:
    widget.goto(f"{api_url}/")
    widget.open()

    reply = widget.ask(ANSWERABLE)

    assert reply["action"] == "answer", reply
    assert widget.message_posts, "the widget sent no message"
    assert "text/event-stream" in widget.message_posts[-1].headers.get("accept", "")
    shown = widget.messages("assistant").last
    sources = shown.locator(".kb-sources a")
    expect(sources.first).to_be_visible()
    cited = {c["url"] for c in reply["citations"] if c["url"]}
    hrefs = {sources.nth(i).get_attribute("href") for i in range(sources.count())}
    assert hrefs and hrefs <= cited, f"source links {hrefs} are not the reply's sources {cited}"
    ARTIFACTS.mkdir(exist_ok=True)
    widget.page.screenshot(path=str(ARTIFACTS / "widget-chat.png"))

    widget.page.reload()
    widget.open()
    expect(widget.messages("customer").last).to_contain_text(ANSWERABLE)
    expect(widget.messages("assistant").last).to_contain_text(opening_words(reply["text"]))
    expect(widget.messages("assistant").last.locator(".kb-sources a").first).to_be_visible()
    assert widget.console_errors == []


def unshown_line(passage_text: str, reply_text: str) -> str:
    """A line of the passage, as the widget shows it, that the reply does not say."""
    for line in passage_text.splitlines():
        plain = line.replace("**", "").removeprefix("- ").strip()
        if plain and plain not in reply_text.replace("**", ""):
            return plain
    raise AssertionError(f"the reply says every line of its passage: {passage_text!r}")


def test_more_reveals_the_cited_passage_and_says_whether_it_is_open(
    widget: Widget, api_url: str
) -> None:
    widget.goto(f"{api_url}/")
    widget.open()

    reply = widget.ask(ONE_REGION)

    assert reply["action"] == "answer", reply
    fuller = [c for c in reply["citations"] if c["abridged"] and c["passage_text"]]
    assert fuller, f"no source says more than the reply: {reply['citations']}"
    hidden = unshown_line(fuller[0]["passage_text"], reply["text"])
    shown = widget.messages("assistant").last
    more = shown.locator("button.kb-more")
    panel = shown.locator(".kb-more-text")
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(panel).to_be_hidden()
    assert more.get_attribute("aria-controls") == panel.get_attribute("id")

    more.focus()
    widget.page.keyboard.press("Enter")
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(hidden)
    expect(panel).to_contain_text(fuller[0]["title"])
    ARTIFACTS.mkdir(exist_ok=True)
    more.scroll_into_view_if_needed()
    widget.page.wait_for_timeout(300)  # the chevron's turn, for the picture
    widget.page.screenshot(path=str(ARTIFACTS / "widget-more.png"))
    more.click()
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(panel).to_be_hidden()

    widget.page.reload()  # the transcript carries the passages too
    widget.open()
    again = widget.messages("assistant").last.locator("button.kb-more")
    expect(again).to_have_attribute("aria-expanded", "false")
    again.click()
    expect(widget.messages("assistant").last.locator(".kb-more-text")).to_contain_text(hidden)
    assert widget.console_errors == []


def test_refund_hands_off_and_the_agent_reply_arrives_live(widget: Widget, api_url: str) -> None:
    widget.goto(f"{api_url}/")
    widget.open()

    reply = widget.ask(REFUND)

    assert reply["action"] == "escalate", reply
    banner = widget.page.locator(".kb-handoff")
    expect(banner).to_be_visible()
    waiting = banner.inner_text()
    assert waiting.strip(), "the handoff banner says nothing"
    conversation = widget.stored_conversation()["conversation_id"]
    cases = admin("GET", f"{api_url}/api/v1/admin/cases", params={"state": "open"}).json()
    case_id = next(c["id"] for c in cases["cases"] if c["conversation_id"] == conversation)

    admin("POST", f"{api_url}/api/v1/admin/cases/{case_id}/claim", json={"agent": "Maya"})
    wait_until(lambda: banner.inner_text() != waiting, "the banner to show the case was claimed")
    text = "Hi, I'm Maya from the support team. I'm looking at your lamp order now."
    admin(
        "POST",
        f"{api_url}/api/v1/admin/cases/{case_id}/messages",
        json={"agent": "Maya", "text": text},
    )
    expect(widget.messages("agent").last).to_contain_text(text)

    widget.page.reload()
    widget.open()
    expect(widget.messages("customer").first).to_contain_text(REFUND)
    expect(widget.messages("agent").last).to_contain_text(text)
    expect(widget.page.locator(".kb-handoff")).to_be_visible()
    assert widget.console_errors == []


def test_a_thumbs_down_takes_an_optional_comment_into_the_content_gaps(
    widget: Widget, api_url: str
) -> None:
    widget.goto(f"{api_url}/")
    widget.open()
    widget.ask(ANSWERABLE)
    shown = widget.messages("assistant").last

    shown.locator("button.kb-down").click()
    expect(shown.locator("button.kb-down")).to_have_attribute("aria-pressed", "true")
    comment = "I wanted the delivery times for the Channel Islands"
    widget.page.locator("textarea.kb-comment-input").fill(comment)
    widget.page.locator("button.kb-comment-send").click()
    expect(widget.page.locator(".kb-comment")).to_have_count(0)

    conversation = widget.stored_conversation()["conversation_id"]
    gaps = admin("GET", f"{api_url}/api/v1/admin/content-gaps").json()["thumbs_down"]
    mine = [g for g in gaps if g["conversation_id"] == conversation]
    assert [(g["question"], g["comment"]) for g in mine] == [(ANSWERABLE, comment)]
    assert widget.console_errors == []


def test_a_reply_lost_to_a_dropped_connection_is_fetched_not_asked_for_again(
    widget: Widget, api_url: str
) -> None:
    widget.goto(f"{api_url}/")
    widget.open()
    delivered: list[int] = []

    def deliver_then_drop(route: Route) -> None:
        delivered.append(route.fetch(timeout=60_000).status)  # the server answers the message…
        route.abort("connectionreset")  # …but the customer's connection drops before the reply

    widget.page.route("**/messages", deliver_then_drop, times=1)
    widget.page.locator("textarea.kb-input").fill(REFUND)
    widget.page.locator("button.kb-send").click()

    def stored_replies() -> list[dict[str, Any]]:
        return [m for m in widget.transcript()["messages"] if m["role"] == "assistant"]

    wait_until(lambda: len(stored_replies()) == 1, "the reply in the store", timeout_s=60)
    [reply] = stored_replies()
    assert reply["action"] == "escalate"
    expect(widget.messages("assistant").last).to_contain_text(
        opening_words(reply["text"]), timeout=30_000
    )
    expect(widget.messages("customer")).to_have_count(1)
    expect(widget.messages("assistant")).to_have_count(1)
    expect(widget.page.locator("textarea.kb-input")).to_have_value("")
    expect(widget.page.locator(".kb-handoff")).to_be_visible()
    for _ in range(100):  # the route handler records the server's answer as the page runs
        if delivered:
            break
        widget.page.wait_for_timeout(100)
    assert delivered == [200], "the message never reached the server"
