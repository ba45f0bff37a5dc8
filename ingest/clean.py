"""Text cleaning for ingestion: normalise characters, strip page furniture, reflow PDF lines.

Connectors hand over text as the source had it: PDF extraction leaves ligatures, soft hyphens,
hard-wrapped lines, running headers/footers and page numbers; exports carry stray control
characters and odd spaces. Cleaning removes that noise before redaction and chunking, so that
chunks hold only content and identical content hashes to the same value.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby

from kb_assistant.domain import Document

_CHAR_FIXES = str.maketrans(
    {
        "ﬀ": "ff",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
        "ﬅ": "st",
        "ﬆ": "st",
        "\u00ad": None,  # soft hyphen (a visible one at a line break is handled before)
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f", None),  # zero-width
        **dict.fromkeys("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", None),
        **dict.fromkeys("\u00a0\u1680\u202f\u205f\u3000", " "),  # non-breaking and wide spaces
        **{chr(code): " " for code in range(0x2000, 0x200B)},  # en/em/thin/figure spaces
        **dict.fromkeys("\r\f\v\x85\u2028\u2029", "\n"),  # other line and page breaks
    }
)
_SOFT_HYPHEN_BREAK = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_DIGITS = re.compile(r"\d+")

# Running headers, footers and bare page numbers are looked for at the top and bottom of a
# page: through any furniture already found, up to this many lines of content.
_EDGE_LINES = 3
# "Page 3", "Page 3 of 10", "3 of 6", "- 3 -": page labels wherever they stand on their own.
_PAGE_LABEL = re.compile(
    r"(?:page|p\.|pg\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|\d{1,4}\s+of\s+\d{1,4}"
    r"|[-–—]\s*\d{1,4}\s*[-–—]",
    re.IGNORECASE,
)
_BARE_PAGE_NUMBER = re.compile(r"\d{1,4}(?:\s*/\s*\d{1,4})?")  # "3", "3/10": at the edges only
_BULLETS = "•·▪◦‣●○■□►▸➢✓✔§"
_LIST_ITEM = re.compile(
    rf"[{_BULLETS}]|[-*–o](?=\s|$)|\(?(?:\d{{1,3}}|[a-zA-Z])[.)](?=\s|$)"  # "o": a Word bullet
)
_LIST_MARKER = re.compile(rf"[{_BULLETS}*–o-]|\(?(?:\d{{1,3}}|[a-zA-Z])[.)]")  # alone on a line
_SENTENCE_END = re.compile(r"[.!?:][)\"'’”»]*$")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")


def _normalise_chars(text: str) -> str:
    """NFC, ligatures spelled out, invisible and control characters removed, one newline style."""
    text = text.replace("\r\n", "\n")
    text = _SOFT_HYPHEN_BREAK.sub("", text)
    text = text.translate(_CHAR_FIXES)
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def clean_text(text: str) -> str:
    """Clean one piece of text for indexing.

    Normalises characters (NFC, ligatures, soft hyphens, zero-width characters, odd spaces,
    control characters), collapses spaces and tabs, trims every line and keeps at most one
    blank line between paragraphs. Line breaks are kept: in FAQs and tickets they carry
    structure. Indentation is dropped with the rest of the repeated whitespace.
    """
    text = _SPACES.sub(" ", _normalise_chars(text))
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _page_lines(page: str) -> list[str]:
    return [_SPACES.sub(" ", line).strip() for line in _normalise_chars(page).split("\n")]


def _line_key(line: str) -> str:
    """A line with its numbers blanked, so "Page 3 of 10" and "Page 4 of 10" compare equal."""
    return _DIGITS.sub("#", line.lower())


def _has_words(line: str) -> bool:
    """Whether a line has two letters or more: list markers ("1.", "•") recur on many pages
    without being page furniture."""
    return sum(ch.isalpha() for ch in line) >= 2


def _boilerplate_keys(pages: Sequence[Sequence[str]]) -> set[str]:
    """Keys of lines found on at least half of the pages, and on two at least (running
    headers and footers). Of two pages, only a header or footer of several lines tells
    itself apart from content that happens to repeat."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_line_key(line) for line in lines if _has_words(line)})
    needed = max(2, (len(pages) + 1) // 2)
    keys = {key for key, count in seen.items() if count >= needed}
    return keys if len(pages) > 2 or len(keys) >= 2 else set()


def _edge_furniture(lines: Sequence[str], boilerplate: set[str]) -> set[int]:
    """Indexes of running-header/footer and page-number lines at the top and bottom of a page.

    Only the edges are searched, so that a figure on a line of its own or a sentence that
    recurs inside the text is kept; the search goes on through furniture already found, as
    headers can span several lines ("Title", "URL", "Page 3").
    """
    found: set[int] = set()
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        content = 0
        for i in order:
            line = lines[i]
            if not line:
                continue
            if _line_key(line) in boilerplate or _BARE_PAGE_NUMBER.fullmatch(line):
                found.add(i)
                continue
            content += 1
            if content == _EDGE_LINES:
                break
    return found


def _strip_furniture(parts: Sequence[Sequence[str]], boilerplate: set[str]) -> list[list[str]]:
    """Drop running headers/footers and page numbers from a page given in parts (sections):
    furniture is looked for at the edges of the whole page."""
    furniture = _edge_furniture([line for lines in parts for line in lines], boilerplate)
    kept: list[list[str]] = []
    start = 0
    for lines in parts:
        kept.append(
            [
                line
                for i, line in enumerate(lines, start)
                if i not in furniture and not _PAGE_LABEL.fullmatch(line)
            ]
        )
        start += len(lines)
    return kept


def _keeps_break(previous: str, line: str) -> bool:
    """True when `line` starts a new item rather than continuing the hard-wrapped `previous`."""
    if _LIST_MARKER.fullmatch(previous):
        return False  # PDF extraction often puts an item's "1." or "•" on a line of its own
    if _LIST_ITEM.match(line):
        return True
    return bool(_SENTENCE_END.search(previous)) and not line[:1].islower()


def _join_lines(lines: Sequence[str]) -> str:
    """Reflow the lines of one paragraph, re-joining words hyphenated across line breaks."""
    text = previous = lines[0]
    for line in lines[1:]:
        if _HYPHEN_END.search(text) and line[:1].isalpha():
            # "infor-" + "mation" is one word; "Jean-" + "Pierre" and "out-" + "of-pocket"
            # keep their hyphen.
            joined = line[0].islower() and "-" not in line.split(maxsplit=1)[0]
            text = (text[:-1] if joined else text) + line
        elif _keeps_break(previous, line):
            text += "\n" + line
        else:
            text += " " + line
        previous = line
    return text


def _reflow(lines: Sequence[str]) -> str:
    """Paragraphs (separated by blank lines) with their wrapped lines joined."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(_join_lines(current))
            current = []
    return "\n\n".join(paragraphs)


def clean_pages(pages: Sequence[str]) -> list[str]:
    """Clean the pages of a paginated source (a PDF), one output entry per input page.

    Removes running headers and footers (lines at the top or bottom of a page found on at
    least half of the pages, and on two at least, numbers ignored) and page numbers,
    re-joins hyphenated words, reflows hard-wrapped lines (list items stay one to a line),
    then applies `clean_text`. A page left without content becomes "" so that page numbers
    stay aligned with the input.
    """
    return [parts[0] for parts in clean_page_parts([[page] for page in pages])]


def clean_page_parts(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """`clean_pages` for pages cut into parts (a PDF's sections, cut at headings): furniture
    is found over whole pages, each part is reflowed on its own, and every part gives one
    entry ("" when nothing is left of it)."""
    page_parts = [[_page_lines(part) for part in parts] for parts in pages]
    boilerplate = _boilerplate_keys(
        [[line for part in parts for line in part] for parts in page_parts]
    )
    return [
        [clean_text(_reflow(lines)) for lines in _strip_furniture(parts, boilerplate)]
        for parts in page_parts
    ]


def clean_document(doc: Document) -> Document:
    """A cleaned copy of a document: single-line title, cleaned sections, empty ones dropped.

    Documents whose sections carry page numbers are cleaned as pages (furniture removal and
    reflow), the sections of one page together; the others keep their line structure.
    """
    title = " ".join(clean_text(doc.title).split())
    if any(section.page is not None for section in doc.sections):
        pages = [list(group) for _, group in groupby(doc.sections, key=lambda s: s.page)]
        cleaned = clean_page_parts([[section.text for section in page] for page in pages])
        texts = [text for parts in cleaned for text in parts]
    else:
        texts = [clean_text(section.text) for section in doc.sections]
    sections = [
        replace(section, text=text)
        for section, text in zip(doc.sections, texts, strict=True)
        if text
    ]
    return replace(doc, title=title, sections=sections, metadata=dict(doc.metadata))
