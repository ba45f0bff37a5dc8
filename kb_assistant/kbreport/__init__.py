"""Knowledge-base health: whether a company's own sources disagree, repeat each other or
have gaps, before the assistant answers customers from them (`kb-assistant kb report`).

The checks read plain `Unit`s (a chunk of the index, a section of a document), so they run
the same on the live index, on files and on test data:

- `quantities`: numbers with their unit and subject ("within 14 working days", "£3.95");
- `contradictions`: one fact stated with different values in two places;
- `duplicates`: exact and near duplicates, boilerplate, very long and very short units;
- `report`: the `KbReport` and its text, JSON and HTML forms;
- `units`: units from index records or documents, and from the live index (read only).
"""

from kb_assistant.kbreport.build import build_report
from kb_assistant.kbreport.report import (
    ContentGap,
    KbReport,
    UnreadableSource,
    as_json,
    render_html,
    render_text,
)
from kb_assistant.kbreport.units import Unit, units_from_documents, units_from_records

__all__ = [
    "ContentGap",
    "KbReport",
    "Unit",
    "UnreadableSource",
    "as_json",
    "build_report",
    "render_html",
    "render_text",
    "units_from_documents",
    "units_from_records",
]
