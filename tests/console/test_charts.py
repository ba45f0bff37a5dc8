"""The console's SVG charts: well-formed, named for screen readers, escaped, style-free,
and drawn for empty or all-zero data without failing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from kb_assistant.insights.types import DayCount
from kb_assistant.web.console.charts import bars, daily_bars, share_bar

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "quotes"'


def _days(count: int, start: date = date(2026, 11, 1)) -> list[DayCount]:
    return [
        DayCount(start + timedelta(days=i), 3 + i % 5, 2 + i % 4, i % 2, i % 3)
        for i in range(count)
    ]


def _parse(svg: Markup) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


CHARTS = {
    "daily": lambda: daily_bars(_days(30)),
    "daily, a year": lambda: daily_bars(_days(365)),
    "daily, empty": lambda: daily_bars([]),
    "daily, all zero": lambda: daily_bars([DayCount(date(2026, 12, 1), 0)] * 3),
    "share": lambda: share_bar([("Answered", 80), ("I don't know", 15), ("Escalated", 5)]),
    "share, empty": lambda: share_bar([]),
    "share, all zero": lambda: share_bar([("Answered", 0), ("Escalated", 0)]),
    "bars": lambda: bars([("Refund", 4), ("Person request", 9), ("Legal", 1)]),
    "bars, empty": lambda: bars([]),
    "bars, all zero": lambda: bars([("Refund", 0)]),
}


@pytest.mark.parametrize("make", CHARTS.values(), ids=CHARTS.keys())
def test_a_chart_is_an_accessible_image_without_inline_styles(make: object) -> None:
    svg = make()  # type: ignore[operator]
    assert isinstance(svg, Markup)
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert not [el for el in root.iter() if "style" in el.attrib]
    assert "style=" not in svg
    assert not re.search(r'="[^"]*\b(nan|inf)\b', svg)  # no division by zero


def test_hostile_labels_are_escaped_everywhere() -> None:
    for svg in (
        share_bar([(HOSTILE, 3), ("Other", 1)], title=HOSTILE),
        bars([(HOSTILE, 2)], title=HOSTILE),
        daily_bars(_days(3), title=HOSTILE),
    ):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg
        root = _parse(svg)  # still well formed
        assert root.find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]


def test_daily_bars_stack_each_outcome_and_sum_them_up() -> None:
    days = _days(7)
    svg = daily_bars(days)
    root = _parse(svg)
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    replies = sum(d.answered + d.dont_know + d.escalated for d in days)
    assert f"7 days from {days[0].day.isoformat()} to {days[-1].day.isoformat()}" in desc
    assert f"{replies:,} replies" in desc
    tips = [el.text or "" for g in root.iter(f"{SVG}g") for el in g.findall(f"{SVG}title")]
    assert len(tips) == 7 and tips[0].startswith(days[0].day.isoformat())
    legend = " ".join(_texts(root))
    answered = sum(d.answered for d in days)
    assert f"Answered ({answered})" in legend and "Conversations (" in legend


def test_daily_bars_keep_to_a_few_day_labels_and_inside_the_view() -> None:
    root = _parse(daily_bars(_days(365)))
    width = float(root.get("viewBox", "").split()[2])
    labels = [t for t in root.iter(f"{SVG}text") if re.fullmatch(r"\d+ \w{3}", t.text or "")]
    assert 2 <= len(labels) <= 6
    for el in root.iter():
        for attr in ("x", "x1", "x2"):
            if attr in el.attrib:
                assert 0 <= float(el.attrib[attr]) <= width


def test_an_empty_chart_says_so() -> None:
    assert "No conversations in this period." in _texts(_parse(daily_bars([])))
    assert "None in this period." in _texts(_parse(bars([])))
    assert "None yet" in _texts(_parse(share_bar([("Answered", 0)])))


def test_share_bar_labels_each_part_with_count_and_share() -> None:
    root = _parse(share_bar([("Answered", 3), ("Escalated", 1)]))
    texts = _texts(root)
    assert "Answered: 3 (75.0 %)" in texts
    assert "Escalated: 1 (25.0 %)" in texts
    widths = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect") if r.get("height") == "32"]
    assert widths == [480, 160]


def test_series_differ_by_pattern_not_only_colour() -> None:
    root = _parse(share_bar([("A", 1), ("B", 1), ("C", 1)]))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("height") == "32"]
    assert len(set(fills)) == 3
    assert sum(1 for f in fills if (f or "").startswith("url(#")) == 2


def test_bars_come_largest_first_with_their_share() -> None:
    root = _parse(bars([("Refund", 1), ("Person request", 3)]))
    texts = _texts(root)
    assert texts == ["Person request", "3 (75.0 %)", "Refund", "1 (25.0 %)"]


def test_long_bar_labels_are_shortened_but_named_in_full() -> None:
    label = "A reason with a very long name indeed, longer than the column"
    root = _parse(bars([(label, 1)]))
    assert _texts(root)[0].endswith("…")
    tips = [el.text for g in root.iter(f"{SVG}g") for el in g.findall(f"{SVG}title")]
    assert tips == [f"{label}: 1 (100.0 %)"]


def test_the_same_data_gives_the_same_chart_and_other_data_other_ids() -> None:
    assert daily_bars(_days(5)) == daily_bars(_days(5))
    first = _parse(share_bar([("A", 1)])).find(f"{SVG}title")
    second = _parse(share_bar([("A", 2)])).find(f"{SVG}title")
    assert first is not None and second is not None
    assert first.get("id") != second.get("id")
