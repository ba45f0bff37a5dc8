"""The console's pages rendered from the insights read models: every page renders with
sample and with empty data, escapes what customers wrote, and keeps the rules a strict
Content-Security-Policy and an accessible page need (no inline style or script, labelled
fields, a CSRF token in every form that posts, the current page marked in the navigation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import jinja2
import pytest

from kb_assistant.insights.types import (
    CaseQueue,
    CaseRow,
    ContentGap,
    ConversationDetail,
    ConversationPage,
    ConversationSummary,
    DayCount,
    FaqDraftView,
    GapExample,
    GapReport,
    KnowledgeBase,
    Overview,
    SourceRow,
    TracePassage,
    TraceRemoval,
    TranscriptLine,
    TurnTrace,
    VersionRow,
)
from kb_assistant.web.console import STATIC_DIR, render
from kb_assistant.web.console.render import age, labelled, ms, outcome, percent, when

CSRF = "csrf-token-123"
HOSTILE = "<img src=x onerror=alert(1)>"
NOW = datetime(2026, 12, 7, 14, 3, tzinfo=UTC)
START, END = date(2026, 11, 8), date(2026, 12, 7)


def _common(page: str) -> dict[str, Any]:
    return {"operator": "Ana <admin>", "csrf": CSRF, "page": page, "title": "Console page"}


def _passage(rank: int) -> TracePassage:
    return TracePassage(rank, "Returns policy", "faq/returns.md#refunds", 0.8123, "public", HOSTILE)


def _overview(empty: bool) -> dict[str, Any]:
    if empty:
        overview = Overview(START, END, 0, 0, {}, {}, 0, 0, None, None, [])
    else:
        daily = [DayCount(START + timedelta(days=i), 5 + i % 4, 6, i % 3, i % 2) for i in range(30)]
        overview = Overview(
            START,
            END,
            conversations=180,
            replies=240,
            outcomes={"answer": 200, "dont_know": 25, "escalate": 15},
            escalations={"refund": 9, "person_request": 4, HOSTILE: 2},
            thumbs_up=40,
            thumbs_down=8,
            latency_median_ms=830.0,
            latency_p95_ms=2412.5,
            daily=daily,
        )
    return {"overview": overview, "days": 30, "period_options": [7, 30, 90, 365]}


def _gaps(empty: bool) -> dict[str, Any]:
    example = GapExample(HOSTILE, "conv-1", NOW, "rated_down", reply="Refunds take 5 days.")
    gaps = [
        ContentGap(
            key="a1b2c3",
            label="Can I return a sofa after 30 days?",
            count=7,
            unanswered=5,
            rated_down=2,
            last_asked=NOW,
            examples=[example] * 7,
            passages=[_passage(1), _passage(2)],
        ),
        ContentGap("d4e5f6", HOSTILE, 1, 1, 0, NOW, draft_id=12),
    ]
    report = GapReport(START, END, 0 if empty else 42, [] if empty else gaps)
    return {"report": report, "days": 30, "period_options": [7, 30, 90, 365]}


def _draft(state: str = "draft") -> FaqDraftView:
    published = state == "published"
    return FaqDraftView(
        id=12,
        question="Can I return a sofa after 30 days?",
        answer=f"Yes, within 60 days.\n{HOSTILE}",
        state=state,
        origin="gap",
        created_by="ana",
        created_at=NOW,
        approved_by="ben" if published else None,
        published_at=NOW if published else None,
        doc_id="faq-returns-sofa" if published else None,
    )


def _conversations(empty: bool) -> dict[str, Any]:
    rows = [
        ConversationSummary(f"c{i}", NOW, 4, HOSTILE, "answer", i % 2 == 0, i % 3 == 0)
        for i in range(20)
    ]
    if empty:
        return {"results": ConversationPage("", 0, 0, 20, [])}
    return {"results": ConversationPage("sofa & chair", 65, 20, 20, rows)}


def _trace() -> TurnTrace:
    return TurnTrace(
        message_id="m2",
        action="escalate",
        confidence=0.41,
        latency_ms=1234.5,
        composer="extractive",
        question_used="return sofa after 30 days",
        escalation="refund",
        policy={"class": "refund", "score": 0.93, "rule": "rule:refund-words"},
        passages=[_passage(1)],
        removed=[TraceRemoval("We always refund in full.", "unsupported_claim")],
    )


def _conversation(empty: bool) -> dict[str, Any]:
    lines = [
        TranscriptLine("m1", 1, "customer", HOSTILE, NOW),
        TranscriptLine(
            "m2",
            2,
            "assistant",
            "A person from the team will reply here.",
            NOW,
            action="escalate",
            reason="refund",
            rating="down",
            citations=["Returns policy — faq/returns.md"],
            trace=_trace(),
        ),
        TranscriptLine("m3", 3, "agent", "Hello, I'm on it.", NOW, agent="ben"),
        TranscriptLine("m4", 4, "system", "Case 7 resolved", NOW),
    ]
    detail = ConversationDetail("conv-1", NOW, None if empty else "widget", [] if empty else lines)
    return {"detail": detail if empty else ConversationDetail(**{**vars(detail), "case_ids": [7]})}


def _cases(empty: bool) -> dict[str, Any]:
    if empty:
        return {"queue": CaseQueue(None, None, None)}
    cases = [
        CaseRow(7, "conv-1", "open", "refund", True, None, NOW, 11_100, HOSTILE),
        CaseRow(8, "conv-2", "claimed", "person_request", False, "ben", NOW, 190_000, "Hi"),
    ]
    queue = CaseQueue(
        "open",
        "refund",
        None,
        cases,
        {"open": 1, "claimed": 1, "resolved": 30},
        ["refund", "person_request"],
        ["ben", "cleo"],
    )
    return {"queue": queue}


def _kb(empty: bool) -> dict[str, Any]:
    if empty:
        return {"kb": KnowledgeBase(None, health_error="no index to check")}
    versions = [
        VersionRow("v2", "live", "full", NOW, NOW, NOW, 420, 0.955, True, None),
        VersionRow("v3", "failed", "incremental", NOW, None, None, 0, 0.61, False, HOSTILE),
    ]
    sources = [SourceRow("Returns policy", "faq/returns.md", "markdown", "public", 12, NOW)]
    findings = [{"kind": "duplicate", "summary": HOSTILE}, {"kind": "stale", "summary": "Old"}]
    return {"kb": KnowledgeBase("v2", versions, sources, {"duplicate": 3}, findings)}


PAGES: dict[str, tuple[str, Callable[[bool], dict[str, Any]]]] = {
    "overview.html": ("overview", _overview),
    "gaps.html": ("gaps", _gaps),
    "conversations.html": ("conversations", _conversations),
    "conversation.html": ("conversations", _conversation),
    "cases.html": ("cases", _cases),
    "kb.html": ("kb", _kb),
    "faq_draft.html": (
        "gaps",
        lambda empty: {"draft": _draft(), "error": None, "field": None, "notice": None},
    ),
}
CASES = [(name, empty) for name in PAGES for empty in (False, True)]


@dataclass
class Page:
    """What a rendered page holds, read by an HTML parser."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    forms: list[tuple[dict[str, str], list[dict[str, str]]]] = field(default_factory=list)
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._script: dict[str, str] | None = None
        self._texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.page.tags.append((tag, values))
        if tag == "form":
            self.page.forms.append((values, []))
        elif tag in ("input", "select", "textarea", "button") and self.page.forms:
            self.page.forms[-1][1].append({"tag": tag, **values})
        elif tag == "script":
            self._script = values

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.page.scripts.append((self._script, ""))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None and data.strip():
            self.page.scripts.append((self._script, data))
        self._texts.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(self._texts)


