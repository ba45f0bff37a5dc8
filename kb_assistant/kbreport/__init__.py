"""Knowledge-base health: whether a company's own sources disagree, repeat each other or
have gaps, before the assistant answers customers from them (`kb-assistant kb report`).

The checks read plain `Unit`s (a chunk of the index, a section of a document), so they run
the same on the live index, on files and on test data:

- `quantities`: numbers with their unit, normalised ("within 14 working days", "£3.95"),
  read with the patterns of `quantity_patterns`;
- `subjects`: the content words that say what a number measures, as the checks compare them;
- `mentions`: each quantity of a text with its sentence and subject;
- `contradictions`: one fact stated with different values in two places;
- `duplicates`: exact and near duplicates, boilerplate, very long and very short units;
- `usage`: the entries no customer's answer has used, and the most used ones;
- `report`: the `KbReport`, its findings and summary, and its JSON form;
- `report_text`, `report_html`: the report as text for a terminal and as one HTML page;
- `units`: units from index records or documents, and from the live index (read only).
"""

from kb_assistant.kbreport.build import build_report
from kb_assistant.kbreport.report import ContentGap, KbReport, UnreadableSource, as_json
from kb_assistant.kbreport.report_html import render_html
from kb_assistant.kbreport.report_text import render_text
from kb_assistant.kbreport.units import Unit, units_from_documents, units_from_records
from kb_assistant.kbreport.usage import MIN_ANSWERS, Entry, EntryUsage, entry_usage

__all__ = [
    "MIN_ANSWERS",
    "ContentGap",
    "Entry",
    "EntryUsage",
    "KbReport",
    "Unit",
    "UnreadableSource",
    "as_json",
    "build_report",
    "entry_usage",
    "render_html",
    "render_text",
    "units_from_documents",
    "units_from_records",
]
