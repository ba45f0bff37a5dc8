"""The whole report on the fixture: duplicates, boilerplate, sizes, and its three forms."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from kb_assistant.domain import Document, Section
from kb_assistant.fusion import text_overlap
from kb_assistant.kbreport import (
    ContentGap,
    KbReport,
    Unit,
    UnreadableSource,
    build_report,
    render_html,
    render_text,
    units_from_documents,
    units_from_records,
)
from kb_assistant.kbreport.duplicates import (
    NEAR_DUPLICATE,
    boilerplate,
    exact_duplicates,
    near_duplicates,
)
from kb_assistant.ports import IndexRecord
from tests.kbreport import fixture

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tr",
    "th", "td", "span", "div", "br", "figure", "svg", "text", "rect",
}  # fmt: skip


class Tags(HTMLParser):
    """The tags, attribute names and style text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


HOSTILE = '<script>alert("kb")</script><img src="https://evil.example/x.png" onerror="x()">'


@pytest.fixture(scope="module")
def report() -> KbReport:
    return build_report(
        fixture.units(),
        unreadable=[UnreadableSource("scan.pdf", "pages 2–3 have images but no text")],
        gaps=[ContentGap("Do you deliver to Norway?", "unanswered", "no passage")],
    )


def docs_of(refs: object) -> set[str]:
    return {ref.doc_id for ref in refs}  # type: ignore[attr-defined]


def test_summary_counts_every_kind(report: KbReport) -> None:
    summary = report.summary()
    assert summary["units"] == len(fixture.units())
    assert summary["documents"] == len(fixture.DOCS)
    assert summary["contradictions"] >= 0.9 * len(fixture.PLANTED)
    assert summary["duplicates"] == len(fixture.EXACT_DUPLICATES)
    assert summary["near_duplicates"] == len(fixture.NEAR_DUPLICATES)
    assert summary["unreadable"] == 1 and summary["content_gaps"] == 1
    assert summary["long_units"] == 1 and summary["short_units"] == 1


def test_finds_duplicates_boilerplate_and_sizes(report: KbReport) -> None:
    assert [docs_of(g.units) for g in report.duplicates] == list(fixture.EXACT_DUPLICATES)
    assert [docs_of((d.first, d.second)) for d in report.near_duplicates] == list(
        fixture.NEAR_DUPLICATES
    )
    for pair in report.near_duplicates:
        assert pair.similarity >= NEAR_DUPLICATE
    repeated = {b.text for b in report.boilerplate}
    assert set(fixture.BOILERPLATE) <= repeated
    assert all(b.units >= 3 for b in report.boilerplate)
    assert [s.unit.doc_id for s in report.long_units] == list(fixture.LONG_DOCS)
    assert [s.unit.doc_id for s in report.short_units] == list(fixture.SHORT_DOCS)


def test_near_duplicates_use_the_retrieval_measure() -> None:
    base = " ".join(f"word{n}" for n in range(40))
    units = [
        Unit("a", "da", "A", "pdf", "a.pdf", base),
        Unit("b", "db", "B", "pdf", "b.pdf", base + " extra"),
        Unit("c", "dc", "C", "pdf", "c.pdf", "something else entirely, nothing shared"),
        Unit("d", "dd", "D", "pdf", "d.pdf", base.upper()),  # an exact copy (case aside)
    ]
    pairs = near_duplicates(units)
    assert {frozenset((p.first.id, p.second.id)) for p in pairs} == {
        frozenset({"a", "b"}),
        frozenset({"b", "d"}),
    }
    assert pairs[0].similarity == pytest.approx(text_overlap(base, base + " extra"))
    assert [{u.id for u in g.units} for g in exact_duplicates(units)] == [{"a", "d"}]


def test_copies_count_once_as_boilerplate() -> None:
    footer = "Questions? Write to help@shop.example any day."
    units = [
        Unit(f"u{n}", f"d{n}", f"Page {n}", "pdf", f"p{n}", f"Text {n} here.\n{footer}")
        for n in range(2)
    ]
    copy = Unit("u9", "d9", "Page 9", "pdf", "p9", units[0].text)
    assert boilerplate([*units, copy], exact_duplicates([*units, copy])) == []
    third = Unit("u3", "d3", "Page 3", "pdf", "p3", f"Other text.\n{footer}")
    [found] = boilerplate([*units, third])
    assert (found.text, found.units, found.documents) == (footer, 3, 3)