def _read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def _render(name: str, empty: bool = False) -> str:
    nav, make = PAGES[name]
    return render(name, **_common(nav), **make(empty))


def _check_page(html: str) -> Page:
    """The rules every console page keeps."""
    page = _read(html)
    assert html.startswith("<!doctype html>")
    assert page.all("html") == [{"lang": "en"}]
    assert not [tag for tag, attrs in page.tags if "style" in attrs], "inline style attribute"
    assert "style=" not in html and not page.all("style")
    for attrs, body in page.scripts:
        assert attrs.get("src", "").startswith("/console/static/") and not body.strip()
    for tag, attrs in page.tags:
        for key in ("href", "src", "action"):
            assert not attrs.get(key, "").startswith(("http:", "https:", "//")), (tag, attrs)
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
    ids = [attrs["id"] for _, attrs in page.tags if "id" in attrs]
    assert len(ids) == len(set(ids)), "duplicate id"
    labelled_ids = {attrs.get("for") for attrs in page.all("label")}
    for tag, attrs in page.tags:
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            assert attrs.get("id") in labelled_ids or attrs.get("aria-label"), (tag, attrs)
    for form, fields in page.forms:
        if form.get("method", "get").lower() == "post":
            tokens = [f for f in fields if f.get("name") == "csrf"]
            assert tokens == [{"tag": "input", "type": "hidden", "name": "csrf", "value": CSRF}]
    return page


