"""A PDF's headings, found from its own typography, and its text cut into sections by them.

Each line comes with the size and weight most of its characters are set in (`pdf_lines`).
The document's body size is the size most of its characters are set in; a line reads as a
heading when it is short, does not read as a sentence, and stands out from the body: set
larger, set in bold where the body is not, or numbered like a section ("4.2 Return costs",
"Section 4"). Headings rank by size, then weight, then the depth of their
numbering, so "8.1 What is covered" sits under "8. Product warranty".

The text is cut at every heading: a section is the heading's lines and the text under them on
one page, so a page with two headings gives several sections, and a section that runs over
the next page goes on there under the same heading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from connectors.pdf_lines import Line
from kb_assistant.domain import Section

LARGER = 1.12  # a heading set larger than the body is at least this much larger
SAME_SIZE = 0.97  # a bold or numbered heading is at least about the body's size
MAX_HEADING_CHARS = 120
MAX_HEADING_WORDS = 14
MAX_HEADING_LINES = 3  # a heading wrapped over more lines than this is a paragraph
# A style that sets more than this share of the body's characters is a second body text (the
# small print of a form next to its notes), not a heading style.
MAX_HEADING_SHARE = 0.25
TRAIL_DEPTH = 2  # headings named for a section: its own and the one it sits under
TRAIL_SEPARATOR = " › "

_NUMBERED = re.compile(
    r"^(?:(?:section|chapter|part|article|appendix)\s+(?P<word>\d+|[A-Z]|[IVX]+)\b"
    r"|(?P<number>\d{1,3}(?:\.\d{1,3})*)(?:[.)]|(?=\s)))\s*\S",
    re.IGNORECASE,
)
_SENTENCE_END = (".", ",", ";", ":")
_INNER_SENTENCE = re.compile(r"[^\W\d_]{2}[.!?;]\s+\S")  # "promptly. Lender may"
_FORM_FIELD = re.compile(r"\$|_{3}|\.{4}")  # amounts, blanks to fill in, dot leaders
_OPEN_END = re.compile(r"(?:\b(?:and|or|of|the|for|to|in|on|with|a|an|your|by)|[&,–-])$", re.I)
_PAGE_LABEL = re.compile(r"(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?", re.IGNORECASE)
_WEB = re.compile(r"https?://|www\.|\S@\S", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Heading:
    """A heading: its text (wrapped lines joined), its rank (lower is higher) and whether
    its style is used once only (a cover line or the title, never a parent heading)."""

    text: str
    rank: tuple[int, int]
    once: bool = False


def style_chars(pages: Sequence[Sequence[Line]]) -> Counter[tuple[float, bool]]:
    """How many characters each (size, bold) style sets in the document."""
    chars: Counter[tuple[float, bool]] = Counter()
    for lines in pages:
        for line in lines:
            if line.size:
                chars[(line.size, line.bold)] += line.chars
    return chars


def body_style(chars: Counter[tuple[float, bool]]) -> tuple[float, bool]:
    """The size most characters are set in, and whether most of those are bold."""
    sizes: Counter[float] = Counter()
    for (size, _), count in chars.items():
        sizes[size] += count
    if not sizes:
        return 0.0, False
    size, count = sizes.most_common(1)[0]
    return size, chars[(size, True)] * 2 > count


def numbering_depth(text: str) -> int:
    """1 for "4." or "Section 4", 2 for "4.2", …; 0 for a line that is not numbered."""
    found = _NUMBERED.match(text)
    if found is None:
        return 0
    number = found.group("number")
    return number.count(".") + 1 if number else 1


def _reads_as_heading(text: str) -> bool:
    """Short, mostly letters, not a sentence, a list item, a link or a page label."""
    letters = sum(ch.isalpha() for ch in text)
    return (
        2 <= len(text) <= MAX_HEADING_CHARS
        and len(text.split()) <= MAX_HEADING_WORDS
        and letters >= 2
        and letters * 5 >= len(text) * 2
        and not text.endswith(_SENTENCE_END)
        and _INNER_SENTENCE.search(text) is None
        and _FORM_FIELD.search(text) is None
        and not text[0].islower()
        and text[0] not in "•-–*·▪◦‣●○■□►"
        and _WEB.search(text) is None
        and _PAGE_LABEL.fullmatch(text) is None
    )


def _stands_out(line: Line, body: tuple[float, bool]) -> bool:
    size, body_bold = body
    if line.size >= size * LARGER:
        return True
    if line.size < size * SAME_SIZE:
        return False
    if line.bold and not body_bold:
        return True
    depth = numbering_depth(line.text)
    return depth >= 2 or (depth == 1 and not line.text[0].isdigit())


def _key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.lower().split()))


class Outline:
    """Decides which lines of a document are headings, and how they rank."""

    def __init__(self, pages: Sequence[Sequence[Line]]) -> None:
        chars = style_chars(pages)
        self.body = body_style(chars)
        body_chars = chars[self.body]
        self._text_styles = {s for s, n in chars.items() if n > body_chars * MAX_HEADING_SHARE}
        found = [self._candidates(lines) for lines in pages]
        running = _running_texts(
            [
                {_key(lines[i].text) for i in marks}
                for lines, marks in zip(pages, found, strict=True)
            ]
        )
        styles: Counter[tuple[float, bool]] = Counter()
        self.marks: list[set[int]] = []
        for lines, marks in zip(pages, found, strict=True):
            kept = {i for i in marks if _key(lines[i].text) not in running}
            self.marks.append(kept)
            styles.update((lines[i].size, lines[i].bold) for i in kept)
        order = sorted(styles, key=lambda style: (-style[0], not style[1]))
        self._rank = {style: number for number, style in enumerate(order)}
        once = {style for style, count in styles.items() if count == 1}
        self._once = once if sum(styles.values()) >= 3 else set()

    def _candidates(self, lines: Sequence[Line]) -> set[int]:
        marks = set()
        for i, line in enumerate(lines):
            text = _visible(line.text).strip()
            if not text or not line.size or (line.size, line.bold) in self._text_styles:
                continue
            if not _reads_as_heading(text) or not _stands_out(line, self.body):
                continue
            following = next((x for x in lines[i + 1 :] if x.text.strip()), None)
            if (
                following is not None
                and following.text.lstrip()[:1].islower()
                and (following.size, following.bold) != (line.size, line.bold)
            ):
                continue  # a bold or large start of a sentence the next line goes on with
            marks.add(i)
        return marks

    def heading(self, lines: Sequence[Line]) -> Heading:
        """The heading that `lines` (a heading line and its wrapped lines) make up."""
        first = lines[0]
        text = " ".join(" ".join(_visible(line.text).split()) for line in lines)
        style = (first.size, first.bold)
        rank = (self._rank.get(style, len(self._rank)), max(numbering_depth(text), 1))
        return Heading(text, rank, style in self._once)


def _visible(text: str) -> str:
    """The text without private-use characters (icons drawn from a symbol font)."""
    return "".join(ch for ch in text if not 0xE000 <= ord(ch) <= 0xF8FF)


def _running_texts(per_page: Sequence[set[str]]) -> set[str]:
    """Heading-like lines found on half the pages or more: running headers, not headings."""
    if len(per_page) < 2:
        return set()
    seen: Counter[str] = Counter()
    for keys in per_page:
        seen.update(keys)
    needed = max(2, (len(per_page) + 1) // 2)
    return {key for key, count in seen.items() if count >= needed}


@dataclass
class _Block:
    """The lines of one section being built: its heading, and whether it has text besides."""

    heading: str | None
    lines: list[str] = field(default_factory=list)
    has_body: bool = False
    rank: tuple[int, int] | None = None  # of its last heading


def sectioned(pages: Sequence[tuple[int, Sequence[Line]]]) -> list[Section]:
    """The pages' text as sections that follow the headings (numbers are 1-based pages).

    A heading's lines open its section, followed by a blank line so that they stay a
    paragraph of their own; a heading with no text under it opens the next heading's section
    instead, unless that heading ranks above it. A line right after a heading that only
    repeats it (with or without the heading it sits under) is left out.
    """
    outline = Outline([lines for _, lines in pages])
    sections: list[Section] = []
    trail: list[Heading] = []
    for (number, lines), marks in zip(pages, outline.marks, strict=True):
        block = _Block(_trail_text(trail))
        repeated: int | None = None
        for start, end in _runs(lines, marks):
            if start in marks:
                heading = outline.heading(lines[start:end])
                if block.has_body or (block.rank is not None and heading.rank < block.rank):
                    sections.extend(_section(block, number))
                    block = _Block(None)
                trail = [h for h in trail if h.rank < heading.rank] + [heading]
                block.heading, block.rank = _trail_text(trail), heading.rank
                block.lines += [heading.text, ""]
                repeated = _repeat_of(lines, end, trail)
                continue
            body = [line.text for i, line in enumerate(lines[start:end], start) if i != repeated]
            block.lines += body
            block.has_body = block.has_body or any(text.strip() for text in body)
        sections.extend(_section(block, number))
    return sections


def _runs(lines: Sequence[Line], marks: set[int]) -> Iterator[tuple[int, int]]:
    """Spans of the lines: each heading with its wrapped lines, and the body lines between
    headings."""
    start = 0
    while start < len(lines):
        end = start + 1
        if start in marks:
            while end - start < MAX_HEADING_LINES and _wraps(lines[end - 1], lines, end):
                end += 1
        else:
            while end < len(lines) and end not in marks:
                end += 1
        yield start, end
        start = end


def _wraps(previous: Line, lines: Sequence[Line], index: int) -> bool:
    """Whether line `index` goes on with the heading line before it: set the same way, and
    starting in lower case or with "&", after an open end ("Terms and", "Costs –"), or
    unnumbered after a numbered line."""
    if index >= len(lines):
        return False
    line = lines[index]
    text, before = _visible(line.text).strip(), _visible(previous.text).strip()
    return (
        bool(text)
        and (line.size, line.bold) == (previous.size, previous.bold)
        and len(f"{before} {text}".split()) <= MAX_HEADING_WORDS
        and (
            text[0].islower()
            or text[0] == "&"
            or _OPEN_END.search(before) is not None
            or (numbering_depth(before) > 0 and numbering_depth(text) == 0)
        )
    )


def _repeat_of(lines: Sequence[Line], end: int, trail: Sequence[Heading]) -> int | None:
    """The index of the first line after a heading when it only repeats the headings."""
    following = next((i for i in range(end, len(lines)) if lines[i].text.strip()), None)
    if following is None or not trail:
        return None
    said = _NOT_WORD.sub("", lines[following].text.lower())
    texts = [_NOT_WORD.sub("", h.text.lower()) for h in trail]
    repeats = {texts[-1], "".join(texts), "".join(texts[-TRAIL_DEPTH:])}
    return following if said and said in repeats else None


def _trail_text(trail: Sequence[Heading]) -> str | None:
    """The section's heading as shown: its own, after the one it sits under."""
    if not trail:
        return None
    named = [h.text for h in trail[:-1] if not h.once] + [trail[-1].text]
    return TRAIL_SEPARATOR.join(named[-TRAIL_DEPTH:])


def _section(block: _Block, page: int) -> list[Section]:
    text = "\n".join(block.lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return [Section(text, page=page, heading=block.heading)] if text else []