def test_json_has_a_stable_shape(report: KbReport) -> None:
    shown = json.loads(json.dumps(report.as_json()))
    assert set(shown) == {
        "summary",
        "seconds",
        "contradictions",
        "duplicates",
        "near_duplicates",
        "boilerplate",
        "long_units",
        "short_units",
        "unreadable",
        "content_gaps",
        "entry_usage",
    }
    assert shown["summary"] == report.summary()
    assert len(shown["contradictions"]) == len(report.contradictions)
    assert {"units", "excerpt"} <= set(shown["duplicates"][0])
    assert {"units", "similarity"} <= set(shown["near_duplicates"][0])
    assert {"text", "units", "documents", "examples"} <= set(shown["boilerplate"][0])
    assert {"unit_id", "doc_id", "title", "location", "words"} <= set(shown["long_units"][0])
    assert shown["unreadable"][0]["source"] == "scan.pdf"
    assert shown["content_gaps"][0] == {
        "question": "Do you deliver to Norway?",
        "kind": "unanswered",
        "detail": "no passage",
        "asked": 1,
    }


def test_text_shows_both_values_sentences_and_places(report: KbReport) -> None:
    text = render_text(report, limit=100)
    assert text.startswith("Knowledge base health:")
    for c in report.contradictions:
        for m in (c.first, c.second):
            assert m.quantity.text in text and m.location in text
            assert " ".join(m.sentence.split())[:80] in text
    assert "Exact duplicates (1)" in text and "Do you deliver to Norway?" in text
    assert "… and" in render_text(report, limit=2)


def test_html_stands_alone_and_escapes_what_the_sources_say() -> None:
    units = [
        *fixture.units(),
        Unit("evil#0", "evil", f"Evil {HOSTILE}", "faq", f"evil.md › {HOSTILE}", HOSTILE),
        Unit("evil#1", "evil2", "Evil copy", "faq", "evil2.md", HOSTILE),
    ]
    page = render_html(
        build_report(units, gaps=[ContentGap(HOSTILE, "thumbs_down", HOSTILE)]),
        title="Report <b>",
    )
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&quot;kb&quot;)&lt;/script&gt;" in page
    assert "Report &lt;b&gt;" in page
    assert page.count("<svg") == 2 and "<style>" in page
    # No resource is fetched: no tag links anything, the style imports nothing.
    tags = Tags()
    tags.feed(page)
    assert tags.names <= ALLOWED_TAGS, tags.names - ALLOWED_TAGS
    assert not {"src", "href", "xlink:href", "action", "srcset"} & tags.attributes
    assert not re.search(r"@import|url\(", tags.style, re.IGNORECASE)


def test_html_lists_every_kind(report: KbReport) -> None:
    page = render_html(report)
    for kind in ("contradictions", "duplicates", "near_duplicates", "boilerplate"):
        assert f'id="{kind}"' in page
    first = report.contradictions[0]
    assert first.first.quantity.text in page and first.second.quantity.text in page


def test_units_from_documents_and_index_records() -> None:
    doc = Document(
        id="pdf:policy.pdf",
        title="Policy",
        sections=[Section("Page one.", page=1), Section("", page=2), Section("Page three.", 3)],
        kind="pdf",
        visibility="public",
        source="/kb/policy.pdf",
        location="policy.pdf",
    )
    units = units_from_documents([doc])
    assert [(u.id, u.location) for u in units] == [
        ("pdf:policy.pdf#0", "policy.pdf, p. 1"),
        ("pdf:policy.pdf#2", "policy.pdf, p. 3"),
    ]
    record = IndexRecord(
        "c1",
        "Chunk text.",
        {"doc_id": "pdf:policy.pdf", "title": "Policy", "kind": "pdf", "location": "policy.pdf",
         "page_start": 2, "page_end": 3},
    )  # fmt: skip
    [unit] = units_from_records([record])
    assert (unit.doc_id, unit.title, unit.location) == (
        "pdf:policy.pdf",
        "Policy",
        "policy.pdf, pp. 2–3",
    )


def test_content_gaps_are_ranked_by_how_often_they_were_asked() -> None:
    from kb_assistant.kbreport.report import ranked

    gaps = [
        ContentGap("Do you deliver to Norway?", "unanswered", "newest"),
        ContentGap("Can I pay with crypto?", "unanswered"),
        ContentGap("do you deliver to  norway", "unanswered", "older"),
        ContentGap("Do you deliver to Norway?", "thumbs_down"),
        ContentGap("DO YOU DELIVER TO NORWAY?!", "unanswered"),
    ]

    shown = ranked(gaps)

    assert [(g.question, g.kind, g.asked) for g in shown] == [
        ("Do you deliver to Norway?", "unanswered", 3),
        ("Can I pay with crypto?", "unanswered", 1),
        ("Do you deliver to Norway?", "thumbs_down", 1),
    ]
    assert shown[0].detail == "newest"
    assert "asked 3 times" in render_text(build_report([], gaps=shown))
