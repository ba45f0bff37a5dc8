"""Running every check over a list of units into one `KbReport`."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kb_assistant.kbreport.contradictions import EmbedTexts, find_contradictions
from kb_assistant.kbreport.duplicates import (
    boilerplate,
    exact_duplicates,
    long_units,
    near_duplicates,
    short_units,
)
from kb_assistant.kbreport.report import ContentGap, KbReport, UnreadableSource
from kb_assistant.kbreport.units import Unit
from kb_assistant.kbreport.usage import EntryUsage


def build_report(
    units: Sequence[Unit],
    *,
    embed: EmbedTexts | None = None,
    unreadable: Sequence[UnreadableSource] = (),
    gaps: Sequence[ContentGap] = (),
    usage: EntryUsage | None = None,
) -> KbReport:
    """Contradictions, duplicates, boilerplate and unit sizes of `units`; `unreadable`,
    `gaps` and `usage` (found elsewhere: ingestion, customers' conversations) are passed
    through.

    `embed` (texts to unit vectors) adds the sentences' cosine similarity as a last check on
    contradictions: one embedding pass over the sentences of the pairs found.
    """
    started = time.perf_counter()
    copies = exact_duplicates(units)
    near = near_duplicates(units)
    return KbReport(
        units=len(units),
        documents=len({u.doc_id for u in units}),
        contradictions=find_contradictions(units, embed=embed),
        duplicates=copies,
        near_duplicates=near,
        boilerplate=boilerplate(units, copies, near),
        long_units=long_units(units),
        short_units=short_units(units),
        unreadable=list(unreadable),
        content_gaps=list(gaps),
        usage=usage,
        seconds=time.perf_counter() - started,
    )
