"""A PDF page's text as pypdf reads it, line by line, each line with its type style.

pypdf reports every run of text with its font and size (`extract_text(visitor_text=...)`),
at no cost beyond reading the text itself. Each line gets the size and weight most of its
characters are set in, for `pdf_layout` to tell headings from body text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pypdf import PageObject
from pypdf.generic import DictionaryObject

# In WinAnsi encoding every unused code above 0x20 draws a bullet, and 0x7F is the one that
# list bullets are written with; pypdf hands it over as the DEL character.
_TEXT_FIXES = str.maketrans({"\x00": None, "\x7f": "•"})
_BOLD_NAME = re.compile(r"bold|black|heavy|demi", re.IGNORECASE)  # SemiBold, DemiBold, …
_FORCE_BOLD = 1 << 18  # font descriptor flag


@dataclass(frozen=True)
class Line:
    """One line of a page's text, with the size and weight most of its characters have
    (size 0 when none was reported: blank lines, table rows put in by the table reader)."""

    text: str
    size: float = 0.0
    bold: bool = False
    chars: int = 0


@dataclass
class PageText:
    """Collects pypdf's runs of one page: the page text, and each line's type style."""

    _runs: list[str] = field(default_factory=list)
    _styles: list[Counter[tuple[float, bool]]] = field(default_factory=lambda: [Counter()])
    _bold: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def read(cls, page: PageObject) -> PageText:
        """The page read by pypdf, each run's style noted."""
        collected = cls()
        page.extract_text(visitor_text=collected.visit)
        return collected

    def visit(
        self, text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float
    ) -> None:
        """pypdf's `visitor_text`: one run of text as drawn."""
        if text:
            scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
            self.add(text, round(size * scale * 2) / 2, self._is_bold(font))

    def add(self, text: str, size: float = 0.0, bold: bool = False) -> None:
        """A run of text in the given style (size 0: unknown, never a heading)."""
        self._runs.append(text)
        parts = text.split("\n")
        for number, part in enumerate(parts):
            if number:
                self._styles.append(Counter())
            if size:
                chars = len(part) - part.count(" ")
                if chars:
                    self._styles[-1][(size, bold)] += chars

    @property
    def text(self) -> str:
        return "".join(self._runs)

    def lines(self) -> list[Line]:
        """The page's lines, each with its main style."""
        lines = []
        for text, styles in zip(self.text.split("\n"), self._styles, strict=True):
            text = text.translate(_TEXT_FIXES).rstrip()
            if not styles:
                lines.append(Line(text))
                continue
            (size, _), _ = styles.most_common(1)[0]
            chars = sum(styles.values())
            bold = sum(n for (_, heavy), n in styles.items() if heavy) * 10 >= chars * 9
            lines.append(Line(text, size, bold, chars))
        return lines

    def _is_bold(self, font: object) -> bool:
        if not isinstance(font, DictionaryObject):
            return False
        known = self._bold.get(id(font))
        if known is None:
            known = self._bold[id(font)] = font_is_bold(font)
        return known


def font_is_bold(font: DictionaryObject) -> bool:
    """Whether a font is a bold face, by its name or its descriptor's weight and flags."""
    name = str(font.get("/BaseFont", "")).rpartition("+")[2]
    if _BOLD_NAME.search(name):
        return True
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    if not isinstance(descriptor, DictionaryObject):
        return False
    try:
        weight = float(descriptor.get("/FontWeight", 0))
        flags = int(descriptor.get("/Flags", 0))
    except (TypeError, ValueError):
        return False
    return weight >= 600 or bool(flags & _FORCE_BOLD)
