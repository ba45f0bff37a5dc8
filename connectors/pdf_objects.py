"""Walking a PDF page's drawn objects (images and forms, forms nested in forms)."""

from __future__ import annotations

from collections.abc import Iterator

from pypdf.generic import DictionaryObject, PdfObject

MAX_FORM_DEPTH = 3  # forms nested deeper than this are not looked into


def xobjects(resources: PdfObject | None, depth: int = 0) -> Iterator[DictionaryObject]:
    """Every image and form a resource dictionary draws, and those of its forms in turn."""
    resources = resources.get_object() if resources is not None else None
    if depth > MAX_FORM_DEPTH or not isinstance(resources, DictionaryObject):
        return
    drawn = resources.get("/XObject")
    drawn = drawn.get_object() if drawn is not None else None
    if not isinstance(drawn, DictionaryObject):
        return
    for reference in drawn.values():
        xobject = reference.get_object()
        if not isinstance(xobject, DictionaryObject):
            continue
        yield xobject
        if xobject.get("/Subtype") == "/Form":
            yield from xobjects(xobject.get("/Resources"), depth + 1)