@pytest.mark.parametrize(("name", "empty"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_every_page_renders_and_keeps_the_rules(name: str, empty: bool) -> None:
    page = _check_page(_render(name, empty))
    assert len(page.all("main")) == 1 and page.all("main")[0]["id"] == "content"
    assert len(page.all("h1")) == 1
    assert {"rel": "stylesheet", "href": "/console/static/console.css"} in page.all("link")
    assert page.all("a")[0] == {"class": "skip-link", "href": "#content"}
    assert "Signed in as" in page.text and "Ana <admin>" in page.text  # escaped, read back
    logout = [form for form, _ in page.forms if form.get("action") == "/console/logout"]
    assert logout and logout[0]["method"] == "post"


@pytest.mark.parametrize(("name", "empty"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_customer_text_is_never_html(name: str, empty: bool) -> None:
    html = _render(name, empty)
    assert "<img" not in html and not _read(html).all("img")
    if not empty:
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("name", PAGES)
def test_the_current_page_is_marked_in_the_navigation(name: str) -> None:
    nav, _ = PAGES[name]
    current = [a for a in _read(_render(name)).all("a") if a.get("aria-current") == "page"]
    hrefs = {"overview": "/console", "gaps": "/console/gaps", "kb": "/console/kb"}
    assert [a["href"] for a in current] == [hrefs.get(nav, f"/console/{nav}")]


def test_the_navigation_links_every_section() -> None:
    page = _read(_render("overview.html"))
    assert {"aria-label": "Console", "class": "site-nav"} in page.all("nav")
    hrefs = [a["href"] for a in page.all("a")]
    for href in ("/console", "/console/gaps", "/console/conversations", "/console/cases"):
        assert href in hrefs
    assert "/console/kb" in hrefs and "/console/kb/report" not in hrefs


def test_login_posts_credentials_with_the_token_and_shows_the_error_as_an_alert() -> None:
    error = "Wrong user name or password."
    html = render("login.html", error=error, next="/console/gaps", csrf=CSRF)
    page = _check_page(html)
    assert page.all("nav") == []  # not signed in: no navigation, no sign-out
    ((form, fields),) = page.forms
    assert form == {"method": "post", "action": "/console/login", "class": "stack"}
    by_name = {f.get("name"): f for f in fields}
    assert by_name["username"]["autocomplete"] == "username"
    assert by_name["password"]["type"] == "password"
    assert by_name["password"]["autocomplete"] == "current-password"
    assert (by_name["next"]["type"], by_name["next"]["value"]) == ("hidden", "/console/gaps")
    alerts = [a for _, a in page.tags if a.get("role") == "alert"]
    assert len(alerts) == 1 and error in page.text
    quiet = _read(render("login.html", error=None, next="", csrf=CSRF))
    assert not [a for _, a in quiet.tags if a.get("role") == "alert"]


def test_error_page_renders_signed_in_or_not() -> None:
    page = _check_page(render("error.html", status=404, message="No such conversation."))
    assert "No such conversation." in page.text and page.all("nav") == []
    page = _check_page(render("error.html", status=500, message="Oops", **_common("cases")))
    assert page.all("nav") and "Something went wrong" in page.text


def test_overview_shows_the_figures_the_period_and_a_table_by_each_chart() -> None:
    html = _render("overview.html")
    page = _read(html)
    assert "83.3 %" in page.text  # 200 of 240 answered
    assert "83.3 % 40 up, 8 down of 48 rated" in page.text.replace("\n", " ")
    assert "830 ms" in page.text and "2.41 s" in page.text
    assert len(page.all("svg")) == 3 and len(page.all("table")) == 3
    selected = [o for o in page.all("option") if "selected" in o]
    assert selected == [{"value": "30", "selected": ""}]
    ((form, fields),) = [f for f in page.forms if f[0].get("method") == "get"]
    assert form["action"] == "/console" and [f.get("name") for f in fields] == ["days", None]


def test_an_empty_overview_shows_dashes_not_zero_shares() -> None:
    page = _read(_render("overview.html", empty=True))
    assert "No conversations in this period." in page.text
    assert "No escalations in this period." in page.text
    assert "0.0 %" not in page.text and "—" in page.text


def test_gaps_offer_a_draft_or_link_the_existing_one() -> None:
    page = _read(_render("gaps.html"))
    posts = [form for form, _ in page.forms if form.get("method") == "post"]
    assert [f["action"] for f in posts] == ["/console/logout", "/console/gaps/a1b2c3/draft"]
    _, fields = page.forms[-1]
    assert {"tag": "input", "type": "hidden", "name": "days", "value": "30"} in fields
    assert {"class": "button-link", "href": "/console/faq/12"} in page.all("a")
    assert "Open the FAQ draft" in page.text and "Draft an FAQ entry" in page.text
    assert page.text.count("Open the conversation") == 5  # at most five examples a gap
    assert "0.81" in page.text and "faq/returns.md#refunds" in page.text


def test_no_gaps_says_so() -> None:
    assert "No content gaps in this period" in _read(_render("gaps.html", empty=True)).text


def test_faq_draft_form_saves_or_publishes() -> None:
    page = _read(_render("faq_draft.html"))
    ((form, fields),) = [f for f in page.forms if f[0]["action"] == "/console/faq/12"]
    assert form["method"] == "post"
    buttons = [(f.get("name"), f.get("value")) for f in fields if f["tag"] == "button"]
    assert buttons == [("action", "save"), ("action", "publish")]
    assert "Save draft" in page.text and "Approve and publish" in page.text
    assert page.all("input")[-1]["value"] == "Can I return a sofa after 30 days?"


@pytest.mark.parametrize("which", ["question", "answer"])
def test_a_field_error_is_tied_to_its_field(which: str) -> None:
    context = {"draft": _draft(), "error": "Write a longer text.", "field": which, "notice": None}
    page = _check_page(render("faq_draft.html", **_common("gaps"), **context))
    invalid = [a for _, a in page.tags if a.get("aria-invalid") == "true"]
    assert len(invalid) == 1 and invalid[0]["name"] == which
    message = [a for _, a in page.tags if a.get("id") == invalid[0]["aria-describedby"]]
    assert message and message[0]["role"] == "alert"


def test_a_published_draft_is_read_only_with_its_document() -> None:
    context = {"draft": _draft("published"), "error": None, "field": None, "notice": "Published"}
    page = _check_page(render("faq_draft.html", **_common("gaps"), **context))
    assert [form["action"] for form, _ in page.forms] == ["/console/logout"]
    assert "faq-returns-sofa" in page.text and "2026-12-07 14:03 UTC" in page.text
    assert [a for _, a in page.tags if a.get("role") == "status"]


def test_conversation_list_links_each_and_pages_keeping_the_search() -> None:
    page = _read(_render("conversations.html"))
    hrefs = [a["href"] for a in page.all("a")]
    assert "/console/conversations/c0" in hrefs
    assert "/console/conversations?q=sofa+%26+chair&offset=0&limit=20" in hrefs
    assert "/console/conversations?q=sofa+%26+chair&offset=40&limit=20" in hrefs
    assert "65 conversations" in page.text and "showing 21–40" in page.text
    ((form, _),) = [f for f in page.forms if f[0].get("role") == "search"]
    assert form["method"] == "get"
    assert [a["rel"] for a in page.all("a") if "rel" in a] == ["prev", "next"]


def test_conversation_transcript_shows_what_the_assistant_did() -> None:
    page = _read(_render("conversation.html"))
    text = " ".join(page.text.split())
    for expected in (
        "What the assistant did",
        "0.41",  # gate confidence
        "1.23 s",
        "extractive",
        "return sofa after 30 days",
        "Refund, score 0.93, rule rule:refund-words",
        "We always refund in full.",
        "Unsupported claim",
        "Returns policy — faq/returns.md",
        "Rated down",
        "Agent (ben)",
        "#7",
    ):
        assert expected in text, expected
    assert len(page.all("details")) == 1


def test_cases_filter_form_and_queue() -> None:
    page = _read(_render("cases.html"))
    ((form, fields),) = [f for f in page.forms if f[0].get("action") == "/console/cases"]
    assert form["method"] == "get"
    assert [f["name"] for f in fields if f["tag"] == "select"] == ["state", "reason", "agent"]
    selected = [o["value"] for o in page.all("option") if "selected" in o]
    assert selected == ["open", "refund", ""]
    text = " ".join(page.text.split())
    assert "3 h 5 min" in text and "2 d 4 h" in text and "Unclaimed" in text
    assert {"href": "/console/conversations/conv-2"} in page.all("a")


def test_knowledge_base_lists_versions_health_and_sources() -> None:
    page = _read(_render("kb.html"))
    text = " ".join(page.text.split())
    assert "95.5 %" in text and "Passed" in text and "Failed" in text
    assert "Duplicate 3" in text
    assert {"href": "/console/kb/report"} in page.all("a")
    assert "Open the full health report" in text
    empty = " ".join(_read(_render("kb.html", empty=True)).text.split())
    assert "could not be made: no index to check" in empty


def test_a_missing_context_value_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("overview.html", **_common("overview"), days=30, period_options=[7])


def test_the_stylesheet_is_in_the_static_folder() -> None:
    css = (STATIC_DIR / "console.css").read_text(encoding="utf-8")
    assert ":focus-visible" in css and ".visually-hidden" in css


@pytest.mark.parametrize(
    ("value", "expected"), [(0.123, "12.3 %"), (1, "100.0 %"), (0, "0.0 %"), (None, "—")]
)
def test_percent(value: float | None, expected: str) -> None:
    assert percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234.5, "1.23 s"), (80, "80 ms"), (999.4, "999 ms"), (999.6, "1.00 s"), (None, "—")],
)
def test_ms(value: float | None, expected: str) -> None:
    assert ms(value) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(45, "45 s"), (600, "10 min"), (11_100, "3 h 5 min"), (7200, "2 h"),
     (187_200, "2 d 4 h"), (86_400, "1 d"), (-5, "0 s"), (None, "—")],
)  # fmt: skip
def test_age(seconds: float | None, expected: str) -> None:
    assert age(seconds) == expected


def test_when_writes_utc() -> None:
    assert when(NOW) == "2026-12-07 14:03 UTC"
    paris = timezone(timedelta(hours=1))
    assert when(datetime(2026, 12, 7, 15, 3, tzinfo=paris)) == "2026-12-07 14:03 UTC"
    assert when(datetime(2026, 12, 7, 14, 3)) == "2026-12-07 14:03 UTC"
    assert when(date(2026, 12, 7)) == "2026-12-07" and when(None) == "—"


def test_labels_of_keys() -> None:
    assert outcome("dont_know") == "I don't know" and outcome("escalate") == "Escalated"
    assert outcome(None) == "—" and outcome("new_thing") == "New thing"
    assert labelled({"refund": 1, "person_request": 3}) == [("Person request", 3), ("Refund", 1)]


def test_a_period_not_on_offer_is_still_shown_as_chosen() -> None:
    context = {**_overview(empty=True), "days": 14}
    page = _read(render("overview.html", **_common("overview"), **context))
    options = [(o["value"], "selected" in o) for o in page.all("option")]
    assert options == [("14", True), ("7", False), ("30", False), ("90", False), ("365", False)]


def test_a_failed_publication_is_told_once() -> None:
    failed = FaqDraftView(**{**vars(_draft()), "error": "The index is being rebuilt."})
    context = {"draft": failed, "error": failed.error, "field": None, "notice": None}
    page = _check_page(render("faq_draft.html", **_common("gaps"), **context))
    assert page.text.count("The index is being rebuilt.") == 1
    assert [a for _, a in page.tags if a.get("role") == "alert"]
